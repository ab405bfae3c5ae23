#pragma once

// Typed Kubernetes and Istio resources as meshtwin reads them. Field names follow the
// Kubernetes / istio.io APIs (snake_case here); every field of the kinds below is parsed even
// where its behaviour arrives in a later issue. Optional fields are std::optional where
// "unset" differs from a zero value in Istio's semantics (docs/semantics.md).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/time.h"
#include "model/config/diagnostics.h"

namespace meshtwin::config {

using engine::SimDuration;
using engine::SimTime;
using Labels = std::map<std::string, std::string>;  // ordered: deterministic iteration

struct ObjectMeta {
  std::string name;
  std::string namespace_ = "default";
  Labels labels;
  Labels annotations;
  std::string creation_timestamp;  // as given (RFC 3339), empty if absent
  // "Oldest wins" order (docs/design.md §3.1): creationTimestamp where given, else order of first
  // apply. Assigned by ConfigStore; replacement keeps the original value.
  std::uint64_t creation_order = 0;
  std::uint64_t generation = 0;  // bumped by ConfigStore on each replacement
  SourceLocation location;       // of the document
};

// ---------------------------------------------------------------- Kubernetes

struct Namespace {
  ObjectMeta meta;
};

struct ServicePort {
  std::string name;
  std::uint32_t port = 0;
  std::string protocol = "TCP";  // TCP, UDP, SCTP
  std::string app_protocol;
  std::uint32_t target_port_number = 0;  // 0 when named or unset
  std::string target_port_name;          // a named container port
  std::uint32_t node_port = 0;
  SourceLocation location;
};

struct Service {
  ObjectMeta meta;
  std::string type = "ClusterIP";  // ClusterIP, NodePort, LoadBalancer, ExternalName
  std::string cluster_ip;          // "" (allocated), "None" (headless) or an address
  std::vector<std::string> cluster_ips;
  std::string external_name;
  Labels selector;
  bool has_selector = false;
  std::vector<ServicePort> ports;
  bool publish_not_ready_addresses = false;
  std::string traffic_distribution;
};

struct ContainerPort {
  std::string name;
  std::uint32_t container_port = 0;
  std::string protocol = "TCP";
};

struct Container {
  std::string name;
  std::string image;
  std::vector<ContainerPort> ports;
};

// The most replicas one workload may have (a manifest's spec.replicas, the timeline's `scale`):
// Kubernetes allows any int32, but meshtwin simulates each pod (docs/scenario-reference.md
// "Limits").
inline constexpr std::int32_t kMaxReplicas = 10'000;

// Deployment, StatefulSet, ReplicaSet, DaemonSet and bare Pod, reduced to what a mesh sees:
// how many pods, with which labels, annotations and ports.
struct Workload {
  ObjectMeta meta;
  std::string kind;        // "Deployment", "StatefulSet", "ReplicaSet", "DaemonSet", "Pod"
  std::int32_t replicas = 1;  // Deployment default 1; DaemonSet: 1 (one simulated node)
  Labels selector;         // spec.selector.matchLabels
  Labels pod_labels;       // spec.template.metadata.labels (Pod: metadata.labels)
  Labels pod_annotations;
  std::string service_account;
  std::vector<Container> containers;
  // Rollout strategy (Deployment): used by the timeline issue.
  std::string strategy_type = "RollingUpdate";
  std::string max_surge = "25%";
  std::string max_unavailable = "25%";
};

// ---------------------------------------------------------------- Istio: VirtualService

struct StringMatch {
  enum class Kind { Unset, Exact, Prefix, Regex, Present };
  Kind kind = Kind::Unset;
  std::string value;
  bool is_set() const { return kind != Kind::Unset; }
};

struct NamedStringMatch {
  std::string name;  // header or query-parameter name
  StringMatch match;
};

struct HTTPMatchRequest {
  std::string name;
  StringMatch uri;
  StringMatch scheme;
  StringMatch method;
  StringMatch authority;
  std::vector<NamedStringMatch> headers;          // in document order
  std::vector<NamedStringMatch> query_params;
  std::vector<NamedStringMatch> without_headers;
  bool ignore_uri_case = false;
  std::uint32_t port = 0;  // 0: any
  Labels source_labels;
  std::vector<std::string> gateways;
  std::string source_namespace;
  std::string stat_prefix;
  SourceLocation location;
};

struct Destination {
  std::string host;
  std::string subset;
  std::uint32_t port = 0;  // 0: unset
  SourceLocation location;
};

struct HeaderOperations {
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<std::pair<std::string, std::string>> add;
  std::vector<std::string> remove;
};

struct Headers {
  HeaderOperations request;
  HeaderOperations response;
};

struct HTTPRouteDestination {
  Destination destination;
  std::int32_t weight = 0;  // omitted = 0 (docs/semantics.md §3.3)
  Headers headers;
  SourceLocation location;
};

struct HTTPRedirect {
  std::string uri;
  std::string authority;
  std::uint32_t port = 0;
  std::string derive_port;  // "", FROM_PROTOCOL_DEFAULT, FROM_REQUEST_PORT
  std::string scheme;
  std::uint32_t redirect_code = 301;
  // Istio 1.31 HTTPRedirect.prefixRewrite: the matched prefix is replaced (exclusive with uri).
  std::optional<std::string> prefix_rewrite;
};

struct HTTPDirectResponse {
  std::uint32_t status = 0;
  std::optional<std::string> body;  // body.string or body.bytes (base64 as given)
};

struct RegexRewrite {
  std::string match;
  std::string rewrite;
};

struct HTTPRewrite {
  std::string uri;
  std::string authority;
  std::optional<RegexRewrite> uri_regex_rewrite;
};

struct HTTPRetry {
  std::int32_t attempts = 0;
  std::optional<SimDuration> per_try_timeout;
  std::optional<std::string> retry_on;
  bool retry_remote_localities = false;
  std::optional<bool> retry_ignore_previous_hosts;
  std::optional<SimDuration> backoff;
  SourceLocation location;
};

struct FaultDelay {
  SimDuration fixed_delay{};
  std::optional<double> percentage;  // percentage.value (0..100)
  std::int32_t percent = 0;          // deprecated integer form, used when percentage is absent
  SourceLocation location;
};

struct FaultAbort {
  std::int32_t http_status = 0;
  std::string grpc_status;           // e.g. "UNAVAILABLE"
  std::optional<double> percentage;  // absent = 0% (never aborts)
  SourceLocation location;
};

struct HTTPFaultInjection {
  std::optional<FaultDelay> delay;
  std::optional<FaultAbort> abort;
};

struct HTTPMirrorPolicy {
  Destination destination;
  std::optional<double> percentage;  // absent = 100%
};

struct Delegate {
  std::string name;
  std::string namespace_;  // empty: the root VirtualService's namespace
};

struct CorsPolicy {
  std::vector<StringMatch> allow_origins;
  std::vector<std::string> allow_methods, allow_headers, expose_headers;
  std::optional<SimDuration> max_age;
  std::optional<bool> allow_credentials;
};

struct HTTPRoute {
  std::string name;
  std::vector<HTTPMatchRequest> match;
  std::vector<HTTPRouteDestination> route;
  std::optional<HTTPRedirect> redirect;
  std::optional<HTTPDirectResponse> direct_response;
  std::optional<Delegate> delegate;
  std::optional<HTTPRewrite> rewrite;
  std::optional<SimDuration> timeout;
  std::optional<HTTPRetry> retries;
  std::optional<HTTPFaultInjection> fault;
  std::optional<Destination> mirror;
  std::optional<double> mirror_percentage;     // mirrorPercentage.value
  std::optional<std::int32_t> mirror_percent;  // deprecated integer form
  std::vector<HTTPMirrorPolicy> mirrors;
  std::optional<CorsPolicy> cors_policy;
  Headers headers;
  SourceLocation location;
};

struct L4MatchAttributes {
  std::vector<std::string> destination_subnets;
  std::uint32_t port = 0;
  Labels source_labels;
  std::vector<std::string> gateways;
  std::string source_namespace;
};

struct TLSMatchAttributes {
  std::vector<std::string> sni_hosts;
  std::vector<std::string> destination_subnets;
  std::uint32_t port = 0;
  Labels source_labels;
  std::vector<std::string> gateways;
  std::string source_namespace;
};

struct RouteDestination {
  Destination destination;
  std::int32_t weight = 0;
  SourceLocation location;
};

struct TCPRoute {
  std::vector<L4MatchAttributes> match;
  std::vector<RouteDestination> route;
  SourceLocation location;
};

struct TLSRoute {
  std::vector<TLSMatchAttributes> match;
  std::vector<RouteDestination> route;
  SourceLocation location;
};

struct VirtualService {
  ObjectMeta meta;
  std::vector<std::string> hosts;     // as written (short names resolved by the registry)
  std::vector<std::string> gateways;  // as written; empty means "mesh"
  std::vector<std::string> export_to;
  std::vector<HTTPRoute> http;
  std::vector<TCPRoute> tcp;
  std::vector<TLSRoute> tls;
};

// ---------------------------------------------------------------- Istio: DestinationRule

struct ConsistentHashLB {
  enum class Key { None, HttpHeaderName, HttpCookie, UseSourceIp, HttpQueryParameterName };
  Key key = Key::None;
  std::string header_name;       // or query parameter name
  std::string cookie_name;
  std::string cookie_path;
  std::optional<SimDuration> cookie_ttl;
  enum class Algorithm { Default, RingHash, Maglev };
  Algorithm algorithm = Algorithm::Default;
  std::uint64_t minimum_ring_size = 0;  // ringHash.minimumRingSize or deprecated top-level
  std::uint64_t maglev_table_size = 0;
};

struct LocalityDistribute {
  std::string from;
  std::map<std::string, std::uint32_t> to;
};

struct LocalityFailover {
  std::string from;
  std::string to;
};

struct LocalityLbSetting {
  std::vector<LocalityDistribute> distribute;
  std::vector<LocalityFailover> failover;
  std::vector<std::string> failover_priority;
  std::optional<bool> enabled;
};

struct WarmupConfiguration {
  SimDuration duration{};
  std::optional<double> minimum_percent;  // default 10
  std::optional<double> aggression;       // default 1.0
};

struct LoadBalancerSettings {
  enum class Simple { Unspecified, LeastConn, Random, Passthrough, RoundRobin, LeastRequest };
  Simple simple = Simple::Unspecified;
  std::optional<ConsistentHashLB> consistent_hash;
  std::optional<LocalityLbSetting> locality_lb_setting;
  std::optional<SimDuration> warmup_duration_secs;  // deprecated form
  std::optional<WarmupConfiguration> warmup;
};

struct ConnectionPoolSettings {
  struct Tcp {
    std::int32_t max_connections = 0;  // 0 = unset (docs/semantics.md §9.1)
    std::optional<SimDuration> connect_timeout;
    std::optional<SimDuration> idle_timeout;
    std::optional<SimDuration> max_connection_duration;
  };
  struct Http {
    std::int32_t http1_max_pending_requests = 0;
    std::int32_t http2_max_requests = 0;
    std::int32_t max_requests_per_connection = 0;
    std::int32_t max_retries = 0;
    std::optional<SimDuration> idle_timeout;
    std::string h2_upgrade_policy;  // DEFAULT, DO_NOT_UPGRADE, UPGRADE
    bool use_client_protocol = false;
    std::int32_t max_concurrent_streams = 0;
  };
  std::optional<Tcp> tcp;
  std::optional<Http> http;
};

struct OutlierDetection {
  std::optional<std::uint32_t> consecutive_5xx_errors;
  std::optional<std::uint32_t> consecutive_gateway_errors;
  std::int32_t consecutive_errors = 0;  // deprecated, ignored by current Istio
  bool split_external_local_origin_errors = false;
  std::optional<std::uint32_t> consecutive_local_origin_failures;
  std::optional<SimDuration> interval;
  std::optional<SimDuration> base_ejection_time;
  std::int32_t max_ejection_percent = 0;
  std::int32_t min_health_percent = 0;
};

struct ClientTLSSettings {
  std::string mode;  // DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL
  std::string sni;
  std::string credential_name;
  std::vector<std::string> subject_alt_names;
  std::optional<bool> insecure_skip_verify;
};

struct RetryBudget {
  std::optional<double> percent;
  std::optional<std::uint32_t> min_retry_concurrency;
};

struct PortTrafficPolicy {
  std::uint32_t port = 0;
  std::optional<LoadBalancerSettings> load_balancer;
  std::optional<ConnectionPoolSettings> connection_pool;
  std::optional<OutlierDetection> outlier_detection;
  std::optional<ClientTLSSettings> tls;
  SourceLocation location;
};

struct TrafficPolicy {
  std::optional<LoadBalancerSettings> load_balancer;
  std::optional<ConnectionPoolSettings> connection_pool;
  std::optional<OutlierDetection> outlier_detection;
  std::optional<ClientTLSSettings> tls;
  std::vector<PortTrafficPolicy> port_level_settings;
  std::optional<RetryBudget> retry_budget;
  SourceLocation location;
};

struct Subset {
  std::string name;
  Labels labels;
  std::optional<TrafficPolicy> traffic_policy;
  SourceLocation location;
};

struct DestinationRule {
  ObjectMeta meta;
  std::string host;  // as written
  std::optional<TrafficPolicy> traffic_policy;
  std::vector<Subset> subsets;
  std::vector<std::string> export_to;
  std::optional<Labels> workload_selector;  // matchLabels
};

// ---------------------------------------------------------------- Istio: Gateway

struct PortSpec {
  std::uint32_t number = 0;
  std::string protocol;  // HTTP, HTTPS, GRPC, HTTP2, MONGO, TCP, TLS
  std::string name;
  std::uint32_t target_port = 0;
};

struct ServerTLSSettings {
  bool https_redirect = false;
  std::string mode;  // PASSTHROUGH, SIMPLE, MUTUAL, AUTO_PASSTHROUGH, ISTIO_MUTUAL, OPTIONAL_MUTUAL
  std::string credential_name;
  std::vector<std::string> subject_alt_names;
  std::string min_protocol_version, max_protocol_version;
};

struct Server {
  PortSpec port;
  std::string bind;
  std::vector<std::string> hosts;
  std::optional<ServerTLSSettings> tls;
  std::string name;
  SourceLocation location;
};

struct Gateway {
  ObjectMeta meta;
  Labels selector;
  std::vector<Server> servers;
};

// ---------------------------------------------------------------- Istio: ServiceEntry

struct WorkloadEntrySpec {
  std::string address;
  std::map<std::string, std::uint32_t> ports;  // port name -> endpoint port
  Labels labels;
  std::string network;
  std::string locality;
  std::uint32_t weight = 0;
  std::string service_account;
};

struct ServiceEntry {
  ObjectMeta meta;
  std::vector<std::string> hosts;
  std::vector<std::string> addresses;
  std::vector<PortSpec> ports;
  std::string location = "MESH_EXTERNAL";  // or MESH_INTERNAL
  std::string resolution = "NONE";         // NONE, STATIC, DNS, DNS_ROUND_ROBIN, DYNAMIC_DNS
  std::vector<WorkloadEntrySpec> endpoints;
  std::optional<Labels> workload_selector;
  std::vector<std::string> export_to;
  std::vector<std::string> subject_alt_names;
};

// ---------------------------------------------------------------- Istio: Sidecar

struct IstioIngressListener {
  PortSpec port;
  std::string bind;
  std::string capture_mode;
  std::string default_endpoint;
  std::optional<ConnectionPoolSettings> connection_pool;
};

struct IstioEgressListener {
  std::optional<PortSpec> port;
  std::string bind;
  std::string capture_mode;
  std::vector<std::string> hosts;
};

struct Sidecar {
  ObjectMeta meta;
  std::optional<Labels> workload_selector;
  std::vector<IstioIngressListener> ingress;
  std::vector<IstioEgressListener> egress;
  std::optional<std::string> outbound_traffic_policy_mode;  // ALLOW_ANY, REGISTRY_ONLY
  std::optional<ConnectionPoolSettings> inbound_connection_pool;
};

// ---------------------------------------------------------------- Kubernetes: EndpointSlice, Ingress

// Endpoints a Service owns without selecting pods (a selector-less Service, or a headless one whose
// endpoints live outside the mesh). Tied to its Service by the kubernetes.io/service-name label.
struct EndpointSlice {
  ObjectMeta meta;
  std::string service_name;
  struct Endpoint {
    std::vector<std::string> addresses;
    bool ready = true;
    std::string hostname;
  };
  struct Port {
    std::string name;
    std::uint32_t port = 0;
    std::string protocol = "TCP";
    std::string app_protocol;
  };
  std::vector<Endpoint> endpoints;
  std::vector<Port> ports;
};

struct IngressBackend {
  std::string service_name;
  std::uint32_t port_number = 0;
  std::string port_name;
};

struct IngressPath {
  std::string path;
  std::string path_type;  // Exact, Prefix, ImplementationSpecific (or empty)
  IngressBackend backend;
  bool has_backend = false;
  SourceLocation location;
};

struct IngressRule {
  std::string host;
  bool has_http = false;
  std::vector<IngressPath> paths;
  SourceLocation location;
};

struct IngressTLS {
  std::vector<std::string> hosts;
  std::string secret_name;
};

// networking.k8s.io/v1 Ingress, translated into an Istio Gateway and VirtualServices the way
// istiod's ingress controller does (docs/semantics.md §11).
struct Ingress {
  ObjectMeta meta;
  std::string ingress_class_name;  // spec.ingressClassName
  std::optional<IngressBackend> default_backend;
  std::vector<IngressRule> rules;
  std::vector<IngressTLS> tls;
};

// ---------------------------------------------------------------- Kubernetes Gateway API

// A listener's tls.certificateRefs entry (SecretObjectReference): a Secret, possibly in another
// namespace, which then needs a ReferenceGrant there (docs/semantics.md §11.1).
struct GatewayApiSecretRef {
  std::string group;            // "" (core)
  std::string kind = "Secret";
  std::string namespace_;       // empty: the Gateway's namespace
  std::string name;
  SourceLocation location;
};

struct GatewayApiListener {
  std::string name;
  std::string hostname;  // empty: any
  std::uint32_t port = 0;
  std::string protocol;  // HTTP, HTTPS, TLS, TCP, UDP
  std::string tls_mode;  // Terminate (default when tls is set) or Passthrough; empty without tls
  std::vector<GatewayApiSecretRef> certificate_refs;
  std::string allowed_namespaces = "Same";  // Same, All, Selector
  Labels allowed_namespace_selector;
  std::vector<std::string> allowed_kinds;
  SourceLocation location;
};

// gateway.networking.k8s.io Gateway: istiod deploys a `<name>-istio` Deployment and Service for it
// (docs/design.md §3.1) and turns each listener into a server of a generated Istio Gateway.
struct GatewayApiGateway {
  ObjectMeta meta;
  std::string gateway_class_name;
  std::vector<GatewayApiListener> listeners;
  std::vector<std::string> addresses;
};

struct GatewayApiParentRef {
  std::string group = "gateway.networking.k8s.io";
  std::string kind = "Gateway";  // or Service (GAMMA: routes for the mesh)
  std::string namespace_;        // empty: the route's namespace
  std::string name;
  std::string section_name;
  std::uint32_t port = 0;
  SourceLocation location;
};

struct GatewayApiBackendRef {
  std::string group;             // "" (core) or networking.istio.io
  std::string kind = "Service";  // Service (core), Hostname (networking.istio.io); others are invalid (§11.1)
  std::string namespace_;
  std::string name;
  std::uint32_t port = 0;
  std::int32_t weight = 1;
  SourceLocation location;
};

struct GatewayApiHeaderMatch {
  std::string type = "Exact";  // Exact, RegularExpression
  std::string name;
  std::string value;
};

struct GatewayApiHTTPRouteMatch {
  std::string path_type = "PathPrefix";  // Exact, PathPrefix, RegularExpression
  std::string path_value = "/";
  std::vector<GatewayApiHeaderMatch> headers;
  std::vector<GatewayApiHeaderMatch> query_params;
  std::string method;
};

struct GatewayApiHeaderModifier {
  std::vector<std::pair<std::string, std::string>> set, add;
  std::vector<std::string> remove;
};

struct GatewayApiHTTPRouteFilter {
  std::string type;  // RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite, RequestMirror
  GatewayApiHeaderModifier headers;
  // RequestRedirect
  std::string scheme, hostname;
  std::uint32_t port = 0;
  std::uint32_t status_code = 302;  // the Gateway API default
  // RequestRedirect / URLRewrite path: ReplaceFullPath or ReplacePrefixMatch
  std::string path_type;
  std::string path_value;
  // RequestMirror
  std::optional<GatewayApiBackendRef> mirror;
  std::optional<double> mirror_percent;
};

struct GatewayApiHTTPRouteRule {
  std::string name;
  std::vector<GatewayApiHTTPRouteMatch> matches;
  std::vector<GatewayApiHTTPRouteFilter> filters;
  std::vector<GatewayApiBackendRef> backend_refs;
  std::optional<SimDuration> request_timeout;
  std::optional<SimDuration> backend_request_timeout;
  SourceLocation location;
};

struct GatewayApiHTTPRoute {
  ObjectMeta meta;
  std::vector<GatewayApiParentRef> parent_refs;
  std::vector<std::string> hostnames;
  std::vector<GatewayApiHTTPRouteRule> rules;
};

struct GatewayApiL4RouteRule {
  std::vector<GatewayApiBackendRef> backend_refs;
  SourceLocation location;
};

// TCPRoute and TLSRoute share one shape; TCPRoute has no hostnames.
struct GatewayApiL4Route {
  ObjectMeta meta;
  std::string kind;  // TCPRoute or TLSRoute
  std::vector<GatewayApiParentRef> parent_refs;
  std::vector<std::string> hostnames;
  std::vector<GatewayApiL4RouteRule> rules;
};

// gateway.networking.k8s.io GRPCRoute (v1): HTTPRoute's gRPC sibling. A method match names the
// gRPC service and method, which istiod turns into a path match on `/<service>/<method>`
// (docs/semantics.md §11.3).
struct GatewayApiGRPCMethodMatch {
  std::string type = "Exact";  // Exact, RegularExpression
  std::string service;         // empty: any service
  std::string method;          // empty: any method
};

struct GatewayApiGRPCRouteMatch {
  std::optional<GatewayApiGRPCMethodMatch> method;
  std::vector<GatewayApiHeaderMatch> headers;
};

struct GatewayApiGRPCRouteRule {
  std::string name;
  std::vector<GatewayApiGRPCRouteMatch> matches;
  // RequestHeaderModifier, ResponseHeaderModifier, RequestMirror (ExtensionRef is read, and makes
  // istiod reject the route)
  std::vector<GatewayApiHTTPRouteFilter> filters;
  std::vector<GatewayApiBackendRef> backend_refs;
  SourceLocation location;
};

struct GatewayApiGRPCRoute {
  ObjectMeta meta;
  std::vector<GatewayApiParentRef> parent_refs;
  std::vector<std::string> hostnames;
  std::vector<GatewayApiGRPCRouteRule> rules;
};

// gateway.networking.k8s.io ReferenceGrant (v1beta1): objects of the `from` kinds in the `from`
// namespaces may refer to objects of the `to` kinds in the grant's own namespace (all of them, or
// the one named). Without one, a cross-namespace backendRef or certificateRef is refused
// (docs/semantics.md §11.1).
struct GatewayApiReferenceGrant {
  struct From {
    std::string group, kind, namespace_;
    SourceLocation location;
  };
  struct To {
    std::string group, kind;
    std::optional<std::string> name;  // absent: every object of that kind
    SourceLocation location;
  };
  ObjectMeta meta;
  std::vector<From> from;
  std::vector<To> to;
};

// ---------------------------------------------------------------- Istio security (read for lint only)

// security.istio.io PeerAuthentication: not simulated (meshtwin does not model mTLS), but lint needs
// its mode to point at DestinationRule tls settings that would fail in a real mesh.
struct PeerAuthentication {
  ObjectMeta meta;
  std::optional<Labels> selector;  // matchLabels
  std::string mode;                // "", UNSET, DISABLE, PERMISSIVE, STRICT
  std::map<std::uint32_t, std::string> port_level;
};

// A kind meshtwin parses far enough to name it but does not simulate yet
// (PeerAuthentication, AuthorizationPolicy, EnvoyFilter, Gateway API kinds, Ingress, ...).
struct UnmodelledResource {
  ObjectMeta meta;
  std::string api_version;
  std::string kind;
};

}  // namespace meshtwin::config
