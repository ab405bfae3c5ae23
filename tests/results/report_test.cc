#include "results/report.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "model/telemetry/outcome.h"
#include "model/telemetry/response_flags.h"
#include "results/assertions.h"
#include "results/writer.h"
#include "temp_dir.h"

namespace meshtwin::results {
namespace {

using namespace meshtwin::telemetry;
using testing::TempDir;
constexpr engine::SimDuration kMs = engine::kMillisecond;

std::vector<std::string> split_ws(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string t; in >> t;) out.push_back(t);
  return out;
}

// The table row for a service and version, split on whitespace; empty if absent.
std::vector<std::string> table_row(const std::string& report, const std::string& service,
                                   const std::string& version) {
  std::istringstream in(report);
  for (std::string line; std::getline(in, line);) {
    auto t = split_ws(line);
    if (t.size() >= 10 && t[0] == service && t[1] == version) return t;
  }
  return {};
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("report.db");
    std::string error;
    auto w = SqliteWriter::open(path_, &error);
    ASSERT_TRUE(w) << error;
    RunInfo info;
    info.scenario = "bookinfo-canary";
    info.seed = 42;
    info.duration = 10 * engine::kSecond;
    info.meshtwin_version = "0.1.0";
    w->begin_run(info);
    // 1000 client requests: 995 answered 200 in 10 ms, 5 answered 503 UH at once.
    for (int i = 0; i < 1000; ++i) {
      RequestRecord r;
      r.request_id = static_cast<std::uint64_t>(i + 1);
      r.client = "users";
      r.start = engine::SimTime{} + i * 10 * kMs;
      bool fail = i % 200 == 0;
      r.duration = fail ? engine::SimDuration{} : 10 * kMs;
      r.response_code = fail ? 503 : 200;
      r.response_flags = fail ? std::uint32_t{kNoHealthyUpstream} : 0u;
      r.destination_service = "productpage.default.svc.cluster.local";
      r.destination_version = "v1";
      w->on_request(r);
      // productpage calls reviews: 80 % to v1, 20 % to v2, v2 fails one in ten with UO.
      HopRecord h;
      h.start = r.start;
      h.duration = 4 * kMs;
      h.source_workload = "productpage-v1";
      h.destination_service = "reviews.default.svc.cluster.local";
      bool v2 = i % 5 == 0;
      h.destination_version = v2 ? "v2" : "v1";
      h.destination_workload = v2 ? "reviews-v2" : "reviews-v1";
      h.destination_pod = v2 ? "reviews-v2-0" : "reviews-v1-0";
      bool overflow = v2 && i % 50 == 0;
      h.response_code = overflow ? 503 : 200;
      h.response_flags = overflow ? std::uint32_t{kUpstreamOverflow} : 0u;
      w->on_hop(h);
    }
    // Two proxies' CPU at the end of the run (docs/semantics.md §19.5), the less busy first.
    w->on_event({engine::SimTime{} + 10 * engine::kSecond, "proxy_cpu", "reviews-v1-0",
                 "utilisation=0.0200 workers=2 busy_ms=400.000 jobs=2400 mean_wait_us=0.5 max_wait_us=90.0"});
    w->on_event({engine::SimTime{} + 10 * engine::kSecond, "proxy_cpu", "productpage-v1-0",
                 "utilisation=0.0600 workers=2 busy_ms=1200.000 jobs=7000 mean_wait_us=2.3 max_wait_us=202.0"});
    RunEnd end;
    end.sim_end = engine::SimTime{} + 10 * engine::kSecond;
    end.wall_seconds = 0.5;
    w->end_run(end);
    ASSERT_TRUE(w->ok()) << w->error();
  }

  TempDir dir_;
  std::string path_;
};

TEST_F(ReportTest, FortioShapedHeaderAndCodes) {
  std::string error;
  auto opened = open_run(path_, &error);
  ASSERT_TRUE(opened) << error;
  std::string report = format_report(*opened->reader, opened->run_id);
  EXPECT_NE(report.find("bookinfo-canary"), std::string::npos) << report;
  EXPECT_NE(report.find("seed 42"), std::string::npos) << report;
  EXPECT_NE(report.find("Aggregated Function Time : count 1000 "), std::string::npos) << report;
  EXPECT_NE(report.find("Code 200 : 995 (99.5 %)\n"), std::string::npos) << report;
  EXPECT_NE(report.find("Code 503 : 5 (0.5 %)\n"), std::string::npos) << report;
  // Fortio's units: seconds, printed with %g.
  EXPECT_NE(report.find("# target 50% 0.01\n"), std::string::npos) << report;
  EXPECT_NE(report.find("# target 99.9% 0.01\n"), std::string::npos) << report;
  EXPECT_NE(report.find("# target 75% "), std::string::npos) << report;
  EXPECT_NE(report.find("qps=100.00"), std::string::npos) << report;
  // Histogram: the 5 zero-duration failures, then 995 in (5, 10] ms ending at 100 %.
  EXPECT_NE(report.find(">= 0 <= 0.0005 , 0.00025 , 0.50, 5\n"), std::string::npos) << report;
  EXPECT_NE(report.find("> 0.005 <= 0.01 , 0.0075 , 100.00, 995\n"), std::string::npos) << report;
  EXPECT_NE(report.find("All done 1000 calls (plus 0 warmup) 9.950 ms avg, 100.0 qps\n"), std::string::npos) << report;
  EXPECT_NE(report.find("duration 10s : status complete"), std::string::npos) << report;
}

