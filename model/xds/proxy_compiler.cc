// ProxyCompiler's entry point and its scope (docs/semantics.md §1.2, §12.3): the Sidecar resource
// that scopes the proxy, the services and VirtualServices it imports, and the wildcard-host index
// that picks one VirtualService per service.
#include <algorithm>

#include "model/xds/proxy_compiler.h"

namespace meshtwin::xds::detail {

std::shared_ptr<const ProxyConfig> ProxyCompiler::compile() {
  select_sidecar();
  select_services();
  select_virtual_services();
  index_wildcard_virtual_services();

  auto cfg = std::make_shared<ProxyConfig>();
  build_clusters(*cfg);

  std::set<std::uint32_t> http_ports;
  for (const registry::Service* s : services_) {
    if (is_alias(*s)) continue;
    for (const auto& p : s->ports)
      if (registry::is_http(p.protocol)) http_ports.insert(p.port);
  }
  for (std::uint32_t port : http_ports) cfg->route_configs.push_back(build_route_config(port));
  build_sidecar_listeners(*cfg);  // compile_sidecar.cc; may add per-service sniffed route configs
  cfg->finalize();
  return cfg;
}

void ProxyCompiler::select_sidecar() {
  sidecar_ = select_sidecar_resource(store_, proxy_);

  outbound_policy_ = mesh_.outbound_traffic_policy;
  bool any_host = false;
  if (sidecar_) {
    if (sidecar_->outbound_traffic_policy_mode) outbound_policy_ = *sidecar_->outbound_traffic_policy_mode;
    // All egress listeners' hosts are unioned: port-specific egress listeners are not modelled.
    for (const auto& eg : sidecar_->egress) {
      for (const auto& h : eg.hosts) {
        const std::size_t slash = h.find('/');
        if (slash == std::string::npos || h.find('/', slash + 1) != std::string::npos) continue;
        std::string ns = h.substr(0, slash);
        // "." means the Sidecar's own namespace (Istio: the proxy's config namespace).
        if (ns == ".") ns = sidecar_->meta.namespace_ == detail::kRootNamespace ? proxy_.namespace_
                                                                                : sidecar_->meta.namespace_;
        imports_[ns].push_back(to_lower(h.substr(slash + 1)));
        any_host = true;
      }
    }
  }
  if (!any_host) imports_["*"].push_back("*");  // default */*
}

bool ProxyCompiler::imports_service(std::string_view ns, std::string_view host) const {
  auto check = [&](const std::vector<std::string>& hosts) {
    for (const auto& h : hosts)
      if (h == host || ((is_wildcard_host(h) || is_wildcard_host(host)) && host_subset_of(host, h))) return true;
    return false;
  };
  if (auto it = imports_.find(std::string(ns)); it != imports_.end() && check(it->second)) return true;
  if (auto it = imports_.find("*"); it != imports_.end() && check(it->second)) return true;
  return false;
}

bool ProxyCompiler::imports_vs(const VsInfo& v) const {
  auto check = [&](const std::vector<std::string>& hosts) {
    for (const auto& vh : v.hosts)
      for (const auto& h : hosts)
        if (h == vh || ((is_wildcard_host(h) || is_wildcard_host(vh)) && hosts_match(vh, h))) return true;
    return false;
  };
  if (auto it = imports_.find(v.vs->meta.namespace_); it != imports_.end() && check(it->second)) return true;
  if (auto it = imports_.find("*"); it != imports_.end() && check(it->second)) return true;
  return false;
}

void ProxyCompiler::select_services() {
  for (const auto& s : reg_.services()) {
    if (!detail::exported_to(s.export_to, s.namespace_, proxy_.namespace_)) continue;
    if (!imports_service(s.namespace_, s.hostname)) continue;
    services_.push_back(&s);
  }
  for (const registry::Service* s : services_) {
    service_by_host_.emplace(s->hostname, s);
    if (is_alias(*s)) aliases_[s->external_name].push_back(s);
  }
}

void ProxyCompiler::select_virtual_services() {
  // §1.2 candidate order: private VSs of the proxy's namespace, VSs of other namespaces that
  // export to it explicitly, then public ones; each group in creation order (store order).
  std::vector<const config::VirtualService*> groups[3];
  for (const auto& vs : store_.virtual_services()) {
    if (vs.hosts.empty()) continue;  // delegate VirtualServices are only reached through a root
    bool bound = false;
    if (vs.gateways.empty()) {
      bound = !gateway_mode_;  // no gateways: bound to "mesh" only (§1.2)
    } else {
      for (const auto& g : vs.gateways)
        if (in_gateway_set(normalize_gateway(g, vs.meta.namespace_))) bound = true;
    }
    if (!bound) continue;
    const auto& ex = vs.export_to;
    const bool is_public = ex.empty() || std::find(ex.begin(), ex.end(), "*") != ex.end();
    if (is_public) {
      groups[2].push_back(&vs);
      continue;
    }
    if (std::find(ex.begin(), ex.end(), "~") != ex.end()) continue;
    bool private_here = false, exported_here = false;
    for (const auto& e : ex) {
      if (e == "." || e == vs.meta.namespace_) {
        if (vs.meta.namespace_ == proxy_.namespace_) private_here = true;
      } else if (e == proxy_.namespace_) {
        exported_here = true;
      }
    }
    if (private_here) groups[0].push_back(&vs);
    else if (exported_here) groups[1].push_back(&vs);
  }
  for (auto& g : groups) {
    for (const config::VirtualService* vs : g) {
      VsInfo info;
      info.vs = vs;
      info.key = vs->meta.namespace_ + "/" + vs->meta.name;
      if (detail::is_root_virtual_service(*vs)) {
        merged_.push_back(detail::merge_delegates(*vs, store_, mesh_.short_name_domain(), diags_));
        info.vs = &merged_.back().vs;
        info.rule_ids = merged_.back().rule_ids;
      }
      if (auto it = vs->meta.annotations.find("internal.istio.io/route-semantics"); it != vs->meta.annotations.end())
        info.semantics = it->second;
      if (auto it = vs->meta.annotations.find("internal.istio.io/parents"); it != vs->meta.annotations.end())
        info.from_tls_route = it->second.starts_with("TLSRoute/");
      for (const auto& g : vs->gateways) info.gateways.push_back(normalize_gateway(g, vs->meta.namespace_));
      for (const auto& h : vs->hosts)
        info.hosts.push_back(to_lower(registry::resolve_short_name(h, vs->meta.namespace_, mesh_.short_name_domain())));
      // Gateways see every VirtualService bound to them; a Sidecar's egress hosts scope sidecars only.
      if (!gateway_mode_ && !imports_vs(info)) continue;
      vses_.push_back(std::move(info));
    }
  }
}

void ProxyCompiler::index_wildcard_virtual_services() {
  std::unordered_map<std::string, std::size_t> fqdn, wildcard;
  for (std::size_t i = 0; i < vses_.size(); ++i)
    for (const auto& h : vses_[i].hosts) (is_wildcard_host(h) ? wildcard : fqdn).emplace(h, i);
  for (const registry::Service* s : services_) {
    const std::string& needle = s->hostname;
    if (is_wildcard_host(needle)) {
      if (auto it = wildcard.find(needle); it != wildcard.end()) {
        vs_for_service_[needle] = it->second;
        continue;
      }
    } else if (auto it = fqdn.find(needle); it != fqdn.end()) {
      vs_for_service_[needle] = it->second;
      continue;
    }
    const std::string* best = nullptr;
    std::size_t best_vs = 0;
    const std::string_view tail = is_wildcard_host(needle) ? std::string_view(needle).substr(1) : needle;
    // Walk in VS order so that ties keep the first VS deterministically.
    for (std::size_t i = 0; i < vses_.size(); ++i) {
      for (const auto& h : vses_[i].hosts) {
        if (!is_wildcard_host(h) || wildcard[h] != i) continue;
        if (!tail.ends_with(std::string_view(h).substr(1))) continue;
        if (!best || detail::more_specific(h, *best)) {
          best = &h;
          best_vs = i;
        }
      }
    }
    if (best) vs_for_service_[needle] = best_vs;
  }
}

std::string ProxyCompiler::normalize_gateway(std::string_view g, std::string_view vs_namespace) {
  if (g == "mesh") return "mesh";
  if (g.starts_with("./")) return std::string(vs_namespace) + "/" + std::string(g.substr(2));
  if (g.find('/') != std::string_view::npos) return std::string(g);
  if (const auto dot = g.find('.'); dot != std::string_view::npos) {
    const std::string_view rest = g.substr(dot + 1);
    const auto dot2 = rest.find('.');
    return std::string(rest.substr(0, dot2)) + "/" + std::string(g.substr(0, dot));
  }
  return std::string(vs_namespace) + "/" + std::string(g);
}

}  // namespace meshtwin::xds::detail
