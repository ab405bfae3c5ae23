// model/xds owns the compile half (like istiod): resources + registry -> one immutable
// ProxyConfig per proxy class, in Envoy's shape and with Istio's names, plus the pure
// per-request functions over it (virtual-host selection, route matching, weighted pick).
// No clock, no RNG: callers pass random values in. Depends on config, registry and RE2.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/time.h"
#include "model/config/config_store.h"
#include "model/registry/registry.h"

namespace re2 {
class RE2;
}

namespace meshtwin::xds {

using engine::SimDuration;
using engine::SimTime;

// ------------------------------------------------------------------ matching

// Compiles an RE2 pattern once (Envoy's safe_regex: default RE2 options, full match). Returns
// nullptr when the pattern is invalid; `error` then says why. StringMatcher/RouteMatch users who
// build matchers by hand may also leave `regex`/`path_regex` empty: finalize() compiles them.
std::shared_ptr<const re2::RE2> compile_regex(std::string_view pattern, std::string* error = nullptr);

// An Envoy StringMatcher / header matcher value (docs/semantics.md §2.3).
struct StringMatcher {
  enum class Kind { Exact, Prefix, Regex, Present };
  Kind kind = Kind::Present;
  std::string value;
  bool ignore_case = false;
  std::shared_ptr<const re2::RE2> regex;  // compiled once; full match

  bool matches(std::string_view text) const;
};

struct HeaderMatcher {
  std::string name;  // lower case; may be a pseudo header (":method", ":authority", ":scheme")
  StringMatcher matcher;
  bool invert = false;                  // withoutHeaders
  bool treat_missing_as_empty = false;  // withoutHeaders with a value matcher
};

struct QueryParamMatcher {
  std::string name;
  StringMatcher matcher;
};

struct RouteMatch {
  // PathSeparatedPrefix: `/foo` matches `/foo` and `/foo/x`, not `/foobar` (Ingress and Gateway API
  // routes, docs/semantics.md §2.3).
  enum class PathKind { Prefix, Exact, Regex, PathSeparatedPrefix };
  PathKind path_kind = PathKind::Prefix;
  std::string path = "/";
  bool case_sensitive = true;
  std::shared_ptr<const re2::RE2> path_regex;
  std::vector<HeaderMatcher> headers;
  std::vector<QueryParamMatcher> query_params;

  // True for prefix "/" (or regex ".*") without header/query matchers (docs/semantics.md §1.3, §2.1).
  bool is_catch_all() const;
};

// A request as route matching sees it. `path` may include a query string; header names are
// lower case. Pseudo headers come from the fields, not from `headers`.
struct RequestHeader {
  std::string_view name;
  std::string_view value;
};

struct RequestAttributes {
  std::string_view authority;  // Host / :authority, may include a port
  std::string_view path;       // with query string
  std::string_view method = "GET";
  std::string_view scheme = "http";
  const RequestHeader* headers = nullptr;
  std::size_t header_count = 0;

