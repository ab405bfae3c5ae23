// The viewer's data layer (gui/queries.h) against simulated results files: what the charts,
// the graph, the overview and the explorer show must match plain SQL over the docs/design.md §3.3
// views and the scenario's promises (80/20 split).

#include "gui/queries.h"

#include <gtest/gtest.h>

#include <map>
#include <numeric>
#include <set>

#include "gui_fixture.h"

namespace meshtwin::gui {
namespace {

using testing::bookinfo;
using testing::fixture;
using testing::kReviews;
using testing::retries;
using testing::sql_int;

class QueriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fixture().error.empty()) << fixture().error;
    ASSERT_TRUE(bookinfo());
    ASSERT_TRUE(retries());
  }
  template <class Fn>
  auto on_bookinfo(Fn fn) {
    std::string error;
    auto out = bookinfo()->with_reader(fn, &error);
    EXPECT_TRUE(out) << error;
    return *out;
  }
};

TEST_F(QueriesTest, ReviewsSharesPerWindowAre80To20_Sem3_3) {
  SeriesQuery q;
  q.filter.source_workload = "productpage-v1";
  q.filter.destination_service = kReviews;
  q.key = SeriesKey::Version;
  q.window_factor = 5;
  std::string error;
  auto s =
      on_bookinfo([&](const results::Reader& r) { return load_window_series(r, 1, q, &error); });
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->window, (5 * engine::kSecond).ns());
  ASSERT_EQ(s->series.count("v1"), 1u);
  ASSERT_EQ(s->series.count("v2"), 1u);
  EXPECT_EQ(s->series.count("v3"), 0u);
  int checked = 0;
  for (std::size_t i = 0; i < s->windows; ++i) {
    double v1 = s->rate("v1", i), v2 = s->rate("v2", i);
    if ((v1 + v2) * s->seconds_per_window() < 500) continue;  // the drain's partial window
    EXPECT_NEAR(v1 / (v1 + v2), 0.80, 0.06) << "window " << i;
    ++checked;
  }
  EXPECT_GE(checked, 3);
  // The windows add up to what the metrics table holds for the same labels.
  auto sum = [](const SeriesData& d) {
    return std::accumulate(d.requests.begin(), d.requests.end(), std::uint64_t{0});
  };
  std::int64_t expected =
      sql_int(fixture().bookinfo_db,
              "SELECT sum(requests) FROM metrics WHERE run_id = 1 AND reporter = 'source' AND "
              "source_workload = 'productpage-v1' AND destination_service = ?",
              {std::string(kReviews)});
  EXPECT_GT(expected, 3000);
  EXPECT_EQ(static_cast<std::int64_t>(sum(s->series.at("v1")) + sum(s->series.at("v2"))), expected);
}

TEST_F(QueriesTest, FlagsSplitIntoSingleFlagsAndCodesKeyByNumber) {
  std::string error;
  auto out = retries()->with_reader(
      [&](const results::Reader& r) {
        SeriesQuery q;
        q.key = SeriesKey::Flags;
        auto flags = load_window_series(r, 1, q, &error);
        q.key = SeriesKey::Code;
        auto codes = load_window_series(r, 1, q, &error);
        return std::make_pair(flags, codes);
      },
      &error);
  ASSERT_TRUE(out && out->first && out->second) << error;
  // A request that used up its retries logs URX; every key is one flag, never "UF,URX".
  for (const auto& [key, data] : out->first->series)
    EXPECT_EQ(key.find(','), std::string::npos) << key;
  EXPECT_EQ(out->first->series.count("URX"), 1u);
  std::int64_t failed = sql_int(fixture().retries_db,
                                "SELECT sum(requests) FROM metrics WHERE run_id = 1 AND reporter = "
                                "'source' AND response_code = 503");
  ASSERT_GT(failed, 0);
  auto totals = [](const SeriesData& d) {
    return std::accumulate(d.requests.begin(), d.requests.end(), std::uint64_t{0});
  };
  ASSERT_EQ(out->second->series.count("503"), 1u);
  EXPECT_EQ(static_cast<std::int64_t>(totals(out->second->series.at("503"))), failed);
}

