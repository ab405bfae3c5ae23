// The results schema, version kSchemaVersion (docs/results-schema.md describes it for users).
// Big tables hold integer ids into `strings`; the docs/design.md §3.3 names are views that turn them
// back into text, so the file stays small and inserts stay cheap while queries read as the
// contract says. Every statement is IF NOT EXISTS: two writers may race to create a new file,
// and the one that loses must find the schema, not an error (the writer also creates it inside
// one exclusive transaction).
#include <fmt/format.h>

#include "results/percentiles.h"
#include "results/sqlite_detail.h"

namespace meshtwin::results::detail {
namespace {

std::string text_of(std::string_view alias, std::string_view column) {
  return fmt::format("(SELECT value FROM strings WHERE id = {0}.{1}) AS {1}", alias, column);
}

}  // namespace

std::string runs_view_sql() {
  return "CREATE VIEW IF NOT EXISTS runs AS\n"
         "  SELECT run_id, scenario, seed, sim_duration_ns, wall_seconds, meshtwin_version, "
         "status, error, batch_id, replication, warmup_ns\n"
         "  FROM run_rows;\n";
}

// The `batches` table (runs --replications groups) with its index on run_rows, and `sweeps` with
// `sweep_points` (meshtwin sweep: a batch per grid point); separate so that migrating an older
// file can add them.
std::string batches_sql() {
  return R"sql(
CREATE TABLE IF NOT EXISTS batches (
  batch_id INTEGER PRIMARY KEY,
  scenario TEXT NOT NULL,
  seed INTEGER NOT NULL,
  replications INTEGER NOT NULL,
  warmup_ns INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  wall_seconds REAL NOT NULL DEFAULT 0,
  meshtwin_version TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS run_rows_by_batch ON run_rows(batch_id, replication);
CREATE TABLE IF NOT EXISTS sweeps (
  sweep_id INTEGER PRIMARY KEY,
  scenario TEXT NOT NULL,
  grid TEXT NOT NULL,
  points INTEGER NOT NULL,
  status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sweep_points (
  sweep_id INTEGER NOT NULL,
  point INTEGER NOT NULL,
  batch_id INTEGER NOT NULL,
  parameter TEXT NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sweep_points_by_sweep ON sweep_points(sweep_id, point);
)sql";
}

// The `requests` and `spans` views; separate so that migrating a version-5 file can recreate
// them with the columns of version 6 (and a version-2 file with `sim_outcome` before that).
std::string request_span_views_sql() {
  std::string sql = "CREATE VIEW IF NOT EXISTS requests AS SELECT r.run_id, r.request_id, " + text_of("r", "client") +
         ", r.start_ns, r.duration_ns, " + text_of("r", "method") + ", " +
         text_of("r", "authority") + ", " + text_of("r", "path") + ", r.response_code, " +
         text_of("r", "response_flags") + ", r.attempts, " + text_of("r", "route_name") +
         ", " + text_of("r", "vs_rule") + ", " + text_of("r", "destination_service") + ", " +
         text_of("r", "destination_version") + ", " + text_of("r", "destination_workload") +
         ", r.degraded_calls, " + text_of("r", "sim_outcome") + ", " + text_of("r", "location") +
         ", r.redirect_of FROM request_rows r;\n";
  sql += "CREATE VIEW IF NOT EXISTS spans AS SELECT s.run_id, s.request_id, s.span_id, s.parent_span_id, " +
         text_of("s", "kind") + ", " + text_of("s", "source_workload") + ", " +
         text_of("s", "source_pod") + ", " + text_of("s", "destination_service") + ", " +
         text_of("s", "destination_version") + ", " + text_of("s", "destination_workload") +
         ", " + text_of("s", "destination_pod") + ", " + text_of("s", "cluster") + ", " +
         text_of("s", "route_name") +
         ", s.attempt, s.app_attempt, s.config_version, s.start_ns, s.duration_ns, "
         "s.response_code, " +
         text_of("s", "response_flags") + ", " + text_of("s", "upstream_flags") +
         ", " + text_of("s", "sim_outcome") + ", " + text_of("s", "received_path") + ", " +
         text_of("s", "received_authority") + ", " + text_of("s", "received_headers") + ", " +
         text_of("s", "location") + " FROM span_rows s;\n";
  return sql;
}

// The `metrics` view; separate so that migrating a version-3 file can recreate it with Istio's
// peer labels.
std::string metrics_view_sql() {
  std::string bucket_cols;
  for (auto name : kDurationBucketColumns) bucket_cols += fmt::format(", m.{}", name);
  // Rows written before schema 4 hold NULL peer labels: they read `unknown`.
  std::string peer_cols;
  for (auto name : kPeerColumns) {
    peer_cols += fmt::format(
        ", COALESCE((SELECT value FROM strings WHERE id = m.{0}), 'unknown') AS {0}", name);
  }
  return "CREATE VIEW IF NOT EXISTS metrics AS SELECT m.run_id, m.window_start_ns, m.window_ns, " +
         text_of("m", "reporter") + ", " + text_of("m", "source_workload") + ", " +
         text_of("m", "destination_service") + ", " + text_of("m", "destination_workload") +
         ", " + text_of("m", "destination_version") + ", " + text_of("m", "destination_pod") +
         ", m.response_code, " + text_of("m", "response_flags") +
         ", m.requests, m.duration_sum_ns" + bucket_cols + peer_cols + " FROM metric_rows m;\n";
}

namespace {

std::string metric_tables_sql(const std::string& label_defs, const std::string& bucket_defs) {
  return "CREATE TABLE IF NOT EXISTS metric_series (\n  run_id INTEGER,\n  series INTEGER" + label_defs +
         "\n);\n"
         "CREATE INDEX IF NOT EXISTS metric_series_by_run ON metric_series(run_id, series);\n"
         "CREATE TABLE IF NOT EXISTS metric_counts (\n  run_id INTEGER,\n  window_start_ns INTEGER,\n"
         "  window_ns INTEGER,\n  series INTEGER,\n  requests INTEGER,\n  duration_sum_ns INTEGER" +
         bucket_defs + "\n);\n";
}

}  // namespace

// Schema 7 stores a label set once per run (`metric_series`) and a window's counts by its series
// number (`metric_counts`): a 1,000-service mesh writes about a metric row per hop attempt, and
// the 14 label columns were most of each row's cost (docs/performance.md). `metric_rows` is now
// the view that joins them back into the columns the table had, ids and all, so queries written
// against the table read a file of either layout. CROSS JOIN keeps the counts outermost (their
// index serves run and window filters) and finds each series by its index.
std::string metric_storage_sql(bool with_view) {
  static constexpr std::string_view kLabels[] = {"reporter",           "source_workload",      "destination_service",
                                                 "destination_workload", "destination_version", "destination_pod",
                                                 "response_code",      "response_flags"};
  std::string label_defs, labels, bucket_defs, buckets;
  for (auto name : kLabels) {
    label_defs += fmt::format(",\n  {} INTEGER", name);
    labels += fmt::format(", s.{}", name);
  }
  for (auto name : kDurationBucketColumns) {
    bucket_defs += fmt::format(",\n  {} INTEGER", name);
    buckets += fmt::format(", c.{}", name);
  }
  std::string peers;
  for (auto name : kPeerColumns) {
    label_defs += fmt::format(",\n  {} INTEGER", name);
    peers += fmt::format(", s.{}", name);
  }
  if (!with_view) return metric_tables_sql(label_defs, bucket_defs);
  return metric_tables_sql(label_defs, bucket_defs) +
         "CREATE VIEW IF NOT EXISTS metric_rows AS SELECT c.run_id, c.window_start_ns, c.window_ns" + labels +
         ", c.requests, c.duration_sum_ns" + buckets + peers +
         " FROM metric_counts c CROSS JOIN metric_series s ON s.run_id = c.run_id AND s.series = c.series;\n";
}

std::string workloads_table_sql() {
  return "CREATE TABLE IF NOT EXISTS workloads (\n"
         "  run_id INTEGER NOT NULL,\n"
         "  workload TEXT NOT NULL,\n"
         "  namespace TEXT NOT NULL,\n"
         "  canonical_service TEXT NOT NULL,\n"
         "  canonical_revision TEXT NOT NULL\n"
         ");\n";
}

std::string schema_sql() {
  std::string sql = R"sql(
CREATE TABLE IF NOT EXISTS strings (
  id INTEGER PRIMARY KEY,
  value TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS run_rows (
  run_id INTEGER PRIMARY KEY,
  scenario TEXT NOT NULL,
  seed INTEGER NOT NULL,
  sim_duration_ns INTEGER NOT NULL,
  wall_seconds REAL NOT NULL DEFAULT 0,
  meshtwin_version TEXT NOT NULL,
  status TEXT NOT NULL,
  metrics_interval_ns INTEGER NOT NULL,
  sim_end_ns INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  recorded_unix_s REAL,
  batch_id INTEGER,
  replication INTEGER,
  warmup_ns INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS request_rows (
  run_id INTEGER,
  request_id INTEGER,
  client INTEGER,
  start_ns INTEGER,
  duration_ns INTEGER,
  method INTEGER,
  authority INTEGER,
  path INTEGER,
  response_code INTEGER,
  response_flags INTEGER,
  attempts INTEGER,
  route_name INTEGER,
  vs_rule INTEGER,
  destination_service INTEGER,
  destination_version INTEGER,
  destination_workload INTEGER,
  degraded_calls INTEGER,
  sim_outcome INTEGER,
  location INTEGER,
  redirect_of INTEGER
);
CREATE TABLE IF NOT EXISTS span_rows (
  run_id INTEGER,
  request_id INTEGER,
  span_id INTEGER,
  parent_span_id INTEGER,
  kind INTEGER,
  source_workload INTEGER,
  source_pod INTEGER,
  destination_service INTEGER,
  destination_version INTEGER,
  destination_workload INTEGER,
  destination_pod INTEGER,
  cluster INTEGER,
  route_name INTEGER,
  attempt INTEGER,
  app_attempt INTEGER,
  config_version INTEGER,
  start_ns INTEGER,
  duration_ns INTEGER,
  response_code INTEGER,
  response_flags INTEGER,
  upstream_flags INTEGER,
  sim_outcome INTEGER,
  received_path INTEGER,
  received_authority INTEGER,
  received_headers INTEGER,
  location INTEGER
);
CREATE TABLE IF NOT EXISTS summaries (
  run_id INTEGER NOT NULL,
  destination_service TEXT NOT NULL,
  destination_version TEXT NOT NULL,
  requests INTEGER NOT NULL,
  success INTEGER NOT NULL,
  p50_ns INTEGER NOT NULL,
  p90_ns INTEGER NOT NULL,
  p99_ns INTEGER NOT NULL,
  flags TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS summaries_by_run ON summaries(run_id);
CREATE TABLE IF NOT EXISTS events (
  run_id INTEGER NOT NULL,
  t_ns INTEGER NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_run ON events(run_id, t_ns);
CREATE TABLE IF NOT EXISTS inputs (
  run_id INTEGER NOT NULL,
  path TEXT NOT NULL,
  content TEXT NOT NULL
);
)sql";
  sql += metric_storage_sql(true);
  sql += workloads_table_sql();
  sql += batches_sql();
  sql += runs_view_sql();
  sql += request_span_views_sql();
  sql += metrics_view_sql();
  return sql;
}

}  // namespace meshtwin::results::detail
