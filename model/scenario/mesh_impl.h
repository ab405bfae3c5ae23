#pragma once

// The simulate half's state: pools of in-flight objects and the event handlers that move them
// (docs/design.md §1 step 2). Private to model/scenario; tests reach it through Mesh::impl().
//
// A request's life: a client (or an app's downstream call) opens a Stream at the caller's
// sidecar → route, weighted cluster, fault → attempts (LB pick, network leg, the server
// sidecar, the server pod's workers and its own downstream calls, the way back) → retry
// decision → the result goes to the owner. All objects live in pools with free lists and are
// addressed by (slot, generation), so a late event for a finished object is recognised and
// dropped; no heap allocation per request in steady state.

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <string_view>
#include <vector>

#include "engine/distribution.h"
#include "engine/id_counts.h"
#include "engine/id_vector.h"
#include "engine/rng.h"
#include "engine/simulator.h"
#include "engine/stable_vector.h"
#include "engine/strong_index.h"
#include "engine/timer.h"
#include "model/config/config_store.h"
#include "model/config/loader.h"
#include "model/app/app_server.h"
#include "model/proxy/circuit_breaker.h"
#include "model/proxy/conn_pool.h"
#include "model/proxy/load_balancer.h"
#include "model/proxy/outlier_detector.h"
#include "model/proxy/retry_state.h"
#include "model/proxy/router.h"
#include "model/proxy/sidecar.h"
#include "model/proxy/worker_queue.h"
#include "model/registry/registry.h"
#include "model/scenario/cluster_rt.h"
#include "model/scenario/ids.h"
#include "model/scenario/mesh.h"
#include "model/scenario/received_headers.h"
#include "model/scenario/record_labels.h"
#include "model/scenario/scenario_spec.h"
#include "model/scenario/target.h"
#include "model/telemetry/records.h"
#include "model/telemetry/string_pool.h"
#include "model/xds/proxy_config.h"

namespace meshtwin::scenario {

using engine::SimDuration;
using engine::SimTime;
using LogField = telemetry::LogField;

// A decision-log record (model/telemetry/decision_log.h) for request `id` at call depth
// `depth`, at the current simulated time; the fields are not even evaluated while it is off.
#define MESH_DLOG(kind, id, depth, ...) MESHTWIN_DLOG(log_, kind, sim_.now(), id, depth, __VA_ARGS__)
#define MESH_DLOG_IF(condition, kind, id, depth, ...) \
  MESHTWIN_DLOG_IF(log_, condition, kind, sim_.now(), id, depth, __VA_ARGS__)

// "1.23" < (1, 24); an unparsable version counts as current.
bool istio_version_before(const std::string& version, int major, int minor);

// What a proxy's config compiled against a registry names as its pod i: pod_map[i].
using PodMap = std::vector<PodId>;

// A free-list pool with stable addresses (engine::StableVector: indexing inline, unlike
// std::deque's), so objects may hold engine::Timers. Slots are `Id`s.
template <class T, class Id>
class Pool {
 public:
  // `grow` appends one default-state object to the store (objects may need constructor
  // arguments such as the simulator for their timers).
  explicit Pool(std::function<void(engine::StableVector<T>&)> grow) : grow_(std::move(grow)) {}

  Id acquire() {
    if (!free_.empty()) {
      const std::uint32_t slot = free_.back();
      free_.pop_back();
      used_[slot] = true;
      return Id{slot};
    }
    grow_(items_);
    used_.push_back(true);
    return Id{static_cast<std::uint32_t>(items_.size() - 1)};
  }
  void release(Id id) {
    ++items_[id.value()].gen;
    used_[id.value()] = false;
    free_.push_back(id.value());
  }
  // Visits the slots in use (rare events only, e.g. a pod crash): O(pool size).
  template <class F>
  void for_each_in_use(F f) {
    for (std::uint32_t i = 0; i < used_.size(); ++i)
      if (used_[i]) f(Id{i});
  }
  T& operator[](Id id) { return items_[id.value()]; }
  std::size_t in_use() const { return items_.size() - free_.size(); }

