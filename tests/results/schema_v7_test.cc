// Schema 7 (docs/results-schema.md "Storage"): a label set is stored once per run in
// metric_series, a window's counts by series number in metric_counts, and metric_rows is the
// view over both with the columns the table had. The writer puts rows with one bucket filled
// into many-row statements: the rows must keep telemetry's order and their counts. The
// migration 6 -> 7 moves an old file's rows without changing what `metrics` shows.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "model/telemetry/response_flags.h"
#include "results/reader.h"
#include "results/writer.h"
#include "schema_6_metrics.h"
#include "temp_dir.h"

namespace meshtwin::results {
namespace {

using namespace meshtwin::telemetry;
using testing::TempDir;
constexpr engine::SimDuration kMs = engine::kMillisecond;
constexpr engine::SimDuration kS = engine::kSecond;

RunInfo run_info(std::string scenario) {
  RunInfo info;
  info.scenario = std::move(scenario);
  info.seed = 1;
  info.duration = 10 * kS;
  info.meshtwin_version = "0.1.0-test";
  info.metrics_interval = kS;
  return info;
}

// Pod names outlive the records (records carry views).
const std::vector<std::string>& pods() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (int i = 0; i < 100; ++i) out.push_back("reviews-v1-" + std::to_string(i));
    return out;
  }();
  return names;
}

HopRecord hop(SimTime start, engine::SimDuration duration, int pod, int code = 200) {
  HopRecord h;
  h.start = start;
  h.duration = duration;
  h.source_workload = "productpage-v1";
  h.destination_service = "reviews.default.svc.cluster.local";
  h.destination_workload = "reviews-v1";
  h.destination_version = "v1";
  h.destination_pod = pods()[static_cast<std::size_t>(pod)];
  h.response_code = code;
  h.peers.request_protocol = "http";
  return h;
}

std::vector<Row> q(const Reader& r, const std::string& sql) {
  std::string error;
  auto rows = r.query(sql, {}, &error);
  EXPECT_TRUE(rows) << error << "\n" << sql;
  return rows ? *rows : std::vector<Row>{};
}

std::unique_ptr<SqliteWriter> open_writer(const std::string& path) {
  std::string error;
  auto w = SqliteWriter::open(path, &error);
  EXPECT_TRUE(w) << error;
  return w;
}

// 70 label sets in window 0 (two many-row statements' worth and the rest), pod 40 with two
// requests in different buckets (a row with two pairs, still in a many-row statement), pod 41
// with three (a row of its own in the middle), then window 1.
void write_mixed_windows(SqliteWriter& w, const std::string& scenario) {
  w.begin_run(run_info(scenario));
  for (int pod = 0; pod < 70; ++pod) w.on_hop(hop(SimTime{} + pod * kMs, 3 * kMs, pod));
  w.on_hop(hop(SimTime{} + 100 * kMs, 200 * kMs, 40));  // pod 40 again: bucket_250
  w.on_hop(hop(SimTime{} + 100 * kMs, 200 * kMs, 41));  // pod 41: bucket_250
  w.on_hop(hop(SimTime{} + 100 * kMs, 20 * kMs, 41));   // and bucket_25
  w.on_hop(hop(SimTime{} + 1100 * kMs, 700 * kMs, 5, 503));  // window 1, its own label set
  w.on_hop(hop(SimTime{} + 1200 * kMs, 3 * kMs, 5));         // window 1, pod 5's first label set
  w.end_run({});
  ASSERT_TRUE(w.ok()) << w.error();
}

