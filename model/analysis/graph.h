// The service graph (docs/design.md §3.1 `meshtwin graph`): which workloads each service's routes send
// traffic to, with the VirtualService rule, subset and weight, and which services each gateway
// routes to, as Graphviz DOT. Built from the compiled configs (what a caller in the service's
// namespace would use), so it shows routing as compiled, not as written.
#pragma once

#include <string>

#include "model/config/config_store.h"
#include "model/registry/registry.h"
#include "model/xds/proxy_config.h"

namespace meshtwin::analysis {

std::string service_graph_dot(const config::ConfigStore& store, const registry::Registry& registry,
                              const xds::MeshOptions& mesh);

}  // namespace meshtwin::analysis
