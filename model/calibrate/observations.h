// model/calibrate: a scenario's `apps:` and `clients:` derived from what a mesh records —
// Prometheus `query_range` results of Istio's standard metrics, or traces (Zipkin v2, OTLP
// JSON) — and the comparison of a calibrated run with what was observed (docs/calibrate.md).
// Pure: no SQLite, no CLI, no Qt; nlohmann-json only in .cc files.
//
// This header is the common shape both inputs are reduced to: per edge (caller workload ->
// destination workload through a service) how many requests with which codes, and their
// durations (Istio's histogram from metrics, per-request durations from traces); from traces
// also what each workload does per inbound request.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace meshtwin::calibrate {

struct WorkloadId {
  std::string namespace_;  // empty: not known (traces name workloads without a namespace)
  std::string name;        // "unknown": outside the mesh (Istio's label value)
  auto operator<=>(const WorkloadId&) const = default;
  // `ns/name`, or `name` without a namespace: the scenario's app key.
  std::string text() const { return namespace_.empty() ? name : namespace_ + "/" + name; }
};

struct EdgeKey {
  WorkloadId source;
  WorkloadId destination;
  std::string service;  // destination_service: FQDN as Istio reports it
  auto operator<=>(const EdgeKey&) const = default;
  std::string text() const { return source.text() + " -> " + destination.text() + " (" + service + ")"; }
};

// Cumulative counts by upper bound, as Prometheus' `le` series: `le_ms` ascending, the last
// +Inf (infinity()).
struct Histogram {
  std::vector<double> le_ms;
  std::vector<double> cumulative;
  double count() const { return cumulative.empty() ? 0 : cumulative.back(); }
  // Adds another histogram; false when its bounds differ.
  bool add(const Histogram& other);
  // Prometheus' histogram_quantile: linear interpolation inside the bucket that holds the
  // q-th request (the first bucket starts at 0); in +Inf, the last finite bound. NaN if empty.
  double quantile(double q) const;
  // Width (ms) of the bucket `value_ms` falls in; the last finite bound's bucket for +Inf.
  double bucket_width(double value_ms) const;
};

// Exact quantile of durations by linear interpolation between closest ranks (numpy's default);
// sorts `values`. NaN if empty.
double quantile_of(std::vector<double>& values, double q);

struct EdgeData {
  double requests = 0;                              // streams (Istio counts retries inside one)
  std::map<std::pair<int, std::string>, double> by_code_flags;  // (response_code, flags) -> requests
  std::optional<Histogram> histogram;               // metrics input
  std::vector<double> durations_ms;                 // traces input, one per stream
  std::array<double, 24> per_hour{};                // requests by UTC hour of day
  int port = 0;                                     // traces: the service port (upstream cluster)
  std::string url, method;                          // traces: the URL of the requests (root spans)
  bool source_reported = true;                      // false: only reporter="destination" had it
  double errors() const;                            // codes outside 200-399 (0 included)
};

// What a workload did per inbound request (traces only).
struct WorkloadTraces {
  std::uint64_t inbound = 0;               // attempts it answered itself
  std::vector<double> self_ms;             // duration net of its downstream calls, per inbound attempt
  // Call sequences per inbound request: steps separated by ';', calls of a parallel group by
  // '|' (services by FQDN), with how many requests followed each.
  std::map<std::string, std::uint64_t> patterns;
  std::map<std::string, std::uint64_t> calls_by_service;  // downstream streams by service
};

enum class InputKind { Metrics, Traces };

struct Observations {
  InputKind kind = InputKind::Metrics;
  std::vector<std::string> files;
  double start_s = 0;  // Unix seconds the input covers
  double end_s = 0;
  std::array<double, 24> seconds_per_hour{};  // how much of each UTC hour of day the range covers
  std::map<EdgeKey, EdgeData> edges;
  std::map<WorkloadId, WorkloadTraces> workloads;  // traces only
  double sample = 1.0;  // share of requests the traces hold (rates are divided by it)
  std::uint64_t series = 0, samples = 0, spans = 0;  // what was read, for the summary line

  double duration_s() const { return end_s > start_s ? end_s - start_s : 0; }
  void cover(double start, double end);  // extends the range and seconds_per_hour
};

// Accumulates counter increases and histograms into Observations, keeping what each reporter
// saw apart until finish() picks, per edge, the source reporter's view (the caller's: failures
// that never reached the destination included), or the destination's when no source reported
// the edge (callers without a sidecar). Used by the Prometheus reader and for simulated runs.
class MetricsBuilder {
 public:
  void add_requests(const EdgeKey& edge, bool source_reporter, int code, const std::string& flags,
                    double increase, double at_s);
  void add_histogram(const EdgeKey& edge, bool source_reporter, const Histogram& increase);
  Observations finish(Observations base);

 private:
  std::map<EdgeKey, EdgeData> by_reporter_[2];  // [0] destination, [1] source
};

// One span as the trace readers (and a simulated run's spans) give it.
struct TraceSpan {
  std::string trace_id, span_id, parent_id;
  bool server = false;           // kind SERVER (inbound sidecar); CLIENT or unset otherwise
  std::string local_service;     // the reporting workload (Zipkin localEndpoint, OTLP service.name)
  std::string remote_service;    // the destination host when given (Zipkin remoteEndpoint)
  std::string name;              // operation name, Istio's `host:port/*`
  std::string upstream_cluster;  // outbound|9080|v1|reviews.default.svc.cluster.local
  std::string peer_address;      // the upstream pod
  std::string destination_workload;  // when the input says it (meshtwin.destination_workload)
  std::string response_flags;
  std::string url, method;
  int status = -1;               // http.status_code; -1 not given
  int attempt = 0;               // meshtwin.attempt; 0 not given (every span a first attempt)
  std::int64_t start_ns = 0;     // Unix ns
  std::int64_t duration_ns = 0;
};

struct TraceOptions {
  double sample = 1.0;  // share of client requests the traces hold
};

// Builds edges and per-workload behaviour from spans (any order).
Observations observations_from_spans(std::vector<TraceSpan> spans, const TraceOptions& options,
                                     std::vector<std::string> files);

}  // namespace meshtwin::calibrate
