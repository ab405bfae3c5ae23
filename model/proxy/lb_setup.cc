// What istiod sends a proxy for a cluster's load balancing (LB settings, hosts, weights,
// priorities and locality groups from the caller's locality, docs/semantics.md §7.4–§8) and the
// request hash keys of consistent-hash policies (§2.6, §8.4). The balancer itself is
// load_balancer.cc.
#include "model/proxy/load_balancer.h"

#include <cctype>
#include <string>
#include <unordered_map>

#include "model/proxy/locality.h"
#include "model/proxy/xxhash.h"

namespace meshtwin::proxy {

using Kind = xds::LbPolicy::Kind;

// ------------------------------------------------------------------ settings

LbSettings lb_settings_for(const xds::Cluster& cluster, bool sends_unhealthy_endpoints) {
  LbSettings s;
  const xds::LbPolicy& lb = cluster.lb;
  s.kind = lb.kind;
  s.choice_count = lb.choice_count;
  s.active_request_bias = lb.active_request_bias;
  if (lb.minimum_ring_size > 0) s.min_ring_size = lb.minimum_ring_size;
  if (lb.maglev_table_size > 0) s.maglev_table_size = lb.maglev_table_size;
  if (cluster.outlier_detection) {
    s.healthy_panic_threshold =
        static_cast<std::uint32_t>(std::clamp(cluster.outlier_detection->min_health_percent, 0, 100));
  } else {
    s.healthy_panic_threshold = sends_unhealthy_endpoints ? 0 : 50;
  }
  // Istio writes slow_start_config only for ROUND_ROBIN and LEAST_REQUEST (§7.6).
  if (lb.warmup && lb.warmup->duration > SimDuration{} &&
      (lb.kind == Kind::RoundRobin || lb.kind == Kind::LeastRequest)) {
    s.slow_start_window = lb.warmup->duration;
    s.slow_start_min_weight = lb.warmup->minimum_percent.value_or(10.0) / 100.0;
    s.slow_start_aggression = lb.warmup->aggression.value_or(1.0);
  }
  return s;
}

LbSetup lb_setup_for(const xds::Cluster& cluster, const registry::Registry& registry,
                     const registry::Pod* caller, bool sends_unhealthy_endpoints,
                     const config::LocalityLbSetting* mesh_locality) {
  LbSetup setup;
  setup.settings = lb_settings_for(cluster, sends_unhealthy_endpoints);
  const registry::Service* service = registry.find_service(cluster.service_hostname);
  const std::string_view traffic_distribution =
      service && service->k8s ? std::string_view(service->k8s->traffic_distribution)
                              : std::string_view{};
  const ResolvedLocalitySetting locality = resolve_locality_setting(
      cluster.lb.locality ? &*cluster.lb.locality : nullptr, traffic_distribution, mesh_locality);
  std::vector<LocalityEndpoint> endpoints;
  endpoints.reserve(cluster.endpoints.size());
  for (const xds::ClusterEndpoint& ep : cluster.endpoints) {
    if (ep.is_pod()) {
      const registry::Pod& pod = registry.pods()[ep.pod];
      endpoints.push_back({pod.locality, &pod.labels, ep.weight});
    } else {
      // A ServiceEntry endpoint (or a DNS host): its own locality and labels (docs/semantics.md §12.1).
      static const config::Labels kNoLabels;
      const bool listed = ep.external < registry.external_endpoints().size();
      const registry::ExternalEndpoint* ext = listed ? &registry.external_endpoints()[ep.external] : nullptr;
      endpoints.push_back({ext ? std::string_view(ext->locality) : std::string_view{},
                           ext ? &ext->labels : &kNoLabels, ep.weight});
    }
  }
  const LocalityCaller who{caller ? std::string_view(caller->locality) : std::string_view{},
                           caller ? &caller->labels : nullptr};
  const LocalityPlan plan =
      plan_localities(locality, cluster.outlier_detection.has_value(), who, endpoints);
  setup.settings.locality_weighted = plan.locality_weighted;
  setup.hosts.reserve(cluster.endpoints.size());
  for (std::size_t i = 0; i < cluster.endpoints.size(); ++i) {
    const xds::ClusterEndpoint& ep = cluster.endpoints[i];
    LbHost h;
    h.address = (ep.is_pod() ? registry.pods()[ep.pod].ip : ep.address) + ":" + std::to_string(ep.port);
    h.weight = ep.weight;
    h.priority = plan.priority[i];
    h.present = plan.group[i] != LocalityPlan::kNotSent;
    h.locality = h.present ? static_cast<std::uint32_t>(plan.group[i]) : 0;
    h.healthy = ep.healthy;
    setup.hosts_in_eds += h.present;
    setup.hosts.push_back(std::move(h));
  }
  setup.locality_weights = plan.group_weight;
  return setup;
}

// ------------------------------------------------------------------ request hash keys

std::uint64_t hash_request_key(std::string_view value) { return xxhash64(value); }

std::uint64_t hash_header_values(std::span<const std::string_view> values) {
  if (values.size() == 1) return xxhash64(values[0]);
  std::vector<std::string_view> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  return xxhash64_chain(sorted);
}

std::string generated_cookie_value(std::string_view downstream_remote,
                                   std::string_view downstream_local) {
  std::string joined;
  joined.reserve(downstream_remote.size() + downstream_local.size());
  joined.append(downstream_remote).append(downstream_local);
  const std::uint64_t h = xxhash64(joined);
  // Envoy's Hex::uint64ToHex: big-endian bytes, lower-case.
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 0; i < 16; ++i) out[i] = kDigits[(h >> (60 - 4 * i)) & 0xF];
  return out;
}

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Envoy's Http::Utility cookie walk: "a=1; b=2", whitespace before each pair stripped, values
// in double quotes unwrapped; the first pair with the name wins.
std::optional<std::string_view> find_cookie(const xds::RequestAttributes& request,
                                            std::string_view name) {
  for (std::size_t i = 0; i < request.header_count; ++i) {
    if (request.headers[i].name != "cookie") continue;
    std::string_view rest = request.headers[i].value;
    while (!rest.empty()) {
      const auto semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
      while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
      const auto eq = pair.find('=');
      if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
      std::string_view value = pair.substr(eq + 1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
  }
  return std::nullopt;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// First value of a query parameter, %XX-decoded (Envoy's parseAndDecodeQueryString).
std::optional<std::string> find_query_param(std::string_view path, std::string_view name) {
  const auto q = path.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = path.substr(q + 1);
  const auto fragment = rest.find('#');
  if (fragment != std::string_view::npos) rest = rest.substr(0, fragment);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    const std::string_view raw = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    std::string value;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '%' && i + 2 < raw.size() &&
          hex_digit(raw[i + 1]) >= 0 && hex_digit(raw[i + 2]) >= 0) {
        value.push_back(static_cast<char>(hex_digit(raw[i + 1]) * 16 + hex_digit(raw[i + 2])));
        i += 2;
      } else {
        value.push_back(raw[i]);
      }
    }
    return value;
  }
  return std::nullopt;
}

}  // namespace

