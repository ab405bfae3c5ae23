// Retry policy translation (docs/semantics.md §5.1, §5.3), DestinationRule lookup and merging (§7.1)
// and per-cluster policy resolution (§7.3, §7.4).
#include <algorithm>
#include <array>
#include <charconv>
#include <set>
#include <unordered_map>

#include "model/registry/registry.h"
#include "model/xds/compile_internal.h"

namespace meshtwin::xds {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Go's http.StatusText(code) != "": the codes Istio accepts as retriable status codes.
bool is_known_http_status(int c) {
  if (c >= 100 && c <= 103) return true;
  if (c >= 200 && c <= 208) return true;
  if (c == 226) return true;
  if (c >= 300 && c <= 308 && c != 306) return true;
  if (c >= 400 && c <= 418) return true;
  if (c >= 421 && c <= 426 && c != 427) return true;
  if (c == 428 || c == 429 || c == 431 || c == 451) return true;
  if (c >= 500 && c <= 508) return true;
  if (c == 510 || c == 511) return true;
  return false;
}

}  // namespace

std::uint32_t parse_retry_on(std::string_view text, std::vector<std::uint32_t>* status_codes) {
  struct Entry {
    std::string_view name;
    std::uint32_t bit;
  };
  static constexpr std::array<Entry, 16> kNames{{
      {"5xx", kRetry5xx},
      {"gateway-error", kRetryGatewayError},
      {"reset", kRetryReset},
      {"reset-before-request", kRetryResetBeforeRequest},
      {"connect-failure", kRetryConnectFailure},
      {"retriable-4xx", kRetryRetriable4xx},
      {"refused-stream", kRetryRefusedStream},
      {"retriable-status-codes", kRetryRetriableStatusCodes},
      {"retriable-headers", kRetryRetriableHeaders},
      {"envoy-ratelimited", kRetryEnvoyRateLimited},
      {"http3-post-connect-failure", kRetryHttp3PostConnectFailure},
      {"cancelled", kRetryGrpcCancelled},
      {"deadline-exceeded", kRetryGrpcDeadlineExceeded},
      {"resource-exhausted", kRetryGrpcResourceExhausted},
      {"unavailable", kRetryGrpcUnavailable},
      {"internal", kRetryGrpcInternal},
  }};
  std::uint32_t bits = 0;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view token = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (token.empty()) continue;
    int code = 0;
    auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), code);
    if (ec == std::errc() && ptr == token.data() + token.size() && is_known_http_status(code)) {
      // Istio parseRetryOn: integers that are HTTP statuses become retriable status codes and
      // imply retriable-status-codes (I-RETRY ConvertPolicy).
      if (status_codes) status_codes->push_back(static_cast<std::uint32_t>(code));
      bits |= kRetryRetriableStatusCodes;
      continue;
    }
    for (const auto& e : kNames) {
      if (token == e.name) {
        bits |= e.bit;
        break;
      }
    }
    // Unknown tokens are ignored, as Envoy does (§5.3).
  }
  return bits;
}

