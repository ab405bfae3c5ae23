#include "results/writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include "model/telemetry/metric_windows.h"
#include "model/telemetry/outcome.h"
#include "model/telemetry/response_flags.h"
#include "model/telemetry/view_cache.h"
#include "results/file_syncer.h"
#include "results/percentiles.h"
#include "results/sqlite_detail.h"
#include "results/window_rows_table.h"

namespace meshtwin::results {

using detail::Statement;


namespace {

using Clock = std::chrono::steady_clock;

static_assert(kPeerColumns.size() == telemetry::kPeerLabelCount,
              "metric_rows' peer columns are MetricLabels::peers, in order");

constexpr std::size_t kFlagBits = 29;        // ResponseFlag bits in use
constexpr std::size_t kSummaryExactLimit = 1 << 20;  // per group; beyond it ~0.8 % error

struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct GroupKey {
  std::int64_t service;
  std::int64_t version;
  bool operator==(const GroupKey&) const = default;
};
struct GroupKeyHash {
  std::size_t operator()(const GroupKey& k) const {
    return std::hash<std::int64_t>{}(k.service * 1000003 + k.version);
  }
};
// Per (destination_service, destination_version): the `summaries` inputs.
struct RequestGroup {
  std::uint64_t requests = 0;
  std::uint64_t success = 0;
  DurationDigest durations{kSummaryExactLimit};
  std::array<std::uint64_t, kFlagBits> flags{};
};
// The same from source-reporter hops, for runs that record no request rows.
struct HopGroup {
  std::uint64_t requests = 0;
  std::uint64_t success = 0;
  BucketCounts buckets{};
  std::array<std::uint64_t, kFlagBits> flags{};
};

using telemetry::is_success;

void count_flags(std::array<std::uint64_t, kFlagBits>& counts, std::uint32_t flags) {
  for (std::size_t bit = 0; flags != 0 && bit < kFlagBits; ++bit, flags >>= 1) {
    if (flags & 1u) ++counts[bit];
  }
}

// "UH:3,UO:1": most frequent first, ties in Envoy's order; "-" when none.
std::string format_flag_counts(const std::array<std::uint64_t, kFlagBits>& counts) {
  std::vector<std::size_t> bits;
  for (std::size_t bit = 0; bit < kFlagBits; ++bit) {
    if (counts[bit] != 0) bits.push_back(bit);
  }
  if (bits.empty()) return "-";
  std::stable_sort(bits.begin(), bits.end(),
                   [&](std::size_t a, std::size_t b) { return counts[a] > counts[b]; });
  std::string out;
  for (std::size_t bit : bits) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}:{}", telemetry::format_response_flags(1u << bit), counts[bit]);
  }
  return out;
}

}  // namespace

struct Background;

// A finished metrics window as it goes to the writer thread, whole: the label texts and the label
// sets numbered since the last window (a `metric_series` row each) and a copy of the window's
// counts (telemetry reuses its storage). One hand-over per window instead of one per row: at
// 1,000 services a window has thousands of rows. Each label's text goes once, with the window
// that first counts it, not with every label set that has it (13 per set): at 1,000 services
// ~4,700 texts instead of ~110,000, most of them in the first windows, where the writer thread
// is behind and each hand-over's storage is fresh memory.
struct MetricWindowRows {
  engine::SimTime start;
  engine::SimDuration width;
  std::uint32_t first_new_label = 0;  // the label id of new_label_texts[0]
  // The texts as telemetry stored them (MetricWindows::stored_text): read on the writer thread
  // without touching MetricWindows, which the simulation thread keeps growing.
  std::vector<const std::string*> new_label_texts;
  std::uint32_t first_new_series = 0;  // the series number of new_labels[0]
  std::vector<telemetry::MetricLabels> new_labels;
  std::vector<telemetry::MetricCounts> rows;
  std::vector<BucketCounts> spread;  // as telemetry::FinishedWindow's
};

struct SqliteWriter::Impl : telemetry::MetricRowSink {
  sqlite3* db = nullptr;
  std::string path;
  WriterOptions options;
  bool failed = false;
  std::string error;
  Counters counters;

  Statement insert_string, insert_request, insert_span, insert_event;
  // metric_counts rows (write_metric_window): a window's rows in one INSERT ... SELECT from
  // meshtwin_window_rows (window_rows_table.h says why), which reads window_source.
  static constexpr std::size_t kWindowRowsSentAtOnce = 256;  // on_metric_window
  Statement insert_series;
  // By the set of buckets the window's rows fill (window_counts_statement).
  std::vector<std::pair<std::uint32_t, Statement>> insert_window_counts;
  static constexpr std::size_t kWindowCountStatements = 32;
  detail::WindowRowsSource window_source;
  Statement new_strings;  // strings other writers added since we last looked

  // --- waiting for another writer's lock ---
  Clock::time_point wait_started;
  bool wait_announced = false;

  // --- dictionary ---
  std::unordered_map<std::string, std::int64_t, TextHash, std::equal_to<>> by_text;
  std::unordered_map<std::uint32_t, std::int64_t> flag_ids;
  std::int64_t next_string_id = 1;
  std::int64_t unknown_id = 0, dash_id = 0;
  std::array<std::int64_t, 2> reporter_ids{};  // source, destination
  std::array<std::int64_t, 3> kind_ids{};

  // --- run state ---
  std::int64_t run_id = 0;
  bool in_run = false;
  bool in_txn = false;
  Clock::time_point run_started;
  Clock::time_point last_commit;
  std::int64_t rows_since_commit = 0;

  // --- metrics: aggregated by telemetry on the caller's (simulation) thread, straight from
  // the records; only finished window rows are written here. Label ids -> `strings` ids, used
  // by whichever thread writes the rows (only one at a time). ---
  telemetry::MetricWindows metrics;
  std::vector<std::int64_t> string_id_of_label;  // 0: not looked up yet
  // By label id, the texts handed over so far (on the thread that writes the rows).
  std::vector<const std::string*> label_texts;
  // Label ids and series numbers below these have gone to the writer (a metric_series row
  // each, written before the first window that counts them).
  std::uint32_t labels_handed_over = 0;
  std::uint32_t series_handed_over = 0;

  // --- summaries ---
  std::unordered_map<GroupKey, RequestGroup, GroupKeyHash> request_groups;  // `strings` ids
  // Keyed by the metrics' label ids (destination_service, destination_version), not `strings`
  // ids: hops are counted on the caller's thread, which must not touch the connection while
  // the writer thread may be using it. Translated to texts once, in write_summaries.
  std::unordered_map<GroupKey, HopGroup, GroupKeyHash> hop_groups;
  // hop_groups' entry of each metric series (MetricWindows::on_hop), found once per series:
  // a hop then costs an index instead of a hash lookup (nodes of an unordered_map stay put).
  std::vector<HopGroup*> hop_group_of_series;
  // Without a warm-up the hop summaries are the source reporter's metric rows added up, which
  // write_metric_window does per row (on the writer thread when there is one) instead of the
  // simulation thread per hop. A warm-up leaves out hops by their start, which a window (by
  // end) cannot tell apart, so then on_hop counts them.
  bool hop_summaries_from_windows() const { return options.warmup == 0; }
  struct HopSeries {
    HopGroup* group = nullptr;  // null: a destination-reporter series
    std::int32_t code = 0;
    std::uint32_t flags = 0;
  };
  std::vector<HopSeries> hop_series;  // by series number, filled as series reach the writer

  // The writer thread (WriterOptions::background): started by begin_run (metric windows are
  // counted on the caller's thread either way). Null before the first run, and without it
  // records are written at once.
  std::unique_ptr<Background> background;
  Background& rows();
  // Hands the run's first commit (commit_run_start) to the writer thread.
  void queue_run_start();

  ~Impl() override;
  // Waits until the writer thread has written every queued record (no-op without one).
  void drain();
  void close() {
    // Statements first: sqlite3_close_v2 would wait for them anyway, but be tidy.
    insert_string = {};
    insert_request = {};
    insert_span = {};
    insert_series = {};
    insert_window_counts.clear();
    insert_event = {};
    new_strings = {};
    if (db) sqlite3_close_v2(db);
    db = nullptr;
    // Only now: closing any descriptor of the file drops the process's POSIX locks on it,
    // SQLite's included. And not while a sync behind uses it.
    syncer.stop();
    if (sync_fd >= 0) ::close(sync_fd);
    sync_fd = -1;
  }

  // Sync-behind: the run's last commit fsyncs, and an fsync costs about as long as writing
  // what reached the file since the last one (on the VMs measured ~1 ms per MB, the host's
  // flush, whether or not the guest wrote the pages back already; a 1,000-service run writes
  // ~13 MB in a fraction of a second). So after a batch commit during a run the file is synced
  // once kSyncBehindBytes more have reached it, on the FileSyncer's thread (file_syncer.h says
  // why not on the writer thread), while the simulation goes on, and the last commit syncs
  // only the rest. An extra sync of committed pages: it changes when rows are on disk, never
  // what a reader sees or what a crash can lose.
  static constexpr std::int64_t kSyncBehindBytes = 1 << 20;
  // And the writer thread commits whenever it finds its queue empty with this many rows in the
  // open transaction (a metrics-only run of a large mesh leaves it idle a third of the time;
  // with everything recorded it rarely is): the commit and the sync-behind after it then cost
  // the simulation nothing and leave the run's last commit little to write and sync (that was
  // ~8 ms, the largest of the fixed costs at the end of a 1,000-service run; docs/performance.md).
  static constexpr std::int64_t kIdleCommitRows = 10'000;
  // SQLite's page cache. A run only appends rows (metric_counts' index grows at its right
  // edge), so it needs few cached pages, and each page the cache grows by is fresh memory: a
  // page fault here, where a first touch is costly (docs/performance.md, "Page faults and the
  // allocator"). 32 MB made ~1,200 of a 1,000-service run's ~1,460 faults, on the writer
  // thread beside the simulation's. The indexes built at the end sort millions of rows: that
  // sort's memory is bounded by the cache size, so it gets the larger one.
  static constexpr int kRowsCacheKiB = 4096;
  static constexpr int kIndexCacheKiB = 32768;
  int sync_fd = -1;
  std::int64_t synced_bytes = 0;  // what the syncs asked for so far cover
  FileSyncer syncer;
  void sync_behind() {
    if (options.scratch) return;  // never synced at all
    if (sync_fd < 0) {
      const std::string plain = path.rfind("file:", 0) == 0 ? "./" + path : path;  // as open() does
      sync_fd = ::open(plain.c_str(), O_RDONLY | O_CLOEXEC);
      if (sync_fd < 0) return;
    }
    struct stat st {};
    if (::fstat(sync_fd, &st) != 0 || st.st_size - synced_bytes < kSyncBehindBytes) return;
    // The sync starts after the commit wrote these bytes, so it covers them. One that fails
    // leaves them to the last commit's sync, as one skipped does.
    if (syncer.request(sync_fd)) synced_bytes = st.st_size;
  }

