#include "model/registry/registry.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
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

bool is_ip_address(std::string_view s) {
  if (s.empty()) return false;
  // IPv6 (any colon) or dotted-quad IPv4: enough for "leave IPs alone" in short-name resolution.
  if (s.find(':') != std::string_view::npos) return true;
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

std::string resolve_short_name(std::string_view host, std::string_view config_namespace,
                               std::string_view domain) {
  if (host == "*" || is_ip_address(host)) return std::string(host);
  // Any dot means "already qualified" (SEMANTICS §1.1): `reviews.prod` stays literal.
  if (host.find('.') != std::string_view::npos) return std::string(host);
  std::string out;
  out.reserve(host.size() + config_namespace.size() + domain.size() + 6);
  out.append(host).append(".").append(config_namespace).append(".svc.").append(domain);
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

Registry Registry::build(const config::ConfigStore& store, config::Diagnostics& diags,
                         std::string_view domain, const PodPlan* pod_plan) {
  Registry reg;
  reg.domain_ = std::string(domain);

  // Namespaces that opted out of injection (DESIGN §3.1).
  std::unordered_set<std::string> injection_disabled;
  for (const auto& ns : store.namespaces()) {
    auto it = ns.meta.labels.find("istio-injection");
    if (it != ns.meta.labels.end() && it->second == "disabled") injection_disabled.insert(ns.meta.name);
  }

  // Pods, in workload creation order.
  std::uint32_t workload_index = 0;
  for (const auto& w : store.workloads()) {
    std::vector<PodPlan::Member> members;
    const std::vector<PodPlan::Member>* planned = nullptr;
    if (pod_plan) {
      auto it = pod_plan->by_workload.find(w.meta.namespace_ + "/" + w.meta.name);
      if (it != pod_plan->by_workload.end()) planned = &it->second;
    }
    if (!planned) {
      for (std::int32_t i = 0; i < std::max<std::int32_t>(w.replicas, 0); ++i)
        members.push_back({static_cast<std::uint32_t>(i), true});
      planned = &members;
    }
    for (const PodPlan::Member& member : *planned) {
      Pod pod;
      pod.ordinal = member.ordinal;
      pod.ready = member.ready;
      // A bare Pod keeps its own name; controllers get "<workload>-<ordinal>".
      pod.name = w.kind == "Pod" ? w.meta.name : w.meta.name + "-" + std::to_string(member.ordinal);
      pod.namespace_ = w.meta.namespace_;
      pod.workload = w.meta.name;
      pod.workload_kind = w.kind;
      pod.labels = w.pod_labels;
      pod.annotations = w.pod_annotations;
      pod.ip = pod_ip(workload_index, pod.ordinal, static_cast<std::uint32_t>(reg.pods_.size()));
      bool inject = pod.namespace_ != "istio-system" && pod.namespace_ != "kube-system" &&
                    !injection_disabled.count(pod.namespace_);
      // The annotation is what DESIGN §3.1 names; Istio's newer pod label of the same name is
      // honoured too (it takes precedence over the annotation in the injector).
      const std::string inject_key = "sidecar.istio.io/inject";
      if (auto it = pod.labels.find(inject_key); it != pod.labels.end()) {
        if (iequals(it->second, "false")) inject = false;
      } else if (auto it2 = pod.annotations.find(inject_key); it2 != pod.annotations.end()) {
        if (iequals(it2->second, "false")) inject = false;
      }
      pod.has_sidecar = inject;
      auto v = pod.labels.find("version");
      pod.version = v != pod.labels.end() ? v->second : "unknown";
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
      for (const auto& c : w.containers)
        for (const auto& p : c.ports) pod.container_ports.push_back(p);
      reg.pods_.push_back(std::move(pod));
    }
    ++workload_index;
  }

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

  auto add_service = [&](Service svc) {
    auto [it, inserted] = reg.service_by_host_.emplace(svc.hostname, static_cast<std::uint32_t>(reg.services_.size()));
    (void)it;
    if (!inserted) return false;
    if (!svc.address.empty())
      reg.service_by_address_.emplace(svc.address, static_cast<std::uint32_t>(reg.services_.size()));
    reg.services_.push_back(std::move(svc));
    return true;
  };

  for (const auto& ks : store.services()) {
    Service svc;
    svc.origin = Service::Origin::Kubernetes;
    svc.name = ks.meta.name;
    svc.namespace_ = ks.meta.namespace_;
    svc.hostname = to_lower(ks.meta.name + "." + ks.meta.namespace_ + ".svc." + reg.domain_);
    svc.creation_order = ks.meta.creation_order;
    svc.k8s = &ks;
    if (ks.type == "ExternalName") {
      svc.external_name = to_lower(ks.external_name);
    } else if (ks.cluster_ip == "None") {
      svc.headless = true;
    } else if (!ks.cluster_ip.empty()) {
      svc.address = ks.cluster_ip;
    } else {
      svc.address = allocate_ip();
    }
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
    if (ks.has_selector && !ks.selector.empty()) {
      for (std::uint32_t i = 0; i < reg.pods_.size(); ++i) {
        const Pod& pod = reg.pods_[i];
        if (pod.namespace_ == svc.namespace_ && labels_contain(pod.labels, ks.selector)) svc.pods.push_back(i);
      }
    }
    if (!add_service(std::move(svc)))
      diags.warning(ks.meta.location, "metadata.name", "Service host " + ks.meta.name + "." + ks.meta.namespace_ +
                                                           " is defined twice; the first definition is used");
  }

  // ServiceEntries: one registry service per host. STATIC/DNS endpoints are addresses, not pods,
  // and are not modelled as endpoints yet; a workloadSelector selects pods of the entry's namespace.
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
      for (const auto& a : se.addresses) {
        if (a.find('/') == std::string::npos || a.ends_with("/32")) {
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
      if (se.workload_selector && !se.workload_selector->empty()) {
        for (std::uint32_t i = 0; i < reg.pods_.size(); ++i) {
          const Pod& pod = reg.pods_[i];
          if (pod.namespace_ == svc.namespace_ && labels_contain(pod.labels, *se.workload_selector))
            svc.pods.push_back(i);
        }
      }
      // A ServiceEntry for a Kubernetes service's hostname only decorates it (SEMANTICS §12.1).
      add_service(std::move(svc));
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
  for (const auto& p : pods_)
    if (p.name == name && p.namespace_ == namespace_) return &p;
  return nullptr;
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

std::vector<std::uint32_t> Registry::services_of_pod(std::uint32_t pod) const {
  std::vector<std::uint32_t> out;
  for (std::uint32_t i = 0; i < services_.size(); ++i) {
    const auto& pods = services_[i].pods;
    if (std::find(pods.begin(), pods.end(), pod) != pods.end()) out.push_back(i);
  }
  return out;
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
