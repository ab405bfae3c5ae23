#include "model/registry/registry.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <tuple>
#include <unordered_set>

namespace meshtwin::registry {

namespace {

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// Istio's protocol.Parse: case-insensitive names of the protocols it knows.
Protocol parse_protocol_name(std::string_view s) {
  struct Entry {
    std::string_view name;
    Protocol protocol;
  };
  static constexpr std::array<Entry, 14> kNames{{
      {"http", Protocol::HTTP},
      {"http_proxy", Protocol::HTTP},
      {"http2", Protocol::HTTP2},
      {"grpc", Protocol::GRPC},
      {"grpc-web", Protocol::GRPC},
      {"https", Protocol::HTTPS},
      {"tcp", Protocol::TCP},
      {"tls", Protocol::TLS},
      {"mongo", Protocol::Mongo},
      {"redis", Protocol::Redis},
      {"mysql", Protocol::MySQL},
      {"udp", Protocol::UDP},
      // Kubernetes' standard appProtocol values (KEP-3726) that Istio maps.
      {"kubernetes.io/h2c", Protocol::HTTP2},
      {"kubernetes.io/ws", Protocol::HTTP},
  }};
  for (const auto& e : kNames)
    if (iequals(s, e.name)) return e.protocol;
  if (iequals(s, "kubernetes.io/wss")) return Protocol::HTTPS;
  return Protocol::Unknown;
}

std::string format_ip(std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", a, b, c, d);
  return buf;
}

// Pod IPs are derived from (workload index, ordinal) rather than a global counter, so scaling
// one workload never renumbers the pods of another (ring-hash keys and logs stay stable).
std::string pod_ip(std::uint32_t workload_index, std::uint32_t ordinal, std::uint32_t global_index) {
  if (workload_index < 12 * 256 && ordinal < 253)
    return format_ip(10, 244 + workload_index / 256, workload_index % 256, ordinal + 2);
  // Overflow (very large meshes or huge replica counts): a separate sequential range.
  return format_ip(10, 128 + global_index / 65536, (global_index / 256) % 256, global_index % 256);
}

bool labels_contain(const config::Labels& labels, const config::Labels& selector) {
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

// Pods by (namespace, label key, label value), so that selecting the pods of S services among
// P pods costs about the selected pods, not S × P label comparisons (a 10,000-service mesh).
// select() returns the same pods, in the same ascending order, as a scan over every pod.
class PodSelectorIndex {
 public:
  explicit PodSelectorIndex(const std::vector<Pod>& pods) : pods_(pods) {
    for (std::uint32_t i = 0; i < pods.size(); ++i)
      for (const auto& [k, v] : pods[i].labels) postings_[key(pods[i].namespace_, k, v)].push_back(i);
  }

  // Pods of `namespace_` whose labels contain `selector` (non-empty).
  std::vector<std::uint32_t> select(const std::string& namespace_, const config::Labels& selector) const {
    const std::vector<std::uint32_t>* shortest = nullptr;
    for (const auto& [k, v] : selector) {
      auto it = postings_.find(key(namespace_, k, v));
      if (it == postings_.end()) return {};
      if (!shortest || it->second.size() < shortest->size()) shortest = &it->second;
    }
    std::vector<std::uint32_t> out;
    for (std::uint32_t i : *shortest)
      if (labels_contain(pods_[i].labels, selector)) out.push_back(i);
    return out;
  }

 private:
  static std::string key(const std::string& ns, const std::string& k, const std::string& v) {
    std::string out;
    out.reserve(ns.size() + k.size() + v.size() + 2);
    out.append(ns).append(1, '\x1f').append(k).append(1, '\x1f').append(v);
    return out;
  }
  const std::vector<Pod>& pods_;
  std::unordered_map<std::string, std::vector<std::uint32_t>> postings_;
};

std::string_view label_or_annotation(const config::Labels& labels, const config::Labels& annotations,
                                     const std::string& key) {
  if (auto it = labels.find(key); it != labels.end()) return it->second;
  if (auto it = annotations.find(key); it != annotations.end()) return it->second;
  return {};
}

std::vector<std::string> split_comma(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = text.substr(start, end - start);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.remove_prefix(1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = end + 1;
  }
  return out;
}

}  // namespace

// ------------------------------------------------------------------ protocols

Protocol protocol_from_port(std::string_view port_name, std::string_view app_protocol) {
  // appProtocol wins over the name (Istio kube.ConvertProtocol); an unknown appProtocol falls back
  // to the name only when empty, as Istio does.
  if (!app_protocol.empty()) {
    Protocol p = parse_protocol_name(app_protocol);
    if (p != Protocol::Unknown) return p;
  }
  // The name's prefix before the first '-' selects the protocol: "http-web" -> http,
  // "grpc-web" -> grpc. Istio also accepts the bare name.
  std::string_view name = port_name;
  if (std::size_t dash = name.find('-'); dash != std::string_view::npos) name = name.substr(0, dash);
  return parse_protocol_name(name);
}

bool is_http(Protocol p) {
  return p == Protocol::HTTP || p == Protocol::HTTP2 || p == Protocol::GRPC || p == Protocol::Unknown;
}

std::string_view to_string(Protocol p) {
  switch (p) {
    case Protocol::Unknown: return "UNKNOWN";
    case Protocol::HTTP: return "HTTP";
    case Protocol::HTTP2: return "HTTP2";
    case Protocol::GRPC: return "GRPC";
    case Protocol::HTTPS: return "HTTPS";
    case Protocol::TCP: return "TCP";
    case Protocol::TLS: return "TLS";
    case Protocol::Mongo: return "Mongo";
    case Protocol::Redis: return "Redis";
    case Protocol::MySQL: return "MySQL";
    case Protocol::UDP: return "UDP";
  }
  return "UNKNOWN";
}

// ------------------------------------------------------------------ names

bool is_ip_address(std::string_view s) {
  if (s.empty()) return false;
  // Any colon (IPv6) or a dotted quad: enough for "leave IPs alone" in short-name resolution.
  if (s.find(':') != std::string_view::npos) return Cidr::parse(s).has_value();
  int dots = 0;
  std::size_t digits = 0;
  for (char c : s) {
    if (c == '.') {
      if (digits == 0) return false;
      ++dots;
      digits = 0;
    } else if (c >= '0' && c <= '9') {
      if (++digits > 3) return false;
    } else {
      return false;
    }
  }
  return dots == 3 && digits > 0;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  Cidr c;
  std::string_view addr = text;
  std::optional<std::uint32_t> prefix;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    std::uint32_t p = 0;
    std::string_view ps = text.substr(slash + 1);
    if (ps.empty() || ps.size() > 3) return std::nullopt;
    for (char ch : ps) {
      if (ch < '0' || ch > '9') return std::nullopt;
      p = p * 10 + static_cast<std::uint32_t>(ch - '0');
    }
    prefix = p;
  }
  if (addr.find(':') == std::string_view::npos) {
    int part = 0;
    std::uint32_t value = 0;
    std::size_t digits = 0;
    for (std::size_t i = 0; i <= addr.size(); ++i) {
      if (i == addr.size() || addr[i] == '.') {
        if (digits == 0 || value > 255 || part > 3) return std::nullopt;
        c.bytes[static_cast<std::size_t>(part++)] = static_cast<std::uint8_t>(value);
        value = 0;
        digits = 0;
      } else if (addr[i] >= '0' && addr[i] <= '9') {
        value = value * 10 + static_cast<std::uint32_t>(addr[i] - '0');
        if (++digits > 3) return std::nullopt;
      } else {
        return std::nullopt;
      }
    }
    if (part != 4) return std::nullopt;
    c.prefix_len = prefix.value_or(32);
    if (c.prefix_len > 32) return std::nullopt;
    return c;
  }
  // IPv6: groups of hex, at most one "::".
  c.v6 = true;
  std::vector<std::uint16_t> head, tail;
  bool seen_gap = false;
  std::size_t i = 0;
  if (addr.starts_with("::")) {
    seen_gap = true;
    i = 2;
  }
  while (i < addr.size()) {
    std::size_t j = i;
    std::uint32_t v = 0;
    while (j < addr.size() && addr[j] != ':') {
      const char ch = addr[j];
      int d = (ch >= '0' && ch <= '9') ? ch - '0'
              : (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10
              : (ch >= 'A' && ch <= 'F') ? ch - 'A' + 10
                                         : -1;
      if (d < 0 || j - i >= 4) return std::nullopt;
      v = v * 16 + static_cast<std::uint32_t>(d);
      ++j;
    }
    if (j == i) return std::nullopt;
    (seen_gap ? tail : head).push_back(static_cast<std::uint16_t>(v));
    if (j == addr.size()) break;
    if (j + 1 < addr.size() && addr[j + 1] == ':') {
      if (seen_gap) return std::nullopt;
      seen_gap = true;
      i = j + 2;
    } else {
      i = j + 1;
      if (i == addr.size()) return std::nullopt;
    }
  }
  if (head.size() + tail.size() > 8 || (!seen_gap && head.size() != 8)) return std::nullopt;
  std::array<std::uint16_t, 8> groups{};
  for (std::size_t g = 0; g < head.size(); ++g) groups[g] = head[g];
  for (std::size_t g = 0; g < tail.size(); ++g) groups[8 - tail.size() + g] = tail[g];
  for (std::size_t g = 0; g < 8; ++g) {
    c.bytes[2 * g] = static_cast<std::uint8_t>(groups[g] >> 8);
    c.bytes[2 * g + 1] = static_cast<std::uint8_t>(groups[g] & 0xff);
  }
  c.prefix_len = prefix.value_or(128);
  if (c.prefix_len > 128) return std::nullopt;
  return c;
}

bool Cidr::contains(const Cidr& a) const {
  if (a.v6 != v6) return false;
  std::uint32_t bits = prefix_len;
  for (std::size_t i = 0; bits > 0; ++i) {
    const std::uint32_t take = std::min<std::uint32_t>(bits, 8);
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - take));
    if ((bytes[i] & mask) != (a.bytes[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

std::string Cidr::to_string() const {
  char buf[64];
  if (!v6) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u/%u", bytes[0], bytes[1], bytes[2], bytes[3], prefix_len);
    return buf;
  }
  std::string out;
  for (std::size_t g = 0; g < 8; ++g) {
    std::snprintf(buf, sizeof buf, "%x", (bytes[2 * g] << 8) | bytes[2 * g + 1]);
    if (g) out += ':';
    out += buf;
  }
  return out + "/" + std::to_string(prefix_len);
}

std::string resolve_short_name(std::string_view host, std::string_view config_namespace,
                               std::string_view domain) {
  if (host == "*" || is_ip_address(host)) return std::string(host);
  // Any dot means "already qualified" (docs/semantics.md §1.1): `reviews.prod` stays literal.
  if (host.find('.') != std::string_view::npos) return std::string(host);
  std::string out;
  out.reserve(host.size() + config_namespace.size() + domain.size() + 6);
  out.append(host).append(".").append(config_namespace);
  if (!domain.empty()) out.append(".svc.").append(domain);
  return out;
}

// ------------------------------------------------------------------ pods and services

std::uint32_t Pod::resolve_target_port(std::uint32_t number, std::string_view name) const {
  if (name.empty()) return number;
  for (const auto& cp : container_ports)
    if (cp.name == name) return cp.container_port;
  return 0;
}

const ServicePort* Service::find_port(std::uint32_t port) const {
  for (const auto& p : ports)
    if (p.port == port) return &p;
  return nullptr;
}

Registry Registry::build(const config::ConfigStore& store, config::Diagnostics& diags, std::string_view domain,
                         const PodPlan* pod_plan) {
  RegistryOptions options;
  options.domain = std::string(domain);
  options.pod_plan = pod_plan;
  return build(store, diags, options);
}

namespace {

config::Workload gateway_workload(const std::string& ns, const std::string& name, config::Labels labels,
                                  std::vector<config::ContainerPort> ports) {
  config::Workload w;
  w.meta.name = name;
  w.meta.namespace_ = ns;
  w.kind = "Deployment";
  w.replicas = 1;
  w.selector = labels;
  w.pod_labels = std::move(labels);
  w.pod_labels["sidecar.istio.io/inject"] = "false";
  config::Container c;
  c.name = "istio-proxy";
  c.image = "istio/proxyv2";
  c.ports = std::move(ports);
  w.containers.push_back(std::move(c));
  return w;
}

config::Service gateway_service(const std::string& ns, const std::string& name, const config::Labels& selector,
                                const std::vector<std::tuple<std::string, std::uint32_t, std::uint32_t>>& ports) {
  config::Service s;
  s.meta.name = name;
  s.meta.namespace_ = ns;
  s.meta.labels = selector;
  s.type = "LoadBalancer";
  s.selector = selector;
  s.has_selector = true;
  for (const auto& [pname, port, target] : ports) {
    config::ServicePort p;
    p.name = pname;
    p.port = port;
    p.target_port_number = target;
    s.ports.push_back(std::move(p));
  }
  return s;
}

bool has_object(const config::ConfigStore& store, std::string_view ns, std::string_view name) {
  for (const auto& s : store.services())
    if (s.meta.namespace_ == ns && s.meta.name == name) return true;
  for (const auto& w : store.workloads())
    if (w.meta.namespace_ == ns && w.meta.name == name) return true;
  return false;
}

// Gateway API classes istiod's gateway controller deploys for (others belong to other controllers).
bool istio_gateway_class(std::string_view c) { return c == "istio" || c == "istio-remote" || c == "istio-east-west"; }

std::string lower_protocol(std::string p) {
  for (char& c : p) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return p;
}

// istiod's legacy ServiceEntry VIP allocator (serviceentry controller, autoAllocateIPs): every
// host of every ServiceEntry without addresses, not wildcarded and not resolution NONE, takes a
// slot of a 255×255 table by FNV-1a of "namespace/host", collisions resolved by double hashing;
// slots are then numbered in table order into 240.240.x.y, skipping y = 0. The same key in two
// entries takes two slots and both get the lower slot's address. Keys come in store order.
std::unordered_map<std::string, std::string> legacy_auto_allocated_addresses(const config::ConfigStore& store) {
  constexpr std::uint32_t kMaxIps = 255 * 255;
  constexpr std::uint32_t kPrime = 65011;  // the largest prime below kMaxIps
  std::vector<const std::string*> slots(kMaxIps, nullptr);
  std::vector<std::string> keys;
  for (const auto& se : store.service_entries()) {
    if (!se.addresses.empty() || se.resolution == "NONE") continue;
    for (const auto& host : se.hosts)
      if (!host.starts_with("*")) keys.push_back(se.meta.namespace_ + "/" + to_lower(host));
  }
  if (keys.size() > kMaxIps) keys.resize(kMaxIps);  // istiod logs "out of IPs" and stops
  for (const std::string& key : keys) {
    std::uint32_t hash = 2166136261u;
    for (unsigned char c : key) hash = (hash ^ c) * 16777619u;
    std::uint32_t slot = hash % kMaxIps;
    if (slots[slot]) {
      const std::uint32_t step = kPrime - hash % kPrime;
      for (std::uint32_t i = 1;; ++i) {
        slot = (hash + i * step) % (kMaxIps - 2);  // uint32 wrap-around, as in Go
        if (!slots[slot]) break;
      }
    }
    slots[slot] = &key;
  }
  std::unordered_map<std::string, std::string> out;
  std::uint32_t x = 0;
  for (const std::string* key : slots) {
    ++x;
    if (!key) continue;
    if (x % 255 == 0) ++x;  // never 240.240.n.0; the bump shifts every later slot too
    out.emplace(*key, format_ip(240, 240, x / 255, x % 255));
  }
  return out;
}

}  // namespace

Registry Registry::build(const config::ConfigStore& store, config::Diagnostics& diags,
                         const RegistryOptions& options) {
  Registry reg;
  reg.domain_ = options.domain;
  const PodPlan* pod_plan = options.pod_plan;

  // Namespaces that opted out of injection (docs/design.md §3.1).
  std::unordered_set<std::string> injection_disabled;
  for (const auto& ns : store.namespaces()) {
    auto it = ns.meta.labels.find("istio-injection");
    if (it != ns.meta.labels.end() && it->second == "disabled") injection_disabled.insert(ns.meta.name);
  }

  // Workloads and Services the registry provides on top of the manifests (docs/design.md §3.1).
  std::vector<config::Workload> generated_workloads;
  std::vector<config::Service> generated_services;
  if (options.default_gateways) {
    if (!has_object(store, "istio-system", "istio-ingressgateway")) {
      config::Labels l{{"app", "istio-ingressgateway"}, {"istio", "ingressgateway"}};
      generated_workloads.push_back(gateway_workload("istio-system", "istio-ingressgateway", l,
                                                     {{"status-port", 15021, "TCP"},
                                                      {"http2", 8080, "TCP"},
                                                      {"https", 8443, "TCP"},
                                                      {"tcp", 31400, "TCP"},
                                                      {"tls", 15443, "TCP"}}));
      generated_services.push_back(gateway_service(
          "istio-system", "istio-ingressgateway", l,
          {{"status-port", 15021, 15021}, {"http2", 80, 8080}, {"https", 443, 8443}, {"tcp", 31400, 31400},
           {"tls", 15443, 15443}}));
    }
    if (!has_object(store, "istio-system", "istio-egressgateway")) {
      config::Labels l{{"app", "istio-egressgateway"}, {"istio", "egressgateway"}};
      generated_workloads.push_back(gateway_workload("istio-system", "istio-egressgateway", l,
                                                     {{"http2", 8080, "TCP"}, {"https", 8443, "TCP"}}));
      generated_services.push_back(
          gateway_service("istio-system", "istio-egressgateway", l, {{"http2", 80, 8080}, {"https", 443, 8443}}));
    }
  }
  // A Gateway API Gateway of an Istio class gets its `<name>-istio` Deployment and Service
  // (docs/design.md §3.1), listening on the listener ports themselves.
  for (const auto& gw : store.gateway_api_gateways()) {
    if (!istio_gateway_class(gw.gateway_class_name)) continue;
    const std::string name = gw.meta.name + "-istio";
    if (has_object(store, gw.meta.namespace_, name)) continue;
    config::Labels l{{"gateway.networking.k8s.io/gateway-name", gw.meta.name}, {"istio.io/gateway-name", gw.meta.name}};
    std::vector<config::ContainerPort> cports{{"status-port", 15021, "TCP"}};
    std::vector<std::tuple<std::string, std::uint32_t, std::uint32_t>> sports{{"status-port", 15021, 15021}};
    std::unordered_set<std::uint32_t> seen;
    for (const auto& li : gw.listeners) {
      if (li.port == 0 || !seen.insert(li.port).second) continue;
      const std::string pname = lower_protocol(li.protocol) + "-" + std::to_string(li.port);
      cports.push_back({pname.size() <= 15 ? pname : std::string(), li.port, li.protocol == "UDP" ? "UDP" : "TCP"});
      sports.emplace_back(pname, li.port, li.port);
    }
    generated_workloads.push_back(gateway_workload(gw.meta.namespace_, name, l, cports));
    config::Service svc = gateway_service(gw.meta.namespace_, name, l, sports);
    svc.meta.creation_order = gw.meta.creation_order;
    svc.meta.creation_timestamp = gw.meta.creation_timestamp;
    generated_services.push_back(std::move(svc));
  }

  // Pods, in workload creation order, then the generated ones.
  std::uint32_t workload_index = 0;
  auto add_pods = [&](const config::Workload& w, bool generated) {
    std::vector<PodPlan::Member> members;
    const std::vector<PodPlan::Member>* planned = nullptr;
    if (pod_plan) {
      auto it = pod_plan->by_workload.find(w.meta.namespace_ + "/" + w.meta.name);
      if (it != pod_plan->by_workload.end()) planned = &it->second;
    }
    if (!planned) {
      for (std::int32_t i = 0; i < std::max<std::int32_t>(w.replicas, 0); ++i)
        members.push_back({static_cast<std::uint32_t>(i), true, nullptr});
      planned = &members;
    }
    for (const PodPlan::Member& member : *planned) {
      const config::Workload& tmpl = member.revision ? *member.revision : w;
      Pod pod;
      pod.ordinal = member.ordinal;
      pod.ready = member.ready;
      // A bare Pod keeps its own name; controllers get "<workload>-<ordinal>".
      pod.name = w.kind == "Pod" ? w.meta.name : w.meta.name + "-" + std::to_string(member.ordinal);
      pod.namespace_ = w.meta.namespace_;
      pod.workload = w.meta.name;
      pod.workload_kind = w.kind;
      pod.labels = tmpl.pod_labels;
      pod.annotations = tmpl.pod_annotations;
      pod.generated = generated;
      pod.ip = pod_ip(workload_index, pod.ordinal, static_cast<std::uint32_t>(reg.pods_.size()));
      bool inject = pod.namespace_ != "istio-system" && pod.namespace_ != "kube-system" &&
                    !injection_disabled.count(pod.namespace_);
      // The annotation is what docs/design.md §3.1 names; Istio's newer pod label of the same name is
      // honoured too (it takes precedence over the annotation in the injector).
      const std::string inject_key = "sidecar.istio.io/inject";
      if (auto it = pod.labels.find(inject_key); it != pod.labels.end()) {
        if (iequals(it->second, "false")) inject = false;
      } else if (auto it2 = pod.annotations.find(inject_key); it2 != pod.annotations.end()) {
        if (iequals(it2->second, "false")) inject = false;
      }
      pod.has_sidecar = inject;
      // Istio's gateway charts label their Envoys istio: ingressgateway / egressgateway; Gateway API
      // deployments carry the gateway-name label. Such pods are proxies, not applications.
      auto istio_label = pod.labels.find("istio");
      pod.gateway_proxy = generated ||
                          (istio_label != pod.labels.end() && istio_label->second.ends_with("gateway")) ||
                          pod.labels.count("gateway.networking.k8s.io/gateway-name") ||
                          pod.labels.count("istio.io/gateway-name");
      if (pod.gateway_proxy) pod.has_sidecar = false;
      auto v = pod.labels.find("version");
      pod.version = v != pod.labels.end() ? v->second : "unknown";
      auto app = pod.labels.find("app");
      if (app == pod.labels.end()) app = pod.labels.find("app.kubernetes.io/name");
      pod.app = app != pod.labels.end() ? app->second : "unknown";
      pod.service_account = tmpl.service_account.empty() ? "default" : tmpl.service_account;
      std::string_view region = label_or_annotation(pod.labels, pod.annotations, "topology.kubernetes.io/region");
      std::string_view zone = label_or_annotation(pod.labels, pod.annotations, "topology.kubernetes.io/zone");
      std::string_view subzone = label_or_annotation(pod.labels, pod.annotations, "topology.istio.io/subzone");
      if (!region.empty()) {
        pod.locality = std::string(region);
        if (!zone.empty()) {
          pod.locality.append("/").append(zone);
          if (!subzone.empty()) pod.locality.append("/").append(subzone);
        }
      }
      for (const auto& c : tmpl.containers)
        for (const auto& p : c.ports) pod.container_ports.push_back(p);
      reg.pods_.push_back(std::move(pod));
    }
    ++workload_index;
  };
  for (const auto& w : store.workloads()) add_pods(w, false);
  for (const auto& w : generated_workloads) add_pods(w, true);

  // Cluster IPs: explicit ones are reserved first so allocated ones never collide with them.
  std::unordered_set<std::string> used_ips;
  for (const auto& s : store.services())
    if (!s.cluster_ip.empty() && s.cluster_ip != "None") used_ips.insert(s.cluster_ip);
  std::uint32_t next_ip = 10;
  auto allocate_ip = [&]() {
    for (;;) {
      const std::uint32_t n = next_ip++;
      std::string ip = format_ip(10, 96 + n / 65536, (n / 256) % 256, n % 256);
      if (n % 256 == 0 || n % 256 == 255) continue;  // keep clear of network/broadcast look-alikes
      if (used_ips.insert(ip).second) return ip;
    }
  };

  const PodSelectorIndex pods_by_label(reg.pods_);
  auto add_service = [&](Service svc) {
    auto [it, inserted] = reg.service_by_host_.emplace(svc.hostname, static_cast<std::uint32_t>(reg.services_.size()));
    if (!inserted) {
      // Several ServiceEntries for one host in one namespace make one service whose ports are the
      // union (Istio's SidecarScope merges them); otherwise the first definition is used.
      Service& existing = reg.services_[it->second];
      if (svc.origin == Service::Origin::ServiceEntry && existing.origin == Service::Origin::ServiceEntry &&
          existing.namespace_ == svc.namespace_) {
        for (auto& p : svc.ports)
          if (!existing.find_port(p.port)) existing.ports.push_back(std::move(p));
      }
      return false;
    }
    const auto index = static_cast<std::uint32_t>(reg.services_.size());
    for (const auto& a : svc.addresses) reg.service_by_address_.emplace(a, index);
    if (!svc.address.empty()) reg.service_by_address_.emplace(svc.address, index);
    reg.services_.push_back(std::move(svc));
    return true;
  };

  auto add_k8s_service = [&](const config::Service& ks, bool generated) {
    Service svc;
    svc.origin = generated ? Service::Origin::Generated : Service::Origin::Kubernetes;
    svc.name = ks.meta.name;
    svc.namespace_ = ks.meta.namespace_;
    svc.hostname = to_lower(ks.meta.name + "." + ks.meta.namespace_ + ".svc." + reg.domain_);
    svc.creation_order = ks.meta.creation_order;
    svc.k8s = generated ? nullptr : &ks;
    svc.labels = ks.meta.labels;
    if (ks.type == "ExternalName") {
      svc.external_name = to_lower(ks.external_name);
      svc.resolution = "Alias";
    } else if (ks.cluster_ip == "None") {
      svc.headless = true;
      svc.resolution = "Passthrough";
    } else if (!ks.cluster_ip.empty()) {
      svc.address = ks.cluster_ip;
    } else {
      svc.address = allocate_ip();
    }
    if (!svc.address.empty()) svc.addresses.push_back(svc.address);
    for (const auto& ip : ks.cluster_ips)
      if (ip != svc.address && ip != "None") svc.addresses.push_back(ip);
    for (const auto& p : ks.ports) {
      ServicePort sp;
      sp.name = p.name;
      sp.port = p.port;
      sp.protocol = iequals(p.protocol, "UDP") ? Protocol::UDP : protocol_from_port(p.name, p.app_protocol);
      sp.target_port_number = p.target_port_number;
      sp.target_port_name = p.target_port_name;
      svc.ports.push_back(std::move(sp));
    }
    if (auto it = ks.meta.annotations.find("networking.istio.io/exportTo"); it != ks.meta.annotations.end())
      svc.export_to = split_comma(it->second);
    // Kubernetes manages endpoints only for a non-empty selector.
    if (ks.has_selector && !ks.selector.empty()) svc.pods = pods_by_label.select(svc.namespace_, ks.selector);
    const auto index = static_cast<std::uint32_t>(reg.services_.size());
    if (!add_service(std::move(svc))) {
      if (!generated)
        diags.warning(ks.meta.location, "metadata.name", "Service host " + ks.meta.name + "." + ks.meta.namespace_ +
                                                             " is defined twice; the first definition is used");
      return;
    }
    // EndpointSlices the service owns beyond its selected pods: endpoints Kubernetes would not
    // manage itself (selector-less Services, headless ones pointing outside the mesh).
    for (const auto& slice : store.endpoint_slices()) {
      Service& added = reg.services_[index];
      if (slice.meta.namespace_ != added.namespace_ || slice.service_name != added.name) continue;
      for (const auto& e : slice.endpoints) {
        for (const auto& addr : e.addresses) {
          bool is_pod = false;
          for (std::uint32_t p : added.pods)
            if (reg.pods_[p].ip == addr) is_pod = true;
          if (is_pod) continue;
          ExternalEndpoint ep;
          ep.address = addr;
          ep.ready = e.ready;
          ep.service = index;
          for (const auto& sp : slice.ports) ep.ports[sp.name] = sp.port;
          added.external_endpoints.push_back(static_cast<std::uint32_t>(reg.external_endpoints_.size()));
          reg.external_endpoints_.push_back(std::move(ep));
        }
      }
    }
  };
  for (const auto& ks : store.services()) add_k8s_service(ks, false);
  for (const auto& ks : generated_services) add_k8s_service(ks, true);

  // ServiceEntries: one registry service per host (docs/semantics.md §12.1). STATIC endpoints and DNS
  // hosts are external endpoints; a workloadSelector selects pods of the entry's namespace.
  for (const auto& se : store.service_entries()) {
    for (std::size_t h = 0; h < se.hosts.size(); ++h) {
      Service svc;
      svc.origin = Service::Origin::ServiceEntry;
      svc.name = se.meta.name;
      svc.namespace_ = se.meta.namespace_;
      svc.hostname = to_lower(se.hosts[h]);
      svc.creation_order = se.meta.creation_order;
      svc.service_entry = &se;
      svc.export_to = se.export_to;
      svc.labels = se.meta.labels;
      svc.mesh_external = se.location != "MESH_INTERNAL";
      svc.resolution = se.resolution == "NONE" ? "Passthrough" : se.resolution;
      svc.addresses = se.addresses;
      for (const auto& a : se.addresses) {
        if (a.find('/') == std::string::npos || a.ends_with("/32") || a.ends_with("/128")) {
          svc.address = a.substr(0, a.find('/'));
          break;
        }
      }
      for (const auto& p : se.ports) {
        ServicePort sp;
        sp.name = p.name;
        sp.port = p.number;
        sp.protocol = parse_protocol_name(p.protocol);
        sp.target_port_number = p.target_port;
        svc.ports.push_back(std::move(sp));
      }
      if (se.workload_selector && !se.workload_selector->empty())
        svc.pods = pods_by_label.select(svc.namespace_, *se.workload_selector);
      const auto index = static_cast<std::uint32_t>(reg.services_.size());
      const std::string hostname = svc.hostname;
      // A ServiceEntry for a Kubernetes service's hostname only decorates it (docs/semantics.md §12.1).
      if (!add_service(std::move(svc))) continue;
      auto add_endpoint = [&](ExternalEndpoint ep) {
        ep.service = index;
        reg.services_[index].external_endpoints.push_back(static_cast<std::uint32_t>(reg.external_endpoints_.size()));
        reg.external_endpoints_.push_back(std::move(ep));
      };
      if (se.resolution == "STATIC" || se.resolution == "DNS" || se.resolution == "DNS_ROUND_ROBIN") {
        for (const auto& e : se.endpoints) {
          ExternalEndpoint ep;
          ep.address = e.address;
          ep.ports = e.ports;
          ep.labels = e.labels;
          ep.locality = e.locality;
          ep.weight = e.weight;
          ep.network = e.network;
          add_endpoint(std::move(ep));
        }
        // DNS without endpoints: Envoy resolves the host itself (STRICT_DNS / LOGICAL_DNS).
        if (se.endpoints.empty() && se.resolution != "STATIC" && !hostname.starts_with("*")) {
          ExternalEndpoint ep;
          ep.address = hostname;
          add_endpoint(std::move(ep));
        }
      }
    }
  }
  for (std::uint32_t i = 0; i < reg.pods_.size(); ++i)
    reg.pod_by_key_.emplace(reg.pods_[i].namespace_ + "/" + reg.pods_[i].name, i);
  if (options.legacy_ip_autoallocate) {
    const auto allocated = legacy_auto_allocated_addresses(store);
    for (auto& svc : reg.services_) {
      if (svc.origin != Service::Origin::ServiceEntry) continue;
      if (auto it = allocated.find(svc.namespace_ + "/" + svc.hostname); it != allocated.end())
        svc.auto_allocated_address = it->second;
    }
  }
  return reg;
}

const Service* Registry::find_service(std::string_view hostname) const {
  auto it = service_by_host_.find(hostname);
  return it == service_by_host_.end() ? nullptr : &services_[it->second];
}

const Service* Registry::find_service_by_address(std::string_view ip) const {
  auto it = service_by_address_.find(ip);
  return it == service_by_address_.end() ? nullptr : &services_[it->second];
}

const Pod* Registry::find_pod(std::string_view namespace_, std::string_view name) const {
  std::string key;
  key.reserve(namespace_.size() + 1 + name.size());
  key.append(namespace_).append("/").append(name);
  auto it = pod_by_key_.find(key);
  return it == pod_by_key_.end() ? nullptr : &pods_[it->second];
}

std::vector<std::uint32_t> Registry::pods_of_workload(std::string_view namespace_,
                                                      std::string_view workload) const {
  std::vector<std::uint32_t> out;
  for (std::uint32_t i = 0; i < pods_.size(); ++i)
    if (pods_[i].workload == workload && pods_[i].namespace_ == namespace_) out.push_back(i);
  std::sort(out.begin(), out.end(),
            [&](std::uint32_t a, std::uint32_t b) { return pods_[a].ordinal < pods_[b].ordinal; });
  return out;
}

std::vector<const Service*> Registry::find_services(std::string_view hostname) const {
  std::vector<const Service*> out;
  if (const Service* s = find_service(hostname)) out.push_back(s);
  return out;
}

std::vector<std::uint32_t> Registry::services_of_pod(std::uint32_t pod) const {
  std::vector<std::uint32_t> out;
  for (std::uint32_t i = 0; i < services_.size(); ++i) {
    const auto& pods = services_[i].pods;
    if (std::find(pods.begin(), pods.end(), pod) != pods.end()) out.push_back(i);
  }
  return out;
}

Registry::Dial Registry::dial(std::string_view host, std::string_view from_namespace) const {
  Dial d;
  const std::string name(host);
  if (is_ip_address(host)) {
    d.address = name;
    d.service = find_service_by_address(host);
    return d;
  }
  const Service* svc = resolve_dns(host, from_namespace);
  if (svc && !svc->external_name.empty()) {
    d.note = "DNS: " + name + " is ExternalName " + svc->hostname + " -> CNAME " + svc->external_name + "\n";
    svc = find_service(svc->external_name);
  }
  d.service = svc;
  if (!svc) {
    d.address = kOutsideAddress;
    d.note += "DNS: " + name + " is no Service or ServiceEntry; meshtwin assumes an outside address (" + d.address + ")";
  } else if (!svc->address.empty()) {
    d.address = svc->address;
    d.note += "DNS: " + name + " -> " + svc->hostname + " (" + svc->address + ")";
  } else if (!svc->pods.empty()) {
    d.address = pods_[svc->pods.front()].ip;
    d.note += "DNS: " + name + " -> " + svc->hostname + ", headless: pod " + pods_[svc->pods.front()].name + " (" +
              d.address + ")";
  } else if (!svc->external_endpoints.empty() &&
             is_ip_address(external_endpoints_[svc->external_endpoints.front()].address)) {
    d.address = external_endpoints_[svc->external_endpoints.front()].address;
    d.note += "DNS: " + name + " -> " + svc->hostname + " (endpoint " + d.address + ")";
  } else {
    d.address = kOutsideAddress;
    d.note += "DNS: " + name + " -> " + svc->hostname + ", which has no VIP; the app connects to the " +
              "address real DNS returns (meshtwin uses " + d.address + ")";
  }
  return d;
}

std::string Registry::nearest_host(std::string_view host, std::string_view from_namespace) const {
  std::string wanted(host);
  for (char& c : wanted) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Short names first: with equal distance the form the user most likely meant wins.
  std::vector<std::string> near, far;
  for (const Service& s : services_) {
    if (s.origin == Service::Origin::Kubernetes) {
      if (s.namespace_ == from_namespace) near.push_back(s.name);
      far.push_back(s.name + "." + s.namespace_);
      far.push_back(s.name + "." + s.namespace_ + ".svc");
    }
    if (!s.hostname.empty() && s.hostname.front() != '*') far.push_back(s.hostname);
  }
  near.insert(near.end(), far.begin(), far.end());
  return config::nearest_name(wanted, near);
}

const Service* Registry::resolve_dns(std::string_view host, std::string_view from_namespace) const {
  if (host.empty()) return nullptr;
  // Names are case-insensitive; compose candidates in a stack buffer (this may run per request).
  char buf[512];
  auto lookup = [&](std::string_view a, std::string_view b) -> const Service* {
    if (a.size() + b.size() > sizeof buf) return nullptr;
    std::size_t n = 0;
    for (char c : a) buf[n++] = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (char c : b) buf[n++] = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return find_service(std::string_view(buf, n));
  };
  if (is_ip_address(host)) return find_service_by_address(host);
  if (host.back() == '.') return lookup(host.substr(0, host.size() - 1), {});  // absolute name
  // resolv.conf in a pod: search <ns>.svc.<domain> svc.<domain> <domain>, ndots:5 — names with
  // fewer than 5 dots try the search list first, then the name as given.
  const auto dots = std::count(host.begin(), host.end(), '.');
  char suffix[256];
  auto try_search = [&]() -> const Service* {
    int n = std::snprintf(suffix, sizeof suffix, ".%.*s.svc.%.*s", static_cast<int>(from_namespace.size()),
                          from_namespace.data(), static_cast<int>(domain_.size()), domain_.data());
    if (n > 0 && static_cast<std::size_t>(n) < sizeof suffix)
      if (const Service* s = lookup(host, std::string_view(suffix, n))) return s;
    n = std::snprintf(suffix, sizeof suffix, ".svc.%.*s", static_cast<int>(domain_.size()), domain_.data());
    if (n > 0 && static_cast<std::size_t>(n) < sizeof suffix)
      if (const Service* s = lookup(host, std::string_view(suffix, n))) return s;
    n = std::snprintf(suffix, sizeof suffix, ".%.*s", static_cast<int>(domain_.size()), domain_.data());
    if (n > 0 && static_cast<std::size_t>(n) < sizeof suffix)
      if (const Service* s = lookup(host, std::string_view(suffix, n))) return s;
    return nullptr;
  };
  if (dots < 5) {
    if (const Service* s = try_search()) return s;
    return lookup(host, {});
  }
  if (const Service* s = lookup(host, {})) return s;
  return try_search();
}

}  // namespace meshtwin::registry