  std::optional<std::string_view> header(std::string_view name) const;
};

bool route_matches(const RouteMatch& match, const RequestAttributes& request);
// The part of a request path Envoy matches routes on: up to the query string or fragment.
std::string_view path_only(std::string_view path_with_query);

struct Route;
// The Location a redirect route answers for `request` (Envoy Http::Utility::newUri): scheme
// from the route or the request; host from the route, else the request's Host with its port
// removed when the route sets a port or the scheme changes away from that port's default;
// `:port` when the route sets one; the path replaced whole (uri), by prefix (prefixRewrite on
// the route's matched prefix) or kept, the query string kept unless the new path has its own.
std::string redirect_location(const Route& route, const RequestAttributes& request);

// What a forwarded request carries upstream after the route's rewrites (Envoy's
// finalizeRequestHeaders, docs/semantics.md §3.4). The path with the matched prefix swapped for
// `rewrite.uri` (the whole path for exact and regex matches), or every match of
// `uriRegexRewrite`'s pattern substituted in the path (RE2 GlobalReplace, `\1` captures); the
// query string is kept. nullopt when the route rewrites no path.
std::optional<std::string> rewritten_path(const Route& route, std::string_view path_with_query);
// The Host the upstream receives: the picked destination's authority rewrite (a weighted
// destination's `headers.request.set: {host: …}`), else the route's (`rewrite.authority`, or
// the rule's or single destination's host header operation), else `authority` as sent.
std::string_view rewritten_authority(const Route& route, std::size_t weighted_pick, std::string_view authority);

// ------------------------------------------------------------------ route actions

// Envoy retry_on bits (docs/semantics.md §5.3).
enum RetryOn : std::uint32_t {
  kRetry5xx = 1u << 0,
  kRetryGatewayError = 1u << 1,
  kRetryReset = 1u << 2,
  kRetryConnectFailure = 1u << 3,
  kRetryRetriable4xx = 1u << 4,
  kRetryRefusedStream = 1u << 5,
  kRetryRetriableStatusCodes = 1u << 6,
  kRetryRetriableHeaders = 1u << 7,
  kRetryEnvoyRateLimited = 1u << 8,
  kRetryResetBeforeRequest = 1u << 9,
  kRetryHttp3PostConnectFailure = 1u << 10,
  kRetryGrpcCancelled = 1u << 11,
  kRetryGrpcDeadlineExceeded = 1u << 12,
  kRetryGrpcResourceExhausted = 1u << 13,
  kRetryGrpcUnavailable = 1u << 14,
  kRetryGrpcInternal = 1u << 15,
};
// Parses a comma-separated retryOn string; unknown tokens are ignored (docs/semantics.md §5.3),
// integer tokens that are HTTP statuses go to `status_codes` and add retriable-status-codes.
std::uint32_t parse_retry_on(std::string_view text, std::vector<std::uint32_t>* status_codes);

// The immutable retry policy of a route (Envoy's retry_policy; per-request state lives in the
// proxy's retry state, model/proxy).
struct RetryPolicy {
  std::uint32_t num_retries = 0;
  std::uint32_t retry_on = 0;
  std::vector<std::uint32_t> retriable_status_codes;
  SimDuration per_try_timeout{};  // 0: none
  SimDuration backoff_base = 25 * engine::kMillisecond;
  SimDuration backoff_max = 250 * engine::kMillisecond;
  bool previous_hosts_predicate = true;
  std::uint32_t host_selection_retry_max_attempts = 5;
  bool retry_remote_localities = false;
};

struct FaultPolicy {
  struct Delay {
    SimDuration duration{};
    std::uint32_t per_million = 0;  // percentage × 10,000
  };
  struct Abort {
    int http_status = 0;   // for a gRPC abort: 200 (a trailers-only response carrying grpc-status)
    int grpc_status = -1;  // -1: not a gRPC abort
    std::uint32_t per_million = 0;
  };
  std::optional<Delay> delay;
  std::optional<Abort> abort;
};

struct HeaderOps {
  std::vector<std::pair<std::string, std::string>> set, add;
  std::vector<std::string> remove;
  bool empty() const { return set.empty() && add.empty() && remove.empty(); }
};

inline constexpr std::int32_t kNoCluster = -1;  // the named cluster does not exist -> 503 NC

struct WeightedCluster {
  std::string name;                   // outbound|9080|v2|reviews.default.svc.cluster.local
  std::int32_t cluster = kNoCluster;  // index into ProxyConfig::clusters
  std::uint32_t weight = 0;
  HeaderOps request_headers, response_headers;
  std::string host_rewrite;
};

struct MirrorPolicy {
  std::string cluster_name;
  std::int32_t cluster = kNoCluster;
  std::uint32_t per_million = 1'000'000;
};

struct Route {
  std::string name;     // Envoy route name (rule and match names joined with '.'), may be empty
  std::string vs_rule;  // "ns/name#http[i]" for VirtualService routes, "-" otherwise
  RouteMatch match;
  enum class Action { Forward, Redirect, DirectResponse };
  Action action = Action::Forward;