  // The error names what was being done and SQLite's reason; the CLI adds the file's name.
  void fail(std::string_view what) {
    if (failed) return;
    failed = true;
    error = fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : "no database");
  }

  // sqlite3_busy_handler: another connection holds the lock this one needs. Wait (it is
  // another run appending to the same file, or a reader) with a short sleep, say so once after
  // about a second, and give up only past options.lock_wait_seconds. SQLite itself returns
  // SQLITE_BUSY without calling this where waiting could deadlock; every write transaction
  // here starts with BEGIN IMMEDIATE, where it does call it.
  static int on_busy(void* self, int count) {
    auto& w = *static_cast<Impl*>(self);
    const auto now = Clock::now();
    if (count == 0) w.wait_started = now;
    const double waited = std::chrono::duration<double>(now - w.wait_started).count();
    if (w.options.lock_wait_seconds >= 0 && waited >= w.options.lock_wait_seconds) return 0;
    if (waited >= 1.0 && !w.wait_announced) {
      w.wait_announced = true;
      if (w.options.on_wait) w.options.on_wait();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(count + 1, 20)));
    return 1;
  }

  // Whether `table` already has `column` (migrations add only what is missing, so that a file
  // a newer or partly upgraded writer touched is brought up to date, not refused).
  bool has_column(std::string_view table, std::string_view column) {
    sqlite3_stmt* q = nullptr;
    const std::string sql = fmt::format("SELECT 1 FROM pragma_table_info('{}') WHERE name = '{}'", table, column);
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &q, nullptr) != SQLITE_OK) return false;
    const bool found = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    return found;
  }

  bool exec(const std::string& sql, std::string_view what) {
    if (failed) return false;
    char* msg = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
      failed = true;
      error = fmt::format("{}: {}", what, msg ? msg : sqlite3_errmsg(db));
      sqlite3_free(msg);
      return false;
    }
    return true;
  }

  bool prepare(Statement& stmt, std::string_view sql) {
    std::string msg;
    stmt = Statement(db, sql, &msg);
    if (!stmt) {
      failed = true;
      error = fmt::format("preparing a statement: {}", msg);
      return false;
    }
    return true;
  }

  bool step_done(Statement& stmt, std::string_view what) {
    int rc = stmt.step();
    stmt.reset();
    if (rc != SQLITE_DONE) {
      fail(what);
      return false;
    }
    return true;
  }

  // ---- dictionary ----
  std::pair<std::int64_t, const std::string*> intern_text(std::string_view text) {
    auto it = by_text.find(text);
    if (it != by_text.end()) return {it->second, &it->first};
    std::int64_t id = next_string_id++;
    if (!failed) {
      insert_string.bind(1, id);
      insert_string.bind(2, text);
      step_done(insert_string, "writing a string");
    }
    auto [pos, inserted] = by_text.emplace(std::string(text), id);
    return {id, &pos->first};
  }

  // In front of by_text for records' stable views. It grows with the texts looked up through
  // it, not with every text interned: a metrics-only run interns its label texts directly, and
  // at 1,000 services a cache sized for them was 2 MB of fresh memory (~500 page faults on the
  // writer thread) that no lookup used.
  telemetry::ViewCache view_cache;

  std::int64_t intern(std::string_view text) {
    return view_cache.get(text, [this](std::string_view t) {
      const auto found = intern_text(t);
      view_cache.reserve(by_text.size());
      return found;
    });
  }

  // Labels that do not apply hold `unknown`, as in Istio's telemetry.
  std::int64_t label(std::string_view text) { return text.empty() ? unknown_id : intern(text); }
  std::int64_t dash_if_empty(std::string_view text) { return text.empty() ? dash_id : intern(text); }
  // Columns that do not apply or were not recorded (schema 6's received_*, location) hold NULL.
  void bind_text_or_null(Statement& s, int i, std::string_view text) {
    if (text.empty())
      s.bind_null(i);
    else
      s.bind(i, intern(text));
  }

  std::int64_t flags_id(std::uint32_t flags) {
    auto it = flag_ids.find(flags);
    if (it != flag_ids.end()) return it->second;
    std::int64_t id = intern_text(telemetry::format_response_flags(flags)).first;
    flag_ids.emplace(flags, id);
    return id;
  }

  bool load_dictionary() {
    by_text.clear();
    view_cache.clear();
    flag_ids.clear();
    Statement q;
    if (!prepare(q, "SELECT id, value FROM strings")) return false;
    int rc;
    next_string_id = 1;
    while ((rc = q.step()) == SQLITE_ROW) {
      std::int64_t id = q.column_int(0);
      by_text.emplace(q.column_text(1), id);
      next_string_id = std::max(next_string_id, id + 1);
    }
    if (rc != SQLITE_DONE) {
      fail("reading the string dictionary");
      return false;
    }
    if (!prepare(new_strings, "SELECT id, value FROM strings WHERE id >= ?")) return false;
    unknown_id = intern_text("unknown").first;
    dash_id = intern_text("-").first;
    reporter_ids = {intern_text("source").first, intern_text("destination").first};
    for (auto kind : {telemetry::SpanKind::Attempt, telemetry::SpanKind::LocalReply,
                      telemetry::SpanKind::Shadow}) {
      kind_ids[static_cast<std::size_t>(kind)] = intern_text(telemetry::to_string(kind)).first;
    }
    return !failed;
  }

  // Strings another writer appended to the file while this one did not hold the lock: their
  // ids are taken, so learn them before inserting any of our own. Usually no rows.
  bool sync_dictionary() {
    new_strings.bind(1, next_string_id);
    int rc;
    while ((rc = new_strings.step()) == SQLITE_ROW) {
      std::int64_t id = new_strings.column_int(0);
      by_text.emplace(new_strings.column_text(1), id);
      next_string_id = std::max(next_string_id, id + 1);
    }
    new_strings.reset();
    if (rc != SQLITE_DONE) {
      fail("reading the string dictionary");
      return false;
    }
    return true;
  }

  // ---- transactions ----
  // IMMEDIATE: the write lock first, so that waiting for another writer goes through on_busy
  // (a deferred transaction that upgrades from reading can get SQLITE_BUSY at once).
  void begin() {
    if (in_txn || !exec("BEGIN IMMEDIATE", "starting a transaction")) return;
    in_txn = true;
    sync_dictionary();
  }
  // A durable write transaction with the dictionary read afresh, for the writes that are not
  // part of a run (batches): begin_run does the same for a run.
  bool begin_with_dictionary(std::string_view what, bool durable = true) {
    if (failed || in_txn) return false;
    set_durable(durable);
    if (!exec("BEGIN IMMEDIATE", what)) return false;
    in_txn = true;
    return load_dictionary();
  }
  void commit() {
    if (in_txn) {
      in_txn = false;
      if (!exec("COMMIT", "committing")) rollback();
    }
    rows_since_commit = 0;
    last_commit = Clock::now();
  }
  // A batch's commit during a run, the sync-behind after it (on the writer thread's side of a
  // run, or finish()'s with that thread drained) and the next transaction.
  void commit_batch() {
    commit();
    if (in_run && background) sync_behind();
    begin();
  }
  // The writer thread with nothing queued (kIdleCommitRows says why).
  void commit_while_idle() {
    if (in_run && !failed && rows_since_commit >= kIdleCommitRows) commit_batch();
  }
  // The run's first commit, durable: its row, inputs and workloads (begin_run).
  void commit_run_start() {
    commit();
    set_durable(false);
    begin();
  }
  // After a failed statement or COMMIT SQLite may or may not have rolled back already.
  void rollback() {
    if (db && sqlite3_get_autocommit(db) == 0) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    in_txn = false;
  }

  // After a write error: the rows of the open transaction are gone; mark the run `failed` with
  // the error in one small transaction of its own. Rolling back freed the journal, so this
  // usually fits even on a full disk; if not, the run stays `running` and readers show it as
  // incomplete. Either way no reader takes it for a finished run.
  void mark_failed(double wall) {
    rollback();
    Statement u;
    std::string msg;
    u = Statement(db, "UPDATE run_rows SET status = 'failed', error = ?, wall_seconds = ? "
                      "WHERE run_id = ?", &msg);
    if (!u) {
      error += fmt::format(" (and the run could not be marked failed: {})", msg);
      return;
    }
    sqlite3_exec(db, "PRAGMA synchronous = NORMAL", nullptr, nullptr, nullptr);
    u.bind(1, std::string_view(error));
    u.bind(2, wall);
    u.bind(3, run_id);
    if (u.step() != SQLITE_DONE) {
      error += fmt::format(" (and the run could not be marked failed: {})", sqlite3_errmsg(db));
      rollback();
    }
  }
  // Bulk commits run with synchronous=OFF: the rows reach the OS at once (so a crash of this
  // process loses nothing committed) but no fsync per batch. The run's first and last commits
  // run with NORMAL, and their fsync makes everything written before them durable too.
  void set_durable(bool durable) {
    if (options.scratch) durable = false;
    exec(durable ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = OFF",
         "configuring the connection");
  }

  void row_written() { rows_written(1); }
  void rows_written(std::int64_t n) {
    const std::int64_t before = rows_since_commit;
    rows_since_commit += n;
    if (rows_since_commit >= options.commit_rows ||
        ((before >> 12) != (rows_since_commit >> 12) &&
         std::chrono::duration<double>(Clock::now() - last_commit).count() >=
             options.commit_seconds)) {
      commit_batch();
    }
  }

  // ---- metrics ----
  // The `strings` id of a label, its text (handed over with the window that first counted it)
  // interned on first use.
  std::int64_t string_id(telemetry::LabelId label) {
    if (label >= string_id_of_label.size()) string_id_of_label.resize(label + 1, 0);
    std::int64_t& id = string_id_of_label[label];
    if (id == 0) id = intern_text(*label_texts[label]).first;
    return id;
  }

  // A finished window from telemetry; written at once, or queued as a MetricWindowRows while
  // the writer thread runs (below, after Background).
  void on_metric_window(const telemetry::FinishedWindow& window) override;
  // The window's new `metric_series` rows, then its `metric_counts` rows in telemetry's order
  // (docs/results-schema.md `metrics`).
  void write_metric_window(const MetricWindowRows& window) {
    if (failed) return;
    assert(window.first_new_label == label_texts.size());  // label ids are dense
    label_texts.insert(label_texts.end(), window.new_label_texts.begin(), window.new_label_texts.end());
    for (std::size_t i = 0; i < window.new_labels.size(); ++i) {
      const telemetry::MetricLabels& k = window.new_labels[i];
      Statement& s = insert_series;
      int at = 1;
      s.bind(at++, run_id);
      s.bind(at++, static_cast<std::int64_t>(window.first_new_series + i));
      s.bind(at++, reporter_ids[static_cast<std::size_t>(k.reporter)]);
      for (auto id : {k.source_workload, k.destination_service, k.destination_workload, k.destination_version,
                      k.destination_pod}) {
        s.bind(at++, string_id(id));
      }
      s.bind(at++, static_cast<std::int64_t>(k.response_code));
      s.bind(at++, flags_id(k.response_flags));
      for (auto id : k.peers) s.bind(at++, string_id(id));
      if (!step_done(s, "writing metrics")) return;
      if (hop_summaries_from_windows()) {
        assert(hop_series.size() == window.first_new_series + i);  // series numbers are dense
        HopSeries& h = hop_series.emplace_back();
        if (k.reporter == telemetry::Reporter::Source) {
          h = {&hop_groups[GroupKey{k.destination_service, k.destination_version}], k.response_code,
               k.response_flags};
        }
      }
    }
    if (hop_summaries_from_windows()) count_hops(window);
    Statement* statement = window_counts_statement(buckets_filled(window));
    if (!statement) return;
    Statement& s = *statement;
    window_source = {window.rows, window.spread};
    s.bind(1, run_id);
    s.bind(2, window.start.ns());
    s.bind(3, window.width.ns());
    const bool written = step_done(s, "writing metrics");
    window_source = {};
    if (!written) return;
    counters.metric_rows += window.rows.size();
    rows_written(static_cast<std::int64_t>(window.rows.size()));
  }

  // Bit b set when some row of the window counted a request in bucket b.
  static std::uint32_t buckets_filled(const MetricWindowRows& window) {
    std::uint32_t filled = 0;
    for (const telemetry::MetricCounts& row : window.rows) {
      if (row.spread()) continue;
      filled |= 1u << row.bucket;
      if (row.bucket2 >= 0) filled |= 1u << row.bucket2;
    }
    for (const BucketCounts& spread : window.spread)
      for (std::size_t b = 0; b < spread.size(); ++b)
        if (spread[b] != 0) filled |= 1u << b;
    return filled;
  }

  // The INSERT of a window's metric_counts rows whose buckets outside `filled` are all zero:
  // those columns are the constant 0 instead of a value read from meshtwin_window_rows. At
  // 1,000 services a row is mostly its 20 bucket columns, and reading one from the virtual table
  // costs SQLite ~13 ns (a call into column(), a result, an error check), written ~150,000
  // times a run by the writer thread, which is then the run's bottleneck; a window of
  // millisecond hops fills 5-10 of the 20. Statements are made per set of buckets as
  // windows need them (a run meets a few sets), kept for the connection.
  Statement* window_counts_statement(std::uint32_t filled) {
    for (auto& [set, statement] : insert_window_counts)
      if (set == filled) return &statement;
    if (insert_window_counts.size() >= kWindowCountStatements) insert_window_counts.clear();
    std::string columns, values;
    for (std::size_t b = 0; b < kDurationBucketColumns.size(); ++b) {
      columns += fmt::format(", {}", kDurationBucketColumns[b]);
      values += filled & (1u << b) ? fmt::format(", b{}", b) : std::string(", 0");
    }
    Statement statement;
    if (!prepare(statement, fmt::format("INSERT INTO metric_counts(run_id, window_start_ns, window_ns, series, "
                                        "requests, duration_sum_ns{}) SELECT ?1, ?2, ?3, series, requests, "
                                        "duration_sum_ns{} FROM meshtwin_window_rows",
                                        columns, values)))
      return nullptr;
    insert_window_counts.emplace_back(filled, std::move(statement));
    return &insert_window_counts.back().second;
  }

  // The hop summaries from a window's source-reporter rows: the same sums as counting each hop
  // (a label set has one code and one set of flags).
  void count_hops(const MetricWindowRows& window) {
    for (const telemetry::MetricCounts& row : window.rows) {
      const HopSeries& h = hop_series[row.series];
      HopGroup* g = h.group;
      if (g == nullptr) continue;  // the destination reporter's
      g->requests += row.requests;
      if (is_success(h.code)) g->success += row.requests;
      if (row.bucket >= 0) {
        g->buckets[static_cast<std::size_t>(row.bucket)] += row.count;
        if (row.bucket2 >= 0) g->buckets[static_cast<std::size_t>(row.bucket2)] += row.count2;
      } else {
        const BucketCounts& spread = window.spread[row.spread_at()];
        for (std::size_t b = 0; b < spread.size(); ++b) g->buckets[b] += spread[b];
      }
      std::uint32_t flags = h.flags;
      for (std::size_t bit = 0; flags != 0 && bit < kFlagBits; ++bit, flags >>= 1)
        if (flags & 1u) g->flags[bit] += row.requests;
    }
  }

  void create_read_indexes() {
    exec(fmt::format("PRAGMA cache_size = -{}", kIndexCacheKiB), "building indexes");
    exec("CREATE INDEX IF NOT EXISTS request_rows_by_run ON request_rows(run_id, request_id);"
         "CREATE INDEX IF NOT EXISTS span_rows_by_request ON span_rows(run_id, request_id);"
         "CREATE INDEX IF NOT EXISTS metric_counts_by_run ON metric_counts(run_id, window_start_ns);"
         "CREATE INDEX IF NOT EXISTS inputs_by_run ON inputs(run_id);",
         "building indexes");
    exec(fmt::format("PRAGMA cache_size = -{}", kRowsCacheKiB), "building indexes");
  }

  // ---- summaries ----
  // The dictionary is one-way (text -> id) during the run; summaries need the way back for
  // every group, so it is inverted once here (a 10,000-service mesh has ~13,000 groups: a scan
  // per lookup made writing the summaries take longer than the simulation).
  std::unordered_map<std::int64_t, std::string_view> texts_by_id() const {
    std::unordered_map<std::int64_t, std::string_view> out;
    out.reserve(by_text.size());
    for (const auto& [text, id] : by_text) out.emplace(id, text);
    return out;
  }

  void write_summaries() {
    Statement s;
    if (!prepare(s, "INSERT INTO summaries(run_id, destination_service, destination_version, "
                    "requests, success, p50_ns, p90_ns, p99_ns, flags) "
                    "VALUES(?,?,?,?,?,?,?,?,?)")) {
      return;
    }
    // Views into the writer's dictionary or the metrics' label texts, both unchanged until the
    // rows are written: at 1,000 services ~1,300 groups, and a copy of each name here was
    // fresh memory at the end of the run, where the simulation waits for it.
    struct Out {
      std::string_view service, version;
      std::uint64_t requests, success;
      std::int64_t p50, p90, p99;
      std::string flags;
    };
    std::vector<Out> out;
    out.reserve(request_groups.empty() ? hop_groups.size() : request_groups.size());
    if (!request_groups.empty()) {
      const auto texts = texts_by_id();
      auto text_of = [&](std::int64_t id) {
        auto it = texts.find(id);
        return it == texts.end() ? std::string_view() : it->second;
      };
      for (auto& [k, g] : request_groups) {
        out.push_back({text_of(k.service), text_of(k.version), g.requests, g.success,
                       g.durations.percentile(0.50), g.durations.percentile(0.90),
                       g.durations.percentile(0.99), format_flag_counts(g.flags)});
      }
    } else {
      // No request rows (record.requests: none): summarize the source-reporter hops instead.
      auto text_of = [&](std::int64_t id) { return metrics.text(static_cast<telemetry::LabelId>(id)); };
      for (auto& [k, g] : hop_groups) {
        out.push_back({text_of(k.service), text_of(k.version), g.requests, g.success,
                       percentile_from_buckets(g.buckets, 0.50),
                       percentile_from_buckets(g.buckets, 0.90),
                       percentile_from_buckets(g.buckets, 0.99), format_flag_counts(g.flags)});
      }
    }
    std::sort(out.begin(), out.end(), [](const Out& a, const Out& b) {
      return std::tie(a.service, a.version) < std::tie(b.service, b.version);
    });
    for (const Out& o : out) {
      int i = 1;
      s.bind(i++, run_id);
      s.bind(i++, std::string_view(o.service));
      s.bind(i++, std::string_view(o.version));
      s.bind(i++, static_cast<std::int64_t>(o.requests));
      s.bind(i++, static_cast<std::int64_t>(o.success));
      s.bind(i++, o.p50);
      s.bind(i++, o.p90);
      s.bind(i++, o.p99);
      s.bind(i++, std::string_view(o.flags));
      if (!step_done(s, "writing summaries")) return;
    }
  }

  void finish(const telemetry::RunEnd& end) {
    if (!in_run) return;
    in_run = false;
    if (!failed) {
      commit();
      set_durable(true);
      begin();
      metrics.flush();
      write_summaries();
      // Built after the bulk load: appending to plain rowid tables and sorting once is cheaper
      // than keeping a key order per insert (measured: WITHOUT ROWID tables cost ~15 % more);
      // metric_counts' index exists already (begin_run says why).
      // Readers look runs, requests and a request's spans up by these keys. A second run in the
      // same file maintains them as it goes. Same transaction as the status: a run reads
      // `complete` only with its indexes. A scratch file (a replication's part) is only ever
      // copied whole into the real file, which has them: sorting its rows would be wasted.
      if (!options.scratch) create_read_indexes();
      double wall = end.wall_seconds > 0
                        ? end.wall_seconds
                        : std::chrono::duration<double>(Clock::now() - run_started).count();
      Statement u;
      if (prepare(u, "UPDATE run_rows SET status = ?, wall_seconds = ?, sim_end_ns = ? "
                     "WHERE run_id = ?")) {
        u.bind(1, std::string_view(end.complete ? "complete" : "interrupted"));
        u.bind(2, wall);
        u.bind(3, std::max(end.sim_end, metrics.newest_end()).ns());
        u.bind(4, run_id);
        step_done(u, "finishing the run");
      }
      commit();
      set_durable(false);
    }
    if (failed) {
      mark_failed(std::chrono::duration<double>(Clock::now() - run_started).count());
    }
    metrics.detach();
    request_groups.clear();
    hop_groups.clear();
    hop_group_of_series.clear();
    hop_series.clear();
  }

  // Opening a file (below, beside SqliteWriter::open): its version, a new file's schema, an older
  // file's upgrade, the connection's settings and statements. Each returns false with the
  // one-line reason in `why`.
  bool read_state(std::int64_t& version, std::int64_t& objects, std::string& why);
  bool create_schema(std::int64_t& version, std::string& why);
  bool upgrade_schema(std::int64_t& version, std::string& why);
  bool upgrade_from(std::int64_t version);
  bool configure(std::string& why);
};

