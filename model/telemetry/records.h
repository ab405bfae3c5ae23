// model/telemetry owns the records the simulation emits and the Sink interface they go to.
// It depends on nothing but std and engine/time.h: results/ implements Sink over SQLite,
// tests implement it in memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/time.h"

namespace meshtwin::telemetry {

using engine::SimDuration;
using engine::SimTime;

// String fields are views, so emitting a record copies no string. Most are of strings the
// model interned for the whole run (workload, pod, service and client names, versions, peer
// labels, a request's method, authority and path): those stay valid and unchanged until the
// sink's end_run returns, so a sink may hold them that long (the results writer queues rows to
// its thread with them). Route, cluster and VirtualService rule names (route_name, cluster,
// vs_rule) are a proxy config's, which a config push may free once no request uses it, and the
// schema-6 fields `received_*` and `location` are built per request in reused buffers, as is
// sim_outcome possibly: a sink that keeps those past the call must copy them (or key a
// dictionary by the view's data pointer, checking the text too). The metric labels (the
// workload, service, version and pod names and PeerLabels) must be such run-stable views:
// MetricWindows finds a record's series by their addresses (and asserts the texts in builds
// with assertions on).

// Istio's peer labels of the two ends of a hop (docs/results-schema.md `metrics`), views
// interned once per pod like the names above. `secure` says whether the hop went over Istio's
// auto-mTLS (a sidecar or gateway on both ends): it decides connection_security_policy and
// whether the SPIFFE principals are known.
struct PeerLabels {
  std::string_view source_namespace, source_app, source_version, source_principal;
  std::string_view destination_namespace, destination_app, destination_principal;
  std::string_view request_protocol;  // "http", "grpc" or "tcp"
  bool secure = false;
};

// A producer's shortcut for a sink that groups records by their labels (MetricWindows): while
// valid(), two records of one run whose keys are equal carry the same label views
// (source_workload, the destination_* names and every PeerLabels field, `secure` included), so
// such a sink may key its lookup by these two words instead of the views. The model makes it
// from the pods at both ends, the destination service's view and the protocol. Default: no
// promise, the sink looks at the views.
struct SeriesMemo;
struct LabelKey {
  std::uint64_t hi = 0, lo = 0;
  // Where such a sink may remember what this key resolved to, kept by the producer beside what
  // the record came through (nullptr: nowhere). Several keys share a memo, one at a time.
  SeriesMemo* memo = nullptr;
  bool valid() const { return hi != 0; }
};

// A sink's note of the series a LabelKey (with code and flags) resolved to, in memory the
// producer keeps where its records' hot data already is (model: the Target a stream went
// through). The producer never reads it. A sink trusts it only while `owner` is its own number
// for the current run (MetricWindows: unique per run in the process), overwrites it freely, and
// touches it only on the thread the record came on (the producer's, during the call).
// Why: at 1,000 services MetricWindows' table of keys is a megabyte, and its slot was a cache
// miss on most records; the memos of a mesh's targets are a few hundred kilobytes.
struct SeriesMemo {
  std::uint64_t hi = 0, lo = 0, code_flags = 0;
  std::uint64_t owner = 0;  // 0: never written
  std::uint32_t series[2] = {~std::uint32_t{0}, ~std::uint32_t{0}};  // by reporter; ~0: none yet
};

// One row per client request (docs/design.md §3.3 `requests`).
struct RequestRecord {
  std::uint64_t request_id = 0;
  std::string_view client;
  SimTime start{};
  SimDuration duration{};
  std::string_view method;
  std::string_view authority;
  std::string_view path;
  int response_code = 0;        // 0: no response (client gave up, reset)
  std::uint32_t response_flags = 0;  // ResponseFlag bits
  int attempts = 0;             // Envoy tries at the first proxy that routed the request
  std::string_view route_name;  // "-" when none
  std::string_view vs_rule;     // "ns/name#http[i]" or "-"
  std::string_view destination_service;   // "unknown" when not routed
  std::string_view destination_version;
  std::string_view destination_workload;
  int degraded_calls = 0;
  // The twin's own outcome, never an Envoy one (docs/results-schema.md `sim_outcome`): empty,
  // "unfinished" (still in flight at the drain bound) or "call_depth_exceeded" (an app call in
  // the request's tree was cut at spec.maxCallDepth).
  std::string_view sim_outcome;
  // Schema 6 (docs/results-schema.md): the final response's Location when it is a 3xx (as the
  // client receives it: scheme://host[:port]/path), empty otherwise; and the request id of the
  // previous hop when the client followed a redirect to make this request, 0 otherwise.
  std::string_view location;
  std::uint64_t redirect_of = 0;
};

enum class SpanKind : std::uint8_t { Attempt, LocalReply, Shadow };
std::string_view to_string(SpanKind kind);

// One row per upstream attempt or local reply at a caller-side proxy (docs/design.md §3.3 `spans`).
// Every span goes to the sink (metrics need all of them); `sampled` says whether the row is
// to be stored.
struct SpanRecord {
  std::uint64_t request_id = 0;
  std::uint64_t span_id = 0;
  std::uint64_t parent_span_id = 0;  // 0: none (the client's first hop)
  SpanKind kind = SpanKind::Attempt;
  std::string_view source_workload;
  std::string_view source_pod;
  std::string_view destination_service;
  std::string_view destination_version;
  std::string_view destination_workload;
  std::string_view destination_pod;
  std::string_view cluster;
  std::string_view route_name;
  int attempt = 1;
  int app_attempt = 1;
  std::uint64_t config_version = 0;
  SimTime start{};
  SimDuration duration{};
  int response_code = 0;
  std::uint32_t response_flags = 0;
  std::uint32_t upstream_flags = 0;  // what the server-side sidecar saw
  bool reached_upstream = false;     // the server-side sidecar handled it (destination reporter)
  bool sampled = true;
  std::string_view sim_outcome;      // as RequestRecord::sim_outcome; empty for Envoy's outcomes
  PeerLabels peers;                  // the destination-reporter metric's extra labels
  LabelKey label_key;
  // Schema 6 (docs/results-schema.md): what the upstream app received, after the route's
  // rewrites (path, authority) and header operations (`received_headers`, a JSON object text,
  // only the headers the scenario records: `record.headers`), and the Location of a 3xx
  // response as the client receives it. Empty: not known or not recorded (stored as NULL).
  // These views may point into buffers of the emitting request: valid during on_span only,
  // like every view here a sink that keeps it must copy it.
  std::string_view received_path;
  std::string_view received_authority;
  std::string_view received_headers;
  std::string_view location;
};

// One per request stream through a caller-side proxy, with its final outcome: the unit of
// Istio's `istio_requests_total{reporter="source"}` (retries are not separate requests there).
struct HopRecord {
  SimTime start{};
  SimDuration duration{};
  std::string_view source_workload;
  std::string_view destination_service;
  std::string_view destination_workload;
  std::string_view destination_version;
  std::string_view destination_pod;
  int response_code = 0;
  std::uint32_t response_flags = 0;
  PeerLabels peers;
  LabelKey label_key;
};

// Timeline events (docs/design.md §3.3 `events`): config_applied, pod_started, pod_ready, pod_killed,
// host_ejected, host_returned, overflow_began, overflow_ended, ...
struct EventRecord {
  SimTime time{};
  std::string kind;
  std::string subject;
  std::string detail;
};

// A workload of the mesh with Istio's canonical service and revision (registry.h Pod), which
// Istio's proxies put on their spans (istio.canonical_service, istio.canonical_revision).
struct WorkloadInfo {
  std::string name;
  std::string namespace_;
  std::string canonical_service;
  std::string canonical_revision;
};

// Sorts by (name, namespace) and keeps one entry per workload (the first pod's).
void sort_workloads(std::vector<WorkloadInfo>& workloads);

struct RunInfo {
  std::string scenario;    // scenario name (metadata.name) or path
  std::uint64_t seed = 0;
  SimDuration duration{};    // arrivals stop here
  std::string meshtwin_version;
  SimDuration metrics_interval = engine::kSecond;
  // The scenario and manifests as run: (path, content).
  std::vector<std::pair<std::string, std::string>> inputs;
  // The workloads of the mesh at the start, sorted by name (docs/results-schema.md `workloads`).
  std::vector<WorkloadInfo> workloads;
};

struct RunEnd {
  SimTime sim_end{};        // when the last event ran
  double wall_seconds = 0;
  bool complete = true;       // false: interrupted
};

// What a sink reads of the run's records, asked once when a run starts (Sink::interest): the
// model builds and hands over only that, so a sink that records nothing does not pay for
// records nobody reads (docs/performance.md). A sink must not depend on what it declines;
// everything else reaches it exactly as without the flags (the same records, counts, ids).
struct Interest {
  bool spans = true;  // on_span calls
  bool hops = true;   // on_hop calls
  bool peers = true;  // SpanRecord/HopRecord::peers filled in (else left empty)
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Called once by a run before begin_run. Default: everything.
  virtual Interest interest() const { return {}; }
  virtual void begin_run(const RunInfo& info) = 0;
  virtual void on_request(const RequestRecord& r) = 0;
  virtual void on_span(const SpanRecord& s) = 0;
  virtual void on_hop(const HopRecord& h) = 0;
  virtual void on_event(const EventRecord& e) = 0;
  virtual void end_run(const RunEnd& end) = 0;
};

}  // namespace meshtwin::telemetry
