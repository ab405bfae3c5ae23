// Results files for the gui tests, simulated once per test process: the bundled Bookinfo
// 80/20 scenario (run 1) and 50/50 v1/v3 (run 2) in one file, shortened to 20 s, a small
// mesh whose VirtualService retries 503s from a flaky backend, and a service of 12 pods that
// answers some requests 404 (or 503), for per-pod colours and the two success readings.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "gui/data_source.h"

namespace meshtwin::gui::testing {

struct Fixture {
  std::string dir;
  std::string bookinfo_db;  // run 1: reviews-80-20, run 2: reviews-50-v3
  std::string retries_db;   // run 1: client -> back with `retries: {attempts: 3, retryOn: 5xx}`
                            // run 2: the same with spans sampled for 20 % of the requests
  std::string pods_db;      // run 1: client -> back (12 pods), 20 % of answers 404
                            // run 2: the same with 20 % 503 instead
  std::string error;        // why building failed, if it did
};

// Simulated on first use; the files are removed when the process exits.
const Fixture& fixture();

// The opened files (shared: DataSource is safe to use from several tests).
std::shared_ptr<DataSource> bookinfo();
std::shared_ptr<DataSource> retries();

// A fresh Reader for checks written as plain SQL against the docs/design.md §3.3 views.
std::unique_ptr<results::Reader> open_reader(const std::string& path);
// The first column of the first row of `sql` as an integer (-1 on error).
std::int64_t sql_int(const std::string& path, const std::string& sql,
                     const std::vector<results::Value>& params = {});

inline constexpr const char* kReviews = "reviews.default.svc.cluster.local";

}  // namespace meshtwin::gui::testing
