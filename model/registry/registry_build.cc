// Registry::build: pods from workloads, Services, EndpointSlices and ServiceEntries into one
// registry of services and endpoints (docs/design.md §3.1, docs/semantics.md §12.1), with the
// gateway workloads and Services the registry adds itself.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <tuple>
#include <unordered_set>

#include "model/registry/registry.h"
#include "model/registry/registry_internal.h"

namespace meshtwin::registry {

namespace {

using detail::iequals;
using detail::parse_protocol_name;
using detail::to_lower;

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

// Istio's canonical service and revision of a pod (istio/istio pkg/kube/labels
// CanonicalService, which the injector copies into the pod's labels): the first label present
// of service.istio.io/canonical-name, app.kubernetes.io/name, app, else the workload's name;
// the revision likewise from service.istio.io/canonical-revision, app.kubernetes.io/version,
// version, else "latest".
void set_canonical_service(Pod& pod) {
  auto first_label = [&](std::initializer_list<const char*> keys, std::string_view fallback) {
    for (const char* key : keys) {
      auto it = pod.labels.find(key);
      if (it != pod.labels.end()) return it->second;
    }
    return std::string(fallback);
  };
  pod.canonical_service =
      first_label({"service.istio.io/canonical-name", "app.kubernetes.io/name", "app"}, pod.workload);
  pod.canonical_revision =
      first_label({"service.istio.io/canonical-revision", "app.kubernetes.io/version", "version"}, "latest");
}

}  // namespace

// Registry::build in named steps; one Builder per build, holding what the steps share.
class Registry::Builder {
 public:
  Builder(const config::ConfigStore& store, config::Diagnostics& diags, const RegistryOptions& options)
      : store_(store), diags_(diags), options_(options) {
    reg_.domain_ = options.domain;
  }

  Registry build() {
    find_injection_disabled_namespaces();
    if (options_.default_gateways) add_default_gateways();
    add_gateway_api_deployments();
    // Pods, in workload creation order, then the generated ones.
    for (const auto& w : store_.workloads()) add_pods(w, false);
    for (const auto& w : generated_workloads_) add_pods(w, true);
    // Cluster IPs: explicit ones are reserved first so allocated ones never collide with them.
    for (const auto& s : store_.services())
      if (!s.cluster_ip.empty() && s.cluster_ip != "None") used_ips_.insert(s.cluster_ip);
    pods_by_label_.emplace(reg_.pods_);
    for (const auto& ks : store_.services()) add_k8s_service(ks, false);
    for (const auto& ks : generated_services_) add_k8s_service(ks, true);
    for (const auto& se : store_.service_entries())
      for (std::size_t h = 0; h < se.hosts.size(); ++h) add_service_entry_host(se, h);
    for (std::uint32_t i = 0; i < reg_.pods_.size(); ++i)
      reg_.pod_by_key_.emplace(reg_.pods_[i].namespace_ + "/" + reg_.pods_[i].name, i);
    if (options_.legacy_ip_autoallocate) apply_legacy_auto_allocation();
    return std::move(reg_);
  }

 private:
  // Namespaces that opted out of injection (docs/design.md §3.1).
  void find_injection_disabled_namespaces() {
    for (const auto& ns : store_.namespaces()) {
      auto it = ns.meta.labels.find("istio-injection");
      if (it != ns.meta.labels.end() && it->second == "disabled") injection_disabled_.insert(ns.meta.name);
    }
  }

  // Workloads and Services the registry provides on top of the manifests (docs/design.md §3.1).
  void add_default_gateways() {
    if (!has_object(store_, "istio-system", "istio-ingressgateway")) {
      config::Labels l{{"app", "istio-ingressgateway"}, {"istio", "ingressgateway"}};
      generated_workloads_.push_back(gateway_workload("istio-system", "istio-ingressgateway", l,
                                                      {{"status-port", 15021, "TCP"},
                                                       {"http2", 8080, "TCP"},
                                                       {"https", 8443, "TCP"},
                                                       {"tcp", 31400, "TCP"},
                                                       {"tls", 15443, "TCP"}}));
      generated_services_.push_back(gateway_service(
          "istio-system", "istio-ingressgateway", l,
          {{"status-port", 15021, 15021}, {"http2", 80, 8080}, {"https", 443, 8443}, {"tcp", 31400, 31400},
           {"tls", 15443, 15443}}));
    }
    if (!has_object(store_, "istio-system", "istio-egressgateway")) {
      config::Labels l{{"app", "istio-egressgateway"}, {"istio", "egressgateway"}};
      generated_workloads_.push_back(gateway_workload("istio-system", "istio-egressgateway", l,
                                                      {{"http2", 8080, "TCP"}, {"https", 8443, "TCP"}}));
      generated_services_.push_back(
          gateway_service("istio-system", "istio-egressgateway", l, {{"http2", 80, 8080}, {"https", 443, 8443}}));
    }
  }

