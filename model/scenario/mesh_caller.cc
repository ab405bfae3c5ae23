// Streams at the caller's sidecar (docs/design.md §1 step 2): open, route with the sidecar's
// listener side (proxy::route_outbound), fault filter, mirrors, attempts with the load balancer,
// and the router's decisions (proxy::Router) applied with their timers, spans and hop records.

#include <algorithm>
#include <optional>
#include <vector>

#include "model/scenario/mesh_impl.h"
#include "model/telemetry/outcome.h"
#include "model/telemetry/response_flags.h"
#include "model/text/i18n.h"

namespace meshtwin::scenario {

using telemetry::SpanKind;
using telemetry::is_success;
namespace flag = telemetry;

namespace {

// Why an attempt failed, for the decision log's retry records.
LogField retry_reason(const proxy::AttemptOutcome& o, telemetry::StringPool& strings) {
  using Kind = proxy::AttemptOutcome::Kind;
  switch (o.kind) {
    case Kind::Response:
      return LogField::t("reason", strings.intern(o.grpc_status >= 0 ? "grpc-status " + std::to_string(o.grpc_status)
                                                                     : "HTTP " + std::to_string(o.status)));
    case Kind::ConnectFailure: return LogField::m("reason", N_("a connection failure"));
    case Kind::RefusedStream: return LogField::m("reason", N_("a refused stream"));
    case Kind::ResetBeforeRequest: return LogField::m("reason", N_("a reset before the request was sent"));
    case Kind::Reset: return LogField::m("reason", N_("a reset"));
    case Kind::PerTryTimeout: return LogField::m("reason", N_("a per-try timeout"));
    case Kind::Overflow: return LogField::m("reason", N_("an overflow"));
  }
  return LogField::t("reason", "");
}

}  // namespace

// ====================================================================== caller-side proxy

StreamId MeshImpl::open_stream(Owner owner, std::uint32_t owner_slot,
                                    std::uint32_t owner_gen, PodId src_pod,
                                    std::uint64_t request_id, std::uint64_t parent_span,
                                    int app_attempt, bool sampled, const Target& target,
                                    const HeaderSet& headers) {
  const StreamId slot = streams_.acquire();
  Stream& s = streams_[slot];
  s.owner = owner;
  s.owner_slot = owner_slot;
  s.owner_gen = owner_gen;
  s.proxy = pods_[src_pod].proxy;
  s.src_pod = src_pod;
  s.request_id = request_id;
  s.parent_span = parent_span;
  s.app_attempt = app_attempt;
  s.sampled = sampled;
  s.target = &target;
  s.headers = headers;
  s.route = nullptr;
  s.cluster = xds::kNoCluster;
  s.crt = nullptr;
  s.route_name = s.vs_rule = s.cluster_name = dash_;
  s.config_version = 0;
  s.router.reset();
  s.host = proxy::kNoHost;
  s.dest_pod = PodId::none();
  s.server_req = ServerReqId::none();
  s.attempt_in_flight = false;
  s.attempt_reached = false;
  s.start = sim_.now();
  s.depth = 0;
  s.flags = 0;
  s.degraded = 0;
  s.final_code = 0;
  s.local = false;
  s.location = {};
  return slot;
}

void MeshImpl::launch_stream(StreamId slot) {
  Stream& s = streams_[slot];
  if (!s.proxy.valid()) {
    // No sidecar: the app's connection goes straight to a pod (kube-proxy), bypassing
    // VirtualService routing (docs/design.md §3.1).
    start_attempt(slot);
  } else {
    ProxyRt& p = proxies_[s.proxy];
    SimDuration delay = overhead(p);
    // The request's filter chain takes a worker (§19.1); a gateway relaying what it received
    // was charged once already, on its inbound side (enter_app).
    if (s.owner != Owner::GatewayForward) delay += proxy_work(p, p.cpu_costs.request);
    if (delay == SimDuration{}) {
      route_stream(slot);
    } else {
      prefetch_route(p, *s.target);
      sim_.schedule_in(delay, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_stream_at_proxy>,
                       this, pack(slot, s.gen));
    }
  }
}

void MeshImpl::on_stream_at_proxy(std::uint64_t arg) {
  const StreamId slot{slot_of(arg)};
  if (streams_[slot].gen != gen_of(arg)) return;
  route_stream(slot);
}

// The sidecar's listener side decides (proxy::route_outbound); the stream takes the route and
// cluster it names, then goes on to the fault filter and router, to a tcp_proxy connection, or
// ends in a local reply.
void MeshImpl::route_stream(StreamId slot) {
  Stream& s = streams_[slot];
  ProxyRt& p = proxies_[s.proxy];
  s.config_version = p.config_version;
  s.worker = p.workers > 1 ? static_cast<std::uint32_t>(p.route_rng.uniform_int(p.workers)) : 0;
  const Target& t = *s.target;
  proxy::Downstream downstream;
  downstream.transport = t.transport;
  downstream.address = t.address;
  downstream.port = t.port;
  downstream.sni = t.sni;
  downstream.authority = t.authority;
  downstream.path = t.path;
  downstream.method = t.method;
  downstream.headers = &s.headers;
  downstream.vhosts = &vhost_cache_;
  downstream.vhost_hint = &t.vhost_hint;
  const proxy::RouteDecision d = proxy::route_outbound(*p.config, downstream, p.route_rng);
  if (d.route) {
    s.route = d.route;
    if (!d.route->name.empty()) s.route_name = d.route->name;
  }
  if (d.has_vs_rule) s.vs_rule = d.vs_rule.empty() ? dash_ : d.vs_rule;
  if (d.picked) {
    s.weighted_pick = d.weighted_pick;
    s.cluster = d.cluster;
    s.cluster_name = d.cluster_name;
  }
  if (d.kind == proxy::RouteDecision::Kind::LocalReply) {
    if (d.route && d.route->action == xds::Route::Action::Redirect) s.location = redirect_location(s, *d.route);
    if (d.tls_redirect) s.location = tls_redirect_location(s);
    local_reply(slot, d.status, d.flags);
    return;
  }
  MESH_DLOG(RouteMatched, s.request_id, s.depth, LogField::t("proxy", p.name),
            LogField::t("route", s.vs_rule == dash_ ? s.route_name : s.vs_rule), LogField::t("cluster", s.cluster_name));
  s.route_random = d.random;
  s.crt = &ensure_cluster(p, s.cluster);
  t.last_route = reinterpret_cast<std::uintptr_t>(s.route);
  t.last_cluster = reinterpret_cast<std::uintptr_t>(s.crt);
  t.last_proxy = s.proxy;
  if (d.kind == proxy::RouteDecision::Kind::Tcp) {
    start_attempt(slot);  // a tcp_proxy never retries (one connect attempt)
    return;
  }
  // Fault filter (§6): delay roll first; the abort roll happens after the delay, or at once.
  if (proxy::roll_fault_delay(*s.route, p.fault_rng)) {
    s.flags |= flag::kDelayInjected;
    MESH_DLOG(FaultDelay, s.request_id, s.depth, LogField::d("delay", s.route->fault->delay->duration));
    sim_.schedule_in(s.route->fault->delay->duration,
                     &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_fault_delay_done>, this,
                     pack(slot, s.gen));
    return;
  }
  forward_stream(slot);
}

// The host index of `pod` in an ORIGINAL_DST cluster, added on first use. O(hosts): such a
// cluster has one host per distinct destination a proxy has sent to.
std::int32_t MeshImpl::original_dst_host(ClusterRt& c, PodId pod) {
  for (std::uint32_t h = 0; h < c.hosts.size(); ++h)
    if (c.hosts.pod(h) == pod) return static_cast<std::int32_t>(h);
  c.pools.add_host();
  return static_cast<std::int32_t>(c.hosts.add(pod));
}

// Where the app's own connection lands without a load balancer (kube-proxy for a caller
// without a sidecar, ORIGINAL_DST clusters): a pod of the Service it resolved, or the host
// outside the mesh at the address it dialled; none when nothing answers.
PodId MeshImpl::original_destination(const Stream& s, engine::RngStream& rng) {
  const Target& t = *s.target;
  if (!t.service) return t.outside;
  const std::vector<PodId>& endpoints = kube_proxy_endpoints(*t.service);
  if (endpoints.empty()) return t.outside;
  return endpoints[rng.uniform_int(endpoints.size())];
}

// kube-proxy follows the Service's current endpoints: once the timeline has changed the pods,
// the latest registry's, whose pod indices map through the latest pod map (the build registry's
// map through the first, the identity). Like an EndpointSlice, only ready pods count. A name
// lookup per Service and registry version, not per request.
const std::vector<PodId>& MeshImpl::kube_proxy_endpoints(const registry::Service& build_service) {
  auto [it, inserted] = kube_proxy_endpoints_.try_emplace(&build_service);
  if (!inserted) return it->second;
  const registry::Registry& reg = later_registries_.empty() ? registry_ : later_registries_.back();
  const PodMap& pod_map = pod_maps_.back();
  const registry::Service* service =
      later_registries_.empty() ? &build_service : reg.find_service(build_service.hostname);
  if (service)
    for (std::uint32_t p : service->pods)
      if (reg.pods()[p].ready) it->second.push_back(pod_map[p]);
  return it->second;
}

// Istio's destination_service label: the cluster's service, else (passthrough) the host the
// app addressed, else the Service its DNS lookup answered; "unknown" when none.
std::string_view MeshImpl::destination_service(const Stream& s) {
  if (s.crt && s.crt->service != unknown_) return s.crt->service;
  if (s.dest_pod.valid() && pods_[s.dest_pod].outside) return pods_[s.dest_pod].service;
  if (!s.crt && s.target && s.target->service) return strings_.intern(s.target->service->hostname);
  return unknown_;
}

// The runtime state of one cluster in one proxy, built on first use.
ClusterRt& MeshImpl::ensure_cluster(ProxyRt& p, std::int32_t index) {
  if (ClusterRt* known = p.clusters.find(index)) return *known;
  {
    const xds::Cluster& cluster = p.config->clusters[index];
    // The load balancer's per-worker seeds, the first draws of a stream of its own (never
    // drawn from again, so only those draws are computed).
    std::vector<std::uint64_t> lb_seeds(std::max<std::uint32_t>(p.workers, 1));
    engine::RngStream::first_draws(seed_, {"proxy/", p.name, "/lb/", cluster.name}, lb_seeds);
    // What istiod sends this proxy for the cluster: LB settings, weights, priorities and
    // locality groups from the caller's locality (§7.4–7.6, §8).
    const registry::Pod* caller = p.registry->find_pod(pods_[p.pod].namespace_, p.name);
    proxy::LbSetup setup = proxy::lb_setup_for(
        cluster, *p.registry, caller, sends_unhealthy_endpoints_);
    auto rt = std::make_unique<ClusterRt>(
        setup.settings, p.workers, lb_seeds,
        proxy::resolve_thresholds(cluster.connection_pool, cluster.retry_budget, cluster.protocol),
        static_cast<std::uint32_t>(cluster.endpoints.size()), *this, &next_connection_serial_);
    rt->name = cluster.name;
    rt->service = cluster.service_hostname.empty() ? unknown_
                                                   : strings_.intern(cluster.service_hostname);
    for (std::uint32_t e = 0; e < cluster.endpoints.size(); ++e) {
      const auto& ep = cluster.endpoints[e];
      // A ServiceEntry endpoint (or DNS host) is a host outside the mesh answering as the
      // scenario's `externals` say (§12.1).
      rt->hosts.add(endpoint_pod(ep, *p.pod_map, cluster.service_hostname));
      rt->healthy_in_eds += ep.healthy;
    }
    rt->lb.set_hosts(std::move(setup.hosts), std::move(setup.locality_weights), sim_.now());
    rt->proxy = p.index;
    rt->set_cluster(cluster);
    if (cluster.outlier_detection) {
      rt->outlier = std::make_unique<proxy::OutlierDetector>(
          proxy::resolve_outlier_detection(*cluster.outlier_detection),
          static_cast<std::uint32_t>(cluster.endpoints.size()));
      rt->outlier->set_monitored_host_count(setup.hosts_in_eds);
      // One periodic timer per cluster, armed when the detector is created (§10.4).
      outlier_clusters_.push_back(rt.get());
      sim_.schedule_in(rt->outlier->interval(),
                       &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_outlier_tick>, this,
                       outlier_clusters_.size() - 1);
    }
    return p.clusters.insert(index, std::move(rt));
  }
}

void MeshImpl::on_fault_delay_done(std::uint64_t arg) {
  const StreamId slot{slot_of(arg)};
  if (streams_[slot].gen != gen_of(arg)) return;
  forward_stream(slot);
}

// A mirrored copy of the request to `cluster` (§3.5): its own stream through the shadow
// cluster's load balancer and pools, no retries, the route's timeout, response ignored;
// written as a span of kind `shadow`. Current Istio keeps the Host unchanged.
void MeshImpl::start_shadow(StreamId slot, std::int32_t cluster) {
  const Stream& main = streams_[slot];
  const StreamId shadow =
      open_stream(Owner::Shadow, 0, 0, main.src_pod, main.request_id, main.parent_span,
                  main.app_attempt, main.sampled, *main.target, main.headers);
  Stream& s = streams_[shadow];
  s.depth = main.depth;
  ProxyRt& p = proxies_[s.proxy];
  s.config_version = main.config_version;
  s.worker = main.worker;
  s.route = main.route;
  s.route_name = main.route_name;
  s.vs_rule = main.vs_rule;
  s.cluster = cluster;
  s.cluster_name = p.config->clusters[cluster].name;
  s.crt = &ensure_cluster(p, cluster);
  if (s.route && s.route->timeout > SimDuration{}) s.route_timer.arm_in(s.route->timeout, shadow.value());
  start_attempt(shadow);
}

void MeshImpl::forward_stream(StreamId slot) {
  Stream& s = streams_[slot];
  ProxyRt& p = proxies_[s.proxy];
  const xds::Route& route = *s.route;
  if (const std::optional<int> status = proxy::roll_fault_abort(route, p.fault_rng)) {
    // An abort never reaches the router: no attempt, no retry, no outlier input (§6).
    MESH_DLOG(FaultAbort, s.request_id, s.depth, LogField::i("code", *status));
    local_reply(slot, *status, s.flags | flag::kFaultInjected);
    return;
  }
  proxy::apply_header_ops(s.headers, route.request_headers);
  proxy::apply_header_ops(s.headers, route.clusters[s.weighted_pick].request_headers);
  apply_rewrites(s, route);
  for (const xds::MirrorPolicy& mirror : route.mirrors) {
    if (mirror.cluster != xds::kNoCluster && s.route_random % 1'000'000 < mirror.per_million)
      start_shadow(slot, mirror.cluster);
  }
  s.router.begin(route);
  // The route timeout starts when the router has the whole request, after any fault delay
  // (§4.1, §6).
  if (route.timeout > SimDuration{}) s.route_timer.arm_in(route.timeout, slot.value());
  start_attempt(slot);
}

// The route's path and authority rewrites (§3.4): from here on the stream carries the request
// as its upstream receives it (the app's endpoint matching reads it; retries and mirrors keep
// it). The request's own row keeps what the client sent.
void MeshImpl::apply_rewrites(Stream& s, const xds::Route& route) {
  const Target& sent = *s.target;
  const std::string_view authority = xds::rewritten_authority(route, s.weighted_pick, sent.authority);
  // Most routes rewrite nothing: no optional string is made for them, and an authority handed
  // back unchanged is the same view.
  if (!route.rewrites_path() && authority.data() == sent.authority.data()) return;
  std::optional<std::string> path = xds::rewritten_path(route, sent.path);
  if (!path && authority == sent.authority) return;
  const std::string_view new_path = path ? std::string_view(*path) : sent.path;
  auto it = rewritten_targets_.find(RewrittenKeyLess::View(&sent, new_path, authority));
  if (it == rewritten_targets_.end()) {
    it = rewritten_targets_.emplace(std::make_tuple(&sent, std::string(new_path), std::string(authority)), sent).first;
    it->second.path = std::get<1>(it->first);
    it->second.authority = std::get<2>(it->first);
  }
  s.target = &it->second;
}

void MeshImpl::start_attempt(StreamId slot) {
  Stream& s = streams_[slot];
  s.router.begin_attempt();
  s.location = {};  // each attempt's answer brings its own
  PodId dest;
  if (!s.proxy.valid()) {
    // kube-proxy: a uniformly random pod of the Service (or the outside host DNS gave).
    dest = original_destination(s, pods_[s.src_pod].net_rng);
    if (!dest.valid()) {
      finish_stream(slot, 503, flag::kNoHealthyUpstream);
      return;
    }
  } else {
    ProxyRt& p = proxies_[s.proxy];
    if (s.crt->retired) {
      // A retry after an EDS change: Envoy's cluster object stays, its host set is the new
      // one. Continue on the current runtime of the same cluster name (§3.3, §5.5).
      const std::int32_t index = p.config->find_cluster(s.crt->name);
      if (index != xds::kNoCluster) {
        s.cluster = index;
        s.crt = &ensure_cluster(p, index);
        s.router.forget_hosts();
      }
    }
    ClusterRt& c = *s.crt;
    if (c.original_dst) {
      // ORIGINAL_DST (PassthroughCluster, headless services, ServiceEntry resolution NONE): to
      // the address the app dialled — a Service's pods via kube-proxy, or the host outside the
      // mesh — each distinct destination a host of the cluster made on demand, with its own
      // connection pools (§12.1).
      dest = original_destination(s, p.lb_rng);
      if (dest.valid()) s.host = original_dst_host(c, dest);
    } else {
      proxy::LoadBalancer::Pick pick;
      pick.worker = s.worker;
      pick.now = sim_.now();
      pick.active_requests = c.hosts.active();
      if (c.hash) {
        xds::RequestAttributes request;
        request.authority = s.target->authority;
        request.path = s.target->path;
        request.method = s.target->method;
        request.headers = s.headers.items.data();
        request.header_count = s.headers.count;
        pick.hash = proxy::request_hash(*c.hash, request, pods_[s.src_pod].ip).hash;
      }
      if (s.router.avoid_previous_hosts()) {
        pick.avoid = s.router.hosts_tried();
        pick.max_selection_retries = s.router.policy()->host_selection_retry_max_attempts;
      }
      const std::int32_t host = c.lb.choose(pick, p.lb_rng);
      if (host != proxy::kNoHost) {
        MESH_DLOG(LbPick, s.request_id, s.depth, LogField::t("pod", pods_[c.hosts.pod(host)].name),
                  LogField::i("host", host + 1), LogField::i("hosts", static_cast<std::int64_t>(c.hosts.size())));
        s.host = host;
        s.router.remember_host(host);
        dest = c.hosts.pod(static_cast<std::uint32_t>(host));
      }
    }
    if (!dest.valid()) {
      MESH_DLOG(LbNoHost, s.request_id, s.depth, LogField::t("cluster", s.cluster_name));
      local_reply(slot, 503, flag::kNoHealthyUpstream);  // §3.2, §8.5
      return;
    }
  }
  s.dest_pod = dest;
  MESH_DLOG(AttemptStart, s.request_id, s.depth, LogField::i("attempt", s.router.attempt()),
            LogField::t("pod", pods_[s.dest_pod].name), LogField::t("cluster", s.cluster_name));
  s.attempt_start = sim_.now();
  s.span_id = next_span_id_++;
  s.attempt_in_flight = true;
  s.attempt_reached = false;
  s.pool = proxy::HostPoolId::none();
  s.conn = proxy::ConnectionId::none();
  s.pending = false;
  if (s.proxy.valid() && s.host != proxy::kNoHost) {
    acquire_upstream(slot);
  } else {
    send_to_server(slot);
  }
}

void MeshImpl::on_backoff_done(std::uint64_t slot) { start_attempt(StreamId{StreamId{static_cast<std::uint32_t>(slot)}}); }

// Ends the attempt in flight (if any) at the caller: frees its pool slot and detaches the
// server-side request, whose eventual response is then dropped.
void MeshImpl::end_attempt(StreamId slot, int code, std::uint32_t flags, bool reset_upstream) {
  Stream& s = streams_[slot];
  if (!s.attempt_in_flight) return;
  s.attempt_in_flight = false;
  s.per_try_timer.cancel();
  release_upstream(slot, reset_upstream);
  if (s.server_req.valid() && server_reqs_[s.server_req].gen == s.server_gen) {
    ServerReq& r = server_reqs_[s.server_req];
    r.stream = StreamId::none();
    // A hung app learns that its caller went away when Envoy resets the inbound stream.
    if (r.hung) free_server_req(s.server_req);
  }
  s.server_req = ServerReqId::none();
  emit_span(s, s.owner == Owner::Shadow ? SpanKind::Shadow : SpanKind::Attempt, s.attempt_start,
            code, flags);
  MESH_DLOG(AttemptEnd, s.request_id, s.depth, LogField::i("attempt", s.router.attempt()), LogField::i("code", code),
            LogField::f("flags", flags), LogField::d("duration", sim_.now() - s.attempt_start));
  s.upstream_flags = 0;
}

void MeshImpl::on_route_timeout(std::uint64_t slot) {
  Stream& s = streams_[StreamId{static_cast<std::uint32_t>(slot)}];
  s.backoff_timer.cancel();
  MESH_DLOG(RouteTimeout, s.request_id, s.depth, LogField::d("timeout", s.route ? s.route->timeout : SimDuration{}));
  s.flags |= flag::kUpstreamRequestTimeout;
  if (s.attempt_in_flight && s.conn.valid()) report_outlier(s, 504, true, true);  // §4.1
  end_attempt(StreamId{static_cast<std::uint32_t>(slot)}, 504, s.flags, true);
  finish_stream(StreamId{static_cast<std::uint32_t>(slot)}, 504, s.flags);  // §4.1
}

void MeshImpl::on_per_try_timeout(std::uint64_t slot) {
  const Stream& s = streams_[StreamId{static_cast<std::uint32_t>(slot)}];
  MESH_DLOG(PerTryTimeout, s.request_id, s.depth, LogField::d("timeout", s.router.per_try_timeout(s.route)),
            LogField::i("attempt", s.router.attempt()));
  proxy::AttemptResult result;
  result.outcome.kind = proxy::AttemptOutcome::Kind::PerTryTimeout;
  result.code = 504;
  result.flags = flag::kUpstreamRequestTimeout;
  decide_after_attempt(StreamId{static_cast<std::uint32_t>(slot)}, result);  // §4.2
}

void MeshImpl::local_reply(StreamId slot, int code, std::uint32_t flags) {
  Stream& s = streams_[slot];
  s.flags |= flags;
  MESH_DLOG(LocalReply, s.request_id, s.depth, LogField::t("proxy", !s.proxy.valid() ? dash_ : proxies_[s.proxy].name),
            LogField::i("code", code), LogField::f("flags", s.flags));
  s.local = true;
  emit_span(s, SpanKind::LocalReply, sim_.now(), code, s.flags);
  finish_stream(slot, code, s.flags);
}

// What the caller's router saw of the server side (proxy::classify_attempt), then its decision.
void MeshImpl::on_attempt_result(StreamId slot, const ServerReq& r) {
  Stream& s = streams_[slot];
  s.degraded = r.degraded;
  s.upstream_flags = r.upstream_flags;
  s.location = r.location;
  decide_after_attempt(slot, proxy::classify_attempt(r.reply, r.response_code, r.grpc_status,
                                                     s.crt->limits().http2,
                                                     s.target->transport == Target::Transport::Tcp));
}

// After an attempt (§5.2): the outlier detector hears of it, the router decides (retry after a
// backoff, or finish with this result: URX when retries ran out, UO when the retry breaker
// refused).
void MeshImpl::decide_after_attempt(StreamId slot, const proxy::AttemptResult& result) {
  Stream& s = streams_[slot];
  release_retry(s);  // an active retry is held until the retried attempt is decided
  if (const proxy::OutlierInput in = proxy::outlier_input(result.outcome); in.report)
    report_outlier(s, in.status, in.local_origin, in.timeout);
  ClusterRt* c = s.crt;
  const proxy::Router::Verdict verdict = s.router.decide_after_attempt(
      result, s.flags, c ? &c->counters() : nullptr, c ? &c->limits() : nullptr);
  // A reset or timeout closes an HTTP/1.1 connection; a response leaves it reusable.
  end_attempt(slot, result.code, verdict.flags,
              result.outcome.kind != proxy::AttemptOutcome::Kind::Response);
  using Decision = proxy::RetryState::Decision;
  if (verdict.decision == Decision::Retry) {
    if (c) s.router.hold_retry(c->counters());
    ProxyRt& p = proxies_[s.proxy];
    const SimDuration backoff = s.router.next_backoff(p.route_rng);
    MESH_DLOG(RetryScheduled, s.request_id, s.depth, retry_reason(result.outcome, strings_),
              LogField::d("backoff", backoff), LogField::i("next", s.router.attempt() + 1));
    // The retry decision and re-dispatch take a worker too (§19.2).
    s.backoff_timer.arm_in(backoff + proxy_work(p, p.cpu_costs.retry), slot.value());
    return;
  }
  MESH_DLOG_IF(verdict.decision == Decision::LimitExceeded, RetryExhausted, s.request_id, s.depth,
               retry_reason(result.outcome, strings_));
  MESH_DLOG_IF(verdict.decision == Decision::Overflow, RetryOverflow, s.request_id, s.depth);
  MESH_DLOG_IF(verdict.decision == Decision::NoRetry && (!is_success(result.code) || result.flags != 0), RetryNo,
               s.request_id, s.depth, retry_reason(result.outcome, strings_));
  s.flags = verdict.flags;
  finish_stream(slot, result.code, verdict.flags);
}

void MeshImpl::finish_stream(StreamId slot, int code, std::uint32_t flags) {
  Stream& s = streams_[slot];
  release_retry(s);
  s.route_timer.cancel();
  s.per_try_timer.cancel();
  s.backoff_timer.cancel();
  MESH_DLOG(StreamDone, s.request_id, s.depth, LogField::t("proxy", !s.proxy.valid() ? dash_ : proxies_[s.proxy].name),
            LogField::i("code", code), LogField::f("flags", flags), LogField::d("duration", sim_.now() - s.start),
            LogField::i("attempts", s.router.attempt()));
  emit_hop(s, code, flags);
  // The response passes back through the caller's sidecar to the app: a worker processes it
  // (or makes the local reply), then records its telemetry off the response's path (§19.1).
  SimDuration delay{};
  if (s.proxy.valid()) {
    ProxyRt& p = proxies_[s.proxy];
    delay = overhead(p);
    if (s.owner != Owner::GatewayForward && s.owner != Owner::Shadow)
      delay += proxy_work(p, s.local ? p.cpu_costs.local_reply : p.cpu_costs.response,
                          p.cpu_costs.after_response);
  }
  s.flags = flags;
  s.final_code = code;
  if (delay == SimDuration{}) {
    on_stream_result(pack(slot, s.gen));
  } else {
    sim_.schedule_in(delay, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_stream_result>,
                     this, pack(slot, s.gen));
  }
}

// One record per stream at a caller-side proxy: Istio's source-reporter request (§3.3).
void MeshImpl::emit_hop(const Stream& s, int code, std::uint32_t flags) {
  if (!s.proxy.valid() || s.owner == Owner::Shadow) return;
  if (!interest_.hops && analysis_keep_ <= SimDuration{}) return;
  const RecordLabels& labels = record_labels(s);
  telemetry::HopRecord hop;
  hop.start = s.start;
  hop.duration = sim_.now() - s.start;
  hop.source_workload = pods_[s.src_pod].workload;
  hop.destination_service = labels.service;
  if (s.dest_pod.valid()) {
    hop.destination_workload = pods_[s.dest_pod].workload;
    hop.destination_version = pods_[s.dest_pod].version;
    hop.destination_pod = pods_[s.dest_pod].name;
  } else {
    hop.destination_workload = hop.destination_version = hop.destination_pod = unknown_;
  }
  hop.response_code = code;
  hop.response_flags = flags;
  if (interest_.peers) hop.peers = labels.peers;
  hop.label_key = labels.key;
  if (interest_.hops) sink_->on_hop(hop);
  if (analysis_keep_ > SimDuration{}) {
    analysis_log_.push_back({sim_.now(), hop.duration, hop.source_workload,
                             hop.destination_service, hop.destination_version, is_success(code),
                             telemetry::is_non5xx(code)});
    while (!analysis_log_.empty() && analysis_log_.front().end < sim_.now() - analysis_keep_)
      analysis_log_.pop_front();
  }
}

// Istio's default auto-mTLS: a caller-side proxy sends mTLS when the endpoint it picked has an
// Istio proxy (a sidecar or a gateway); hosts outside the mesh and pods without a sidecar get
// plain text. Principals are only known over mTLS (they come from the certificates), as in
// Istio's telemetry; otherwise they read `unknown`.
const RecordLabels& MeshImpl::record_labels(const Stream& s) {
  RecordLabels& l = labels_;
  if (l.stream == &s && l.gen == s.gen && l.dest == s.dest_pod && l.crt == s.crt && l.target == s.target)
    return l;
  l.stream = &s;
  l.gen = s.gen;
  l.dest = s.dest_pod;
  l.crt = s.crt;
  l.target = s.target;
  l.service = destination_service(s);
  telemetry::PeerLabels& p = l.peers;
  const PodRt& src = pods_[s.src_pod];
  p.source_namespace = src.namespace_;
  p.source_app = src.app_label;
  p.source_version = src.version;
  const PodRt* dst = s.dest_pod.valid() ? &pods_[s.dest_pod] : nullptr;
  p.destination_namespace = dst ? dst->namespace_ : unknown_;
  p.destination_app = dst ? dst->app_label : unknown_;
  p.secure = dst && !dst->outside && dst->proxy.valid() && s.proxy.valid();
  p.source_principal = p.secure ? src.principal : unknown_;
  p.destination_principal = p.secure ? dst->principal : unknown_;
  std::uint64_t protocol = 0;
  p.request_protocol = http_;
  if (s.target && s.target->is_connection()) {
    p.request_protocol = tcp_;
    protocol = 2;
  } else if (s.target && s.target->grpc_port()) {
    p.request_protocol = grpc_;
    protocol = 1;
  }
  // Every label is a view of a field of the source pod, of the destination pod (or `unknown`),
  // of the service view or of the protocol; `secure` follows from the pods and the proxy,
  // which every record has. Pods never move or change these fields (pods_ only grows), so the
  // two pods, the service view and the protocol stand for the labels (telemetry::LabelKey).
  l.key = {};
  if (s.proxy.valid() && l.service.size() < (std::size_t{1} << 14)) {
    l.key.hi = ((static_cast<std::uint64_t>(s.src_pod.value()) + 1) << 32) | s.dest_pod.value();
    l.key.lo = reinterpret_cast<std::uintptr_t>(l.service.data()) ^ (static_cast<std::uint64_t>(l.service.size()) << 48) ^
               (protocol << 62);
    l.key.memo = s.target ? &s.target->series_memo : nullptr;
  }
  return l;
}

void MeshImpl::on_stream_result(std::uint64_t arg) {
  const StreamId slot{slot_of(arg)};
  Stream& s = streams_[slot];
  if (s.gen != gen_of(arg)) return;
  const int code = s.final_code;
  if (s.owner == Owner::Shadow) {
    // Fire and forget: the response of a mirrored request is dropped (§3.5).
  } else if (s.owner == Owner::GatewayForward) {
    gateway_forward_done(ServerReqId{s.owner_slot}, s.owner_gen, code, s.flags, s.location);
  } else if (s.owner == Owner::Client) {
    const ClientReqId client{s.owner_slot};
    if (client_reqs_[client].gen == s.owner_gen) finish_client(client, code, s.flags, s.degraded);
  } else {
    const AppCallId call{s.owner_slot};
    AppCall& c = app_calls_[call];
    if (c.gen == s.owner_gen) {
      c.stream = StreamId::none();
      app_call_done(call, code, s.flags, s.degraded);
    }
  }
  streams_.release(slot);
  maybe_stop();
}

void MeshImpl::reset_stream_from_downstream(StreamId slot) {
  Stream& s = streams_[slot];
  // Envoy logs the attempt the app abandoned with code 0 and DC (docs/design.md §3.2); the server
  // keeps working and its response is dropped on arrival.
  s.flags |= flag::kDownstreamConnectionTermination;
  release_retry(s);
  end_attempt(slot, 0, s.flags, true);
  s.route_timer.cancel();
  s.per_try_timer.cancel();
  s.backoff_timer.cancel();
  emit_hop(s, 0, s.flags);
  streams_.release(slot);
  maybe_stop();
}

}  // namespace meshtwin::scenario
