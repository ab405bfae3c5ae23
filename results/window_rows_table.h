// A finished metrics window's counts as a table SQLite can read (an eponymous virtual table,
// `meshtwin_window_rows`), so that the writer stores a window with one INSERT ... SELECT.
//
// Why: at 1,000 services a metrics-only run writes about one metric_counts row per hop attempt.
// Bound as parameters, each row cost SQLite's bytecode one CASE per bucket column (20) to place
// its one or two filled buckets, plus the binds; that was most of the writer thread's time,
// which on a 2-vCPU VM slows the simulation's thread beside it (docs/performance.md). Read from
// here, a row is its 23 column values handed over in one call each.
#pragma once

#include <span>

#include "model/telemetry/metric_windows.h"

struct sqlite3;

namespace meshtwin::results::detail {

// The rows a scan of meshtwin_window_rows returns, in order: (series, requests, duration_sum_ns,
// then the 20 bucket counts), each row's buckets read from the window as
// telemetry::FinishedWindow::buckets does. The writer points it at a window before stepping the
// statement and clears it after.
struct WindowRowsSource {
  std::span<const telemetry::MetricCounts> rows;
  std::span<const telemetry::BucketCounts> spread;
};

// Registers the table on the connection; scans read *source, which must outlive the connection
// (or the last statement that reads the table). False if SQLite refused.
bool register_window_rows(sqlite3* db, const WindowRowsSource* source);

}  // namespace meshtwin::results::detail