// ---------------------------------------------------------------------------------------

// Reading user_version is the first access to the file: a non-database fails here.
bool SqliteWriter::Impl::read_state(std::int64_t& version, std::int64_t& objects, std::string& why) {
  std::string msg;
  Statement q(db, "PRAGMA user_version", &msg);
  if (!q || q.step() != SQLITE_ROW) {
    why = fmt::format("{} is not a meshtwin results file: {}", path, msg.empty() ? sqlite3_errmsg(db) : msg);
    return false;
  }
  version = q.column_int(0);
  Statement c(db, "SELECT count(*) FROM sqlite_schema", &msg);
  if (!c || c.step() != SQLITE_ROW) {
    why = fmt::format("{} is not a meshtwin results file: {}", path, sqlite3_errmsg(db));
    return false;
  }
  objects = c.column_int(0);
  return true;
}

// A new file. Larger pages suit long append-only tables of integer rows (a no-op if another
// writer created the file meanwhile). Then decide again under the exclusive lock: two runs may
// start on the same new file at once, and only one creates the schema.
bool SqliteWriter::Impl::create_schema(std::int64_t& version, std::string& why) {
  if (!exec("PRAGMA page_size = 16384", "setting the page size") || !exec("BEGIN EXCLUSIVE", "creating the schema")) {
    why = fmt::format("{}: {}", path, error);
    return false;
  }
  std::int64_t objects = -1;
  bool ok = read_state(version, objects, why);
  if (ok && version == 0 && objects == 0) {
    ok = exec(detail::schema_sql(), "creating the schema") &&
         exec(fmt::format("PRAGMA user_version = {}", kSchemaVersion), "creating the schema");
    if (ok) version = kSchemaVersion;
    else why = fmt::format("{}: {}", path, error);
  }
  if (ok && !exec("COMMIT", "creating the schema")) {
    why = fmt::format("{}: {}", path, error);
    ok = false;
  }
  if (!ok) rollback();
  return ok;
}

