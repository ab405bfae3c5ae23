// explain: trace_call plus what the cluster, DestinationRule and route policy make of the
// request, in the words `istioctl proxy-config` uses. Each sentence is a message template
// (model/text/i18n.h) so that `explain --lang zh-CN` prints the same narration in Chinese; the
// names Envoy and Istio give things (listeners, clusters, flags, policy names) stay as they are.
#include "model/xds/explain.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "model/text/format.h"

namespace meshtwin::xds {

namespace {

using fmt::arg;
using text::tr;

// Rounded to what a person reads (engine/time.h); 0 and below mean "none" in Envoy's config.
std::string duration(SimDuration t) { return t <= SimDuration{} ? "0s" : engine::human_duration(t); }

std::string percent(std::uint32_t per_million) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g%%", per_million / 10000.0);
  return buf;
}

std::string labels(const config::Labels& l) {
  std::string out = "{";
  for (const auto& [k, v] : l) out += (out.size() > 1 ? ", " : "") + k + ": " + v;
  return out + "}";
}

std::string retry_on(std::uint32_t bits, const std::vector<std::uint32_t>& codes) {
  static const std::pair<std::uint32_t, const char*> kNames[] = {
      {kRetry5xx, "5xx"},
      {kRetryGatewayError, "gateway-error"},
      {kRetryReset, "reset"},
      {kRetryResetBeforeRequest, "reset-before-request"},
      {kRetryConnectFailure, "connect-failure"},
      {kRetryRetriable4xx, "retriable-4xx"},
      {kRetryRefusedStream, "refused-stream"},
      {kRetryRetriableStatusCodes, "retriable-status-codes"},
      {kRetryRetriableHeaders, "retriable-headers"},
      {kRetryEnvoyRateLimited, "envoy-ratelimited"},
      {kRetryHttp3PostConnectFailure, "http3-post-connect-failure"},
      {kRetryGrpcCancelled, "cancelled"},
      {kRetryGrpcDeadlineExceeded, "deadline-exceeded"},
      {kRetryGrpcResourceExhausted, "resource-exhausted"},
      {kRetryGrpcUnavailable, "unavailable"},
      {kRetryGrpcInternal, "internal"},
  };
  std::string out;
  for (const auto& [bit, name] : kNames)
    if (bits & bit) out += (out.empty() ? "" : ",") + std::string(name);
  for (std::uint32_t c : codes) out += "," + std::to_string(c);
  return out;
}

std::string lb_name(const LbPolicy& lb) {
  switch (lb.kind) {
    case LbPolicy::Kind::LeastRequest: return text::trf("LEAST_REQUEST (choice of {n})", arg("n", lb.choice_count));
    case LbPolicy::Kind::RoundRobin: return "ROUND_ROBIN";
    case LbPolicy::Kind::Random: return "RANDOM";
    case LbPolicy::Kind::Passthrough: return tr("CLUSTER_PROVIDED (original destination)");
    case LbPolicy::Kind::RingHash: return text::trf("RING_HASH (minimum ring {n})", arg("n", lb.minimum_ring_size));
    case LbPolicy::Kind::Maglev: return text::trf("MAGLEV (table {n})", arg("n", lb.maglev_table_size));
  }
  return "";
}

std::string hash_key(const config::ConsistentHashLB& h) {
  switch (h.key) {
    case config::ConsistentHashLB::Key::HttpHeaderName: return text::trf("header {name}", arg("name", h.header_name));
    case config::ConsistentHashLB::Key::HttpCookie: return text::trf("cookie {name}", arg("name", h.cookie_name));
    case config::ConsistentHashLB::Key::UseSourceIp: return tr("source IP");
    case config::ConsistentHashLB::Key::HttpQueryParameterName:
      return text::trf("query parameter {name}", arg("name", h.header_name));
    case config::ConsistentHashLB::Key::None: return tr("none");
  }
  return "";
}

struct ParsedUrl {
  std::string scheme, host, path, authority;
  std::uint32_t port = 0;
};

std::optional<ParsedUrl> parse_url(const std::string& url, std::string* error) {
  ParsedUrl u;
  std::string rest = url;
  if (auto p = url.find("://"); p != std::string::npos) {
    u.scheme = url.substr(0, p);
    rest = url.substr(p + 3);
  } else {
    u.scheme = "http";
  }
  for (char& c : u.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (u.scheme != "http" && u.scheme != "https" && u.scheme != "tcp" && u.scheme != "grpc") {
    *error = "URL scheme \"" + u.scheme + "\" is not one of http, https, grpc, tcp";
    return std::nullopt;
  }
  const auto slash = rest.find('/');
  u.authority = rest.substr(0, slash);
  u.path = slash == std::string::npos ? "/" : rest.substr(slash);
  std::string host = u.authority;
  if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos) {
    const std::string port = host.substr(colon + 1);
    host = host.substr(0, colon);
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit)) {
      *error = "URL port \"" + port + "\" is not a number";
      return std::nullopt;
    }
    u.port = static_cast<std::uint32_t>(std::stoul(port));
  }
  if (host.empty()) {
    *error = "URL " + url + " has no host";
    return std::nullopt;
  }
  u.host = host;
  if (u.port == 0) {
    if (u.scheme == "tcp") {
      *error = "a tcp:// URL needs a port (tcp://tcp-echo:9000)";
      return std::nullopt;
    }
    u.port = u.scheme == "https" ? 443 : 80;
  }
  return u;
}

