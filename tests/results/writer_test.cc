#include "results/writer.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "model/telemetry/response_flags.h"
#include "results/export_prometheus.h"
#include "results/reader.h"
#include "results/report.h"
#include "schema_6_metrics.h"
#include "temp_dir.h"

namespace meshtwin::results {
namespace {

using namespace meshtwin::telemetry;
using testing::TempDir;
constexpr engine::SimDuration kMs = engine::kMillisecond;
constexpr engine::SimDuration kS = engine::kSecond;

RunInfo run_info(std::string scenario = "unit", engine::SimDuration interval = kS) {
  RunInfo info;
  info.scenario = std::move(scenario);
  info.seed = 7;
  info.duration = 10 * kS;
  info.meshtwin_version = "0.1.0-test";
  info.metrics_interval = interval;
  info.inputs = {{"scenario.yaml", "kind: Scenario\n"}, {"manifests/app.yaml", "kind: Service\n"}};
  return info;
}

RequestRecord request(std::uint64_t id, SimTime start, engine::SimDuration duration, int code,
                      std::uint32_t flags = 0, std::string_view version = "v1") {
  RequestRecord r;
  r.request_id = id;
  r.client = "users";
  r.start = start;
  r.duration = duration;
  r.method = "GET";
  r.authority = "bookinfo.example.com";
  r.path = "/productpage";
  r.response_code = code;
  r.response_flags = flags;
  r.attempts = 1;
  r.route_name = "80";
  r.vs_rule = "default/bookinfo#http[0]";
  r.destination_service = "productpage.default.svc.cluster.local";
  r.destination_version = version;
  r.destination_workload = "productpage-v1";
  return r;
}

HopRecord hop(SimTime start, engine::SimDuration duration, int code = 200, std::uint32_t flags = 0,
              std::string_view version = "v1") {
  HopRecord h;
  h.start = start;
  h.duration = duration;
  h.source_workload = "productpage-v1";
  h.destination_service = "reviews.default.svc.cluster.local";
  h.destination_workload = version == "v1" ? "reviews-v1" : "reviews-v2";
  h.destination_version = version;
  h.destination_pod = version == "v1" ? "reviews-v1-0" : "reviews-v2-0";
  h.response_code = code;
  h.response_flags = flags;
  return h;
}

std::unique_ptr<SqliteWriter> open_writer(const std::string& path, const WriterOptions& options = {}) {
  std::string error;
  auto w = SqliteWriter::open(path, &error, options);
  EXPECT_TRUE(w) << error;
  return w;
}

std::vector<Row> q(const Reader& r, const std::string& sql, std::vector<Value> params = {}) {
  std::string error;
  auto rows = r.query(sql, params, &error);
  EXPECT_TRUE(rows.has_value()) << error << "\n" << sql;
  return rows ? *rows : std::vector<Row>{};
}

std::int64_t i64(const Value& v) {
  auto* p = std::get_if<std::int64_t>(&v);
  EXPECT_TRUE(p) << "not an integer";
  return p ? *p : -1;
}
std::string str(const Value& v) {
  auto* p = std::get_if<std::string>(&v);
  EXPECT_TRUE(p) << "not text";
  return p ? *p : "<not text>";
}

TEST(SqliteWriter, RoundTripThroughTheDesignViews) {
  TempDir dir;
  std::string path = dir.file("r.db");
  std::int64_t run = 0;
  {
    auto w = open_writer(path);
    ASSERT_TRUE(w);
    w->begin_run(run_info());
    run = w->run_id();
    EXPECT_GT(run, 0);
    auto r1 = request(1, engine::SimTime{} + 100 * kMs, 12 * kMs, 200);
    r1.degraded_calls = 2;
    w->on_request(r1);
    auto r2 = request(2, engine::SimTime{} + 200 * kMs, 3 * kS, 504, kUpstreamRequestTimeout | kUpstreamRetryLimitExceeded);
    r2.attempts = 3;
    w->on_request(r2);
    RequestRecord r3;  // unrouted: empty labels read back as the Istio defaults
    r3.request_id = 3;
    r3.client = "users";
    r3.method = "GET";
    r3.authority = "nowhere";
    r3.path = "/";
    r3.response_code = 404;
    r3.response_flags = kNoRouteFound;
    w->on_request(r3);

    SpanRecord s;
    s.request_id = 1;
    s.span_id = 11;
    s.kind = SpanKind::Attempt;
    s.source_workload = "istio-ingressgateway";
    s.source_pod = "istio-ingressgateway-0";
    s.destination_service = "productpage.default.svc.cluster.local";
    s.destination_version = "v1";
    s.destination_workload = "productpage-v1";
    s.destination_pod = "productpage-v1-0";
    s.cluster = "outbound|9080||productpage.default.svc.cluster.local";
    s.route_name = "80";
    s.attempt = 1;
    s.app_attempt = 1;
    s.config_version = 4;
    s.start = engine::SimTime{} + 100 * kMs;
    s.duration = 11 * kMs;
    s.response_code = 200;
    s.reached_upstream = true;
    s.sampled = true;
    w->on_span(s);
    SpanRecord child = s;  // a retry whose first try timed out; not sampled: no row
    child.span_id = 12;
    child.parent_span_id = 11;
    child.sampled = false;
    w->on_span(child);
    SpanRecord local = s;
    local.span_id = 13;
    local.parent_span_id = 11;
    local.kind = SpanKind::LocalReply;
    local.destination_pod = "";
    local.response_code = 503;
    local.response_flags = kNoHealthyUpstream;
    local.reached_upstream = false;
    w->on_span(local);

    w->on_hop(hop(engine::SimTime{} + 100 * kMs, 11 * kMs));
    w->on_event({engine::SimTime{} + 50 * kMs, "config_applied", "productpage-v1-0.default", "3"});
    w->on_event({engine::SimTime{} + 60 * kMs, "pod_ready", "reviews-v2-0.default", ""});
    EXPECT_TRUE(w->ok()) << w->error();
    telemetry::RunEnd end;
    end.sim_end = engine::SimTime{} + 4 * kS;
    end.wall_seconds = 1.25;
    w->end_run(end);
    EXPECT_TRUE(w->ok()) << w->error();
    EXPECT_EQ(w->counters().requests, 3u);
    EXPECT_EQ(w->counters().spans, 2u);
  }

  std::string error;
  auto reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;

  auto runs = q(*reader, "SELECT run_id, scenario, seed, sim_duration_ns, wall_seconds, "
                         "meshtwin_version, status FROM runs");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(i64(runs[0][0]), run);
  EXPECT_EQ(str(runs[0][1]), "unit");
  EXPECT_EQ(i64(runs[0][2]), 7);
  EXPECT_EQ(i64(runs[0][3]), (10 * kS).ns());
  EXPECT_DOUBLE_EQ(std::get<double>(runs[0][4]), 1.25);
  EXPECT_EQ(str(runs[0][5]), "0.1.0-test");
  EXPECT_EQ(str(runs[0][6]), "complete");
  auto info = reader->run(run);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->sim_end, (4 * kS).ns());
  EXPECT_EQ(info->metrics_interval, kS.ns());

