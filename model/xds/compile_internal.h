// Internal pieces of the compile half shared by the model/xds sources and their tests. Not a
// contract for other folders: use model/xds/proxy_config.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/config/config_store.h"
#include "model/xds/proxy_config.h"

namespace meshtwin::xds::detail {

inline constexpr std::string_view kRootNamespace = "istio-system";

std::string to_lower(std::string_view s);

// "1.23", "1.23.4", "v1.31.0-rc.0" -> (major, minor); unparsable -> current (1, 31).
std::pair<int, int> parse_istio_version(std::string_view version);
bool istio_version_at_most(std::string_view version, int major, int minor);

// Istio's retry.ConvertPolicy (I-RETRY, docs/semantics.md §5.1): `in == nullptr` -> the default policy;
// attempts <= 0 -> nullopt (no policy at all).
std::optional<RetryPolicy> convert_retry_policy(const config::HTTPRetry* in, bool consistent_hash,
                                                const MeshOptions& mesh);

// Istio host.Name semantics.
bool is_wildcard_host(std::string_view h);
// host.Name.Matches: true when the two hosts intersect (either side may be a wildcard).
bool hosts_match(std::string_view a, std::string_view b);
// Whether wildcard `a` is more specific than `b` (longer wins).
bool more_specific(std::string_view a, std::string_view b);
// Istio host.Name.SubsetOf: `a` lies within `b`.
inline bool host_subset_of(std::string_view a, std::string_view b) {
  if (is_wildcard_host(a)) return is_wildcard_host(b) && a.substr(1).ends_with(b.substr(1));
  if (is_wildcard_host(b)) return a.ends_with(b.substr(1));
  return a == b;
}

// The Sidecar resource scoping a proxy (§12.3): a Sidecar of the proxy's namespace whose
// workloadSelector selects it, else the namespace's selector-less Sidecar, else the root
// namespace's selector-less one; nullptr when none.
const config::Sidecar* select_sidecar_resource(const config::ConfigStore& store, const ProxyIdentity& proxy);

// exportTo visibility (docs/semantics.md §1.2): empty = "*"; "." = the owner's namespace; "~" = nobody.
bool exported_to(const std::vector<std::string>& export_to, std::string_view owner_namespace,
                 std::string_view target_namespace);

bool labels_subset(const config::Labels& subset, const config::Labels& of);

// ------------------------------------------------------------------ DestinationRules (§7.1)

// Same-host DestinationRules of one namespace merged as Istio does (I-DR mergeDestinationRule):
// subsets concatenated (first definition of a name wins), first non-empty trafficPolicy wins.
struct ConsolidatedDestinationRule {
  std::string host;  // resolved, lower case
  std::string namespace_;
  std::string name;  // "ns/name" of the first (oldest) rule
  std::optional<config::Labels> workload_selector;
  std::vector<std::string> export_to;
  const config::TrafficPolicy* traffic_policy = nullptr;
  std::vector<const config::Subset*> subsets;
};

class DestinationRuleIndex {
 public:
  DestinationRuleIndex(const config::ConfigStore& store, std::string_view domain);

  // The rule that applies to traffic from `proxy` to `host` (a service in `service_namespace`):
  // the proxy's namespace, then the service's, then the root namespace; exact host before the
  // most specific wildcard; workloadSelector rules first. nullptr when none applies.
  const ConsolidatedDestinationRule* lookup(const ProxyIdentity& proxy, std::string_view host,
                                            std::string_view service_namespace) const;

 private:
  struct NamespaceRules {
    std::vector<ConsolidatedDestinationRule> rules;  // selector rules first, then creation order
    std::unordered_map<std::string, std::vector<std::size_t>> by_host;  // exact hosts
    std::vector<std::size_t> wildcards;
  };
  // Consolidated rules of `ns` visible under `filter`, matching the host most specifically, then
  // the one picked for the proxy (Istio SidecarScope.DestinationRule).
  const ConsolidatedDestinationRule* pick(const std::vector<const ConsolidatedDestinationRule*>& candidates,
                                          const ProxyIdentity& proxy, std::string_view host,
                                          bool* host_found) const;
  std::unordered_map<std::string, NamespaceRules> by_namespace_;
};

// The traffic policy of one cluster after docs/semantics.md §7.3 (top-level -> portLevelSettings replace
// whole -> subset block by block).
struct ResolvedPolicy {
  std::optional<config::LoadBalancerSettings> load_balancer;
  std::optional<config::ConnectionPoolSettings> connection_pool;
  std::optional<config::OutlierDetection> outlier_detection;
  std::optional<config::ClientTLSSettings> tls;
  std::optional<config::RetryBudget> retry_budget;
};
ResolvedPolicy resolve_policy(const config::TrafficPolicy* top, const config::TrafficPolicy* subset,
                              std::uint32_t port);

// docs/semantics.md §7.4.
LbPolicy to_lb_policy(const std::optional<config::LoadBalancerSettings>& lb);

// The consistent-hash settings a route to (host, subset, port) carries (I-ROUTE
// hashForHTTPDestination): subset port-level > subset > top-level port-level > top-level.
const config::ConsistentHashLB* consistent_hash_for(const ConsolidatedDestinationRule* dr,
                                                    std::string_view subset, std::uint32_t port);

// ------------------------------------------------------------------ delegation (§1.4)

bool is_root_virtual_service(const config::VirtualService& vs);

// A root VirtualService with its delegate rules merged in. `rule_ids[i]` is the vs_rule of
// `vs.http[i]`: "ns/root#http[i]" for the root's own rules, "ns/delegate#http[j]" for merged ones.
// Destination hosts are already resolved to FQDNs (each in its own VS's namespace).
struct MergedVirtualService {
  config::VirtualService vs;
  std::vector<std::string> rule_ids;
};
MergedVirtualService merge_delegates(const config::VirtualService& root, const config::ConfigStore& store,
                                     std::string_view domain, config::Diagnostics* diags);

}  // namespace meshtwin::xds::detail