  // Forward
  std::vector<WeightedCluster> clusters;  // one entry = plain cluster
  std::uint64_t total_weight = 0;
  SimDuration timeout{};                    // 0: disabled (Istio's default, docs/semantics.md §4.1)
  std::optional<RetryPolicy> retry;       // nullopt: no retry policy at all
  std::optional<FaultPolicy> fault;
  std::vector<MirrorPolicy> mirrors;
  std::string prefix_rewrite;
  std::string authority_rewrite;
  std::shared_ptr<const re2::RE2> regex_rewrite_re;  // rewrite.uriRegexRewrite's pattern, compiled by finalize()
  HeaderOps request_headers, response_headers;
  // Everything above is what a forwarded request reads (the mesh prefetches that span, scenario
  // MeshImpl::prefetch_route); what follows is read by local replies and setup only.

  // Redirect / DirectResponse
  int local_status = 0;
  std::string local_body;
  // Envoy's RedirectAction as Istio builds it (I-ROUTE applyRedirect): each part replaces the
  // request's; derivePort FROM_REQUEST_PORT is compiled to the route table's port (Envoy cannot
  // derive it per request). The Location is built per request by redirect_location().
  struct RedirectAction {
    std::string scheme;          // "": the request's
    std::string host;            // "": the request's Host (its port as Envoy keeps or drops it)
    std::uint32_t port = 0;      // 0: none
    std::string path;            // uri: the whole path ("": keep the request's)
    std::optional<std::string> prefix_rewrite;  // replaces the matched prefix
  };
  RedirectAction redirect;
  std::string redirect_location;  // for messages: the parts as configured

  // The DestinationRule's consistent-hash key for this route's destination (Envoy hash_policy,
  // docs/semantics.md §2.6, §8.4); nullopt when the destination is not hashed.
  std::optional<config::ConsistentHashLB> hash_policy;
  std::optional<config::RegexRewrite> regex_rewrite;  // rewrite.uriRegexRewrite (regex_rewrite_re above)
  // Whether rewritten_path() changes the path: asked per forwarded request, before any string
  // is built.
  bool rewrites_path() const { return !prefix_rewrite.empty() || regex_rewrite_re != nullptr; }
  // The status when a cluster named by this route does not exist (NC): 503, but 500 for routes
  // istiod generates from Gateway API resources (docs/semantics.md §3.2).
  int cluster_not_found_status = 503;
};

struct VirtualHost {
  std::string name;                  // "reviews.default.svc.cluster.local:9080", "allow_any", ...
  std::vector<std::string> domains;  // lower case
  std::vector<Route> routes;
  // Envoy require_tls ALL: a plaintext request gets a 301 to https (a gateway server with
  // tls.httpsRedirect, docs/semantics.md §11) before any route is looked at.
  bool require_tls = false;
};

struct RouteConfiguration {
  std::string name;  // "9080" for sidecars, "http.80" for gateways
  std::vector<VirtualHost> virtual_hosts;

  // Envoy's virtual-host selection (docs/semantics.md §1.5): lower-cased host, port stripped, exact
  // domain, then longest suffix wildcard, then longest prefix wildcard, then "*". -1 if none.
  std::int32_t find_virtual_host(std::string_view authority) const;

  // Built by finalize(): lookup tables for find_virtual_host.
  void finalize();

