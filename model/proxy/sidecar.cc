#include "model/proxy/sidecar.h"

#include <algorithm>
#include <cstring>

#include "model/proxy/circuit_breaker.h"
#include "model/telemetry/response_flags.h"

namespace meshtwin::proxy {

namespace flag = telemetry;

std::int32_t VirtualHostCache::find(const xds::RouteConfiguration& rc, std::string_view authority,
                                    VirtualHostHint* hint) {
  if (hint && hint->rc == &rc && hint->epoch == epoch_) return hint->vh;
  const std::int32_t vh = find_shared(rc, authority);
  if (hint) *hint = {&rc, epoch_, vh};
  return vh;
}

std::int32_t VirtualHostCache::find_shared(const xds::RouteConfiguration& rc, std::string_view authority) {
  const auto a = reinterpret_cast<std::uintptr_t>(&rc), b = reinterpret_cast<std::uintptr_t>(authority.data());
  const std::uint64_t h = ((a * 0x9E3779B97F4A7C15ull) ^ (b + authority.size())) * 0xff51afd7ed558ccdull;
  Entry& e = entries_[(h >> 40) & (kEntries - 1)];
  // Sizes first, then memcmp: `e.text == authority` goes through string_view::compare, which
  // the LTO build keeps out of line.
  if (e.rc == &rc && e.text.size() == authority.size() &&
      (authority.empty() || std::memcmp(e.text.data(), authority.data(), authority.size()) == 0))
    return e.vh;
  e.rc = &rc;
  e.text.assign(authority);
  e.vh = rc.find_virtual_host(authority);
  return e.vh;
}

namespace {

RouteDecision local_reply(RouteDecision d, int status, std::uint32_t flags) {
  d.kind = RouteDecision::Kind::LocalReply;
  d.status = status;
  d.flags = flags;
  return d;
}

// The HTTP connection manager's part (§2–§3): virtual host, first matching route, weighted
// cluster.
RouteDecision route_http(const xds::RouteConfiguration& rc, const Downstream& ds,
                         engine::RngStream& route_rng) {
  RouteDecision d;
  const std::int32_t vh =
      ds.vhosts ? ds.vhosts->find(rc, ds.authority, ds.vhost_hint) : rc.find_virtual_host(ds.authority);
  if (vh < 0) return local_reply(d, 404, flag::kNoRouteFound);  // §2.5
  // require_tls ALL (a gateway server's tls.httpsRedirect, §11): a request that did not arrive
  // over TLS is redirected before any route is looked at; no response flag.
  if (rc.virtual_hosts[vh].require_tls && ds.transport != Downstream::Transport::Tls) {
    d.tls_redirect = true;
    return local_reply(d, 301, 0);
  }
  xds::RequestAttributes request;
  request.authority = ds.authority;
  request.path = ds.path;
  request.method = ds.method;
  // A TLS stream reaches here only through a filter chain that terminated it (a gateway's
  // SIMPLE/MUTUAL server): its :scheme is https; plain HTTP stays http.
  request.scheme = ds.transport == Downstream::Transport::Tls ? "https" : "http";
  request.headers = ds.headers->items.data();
  request.header_count = ds.headers->count;
  const xds::Route* route = xds::match_route(rc.virtual_hosts[vh], request);
  // A VS owns the host, nothing matched (§2.5).
  if (!route) return local_reply(d, 404, flag::kNoRouteFound);
  d.route = route;
  d.has_vs_rule = true;
  d.vs_rule = route->vs_rule;
  // Redirect / direct response: no flag (§14).
  if (route->action != xds::Route::Action::Forward) return local_reply(d, route->local_status, 0);
  // One random value per stream drives the weighted pick and the mirror decisions (§3.5).
  d.random = route_rng.next_u64();
  const std::size_t pick = route->clusters.size() > 1 ? xds::pick_weighted_cluster(*route, d.random) : 0;
  const xds::WeightedCluster& wc = route->clusters[pick];
  d.picked = true;
  d.weighted_pick = static_cast<std::uint32_t>(pick);
  d.cluster = wc.cluster;
  d.cluster_name = wc.name;
  // §3.2: 503, or 500 on routes generated from the Gateway API (an invalid backend, §11.1).
  if (d.cluster == xds::kNoCluster) return local_reply(d, route->cluster_not_found_status, flag::kNoClusterFound);
  d.kind = RouteDecision::Kind::Http;
  return d;
}

// A tcp_proxy picks a weighted cluster once per connection (§12.2, §13).
RouteDecision route_tcp(const xds::TcpProxy& tcp, engine::RngStream& route_rng) {
  RouteDecision d;
  if (tcp.clusters.empty()) return local_reply(d, 503, flag::kNoClusterFound);
  d.random = route_rng.next_u64();
  const std::size_t pick = tcp.clusters.size() > 1 ? xds::pick_weighted_cluster(tcp, d.random) : 0;
  d.has_vs_rule = true;
  d.vs_rule = tcp.vs_rule;
  d.picked = true;
  d.weighted_pick = static_cast<std::uint32_t>(pick);
  d.cluster = tcp.clusters[pick].cluster;
  d.cluster_name = tcp.clusters[pick].name;
  if (d.cluster == xds::kNoCluster) return local_reply(d, 503, flag::kNoClusterFound);
  // BlackHoleCluster has no hosts: the pick fails later and the connection closes, UH (§12.2).
  d.kind = RouteDecision::Kind::Tcp;
  return d;
}

// A connection through the proxy's listeners (§12.2, §13): the listener for the dialled
// address and port, its filter chain by destination, SNI and transport, then either the
// chain's HTTP connection manager (plain HTTP, or TLS the chain terminates) or its tcp_proxy.
RouteDecision route_connection(const xds::ProxyConfig& config, const Downstream& ds,
                               engine::RngStream& route_rng) {
  const xds::Listener* listener = config.find_listener(ds.address, ds.port);
  // Nothing listens there: no route (§14 NR).
  if (!listener) return local_reply({}, 404, flag::kNoRouteFound);
  xds::ConnectionAttributes connection;
  connection.address = ds.address;
  connection.port = ds.port;
  connection.transport = ds.transport == Downstream::Transport::Tls
                             ? xds::ConnectionAttributes::Transport::Tls
                             : xds::ConnectionAttributes::Transport::Plaintext;
  connection.sni = ds.sni;
  connection.protocol = ds.transport == Downstream::Transport::Http
                            ? xds::ConnectionAttributes::Protocol::Http1
                            : xds::ConnectionAttributes::Protocol::Other;
  const xds::FilterChainSelection selection = xds::select_filter_chain(*listener, connection);
  if (!selection.chain) return local_reply({}, 404, flag::kNoRouteFound);  // §14 NR
  const xds::FilterChain& chain = *selection.chain;
  if (chain.kind != xds::FilterChain::Kind::Http) return route_tcp(chain.tcp, route_rng);
  const bool http_inside = ds.transport == Downstream::Transport::Http ||
                           (ds.transport == Downstream::Transport::Tls && chain.terminates_tls);
  const xds::RouteConfiguration* rc =
      chain.route_config >= 0 ? &config.route_configs[static_cast<std::size_t>(chain.route_config)]
                              : nullptr;
  // Bytes that are not HTTP reach an HTTP connection manager: it answers 400 (§14 DPE).
  if (!http_inside || !rc) return local_reply({}, 400, flag::kDownstreamProtocolError);
  return route_http(*rc, ds, route_rng);
}

}  // namespace

RouteDecision route_outbound(const xds::ProxyConfig& config, const Downstream& downstream,
                             engine::RngStream& route_rng) {
  const bool connection = downstream.transport != Downstream::Transport::Http;
  const xds::RouteConfiguration* rc = connection ? nullptr : config.route_config_for_port(downstream.port);
  // A connection (tcp://, the app's own TLS), or HTTP to a port no HTTP listener of this
  // proxy serves: Envoy's listener and filter chain decide (§12.2, §13).
  if (!rc) return route_connection(config, downstream, route_rng);
  return route_http(*rc, downstream, route_rng);
}

bool roll_fault_delay(const xds::Route& route, engine::RngStream& fault_rng) {
  return route.fault && route.fault->delay && route.fault->delay->per_million > 0 &&
         fault_rng.uniform_int(1'000'000) < route.fault->delay->per_million;
}

std::optional<int> roll_fault_abort(const xds::Route& route, engine::RngStream& fault_rng) {
  if (!(route.fault && route.fault->abort && route.fault->abort->per_million > 0 &&
        fault_rng.uniform_int(1'000'000) < route.fault->abort->per_million))
    return std::nullopt;
  return route.fault->abort->grpc_status >= 0 ? 200 : route.fault->abort->http_status;
}

void apply_header_ops_to(HeaderSet& headers, const xds::HeaderOps& ops) {
  for (const std::string& name : ops.remove) {
    HeaderSet kept;
    for (std::uint8_t i = 0; i < headers.count; ++i)
      if (headers.items[i].name != name) kept.add(headers.items[i].name, headers.items[i].value);
    headers = kept;
  }
  for (const auto& [name, value] : ops.set) {
    bool replaced = false;
    for (std::uint8_t i = 0; i < headers.count; ++i) {
      if (headers.items[i].name == name) {
        headers.items[i].value = value;
        replaced = true;
      }
    }
    if (!replaced) headers.add(name, value);
  }
  for (const auto& [name, value] : ops.add) headers.add(name, value);
}

void InboundGate::resolve(const xds::ProxyConfig& own, const xds::Cluster* via) {
  resolved_ = true;
  if (!via || via->service_hostname.empty()) return;
  const std::int32_t index =
      own.find_cluster(xds::outbound_cluster_name(via->port, "", via->service_hostname));
  if (index == xds::kNoCluster) return;
  const xds::Cluster& cluster = own.clusters[index];
  const auto limits = resolve_thresholds(cluster.connection_pool, std::nullopt, cluster.protocol);
  max_active_ = limits.http2 ? limits.max_requests : std::min(limits.max_requests, limits.max_connections);
  max_pending_ = limits.max_pending_requests;
  limited_ = max_active_ < kIstioUnlimited || max_pending_ < kIstioUnlimited;
}

InboundGate::Admit InboundGate::admit(std::uint32_t request) {
  if (!limited_) return Admit::Pass;
  if (active_ >= max_active_) {
    if (!waiting_) waiting_ = std::make_unique<std::deque<std::uint32_t>>();
    if (waiting_->size() >= max_pending_) return Admit::Overflow;
    waiting_->push_back(request);
    return Admit::Wait;
  }
  ++active_;
  return Admit::Enter;
}

std::uint32_t InboundGate::next_waiting() {
  if (!waiting_ || waiting_->empty()) return kNone;
  const std::uint32_t next = waiting_->front();
  waiting_->pop_front();
  return next;
}

}  // namespace meshtwin::proxy
