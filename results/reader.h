// Read-only access to a results file through the docs/design.md §3.3 views, for the CLI (report,
// diff, check), the viewer and tests. Opens with SQLITE_OPEN_READONLY: reading never
// changes a file.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/time.h"
#include "results/percentiles.h"

namespace meshtwin::results {

// `FILE.db[:RUN]`, `FILE.db:bBATCH` or `FILE.db:sSWEEP`: the run is the digits after the last
// ':' (when they are all digits and something precedes them), a batch the digits after `:b`, a
// sweep those after `:s`; without any, readers take the latest run.
struct RunRef {
  std::string path;
  std::optional<std::int64_t> run;
  std::optional<std::int64_t> batch;
  std::optional<std::int64_t> sweep;  // `FILE.db:sN`
};
RunRef parse_run_ref(std::string_view text);

// One point of a sweep (`meshtwin sweep`): its parameters and the batch that ran them.
struct SweepPoint {
  int point = 0;
  std::int64_t batch_id = 0;
  std::vector<std::pair<std::string, std::string>> parameters;  // in --grid order
};
struct SweepRow {
  std::int64_t sweep_id = 0;
  std::string scenario;
  std::string grid;  // the --grid options, one per line
  int points = 0;    // planned
  std::string status;
  std::vector<SweepPoint> done;  // the points that ran, in point order
};

// One `batches` row: the replications of one scenario that `run --replications` wrote.
struct BatchRow {
  std::int64_t batch_id = 0;
  std::string scenario;
  std::uint64_t seed = 0;  // the scenario seed (replication r ran engine::replication_seed)
  int replications = 0;
  std::int64_t warmup = 0;
  std::string status;  // complete, interrupted, failed; running reads `incomplete`
  double wall_seconds = 0;
  std::string meshtwin_version;
};

struct RunRow {
  std::int64_t run_id = 0;
  std::string scenario;
  std::uint64_t seed = 0;
  std::int64_t sim_duration = 0;
  double wall_seconds = 0;
  std::string meshtwin_version;
  // complete; interrupted (stopped early, summaries of what was recorded); failed (a write
  // error, in `error`); incomplete (stored as `running`: the writer was killed or is still
  // at work, so rows are partial and there are no summaries).
  std::string status;
  std::int64_t metrics_interval = 0;
  std::int64_t sim_end = 0;  // when the last event ran (arrivals stop at sim_duration, then drain)
  std::string error;    // why a `failed` run failed; empty otherwise
  std::optional<std::int64_t> batch_id;  // the batch it is a replication of, if any
  int replication = 0;                   // its index in the batch (0, 1, ...)
  std::int64_t warmup = 0;  // spec.warmup: summaries leave out what starts before it
};

// Whether a run can be read as a result: complete, or interrupted (what was recorded until
// the stop, with summaries). Incomplete and failed runs are not.
bool is_result(const RunRow& run);
// A sentence saying why `run` (of the file at `path`) is not a result.
std::string not_a_result_reason(const std::string& path, const RunRow& run);
// How long clients sent requests: the scenario's duration, or less when the run was stopped
// early (interrupted), less the warm-up (spec.warmup). Rates per client second divide by this.
std::int64_t arrival_window(const RunRow& run);

struct RequestRow {
  std::int64_t run_id = 0;
  std::uint64_t request_id = 0;
  std::string client;
  std::int64_t start = 0;
  std::int64_t duration = 0;
  std::string method;
  std::string authority;
  std::string path;
  int response_code = 0;
  std::string response_flags;  // Envoy's string, "-" for none
  int attempts = 0;
  std::string route_name;
  std::string vs_rule;
  std::string destination_service;
  std::string destination_version;
  std::string destination_workload;
  int degraded_calls = 0;
  std::string location;           // a 3xx response's Location; empty: none (or schema < 6)
  std::uint64_t redirect_of = 0;  // the previous hop of a followed redirect; 0: none
};

struct SummaryRow {
  std::string destination_service;
  std::string destination_version;
  std::uint64_t requests = 0;
  std::uint64_t success = 0;  // codes 200-399
  std::int64_t p50 = 0;
  std::int64_t p90 = 0;
  std::int64_t p99 = 0;
  std::string flags;  // "UH:3,UO:1" (count per single flag, most frequent first) or "-"
};

struct EventRow {
  std::int64_t time = 0;
  std::string kind;
  std::string subject;
  std::string detail;
};

// One result cell: NULL, integer, real or text.
using Value = std::variant<std::monostate, std::int64_t, double, std::string>;
using Row = std::vector<Value>;

class Reader {
 public:
  // nullptr and a sentence in *error when the file is missing, not a database, or of
  // another schema version.
  static std::unique_ptr<Reader> open(const std::string& path, std::string* error);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  const std::string& path() const;
  // The file's `PRAGMA user_version` (kOldestReadableSchemaVersion .. kSchemaVersion): views of
  // older files lack the later columns.
  std::int64_t schema_version() const;