TEST(MetricSeries, RowsKeepTheirOrderAndCountsThroughManyRowStatements) {
  TempDir dir;
  const std::string path = dir.file("m.db");
  {
    auto w = open_writer(path);
    ASSERT_TRUE(w);
    write_mixed_windows(*w, "mixed");
    EXPECT_EQ(w->counters().metric_rows, 72u);
  }
  std::string error;
  auto reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;
  auto rows = q(*reader, "SELECT window_start_ns, destination_pod, response_code, requests, bucket_5, bucket_250, "
                         "bucket_1000, duration_sum_ns, bucket_25 FROM metrics WHERE run_id = 1");
  ASSERT_EQ(rows.size(), 72u);
  for (int pod = 0; pod < 70; ++pod) {
    SCOPED_TRACE(pod);
    const Row& r = rows[static_cast<std::size_t>(pod)];
    EXPECT_EQ(r[0], Value{std::int64_t{0}});
    EXPECT_EQ(r[1], Value{pods()[static_cast<std::size_t>(pod)]});
    EXPECT_EQ(r[3], Value{std::int64_t{pod == 40 ? 2 : pod == 41 ? 3 : 1}});
    EXPECT_EQ(r[4], Value{std::int64_t{1}});
    EXPECT_EQ(r[5], Value{std::int64_t{pod == 40 || pod == 41 ? 1 : 0}});
    EXPECT_EQ(r[7], Value{(pod == 40 ? 203 : pod == 41 ? 223 : 3) * kMs.ns()});
    EXPECT_EQ(r[8], Value{std::int64_t{pod == 41 ? 1 : 0}});
  }
  EXPECT_EQ(rows[70][0], Value{kS.ns()});
  EXPECT_EQ(rows[70][1], Value{pods()[5]});
  EXPECT_EQ(rows[70][2], Value{std::int64_t{503}});
  EXPECT_EQ(rows[70][6], Value{std::int64_t{1}});
  EXPECT_EQ(rows[71][2], Value{std::int64_t{200}});
  // One metric_series row per label set (pod 5 has two: 200 and 503), numbered first seen first.
  auto series = q(*reader, "SELECT series, destination_pod, response_code FROM metric_series WHERE run_id = 1 "
                           "ORDER BY series");
  ASSERT_EQ(series.size(), 71u);
  EXPECT_EQ(series[70][0], Value{std::int64_t{70}});
  EXPECT_EQ(series[70][2], Value{std::int64_t{503}});
  EXPECT_EQ(q(*reader, "SELECT count(*) FROM metric_counts")[0][0], Value{std::int64_t{72}});
  EXPECT_EQ(q(*reader, "SELECT type FROM sqlite_schema WHERE name = 'metric_rows'")[0][0], Value{std::string("view")});
  // Every bucket column holds a number, never NULL, and they add up to `requests`.
  EXPECT_EQ(q(*reader, "SELECT count(*) FROM metric_counts WHERE requests != bucket_0_5 + bucket_1 + bucket_5 + "
                       "bucket_10 + bucket_25 + bucket_50 + bucket_100 + bucket_250 + bucket_500 + bucket_1000 + "
                       "bucket_2500 + bucket_5000 + bucket_10000 + bucket_30000 + bucket_60000 + bucket_300000 + "
                       "bucket_600000 + bucket_1800000 + bucket_3600000 + bucket_inf")[0][0],
            Value{std::int64_t{0}});
}

TEST(MetricSeries, MigratesSchema6AndKeepsWhatMetricsShows) {
  TempDir dir;
  const std::string path = dir.file("v6.db");
  {
    auto w = open_writer(path);
    ASSERT_TRUE(w);
    write_mixed_windows(*w, "old");
    write_mixed_windows(*w, "old too");
  }
  const std::string all_metrics = "SELECT * FROM metrics ORDER BY run_id";
  std::vector<Row> before;
  std::string error;
  {
    auto reader = Reader::open(path, &error);
    ASSERT_TRUE(reader) << error;
    before = q(*reader, all_metrics);
    ASSERT_EQ(before.size(), 144u);
  }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(testing::metrics_as_schema_6(db), "");
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 6", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  {
    // A reader takes the file as it is.
    auto reader = Reader::open(path, &error);
    ASSERT_TRUE(reader) << error;
    EXPECT_EQ(q(*reader, all_metrics), before);
    EXPECT_EQ(reader->count_rows("metrics", 2), 72u);
    EXPECT_EQ(q(*reader, "SELECT type FROM sqlite_schema WHERE name = 'metric_rows'")[0][0],
              Value{std::string("table")});
  }
  {
    auto w = open_writer(path);  // upgrades
    ASSERT_TRUE(w);
    write_mixed_windows(*w, "new");
  }
  auto reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;
  EXPECT_EQ(reader->schema_version(), kSchemaVersion);
  auto after = q(*reader, all_metrics);
  ASSERT_EQ(after.size(), 216u);
  after.resize(before.size());
  EXPECT_EQ(after, before);
  // The old runs' label sets are numbered per run in the order they were first written.
  auto series = q(*reader, "SELECT run_id, count(*), min(series), max(series) FROM metric_series GROUP BY run_id");
  ASSERT_EQ(series.size(), 3u);
  for (const Row& r : series) {
    EXPECT_EQ(r[1], Value{std::int64_t{71}});
    EXPECT_EQ(r[2], Value{std::int64_t{0}});
    EXPECT_EQ(r[3], Value{std::int64_t{70}});
  }
  EXPECT_EQ(q(*reader, "SELECT destination_pod FROM metric_series WHERE run_id = 1 AND series = 70")[0][0],
            q(*reader, "SELECT destination_pod FROM metric_series WHERE run_id = 3 AND series = 70")[0][0]);
  EXPECT_EQ(q(*reader, "SELECT count(*) FROM sqlite_schema WHERE name = 'metric_counts_by_run'")[0][0],
            Value{std::int64_t{1}});
}

