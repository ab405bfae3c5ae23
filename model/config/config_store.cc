#include "model/config/config_store.h"

#include <algorithm>
#include <limits>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace meshtwin::config {
namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// The API group part of an identity. Core kinds have the empty group; Istio kinds have
// networking.istio.io whatever version they were written in.
std::string group_of(const std::string& api_version) {
  const auto slash = api_version.find('/');
  return slash == std::string::npos ? std::string() : api_version.substr(0, slash);
}

bool same_identity(const Namespace& a, const Namespace& b) { return a.meta.name == b.meta.name; }
bool same_identity(const Workload& a, const Workload& b) {
  return a.kind == b.kind && a.meta.namespace_ == b.meta.namespace_ && a.meta.name == b.meta.name;
}
bool same_identity(const GatewayApiL4Route& a, const GatewayApiL4Route& b) {
  return a.kind == b.kind && a.meta.namespace_ == b.meta.namespace_ && a.meta.name == b.meta.name;
}
bool same_identity(const UnmodelledResource& a, const UnmodelledResource& b) {
  return a.kind == b.kind && group_of(a.api_version) == group_of(b.api_version) &&
         a.meta.namespace_ == b.meta.namespace_ && a.meta.name == b.meta.name;
}
template <class T>
bool same_identity(const T& a, const T& b) {
  return a.meta.namespace_ == b.meta.namespace_ && a.meta.name == b.meta.name;
}

// A string equal for two objects exactly when same_identity holds, prefixed by the object
// type so that one set serves every kind.
template <class T>
std::string identity_key(const T& r) {
  std::string key = typeid(T).name();
  key += '\x1f';
  if constexpr (std::is_same_v<T, Workload> || std::is_same_v<T, GatewayApiL4Route>) {
    key += r.kind;
    key += '\x1f';
  } else if constexpr (std::is_same_v<T, UnmodelledResource>) {
    key += r.kind;
    key += '\x1f';
    key += group_of(r.api_version);
    key += '\x1f';
  }
  if constexpr (!std::is_same_v<T, Namespace>) {
    key += r.meta.namespace_;
    key += '\x1f';
  }
  key += r.meta.name;
  return key;
}