TEST_F(QueriesTest, LatencyPercentilesComeFromTheBuckets) {
  SeriesQuery q;
  q.key = SeriesKey::Total;
  q.with_buckets = true;
  q.filter.source_workload = "sleep";
  std::string error;
  auto s =
      on_bookinfo([&](const results::Reader& r) { return load_window_series(r, 1, q, &error); });
  ASSERT_TRUE(s) << error;
  auto p50 = percentile_per_window(*s, 0.5);
  auto p99 = percentile_per_window(*s, 0.99);
  auto totals = s->totals();
  int full = 0;
  for (std::size_t i = 0; i < s->windows; ++i) {
    if (totals[i] < 100) continue;
    ++full;
    EXPECT_GT(p50[i], engine::kMillisecond.ns()) << i;
    EXPECT_LT(p50[i], (100 * engine::kMillisecond).ns()) << i;
    EXPECT_GT(p99[i], p50[i]) << i;
  }
  EXPECT_GE(full, 15);
}

TEST_F(QueriesTest, GraphHasBookinfosWorkloadsAndCalls) {
  std::string error;
  auto g = on_bookinfo([&](const results::Reader& r) { return load_graph(r, 1, &error); });
  ASSERT_TRUE(g) << error;
  std::set<std::string> nodes(g->nodes.begin(), g->nodes.end());
  EXPECT_EQ(nodes, (std::set<std::string>{"sleep", "productpage-v1", "details-v1", "reviews-v1",
                                          "reviews-v2", "ratings-v1"}));
  std::map<std::pair<std::string, std::string>, const GraphEdge*> edges;
  for (const auto& e : g->edges) edges[{e.source, e.target}] = &e;
  std::set<std::pair<std::string, std::string>> keys;
  for (const auto& [k, e] : edges) keys.insert(k);
  EXPECT_EQ(keys, (std::set<std::pair<std::string, std::string>>{{"sleep", "productpage-v1"},
                                                                 {"productpage-v1", "details-v1"},
                                                                 {"productpage-v1", "reviews-v1"},
                                                                 {"productpage-v1", "reviews-v2"},
                                                                 {"reviews-v2", "ratings-v1"}}));
  const GraphEdge* front = edges[{"sleep", "productpage-v1"}];
  ASSERT_NE(front, nullptr);
  EXPECT_EQ(front->service, "productpage.default.svc.cluster.local");
  EXPECT_NEAR(front->rps, 200.0, 20.0);  // poisson 200/s
  EXPECT_EQ(front->errors, 0u);
  EXPECT_GT(front->p99, 0);
  const GraphEdge* v2 = edges[{"productpage-v1", "reviews-v2"}];
  ASSERT_NE(v2, nullptr);
  EXPECT_EQ(v2->service, kReviews);
  EXPECT_NEAR(v2->rps / front->rps, 0.2, 0.03);
}

