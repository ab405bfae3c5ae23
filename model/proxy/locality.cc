#include "model/proxy/locality.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <tuple>

namespace meshtwin::proxy {

Locality split_locality(std::string_view label) {
  // Go's strings.Split: "a" -> (a), "a/b" -> (a, b), "a/b/c/d" -> (a, b, c) (rest ignored).
  Locality out;
  const auto first = label.find('/');
  out.region = label.substr(0, first);
  if (first == std::string_view::npos) return out;
  std::string_view rest = label.substr(first + 1);
  const auto second = rest.find('/');
  out.zone = rest.substr(0, second);
  if (second == std::string_view::npos) return out;
  rest = rest.substr(second + 1);
  out.subzone = rest.substr(0, rest.find('/'));
  return out;
}

bool locality_matches(const Locality& proxy, std::string_view rule) {
  const Locality r = split_locality(rule);
  const bool region = r.region == "*" || proxy.region == r.region;
  const bool zone = r.zone == "*" || r.zone.empty() || proxy.zone == r.zone;
  const bool subzone = r.subzone == "*" || r.subzone.empty() || proxy.subzone == r.subzone;
  return region && zone && subzone;
}

std::uint32_t locality_lb_priority(const Locality& proxy, const Locality& endpoint) {
  if (proxy.region != endpoint.region) return 3;
  if (proxy.zone != endpoint.zone) return 2;
  if (proxy.subzone != endpoint.subzone) return 1;
  return 0;
}

ResolvedLocalitySetting resolve_locality_setting(const config::LocalityLbSetting* destination_rule,
                                                 std::string_view traffic_distribution,
                                                 const config::LocalityLbSetting* mesh) {
  ResolvedLocalitySetting out;
  if (destination_rule) {
    if (destination_rule->enabled && !*destination_rule->enabled) return out;
    out.enabled = true;
    out.setting = *destination_rule;
    return out;
  }
  // Kubernetes deprecated PreferClose as an alias of PreferSameZone (1.34); Istio treats both
  // the same way.
  if (traffic_distribution == "PreferClose" || traffic_distribution == "PreferSameZone") {
    out.enabled = true;
    out.force_failover = true;
    out.setting.failover_priority = {std::string(kNetworkLabel), std::string(kRegionLabel),
                                     std::string(kZoneLabel)};
    return out;
  }
  if (traffic_distribution == "PreferSameNode") {
    out.enabled = true;
    out.force_failover = true;
    out.setting.failover_priority = {std::string(kNetworkLabel), std::string(kRegionLabel),
                                     std::string(kZoneLabel), std::string(kSubzoneLabel),
                                     std::string(kHostnameLabel)};
    return out;
  }
  if (mesh) {
    if (mesh->enabled && !*mesh->enabled) return out;
    out.setting = *mesh;
  }
  out.enabled = true;  // meshConfig.localityLbSetting defaults to enabled
  return out;
}

namespace {

// A LocalityLbEndpoints group while istiod builds it.
struct Group {
  Locality locality;
  std::vector<std::uint32_t> endpoints;
  std::uint32_t weight = 0;
  std::uint32_t priority = 0;
};

// Label value as Istio sees it after AugmentLabels: the topology labels come from the locality
// when it has that part, overriding pod labels of the same name.
std::string_view label_value(const config::Labels* labels, const Locality& locality,
                             std::string_view key) {
  if (key == kRegionLabel && !locality.region.empty()) return locality.region;
  if (key == kZoneLabel && !locality.zone.empty()) return locality.zone;
  if (key == kSubzoneLabel && !locality.subzone.empty()) return locality.subzone;
  if (labels) {
    const auto it = labels->find(std::string(key));
    if (it != labels->end()) return it->second;
  }
  return {};
}

// Priorities must run 0..N without gaps (Envoy rejects gaps): keep the order, renumber.
void compact_priorities(std::vector<Group>& groups) {
  std::vector<std::uint32_t> distinct;
  for (const Group& g : groups) distinct.push_back(g.priority);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  for (Group& g : groups) {
    g.priority = static_cast<std::uint32_t>(
        std::lower_bound(distinct.begin(), distinct.end(), g.priority) - distinct.begin());
  }
}

void apply_distribute(const Locality& caller, const config::LocalityLbSetting& setting,
                      std::vector<Group>& groups, std::vector<bool>& removed) {
  for (const config::LocalityDistribute& rule : setting.distribute) {
    if (!locality_matches(caller, rule.from)) continue;
    std::vector<bool> unmatched(groups.size(), true);
    // Istio iterates a Go map here (random order); overlapping `to` patterns are therefore
    // ambiguous there. We take them in sorted order.
    for (const auto& [to, weight] : rule.to) {
      std::vector<std::size_t> claimed;
      std::uint32_t total = 0;
      for (std::size_t g = 0; g < groups.size(); ++g) {
        if (!unmatched[g] || !locality_matches(groups[g].locality, to)) continue;
        unmatched[g] = false;
        claimed.push_back(g);
        total += groups[g].weight;
      }
      for (std::size_t g : claimed) {
        // Go multiplies in uint32 before converting to float64.
        const std::uint32_t product = groups[g].weight * weight;
        const double share = static_cast<double>(product) / static_cast<double>(total);
        if (share > 0) groups[g].weight = static_cast<std::uint32_t>(std::ceil(share));
      }
    }
    for (std::size_t g = 0; g < groups.size(); ++g) {
      if (unmatched[g]) removed[g] = true;
    }
    break;  // only the first matching rule applies
  }
}

void apply_failover_priority(const LocalityCaller& caller, const Locality& caller_locality,
                             const std::vector<std::string>& failover_priority,
                             std::span<const LocalityEndpoint> endpoints,
                             std::vector<Group>& groups) {
  // "label=value" pins the value instead of taking the caller's (Go strings.Split on '=').
  struct Key {
    std::string name;
    std::optional<std::string> pinned;
  };
  std::vector<Key> keys;
  for (const std::string& entry : failover_priority) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos) {
      keys.push_back({entry, std::nullopt});
    } else if (entry.find('=', eq + 1) == std::string::npos) {
      keys.push_back({entry.substr(0, eq), entry.substr(eq + 1)});
    } else {
      keys.push_back({entry.substr(0, eq), std::nullopt});
    }
  }
  const auto n = static_cast<std::uint32_t>(keys.size());
  std::vector<Group> split;
  for (const Group& g : groups) {
    std::map<std::uint32_t, Group> by_priority;
    for (std::uint32_t e : g.endpoints) {
      const LocalityEndpoint& ep = endpoints[e];
      const Locality ep_locality = split_locality(ep.locality);
      std::uint32_t priority = 0;
      for (std::uint32_t j = 0; j < n; ++j) {
        const std::string_view want =
            keys[j].pinned ? std::string_view(*keys[j].pinned)
                           : label_value(caller.labels, caller_locality, keys[j].name);
        if (want != label_value(ep.labels, ep_locality, keys[j].name)) {
          priority = n - j;
          break;
        }
      }
      Group& out = by_priority[priority];
      out.locality = g.locality;
      out.priority = priority;
      out.endpoints.push_back(e);
      out.weight += ep.weight;
    }
    for (auto& [priority, out] : by_priority) split.push_back(std::move(out));
  }
  groups = std::move(split);
  compact_priorities(groups);
}

