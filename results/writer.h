// results/ owns the SQLite results file (docs/design.md §3.3): schema, the writer (a telemetry Sink),
// the reader, percentiles and the run report. It depends on model/telemetry records only —
// never on the simulation — and keeps sqlite3.h out of its public headers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "model/telemetry/records.h"

namespace meshtwin::results {

// `PRAGMA user_version` of files this code writes. Readers refuse other versions with a
// sentence; bump it whenever a table or view changes shape (columns may only be added).
// Version 2 added `sim_outcome` to requests and spans; the writer migrates a version-1 file it
// appends to, and readers read both (the column only was added).
inline constexpr int kSchemaVersion = 2;
inline constexpr int kOldestReadableSchemaVersion = 1;

struct WriterOptions {
  // Rows per transaction: large transactions are what make SQLite fast; a crash loses at
  // most the rows of the open transaction (also committed at least every commit_seconds).
  std::int64_t commit_rows = 100'000;
  double commit_seconds = 2.0;
  // Spare simulated time before a metrics window is flushed, for records that arrive a
  // little out of end-time order. In units of RunInfo::metrics_interval.
  int metrics_lag_windows = 1;
};

// Writes one run per begin_run/end_run pair into a results file, appending to an existing
// file. Strings are interned into a dictionary table; the docs/design.md names are views over the
// compact tables (docs/results-schema.md). Not thread-safe: one simulation, one writer.
//
// Errors while writing (disk full, file removed) do not throw: the writer stops writing,
// keeps what was committed, and reports the first failure through ok()/error().
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
  // sim_duration_ns and wall_seconds, builds the read indexes and commits.
  void end_run(const telemetry::RunEnd& end) override;

  // Commits the open transaction now (e.g. before a long pause or on a signal).
  void flush();

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
