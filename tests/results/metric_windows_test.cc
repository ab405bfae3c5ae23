// telemetry::MetricWindows without SQLite: the aggregation any sink (the writer, an exporter,
// a live view) reuses, checked through an in-memory row sink.
#include "model/telemetry/metric_windows.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meshtwin::telemetry {
namespace {

constexpr engine::SimDuration kMs = engine::kMillisecond;
constexpr engine::SimDuration kS = engine::kSecond;

struct Row {
  SimTime start;
  engine::SimDuration width;
  std::string reporter, source, version, pod, security, protocol;
  int code;
  std::uint32_t flags;
  MetricCounts counts;
  BucketCounts buckets;
};

struct Rows : MetricRowSink {
  const MetricWindows* w = nullptr;
  std::vector<Row> rows;
  void on_metric_window(const FinishedWindow& window) override {
    for (const MetricCounts& c : window.rows) {
      const MetricLabels& k = w->labels(c.series);
      rows.push_back({window.start, window.width, std::string(to_string(k.reporter)),
                      std::string(w->text(k.source_workload)), std::string(w->text(k.destination_version)),
                      std::string(w->text(k.destination_pod)), std::string(w->text(k.peers[8])),
                      std::string(w->text(k.peers[7])), k.response_code, k.response_flags, c, window.buckets(c)});
    }
  }
};

HopRecord hop(SimTime start, engine::SimDuration duration, std::string_view version = "v1", int code = 200) {
  HopRecord h;
  h.start = start;
  h.duration = duration;
  h.source_workload = "productpage-v1";
  h.destination_service = "reviews.default.svc.cluster.local";
  h.destination_workload = version == "v1" ? "reviews-v1" : "reviews-v2";
  h.destination_version = version;
  h.destination_pod = version == "v1" ? "reviews-v1-0" : "reviews-v2-0";
  h.response_code = code;
  h.peers.request_protocol = "http";
  h.peers.secure = true;
  return h;
}

TEST(MetricWindows, CountsPerWindowOfTheRequestsEndAndLabelSet) {
  MetricWindows w;
  Rows out;
  out.w = &w;
  w.begin_run(kS, 1, &out);
  w.on_hop(hop(engine::SimTime{} + 100 * kMs, 3 * kMs));
  w.on_hop(hop(engine::SimTime{} + 200 * kMs, 7 * kMs));
  w.on_hop(hop(engine::SimTime{} + 300 * kMs, 2 * kMs, "v2", 503));
  w.on_hop(hop(engine::SimTime{} + 990 * kMs, 20 * kMs));  // ends at 1.01 s: the second window
  EXPECT_TRUE(out.rows.empty());       // window 0 waits for records one window late
  w.flush();
  ASSERT_EQ(out.rows.size(), 3u);
  // First seen first within a window, windows in time order.
  EXPECT_EQ(out.rows[0].start, engine::SimTime{});
  EXPECT_EQ(out.rows[0].width, kS);
  EXPECT_EQ(out.rows[0].version, "v1");
  EXPECT_EQ(out.rows[0].counts.requests, 2u);
  EXPECT_EQ(out.rows[0].counts.duration_sum, (10 * kMs).ns());
  EXPECT_EQ(out.rows[0].buckets[duration_bucket(3 * kMs)], 1u);
  EXPECT_EQ(out.rows[0].buckets[duration_bucket(7 * kMs)], 1u);
  EXPECT_EQ(out.rows[1].version, "v2");
  EXPECT_EQ(out.rows[1].code, 503);
  EXPECT_EQ(out.rows[2].start, engine::SimTime{} + kS);
  EXPECT_EQ(out.rows[2].buckets[duration_bucket(20 * kMs)], 1u);
  // The source reporter cannot know the server's security policy (Istio: `unknown`).
  EXPECT_EQ(out.rows[0].reporter, "source");
  EXPECT_EQ(out.rows[0].security, "unknown");
  EXPECT_EQ(out.rows[0].protocol, "http");
  EXPECT_EQ(w.newest_end(), engine::SimTime{} + 1010 * kMs);
}

// A label set's buckets are inline while at most two are filled and spread past that; either
// way a row's buckets are every request's, in the bucket its duration falls in.
TEST(MetricWindows, BucketsStayExactWhetherInlineOrSpread) {
  MetricWindows w;
  Rows out;
  out.w = &w;
  w.begin_run(kS, 1, &out);
  // Window 0: v1 fills one bucket, v2 two (the second seen first), v3 five (spread after the
  // third). Window 1: v1 again, three buckets, so a spread row follows an inline one.
  const std::vector<std::pair<std::string_view, std::vector<int>>> plan = {
      {"v1", {3, 3, 3}}, {"v2", {40, 3, 40, 40}}, {"v3", {3, 40, 200, 400, 3, 700, 40}}};
  std::map<std::string, BucketCounts> expected;
  for (const auto& [version, durations_ms] : plan) {
    for (int ms : durations_ms) {
      w.on_hop(hop(engine::SimTime{}, ms * kMs, version));
      ++expected[std::string(version)][duration_bucket(ms * kMs)];
    }
  }
  BucketCounts later{};
  for (int ms : {3, 700, 40, 3}) {
    w.on_hop(hop(engine::SimTime{} + 1200 * kMs, ms * kMs));
    ++later[duration_bucket(ms * kMs)];
  }
  w.flush();
  ASSERT_EQ(out.rows.size(), 4u);
  for (std::size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(out.rows[i].version);
    EXPECT_EQ(out.rows[i].buckets, expected[out.rows[i].version]);
    EXPECT_EQ(out.rows[i].counts.spread(), out.rows[i].version == "v3");
  }
  EXPECT_EQ(out.rows[1].counts.requests, 4u);
  EXPECT_EQ(out.rows[2].counts.requests, 7u);
  EXPECT_EQ(out.rows[3].buckets, later);
  EXPECT_TRUE(out.rows[3].counts.spread());
}

TEST(MetricWindows, FinishesAWindowOnceRecordsAreLagWindowsPastIt) {
  MetricWindows w;
  Rows out;
  out.w = &w;
  w.begin_run(kS, 1, &out);
  w.on_hop(hop(engine::SimTime{}, 500 * kMs));
  w.on_hop(hop(engine::SimTime{} + kS, 500 * kMs));
  EXPECT_TRUE(out.rows.empty());
  w.on_hop(hop(engine::SimTime{} + 2 * kS, 500 * kMs));  // window 2 opens: window 0 is done
  ASSERT_EQ(out.rows.size(), 1u);
  EXPECT_EQ(out.rows[0].start, engine::SimTime{});
  // A late record for a window still open is counted there.
  w.on_hop(hop(engine::SimTime{} + kS, 600 * kMs));
  w.flush();
  ASSERT_EQ(out.rows.size(), 3u);
  EXPECT_EQ(out.rows[1].start, engine::SimTime{} + kS);
  EXPECT_EQ(out.rows[1].counts.requests, 2u);
}

TEST(MetricWindows, SpansCountAtTheDestinationWithWhatTheServerSidecarSaw) {
  MetricWindows w;
  Rows out;
  out.w = &w;
  w.begin_run(kS, 1, &out);
  SpanRecord s;
  s.source_workload = "productpage-v1";
  s.destination_service = "reviews.default.svc.cluster.local";
  s.destination_version = "v1";
  s.destination_workload = "reviews-v1";
  s.destination_pod = "";  // does not apply: `unknown`
  s.duration = 5 * kMs;
  s.response_code = 503;
  s.response_flags = 1;
  s.upstream_flags = 2;
  s.reached_upstream = false;
  w.on_span(s);  // never reached the server: no destination-reporter request
  s.reached_upstream = true;
  s.peers.secure = true;
  w.on_span(s);
  s.peers.secure = false;
  w.on_span(s);
  w.flush();
  ASSERT_EQ(out.rows.size(), 2u);
  EXPECT_EQ(out.rows[0].reporter, "destination");
  EXPECT_EQ(out.rows[0].flags, 2u);
  EXPECT_EQ(out.rows[0].pod, "unknown");
  EXPECT_EQ(out.rows[0].security, "mutual_tls");
  EXPECT_EQ(out.rows[1].security, "none");
}

TEST(MetricWindows, ASecondRunStartsAfresh) {
  MetricWindows w;
  Rows out;
  out.w = &w;
  w.begin_run(kS, 1, &out);
  w.on_hop(hop(SimTime{}, kMs));
  w.begin_run(2 * kS, 1, &out);  // the first run's open window is dropped, not written
  w.on_hop(hop(SimTime{}, kMs));
  w.flush();
  ASSERT_EQ(out.rows.size(), 1u);
  EXPECT_EQ(out.rows[0].width, 2 * kS);
  // A detached sink gets nothing more.
  w.on_hop(hop(SimTime{}, kMs));
  w.detach();
  w.flush();
  EXPECT_EQ(out.rows.size(), 1u);
}

// The label set of a record is cached by its views' addresses: equal texts at other addresses
// are the same series, a view of a prefix at the same address is another one.
TEST(MetricWindows, SeriesFollowTheTextsNotTheAddresses) {
  MetricWindows w;
  Rows out;
  out.w = &w;
  w.begin_run(kS, 1, &out);
  const std::string a = "reviews-v1-0", b = "reviews-v1-0";  // two buffers, one text
  HopRecord h = hop(SimTime{}, kMs);
  h.destination_pod = a;
  w.on_hop(h);
  h.destination_pod = b;
  w.on_hop(h);
  h.destination_pod = std::string_view(a).substr(0, 7);  // "reviews": same address, shorter
  w.on_hop(h);
  h.destination_pod = a;
  w.on_hop(h);
  w.flush();
  ASSERT_EQ(out.rows.size(), 2u);
  EXPECT_EQ(out.rows[0].pod, "reviews-v1-0");
  EXPECT_EQ(out.rows[0].counts.requests, 3u);
  EXPECT_EQ(out.rows[1].pod, "reviews");
  EXPECT_EQ(out.rows[1].counts.requests, 1u);
}

// More label sets than the tuple cache has slots, revisited in another order and across
// windows: every count lands on its own series (evictions cost a lookup, never a wrong row),
// and each window lists its series in the order that window first saw them.
TEST(MetricWindows, ManySeriesKeepTheirCountsAndFirstSeenOrderPerWindow) {
  MetricWindows w;
  Rows out;
  out.w = &w;
  w.begin_run(kS, 1, &out);
  constexpr int kPods = 3000;
  std::vector<std::string> pods;
  for (int i = 0; i < kPods; ++i) pods.push_back("pod-" + std::to_string(i));
  auto at = [&](int pod, SimTime start, int times) {
    HopRecord h = hop(start, kMs);
    h.destination_pod = pods[static_cast<std::size_t>(pod)];
    for (int k = 0; k < times; ++k) w.on_hop(h);
  };
  for (int i = 0; i < kPods; ++i) at(i, SimTime{}, 1);              // window 0: 0, 1, 2, ...
  for (int i = kPods - 1; i >= 0; --i) at(i, SimTime{}, i % 3);     // more of the same, reversed
  for (int i = kPods - 1; i >= 0; --i) at(i, SimTime{} + kS, 1);    // window 1: ..., 2, 1, 0
  w.flush();
  ASSERT_EQ(out.rows.size(), 2u * kPods);
  for (int i = 0; i < kPods; ++i) {
    const Row& r0 = out.rows[static_cast<std::size_t>(i)];
    EXPECT_EQ(r0.start, SimTime{});
    EXPECT_EQ(r0.pod, pods[static_cast<std::size_t>(i)]);
    EXPECT_EQ(r0.counts.requests, 1u + static_cast<unsigned>(i % 3));
    const Row& r1 = out.rows[static_cast<std::size_t>(kPods + i)];
    EXPECT_EQ(r1.start, SimTime{} + kS);
    EXPECT_EQ(r1.pod, pods[static_cast<std::size_t>(kPods - 1 - i)]);
    EXPECT_EQ(r1.counts.requests, 1u);
  }
}

// The model's LabelKey path (records.h): a table that grows from 1,024 slots past 8,000 keys
// keeps every key (grown, not emptied), and each key keeps its series through the growth.
TEST(MetricWindows, ManyLabelKeysKeepTheirSeriesAsTheTableGrows) {
  MetricWindows w;
  Rows out;
  out.w = &w;
  w.begin_run(kS, 1, &out);
  constexpr int kPods = 9000;
  std::vector<std::string> pods;
  for (int i = 0; i < kPods; ++i) pods.push_back("pod-" + std::to_string(i));
  auto at = [&](int pod, SimTime start) {
    HopRecord h = hop(start, kMs);
    h.destination_pod = pods[static_cast<std::size_t>(pod)];
    h.label_key = {static_cast<std::uint64_t>(pod) + 1, 42};  // one key per pod, as the model promises
    std::uint32_t series = 0;
    w.on_hop(h, &series);
    return series;
  };
  for (int i = 0; i < kPods; ++i) EXPECT_EQ(at(i, SimTime{}), static_cast<std::uint32_t>(i));
  for (int i = kPods - 1; i >= 0; --i) ASSERT_EQ(at(i, SimTime{} + kS), static_cast<std::uint32_t>(i)) << i;
  EXPECT_EQ(w.series_count(), static_cast<std::size_t>(kPods));
  w.flush();
  ASSERT_EQ(out.rows.size(), 2u * kPods);
  for (int i = 0; i < kPods; ++i) {
    EXPECT_EQ(out.rows[static_cast<std::size_t>(i)].pod, pods[static_cast<std::size_t>(i)]);
    EXPECT_EQ(out.rows[static_cast<std::size_t>(kPods + i)].pod, pods[static_cast<std::size_t>(kPods - 1 - i)]);
  }
}

// Records for the window being filled are counted a batch at a time (MetricWindows
// kPendingBatch): a record that finishes windows still finds every earlier record counted, and a
// new run starts from nothing whatever was waiting.
TEST(MetricWindows, BatchedCountingHandsOverWhatCameBefore) {
  MetricWindows w;
  Rows out;
  out.w = &w;
  w.begin_run(kS, 1, &out);
  for (int i = 0; i < 45; ++i) w.on_hop(hop(SimTime{}, kMs, i % 3 == 0 ? "v2" : "v1"));  // window 0
  EXPECT_TRUE(out.rows.empty());
  w.on_hop(hop(SimTime{} + 2 * kS, kMs));  // window 2 opens: window 0 goes, with all 45
  ASSERT_EQ(out.rows.size(), 2u);
  EXPECT_EQ(out.rows[0].version, "v2");  // first seen first
  EXPECT_EQ(out.rows[0].counts.requests, 15u);
  EXPECT_EQ(out.rows[1].version, "v1");
  EXPECT_EQ(out.rows[1].counts.requests, 30u);
  for (int i = 0; i < 5; ++i) w.on_hop(hop(SimTime{} + 2 * kS, kMs));
  w.begin_run(kS, 1, &out);  // window 2's 5 are dropped with the run
  for (int i = 0; i < 5; ++i) w.on_hop(hop(SimTime{}, kMs));
  w.flush();
  ASSERT_EQ(out.rows.size(), 3u);
  EXPECT_EQ(out.rows[2].counts.requests, 5u);
}

// The producer's SeriesMemo (records.h LabelKey::memo): one memo passed from key to key, code
// to code and reporter to reporter gives every record the series the key table gives, and a
// memo an earlier run wrote is not trusted (series are numbered afresh in each run).
TEST(MetricWindows, SeriesMemosShortcutTheKeyTableButNotAcrossRuns) {
  MetricWindows w;
  Rows out;
  out.w = &w;
  SeriesMemo memo;
  auto source = [&](std::string_view version, int code, bool with_memo) {
    HopRecord h = hop(SimTime{}, kMs, version, code);
    h.label_key = {version == "v1" ? 1u : 2u, 42, with_memo ? &memo : nullptr};
    std::uint32_t series = 0;
    w.on_hop(h, &series);
    return series;
  };
  auto destination = [&](std::string_view version) {
    const HopRecord h = hop(SimTime{}, kMs, version);
    SpanRecord s;
    s.start = h.start;
    s.duration = h.duration;
    s.source_workload = h.source_workload;
    s.destination_service = h.destination_service;
    s.destination_workload = h.destination_workload;
    s.destination_version = h.destination_version;
    s.destination_pod = h.destination_pod;
    s.response_code = 200;
    s.reached_upstream = true;
    s.peers = h.peers;
    s.label_key = {version == "v1" ? 1u : 2u, 42, &memo};
    w.on_span(s);
  };
  w.begin_run(kS, 1, &out);
  const std::uint32_t v1 = source("v1", 200, false), v2 = source("v2", 200, false), v1_503 = source("v1", 503, false);
  EXPECT_EQ(source("v1", 200, true), v1);
  destination("v1");  // the same key and code for the other reporter: its own series
  EXPECT_EQ(source("v1", 200, true), v1);
  EXPECT_EQ(source("v2", 200, true), v2);
  EXPECT_EQ(source("v1", 503, true), v1_503);
  EXPECT_EQ(source("v1", 200, true), v1);
  EXPECT_EQ(w.series_count(), 4u);
  w.flush();
  std::map<std::string, std::uint64_t> requests;  // by "reporter version"
  for (const Row& r : out.rows) requests[r.reporter + " " + r.version] += r.counts.requests;
  EXPECT_EQ(requests["source v1"], 6u);
  EXPECT_EQ(requests["source v2"], 2u);
  EXPECT_EQ(requests["destination v1"], 1u);
  // A second run: the memo still names v1/200 with the first run's series, which is v2's now.
  w.begin_run(kS, 1, &out);
  ASSERT_EQ(source("v2", 200, false), 0u);
  const std::uint32_t again = source("v1", 200, true);
  EXPECT_EQ(again, 1u);
  EXPECT_EQ(w.text(w.labels(again).destination_version), "v1");
}

}  // namespace
}  // namespace meshtwin::telemetry