TEST_F(QueriesTest, OverviewMatchesSummariesAndMetrics) {
  std::string error;
  auto o = on_bookinfo([&](const results::Reader& r) { return load_overview(r, 1, &error); });
  ASSERT_TRUE(o) << error;
  EXPECT_EQ(o->run.scenario, "bookinfo-reviews-80-20");
  EXPECT_EQ(o->run.seed, 42u);
  EXPECT_EQ(o->run.sim_duration, (20 * engine::kSecond).ns());
  ASSERT_EQ(o->client_requests.size(), 1u);
  const auto& front = o->client_requests[0];
  EXPECT_EQ(front.service, "productpage.default.svc.cluster.local");
  EXPECT_EQ(static_cast<std::int64_t>(front.requests),
            sql_int(fixture().bookinfo_db, "SELECT count(*) FROM requests WHERE run_id = 1"));
  EXPECT_EQ(front.success, front.requests);
  // The client rows' codes come from the `requests` rows, read after the first load.
  EXPECT_TRUE(o->client_outcomes_pending);
  EXPECT_FALSE(front.non5xx.has_value());
  auto outcomes =
      on_bookinfo([&](const results::Reader& r) { return load_client_outcomes(r, 1, &error); });
  ASSERT_TRUE(outcomes) << error;
  apply_client_outcomes(*o, *outcomes);
  EXPECT_FALSE(o->client_outcomes_pending);
  EXPECT_EQ(front.codes, "200:" + std::to_string(front.requests));
  EXPECT_EQ(front.non5xx, front.requests);
  for (const auto& h : o->hops) EXPECT_EQ(h.non5xx, h.requests);  // every hop answered 200
  std::map<std::string, std::uint64_t> reviews;
  for (const auto& h : o->hops) {
    if (h.service == kReviews) reviews[h.version] = h.requests;
    EXPECT_LE(h.p50, h.p90);
    EXPECT_LE(h.p90, h.p99);
  }
  EXPECT_EQ(reviews.size(), 2u);
  EXPECT_NEAR(
      static_cast<double>(reviews["v2"]) / static_cast<double>(reviews["v1"] + reviews["v2"]), 0.2,
      0.02);
  ASSERT_FALSE(o->inputs.empty());
  EXPECT_NE(o->inputs[0].second.find("reviews"), std::string::npos);
  EXPECT_EQ(o->event_counts["config_applied"],
            static_cast<std::uint64_t>(sql_int(
                fixture().bookinfo_db,
                "SELECT count(*) FROM events WHERE run_id = 1 AND kind = 'config_applied'")));
  // Each proxy's CPU (docs/semantics.md §19.5), busiest first.
  EXPECT_EQ(o->proxy_cpu.size(),
            static_cast<std::size_t>(sql_int(
                fixture().bookinfo_db,
                "SELECT count(*) FROM events WHERE run_id = 1 AND kind = 'proxy_cpu'")));
  ASSERT_FALSE(o->proxy_cpu.empty());
  for (std::size_t i = 0; i < o->proxy_cpu.size(); ++i) {
    EXPECT_GT(o->proxy_cpu[i].second, 0);
    EXPECT_LE(o->proxy_cpu[i].second, 1);
    if (i > 0) EXPECT_GE(o->proxy_cpu[i - 1].second, o->proxy_cpu[i].second);
  }
}

TEST_F(QueriesTest, MarkersMergeEventsOfAKindCloseInTime) {
  std::string error;
  auto m = on_bookinfo(
      [&](const results::Reader& r) { return load_markers(r, 1, engine::kSecond.ns(), &error); });
  ASSERT_TRUE(m) << error;
  // The end-of-run proxy_cpu summaries (docs/semantics.md §19.5) are not timeline markers.
  std::int64_t events = sql_int(fixture().bookinfo_db,
                                "SELECT count(*) FROM events WHERE run_id = 1 AND kind <> 'proxy_cpu'");
  ASSERT_GT(events, 1);
  std::uint64_t total = 0;
  for (const auto& marker : *m) total += marker.count;
  EXPECT_EQ(static_cast<std::int64_t>(total), events);  // merged, none lost
  EXPECT_LT(static_cast<std::int64_t>(m->size()), events);
  // Nothing merges when the window is zero and events differ in time; here all are at t=0.
  auto unmerged =
      on_bookinfo([&](const results::Reader& r) { return load_markers(r, 1, -1, &error); });
  ASSERT_TRUE(unmerged);
  EXPECT_EQ(static_cast<std::int64_t>(unmerged->size()), events);
}

TEST_F(QueriesTest, RequestPagesAndCountsMatchSql) {
  RequestFilter f;
  f.code = 503;
  std::string error;
  auto out = retries()->with_reader(
      [&](const results::Reader& r) {
        auto n = count_requests(r, 1, f, &error);
        std::vector<results::RequestRow> all;
        std::optional<std::uint64_t> after;
        for (;;) {
          auto page = load_requests_page(r, 1, f, after, 37, &error);
          if (!page || page->empty()) break;
          all.insert(all.end(), page->begin(), page->end());
          after = page->back().request_id;
        }
        return std::make_pair(n, all);
      },
      &error);
  ASSERT_TRUE(out && out->first) << error;
  std::int64_t expected =
      sql_int(fixture().retries_db,
              "SELECT count(*) FROM requests WHERE run_id = 1 AND response_code = 503");
  ASSERT_GT(expected, 0);
  EXPECT_EQ(static_cast<std::int64_t>(*out->first), expected);
  ASSERT_EQ(static_cast<std::int64_t>(out->second.size()), expected);
  for (std::size_t i = 0; i < out->second.size(); ++i) {
    EXPECT_EQ(out->second[i].response_code, 503);
    if (i) {
      EXPECT_GT(out->second[i].request_id, out->second[i - 1].request_id);
    }
  }
}

