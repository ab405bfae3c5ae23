// Internal to model/xds: the compiler shared by compile_sidecar and compile_gateway (one class,
// because a gateway translates VirtualService rules, picks destinations and builds clusters exactly
// as a sidecar does; docs/semantics.md §11 "Routing actions ... behave exactly as on a sidecar").
// Not a contract for other folders: use model/xds/proxy_config.h.
#pragma once

#include <re2/re2.h>

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <unordered_set>

#include "model/xds/compile_internal.h"
#include "model/xds/proxy_config.h"

namespace meshtwin::xds::detail {

struct VsInfo {
  const config::VirtualService* vs = nullptr;  // a merged copy for root VSs with delegates (§1.4)
  std::vector<std::string> hosts;  // short names resolved with the VS namespace, lower case
  std::string key;                 // "ns/name"
  std::vector<std::string> rule_ids;  // vs_rule per http[i] when delegates were merged
  // internal.istio.io/route-semantics of a generated VirtualService: "gateway" (Gateway API) or
  // "ingress" give path-separated prefixes; "gateway" also a 500 for a missing cluster.
  std::string semantics;
  bool from_tls_route = false;  // internal.istio.io/parents names a TLSRoute
  std::vector<std::string> gateways;  // normalised "ns/name" or "mesh"; empty = mesh

  std::string rule_id(std::size_t i) const {
    return i < rule_ids.size() ? rule_ids[i] : key + "#http[" + std::to_string(i) + "]";
  }
};

struct Wrapper {
  std::vector<std::string> vs_hosts;  // VS hosts that are not registry services
  std::vector<const registry::Service*> services;
  std::vector<Route> routes;
  const VsInfo* vs = nullptr;  // nullptr for a default (no VirtualService) wrapper
};

class ProxyCompiler {
 public:
  ProxyCompiler(const config::ConfigStore& store, const registry::Registry& reg, const ProxyIdentity& proxy,
                const MeshOptions& mesh, config::Diagnostics* diags)
      : store_(store), reg_(reg), proxy_(proxy), mesh_(mesh), diags_(diags), drs_(store, mesh.short_name_domain()) {}

  std::shared_ptr<const ProxyConfig> compile();

  // compile_gateway.cc
  std::shared_ptr<const ProxyConfig> compile_gateway();

 private:
  // ---------------------------------------------------------------- listeners (compile_sidecar.cc)

  void build_sidecar_listeners(ProxyConfig& cfg);
  // Its steps (compile_sidecar.cc), in order.
  struct OutboundListeners;
  void add_service_listeners(OutboundListeners& out);
  void add_outbound_listener(OutboundListeners& out, const registry::Service& svc, const registry::ServicePort& sp,
                             std::string bind, const std::string& service_address);
  std::vector<FilterChain> outbound_tcp_chains(const registry::Service& svc, const registry::ServicePort& sp,
                                               const std::string& cidr, const std::string& listen_address);
  bool add_tls_route_chains(const std::vector<const VsInfo*>& configs, const registry::ServicePort& sp,
                            const std::string& cidr, std::vector<FilterChain>& out);
  bool add_tcp_route_chains(const std::vector<const VsInfo*>& configs, const registry::ServicePort& sp,
                            const std::string& cidr, std::vector<FilterChain>& out);
  FilterChain outbound_http_chain(const registry::Service& svc, const registry::ServicePort& sp,
                                  const std::string& bind, bool sniffed, OutboundListeners& out);
  FilterChain fallthrough_chain(std::string name) const;
  void emit_outbound_listeners(OutboundListeners& out, ProxyConfig& cfg) const;
  void add_sniffed_route_configs(const std::set<std::string>& names, ProxyConfig& cfg) const;
  void add_virtual_listeners(ProxyConfig& cfg) const;
  std::vector<const VsInfo*> vses_for_host(std::string_view hostname) const;
  TcpProxy tcp_proxy_for(const std::vector<config::RouteDestination>& route, const VsInfo& v,
                         const std::string& rule_id, std::uint32_t listener_port);