 private:
  engine::StableVector<T> items_;
  std::vector<std::uint32_t> free_;
  std::vector<bool> used_;
  std::function<void(engine::StableVector<T>&)> grow_;
};

inline std::uint64_t pack(std::uint32_t slot, std::uint32_t gen) {
  return (static_cast<std::uint64_t>(gen) << 32) | slot;
}
template <class Tag>
std::uint64_t pack(engine::StrongIndex<Tag> id, std::uint32_t gen) {
  return pack(id.value(), gen);
}
inline std::uint32_t slot_of(std::uint64_t arg) { return static_cast<std::uint32_t>(arg); }
inline std::uint32_t gen_of(std::uint64_t arg) { return static_cast<std::uint32_t>(arg >> 32); }

using proxy::HeaderSet;

// ---------------------------------------------------------------- static (built once)

struct alignas(64) CallRt {
  const CallSpec* spec = nullptr;
  Target target;
  std::vector<std::string_view> forward_headers;
  // The spec's per-call policy, beside forward_headers in the line prefetch_step_calls takes: the
  // spec itself is a cold line per call at 1,000 services.
  SimDuration timeout{};  // CallSpec::timeout
  std::int32_t attempts = 1;
  bool continue_on_failure = false;
};

struct StepRt {
  std::vector<CallRt> calls;
};

using FailureRt = app::Failure;

// An app's behaviour and where its calls go, step by step.
struct AppRt : app::Behaviour {
  std::vector<StepRt> steps;
  // Per `endpoints` rule (same index): its own calls when the rule has `calls`.
  std::vector<std::vector<StepRt>> endpoint_steps;
  // An outside host's `ports` (spec.externals): the scheme it speaks on each port and its
  // answer there, an entry of `endpoints` chosen by port instead of by request (§20.3).
  struct PortRule {
    std::uint32_t port = 0;
    bool tls = false;
    bool redirect_to_https = false;
    int endpoint = -1;  // index into endpoints
  };
  std::vector<PortRule> ports;
  // The steps a request runs: its rule's calls, or the workload's.
  const std::vector<StepRt>& steps_for(const app::Handling& h) const {
    return h.endpoint && h.endpoint->has_calls && static_cast<std::size_t>(h.index) < endpoint_steps.size()
               ? endpoint_steps[static_cast<std::size_t>(h.index)] : steps;
  }
};

// The scenario's failure entry as the app draws it.
inline app::Failure failure_of(const FailureSpec& f) {
  app::Failure out;
  out.rate = f.rate;
  switch (f.kind) {
    case FailureSpec::Kind::Status: out.kind = app::Failure::Kind::Status; break;
    case FailureSpec::Kind::Reset: out.kind = app::Failure::Kind::Reset; break;
    case FailureSpec::Kind::Hang: out.kind = app::Failure::Kind::Hang; break;
    case FailureSpec::Kind::Refuse: out.kind = app::Failure::Kind::Refuse; break;
    case FailureSpec::Kind::Grpc: out.kind = app::Failure::Kind::Grpc; break;
  }
  out.status = f.status;
  out.grpc_status = f.grpc_status;
  out.after_headers = f.after_headers;
  out.pattern = f.pattern == FailureSpec::Pattern::First   ? app::Failure::Pattern::First
                : f.pattern == FailureSpec::Pattern::Every ? app::Failure::Pattern::Every
                                                           : app::Failure::Pattern::Rate;
  out.n = f.n;
  out.per = f.per == FailureSpec::Per::RequestId    ? app::Failure::Per::Request
            : f.per == FailureSpec::Per::Connection ? app::Failure::Per::Connection
                                                    : app::Failure::Per::Pod;
  out.from = f.from;
  out.to = f.to;
  return out;
}

// Cache-line aligned, one line per kind of visit (the random streams are 16-byte handles,
// engine/rng.h, so each sits in the line its draw comes with): line 0 what a request at the
// pod's app reads (its state, sidecar, app, workers, and the service-time and failure streams
// it draws from), line 1 what a network leg and the server sidecar's inbound check read (the
// latency, the inbound gate, the network stream), line 2 Istio's peer labels every recorded
// hop's metrics read, line 3 the names spans and hop rows read and fields only some hops read;
// what only logs, events and setup read at the end.
struct alignas(64) PodRt {
  bool alive = true;                   // false once crashed or terminated
  bool terminating = false;            // graceful shutdown: serving, out of EDS
  // A host outside the mesh (a ServiceEntry endpoint, a passthrough destination): no sidecar,
  // never killed or scaled; `service` is the host it serves for telemetry, `latency` the one-way
  // leg to it when the scenario's `externals` give one.
  bool outside = false;
  bool gateway = false;  // an Istio gateway: relays what it receives through its own proxy (§11)
  ProxyId proxy;  // its sidecar, none without one
  const AppRt* app = nullptr;  // nullptr: answers 200 at once, unlimited workers
  app::Workers workers;  // ServerReq slots waiting for a worker, FIFO
  engine::RngStream service_rng, failure_rng;
  alignas(64) const engine::Distribution* latency = nullptr;
  // The server sidecar's inbound cluster breaker (docs/semantics.md §7.3, §9.1).
  proxy::InboundGate inbound;
  engine::RngStream net_rng;
  // Istio's peer labels (registry::Pod::app, the SPIFFE principal of its service account).
  alignas(64) std::string_view namespace_;
  std::string_view app_label, version, principal;
  alignas(64) std::string_view name;
  std::string_view workload;
  std::string_view ip;  // read by source-IP hashing and a gateway's forwarding
  std::string_view service;
  std::string key;                     // "namespace/workload"
  std::uint32_t ordinal = 0;
  std::string_view behaviour_key;  // outside: the `externals` key it answers by ("" while none)
  PodRt(std::uint64_t seed, const std::string& pod_name)
      : service_rng(seed, "pod/" + pod_name + "/service"),
        failure_rng(seed, "pod/" + pod_name + "/failures"),
        net_rng(seed, "pod/" + pod_name + "/network") {}
};

// A compiled config for one proxy class, with the map from the registry's pod indices (what
// the config's endpoints name) to the simulation's pods.
struct Snapshot {
  std::shared_ptr<const xds::ProxyConfig> config;
  const registry::Registry* registry = nullptr;  // the one the config was compiled from
  const PodMap* pod_map = nullptr;
  std::uint64_t version = 1;
};

// Cache-line aligned, what a hop reads first in the first line (the stream's route lookup, the
// worker and route draws, the load balancer's stream, the CPU model's flag) and the cluster
// lookup in the second; the CPU queue and costs next (read when the CPU model is on), with the
// fault stream (proxyOverhead and fault draws); names and setup-only fields after.
struct alignas(64) ProxyRt {
  std::uint32_t workers = 2;
  bool cpu_on = false;  // false: zero cost, the queue is never consulted (§19.4)
  std::uint64_t config_version = 1;
  std::shared_ptr<const xds::ProxyConfig> config;
  engine::RngStream route_rng, lb_rng;
  // By index into config->clusters, built on first use (see ClusterTable).
  ClusterTable clusters;
  // The proxy's worker threads as a CPU resource (docs/semantics.md §19): its costs (the
  // mesh's, or its workload's `apps.<w>.proxyCpu`) and the FIFO queue of work on its workers.
  proxy::WorkerQueue cpu;
  proxy::CpuCosts cpu_costs;
  engine::RngStream fault_rng, push_rng;
  ProxyId index;  // in MeshImpl::proxies_
  const PodMap* pod_map = nullptr;
  const registry::Registry* registry = nullptr;
  SimTime last_push{};    // pushes are applied in order
  std::vector<std::unique_ptr<ClusterRt>> retired;  // replaced by a push, in use by old requests
  PodId pod;
  std::string_view name, workload;
  ProxyRt(std::uint64_t seed, const std::string& pod_name)
      : route_rng(seed, "proxy/" + pod_name + "/route"),
        lb_rng(seed, "proxy/" + pod_name + "/lb"),
        fault_rng(seed, "proxy/" + pod_name + "/fault"),
        push_rng(seed, "proxy/" + pod_name + "/push") {}
};

struct ClientRt {
  const ClientSpec* spec = nullptr;
  std::string_view name;
  Target target;
  std::vector<PodId> source_pods;
  std::vector<double> mix_cumulative;
  std::vector<HeaderSet> mix_headers;
  std::uint64_t sent = 0;
  RateSpec rate;                 // the spec's rate until the timeline changes it
  bool has_rate = true;          // false until a timeline step gives a rate-less client one
  // Each rate (the spec's at `start`, each timeline change at its `at`) is a new arrival
  // process: arrivals and closed-loop connections of an older one are dropped by epoch.
  std::uint32_t epoch = 0;
  SimTime rate_origin{};       // when the current rate took effect (ramp, sine, bursts)
  std::uint64_t max_requests = 0;   // cap on `sent` (0: none); a timeline `requests` restarts it
  std::size_t replay_next = 0;   // next arrival of a replayed CSV
  engine::RngStream arrival_rng, mix_rng, source_rng;
  ClientRt(std::uint64_t seed, const std::string& client_name)
      : arrival_rng(seed, "client/" + client_name + "/arrivals"),
        mix_rng(seed, "client/" + client_name + "/mix"),
        source_rng(seed, "client/" + client_name + "/source") {}
};

// ---------------------------------------------------------------- dynamic (pooled)

// Who waits for a stream's result: a client, an app's call, nobody (a mirror), or a gateway
// pod relaying a request it received to where its own config routes it.
enum class Owner : std::uint8_t { Client, AppCall, Shadow, GatewayForward };

// A request stream through a caller-side proxy (or, without a sidecar, straight to a pod).
struct Stream {
  std::uint32_t gen = 0;
  Owner owner = Owner::Client;
  std::uint32_t owner_slot = 0, owner_gen = 0;  // a ClientReqId, AppCallId or ServerReqId by owner
  ProxyId proxy;  // the caller's sidecar; none without one
  PodId src_pod;
  std::uint64_t request_id = 0;
  std::uint64_t parent_span = 0;
  int app_attempt = 1;
  bool sampled = true;
  // request
  const Target* target = nullptr;
  HeaderSet headers;
  // routing: the config snapshot and cluster runtime the stream was routed with (a config
  // push meanwhile does not move an in-flight request)
  ClusterRt* crt = nullptr;
  const xds::Route* route = nullptr;
  std::int32_t cluster = xds::kNoCluster;
  std::string_view route_name = "-", vs_rule = "-", cluster_name = "-";
  std::uint64_t config_version = 0;
  std::uint32_t worker = 0;
  std::uint64_t route_random = 0;     // the stream's random value (weighted pick, mirrors)
  std::uint32_t weighted_pick = 0;
  // attempts
  proxy::Router router;  // attempts, hosts tried, retry decisions
  std::int32_t host = proxy::kNoHost;
  PodId dest_pod;
  ServerReqId server_req;  // the attempt in flight
  std::uint32_t server_gen = 0;
  bool attempt_in_flight = false;
  bool attempt_reached = false;
  proxy::HostPoolId pool;        // the host pool of the attempt (ConnPool::index)
  proxy::ConnectionId conn;       // its connection once dispatched
  bool pending = false;           // waiting in the pool for a connection
  std::uint32_t upstream_flags = 0;  // what the server-side sidecar logged for this attempt
  SimTime attempt_start{};
  std::uint64_t span_id = 0;
  std::uint16_t depth = 0;  // app-call depth of the request it carries (client: 0)
  // outcome
  SimTime start{};
  std::uint32_t flags = 0;
  int degraded = 0;
  int final_code = 0;
  bool local = false;  // ended in a local reply the caller's proxy made itself (§19.2)
  std::string_view location;  // the final answer's Location (a 3xx), "" for none
  engine::Timer route_timer, per_try_timer, backoff_timer;
  Stream(engine::Simulator& sim, engine::EventFn route_fn, engine::EventFn per_try_fn,
         engine::EventFn backoff_fn, void* ctx)
      : route_timer(sim, route_fn, ctx), per_try_timer(sim, per_try_fn, ctx),
        backoff_timer(sim, backoff_fn, ctx) {}
};

// A request being handled by a server pod (from arrival at its sidecar to the response
// reaching the caller).
struct ServerReq {
  std::uint32_t gen = 0;
  PodId pod;
  StreamId stream;
  std::uint32_t stream_gen = 0;
  std::uint64_t request_id = 0;
  std::uint64_t span_id = 0;  // the caller's attempt span: parent of this pod's calls
  std::uint16_t depth = 1;    // client → pod is 1; each app call one more (spec.maxCallDepth)
  bool sampled = true;
  HeaderSet headers;
  std::size_t step = 0;
  int outstanding = 0;
  bool call_failed = false;
  int failure_status = 0;  // drawn on arrival; 0 = none
  int degraded = 0;
  int response_code = 0;
  bool holds_worker = false;
  // How the server side answered (what the caller's router sees).
  using Reply = proxy::UpstreamReply;
  Reply reply = Reply::Response;
  int grpc_status = -1;
  std::uint32_t upstream_flags = 0;  // what the server-side sidecar logged
  const FailureRt* failure = nullptr;  // drawn on arrival
  app::Handling handling;  // the app's `endpoints` rule for this request, chosen on arrival
  bool hung = false;
  bool finished = false;  // answered (or its pod died): late work for it is dropped
  bool inbound_counted = false;  // holds one of the server sidecar's inbound slots
  const xds::Cluster* via = nullptr;  // the caller's cluster (service and port it addressed)
  const Target* target = nullptr;     // what the caller sent
  std::uint32_t port = 0;             // the pod port it arrived on
  // The serial of the caller proxy's upstream connection that carried it (the scope of
  // `per: connection` failure patterns); 0 when no proxy pool carried it (a caller without a
  // sidecar).
  std::uint64_t connection = 0;
  std::string_view location;          // a redirect's Location header ("" for none)
};

// A connection being established (from a proxy to a host), until connect completes.
struct ConnectOp {
  std::uint32_t gen = 0;
  ClusterRt* cluster = nullptr;
  proxy::HostPoolId pool;
};

// One downstream call of an app, across its app-level attempts.
struct AppCall {
  std::uint32_t gen = 0;
  ServerReqId server_req;
  std::uint32_t server_gen = 0;
  const CallRt* call = nullptr;
  int attempt = 0;
  StreamId stream;
  std::uint32_t stream_gen = 0;
  engine::Timer timeout;
  AppCall(engine::Simulator& sim, engine::EventFn fn, void* ctx) : timeout(sim, fn, ctx) {}
};

struct ClientReq {
  std::uint32_t gen = 0;
  ClientId client;
  std::uint64_t request_id = 0;
  SimTime start{};
  HeaderSet headers;
  StreamId stream;
  std::uint32_t stream_gen = 0;
  PodId src_pod;
  bool record = true;
  bool sampled = true;
  LoopConnId connection;  // closed-loop connection; none for an open-loop arrival
  std::uint32_t epoch = 0;           // the client's arrival process it belongs to
  // What this hop requests: the client's URL, or the Location of a redirect it follows.
  const Target* target = nullptr;
  std::uint64_t redirect_of = 0;  // the previous hop's request id (0: the first hop)
  int redirects = 0;              // redirects followed so far
  engine::Timer timeout;
  ClientReq(engine::Simulator& sim, engine::EventFn fn, void* ctx) : timeout(sim, fn, ctx) {}
};

// ---------------------------------------------------------------- the mesh

class MeshImpl {
 public:
  MeshImpl();
  bool build(const ScenarioSpec& spec, config::Diagnostics& diags);
  // Never inlined: scripts/callgrind-hop.sh counts a run's instructions from this function's
  // entry to its exit (--toggle-collect), and LTO had inlined it into mesh_scale_bench's loop.
  [[gnu::noinline]] RunStats run(telemetry::Sink& sink, const RunOptions& options);