 private:
  // Exact domains (lower case): open addressing by lower_hash (proxy_config.cc), which lower-cases
  // and hashes a host in one pass of 8-byte words; index -1 marks an empty entry. Probed per
  // request: a std::unordered_map cost a byte-wise lower-casing, std::hash and a node walk.
  struct ExactDomain {
    std::uint64_t hash = 0;
    std::string domain;
    std::int32_t index = -1;
  };
  std::vector<ExactDomain> exact_;  // size 0 or a power of two, at most half full
  std::vector<std::pair<std::string, std::int32_t>> suffix_;  // "*.foo.com" -> ".foo.com", longest first
  std::vector<std::pair<std::string, std::int32_t>> prefix_;  // "foo.*" -> "foo.", longest first
  std::int32_t wildcard_ = -1;
};

// ------------------------------------------------------------------ clusters

struct LbPolicy {
  enum class Kind { LeastRequest, RoundRobin, Random, Passthrough, RingHash, Maglev };
  Kind kind = Kind::LeastRequest;  // Istio's default (docs/semantics.md §7.4)
  std::uint32_t choice_count = 2;
  double active_request_bias = 1.0;
  std::uint64_t minimum_ring_size = 1024;
  std::uint64_t maglev_table_size = 65537;
  std::optional<config::ConsistentHashLB> hash;
  std::optional<config::LocalityLbSetting> locality;
  std::optional<config::WarmupConfiguration> warmup;
};

inline constexpr std::uint32_t kNotAPod = 0xffffffffu;

struct ClusterEndpoint {
  std::uint32_t pod = 0;   // index into Registry::pods(); kNotAPod for an external endpoint
  std::uint32_t port = 0;  // resolved target port on that pod (or the external endpoint)
  std::uint32_t weight = 1;
  bool healthy = true;     // ready in EDS
  // Endpoints that are not pods (ServiceEntry endpoints and DNS hosts, EndpointSlice addresses):
  // index into Registry::external_endpoints(), and the address Envoy connects to (an IP, or the
  // DNS name a STRICT_DNS / LOGICAL_DNS cluster resolves).
  std::uint32_t external = kNotAPod;
  std::string address;

  bool is_pod() const { return pod != kNotAPod; }
};

struct Cluster {
  // OriginalDst: PassthroughCluster, ServiceEntry resolution NONE, DR loadBalancer PASSTHROUGH and
  // headless Services (for those, `endpoints` lists the pods DNS would return). Static: DNS
  // ServiceEntries, whose resolved addresses are not simulated yet (no endpoints).
  enum class Type { Eds, OriginalDst, Static, BlackHole };
  std::string name;  // outbound|9080|v2|reviews.default.svc.cluster.local, PassthroughCluster, ...
  Type type = Type::Eds;
  std::string service_hostname;  // empty for Passthrough/BlackHole
  std::string subset;
  config::Labels subset_labels;  // the DestinationRule subset's labels (empty for the whole service)
  std::uint32_t port = 0;
  registry::Protocol protocol = registry::Protocol::Unknown;
  std::vector<ClusterEndpoint> endpoints;
  LbPolicy lb;
  // The DestinationRule policy resolved for this cluster (docs/semantics.md §7.3): top-level,
  // port-level and subset policies merged. Blocks that stay unset are Istio's defaults.
  std::optional<config::ConnectionPoolSettings> connection_pool;
  std::optional<config::OutlierDetection> outlier_detection;
  std::optional<config::RetryBudget> retry_budget;
  std::string destination_rule;  // "ns/name" or empty
  // Envoy's discovery type as istioctl proxy-config shows it: EDS, STRICT_DNS, LOGICAL_DNS,
  // ORIGINAL_DST or STATIC.
  std::string discovery = "EDS";
  bool mesh_external = false;  // a ServiceEntry with location MESH_EXTERNAL
  std::optional<config::ClientTLSSettings> tls;  // DestinationRule tls as written (explain/lint)
  // Envoy's UpstreamTlsContext as istiod builds it from `tls` (docs/semantics.md §20.1).
  struct UpstreamTls {
    // None: no DestinationRule tls (auto-mTLS decides, inside the mesh) or DISABLE. Simple and
    // Mutual: the proxy originates TLS to the endpoint. IstioMutual: Istio's own mTLS.
    enum class Mode { None, Disable, Simple, Mutual, IstioMutual };
    Mode mode = Mode::None;
    std::string sni;                   // the DestinationRule's sni; empty: auto_sni
    bool auto_sni = false;             // SNI from the request's :authority (Envoy auto_sni)
    bool auto_san_validation = false;  // the server certificate checked against that SNI
    bool originates() const { return mode == Mode::Simple || mode == Mode::Mutual; }
  };
  UpstreamTls upstream_tls;
};

// ------------------------------------------------------------------ listeners (LDS)

// Envoy's FilterChainMatch as Istio fills it (tests/data/conformance/README.md "What Run does").
struct FilterChainMatch {
  std::uint32_t destination_port = 0;             // 0: any
  std::vector<std::string> prefix_ranges;         // CIDRs; empty: any destination address
  std::vector<std::string> server_names;          // SNI, exact or "*.suffix"; empty: any
  std::string transport_protocol;                 // "", "raw_buffer" or "tls"
  std::vector<std::string> application_protocols;  // ALPN; empty: any