RequestHash request_hash(const config::ConsistentHashLB& policy,
                         const xds::RequestAttributes& request, std::string_view source_ip,
                         std::string_view downstream_remote, std::string_view downstream_local) {
  using Key = config::ConsistentHashLB::Key;
  RequestHash out;
  switch (policy.key) {
    case Key::HttpHeaderName: {
      const std::string name = lower(policy.header_name);
      if (name == "host" || (!name.empty() && name.front() == ':')) {
        if (auto v = request.header(name)) out.hash = hash_request_key(*v);
        break;
      }
      std::vector<std::string_view> values;
      for (std::size_t i = 0; i < request.header_count; ++i) {
        if (request.headers[i].name == name) values.push_back(request.headers[i].value);
      }
      if (!values.empty()) out.hash = hash_header_values(values);
      break;
    }
    case Key::HttpCookie: {
      if (auto v = find_cookie(request, policy.cookie_name)) {
        out.hash = hash_request_key(*v);
      } else if (policy.cookie_ttl) {
        out.set_cookie = generated_cookie_value(downstream_remote, downstream_local);
        out.hash = hash_request_key(out.set_cookie);
      }
      break;
    }
    case Key::UseSourceIp:
      if (!source_ip.empty()) out.hash = hash_request_key(source_ip);
      break;
    case Key::HttpQueryParameterName:
      if (auto v = find_query_param(request.path, policy.header_name)) out.hash = hash_request_key(*v);
      break;
    case Key::None:
      break;
  }
  return out;
}

}  // namespace meshtwin::proxy