template <class T>
bool remove_from(std::vector<T>& items, std::string_view ns, std::string_view name, bool cluster_scoped = false) {
  auto it = std::find_if(items.begin(), items.end(), [&](const T& x) {
    return x.meta.name == name && (cluster_scoped || x.meta.namespace_ == ns);
  });
  if (it == items.end()) return false;
  items.erase(it);
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(s, 0, 4, year) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
      !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, hour) ||
      s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' || !digits(s, 17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t frac_ns = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::int64_t scale = 100'000'000;
    const std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac_ns += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  std::int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh = 0, om = 0;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, om))
      return std::nullopt;
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const std::int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  // RFC 3339 years run to 9999 but int64 nanoseconds end in 2262 (and start in 1677): beyond
  // that, saturate. Such times still sort after (before) every representable one; among
  // themselves they tie, and callers break ties by name. (Found by fuzz_conformance.)
  std::int64_t ns = 0;
  if (__builtin_mul_overflow(secs, std::int64_t{1'000'000'000}, &ns) ||
      __builtin_add_overflow(ns, frac_ns, &ns)) {
    return secs < 0 ? std::numeric_limits<std::int64_t>::min()
                    : std::numeric_limits<std::int64_t>::max();
  }
  return ns;
}

bool created_before(const ObjectMeta& a, const ObjectMeta& b) {
  const auto ta = a.creation_timestamp.empty() ? std::nullopt : parse_rfc3339(a.creation_timestamp);
  const auto tb = b.creation_timestamp.empty() ? std::nullopt : parse_rfc3339(b.creation_timestamp);
  if (ta.has_value() != tb.has_value()) return ta.has_value();
  if (ta) {
    if (*ta != *tb) return *ta < *tb;
    if (a.name != b.name) return a.name < b.name;
    if (a.namespace_ != b.namespace_) return a.namespace_ < b.namespace_;
    return a.creation_order < b.creation_order;
  }
  // Applied in this load: first apply wins; creation_order is unique, so no further ties.
  if (a.creation_order != b.creation_order) return a.creation_order < b.creation_order;
  if (a.name != b.name) return a.name < b.name;
  return a.namespace_ < b.namespace_;
}

template <class T>
void ConfigStore::apply_to(std::vector<T>& items, T r) {
  ++revision_;
  // Applying N new objects must not cost N^2 identity comparisons (a 10,000-service mesh is
  // ~40,000 objects): objects whose identity was never seen are new without a scan. The set is
  // a filter only (removals leave their keys), so a seen identity still goes through the scan.
  if (!seen_identities_.insert(identity_key(r)).second) {
    for (auto& existing : items) {
      if (same_identity(existing, r)) {
        // kubectl apply: same object, new content; its creation time (and so its place in
        // "oldest first") does not change.
        r.meta.creation_order = existing.meta.creation_order;
        r.meta.creation_timestamp = existing.meta.creation_timestamp;
        r.meta.generation = existing.meta.generation + 1;
        existing = std::move(r);
        return;
      }
    }
  }
  r.meta.creation_order = next_order_++;
  r.meta.generation = 1;
  auto pos = std::upper_bound(items.begin(), items.end(), r,
                              [](const T& x, const T& y) { return created_before(x.meta, y.meta); });
  items.insert(pos, std::move(r));
}

void ConfigStore::apply(Namespace r) {
  r.meta.namespace_.clear();  // cluster-scoped
  apply_to(namespaces_, std::move(r));
}
void ConfigStore::apply(Service r) { apply_to(services_, std::move(r)); }
void ConfigStore::apply(Workload r) { apply_to(workloads_, std::move(r)); }
void ConfigStore::apply(VirtualService r) { apply_to(virtual_services_, std::move(r)); }
void ConfigStore::apply(DestinationRule r) { apply_to(destination_rules_, std::move(r)); }
void ConfigStore::apply(Gateway r) { apply_to(gateways_, std::move(r)); }
void ConfigStore::apply(ServiceEntry r) { apply_to(service_entries_, std::move(r)); }
void ConfigStore::apply(Sidecar r) { apply_to(sidecars_, std::move(r)); }
void ConfigStore::apply(UnmodelledResource r) { apply_to(unmodelled_, std::move(r)); }
void ConfigStore::apply(EndpointSlice r) { apply_to(endpoint_slices_, std::move(r)); }
void ConfigStore::apply(Ingress r) { apply_to(ingresses_, std::move(r)); }
void ConfigStore::apply(GatewayApiGateway r) { apply_to(gateway_api_gateways_, std::move(r)); }
void ConfigStore::apply(GatewayApiHTTPRoute r) { apply_to(http_routes_, std::move(r)); }
void ConfigStore::apply(GatewayApiL4Route r) { apply_to(l4_routes_, std::move(r)); }
void ConfigStore::apply(GatewayApiGRPCRoute r) { apply_to(grpc_routes_, std::move(r)); }
void ConfigStore::apply(GatewayApiReferenceGrant r) { apply_to(reference_grants_, std::move(r)); }
void ConfigStore::apply(PeerAuthentication r) { apply_to(peer_authentications_, std::move(r)); }

bool ConfigStore::remove(std::string_view kind, std::string_view ns, std::string_view name) {
  bool removed = false;
  if (kind == "Namespace") {
    removed = remove_from(namespaces_, ns, name, /*cluster_scoped=*/true);
  } else if (kind == "Service") {
    removed = remove_from(services_, ns, name);
  } else if (kind == "Deployment" || kind == "StatefulSet" || kind == "ReplicaSet" || kind == "DaemonSet" ||
             kind == "Pod") {
    auto it = std::find_if(workloads_.begin(), workloads_.end(), [&](const Workload& w) {
      return w.kind == kind && w.meta.namespace_ == ns && w.meta.name == name;
    });
    if (it != workloads_.end()) {
      workloads_.erase(it);
      removed = true;
    }
  } else if (kind == "VirtualService") {
    removed = remove_from(virtual_services_, ns, name);
  } else if (kind == "DestinationRule") {
    removed = remove_from(destination_rules_, ns, name);
  } else if (kind == "Gateway") {
    removed = remove_from(gateways_, ns, name);
  } else if (kind == "ServiceEntry") {
    removed = remove_from(service_entries_, ns, name);
  } else if (kind == "Sidecar") {
    removed = remove_from(sidecars_, ns, name);
  } else if (kind == "EndpointSlice") {
    removed = remove_from(endpoint_slices_, ns, name);
  } else if (kind == "Ingress") {
    removed = remove_from(ingresses_, ns, name);
  } else if (kind == "PeerAuthentication") {
    remove_from(peer_authentications_, ns, name);  // also kept by name in unmodelled_, removed below
  } else if (kind == "HTTPRoute") {
    remove_from(http_routes_, ns, name);
  } else if (kind == "GRPCRoute") {
    remove_from(grpc_routes_, ns, name);  // also kept by name in unmodelled_, removed below
  } else if (kind == "ReferenceGrant") {
    remove_from(reference_grants_, ns, name);
  } else if (kind == "TCPRoute" || kind == "TLSRoute") {
    auto it = std::find_if(l4_routes_.begin(), l4_routes_.end(), [&](const GatewayApiL4Route& r) {
      return r.kind == kind && r.meta.namespace_ == ns && r.meta.name == name;
    });
    if (it != l4_routes_.end()) l4_routes_.erase(it);
  }
  // A Gateway API Gateway shares the kind name with Istio's Gateway: both identities go.
  if (kind == "Gateway") remove_from(gateway_api_gateways_, ns, name);
  if (!removed) {
    auto it = std::find_if(unmodelled_.begin(), unmodelled_.end(), [&](const UnmodelledResource& u) {
      return u.kind == kind && u.meta.namespace_ == ns && u.meta.name == name;
    });
    if (it != unmodelled_.end()) {
      unmodelled_.erase(it);
      removed = true;
    }
  }
  if (removed) ++revision_;
  return removed;
}

}  // namespace meshtwin::config