  // ---------------------------------------------------------------- gateways (compile_gateway.cc)

  struct GatewayServer;
  void select_gateways();
  void build_gateway(ProxyConfig& cfg);
  // Its steps (compile_gateway.cc).
  struct MergedGateways;
  void merge_gateway_servers(MergedGateways& m);
  std::vector<std::uint32_t> resolve_gateway_ports(const config::Gateway& gw, const config::Server& s, bool legacy,
                                                   const std::vector<std::string>& allowed_services) const;
  std::string merge_gateway_server(MergedGateways& m, const GatewayServer& gs);
  void add_gateway_server_chains(const GatewayServer& gs, std::map<std::string, std::string>& sni_seen,
                                 std::vector<FilterChain>& chains);
  std::optional<FilterChain> gateway_tcp_chain(const GatewayServer& gs, const std::vector<const VsInfo*>& bound,
                                               const ChainOrigin& origin);
  void add_gateway_passthrough_chains(const GatewayServer& gs, const std::vector<const VsInfo*>& bound,
                                      const ChainOrigin& origin, std::map<std::string, std::string>& sni_seen,
                                      std::vector<FilterChain>& chains);
  RouteConfiguration build_gateway_route_config(const std::string& name, const std::vector<const GatewayServer*>& servers);
  std::vector<const config::Gateway*> gateways_;
  std::vector<const registry::Service*> service_targets_;  // Services whose endpoints are this proxy

 private:
  // ---------------------------------------------------------------- scope (§1.2, §12.3)

  void select_sidecar();

  // hostClassification.Matches for a service host.
  bool imports_service(std::string_view ns, std::string_view host) const;

  // hostClassification.VSMatches: VS hosts intersect imported hosts.
  bool imports_vs(const VsInfo& v) const;

  void select_services();

  static bool is_alias(const registry::Service& s) { return !s.external_name.empty(); }

  void select_virtual_services();

  // Istio computeWildcardHostVirtualServiceIndex: per service, the VS with its exact host, else
  // the VS with the most specific matching wildcard host (first VS in order on ties).
  void index_wildcard_virtual_services();

  // ---------------------------------------------------------------- route tables (§1.3, §2)

  RouteConfiguration build_route_config(std::uint32_t port);

  bool vs_matches_a_service(const VsInfo& v, const std::unordered_map<std::string, const registry::Service*>& by_name);

  // Istio separateVSHostsAndServices (I-ROUTE).
  void separate_hosts_and_services(const VsInfo& v,
                                   const std::unordered_map<std::string, const registry::Service*>& by_name,
                                   std::vector<std::string>* hosts, std::vector<const registry::Service*>* svcs);

  std::vector<Route> build_vs_routes(const VsInfo& v, std::uint32_t port,
                                     const std::unordered_map<std::string, const registry::Service*>& by_name);

  // Istio sourceMatchHTTP (§2.2).
  bool source_matches(const config::HTTPMatchRequest& m, std::string_view vs_namespace) const;

  std::optional<Route> translate_route(const VsInfo& v, std::size_t index, const config::HTTPMatchRequest* m,
                                       std::uint32_t port,
                                       const std::unordered_map<std::string, const registry::Service*>& by_name);

  // The steps of translate_route by action; false drops the rule (with a warning).
  bool apply_redirect(const config::HTTPRedirect& rd, const config::SourceLocation& location, const std::string& path,
                      std::uint32_t port, Route& r);
  bool apply_forward(const VsInfo& v, const config::HTTPRoute& rule, const std::string& path, std::uint32_t port,
                     const std::unordered_map<std::string, const registry::Service*>& by_name, std::string authority,
                     Route& r);
  void add_mirrors(const VsInfo& v, const config::HTTPRoute& rule, std::uint32_t port,
                   const std::unordered_map<std::string, const registry::Service*>& by_name, Route& r);

