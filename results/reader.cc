#include "results/reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "results/sqlite_detail.h"
#include "results/writer.h"

namespace meshtwin::results {

using detail::Statement;

RunRef parse_run_ref(std::string_view text) {
  RunRef ref;
  std::size_t colon = text.rfind(':');
  if (colon != std::string_view::npos && colon > 0 && colon + 1 < text.size()) {
    std::string_view digits = text.substr(colon + 1);
    const char kind = digits.size() > 1 && (digits[0] == 'b' || digits[0] == 's') ? digits[0] : 0;
    if (kind) digits.remove_prefix(1);
    if (digits.size() <= 18 &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      ref.path = std::string(text.substr(0, colon));
      (kind == 'b' ? ref.batch : kind == 's' ? ref.sweep : ref.run) = std::stoll(std::string(digits));
      return ref;
    }
  }
  ref.path = std::string(text);
  return ref;
}

struct Reader::Impl {
  sqlite3* db = nullptr;
  std::string path;
  std::int64_t version = 0;
  ~Impl() {
    if (db) sqlite3_close_v2(db);
  }

  Statement prepare(std::string_view sql) const {
    std::string msg;
    Statement s(db, sql, &msg);
    return s;
  }
};

Reader::Reader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Reader::~Reader() = default;

std::unique_ptr<Reader> Reader::open(const std::string& path, std::string* error) {
  auto set_error = [&](std::string msg) {
    if (error) *error = std::move(msg);
    return nullptr;
  };
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return set_error(fmt::format("results file {} does not exist", path));
  }
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  if (sqlite3_open_v2(path.c_str(), &impl->db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    return set_error(fmt::format("cannot open results file {}: {}", path,
                                 impl->db ? sqlite3_errmsg(impl->db) : "out of memory"));
  }
  sqlite3_extended_result_codes(impl->db, 1);
  sqlite3_busy_timeout(impl->db, 5000);
  std::string msg;
  Statement q(impl->db, "PRAGMA user_version", &msg);
  int rc = q ? q.step() : SQLITE_ERROR;
  if (rc == SQLITE_READONLY_ROLLBACK) {
    // A writer died mid-transaction and left a hot journal. Rolling it back restores the last
    // committed state (what any writer would do on open); a read-only handle cannot, so do it
    // once through a read-write handle, then read as usual.
    q = Statement();
    sqlite3_close_v2(impl->db);
    impl->db = nullptr;
    sqlite3* rw = nullptr;
    if (sqlite3_open_v2(path.c_str(), &rw, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
      sqlite3_exec(rw, "PRAGMA user_version", nullptr, nullptr, nullptr);
    }
    sqlite3_close_v2(rw);
    if (sqlite3_open_v2(path.c_str(), &impl->db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      return set_error(fmt::format("cannot open results file {}: {}", path,
                                   impl->db ? sqlite3_errmsg(impl->db) : "out of memory"));
    }
    sqlite3_busy_timeout(impl->db, 5000);
    q = Statement(impl->db, "PRAGMA user_version", &msg);
    rc = q ? q.step() : SQLITE_ERROR;
  }
  if (rc != SQLITE_ROW) {
    return set_error(fmt::format("{} is not a meshtwin results file: {}", path,
                                 msg.empty() ? sqlite3_errmsg(impl->db) : msg));
  }
  std::int64_t version = q.column_int(0);
  if (version == 0) {
    return set_error(fmt::format("{} is not a meshtwin results file (no schema version)", path));
  }
  if (version < kOldestReadableSchemaVersion || version > kSchemaVersion) {
    return set_error(fmt::format(
        "{} has results schema version {} but this meshtwin reads versions {} to {}", path,
        version, kOldestReadableSchemaVersion, kSchemaVersion));
  }
  impl->version = version;
  return std::unique_ptr<Reader>(new Reader(std::move(impl)));
}

const std::string& Reader::path() const { return impl_->path; }
std::int64_t Reader::schema_version() const { return impl_->version; }

namespace {

RunRow run_row(const Statement& s) {
  RunRow r;
  r.run_id = s.column_int(0);
  r.scenario = s.column_text(1);
  r.seed = static_cast<std::uint64_t>(s.column_int(2));
  r.sim_duration = s.column_int(3);
  r.wall_seconds = s.column_double(4);
  r.meshtwin_version = s.column_text(5);
  r.status = s.column_text(6);
  r.metrics_interval = s.column_int(7);
  r.sim_end = s.column_int(8);
  r.error = s.column_text(9);
  if (sqlite3_column_type(s.get(), 10) != SQLITE_NULL) r.batch_id = s.column_int(10);
  r.replication = static_cast<int>(s.column_int(11));
  r.warmup = s.column_int(12);
  // A `running` row whose writer is gone (killed, power loss) or still at work: either way
  // not a result yet.
  if (r.status == "running") r.status = "incomplete";
  return r;
}

}  // namespace

// Version 1 files have no error column, files before kBatchesSchemaVersion no batches.
static std::string run_columns(std::int64_t version) {
  return fmt::format(
      "SELECT run_id, scenario, seed, sim_duration_ns, wall_seconds, meshtwin_version, status, "
      "metrics_interval_ns, sim_end_ns, {}, {} FROM run_rows",
      version >= 2 ? "error" : "NULL",
      version >= kBatchesSchemaVersion ? "batch_id, replication, warmup_ns" : "NULL, 0, 0");
}

static BatchRow batch_row(const Statement& s) {
  BatchRow b;
  b.batch_id = s.column_int(0);
  b.scenario = s.column_text(1);
  b.seed = static_cast<std::uint64_t>(s.column_int(2));
  b.replications = static_cast<int>(s.column_int(3));
  b.warmup = s.column_int(4);
  b.status = s.column_text(5);
  if (b.status == "running") b.status = "incomplete";
  b.wall_seconds = s.column_double(6);
  b.meshtwin_version = s.column_text(7);
  return b;
}

static constexpr const char* kBatchColumns =
    "SELECT batch_id, scenario, seed, replications, warmup_ns, status, wall_seconds, meshtwin_version FROM batches";

std::vector<BatchRow> Reader::batches() const {
  std::vector<BatchRow> out;
  if (impl_->version < kBatchesSchemaVersion) return out;
  Statement s = impl_->prepare(fmt::format("{} ORDER BY batch_id", kBatchColumns));
  while (s && s.step() == SQLITE_ROW) out.push_back(batch_row(s));
  return out;
}

std::optional<BatchRow> Reader::batch(std::int64_t batch_id) const {
  if (impl_->version < kBatchesSchemaVersion) return std::nullopt;
  Statement s = impl_->prepare(fmt::format("{} WHERE batch_id = ?", kBatchColumns));
  if (!s) return std::nullopt;
  s.bind(1, batch_id);
  if (s.step() != SQLITE_ROW) return std::nullopt;
  return batch_row(s);
}

std::vector<RunRow> Reader::batch_runs(std::int64_t batch_id) const {
  std::vector<RunRow> out;
  if (impl_->version < kBatchesSchemaVersion) return out;
  Statement s = impl_->prepare(
      fmt::format("{} WHERE batch_id = ? ORDER BY replication, run_id", run_columns(impl_->version)));
  if (!s) return out;
  s.bind(1, batch_id);
  while (s.step() == SQLITE_ROW) out.push_back(run_row(s));
  return out;
}

std::optional<SweepRow> Reader::sweep(std::int64_t sweep_id, std::string* error) const {
  auto set_error = [&](std::string msg) -> std::optional<SweepRow> {
    if (error) *error = std::move(msg);
    return std::nullopt;
  };
  std::string ids;
  if (impl_->version >= kBatchesSchemaVersion) {
    Statement all = impl_->prepare("SELECT sweep_id FROM sweeps ORDER BY sweep_id");
    while (all && all.step() == SQLITE_ROW) ids += (ids.empty() ? "s" : ", s") + std::to_string(all.column_int(0));
  }
  if (ids.empty()) return set_error(fmt::format("{} holds no sweeps (`meshtwin sweep` writes one)", impl_->path));
  Statement s = impl_->prepare("SELECT sweep_id, scenario, grid, points, status FROM sweeps WHERE sweep_id = ?");
  if (!s) return set_error(fmt::format("{}: cannot read its sweeps", impl_->path));
  s.bind(1, sweep_id);
  if (s.step() != SQLITE_ROW)
    return set_error(fmt::format("{} has no sweep s{}; its sweeps are {}", impl_->path, sweep_id, ids));
  SweepRow row;
  row.sweep_id = s.column_int(0);
  row.scenario = s.column_text(1);
  row.grid = s.column_text(2);
  row.points = static_cast<int>(s.column_int(3));
  row.status = s.column_text(4);
  if (row.status == "running") row.status = "incomplete";
  Statement p = impl_->prepare(
      "SELECT point, batch_id, parameter, value FROM sweep_points WHERE sweep_id = ? ORDER BY point, rowid");
  if (!p) return set_error(fmt::format("{}: cannot read the points of sweep s{}", impl_->path, sweep_id));
  p.bind(1, sweep_id);
  while (p.step() == SQLITE_ROW) {
    const int point = static_cast<int>(p.column_int(0));
    if (row.done.empty() || row.done.back().point != point) row.done.push_back({point, p.column_int(1), {}});
    row.done.back().parameters.emplace_back(p.column_text(2), p.column_text(3));
  }
  return row;
}

std::optional<std::int64_t> Reader::resolve_batch(std::optional<std::int64_t> batch, std::string* error) const {
  const std::vector<BatchRow> all = batches();
  auto set_error = [&](std::string msg) -> std::optional<std::int64_t> {
    if (error) *error = std::move(msg);
    return std::nullopt;
  };
  if (all.empty())
    return set_error(fmt::format("{} holds no batches (`meshtwin run --replications N` writes one)", impl_->path));
  if (!batch) return all.back().batch_id;
  for (const BatchRow& b : all)
    if (b.batch_id == *batch) return *batch;
  std::string ids;
  for (const BatchRow& b : all) ids += (ids.empty() ? "b" : ", b") + std::to_string(b.batch_id);
  return set_error(fmt::format("{} has no batch b{}; its batches are {}", impl_->path, *batch, ids));
}

std::vector<RunRow> Reader::runs() const {
  std::vector<RunRow> out;
  Statement s = impl_->prepare(fmt::format("{} ORDER BY run_id", run_columns(impl_->version)));
  while (s && s.step() == SQLITE_ROW) out.push_back(run_row(s));
  return out;
}

std::optional<RunRow> Reader::run(std::int64_t run_id) const {
  Statement s = impl_->prepare(fmt::format("{} WHERE run_id = ?", run_columns(impl_->version)));
  if (!s) return std::nullopt;
  s.bind(1, run_id);
  if (s.step() != SQLITE_ROW) return std::nullopt;
  return run_row(s);
}

std::optional<std::int64_t> Reader::resolve_run(std::optional<std::int64_t> run,
                                                std::string* error) const {
  std::vector<RunRow> all = runs();
  auto set_error = [&](std::string msg) -> std::optional<std::int64_t> {
    if (error) *error = std::move(msg);
    return std::nullopt;
  };
  if (all.empty()) return set_error(fmt::format("{} holds no runs", impl_->path));
  if (!run) return all.back().run_id;
  for (const RunRow& r : all) {
    if (r.run_id == *run) return *run;
  }
  std::string ids;
  for (const RunRow& r : all) ids += (ids.empty() ? "" : ", ") + std::to_string(r.run_id);
  return set_error(fmt::format("{} has no run {}; its runs are {}", impl_->path, *run, ids));
}

void Reader::for_each_request(std::int64_t run_id,
                              const std::function<bool(const RequestRow&)>& fn) const {
  const bool received = impl_->version >= kReceivedSchemaVersion;
  Statement s = impl_->prepare(fmt::format(
      "SELECT run_id, request_id, client, start_ns, duration_ns, method, authority, path, "
      "response_code, response_flags, attempts, route_name, vs_rule, destination_service, "
      "destination_version, destination_workload, degraded_calls, {} FROM requests "
      "WHERE run_id = ? ORDER BY request_id",
      received ? "location, redirect_of" : "NULL, NULL"));
  if (!s) return;
  s.bind(1, run_id);
  RequestRow r;
  while (s.step() == SQLITE_ROW) {
    int i = 0;
    r.run_id = s.column_int(i++);
    r.request_id = static_cast<std::uint64_t>(s.column_int(i++));
    r.client = s.column_text(i++);
    r.start = s.column_int(i++);
    r.duration = s.column_int(i++);
    r.method = s.column_text(i++);
    r.authority = s.column_text(i++);
    r.path = s.column_text(i++);
    r.response_code = static_cast<int>(s.column_int(i++));
    r.response_flags = s.column_text(i++);
    r.attempts = static_cast<int>(s.column_int(i++));
    r.route_name = s.column_text(i++);
    r.vs_rule = s.column_text(i++);
    r.destination_service = s.column_text(i++);
    r.destination_version = s.column_text(i++);
    r.destination_workload = s.column_text(i++);
    r.degraded_calls = static_cast<int>(s.column_int(i++));
    r.location = s.column_text(i++);  // "" for NULL
    r.redirect_of = static_cast<std::uint64_t>(s.column_int(i++));  // 0 for NULL
    if (!fn(r)) break;
  }
}

std::uint64_t Reader::count_rows(std::string_view view, std::int64_t run_id) const {
  // Counted on the compact tables: same rows, no string lookups.
  static constexpr std::pair<std::string_view, std::string_view> kTables[] = {
      {"requests", "request_rows"}, {"spans", "span_rows"},   {"metrics", "metric_rows"},
      {"summaries", "summaries"},   {"events", "events"},     {"runs", "run_rows"},
      {"inputs", "inputs"}};
  for (auto [name, table] : kTables) {
    if (name != view) continue;
    Statement s = impl_->prepare(fmt::format("SELECT count(*) FROM {} WHERE run_id = ?", table));
    if (!s) return 0;
    s.bind(1, run_id);
    return s.step() == SQLITE_ROW ? static_cast<std::uint64_t>(s.column_int(0)) : 0;
  }
  return 0;
}

std::vector<SummaryRow> Reader::summaries(std::int64_t run_id) const {
  std::vector<SummaryRow> out;
  Statement s = impl_->prepare(
      "SELECT destination_service, destination_version, requests, success, p50_ns, p90_ns, "
      "p99_ns, flags FROM summaries WHERE run_id = ? "
      "ORDER BY destination_service, destination_version");
  if (!s) return out;
  s.bind(1, run_id);
  while (s.step() == SQLITE_ROW) {
    SummaryRow r;
    r.destination_service = s.column_text(0);
    r.destination_version = s.column_text(1);
    r.requests = static_cast<std::uint64_t>(s.column_int(2));
    r.success = static_cast<std::uint64_t>(s.column_int(3));
    r.p50 = s.column_int(4);
    r.p90 = s.column_int(5);
    r.p99 = s.column_int(6);
    r.flags = s.column_text(7);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<EventRow> Reader::events(std::int64_t run_id) const {
  std::vector<EventRow> out;
  Statement s = impl_->prepare(
      "SELECT t_ns, kind, subject, detail FROM events WHERE run_id = ? ORDER BY t_ns, rowid");
  if (!s) return out;
  s.bind(1, run_id);
  while (s.step() == SQLITE_ROW) {
    out.push_back({s.column_int(0), s.column_text(1), s.column_text(2), s.column_text(3)});
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Reader::inputs(std::int64_t run_id) const {
  std::vector<std::pair<std::string, std::string>> out;
  Statement s =
      impl_->prepare("SELECT path, content FROM inputs WHERE run_id = ? ORDER BY rowid");
  if (!s) return out;
  s.bind(1, run_id);
  while (s.step() == SQLITE_ROW) out.emplace_back(s.column_text(0), s.column_text(1));
  return out;
}

bool Reader::query_each(const std::string& sql, const std::vector<Value>& params,
                        const std::function<bool(const Row&)>& fn, std::string* error) const {
  std::string msg;
  Statement s(impl_->db, sql, &msg);
  if (!s) {
    if (error) *error = msg.empty() ? "empty statement" : msg;
    return false;
  }
  // The connection is read-only already; this also refuses e.g. PRAGMA writes politely.
  if (!sqlite3_stmt_readonly(s.get())) {
    if (error) *error = "only read-only statements are allowed";
    return false;
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    int idx = static_cast<int>(i) + 1;
    const Value& v = params[i];
    if (std::holds_alternative<std::int64_t>(v)) {
      s.bind(idx, std::get<std::int64_t>(v));
    } else if (std::holds_alternative<double>(v)) {
      s.bind(idx, std::get<double>(v));
    } else if (std::holds_alternative<std::string>(v)) {
      // SQLITE_STATIC is fine: params outlive the statement.
      s.bind(idx, std::string_view(std::get<std::string>(v)));
    } else {
      s.bind_null(idx);
    }
  }
  int rc;
  int n = sqlite3_column_count(s.get());
  Row row;
  while ((rc = s.step()) == SQLITE_ROW) {
    row.clear();
    for (int c = 0; c < n; ++c) {
      switch (sqlite3_column_type(s.get(), c)) {
        case SQLITE_INTEGER: row.emplace_back(s.column_int(c)); break;
        case SQLITE_FLOAT: row.emplace_back(s.column_double(c)); break;
        case SQLITE_NULL: row.emplace_back(std::monostate{}); break;
        default: row.emplace_back(s.column_text(c)); break;
      }
    }
    if (!fn(row)) return true;
  }
  if (rc != SQLITE_DONE) {
    if (error) *error = sqlite3_errmsg(impl_->db);
    return false;
  }
  return true;
}

std::optional<std::vector<Row>> Reader::query(const std::string& sql,
                                              const std::vector<Value>& params,
                                              std::string* error) const {
  std::vector<Row> rows;
  if (!query_each(sql, params, [&](const Row& r) { rows.push_back(r); return true; }, error)) {
    return std::nullopt;
  }
  return rows;
}

bool is_result(const RunRow& run) {
  return run.status == "complete" || run.status == "interrupted";
}

std::int64_t arrival_window(const RunRow& run) {
  const std::int64_t sent = run.status == "complete" ? run.sim_duration : std::min(run.sim_duration, run.sim_end);
  // Summaries leave the warm-up out, so rates divide by what is left of the window.
  return std::max<std::int64_t>(0, sent - run.warmup);
}

std::string not_a_result_reason(const std::string& path, const RunRow& run) {
  if (run.status == "failed") {
    return fmt::format("{} run {} failed: {}", path, run.run_id,
                       run.error.empty() ? "no reason recorded" : run.error);
  }
  return fmt::format(
      "{} run {} is incomplete: its writer has not finished it (it was killed, or is still "
      "running), so its rows are partial and it has no summaries",
      path, run.run_id);
}

std::int64_t as_int(const Value& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
  return 0;
}

std::string as_text(const Value& v, std::string_view fallback) {
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  return std::string(fallback);
}

std::optional<OpenedRef> open_ref(std::string_view ref_text, std::string* error, bool allow_incomplete) {
  const RunRef ref = parse_run_ref(ref_text);
  if (!ref.batch) {
    auto run = open_run(ref_text, error, allow_incomplete);
    if (!run) return std::nullopt;
    OpenedRef out;
    out.reader = std::move(run->reader);
    out.run_id = run->run_id;
    return out;
  }
  OpenedRef out;
  out.reader = Reader::open(ref.path, error);
  if (!out.reader) return std::nullopt;
  auto id = out.reader->resolve_batch(ref.batch, error);
  if (!id) return std::nullopt;
  out.batch = out.reader->batch(*id);
  for (RunRow& r : out.reader->batch_runs(*id))
    if (allow_incomplete || is_result(r)) out.runs.push_back(std::move(r));
  if (out.runs.empty()) {
    if (error) *error = fmt::format("{} batch b{} holds no finished replication (status {})", ref.path, *id,
                                    out.batch ? out.batch->status : "unknown");
    return std::nullopt;
  }
  return out;
}

std::optional<OpenedRun> open_run(std::string_view ref_text, std::string* error,
                                  bool allow_incomplete) {
  RunRef ref = parse_run_ref(ref_text);
  if (ref.sweep) {
    if (error)
      *error = fmt::format("{}: this command reads one run (FILE.db:RUN), not a sweep; name one of its runs", ref_text);
    return std::nullopt;
  }
  if (ref.batch) {
    if (error)
      *error = fmt::format("{}: this command reads one run (FILE.db:RUN), not a batch; name one of the batch's runs",
                           ref_text);
    return std::nullopt;
  }
  OpenedRun out;
  out.reader = Reader::open(ref.path, error);
  if (!out.reader) return std::nullopt;
  auto id = out.reader->resolve_run(ref.run, error);
  if (!id) return std::nullopt;
  out.run_id = *id;
  if (!allow_incomplete) {
    auto row = out.reader->run(*id);
    if (row && !is_result(*row)) {
      if (error) {
        *error = not_a_result_reason(ref.path, *row) +
                 "; --allow-incomplete reads it anyway";
      }
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace meshtwin::results
