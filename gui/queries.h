// gui/ owns meshtwin-viewer, the Qt6 window onto a results file (docs/design.md §2, issue 6). It reads
// results files only, through results::Reader, and never links or runs the simulation.
//
// This header is the viewer's data layer: plain C++ over a Reader, no Qt, so that every query
// can be tested on its own and run on a worker thread (a Reader is used by one thread at a
// time). The overview reads `summaries` and `metrics`; charts and the service graph read
// `metrics` (percentiles from the Istio duration buckets); only the request explorer and the
// waterfall touch `requests` and `spans`, one page or one request at a time, so a file of
// many gigabytes opens as fast as a small one.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/telemetry/outcome.h"
#include "results/percentiles.h"
#include "results/reader.h"

namespace meshtwin::gui {

using results::BucketCounts;

// --------------------------------------------------------------------------------- overview

struct OverviewRow {
  std::string service;  // destination_service (FQDN)
  std::string version;
  std::uint64_t requests = 0;
  std::uint64_t success = 0;  // successRate's count: codes 200-399 (telemetry::is_success)
  // non5xxRate's count (telemetry::is_non5xx: a response below 500; code 0 fails). Unknown
  // (nullopt) for client rows until load_client_outcomes has read their codes.
  std::optional<std::uint64_t> non5xx;
  std::int64_t p50 = 0;
  std::int64_t p90 = 0;
  std::int64_t p99 = 0;
  std::string codes;  // most frequent first: "200:950 503:50"; "" when unknown
  std::string flags;  // "UH:3,UT:1" or "-"
};

struct Overview {
  results::RunRow run;
  // Client requests, where the first proxy routed them (the `summaries` table; exact
  // percentiles). `summaries` keeps no codes: when the run recorded request rows, their codes
  // and non-5xx count come later from load_client_outcomes (a scan of `requests`, kept out of
  // this first, fast load); otherwise the summaries were made from the hops, whose codes these
  // rows carry at once.
  std::vector<OverviewRow> client_requests;
  bool client_outcomes_pending = false;
  // Every hop as its caller's proxy saw it (`metrics`, reporter=source; percentiles
  // interpolated in the Istio buckets).
  std::vector<OverviewRow> hops;
  std::vector<std::pair<std::string, std::string>> inputs;  // path, content
  std::map<std::string, std::uint64_t> event_counts;        // kind -> events
  // Each proxy's busy share over the run (its `proxy_cpu` event, docs/semantics.md §19.5),
  // busiest first; empty when the proxies cost nothing.
  std::vector<std::pair<std::string, double>> proxy_cpu;
};

std::optional<Overview> load_overview(const results::Reader& reader, std::int64_t run_id,
                                      std::string* error);

// The codes of the client requests (the `requests` rows) per destination service and version,
// for the overview's client rows: non5xx and the top codes. One scan of the run's rows, so it
// runs after the overview is shown.
struct ClientOutcome {
  std::uint64_t non5xx = 0;
  std::string codes;  // as OverviewRow::codes
};
using ClientOutcomes = std::map<std::pair<std::string, std::string>, ClientOutcome>;
std::optional<ClientOutcomes> load_client_outcomes(const results::Reader& reader,
                                                   std::int64_t run_id, std::string* error);
// Fills the client rows' non5xx and codes from `outcomes` (rows absent there had no requests
// rows: none of their requests was non-5xx).
void apply_client_outcomes(Overview& overview, const ClientOutcomes& outcomes);

// "-" when none, else "UH:3,UT:1" style from per-flag counts, most frequent first.
std::string format_counts(const std::map<std::string, std::uint64_t>& counts, std::size_t top,
                          char separator);

// ------------------------------------------------------------------------------ time series

// Which metric rows a chart reads. Empty strings mean "any".
struct MetricsFilter {
  std::string source_workload;
  std::string destination_service;
  std::string destination_workload;
  bool operator==(const MetricsFilter&) const = default;
};

// What the series of a chart are keyed by.
enum class SeriesKey {
  Total,           // one series, key ""
  Version,         // destination_version
  ServiceVersion,  // "reviews v2" (short service name and version)
  Code,            // response_code as text
  Flags,           // each single Envoy flag of response_flags ("-" for none)
  Pod,             // destination_pod
};

struct SeriesData {
  std::vector<std::uint64_t> requests;  // per window
  std::vector<BucketCounts> buckets;    // per window; empty unless asked for
};

// Per-window sums of `metrics` for one run: point i covers [i*window, (i+1)*window) of
// simulated time, by the requests' end times (as the metrics table counts them), except the
// last, which ends where the run ended. The run rarely ends on a window boundary, so its last
// window is partial: a rate over the whole window would drop towards zero there although the
// traffic went on. Rates are therefore per second of the time a point really covers, and a
// last window shorter than half a window (typically the few ms of drain after the scenario's
// duration) is merged into the one before it, so that a handful of requests over 4 ms does not
// draw a spike either.
struct WindowSeries {
  std::int64_t window = 0;
  std::size_t windows = 0;
  std::int64_t end = 0;  // where the last point ends (the run's end)
  std::map<std::string, SeriesData> series;