void apply_locality_failover(const Locality& caller, const config::LocalityLbSetting& setting,
                             std::vector<Group>& groups) {
  for (Group& g : groups) {
    std::uint32_t p = locality_lb_priority(caller, g.locality);
    if (p == 3) {
      for (const config::LocalityFailover& f : setting.failover) {
        if (f.from == caller.region) {
          if (g.locality.region != f.to) p = 4;
          break;
        }
      }
    }
    // At most 5 locality levels, so ×5 keeps an earlier failoverPriority order intact.
    g.priority = g.priority * 5 + p;
  }
  compact_priorities(groups);
}

}  // namespace

LocalityPlan plan_localities(const ResolvedLocalitySetting& setting, bool has_outlier_detection,
                             const LocalityCaller& caller,
                             std::span<const LocalityEndpoint> endpoints) {
  const Locality caller_locality = split_locality(caller.locality);

  // EDS groups endpoints by locality label, sorted by label.
  std::map<std::string_view, std::vector<std::uint32_t>> by_label;
  for (std::uint32_t e = 0; e < endpoints.size(); ++e) by_label[endpoints[e].locality].push_back(e);
  std::vector<Group> groups;
  for (auto& [label, members] : by_label) {
    Group g{split_locality(label), std::move(members), 0, 0};
    for (std::uint32_t e : g.endpoints) g.weight += endpoints[e].weight;
    groups.push_back(std::move(g));
  }

  LocalityPlan plan;
  plan.failover_enabled = setting.enabled && (has_outlier_detection || setting.force_failover);
  std::vector<bool> removed(groups.size(), false);
  if (setting.enabled) {
    const config::LocalityLbSetting& s = setting.setting;
    if (!s.distribute.empty()) {
      apply_distribute(caller_locality, s, groups, removed);
    } else if (plan.failover_enabled) {
      if (!s.failover_priority.empty()) {
        apply_failover_priority(caller, caller_locality, s.failover_priority, endpoints, groups);
        removed.assign(groups.size(), false);
        if (!s.failover.empty()) apply_locality_failover(caller_locality, s, groups);
      } else {
        apply_locality_failover(caller_locality, s, groups);
      }
    }
    plan.locality_weighted =
        !s.distribute.empty() ||
        (plan.failover_enabled && (!s.failover.empty() || !s.failover_priority.empty()));
  }

  // Envoy's order of localities inside a priority: the caller's own first, then by
  // (region, zone, subzone).
  std::vector<std::size_t> order;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (!removed[g]) order.push_back(g);
  }
  auto key = [&](std::size_t g) {
    const Locality& l = groups[g].locality;
    const bool local = l.region == caller_locality.region && l.zone == caller_locality.zone &&
                       l.subzone == caller_locality.subzone;
    return std::make_tuple(groups[g].priority, !local, l.region, l.zone, l.subzone);
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return key(a) < key(b); });

  plan.priority.assign(endpoints.size(), 0);
  plan.group.assign(endpoints.size(), LocalityPlan::kNotSent);
  std::uint32_t max_priority = 0;
  for (std::size_t id = 0; id < order.size(); ++id) {
    const Group& g = groups[order[id]];
    plan.group_weight.push_back(g.weight);
    for (std::uint32_t e : g.endpoints) {
      plan.priority[e] = g.priority;
      plan.group[e] = static_cast<std::int32_t>(id);
    }
    max_priority = std::max(max_priority, g.priority);
  }
  plan.priority_count = order.empty() ? 1 : max_priority + 1;
  return plan;
}

}  // namespace meshtwin::proxy