  auto req = q(*reader, "SELECT * FROM requests WHERE run_id = ? ORDER BY request_id", {run});
  ASSERT_EQ(req.size(), 3u);
  ASSERT_EQ(req[0].size(), 20u);  // the docs/design.md §3.3 columns, sim_outcome (v3), location, redirect_of (v6)
  EXPECT_EQ(i64(req[0][1]), 1);
  EXPECT_EQ(str(req[0][2]), "users");
  EXPECT_EQ(i64(req[0][3]), (100 * kMs).ns());
  EXPECT_EQ(i64(req[0][4]), (12 * kMs).ns());
  EXPECT_EQ(str(req[0][5]), "GET");
  EXPECT_EQ(str(req[0][6]), "bookinfo.example.com");
  EXPECT_EQ(str(req[0][7]), "/productpage");
  EXPECT_EQ(i64(req[0][8]), 200);
  EXPECT_EQ(str(req[0][9]), "-");
  EXPECT_EQ(i64(req[0][10]), 1);
  EXPECT_EQ(str(req[0][11]), "80");
  EXPECT_EQ(str(req[0][12]), "default/bookinfo#http[0]");
  EXPECT_EQ(str(req[0][13]), "productpage.default.svc.cluster.local");
  EXPECT_EQ(str(req[0][14]), "v1");
  EXPECT_EQ(str(req[0][15]), "productpage-v1");
  EXPECT_EQ(i64(req[0][16]), 2);
  EXPECT_EQ(str(req[1][9]), "UT,URX");
  EXPECT_EQ(i64(req[1][10]), 3);
  EXPECT_EQ(str(req[2][9]), "NR");
  EXPECT_EQ(str(req[2][11]), "-");
  EXPECT_EQ(str(req[2][12]), "-");
  EXPECT_EQ(str(req[2][13]), "unknown");
  EXPECT_EQ(str(req[2][15]), "unknown");

  // The typed iterator sees the same.
  std::vector<RequestRow> typed;
  reader->for_each_request(run, [&](const RequestRow& r) {
    typed.push_back(r);
    return true;
  });
  ASSERT_EQ(typed.size(), 3u);
  EXPECT_EQ(typed[1].response_flags, "UT,URX");
  EXPECT_EQ(typed[1].duration, (3 * kS).ns());
  EXPECT_EQ(typed[0].vs_rule, "default/bookinfo#http[0]");

  auto spans = q(*reader, "SELECT * FROM spans WHERE run_id = ? ORDER BY span_id", {run});
  ASSERT_EQ(spans.size(), 2u);  // the unsampled span left no row
  ASSERT_EQ(spans[0].size(), 26u);  // plus sim_outcome (v3), received_path, received_authority, received_headers, location (v6)
  EXPECT_EQ(i64(spans[0][2]), 11);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(spans[0][3]));  // no parent: NULL
  EXPECT_EQ(str(spans[0][4]), "attempt");
  EXPECT_EQ(str(spans[0][5]), "istio-ingressgateway");
  EXPECT_EQ(str(spans[0][6]), "istio-ingressgateway-0");
  EXPECT_EQ(str(spans[0][10]), "productpage-v1-0");
  EXPECT_EQ(str(spans[0][11]), "outbound|9080||productpage.default.svc.cluster.local");
  EXPECT_EQ(i64(spans[0][15]), 4);
  EXPECT_EQ(i64(spans[0][17]), (11 * kMs).ns());
  EXPECT_EQ(str(spans[0][19]), "-");
  EXPECT_EQ(i64(spans[1][2]), 13);
  EXPECT_EQ(i64(spans[1][3]), 11);
  EXPECT_EQ(str(spans[1][4]), "local_reply");
  EXPECT_EQ(str(spans[1][10]), "unknown");
  EXPECT_EQ(i64(spans[1][18]), 503);
  EXPECT_EQ(str(spans[1][19]), "UH");
  EXPECT_EQ(str(spans[1][20]), "-");

  auto events = reader->events(run);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, "config_applied");
  EXPECT_EQ(events[0].subject, "productpage-v1-0.default");
  EXPECT_EQ(events[0].detail, "3");
  EXPECT_EQ(events[1].time, (60 * kMs).ns());

  auto inputs = reader->inputs(run);
  ASSERT_EQ(inputs.size(), 2u);
  EXPECT_EQ(inputs[1].first, "manifests/app.yaml");
  EXPECT_EQ(inputs[1].second, "kind: Service\n");

  // Metrics: one source row (the hop) and one destination row per span that reached upstream
  // (the sampled and the unsampled one share labels and window: one row with 2 requests).
  auto m = q(*reader, "SELECT reporter, source_workload, destination_pod, requests FROM metrics "
                      "WHERE run_id = ? ORDER BY reporter", {run});
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(str(m[0][0]), "destination");
  EXPECT_EQ(str(m[0][1]), "istio-ingressgateway");
  EXPECT_EQ(i64(m[0][3]), 2);
  EXPECT_EQ(str(m[1][0]), "source");
  EXPECT_EQ(str(m[1][2]), "reviews-v1-0");
  EXPECT_EQ(i64(m[1][3]), 1);

  EXPECT_EQ(reader->count_rows("requests", run), 3u);
  EXPECT_EQ(reader->count_rows("spans", run), 2u);
  EXPECT_EQ(reader->count_rows("events", run), 2u);
}

