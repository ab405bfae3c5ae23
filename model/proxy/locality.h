#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "model/config/resources.h"

namespace meshtwin::proxy {

// A Kubernetes locality "region/zone/subzone" split like Istio's SplitLocalityLabel (missing
// parts are empty). Views into the label.
struct Locality {
  std::string_view region, zone, subzone;
};
Locality split_locality(std::string_view label);

// Istio's util.LocalityMatch: does `proxy` match a rule locality such as "us-east/*",
// "us-east/zone1" or "*"? Region must match (or be "*"); zone and subzone match when equal,
// "*" or absent from the rule.
bool locality_matches(const Locality& proxy, std::string_view rule);

// Istio's util.LbPriority: 0 same region+zone+subzone, 1 same region+zone, 2 same region, 3
// other regions.
std::uint32_t locality_lb_priority(const Locality& proxy, const Locality& endpoint);

// Label keys Istio adds to proxy and endpoint labels from their locality (AugmentLabels), used
// by failoverPriority and trafficDistribution.
inline constexpr std::string_view kRegionLabel = "topology.kubernetes.io/region";
inline constexpr std::string_view kZoneLabel = "topology.kubernetes.io/zone";
inline constexpr std::string_view kSubzoneLabel = "topology.istio.io/subzone";
inline constexpr std::string_view kNetworkLabel = "topology.istio.io/network";
inline constexpr std::string_view kHostnameLabel = "kubernetes.io/hostname";

struct LocalityEndpoint {
  std::string_view locality;               // "region/zone/subzone" of the pod's node; may be empty
  const config::Labels* labels = nullptr;  // pod labels (topology labels are derived from locality)
  std::uint32_t weight = 1;                // the endpoint's load-balancing weight
};

struct LocalityCaller {
  std::string_view locality;
  const config::Labels* labels = nullptr;
};

// What istiod's EDS gives one calling proxy for one cluster, endpoint by endpoint (docs/semantics.md
// §7.5, I-LB, I-EB): the Envoy priority of every endpoint and the LocalityLbEndpoints group it
// travels in, with the group's load_balancing_weight.
//
// Groups are numbered in the order Envoy keeps localities inside a priority: by priority, then
// the caller's own locality first, then by (region, zone, subzone). LoadBalancer uses the group
// id as LbHost::locality and group_weight as its locality weights, so that order also breaks
// ties in the locality scheduler the way Envoy does.
struct LocalityPlan {
  static constexpr std::int32_t kNotSent = -1;
  std::vector<std::uint32_t> priority;      // per endpoint, compacted to 0..priority_count-1
  std::vector<std::int32_t> group;          // per endpoint; kNotSent: distribute left it out
  std::vector<std::uint32_t> group_weight;  // per group
  std::uint32_t priority_count = 1;
  // Istio turns on Envoy's locality-weighted LB (locality_weighted_lb_config) when distribute
  // is set, or failover/failoverPriority is given and failover is enabled.
  bool locality_weighted = false;
  // Failover was enabled (outlier detection configured, or forced by trafficDistribution).
  bool failover_enabled = false;
};

// The locality settings in force for a cluster, resolved like Istio's GetLocalityLbSetting:
// the DestinationRule's localityLbSetting (enabled: false -> none), else the Service's
// trafficDistribution (PreferClose / PreferSameZone -> failoverPriority [network, region,
// zone]; PreferSameNode -> [network, region, zone, subzone, hostname]; both force failover),
// else the mesh setting (`mesh` nullptr = Istio's default: enabled, nothing configured).
struct ResolvedLocalitySetting {
  bool enabled = false;
  bool force_failover = false;
  config::LocalityLbSetting setting;
};
ResolvedLocalitySetting resolve_locality_setting(const config::LocalityLbSetting* destination_rule,
                                                 std::string_view traffic_distribution,
                                                 const config::LocalityLbSetting* mesh = nullptr);

// Istio's ApplyLocalityLoadBalancer over the endpoints of one cluster for one caller:
// * endpoints are grouped by locality (sorted labels), group weight = sum of endpoint weights;
// * `distribute`: for the first rule whose `from` matches the caller, each group matching a `to`
//   entry gets weight ceil(group_weight × w / Σ matching group weights); groups matching no
//   `to` entry are removed (kNotSent). Failover is then not applied.
// * otherwise, only when failover is enabled (`has_outlier_detection` or forced):
//   failoverPriority labels split groups by how many leading labels match the caller
//   (mismatch at label j of n -> n − j, all match -> 0), then the region/zone/subzone
//   priorities (failover{from,to} pushing non-`to` regions to 4) are applied on top
//   (priority × 5 + locality priority); priorities are compacted to 0..N after each step.
// Without failover every endpoint is priority 0: no locality preference at all (§16.1 item 11).
// Cost: O(n log n) in the number of endpoints; allocates the result.
LocalityPlan plan_localities(const ResolvedLocalitySetting& setting, bool has_outlier_detection,
                             const LocalityCaller& caller,
                             std::span<const LocalityEndpoint> endpoints);

}  // namespace meshtwin::proxy