// One explanation being written: the inputs every step reads and the lines it appends.
struct Narrator {
  const ProxyConfig& cfg;
  const registry::Registry& reg;
  const ProxyIdentity& proxy;
  const ExplainRequest& request;
  const ParsedUrl& url;
  Explanation& e;
  Call call;
  std::string given_authority;  // the Host header, when the request carries one
  bool grpc = false;

  void line(std::string s) { e.lines.push_back(std::move(s)); }

  // The call the app makes: method, :authority, headers, protocol and TLS from the URL and
  // the request's headers.
  void build_call() {
    call.port = url.port;
    call.path = url.path;
    // A gRPC call is an HTTP/2 POST to /<package.Service>/<Method> with content-type
    // application/grpc (the gRPC over HTTP/2 protocol); grpc:// URLs get both unless the
    // request says otherwise.
    grpc = url.scheme == "grpc";
    call.method = !request.method.empty() ? request.method : grpc ? "POST" : "GET";
    call.host = url.authority;
    // The Host header is the request's :authority: it picks the virtual host, while the URL's
    // host and port pick the listener and route table (docs/semantics.md §1.5).
    for (const auto& [k, v] : request.headers) {
      if (k == "host" || k == ":authority") {
        given_authority = v;
        continue;
      }
      call.headers.emplace_back(k, v);
    }
    if (!given_authority.empty()) {
      call.host.clear();
      for (char c : given_authority) call.host.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    if (grpc && std::none_of(call.headers.begin(), call.headers.end(), [](const auto& h) { return h.first == "content-type"; }))
      call.headers.emplace_back("content-type", "application/grpc");
    call.protocol = url.scheme == "tcp" ? Call::Protocol::Tcp : url.scheme == "grpc" ? Call::Protocol::Http2 : Call::Protocol::Http;
    if (url.scheme == "https") {
      call.tls = Call::Tls::Tls;
      call.sni = url.host;
      call.protocol = Call::Protocol::Http;
    }
  }

  // "Request: GET http://... from ns/workload (sidecar)", the authority, gRPC method, headers.
  void narrate_request() {
    const std::string from = proxy.namespace_ + "/" + proxy.workload;
    const std::string kind = proxy.is_gateway ? tr("(gateway proxy)") : tr("(sidecar)");
    if (call.protocol == Call::Protocol::Tcp)
      line(text::trf("Request: connection to {url} from {proxy} {kind}", arg("url", request.url), arg("proxy", from),
                        arg("kind", kind)));
    else
      line(text::trf("Request: {method} {url} from {proxy} {kind}", arg("method", call.method),
                        arg("url", request.url), arg("proxy", from), arg("kind", kind)));
    if (!given_authority.empty())
      line(text::trf("  authority {authority} (the Host header: it picks the virtual host; {host}:{port} picks the "
                        "listener)",
                        arg("authority", call.host), arg("host", url.host), arg("port", url.port)));
    if (grpc) {
      // /pkg.Service/Method: the path GRPCRoute method matches are translated to (§11.3).
      const auto second = call.path.find('/', 1);
      if (call.path.size() > 1 && second != std::string::npos && second + 1 < call.path.size())
        line(text::trf("  gRPC service {service}, method {method} (HTTP/2 POST {path})",
                          arg("service", call.path.substr(1, second - 1)), arg("method", call.path.substr(second + 1)),
                          arg("path", call.path)));
      else
        line(text::trf("  gRPC call to path {path} (a gRPC path is /<package.Service>/<Method>)",
                          arg("path", call.path)));
    }
    for (const auto& [k, v] : call.headers) line(text::trf("  header {name}: {value}", arg("name", k), arg("value", v)));
  }

  // Where the connection goes: a gateway's Service port to its pod's target port, or the app's
  // DNS answer (docs/semantics.md §11, §13).
  void resolve_destination() {
    if (proxy.is_gateway) {
      // A client reaches the gateway through its Service: the Service port becomes the pod's
      // target port, which is what the gateway listens on (docs/semantics.md §11).
      call.address = proxy.ip_addresses.empty() ? "0.0.0.0" : proxy.ip_addresses.front();
      for (const auto& s : reg.services()) {
        bool mine = false;
        for (std::uint32_t p : s.pods)
          if (!proxy.ip_addresses.empty() && reg.pods()[p].ip == proxy.ip_addresses.front()) mine = true;
        if (!mine) continue;
        if (const auto* sp = s.find_port(url.port)) {
          const std::uint32_t target = sp->target_port_number ? sp->target_port_number : sp->port;
          line(text::trf("Service {service} port {port} -> gateway pod port {target}", arg("service", s.hostname),
                            arg("port", sp->port), arg("target", target)));
          call.port = target;
          break;
        }
      }
      return;
    }
    const registry::Registry::Dial dial = reg.dial(url.host, proxy.namespace_);
    call.address = dial.address;
    for (std::size_t from = 0; !dial.note.empty() && from <= dial.note.size();) {
      const auto nl = dial.note.find('\n', from);
      line(dial.note.substr(from, nl == std::string::npos ? std::string::npos : nl - from));
      if (nl == std::string::npos) break;
      from = nl + 1;
    }
  }

  // trace_call's steps, then the virtual host's domains and every route tried, in order.
  void narrate_trace() {
    const CallTrace& t = e.trace;
    for (const auto& s : t.steps) line(s);
    if (!t.virtual_host_ptr) return;
    std::string domains;
    for (const auto& d : t.virtual_host_ptr->domains) domains += (domains.empty() ? "" : ", ") + d;
    line(text::trf("  domains: {domains}", arg("domains", domains)));
    line(text::trf("Routes of {virtual_host}, in order:", arg("virtual_host", t.virtual_host_ptr->name)));
    std::size_t i = 0;
    for (const auto& rt : t.routes_tried) {
      ++i;
      const Route& r = *rt.route;
      const std::string id = r.vs_rule.empty() || r.vs_rule == "-" ? (r.name.empty() ? tr("(unnamed)") : r.name) : r.vs_rule;
      const std::string name = r.name.empty() || r.name == id ? "" : " \"" + r.name + "\"";
      const std::string verdict =
          rt.matched ? tr("  -> MATCHED") : text::trf("  -> no: {why}", arg("why", rt.why));
      line(text::trf("  {n}. {id}{name} match {match}{verdict}", arg("n", i), arg("id", id), arg("name", name),
                        arg("match", describe_match(r.match)), arg("verdict", verdict)));
    }
    const std::size_t untried = t.virtual_host_ptr->routes.size() - t.routes_tried.size();
    if (untried)
      line(text::trf("  ({n} later route(s) not evaluated: first match wins)", arg("n", untried)));
  }

  void outcome(std::string what) {
    e.outcome = std::move(what);
    line(text::trf("Outcome: {outcome}", arg("outcome", e.outcome)));
  }

  // The outcome of a call that stopped before a route or tcp_proxy (no listener, no route, ...).
  void error_outcome(CallError error) {
    switch (error) {
      case CallError::NoRoute:
      case CallError::NoVirtualHost: outcome(tr("404 NR (no route)")); break;
      case CallError::TlsRedirect: outcome(tr("301 redirect to https")); break;
      case CallError::NoListener: outcome(tr("connection refused (no listener)")); break;
      case CallError::NoFilterChain: outcome(tr("connection closed (no filter chain, NR)")); break;
      default: outcome(std::string(to_string(error))); break;
    }
  }

  void cluster_missing(const std::string& name, int not_found_status) {
    if (name.ends_with("||"))  // no host: istiod's translation of an invalid backendRef (§11.1)
      line(text::trf("Cluster {cluster} does not exist: {status} NC (the Gateway API backendRef is invalid: no "
                        "ReferenceGrant permits it, or it is of a kind istiod does not route to; meshtwin lint names it)",
                        arg("cluster", name), arg("status", not_found_status)));
    else
      line(text::trf("Cluster {cluster} does not exist: {status} NC (a subset no DestinationRule declares, or a "
                        "host this proxy does not know)",
                        arg("cluster", name), arg("status", not_found_status)));
  }

  void narrate_connection_pool(const Cluster& c) {
    std::string cp;
    if (c.connection_pool->tcp && c.connection_pool->tcp->max_connections)
      cp += " maxConnections " + std::to_string(c.connection_pool->tcp->max_connections);
    if (c.connection_pool->http) {
      if (c.connection_pool->http->http1_max_pending_requests)
        cp += " http1MaxPendingRequests " + std::to_string(c.connection_pool->http->http1_max_pending_requests);
      if (c.connection_pool->http->http2_max_requests)
        cp += " http2MaxRequests " + std::to_string(c.connection_pool->http->http2_max_requests);
      if (c.connection_pool->http->max_retries) cp += " maxRetries " + std::to_string(c.connection_pool->http->max_retries);
    }
    line(text::trf("  connection pool:{limits}", arg("limits", cp.empty() ? tr(" (defaults)") : cp)));
  }

  // The DestinationRule's tls as Envoy's UpstreamTlsContext (§20.1): TLS origination for
  // SIMPLE/MUTUAL, with the SNI the handshake carries; other modes are not simulated.
  void narrate_upstream_tls(const Cluster& c) {
    const Cluster::UpstreamTls& t = c.upstream_tls;
    const std::string mode = c.tls->mode.empty() ? "DISABLE" : c.tls->mode;
    if (!t.originates()) {
      line(text::trf("  DestinationRule tls mode {mode} (not simulated)", arg("mode", mode)));
      return;
    }
    std::string host = call.host;
    if (const auto colon = host.rfind(':'); colon != std::string::npos && host.find(']', colon) == std::string::npos)
      host.resize(colon);
    line(text::trf("  TLS origination (DestinationRule tls mode {mode}): the proxy opens TLS to the endpoint", arg("mode", mode)));
    line(t.auto_sni ? text::trf("    SNI {sni} (auto_sni: the request's authority)", arg("sni", host))
                    : text::trf("    SNI {sni} (the DestinationRule's sni)", arg("sni", t.sni)));
    if (t.auto_san_validation) line(tr("    server certificate checked against the SNI (auto_san_validation)"));
    if (call.tls == Call::Tls::Tls) line(tr("    the app's own TLS travels inside it (TLS in TLS)"));
    else if (call.protocol != Call::Protocol::Tcp)
      line(tr("    the app's plain HTTP request leaves the proxy as HTTPS"));
  }

  void narrate_endpoints(const Cluster& c) {
    if (c.endpoints.empty()) {
      line(c.subset.empty() ? tr("  endpoints: none -> 503 UH (no healthy upstream)")
                            : tr("  endpoints: none -> 503 UH (no healthy upstream): no pod carries the subset's labels"));
      return;
    }
    line(text::trf("  endpoints ({n}):", arg("n", c.endpoints.size())));
    for (const auto& ep : c.endpoints) {
      const std::string who = ep.is_pod() ? reg.pods()[ep.pod].name + " " + ep.address
                                          : text::trf("{address} (not a pod)", arg("address", ep.address));
      const std::string weight = ep.weight != 1 ? text::trf(" weight {weight}", arg("weight", ep.weight)) : "";
      line(ep.healthy ? text::trf("    {who}:{port} healthy{weight}", arg("who", who), arg("port", ep.port),
                                     arg("weight", weight))
                      : text::trf("    {who}:{port} UNHEALTHY (not ready){weight}", arg("who", who),
                                     arg("port", ep.port), arg("weight", weight)));
    }
  }

  // A cluster as the proxy has it: DestinationRule and subset, load balancer, connection pool,
  // outlier detection, endpoints.
  void describe_cluster(const std::string& name, std::int32_t index, int not_found_status) {
    if (index == kNoCluster) index = cfg.find_cluster(name);
    if (index == kNoCluster) {
      cluster_missing(name, not_found_status);
      return;
    }
    const Cluster& c = cfg.clusters[static_cast<std::size_t>(index)];
    line(c.mesh_external ? text::trf("Cluster {cluster} ({discovery}, mesh external)", arg("cluster", c.name),
                                        arg("discovery", c.discovery))
                         : text::trf("Cluster {cluster} ({discovery})", arg("cluster", c.name),
                                        arg("discovery", c.discovery)));
    if (c.name == "PassthroughCluster")
      line(text::trf("  forwards to the original destination {address}:{port} (outboundTrafficPolicy ALLOW_ANY)",
                        arg("address", call.address), arg("port", call.port)));
    if (c.name == "BlackHoleCluster")
      line(tr("  no endpoints: the connection is closed (outboundTrafficPolicy REGISTRY_ONLY)"));
    if (!c.destination_rule.empty())
      line(c.subset.empty() ? text::trf("  DestinationRule {rule}", arg("rule", c.destination_rule))
                            : text::trf("  DestinationRule {rule}, subset {subset} {labels}",
                                           arg("rule", c.destination_rule), arg("subset", c.subset),
                                           arg("labels", labels(c.subset_labels))));
    else if (!c.service_hostname.empty())
      line(tr("  no DestinationRule: Istio's defaults"));
    if (!c.service_hostname.empty())
      line(text::trf("  load balancer {policy}{hash}{locality}", arg("policy", lb_name(c.lb)),
                        arg("hash", c.lb.hash ? text::trf(", hash on {key}", arg("key", hash_key(*c.lb.hash))) : ""),
                        arg("locality", c.lb.locality ? tr(", locality settings") : "")));
    if (c.connection_pool) narrate_connection_pool(c);
    if (c.outlier_detection) {
      const auto& od = *c.outlier_detection;
      line(text::trf("  outlier detection: consecutive5xxErrors {errors}, interval {interval}, baseEjectionTime {ejection}",
                        arg("errors", od.consecutive_5xx_errors ? std::to_string(*od.consecutive_5xx_errors) : "5"),
                        arg("interval", duration(od.interval.value_or(10 * engine::kSecond))),
                        arg("ejection", duration(od.base_ejection_time.value_or(30 * engine::kSecond)))));
    }
    if (c.tls) narrate_upstream_tls(c);
    if (c.type == Cluster::Type::OriginalDst && c.name != "PassthroughCluster" && c.endpoints.empty()) {
      line(tr("  original destination: Envoy connects to the address the app dialled"));
      return;
    }
    if (c.type == Cluster::Type::BlackHole) return;
    narrate_endpoints(c);
  }

  void narrate_weights(const char* heading, const std::vector<WeightedCluster>& clusters, std::uint64_t total) {
    line(tr(heading));
    for (const auto& wc : clusters)
      line("  " + wc.name + " " + std::to_string(wc.weight) + "/" + std::to_string(total));
  }

  // tcp_proxy: the weighted clusters (one pick per connection) and each cluster.
  void narrate_tcp(const TcpProxy& tcp) {
    if (tcp.clusters.size() > 1) narrate_weights(N_("Weights (picked once per connection):"), tcp.clusters, tcp.total_weight);
    if (tcp.vs_rule != "-") line(text::trf("TCP route {rule}", arg("rule", tcp.vs_rule)));
    for (const auto& wc : tcp.clusters) describe_cluster(wc.name, wc.cluster, 503);
    outcome(text::trf("tcp_proxy to {cluster}",
                         arg("cluster", tcp.clusters.size() == 1 ? tcp.clusters.front().name : tr("a weighted cluster"))));
  }

  void narrate_route_heading(const Route& r) {
    const std::string name = r.vs_rule == "-" || r.vs_rule.empty() ? r.name : r.vs_rule;
    const bool catch_all = r.name == "block_all" || r.name == "allow_any";
    if (catch_all)
      line(text::trf("Route {route} (the catch-all virtual host: no service or VirtualService claims the host)",
                        arg("route", name)));
    else if (r.vs_rule == "-")
      line(text::trf("Route {route} (no VirtualService applies: the service's default route)", arg("route", name)));
    else
      line(text::trf("Route {route}", arg("route", name)));
  }

  // A redirect: the full Location the client receives, built from this request as Envoy does.
  void narrate_redirect(const Route& r) {
    RequestAttributes req;
    req.authority = call.host;
    req.path = call.path.empty() ? std::string_view("/") : std::string_view(call.path);
    req.method = call.method;
    req.scheme = call.tls == Call::Tls::Tls ? "https" : "http";
    const std::string location = r.redirect_location.empty() ? tr("(keeps scheme, host and path)") : r.redirect_location;
    line(r.redirect.prefix_rewrite
             ? text::trf("  redirect: {location} (prefixRewrite: replaces the matched prefix)", arg("location", location))
             : text::trf("  redirect: {location}", arg("location", location)));
    outcome(text::trf("{status} redirect to {location}", arg("status", r.local_status),
                         arg("location", redirect_location(r, req))));
  }

  // What the route does to a forwarded request: fault, timeout, retries, rewrites, hashing,
  // mirrors.
  void narrate_route_policy(const Route& r) {
    if (r.fault && r.fault->delay)
      line(text::trf("  fault: delay {delay} for {percent} of requests (DI)", arg("delay", duration(r.fault->delay->duration)),
                        arg("percent", percent(r.fault->delay->per_million))));
    if (r.fault && r.fault->abort) {
      const auto& a = *r.fault->abort;
      line(a.grpc_status >= 0
               ? text::trf("  fault: abort grpc-status {status} for {percent} of requests (FI)", arg("status", a.grpc_status),
                              arg("percent", percent(a.per_million)))
               : text::trf("  fault: abort HTTP {status} for {percent} of requests (FI)", arg("status", a.http_status),
                              arg("percent", percent(a.per_million))));
    }
    line(r.timeout > SimDuration{} ? text::trf("  timeout: {timeout}", arg("timeout", duration(r.timeout)))
                       : tr("  timeout: none (0s: Istio's default)"));
    if (r.retry)
      line(text::trf("  retries: {n} on {on}{per_try}, backoff {base}...{max}", arg("n", r.retry->num_retries),
                        arg("on", retry_on(r.retry->retry_on, r.retry->retriable_status_codes)),
                        arg("per_try", r.retry->per_try_timeout > SimDuration{}
                                           ? text::trf(", per try {timeout}", arg("timeout", duration(r.retry->per_try_timeout)))
                                           : ""),
                        arg("base", duration(r.retry->backoff_base)), arg("max", duration(r.retry->backoff_max))));
    else
      line(tr("  retries: none"));
    if (!r.prefix_rewrite.empty()) line(text::trf("  rewrite: path prefix -> {prefix}", arg("prefix", r.prefix_rewrite)));
    if (r.regex_rewrite)
      line(text::trf("  rewrite: path /{regex}/ -> {rewrite}", arg("regex", r.regex_rewrite->match),
                        arg("rewrite", r.regex_rewrite->rewrite)));
    if (!r.authority_rewrite.empty())
      line(text::trf("  rewrite: authority -> {authority}", arg("authority", r.authority_rewrite)));
    if (r.hash_policy) line(text::trf("  consistent hash on {key}", arg("key", hash_key(*r.hash_policy))));
    for (const auto& m : r.mirrors)
      line(text::trf("  mirror {percent} to {cluster}", arg("percent", percent(m.per_million)), arg("cluster", m.cluster_name)));
  }

  // The request its upstream receives (docs/semantics.md §3.4): the path and Host after the
  // route's rewrites, computed for this request, and each header operation in the order Envoy
  // applies it (the rule's, then the picked destination's; removals before set and add).
  void narrate_upstream_request(const Route& r) {
    const std::string_view path = call.path.empty() ? std::string_view("/") : std::string_view(call.path);
    if (const std::optional<std::string> to = rewritten_path(r, path))
      line(text::trf("  upstream path: {from} -> {to}", arg("from", path), arg("to", *to)));
    const bool weighted = r.clusters.size() > 1;
    for (std::size_t i = 0; i < std::max<std::size_t>(r.clusters.size(), 1); ++i) {
      const std::string_view to = rewritten_authority(r, i, call.host);
      if (to == call.host) continue;
      line(weighted ? text::trf("  upstream host via {cluster}: {from} -> {to}", arg("cluster", r.clusters[i].name),
                                arg("from", call.host), arg("to", to))
                    : text::trf("  upstream host: {from} -> {to}", arg("from", call.host), arg("to", to)));
      if (!weighted) break;
    }
    narrate_header_ops(r.request_headers, "");
    for (const auto& wc : r.clusters) narrate_header_ops(wc.request_headers, wc.name);
  }

  void narrate_header_ops(const HeaderOps& ops, std::string_view cluster) {
    auto op = [&](std::string_view verb, const std::string& header) {
      line(cluster.empty() ? text::trf("  header {op}: {header}", arg("op", verb), arg("header", header))
                           : text::trf("  header {op} via {cluster}: {header}", arg("op", verb),
                                       arg("cluster", cluster), arg("header", header)));
    };
    for (const auto& name : ops.remove) op("remove", name);
    for (const auto& [name, value] : ops.set) op("set", name + ": " + value);
    for (const auto& [name, value] : ops.add) op("add", name + ": " + value);
  }

  // An HTTP route: direct response, redirect, or forward with its policy, weights and clusters.
  void narrate_route(const Route& r) {
    narrate_route_heading(r);
    if (r.action == Route::Action::DirectResponse) {
      outcome(r.name == "block_all"
                  ? text::trf("{status} direct response (block_all: outboundTrafficPolicy REGISTRY_ONLY, no upstream, no flag)",
                                 arg("status", r.local_status))
                  : text::trf("{status} direct response", arg("status", r.local_status)));
      return;
    }
    if (r.action == Route::Action::Redirect) {
      narrate_redirect(r);
      return;
    }
    narrate_route_policy(r);
    narrate_upstream_request(r);
    if (r.clusters.size() > 1)
      narrate_weights(N_("Weights (picked once per request, kept on retries):"), r.clusters, r.total_weight);
    for (const auto& wc : r.clusters) describe_cluster(wc.name, wc.cluster, r.cluster_not_found_status);
    if (r.clusters.size() == 1 && cfg.find_cluster(r.clusters.front().name) == kNoCluster)
      outcome(text::trf("{status} NC (cluster {cluster} does not exist)", arg("status", r.cluster_not_found_status),
                           arg("cluster", r.clusters.front().name)));
    else
      outcome(text::trf("forwarded to {cluster}",
                           arg("cluster", r.clusters.size() == 1 ? r.clusters.front().name : tr("a weighted cluster"))));
  }
};

}  // namespace