TEST_F(QueriesTest, FlagFilterMatchesWholeFlagsOnly) {
  std::string error;
  auto count = [&](const std::string& flag) {
    RequestFilter f;
    f.flag = flag;
    auto n = retries()->with_reader(
        [&](const results::Reader& r) { return count_requests(r, 1, f, &error); }, &error);
    return n && *n ? static_cast<std::int64_t>(**n) : -1;
  };
  std::int64_t urx = sql_int(fixture().retries_db,
                             "SELECT count(*) FROM requests WHERE run_id = 1 AND ',' || "
                             "response_flags || ',' LIKE '%,URX,%'");
  std::int64_t none =
      sql_int(fixture().retries_db,
              "SELECT count(*) FROM requests WHERE run_id = 1 AND response_flags = '-'");
  ASSERT_GT(urx, 0);
  EXPECT_EQ(count("URX"), urx);
  EXPECT_EQ(count("UR"), 0);  // a prefix of URX is not URX
  EXPECT_EQ(count("-"), none);
  EXPECT_EQ(count("URX") + count("-"),
            sql_int(fixture().retries_db, "SELECT count(*) FROM requests WHERE run_id = 1"));
}

TEST_F(QueriesTest, WithSpansFilterKeepsOnlySampledRequests) {
  RequestFilter f;
  f.with_spans_only = true;
  std::string error;
  auto n = retries()->with_reader(
      [&](const results::Reader& r) { return count_requests(r, 2, f, &error); }, &error);
  ASSERT_TRUE(n && *n) << error;
  std::int64_t sampled = sql_int(fixture().retries_db,
                                 "SELECT count(DISTINCT request_id) FROM spans WHERE run_id = 2");
  std::int64_t all =
      sql_int(fixture().retries_db, "SELECT count(*) FROM requests WHERE run_id = 2");
  EXPECT_EQ(static_cast<std::int64_t>(**n), sampled);
  EXPECT_GT(sampled, all / 10);  // 20 % sampled, so neither none nor all
  EXPECT_LT(sampled, all / 2);
}

TEST_F(QueriesTest, RequestDetailHoldsEveryAttemptOfARetriedRequest) {
  std::int64_t id = sql_int(fixture().retries_db,
                            "SELECT request_id FROM requests WHERE run_id = 1 AND attempts >= 3 "
                            "ORDER BY request_id LIMIT 1");
  ASSERT_GT(id, 0);
  std::string error;
  auto d = retries()->with_reader(
      [&](const results::Reader& r) {
        return load_request_detail(r, 1, static_cast<std::uint64_t>(id), &error);
      },
      &error);
  ASSERT_TRUE(d && *d) << error;
  const RequestDetail& detail = **d;
  EXPECT_EQ(static_cast<std::int64_t>(detail.request.request_id), id);
  ASSERT_EQ(static_cast<int>(detail.spans.size()), detail.request.attempts);
  for (std::size_t i = 0; i < detail.spans.size(); ++i) {
    EXPECT_EQ(detail.spans[i].attempt, static_cast<int>(i) + 1);
    EXPECT_FALSE(detail.spans[i].parent_span_id.has_value());
    if (i + 1 < detail.spans.size()) {
      EXPECT_EQ(detail.spans[i].response_code, 503);
    }
  }
}

TEST(QueriesFormat, CountsMostFrequentFirstAndDashWhenEmpty) {
  EXPECT_EQ(format_counts({{"200", 5}, {"503", 9}, {"404", 1}}, 2, ' '), "503:9 200:5");
  EXPECT_EQ(format_counts({{"-", 10}}, 3, ','), "-");
  EXPECT_EQ(format_counts({}, 3, ','), "-");
  EXPECT_EQ(short_service("reviews.default.svc.cluster.local"), "reviews");
  EXPECT_EQ(short_service("unknown"), "unknown");
}

}  // namespace
}  // namespace meshtwin::gui
