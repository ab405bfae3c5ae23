#include "results/window_rows_table.h"

#include <sqlite3.h>

#include <cstdint>
#include <string>

namespace meshtwin::results::detail {
namespace {

// SQLite's virtual table interface: a module (callbacks), a table object per connection and a
// cursor per scan. The table is read-only, has no index and is scanned whole, in order.
struct Table {
  sqlite3_vtab base{};  // first: SQLite casts between the two
  const WindowRowsSource* source = nullptr;
};

struct Cursor {
  sqlite3_vtab_cursor base{};  // first
  const WindowRowsSource* source = nullptr;
  std::size_t row = 0;
  telemetry::BucketCounts buckets{};  // the current row's, filled when its first bucket is read
  bool buckets_filled = false;
};

constexpr int kSeries = 0, kRequests = 1, kDurationSum = 2, kFirstBucket = 3;

int connect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out, char**) {
  std::string columns = "CREATE TABLE x(series INTEGER, requests INTEGER, duration_sum_ns INTEGER";
  for (std::size_t b = 0; b < telemetry::kDurationBuckets; ++b) columns += ", b" + std::to_string(b) + " INTEGER";
  columns += ")";
  if (const int rc = sqlite3_declare_vtab(db, columns.c_str()); rc != SQLITE_OK) return rc;
  auto* table = new Table;
  table->source = static_cast<const WindowRowsSource*>(aux);
  *out = &table->base;
  return SQLITE_OK;
}

int disconnect(sqlite3_vtab* vtab) {
  delete reinterpret_cast<Table*>(vtab);
  return SQLITE_OK;
}

int best_index(sqlite3_vtab*, sqlite3_index_info* info) {
  info->estimatedCost = 1e6;  // a full scan is the only plan
  return SQLITE_OK;
}

int open_cursor(sqlite3_vtab* vtab, sqlite3_vtab_cursor** out) {
  auto* cursor = new Cursor;
  cursor->source = reinterpret_cast<Table*>(vtab)->source;
  *out = &cursor->base;
  return SQLITE_OK;
}

int close_cursor(sqlite3_vtab_cursor* cur) {
  delete reinterpret_cast<Cursor*>(cur);
  return SQLITE_OK;
}

int filter(sqlite3_vtab_cursor* cur, int, const char*, int, sqlite3_value**) {
  auto* c = reinterpret_cast<Cursor*>(cur);
  c->row = 0;
  c->buckets_filled = false;
  return SQLITE_OK;
}

int next(sqlite3_vtab_cursor* cur) {
  auto* c = reinterpret_cast<Cursor*>(cur);
  ++c->row;
  c->buckets_filled = false;
  return SQLITE_OK;
}

int eof(sqlite3_vtab_cursor* cur) {
  const auto* c = reinterpret_cast<const Cursor*>(cur);
  return c->row >= c->source->rows.size() ? 1 : 0;
}

int column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int i) {
  auto* c = reinterpret_cast<Cursor*>(cur);
  const telemetry::MetricCounts& row = c->source->rows[c->row];
  std::int64_t value = 0;
  if (i == kSeries) {
    value = row.series;
  } else if (i == kRequests) {
    value = static_cast<std::int64_t>(row.requests);
  } else if (i == kDurationSum) {
    value = row.duration_sum;
  } else {
    if (!c->buckets_filled) {
      c->buckets = telemetry::FinishedWindow{{}, {}, c->source->rows, c->source->spread}.buckets(row);
      c->buckets_filled = true;
    }
    value = static_cast<std::int64_t>(c->buckets[static_cast<std::size_t>(i - kFirstBucket)]);
  }
  sqlite3_result_int64(ctx, value);
  return SQLITE_OK;
}

int rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* out) {
  *out = static_cast<sqlite3_int64>(reinterpret_cast<const Cursor*>(cur)->row);
  return SQLITE_OK;
}

// xCreate null: eponymous-only, usable by its name without CREATE VIRTUAL TABLE, so nothing of
// it is stored in the results file.
constexpr sqlite3_module kModule = {
    /*iVersion=*/0,     /*xCreate=*/nullptr, connect, best_index, disconnect, /*xDestroy=*/nullptr,
    open_cursor,        close_cursor,        filter,  next,       eof,        column,
    rowid,              /*xUpdate=*/nullptr, /*xBegin=*/nullptr, /*xSync=*/nullptr, /*xCommit=*/nullptr,
    /*xRollback=*/nullptr, /*xFindFunction=*/nullptr, /*xRename=*/nullptr, /*xSavepoint=*/nullptr,
    /*xRelease=*/nullptr, /*xRollbackTo=*/nullptr, /*xShadowName=*/nullptr};

}  // namespace

bool register_window_rows(sqlite3* db, const WindowRowsSource* source) {
  return sqlite3_create_module_v2(db, "meshtwin_window_rows", &kModule, const_cast<WindowRowsSource*>(source),
                                  nullptr) == SQLITE_OK;
}

}  // namespace meshtwin::results::detail
