// The proxy compile (like istiod's LDS/RDS/CDS generation): which services and VirtualServices a
// proxy class sees; for sidecars the outbound listeners with their filter chains, one route table
// per HTTP port and the catch-all virtual host; for gateways (compile_gateway.cc) the servers'
// listeners and merged route tables; and one cluster per service port and DestinationRule subset.
// References: docs/semantics.md §1–3, §5.1, §7, §11–13.
#include <re2/re2.h>

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <unordered_set>

#include "model/text/i18n.h"
#include "model/xds/compile_internal.h"
#include "model/xds/proxy_compiler.h"
#include "model/xds/proxy_config.h"
#include "model/xds/translate.h"

namespace meshtwin::xds {

namespace detail {

namespace {

// How istiod builds an outbound listener for a service port (ModelProtocolToListenerProtocol).
enum class ListenerProtocol { Http, Tcp, Auto, None };

ListenerProtocol listener_protocol(registry::Protocol p) {
  switch (p) {
    case registry::Protocol::HTTP:
    case registry::Protocol::HTTP2:
    case registry::Protocol::GRPC: return ListenerProtocol::Http;
    case registry::Protocol::Unknown: return ListenerProtocol::Auto;
    case registry::Protocol::UDP: return ListenerProtocol::None;
    default: return ListenerProtocol::Tcp;
  }
}

bool is_tls_protocol(registry::Protocol p) { return p == registry::Protocol::TLS || p == registry::Protocol::HTTPS; }

const std::string kWildcard = "0.0.0.0";

const std::vector<std::string> kPlaintextHttpAlpns{"http/1.1", "h2c"};

// The protocol an entry was recorded with: HTTP on a wildcard bind is really "auto" (it has an HTTP
// chain matched by ALPN and falls through to TCP), as istiod records it.
enum class EntryProtocol { Http, Tcp, Auto };

struct ListenerEntry {
  std::string bind;
  std::uint32_t port = 0;
  EntryProtocol protocol = EntryProtocol::Tcp;
  registry::Protocol service_protocol = registry::Protocol::Unknown;
  std::vector<FilterChain> chains;
};

bool match_all(const FilterChain& c) {
  const auto& m = c.match;
  const bool sni_any = m.server_names.empty() ||
                       std::find(m.server_names.begin(), m.server_names.end(), "*") != m.server_names.end();
  return sni_any && m.application_protocols.empty() && m.transport_protocol.empty() && m.prefix_ranges.empty();
}

// filterChainOpts.conflictsWith: two chains with the same match criteria (Envoy would reject them).
bool chains_conflict(const FilterChain& a, const FilterChain& b) {
  if (a.match.transport_protocol != b.match.transport_protocol) return false;
  if (a.match.application_protocols != b.match.application_protocols) return false;
  auto sni_set = [](const std::vector<std::string>& v) {
    std::set<std::string> out;
    for (const auto& x : v)
      if (x != "*") out.insert(x);
    return out;
  };
  if (sni_set(a.match.server_names) != sni_set(b.match.server_names)) return false;
  auto cidr_set = [](const std::vector<std::string>& v) {
    std::set<std::string> out;
    for (const auto& x : v) {
      auto c = registry::Cidr::parse(x);
      if (!c) continue;
      // Mask to the prefix so 1.2.3.4/8 and 1.5.6.7/8 compare equal.
      registry::Cidr masked = *c;
      std::uint32_t bits = c->prefix_len;
      for (std::size_t i = 0; i < masked.bytes.size(); ++i) {
        const std::uint32_t keep = std::min<std::uint32_t>(bits, 8);
        masked.bytes[i] = static_cast<std::uint8_t>(masked.bytes[i] & (keep == 0 ? 0 : (0xff << (8 - keep))));
        bits -= keep;
      }
      const std::string str = masked.to_string();
      if (str == "0.0.0.0/0" || str == "0.0.0.0/32") continue;
      out.insert(str);
    }
    return out;
  };
  return cidr_set(a.match.prefix_ranges) == cidr_set(b.match.prefix_ranges);
}

void merge_chains(ListenerEntry& e, std::vector<FilterChain> incoming) {
  for (auto& c : incoming) {
    bool conflict = false;
    for (const auto& existing : e.chains)
      if (chains_conflict(existing, c)) conflict = true;
    if (!conflict) e.chains.push_back(std::move(c));
  }
}

// A CIDR that names one host is a listener address of its own (istiod converts /32 and /128).
bool single_host(const std::string& address) {
  if (address.find('/') == std::string::npos) return true;
  auto c = registry::Cidr::parse(address);
  return c && c->prefix_len == (c->v6 ? 128u : 32u);
}

std::string strip_prefix_len(const std::string& address) { return address.substr(0, address.find('/')); }

// Istio matchTCP / matchTLS for the static predicates of an L4 match (the sidecar is gateway "mesh").
template <class M>
bool l4_static_match(const M& m, const ProxyIdentity& proxy, std::uint32_t port) {
  if (!m.gateways.empty() && std::find(m.gateways.begin(), m.gateways.end(), "mesh") == m.gateways.end()) return false;
  if (m.port != 0 && m.port != port) return false;
  if (!labels_subset(m.source_labels, proxy.labels)) return false;
  return m.source_namespace.empty() || m.source_namespace == proxy.namespace_;
}

}  // namespace

const config::Sidecar* select_sidecar_resource(const config::ConfigStore& store, const ProxyIdentity& proxy) {
  const config::Sidecar* selected = nullptr;
  const config::Sidecar* ns_default = nullptr;
  const config::Sidecar* root_default = nullptr;
  for (const auto& sc : store.sidecars()) {
    if (sc.meta.namespace_ == proxy.namespace_) {
      if (sc.workload_selector && !sc.workload_selector->empty()) {
        if (!selected && labels_subset(*sc.workload_selector, proxy.labels)) selected = &sc;
      } else if (!ns_default) {
        ns_default = &sc;
      }
    } else if (sc.meta.namespace_ == kRootNamespace && !sc.workload_selector && !root_default) {
      root_default = &sc;
    }
  }
  if (selected) return selected;
  return ns_default ? ns_default : root_default;
}

std::vector<const VsInfo*> ProxyCompiler::vses_for_host(std::string_view hostname) const {
  // getConfigsForHost: VirtualServices with a host that matches the service's (either may be a
  // wildcard), in VirtualService order.
  std::vector<const VsInfo*> out;
  for (const auto& v : vses_) {
    for (const auto& h : v.hosts) {
      if (h == hostname || ((is_wildcard_host(h) || is_wildcard_host(hostname)) && hosts_match(h, hostname))) {
        out.push_back(&v);
        break;
      }
    }
  }
  return out;
}

TcpProxy ProxyCompiler::tcp_proxy_for(const std::vector<config::RouteDestination>& route, const VsInfo& v,
                                      const std::string& rule_id, std::uint32_t listener_port) {
  // buildOutboundNetworkFilters: one destination is a plain cluster, several a weighted set; the
  // destination's service is looked up in full (GetDestinationCluster: a single-port service gives
  // its port, an ExternalName its target).
  TcpProxy out;
  out.vs_rule = rule_id;
  auto cluster_of = [&](const config::Destination& d) {
    std::string host = d.host.empty() ? std::string()  // an invalid Gateway API backend (§11.1)
                                      : to_lower(registry::resolve_short_name(d.host, v.vs->meta.namespace_,
                                                                              mesh_.short_name_domain()));
    std::uint32_t port = listener_port;
    auto it = service_by_host_.find(host);
    const registry::Service* svc = it == service_by_host_.end() ? reg_.find_service(host) : it->second;
    if (d.port != 0) port = d.port;
    else if (svc && svc->ports.size() == 1) port = svc->ports[0].port;
    if (svc && is_alias(*svc)) host = svc->external_name;
    WeightedCluster wc;
    wc.name = outbound_cluster_name(port, d.subset, host);
    return wc;
  };
  if (route.size() == 1) {
    out.clusters.push_back(cluster_of(route[0].destination));
    return out;
  }
  for (const auto& d : route) {
    if (d.weight <= 0) continue;
    WeightedCluster wc = cluster_of(d.destination);
    wc.weight = static_cast<std::uint32_t>(d.weight);
    out.total_weight += wc.weight;
    out.clusters.push_back(std::move(wc));
  }
  return out;
}

// The outbound listeners being built (buildSidecarOutboundListeners): one entry per (bind, port)
// in first-seen order, and the sniffed services behind their own VIP that get a route table.
struct ProxyCompiler::OutboundListeners {
  std::map<std::pair<std::string, std::uint32_t>, ListenerEntry> entries;
  std::vector<std::pair<std::string, std::uint32_t>> order;  // for deterministic listener order
  std::set<std::string> sniffed_route_configs;
};

void ProxyCompiler::build_sidecar_listeners(ProxyConfig& cfg) {
  OutboundListeners out;
  add_service_listeners(out);
  emit_outbound_listeners(out, cfg);
  add_sniffed_route_configs(out.sniffed_route_configs, cfg);
  add_virtual_listeners(cfg);
}

// One outbound listener per (service, address, port), as istiod walks the services.
void ProxyCompiler::add_service_listeners(OutboundListeners& out) {
  const std::string proxy_ip = proxy_.ip_addresses.empty() ? std::string() : proxy_.ip_addresses.front();
  for (const registry::Service* s : services_) {
    if (is_alias(*s)) continue;  // Alias services get no listeners
    // Istio makes one service per ServiceEntry address; each is a listener address of its own.
    std::vector<std::string> addresses = s->addresses;
    if (addresses.empty()) addresses.push_back(proxy_.dns_auto_allocate ? s->auto_allocated_address : std::string());
    for (const std::string& address : addresses) {
      for (const auto& sp : s->ports) {
        const ListenerProtocol lp = listener_protocol(sp.protocol);
        const bool passthrough = s->resolution == "Passthrough" && address.empty();
        if (passthrough && (lp == ListenerProtocol::Tcp || lp == ListenerProtocol::Auto)) {
          // Headless services and ServiceEntries with resolution NONE and no address: a listener
          // per endpoint IP (the app dials pod IPs), or a wildcard one for a plain ServiceEntry
          // without endpoints.
          std::vector<std::string> ips;
          for (std::uint32_t p : s->pods) ips.push_back(reg_.pods()[p].ip);
          for (std::uint32_t e : s->external_endpoints) ips.push_back(reg_.external_endpoints()[e].address);
          const bool label_selected = s->service_entry && s->service_entry->workload_selector;
          if (s->origin != registry::Service::Origin::Kubernetes && ips.empty() && !label_selected) {
            add_outbound_listener(out, *s, sp, "", address);
            continue;
          }
          for (const auto& ip : ips) {
            if (!registry::is_ip_address(ip) || ip == proxy_ip) continue;
            add_outbound_listener(out, *s, sp, ip, address);
          }
          continue;
        }
        add_outbound_listener(out, *s, sp, "", address);
      }
    }
  }
}

// buildSidecarOutboundTCPListenerOpts: TLS chains (by SNI) for TLS/HTTPS ports, TCP chains
// otherwise, from the VirtualServices of the service's host, then the service's own default.
std::vector<FilterChain> ProxyCompiler::outbound_tcp_chains(const registry::Service& svc,
                                                            const registry::ServicePort& sp, const std::string& cidr,
                                                            const std::string& listen_address) {
  std::vector<FilterChain> out;
  const auto configs = vses_for_host(svc.hostname);
  const bool tls = is_tls_protocol(sp.protocol);
  const bool default_covered = tls ? add_tls_route_chains(configs, sp, cidr, out)
                                   : add_tcp_route_chains(configs, sp, cidr, out);
  if (!default_covered) {
    FilterChain fc;
    fc.kind = FilterChain::Kind::Tcp;
    // The hostname is the SNI to match when the listener address cannot tell services apart:
    // a CIDR, or the wildcard (a service without VIP). A headless service's per-endpoint
    // listener needs none.
    if (tls && (!cidr.empty() || listen_address.empty() || listen_address == kWildcard))
      fc.match.server_names = {svc.hostname};
    if (!cidr.empty()) fc.match.prefix_ranges = {cidr};
    // The service's own cluster: on a single-port service its only port.
    const std::uint32_t port = svc.ports.size() == 1 ? svc.ports[0].port : sp.port;
    WeightedCluster wc;
    wc.name = outbound_cluster_name(port, "", svc.hostname);
    fc.tcp.clusters.push_back(std::move(wc));
    fc.origin = {N_("service {subject}"), svc.hostname + ":" + std::to_string(sp.port)};
    out.push_back(std::move(fc));
  }
  return out;
}

// A chain per distinct (SNI hosts, subnets) of the matching VirtualService tls rules; true when
// any was added (the service's default SNI chain is then left out).
bool ProxyCompiler::add_tls_route_chains(const std::vector<const VsInfo*>& configs, const registry::ServicePort& sp,
                                         const std::string& cidr, std::vector<FilterChain>& out) {
  std::set<std::string> handled;  // runtime predicates already given a chain
  bool has_tls_match = false;
  for (const VsInfo* v : configs) {
    for (std::size_t i = 0; i < v->vs->tls.size(); ++i) {
      const auto& tls = v->vs->tls[i];
      for (const auto& m : tls.match) {
        if (!l4_static_match(m, proxy_, sp.port)) continue;
        std::vector<std::string> cidrs;
        if (!cidr.empty()) cidrs = {cidr};
        if (!m.destination_subnets.empty()) cidrs = m.destination_subnets;
        std::string key;
        for (const auto& h : m.sni_hosts) key += h + ",";
        key += "|";
        for (const auto& c : m.destination_subnets) key += c + ",";
        if (handled.insert(key).second) {
          FilterChain fc;
          fc.kind = FilterChain::Kind::Tcp;
          fc.match.server_names = m.sni_hosts;
          fc.match.prefix_ranges = cidrs;
          fc.tcp = tcp_proxy_for(tls.route, *v, v->key + "#tls[" + std::to_string(i) + "]", sp.port);
          fc.origin = {N_("VirtualService {subject}"), v->key + " tls[" + std::to_string(i) + "]"};
          out.push_back(std::move(fc));
          has_tls_match = true;
        }
      }
    }
  }
  return has_tls_match;
}

// The chains of the VirtualService tcp rules in order, up to the first one that matches whatever
// the service's default chain would; true when such a rule made the default chain redundant.
bool ProxyCompiler::add_tcp_route_chains(const std::vector<const VsInfo*>& configs, const registry::ServicePort& sp,
                                         const std::string& cidr, std::vector<FilterChain>& out) {
  std::vector<std::string> service_cidrs;
  if (!cidr.empty()) service_cidrs = {cidr};
  for (const VsInfo* v : configs) {
    for (std::size_t i = 0; i < v->vs->tcp.size(); ++i) {
      const auto& tcp = v->vs->tcp[i];
      const std::string rule_id = v->key + "#tcp[" + std::to_string(i) + "]";
      auto chain = [&](std::vector<std::string> cidrs) {
        FilterChain fc;
        fc.kind = FilterChain::Kind::Tcp;
        fc.match.prefix_ranges = std::move(cidrs);
        fc.tcp = tcp_proxy_for(tcp.route, *v, rule_id, sp.port);
        fc.origin = {N_("VirtualService {subject}"), v->key + " tcp[" + std::to_string(i) + "]"};
        return fc;
      };
      if (tcp.match.empty()) {
        out.push_back(chain(service_cidrs));
        return true;
      }
      std::vector<std::string> subnets;
      for (const auto& m : tcp.match) {
        if (!l4_static_match(m, proxy_, sp.port)) continue;
        if (m.destination_subnets.empty()) {
          out.push_back(chain(service_cidrs));
          return true;
        }
        subnets.insert(subnets.end(), m.destination_subnets.begin(), m.destination_subnets.end());
      }
      if (!subnets.empty()) {
        out.push_back(chain(subnets));
        auto a = subnets, b = service_cidrs;
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        if (a == b) return true;  // the default chain would have the same match
      }
    }
  }
  return false;
}

FilterChain ProxyCompiler::outbound_http_chain(const registry::Service& svc, const registry::ServicePort& sp,
                                               const std::string& bind, bool sniffed, OutboundListeners& out) {
  FilterChain fc;
  fc.kind = FilterChain::Kind::Http;
  if (sniffed && bind != kWildcard) {
    // A sniffed service behind its own VIP gets a route table of its own (buildSidecarOutboundHTTPListenerOpts).
    fc.route_config_name = svc.hostname + ":" + std::to_string(sp.port);
    out.sniffed_route_configs.insert(fc.route_config_name);
  } else {
    fc.route_config_name = std::to_string(sp.port);
  }
  // The wildcard HTTP chain is shared by every HTTP service on the port.
  fc.origin = sniffed && bind != kWildcard
                  ? ChainOrigin{N_("service {subject}"), svc.hostname + ":" + std::to_string(sp.port)}
                  : ChainOrigin{N_("the HTTP services on port {subject}"), std::to_string(sp.port)};
  if (bind == kWildcard || sniffed) {
    fc.match.application_protocols = kPlaintextHttpAlpns;
    fc.match.transport_protocol = "raw_buffer";
  }
  return fc;
}

// buildSidecarOutboundListener for one (service, port, address): the chains of the service port,
// then how they combine with a listener already on the same (bind, port).
void ProxyCompiler::add_outbound_listener(OutboundListeners& out, const registry::Service& svc,
                                          const registry::ServicePort& sp, std::string bind,
                                          const std::string& service_address) {
  const ListenerProtocol lp = listener_protocol(sp.protocol);
  if (lp == ListenerProtocol::None) return;
  std::string cidr;
  if (lp == ListenerProtocol::Tcp || lp == ListenerProtocol::Auto) {
    if (bind.empty()) {
      // Listen on the service VIP; a CIDR listens on 0.0.0.0 with a prefix-range match.
      const std::string addr = service_address.empty() ? kWildcard : service_address;
      if (single_host(addr)) {
        bind = strip_prefix_len(addr);
      } else {
        bind = kWildcard;
        cidr = addr;
      }
    }
  } else if (bind.empty()) {
    bind = kWildcard;
  }
  const auto key = std::make_pair(bind, sp.port);
  ListenerEntry* current = nullptr;
  if (auto it = out.entries.find(key); it != out.entries.end()) current = &it->second;

  enum class Conflict { None, HttpOverTcp, TcpOverHttp, TcpOverTcp, TcpOverAuto, AutoOverHttp, AutoOverTcp };
  Conflict conflict = Conflict::None;
  std::vector<FilterChain> opts;
  EntryProtocol protocol = EntryProtocol::Tcp;
  switch (lp) {
    case ListenerProtocol::Http:
      if (current) {
        if (current->protocol != EntryProtocol::Tcp) return;  // the listener already serves HTTP
        conflict = Conflict::HttpOverTcp;
      }
      opts.push_back(outbound_http_chain(svc, sp, bind, false, out));
      // On the wildcard, the HTTP chain matches sniffed HTTP and the rest falls through to TCP.
      protocol = bind == kWildcard ? EntryProtocol::Auto : EntryProtocol::Http;
      break;
    case ListenerProtocol::Tcp:
      opts = outbound_tcp_chains(svc, sp, cidr, bind);
      protocol = EntryProtocol::Tcp;
      if (current)
        conflict = current->protocol == EntryProtocol::Http  ? Conflict::TcpOverHttp
                   : current->protocol == EntryProtocol::Tcp ? Conflict::TcpOverTcp
                                                             : Conflict::TcpOverAuto;
      break;
    case ListenerProtocol::Auto:
      if (current) {
        if (current->protocol == EntryProtocol::Http) conflict = Conflict::AutoOverHttp;
        else if (current->protocol == EntryProtocol::Tcp) conflict = Conflict::AutoOverTcp;
        else return;
      }
      opts = outbound_tcp_chains(svc, sp, cidr, bind);
      opts.push_back(outbound_http_chain(svc, sp, bind, true, out));
      protocol = EntryProtocol::Auto;
      break;
    case ListenerProtocol::None: return;
  }
  // Mongo and MySQL never share a port with another protocol (isConflictWithWellKnownPort).
  if (current && conflict != Conflict::None) {
    auto well_known = [](registry::Protocol p) {
      return p == registry::Protocol::Mongo || p == registry::Protocol::MySQL;
    };
    if ((well_known(sp.protocol) || well_known(current->service_protocol)) && sp.protocol != current->service_protocol) {
      if (diags_)
        diags_->warning({}, "", "listener " + bind + "_" + std::to_string(sp.port) + ": " + svc.hostname +
                                    " conflicts with a Mongo/MySQL service on the same port and is left out");
      return;
    }
  }
  switch (conflict) {
    case Conflict::None:
    case Conflict::AutoOverHttp: {
      if (!current) out.order.push_back(key);
      ListenerEntry e;
      e.bind = bind;
      e.port = sp.port;
      e.protocol = protocol;
      e.service_protocol = sp.protocol;
      e.chains = std::move(opts);
      out.entries[key] = std::move(e);
      break;
    }
    case Conflict::HttpOverTcp:
    case Conflict::TcpOverHttp:
    case Conflict::AutoOverTcp:
      merge_chains(*current, std::move(opts));
      current->protocol = EntryProtocol::Auto;
      break;
    case Conflict::TcpOverTcp:
    case Conflict::TcpOverAuto:
      merge_chains(*current, std::move(opts));
      break;
  }
}

FilterChain ProxyCompiler::fallthrough_chain(std::string name) const {
  FilterChain fc;
  fc.name = std::move(name);
  fc.kind = FilterChain::Kind::Tcp;
  WeightedCluster wc;
  wc.name = outbound_policy_ != "REGISTRY_ONLY" ? "PassthroughCluster" : "BlackHoleCluster";
  fc.tcp.clusters.push_back(std::move(wc));
  fc.origin = {N_("outboundTrafficPolicy {subject}"), outbound_policy_};
  return fc;
}

// The recorded entries become listeners: a chain that matches everything is the default one.
void ProxyCompiler::emit_outbound_listeners(OutboundListeners& out, ProxyConfig& cfg) const {
  for (const auto& key : out.order) {
    ListenerEntry& e = out.entries[key];
    Listener l;
    l.name = e.bind + "_" + std::to_string(e.port);
    l.address = e.bind;
    l.port = e.port;
    for (auto& c : e.chains) {
      if (!c.match.server_names.empty() || !c.match.application_protocols.empty()) l.tls_inspector = true;
      if (!c.match.application_protocols.empty()) l.http_inspector = true;
      // A chain that matches everything is the listener's default (istio/istio#26079).
      if (match_all(c)) l.default_filter_chain = std::move(c);
      else l.filter_chains.push_back(std::move(c));
    }
    if (l.default_filter_chain && l.filter_chains.empty()) {
      l.filter_chains.push_back(std::move(*l.default_filter_chain));
      l.default_filter_chain.reset();
    } else if (!l.default_filter_chain) {
      l.default_filter_chain = fallthrough_chain("PassthroughFilterChain");
    }
    cfg.listeners.push_back(std::move(l));
  }
}

// Route tables for sniffed services behind their own VIP: the port's virtual hosts of that
// service (or all of them when none names it), without the catch-all (buildSidecarOutboundHTTPRouteConfig).
void ProxyCompiler::add_sniffed_route_configs(const std::set<std::string>& names, ProxyConfig& cfg) const {
  for (const auto& name : names) {
    const auto colon = name.rfind(':');
    const std::string host = name.substr(0, colon);
    const RouteConfiguration* port_table = nullptr;
    for (const auto& rc : cfg.route_configs)
      if (rc.name == name.substr(colon + 1)) port_table = &rc;
    RouteConfiguration rc;
    rc.name = name;
    if (port_table) {
      for (const auto& vh : port_table->virtual_hosts)
        if (vh.name == host + ":" + name.substr(colon + 1)) rc.virtual_hosts.push_back(vh);
      if (rc.virtual_hosts.empty())
        for (const auto& vh : port_table->virtual_hosts)
          if (vh.name != "allow_any" && vh.name != "block_all") rc.virtual_hosts.push_back(vh);
    }
    cfg.route_configs.push_back(std::move(rc));
  }
}

// virtualOutbound (15001), virtualInbound (15006) and the InboundPassthroughCluster.
void ProxyCompiler::add_virtual_listeners(ProxyConfig& cfg) const {
  // virtualOutbound (15001): what iptables captures for addresses and ports no listener has.
  Listener vo;
  vo.name = "virtualOutbound";
  vo.address = kWildcard;
  vo.port = 15001;
  vo.use_original_dst = true;
  FilterChain blackhole;
  blackhole.name = "virtualOutbound-blackhole";
  blackhole.match.destination_port = 15001;  // never pass traffic back to the capture port itself
  WeightedCluster bh;
  bh.name = "BlackHoleCluster";
  blackhole.tcp.clusters.push_back(bh);
  blackhole.origin = {N_("loop protection")};
  vo.filter_chains.push_back(std::move(blackhole));
  if (outbound_policy_ == "ALLOW_ANY_DYNAMIC_DNS") {
    // Plaintext HTTP to unknown hosts goes through the dynamic forward proxy (docs/semantics.md §12.2).
    FilterChain http;
    http.kind = FilterChain::Kind::Http;
    http.match.transport_protocol = "raw_buffer";
    http.match.application_protocols = kPlaintextHttpAlpns;
    http.route_config_name = "virtualOutbound-dynamic-dns";
    http.inline_route_config = true;
    http.origin = {N_("outboundTrafficPolicy {subject}"), "ALLOW_ANY_DYNAMIC_DNS"};
    vo.filter_chains.push_back(std::move(http));
    vo.tls_inspector = vo.http_inspector = true;
    RouteConfiguration rc;
    rc.name = "virtualOutbound-dynamic-dns";
    rc.virtual_hosts.push_back(catch_all_vhost());
    cfg.route_configs.push_back(std::move(rc));
    vo.default_filter_chain = fallthrough_chain("virtualOutbound-catchall-tcp");
  } else {
    vo.filter_chains.push_back(fallthrough_chain("virtualOutbound-catchall-tcp"));
  }
  cfg.listeners.push_back(std::move(vo));

  // virtualInbound (15006): only its loop protection matters for outbound calls.
  Listener vi;
  vi.name = "virtualInbound";
  vi.address = kWildcard;
  vi.port = 15006;
  vi.use_original_dst = true;
  FilterChain ib;
  ib.name = "virtualInbound-blackhole";
  ib.match.destination_port = 15006;
  ib.tcp.clusters.push_back(bh);
  ib.origin = {N_("loop protection")};
  vi.filter_chains.push_back(std::move(ib));
  FilterChain ipt;
  ipt.name = "virtualInbound";
  WeightedCluster ip;
  ip.name = "InboundPassthroughCluster";
  ipt.tcp.clusters.push_back(ip);
  ipt.origin = {N_("inbound passthrough")};
  vi.filter_chains.push_back(std::move(ipt));
  cfg.listeners.push_back(std::move(vi));

  Cluster inbound;
  inbound.name = "InboundPassthroughCluster";
  inbound.type = Cluster::Type::OriginalDst;
  inbound.discovery = "ORIGINAL_DST";
  inbound.lb.kind = LbPolicy::Kind::Passthrough;
  cfg.clusters.push_back(std::move(inbound));
}

}  // namespace detail

using detail::ProxyCompiler;

SidecarClassifier::SidecarClassifier(const config::ConfigStore& store, const registry::Registry& registry)
    : store_(store) {
  // Every label predicate some resource evaluates against a sidecar, in resource order: the
  // sourceLabels of VirtualService matches (sourceMatchHTTP, matchTCP/matchTLS; delegates' too,
  // whose merged selectors hold exactly when both halves do) and the workloadSelectors of
  // DestinationRules (which only apply within their own namespace).
  auto add = [&](const config::Labels& selector, const std::string* only_namespace) {
    if (!selector.empty()) predicates_.push_back({&selector, only_namespace});
  };
  for (const auto& vs : store.virtual_services()) {
    for (const auto& r : vs.http)
      for (const auto& m : r.match) add(m.source_labels, nullptr);
    for (const auto& r : vs.tcp)
      for (const auto& m : r.match) add(m.source_labels, nullptr);
    for (const auto& r : vs.tls)
      for (const auto& m : r.match) add(m.source_labels, nullptr);
  }
  for (const auto& dr : store.destination_rules())
    if (dr.workload_selector) add(*dr.workload_selector, &dr.meta.namespace_);
  // A sidecar leaves its own address out of the per-endpoint listeners of passthrough services.
  for (const auto& s : registry.services()) {
    if (s.resolution != "Passthrough") continue;
    for (std::uint32_t p : s.pods) passthrough_endpoint_ips_.insert(registry.pods()[p].ip);
    for (std::uint32_t e : s.external_endpoints)
      passthrough_endpoint_ips_.insert(registry.external_endpoints()[e].address);
  }
}

std::string SidecarClassifier::key(const ProxyIdentity& proxy) const {
  using detail::labels_subset;
  std::string key = proxy.namespace_;
  key += '\n';
  const config::Sidecar* sc = detail::select_sidecar_resource(store_, proxy);
  key += sc ? sc->meta.namespace_ + "/" + sc->meta.name : "-";
  key += proxy.dns_auto_allocate ? "\nauto\n" : "\n\n";
  // One character per predicate, so two sidecars share a key only when they satisfy exactly
  // the same selectors.
  for (const Predicate& p : predicates_) {
    if (p.only_namespace && *p.only_namespace != proxy.namespace_) continue;
    key += labels_subset(*p.selector, proxy.labels) ? '1' : '0';
  }
  const std::string ip = proxy.ip_addresses.empty() ? std::string() : proxy.ip_addresses.front();
  if (!ip.empty() && passthrough_endpoint_ips_.count(ip)) key += "\n" + ip;
  return key;
}

std::shared_ptr<const ProxyConfig> compile_sidecar(const config::ConfigStore& store,
                                                   const registry::Registry& registry, const ProxyIdentity& proxy,
                                                   const MeshOptions& mesh, config::Diagnostics* diags) {
  // Ingress and Gateway API resources become Istio config first, as istiod's controllers do.
  auto translated = translate_kubernetes_routing(store, mesh, diags);
  return ProxyCompiler(translated ? *translated : store, registry, proxy, mesh, diags).compile();
}

}  // namespace meshtwin::xds