  // For tests and explain-like tools.
  const registry::Registry& registry() const { return registry_; }
  const config::ConfigStore& store() const { return store_; }
  // Proxy configs compiled so far (one per proxy class per config version).
  std::size_t configs_compiled() const { return configs_.size(); }
  const engine::IdVector<ProxyId, engine::StableVector<ProxyRt>>& proxies() const { return proxies_; }
  const engine::IdVector<PodId, engine::StableVector<PodRt>>& pods() const { return pods_; }

 private:
  // build
  bool build_apps(config::Diagnostics& diags);
  // Warns about each cycle in the static call graph (app → the workloads behind the Service it
  // calls), naming it; at run time spec.maxCallDepth cuts such a chain.
  void warn_call_cycles(config::Diagnostics& diags) const;
  bool build_clients(config::Diagnostics& diags);
  void request_parts(const Url& url, const std::string& method, Target& out);
  bool client_target(const ClientRt& rt, const Url& url, const std::string& method, Target& t,
                     config::Diagnostics& diags, const std::string& where);
  void build_proxies();
  void build_externals();
  bool resolve_call(const CallSpec& spec, std::string_view from_namespace, CallRt& out,
                    config::Diagnostics& diags, const char* what);
  bool resolve_target(const Url& url, const std::string& method, std::string_view from_namespace,
                      Target& out, config::Diagnostics& diags, const config::SourceLocation& location,
                      const std::string& where);
  // The pod standing for the outside host at `address` (made on first use), answering as the
  // scenario's `externals` entry for the address or, failing that, for `service_host` says.
  PodId outside_pod(std::string_view address, std::string_view service_host);
  // Egress (mesh_egress.cc, docs/semantics.md §20): whether the bytes reaching the server are
  // TLS, and how an outside host with `ports` answers on the port and scheme a request reached
  // it by (true: answered already, a scheme mismatch or a closed port).
  static bool arrives_over_tls(const ServerReq& r);
  bool answer_by_port(ServerReqId req, const AppRt& app);
  // The Location a redirect route answers the stream's request with, as the client receives it.
  std::string_view redirect_location(const Stream& s, const xds::Route& route);
  std::string_view tls_redirect_location(const Stream& s);
  // registry_'s index of a pod made from it: pods_ begins with registry_'s pods in order
  // (build), so pod_maps_.front() is the identity. Only for pods of the build-time registry.
  std::uint32_t initial_registry_index(PodId pod) const { return pod.value(); }
  // The simulation pod behind a cluster endpoint of a config compiled with `pod_map`.
  PodId endpoint_pod(const xds::ClusterEndpoint& ep, const PodMap& pod_map, std::string_view service_host);

