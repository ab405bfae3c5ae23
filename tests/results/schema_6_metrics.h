// Tests of files older than schema 7 start from a file this writer made: this turns its metric
// storage into what versions 1 to 6 had, metric_rows a table with the label columns (and its
// index), the same rows in the same order. Other tables are the test's to turn back.
#pragma once

#include <sqlite3.h>

#include <string>

namespace meshtwin::results::testing {

// Returns SQLite's error, or "" when the file now has schema 6's metric_rows.
inline std::string metrics_as_schema_6(sqlite3* db) {
  std::string metrics_view;
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_schema WHERE name = 'metrics'", -1, &q, nullptr) == SQLITE_OK &&
      sqlite3_step(q) == SQLITE_ROW)
    metrics_view = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
  sqlite3_finalize(q);
  const std::string sql =
      "DROP VIEW metrics;"
      "CREATE TABLE metric_rows_6 AS SELECT * FROM metric_rows;"
      "DROP VIEW metric_rows; DROP TABLE metric_counts; DROP TABLE metric_series;"
      "ALTER TABLE metric_rows_6 RENAME TO metric_rows;"
      "CREATE INDEX metric_rows_by_run ON metric_rows(run_id, window_start_ns);" +
      metrics_view + ";";
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return sqlite3_errmsg(db);
  return "";
}

}  // namespace meshtwin::results::testing
