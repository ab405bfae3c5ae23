// The gateway compile (istiod's mergeGateways, buildGatewayListeners and
// buildGatewayHTTPRouteConfig, docs/semantics.md §11): which Gateways select the proxy, their servers
// merged per (translated) port, one listener per port with HTTP or TLS/TCP filter chains, and one
// route table per HTTP server group with the bound VirtualServices merged per host.
#include <algorithm>
#include <map>
#include <set>

#include "model/text/i18n.h"
#include "model/xds/proxy_compiler.h"
#include "model/xds/translate.h"

namespace meshtwin::xds {

namespace detail {

namespace {

// Istio protocol.Parse(...).IsHTTP() for a server port protocol.
bool http_protocol(std::string_view p) {
  std::string u(p);
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u == "HTTP" || u == "HTTP2" || u == "GRPC" || u == "GRPC-WEB" || u == "HTTP_PROXY";
}

std::string upper(std::string_view p) {
  std::string u(p);
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

// A gateway server's chain that a VirtualService's tcp or tls rule fills.
ChainOrigin via_rule(const ChainOrigin& server, std::string rule) {
  return {N_("Gateway {subject} via VirtualService {via}"), server.subject, std::move(rule)};
}

bool passthrough_server(const config::Server& s) {
  return s.tls && (s.tls->mode == "PASSTHROUGH" || s.tls->mode == "AUTO_PASSTHROUGH");
}
// IsTLSServer: non-HTTP with TLS settings (terminated or passed through).
bool tls_server(const config::Server& s) { return s.tls && !http_protocol(s.port.protocol); }
// IsHTTPServer: HTTP, or HTTPS whose TLS the gateway terminates.
bool http_server(const config::Server& s) {
  return http_protocol(s.port.protocol) || (upper(s.port.protocol) == "HTTPS" && s.tls && !passthrough_server(s));
}
bool https_terminating(const config::Server& s) {
  return upper(s.port.protocol) == "HTTPS" && s.tls && !passthrough_server(s);
}
// canMergeProtocols
bool can_merge(std::string_view current, std::string_view incoming) {
  return (http_protocol(current) || upper(current) == upper(incoming)) && http_protocol(incoming);
}

// sanitizeServerHostNamespace: "./h" -> "<ns>/h", "*/h" -> "h", "*/*" -> "*".
std::vector<std::string> sanitize_hosts(const std::vector<std::string>& hosts, std::string_view ns) {
  std::vector<std::string> out;
  for (const auto& h : hosts) {
    const auto slash = h.find('/');
    if (slash == std::string::npos) {
      out.push_back(to_lower(h));
      continue;
    }
    const std::string part_ns = h.substr(0, slash), name = to_lower(h.substr(slash + 1));
    if (part_ns == ".") out.push_back(std::string(ns) + "/" + name);
    else if (part_ns == "*") {
      if (name == "*") return {"*"};
      out.push_back(name);
    } else {
      out.push_back(part_ns + "/" + name);
    }
  }
  return out;
}

// GetSNIHostsForServer: the server's hosts without namespaces, sorted and unique.
std::vector<std::string> sni_hosts(const std::vector<std::string>& hosts) {
  std::set<std::string> out;
  for (const auto& h : hosts) out.insert(h.find('/') == std::string::npos ? h : h.substr(h.find('/') + 1));
  return {out.begin(), out.end()};
}

// host.NamesForNamespace: the server hosts that a VirtualService of `ns` may use.
std::vector<std::string> hosts_for_namespace(const std::vector<std::string>& hosts, std::string_view ns) {
  std::vector<std::string> out;
  for (const auto& h : hosts) {
    const auto slash = h.find('/');
    if (slash == std::string::npos) {
      out.push_back(h);
    } else {
      const std::string part_ns = h.substr(0, slash);
      if (part_ns == "*" || part_ns == ns) out.push_back(h.substr(slash + 1));
    }
  }
  return out;
}

// host.Names.Intersection: for every pair that matches, the more specific of the two.
std::vector<std::string> intersect_hosts(const std::vector<std::string>& server, const std::vector<std::string>& vs) {
  std::vector<std::string> out;
  auto add = [&](const std::string& h) {
    if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
  };
  for (const auto& a : server) {
    for (const auto& b : vs) {
      if (!hosts_match(a, b)) continue;
      // The more specific: a non-wildcard, else the longer wildcard.
      if (!is_wildcard_host(a)) add(a);
      else if (!is_wildcard_host(b)) add(b);
      else add(more_specific(a, b) ? a : b);
    }
  }
  return out;
}

// pickMatchingGatewayHosts: VirtualService hosts a server's hosts (namespace-qualified) admit.
bool gateway_hosts_match(const std::vector<std::string>& server_hosts, const VsInfo& v) {
  for (const auto& vh : v.hosts) {
    for (const auto& gh : server_hosts) {
      std::string name = gh;
      if (const auto slash = gh.find('/'); slash != std::string::npos) {
        const std::string ns = gh.substr(0, slash);
        if (ns != "*" && ns != v.vs->meta.namespace_) continue;
        name = gh.substr(slash + 1);
      }
      if (hosts_match(name, vh)) return true;
    }
  }
  return false;
}

template <class M>
bool l4_gateway_match(const M& m, std::uint32_t server_port, const std::string& gateway, std::string_view vs_ns) {
  if (m.port != 0 && m.port != server_port) return false;
  if (m.gateways.empty()) return true;
  for (const auto& g : m.gateways)
    if (ProxyCompiler::normalize_gateway(g, vs_ns) == gateway) return true;
  return false;
}

// A comma-separated annotation value, empty items kept (as Istio's strings.Split does).
std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace

struct ProxyCompiler::GatewayServer {
  const config::Gateway* gateway = nullptr;
  const config::Server* server = nullptr;
  std::size_t server_index = 0;
  std::string gateway_name;  // "ns/name"
  std::vector<std::string> hosts;  // sanitized
  std::uint32_t listener_port = 0;
  std::string route_name;  // RDS name for HTTP servers ("" otherwise)
};

void ProxyCompiler::select_gateways() {
  // The Services this proxy is an endpoint of: by label selector (a Service or a ServiceEntry's
  // workloadSelector picking a pod with these labels) or by address.
  for (const auto& s : reg_.services()) {
    bool target = false;
    // The selector: a Kubernetes Service's, a ServiceEntry's workloadSelector, or for the gateway
    // Services the registry generates, their labels (which are their selector).
    const config::Labels* selector = nullptr;
    if (s.k8s && s.k8s->has_selector) selector = &s.k8s->selector;
    else if (s.origin == registry::Service::Origin::Generated) selector = &s.labels;
    else if (s.service_entry && s.service_entry->workload_selector) selector = &*s.service_entry->workload_selector;
    if (selector && !selector->empty() && labels_subset(*selector, proxy_.labels)) target = true;
    for (const auto& ip : proxy_.ip_addresses) {
      for (std::uint32_t e : s.external_endpoints)
        if (reg_.external_endpoints()[e].address == ip) target = true;
      for (std::uint32_t p : s.pods)
        if (reg_.pods()[p].ip == ip) target = true;
    }
    if (target) service_targets_.push_back(&s);
  }
  gateway_set_.clear();
  for (const auto& gw : store_.gateways()) {
    bool selected = false;
    if (auto it = gw.meta.annotations.find(std::string(kGatewayServiceAnnotation)); it != gw.meta.annotations.end()) {
      // Gateway API: the Gateway names its Services; the proxy must be one of their endpoints.
      for (const std::string& h : split_list(it->second)) {
        // gatewayWithInstances: only Services of the Gateway's own namespace count; a Gateway
        // never reaches across a namespace boundary to its Service.
        for (const registry::Service* t : service_targets_)
          if (t->hostname == h && t->namespace_ == gw.meta.namespace_) selected = true;
      }
      // A Gateway with an explicit selector still selects by it (the auto-deployed workload).
      if (!selected && !gw.selector.empty() && labels_subset(gw.selector, proxy_.labels)) selected = true;
    } else {
      // Legacy selection by labels; an empty selector selects every gateway workload (§11).
      selected = labels_subset(gw.selector, proxy_.labels);
    }
    if (!selected) continue;
    gateways_.push_back(&gw);
    gateway_set_.push_back(gw.meta.namespace_ + "/" + gw.meta.name);
  }
}

std::shared_ptr<const ProxyConfig> ProxyCompiler::compile_gateway() {
  gateway_mode_ = true;
  select_gateways();
  select_sidecar();
  select_services();
  select_virtual_services();
  index_wildcard_virtual_services();
  auto cfg = std::make_shared<ProxyConfig>();
  cfg->is_gateway = true;
  build_clusters(*cfg);
  build_gateway(*cfg);
  cfg->finalize();
  return cfg;
}

// Istio mergeGateways: the servers of the selected Gateways grouped by (port, protocol, bind),
// with the route table each HTTP server uses, in first-seen order.
struct ProxyCompiler::MergedGateways {
  struct ServerPort {
    std::uint32_t number = 0;
    std::string protocol;
    std::string bind;
    bool operator<(const ServerPort& o) const {
      return std::tie(number, protocol, bind) < std::tie(o.number, o.protocol, o.bind);
    }
  };
  std::deque<GatewayServer> all;  // stable addresses; refused servers too
  std::vector<ServerPort> server_ports;
  std::map<ServerPort, std::vector<const GatewayServer*>> merged;
  std::map<ServerPort, std::string> merged_route_name;
  std::map<std::uint32_t, ServerPort> plaintext;
  std::set<std::uint32_t> ports_in_use;
  std::map<std::uint32_t, std::set<std::string>> non_plaintext_binds;
  std::map<std::string, std::vector<const GatewayServer*>> by_route_name;
  std::vector<std::string> route_name_order;
  std::map<std::uint32_t, std::map<std::string, std::string>> tls_hosts_by_port;  // port -> host -> bind
};

void ProxyCompiler::build_gateway(ProxyConfig& cfg) {
  MergedGateways m;
  merge_gateway_servers(m);

  std::map<std::string, std::size_t> listener_index;
  for (const MergedGateways::ServerPort& sp : m.server_ports) {
    const auto& servers = m.merged[sp];
    const std::string bind = sp.bind.empty() ? "0.0.0.0" : sp.bind;
    std::vector<FilterChain> chains;
    if (http_protocol(sp.protocol)) {
      FilterChain fc;
      fc.kind = FilterChain::Kind::Http;
      fc.route_config_name = m.merged_route_name[sp];
      fc.origin = {N_("Gateway {subject}"), servers.front()->gateway_name + " servers[" +
                                               std::to_string(servers.front()->server_index) + "] (" +
                                               sp.protocol + ")"};
      chains.push_back(std::move(fc));
    } else {
      std::map<std::string, std::string> sni_seen;  // passthrough SNI hosts already given a chain
      for (const GatewayServer* gs : servers) add_gateway_server_chains(*gs, sni_seen, chains);
    }
    if (chains.empty()) continue;  // istiod omits a listener without filter chains
    const std::string name = bind + "_" + std::to_string(sp.number);
    Listener* l = nullptr;
    if (auto it = listener_index.find(name); it != listener_index.end()) {
      l = &cfg.listeners[it->second];
    } else {
      listener_index[name] = cfg.listeners.size();
      l = &cfg.listeners.emplace_back();
      l->name = name;
      l->address = bind;
      l->port = sp.number;
    }
    for (auto& c : chains) {
      if (!c.match.server_names.empty()) l->tls_inspector = true;
      l->filter_chains.push_back(std::move(c));
    }
  }

  for (const auto& name : m.route_name_order) {
    if (name.empty()) continue;
    cfg.route_configs.push_back(build_gateway_route_config(name, m.by_route_name[name]));
  }
}

// resolvePorts: a server port names a Service port of this proxy; it listens on the target port.
// Label-selected (legacy) Gateways take the first match, else the port itself.
std::vector<std::uint32_t> ProxyCompiler::resolve_gateway_ports(const config::Gateway& gw, const config::Server& s,
                                                                bool legacy,
                                                                const std::vector<std::string>& allowed_services) const {
  std::vector<std::uint32_t> ports;
  for (const registry::Service* svc : service_targets_) {
    if (!legacy && (svc->namespace_ != gw.meta.namespace_ ||
                    std::find(allowed_services.begin(), allowed_services.end(), svc->hostname) ==
                        allowed_services.end()))
      continue;
    if (legacy && svc->labels.count("experimental.istio.io/disable-gateway-port-translation")) continue;
    for (const auto& sp : svc->ports) {
      if (sp.port != s.port.number) continue;
      std::uint32_t target = sp.target_port_number ? sp.target_port_number : sp.port;
      if (!sp.target_port_name.empty()) target = sp.port;
      if (legacy) return std::vector<std::uint32_t>{target};
      if (std::find(ports.begin(), ports.end(), target) == ports.end()) ports.push_back(target);
    }
  }
  if (ports.empty() && legacy) ports = {s.port.number};
  return ports;
}

void ProxyCompiler::merge_gateway_servers(MergedGateways& m) {
  for (const config::Gateway* gw : gateways_) {
    const std::string gw_name = gw->meta.namespace_ + "/" + gw->meta.name;
    const bool legacy = !gw->meta.annotations.count(std::string(kGatewayServiceAnnotation));
    std::vector<std::string> allowed_services;  // non-legacy: the Services the Gateway names
    if (!legacy) allowed_services = split_list(gw->meta.annotations.at(std::string(kGatewayServiceAnnotation)));
    for (std::size_t si = 0; si < gw->servers.size(); ++si) {
      const config::Server& s = gw->servers[si];
      for (std::uint32_t resolved : resolve_gateway_ports(*gw, s, legacy, allowed_services)) {
        GatewayServer& gs = m.all.emplace_back();
        gs.gateway = gw;
        gs.server = &s;
        gs.server_index = si;
        gs.gateway_name = gw_name;
        gs.hosts = sanitize_hosts(s.hosts, gw->meta.namespace_);
        gs.listener_port = resolved;
        const std::string bind_suffix = s.bind.empty() ? "" : "." + s.bind;
        if (http_protocol(s.port.protocol)) gs.route_name = "http." + std::to_string(resolved) + bind_suffix;
        else if (https_terminating(s))
          gs.route_name = "https." + std::to_string(s.port.number) + "." + s.port.name + "." + gw->meta.name + "." +
                          gw->meta.namespace_ + bind_suffix;
        // A refused server stays in `all`: like istiod's mergeGateways, a refusal may come after
        // its route name was recorded, and that route table still reads it.
        if (const std::string why = merge_gateway_server(m, gs); !why.empty() && diags_)
          diags_->warning(s.location, "spec.servers[" + std::to_string(si) + "]",
                          "server of Gateway " + gw_name + " is not used by gateway " + proxy_.workload + ": " + why);
      }
    }
  }
}

// One server on its resolved port joins the merge; returns why it cannot ("" when it joined).
std::string ProxyCompiler::merge_gateway_server(MergedGateways& m, const GatewayServer& gs) {
  const config::Server& s = *gs.server;
  const std::uint32_t resolved = gs.listener_port;
  if (s.tls) {
    // Envoy rejects two filter chains with the same SNI match (CheckDuplicates).
    auto& known = m.tls_hosts_by_port[resolved];
    for (const auto& h : gs.hosts)
      if (auto it = known.find(h); it != known.end() && it->second == s.bind)
        return "another server already serves host " + h + " with TLS on port " + std::to_string(resolved);
    for (const auto& h : gs.hosts) known[h] = s.bind;
  }
  const MergedGateways::ServerPort sp{resolved, s.port.protocol, s.bind};
  if (!m.ports_in_use.count(resolved)) {
    m.ports_in_use.insert(resolved);
    if (!tls_server(s)) m.plaintext[resolved] = sp;
    else m.non_plaintext_binds[resolved].insert(s.bind);
    if (http_server(s)) {
      if (!m.by_route_name.count(gs.route_name)) m.route_name_order.push_back(gs.route_name);
      m.by_route_name[gs.route_name] = {&gs};
    }
    m.merged[sp] = {&gs};
    m.merged_route_name[sp] = gs.route_name;
    m.server_ports.push_back(sp);
    return "";
  }
  if (auto it = m.plaintext.find(resolved); it != m.plaintext.end()) {
    const MergedGateways::ServerPort& current = it->second;
    if (!can_merge(s.port.protocol, current.protocol) && current.bind == s.bind)
      return "port " + std::to_string(resolved) + " already serves " + current.protocol + " and cannot also serve " +
             s.port.protocol;
    if (gs.route_name.empty() && current.bind == s.bind) return "port " + std::to_string(resolved) + " is already in use";
    if (current.bind != s.bind) {
      if (!m.merged.count(sp)) m.server_ports.push_back(sp);
      m.merged[sp].push_back(&gs);
      m.merged_route_name[sp] = gs.route_name;
    } else {
      m.merged[current].push_back(&gs);
    }
    if (!m.by_route_name.count(gs.route_name)) m.route_name_order.push_back(gs.route_name);
    m.by_route_name[gs.route_name].push_back(&gs);
    return "";
  }
  if (http_server(s)) {
    if (gs.route_name.empty() || m.by_route_name.count(gs.route_name))
      return "its HTTPS port name is not unique on port " + std::to_string(resolved);
    m.route_name_order.push_back(gs.route_name);
    m.by_route_name[gs.route_name] = {&gs};
  }
  const bool new_bind = m.non_plaintext_binds[resolved].insert(s.bind).second;
  if (!s.tls && !new_bind)
    return "port " + std::to_string(resolved) + " already serves TLS, and this server has no TLS settings";
  if (!m.merged.count(sp)) m.server_ports.push_back(sp);
  m.merged[sp].push_back(&gs);
  return "";
}

// The filter chains of one non-HTTP server: a terminating HTTPS chain, a tcp_proxy chain from the
// first matching tcp (or TLSRoute tls) rule, or for TLS passthrough one chain per tls rule by SNI.
void ProxyCompiler::add_gateway_server_chains(const GatewayServer& gs, std::map<std::string, std::string>& sni_seen,
                                              std::vector<FilterChain>& chains) {
  const config::Server& s = *gs.server;
  const ChainOrigin origin{N_("Gateway {subject}"),
                           gs.gateway_name + " servers[" + std::to_string(gs.server_index) + "]"};
  auto terminate = [&](FilterChain& fc) {
    fc.match.server_names = sni_hosts(gs.hosts);
    if (std::find(fc.match.server_names.begin(), fc.match.server_names.end(), "*") != fc.match.server_names.end())
      fc.match.server_names.clear();
    fc.terminates_tls = true;
    fc.istio_mtls = s.tls->mode == "ISTIO_MUTUAL";
  };
  if (https_terminating(s)) {
    FilterChain fc;
    fc.kind = FilterChain::Kind::Http;
    fc.route_config_name = gs.route_name;
    terminate(fc);
    fc.origin = origin;
    chains.push_back(std::move(fc));
    return;
  }
  // A TCP or TLS server: tcp_proxy chains from the VirtualServices bound to its Gateway.
  std::vector<const VsInfo*> bound;
  for (const auto& v : vses_)
    if (std::find(v.gateways.begin(), v.gateways.end(), gs.gateway_name) != v.gateways.end() &&
        gateway_hosts_match(gs.hosts, v))
      bound.push_back(&v);
  if (s.tls && passthrough_server(s)) {
    add_gateway_passthrough_chains(gs, bound, origin, sni_seen, chains);
    return;
  }
  std::optional<FilterChain> fc = gateway_tcp_chain(gs, bound, origin);
  if (!fc) {
    if (diags_)
      diags_->warning(s.location, "spec.servers[" + std::to_string(gs.server_index) + "]",
                      "no VirtualService with tcp routes is bound to the " + s.port.protocol + " server on port " +
                          std::to_string(s.port.number) + " of Gateway " + gs.gateway_name +
                          "; the gateway opens no listener for it");
    return;
  }
  if (s.tls) terminate(*fc);
  chains.push_back(std::move(*fc));
}

// The first tcp rule (or, on a terminating server, TLSRoute tls rule) bound to the server.
std::optional<FilterChain> ProxyCompiler::gateway_tcp_chain(const GatewayServer& gs,
                                                            const std::vector<const VsInfo*>& bound,
                                                            const ChainOrigin& origin) {
  const config::Server& s = *gs.server;
  std::optional<FilterChain> fc;
  for (const VsInfo* v : bound) {
    for (std::size_t i = 0; i < v->vs->tcp.size() && !fc; ++i) {
      const auto& tcp = v->vs->tcp[i];
      bool ok = tcp.match.empty();
      for (const auto& m : tcp.match)
        if (l4_gateway_match(m, s.port.number, gs.gateway_name, v->vs->meta.namespace_)) ok = true;
      if (!ok || tcp.route.empty()) continue;
      FilterChain c;
      c.tcp = tcp_proxy_for(tcp.route, *v, v->key + "#tcp[" + std::to_string(i) + "]", s.port.number);
      c.origin = via_rule(origin, v->key + " tcp[" + std::to_string(i) + "]");
      fc = std::move(c);
    }
    // TLSRoute-made VirtualServices carry tls blocks; a terminating server uses them too.
    if (!fc && s.tls && v->from_tls_route) {
      for (std::size_t i = 0; i < v->vs->tls.size() && !fc; ++i)
        for (const auto& m : v->vs->tls[i].match)
          if (!fc && l4_gateway_match(m, s.port.number, gs.gateway_name, v->vs->meta.namespace_)) {
            FilterChain c;
            c.tcp = tcp_proxy_for(v->vs->tls[i].route, *v, v->key + "#tls[" + std::to_string(i) + "]",
                                  s.port.number);
            c.origin = via_rule(origin, v->key + " tls[" + std::to_string(i) + "]");
            fc = std::move(c);
          }
    }
    if (fc) break;
  }
  return fc;
}

// TLS passthrough: one chain per matching tls rule, by SNI; a rule repeating SNI hosts another
// rule already routes on the same bind is skipped with a warning.
void ProxyCompiler::add_gateway_passthrough_chains(const GatewayServer& gs, const std::vector<const VsInfo*>& bound,
                                                   const ChainOrigin& origin,
                                                   std::map<std::string, std::string>& sni_seen,
                                                   std::vector<FilterChain>& chains) {
  const config::Server& s = *gs.server;
  for (const VsInfo* v : bound) {
    for (std::size_t i = 0; i < v->vs->tls.size(); ++i) {
      const auto& tls = v->vs->tls[i];
      if (tls.route.empty()) continue;
      for (const auto& m : tls.match) {
        if (!l4_gateway_match(m, s.port.number, gs.gateway_name, v->vs->meta.namespace_)) continue;
        bool dup = false;
        for (const auto& h : m.sni_hosts)
          if (auto it = sni_seen.find(h); it != sni_seen.end() && it->second == s.bind) dup = true;
        if (dup) {
          if (diags_)
            diags_->warning(v->vs->meta.location, "spec.tls[" + std::to_string(i) + "]",
                            "VirtualService " + v->key + " repeats SNI hosts another rule already routes on port " +
                                std::to_string(gs.listener_port) + " of gateway " + gs.gateway_name +
                                "; the rule is skipped");
          continue;
        }
        for (const auto& h : m.sni_hosts) sni_seen[h] = s.bind;
        FilterChain c;
        c.match.server_names = m.sni_hosts;
        c.tcp = tcp_proxy_for(tls.route, *v, v->key + "#tls[" + std::to_string(i) + "]", s.port.number);
        c.origin = via_rule(origin, v->key + " tls[" + std::to_string(i) + "]");
        chains.push_back(std::move(c));
      }
    }
  }
}

RouteConfiguration ProxyCompiler::build_gateway_route_config(const std::string& name,
                                                             const std::vector<const GatewayServer*>& servers) {
  RouteConfiguration rc;
  rc.name = name;
  struct VHostBuild {
    VirtualHost vh;
    std::vector<std::string> route_ids;  // identity of each route, to collapse identical tables
  };
  std::map<std::string, VHostBuild> by_host;
  std::map<std::pair<std::string, std::string>, std::vector<Route>> routes_cache;  // (gateway, vs) -> routes

  const auto saved_set = gateway_set_;
  for (const GatewayServer* gs : servers) {
    const config::Server& s = *gs->server;
    const std::uint32_t port = s.port.number;  // virtual hosts keep the server (Service) port
    const bool redirect = s.tls && s.tls->https_redirect;
    for (const auto& v : vses_) {
      if (std::find(v.gateways.begin(), v.gateways.end(), gs->gateway_name) == v.gateways.end()) continue;
      const auto server_hosts = hosts_for_namespace(gs->hosts, v.vs->meta.namespace_);
      const auto hosts = intersect_hosts(server_hosts, v.hosts);
      if (hosts.empty()) continue;
      const auto cache_key = std::make_pair(gs->gateway_name, v.key);
      auto cached = routes_cache.find(cache_key);
      if (cached == routes_cache.end()) {
        // Routes are built for this one Gateway (match.gateways name it or nothing).
        gateway_set_ = {gs->gateway_name};
        cached = routes_cache.emplace(cache_key, build_vs_routes(v, port, service_by_host_)).first;
      }
      const auto& routes = cached->second;
      for (const auto& h : hosts) {
        auto it = by_host.find(h);
        if (it == by_host.end()) {
          VHostBuild b;
          b.vh.name = h + ":" + std::to_string(port);
          b.vh.domains = {h};
          it = by_host.emplace(h, std::move(b)).first;
        }
        for (std::size_t i = 0; i < routes.size(); ++i) {
          it->second.vh.routes.push_back(routes[i]);
          it->second.route_ids.push_back(v.key + "#" + std::to_string(i) + "@" + gs->gateway_name);
        }
        if (redirect) it->second.vh.require_tls = true;
      }
    }
    if (redirect) {
      for (const auto& raw : s.hosts) {
        const std::string h = to_lower(raw);
        if (auto it = by_host.find(h); it != by_host.end()) {
          it->second.vh.require_tls = true;
          continue;
        }
        VHostBuild b;
        b.vh.name = h + ":" + std::to_string(port);
        b.vh.domains = {h};
        b.vh.require_tls = true;
        by_host.emplace(h, std::move(b));
      }
    }
  }
  gateway_set_ = saved_set;

  if (by_host.empty()) {
    // No VirtualService binds any host: a single "*" virtual host without routes, so every
    // request is a 404 NR (§2.5).
    VirtualHost vh;
    vh.name = "blackhole:" + std::to_string(servers.front()->server->port.number);
    vh.domains = {"*"};
    rc.virtual_hosts.push_back(std::move(vh));
    return rc;
  }
  // collapseDuplicateRoutes: hosts with identical route lists share one virtual host, named after
  // the alphabetically first.
  std::vector<VHostBuild*> kept;
  for (auto& [host, b] : by_host) {  // std::map: alphabetical
    VHostBuild* same = nullptr;
    for (VHostBuild* k : kept)
      if (k->route_ids == b.route_ids && k->vh.require_tls == b.vh.require_tls && !b.route_ids.empty()) same = k;
    if (same) {
      same->vh.domains.push_back(host);
    } else {
      kept.push_back(&b);
    }
  }
  for (VHostBuild* b : kept) {
    // SortVHostRoutes: catch-all routes go last, the others keep their order (§1.3).
    std::stable_partition(b->vh.routes.begin(), b->vh.routes.end(),
                          [](const Route& r) { return !r.match.is_catch_all(); });
    rc.virtual_hosts.push_back(std::move(b->vh));
  }
  std::sort(rc.virtual_hosts.begin(), rc.virtual_hosts.end(),
            [](const VirtualHost& a, const VirtualHost& b) { return a.name < b.name; });
  return rc;
}

}  // namespace detail

std::shared_ptr<const ProxyConfig> compile_gateway(const config::ConfigStore& store,
                                                   const registry::Registry& registry, const ProxyIdentity& proxy,
                                                   const MeshOptions& mesh, config::Diagnostics* diags) {
  auto translated = translate_kubernetes_routing(store, mesh, diags);
  ProxyIdentity id = proxy;
  id.is_gateway = true;
  detail::ProxyCompiler compiler(translated ? *translated : store, registry, id, mesh, diags);
  return compiler.compile_gateway();
}

}  // namespace meshtwin::xds