// Appending to an older file: bring it to this version first, in one exclusive transaction
// (re-checked inside, as another writer may have done it meanwhile), one version at a time.
bool SqliteWriter::Impl::upgrade_schema(std::int64_t& version, std::string& why) {
  if (!exec("BEGIN EXCLUSIVE", "upgrading the schema")) {
    why = fmt::format("{}: {}", path, error);
    return false;
  }
  std::int64_t objects = -1;
  bool ok = read_state(version, objects, why);
  for (; ok && version >= kOldestReadableSchemaVersion && version < kSchemaVersion; ++version) {
    if (!upgrade_from(version)) {
      why = fmt::format("{}: {}", path, error);
      ok = false;
    }
  }
  if (ok && !exec("COMMIT", "upgrading the schema")) {
    why = fmt::format("{}: {}", path, error);
    ok = false;
  }
  if (!ok) rollback();
  return ok;
}

// One step of the migration chain, `version` -> `version` + 1.
bool SqliteWriter::Impl::upgrade_from(std::int64_t version) {
  const std::string what = fmt::format("upgrading the schema from version {}", version);
  std::string sql;
  std::string views;
  if (version == 1) {
    // 1 -> 2: the error of a failed run.
    if (!has_column("run_rows", "error")) sql += "ALTER TABLE run_rows ADD COLUMN error TEXT; ";
    sql += "DROP VIEW IF EXISTS runs;";
    views = detail::runs_view_sql();
  } else if (version == 2) {
    // 2 -> 3: the twin's own outcomes (sim_outcome) on requests and spans, NULL for old rows
    // (such runs had none), and the two views that show them.
    // The views are rebuilt by the step to 6, which adds the rest of their columns (all steps
    // run in one transaction, so no reader sees the file without them).
    for (const char* table : {"request_rows", "span_rows"})
      if (!has_column(table, "sim_outcome")) sql += fmt::format("ALTER TABLE {} ADD COLUMN sim_outcome INTEGER; ", table);
    sql += "DROP VIEW IF EXISTS requests; DROP VIEW IF EXISTS spans;";
  } else if (version == 3) {
    // 3 -> 4: Istio's peer labels in metric_rows and when the run was recorded. Old rows keep
    // NULL there, which the rebuilt `metrics` view reads as `unknown`.
    for (auto name : kPeerColumns)
      if (!has_column("metric_rows", name)) sql += fmt::format("ALTER TABLE metric_rows ADD COLUMN {} INTEGER;", name);
    if (!has_column("run_rows", "recorded_unix_s")) sql += "ALTER TABLE run_rows ADD COLUMN recorded_unix_s REAL;";
    sql += "DROP VIEW IF EXISTS metrics;";
    views = detail::metrics_view_sql();
  } else if (version == 4) {
    // 4 -> 5: batches of replications and sweeps; old runs are single runs (batch_id and
    // replication NULL) with no warm-up.
    for (const char* column : {"batch_id INTEGER", "replication INTEGER", "warmup_ns INTEGER NOT NULL DEFAULT 0"}) {
      const std::string_view name(column, std::string_view(column).find(' '));
      if (!has_column("run_rows", name)) sql += fmt::format("ALTER TABLE run_rows ADD COLUMN {}; ", column);
    }
    sql += "DROP VIEW IF EXISTS runs;";
    views = detail::batches_sql() + detail::runs_view_sql();
  } else if (version == 5) {
    // 5 -> 6: what the upstream app received and redirects' Location; NULL for old rows (those
    // runs recorded none), and the two views that show them.
    static constexpr std::pair<const char*, const char*> kColumns[] = {
        {"request_rows", "location"},           {"request_rows", "redirect_of"},
        {"span_rows", "received_path"},         {"span_rows", "received_authority"},
        {"span_rows", "received_headers"},      {"span_rows", "location"}};
    for (const auto& column : kColumns)
      if (!has_column(column.first, column.second))
        sql += fmt::format("ALTER TABLE {} ADD COLUMN {} INTEGER; ", column.first, column.second);
    sql += "DROP VIEW IF EXISTS requests; DROP VIEW IF EXISTS spans;";
    views = detail::request_span_views_sql();
  } else if (version == 6) {
    // 6 -> 7: metric_rows' label sets become metric_series rows, numbered per run in the order
    // their first row was written, and its rows metric_counts rows naming them; metric_rows is
    // then the view over both, with the same columns. IS matches NULL peers (rows before schema
    // 4) as the GROUP BY does.
    std::string labels = "reporter, source_workload, destination_service, destination_workload, "
                         "destination_version, destination_pod, response_code, response_flags";
    for (auto name : kPeerColumns) labels += fmt::format(", {}", name);
    std::string same_labels = "s.run_id = m.run_id";
    for (std::string_view rest = labels; !rest.empty();) {
      const std::size_t comma = rest.find(", ");
      const std::string_view name = rest.substr(0, comma);
      same_labels += fmt::format(" AND s.{0} IS m.{0}", name);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 2);
    }
    std::string bucket_cols, buckets;
    for (auto name : kDurationBucketColumns) {
      bucket_cols += fmt::format(", {}", name);
      buckets += fmt::format(", m.{}", name);
    }
    sql += detail::metric_storage_sql(false);
    sql += fmt::format(
        "INSERT INTO metric_series(run_id, series, {0}) SELECT run_id, row_number() OVER (PARTITION BY run_id "
        "ORDER BY first) - 1, {0} FROM (SELECT run_id, {0}, min(rowid) AS first FROM metric_rows GROUP BY run_id, {0});"
        "CREATE INDEX metric_series_by_labels ON metric_series(run_id, {0});"
        "INSERT INTO metric_counts(run_id, window_start_ns, window_ns, series, requests, duration_sum_ns{1}) "
        "SELECT m.run_id, m.window_start_ns, m.window_ns, s.series, m.requests, m.duration_sum_ns{2} "
        "FROM metric_rows m CROSS JOIN metric_series s ON {3} ORDER BY m.rowid;"
        "DROP INDEX metric_series_by_labels; DROP TABLE metric_rows; DROP VIEW IF EXISTS metrics;"
        "CREATE INDEX IF NOT EXISTS metric_counts_by_run ON metric_counts(run_id, window_start_ns);",
        labels, bucket_cols, buckets, same_labels);
    views = detail::metric_storage_sql(true) + detail::metrics_view_sql();
  }
  return exec(sql, what) && exec(views, what) && exec(fmt::format("PRAGMA user_version = {}", version + 1), what);
}

