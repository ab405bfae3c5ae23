// Assertions over a hand-made run (results/assertions.h): which table each selection reads,
// the numbers it measures, windows, share, flags, what "nothing selected" says, and the
// table and JUnit XML that `meshtwin check` writes.
#include "results/assertions.h"

#include <gtest/gtest.h>

#include "model/telemetry/response_flags.h"
#include "results/writer.h"
#include "temp_dir.h"

namespace meshtwin::results {
namespace {

using namespace meshtwin::telemetry;
using testing::TempDir;
constexpr engine::SimDuration kMs = engine::kMillisecond;
constexpr engine::SimDuration kS = engine::kSecond;

// 100 requests of client `users`, one every 100 ms from t=0, request i lasting (i+1) ms; every
// tenth (i = 0, 10, ...) fails 503 UO. 10 requests of client `bots` to reviews, all 200.
// Hops from productpage-v1 to reviews: 80 to v1 (2 ms), 20 to v2 (30 ms, two of them 500);
// 5 hops to reviews-db (which `reviews` must not select).
void write_run(const std::string& path, bool with_requests = true) {
  std::string error;
  auto w = SqliteWriter::open(path, &error);
  ASSERT_TRUE(w) << error;
  RunInfo info;
  info.scenario = "unit";
  info.duration = 10 * kS;
  info.metrics_interval = kS;
  w->begin_run(info);
  for (int i = 0; i < 100 && with_requests; ++i) {
    RequestRecord r;
    r.request_id = static_cast<std::uint64_t>(i + 1);
    r.client = "users";
    r.start = engine::SimTime{} + i * 100 * kMs;
    r.duration = (i + 1) * kMs;
    r.method = "GET";
    r.authority = "productpage:9080";
    r.path = "/productpage";
    const bool fail = i % 10 == 0;
    r.response_code = fail ? 503 : 200;
    r.response_flags = fail ? static_cast<std::uint32_t>(kUpstreamOverflow) : 0u;
    r.attempts = 1;
    r.route_name = "default";
    r.vs_rule = "-";
    r.destination_service = "productpage.default.svc.cluster.local";
    r.destination_version = "v1";
    r.destination_workload = "productpage-v1";
    w->on_request(r);
  }
  for (int i = 0; i < 10 && with_requests; ++i) {
    RequestRecord r;
    r.request_id = static_cast<std::uint64_t>(1000 + i);
    r.client = "bots";
    r.start = engine::SimTime{} + i * kS;
    r.duration = 5 * kMs;
    r.method = "GET";
    r.authority = "reviews:9080";
    r.path = "/reviews/0";
    r.response_code = 200;
    r.route_name = "reviews";
    r.vs_rule = "default/reviews#http[0]";
    r.destination_service = "reviews.default.svc.cluster.local";
    r.destination_version = i < 5 ? "v1" : "v2";
    r.destination_workload = i < 5 ? "reviews-v1" : "reviews-v2";
    if (i >= 5) r.redirect_of = static_cast<std::uint64_t>(1000 + i - 5);  // the second five followed a redirect
    w->on_request(r);
  }
  for (int i = 0; i < 100; ++i) {
    HopRecord h;
    h.start = engine::SimTime{} + i * 100 * kMs;
    const bool v2 = i % 5 == 4;  // 20 of 100
    h.duration = v2 ? 30 * kMs : 2 * kMs;
    h.source_workload = "productpage-v1";
    h.destination_service = "reviews.default.svc.cluster.local";
    h.destination_version = v2 ? "v2" : "v1";
    h.destination_workload = v2 ? "reviews-v2" : "reviews-v1";
    h.destination_pod = v2 ? "reviews-v2-0" : "reviews-v1-0";
    h.response_code = v2 && (i == 4 || i == 9) ? 500 : 200;
    w->on_hop(h);
  }
  for (int i = 0; i < 5; ++i) {
    HopRecord h;
    h.start = engine::SimTime{} + i * kS;
    h.duration = 1 * kMs;
    h.source_workload = "productpage-v1";
    h.destination_service = "reviews-db.default.svc.cluster.local";
    h.destination_version = "v1";
    h.destination_workload = "reviews-db-v1";
    h.destination_pod = "reviews-db-v1-0";
    h.response_code = 503;
    h.response_flags = kNoHealthyUpstream;
    w->on_hop(h);
  }
  RunEnd end;
  end.sim_end = engine::SimTime{} + 11 * kS;
  w->end_run(end);
}

Assertion::Condition cond(std::string metric, std::string op, double value, std::string text = "") {
  return Assertion::Condition{std::move(metric), std::move(op), value, std::move(text)};
}

class AssertionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    path_ = dir_.file("run.db");
    write_run(path_);
    std::string error;
    auto opened = open_run(path_, &error);
    ASSERT_TRUE(opened) << error;
    reader_ = std::move(opened->reader);
    run_ = opened->run_id;
  }
  AssertionResult eval(const Assertion& a) {
    auto r = evaluate_assertions(*reader_, run_, {a});
    EXPECT_EQ(r.size(), 1u);
    return r.at(0);
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<Reader> reader_;
  std::int64_t run_ = 0;
};

TEST(ServiceMatches, ShortNamePrefixAndHost) {
  EXPECT_TRUE(service_matches("reviews.default.svc.cluster.local", "reviews"));
  EXPECT_TRUE(service_matches("reviews.default.svc.cluster.local", "reviews.default"));
  EXPECT_TRUE(service_matches("reviews.default.svc.cluster.local", "reviews.default.svc.cluster.local"));
  EXPECT_FALSE(service_matches("reviews-db.default.svc.cluster.local", "reviews"));
  EXPECT_FALSE(service_matches("reviews.shop.svc.cluster.local", "reviews.default"));
  EXPECT_FALSE(service_matches("review", "reviews"));
}

TEST(AssertionLevelRule, ClientOrRouteReadRequestsSourceDestinationVersionReadHops) {
  Assertion::Where w;
  EXPECT_EQ(assertion_level(w), AssertionLevel::Requests);  // nothing named: what users see
  w.response_code = 503;
  EXPECT_EQ(assertion_level(w), AssertionLevel::Requests);
  w.destination = "reviews";
  EXPECT_EQ(assertion_level(w), AssertionLevel::Hops);
  w.client = "users";
  EXPECT_EQ(assertion_level(w), AssertionLevel::Requests);
  Assertion::Where v;
  v.version = "v2";
  EXPECT_EQ(assertion_level(v), AssertionLevel::Hops);
  v.route = "default";
  EXPECT_EQ(assertion_level(v), AssertionLevel::Requests);
}

TEST_F(AssertionsTest, ClientRequestsSuccessLatencyCountAndFlags) {
  Assertion a;
  a.name = "users are served";
  a.where.client = "users";
  a.expect = {cond("successRate", ">=", 0.9, ">= 0.9"), cond("errorRate", "==", 0.1, "== 0.1"),
              cond("count", "==", 100), cond("p50", "==", 50.0 * kMs.ns()), cond("p99", "<", 99.0 * kMs.ns()),
              cond("max", "<=", 100.0 * kMs.ns()), cond("flags:UO", "==", 10), cond("flags:UH", "==", 0)};
  auto r = eval(a);
  EXPECT_EQ(r.level, AssertionLevel::Requests);
  EXPECT_EQ(r.selected, 100u);
  ASSERT_EQ(r.conditions.size(), 8u);
  EXPECT_TRUE(r.conditions[0].pass) << r.conditions[0].observed_text;
  EXPECT_DOUBLE_EQ(*r.conditions[0].observed, 0.9);
  EXPECT_EQ(r.conditions[0].observed_text, "0.9000 (90 of 100)");
  EXPECT_EQ(r.conditions[0].expected_text, "successRate >= 0.9");
  EXPECT_TRUE(r.conditions[1].pass) << r.conditions[1].observed_text;  // 1 - 0.9 == 0.1 within rounding
  EXPECT_TRUE(r.conditions[2].pass);
  EXPECT_TRUE(r.conditions[3].pass) << r.conditions[3].observed_text;  // nearest rank: 50th of 1..100 ms
  EXPECT_FALSE(r.conditions[4].pass) << r.conditions[4].observed_text;  // p99 is 99 ms, not < 99 ms
  EXPECT_DOUBLE_EQ(*r.conditions[4].observed, 99.0 * kMs.ns());
  EXPECT_EQ(r.conditions[4].observed_text, "99ms (n=100)");
  EXPECT_TRUE(r.conditions[5].pass);
  EXPECT_TRUE(r.conditions[6].pass) << r.conditions[6].observed_text;
  EXPECT_TRUE(r.conditions[7].pass);
  EXPECT_FALSE(r.pass());
}

TEST_F(AssertionsTest, RedirectedSelectsTheHopsOfFollowedRedirects) {
  for (const bool redirected : {true, false}) {
    Assertion a;
    a.name = "hops";
    a.where.redirected = redirected;
    a.expect = {cond("count", "==", redirected ? 5 : 105)};
    auto r = eval(a);
    EXPECT_EQ(r.level, AssertionLevel::Requests);  // redirect_of is a column of client requests
    EXPECT_TRUE(r.pass()) << format_assertion_table({r});
    EXPECT_NE(r.selection.find(redirected ? "following a redirect" : "not following a redirect"), std::string::npos)
        << r.selection;
  }
  Assertion b;
  b.name = "bots' second hops";
  b.where.client = "bots";
  b.where.redirected = true;
  b.expect = {cond("count", "==", 5)};
  EXPECT_TRUE(eval(b).pass());
}

TEST_F(AssertionsTest, WindowIsOnStartTimeAndCodeSelects) {
  Assertion a;
  a.name = "second half";
  a.where.client = "users";
  a.from = (5 * kS).ns();
  a.to = (10 * kS).ns();
  a.expect = {cond("count", "==", 50), cond("successRate", "==", 0.9)};
  auto r = eval(a);
  EXPECT_EQ(r.selected, 50u);  // requests 50..99 start in [5s, 10s)
  EXPECT_TRUE(r.pass()) << format_assertion_table({r});

  Assertion b;
  b.name = "503s";
  b.where.response_code = 503;
  b.expect = {cond("count", "==", 10), cond("flags:UO", "==", 10)};
  auto rb = eval(b);
  EXPECT_EQ(rb.level, AssertionLevel::Requests);
  EXPECT_TRUE(rb.pass()) << format_assertion_table({rb});

  Assertion c;
  c.name = "flag";
  c.where.flag = "UO";
  c.from = 0;
  c.to = kS.ns();  // only request 0 fails in the first second
  c.expect = {cond("count", "==", 1)};
  EXPECT_TRUE(eval(c).pass());
}

TEST_F(AssertionsTest, ShareOfAVersionFromMetricsPassesAtTwentyAndFailsAtFifty) {
  Assertion a;
  a.name = "v2 gets 20%";
  a.where.source = "productpage-v1";
  a.where.destination = "reviews";
  a.where.version = "v2";
  a.expect = {cond("share", ">=", 0.15), cond("share", "<=", 0.25)};
  auto r = eval(a);
  EXPECT_EQ(r.level, AssertionLevel::Hops);
  EXPECT_EQ(r.selected, 20u);
  ASSERT_EQ(r.conditions.size(), 2u);
  EXPECT_DOUBLE_EQ(*r.conditions[0].observed, 0.2);  // reviews-db's 5 hops are not in the base
  EXPECT_EQ(r.conditions[0].observed_text, "0.2000 (20 of 100)");
  EXPECT_TRUE(r.pass());

  a.expect = {cond("share", ">=", 0.45), cond("share", "<=", 0.55)};
  auto fail = eval(a);
  EXPECT_FALSE(fail.pass());
  EXPECT_FALSE(fail.conditions[0].pass);
  EXPECT_TRUE(fail.conditions[1].pass);
}

TEST_F(AssertionsTest, HopPercentilesComeFromBuckets) {
  Assertion a;
  a.name = "v2 latency";
  a.where.destination = "reviews.default.svc.cluster.local";
  a.where.version = "v2";
  a.expect = {cond("p99", "<=", 50.0 * kMs.ns()), cond("max", "==", 50.0 * kMs.ns()), cond("successRate", "==", 0.9),
              cond("errorRate", ">", 0.05)};
  auto r = eval(a);
  EXPECT_EQ(r.selected, 20u);
  BucketCounts expected{};
  expected[duration_bucket(30 * kMs)] = 20;
  ASSERT_EQ(r.conditions.size(), 4u);
  EXPECT_DOUBLE_EQ(*r.conditions[0].observed, static_cast<double>(percentile_from_buckets(expected, 0.99)));
  EXPECT_TRUE(r.conditions[0].pass);
  // 30 ms falls in (25 ms, 50 ms]: max is the bucket's upper bound.
  EXPECT_TRUE(r.conditions[1].pass) << r.conditions[1].observed_text;
  EXPECT_TRUE(r.conditions[2].pass) << r.conditions[2].observed_text;  // 18 of 20
  EXPECT_TRUE(r.conditions[3].pass);
}

TEST_F(AssertionsTest, NothingSelectedFailsAndSaysWhatWasThere) {
  Assertion a;
  a.name = "typo";
  a.where.client = "user";
  a.expect = {cond("successRate", ">=", 0.99), cond("count", "==", 0)};
  auto r = eval(a);
  EXPECT_EQ(r.selected, 0u);
  EXPECT_FALSE(r.conditions[0].pass);
  EXPECT_FALSE(r.conditions[0].observed.has_value());
  EXPECT_EQ(r.conditions[0].observed_text, "nothing selected");
  EXPECT_TRUE(r.conditions[1].pass);  // a count of nothing is 0, and that is measurable
  EXPECT_NE(r.problem.find("bots, users"), std::string::npos) << r.problem;

  Assertion h;
  h.name = "no such source";
  h.where.source = "ratings-v1";
  h.expect = {cond("p99", "<", 1.0 * kS.ns())};
  auto rh = eval(h);
  EXPECT_FALSE(rh.pass());
  EXPECT_NE(rh.problem.find("sources were productpage-v1"), std::string::npos) << rh.problem;
}

TEST(Assertions, RunWithoutRequestRowsSaysSo) {
  TempDir dir;
  const std::string path = dir.file("none.db");
  write_run(path, /*with_requests=*/false);
  std::string error;
  auto opened = open_run(path, &error);
  ASSERT_TRUE(opened) << error;
  Assertion a;
  a.name = "users";
  a.where.client = "users";
  a.expect = {cond("successRate", ">=", 0.5)};
  auto r = evaluate_assertions(*opened->reader, opened->run_id, {a});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].pass());
  EXPECT_NE(r[0].problem.find("record.requests: none"), std::string::npos) << r[0].problem;
  // Hops still work from the metrics.
  Assertion h;
  h.name = "hops";
  h.where.destination = "reviews";
  h.expect = {cond("count", "==", 100)};
  EXPECT_TRUE(evaluate_assertions(*opened->reader, opened->run_id, {h}).at(0).pass());
}