  // clients
  // Starts the client's current rate at `from` (a new epoch): closed loops open their
  // connections, constant rates send at once, the others draw their first gap.
  void start_client(ClientId client, SimTime from);
  void rebuild_mix(ClientRt& c, const std::vector<HeaderMix>& mix);
  void schedule_next_arrival(ClientId client, LoopConnId connection, SimTime from);
  void on_arrival(std::uint64_t arg);
  void maybe_stop();
  // The drain bound (spec.drain after spec.duration): what is still in flight is recorded with
  // sim_outcome "unfinished" and the run ends. Also used when a run is interrupted.
  void on_drain_deadline(std::uint64_t);
  void record_unfinished();
  // An app call beyond spec.maxCallDepth (or past kMaxCallsPerRequest): fails at once, with a
  // span row whose sim_outcome says why.
  void cut_app_call(AppCallId call, std::string_view outcome);
  void on_client_timeout(std::uint64_t arg);
  void finish_client(ClientReqId slot, int code, std::uint32_t flags, int degraded);
  // A client following redirects (`followRedirects`): the next hop to the 3xx's Location, as a
  // request of its own; false when the answer is not one to follow (the chain ends).
  bool follow_redirect(ClientReqId slot, int code, std::string_view location);
  const Target* redirect_target(ClientId client, std::string_view location, std::string_view method);
  void send_client_request(ClientReqId slot);