std::optional<ProxyIdentity> proxy_identity(const registry::Registry& reg, const ExplainTarget& target,
                                            std::string* error) {
  const auto pods = reg.pods_of_workload(target.namespace_, target.workload);
  if (pods.empty()) {
    *error = "no workload " + target.namespace_ + "/" + target.workload +
             " (a Deployment, StatefulSet, DaemonSet, ReplicaSet or Pod" +
             (target.gateway ? ", or a gateway the registry provides" : "") + ")";
    return std::nullopt;
  }
  const registry::Pod* pod = &reg.pods()[pods.front()];
  for (std::uint32_t p : pods)
    if (reg.pods()[p].ready) {
      pod = &reg.pods()[p];
      break;
    }
  if (target.gateway && !pod->gateway_proxy) {
    *error = target.namespace_ + "/" + target.workload + " is not a gateway; use --from for a workload with a sidecar";
    return std::nullopt;
  }
  if (!target.gateway && !pod->has_sidecar) {
    *error = target.namespace_ + "/" + target.workload +
             (pod->gateway_proxy ? " is a gateway; use --gateway"
                                 : " has no sidecar (injection is off), so no Envoy routes its requests: they go "
                                   "straight to a pod of the Service, bypassing VirtualServices");
    return std::nullopt;
  }
  ProxyIdentity id;
  id.namespace_ = pod->namespace_;
  id.labels = pod->labels;
  id.workload = pod->workload;
  id.is_gateway = target.gateway;
  id.ip_addresses = {pod->ip};
  return id;
}

std::optional<Explanation> explain(const ProxyConfig& cfg, const registry::Registry& reg, const ProxyIdentity& proxy,
                                   const ExplainRequest& request, std::string* error) {
  auto url = parse_url(request.url, error);
  if (!url) return std::nullopt;
  Explanation e;
  Narrator n{cfg, reg, proxy, request, *url, e, {}, {}, false};
  n.build_call();
  n.narrate_request();
  n.resolve_destination();
  e.trace = trace_call(cfg, n.call);
  n.narrate_trace();
  const CallTrace& t = e.trace;
  if (t.error != CallError::None)
    n.error_outcome(t.error);
  else if (t.tcp)
    n.narrate_tcp(*t.tcp);
  else
    n.narrate_route(*t.route);
  return e;
}

}  // namespace meshtwin::xds