TEST(SqliteWriter, MetricsWindowsAndBuckets) {
  TempDir dir;
  std::string path = dir.file("m.db");
  auto w = open_writer(path);
  ASSERT_TRUE(w);
  w->begin_run(run_info("metrics", kS));
  w->on_hop(hop(engine::SimTime{}, 3 * kMs));                    // ends 3 ms: window 0, bucket_5
  w->on_hop(hop(engine::SimTime{} + 500 * kMs, 600 * kMs));          // ends 1.1 s: window 1, bucket_1000
  w->on_hop(hop(engine::SimTime{} + 1200 * kMs, 3 * kMs));           // window 1, bucket_5
  w->on_hop(hop(engine::SimTime{} + 1300 * kMs, 5 * kMs, 503, kNoHealthyUpstream));  // own label set
  w->on_hop(hop(engine::SimTime{} + 1999 * kMs, 1 * kMs));           // ends exactly 2 s: window 2, bucket_1
  EXPECT_EQ(w->counters().metric_rows, 1u);      // window 0 is done; 1 and 2 stay open (lag 1)
  w->on_hop(hop(engine::SimTime{} + 5 * kS, engine::SimDuration{}));                     // window 5: windows before 4 are done
  EXPECT_EQ(w->counters().metric_rows, 4u);      // written while the run goes on
  w->end_run({});
  ASSERT_TRUE(w->ok()) << w->error();
  EXPECT_EQ(w->counters().metric_rows, 5u);
  w.reset();

  std::string error;
  auto reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;
  std::int64_t run = *reader->resolve_run(std::nullopt, &error);
  auto rows = q(*reader,
                "SELECT window_start_ns, window_ns, response_code, response_flags, requests, "
                "duration_sum_ns, bucket_0_5, bucket_1, bucket_5, bucket_10, bucket_1000, "
                "bucket_inf, source_workload, destination_service, destination_workload, "
                "destination_version, destination_pod "
                "FROM metrics WHERE run_id = ? AND reporter = 'source' "
                "ORDER BY window_start_ns, response_code", {run});
  ASSERT_EQ(rows.size(), 5u);
  // window 0
  EXPECT_EQ(i64(rows[0][0]), 0);
  EXPECT_EQ(i64(rows[0][1]), (kS).ns());
  EXPECT_EQ(i64(rows[0][4]), 1);
  EXPECT_EQ(i64(rows[0][5]), (3 * kMs).ns());
  EXPECT_EQ(i64(rows[0][8]), 1);  // 3 ms lands in the 5 ms bucket
  EXPECT_EQ(i64(rows[0][9]), 0);
  EXPECT_EQ(str(rows[0][12]), "productpage-v1");
  EXPECT_EQ(str(rows[0][13]), "reviews.default.svc.cluster.local");
  EXPECT_EQ(str(rows[0][14]), "reviews-v1");
  EXPECT_EQ(str(rows[0][15]), "v1");
  EXPECT_EQ(str(rows[0][16]), "reviews-v1-0");
  // window 1, code 200
  EXPECT_EQ(i64(rows[1][0]), (kS).ns());
  EXPECT_EQ(i64(rows[1][2]), 200);
  EXPECT_EQ(i64(rows[1][4]), 2);
  EXPECT_EQ(i64(rows[1][5]), (603 * kMs).ns());
  EXPECT_EQ(i64(rows[1][8]), 1);
  EXPECT_EQ(i64(rows[1][10]), 1);  // 600 ms in the 1000 ms bucket
  // window 1, code 503
  EXPECT_EQ(i64(rows[2][2]), 503);
  EXPECT_EQ(str(rows[2][3]), "UH");
  EXPECT_EQ(i64(rows[2][8]), 1);  // exactly 5 ms: upper bound inclusive
  // window 2
  EXPECT_EQ(i64(rows[3][0]), (2 * kS).ns());
  EXPECT_EQ(i64(rows[3][7]), 1);  // 1 ms in bucket_1
  // window 5
  EXPECT_EQ(i64(rows[4][0]), (5 * kS).ns());
  EXPECT_EQ(i64(rows[4][6]), 1);  // 0 in bucket_0_5
  // Every row's buckets add up to its requests.
  std::string sum;
  for (auto c : kDurationBucketColumns) sum += std::string(sum.empty() ? "" : " + ") + std::string(c);
  auto bad = q(*reader, "SELECT count(*) FROM metrics WHERE requests != " + sum);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(i64(bad[0][0]), 0);
  // And every bucket is an integer, never NULL (which the sum above would not catch): each
  // window's statement has the buckets none of its rows fill as literal zeros (writer.cc,
  // window_counts_statement), and these windows fill four different sets.
  std::string untyped;
  for (auto c : kDurationBucketColumns)
    untyped += std::string(untyped.empty() ? "" : " OR ") + "typeof(" + std::string(c) + ") != 'integer'";
  auto odd = q(*reader, "SELECT count(*) FROM metrics WHERE " + untyped);
  ASSERT_EQ(odd.size(), 1u);
  EXPECT_EQ(i64(odd[0][0]), 0);
}