  // A Gateway API Gateway of an Istio class gets its `<name>-istio` Deployment and Service
  // (docs/design.md §3.1), listening on the listener ports themselves.
  void add_gateway_api_deployments() {
    for (const auto& gw : store_.gateway_api_gateways()) {
      if (!istio_gateway_class(gw.gateway_class_name)) continue;
      const std::string name = gw.meta.name + "-istio";
      if (has_object(store_, gw.meta.namespace_, name)) continue;
      config::Labels l{{"gateway.networking.k8s.io/gateway-name", gw.meta.name},
                       {"istio.io/gateway-name", gw.meta.name}};
      std::vector<config::ContainerPort> cports{{"status-port", 15021, "TCP"}};
      std::vector<std::tuple<std::string, std::uint32_t, std::uint32_t>> sports{{"status-port", 15021, 15021}};
      std::unordered_set<std::uint32_t> seen;
      for (const auto& li : gw.listeners) {
        if (li.port == 0 || !seen.insert(li.port).second) continue;
        const std::string pname = lower_protocol(li.protocol) + "-" + std::to_string(li.port);
        cports.push_back({pname.size() <= 15 ? pname : std::string(), li.port, li.protocol == "UDP" ? "UDP" : "TCP"});
        sports.emplace_back(pname, li.port, li.port);
      }
      generated_workloads_.push_back(gateway_workload(gw.meta.namespace_, name, l, cports));
      config::Service svc = gateway_service(gw.meta.namespace_, name, l, sports);
      svc.meta.creation_order = gw.meta.creation_order;
      svc.meta.creation_timestamp = gw.meta.creation_timestamp;
      generated_services_.push_back(std::move(svc));
    }
  }

  // The pods of one workload: the pod plan's members when it has the workload, else `replicas`.
  void add_pods(const config::Workload& w, bool generated) {
    std::vector<PodPlan::Member> members;
    const std::vector<PodPlan::Member>* planned = nullptr;
    if (options_.pod_plan) {
      auto it = options_.pod_plan->by_workload.find(w.meta.namespace_ + "/" + w.meta.name);
      if (it != options_.pod_plan->by_workload.end()) planned = &it->second;
    }
    if (!planned) {
      for (std::int32_t i = 0; i < std::max<std::int32_t>(w.replicas, 0); ++i)
        members.push_back({static_cast<std::uint32_t>(i), true, nullptr});
      planned = &members;
    }
    for (const PodPlan::Member& member : *planned) reg_.pods_.push_back(make_pod(w, member, generated));
    ++workload_index_;
  }

  Pod make_pod(const config::Workload& w, const PodPlan::Member& member, bool generated) const {
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
    pod.ip = pod_ip(workload_index_, pod.ordinal, static_cast<std::uint32_t>(reg_.pods_.size()));
    bool inject = pod.namespace_ != "istio-system" && pod.namespace_ != "kube-system" &&
                  !injection_disabled_.count(pod.namespace_);
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
    set_canonical_service(pod);
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
    return pod;
  }

  std::string allocate_ip() {
    for (;;) {
      const std::uint32_t n = next_ip_++;
      std::string ip = format_ip(10, 96 + n / 65536, (n / 256) % 256, n % 256);
      if (n % 256 == 0 || n % 256 == 255) continue;  // keep clear of network/broadcast look-alikes
      if (used_ips_.insert(ip).second) return ip;
    }
  }

  bool add_service(Service svc) {
    auto [it, inserted] =
        reg_.service_by_host_.emplace(svc.hostname, static_cast<std::uint32_t>(reg_.services_.size()));
    if (!inserted) {
      // Several ServiceEntries for one host in one namespace make one service whose ports are the
      // union (Istio's SidecarScope merges them); otherwise the first definition is used.
      Service& existing = reg_.services_[it->second];
      if (svc.origin == Service::Origin::ServiceEntry && existing.origin == Service::Origin::ServiceEntry &&
          existing.namespace_ == svc.namespace_) {
        for (auto& p : svc.ports)
          if (!existing.find_port(p.port)) existing.ports.push_back(std::move(p));
      }
      return false;
    }
    const auto index = static_cast<std::uint32_t>(reg_.services_.size());
    for (const auto& a : svc.addresses) reg_.service_by_address_.emplace(a, index);
    if (!svc.address.empty()) reg_.service_by_address_.emplace(svc.address, index);
    reg_.services_.push_back(std::move(svc));
    return true;
  }

  void add_external_endpoint(std::uint32_t service, ExternalEndpoint ep) {
    ep.service = service;
    reg_.services_[service].external_endpoints.push_back(static_cast<std::uint32_t>(reg_.external_endpoints_.size()));
    reg_.external_endpoints_.push_back(std::move(ep));
  }