  // streams at the caller proxy
  StreamId open_stream(Owner owner, std::uint32_t owner_slot, std::uint32_t owner_gen,
                            PodId src_pod, std::uint64_t request_id,
                            std::uint64_t parent_span, int app_attempt, bool sampled,
                            const Target& target, const HeaderSet& headers);
  void launch_stream(StreamId slot);
  void on_stream_at_proxy(std::uint64_t arg);
  void route_stream(StreamId slot);
  PodId original_destination(const Stream& s, engine::RngStream& rng);
  // kube-proxy's endpoints of a Service (its ready pods in registry order) under the current
  // registry, made on first use and dropped at every registry change.
  const std::vector<PodId>& kube_proxy_endpoints(const registry::Service& build_service);
  std::int32_t original_dst_host(ClusterRt& c, PodId pod);
  std::string_view destination_service(const Stream& s);
  void on_fault_delay_done(std::uint64_t arg);
  void forward_stream(StreamId slot);
  void apply_rewrites(Stream& s, const xds::Route& route);
  ClusterRt& ensure_cluster(ProxyRt& p, std::int32_t index);
  void start_shadow(StreamId slot, std::int32_t cluster);
  void start_attempt(StreamId slot);
  void on_backoff_done(std::uint64_t arg);
  void acquire_upstream(StreamId slot);
  void send_to_server(StreamId slot);
  void on_connected(std::uint64_t arg);
  void release_upstream(StreamId slot, bool reset);
  void release_retry(Stream& s);
  void overflow(StreamId slot);