TEST(SqliteWriter, SummariesFromRequests) {
  TempDir dir;
  std::string path = dir.file("s.db");
  auto w = open_writer(path);
  ASSERT_TRUE(w);
  w->begin_run(run_info());
  std::uint64_t id = 0;
  // v1: 100 requests of 1..100 ms; 95 succeed, 3 UH, 1 UT+URX, 1 DC (code 0).
  for (int i = 1; i <= 100; ++i) {
    int code = 200;
    std::uint32_t flags = 0;
    if (i == 10 || i == 20 || i == 30) { code = 503; flags = kNoHealthyUpstream; }
    if (i == 40) { code = 504; flags = kUpstreamRequestTimeout | kUpstreamRetryLimitExceeded; }
    if (i == 50) { code = 0; flags = kDownstreamConnectionTermination; }
    w->on_request(request(++id, engine::SimTime{} + i * kMs, i * kMs, code, flags, "v1"));
  }
  // v2: 10 requests, 2 ms each, two redirects (3xx count as success).
  for (int i = 0; i < 10; ++i) w->on_request(request(++id, engine::SimTime{} + i * kMs, 2 * kMs, i < 2 ? 302 : 200, 0, "v2"));
  w->end_run({});
  ASSERT_TRUE(w->ok()) << w->error();
  w.reset();

  std::string error;
  auto reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;
  auto s = reader->summaries(*reader->resolve_run(std::nullopt, &error));
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].destination_service, "productpage.default.svc.cluster.local");
  EXPECT_EQ(s[0].destination_version, "v1");
  EXPECT_EQ(s[0].requests, 100u);
  EXPECT_EQ(s[0].success, 95u);
  EXPECT_EQ(s[0].p50, (50 * kMs).ns());
  EXPECT_EQ(s[0].p90, (90 * kMs).ns());
  EXPECT_EQ(s[0].p99, (99 * kMs).ns());
  EXPECT_EQ(s[0].flags, "UH:3,UT:1,DC:1,URX:1");
  EXPECT_EQ(s[1].destination_version, "v2");
  EXPECT_EQ(s[1].requests, 10u);
  EXPECT_EQ(s[1].success, 10u);
  EXPECT_EQ(s[1].p99, (2 * kMs).ns());
  EXPECT_EQ(s[1].flags, "-");
  // The summaries view has exactly the docs/design.md columns.
  auto cols = q(*reader, "SELECT * FROM summaries");
  ASSERT_FALSE(cols.empty());
  EXPECT_EQ(cols[0].size(), 9u);
}

TEST(SqliteWriter, SummariesFallBackToHopsWithoutRequestRows) {
  TempDir dir;
  std::string path = dir.file("h.db");
  auto w = open_writer(path);
  ASSERT_TRUE(w);
  w->begin_run(run_info());
  for (int i = 0; i < 8; ++i) w->on_hop(hop(engine::SimTime{} + i * kMs, 3 * kMs, 200, 0, "v1"));
  for (int i = 0; i < 2; ++i) w->on_hop(hop(engine::SimTime{} + i * kMs, 3 * kMs, 503, kUpstreamOverflow, "v2"));
  w->end_run({});
  w.reset();
  std::string error;
  auto reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;
  auto s = reader->summaries(*reader->resolve_run(std::nullopt, &error));
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].destination_service, "reviews.default.svc.cluster.local");
  EXPECT_EQ(s[0].requests, 8u);
  EXPECT_EQ(s[0].success, 8u);
  EXPECT_EQ(s[0].p50, (3 * kMs).ns());  // interpolated in (1, 5] ms: half-way
  EXPECT_EQ(s[1].success, 0u);
  EXPECT_EQ(s[1].flags, "UO:2");
}

// Metric windows and hop summaries are counted on the caller's thread; the writer thread starts
// only with the first row of its own (here a sampled span half-way through the run), so window
// rows are written at once before it and queued after it. Either way, and without the thread at
// all, the file gets the same metrics and summaries.
// A row with more than two buckets filled keeps them in the window's `spread`
// (telemetry::MetricCounts): the window's statement must read every one of them from there,
// beside the buckets other rows fill inline. Its buckets below are filled by this row alone.
TEST(SqliteWriter, MetricRowsWithManyBucketsKeepEachBucket) {
  TempDir dir;
  std::string path = dir.file("spread.db");
  auto w = open_writer(path);
  ASSERT_TRUE(w);
  w->begin_run(run_info("spread", kS));
  // All in window 0 (a hop counts in the window it ends in): buckets 5, 25, 50, 250 and 1000.
  for (int ms : {2, 20, 40, 40, 200, 900}) w->on_hop(hop(SimTime{} + 10 * kMs, ms * kMs));
  w->on_hop(hop(SimTime{} + 20 * kMs, 7 * kMs, 503));  // another row: bucket_10, inline
  w->end_run({});
  ASSERT_TRUE(w->ok()) << w->error();
  w.reset();
  std::string error;
  auto reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;
  std::string columns;
  for (auto c : kDurationBucketColumns) columns += std::string(columns.empty() ? "" : ", ") + std::string(c);
  const auto rows = q(*reader, "SELECT response_code, requests, " + columns +
                                   " FROM metrics WHERE reporter = 'source' ORDER BY response_code");
  ASSERT_EQ(rows.size(), 2u);
  std::map<std::string_view, std::int64_t> expected = {
      {"bucket_5", 1}, {"bucket_25", 1}, {"bucket_50", 2}, {"bucket_250", 1}, {"bucket_1000", 1}};
  EXPECT_EQ(i64(rows[0][1]), 6);
  for (std::size_t b = 0; b < kDurationBucketColumns.size(); ++b) {
    const auto it = expected.find(kDurationBucketColumns[b]);
    EXPECT_EQ(i64(rows[0][2 + b]), it == expected.end() ? 0 : it->second) << kDurationBucketColumns[b];
    EXPECT_EQ(i64(rows[1][2 + b]), kDurationBucketColumns[b] == "bucket_10" ? 1 : 0) << kDurationBucketColumns[b];
  }
}

