// Internal to results/: small RAII helpers over the SQLite C API. Public headers never include
// this file, so users of results/ never see sqlite3.h.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace meshtwin::results::detail {

// A prepared statement, finalized on destruction.
class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, std::string_view sql, std::string* error) {
    int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK && error) *error = sqlite3_errmsg(db);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(Statement&& o) noexcept : stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement& operator=(Statement&& o) noexcept {
    if (this != &o) {
      sqlite3_finalize(stmt_);
      stmt_ = o.stmt_;
      o.stmt_ = nullptr;
    }
    return *this;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  explicit operator bool() const { return stmt_ != nullptr; }
  sqlite3_stmt* get() const { return stmt_; }

  void bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
  void bind_null(int i) { sqlite3_bind_null(stmt_, i); }
  // The text must outlive step(): callers bind and step in one go.
  void bind(int i, std::string_view v) {
    // A default string_view has a null data(), which SQLite would store as NULL.
    sqlite3_bind_text(stmt_, i, v.data() ? v.data() : "", static_cast<int>(v.size()),
                      SQLITE_STATIC);
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }
  void reset() { sqlite3_reset(stmt_); }

  std::int64_t column_int(int i) const { return sqlite3_column_int64(stmt_, i); }
  double column_double(int i) const { return sqlite3_column_double(stmt_, i); }
  std::string column_text(int i) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)))
             : std::string();
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// The schema (docs/design.md §3.3 names as views over compact tables); see schema.cc.
std::string schema_sql();
// The `runs` view alone (also rebuilt by the migration from schema version 1).
std::string runs_view_sql();
// The `batches` table and the run_rows index by batch (also created by the migration to the
// version that added batches).
std::string batches_sql();
// The `requests` and `spans` views (also rebuilt by the migration to schema version 6).
std::string request_span_views_sql();
// `metric_series`, `metric_counts` and (with_view) the `metric_rows` view over them (schema 7;
// the migration to it makes the tables, moves the rows, drops the table metric_rows, then makes
// the view).
std::string metric_storage_sql(bool with_view);
// The `metrics` view alone (also rebuilt by the migration to schema version 4).
std::string metrics_view_sql();
// The `workloads` table (Istio's canonical service per workload). A table of its own and no
// schema version: readers of version 4 that do not know it ignore it, and the writer creates
// it in a version-4 file that lacks it (files of main's first schema 4 did).
std::string workloads_table_sql();

}  // namespace meshtwin::results::detail
