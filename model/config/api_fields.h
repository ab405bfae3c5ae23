// Private to model/config: the field names of every API message meshtwin reads, checked in so
// that loading can tell the two kinds of unread field apart (docs/scenario-reference.md,
// "Unknown fields"):
//   - a name the API does not define is a mistake (a typo, a field from another kind, an
//     indentation slip), an error as `kubectl apply --validate=strict` and istiod make it;
//   - a name the API defines that meshtwin does not read is valid config the twin does not
//     model: a warning for Istio (it changes traffic in a real mesh), silent for Kubernetes
//     (volumes, probes, resources, ... do not change what a mesh does).
// Lists are JSON names (lowerCamelCase), one per API message; api_fields.cc says where each
// comes from and which version.
#pragma once

#include <span>
#include <string_view>

namespace meshtwin::config::api {

enum class Unread {
  Warn,    // known but not modelled: a warning naming the field
  Silent,  // known and irrelevant to a mesh (or set by the server): accepted quietly
};

struct Message {
  std::string_view name;  // the API's type name, for messages: istio.networking.v1.HTTPRoute
  std::span<const std::string_view> fields;
  Unread unread = Unread::Warn;
  bool has(std::string_view field) const;
};

// A whole object: apiVersion, kind, metadata, spec, status (status and server-set metadata are
// what `kubectl get -o yaml` adds; they are read by no one and never reported).
extern const Message kObject;
extern const Message kObjectMeta;

// ---------------------------------------------------------------- Kubernetes (silent)
extern const Message kNamespaceSpec;
extern const Message kServiceSpec, kServicePort;
extern const Message kDeploymentSpec, kStatefulSetSpec, kDaemonSetSpec, kReplicaSetSpec;
extern const Message kDeploymentStrategy, kRollingUpdateDeployment;
extern const Message kStatefulSetUpdateStrategy, kRollingUpdateStatefulSetStrategy;
extern const Message kDaemonSetUpdateStrategy, kRollingUpdateDaemonSet;
extern const Message kLabelSelector, kPodTemplateSpec, kPodTemplateMeta, kPodSpec, kContainer, kContainerPort;
extern const Message kEndpointSlice, kEndpoint, kEndpointConditions, kEndpointPort;

// ---------------------------------------------------------------- Istio networking (warn)
extern const Message kVirtualService, kDestination, kPortSelector, kHTTPRoute, kDelegate, kHeaders,
    kHeaderOperations, kTLSRoute, kTCPRoute, kHTTPMatchRequest, kHTTPRouteDestination, kRouteDestination,
    kL4MatchAttributes, kTLSMatchAttributes, kHTTPRedirect, kHTTPDirectResponse, kHTTPBody, kHTTPRewrite,
    kRegexRewrite, kStringMatch, kHTTPRetry, kCorsPolicy, kHTTPFaultInjection, kFaultDelay, kFaultAbort,
    kHTTPMirrorPolicy, kPercent;
extern const Message kDestinationRule, kWorkloadSelectorMatchLabels, kTrafficPolicy, kPortTrafficPolicy,
    kRetryBudget, kSubset, kLoadBalancerSettings, kConsistentHashLB, kHTTPCookie, kRingHash, kMagLev,
    kWarmupConfiguration, kLocalityLoadBalancerSetting, kLocalityDistribute, kLocalityFailover,
    kConnectionPoolSettings, kTCPSettings, kHTTPSettings, kOutlierDetection, kClientTLSSettings;
extern const Message kGateway, kServer, kPort, kServerTLSSettings;
extern const Message kServiceEntry, kServicePortIstio, kWorkloadEntry, kWorkloadSelectorLabels;
extern const Message kSidecar, kIstioIngressListener, kIstioEgressListener, kSidecarPort, kOutboundTrafficPolicy;

// ---------------------------------------------------------------- Gateway API, Ingress, PeerAuthentication
// Read because istiod translates them (Gateway API, Ingress) or lint reads them
// (PeerAuthentication). Gateway API fields meshtwin does not translate warn, as Istio's do.
extern const Message kGatewaySpec, kListener, kGatewayTLSConfig, kSecretObjectReference, kAllowedRoutes,
    kRouteNamespaces, kRouteGroupKind, kGatewaySpecAddress;
extern const Message kHTTPRouteSpec, kTCPRouteSpec, kTLSRouteSpec, kParentReference, kHTTPRouteRule, kL4RouteRule,
    kHTTPRouteMatch, kHTTPPathMatch, kHTTPHeaderMatch, kHTTPRouteFilter, kHTTPHeaderFilter, kHTTPHeader,
    kHTTPRequestRedirectFilter, kHTTPURLRewriteFilter, kHTTPPathModifier, kHTTPRequestMirrorFilter, kFraction,
    kHTTPBackendRef, kBackendRef, kHTTPRouteTimeouts;
extern const Message kGRPCRouteSpec, kGRPCRouteRule, kGRPCRouteMatch, kGRPCMethodMatch, kGRPCHeaderMatch,
    kGRPCRouteFilter, kGRPCBackendRef;
extern const Message kReferenceGrantSpec, kReferenceGrantFrom, kReferenceGrantTo;
extern const Message kIngressSpec, kIngressBackend, kIngressServiceBackend, kServiceBackendPort, kIngressRule,
    kHTTPIngressRuleValue, kHTTPIngressPath, kIngressTLS;
extern const Message kPeerAuthenticationSpec, kPeerAuthenticationMTLS;

}  // namespace meshtwin::config::api
