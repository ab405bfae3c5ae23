#include "model/config/api_fields.h"

#include <algorithm>

namespace meshtwin::config::api {

bool Message::has(std::string_view field) const {
  return std::find(fields.begin(), fields.end(), field) != fields.end();
}

// One list per message. Keep them in the order of the source so that a reviewer can compare
// line by line; `unread` says what a known field the parser does not read gets.
#define MESHTWIN_MESSAGE(var, type_name, unread, ...)                 \
  namespace {                                                          \
  constexpr std::string_view var##_fields[] = {__VA_ARGS__};           \
  }                                                                    \
  const Message var { type_name, var##_fields, Unread::unread }

// ==================================================================== Kubernetes
// Source: the Kubernetes API reference, v1.33 (k8s.io/api core/v1, apps/v1, discovery/v1
// types.go, JSON tags), which covers every version Istio 1.31 supports. Fields added after
// a dump was taken are absent from it, never the other way round, so older dumps load too.
// Kubernetes fields meshtwin does not read are Silent: they do not change what the mesh does.

MESHTWIN_MESSAGE(kObject, "object", Silent, "apiVersion", "kind", "metadata", "spec", "status");

// meta/v1 ObjectMeta. Everything but name, namespace, labels, annotations and
// creationTimestamp is set by the API server (what `kubectl get -o yaml` prints).
MESHTWIN_MESSAGE(kObjectMeta, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", Silent, "name", "generateName",
                 "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
                 "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
                 "finalizers", "managedFields");

MESHTWIN_MESSAGE(kNamespaceSpec, "io.k8s.api.core.v1.NamespaceSpec", Silent, "finalizers");

MESHTWIN_MESSAGE(kServiceSpec, "io.k8s.api.core.v1.ServiceSpec", Silent, "ports", "selector", "clusterIP", "clusterIPs",
                 "type", "externalIPs", "sessionAffinity", "loadBalancerIP", "loadBalancerSourceRanges",
                 "externalName", "externalTrafficPolicy", "healthCheckNodePort", "publishNotReadyAddresses",
                 "sessionAffinityConfig", "ipFamilies", "ipFamilyPolicy", "allocateLoadBalancerNodePorts",
                 "loadBalancerClass", "internalTrafficPolicy", "trafficDistribution");
MESHTWIN_MESSAGE(kServicePort, "io.k8s.api.core.v1.ServicePort", Silent, "name", "protocol", "appProtocol", "port",
                 "targetPort", "nodePort");

MESHTWIN_MESSAGE(kDeploymentSpec, "io.k8s.api.apps.v1.DeploymentSpec", Silent, "replicas", "selector", "template",
                 "strategy", "minReadySeconds", "revisionHistoryLimit", "paused", "progressDeadlineSeconds");
MESHTWIN_MESSAGE(kDeploymentStrategy, "io.k8s.api.apps.v1.DeploymentStrategy", Silent, "type", "rollingUpdate");
MESHTWIN_MESSAGE(kRollingUpdateDeployment, "io.k8s.api.apps.v1.RollingUpdateDeployment", Silent, "maxUnavailable",
                 "maxSurge");
MESHTWIN_MESSAGE(kStatefulSetSpec, "io.k8s.api.apps.v1.StatefulSetSpec", Silent, "replicas", "selector", "template",
                 "volumeClaimTemplates", "serviceName", "podManagementPolicy", "updateStrategy",
                 "revisionHistoryLimit", "minReadySeconds", "persistentVolumeClaimRetentionPolicy", "ordinals");
MESHTWIN_MESSAGE(kStatefulSetUpdateStrategy, "io.k8s.api.apps.v1.StatefulSetUpdateStrategy", Silent, "type",
                 "rollingUpdate");
MESHTWIN_MESSAGE(kRollingUpdateStatefulSetStrategy, "io.k8s.api.apps.v1.RollingUpdateStatefulSetStrategy", Silent,
                 "partition", "maxUnavailable");
MESHTWIN_MESSAGE(kDaemonSetSpec, "io.k8s.api.apps.v1.DaemonSetSpec", Silent, "selector", "template", "updateStrategy",
                 "minReadySeconds", "revisionHistoryLimit");
MESHTWIN_MESSAGE(kDaemonSetUpdateStrategy, "io.k8s.api.apps.v1.DaemonSetUpdateStrategy", Silent, "type",
                 "rollingUpdate");
MESHTWIN_MESSAGE(kRollingUpdateDaemonSet, "io.k8s.api.apps.v1.RollingUpdateDaemonSet", Silent, "maxUnavailable",
                 "maxSurge");
MESHTWIN_MESSAGE(kReplicaSetSpec, "io.k8s.api.apps.v1.ReplicaSetSpec", Silent, "replicas", "minReadySeconds",
                 "selector", "template");
MESHTWIN_MESSAGE(kLabelSelector, "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector", Silent, "matchLabels",
                 "matchExpressions");
MESHTWIN_MESSAGE(kPodTemplateSpec, "io.k8s.api.core.v1.PodTemplateSpec", Silent, "metadata", "spec");
// The template's metadata is an ObjectMeta too; the API server sets the same fields there.
MESHTWIN_MESSAGE(kPodTemplateMeta, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", Silent, "name", "generateName",
                 "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
                 "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
                 "finalizers", "managedFields");
MESHTWIN_MESSAGE(kPodSpec, "io.k8s.api.core.v1.PodSpec", Silent, "volumes", "initContainers", "containers",
                 "ephemeralContainers", "restartPolicy", "terminationGracePeriodSeconds", "activeDeadlineSeconds",
                 "dnsPolicy", "nodeSelector", "serviceAccountName", "serviceAccount", "automountServiceAccountToken",
                 "nodeName", "hostNetwork", "hostPID", "hostIPC", "shareProcessNamespace", "securityContext",
                 "imagePullSecrets", "hostname", "subdomain", "affinity", "schedulerName", "tolerations",
                 "hostAliases", "priorityClassName", "priority", "dnsConfig", "readinessGates", "runtimeClassName",
                 "enableServiceLinks", "preemptionPolicy", "overhead", "topologySpreadConstraints",
                 "setHostnameAsFQDN", "os", "hostUsers", "schedulingGates", "resourceClaims", "resources");
MESHTWIN_MESSAGE(kContainer, "io.k8s.api.core.v1.Container", Silent, "name", "image", "command", "args", "workingDir",
                 "ports", "envFrom", "env", "resources", "resizePolicy", "restartPolicy", "volumeMounts",
                 "volumeDevices", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle",
                 "terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy", "securityContext", "stdin",
                 "stdinOnce", "tty");
MESHTWIN_MESSAGE(kContainerPort, "io.k8s.api.core.v1.ContainerPort", Silent, "name", "hostPort", "containerPort",
                 "protocol", "hostIP");

// discovery.k8s.io/v1: the fields sit beside metadata, not under spec.
MESHTWIN_MESSAGE(kEndpointSlice, "io.k8s.api.discovery.v1.EndpointSlice", Silent, "apiVersion", "kind", "metadata",
                 "addressType", "endpoints", "ports");
MESHTWIN_MESSAGE(kEndpoint, "io.k8s.api.discovery.v1.Endpoint", Silent, "addresses", "conditions", "hostname",
                 "targetRef", "nodeName", "zone", "hints", "deprecatedTopology");
MESHTWIN_MESSAGE(kEndpointConditions, "io.k8s.api.discovery.v1.EndpointConditions", Silent, "ready", "serving",
                 "terminating");
MESHTWIN_MESSAGE(kEndpointPort, "io.k8s.api.discovery.v1.EndpointPort", Silent, "name", "protocol", "port",
                 "appProtocol");

// ==================================================================== Istio
// Source: istio/api networking/v1alpha3/{virtual_service,destination_rule,gateway,service_entry,
// sidecar,workload_entry}.proto, the one schema served as networking.istio.io v1, v1beta1 and
// v1alpha3, as of Istio 1.31 (JSON names of every field, deprecated ones included: istiod
// still accepts them). A field here that the parser does not read draws a warning: it would
// change traffic in a real mesh, so the twin says it does not model it.

// virtual_service.proto
MESHTWIN_MESSAGE(kVirtualService, "istio.networking.v1.VirtualService", Warn, "hosts", "gateways", "http", "tls", "tcp",
                 "exportTo");
MESHTWIN_MESSAGE(kDestination, "istio.networking.v1.Destination", Warn, "host", "subset", "port");
MESHTWIN_MESSAGE(kPortSelector, "istio.networking.v1.PortSelector", Warn, "number");
MESHTWIN_MESSAGE(kHTTPRoute, "istio.networking.v1.HTTPRoute", Warn, "name", "match", "route", "redirect",
                 "directResponse", "delegate", "rewrite", "timeout", "retries", "fault", "mirror", "mirrors",
                 "mirrorPercent", "mirrorPercentage", "corsPolicy", "headers");
MESHTWIN_MESSAGE(kDelegate, "istio.networking.v1.Delegate", Warn, "name", "namespace");
MESHTWIN_MESSAGE(kHeaders, "istio.networking.v1.Headers", Warn, "request", "response");
MESHTWIN_MESSAGE(kHeaderOperations, "istio.networking.v1.Headers.HeaderOperations", Warn, "set", "add", "remove");
MESHTWIN_MESSAGE(kTLSRoute, "istio.networking.v1.TLSRoute", Warn, "match", "route");
MESHTWIN_MESSAGE(kTCPRoute, "istio.networking.v1.TCPRoute", Warn, "match", "route");
MESHTWIN_MESSAGE(kHTTPMatchRequest, "istio.networking.v1.HTTPMatchRequest", Warn, "name", "uri", "scheme", "method",
                 "authority", "headers", "port", "sourceLabels", "gateways", "queryParams", "ignoreUriCase",
                 "withoutHeaders", "sourceNamespace", "statPrefix");
MESHTWIN_MESSAGE(kHTTPRouteDestination, "istio.networking.v1.HTTPRouteDestination", Warn, "destination", "weight",
                 "headers");
MESHTWIN_MESSAGE(kRouteDestination, "istio.networking.v1.RouteDestination", Warn, "destination", "weight");
MESHTWIN_MESSAGE(kL4MatchAttributes, "istio.networking.v1.L4MatchAttributes", Warn, "destinationSubnets", "port",
                 "sourceSubnet", "sourceLabels", "gateways", "sourceNamespace");
MESHTWIN_MESSAGE(kTLSMatchAttributes, "istio.networking.v1.TLSMatchAttributes", Warn, "sniHosts",
                 "destinationSubnets", "port", "sourceLabels", "gateways", "sourceNamespace");
MESHTWIN_MESSAGE(kHTTPRedirect, "istio.networking.v1.HTTPRedirect", Warn, "uri", "authority", "port", "derivePort",
                 "scheme", "redirectCode");
MESHTWIN_MESSAGE(kHTTPDirectResponse, "istio.networking.v1.HTTPDirectResponse", Warn, "status", "body");
MESHTWIN_MESSAGE(kHTTPBody, "istio.networking.v1.HTTPBody", Warn, "string", "bytes");
MESHTWIN_MESSAGE(kHTTPRewrite, "istio.networking.v1.HTTPRewrite", Warn, "uri", "authority", "uriRegexRewrite");
MESHTWIN_MESSAGE(kRegexRewrite, "istio.networking.v1.RegexRewrite", Warn, "match", "rewrite");
MESHTWIN_MESSAGE(kStringMatch, "istio.networking.v1.StringMatch", Warn, "exact", "prefix", "regex");
MESHTWIN_MESSAGE(kHTTPRetry, "istio.networking.v1.HTTPRetry", Warn, "attempts", "perTryTimeout", "retryOn",
                 "retryRemoteLocalities", "retryIgnorePreviousHosts", "backoff");
MESHTWIN_MESSAGE(kCorsPolicy, "istio.networking.v1.CorsPolicy", Warn, "allowOrigin", "allowOrigins", "allowMethods",
                 "allowHeaders", "exposeHeaders", "maxAge", "allowCredentials", "unmatchedPreflights");
MESHTWIN_MESSAGE(kHTTPFaultInjection, "istio.networking.v1.HTTPFaultInjection", Warn, "delay", "abort");
MESHTWIN_MESSAGE(kFaultDelay, "istio.networking.v1.HTTPFaultInjection.Delay", Warn, "percent", "fixedDelay",
                 "exponentialDelay", "percentage");
MESHTWIN_MESSAGE(kFaultAbort, "istio.networking.v1.HTTPFaultInjection.Abort", Warn, "httpStatus", "grpcStatus",
                 "http2Error", "percentage");
MESHTWIN_MESSAGE(kHTTPMirrorPolicy, "istio.networking.v1.HTTPMirrorPolicy", Warn, "destination", "percentage");
MESHTWIN_MESSAGE(kPercent, "istio.networking.v1.Percent", Warn, "value");

// destination_rule.proto
MESHTWIN_MESSAGE(kDestinationRule, "istio.networking.v1.DestinationRule", Warn, "host", "trafficPolicy", "subsets",
                 "exportTo", "workloadSelector");
// type.v1beta1.WorkloadSelector (DestinationRule): matchLabels.
MESHTWIN_MESSAGE(kWorkloadSelectorMatchLabels, "istio.type.v1beta1.WorkloadSelector", Warn, "matchLabels");
MESHTWIN_MESSAGE(kTrafficPolicy, "istio.networking.v1.TrafficPolicy", Warn, "loadBalancer", "connectionPool",
                 "outlierDetection", "tls", "portLevelSettings", "tunnel", "proxyProtocol", "retryBudget");
MESHTWIN_MESSAGE(kPortTrafficPolicy, "istio.networking.v1.TrafficPolicy.PortTrafficPolicy", Warn, "port",
                 "loadBalancer", "connectionPool", "outlierDetection", "tls");
MESHTWIN_MESSAGE(kRetryBudget, "istio.networking.v1.TrafficPolicy.RetryBudget", Warn, "percent",
                 "minRetryConcurrency");
MESHTWIN_MESSAGE(kSubset, "istio.networking.v1.Subset", Warn, "name", "labels", "trafficPolicy");
MESHTWIN_MESSAGE(kLoadBalancerSettings, "istio.networking.v1.LoadBalancerSettings", Warn, "simple", "consistentHash",
                 "localityLbSetting", "warmupDurationSecs", "warmup");
MESHTWIN_MESSAGE(kConsistentHashLB, "istio.networking.v1.LoadBalancerSettings.ConsistentHashLB", Warn,
                 "httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName", "ringHash", "maglev",
                 "minimumRingSize");
MESHTWIN_MESSAGE(kHTTPCookie, "istio.networking.v1.LoadBalancerSettings.ConsistentHashLB.HTTPCookie", Warn, "name",
                 "path", "ttl", "attributes");
MESHTWIN_MESSAGE(kRingHash, "istio.networking.v1.LoadBalancerSettings.ConsistentHashLB.RingHash", Warn,
                 "minimumRingSize");
MESHTWIN_MESSAGE(kMagLev, "istio.networking.v1.LoadBalancerSettings.ConsistentHashLB.MagLev", Warn, "tableSize");
MESHTWIN_MESSAGE(kWarmupConfiguration, "istio.networking.v1.WarmupConfiguration", Warn, "duration", "minimumPercent",
                 "aggression");
MESHTWIN_MESSAGE(kLocalityLoadBalancerSetting, "istio.networking.v1.LocalityLoadBalancerSetting", Warn, "distribute",
                 "failover", "failoverPriority", "enabled");
MESHTWIN_MESSAGE(kLocalityDistribute, "istio.networking.v1.LocalityLoadBalancerSetting.Distribute", Warn, "from",
                 "to");
MESHTWIN_MESSAGE(kLocalityFailover, "istio.networking.v1.LocalityLoadBalancerSetting.Failover", Warn, "from", "to");
MESHTWIN_MESSAGE(kConnectionPoolSettings, "istio.networking.v1.ConnectionPoolSettings", Warn, "tcp", "http");
MESHTWIN_MESSAGE(kTCPSettings, "istio.networking.v1.ConnectionPoolSettings.TCPSettings", Warn, "maxConnections",
                 "connectTimeout", "tcpKeepalive", "maxConnectionDuration", "idleTimeout");
MESHTWIN_MESSAGE(kHTTPSettings, "istio.networking.v1.ConnectionPoolSettings.HTTPSettings", Warn,
                 "http1MaxPendingRequests", "http2MaxRequests", "maxRequestsPerConnection", "maxRetries",
                 "idleTimeout", "h2UpgradePolicy", "useClientProtocol", "maxConcurrentStreams");
MESHTWIN_MESSAGE(kOutlierDetection, "istio.networking.v1.OutlierDetection", Warn, "consecutiveErrors",
                 "splitExternalLocalOriginErrors", "consecutiveLocalOriginFailures", "consecutiveGatewayErrors",
                 "consecutive5xxErrors", "interval", "baseEjectionTime", "maxEjectionPercent", "minHealthPercent");
MESHTWIN_MESSAGE(kClientTLSSettings, "istio.networking.v1.ClientTLSSettings", Warn, "mode", "clientCertificate",
                 "privateKey", "caCertificates", "credentialName", "subjectAltNames", "sni", "insecureSkipVerify",
                 "caCrl");

// gateway.proto
MESHTWIN_MESSAGE(kGateway, "istio.networking.v1.Gateway", Warn, "servers", "selector");
MESHTWIN_MESSAGE(kServer, "istio.networking.v1.Server", Warn, "port", "bind", "hosts", "tls", "defaultEndpoint",
                 "name");
MESHTWIN_MESSAGE(kPort, "istio.networking.v1.Port", Warn, "number", "protocol", "name", "targetPort");
MESHTWIN_MESSAGE(kServerTLSSettings, "istio.networking.v1.ServerTLSSettings", Warn, "httpsRedirect", "mode",
                 "serverCertificate", "privateKey", "caCertificates", "caCrl", "credentialName", "credentialNames",
                 "tlsCertificates", "subjectAltNames", "verifyCertificateSpki", "verifyCertificateHash",
                 "minProtocolVersion", "maxProtocolVersion", "cipherSuites");

// service_entry.proto, workload_entry.proto
MESHTWIN_MESSAGE(kServiceEntry, "istio.networking.v1.ServiceEntry", Warn, "hosts", "addresses", "ports", "location",
                 "resolution", "endpoints", "workloadSelector", "exportTo", "subjectAltNames");
MESHTWIN_MESSAGE(kServicePortIstio, "istio.networking.v1.ServicePort", Warn, "number", "protocol", "name",
                 "targetPort");
MESHTWIN_MESSAGE(kWorkloadEntry, "istio.networking.v1.WorkloadEntry", Warn, "address", "ports", "labels", "network",
                 "locality", "weight", "serviceAccount");
// networking.v1.WorkloadSelector (ServiceEntry, Sidecar): labels.
MESHTWIN_MESSAGE(kWorkloadSelectorLabels, "istio.networking.v1.WorkloadSelector", Warn, "labels");

// sidecar.proto
MESHTWIN_MESSAGE(kSidecar, "istio.networking.v1.Sidecar", Warn, "workloadSelector", "ingress", "egress",
                 "inboundConnectionPool", "outboundTrafficPolicy");
MESHTWIN_MESSAGE(kIstioIngressListener, "istio.networking.v1.IstioIngressListener", Warn, "port", "bind",
                 "captureMode", "defaultEndpoint", "tls", "connectionPool");
MESHTWIN_MESSAGE(kIstioEgressListener, "istio.networking.v1.IstioEgressListener", Warn, "port", "bind", "captureMode",
                 "hosts");
MESHTWIN_MESSAGE(kSidecarPort, "istio.networking.v1.SidecarPort", Warn, "number", "protocol", "name", "targetPort");
MESHTWIN_MESSAGE(kOutboundTrafficPolicy, "istio.networking.v1.OutboundTrafficPolicy", Warn, "mode", "egressProxy");

// ==================================================================== Gateway API
// Source: kubernetes-sigs/gateway-api apis/v1 (and v1alpha2 for TCPRoute and TLSRoute), release
// v1.3, experimental channel (a superset of standard): the version Istio 1.31 implements. Fields
// meshtwin does not translate warn (istiod would act on them); the few that cannot change
// traffic in the twin are ignored by name in parse_gateway_api.cc.

MESHTWIN_MESSAGE(kGatewaySpec, "gateway.networking.k8s.io/v1.GatewaySpec", Warn, "gatewayClassName", "listeners",
                 "addresses", "infrastructure", "backendTLS", "allowedListeners");
MESHTWIN_MESSAGE(kListener, "gateway.networking.k8s.io/v1.Listener", Warn, "name", "hostname", "port", "protocol", "tls",
                 "allowedRoutes");
MESHTWIN_MESSAGE(kGatewayTLSConfig, "gateway.networking.k8s.io/v1.GatewayTLSConfig", Warn, "mode", "certificateRefs",
                 "frontendValidation", "options");
MESHTWIN_MESSAGE(kSecretObjectReference, "gateway.networking.k8s.io/v1.SecretObjectReference", Warn, "group", "kind",
                 "name", "namespace");
MESHTWIN_MESSAGE(kAllowedRoutes, "gateway.networking.k8s.io/v1.AllowedRoutes", Warn, "namespaces", "kinds");
MESHTWIN_MESSAGE(kRouteNamespaces, "gateway.networking.k8s.io/v1.RouteNamespaces", Warn, "from", "selector");
MESHTWIN_MESSAGE(kRouteGroupKind, "gateway.networking.k8s.io/v1.RouteGroupKind", Warn, "group", "kind");
MESHTWIN_MESSAGE(kGatewaySpecAddress, "gateway.networking.k8s.io/v1.GatewaySpecAddress", Warn, "type", "value");
MESHTWIN_MESSAGE(kHTTPRouteSpec, "gateway.networking.k8s.io/v1.HTTPRouteSpec", Warn, "parentRefs", "hostnames", "rules");
MESHTWIN_MESSAGE(kTCPRouteSpec, "gateway.networking.k8s.io/v1alpha2.TCPRouteSpec", Warn, "parentRefs", "rules");
MESHTWIN_MESSAGE(kTLSRouteSpec, "gateway.networking.k8s.io/v1alpha2.TLSRouteSpec", Warn, "parentRefs", "hostnames",
                 "rules");
MESHTWIN_MESSAGE(kParentReference, "gateway.networking.k8s.io/v1.ParentReference", Warn, "group", "kind", "namespace",
                 "name", "sectionName", "port");
MESHTWIN_MESSAGE(kHTTPRouteRule, "gateway.networking.k8s.io/v1.HTTPRouteRule", Warn, "name", "matches", "filters",
                 "backendRefs", "timeouts", "retry", "sessionPersistence");
// TCPRouteRule and TLSRouteRule.
MESHTWIN_MESSAGE(kL4RouteRule, "gateway.networking.k8s.io/v1alpha2.TCPRouteRule", Warn, "name", "backendRefs");
MESHTWIN_MESSAGE(kHTTPRouteMatch, "gateway.networking.k8s.io/v1.HTTPRouteMatch", Warn, "path", "headers",
                 "queryParams", "method");
MESHTWIN_MESSAGE(kHTTPPathMatch, "gateway.networking.k8s.io/v1.HTTPPathMatch", Warn, "type", "value");
// HTTPHeaderMatch and HTTPQueryParamMatch.
MESHTWIN_MESSAGE(kHTTPHeaderMatch, "gateway.networking.k8s.io/v1.HTTPHeaderMatch", Warn, "type", "name", "value");
MESHTWIN_MESSAGE(kHTTPRouteFilter, "gateway.networking.k8s.io/v1.HTTPRouteFilter", Warn, "type",
                 "requestHeaderModifier", "responseHeaderModifier", "requestMirror", "requestRedirect", "urlRewrite",
                 "cors", "extensionRef");
MESHTWIN_MESSAGE(kHTTPHeaderFilter, "gateway.networking.k8s.io/v1.HTTPHeaderFilter", Warn, "set", "add", "remove");
MESHTWIN_MESSAGE(kHTTPHeader, "gateway.networking.k8s.io/v1.HTTPHeader", Warn, "name", "value");
MESHTWIN_MESSAGE(kHTTPRequestRedirectFilter, "gateway.networking.k8s.io/v1.HTTPRequestRedirectFilter", Warn, "scheme",
                 "hostname", "path", "port", "statusCode");
MESHTWIN_MESSAGE(kHTTPURLRewriteFilter, "gateway.networking.k8s.io/v1.HTTPURLRewriteFilter", Warn, "hostname", "path");
MESHTWIN_MESSAGE(kHTTPPathModifier, "gateway.networking.k8s.io/v1.HTTPPathModifier", Warn, "type", "replaceFullPath",
                 "replacePrefixMatch");
MESHTWIN_MESSAGE(kHTTPRequestMirrorFilter, "gateway.networking.k8s.io/v1.HTTPRequestMirrorFilter", Warn, "backendRef",
                 "percent", "fraction");
MESHTWIN_MESSAGE(kFraction, "gateway.networking.k8s.io/v1.Fraction", Warn, "numerator", "denominator");
MESHTWIN_MESSAGE(kHTTPBackendRef, "gateway.networking.k8s.io/v1.HTTPBackendRef", Warn, "group", "kind", "name",
                 "namespace", "port", "weight", "filters");
// BackendRef (TCPRoute, TLSRoute) and BackendObjectReference (a mirror's backendRef).
MESHTWIN_MESSAGE(kBackendRef, "gateway.networking.k8s.io/v1.BackendRef", Warn, "group", "kind", "name", "namespace",
                 "port", "weight");
MESHTWIN_MESSAGE(kHTTPRouteTimeouts, "gateway.networking.k8s.io/v1.HTTPRouteTimeouts", Warn, "request",
                 "backendRequest");

MESHTWIN_MESSAGE(kGRPCRouteSpec, "gateway.networking.k8s.io/v1.GRPCRouteSpec", Warn, "parentRefs", "hostnames", "rules");
MESHTWIN_MESSAGE(kGRPCRouteRule, "gateway.networking.k8s.io/v1.GRPCRouteRule", Warn, "name", "matches", "filters",
                 "backendRefs", "sessionPersistence");
MESHTWIN_MESSAGE(kGRPCRouteMatch, "gateway.networking.k8s.io/v1.GRPCRouteMatch", Warn, "method", "headers");
MESHTWIN_MESSAGE(kGRPCMethodMatch, "gateway.networking.k8s.io/v1.GRPCMethodMatch", Warn, "type", "service", "method");
MESHTWIN_MESSAGE(kGRPCHeaderMatch, "gateway.networking.k8s.io/v1.GRPCHeaderMatch", Warn, "type", "name", "value");
MESHTWIN_MESSAGE(kGRPCRouteFilter, "gateway.networking.k8s.io/v1.GRPCRouteFilter", Warn, "type",
                 "requestHeaderModifier", "responseHeaderModifier", "requestMirror", "extensionRef");
MESHTWIN_MESSAGE(kGRPCBackendRef, "gateway.networking.k8s.io/v1.GRPCBackendRef", Warn, "group", "kind", "name",
                 "namespace", "port", "weight", "filters");
// apis/v1beta1 ReferenceGrant.
MESHTWIN_MESSAGE(kReferenceGrantSpec, "gateway.networking.k8s.io/v1beta1.ReferenceGrantSpec", Warn, "from", "to");
MESHTWIN_MESSAGE(kReferenceGrantFrom, "gateway.networking.k8s.io/v1beta1.ReferenceGrantFrom", Warn, "group", "kind",
                 "namespace");
MESHTWIN_MESSAGE(kReferenceGrantTo, "gateway.networking.k8s.io/v1beta1.ReferenceGrantTo", Warn, "group", "kind",
                 "name");

// ==================================================================== networking.k8s.io/v1 Ingress
// Source: k8s.io/api networking/v1 types.go, v1.33; `backend`, `serviceName` and `servicePort`
// are v1beta1's names, still found in old manifests and accepted as istiod's converter does.
MESHTWIN_MESSAGE(kIngressSpec, "io.k8s.api.networking.v1.IngressSpec", Silent, "ingressClassName", "defaultBackend",
                 "tls", "rules", "backend");
MESHTWIN_MESSAGE(kIngressBackend, "io.k8s.api.networking.v1.IngressBackend", Silent, "service", "resource",
                 "serviceName", "servicePort");
MESHTWIN_MESSAGE(kIngressServiceBackend, "io.k8s.api.networking.v1.IngressServiceBackend", Silent, "name", "port");
MESHTWIN_MESSAGE(kServiceBackendPort, "io.k8s.api.networking.v1.ServiceBackendPort", Silent, "name", "number");
MESHTWIN_MESSAGE(kIngressRule, "io.k8s.api.networking.v1.IngressRule", Silent, "host", "http");
MESHTWIN_MESSAGE(kHTTPIngressRuleValue, "io.k8s.api.networking.v1.HTTPIngressRuleValue", Silent, "paths");
MESHTWIN_MESSAGE(kHTTPIngressPath, "io.k8s.api.networking.v1.HTTPIngressPath", Silent, "path", "pathType", "backend");
MESHTWIN_MESSAGE(kIngressTLS, "io.k8s.api.networking.v1.IngressTLS", Silent, "hosts", "secretName");

// ==================================================================== security.istio.io/v1 PeerAuthentication
// Source: istio/api security/v1beta1/peer_authentication.proto (served as v1), Istio 1.31.
MESHTWIN_MESSAGE(kPeerAuthenticationSpec, "istio.security.v1.PeerAuthentication", Warn, "selector", "mtls",
                 "portLevelMtls");
MESHTWIN_MESSAGE(kPeerAuthenticationMTLS, "istio.security.v1.PeerAuthentication.MutualTLS", Warn, "mode");

#undef MESHTWIN_MESSAGE

}  // namespace meshtwin::config::api