  bool empty() const {
    return destination_port == 0 && prefix_ranges.empty() && server_names.empty() && transport_protocol.empty() &&
           application_protocols.empty();
  }
};

// A tcp_proxy network filter (docs/semantics.md §12.2, §13): where a connection goes. Several clusters
// are weighted exactly like an HTTP route's (§3.3), picked once per connection.
struct TcpProxy {
  std::vector<WeightedCluster> clusters;
  std::uint64_t total_weight = 0;
  std::string vs_rule = "-";  // "ns/name#tcp[i]" or "ns/name#tls[i]" when a VirtualService made it
};

// What made a filter chain, for explain: a message template (an N_()-marked id of
// model/text/i18n.h, so explain --lang can translate it) with the resource it names, kept apart
// from the words: "VirtualService {subject}" with subject "default/tcp-echo tcp[0]".
struct ChainOrigin {
  const char* what = nullptr;  // null: nothing to say
  std::string subject;          // the {subject} field: a resource, host:port or port
  std::string via;              // the {via} field: the VirtualService rule a gateway chain uses
  bool empty() const { return what == nullptr; }
};

struct FilterChain {
  // Istio's name where it sets one (PassthroughFilterChain, virtualOutbound-catchall-tcp,
  // virtualOutbound-blackhole, virtualInbound-blackhole); most chains have none.
  std::string name;
  FilterChainMatch match;
  enum class Kind { Http, Tcp };
  Kind kind = Kind::Tcp;
  // Http: the HTTP connection manager's route configuration (RDS name, and its index into
  // ProxyConfig::route_configs once finalized; -1 if absent).
  std::string route_config_name;
  std::int32_t route_config = -1;
  bool inline_route_config = false;  // the HCM carries its table inline (no RDS name to report)
  TcpProxy tcp;  // Tcp
  // A downstream TLS context: the gateway terminates TLS (SIMPLE/MUTUAL/ISTIO_MUTUAL servers).
  bool terminates_tls = false;
  bool istio_mtls = false;
  ChainOrigin origin;  // what produced it, for explain
};

struct Listener {
  std::string name;  // "0.0.0.0_80", "10.96.0.12_3306", "virtualOutbound", "virtualInbound"
  std::string address;
  std::uint32_t port = 0;
  bool tls_inspector = false;
  bool http_inspector = false;
  bool use_original_dst = false;  // the iptables capture listeners (15001, 15006)
  std::vector<FilterChain> filter_chains;
  std::optional<FilterChain> default_filter_chain;
};

// What the listener filters and the filter-chain match see of a connection.
struct ConnectionAttributes {
  std::string_view address;  // destination IP as dialled
  std::uint32_t port = 0;
  enum class Transport { Plaintext, Tls, Mtls };
  Transport transport = Transport::Plaintext;
  std::string_view sni;   // used for server-name matching whatever the transport (as istiod's simulator)
  std::string_view alpn;  // what a TLS client offers
  enum class Protocol { Other, Http1, Http2 };  // what the bytes are once TLS (if any) is removed
  Protocol protocol = Protocol::Other;
};

enum class ChainOutcome { Matched, DefaultChain, NoFilterChain, MultipleFilterChains };

struct FilterChainSelection {
  const FilterChain* chain = nullptr;
  ChainOutcome outcome = ChainOutcome::NoFilterChain;
  std::string alpn;  // the ALPN the match saw after the listener filters
  bool tls_inspected = false;
};

// Envoy's filter-chain sieve (destination port, prefix ranges, server names, transport protocol,
// application protocols; a criterion nobody sets is skipped, and chains that leave it unset stay
// when nobody matches), then the default chain.
FilterChainSelection select_filter_chain(const Listener& listener, const ConnectionAttributes& connection);

// Who the config is for (a proxy class: proxies seeing the same config).
struct ProxyIdentity {
  std::string namespace_;  // the config namespace: exportTo, Sidecar and VirtualService visibility
  config::Labels labels;
  std::string workload;
  bool is_gateway = false;
  std::vector<std::string> gateway_names;  // "ns/name" of Gateways selecting this proxy (filled by compile_gateway)
  // The proxy's own IPs: endpoints at these addresses are this proxy (a gateway's Services are the
  // ones with such an endpoint, besides label selection), and headless listeners skip them.
  std::vector<std::string> ip_addresses;
  // DNS capture with auto-allocation (ISTIO_META_DNS_CAPTURE and ISTIO_META_DNS_AUTO_ALLOCATE):
  // ServiceEntries without addresses are reached at their auto-allocated VIP.
  bool dns_auto_allocate = false;
};

struct MeshOptions {
  std::string outbound_traffic_policy = "ALLOW_ANY";  // or REGISTRY_ONLY, ALLOW_ANY_DYNAMIC_DNS
  std::string istio_version = "1.31";
  std::string domain{registry::kDefaultDomain};
  // The domain short names in Istio config expand with (`reviews` -> reviews.<ns>.svc.<domain>);
  // unset: `domain`. Empty: `reviews.<ns>`, as in istiod's own simulation tests.
  std::optional<std::string> config_domain;
  std::string root_namespace = "istio-system";
  // Ingress resources are translated only with Istio as ingress controller (meshConfig
  // ingressControllerMode DEFAULT, ingressClass istio).
  std::string ingress_class = "istio";

