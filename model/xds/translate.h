// The networking config istiod compiles from: Istio resources as written plus the Gateways and
// VirtualServices its ingress and gateway controllers generate from Kubernetes Ingress and
// Gateway API resources (docs/semantics.md §11; docs/design.md §3.1). Pure: same store in, same store out.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model/config/config_store.h"
#include "model/xds/proxy_config.h"

namespace meshtwin::xds {

// Annotations istiod puts on generated VirtualServices; the route compile reads them.
inline constexpr std::string_view kRouteSemanticsAnnotation = "internal.istio.io/route-semantics";
inline constexpr std::string_view kParentsAnnotation = "internal.istio.io/parents";
inline constexpr std::string_view kGatewayServiceAnnotation = "internal.istio.io/gateway-service";

// A reference istiod refuses while translating the Gateway API (docs/semantics.md §11.1): the
// backend or certificate it names is treated as invalid (a backend answers 500).
struct RefusedReference {
  enum class Kind {
    NotPermitted,     // crosses namespaces and no ReferenceGrant in the target namespace permits it
    UnsupportedKind,  // a backendRef group/kind istiod does not route to, or a certificateRef that is no Secret
  };
  Kind kind = Kind::NotPermitted;
  config::SourceLocation location;
  std::string field_path;  // spec.rules[0].backendRefs[1], spec.listeners[2].tls.certificateRefs[0]
  std::string message;
  std::string resource;  // "HTTPRoute default/echo", "Gateway infra/gw"
};

// A copy of `store` with the generated Gateways and VirtualServices applied, or nullptr when the
// store holds nothing to translate (compile from `store` itself then). Routes that cannot be
// attached (an unknown parent, a listener that does not allow them) are reported to `diags`
// as warnings when given. Refused references go to `refused` when given, else to `diags` as
// warnings too.
std::shared_ptr<const config::ConfigStore> translate_kubernetes_routing(const config::ConfigStore& store,
                                                                        const MeshOptions& mesh,
                                                                        config::Diagnostics* diags = nullptr,
                                                                        std::vector<RefusedReference>* refused = nullptr);

// The Istio Gateway name istiod generates for one listener of a Gateway API Gateway.
std::string generated_gateway_name(std::string_view gateway, std::string_view listener);

}  // namespace meshtwin::xds
