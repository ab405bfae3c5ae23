#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "model/config/resources.h"

namespace meshtwin::config {

// Nanoseconds since the Unix epoch of an RFC 3339 time (`2024-05-01T12:00:00Z`,
// `2024-05-01T12:00:00.5+02:00`); nullopt when the text is not one.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

// Istio's "oldest first" order (docs/semantics.md §1.2), the order of every vector in the store:
// objects with a creationTimestamp come first, by that time, ties broken by name then
// namespace; objects without one follow in the order they were first applied (they were
// created "now", during this load).
bool created_before(const ObjectMeta& a, const ObjectMeta& b);

// Resources keyed by (API group, kind, namespace, name) with kubectl apply semantics
// (docs/design.md §3.1): applying an object with an existing identity replaces it in place and keeps
// its creation order; a new identity is appended. Each kind's vector is kept in creation
// order ("oldest first"; creationTimestamp where given, else order of first apply), with
// ties broken by name then namespace as Istio does (docs/semantics.md §1.2).
class ConfigStore {
 public:
  void apply(Namespace r);
  void apply(Service r);
  void apply(Workload r);
  void apply(VirtualService r);
  void apply(DestinationRule r);
  void apply(Gateway r);
  void apply(ServiceEntry r);
  void apply(Sidecar r);
  void apply(UnmodelledResource r);
  void apply(EndpointSlice r);
  void apply(Ingress r);
  void apply(GatewayApiGateway r);
  void apply(GatewayApiHTTPRoute r);
  void apply(GatewayApiL4Route r);
  void apply(GatewayApiGRPCRoute r);
  void apply(GatewayApiReferenceGrant r);
  void apply(PeerAuthentication r);

  // Deletes by identity; kind as in YAML ("VirtualService", "Deployment", ...). Returns false
  // when nothing had that identity.
  bool remove(std::string_view kind, std::string_view namespace_, std::string_view name);

  const std::vector<Namespace>& namespaces() const { return namespaces_; }
  const std::vector<Service>& services() const { return services_; }
  const std::vector<Workload>& workloads() const { return workloads_; }
  const std::vector<VirtualService>& virtual_services() const { return virtual_services_; }
  const std::vector<DestinationRule>& destination_rules() const { return destination_rules_; }
  const std::vector<Gateway>& gateways() const { return gateways_; }
  const std::vector<ServiceEntry>& service_entries() const { return service_entries_; }
  const std::vector<Sidecar>& sidecars() const { return sidecars_; }
  const std::vector<UnmodelledResource>& unmodelled() const { return unmodelled_; }
  const std::vector<EndpointSlice>& endpoint_slices() const { return endpoint_slices_; }
  const std::vector<Ingress>& ingresses() const { return ingresses_; }
  // Kubernetes Gateway API objects (also kept by name in unmodelled(), as before they were read).
  const std::vector<GatewayApiGateway>& gateway_api_gateways() const { return gateway_api_gateways_; }
  const std::vector<GatewayApiHTTPRoute>& http_routes() const { return http_routes_; }
  const std::vector<GatewayApiL4Route>& l4_routes() const { return l4_routes_; }  // TCPRoute, TLSRoute
  const std::vector<GatewayApiGRPCRoute>& grpc_routes() const { return grpc_routes_; }
  const std::vector<GatewayApiReferenceGrant>& reference_grants() const { return reference_grants_; }
  const std::vector<PeerAuthentication>& peer_authentications() const { return peer_authentications_; }

  // Bumped on every apply/remove: lets the compile half skip work when nothing changed.
  std::uint64_t revision() const { return revision_; }

 private:
  template <class T>
  void apply_to(std::vector<T>& items, T r);

  std::vector<Namespace> namespaces_;
  std::vector<Service> services_;
  std::vector<Workload> workloads_;
  std::vector<VirtualService> virtual_services_;
  std::vector<DestinationRule> destination_rules_;
  std::vector<Gateway> gateways_;
  std::vector<ServiceEntry> service_entries_;
  std::vector<Sidecar> sidecars_;
  std::vector<UnmodelledResource> unmodelled_;
  std::vector<EndpointSlice> endpoint_slices_;
  std::vector<Ingress> ingresses_;
  std::vector<GatewayApiGateway> gateway_api_gateways_;
  std::vector<GatewayApiHTTPRoute> http_routes_;
  std::vector<GatewayApiL4Route> l4_routes_;
  std::vector<GatewayApiGRPCRoute> grpc_routes_;
  std::vector<GatewayApiReferenceGrant> reference_grants_;
  std::vector<PeerAuthentication> peer_authentications_;
  // Identities ever applied (identity_key in config_store.cc): a filter that spares apply() the
  // scan for objects never seen before.
  std::unordered_set<std::string> seen_identities_;
  std::uint64_t next_order_ = 1;
  std::uint64_t revision_ = 0;
};

}  // namespace meshtwin::config