  std::string_view short_name_domain() const { return config_domain ? std::string_view(*config_domain) : domain; }
};

struct ProxyConfig {
  std::uint64_t version = 0;  // set by whoever delivers it (config_applied detail)
  bool is_gateway = false;
  // Sidecar HTTP route configurations by port ("9080"), gateway ones by "http.<port>" or
  // "https.<port>.<server>.<gateway>.<ns>"; sniffed services behind their own VIP listener by
  // "<host>:<port>".
  std::vector<RouteConfiguration> route_configs;
  std::vector<Cluster> clusters;
  std::vector<Listener> listeners;

  const RouteConfiguration* route_config_for_port(std::uint32_t port) const;
  const RouteConfiguration* find_route_config(std::string_view name) const;
  std::int32_t find_cluster(std::string_view name) const;  // kNoCluster if absent
  // Envoy/istiod listener lookup for a connection to address:port: the listener bound to exactly
  // that address and port, else 0.0.0.0:port, else (sidecars) virtualOutbound. nullptr: none.
  const Listener* find_listener(std::string_view address, std::uint32_t port) const;

  // Built by finalize() after compile.
  void finalize();

 private:
  std::unordered_map<std::uint32_t, std::int32_t> route_config_by_port_;
  registry::StringMap<std::int32_t> route_config_by_name_;
  registry::StringMap<std::int32_t> cluster_by_name_;
  registry::StringMap<std::int32_t> listener_by_name_;  // "address_port"
  std::int32_t virtual_outbound_ = -1;
};

// Compiles the sidecar config of one proxy class (docs/semantics.md §1–3, §7): one route
// configuration per HTTP service port, virtual hosts for every visible service (default route,
// §2.6) or VirtualService (first VS wins per host on sidecars, §1.3), the allow_any/block_all
// catch-all, and one cluster per (service port) and per (subset, port) of the applicable
// DestinationRule, plus PassthroughCluster and BlackHoleCluster. Warnings (e.g. a VS host
// that is also owned by an older VS) go to `diags` when given.
std::shared_ptr<const ProxyConfig> compile_sidecar(const config::ConfigStore& store,
                                                   const registry::Registry& registry,
                                                   const ProxyIdentity& proxy,
                                                   const MeshOptions& mesh,
                                                   config::Diagnostics* diags = nullptr);

// Sorts sidecars into classes whose compiled configs are equal, as istiod's caches make the
// output independent of what no configuration looks at. A key holds everything of a sidecar's
// identity that compile_sidecar's result depends on besides the resources: its namespace, the
// Sidecar scoping it, which label selectors (VirtualService sourceLabels, DestinationRule
// workloadSelectors) it satisfies, auto-allocation, and its IP when that is an endpoint of a
// passthrough service. Sidecars with equal keys get equal configs, so one compile serves them
// all. (Ingress and Gateway API routes carry no source labels.)
//
// Complexity: construction O(resources + passthrough endpoints), once per compile; key()
// O(selectors + Sidecar resources), so classifying P proxies is not O(P × resources).
class SidecarClassifier {
 public:
  SidecarClassifier(const config::ConfigStore& store, const registry::Registry& registry);
  std::string key(const ProxyIdentity& proxy) const;