// The connection's settings and the insert statements of every table the writer fills.
bool SqliteWriter::Impl::configure(std::string& why) {
  // A version-4 file written before the `workloads` table existed gets it now (a no-op when
  // it is there; takes the write lock only when it creates it).
  if (!exec(detail::workloads_table_sql(), "creating the workloads table")) {
    why = fmt::format("{}: {}", path, error);
    return false;
  }
  if (options.max_page_count > 0 &&
      !exec(fmt::format("PRAGMA max_page_count = {}", options.max_page_count), "configuring the connection")) {
    why = fmt::format("{}: {}", path, error);
    return false;
  }
  // Rollback journal with NORMAL sync: commits are rare (every ~100k rows), so durability
  // costs little, and no -wal/-shm files are left for read-only readers to trip on. threads:
  // the indexes built when a run ends sort millions of rows; SQLite's sorter may split that
  // work over helper threads (Debian builds it with up to 8, default 0).
  if (!exec(fmt::format("PRAGMA journal_mode = DELETE; PRAGMA synchronous = OFF; PRAGMA cache_size = -{}; "
                        "PRAGMA foreign_keys = OFF; PRAGMA threads = 2;",
                        kRowsCacheKiB),
            "configuring the connection")) {
    why = fmt::format("{}: {}", path, error);
    return false;
  }
  // metric_counts (window_counts_statement): ?1 run, ?2 window start, ?3 window length, then
  // the window's rows as meshtwin_window_rows reads them from window_source, in telemetry's
  // order.
  if (!detail::register_window_rows(db, &window_source)) {
    why = fmt::format("{}: registering the metric window table: {}", path, sqlite3_errmsg(db));
    return false;
  }
  std::string series_cols = "run_id, series, reporter, source_workload, destination_service, destination_workload, "
                            "destination_version, destination_pod, response_code, response_flags";
  std::string series_marks = "?,?,?,?,?,?,?,?,?,?";
  for (auto name : kPeerColumns) {
    series_cols += fmt::format(", {}", name);
    series_marks += ",?";
  }
  if (!prepare(insert_series, fmt::format("INSERT INTO metric_series({}) VALUES({})", series_cols, series_marks))) {
    why = fmt::format("{}: {}", path, error);
    return false;
  }
  if (!prepare(insert_string, "INSERT INTO strings(id, value) VALUES(?, ?)") ||
      !prepare(insert_request, "INSERT INTO request_rows VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)") ||
      !prepare(insert_span, "INSERT INTO span_rows VALUES("
                            "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)") ||
      !prepare(insert_event,
               "INSERT INTO events(run_id, t_ns, kind, subject, detail) "
               "VALUES(?,?,?,?,?)")) {
    why = fmt::format("{}: {}", path, error);
    return false;
  }
  return true;
}

std::unique_ptr<SqliteWriter> SqliteWriter::open(const std::string& path, std::string* error,
                                                 const WriterOptions& options) {
  auto set_error = [&](std::string msg) {
    if (error) *error = std::move(msg);
    return nullptr;
  };
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = options;
  if (impl->options.commit_rows < 1) impl->options.commit_rows = 1;
  // Memory statistics cost SQLite a global mutex per allocation, and nothing here reads them.
  // Process-wide and only possible before SQLite's first use: later calls are refused, harmlessly.
  static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)memstatus_off;
  // URI filenames are on so that copy_run can ATTACH its source read-only (`file:...?mode=ro`);
  // this file's own name stays a plain name even when it starts with `file:`.
  const std::string plain = path.rfind("file:", 0) == 0 ? "./" + path : path;
  if (sqlite3_open_v2(plain.c_str(), &impl->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
                      nullptr) != SQLITE_OK) {
    return set_error(fmt::format("cannot open results file {}: {}", path,
                                 impl->db ? sqlite3_errmsg(impl->db) : "out of memory"));
  }
  sqlite3_busy_handler(impl->db, &Impl::on_busy, impl.get());
  if (impl->options.scratch) sqlite3_exec(impl->db, "PRAGMA synchronous = OFF", nullptr, nullptr, nullptr);
  std::string why;
  std::int64_t version = -1, objects = -1;
  if (!impl->read_state(version, objects, why)) return set_error(why);
  if (version == 0 && objects == 0 && !impl->create_schema(version, why)) return set_error(why);
  if (version == 0) {
    return set_error(fmt::format(
        "{} is a SQLite database but not a meshtwin results file (no schema version); "
        "choose another output file",
        path));
  }
  if (version >= kOldestReadableSchemaVersion && version < kSchemaVersion && !impl->upgrade_schema(version, why))
    return set_error(why);
  if (version != kSchemaVersion) {
    return set_error(fmt::format(
        "{} has results schema version {} but this meshtwin writes version {}; "
        "write to a new file",
        path, version, kSchemaVersion));
  }
  if (!impl->configure(why)) return set_error(why);
  return std::unique_ptr<SqliteWriter>(new SqliteWriter(std::move(impl)));
}

SqliteWriter::SqliteWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteWriter::~SqliteWriter() {
  if (impl_) impl_->drain();
  if (impl_ && impl_->in_run) {
    telemetry::RunEnd end;
    end.complete = false;
    end.sim_end = impl_->metrics.newest_end();
    impl_->finish(end);
  }
}

void SqliteWriter::begin_run(const telemetry::RunInfo& info) {
  Impl& w = *impl_;
  w.drain();
  if (w.in_run) {
    telemetry::RunEnd end;
    end.complete = false;
    w.finish(end);
  }
  if (w.failed) return;
  w.run_started = Clock::now();
  // IMMEDIATE: take the write lock before reading the dictionary, so ids cannot collide
  // with another writer that appended in between.
  w.set_durable(true);
  if (!w.exec("BEGIN IMMEDIATE", "starting the run")) return;
  w.in_txn = true;
  // metric_counts' index is kept as rows go in, on the writer thread, unlike the others (built at
  // the end, Impl::finish): a large mesh writes about a metric row per hop attempt, and sorting
  // them at the end was ~15 % of a 1,000-service metrics-only run on the simulation's thread,
  // while the writer thread idles half the time there. Bookinfo writes a few rows per window.
  if (!w.options.scratch &&
      !w.exec("CREATE INDEX IF NOT EXISTS metric_counts_by_run ON metric_counts(run_id, window_start_ns);",
              "building indexes"))
    return;
  if (!w.load_dictionary()) return;
  Statement r;
  if (!w.prepare(r, "INSERT INTO run_rows(scenario, seed, sim_duration_ns, wall_seconds, "
                    "meshtwin_version, status, metrics_interval_ns, sim_end_ns, "
                    "recorded_unix_s, warmup_ns) VALUES(?,?,?,0,?,'running',?,0,?,?)")) {
    return;
  }
  r.bind(7, w.options.warmup);
  r.bind(1, std::string_view(info.scenario));
  r.bind(2, static_cast<std::int64_t>(info.seed));  // seeds >= 2^63 read back negative in SQL
  r.bind(3, info.duration.ns());
  r.bind(4, std::string_view(info.meshtwin_version));
  w.metrics.begin_run(info.metrics_interval, w.options.metrics_lag_windows, &w);
  w.string_id_of_label.clear();
  w.label_texts.clear();
  w.labels_handed_over = 0;
  w.series_handed_over = 0;
  r.bind(5, w.metrics.interval().ns());
  // Wall-clock time the run began: the default epoch of exported series (docs/export.md).
  r.bind(6, std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                .count());
  if (!w.step_done(r, "recording the run")) return;
  w.run_id = sqlite3_last_insert_rowid(w.db);
  Statement in;
  if (!w.prepare(in, "INSERT INTO inputs(run_id, path, content) VALUES(?,?,?)")) return;
  for (const auto& [path, content] : info.inputs) {
    in.bind(1, w.run_id);
    in.bind(2, std::string_view(path));
    in.bind(3, std::string_view(content));
    if (!w.step_done(in, "recording the inputs")) return;
  }
  Statement wl;
  if (!w.prepare(wl, "INSERT INTO workloads(run_id, workload, namespace, canonical_service, "
                     "canonical_revision) VALUES(?,?,?,?,?)")) {
    return;
  }
  for (const auto& x : info.workloads) {
    wl.bind(1, w.run_id);
    wl.bind(2, std::string_view(x.name));
    wl.bind(3, std::string_view(x.namespace_));
    wl.bind(4, std::string_view(x.canonical_service));
    wl.bind(5, std::string_view(x.canonical_revision));
    if (!w.step_done(wl, "recording the workloads")) return;
  }
  // Committed before any of the run's rows: even a run that dies early leaves its `running` row
  // and inputs. With the writer thread that commit is its first job, so the simulation starts
  // without waiting for its fsync (a couple of milliseconds for a large mesh's 1.4 MB of inputs).
  // The thread starts with the run rather than with its first row, so that its start (a
  // thread, the first pages of its stack) is not part of the simulation's time, and so that it
  // does not inherit a CPU affinity the simulation's thread takes after begin_run (a benchmark
  // pins that thread alone: bench/sim_cpu.h).
  w.in_run = true;
  w.counters = {};
  if (w.options.background) {
    w.queue_run_start();
  } else {
    w.commit_run_start();
  }
}