TEST(SqliteWriter, MetricRowsAreTheSameWithAndWithoutTheWriterThread) {
  TempDir dir;
  auto write = [&](const std::string& path, bool background) {
    WriterOptions options;
    options.background = background;
    std::string error;
    auto w = SqliteWriter::open(path, &error, options);
    EXPECT_TRUE(w) << error;
    if (!w) return;
    w->begin_run(run_info("threads", kS));
    for (int i = 0; i < 400; ++i) {
      const SimTime start = SimTime{} + i * 25 * kMs;  // 10 s: ten windows
      const bool v2 = i % 5 == 0;
      w->on_hop(hop(start, (1 + i % 7) * kMs, v2 && i % 3 == 0 ? 503 : 200, 0, v2 ? "v2" : "v1"));
      SpanRecord sp;
      sp.request_id = static_cast<std::uint64_t>(i + 1);
      sp.span_id = 1;
      sp.source_workload = "productpage-v1";
      sp.destination_service = "reviews.default.svc.cluster.local";
      sp.destination_version = v2 ? "v2" : "v1";
      sp.destination_workload = v2 ? "reviews-v2" : "reviews-v1";
      sp.destination_pod = v2 ? "reviews-v2-0" : "reviews-v1-0";
      sp.start = start;
      sp.duration = (1 + i % 7) * kMs;
      sp.response_code = 200;
      sp.reached_upstream = true;
      sp.peers.secure = i % 2 == 0;
      sp.sampled = i >= 200 && i % 10 == 0;  // rows only in the second half
      w->on_span(sp);
    }
    w->end_run({});
    EXPECT_TRUE(w->ok()) << w->error();
    EXPECT_EQ(w->counters().spans, 20u);
  };
  const std::string at_once = dir.file("at-once.db"), threaded = dir.file("threaded.db");
  write(at_once, false);
  write(threaded, true);
  std::string error;
  auto a = Reader::open(at_once, &error);
  ASSERT_TRUE(a) << error;
  auto b = Reader::open(threaded, &error);
  ASSERT_TRUE(b) << error;
  for (const char* sql : {"SELECT * FROM metrics ORDER BY rowid", "SELECT * FROM summaries",
                          "SELECT request_id, destination_pod FROM spans ORDER BY rowid"}) {
    const auto ra = q(*a, sql), rb = q(*b, sql);
    EXPECT_FALSE(ra.empty()) << sql;
    EXPECT_EQ(ra, rb) << sql;
  }
  EXPECT_EQ(q(*a, "SELECT count(*) FROM metrics WHERE reporter = 'destination'")[0][0], Value{std::int64_t{40}});
}

TEST(SqliteWriter, AppendsRunsToAnExistingFile) {
  TempDir dir;
  std::string path = dir.file("a.db");
  std::int64_t first = 0, second = 0;
  {
    auto w = open_writer(path);
    ASSERT_TRUE(w);
    w->begin_run(run_info("first"));
    first = w->run_id();
    w->on_request(request(1, SimTime{}, kMs, 200));
    w->end_run({});
  }
  {
    auto w = open_writer(path);
    ASSERT_TRUE(w);
    w->begin_run(run_info("second"));
    second = w->run_id();
    w->on_request(request(1, SimTime{}, kMs, 503, kUpstreamOverflow));
    w->on_request(request(2, SimTime{}, kMs, 200));
    w->end_run({});
    ASSERT_TRUE(w->ok()) << w->error();
  }
  EXPECT_NE(first, second);
  std::string error;
  auto reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;
  auto runs = reader->runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].scenario, "first");
  EXPECT_EQ(runs[1].scenario, "second");
  EXPECT_EQ(reader->resolve_run(std::nullopt, &error), second);
  EXPECT_EQ(reader->count_rows("requests", first), 1u);
  EXPECT_EQ(reader->count_rows("requests", second), 2u);
  auto flags = q(*reader, "SELECT response_flags FROM requests WHERE run_id = ? AND request_id = 1",
                 {second});
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(str(flags[0][0]), "UO");
  // Strings are shared across runs, not duplicated.
  auto dup = q(*reader, "SELECT count(*) FROM strings WHERE value = 'users'");
  EXPECT_EQ(i64(dup[0][0]), 1);
}

TEST(SqliteWriter, RunWithoutEndIsInterruptedAndKeepsRows) {
  TempDir dir;
  std::string path = dir.file("i.db");
  {
    auto w = open_writer(path);
    ASSERT_TRUE(w);
    w->begin_run(run_info());
    w->on_request(request(1, SimTime{}, kMs, 200));
    w->on_hop(hop(SimTime{}, kMs));
    // destroyed without end_run: e.g. the simulation threw on bad input mid-run
  }
  std::string error;
  auto reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;
  auto runs = reader->runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "interrupted");
  EXPECT_EQ(reader->count_rows("requests", runs[0].run_id), 1u);
  EXPECT_EQ(reader->count_rows("metrics", runs[0].run_id), 1u);

  auto w = open_writer(path);
  ASSERT_TRUE(w);
  w->begin_run(run_info());
  telemetry::RunEnd end;
  end.complete = false;
  w->end_run(end);
  auto again = Reader::open(path, &error);
  ASSERT_TRUE(again) << error;
  EXPECT_EQ(again->runs().back().status, "interrupted");
}

