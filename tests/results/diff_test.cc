// `meshtwin diff` over hand-made runs (results/diff.h): deltas per client and edge, whether
// the bootstrap intervals cover no change and exclude a real one, the --fail-if grammar, and
// thresholds that trip, hold, or name nothing.
#include "results/diff.h"

#include <gtest/gtest.h>

#include <random>

#include "model/telemetry/response_flags.h"
#include "results/writer.h"
#include "temp_dir.h"

namespace meshtwin::results {
namespace {

using namespace meshtwin::telemetry;
using testing::TempDir;
constexpr engine::SimDuration kMs = engine::kMillisecond;
constexpr engine::SimDuration kS = engine::kSecond;

struct RunShape {
  std::uint64_t seed = 42;          // of the run (what the runs table says)
  std::uint64_t draw_seed = 1;      // of the hand-made numbers
  double latency_scale = 1.0;       // multiplies every duration
  int failures_per_thousand = 10;   // client requests answered 503 UO
  bool with_v3 = false;             // hops to reviews v3 as well
};

// 2000 client requests of `users` with exponential durations (mean 20 ms), and hops from
// productpage-v1 to reviews v1 (and v3) with durations around 3 ms.
void write_run(const std::string& path, const RunShape& shape) {
  std::string error;
  auto w = SqliteWriter::open(path, &error);
  ASSERT_TRUE(w) << error;
  RunInfo info;
  info.scenario = "unit";
  info.seed = shape.seed;
  info.duration = 20 * kS;
  info.metrics_interval = kS;
  w->begin_run(info);
  std::mt19937_64 rng(shape.draw_seed);
  std::exponential_distribution<double> exp_ms(1.0 / 20.0);
  std::uniform_int_distribution<int> per_mille(0, 999);
  for (int i = 0; i < 2000; ++i) {
    RequestRecord r;
    r.request_id = static_cast<std::uint64_t>(i + 1);
    r.client = "users";
    r.start = engine::SimTime{} + i * 10 * kMs;
    r.duration = engine::SimDuration::from_ns(static_cast<std::int64_t>((0.5 + exp_ms(rng)) * shape.latency_scale * static_cast<double>(kMs.ns())));
    const bool fail = per_mille(rng) < shape.failures_per_thousand;
    r.response_code = fail ? 503 : 200;
    r.response_flags = fail ? static_cast<std::uint32_t>(kUpstreamOverflow) : 0u;
    r.method = "GET";
    r.authority = "productpage:9080";
    r.path = "/";
    r.route_name = "default";
    r.vs_rule = "-";
    r.destination_service = "productpage.default.svc.cluster.local";
    r.destination_version = "v1";
    r.destination_workload = "productpage-v1";
    w->on_request(r);
    HopRecord h;
    h.start = r.start;
    const bool v3 = shape.with_v3 && i % 2 == 1;
    h.duration = engine::SimDuration::from_ns(static_cast<std::int64_t>((1.0 + exp_ms(rng) / 10) * shape.latency_scale * static_cast<double>(kMs.ns())));
    h.source_workload = "productpage-v1";
    h.destination_service = "reviews.default.svc.cluster.local";
    h.destination_version = v3 ? "v3" : "v1";
    h.destination_workload = v3 ? "reviews-v3" : "reviews-v1";
    h.destination_pod = v3 ? "reviews-v3-0" : "reviews-v1-0";
    h.response_code = 200;
    w->on_hop(h);
  }
  RunEnd end;
  end.sim_end = engine::SimTime{} + 21 * kS;
  w->end_run(end);
}

class DiffTest : public ::testing::Test {
 protected:
  DiffReport diff(const RunShape& base, const RunShape& candidate, const std::string& name = "x") {
    const std::string a = dir_.file(name + "-base.db"), b = dir_.file(name + "-candidate.db");
    write_run(a, base);
    write_run(b, candidate);
    std::string error;
    auto ra = open_run(a, &error);
    auto rb = open_run(b, &error);
    EXPECT_TRUE(ra && rb) << error;
    auto report = diff_runs(*ra->reader, ra->run_id, *rb->reader, rb->run_id, DiffOptions{}, &error);
    EXPECT_TRUE(report) << error;
    return report ? *report : DiffReport{};
  }
  static const GroupDiff& group(const DiffReport& r, const std::string& label) {
    for (const auto& g : r.groups)
      if (g.key.label() == label) return g;
    ADD_FAILURE() << "no group " << label << "\n" << format_diff(r);
    static const GroupDiff kNone;
    return kNone;
  }
  std::vector<Trip> trips(const DiffReport& r, std::vector<std::string> texts) {
    std::vector<Threshold> ts;
    for (const auto& t : texts) {
      std::string error;
      auto parsed = parse_threshold(t, &error);
      EXPECT_TRUE(parsed) << error;
      if (parsed) ts.push_back(*parsed);
    }
    std::string error;
    auto out = check_thresholds(r, ts, &error);
    EXPECT_TRUE(out) << error;
    return out ? *out : std::vector<Trip>{};
  }

