// results/ owns the SQLite results file (docs/design.md §3.3): schema, the writer (a telemetry Sink),
// the reader, percentiles and the run report. It depends on model/telemetry records only —
// never on the simulation — and keeps sqlite3.h out of its public headers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/telemetry/records.h"

namespace meshtwin::results {

// `PRAGMA user_version` of files this code writes. Readers refuse other versions with a
// sentence; bump it whenever a table or view changes shape (columns may only be added).
// Version 2 added run_rows.error (and `runs.error`) and the status `failed`; version 3 added
// `sim_outcome` to requests and spans; version 4 added Istio's peer labels to metric_rows
// (kPeerColumns, NULL in older rows and read as `unknown`) and run_rows.recorded_unix_s; version 5
// added the `batches` table (and later `sweeps`, `sweep_points`) and run_rows.batch_id,
// replication and warmup_ns (run --replications); version 6 added what the upstream app received
// (spans.received_path, received_authority, received_headers), the Location of 3xx responses
// (spans.location, requests.location) and requests.redirect_of; version 7 stores metrics as a
// label set per series (`metric_series`) and counts by series (`metric_counts`), with
// `metric_rows` a view of the same columns over them. The writer migrates an older file when it
// appends to it (1 -> 2 -> ... -> 7; columns only added, and 6 -> 7 moves metric_rows' rows into
// the two tables); readers read every version from 1.
inline constexpr int kSchemaVersion = 7;
// The first version with `batches` (readers of older files see no batches).
inline constexpr int kBatchesSchemaVersion = 5;
// The first version with the received_*, location and redirect_of columns (older files' views
// lack them: readers select them only from this version on).
inline constexpr int kReceivedSchemaVersion = 6;
inline constexpr int kOldestReadableSchemaVersion = 1;

struct WriterOptions {
  // Rows per transaction: large transactions are what make SQLite fast; a crash loses at
  // most the rows of the open transaction (also committed at least every commit_seconds).
  std::int64_t commit_rows = 100'000;
  double commit_seconds = 2.0;
  // Spare simulated time before a metrics window is flushed, for records that arrive a
  // little out of end-time order. In units of RunInfo::metrics_interval.
  int metrics_lag_windows = 1;
  // Another process may be writing to the same file (runs append): the writer then waits for
  // its write lock instead of failing. After about a second of waiting, on_wait is called
  // once (the CLI prints a line saying what it waits for). lock_wait_seconds bounds the wait;
  // negative means no bound (the other writer finishes, or the user interrupts).
  std::function<void()> on_wait;
  double lock_wait_seconds = -1;
  // Write on a thread of the writer's own (rows are queued in batches and written in order:
  // the same rows as without it), so that the simulation and SQLite run side by side. Metric
  // windows and summaries of hops are counted inside the call either way; the thread starts
  // with the first run (begin_run).
  // false: every record is written inside the call.
  bool background = true;
  // Test hook: SQLite's PRAGMA max_page_count, which makes "database or disk is full" happen
  // at a chosen size as a full filesystem would (0: no limit but the filesystem's).
  std::int64_t max_page_count = 0;
  // The scenario's `warmup:` (ns): stored with the run (run_rows.warmup_ns) and left out of
  // its `summaries` (requests and hops that start before it). Rows are written all the same.
  std::int64_t warmup = 0;
  // A scratch file (a replication's part file, copied into the real one and removed): no
  // fsync at any commit, since a crash loses the file anyway.
  bool scratch = false;
};

// A group of replications of one scenario (`meshtwin run --replications`), the `batches` row.
struct BatchInfo {
  std::string scenario;
  std::uint64_t seed = 0;    // the scenario seed; replication r ran engine::replication_seed
  int replications = 0;      // asked for
  std::int64_t warmup = 0;
  std::string meshtwin_version;
};

// Writes one run per begin_run/end_run pair into a results file, appending to an existing
// file. Strings are interned into a dictionary table; the docs/design.md names are views over the
// compact tables (docs/results-schema.md). Called from one thread (one simulation, one writer);
// by default it writes rows on a thread of its own (WriterOptions::background).
//
// Errors while writing (disk full, file removed) do not throw: the writer stops writing,
// keeps what was committed, reports the first failure through ok()/error(), and when the run
// ends marks it `failed` with that error in run_rows.error (if the file still takes that one
// small update; otherwise it stays `running`, which readers show as `incomplete`).
//
// Several processes may append runs to one file at once: each transaction takes the write
// lock first (BEGIN IMMEDIATE) and picks up the strings other writers added meanwhile.
class SqliteWriter : public telemetry::Sink {
 public:
  // Creates the file and schema, or opens an existing results file to append a run.
  // nullptr and a sentence in *error when the file cannot be opened, is not a SQLite
  // database, or holds another schema version.
  static std::unique_ptr<SqliteWriter> open(const std::string& path, std::string* error,
                                            const WriterOptions& options = {});