namespace {

void write_request(SqliteWriter::Impl& w, const telemetry::RequestRecord& r) {
  if (!w.in_run || w.failed) return;
  std::int64_t dsvc = w.label(r.destination_service);
  std::int64_t dver = w.label(r.destination_version);
  Statement& s = w.insert_request;
  s.bind(1, w.run_id);
  s.bind(2, static_cast<std::int64_t>(r.request_id));
  s.bind(3, w.intern(r.client));
  s.bind(4, r.start.ns());
  s.bind(5, r.duration.ns());
  s.bind(6, w.intern(r.method));
  s.bind(7, w.intern(r.authority));
  s.bind(8, w.intern(r.path));
  s.bind(9, static_cast<std::int64_t>(r.response_code));
  s.bind(10, w.flags_id(r.response_flags));
  s.bind(11, static_cast<std::int64_t>(r.attempts));
  s.bind(12, w.dash_if_empty(r.route_name));
  s.bind(13, w.dash_if_empty(r.vs_rule));
  s.bind(14, dsvc);
  s.bind(15, dver);
  s.bind(16, w.label(r.destination_workload));
  s.bind(17, static_cast<std::int64_t>(r.degraded_calls));
  if (r.sim_outcome.empty())
    s.bind_null(18);
  else
    s.bind(18, w.intern(r.sim_outcome));
  w.bind_text_or_null(s, 19, r.location);
  if (r.redirect_of == 0)
    s.bind_null(20);
  else
    s.bind(20, static_cast<std::int64_t>(r.redirect_of));
  if (!w.step_done(s, "writing a request")) return;
  ++w.counters.requests;
  if (r.start.ns() < w.options.warmup) {
    w.row_written();
    return;
  }
  RequestGroup& g = w.request_groups[GroupKey{dsvc, dver}];
  ++g.requests;
  if (is_success(r.response_code)) ++g.success;
  g.durations.add(r.duration.ns());
  count_flags(g.flags, r.response_flags);
  w.row_written();
}

// A sampled span's row (its metrics were counted when it arrived: SqliteWriter::on_span).
void write_span(SqliteWriter::Impl& w, const telemetry::SpanRecord& sp) {
  if (!w.in_run || w.failed) return;
  std::int64_t src = w.label(sp.source_workload);
  std::int64_t dsvc = w.label(sp.destination_service);
  std::int64_t dver = w.label(sp.destination_version);
  std::int64_t dwl = w.label(sp.destination_workload);
  std::int64_t dpod = w.label(sp.destination_pod);
  Statement& s = w.insert_span;
  s.bind(1, w.run_id);
  s.bind(2, static_cast<std::int64_t>(sp.request_id));
  s.bind(3, static_cast<std::int64_t>(sp.span_id));
  if (sp.parent_span_id == 0) {
    s.bind_null(4);
  } else {
    s.bind(4, static_cast<std::int64_t>(sp.parent_span_id));
  }
  s.bind(5, w.kind_ids[static_cast<std::size_t>(sp.kind) % w.kind_ids.size()]);
  s.bind(6, src);
  s.bind(7, w.label(sp.source_pod));
  s.bind(8, dsvc);
  s.bind(9, dver);
  s.bind(10, dwl);
  s.bind(11, dpod);
  s.bind(12, w.label(sp.cluster));
  s.bind(13, w.dash_if_empty(sp.route_name));
  s.bind(14, static_cast<std::int64_t>(sp.attempt));
  s.bind(15, static_cast<std::int64_t>(sp.app_attempt));
  s.bind(16, static_cast<std::int64_t>(sp.config_version));
  s.bind(17, sp.start.ns());
  s.bind(18, sp.duration.ns());
  s.bind(19, static_cast<std::int64_t>(sp.response_code));
  s.bind(20, w.flags_id(sp.response_flags));
  s.bind(21, w.flags_id(sp.upstream_flags));
  if (sp.sim_outcome.empty())
    s.bind_null(22);
  else
    s.bind(22, w.intern(sp.sim_outcome));
  w.bind_text_or_null(s, 23, sp.received_path);
  w.bind_text_or_null(s, 24, sp.received_authority);
  w.bind_text_or_null(s, 25, sp.received_headers);
  w.bind_text_or_null(s, 26, sp.location);
  if (!w.step_done(s, "writing a span")) return;
  ++w.counters.spans;
  w.row_written();
}

void write_event(SqliteWriter::Impl& w, const telemetry::EventRecord& e) {
  if (!w.in_run || w.failed) return;
  Statement& s = w.insert_event;
  s.bind(1, w.run_id);
  s.bind(2, e.time.ns());
  s.bind(3, std::string_view(e.kind));
  s.bind(4, std::string_view(e.subject));
  s.bind(5, std::string_view(e.detail));
  if (!w.step_done(s, "writing an event")) return;
  ++w.counters.events;
  w.row_written();
}

// Copies of the texts records point to, owned by the writer: a record queued for the writer
// thread may be written after what its views point into is gone (a route or cluster name of a
// config that a later push replaced), so its views are moved onto these first. Most views are
// the model's interned names, found through the view cache without hashing their bytes.
class OwnedTexts {
 public:
  std::string_view own(std::string_view text) {
    if (text.empty()) return text;  // empty stays empty: it means "does not apply"
    const auto i = cache_.get(text, [this](std::string_view t) {
      auto it = index_.find(t);
      if (it == index_.end()) {
        texts_.emplace_back(t);  // deque: the string never moves
        by_id_.push_back(&texts_.back());
        it = index_.emplace(texts_.back(), texts_.size() - 1).first;
        cache_.reserve(texts_.size());
      }
      return std::pair<std::int64_t, const std::string*>(static_cast<std::int64_t>(it->second),
                                                         by_id_[it->second]);
    });
    // Through by_id_, not texts_[i]: a deque's operator[] is out of line in GCC 12, and this
    // runs about 34 times per hop attempt on the simulation thread (docs/performance.md).
    return *by_id_[static_cast<std::size_t>(i)];
  }
  void own(telemetry::PeerLabels& p) {
    for (auto* v : {&p.source_namespace, &p.source_app, &p.source_version, &p.source_principal,
                    &p.destination_namespace, &p.destination_app, &p.destination_principal,
                    &p.request_protocol}) {
      *v = own(*v);
    }
  }

 private:
  telemetry::ViewCache cache_;
  std::deque<std::string> texts_;
  std::vector<const std::string*> by_id_;  // texts_[i] by index i
  std::unordered_map<std::string_view, std::size_t> index_;
};

// begin_run's durable commit, made by the writer thread ahead of the run's first rows.
struct CommitRunStart {};

using Record = std::variant<telemetry::SpanRecord, MetricWindowRows, telemetry::RequestRecord, telemetry::EventRecord,
                            CommitRunStart>;

}  // namespace

// The writer thread: SQLite's share of a run (interning, binding, inserting, the request
// summaries) runs beside the simulation instead of inside it. Only rows go over (requests,
// sampled spans, events, finished metric windows; hops and metric counting stay on the
// simulation's thread), in batches, in order, so the file gets the same rows in the same order
// as without the thread.
// Everything but the records (begin and end of a run, flush, errors, counters) first waits
// until the thread has written all queued records and is idle, then runs on the caller's
// thread: the connection is only ever used by one thread at a time.
struct Background {
  static constexpr std::size_t kBatch = 1024;     // records per hand-over
  static constexpr std::size_t kMaxQueued = 16;   // batches; then the simulation waits

  SqliteWriter::Impl& w;
  OwnedTexts texts;  // the simulation thread's only
  std::vector<Record> filling;
  std::mutex m;
  std::condition_variable work, idle;
  std::deque<std::vector<Record>> queue;
  std::vector<std::vector<Record>> spare;  // emptied batches, reused (no malloc per batch)
  // Written windows' storage, reused: a window of a large mesh is ~100 KB of counts, and fresh
  // memory costs a page fault per 4 KiB.
  std::vector<MetricWindowRows> spare_windows;
  std::vector<MetricWindowRows> emptied;  // run(): the windows of the batch being written
  bool busy = false;
  bool stop = false;
  std::thread thread;

  explicit Background(SqliteWriter::Impl& writer) : w(writer) {
    filling.reserve(kBatch);
    thread = std::thread([this] { run(); });
  }
  ~Background() {
    drain();
    {
      std::lock_guard lock(m);
      stop = true;
    }
    work.notify_one();
    thread.join();
  }

  void add(Record&& r) {
    filling.push_back(std::move(r));
    added();
  }
  // A copy of `record` made in place in the batch (a span is ~400 bytes: a copy first and a move
  // into the batch after cost two more), for the caller to finish (own its texts) before
  // calling added().
  template <class T>
  T& emplace(const T& record) {
    return std::get<T>(filling.emplace_back(std::in_place_type<T>, record));
  }
  void added() {
    if (filling.size() >= kBatch) submit();
  }

  // Storage for the next window's rows (empty vectors, maybe with capacity).
  MetricWindowRows window_storage() {
    std::lock_guard lock(m);
    if (spare_windows.empty()) return {};
    MetricWindowRows window = std::move(spare_windows.back());
    spare_windows.pop_back();
    return window;
  }

  void submit() {
    if (filling.empty()) return;
    std::unique_lock lock(m);
    idle.wait(lock, [this] { return queue.size() < kMaxQueued; });
    queue.push_back(std::move(filling));
    if (!spare.empty()) {
      filling = std::move(spare.back());
      spare.pop_back();
    } else {
      filling = {};
      filling.reserve(kBatch);
    }
    lock.unlock();
    work.notify_one();
  }

  // Returns when every record added so far is written and the thread is idle.
  void drain() {
    submit();
    std::unique_lock lock(m);
    idle.wait(lock, [this] { return queue.empty() && !busy; });
  }

  void run() {
    std::unique_lock lock(m);
    for (;;) {
      work.wait(lock, [this] { return stop || !queue.empty(); });
      if (queue.empty()) return;  // stop, nothing left
      std::vector<Record> batch = std::move(queue.front());
      queue.pop_front();
      busy = true;
      lock.unlock();
      emptied.clear();  // its capacity is kept: no malloc per batch
      for (Record& r : batch) {
        std::visit([this](const auto& rec) { write(rec); }, r);
        if (auto* window = std::get_if<MetricWindowRows>(&r)) emptied.push_back(std::move(*window));
      }
      batch.clear();
      lock.lock();
      if (queue.empty() && !stop) {
        lock.unlock();
        w.commit_while_idle();  // still `busy`: a drain waits for it
        lock.lock();
      }
      spare.push_back(std::move(batch));
      for (MetricWindowRows& window : emptied)
        if (spare_windows.size() < kMaxQueued) spare_windows.push_back(std::move(window));
      busy = false;
      idle.notify_all();
    }
  }

  void write(const telemetry::SpanRecord& r) { write_span(w, r); }
  void write(const MetricWindowRows& r) { w.write_metric_window(r); }
  void write(const telemetry::RequestRecord& r) { write_request(w, r); }
  void write(const telemetry::EventRecord& r) { write_event(w, r); }
  void write(const CommitRunStart&) { w.commit_run_start(); }
};

SqliteWriter::Impl::~Impl() {
  background.reset();  // the thread first: it may be writing
  close();
}

void SqliteWriter::Impl::drain() {
  if (background) background->drain();
}

Background& SqliteWriter::Impl::rows() {
  if (!background) background = std::make_unique<Background>(*this);
  return *background;
}

void SqliteWriter::Impl::queue_run_start() {
  Background& queue = rows();
  queue.filling.emplace_back(std::in_place_type<CommitRunStart>);
  queue.submit();
}