TEST(SqliteWriter, CrashedWriterLeavesARunningRunWithCommittedRows) {
  TempDir dir;
  std::string path = dir.file("c.db");
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::string error;
    auto w = SqliteWriter::open(path, &error);
    if (!w) _exit(3);
    w->begin_run(run_info());
    for (int i = 1; i <= 10; ++i) w->on_request(request(i, SimTime{}, kMs, 200));
    w->flush();
    for (int i = 11; i <= 20; ++i) w->on_request(request(i, SimTime{}, kMs, 200));
    _exit(0);  // no destructors: the open transaction is left behind
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);

  std::string error;
  auto reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;
  auto runs = reader->runs();
  ASSERT_EQ(runs.size(), 1u);
  // Stored `running`; read as incomplete, which is no result (issue 17 item 3).
  EXPECT_EQ(q(*reader, "SELECT status FROM runs")[0][0], Value{std::string("running")});
  EXPECT_EQ(runs[0].status, "incomplete");
  EXPECT_FALSE(is_result(runs[0]));
  EXPECT_FALSE(open_run(path, &error));
  EXPECT_NE(error.find("run 1 is incomplete"), std::string::npos) << error;
  EXPECT_TRUE(open_run(path, &error, /*allow_incomplete=*/true)) << error;
  EXPECT_EQ(reader->count_rows("requests", runs[0].run_id), 10u);
  auto check = q(*reader, "PRAGMA integrity_check");
  ASSERT_EQ(check.size(), 1u);
  EXPECT_EQ(str(check[0][0]), "ok");
  // And the file takes another run.
  auto w = open_writer(path);
  ASSERT_TRUE(w);
  w->begin_run(run_info());
  w->on_request(request(1, SimTime{}, kMs, 200));
  w->end_run({});
  EXPECT_TRUE(w->ok()) << w->error();
}

TEST(SqliteWriter, RefusesFilesThatAreNotResults) {
  TempDir dir;
  std::string text = dir.file("notes.txt");
  std::ofstream(text) << "this is not a database, just some text that is long enough\n";
  std::string error;
  EXPECT_FALSE(SqliteWriter::open(text, &error));
  EXPECT_NE(error.find("not a meshtwin results file"), std::string::npos) << error;

  std::string plain = dir.file("plain.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(plain.c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  EXPECT_FALSE(SqliteWriter::open(plain, &error));
  EXPECT_NE(error.find("not a meshtwin results file"), std::string::npos) << error;
  EXPECT_FALSE(Reader::open(plain, &error));
  EXPECT_NE(error.find("not a meshtwin results file"), std::string::npos) << error;

  std::string future = dir.file("future.db");
  { auto w = open_writer(future); }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(future.c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  EXPECT_FALSE(SqliteWriter::open(future, &error));
  EXPECT_NE(error.find("schema version 99"), std::string::npos) << error;
  EXPECT_FALSE(Reader::open(future, &error));
  EXPECT_NE(error.find("schema version 99"), std::string::npos) << error;

  std::string missing_dir = dir.file("no/such/dir/x.db");
  EXPECT_FALSE(SqliteWriter::open(missing_dir, &error));
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
}

TEST(SqliteWriter, CommitsInBatches) {
  TempDir dir;
  std::string path = dir.file("b.db");
  WriterOptions options;
  options.commit_rows = 7;
  std::string error;
  auto w = SqliteWriter::open(path, &error, options);
  ASSERT_TRUE(w) << error;
  w->begin_run(run_info());
  for (int i = 1; i <= 20; ++i) w->on_request(request(i, SimTime{}, kMs, 200));
  // Asking the writer waits until its thread has written what was queued.
  EXPECT_EQ(w->counters().requests, 20u);
  // 14 rows are committed (two batches of 7): a reader sees them while the run goes on.
  auto reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;
  EXPECT_EQ(reader->count_rows("requests", w->run_id()), 14u);
  reader.reset();
  w->end_run({});
  reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;
  EXPECT_EQ(reader->count_rows("requests", w->run_id()), 20u);
}

// Sync-behind (writer.cc, sync_behind) syncs the file through a descriptor of its own, and
// closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's
// included. After many batch commits, each followed by sync-behind, another process must still
// find the file locked by the run's open transaction.
TEST(SqliteWriter, SyncBehindKeepsTheRunsWriteLock) {
  TempDir dir;
  std::string path = dir.file("lock.db");
  WriterOptions options;
  options.commit_rows = 1;
  auto w = open_writer(path, options);
  ASSERT_TRUE(w);
  w->begin_run(run_info());
  for (int i = 1; i <= 5; ++i) w->on_request(request(i, SimTime{}, kMs, 200));
  EXPECT_EQ(w->counters().requests, 5u);  // written and committed one by one
  // A process of its own (SQLite's lock bookkeeping is per process: a forked child would
  // consult its copy of ours instead of the kernel's locks).
  const std::string command = fmt::format("sqlite3 '{}' 'BEGIN IMMEDIATE;' 2>&1", path);
  FILE* shell = popen(command.c_str(), "r");
  ASSERT_TRUE(shell);
  std::string output;
  char buffer[256];
  while (fgets(buffer, sizeof buffer, shell)) output += buffer;
  pclose(shell);
  EXPECT_NE(output.find("database is locked"), std::string::npos) << "another process could take the write lock: " << output;
  w->end_run({});
  EXPECT_TRUE(w->ok()) << w->error();
}

// The writer thread commits when it finds nothing queued and 10,000 rows or more wait in the
// open transaction (results/writer.cc kIdleCommitRows): so another connection sees the rows while
// the run goes on, and the run's first commit, made on that thread, came before them. Neither
// the row count (100,000) nor the clock (an hour) would have committed any of them here.
TEST(SqliteWriter, WriterThreadCommitsWhenIdle) {
  TempDir dir;
  std::string path = dir.file("idle.db");
  WriterOptions options;
  options.commit_seconds = 3600;
  auto w = open_writer(path, options);
  ASSERT_TRUE(w);
  w->begin_run(run_info());
  constexpr int kRequests = 12'000;
  for (int i = 1; i <= kRequests; ++i) w->on_request(request(i, SimTime{} + i * kMs, kMs, 200));
  EXPECT_EQ(w->counters().requests, static_cast<std::uint64_t>(kRequests));  // drained: the thread is idle
  std::string error;
  auto reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;
  EXPECT_EQ(q(*reader, "SELECT status FROM runs")[0][0], Value{std::string("running")});
  // All of them when the thread first found its queue empty at the end; at least the first
  // 10,000 when it had caught up with the rows once before (a later commit waits for 10,000 more).
  const std::uint64_t committed = reader->count_rows("requests", w->run_id());
  EXPECT_GE(committed, 10'000u);
  EXPECT_LE(committed, static_cast<std::uint64_t>(kRequests));
  reader.reset();
  w->end_run({});
  EXPECT_TRUE(w->ok()) << w->error();
}

// Issue 17 item 4: a full disk (here SQLite's max_page_count, which fails the same way: "database
// or disk is full") must leave the run `failed` with the error, never `complete` and never a
// run that reads as if nothing was meant to be recorded.
TEST(WriterFailure, FullDiskMarksTheRunFailedWithTheError) {
  TempDir dir;
  std::string path = dir.file("full.db");
  WriterOptions options;
  options.max_page_count = 24;  // 24 pages of 16 KiB: the schema fits, 20,000 requests do not
  options.commit_rows = 1000;
  std::string error;
  auto w = SqliteWriter::open(path, &error, options);
  ASSERT_TRUE(w) << error;
  w->begin_run(run_info());
  for (int i = 1; i <= 20000; ++i) {
    w->on_request(request(i, engine::SimTime{} + i * kMs, kMs, 200));
    w->on_hop(hop(engine::SimTime{} + i * kMs, kMs));
  }
  w->end_run({});
  EXPECT_FALSE(w->ok());
  EXPECT_NE(w->error().find("database or disk is full"), std::string::npos) << w->error();
  const std::int64_t run = w->run_id();
  w.reset();

  auto reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;
  auto info = reader->run(run);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->status, "failed");
  EXPECT_NE(info->error.find("database or disk is full"), std::string::npos) << info->error;
  EXPECT_FALSE(is_result(*info));
  EXPECT_EQ(q(*reader, "SELECT error FROM runs")[0][0], Value{info->error});
  EXPECT_FALSE(open_run(path, &error));
  EXPECT_NE(error.find("run 1 failed: "), std::string::npos) << error;
  EXPECT_NE(error.find("database or disk is full"), std::string::npos) << error;
  auto check = q(*reader, "PRAGMA integrity_check");
  EXPECT_EQ(check[0][0], Value{std::string("ok")});
  // What report shows agrees with what was recorded: failed, why, and no made-up reason for
  // the missing rows or end time.
  const std::string report = format_report(*reader, run);
  EXPECT_NE(report.find("status failed"), std::string::npos) << report;
  EXPECT_NE(report.find("database or disk is full"), std::string::npos) << report;
  EXPECT_EQ(report.find("record.requests: none"), std::string::npos) << report;
  EXPECT_EQ(report.find("Simulated until 0s"), std::string::npos) << report;
}

// A run that fails before its first row still says why; the next writer with room appends.
TEST(WriterFailure, FileStaysUsableAfterAFailedRun) {
  TempDir dir;
  std::string path = dir.file("full2.db");
  {
    WriterOptions options;
    options.max_page_count = 24;
    std::string error;
    auto w = SqliteWriter::open(path, &error, options);
    ASSERT_TRUE(w) << error;
    w->begin_run(run_info("too-big"));
    for (int i = 1; i <= 20000; ++i) w->on_request(request(i, SimTime{}, kMs, 200));
    // destroyed without end_run after the failure: still marked failed
  }
  auto w = open_writer(path);
  ASSERT_TRUE(w);
  w->begin_run(run_info("fits"));
  w->on_request(request(1, SimTime{}, kMs, 200));
  w->end_run({});
  ASSERT_TRUE(w->ok()) << w->error();
  std::string error;
  auto reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;
  auto runs = reader->runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].status, "failed");
  EXPECT_EQ(runs[1].status, "complete");
  EXPECT_TRUE(runs[1].error.empty());
  EXPECT_TRUE(open_run(path, &error)) << error;  // the latest run is a result
}