namespace detail {

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::pair<int, int> parse_istio_version(std::string_view v) {
  if (!v.empty() && (v.front() == 'v' || v.front() == 'V')) v.remove_prefix(1);
  int major = 0, minor = 0;
  auto [p1, e1] = std::from_chars(v.data(), v.data() + v.size(), major);
  if (e1 != std::errc() || p1 == v.data() + v.size() || *p1 != '.') return {1, 31};
  auto [p2, e2] = std::from_chars(p1 + 1, v.data() + v.size(), minor);
  if (e2 != std::errc()) return {1, 31};
  return {major, minor};
}

bool istio_version_at_most(std::string_view version, int major, int minor) {
  const auto [ma, mi] = parse_istio_version(version);
  return ma < major || (ma == major && mi <= minor);
}

std::optional<RetryPolicy> convert_retry_policy(const config::HTTPRetry* in, bool consistent_hash,
                                                const MeshOptions& mesh) {
  RetryPolicy out;
  out.num_retries = 2;
  out.retry_on = kRetryConnectFailure | kRetryRefusedStream | kRetryGrpcUnavailable | kRetryGrpcCancelled |
                 kRetryRetriableStatusCodes;
  // Istio 1.24 stopped retrying upstream 503s by default (EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY).
  if (istio_version_at_most(mesh.istio_version, 1, 23)) out.retriable_status_codes = {503};
  out.host_selection_retry_max_attempts = 5;
  // Consistent hashing keeps retries on the hashed host: no previous-hosts predicate (1.23+).
  out.previous_hosts_predicate = !consistent_hash;
  if (in == nullptr) return out;
  if (in->attempts <= 0) return std::nullopt;  // explicitly disabled
  out.num_retries = static_cast<std::uint32_t>(in->attempts);
  if (in->retry_on && !in->retry_on->empty()) {
    out.retriable_status_codes.clear();
    out.retry_on = parse_retry_on(*in->retry_on, &out.retriable_status_codes);
  }
  if (in->per_try_timeout) out.per_try_timeout = *in->per_try_timeout;
  if (in->retry_ignore_previous_hosts) out.previous_hosts_predicate = *in->retry_ignore_previous_hosts;
  out.retry_remote_localities = in->retry_remote_localities;
  if (in->backoff && *in->backoff > SimDuration{}) {
    // Envoy: max interval defaults to 10 x base (E-RETRY).
    out.backoff_base = *in->backoff;
    out.backoff_max = 10 * *in->backoff;
  }
  return out;
}

bool is_wildcard_host(std::string_view h) { return !h.empty() && h.front() == '*'; }

bool hosts_match(std::string_view a, std::string_view b) {
  const bool aw = is_wildcard_host(a), bw = is_wildcard_host(b);
  if (aw && bw) {
    std::string_view as = a.substr(1), bs = b.substr(1);
    return as.size() < bs.size() ? bs.ends_with(as) : as.ends_with(bs);
  }
  if (aw) return b.ends_with(a.substr(1));
  if (bw) return a.ends_with(b.substr(1));
  return a == b;
}

bool more_specific(std::string_view a, std::string_view b) {
  // Istio host.MoreSpecific: a non-wildcard beats a wildcard; otherwise the longer one.
  const bool aw = is_wildcard_host(a), bw = is_wildcard_host(b);
  if (aw != bw) return !aw;
  return a.size() > b.size();
}

bool exported_to(const std::vector<std::string>& export_to, std::string_view owner_namespace,
                 std::string_view target_namespace) {
  if (export_to.empty()) return true;  // mesh default "*"
  for (const auto& e : export_to) {
    if (e == "*") return true;
    if (e == "." && owner_namespace == target_namespace) return true;
    if (e == target_namespace) return true;
  }
  return false;
}

bool labels_subset(const config::Labels& subset, const config::Labels& of) {
  for (const auto& [k, v] : subset) {
    auto it = of.find(k);
    if (it == of.end() || it->second != v) return false;
  }
  return true;
}

// ------------------------------------------------------------------ DestinationRules

DestinationRuleIndex::DestinationRuleIndex(const config::ConfigStore& store, std::string_view domain) {
  // Istio sorts selector rules first, then by creation time (sortConfigBySelectorAndCreationTime);
  // the store is already in creation order, so a stable partition suffices.
  std::vector<const config::DestinationRule*> ordered;
  for (const auto& dr : store.destination_rules()) ordered.push_back(&dr);
  std::stable_partition(ordered.begin(), ordered.end(),
                        [](const config::DestinationRule* d) { return d->workload_selector.has_value(); });

  // The rules a DestinationRule may merge into, by "namespace/host", in order: scanning every
  // earlier rule of the namespace instead made each proxy compile O(N^2) in DestinationRules.
  std::unordered_map<std::string, std::vector<std::size_t>> same_host;
  for (const config::DestinationRule* dr : ordered) {
    std::string host = to_lower(registry::resolve_short_name(dr->host, dr->meta.namespace_, domain));
    auto& rules = by_namespace_[dr->meta.namespace_].rules;
    auto& candidates = same_host[dr->meta.namespace_ + "/" + host];
    const std::set<std::string> exports(dr->export_to.begin(), dr->export_to.end());
    ConsolidatedDestinationRule* target = nullptr;
    for (std::size_t i : candidates) {
      auto& existing = rules[i];
      if (existing.workload_selector.has_value() != dr->workload_selector.has_value()) continue;
      if (existing.workload_selector && *existing.workload_selector != *dr->workload_selector) continue;
      if (std::set<std::string>(existing.export_to.begin(), existing.export_to.end()) != exports) continue;
      target = &existing;
      break;
    }
    if (!target) {
      ConsolidatedDestinationRule c;
      c.host = host;
      c.namespace_ = dr->meta.namespace_;
      c.name = dr->meta.namespace_ + "/" + dr->meta.name;
      c.workload_selector = dr->workload_selector;
      c.export_to = dr->export_to;
      rules.push_back(std::move(c));
      candidates.push_back(rules.size() - 1);
      target = &rules.back();
    }
    // Merge: first trafficPolicy wins, subsets concatenated with first definition of a name
    // winning (I-DR mergeDestinationRule).
    if (!target->traffic_policy && dr->traffic_policy) target->traffic_policy = &*dr->traffic_policy;
    for (const auto& s : dr->subsets) {
      const bool dup = std::any_of(target->subsets.begin(), target->subsets.end(),
                                   [&](const config::Subset* e) { return e->name == s.name; });
      if (!dup) target->subsets.push_back(&s);
    }
  }
  for (auto& [ns, nr] : by_namespace_) {
    for (std::size_t i = 0; i < nr.rules.size(); ++i) {
      if (is_wildcard_host(nr.rules[i].host)) nr.wildcards.push_back(i);
      else nr.by_host[nr.rules[i].host].push_back(i);
    }
  }
}

const ConsolidatedDestinationRule* DestinationRuleIndex::pick(
    const std::vector<const ConsolidatedDestinationRule*>& candidates, const ProxyIdentity& proxy,
    std::string_view host, bool* host_found) const {
  // Istio MostSpecificHostMatch: the exact host first, else the most specific wildcard; then only
  // the rules of that one host key compete (no fallback to a less specific key).
  const std::string* best = nullptr;
  for (const auto* c : candidates) {
    if (c->host == host) {
      best = &c->host;
      break;
    }
  }
  if (!best) {
    for (const auto* c : candidates) {
      if (!is_wildcard_host(c->host)) continue;
      const std::string_view suffix = std::string_view(c->host).substr(1);
      const bool covers = is_wildcard_host(host) ? host.substr(1).ends_with(suffix) : host.ends_with(suffix);
      if (covers && (!best || more_specific(c->host, *best))) best = &c->host;
    }
  }
  *host_found = best != nullptr;
  if (!best) return nullptr;
  // SidecarScope.DestinationRule: a workloadSelector rule of the proxy's namespace that selects
  // the proxy wins; else the selector-less rule.
  const ConsolidatedDestinationRule* catch_all = nullptr;
  for (const auto* c : candidates) {
    if (c->host != *best) continue;
    if (!c->workload_selector) {
      if (!catch_all) catch_all = c;
      continue;
    }
    if (c->namespace_ == proxy.namespace_ && labels_subset(*c->workload_selector, proxy.labels)) return c;
  }
  return catch_all;
}

const ConsolidatedDestinationRule* DestinationRuleIndex::lookup(const ProxyIdentity& proxy, std::string_view host,
                                                                std::string_view service_namespace) const {
  const std::string host_lc = to_lower(host);
  // Only rules that can match this host: the exact host key and the wildcard keys (indexed, so a
  // mesh with thousands of rules does not scan them all per lookup).
  auto rules_in = [&](std::string_view ns, auto&& visible) {
    std::vector<const ConsolidatedDestinationRule*> out;
    auto it = by_namespace_.find(std::string(ns));
    if (it == by_namespace_.end()) return out;
    const NamespaceRules& nr = it->second;
    std::vector<std::size_t> idx;
    if (auto h = nr.by_host.find(host_lc); h != nr.by_host.end()) idx = h->second;
    idx.insert(idx.end(), nr.wildcards.begin(), nr.wildcards.end());
    std::sort(idx.begin(), idx.end());  // keep the selector-first, oldest-first order
    for (std::size_t i : idx)
      if (visible(nr.rules[i])) out.push_back(&nr.rules[i]);
    return out;
  };
  const bool in_root = proxy.namespace_ == kRootNamespace;
  bool found = false;
  // 1. The proxy's own namespace; a host match there ends the search even when the matching
  //    rules turn out not to apply to this proxy (I-PC destinationRule). In the root namespace
  //    only its private rules count here, so that mesh-wide rules do not shadow service ones.
  auto local = rules_in(proxy.namespace_, [&](const ConsolidatedDestinationRule& r) {
    if (!in_root) return exported_to(r.export_to, r.namespace_, proxy.namespace_);
    return !r.export_to.empty() && std::all_of(r.export_to.begin(), r.export_to.end(), [&](const std::string& e) {
      return e == "." || e == kRootNamespace;
    });
  });
  const ConsolidatedDestinationRule* r = pick(local, proxy, host_lc, &found);
  if (found) return r;
  // 2. The service's namespace, 3. the root namespace: rules exported to the proxy's namespace.
  //    workloadSelector rules are private to their namespace and never apply from here.
  for (std::string_view ns : {service_namespace, kRootNamespace}) {
    if (ns == proxy.namespace_ && !in_root) continue;  // already searched
    auto c = rules_in(ns, [&](const ConsolidatedDestinationRule& d) {
      return !d.workload_selector && exported_to(d.export_to, d.namespace_, proxy.namespace_);
    });
    r = pick(c, proxy, host_lc, &found);
    if (found && r) return r;
  }
  return nullptr;
}

// ------------------------------------------------------------------ policy resolution

namespace {

// Istio GetPortLevelTrafficPolicy: a matching portLevelSettings entry replaces loadBalancer,
// connectionPool, outlierDetection and tls entirely (unset ones become defaults).
ResolvedPolicy port_level(const config::TrafficPolicy& tp, std::uint32_t port, bool* is_port_level) {
  ResolvedPolicy out;
  out.retry_budget = tp.retry_budget;
  for (const auto& p : tp.port_level_settings) {
    if (p.port == port && port != 0) {
      out.load_balancer = p.load_balancer;
      out.connection_pool = p.connection_pool;
      out.outlier_detection = p.outlier_detection;
      out.tls = p.tls;
      *is_port_level = true;
      return out;
    }
  }
  out.load_balancer = tp.load_balancer;
  out.connection_pool = tp.connection_pool;
  out.outlier_detection = tp.outlier_detection;
  out.tls = tp.tls;
  *is_port_level = false;
  return out;
}

}  // namespace

ResolvedPolicy resolve_policy(const config::TrafficPolicy* top, const config::TrafficPolicy* subset,
                              std::uint32_t port) {
  bool top_pl = false, sub_pl = false;
  ResolvedPolicy base = top ? port_level(*top, port, &top_pl) : ResolvedPolicy{};
  if (!subset) return base;
  ResolvedPolicy sub = port_level(*subset, port, &sub_pl);
  if (!top) return sub;
  // Istio MergeSubsetTrafficPolicy: block by block; a subset port-level entry replaces all four.
  if (sub.connection_pool || sub_pl) base.connection_pool = sub.connection_pool;
  if (sub.load_balancer || sub_pl) base.load_balancer = sub.load_balancer;
  if (sub.outlier_detection || sub_pl) base.outlier_detection = sub.outlier_detection;
  if (sub.tls || sub_pl) base.tls = sub.tls;
  if (subset->retry_budget) base.retry_budget = subset->retry_budget;
  return base;
}

LbPolicy to_lb_policy(const std::optional<config::LoadBalancerSettings>& lb) {
  LbPolicy out;  // LEAST_REQUEST by default (Istio 1.14+)
  if (!lb) return out;
  if (lb->consistent_hash) {
    const auto& ch = *lb->consistent_hash;
    out.hash = ch;
    if (ch.algorithm == config::ConsistentHashLB::Algorithm::Maglev) {
      out.kind = LbPolicy::Kind::Maglev;
      out.maglev_table_size = ch.maglev_table_size ? ch.maglev_table_size : 65537;
    } else {
      out.kind = LbPolicy::Kind::RingHash;
      out.minimum_ring_size = ch.minimum_ring_size ? ch.minimum_ring_size : 1024;
    }
  } else {
    using Simple = config::LoadBalancerSettings::Simple;
    switch (lb->simple) {
      case Simple::Unspecified:
      case Simple::LeastConn:
      case Simple::LeastRequest: out.kind = LbPolicy::Kind::LeastRequest; break;
      case Simple::RoundRobin: out.kind = LbPolicy::Kind::RoundRobin; break;
      case Simple::Random: out.kind = LbPolicy::Kind::Random; break;
      case Simple::Passthrough: out.kind = LbPolicy::Kind::Passthrough; break;
    }
  }
  out.locality = lb->locality_lb_setting;
  if (lb->warmup) {
    out.warmup = lb->warmup;
  } else if (lb->warmup_duration_secs) {
    config::WarmupConfiguration w;
    w.duration = *lb->warmup_duration_secs;
    out.warmup = w;
  }
  return out;
}

const config::ConsistentHashLB* consistent_hash_for(const ConsolidatedDestinationRule* dr, std::string_view subset,
                                                    std::uint32_t port) {
  if (!dr) return nullptr;
  auto hash_of = [](const std::optional<config::LoadBalancerSettings>& lb) -> const config::ConsistentHashLB* {
    return lb && lb->consistent_hash ? &*lb->consistent_hash : nullptr;
  };
  auto port_hash = [&](const config::TrafficPolicy* tp) -> const config::ConsistentHashLB* {
    if (!tp || port == 0) return nullptr;
    for (const auto& p : tp->port_level_settings)
      if (p.port == port) return hash_of(p.load_balancer);
    return nullptr;
  };
  const config::TrafficPolicy* top = dr->traffic_policy;
  const config::ConsistentHashLB* result = top ? hash_of(top->load_balancer) : nullptr;
  const config::ConsistentHashLB* pls = port_hash(top);
  const config::ConsistentHashLB* sub = nullptr;
  const config::ConsistentHashLB* sub_pls = nullptr;
  for (const config::Subset* s : dr->subsets) {
    if (s->name == subset && s->traffic_policy) {
      sub = hash_of(s->traffic_policy->load_balancer);
      sub_pls = port_hash(&*s->traffic_policy);
      break;
    }
  }
  if (sub_pls) return sub_pls;
  if (sub) return sub;
  if (pls) return pls;
  return result;
}

}  // namespace detail
}  // namespace meshtwin::xds