// During a run (in_run) with options.background, the window is queued behind the records before
// it on the writer thread; otherwise (no thread wanted, or finish() flushing the last windows
// after draining) it is written at once on this thread.
void SqliteWriter::Impl::on_metric_window(const telemetry::FinishedWindow& window) {
  // Queued for the writer thread during a run: at 1,000 services a metrics-only run writes
  // about one row per hop attempt (thousands of series, each with a request or two per window),
  // which is SQLite work the simulation need not wait for. A small mesh hands over a few rows
  // per window.
  Background* queue = in_run && options.background ? &rows() : nullptr;
  MetricWindowRows out = queue ? queue->window_storage() : MetricWindowRows{};
  out.start = window.start;
  out.width = window.width;
  out.first_new_label = labels_handed_over;
  out.new_label_texts.clear();
  for (const auto known = static_cast<std::uint32_t>(metrics.label_count()); labels_handed_over < known;
       ++labels_handed_over) {
    out.new_label_texts.push_back(metrics.stored_text(labels_handed_over));
  }
  out.first_new_series = series_handed_over;
  out.new_labels.clear();
  for (const auto known = static_cast<std::uint32_t>(metrics.series_count()); series_handed_over < known;
       ++series_handed_over) {
    out.new_labels.push_back(metrics.labels(series_handed_over));
  }
  out.rows.assign(window.rows.begin(), window.rows.end());
  out.spread.assign(window.spread.begin(), window.spread.end());
  if (queue) {
    // A window of a large mesh goes at once, not when the batch of records is full: it is
    // thousands of rows, and in a metrics-only run the writer thread would otherwise wait for
    // them to the end. A small window rides with the batch (a hand-over wakes the writer
    // thread, and Bookinfo finishes a window of a few dozen rows every 200 requests).
    const bool big = out.rows.size() >= kWindowRowsSentAtOnce;
    queue->add(std::move(out));
    if (big) queue->submit();
    return;
  }
  if (failed) {
    metrics.detach();
    return;
  }
  write_metric_window(out);
}

void SqliteWriter::on_request(const telemetry::RequestRecord& r) {
  Impl& w = *impl_;
  if (!w.in_run) return;
  if (!w.options.background) return write_request(w, r);
  Background& rows = w.rows();
  telemetry::RequestRecord& c = rows.emplace(r);
  OwnedTexts& t = rows.texts;
  // Names the model interned for the run stay valid until end_run, which drains the queue
  // first, so the row carries them as they are (records.h). Copied: texts built per request and
  // the route and VirtualService rule names, which live in a proxy config a push may free
  // before the row is written.
  for (auto* v : {&c.route_name, &c.vs_rule, &c.sim_outcome, &c.location}) *v = t.own(*v);
  rows.added();
}

// The destination reporter's metrics are counted here, on the simulation's thread, straight
// from the record (no copy, no queue); only a sampled span, which is a row, goes further.
void SqliteWriter::on_span(const telemetry::SpanRecord& sp) {
  Impl& w = *impl_;
  if (!w.in_run) return;
  w.metrics.on_span(sp);  // when it reached upstream
  if (!sp.sampled) return;
  if (!w.options.background) return write_span(w, sp);
  Background& rows = w.rows();
  telemetry::SpanRecord& c = rows.emplace(sp);
  OwnedTexts& t = rows.texts;
  // As in on_request: the interned names and peer labels go as they are (valid until end_run,
  // which drains the queue); the cluster and route names (a proxy config's) and the texts built
  // per request are copied. Copying all 21 views per span through OwnedTexts was ~1,250
  // instructions per hop attempt on the simulation thread (docs/performance.md).
  for (auto* v : {&c.cluster, &c.route_name, &c.sim_outcome, &c.received_path, &c.received_authority,
                  &c.received_headers, &c.location})
    *v = t.own(*v);
  rows.added();
}

// The source reporter's metrics and the hop summaries, counted on the simulation's thread: a
// hop is never a row of its own, so it never goes to the writer thread.
void SqliteWriter::on_hop(const telemetry::HopRecord& h) {
  Impl& w = *impl_;
  if (!w.in_run) return;
  if (w.hop_summaries_from_windows()) {
    w.metrics.on_hop(h);
    return;
  }
  std::uint32_t series = 0;
  const telemetry::MetricLabels& labels = w.metrics.on_hop(h, &series);
  if (h.start.ns() < w.options.warmup) return;  // the warm-up: in metrics, not in summaries
  if (series >= w.hop_group_of_series.size()) w.hop_group_of_series.resize(series + 1, nullptr);
  HopGroup*& cached = w.hop_group_of_series[series];
  if (!cached) cached = &w.hop_groups[GroupKey{labels.destination_service, labels.destination_version}];
  HopGroup& g = *cached;
  ++g.requests;
  if (is_success(h.response_code)) ++g.success;
  ++g.buckets[duration_bucket(h.duration)];
  count_flags(g.flags, h.response_flags);
}

void SqliteWriter::on_event(const telemetry::EventRecord& e) {
  Impl& w = *impl_;
  if (!w.in_run) return;
  // Before the writer thread starts (and always in a metrics-only run) written at once.
  if (!w.background) return write_event(w, e);
  w.background->add(e);  // owns its strings
}

void SqliteWriter::end_run(const telemetry::RunEnd& end) {
  impl_->drain();
  impl_->finish(end);
}

void SqliteWriter::flush() {
  Impl& w = *impl_;
  w.drain();
  if (w.failed || !w.in_txn) return;
  w.commit();
  if (w.in_run) w.begin();
}

namespace {

// The columns of each table that hold `strings` ids: copying a run from another file
// translates them into this file's dictionary. Every other column is copied as it is.
static_assert(kPeerColumns.size() == 9, "every peer label column is a strings id: list it below");
const std::map<std::string, std::set<std::string>, std::less<>>& string_id_columns() {
  static const auto kColumns = [] {
    std::map<std::string, std::set<std::string>, std::less<>> columns = {
      {"request_rows",
       {"client", "method", "authority", "path", "response_flags", "route_name", "vs_rule", "destination_service",
        "destination_version", "destination_workload", "sim_outcome", "location"}},
      {"span_rows",
       {"kind", "source_workload", "source_pod", "destination_service", "destination_version",
        "destination_workload", "destination_pod", "cluster", "route_name", "response_flags", "upstream_flags",
        "sim_outcome", "received_path", "received_authority", "received_headers", "location"}},
      {"metric_series",
       {"reporter", "source_workload", "destination_service", "destination_workload", "destination_version",
        "destination_pod", "response_flags"}},
      {"metric_counts", {}},
      {"summaries", {}},
      {"events", {}},
      {"inputs", {}},
      {"workloads", {}},  // plain text, keyed by run_id
    };
    // Istio's peer labels in metric_series are `strings` ids too (schema 4).
    for (auto name : kPeerColumns) columns["metric_series"].emplace(name);
    return columns;
  }();
  return kColumns;
}

}  // namespace

std::int64_t SqliteWriter::begin_batch(const BatchInfo& info) {
  Impl& w = *impl_;
  w.drain();  // the writer thread finishes the run before the batch rows touch the file
  if (w.failed || w.in_run) return 0;
  if (!w.begin_with_dictionary("recording the batch")) return 0;
  Statement b;
  if (!w.prepare(b, "INSERT INTO batches(scenario, seed, replications, warmup_ns, status, wall_seconds, "
                    "meshtwin_version) VALUES(?,?,?,?,'running',0,?)"))
    return 0;
  b.bind(1, std::string_view(info.scenario));
  b.bind(2, static_cast<std::int64_t>(info.seed));
  b.bind(3, static_cast<std::int64_t>(info.replications));
  b.bind(4, info.warmup);
  b.bind(5, std::string_view(info.meshtwin_version));
  if (!w.step_done(b, "recording the batch")) return 0;
  const std::int64_t id = sqlite3_last_insert_rowid(w.db);
  w.commit();
  w.set_durable(false);
  return w.failed ? 0 : id;
}

namespace {

// `path` as a read-only SQLite URI (`file:/abs/path?mode=ro`), so that ATTACH cannot write to the
// file it copies from, not even to roll back a journal: merge never modifies its inputs.
std::string read_only_uri(const std::string& path) {
  std::string uri = "file:";
  for (unsigned char c : std::filesystem::absolute(path).string()) {
    if (c == '%' || c == '?' || c == '#' || c < 0x20) uri += fmt::format("%{:02X}", c);
    else uri += static_cast<char>(c);
  }
  return uri + "?mode=ro";
}

}  // namespace

std::int64_t SqliteWriter::append_run(const std::string& part_path, std::int64_t batch_id, int replication) {
  return copy_run(part_path, 0, batch_id, replication);
}

