// model/scenario owns the scenario file (docs/design.md §3.2), and building and running a mesh from
// it. It may use every part of model/ and engine/, never results/ (SQLite), Qt or the CLI.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/distribution.h"
#include "engine/time.h"
#include "model/app/endpoint.h"
#include "model/config/diagnostics.h"
#include "model/proxy/worker_queue.h"

namespace meshtwin::scenario {

using engine::Distribution;
using engine::SimDuration;
using engine::SimTime;

// An http URL as scenario files write them: http://host[:port]/path?query.
// http: plain HTTP that the caller's sidecar routes per request. https: the app's own TLS, so
// its sidecar sees one TLS connection with the host as SNI. tcp: one opaque connection.
struct Url {
  std::string scheme = "http";
  std::string host;
  std::uint32_t port = 80;
  std::string path = "/";  // with query string
  std::string authority() const;  // host, or host:port when the port is not the default
};
// nullopt and a sentence in `error` when the text is not an http, https or tcp URL.
std::optional<Url> parse_url(const std::string& text, std::string* error);

struct CallSpec {
  Url to;
  std::string method = "GET";
  SimDuration timeout{};  // the app's own client timeout per try; 0 = none
  int attempts = 1;     // total tries including the first
  std::vector<std::string> forward_headers;  // lower case
  enum class OnFailure { Fail, Continue };
  OnFailure on_failure = OnFailure::Fail;
  config::SourceLocation location;
};

// One entry of `calls`: a single call, or a `parallel:` group made at once.
struct CallStep {
  std::vector<CallSpec> calls;
  bool parallel = false;
};

struct FailureSpec {
  enum class Kind { Status, Reset, Hang, Refuse, Grpc };
  double rate = 0;  // probability per request, drawn on arrival
  Kind kind = Kind::Status;
  int status = 500;        // Status
  int grpc_status = 14;    // Grpc (UNAVAILABLE)
  bool after_headers = false;  // Reset: before (default) or after response headers
  // Instead of `rate`: `first: N` (the first N requests of the scope fail, then none) or
  // `every: K` (each Kth fails), counted `per: pod` (default), `per: requestId` or
  // `per: connection` (the connection the request arrived on).
  enum class Pattern { Rate, First, Every };
  Pattern pattern = Pattern::Rate;
  std::uint32_t n = 0;
  enum class Per { Pod, RequestId, Connection };
  Per per = Per::Pod;
  SimTime from{}, to = engine::kNever;  // `between: [t1, t2]`: only for arrivals in [t1, t2)
  config::SourceLocation location;
};

// One `apps.<w>.endpoints` rule (docs/design.md §3.2): a match and the keys it overrides.
struct EndpointSpec {
  app::EndpointMatch match;
  std::optional<Distribution> service_time;
  app::CaptureRef delay;       // `serviceTime: $N` (seconds)
  int status = 200;
  app::CaptureRef status_ref;  // `status: $N`
  std::optional<std::vector<FailureSpec>> failures;
  std::optional<std::vector<CallStep>> calls;
  std::optional<int> error_status;
  config::SourceLocation location;
};

struct AppSpec {
  std::string workload;   // Deployment (etc.) name
  std::string namespace_;  // empty: any namespace with that workload name
  int workers = 0;        // 0 = unlimited
  Distribution service_time;  // ns; default 0
  std::vector<CallStep> calls;
  std::vector<FailureSpec> failures;
  int error_status = 500;
  std::string locality;  // "region/zone/subzone" of the app's pods (their nodes' topology labels)
  std::vector<EndpointSpec> endpoints;  // ordered request rules; none: one behaviour for all
  // `proxyCpu:` the CPU costs of this workload's own proxy (sidecar or gateway), replacing
  // mesh.proxyCpu for it (docs/semantics.md §19.3).
  std::optional<proxy::CpuCosts> proxy_cpu;
  config::SourceLocation location;
};

// How a host outside the mesh answers on one of its ports (`externals.<host>.ports[]`): the
// scheme it speaks there and its answer. A request in the other scheme fails as it would in
// the world (docs/semantics.md §20.3); plain HTTP on a `redirectToHttps` port gets a 301 to
// the same host and path over https.
struct ExternalPortSpec {
  std::uint32_t port = 0;
  bool tls = false;                // protocol HTTPS (the server expects a TLS handshake)
  int status = 200;                // the answer when nothing fails
  bool redirect_to_https = false;  // HTTP only: 301, Location https://<host><path>
  std::optional<Distribution> service_time;           // none: the host's
  std::optional<std::vector<FailureSpec>> failures;   // none: the host's
  config::SourceLocation location;
};

// A host outside the mesh — a ServiceEntry endpoint or the original destination of passthrough
// traffic — keyed by the DNS name or IP the mesh connects to. It answers like an app without
// calls; `latency` (one way, each direction) replaces the mesh network's for legs to it.
struct ExternalSpec {
  std::string host;  // lower case
  AppSpec behaviour;  // workers, serviceTime, failures, errorStatus
  std::optional<Distribution> latency;
  // Per-port behaviour; none: every port answers as `behaviour` says, whatever the scheme.
  std::vector<ExternalPortSpec> ports;
  config::SourceLocation location;
};

struct RateSpec {
  enum class Kind { Poisson, Constant, Closed, Ramp, Steps, Sine, Bursts, Replay };
  Kind kind = Kind::Poisson;
  double per_second = 0;   // Poisson, Constant; Ramp: from; Sine: mean; Bursts: base rate
  double ramp_to = 0;      // Ramp
  SimDuration ramp_over{};   // Ramp
  int connections = 1;     // Closed
  Distribution think_time; // Closed; ns
  // Steps: (from time, rate per second) in increasing time; the rate holds until the next.
  std::vector<std::pair<SimDuration, double>> steps;  // (run time, rate)
  // Sine (diurnal): per_second + amplitude * sin(2π (t + phase) / period), floored at 0.
  double amplitude = 0;
  SimDuration period{};
  SimDuration phase{};
  // Bursts: every `burst_every`, `burst_rate` per second for `burst_length`, else per_second.
  double burst_rate = 0;
  SimDuration burst_every{};
  SimDuration burst_length{};
  // Replay: arrival times (absolute, sorted) read from a CSV, or per-second rates (Poisson
  // within each second) when the CSV has a `rate` column.
  std::vector<SimTime> replay_arrivals;
  std::vector<double> replay_rates;  // index = second
  std::string replay_file;
  bool poisson = true;     // Steps, Sine, Bursts: Poisson arrivals (false: evenly spaced)
};

struct HeaderMix {
  double weight = 1;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower case
};

struct ClientSpec {
  std::string name;
  enum class FromKind { Workload, Gateway };
  FromKind from_kind = FromKind::Workload;
  std::string from_namespace;  // empty: "default" for workloads, as written for gateways
  std::string from_name;
  Url to;
  // `authority:` — the Host header when it differs from the URL's host: the virtual host is
  // chosen by it, the listener by the URL's host and port (docs/semantics.md §1.5). Empty: the
  // URL's authority.
  std::string authority;
  std::string method = "GET";
  RateSpec rate;
  bool has_rate = true;            // false: a timeline step gives the client its first rate
  SimTime start{};               // `start:` no arrival before this run time
  std::uint64_t max_requests = 0;  // `requests: N`; 0 = no cap
  SimDuration timeout = 30 * engine::kSecond;
  std::vector<HeaderMix> mix;      // empty = one entry, weight 1, no headers
  // `followRedirects:` how many redirects (3xx with a Location) the client follows, each hop a
  // request of its own; 0: none (the default), `true`: curl -L's default --max-redirs, 50.
  int follow_redirects = 0;
  config::SourceLocation location;
};
inline constexpr int kCurlMaxRedirs = 50;  // curl's --max-redirs default with -L

// The default proxy costs, from istio.io "Performance and Scalability" (Istio 1.24: ≈200 µs of
// CPU per request per sidecar); the split and its reasoning are docs/semantics.md §19.3.
inline proxy::CpuCosts default_proxy_cpu() {
  proxy::CpuCosts c;
  c.request = 60 * engine::kMicrosecond;
  c.response = 40 * engine::kMicrosecond;
  c.after_response = 100 * engine::kMicrosecond;
  c.local_reply = 40 * engine::kMicrosecond;
  c.retry = 20 * engine::kMicrosecond;
  c.connect = 200 * engine::kMicrosecond;
  return c;
}

struct MeshSpec {
  std::string outbound_traffic_policy = "ALLOW_ANY";
  Distribution config_push_delay;  // ns, per proxy, after the 100 ms debounce
  int proxy_workers = 2;
  Distribution proxy_overhead;     // ns, per pass through a proxy
  // `proxyCpu:` the CPU each piece of proxy work takes on one of the proxy's workers
  // (docs/semantics.md §19); `none` (all zero) is the zero-cost proxy.
  proxy::CpuCosts proxy_cpu = default_proxy_cpu();
  // `proxyCpu.clientLoop:` a closed-loop client's own per-request work (fortio's loop) between
  // a response and its connection's next request (§19.2).
  SimDuration client_loop = 50 * engine::kMicrosecond;
  std::string istio_version = "1.31";
};

struct NetworkSpec {
  Distribution latency;  // ns, one way, each pod-to-pod leg, each direction
};

struct RecordSpec {
  double requests = 1.0;  // `all` = 1, `none` = 0, or a fraction of client requests
  double spans = 1.0;     // fraction of client requests whose spans are stored
  SimDuration metrics_interval = engine::kSecond;
  // `headers:` which request headers a span records as received by the upstream app
  // (spans.received_headers): those the scenario mentions (default: clients' headers, apps'
  // endpoint header matches, calls' forwardHeaders), all of them, or none (the column NULL).
  enum class Headers : std::uint8_t { Mentioned, All, None };
  Headers headers = Headers::Mentioned;
};

// One entry of `timeline:` (docs/design.md §3.2); exactly one action is set.
struct TimelineEntry {
  SimTime at{};
  std::vector<std::string> apply;    // manifest files/folders (resolved paths) applied at `at`
  std::vector<std::string> remove;   // `delete:` manifests whose objects are deleted at `at`
  struct Scale {
    std::string deployment, namespace_;  // namespace empty: "default"
    int replicas = 0;
  };
  std::optional<Scale> scale;
  struct Kill {
    std::string deployment, namespace_;
    std::vector<std::string> pods;  // explicit pod names, or the `count` highest ordinals
    int count = 1;
    enum class Mode { Crash, Graceful };
    Mode mode = Mode::Crash;
    SimDuration grace_period = 30 * engine::kSecond;  // Graceful: in-flight requests may finish
  };
  std::optional<Kill> kill;
  // `app: {reviews-v3: {...}}`: the keys given replace the app's current values.
  struct AppChange {
    std::string workload, namespace_;
    std::optional<int> workers;
    std::optional<Distribution> service_time;
    std::optional<std::vector<CallStep>> calls;
    std::optional<std::vector<FailureSpec>> failures;
    std::optional<int> error_status;
  };
  std::vector<AppChange> app;
  // `client: {users: {rate: {...}, requests: 30, mix: [...]}}`: from `at` on, the keys given
  // replace the client's; a new rate starts a new arrival process at `at` (closed loops open
  // their connections then), and `requests` caps what is sent from `at` on.
  struct ClientChange {
    std::string client;
    std::optional<RateSpec> rate;
    std::optional<std::uint64_t> max_requests;  // 0: no cap
    std::optional<std::vector<HeaderMix>> mix;
  };
  std::vector<ClientChange> client;
  config::SourceLocation location;
};

// `rollout:` — canary weight steps with pauses, as Argo Rollouts' setWeight steps; expanded
// into VirtualService weight changes over time.
struct RolloutSpec {
  std::string virtual_service, namespace_;  // the VS whose http[0] route is rewritten
  std::string host;                         // destination host (default: the VS's first host)
  std::string stable, canary;               // subset names
  SimTime start{};
  struct Step {
    std::optional<int> weight;    // setWeight: canary percentage
    std::optional<SimDuration> pause;
  };
  std::vector<Step> steps;
  std::vector<std::string> analysis;  // assertion names checked after every step
  SimDuration analysis_window = 30 * engine::kSecond;
  config::SourceLocation location;
};

struct AssertionSpec {
  std::string name;
  struct Where {
    std::string client, source, destination, version, route, flag;
    std::optional<int> response_code;
    // `redirected:` true selects the hops a client made by following a redirect, false the
    // requests it made itself (docs/scenario-reference.md `followRedirects`).
    std::optional<bool> redirected;
  };
  Where where;
  SimTime from{};
  std::optional<SimTime> to;  // default: end of run
  // `expect: {successRate: ">= 0.99", p99: "< 250ms", share: ">= 0.18"}`.
  struct Expectation {
    std::string metric;  // successRate, non5xxRate, errorRate, p50, p90, p99, max, count, share, flags:<F>
    std::string op;      // <, <=, >, >=, ==, !=
    double value = 0;    // durations in ns, rates as fractions
    std::string text;    // as written, for reports
  };
  std::vector<Expectation> expect;
  config::SourceLocation location;
};

// The most pods one run may start, from the manifests and the timeline together (pods are
// never reused, so scaling up and down again and again adds up). docs/scenario-reference.md
// "Limits".
inline constexpr std::int64_t kMaxPodsPerRun = 100'000;
// The most app calls one client request's tree may make; calls past it fail like calls beyond
// spec.maxCallDepth, with sim_outcome `call_limit_exceeded` (docs/scenario-reference.md "Limits").
inline constexpr std::uint32_t kMaxCallsPerRequest = 10'000;

struct ScenarioSpec {
  std::string name;          // metadata.name
  std::string path;          // the scenario file
  std::string base_dir;      // manifests are relative to it
  std::uint64_t seed = 1;
  SimDuration duration = 60 * engine::kSecond;
  // How long requests in flight at `duration` may still take; what is unfinished then is
  // recorded with sim_outcome `unfinished` and the run ends (docs/scenario-reference.md).
  SimDuration drain = 5 * engine::kMinute;
  // `warmup:` the first part of the run, simulated and recorded like the rest but left out of
  // summaries, reports, assertions and diffs (requests that start before it, metrics windows
  // that start before it), so that figures describe the steady state rather than the empty
  // mesh filling up (docs/scenario-reference.md). Less than `duration`; 0: nothing left out.
  SimDuration warmup{};
  // The deepest chain of app calls one client request may make (client → A is depth 1, A → B
  // depth 2, ...); a call beyond it fails at once with sim_outcome `call_depth_exceeded`, so
  // that a call cycle (A → A, A → B → A) cannot run forever.
  int max_call_depth = 32;
  std::vector<std::string> manifests;  // resolved paths
  MeshSpec mesh;
  NetworkSpec network;
  std::vector<AppSpec> apps;
  std::vector<ExternalSpec> externals;
  std::vector<ClientSpec> clients;
  RecordSpec record;
  std::vector<TimelineEntry> timeline;  // in `at` order (stable)
  std::vector<RolloutSpec> rollouts;
  std::vector<AssertionSpec> assertions;
  std::string text;          // the scenario file as read (results `inputs`)
  // The --set overrides applied to `text` (results `inputs`, path kOverridesInput), so that a
  // run can be re-simulated from its results file (`meshtwin trace`).
  std::vector<std::string> overrides;
  // Not part of the file: the caller's --allow-unknown-fields, which the scenario's manifests
  // (read when the mesh is built and by the timeline) obey too.
  bool allow_unknown_fields = false;

  const AppSpec* find_app(std::string_view namespace_, std::string_view workload) const;
  const ExternalSpec* find_external(std::string_view host) const;
};

// The `inputs` path under which a run's --set overrides are stored, one per line; no file has it.
inline constexpr const char* kOverridesInput = "--set";

// Reads and validates a scenario file. `overrides` are `--set PATH=VALUE` strings applied to
// the YAML before validation (PATH like `spec.seed` or `spec.clients[0].rate.poisson`; VALUE
// parsed as YAML). Errors carry file:line:col and the field path; nullopt when any error. A field
// the scenario format does not define is an error (with a "did you mean" hint) unless
// options.allow_unknown_fields.
std::optional<ScenarioSpec> load_scenario(const std::string& path,
                                          const std::vector<std::string>& overrides,
                                          config::Diagnostics& diags);

struct LoadScenarioOptions {
  // A field no one defines is a warning, not an error (here and in the scenario's manifests).
  bool allow_unknown_fields = false;
};
std::optional<ScenarioSpec> load_scenario(const std::string& path,
                                          const std::vector<std::string>& overrides,
                                          config::Diagnostics& diags, const LoadScenarioOptions& options);

}  // namespace meshtwin::scenario