// docs/semantics.md §19.5: each proxy's busy share, busiest first, in the text and the data.
TEST_F(ReportTest, ProxyCpuTableBusiestFirst) {
  std::string error;
  auto opened = open_run(path_, &error);
  ASSERT_TRUE(opened) << error;
  auto data = compute_report(*opened->reader, opened->run_id, &error);
  ASSERT_TRUE(data) << error;
  ASSERT_EQ(data->proxy_cpu.size(), 2u);
  EXPECT_EQ(data->proxy_cpu[0].proxy, "productpage-v1-0");
  EXPECT_DOUBLE_EQ(data->proxy_cpu[0].utilisation, 0.06);
  EXPECT_EQ(data->proxy_cpu[0].workers, 2);
  EXPECT_EQ(data->proxy_cpu[0].jobs, 7000);
  EXPECT_EQ(data->proxy_cpu[1].proxy, "reviews-v1-0");
  const std::string report = format_report(*data);
  const auto table = report.find("Proxy CPU");
  ASSERT_NE(table, std::string::npos) << report;
  const auto pp = report.find("productpage-v1-0", table), rv = report.find("reviews-v1-0", table);
  ASSERT_NE(pp, std::string::npos);
  EXPECT_LT(pp, rv);
  auto row = split_ws(report.substr(pp, report.find('\n', pp) - pp));
  ASSERT_EQ(row.size(), 7u) << report;
  EXPECT_EQ(row[1], "2");
  EXPECT_EQ(row[2], "6.0");
}

TEST_F(ReportTest, PerVersionTableWithShares) {
  std::string error;
  auto opened = open_run(path_, &error);
  ASSERT_TRUE(opened) << error;
  std::string report = format_report(*opened->reader, opened->run_id);
  auto v1 = table_row(report, "reviews.default.svc.cluster.local", "v1");
  ASSERT_FALSE(v1.empty()) << report;
  EXPECT_EQ(v1[2], "800");
  EXPECT_EQ(v1[3], "80.0");
  EXPECT_EQ(v1[4], "100.00");
  EXPECT_EQ(v1[5], "100.00");
  EXPECT_EQ(v1[6], "3ms");  // 4 ms interpolated in (1, 5]: the median sits at 3 ms
  EXPECT_EQ(v1[9], "-");
  auto v2 = table_row(report, "reviews.default.svc.cluster.local", "v2");
  ASSERT_FALSE(v2.empty()) << report;
  EXPECT_EQ(v2[2], "200");
  EXPECT_EQ(v2[3], "20.0");
  EXPECT_EQ(v2[4], "90.00");  // 2xx-3xx
  EXPECT_EQ(v2[5], "90.00");  // non-5xx: the failures are 503s
  EXPECT_EQ(v2[9], "UO:20");
  auto header = table_row(report, "service", "version");
  ASSERT_FALSE(header.empty()) << report;
}

TEST_F(ReportTest, WithoutRequestRowsCodesComeFromHops) {
  std::string path = dir_.file("hops.db");
  std::string error;
  auto w = SqliteWriter::open(path, &error);
  ASSERT_TRUE(w) << error;
  w->begin_run(RunInfo{});
  for (int i = 0; i < 4; ++i) {
    HopRecord h;
    h.start = engine::SimTime{} + i * kMs;
    h.duration = kMs;
    h.destination_service = "ratings.default.svc.cluster.local";
    h.destination_version = "v1";
    h.response_code = i == 0 ? 500 : 200;
    w->on_hop(h);
  }
  w->end_run({});
  w.reset();
  auto opened = open_run(path, &error);
  ASSERT_TRUE(opened) << error;
  std::string report = format_report(*opened->reader, opened->run_id);
  EXPECT_NE(report.find("No request rows recorded"), std::string::npos) << report;
  EXPECT_NE(report.find("Code 200 : 3 (75.0 %)"), std::string::npos) << report;
  EXPECT_NE(report.find("Code 500 : 1 (25.0 %)"), std::string::npos) << report;
  auto row = table_row(report, "ratings.default.svc.cluster.local", "v1");
  ASSERT_FALSE(row.empty()) << report;
  EXPECT_EQ(row[2], "4");
  EXPECT_EQ(row[4], "75.00");
}