 private:
  struct Predicate {
    const config::Labels* selector;
    const std::string* only_namespace;  // DestinationRule workloadSelectors: their namespace only
  };
  const config::ConfigStore& store_;
  std::vector<Predicate> predicates_;
  std::unordered_set<std::string> passthrough_endpoint_ips_;
};

// Compiles the config of a gateway proxy (an Envoy selected by Gateways, docs/semantics.md §11): one
// listener per (translated) server port, HTTP route configurations "http.<port>" with every
// VirtualService bound to the Gateways merged per host (catch-all routes last), 404 for hosts no
// route binds, httpsRedirect, TLS/TCP servers as filter chains by SNI, and the clusters of every
// visible service. `proxy.labels` select the Gateways; Services whose pods carry those labels (or
// with an endpoint at one of `proxy.ip_addresses`) translate server ports to target ports.
std::shared_ptr<const ProxyConfig> compile_gateway(const config::ConfigStore& store,
                                                   const registry::Registry& registry,
                                                   const ProxyIdentity& proxy,
                                                   const MeshOptions& mesh,
                                                   config::Diagnostics* diags = nullptr);

// The cluster name Istio gives a destination: outbound|<port>|<subset>|<fqdn>.
std::string outbound_cluster_name(std::uint32_t port, std::string_view subset,
                                  std::string_view hostname);

// ------------------------------------------------------------------ per-request decisions

// The first route of the virtual host whose match accepts the request; nullptr -> 404 NR.
const Route* match_route(const VirtualHost& vhost, const RequestAttributes& request);

// Envoy's weighted-cluster pick (docs/semantics.md §3.3): `random % total_weight` against the
// consecutive intervals of the entries in config order. Returns the entry index (0 for a
// single-cluster route).
std::size_t pick_weighted_cluster(const Route& route, std::uint64_t random);
std::size_t pick_weighted_cluster(const TcpProxy& tcp, std::uint64_t random);

}  // namespace meshtwin::xds