TEST_F(AssertionsTest, TableAndJUnitNameTheFailedAssertion) {
  Assertion ok;
  ok.name = "share <ok>";
  ok.where.destination = "reviews";
  ok.where.version = "v2";
  ok.expect = {cond("share", ">=", 0.15, ">= 0.15")};
  Assertion bad;
  bad.name = "users fast";
  bad.where.client = "users";
  bad.expect = {cond("p99", "<", 10.0 * kMs.ns(), "< 10ms"), cond("count", ">", 0, "> 0")};
  auto results = evaluate_assertions(*reader_, run_, {ok, bad});
  ASSERT_EQ(results.size(), 2u);
  const auto s = summarize(results);
  EXPECT_EQ(s.conditions, 3u);
  EXPECT_EQ(s.failed, 1u);

  const std::string table = format_assertion_table(results);
  EXPECT_NE(table.find("ASSERTION"), std::string::npos);
  EXPECT_NE(table.find("users fast  p99 < 10ms"), std::string::npos) << table;
  EXPECT_NE(table.find("99ms (n=100)"), std::string::npos) << table;
  EXPECT_NE(table.find("FAIL"), std::string::npos);
  EXPECT_NE(table.find("1 of 3 conditions failed; failed assertions: \"users fast\""), std::string::npos) << table;

  const std::string xml = format_junit({"bookinfo", 1.5, {{"seed", "42"}}}, results);
  EXPECT_EQ(xml.rfind("<?xml", 0), 0u);
  EXPECT_NE(xml.find("<testsuite name=\"bookinfo\" tests=\"3\" failures=\"1\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<property name=\"seed\" value=\"42\"/>"), std::string::npos) << xml;
  // Names and conditions are escaped: `<` must not open a tag.
  EXPECT_NE(xml.find("name=\"share &lt;ok&gt;: share &gt;= 0.15\" time=\"0\"/>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<failure message=\"assertion &quot;users fast&quot; failed: expected p99 &lt; 10ms, observed "
                     "99ms (n=100)\""),
            std::string::npos)
      << xml;
  EXPECT_EQ(xml.find("<failure", xml.find("share &lt;ok&gt;")), xml.find("<failure"));  // only one failure
}

}  // namespace
}  // namespace meshtwin::results