// Issue 10: a run whose every answer is 404 reads 0 % by successRate (2xx-3xx) and 100 % by
// non5xxRate (Istio's dashboards), each labelled with its definition, in the report text, the
// report JSON and assertions.
TEST(ReportSuccessReadings, A404OnlyRunIsAllNon5xxAndNo2xx3xx) {
  TempDir dir;
  const std::string path = dir.file("404.db");
  std::string error;
  auto w = SqliteWriter::open(path, &error);
  ASSERT_TRUE(w) << error;
  RunInfo info;
  info.scenario = "all-404";
  info.duration = engine::kSecond;
  w->begin_run(info);
  for (int i = 0; i < 50; ++i) {
    RequestRecord r;
    r.request_id = static_cast<std::uint64_t>(i + 1);
    r.client = "users";
    r.start = engine::SimTime{} + i * 10 * kMs;
    r.duration = 2 * kMs;
    r.response_code = 404;
    r.destination_service = "httpbin.default.svc.cluster.local";
    r.destination_version = "v1";
    w->on_request(r);
    HopRecord h;
    h.start = r.start;
    h.duration = 2 * kMs;
    h.source_workload = "sleep";
    h.destination_service = "httpbin.default.svc.cluster.local";
    h.destination_version = "v1";
    h.response_code = 404;
    w->on_hop(h);
  }
  RunEnd end;
  end.sim_end = engine::SimTime{} + engine::kSecond;
  w->end_run(end);
  ASSERT_TRUE(w->ok()) << w->error();
  w.reset();

  auto opened = open_run(path, &error);
  ASSERT_TRUE(opened) << error;
  auto data = compute_report(*opened->reader, opened->run_id, &error);
  ASSERT_TRUE(data) << error;
  const std::string text = format_report(*data);
  EXPECT_NE(text.find("Success (2xx-3xx; resets and other code 0 fail) : 0 (0.0 %)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Non-5xx (code 1-499, Istio dashboards' success rate; code 0 fails) : 50 (100.0 %)\n"),
            std::string::npos)
      << text;
  auto row = table_row(text, "httpbin.default.svc.cluster.local", "v1");
  ASSERT_FALSE(row.empty()) << text;
  EXPECT_EQ(row[4], "0.00");    // 2xx-3xx %
  EXPECT_EQ(row[5], "100.00");  // non-5xx %
  EXPECT_NE(text.find("2xx-3xx % is successRate: responses with code 200-399"), std::string::npos) << text;
  EXPECT_NE(text.find("non-5xx % is non5xxRate: responses with code 1-499"), std::string::npos) << text;

  const auto j = nlohmann::json::parse(format_report_json(*data));
  EXPECT_EQ(j["clientRequests"]["successRate"]["value"], 0.0);
  EXPECT_EQ(j["clientRequests"]["non5xxRate"]["value"], 1.0);
  EXPECT_EQ(j["clientRequests"]["non5xxRate"]["definition"], kNon5xxRateDefinition);
  EXPECT_EQ(j["destinations"][0]["successRate"]["value"], 0.0);
  EXPECT_EQ(j["destinations"][0]["non5xxRate"]["value"], 1.0);

  // Both readings as assertions, over client requests and over hops.
  for (bool hops : {false, true}) {
    Assertion a;
    a.name = hops ? "hops" : "requests";
    if (hops) a.where.destination = "httpbin";
    else a.where.client = "users";
    a.expect = {{"successRate", "==", 0.0, "== 0"}, {"non5xxRate", "==", 1.0, "== 1"}};
    const auto r = evaluate_assertions(*opened->reader, opened->run_id, {a});
    ASSERT_EQ(r.size(), 1u);
    EXPECT_TRUE(r[0].pass()) << format_assertion_table(r);
    EXPECT_EQ(r[0].conditions[1].observed_text, "1.0000 (50 of 50)");
  }
}

// A reset (code 0) fails both readings.
TEST(ReportSuccessReadings, CodeZeroFailsBoth) {
  EXPECT_FALSE(telemetry::is_success(0));
  EXPECT_FALSE(telemetry::is_non5xx(0));
  EXPECT_TRUE(telemetry::is_non5xx(404));
  EXPECT_FALSE(telemetry::is_success(404));
  EXPECT_FALSE(telemetry::is_non5xx(503));
}

}  // namespace
}  // namespace meshtwin::results
