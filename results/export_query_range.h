// `meshtwin export --prometheus-json OUT.json` (docs/export.md, docs/calibrate.md): a run's
// Istio request metrics as the Prometheus HTTP API answers a range query
// (`/api/v1/query_range?query={__name__=~"istio_requests_total|istio_request_duration_milliseconds_bucket"}`),
// so that `meshtwin calibrate --prometheus` reads a simulated run exactly as it reads a real
// Prometheus. A pure transformation of the `metrics` table.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "engine/time.h"
#include "results/export_prometheus.h"  // ExportRun

namespace meshtwin::results {

struct QueryRangeOptions {
  double epoch_seconds = 0;  // Unix time of simulated time 0
  std::int64_t interval = 15 * engine::kSecond.ns();  // the query's step
};

struct QueryRangeStats {
  std::uint64_t series = 0;
  std::uint64_t samples = 0;
};

// Samples at every step from simulated time 0 (every counter 0 then: the run starts with fresh
// proxies) up to the end of the run, and one at the run's end when it is not on a step.
// false and a sentence in *error when the file cannot be read.
bool export_query_range(const std::string& path, std::int64_t run_id, const QueryRangeOptions& options,
                        std::ostream& out, QueryRangeStats* stats, std::string* error);
// The replications of a batch in one answer, as Prometheus answers for several targets: every
// series carries its run's `replication` label and its run's own sample times (same epoch).
bool export_query_range(const std::string& path, const std::vector<ExportRun>& runs, const QueryRangeOptions& options,
                        std::ostream& out, QueryRangeStats* stats, std::string* error);

}  // namespace meshtwin::results
