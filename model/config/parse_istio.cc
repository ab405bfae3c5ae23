// Istio networking.istio.io kinds (v1alpha3, v1beta1, v1 share one schema). Almost every field of
// the API is read, including those whose behaviour arrives later; each map is read against its
// message's field list (api_fields.h), so a field the API lacks is an error and one meshtwin
// does not read (tcpKeepalive, tunnel, certificate files, ...) is a warning, and Istio's own validation
// (pilot/pkg/config/validation) is mirrored where it rejects a resource, so that what meshtwin
// accepts is what istiod would accept.
//
// This file: what the three share (parse_istio_shared.h) and the VirtualService;
// parse_destination_rule.cc reads DestinationRules, parse_istio_resources.cc Gateways,
// ServiceEntries and Sidecars.
#include <algorithm>
#include <limits>
#include <set>
#include <type_traits>

#include "model/config/parse_istio_shared.h"
#include "model/config/regex_check.h"

namespace meshtwin::config::parse {
namespace istio {

void error_at(const Value& at, std::string_view key, std::string message) {
  at.reader().report(Severity::Error, at.node(), yaml::join_path(at.path(), key), std::move(message));
}

void error_here(const Value& at, std::string message) { at.error(std::move(message)); }

bool read_port_number(MapReader& m, std::string_view key, std::uint32_t& out) {
  return m.read_uint(key, out, 1, 65535);
}

std::optional<MapReader> spec_of(MapReader& doc, const std::string& what, const api::Message& schema) {
  auto spec = doc.get("spec");
  if (!spec) {
    doc.value().reader().report(Severity::Error, doc.value().node(), yaml::join_path(doc.path(), "spec"),
                                "spec is required: " + what);
    return std::nullopt;
  }
  MapReader m(*spec, schema);
  if (!m.ok()) return std::nullopt;
  return m;
}

}  // namespace istio

namespace {

using namespace istio;

// `percentage: {value: 50}` (istio.networking.v1.Percent).
bool read_percent(MapReader& m, std::string_view key, std::optional<double>& out) {
  auto v = m.get(key);
  if (!v) return false;
  if (v->is_scalar()) {  // a common slip: Istio's Percent is a message, not a number
    v->error(std::string(key) + " must be written as {value: " + v->node().Scalar() + "}, got " + v->describe());
    return false;
  }
  MapReader pm(*v, api::kPercent);
  if (!pm.ok()) return false;
  bool ok = false;
  if (auto val = pm.get("value")) {
    if (auto d = val->as_number(-std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity())) {
      if (*d < 0 || *d > 100) {
        val->error(std::string(key) + " must be between 0 and 100, got " + val->node().Scalar());
      } else {
        out = *d;
        ok = true;
      }
    }
  } else {
    out = 0.0;  // an empty Percent message is 0
    ok = true;
  }
  pm.finish();
  return ok;
}

// Istio's validation compiles every regex (Go's regexp, RE2 syntax) and rejects the resource.
bool check_regex(const Value& at, const std::string& pattern) {
  // `*` is not RE2, but istiod's translation turns a `*` regex into a presence match before
  // Envoy sees it (docs/semantics.md §2.3), so it is accepted with that meaning.
  if (pattern == "*") return true;
  if (auto why = regex_error(pattern)) {
    at.error(at.name() + " " + yaml::quote_value(pattern) + " is not a valid RE2 regular expression: " + *why);
    return false;
  }
  return true;
}

// exact / prefix / regex. An empty map means "present" for headers and query parameters;
// for uri, scheme, method and authority it sets no condition.
std::optional<StringMatch> read_string_match(const Value& v, bool empty_is_present) {
  MapReader m(v, api::kStringMatch);
  if (!m.ok()) return std::nullopt;
  StringMatch sm;
  int count = 0;
  bool ok = true;
  const std::pair<const char*, StringMatch::Kind> kinds[] = {
      {"exact", StringMatch::Kind::Exact}, {"prefix", StringMatch::Kind::Prefix}, {"regex", StringMatch::Kind::Regex}};
  for (const auto& [key, kind] : kinds) {
    if (auto x = m.get(key)) {
      ++count;
      if (auto s = x->as_string()) {
        sm.kind = kind;
        sm.value = *s;
        if (kind == StringMatch::Kind::Regex && !check_regex(*x, *s)) ok = false;
      } else {
        ok = false;
      }
    }
  }
  m.finish();
  if (count > 1) {
    v.error(v.name() + " must set only one of exact, prefix or regex");
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  if (count == 0 && empty_is_present) sm.kind = StringMatch::Kind::Present;
  return sm;
}

void read_named_matches(const Value& v, std::vector<NamedStringMatch>& out) {
  MapReader m(v);
  if (!m.ok()) return;
  for (auto& [key, val] : m.entries()) {
    if (key.empty()) {
      val.error("header and query parameter names must not be empty");
      continue;
    }
    if (val.is_null()) {
      out.push_back(NamedStringMatch{key, StringMatch{StringMatch::Kind::Present, ""}});
      continue;
    }
    if (auto sm = read_string_match(val, /*empty_is_present=*/true)) out.push_back(NamedStringMatch{key, *sm});
  }
}

void read_header_operations(const Value& v, HeaderOperations& ops) {
  MapReader m(v, api::kHeaderOperations);
  if (!m.ok()) return;
  if (auto set = m.get("set")) {
    if (auto map = set->as_string_map()) ops.set = *map;
  }
  if (auto add = m.get("add")) {
    if (auto map = add->as_string_map()) ops.add = *map;
  }
  m.read("remove", ops.remove);
  m.finish();
}

void read_headers(const Value& v, Headers& h) {
  MapReader m(v, api::kHeaders);
  if (!m.ok()) return;
  if (auto r = m.get("request")) read_header_operations(*r, h.request);
  if (auto r = m.get("response")) read_header_operations(*r, h.response);
  m.finish();
}

bool read_destination(const Value& v, Destination& d) {
  MapReader m(v, api::kDestination);
  if (!m.ok()) return false;
  d.location = v.location();
  bool ok = true;
  if (auto host = m.require("host",
                            "host is required: name the service to send traffic to (e.g. reviews or "
                            "reviews.default.svc.cluster.local)")) {
    if (auto s = host->as_string()) {
      if (s->empty()) {
        host->error("host must not be empty");
        ok = false;
      }
      d.host = *s;
    } else {
      ok = false;
    }
  } else {
    ok = false;
  }
  m.read("subset", d.subset);
  if (auto port = m.get("port")) {
    if (port->is_scalar()) {  // a common slip: PortSelector is a message
      port->error("port must be written as {number: " + port->node().Scalar() + "}, got " + port->describe());
      ok = false;
    } else {
      MapReader pm(*port, api::kPortSelector);
      if (pm.ok()) {
        read_port_number(pm, "number", d.port);
        pm.finish();
      }
    }
  }
  m.finish();
  return ok;
}

// Weights are relative; with several destinations at least one must be positive
// (docs/semantics.md §3.3: an omitted weight is 0).
template <class D>
void check_weights(const Value& route_v, const std::vector<D>& dests, bool weights_valid) {
  if (!weights_valid || dests.size() < 2) return;
  std::int64_t total = 0;
  for (const auto& d : dests) total += d.weight;
  if (total == 0) {
    route_v.error(route_v.name() + " has " + std::to_string(dests.size()) +
                  " destinations whose weights sum to 0; give at least one a positive weight (an omitted weight "
                  "counts as 0)");
  } else if (total > kUint32Max) {
    route_v.error(route_v.name() + " weights sum to " + std::to_string(total) + ", more than 4294967295");
  }
}

// A route's destinations (HTTPRouteDestination or RouteDestination): an item that is not a map
// or has an invalid weight leaves the weights unchecked, as its error already says enough.
template <class D>
void read_destinations(const Value& v, const api::Message& schema, std::vector<D>& out) {
  auto items = v.as_list();
  if (!items) return;
  bool weights_valid = true;
  for (const Value& item : *items) {
    MapReader m(item, schema);
    if (!m.ok()) {
      weights_valid = false;
      continue;
    }
    D rd;
    rd.location = item.location();
    if (auto d = m.require("destination", "destination is required: say where this route sends traffic")) {
      read_destination(*d, rd.destination);
    }
    if (auto w = m.get("weight")) {
      if (auto n = w->as_int(0, kInt32Max))
        rd.weight = static_cast<std::int32_t>(*n);
      else
        weights_valid = false;
    }
    if constexpr (std::is_same_v<D, HTTPRouteDestination>) {
      if (auto h = m.get("headers")) read_headers(*h, rd.headers);
    }
    m.finish();
    out.push_back(std::move(rd));
  }
  check_weights(v, out, weights_valid);
}

void read_match_request(const Value& v, HTTPMatchRequest& mr) {
  MapReader m(v, api::kHTTPMatchRequest);
  if (!m.ok()) return;
  mr.location = v.location();
  m.read("name", mr.name);
  const std::pair<const char*, StringMatch*> simple[] = {
      {"uri", &mr.uri}, {"scheme", &mr.scheme}, {"method", &mr.method}, {"authority", &mr.authority}};
  for (const auto& [key, target] : simple) {
    if (auto x = m.get(key)) {
      if (auto sm = read_string_match(*x, /*empty_is_present=*/false)) *target = *sm;
    }
  }
  if (auto h = m.get("headers")) read_named_matches(*h, mr.headers);
  if (auto q = m.get("queryParams")) read_named_matches(*q, mr.query_params);
  if (auto w = m.get("withoutHeaders")) read_named_matches(*w, mr.without_headers);
  m.read("ignoreUriCase", mr.ignore_uri_case);
  read_port_number(m, "port", mr.port);
  read_labels(m, "sourceLabels", mr.source_labels);
  m.read("gateways", mr.gateways);
  m.read("sourceNamespace", mr.source_namespace);
  m.read("statPrefix", mr.stat_prefix);
  m.finish();
}

void read_redirect(const Value& v, HTTPRedirect& r) {
  MapReader m(v, api::kHTTPRedirect);
  if (!m.ok()) return;
  m.read("uri", r.uri);
  if (auto p = m.get("prefixRewrite")) {
    // Istio 1.31's HTTPRedirect.prefixRewrite (istio/api networking/v1: "On a redirect, replace
    // the matched prefix with this value ... Mutually exclusive with uri").
    if (auto s = p->as_string()) {
      if (!r.uri.empty())
        p->error("set either uri (the whole path) or prefixRewrite (the matched prefix), not both");
      else
        r.prefix_rewrite = *s;
    }
  }
  m.read("authority", r.authority);
  const bool has_port = read_port_number(m, "port", r.port);
  if (m.read_enum("derivePort", r.derive_port, {"FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT"}) && has_port)
    error_at(v, "derivePort", "set either port or derivePort, not both");
  m.read("scheme", r.scheme);
  if (auto code = m.get("redirectCode")) {
    if (auto n = code->as_int(0, kInt32Max)) {
      if (*n != 301 && *n != 302 && *n != 303 && *n != 307 && *n != 308)
        code->error("redirectCode must be 301, 302, 303, 307 or 308, got " + std::to_string(*n));
      else
        r.redirect_code = static_cast<std::uint32_t>(*n);
    }
  }
  m.finish();
}

void read_direct_response(const Value& v, HTTPDirectResponse& r) {
  MapReader m(v, api::kHTTPDirectResponse);
  if (!m.ok()) return;
  if (auto st = m.require("status", "status is required: the HTTP status to answer with")) {
    if (auto n = st->as_int(200, 599)) r.status = static_cast<std::uint32_t>(*n);
  }
  if (auto body = m.get("body")) {
    MapReader bm(*body, api::kHTTPBody);
    if (bm.ok()) {
      std::string s;
      const bool has_string = bm.read("string", s);
      std::string b;
      const bool has_bytes = bm.read("bytes", b);
      if (has_string && has_bytes)
        body->error("body must set either string or bytes, not both");
      else if (has_string)
        r.body = s;
      else if (has_bytes)
        r.body = b;
      if (r.body && r.body->size() > 1024 * 1024)
        body->error("body is larger than Istio's 1 MiB limit for direct responses");
      bm.finish();
    }
  }
  m.finish();
}

void read_rewrite(const Value& v, HTTPRewrite& r) {
  MapReader m(v, api::kHTTPRewrite);
  if (!m.ok()) return;
  const bool has_uri = m.read("uri", r.uri);
  m.read("authority", r.authority);
  if (auto rr = m.get("uriRegexRewrite")) {
    MapReader rm(*rr, api::kRegexRewrite);
    if (rm.ok()) {
      RegexRewrite x;
      rm.require("match", "match is required: the regular expression to replace");
      if (rm.read("match", x.match)) check_regex(*rm.get("match"), x.match);
      rm.read("rewrite", x.rewrite);
      rm.finish();
      r.uri_regex_rewrite = x;
    }
    if (has_uri) error_at(v, "uriRegexRewrite", "set either uri or uriRegexRewrite, not both");
  }
  m.finish();
}

// retryOn as Envoy parses it: HTTP and gRPC retry conditions or status codes.
bool valid_retry_on(std::string_view policy) {
  static const std::set<std::string_view> kKnown = {
      "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "envoy-ratelimited",
      "retriable-4xx", "refused-stream", "retriable-status-codes", "retriable-headers", "http3-post-connect-failure",
      "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"};
  if (kKnown.count(policy)) return true;
  if (policy.empty()) return false;
  if (!std::all_of(policy.begin(), policy.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  const int code = std::atoi(std::string(policy).c_str());
  return code >= 100 && code <= 599;
}

void read_retries(const Value& v, HTTPRetry& r) {
  MapReader m(v, api::kHTTPRetry);
  if (!m.ok()) return;
  r.location = v.location();
  m.read_int("attempts", r.attempts, 0, kInt32Max);
  m.read_duration("perTryTimeout", r.per_try_timeout, engine::kMillisecond);
  if (auto on = m.get("retryOn")) {
    if (auto s = on->as_string()) {
      std::size_t start = 0;
      bool ok = true;
      while (start <= s->size()) {
        std::size_t comma = s->find(',', start);
        if (comma == std::string::npos) comma = s->size();
        std::string part = s->substr(start, comma - start);
        part.erase(0, part.find_first_not_of(' '));
        part.erase(part.find_last_not_of(' ') + 1);
        if (!valid_retry_on(part)) {
          on->error("retryOn has an unknown condition \"" + part +
                    "\"; use Envoy's conditions (5xx, gateway-error, reset, connect-failure, retriable-4xx, "
                    "refused-stream, retriable-status-codes, cancelled, deadline-exceeded, internal, "
                    "resource-exhausted, unavailable, ...) or HTTP status codes");
          ok = false;
          break;
        }
        start = comma + 1;
      }
      if (ok) r.retry_on = *s;
    }
  }
  m.read("retryRemoteLocalities", r.retry_remote_localities);
  m.read("retryIgnorePreviousHosts", r.retry_ignore_previous_hosts);
  m.read_duration("backoff", r.backoff, engine::kMillisecond);
  m.finish();
}

void read_fault(const Value& v, HTTPFaultInjection& f) {
  MapReader m(v, api::kHTTPFaultInjection);
  if (!m.ok()) return;
  if (auto d = m.get("delay")) {
    MapReader dm(*d, api::kFaultDelay);
    if (dm.ok()) {
      FaultDelay delay;
      delay.location = d->location();
      if (auto exp = dm.get("exponentialDelay")) {
        exp->error("exponentialDelay is not supported by Istio; use fixedDelay");
      } else if (!dm.has("fixedDelay")) {
        error_at(*d, "fixedDelay", "fixedDelay is required: how long to delay requests (e.g. \"5s\")");
      }
      dm.read_duration("fixedDelay", delay.fixed_delay, engine::kMillisecond);
      read_percent(dm, "percentage", delay.percentage);
      dm.read_int("percent", delay.percent, 0, 100);
      dm.finish();
      f.delay = delay;
    }
  }
  if (auto a = m.get("abort")) {
    MapReader am(*a, api::kFaultAbort);
    if (am.ok()) {
      FaultAbort abort;
      abort.location = a->location();
      if (auto h2 = am.get("http2Error")) h2->error("http2Error is not supported by Istio; use httpStatus or grpcStatus");
      const bool has_http = am.has("httpStatus");
      const bool has_grpc = am.has("grpcStatus");
      if (has_http && has_grpc) {
        error_at(*a, "grpcStatus", "set either httpStatus or grpcStatus, not both");
      } else if (!has_http && !has_grpc && !am.has("http2Error")) {
        error_at(*a, "httpStatus",
                 "abort needs httpStatus (e.g. 503) or grpcStatus (e.g. \"UNAVAILABLE\") to say what to answer");
      }
      am.read_int("httpStatus", abort.http_status, 200, 599);
      am.read("grpcStatus", abort.grpc_status);
      read_percent(am, "percentage", abort.percentage);
      am.finish();
      f.abort = abort;
    }
  }
  if (!m.has("delay") && !m.has("abort") && m.ok())
    v.error("fault must have a delay or an abort (or both)");
  m.finish();
}

bool read_mirror_policy(const Value& v, HTTPMirrorPolicy& p) {
  MapReader m(v, api::kHTTPMirrorPolicy);
  if (!m.ok()) return false;
  if (auto d = m.require("destination", "destination is required: where to mirror traffic to"))
    read_destination(*d, p.destination);
  read_percent(m, "percentage", p.percentage);
  m.finish();
  return true;
}

void read_cors(const Value& v, CorsPolicy& c) {
  MapReader m(v, api::kCorsPolicy);
  if (!m.ok()) return;
  if (auto origins = m.get("allowOrigins")) {
    if (auto items = origins->as_list()) {
      for (const Value& item : *items) {
        if (auto sm = read_string_match(item, false)) c.allow_origins.push_back(*sm);
      }
    }
  }
  std::vector<std::string> legacy;
  if (m.read("allowOrigin", legacy)) {  // deprecated: exact strings
    for (auto& o : legacy) c.allow_origins.push_back(StringMatch{StringMatch::Kind::Exact, o});
  }
  m.read("allowMethods", c.allow_methods);
  m.read("allowHeaders", c.allow_headers);
  m.read("exposeHeaders", c.expose_headers);
  m.read_duration("maxAge", c.max_age);
  m.read("allowCredentials", c.allow_credentials);
  m.finish();
}

void read_delegate(const Value& v, Delegate& d) {
  MapReader m(v, api::kDelegate);
  if (!m.ok()) return;
  m.require("name", "name is required: the VirtualService to delegate to");
  m.read("name", d.name);
  m.read("namespace", d.namespace_);
  m.finish();
}

void read_http_route(const Value& v, HTTPRoute& r, bool in_delegate_vs) {
  MapReader m(v, api::kHTTPRoute);
  if (!m.ok()) return;
  r.location = v.location();
  m.read("name", r.name);
  if (auto match = m.get("match")) read_list(*match, r.match, read_match_request);
  std::optional<Value> route_v = m.get("route");
  if (route_v) read_destinations(*route_v, api::kHTTPRouteDestination, r.route);
  std::optional<Value> redirect_v = m.get("redirect");
  if (redirect_v) {
    HTTPRedirect x;
    read_redirect(*redirect_v, x);
    r.redirect = x;
  }
  std::optional<Value> direct_v = m.get("directResponse");
  if (direct_v) {
    HTTPDirectResponse x;
    read_direct_response(*direct_v, x);
    r.direct_response = x;
  }
  std::optional<Value> delegate_v = m.get("delegate");
  if (delegate_v) {
    Delegate x;
    read_delegate(*delegate_v, x);
    r.delegate = x;
  }
  if (auto rw = m.get("rewrite")) {
    HTTPRewrite x;
    read_rewrite(*rw, x);
    r.rewrite = x;
  }
  m.read_duration("timeout", r.timeout);
  if (auto rt = m.get("retries")) {
    HTTPRetry x;
    read_retries(*rt, x);
    r.retries = x;
  }
  if (auto f = m.get("fault")) {
    HTTPFaultInjection x;
    read_fault(*f, x);
    r.fault = x;
  }
  std::optional<Value> mirror_v = m.get("mirror");
  if (mirror_v) {
    Destination d;
    read_destination(*mirror_v, d);
    r.mirror = d;
  }
  read_percent(m, "mirrorPercentage", r.mirror_percentage);
  std::int32_t mirror_percent = 0;
  if (m.read_int("mirrorPercent", mirror_percent, 0, 100)) r.mirror_percent = mirror_percent;
  std::optional<Value> mirrors_v = m.get("mirrors");
  if (mirrors_v) {
    if (auto items = mirrors_v->as_list()) {
      for (const Value& item : *items) {
        HTTPMirrorPolicy p;
        if (read_mirror_policy(item, p)) r.mirrors.push_back(std::move(p));
      }
    }
  }
  if (auto c = m.get("corsPolicy")) {
    CorsPolicy x;
    read_cors(*c, x);
    r.cors_policy = x;
  }
  if (auto h = m.get("headers")) read_headers(*h, r.headers);
  m.finish();

  // One action per route (docs/semantics.md §3.1), as Istio's validation insists.
  if (route_v && redirect_v) error_at(v, "redirect", "a route may have route or redirect, not both");
  if (route_v && direct_v) error_at(v, "directResponse", "a route may have route or directResponse, not both");
  if (redirect_v && direct_v) error_at(v, "directResponse", "a route may have redirect or directResponse, not both");
  if (delegate_v && (route_v || redirect_v || direct_v))
    error_at(v, "delegate", "a route with delegate must not also have route, redirect or directResponse");
  if (delegate_v && in_delegate_vs)
    error_at(v, "delegate", "a delegate VirtualService (one without hosts) cannot delegate further");
  if (!route_v && !redirect_v && !direct_v && !delegate_v && m.ok())
    v.error(v.name() + " needs one of route, redirect, directResponse or delegate");
  if (mirror_v && mirrors_v) error_at(v, "mirrors", "set either mirror or mirrors, not both");
}

template <class Match>
void read_l4_match_common(MapReader& m, Match& x) {
  m.read("destinationSubnets", x.destination_subnets);
  read_port_number(m, "port", x.port);
  read_labels(m, "sourceLabels", x.source_labels);
  m.read("gateways", x.gateways);
  m.read("sourceNamespace", x.source_namespace);
}

void read_tcp_route(const Value& v, TCPRoute& r) {
  MapReader m(v, api::kTCPRoute);
  if (!m.ok()) return;
  r.location = v.location();
  if (auto match = m.get("match"))
    read_object_list(*match, api::kL4MatchAttributes, r.match,
                     [](MapReader& mm, L4MatchAttributes& x, const Value&) { read_l4_match_common(mm, x); });
  if (auto route = m.require("route", "route is required: where this TCP route sends traffic"))
    read_destinations(*route, api::kRouteDestination, r.route);
  m.finish();
}

void read_tls_route(const Value& v, TLSRoute& r) {
  MapReader m(v, api::kTLSRoute);
  if (!m.ok()) return;
  r.location = v.location();
  if (auto match = m.require("match", "match is required: a TLS route matches on sniHosts")) {
    read_object_list(
        *match, api::kTLSMatchAttributes, r.match,
        [](MapReader& mm, TLSMatchAttributes& x, const Value&) {
          if (mm.require("sniHosts", "sniHosts is required: the SNI names this TLS route matches"))
            mm.read("sniHosts", x.sni_hosts);
          read_l4_match_common(mm, x);
        },
        "match must have at least one entry with sniHosts");
  }
  if (auto route = m.require("route", "route is required: where this TLS route sends traffic"))
    read_destinations(*route, api::kRouteDestination, r.route);
  m.finish();
}

}  // namespace

using namespace istio;

void parse_virtual_service(MapReader& doc, VirtualService& out) {
  read_metadata(doc, out.meta);
  auto spec_opt = spec_of(doc, "a VirtualService needs hosts and routes", api::kVirtualService);
  if (!spec_opt) return;
  MapReader& spec = *spec_opt;
  std::optional<Value> hosts_v = spec.get("hosts");
  if (hosts_v) spec.read("hosts", out.hosts);
  spec.read("gateways", out.gateways);
  spec.read("exportTo", out.export_to);
  // No hosts: a delegate VirtualService, only reachable through another one's `delegate`.
  const bool delegate_vs = !hosts_v || (hosts_v->is_seq() && hosts_v->node().size() == 0);
  std::optional<Value> http_v = spec.get("http");
  if (http_v)
    read_list(*http_v, out.http, [&](const Value& item, HTTPRoute& r) { read_http_route(item, r, delegate_vs); });
  std::optional<Value> tcp_v = spec.get("tcp");
  if (tcp_v) read_list(*tcp_v, out.tcp, read_tcp_route);
  std::optional<Value> tls_v = spec.get("tls");
  if (tls_v) read_list(*tls_v, out.tls, read_tls_route);
  spec.finish();

  const bool bound_to_mesh =
      out.gateways.empty() || std::find(out.gateways.begin(), out.gateways.end(), "mesh") != out.gateways.end();
  if (hosts_v && hosts_v->is_seq()) {
    for (std::size_t i = 0; i < out.hosts.size() && i < hosts_v->node().size(); ++i) {
      const Value h = hosts_v->at(i);
      if (out.hosts[i].empty()) {
        h.error("host must not be empty");
      } else if (out.hosts[i] == "*" && bound_to_mesh) {
        h.error("host \"*\" is not allowed for a VirtualService bound to the mesh (no gateways, or \"mesh\" among "
                "them); list the hosts it routes, or bind it to gateways only");
      }
    }
  }
  if (delegate_vs) {
    if (!out.gateways.empty())
      error_at(spec.value(), "gateways",
               "a VirtualService without hosts is a delegate and must not list gateways; add hosts or remove "
               "gateways");
    if (tcp_v || tls_v)
      error_at(spec.value(), tcp_v ? "tcp" : "tls",
               "a VirtualService without hosts is a delegate and may only have http routes; add hosts");
  }
  const bool wrong_type = (http_v && !http_v->is_seq()) || (tcp_v && !tcp_v->is_seq()) || (tls_v && !tls_v->is_seq());
  if (!wrong_type && out.http.empty() && out.tcp.empty() && out.tls.empty())
    error_at(spec.value(), "http", "a VirtualService needs http, tcp or tls routes");
}

}  // namespace meshtwin::config::parse
