// Shared helpers for the model/xds and model/registry tests: load YAML into a store, build the
// registry, compile a sidecar and route one request through it the way a proxy would.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/config/config_store.h"
#include "model/config/loader.h"
#include "model/registry/registry.h"
#include "model/xds/proxy_config.h"

namespace meshtwin::xds::testing {

struct TestMesh {
  config::ConfigStore store;
  config::Diagnostics diags;
  registry::Registry reg;

  void load(std::string_view yaml) {
    config::load_yaml_text(yaml, "test.yaml", store, diags);
    for (const auto& d : diags.items())
      if (d.severity == config::Severity::Error) ADD_FAILURE() << "test YAML: " << d.format();
  }
  void build() { reg = registry::Registry::build(store, diags); }

  std::shared_ptr<const ProxyConfig> compile(std::string ns = "default", config::Labels labels = {},
                                             MeshOptions mesh = {}, config::Diagnostics* out = nullptr) {
    ProxyIdentity id;
    id.namespace_ = std::move(ns);
    id.labels = std::move(labels);
    return compile_sidecar(store, reg, id, mesh, out);
  }
};

// What a caller sidecar decides for one HTTP request (docs/semantics.md §16 steps 2-4).
struct Decision {
  const RouteConfiguration* table = nullptr;
  const VirtualHost* vhost = nullptr;
  const Route* route = nullptr;
};

inline Decision decide(const ProxyConfig& cfg, std::uint32_t port, std::string_view authority,
                       std::string_view path = "/", std::vector<RequestHeader> headers = {},
                       std::string_view method = "GET") {
  Decision d;
  d.table = cfg.route_config_for_port(port);
  if (!d.table) return d;
  const std::int32_t vh = d.table->find_virtual_host(authority);
  if (vh < 0) return d;
  d.vhost = &d.table->virtual_hosts[static_cast<std::size_t>(vh)];
  RequestAttributes req;
  req.authority = authority;
  req.path = path;
  req.method = method;
  req.headers = headers.data();
  req.header_count = headers.size();
  d.route = match_route(*d.vhost, req);
  return d;
}

// The cluster name a forward route sends to (its first entry), or "" for none.
inline std::string cluster_of(const Decision& d) {
  if (!d.route || d.route->clusters.empty()) return "";
  return d.route->clusters.front().name;
}

inline const Cluster* find_cluster(const ProxyConfig& cfg, std::string_view name) {
  const std::int32_t i = cfg.find_cluster(name);
  return i == kNoCluster ? nullptr : &cfg.clusters[static_cast<std::size_t>(i)];
}

inline const VirtualHost* find_vhost(const RouteConfiguration& rc, std::string_view name) {
  for (const auto& vh : rc.virtual_hosts)
    if (vh.name == name) return &vh;
  return nullptr;
}

}  // namespace meshtwin::xds::testing
