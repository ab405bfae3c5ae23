// `meshtwin export` on results files written through the writer (docs/export.md): the scrape
// range of a run that stopped early, the default options, and the `workloads` table the trace
// export reads. The series themselves are checked on bundled scenarios by
// tests/export/series_test.py and by promtool (tests/export/promtool_test.sh).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <sstream>

#include "results/export_prometheus.h"
#include "results/export_traces.h"
#include "results/writer.h"
#include "temp_dir.h"

namespace meshtwin::results {
namespace {

using namespace meshtwin::telemetry;
using testing::TempDir;
constexpr engine::SimDuration kMs = engine::kMillisecond;
constexpr engine::SimDuration kS = engine::kSecond;

// A 60 s scenario with one request a second until `last`, ended at `end`.
void write_run(const std::string& path, SimTime last, RunEnd end,
               std::vector<WorkloadInfo> workloads = {}) {
  std::string error;
  auto w = SqliteWriter::open(path, &error);
  ASSERT_TRUE(w) << error;
  RunInfo info;
  info.scenario = "export";
  info.seed = 1;
  info.duration = 60 * kS;
  info.meshtwin_version = "test";
  info.metrics_interval = kS;
  info.workloads = std::move(workloads);
  w->begin_run(info);
  for (SimTime t = engine::SimTime{}; t < last; t += kS) {
    SpanRecord s;
    s.request_id = static_cast<std::uint64_t>(t.since_start() / kS) + 1;
    s.span_id = s.request_id;
    s.source_workload = "productpage-v1";
    s.source_pod = "productpage-v1-0";
    s.destination_service = "reviews.default.svc.cluster.local";
    s.destination_version = "v1";
    s.destination_workload = "reviews-v1";
    s.destination_pod = "reviews-v1-0";
    s.cluster = "outbound|9080|v1|reviews.default.svc.cluster.local";
    s.start = t;
    s.duration = 3 * kMs;
    s.response_code = 200;
    s.reached_upstream = true;
    w->on_span(s);
    HopRecord h;
    h.start = t;
    h.duration = 3 * kMs;
    h.source_workload = s.source_workload;
    h.destination_service = s.destination_service;
    h.destination_workload = s.destination_workload;
    h.destination_version = s.destination_version;
    h.destination_pod = s.destination_pod;
    h.response_code = 200;
    w->on_hop(h);
  }
  w->end_run(end);
  ASSERT_TRUE(w->ok()) << w->error();
}

PrometheusExportStats export_om(const std::string& path, PrometheusExportOptions options = {}) {
  std::ostringstream out;
  PrometheusExportStats st;
  std::string error;
  EXPECT_TRUE(export_prometheus(path, 1, PrometheusFormat::OpenMetrics, options, out, &st, &error))
      << error;
  return st;
}

TEST(Export, DefaultsAreFifteenSecondScrapesFromTheRecordedTime) {
  // Prometheus' own default scrape interval, and Istio's sample config's.
  EXPECT_EQ(PrometheusExportOptions{}.interval, (15 * kS).ns());
  EXPECT_FALSE(PrometheusExportOptions{}.epoch_seconds.has_value());
  TempDir dir;
  const auto path = dir.file("d.db");
  RunEnd end;
  end.sim_end = engine::SimTime{} + 60 * kS;
  write_run(path, engine::SimTime{} + 60 * kS, end);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  // Set the recorded time to a known value: the default epoch must follow it.
  ASSERT_EQ(sqlite3_exec(db, "UPDATE run_rows SET recorded_unix_s = 1234567890.25", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  std::string error;
  EXPECT_EQ(default_epoch_seconds(path, 1, &error), 1234567890.25) << error;
  const auto st = export_om(path);
  EXPECT_EQ(st.epoch_seconds, 1234567890.25);
  EXPECT_EQ(st.scrapes, 4u);  // 15, 30, 45, 60 s
  EXPECT_EQ(st.end, (60 * kS).ns());
}

TEST(Export, AnInterruptedRunIsScrapedOnlyUntilItsSimulatedEnd) {
  TempDir dir;
  const auto path = dir.file("i.db");
  RunEnd end;
  end.complete = false;
  end.sim_end = engine::SimTime{} + 20 * kS;
  write_run(path, engine::SimTime{} + 20 * kS, end);
  PrometheusExportOptions o;
  o.epoch_seconds = 0;
  const auto st = export_om(path, o);
  // The first scrape at or after 20 s (30 s) sees every count; none after it, although the
  // scenario's duration is 60 s.
  EXPECT_EQ(st.scrapes, 2u);
  EXPECT_EQ(st.end, (30 * kS).ns());

  // The same rows in a complete run: scraped over the whole duration.
  const auto full = dir.file("c.db");
  RunEnd done;
  done.sim_end = engine::SimTime{} + 20 * kS;
  write_run(full, engine::SimTime{} + 20 * kS, done);
  EXPECT_EQ(export_om(full, o).scrapes, 4u);
}

TEST(Export, SpansCarryTheCanonicalServiceOfTheWorkloadsTable) {
  TempDir dir;
  const auto path = dir.file("w.db");
  RunEnd end;
  end.sim_end = engine::SimTime{} + 2 * kS;
  write_run(path, engine::SimTime{} + 2 * kS, end, {{"productpage-v1", "default", "storefront", "r7"}});
  std::ostringstream out;
  std::string error;
  ASSERT_TRUE(export_traces(path, 1, TraceFormat::Zipkin, {}, out, nullptr, &error)) << error;
  EXPECT_NE(out.str().find("\"istio.canonical_service\":\"storefront\""), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("\"istio.canonical_revision\":\"r7\""), std::string::npos);

  // A schema-4 file written before the table existed: the writer adds it when it appends, and
  // until then the export falls back to Istio's last resort, the workload's name and "latest".
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP TABLE workloads", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  std::ostringstream old;
  ASSERT_TRUE(export_traces(path, 1, TraceFormat::Zipkin, {}, old, nullptr, &error)) << error;
  EXPECT_NE(old.str().find("\"istio.canonical_service\":\"productpage-v1\""), std::string::npos) << old.str();
  EXPECT_NE(old.str().find("\"istio.canonical_revision\":\"latest\""), std::string::npos);
  auto w = SqliteWriter::open(path, &error);
  ASSERT_TRUE(w) << error;
  w.reset();
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "SELECT count(*) FROM workloads", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

}  // namespace
}  // namespace meshtwin::results