  void add_k8s_service(const config::Service& ks, bool generated) {
    Service svc;
    svc.origin = generated ? Service::Origin::Generated : Service::Origin::Kubernetes;
    svc.name = ks.meta.name;
    svc.namespace_ = ks.meta.namespace_;
    svc.hostname = to_lower(ks.meta.name + "." + ks.meta.namespace_ + ".svc." + reg_.domain_);
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
    if (ks.has_selector && !ks.selector.empty()) svc.pods = pods_by_label_->select(svc.namespace_, ks.selector);
    const auto index = static_cast<std::uint32_t>(reg_.services_.size());
    if (!add_service(std::move(svc))) {
      if (!generated)
        diags_.warning(ks.meta.location, "metadata.name", "Service host " + ks.meta.name + "." + ks.meta.namespace_ +
                                                              " is defined twice; the first definition is used");
      return;
    }
    add_slice_endpoints(index);
  }

  // EndpointSlices the service owns beyond its selected pods: endpoints Kubernetes would not
  // manage itself (selector-less Services, headless ones pointing outside the mesh).
  void add_slice_endpoints(std::uint32_t index) {
    for (const auto& slice : store_.endpoint_slices()) {
      const Service& added = reg_.services_[index];
      if (slice.meta.namespace_ != added.namespace_ || slice.service_name != added.name) continue;
      for (const auto& e : slice.endpoints) {
        for (const auto& addr : e.addresses) {
          bool is_pod = false;
          for (std::uint32_t p : reg_.services_[index].pods)
            if (reg_.pods_[p].ip == addr) is_pod = true;
          if (is_pod) continue;
          ExternalEndpoint ep;
          ep.address = addr;
          ep.ready = e.ready;
          for (const auto& sp : slice.ports) ep.ports[sp.name] = sp.port;
          add_external_endpoint(index, std::move(ep));
        }
      }
    }
  }

  // ServiceEntries: one registry service per host (docs/semantics.md §12.1). STATIC endpoints and DNS
  // hosts are external endpoints; a workloadSelector selects pods of the entry's namespace.
  void add_service_entry_host(const config::ServiceEntry& se, std::size_t h) {
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
      svc.pods = pods_by_label_->select(svc.namespace_, *se.workload_selector);
    const auto index = static_cast<std::uint32_t>(reg_.services_.size());
    const std::string hostname = svc.hostname;
    // A ServiceEntry for a Kubernetes service's hostname only decorates it (docs/semantics.md §12.1).
    if (!add_service(std::move(svc))) return;
    if (se.resolution != "STATIC" && se.resolution != "DNS" && se.resolution != "DNS_ROUND_ROBIN") return;
    for (const auto& e : se.endpoints) {
      ExternalEndpoint ep;
      ep.address = e.address;
      ep.ports = e.ports;
      ep.labels = e.labels;
      ep.locality = e.locality;
      ep.weight = e.weight;
      ep.network = e.network;
      add_external_endpoint(index, std::move(ep));
    }
    // DNS without endpoints: Envoy resolves the host itself (STRICT_DNS / LOGICAL_DNS).
    if (se.endpoints.empty() && se.resolution != "STATIC" && !hostname.starts_with("*")) {
      ExternalEndpoint ep;
      ep.address = hostname;
      add_external_endpoint(index, std::move(ep));
    }
  }

  void apply_legacy_auto_allocation() {
    const auto allocated = legacy_auto_allocated_addresses(store_);
    for (auto& svc : reg_.services_) {
      if (svc.origin != Service::Origin::ServiceEntry) continue;
      if (auto it = allocated.find(svc.namespace_ + "/" + svc.hostname); it != allocated.end())
        svc.auto_allocated_address = it->second;
    }
  }

  const config::ConfigStore& store_;
  config::Diagnostics& diags_;
  const RegistryOptions& options_;
  Registry reg_;
  std::unordered_set<std::string> injection_disabled_;
  std::vector<config::Workload> generated_workloads_;
  std::vector<config::Service> generated_services_;
  std::uint32_t workload_index_ = 0;
  std::unordered_set<std::string> used_ips_;
  std::uint32_t next_ip_ = 10;
  std::optional<PodSelectorIndex> pods_by_label_;  // over every pod, once they are all made
};

Registry Registry::build(const config::ConfigStore& store, config::Diagnostics& diags, std::string_view domain,
                         const PodPlan* pod_plan) {
  RegistryOptions options;
  options.domain = std::string(domain);
  options.pod_plan = pod_plan;
  return build(store, diags, options);
}

Registry Registry::build(const config::ConfigStore& store, config::Diagnostics& diags,
                         const RegistryOptions& options) {
  return Builder(store, diags, options).build();
}

}  // namespace meshtwin::registry