  TempDir dir_;
};

TEST_F(DiffTest, SameRunsShowNoChangeAndIntervalsCoverZero) {
  auto r = diff(RunShape{}, RunShape{});
  EXPECT_TRUE(r.notes.empty());
  ASSERT_EQ(r.groups.size(), 2u);  // client users, edge productpage-v1 -> reviews v1
  const GroupDiff& users = group(r, "client users");
  EXPECT_EQ(users.base_n, 2000u);
  EXPECT_EQ(users.candidate_n, 2000u);
  for (const char* m : {"successRate", "p50", "p90", "p99", "flags:UO"}) {
    const MetricDelta* d = users.find(m);
    ASSERT_NE(d, nullptr) << m;
    EXPECT_EQ(d->delta, 0) << m;
    ASSERT_TRUE(d->lo && d->hi) << m;
    EXPECT_LE(*d->lo, 0) << m;
    EXPECT_GE(*d->hi, 0) << m;
    EXPECT_LT(*d->lo, *d->hi) << m << ": resampling two runs must give an interval of some width";
  }
  EXPECT_FALSE(users.find("count")->lo);  // a resample keeps n rows: no interval for count
  EXPECT_TRUE(trips(r, {"p99 > +10%", "successRate < -0.5pp", "flags:UO > +5"}).empty());
}

TEST_F(DiffTest, IntervalsAreReproducibleAndShrinkWithAFixedSeed) {
  auto a = diff(RunShape{}, RunShape{}, "a");
  auto b = diff(RunShape{}, RunShape{}, "b");
  const MetricDelta* pa = group(a, "client users").find("p90");
  const MetricDelta* pb = group(b, "client users").find("p90");
  ASSERT_TRUE(pa && pb);
  EXPECT_EQ(*pa->lo, *pb->lo);
  EXPECT_EQ(*pa->hi, *pb->hi);
  // The p50 of an exponential with mean 20 ms over 2000 values is known to within a few ms.
  const MetricDelta* p50 = group(a, "client users").find("p50");
  EXPECT_LT(*p50->hi - *p50->lo, 6.0 * kMs.ns());
}

TEST_F(DiffTest, SlowerAndFailingCandidateIsCaughtWithIntervalsExcludingZero) {
  RunShape slow;
  slow.draw_seed = 2;
  slow.latency_scale = 1.5;
  slow.failures_per_thousand = 60;
  auto r = diff(RunShape{}, slow);
  const GroupDiff& users = group(r, "client users");
  const MetricDelta* p50 = users.find("p50");
  ASSERT_TRUE(p50 && p50->lo);
  EXPECT_GT(p50->delta, 0);
  EXPECT_GT(*p50->lo, 0) << format_diff(r);
  const MetricDelta* sr = users.find("successRate");
  EXPECT_LT(*sr->hi, 0) << format_diff(r);
  EXPECT_NEAR(sr->delta, -0.05, 0.02);
  const MetricDelta* uo = users.find("flags:UO");
  ASSERT_NE(uo, nullptr);
  EXPECT_GT(*uo->lo, 0);
  // Edges come from the metrics: latency moves there too (bucket resolution).
  const MetricDelta* edge_p50 = group(r, "productpage-v1 -> reviews.default v1").find("p50");
  EXPECT_GT(edge_p50->delta, 0);

  auto t = trips(r, {"p90 > +20%", "successRate < -0.5pp", "errorRate > +1pp", "client:users flags:UO > 20",
                     "reviews p90 > +1ms", "p99 > +1000%"});
  std::vector<std::string> tripped;
  for (const auto& x : t) tripped.push_back(x.threshold + " @ " + x.group);
  EXPECT_EQ(tripped, (std::vector<std::string>{
                         "p90 > +20% @ client users",
                         "p90 > +20% @ productpage-v1 -> reviews.default v1",
                         "successRate < -0.5pp @ client users",
                         "errorRate > +1pp @ client users",
                         "client:users flags:UO > 20 @ client users",
                         "reviews p90 > +1ms @ productpage-v1 -> reviews.default v1",
                     }))
      << format_diff(r);
  EXPECT_NE(t[0].observed.find("%"), std::string::npos);
  EXPECT_NE(t[0].observed.find("->"), std::string::npos);
}

TEST_F(DiffTest, NewEdgeIsShownButNotComparedAndScopesSelectIt) {
  RunShape canary;
  canary.with_v3 = true;
  auto r = diff(RunShape{}, canary);
  const GroupDiff& v3 = group(r, "productpage-v1 -> reviews.default v3");
  EXPECT_EQ(v3.base_n, 0u);
  EXPECT_EQ(v3.candidate_n, 1000u);
  EXPECT_FALSE(v3.find("p99")->comparable);
  EXPECT_TRUE(v3.find("count")->comparable);
  EXPECT_NE(format_diff(r).find("productpage-v1 -> reviews.default v3  (only in candidate)"), std::string::npos);
  // p99 of a new edge has no base: nothing to compare, nothing trips; its count does.
  EXPECT_TRUE(trips(r, {"reviews:v3 p99 > +1%"}).empty());
  EXPECT_EQ(trips(r, {"productpage-v1->reviews:v3 count > 500"}).size(), 1u);
  EXPECT_EQ(trips(r, {"*->reviews:v1 count < -500"}).size(), 1u);  // v1 lost half its hops

  std::string error;
  auto typo = parse_threshold("reviwes:v3 p99 > +10%", &error);
  ASSERT_TRUE(typo) << error;
  EXPECT_FALSE(check_thresholds(r, {*typo}, &error));
  EXPECT_NE(error.find("no client or edge of either run matches"), std::string::npos) << error;
  EXPECT_NE(error.find("productpage-v1 -> reviews.default v3"), std::string::npos) << error;
}

TEST_F(DiffTest, DifferentSeedsAreNoted) {
  RunShape other;
  other.seed = 7;
  auto r = diff(RunShape{}, other);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("different seeds (42 and 7)"), std::string::npos);
  EXPECT_NE(format_diff(r).find("note: the runs used different seeds"), std::string::npos);
}

TEST(FailIfGrammar, ReadsScopesMetricsOperatorsAndUnits) {
  std::string error;
  auto a = parse_threshold("p99 > +10%", &error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->scope, Threshold::Scope::All);
  EXPECT_EQ(a->metric, "p99");
  EXPECT_EQ(a->op, ">");
  EXPECT_EQ(a->unit, Threshold::Unit::Percent);
  EXPECT_DOUBLE_EQ(a->amount, 10);

  auto b = parse_threshold("successRate<-0.5pp", &error);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ(b->op, "<");
  EXPECT_EQ(b->unit, Threshold::Unit::Points);
  EXPECT_DOUBLE_EQ(b->amount, -0.5);

  auto c = parse_threshold("productpage-v1->reviews:v3 p90 >= 5ms", &error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->scope, Threshold::Scope::Edge);
  EXPECT_EQ(c->source, "productpage-v1");
  EXPECT_EQ(c->service, "reviews");
  EXPECT_EQ(c->version, "v3");
  EXPECT_EQ(c->op, ">=");
  EXPECT_EQ(c->unit, Threshold::Unit::Duration);
  EXPECT_DOUBLE_EQ(c->amount, 5.0 * kMs.ns());

  auto d = parse_threshold("client:users flags:UO > 0", &error);
  ASSERT_TRUE(d) << error;
  EXPECT_EQ(d->scope, Threshold::Scope::Client);
  EXPECT_EQ(d->client, "users");
  EXPECT_EQ(d->metric, "flags:UO");
  EXPECT_EQ(d->unit, Threshold::Unit::Count);

  auto e = parse_threshold("reviews count <= -100", &error);
  ASSERT_TRUE(e) << error;
  EXPECT_EQ(e->service, "reviews");
  EXPECT_TRUE(e->version.empty());
  EXPECT_DOUBLE_EQ(e->amount, -100);
}

TEST(FailIfGrammar, BadExpressionsSaySomethingToActOn) {
  const std::pair<const char*, const char*> cases[] = {
      {"p99 = 10%", "no comparison"},
      {"p95 > +10%", "unknown metric \"p95\""},
      {"p99 > 10", "a latency change needs a unit"},
      {"successRate < -0.5", "a rate change needs a unit"},
      {"p99 > +1pp", "pp (percentage points) applies to successRate"},
      {"count > 5ms", "a duration applies to p50, p90 and p99"},
      {"count > 1.5", "whole number"},
      {"flags:XX > 0", "unknown metric"},
      {"a b p99 > 1%", "too many words"},
      {"reviews: p99 > 1%", "nothing after ':'"},
      {"client: p99 > 1%", "client: needs a client name"},
      {"p99 >", "no change after the comparison"},
      {"p99 > lots", "is not a change"},
  };
  for (const auto& [text, phrase] : cases) {
    std::string error;
    EXPECT_FALSE(parse_threshold(text, &error)) << text;
    EXPECT_NE(error.find(phrase), std::string::npos) << text << ": " << error;
    EXPECT_EQ(error.rfind(std::string("--fail-if '") + text + "'", 0), 0u) << error;
  }
}

}  // namespace
}  // namespace meshtwin::results