// Files of schema version 1 (no error column) are read as they are and upgraded in place by
// the next writer that appends to them.
TEST(SqliteWriter, ReadsAndUpgradesSchemaVersion1) {
  TempDir dir;
  std::string path = dir.file("v1.db");
  {
    auto w = open_writer(path);
    ASSERT_TRUE(w);
    w->begin_run(run_info("old"));
    w->on_request(request(1, SimTime{}, kMs, 200));
    w->end_run({});
  }
  {
    // Turn it into what version 1 wrote.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(testing::metrics_as_schema_6(db), "");
    ASSERT_EQ(sqlite3_exec(db,
                           "DROP VIEW runs; ALTER TABLE run_rows DROP COLUMN error; "
                           "CREATE VIEW runs AS SELECT run_id, scenario, seed, sim_duration_ns, "
                           "wall_seconds, meshtwin_version, status FROM run_rows; "
                           "PRAGMA user_version = 1;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  std::string error;
  {
    auto reader = Reader::open(path, &error);
    ASSERT_TRUE(reader) << error;
    auto runs = reader->runs();
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].status, "complete");
    EXPECT_TRUE(runs[0].error.empty());
  }
  auto w = open_writer(path);
  ASSERT_TRUE(w);
  w->begin_run(run_info("new"));
  w->end_run({});
  ASSERT_TRUE(w->ok()) << w->error();
  auto reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;
  EXPECT_EQ(q(*reader, "PRAGMA user_version")[0][0], Value{std::int64_t{kSchemaVersion}});
  auto rows = q(*reader, "SELECT run_id, scenario, status, error FROM runs ORDER BY run_id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][1], Value{std::string("old")});
  EXPECT_EQ(rows[0][3], Value{});
  EXPECT_EQ(rows[1][2], Value{std::string("complete")});
}

}  // namespace
}  // namespace meshtwin::results

