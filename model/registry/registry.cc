// The registry's lookups: services by host and address, pods by name and workload, DNS
// resolution along the Kubernetes search path and where an application's connection goes.
#include "model/registry/registry.h"

#include "model/text/format.h"

#include <algorithm>

namespace meshtwin::registry {

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
    d.note = text::trf("DNS: {name} is ExternalName {service} -> CNAME {target}", fmt::arg("name", name),
                          fmt::arg("service", svc->hostname), fmt::arg("target", svc->external_name)) +
             "\n";
    svc = find_service(svc->external_name);
  }
  d.service = svc;
  if (!svc) {
    d.address = kOutsideAddress;
    d.note += text::trf("DNS: {name} is no Service or ServiceEntry; meshtwin assumes an outside address ({address})",
                           fmt::arg("name", name), fmt::arg("address", d.address));
  } else if (!svc->address.empty()) {
    d.address = svc->address;
    d.note += text::trf("DNS: {name} -> {service} ({address})", fmt::arg("name", name),
                           fmt::arg("service", svc->hostname), fmt::arg("address", svc->address));
  } else if (!svc->pods.empty()) {
    d.address = pods_[svc->pods.front()].ip;
    d.note += text::trf("DNS: {name} -> {service}, headless: pod {pod} ({address})", fmt::arg("name", name),
                           fmt::arg("service", svc->hostname), fmt::arg("pod", pods_[svc->pods.front()].name),
                           fmt::arg("address", d.address));
  } else if (!svc->external_endpoints.empty() &&
             is_ip_address(external_endpoints_[svc->external_endpoints.front()].address)) {
    d.address = external_endpoints_[svc->external_endpoints.front()].address;
    d.note += text::trf("DNS: {name} -> {service} (endpoint {address})", fmt::arg("name", name),
                           fmt::arg("service", svc->hostname), fmt::arg("address", d.address));
  } else {
    d.address = kOutsideAddress;
    d.note += text::trf("DNS: {name} -> {service}, which has no VIP; the app connects to the address real DNS "
                           "returns (meshtwin uses {address})",
                           fmt::arg("name", name), fmt::arg("service", svc->hostname), fmt::arg("address", d.address));
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