  // `run` or, when absent, the latest run. nullopt and a sentence naming the file and the
  // runs it does hold when there is no such run.
  std::optional<std::int64_t> resolve_run(std::optional<std::int64_t> run,
                                          std::string* error) const;

  std::vector<RunRow> runs() const;  // ascending run_id
  std::optional<RunRow> run(std::int64_t run_id) const;

  std::vector<BatchRow> batches() const;  // ascending batch_id; none before schema version 4
  std::optional<BatchRow> batch(std::int64_t batch_id) const;
  // The runs of a batch in replication order.
  std::vector<RunRow> batch_runs(std::int64_t batch_id) const;
  // `batch` or, when absent, the latest batch; nullopt and a sentence naming the batches the
  // file does hold when there is no such batch.
  std::optional<std::int64_t> resolve_batch(std::optional<std::int64_t> batch, std::string* error) const;
  // A sweep with its points; nullopt and a sentence naming the file's sweeps when there is none.
  std::optional<SweepRow> sweep(std::int64_t sweep_id, std::string* error) const;

  // Rows of `requests` for a run in request_id order; `fn` returns false to stop early.
  void for_each_request(std::int64_t run_id,
                        const std::function<bool(const RequestRow&)>& fn) const;
  std::uint64_t count_rows(std::string_view view, std::int64_t run_id) const;  // any §3.3 view
  std::vector<SummaryRow> summaries(std::int64_t run_id) const;
  std::vector<EventRow> events(std::int64_t run_id) const;  // in time order
  std::vector<std::pair<std::string, std::string>> inputs(std::int64_t run_id) const;

  // Any read-only SQL with `?` parameters; nullopt and the SQLite message on error.
  std::optional<std::vector<Row>> query(const std::string& sql,
                                        const std::vector<Value>& params = {},
                                        std::string* error = nullptr) const;
  // The same, streaming: `fn` sees each row (return false to stop), so a 100M-row run never
  // sits in memory. false and the SQLite message on error.
  bool query_each(const std::string& sql, const std::vector<Value>& params,
                  const std::function<bool(const Row&)>& fn, std::string* error = nullptr) const;

  struct Impl;

 private:
  explicit Reader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Opens `FILE.db[:RUN]` in one step, for commands that take that argument.
struct OpenedRun {
  std::unique_ptr<Reader> reader;
  std::int64_t run_id = 0;
};
// Refuses (nullopt, a sentence in *error) a run that is not a result (is_result) unless
// allow_incomplete.
// A `FILE.db:bN` reference is refused with a sentence saying the command takes a run there.
std::optional<OpenedRun> open_run(std::string_view ref, std::string* error,
                                  bool allow_incomplete = false);

// Opens `FILE.db:bN` (a batch) or `FILE.db[:RUN]` (a run) for the commands that take either:
// `batch` is set for a batch reference, with its runs that are results (is_result) in
// replication order; a batch none of whose runs is a result is refused.
struct OpenedRef {
  std::unique_ptr<Reader> reader;
  std::int64_t run_id = 0;              // a run reference
  std::optional<BatchRow> batch;        // a batch reference
  std::vector<RunRow> runs;             // the batch's result runs, in replication order
};
std::optional<OpenedRef> open_ref(std::string_view ref, std::string* error, bool allow_incomplete = false);

// The Value helpers every reader of query() rows uses.
// An integer cell (a real is truncated; NULL and text read 0).
std::int64_t as_int(const Value& v);
// A text cell; an integer reads as its digits, NULL and a real as `fallback`.
std::string as_text(const Value& v, std::string_view fallback = {});

}  // namespace meshtwin::results