 public:
  // What a cluster's connection pools ask of the mesh (ClusterRt forwards them here).
  void open_connection(ClusterRt& c, proxy::HostPoolId pool);
  bool claim_pending(const proxy::PoolRequest& request);
  void pool_attached(ClusterRt& c, StreamId slot, proxy::ConnectionId conn);
  void pool_overflowed(StreamId slot) { overflow(slot); }
  // A pool closed a connection: `per: connection` failure patterns forget it (a new
  // connection counts from 1).
  void connection_closed(std::uint64_t serial) { failures_per_connection_.forget(serial); }

 private:
  void on_attempt_result(StreamId slot, const ServerReq& r);
  void free_server_req(ServerReqId req);
  void report_outlier(Stream& s, int status, bool local_origin, bool timeout);
  void on_outlier_tick(std::uint64_t arg);

  // timeline (mesh_timeline.cc)
  bool build_timeline(config::Diagnostics& diags);
  void schedule_timeline();
  bool client_step(const TimelineEntry& e) const;  // changes a client before the end
  void on_timeline(std::uint64_t index);
  void on_rollout_step(std::uint64_t index);
  // The first failing expectation of a rollout's analysis over [now − window, now), or "".
  std::string failed_analysis(const RolloutSpec& rollout);
  void recompile_and_push();
  void on_config_delivered(std::uint64_t arg);
  void install_snapshot(ProxyRt& p, const Snapshot& snapshot);
  void start_pod(const std::string& namespace_, const std::string& workload);
  void on_pod_ready(std::uint64_t pod);
  void kill_pod(PodId pod, bool graceful, SimDuration grace);
  void on_pod_terminated(std::uint64_t pod);
  void set_replicas(const std::string& namespace_, const std::string& workload, int replicas);
  void begin_rolling_updates(const std::vector<config::Workload>& before);
  void rolling_step(std::string key);
  bool has_workload(std::string_view workload) const;
  void change_outside_host(const TimelineEntry::AppChange& change, config::Diagnostics& diags);
  const AppRt* changed_app(const AppRt* base, const TimelineEntry::AppChange& change,
                           const std::string& namespace_, config::Diagnostics& diags);
  double rate_at(const RateSpec& rate, SimTime t, SimTime origin) const;
  PodId make_pod(std::uint32_t registry_index, const registry::Registry& reg);
  void make_proxy(PodId pod, const Snapshot& snapshot);
  // Compiles one Snapshot per proxy class; returns, per pod of `reg` (by registry index), its
  // snapshot (none for pods without a proxy).
  std::vector<SnapshotId> compile_classes(const registry::Registry& reg,
                                             const PodMap& pod_map);
  void on_route_timeout(std::uint64_t arg);
  void on_per_try_timeout(std::uint64_t arg);
  void local_reply(StreamId slot, int code, std::uint32_t flags);
  void end_attempt(StreamId slot, int code, std::uint32_t flags, bool reset_upstream);
  void decide_after_attempt(StreamId slot, const proxy::AttemptResult& result);
  void finish_stream(StreamId slot, int code, std::uint32_t flags);
  void on_stream_result(std::uint64_t arg);
  void emit_hop(const Stream& s, int code, std::uint32_t flags);
  // Istio's labels of the hop's two ends (the caller pod and dest_pod), its protocol and mTLS.
  const RecordLabels& record_labels(const Stream& s);
  void reset_stream_from_downstream(StreamId slot);

  // server pods
  void on_server_arrival(std::uint64_t arg);
  void on_app_arrival(std::uint64_t arg);
  void enter_app(ServerReqId req);
  void begin_service(ServerReqId req);
  void on_service_done(std::uint64_t arg);
  void release_worker(ServerReqId req);
  void run_step(ServerReqId req);
  void start_app_call_attempt(AppCallId call);
  void on_app_call_timeout(std::uint64_t arg);
  void app_call_done(AppCallId call, int code, std::uint32_t flags, int degraded);
  void respond(ServerReqId req, int code);
  void forward_at_gateway(ServerReqId req);
  void gateway_forward_done(ServerReqId req, std::uint32_t gen, int code, std::uint32_t flags,
                            std::string_view location);
  void on_response_at_caller(std::uint64_t arg);

