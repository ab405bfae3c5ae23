// `meshtwin export --openmetrics / --prometheus-text` (docs/export.md): a run's `metrics`,
// spans and events as the Prometheus series Istio's proxies would have exposed during the run.
// A pure transformation of the results file: nothing is simulated here.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "engine/time.h"

namespace meshtwin::results {

struct PrometheusExportOptions {
  // Unix time (seconds) that simulated time 0 maps to; nullopt: when the run was recorded
  // (run_rows.recorded_unix_s; files older than schema 4: the file's modification time).
  std::optional<double> epoch_seconds;
  // Prometheus' scrape interval: samples at epoch + k * interval until the run's end.
  std::int64_t interval = 15 * engine::kSecond.ns();
};

struct PrometheusExportStats {
  std::uint64_t samples = 0;  // sample lines written
  std::uint64_t series = 0;   // distinct label sets over all families
  std::uint64_t scrapes = 0;
  double epoch_seconds = 0;   // the epoch used
  std::int64_t end = 0;    // simulated time of the last scrape
};

enum class PrometheusFormat {
  OpenMetrics,  // every scrape, timestamped, family by family, `# EOF` (for backfilling)
  Text,         // Prometheus text exposition 0.0.4: one scrape at the end of the run
};

// When run `run_id` was recorded (Unix seconds): run_rows.recorded_unix_s, or for files older
// than schema 4 the file's modification time. nullopt and a sentence when unreadable.
std::optional<double> default_epoch_seconds(const std::string& path, std::int64_t run_id,
                                            std::string* error);

// Writes run `run_id` of the results file `path` to `out`. false and a sentence in *error
// when the file cannot be read.
bool export_prometheus(const std::string& path, std::int64_t run_id, PrometheusFormat format,
                       const PrometheusExportOptions& options, std::ostream& out,
                       PrometheusExportStats* stats, std::string* error);

// A run to export and, for the replications of a batch (`export FILE.db:bN`), its replication
// number, which every series of that run carries as the label `replication` (docs/export.md).
struct ExportRun {
  std::int64_t run_id = 0;
  std::optional<int> replication;
};
// Several runs in one exposition: each family once, with every run's series (told apart by
// their `replication` label), all on the same epoch (the first run's recorded time by default).
bool export_prometheus(const std::string& path, const std::vector<ExportRun>& runs, PrometheusFormat format,
                       const PrometheusExportOptions& options, std::ostream& out,
                       PrometheusExportStats* stats, std::string* error);

}  // namespace meshtwin::results
