// explain: trace_call plus what the cluster, DestinationRule and route policy make of the
// request, in the words `istioctl proxy-config` uses.
#include "model/xds/explain.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace meshtwin::xds {

namespace {

// Rounded to what a person reads (engine/time.h); 0 and below mean "none" in Envoy's config.
std::string duration(SimTime t) { return t <= 0 ? "0s" : engine::human_duration(t); }

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
    case LbPolicy::Kind::LeastRequest: return "LEAST_REQUEST (choice of " + std::to_string(lb.choice_count) + ")";
    case LbPolicy::Kind::RoundRobin: return "ROUND_ROBIN";
    case LbPolicy::Kind::Random: return "RANDOM";
    case LbPolicy::Kind::Passthrough: return "CLUSTER_PROVIDED (original destination)";
    case LbPolicy::Kind::RingHash: return "RING_HASH (minimum ring " + std::to_string(lb.minimum_ring_size) + ")";
    case LbPolicy::Kind::Maglev: return "MAGLEV (table " + std::to_string(lb.maglev_table_size) + ")";
  }
  return "";
}

std::string hash_key(const config::ConsistentHashLB& h) {
  switch (h.key) {
    case config::ConsistentHashLB::Key::HttpHeaderName: return "header " + h.header_name;
    case config::ConsistentHashLB::Key::HttpCookie: return "cookie " + h.cookie_name;
    case config::ConsistentHashLB::Key::UseSourceIp: return "source IP";
    case config::ConsistentHashLB::Key::HttpQueryParameterName: return "query parameter " + h.header_name;
    case config::ConsistentHashLB::Key::None: return "none";
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
  auto& out = e.lines;
  Call call;
  call.port = url->port;
  call.path = url->path;
  // A gRPC call is an HTTP/2 POST to /<package.Service>/<Method> with content-type application/grpc
  // (the gRPC over HTTP/2 protocol); grpc:// URLs get both unless the request says otherwise.
  const bool grpc = url->scheme == "grpc";
  call.method = !request.method.empty() ? request.method : grpc ? "POST" : "GET";
  call.host = url->authority;
  // The Host header is the request's :authority: it picks the virtual host, while the URL's
  // host and port pick the listener and route table (docs/semantics.md §1.5).
  std::string given_authority;
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
  call.protocol = url->scheme == "tcp" ? Call::Protocol::Tcp : url->scheme == "grpc" ? Call::Protocol::Http2 : Call::Protocol::Http;
  if (url->scheme == "https") {
    call.tls = Call::Tls::Tls;
    call.sni = url->host;
    call.protocol = Call::Protocol::Http;
  }
  out.push_back("Request: " + (call.protocol == Call::Protocol::Tcp ? std::string("connection to ") : call.method + " ") +
                request.url + " from " + proxy.namespace_ + "/" + proxy.workload +
                (proxy.is_gateway ? " (gateway proxy)" : " (sidecar)"));
  if (!given_authority.empty())
    out.push_back("  authority " + call.host + " (the Host header: it picks the virtual host; " + url->host + ":" +
                  std::to_string(url->port) + " picks the listener)");
  if (grpc) {
    // /pkg.Service/Method: the path GRPCRoute method matches are translated to (§11.3).
    const auto second = call.path.find('/', 1);
    if (call.path.size() > 1 && second != std::string::npos && second + 1 < call.path.size())
      out.push_back("  gRPC service " + call.path.substr(1, second - 1) + ", method " + call.path.substr(second + 1) +
                    " (HTTP/2 POST " + call.path + ")");
    else
      out.push_back("  gRPC call to path " + call.path + " (a gRPC path is /<package.Service>/<Method>)");
  }
  for (const auto& [k, v] : call.headers) out.push_back("  header " + k + ": " + v);

  if (proxy.is_gateway) {
    // A client reaches the gateway through its Service: the Service port becomes the pod's target
    // port, which is what the gateway listens on (docs/semantics.md §11).
    call.address = proxy.ip_addresses.empty() ? "0.0.0.0" : proxy.ip_addresses.front();
    for (const auto& s : reg.services()) {
      bool mine = false;
      for (std::uint32_t p : s.pods)
        if (!proxy.ip_addresses.empty() && reg.pods()[p].ip == proxy.ip_addresses.front()) mine = true;
      if (!mine) continue;
      if (const auto* sp = s.find_port(url->port)) {
        const std::uint32_t target = sp->target_port_number ? sp->target_port_number : sp->port;
        out.push_back("Service " + s.hostname + " port " + std::to_string(sp->port) + " -> gateway pod port " +
                      std::to_string(target));
        call.port = target;
        break;
      }
    }
  } else {
    const registry::Registry::Dial dial = reg.dial(url->host, proxy.namespace_);
    call.address = dial.address;
    for (std::size_t from = 0; !dial.note.empty() && from <= dial.note.size();) {
      const auto nl = dial.note.find('\n', from);
      out.push_back(dial.note.substr(from, nl == std::string::npos ? std::string::npos : nl - from));
      if (nl == std::string::npos) break;
      from = nl + 1;
    }
  }

  e.trace = trace_call(cfg, call);
  const CallTrace& t = e.trace;
  for (const auto& s : t.steps) out.push_back(s);
  if (t.virtual_host_ptr) {
    std::string domains;
    for (const auto& d : t.virtual_host_ptr->domains) domains += (domains.empty() ? "" : ", ") + d;
    out.push_back("  domains: " + domains);
    out.push_back("Routes of " + t.virtual_host_ptr->name + ", in order:");
    std::size_t i = 0;
    for (const auto& rt : t.routes_tried) {
      ++i;
      const Route& r = *rt.route;
      const std::string id = r.vs_rule.empty() || r.vs_rule == "-" ? (r.name.empty() ? "(unnamed)" : r.name) : r.vs_rule;
      out.push_back("  " + std::to_string(i) + ". " + id + (r.name.empty() || r.name == id ? "" : " \"" + r.name + "\"") +
                    " match " + describe_match(r.match) + (rt.matched ? "  -> MATCHED" : "  -> no: " + rt.why));
    }
    const std::size_t untried = t.virtual_host_ptr->routes.size() - t.routes_tried.size();
    if (untried) out.push_back("  (" + std::to_string(untried) + " later route(s) not evaluated: first match wins)");
  }
  if (t.error != CallError::None) {
    switch (t.error) {
      case CallError::NoRoute:
      case CallError::NoVirtualHost: e.outcome = "404 NR (no route)"; break;
      case CallError::TlsRedirect: e.outcome = "301 redirect to https"; break;
      case CallError::NoListener: e.outcome = "connection refused (no listener)"; break;
      case CallError::NoFilterChain: e.outcome = "connection closed (no filter chain, NR)"; break;
      default: e.outcome = std::string(to_string(t.error)); break;
    }
    out.push_back("Outcome: " + e.outcome);
    return e;
  }

  auto describe_cluster = [&](const std::string& name, std::int32_t index, int not_found_status) {
    if (index == kNoCluster) index = cfg.find_cluster(name);
    if (index == kNoCluster) {
      if (name.ends_with("||"))  // no host: istiod's translation of an invalid backendRef (§11.1)
        out.push_back("Cluster " + name + " does not exist: " + std::to_string(not_found_status) +
                      " NC (the Gateway API backendRef is invalid: no ReferenceGrant permits it, or it is of a kind "
                      "istiod does not route to; meshtwin lint names it)");
      else
        out.push_back("Cluster " + name + " does not exist: " + std::to_string(not_found_status) +
                      " NC (a subset no DestinationRule declares, or a host this proxy does not know)");
      return;
    }
    const Cluster& c = cfg.clusters[static_cast<std::size_t>(index)];
    out.push_back("Cluster " + c.name + " (" + c.discovery + (c.mesh_external ? ", mesh external" : "") + ")");
    if (c.name == "PassthroughCluster")
      out.push_back("  forwards to the original destination " + call.address + ":" + std::to_string(call.port) +
                    " (outboundTrafficPolicy ALLOW_ANY)");
    if (c.name == "BlackHoleCluster") out.push_back("  no endpoints: the connection is closed (outboundTrafficPolicy REGISTRY_ONLY)");
    if (!c.destination_rule.empty())
      out.push_back("  DestinationRule " + c.destination_rule +
                    (c.subset.empty() ? "" : ", subset " + c.subset + " " + labels(c.subset_labels)));
    else if (!c.service_hostname.empty())
      out.push_back("  no DestinationRule: Istio's defaults");
    if (!c.service_hostname.empty())
      out.push_back("  load balancer " + lb_name(c.lb) + (c.lb.hash ? ", hash on " + hash_key(*c.lb.hash) : "") +
                    (c.lb.locality ? ", locality settings" : ""));
    if (c.connection_pool) {
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
      out.push_back("  connection pool:" + (cp.empty() ? std::string(" (defaults)") : cp));
    }
    if (c.outlier_detection) {
      const auto& od = *c.outlier_detection;
      out.push_back("  outlier detection: consecutive5xxErrors " +
                    (od.consecutive_5xx_errors ? std::to_string(*od.consecutive_5xx_errors) : std::string("5")) +
                    ", interval " + duration(od.interval.value_or(10 * engine::kSecond)) + ", baseEjectionTime " +
                    duration(od.base_ejection_time.value_or(30 * engine::kSecond)));
    }
    if (c.tls) out.push_back("  DestinationRule tls mode " + c.tls->mode + " (not simulated)");
    if (c.type == Cluster::Type::OriginalDst && c.name != "PassthroughCluster" && c.endpoints.empty()) {
      out.push_back("  original destination: Envoy connects to the address the app dialled");
      return;
    }
    if (c.type == Cluster::Type::BlackHole) return;
    if (c.endpoints.empty()) {
      out.push_back("  endpoints: none -> 503 UH (no healthy upstream)" +
                    std::string(c.subset.empty() ? "" : ": no pod carries the subset's labels"));
      return;
    }
    out.push_back("  endpoints (" + std::to_string(c.endpoints.size()) + "):");
    for (const auto& ep : c.endpoints) {
      std::string who = ep.is_pod() ? reg.pods()[ep.pod].name + " " + ep.address : ep.address + " (not a pod)";
      out.push_back("    " + who + ":" + std::to_string(ep.port) + (ep.healthy ? " healthy" : " UNHEALTHY (not ready)") +
                    (ep.weight != 1 ? " weight " + std::to_string(ep.weight) : ""));
    }
  };

  if (t.tcp) {
    if (t.tcp->clusters.size() > 1) {
      out.push_back("Weights (picked once per connection):");
      for (const auto& wc : t.tcp->clusters)
        out.push_back("  " + wc.name + " " + std::to_string(wc.weight) + "/" + std::to_string(t.tcp->total_weight));
    }
    if (t.tcp->vs_rule != "-") out.push_back("TCP route " + t.tcp->vs_rule);
    for (const auto& wc : t.tcp->clusters) describe_cluster(wc.name, wc.cluster, 503);
    e.outcome = "tcp_proxy to " + (t.tcp->clusters.size() == 1 ? t.tcp->clusters.front().name : "a weighted cluster");
    out.push_back("Outcome: " + e.outcome);
    return e;
  }
  const Route& r = *t.route;
  const bool catch_all = r.name == "block_all" || r.name == "allow_any";
  out.push_back("Route " + (r.vs_rule == "-" || r.vs_rule.empty() ? r.name : r.vs_rule) +
                (catch_all ? " (the catch-all virtual host: no service or VirtualService claims the host)"
                 : r.vs_rule == "-" ? " (no VirtualService applies: the service's default route)"
                                    : ""));
  if (r.action == Route::Action::DirectResponse) {
    e.outcome = std::to_string(r.local_status) + " direct response" +
                (r.name == "block_all" ? " (block_all: outboundTrafficPolicy REGISTRY_ONLY, no upstream, no flag)" : "");
    out.push_back("Outcome: " + e.outcome);
    return e;
  }
  if (r.action == Route::Action::Redirect) {
    // The full Location the client receives, built from this request as Envoy builds it.
    RequestAttributes req;
    req.authority = call.host;
    req.path = call.path.empty() ? std::string_view("/") : std::string_view(call.path);
    req.method = call.method;
    req.scheme = call.tls == Call::Tls::Tls ? "https" : "http";
    out.push_back("  redirect: " + (r.redirect_location.empty() ? std::string("(keeps scheme, host and path)")
                                                               : r.redirect_location) +
                  (r.redirect.prefix_rewrite ? " (prefixRewrite: replaces the matched prefix)" : ""));
    e.outcome = std::to_string(r.local_status) + " redirect to " + redirect_location(r, req);
    out.push_back("Outcome: " + e.outcome);
    return e;
  }
  if (r.fault) {
    if (r.fault->delay)
      out.push_back("  fault: delay " + duration(r.fault->delay->duration) + " for " + percent(r.fault->delay->per_million) +
                    " of requests (DI)");
    if (r.fault->abort)
      out.push_back("  fault: abort " +
                    (r.fault->abort->grpc_status >= 0 ? "grpc-status " + std::to_string(r.fault->abort->grpc_status)
                                                      : "HTTP " + std::to_string(r.fault->abort->http_status)) +
                    " for " + percent(r.fault->abort->per_million) + " of requests (FI)");
  }
  out.push_back("  timeout: " + (r.timeout > 0 ? duration(r.timeout) : std::string("none (0s: Istio's default)")));
  if (r.retry)
    out.push_back("  retries: " + std::to_string(r.retry->num_retries) + " on " +
                  retry_on(r.retry->retry_on, r.retry->retriable_status_codes) +
                  (r.retry->per_try_timeout > 0 ? ", per try " + duration(r.retry->per_try_timeout) : "") +
                  ", backoff " + duration(r.retry->backoff_base) + "..." + duration(r.retry->backoff_max));
  else
    out.push_back("  retries: none");
  if (!r.prefix_rewrite.empty()) out.push_back("  rewrite: path prefix -> " + r.prefix_rewrite);
  if (r.regex_rewrite) out.push_back("  rewrite: path /" + r.regex_rewrite->match + "/ -> " + r.regex_rewrite->rewrite);
  if (!r.authority_rewrite.empty()) out.push_back("  rewrite: authority -> " + r.authority_rewrite);
  if (r.hash_policy) out.push_back("  consistent hash on " + hash_key(*r.hash_policy));
  for (const auto& m : r.mirrors) out.push_back("  mirror " + percent(m.per_million) + " to " + m.cluster_name);
  if (r.clusters.size() > 1) {
    out.push_back("Weights (picked once per request, kept on retries):");
    for (const auto& wc : r.clusters)
      out.push_back("  " + wc.name + " " + std::to_string(wc.weight) + "/" + std::to_string(r.total_weight));
  }
  for (const auto& wc : r.clusters) describe_cluster(wc.name, wc.cluster, r.cluster_not_found_status);
  if (r.clusters.size() == 1 && cfg.find_cluster(r.clusters.front().name) == kNoCluster)
    e.outcome = std::to_string(r.cluster_not_found_status) + " NC (cluster " + r.clusters.front().name +
                " does not exist)";
  else
    e.outcome = "forwarded to " + (r.clusters.size() == 1 ? r.clusters.front().name : "a weighted cluster");
  out.push_back("Outcome: " + e.outcome);
  return e;
}

}  // namespace meshtwin::xds