// Without a warm-up the hop summaries are the source reporter's window rows added up (on the
// writer thread); with one, each hop is counted as it comes. Hops that all start after the
// warm-up give the same summaries both ways: counts, successes, flags and percentiles.
TEST(MetricSeries, HopSummariesFromWindowRowsEqualCountingEachHop) {
  TempDir dir;
  auto summaries_with_warmup = [&](std::int64_t warmup_ns, bool background) {
    const std::string path = dir.file("s" + std::to_string(warmup_ns) + (background ? "b" : "") + ".db");
    WriterOptions options;
    options.warmup = warmup_ns;
    options.background = background;
    std::string error;
    auto w = SqliteWriter::open(path, &error, options);
    EXPECT_TRUE(w) << error;
    if (!w) return std::vector<SummaryRow>{};
    w->begin_run(run_info("summaries"));
    for (int i = 0; i < 300; ++i) {
      const SimTime start = SimTime{} + kMs + i * 20 * kMs;  // 6 s: several windows
      HopRecord h = hop(start, (1 + i % 37) * kMs, i % 7, i % 11 == 0 ? 503 : 200);
      h.destination_version = i % 3 == 0 ? "v2" : "v1";
      if (i % 11 == 0) h.response_flags = kUpstreamOverflow;
      if (i % 13 == 0) h.response_flags |= kUpstreamRetryLimitExceeded;
      w->on_hop(h);
      SpanRecord s;  // the destination reporter: not in the hop summaries
      s.start = start;
      s.duration = 2 * kMs;
      s.source_workload = h.source_workload;
      s.destination_service = h.destination_service;
      s.destination_pod = h.destination_pod;
      s.response_code = 200;
      s.reached_upstream = true;
      s.sampled = false;
      w->on_span(s);
    }
    w->end_run({});
    EXPECT_TRUE(w->ok()) << w->error();
    w.reset();
    auto reader = Reader::open(path, &error);
    EXPECT_TRUE(reader) << error;
    return reader ? reader->summaries(1) : std::vector<SummaryRow>{};
  };
  const auto by_hop = summaries_with_warmup(1, true);
  ASSERT_EQ(by_hop.size(), 2u);
  EXPECT_EQ(by_hop[0].requests + by_hop[1].requests, 300u);
  for (bool background : {true, false}) {
    const auto by_window = summaries_with_warmup(0, background);
    ASSERT_EQ(by_window.size(), by_hop.size());
    for (std::size_t i = 0; i < by_hop.size(); ++i) {
      SCOPED_TRACE(by_hop[i].destination_version);
      EXPECT_EQ(by_window[i].destination_service, by_hop[i].destination_service);
      EXPECT_EQ(by_window[i].destination_version, by_hop[i].destination_version);
      EXPECT_EQ(by_window[i].requests, by_hop[i].requests);
      EXPECT_EQ(by_window[i].success, by_hop[i].success);
      EXPECT_EQ(by_window[i].p50, by_hop[i].p50);
      EXPECT_EQ(by_window[i].p90, by_hop[i].p90);
      EXPECT_EQ(by_window[i].p99, by_hop[i].p99);
      EXPECT_EQ(by_window[i].flags, by_hop[i].flags);
    }
  }
}

}  // namespace
}  // namespace meshtwin::results