std::int64_t SqliteWriter::copy_run(const std::string& source_path, std::int64_t source_run,
                                    std::int64_t batch_id, std::optional<int> replication) {
  Impl& w = *impl_;
  w.drain();  // the writer thread finishes the run before the batch rows touch the file
  if (w.failed || w.in_run) return 0;
  // ATTACH is not allowed inside a transaction; the copy is one transaction after it.
  {
    Statement attach;
    if (!w.prepare(attach, "ATTACH DATABASE ? AS part")) return 0;
    const std::string uri = read_only_uri(source_path);  // bound text must outlive the step
    attach.bind(1, std::string_view(uri));
    if (!w.step_done(attach, "opening the results file to copy a run from")) return 0;
  }
  std::int64_t new_run = 0;
  // A part file holds exactly the one run being copied (source_run 0: its last and only run).
  const bool whole_file = source_run == 0;
  // Source string id -> this file's, learnt as the rows name them: a string is interned when
  // the copy first meets it (tables in a fixed order, rows in rowid order), so the ids this file
  // gives depend only on the rows copied, not on what else the source's dictionary holds. That
  // is what makes a merged file's `strings` equal to the unsharded run's: a shard file's
  // dictionary holds its other runs' strings too, a replication's part file only its own.
  std::unordered_map<std::int64_t, std::int64_t> ids;
  Statement text_of;
  auto translate = [&](std::int64_t source_id) -> std::int64_t {
    auto it = ids.find(source_id);
    if (it != ids.end()) return it->second;
    std::int64_t id = w.unknown_id;
    text_of.bind(1, source_id);
    if (text_of.step() == SQLITE_ROW) id = w.intern_text(text_of.column_text(0)).first;
    text_of.reset();
    ids.emplace(source_id, id);
    return id;
  };
  // Copies the rows of `table` of the source's run `from_run` (all of run_rows' row when
  // `inserted` is given: it learns the new run id), naming the source's columns so that the copy
  // does not depend on column order; run ids become the new run's, string ids this file's.
  auto copy_rows = [&](const std::string& table, const std::set<std::string>& id_columns, std::int64_t from_run,
                       const std::function<void(std::int64_t)>& inserted) -> bool {
    std::vector<std::string> columns;
    {
      Statement info;
      if (!w.prepare(info, fmt::format("SELECT name FROM part.pragma_table_info('{}')", table))) return false;
      while (info.step() == SQLITE_ROW) {
        std::string name = info.column_text(0);
        if (!(inserted && name == "run_id")) columns.push_back(std::move(name));  // run_rows: a new id
      }
    }
    std::string names, marks;
    for (const auto& c : columns) {
      names += (names.empty() ? "" : ", ") + c;
      marks += marks.empty() ? "?" : ",?";
    }
    std::vector<int> kind(columns.size(), 0);  // 0 copy, 1 run id, 2 string id
    for (std::size_t i = 0; i < columns.size(); ++i)
      kind[i] = columns[i] == "run_id" ? 1 : id_columns.count(columns[i]) ? 2 : 0;
    if (!inserted && whole_file) {
      // A replication's part (one run, append_run): one INSERT ... SELECT inside SQLite, string
      // ids translated by meshtwin_copy_id (below) as the rows go by, without two API calls per
      // column (this copy is the serial part of run --replications). NOT INDEXED makes the
      // scan the table's own rowid order, so no sorter runs between the function and the rows:
      // strings are interned in the same first-met order (row by row, column by column) as the
      // row-by-row copy below, which files with several runs keep (an index scan plus a sort
      // would call the function in index order).
      std::string exprs;
      for (std::size_t i = 0; i < columns.size(); ++i) {
        if (!exprs.empty()) exprs += ", ";
        exprs += kind[i] == 1 ? std::string("?1") : kind[i] == 2 ? "meshtwin_copy_id(" + columns[i] + ")" : columns[i];
      }
      Statement bulk;
      if (!w.prepare(bulk, fmt::format("INSERT INTO main.{}({}) SELECT {} FROM part.{} NOT INDEXED WHERE run_id = ?2 "
                                       "ORDER BY rowid",
                                       table, names, exprs, table)))
        return false;
      bulk.bind(1, new_run);
      bulk.bind(2, from_run);
      return w.step_done(bulk, "copying a run");
    }
    Statement select, insert;
    if (!w.prepare(select, fmt::format("SELECT {} FROM part.{} WHERE run_id = ? ORDER BY rowid", names, table)) ||
        !w.prepare(insert, fmt::format("INSERT INTO main.{}({}) VALUES({})", table, names, marks)))
      return false;
    select.bind(1, from_run);
    int rc;
    while ((rc = select.step()) == SQLITE_ROW) {
      for (std::size_t i = 0; i < columns.size(); ++i) {
        const int col = static_cast<int>(i);
        if (kind[i] == 1) {
          insert.bind(col + 1, new_run);
        } else if (kind[i] == 2 && sqlite3_column_type(select.get(), col) == SQLITE_INTEGER) {
          insert.bind(col + 1, translate(select.column_int(col)));
        } else {
          sqlite3_bind_value(insert.get(), col + 1, sqlite3_column_value(select.get(), col));
        }
      }
      if (!w.step_done(insert, "copying a run")) return false;
      if (inserted) inserted(sqlite3_last_insert_rowid(w.db));
    }
    if (rc != SQLITE_DONE) {
      w.fail("reading the results file a run is copied from");
      return false;
    }
    return true;
  };
  // meshtwin_copy_id(x): the source's string id x as this file's (interned on first sight by
  // translate); NULL and non-integers pass through. Registered for this copy only.
  struct CopyId {
    static void call(sqlite3_context* ctx, int, sqlite3_value** argv) {
      auto& fn = *static_cast<decltype(translate)*>(sqlite3_user_data(ctx));
      if (sqlite3_value_type(argv[0]) == SQLITE_INTEGER)
        sqlite3_result_int64(ctx, fn(sqlite3_value_int64(argv[0])));
      else
        sqlite3_result_value(ctx, argv[0]);
    }
  };
  sqlite3_create_function_v2(w.db, "meshtwin_copy_id", 1, SQLITE_UTF8, &translate, &CopyId::call, nullptr,
                             nullptr, nullptr);
  auto copy = [&]() -> bool {
    // Not durable: like a run's bulk commits, the copies reach the OS at once and the batch's
    // last commit (end_batch) makes them durable with one fsync.
    if (!w.begin_with_dictionary("copying a run", false)) return false;
    if (!w.prepare(text_of, "SELECT value FROM part.strings WHERE id = ?")) return false;
    // The run row: every column as the source has it, then this file's batch and replication.
    std::int64_t from_run = source_run;
    if (from_run == 0) {
      Statement last;
      if (!w.prepare(last, "SELECT max(run_id) FROM part.run_rows")) return false;
      if (last.step() != SQLITE_ROW || sqlite3_column_type(last.get(), 0) == SQLITE_NULL) {
        w.failed = true;
        w.error = "the file to copy a run from holds no run";
        return false;
      }
      from_run = last.column_int(0);
    }
    if (!copy_rows("run_rows", {}, from_run, [&](std::int64_t id) { new_run = id; })) return false;
    if (new_run == 0) {
      w.failed = true;
      w.error = fmt::format("the file to copy a run from holds no run {}", from_run);
      return false;
    }
    {
      Statement tag;
      if (!w.prepare(tag, "UPDATE run_rows SET batch_id = ?, replication = ? WHERE run_id = ?")) return false;
      if (batch_id != 0) tag.bind(1, batch_id);
      else tag.bind_null(1);
      if (replication) tag.bind(2, static_cast<std::int64_t>(*replication));
      else tag.bind_null(2);
      tag.bind(3, new_run);
      if (!w.step_done(tag, "recording a replication")) return false;
    }
    for (const auto& [table, id_columns] : string_id_columns())
      if (!copy_rows(table, id_columns, from_run, nullptr)) return false;
    text_of = {};
    w.create_read_indexes();
    w.commit();
    return !w.failed;
  };
  const bool ok = copy();
  text_of = {};  // a prepared statement on `part` would keep it from detaching
  // `translate` ends with this call: the function goes with it (every statement using it is
  // finalized by now).
  sqlite3_create_function_v2(w.db, "meshtwin_copy_id", 1, SQLITE_UTF8, nullptr, nullptr, nullptr, nullptr, nullptr);
  if (!ok) w.rollback();
  sqlite3_exec(w.db, "DETACH DATABASE part", nullptr, nullptr, nullptr);
  return ok ? new_run : 0;
}

void SqliteWriter::end_batch(std::int64_t batch_id, std::string_view status, int replications, double wall_seconds) {
  Impl& w = *impl_;
  w.drain();  // the writer thread finishes the run before the batch rows touch the file
  if (w.failed || w.in_run || !w.begin_with_dictionary("finishing the batch")) return;
  Statement u;
  if (!w.prepare(u, "UPDATE batches SET status = ?, replications = ?, wall_seconds = ? WHERE batch_id = ?")) return;
  u.bind(1, status);
  u.bind(2, static_cast<std::int64_t>(replications));
  u.bind(3, wall_seconds);
  u.bind(4, batch_id);
  w.step_done(u, "finishing the batch");
  w.commit();
  w.set_durable(false);
}

std::int64_t SqliteWriter::begin_sweep(std::string_view scenario, std::string_view grid, int points) {
  Impl& w = *impl_;
  w.drain();
  if (w.failed || w.in_run || !w.begin_with_dictionary("recording the sweep")) return 0;
  Statement q;
  if (!w.prepare(q, "INSERT INTO sweeps(scenario, grid, points, status) VALUES(?,?,?,'running')")) return 0;
  q.bind(1, scenario);
  q.bind(2, grid);
  q.bind(3, static_cast<std::int64_t>(points));
  if (!w.step_done(q, "recording the sweep")) return 0;
  const std::int64_t id = sqlite3_last_insert_rowid(w.db);
  w.commit();
  w.set_durable(false);
  return w.failed ? 0 : id;
}

bool SqliteWriter::add_sweep_point(std::int64_t sweep_id, int point, std::int64_t batch_id,
                                   const std::vector<std::pair<std::string, std::string>>& parameters) {
  Impl& w = *impl_;
  w.drain();
  if (w.failed || w.in_run || !w.begin_with_dictionary("recording a sweep point")) return false;
  Statement q;
  if (!w.prepare(q, "INSERT INTO sweep_points(sweep_id, point, batch_id, parameter, value) VALUES(?,?,?,?,?)"))
    return false;
  for (const auto& [parameter, value] : parameters) {
    q.bind(1, sweep_id);
    q.bind(2, static_cast<std::int64_t>(point));
    q.bind(3, batch_id);
    q.bind(4, std::string_view(parameter));
    q.bind(5, std::string_view(value));
    if (!w.step_done(q, "recording a sweep point")) return false;
  }
  w.commit();
  w.set_durable(false);
  return !w.failed;
}

void SqliteWriter::end_sweep(std::int64_t sweep_id, std::string_view status, int points) {
  Impl& w = *impl_;
  w.drain();
  if (w.failed || w.in_run || !w.begin_with_dictionary("finishing the sweep")) return;
  Statement q;
  // points < 0: the planned count stays (a grid knows it up front; a capacity search does not).
  if (!w.prepare(q, "UPDATE sweeps SET status = ?, points = CASE WHEN ? < 0 THEN points ELSE ? END WHERE sweep_id = ?"))
    return;
  q.bind(1, status);
  q.bind(2, static_cast<std::int64_t>(points));
  q.bind(3, static_cast<std::int64_t>(points));
  q.bind(4, sweep_id);
  w.step_done(q, "finishing the sweep");
  w.commit();
  w.set_durable(false);
}

std::int64_t SqliteWriter::run_id() const { return impl_->run_id; }
bool SqliteWriter::ok() const {
  impl_->drain();
  return !impl_->failed;
}
const std::string& SqliteWriter::error() const {
  impl_->drain();
  return impl_->error;
}
const SqliteWriter::Counters& SqliteWriter::counters() const {
  impl_->drain();
  return impl_->counters;
}

}  // namespace meshtwin::results