  SimDuration overhead(ProxyRt& p);
  // Work of `cost` on one of the proxy's workers, handed in now (docs/semantics.md §19.1): the
  // delay until it is done (queueing included); `off_path` more work follows it on the same
  // worker without delaying the request. 0 for a zero-cost proxy.
  SimDuration proxy_work(ProxyRt& p, SimDuration cost, SimDuration off_path = {}) {
    if (!p.cpu_on) return SimDuration{};
    return p.cpu.serve(sim_.now(), cost, off_path) - sim_.now();
  }
  // One `proxy_cpu` event per proxy that did work, at the end of the run: its time-weighted
  // busy share and queueing (§19.5).
  void emit_proxy_cpu();
  // One network leg from `from` (whose stream draws it): the mesh network's latency, or the
  // outside host's own when `to` or `from` is one with a latency of its own.
  SimDuration network_leg(PodRt& from, const PodRt* to = nullptr);
  // Prefetches (hints only: results never change) of lines that at 1,000 services have left the
  // cache, issued an event ahead so they are not misses taken one after another on the path:
  // what a request's arrival at `pod` reads (its sidecar's overhead stream, the app and its
  // failure and service-time streams), one network leg ahead; the calls of the step a request
  // runs after its service time; and for routing a stream of `t` at proxy `p` after its CPU
  // delay, p's streams and the route, cluster, pools and connection the target's last stream
  // took (a stream mostly goes where the last one did).
  void prefetch_server_draws(const PodRt& pod) const;
  void prefetch_record_labels(const PodRt& from, const PodRt& to, const Target* target) const;
  void prefetch_step_calls(const AppRt& app, const app::Handling& handling, std::uint32_t step) const;
  void prefetch_route(const ProxyRt& p, const Target& t) const;
  bool sample(std::uint64_t request_id, std::uint64_t salt, double fraction) const;
  void emit_span(Stream& s, telemetry::SpanKind kind, SimTime start, int code,
                 std::uint32_t flags);

  // How the scenario's manifests are read (the caller's --allow-unknown-fields).
  config::LoadOptions manifest_options() const {
    config::LoadOptions o;
    o.allow_unknown_fields = spec_.allow_unknown_fields;
    return o;
  }

  // inputs
  ScenarioSpec spec_;
  // record.headers: the names a span's received_headers keeps (Mentioned), and the JSON text of
  // the span being emitted (the sink copies it during on_span).
  std::vector<std::string> recorded_headers_;
  std::string received_headers_json_;
  config::ConfigStore store_;
  registry::Registry registry_;
  std::uint64_t seed_ = 1;
  telemetry::StringPool strings_;

  std::vector<AppRt> apps_;
  // Stable addresses (timers, pointers from streams) and inline indexing: the hot path indexes
  // both on every hop (std::deque's out-of-line indexing cost ~800 instructions per hop attempt,
  // docs/performance.md). Grow as the timeline starts pods; never shrink.
  engine::IdVector<PodId, engine::StableVector<PodRt>> pods_;
  engine::IdVector<ProxyId, engine::StableVector<ProxyRt>> proxies_;
  engine::IdVector<ClientId, std::vector<ClientRt>> clients_;
  std::vector<std::shared_ptr<const xds::ProxyConfig>> configs_;

  engine::Distribution latency_;
  engine::Distribution proxy_overhead_;
  bool overhead_is_zero_ = true;
  bool inbound_retries_ = true;  // the inbound reset-before-request retries of Istio ≥ 1.24
  // Istio ≥ 1.31 sends unhealthy endpoints (proxy::lb_setup_for); parsed once, not per cluster.
  bool sends_unhealthy_endpoints_ = true;
  engine::RngStream overhead_rng_;

  // simulate
  engine::Simulator sim_;
  Pool<Stream, StreamId> streams_;
  Pool<ServerReq, ServerReqId> server_reqs_;
  Pool<AppCall, AppCallId> app_calls_;
  Pool<ClientReq, ClientReqId> client_reqs_;
  // The twin's own outcomes (results `sim_outcome`): client requests with a cut call somewhere
  // in their tree, and app calls made so far per client request (a parallel cycle fans out as
  // 2^depth, so depth alone does not bound it).
  std::unordered_map<std::uint64_t, std::string_view> request_outcome_;
  engine::IdCounts calls_per_request_;  // app calls per client request id in flight
  // Counts for the apps' deterministic failure patterns (`first`, `every`), by pod index and
  // by client request id (forgotten when the client request ends).
  app::PatternCounts failures_per_pod_, failures_per_request_, failures_per_connection_;
  // Run-wide serials of upstream connections (proxy::ConnPool::serial): the scope of
  // `per: connection` failure patterns, never reused within a run.
  std::uint64_t next_connection_serial_ = 1;
  std::string_view span_outcome_;  // set while record_unfinished emits spans
  Pool<ConnectOp, ConnectOpId> connect_ops_;
  std::vector<ClusterRt*> outlier_clusters_;  // detectors with an interval timer

