// `meshtwin explain`: one request from a workload's sidecar or a gateway narrated the way
// `istioctl proxy-config` shows config, plus the reasons: DNS, listener, filter chain, route
// configuration, virtual host, every route tried, weights, cluster, DestinationRule and subset,
// endpoints, load balancing, and the timeouts, retries and faults in force. Pure.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/registry/registry.h"
#include "model/xds/proxy_config.h"
#include "model/xds/trace.h"

namespace meshtwin::xds {

struct ExplainTarget {
  std::string namespace_;
  std::string workload;
  bool gateway = false;  // --gateway: the workload is a gateway proxy
};

struct ExplainRequest {
  std::string url;  // http://reviews:9080/reviews/0, https://api.example.com/, grpc://h/pkg.Svc/Method, tcp://tcp-echo:9000
  std::vector<std::pair<std::string, std::string>> headers;
  std::string method;  // empty: GET, or POST for grpc:// (a gRPC call, which also gets content-type application/grpc)
};

struct Explanation {
  std::vector<std::string> lines;
  CallTrace trace;
  std::string outcome;  // one line: "forwarded to ...", "404 NR", "502 (block_all)", ...
};

// The proxy identity of a workload's pods (the first ready pod; its IPs); nullopt with `error`
// set when there is no such workload, or it has no sidecar (or, for --gateway, is no gateway).
std::optional<ProxyIdentity> proxy_identity(const registry::Registry& registry, const ExplainTarget& target,
                                            std::string* error);

// Builds the call the app would make (DNS as the app resolves it; for a gateway, the gateway
// Service's port translated to the pod's target port) and narrates it. nullopt with `error` for
// a URL meshtwin cannot read.
std::optional<Explanation> explain(const ProxyConfig& config, const registry::Registry& registry,
                                   const ProxyIdentity& proxy, const ExplainRequest& request, std::string* error);

}  // namespace meshtwin::xds