  // A run begun but not ended is finished as `interrupted` (rows kept, summaries written).
  ~SqliteWriter() override;
  SqliteWriter(const SqliteWriter&) = delete;
  SqliteWriter& operator=(const SqliteWriter&) = delete;

  // Inserts the `runs` row (status `running`, committed at once so a crash leaves a trace)
  // and the inputs; opens the bulk transaction.
  void begin_run(const telemetry::RunInfo& info) override;
  void on_request(const telemetry::RequestRecord& r) override;
  // Stores the row only when s.sampled; every span feeds the destination-reporter metrics
  // when s.reached_upstream.
  void on_span(const telemetry::SpanRecord& s) override;
  // Feeds the source-reporter metrics; no row of its own.
  void on_hop(const telemetry::HopRecord& h) override;
  void on_event(const telemetry::EventRecord& e) override;
  // Flushes the open metrics windows, writes summaries, sets status complete/interrupted,
  // sim_duration_ns and wall_seconds, builds the read indexes and commits. After a write
  // error: rolls back the open transaction and sets status `failed` and the error instead.
  void end_run(const telemetry::RunEnd& end) override;

  // Commits the open transaction now (e.g. before a long pause or on a signal).
  void flush();

  // Replications (`run --replications`): each replication is simulated on its own thread into a
  // part file of its own (a SqliteWriter each), and this writer, the only one of the target
  // file, copies the finished parts in replication order. So simulation runs in parallel, SQLite
  // writing stays serial, and the target's rows (run ids, string ids, row order) are the same
  // whatever the number of threads.
  //
  // Inserts the `batches` row (status `running`); 0 and error() on failure.
  std::int64_t begin_batch(const BatchInfo& info);
  // Copies the last run of the results file at `part_path` (written by another SqliteWriter)
  // into this file as replication `replication` of `batch_id`: copy_run(part_path, 0, ...).
  std::int64_t append_run(const std::string& part_path, std::int64_t batch_id, int replication);
  // Copies run `source_run` (0: the last run) of the results file at `source_path`, opened
  // read-only, into this file as a new run: every row of it, run ids renumbered, string ids
  // translated into this file's dictionary (interned in the order the copy meets them), the
  // run's `batch_id` and `replication` set to the given ones (0 / nullopt: none), in one
  // transaction. The source must have this file's schema version. Returns the new run id; 0
  // and error() on failure. (`run --replications` and `meshtwin merge` both copy with it.)
  std::int64_t copy_run(const std::string& source_path, std::int64_t source_run, std::int64_t batch_id,
                        std::optional<int> replication);
  // Sets the batch's status (complete, interrupted, failed), replications and wall time.
  void end_batch(std::int64_t batch_id, std::string_view status, int replications, double wall_seconds);

  // Sweeps (`meshtwin sweep`): a `sweeps` row (status `running`), then one `sweep_points` row per
  // parameter of each point, naming the point's batch. 0 and error() on failure.
  std::int64_t begin_sweep(std::string_view scenario, std::string_view grid, int points);
  bool add_sweep_point(std::int64_t sweep_id, int point, std::int64_t batch_id,
                       const std::vector<std::pair<std::string, std::string>>& parameters);
  // `points` >= 0 replaces the planned count with the points that ran (`meshtwin capacity`
  // probes as many values as its bisection needs).
  void end_sweep(std::int64_t sweep_id, std::string_view status, int points = -1);

  // The current (or last) run's id; 0 before the first begin_run.
  std::int64_t run_id() const;
  bool ok() const;
  const std::string& error() const;

  struct Counters {
    std::uint64_t requests = 0;        // rows written
    std::uint64_t spans = 0;           // rows written (sampled spans)
    std::uint64_t metric_rows = 0;
    std::uint64_t events = 0;
  };
  const Counters& counters() const;

  struct Impl;

 private:
  explicit SqliteWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace meshtwin::results