  // timeline state
  std::deque<registry::Registry> later_registries_;
  // By the build registry's Service (what Targets name): see kube_proxy_endpoints().
  std::unordered_map<const registry::Service*, std::vector<PodId>> kube_proxy_endpoints_;
  std::string redirect_scratch_;  // tls_redirect_location's buffer, reused
  std::deque<PodMap> pod_maps_;
  engine::IdVector<SnapshotId, std::deque<Snapshot>> snapshots_;
  struct PendingReady {
    std::string key;  // "ns/workload"
    std::uint32_t ordinal = 0;
    SimTime at{};
  };
  std::deque<PendingReady> pending_ready_;  // deque: entries stay put while more are added
  struct RollingUpdate {
    int desired = 1;
    int max_surge = 1;
    int max_unavailable = 0;
  };
  std::unordered_map<std::string, RollingUpdate> rolling_;  // "ns/deployment" being rolled
  std::unordered_map<std::string, PodId> pod_by_name_;  // "ns/name" -> pod
  std::unordered_map<std::string, PodId> outside_by_address_;  // outside host -> pod
  // What gateway pods relay: the caller's target arriving on a pod port, re-addressed to the
  // gateway itself; made on first sight, stable afterwards (streams point at them).
  std::map<std::tuple<const Target*, std::uint32_t, PodId>, const Target*> forward_index_;  // (target, port, gateway pod)
  std::deque<Target> forward_targets_;
  // What upstreams receive after a route's rewrites (docs/semantics.md §3.4): the sent target
  // with the rewritten path and authority, keyed by (sent target, path, authority) and made on
  // first sight; the Target's views point into its key, which a map node never moves.
  // The comparator is spelled out (not std::less<>) because clang 14 with libstdc++ 12 cannot
  // compare tuple<string> with tuple<string_view> in a heterogeneous find.
  using RewrittenKey = std::tuple<const Target*, std::string, std::string>;
  struct RewrittenKeyLess {
    using is_transparent = void;
    using View = std::tuple<const Target*, std::string_view, std::string_view>;
    static View view(const RewrittenKey& k) { return {std::get<0>(k), std::get<1>(k), std::get<2>(k)}; }
    static const View& view(const View& v) { return v; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const { return view(a) < view(b); }
  };
  std::map<RewrittenKey, Target, RewrittenKeyLess> rewritten_targets_;
  // Where clients' followed redirects go, per (client, method, Location): resolved on first use
  // (nullptr: the Location names nothing the client can reach), stable afterwards.
  std::map<std::tuple<ClientId, std::string_view, std::string_view>, const Target*> redirect_index_;
  std::deque<Target> redirect_targets_;
  // How each `spec.externals` host answers now (the timeline's `app` changes replace entries;
  // hosts not listed get an entry when a change names them).
  std::unordered_map<std::string, const AppRt*> outside_app_;
  std::deque<AppRt> outside_apps_;
  registry::PodPlan plan_;
  std::unordered_map<std::string, std::uint32_t> next_ordinal_;  // per "ns/workload"
  std::unordered_map<std::string, const AppRt*> app_of_workload_;
  std::deque<AppRt> changed_apps_;
  std::uint64_t config_version_ = 1;
  struct RolloutAction {
    SimTime at{};
    std::size_t rollout = 0;
    int weight = 0;
  };
  std::vector<RolloutAction> rollout_actions_;
  std::vector<bool> rollout_aborted_;
  // The rollout analysis reads recent hop outcomes, as Argo/Flagger read Prometheus.
  struct HopSample {
    SimTime end{};
    SimDuration duration{};
    std::string_view source, service, version;
    bool ok = false;      // telemetry::is_success
    bool non5xx = false;  // telemetry::is_non5xx
  };
  std::deque<HopSample> analysis_log_;
  SimDuration analysis_keep_{};  // 0: no rollout analyses, nothing logged
  std::vector<std::uint32_t> returned_hosts_;  // scratch for on_interval
  std::vector<proxy::PoolRequest> failed_connects_;  // scratch for on_connected
  telemetry::Sink* sink_ = nullptr;
  telemetry::Interest interest_;  // the sink's, for the run
  RecordLabels labels_;           // record_labels' last answer
  proxy::VirtualHostCache vhost_cache_;  // route_stream's; cleared whenever a config is replaced
  telemetry::DecisionLog log_;  // RunOptions::log, copied for the run (off: one flag test per site)
  std::uint64_t next_request_id_ = 1, next_span_id_ = 1;
  RunStats stats_;
  std::uint64_t client_in_flight_ = 0, pending_arrivals_ = 0;
  std::string_view unknown_, dash_, http_, grpc_, tcp_;  // the last three: request_protocol values
};

}  // namespace meshtwin::scenario