namespace meshtwin::results {
namespace {

// Schema 4 added Istio's peer labels to metric_rows and run_rows.recorded_unix_s. Files of
// versions 1, 2 and 3 export with what they have (peer labels `unknown`) and are upgraded to 4
// through every step (1 -> 2 -> 3 -> 4) by the next writer that appends to them; their old rows
// read `unknown` through the view.
class SchemaUpgradeTo4 : public ::testing::TestWithParam<int> {};

HopRecord labelled_hop() {
  HopRecord h = hop(engine::SimTime{}, 3 * kMs);
  h.peers.source_namespace = "default";
  h.peers.source_app = "productpage";
  h.peers.source_version = "v1";
  h.peers.source_principal = "spiffe://cluster.local/ns/default/sa/bookinfo-productpage";
  h.peers.destination_namespace = "default";
  h.peers.destination_app = "reviews";
  h.peers.destination_principal = "spiffe://cluster.local/ns/default/sa/bookinfo-reviews";
  h.peers.request_protocol = "http";
  h.peers.secure = true;
  return h;
}

TEST_P(SchemaUpgradeTo4, ExportsWithUnknownLabelsAndUpgrades) {
  const int old_version = GetParam();
  TempDir dir;
  std::string path = dir.file("old.db");
  {
    auto w = open_writer(path);
    ASSERT_TRUE(w);
    w->begin_run(run_info("old"));
    w->on_hop(labelled_hop());
    w->end_run({});
  }
  std::string error;
  {
    // Written now: the labels are there, and the source reporter's policy is `unknown`.
    auto reader = Reader::open(path, &error);
    ASSERT_TRUE(reader) << error;
    auto rows = q(*reader, "SELECT source_workload_namespace, source_app, source_version, "
                           "destination_principal, request_protocol, connection_security_policy "
                           "FROM metrics");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0], Value{std::string("default")});
    EXPECT_EQ(rows[0][1], Value{std::string("productpage")});
    EXPECT_EQ(rows[0][2], Value{std::string("v1")});
    EXPECT_EQ(rows[0][3], Value{std::string("spiffe://cluster.local/ns/default/sa/bookinfo-reviews")});
    EXPECT_EQ(rows[0][4], Value{std::string("http")});
    EXPECT_EQ(rows[0][5], Value{std::string("unknown")});
  }
  {
    // Turn it into what version 1, 2 or 3 wrote.
    std::string sql = "DROP VIEW metrics; ALTER TABLE run_rows DROP COLUMN recorded_unix_s;";
    for (auto name : kPeerColumns) sql += fmt::format("ALTER TABLE metric_rows DROP COLUMN {};", name);
    sql += "CREATE VIEW metrics AS SELECT m.run_id, m.window_start_ns, m.requests FROM metric_rows m;";
    if (old_version <= 2) {
      sql += "DROP VIEW requests; DROP VIEW spans; ALTER TABLE request_rows DROP COLUMN sim_outcome; "
             "ALTER TABLE span_rows DROP COLUMN sim_outcome; "
             "CREATE VIEW requests AS SELECT run_id, request_id FROM request_rows; "
             "CREATE VIEW spans AS SELECT run_id, request_id, span_id FROM span_rows;";
    }
    if (old_version == 1) {
      sql += "DROP VIEW runs; ALTER TABLE run_rows DROP COLUMN error; "
             "CREATE VIEW runs AS SELECT run_id, scenario, seed, sim_duration_ns, wall_seconds, "
             "meshtwin_version, status FROM run_rows;";
    }
    sql += fmt::format("PRAGMA user_version = {};", old_version);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(testing::metrics_as_schema_6(db), "");
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  {
    std::ostringstream out;
    PrometheusExportStats st;
    ASSERT_TRUE(export_prometheus(path, 1, PrometheusFormat::Text, {}, out, &st, &error)) << error;
    const std::string text = out.str();
    EXPECT_NE(text.find("source_workload=\"productpage-v1\",source_workload_namespace=\"unknown\""),
              std::string::npos) << text;
    EXPECT_NE(text.find("request_protocol=\"unknown\""), std::string::npos);
    EXPECT_NE(text.find("destination_service_name=\"reviews\",destination_service_namespace=\"default\""),
              std::string::npos);
    EXPECT_EQ(st.series, 2u);  // istio_requests_total and the duration histogram
  }
  auto w = open_writer(path);
  ASSERT_TRUE(w) << "upgrading from version " << old_version;
  w->begin_run(run_info("new"));
  w->on_hop(labelled_hop());
  w->end_run({});
  ASSERT_TRUE(w->ok()) << w->error();
  auto reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;
  // Through 4 and on to the current version (5 added batches: batch_test.cc).
  EXPECT_EQ(q(*reader, "PRAGMA user_version")[0][0], Value{std::int64_t{kSchemaVersion}});
  EXPECT_TRUE(q(*reader, "SELECT batch_id FROM runs WHERE batch_id IS NOT NULL").empty());
  auto rows = q(*reader, "SELECT run_id, source_app, connection_security_policy FROM metrics ORDER BY run_id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][1], Value{std::string("unknown")});  // written before the columns existed
  EXPECT_EQ(rows[1][1], Value{std::string("productpage")});
  auto recorded = q(*reader, "SELECT recorded_unix_s FROM run_rows ORDER BY run_id");
  EXPECT_EQ(recorded[0][0], Value{});
  EXPECT_TRUE(std::holds_alternative<double>(recorded[1][0]));
  EXPECT_EQ(q(*reader, "SELECT error FROM runs WHERE run_id = 1")[0][0], Value{});
  // The earlier steps ran too: the views show sim_outcome again.
  EXPECT_TRUE(q(*reader, "SELECT sim_outcome FROM requests").empty());
  EXPECT_TRUE(q(*reader, "SELECT sim_outcome FROM spans").empty());
}

INSTANTIATE_TEST_SUITE_P(FromVersions1To3, SchemaUpgradeTo4, ::testing::Values(1, 2, 3));

}  // namespace
}  // namespace meshtwin::results
