// `meshtwin report`: the summary of one run, computed once (ReportData) and written three ways:
// text shaped like Fortio's output (latencies in seconds, as Fortio prints them) so people who
// load-test Istio read it at a glance, meshtwin's JSON (docs/schemas/report.v1.schema.json) and
// Fortio's own result JSON, which Fortio's UI and `fortio report` browse.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/telemetry/outcome.h"
#include "results/reader.h"

namespace meshtwin::results {

// The two success readings' definitions, printed next to every figure (defined beside the
// predicates in model/telemetry/outcome.h).
using telemetry::kNon5xxRateDefinition;
using telemetry::kSuccessRateDefinition;

struct ReportPercentile {
  double percentile = 0;  // 50, 75, 90, 99, 99.9
  std::int64_t value = 0;
};

struct ReportBucket {
  std::int64_t start = 0, end = 0;  // Istio's bucket, clipped to the observed min and max
  std::uint64_t count = 0;
  double cumulative_percent = 0;
};

struct ReportClients {
  std::uint64_t count = 0;
  std::uint64_t success = 0;  // is_success
  std::uint64_t non5xx = 0;   // is_non5xx
  std::uint64_t clients = 0;  // distinct clients (Fortio's NumThreads)
  std::int64_t min = 0, max = 0;
  double mean = 0, stddev = 0, sum = 0;  // ns
  bool exact = true;                     // percentiles exact (nearest rank) or within 1/128
  std::vector<ReportBucket> histogram;
  std::vector<ReportPercentile> percentiles;
  std::map<std::int64_t, std::uint64_t> codes;
};

struct ReportDestination {
  std::string service, version;
  std::uint64_t requests = 0, success = 0, non5xx = 0;
  double share_percent = 0;  // of the service's requests
  std::int64_t p50 = 0, p90 = 0, p99 = 0;
  std::vector<std::pair<std::string, std::uint64_t>> flags;  // most frequent first
};

// One proxy's CPU over the run, from its `proxy_cpu` event (docs/semantics.md §19.5).
struct ReportProxyCpu {
  std::string proxy;          // the pod name of the sidecar or gateway
  double utilisation = 0;     // time-weighted busy share of its workers, 0..1
  std::int64_t workers = 0;
  double busy_ms = 0;         // CPU time of its work
  std::int64_t jobs = 0;      // pieces of work it did
  double mean_wait_us = 0, max_wait_us = 0;  // queueing for a worker
};

struct ReportData {
  std::string file;
  std::int64_t run_id = 0;
  RunRow run;
  std::optional<ReportClients> clients;           // none without request rows
  std::map<std::int64_t, std::uint64_t> hop_codes;  // every hop, source reporter
  std::uint64_t hops = 0;
  std::vector<ReportDestination> destinations;    // by service, then version
  std::vector<ReportProxyCpu> proxy_cpu;          // busiest first; empty for a zero-cost proxy
};

// nullopt and a sentence when the file has no such run.
std::optional<ReportData> compute_report(const Reader& reader, std::int64_t run_id, std::string* error);

// Text layout:
//   header: run, scenario, seed, simulated duration, status, wall time (durations rounded)
//   Fortio's lines over client requests, latencies in seconds as Fortio prints them:
//   `Aggregated Function Time : count N avg X +/- SD min A max B sum S`, the histogram
//   (`>= a <= b , mid , cumulative %, count`), `# target 50% X` for 50/75/90/99/99.9,
//   both success readings labelled with their definitions, `Code 200 : 9950 (99.5 %)` per
//   status code (code 0: no response), `All done N calls ... ms avg, Q qps`;
//   then per destination service and version, from the source-reporter metrics (every hop,
//   whole even when spans are sampled): requests, share % of the service's requests,
//   2xx-3xx %, non-5xx %, p50/p90/p99 (interpolated in Istio's buckets), top flags.
//   then, when the proxies cost CPU (§19), each proxy's busy share and queueing, busiest first.
// Without request rows (record.requests: none) the client sections say so and the code
// lines come from the source-reporter metrics of all hops.
std::string format_report(const ReportData& data);
std::string format_report(const Reader& reader, std::int64_t run_id);

// meshtwin's report JSON, schemaVersion 1 (docs/schemas/report.v1.schema.json): durations in
// integer nanoseconds, rates as fractions with their definitions.
std::string format_report_json(const ReportData& data);

// Fortio's result JSON (fhttp.HTTPRunnerResults as `fortio load -json` writes it): RunType,
// Labels, StartTime, RequestedQPS, RequestedDuration, ActualQPS, ActualDuration, NumThreads,
// Version, DurationHistogram {Count, Min, Max, Sum, Avg, StdDev, Data [{Start, End, Percent,
// Count}], Percentiles [{Percentile, Value}]} in seconds, Exactly, RetCodes, URL, ...
// docs/output-formats.md lists how each field maps. nullopt and a sentence when the run has
// no client request rows (Fortio's histogram is of client calls).
std::optional<std::string> format_fortio_json(const ReportData& data, std::string* error);

}  // namespace meshtwin::results