  StringMatcher to_matcher(const config::StringMatch& sm, const std::string& where, const VsInfo& v);

  static bool is_presence(const config::StringMatch& sm) {
    return sm.kind == config::StringMatch::Kind::Unset || sm.kind == config::StringMatch::Kind::Present ||
           (sm.kind == config::StringMatch::Kind::Regex && sm.value == "*");
  }

  RouteMatch translate_match(const config::HTTPMatchRequest* m, const VsInfo& v, const std::string& path);

  std::shared_ptr<const re2::RE2> regex(const std::string& pattern, const std::string& where, const VsInfo& v);

  // Istio GetDestinationCluster (§3.2). `by_name` is the per-port service view Istio passes on
  // sidecars: a destination service that has the listener port appears there with that single
  // port; one that lacks it is not found, so the listener port is used either way unless the
  // destination names a port. The name of a cluster that does not exist stays unresolved -> NC.
  WeightedCluster destination_cluster(const config::Destination& d, const VsInfo& v, std::uint32_t listener_port,
                                      const std::unordered_map<std::string, const registry::Service*>& by_name);

  const config::ConsistentHashLB* hash_for_destination(const config::Destination& d, const VsInfo& v);

  Route default_route(const registry::Service& s, std::uint32_t port);

  VirtualHost catch_all_vhost() const;

  // Istio generateVirtualHostDomains with ignore_port_in_host_matching (§1.5): FQDN and its
  // short forms valid from the proxy's namespace, aliases likewise, the cluster IP.
  void service_domains(const registry::Service& s, std::vector<std::string>* domains,
                       std::vector<std::string>* alt_hosts) const;

  std::vector<std::string> alt_virtual_hosts(const std::string& hostname) const;

  // ---------------------------------------------------------------- clusters (§3.2, §7)

  void build_clusters(ProxyConfig& cfg);

  Cluster make_cluster(const registry::Service& s, const registry::ServicePort& sp,
                       const detail::ConsolidatedDestinationRule* dr, const config::Subset* subset,
                       bool send_unhealthy);

  const config::ConfigStore& store_;
  const registry::Registry& reg_;
  const ProxyIdentity& proxy_;
  const MeshOptions& mesh_;
  config::Diagnostics* diags_;
  detail::DestinationRuleIndex drs_;

  // The "gateways" this proxy is: {"mesh"} for a sidecar, the selecting Gateways' "ns/name" for a
  // gateway proxy (docs/semantics.md §1.2, §11).
  std::vector<std::string> gateway_set_{"mesh"};
  bool gateway_mode_ = false;

  bool in_gateway_set(std::string_view g) const {
    return std::find(gateway_set_.begin(), gateway_set_.end(), g) != gateway_set_.end();
  }

 public:
  // Istio resolveGatewayName (docs/semantics.md §1.1): bare and "./" names take the VirtualService's
  // namespace; "name.ns.svc.<domain>" becomes "ns/name"; "mesh" stays.
  static std::string normalize_gateway(std::string_view g, std::string_view vs_namespace);

 private:
  const config::Sidecar* sidecar_ = nullptr;
  std::string outbound_policy_;
  std::unordered_map<std::string, std::vector<std::string>> imports_;  // namespace -> dns names
  std::vector<const registry::Service*> services_;
  std::unordered_map<std::string, const registry::Service*> service_by_host_;
  std::unordered_map<std::string, std::vector<const registry::Service*>> aliases_;  // target -> ExternalNames
  std::vector<VsInfo> vses_;
  std::deque<detail::MergedVirtualService> merged_;  // stable addresses for VsInfo::vs
  std::unordered_map<std::string, std::size_t> vs_for_service_;
  std::unordered_map<std::string, std::shared_ptr<const re2::RE2>> regex_cache_;
};


}  // namespace meshtwin::xds::detail
