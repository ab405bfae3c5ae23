#include "results/report.h"

#include <gtest/gtest.h>

#include <sstream>

#include "model/telemetry/response_flags.h"
#include "results/writer.h"
#include "temp_dir.h"

namespace meshtwin::results {
namespace {

using namespace meshtwin::telemetry;
using testing::TempDir;
constexpr SimTime kMs = engine::kMillisecond;

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
    if (t.size() >= 9 && t[0] == service && t[1] == version) return t;
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
      r.start = i * 10 * kMs;
      bool fail = i % 200 == 0;
      r.duration = fail ? 0 : 10 * kMs;
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
    RunEnd end;
    end.sim_end = 10 * engine::kSecond;
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
  EXPECT_NE(report.find("Count 1000 "), std::string::npos) << report;
  EXPECT_NE(report.find("Code 200 : 995 (99.5 %)\n"), std::string::npos) << report;
  EXPECT_NE(report.find("Code 503 : 5 (0.5 %)\n"), std::string::npos) << report;
  EXPECT_NE(report.find("# target 50% 10.000\n"), std::string::npos) << report;
  EXPECT_NE(report.find("# target 99.9% 10.000\n"), std::string::npos) << report;
  EXPECT_NE(report.find("# target 75% "), std::string::npos) << report;
  EXPECT_NE(report.find("qps=100.00"), std::string::npos) << report;
  // Histogram: the 5 zero-duration failures, then 995 in (5, 10] ms ending at 100 %.
  EXPECT_NE(report.find(">= 0.000 <= 0.500 , 0.250 , 0.50, 5\n"), std::string::npos) << report;
  EXPECT_NE(report.find("> 5.000 <= 10.000 , 7.500 , 100.00, 995\n"), std::string::npos)
      << report;
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
  EXPECT_EQ(v1[5], "3.000");  // 4 ms interpolated in (1, 5]: the median sits at 3 ms
  EXPECT_EQ(v1[8], "-");
  auto v2 = table_row(report, "reviews.default.svc.cluster.local", "v2");
  ASSERT_FALSE(v2.empty()) << report;
  EXPECT_EQ(v2[2], "200");
  EXPECT_EQ(v2[3], "20.0");
  EXPECT_EQ(v2[4], "90.00");
  EXPECT_EQ(v2[8], "UO:20");
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
    h.start = i * kMs;
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

}  // namespace
}  // namespace meshtwin::results