  double seconds_per_window() const { return static_cast<double>(window) / 1e9; }
  std::int64_t start_of(std::size_t i) const { return static_cast<std::int64_t>(i) * window; }
  // The simulated time point i covers: `window`, except for the last point.
  std::int64_t length_of(std::size_t i) const;
  // The middle of point i, in seconds (where a chart draws it).
  double centre_seconds(std::size_t i) const;
  double end_seconds() const { return static_cast<double>(end) / 1e9; }
  // Requests per second of series `key` over point i (0 when the key is absent).
  double rate(const std::string& key, std::size_t i) const;
  // Sum of every series per window.
  std::vector<std::uint64_t> totals() const;
};

struct SeriesQuery {
  std::string reporter = "source";  // source | destination
  MetricsFilter filter;
  SeriesKey key = SeriesKey::Version;
  int window_factor = 1;  // metric windows merged into one point (>= 1)
  bool with_buckets = false;
};

std::optional<WindowSeries> load_window_series(const results::Reader& reader, std::int64_t run_id,
                                               const SeriesQuery& query, std::string* error);

// The q-quantile per window, over every series of `series` merged (needs with_buckets).
std::vector<std::int64_t> percentile_per_window(const WindowSeries& series, double q);

// "reviews.default.svc.cluster.local" -> "reviews".
std::string short_service(const std::string& fqdn);
// The two success readings, defined once in model/telemetry/outcome.h: successRate counts
// codes 200-399 (docs/design.md §3.2), non5xxRate (Istio's Grafana dashboards) any response
// below 500; code 0 fails both.
using telemetry::is_non5xx;
using telemetry::is_success;

// Label values present in a run's metrics, for the filter boxes.
struct Labels {
  std::vector<std::string> source_workloads;
  std::vector<std::string> destination_services;
  std::vector<std::string> destination_versions;
  std::vector<std::string> destination_workloads;
};
std::optional<Labels> load_labels(const results::Reader& reader, std::int64_t run_id,
                                  std::string* error);

// Timeline markers from the `events` table. Events of one kind close together in time (a
// config push reaching every proxy within a few hundred ms) merge into one marker, so a
// 1,000-proxy mesh draws a handful of lines, not a smear.
struct Marker {
  std::int64_t time = 0;  // the first event of the group
  std::string kind;  // config_applied, pod_killed, host_ejected, ...
  std::uint64_t count = 0;
  std::string subject;  // of the first event
  std::string detail;   // of the first event
};
std::optional<std::vector<Marker>> load_markers(const results::Reader& reader, std::int64_t run_id,
                                                std::int64_t merge_within, std::string* error);

// ----------------------------------------------------------------------------- service graph

struct GraphEdge {
  std::string source;   // source_workload
  std::string target;   // destination_workload ("unknown" when the call reached no pod)
  std::string service;  // the destination_service most of its requests went to
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;  // codes outside 200-399
  BucketCounts buckets{};
  double rps = 0;  // over the run's simulated span
  std::int64_t p99 = 0;
  double error_ratio() const {
    return requests ? static_cast<double>(errors) / static_cast<double>(requests) : 0.0;
  }
};

// Workloads as nodes and calls as edges, like Kiali's workload graph, from the
// source-reporter metrics (one count per request stream a caller's proxy sent).
struct GraphData {
  std::vector<std::string> nodes;  // sorted
  std::vector<GraphEdge> edges;    // sorted by (source, target)
  std::int64_t span = 0;                // the simulated time the rates are over
};

std::optional<GraphData> load_graph(const results::Reader& reader, std::int64_t run_id,
                                    std::string* error);

// --------------------------------------------------------------------------------- requests

struct RequestFilter {
  std::optional<int> code;          // exact response_code
  bool errors_only = false;         // codes outside 200-399
  std::string flag;                 // one Envoy flag ("UH"), "-" for none, "" any
  std::string destination_service;  // "" any
  std::string destination_version;  // "" any
  std::optional<std::int64_t> min_duration;
  std::optional<std::int64_t> max_duration;
  std::optional<int> min_attempts;  // 2: retried at the first proxy
  bool degraded_only = false;       // a downstream call failed and was absorbed
  bool with_spans_only = false;     // sampled: its spans are stored (record.spans)
  bool operator==(const RequestFilter&) const = default;
};

// One page of `requests` rows in request_id order, after `after_id` (keyset paging: every
// page costs the same however deep the user scrolls).
std::optional<std::vector<results::RequestRow>> load_requests_page(
    const results::Reader& reader, std::int64_t run_id, const RequestFilter& filter,
    std::optional<std::uint64_t> after_id, int limit, std::string* error);

// How many rows match (a full scan of the run's rows on a big file: run it off the UI thread).
std::optional<std::uint64_t> count_requests(const results::Reader& reader, std::int64_t run_id,
                                            const RequestFilter& filter, std::string* error);

struct SpanRow {
  std::uint64_t span_id = 0;
  std::optional<std::uint64_t> parent_span_id;
  std::string kind;  // attempt, local_reply, shadow
  std::string source_workload;
  std::string destination_service;
  std::string destination_version;
  std::string destination_pod;
  std::string cluster;
  int attempt = 1;
  int app_attempt = 1;
  std::int64_t start = 0;
  std::int64_t duration = 0;
  int response_code = 0;
  std::string response_flags;
  std::string upstream_flags;
};

// The request row and its spans (sampled requests only; a request's tree is whole or absent).
struct RequestDetail {
  results::RequestRow request;
  std::vector<SpanRow> spans;  // by start time
};
std::optional<RequestDetail> load_request_detail(const results::Reader& reader, std::int64_t run_id,
                                                 std::uint64_t request_id, std::string* error);

}  // namespace meshtwin::gui
