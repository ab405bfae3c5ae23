// Istio networking.istio.io kinds (v1alpha3, v1beta1, v1 share one schema). Almost every field of
// the API is read, including those whose behaviour arrives later; each map is read against its
// message's field list (api_fields.h), so a field the API lacks is an error and one meshtwin
// does not read (tcpKeepalive, tunnel, certificate files, ...) is a warning, and Istio's own validation
// (pilot/pkg/config/validation) is mirrored where it rejects a resource, so that what meshtwin
// accepts is what istiod would accept.
#include <algorithm>
#include <limits>
#include <set>

#include "model/config/parsers.h"
#include "model/config/regex_check.h"

namespace meshtwin::config::parse {
namespace {

constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t kUint32Max = std::numeric_limits<std::uint32_t>::max();

// An error about field `key` of the map `at` (e.g. a missing or conflicting field), reported
// at the map since the field itself may not exist.
void error_at(const Value& at, std::string_view key, std::string message) {
  at.reader().report(Severity::Error, at.node(), yaml::join_path(at.path(), key), std::move(message));
}

void error_here(const Value& at, std::string message) { at.error(std::move(message)); }

bool read_port_number(MapReader& m, std::string_view key, std::uint32_t& out) {
  return m.read_uint(key, out, 1, 65535);
}

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

void read_route_destinations(const Value& v, std::vector<HTTPRouteDestination>& out) {
  auto items = v.as_list();
  if (!items) return;
  bool weights_valid = true;
  for (const Value& item : *items) {
    MapReader m(item, api::kHTTPRouteDestination);
    if (!m.ok()) {
      weights_valid = false;
      continue;
    }
    HTTPRouteDestination rd;
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
    if (auto h = m.get("headers")) read_headers(*h, rd.headers);
    m.finish();
    out.push_back(std::move(rd));
  }
  check_weights(v, out, weights_valid);
}

void read_l4_destinations(const Value& v, std::vector<RouteDestination>& out) {
  auto items = v.as_list();
  if (!items) return;
  bool weights_valid = true;
  for (const Value& item : *items) {
    MapReader m(item, api::kRouteDestination);
    if (!m.ok()) {
      weights_valid = false;
      continue;
    }
    RouteDestination rd;
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
  if (auto match = m.get("match")) {
    if (auto items = match->as_list()) {
      for (const Value& item : *items) {
        HTTPMatchRequest mr;
        read_match_request(item, mr);
        r.match.push_back(std::move(mr));
      }
    }
  }
  std::optional<Value> route_v = m.get("route");
  if (route_v) read_route_destinations(*route_v, r.route);
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
  if (auto match = m.get("match")) {
    if (auto items = match->as_list()) {
      for (const Value& item : *items) {
        MapReader mm(item, api::kL4MatchAttributes);
        if (!mm.ok()) continue;
        L4MatchAttributes x;
        read_l4_match_common(mm, x);
        mm.finish();
        r.match.push_back(std::move(x));
      }
    }
  }
  if (auto route = m.require("route", "route is required: where this TCP route sends traffic"))
    read_l4_destinations(*route, r.route);
  m.finish();
}

void read_tls_route(const Value& v, TLSRoute& r) {
  MapReader m(v, api::kTLSRoute);
  if (!m.ok()) return;
  r.location = v.location();
  if (auto match = m.require("match", "match is required: a TLS route matches on sniHosts")) {
    if (auto items = match->as_list()) {
      if (items->empty()) match->error("match must have at least one entry with sniHosts");
      for (const Value& item : *items) {
        MapReader mm(item, api::kTLSMatchAttributes);
        if (!mm.ok()) continue;
        TLSMatchAttributes x;
        if (mm.require("sniHosts", "sniHosts is required: the SNI names this TLS route matches"))
          mm.read("sniHosts", x.sni_hosts);
        read_l4_match_common(mm, x);
        mm.finish();
        r.match.push_back(std::move(x));
      }
    }
  }
  if (auto route = m.require("route", "route is required: where this TLS route sends traffic"))
    read_l4_destinations(*route, r.route);
  m.finish();
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

// ------------------------------------------------------------ DestinationRule pieces


// Envoy's bounds for the hash-based load balancers (cluster.proto): RingHashLbConfig
// minimum_ring_size <= 8388608 (8M), MaglevLbConfig table_size <= 5000011 and prime.
constexpr std::int64_t kMaxRingSize = 8'388'608;
constexpr std::int64_t kMaxMaglevTableSize = 5'000'011;

bool is_prime(std::uint64_t n) {
  if (n < 2) return false;
  for (std::uint64_t d = 2; d * d <= n; ++d)
    if (n % d == 0) return false;
  return true;
}

std::optional<std::uint64_t> read_ring_size(const Value& v) {
  auto x = v.as_int(0, kMaxRingSize);
  if (!x) return std::nullopt;
  return static_cast<std::uint64_t>(*x);
}

void read_consistent_hash(const Value& v, ConsistentHashLB& ch) {
  MapReader m(v, api::kConsistentHashLB);
  if (!m.ok()) return;
  int keys = 0;
  if (m.read("httpHeaderName", ch.header_name)) {
    ch.key = ConsistentHashLB::Key::HttpHeaderName;
    ++keys;
  }
  if (auto cookie = m.get("httpCookie")) {
    ++keys;
    ch.key = ConsistentHashLB::Key::HttpCookie;
    MapReader cm(*cookie, api::kHTTPCookie);
    if (cm.ok()) {
      cm.require("name", "name is required: the cookie to hash on");
      cm.read("name", ch.cookie_name);
      cm.read("path", ch.cookie_path);
      cm.read_duration("ttl", ch.cookie_ttl);
      cm.finish();
    }
  }
  bool use_source_ip = false;
  if (m.read("useSourceIp", use_source_ip) && use_source_ip) {
    ch.key = ConsistentHashLB::Key::UseSourceIp;
    ++keys;
  }
  if (m.read("httpQueryParameterName", ch.header_name)) {
    ch.key = ConsistentHashLB::Key::HttpQueryParameterName;
    ++keys;
  }
  if (keys > 1)
    v.error("consistentHash must use only one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName");
  const bool has_ring = m.has("ringHash");
  const bool has_maglev = m.has("maglev");
  if (auto ring = m.get("ringHash")) {
    ch.algorithm = ConsistentHashLB::Algorithm::RingHash;
    MapReader rm(*ring, api::kRingHash);
    if (rm.ok()) {
      if (auto n = rm.get("minimumRingSize")) {
        if (auto x = read_ring_size(*n)) ch.minimum_ring_size = *x;
      }
      rm.finish();
    }
  }
  if (auto mag = m.get("maglev")) {
    ch.algorithm = ConsistentHashLB::Algorithm::Maglev;
    MapReader mm(*mag, api::kMagLev);
    if (mm.ok()) {
      if (auto n = mm.get("tableSize")) {
        // Envoy's MaglevLbConfig: table_size <= 5000011 (validate rule) and prime (checked when
        // the load balancer is built); istiod passes the value through, so Envoy NACKs it.
        if (auto x = n->as_int(1, kMaxMaglevTableSize)) {
          if (!is_prime(static_cast<std::uint64_t>(*x)))
            n->error("tableSize must be a prime number (Envoy's Maglev table), got " + n->describe() +
                     "; e.g. 65537 (the default), 131071 or 5000011");
          else
            ch.maglev_table_size = static_cast<std::uint64_t>(*x);
        }
      }
      mm.finish();
    }
  }
  if (has_ring && has_maglev) error_at(v, "maglev", "set either ringHash or maglev, not both");
  if (auto n = m.get("minimumRingSize")) {  // deprecated top-level form
    if (has_ring || has_maglev) {
      n->error("minimumRingSize (deprecated) cannot be combined with ringHash or maglev; use ringHash.minimumRingSize");
    } else if (auto x = read_ring_size(*n)) {
      ch.minimum_ring_size = *x;
    }
  }
  m.finish();
}

void read_locality_lb(const Value& v, LocalityLbSetting& l) {
  MapReader m(v, api::kLocalityLoadBalancerSetting);
  if (!m.ok()) return;
  if (auto dist = m.get("distribute")) {
    if (auto items = dist->as_list()) {
      for (const Value& item : *items) {
        MapReader dm(item, api::kLocalityDistribute);
        if (!dm.ok()) continue;
        LocalityDistribute d;
        dm.read("from", d.from);
        if (auto to = dm.get("to")) {
          MapReader tm(*to);
          std::uint64_t total = 0;
          bool ok = tm.ok();
          for (auto& [loc, w] : tm.entries()) {
            if (auto n = w.as_int(0, kUint32Max)) {
              d.to[loc] = static_cast<std::uint32_t>(*n);
              total += static_cast<std::uint64_t>(*n);
            } else {
              ok = false;
            }
          }
          if (ok && total != 100) to->error("to weights must sum to 100, got " + std::to_string(total));
        }
        dm.finish();
        l.distribute.push_back(std::move(d));
      }
    }
  }
  if (auto fo = m.get("failover")) {
    if (auto items = fo->as_list()) {
      for (const Value& item : *items) {
        MapReader fm(item, api::kLocalityFailover);
        if (!fm.ok()) continue;
        LocalityFailover f;
        fm.read("from", f.from);
        fm.read("to", f.to);
        fm.finish();
        l.failover.push_back(std::move(f));
      }
    }
  }
  m.read("failoverPriority", l.failover_priority);
  m.read("enabled", l.enabled);
  if (!l.distribute.empty() && !l.failover.empty())
    error_at(v, "failover", "set either distribute or failover, not both");
  m.finish();
}

void read_load_balancer(const Value& v, LoadBalancerSettings& lb) {
  MapReader m(v, api::kLoadBalancerSettings);
  if (!m.ok()) return;
  std::string simple;
  if (m.read_enum("simple", simple,
                  {"UNSPECIFIED", "LEAST_CONN", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST"})) {
    using S = LoadBalancerSettings::Simple;
    lb.simple = simple == "LEAST_CONN"      ? S::LeastConn
                : simple == "RANDOM"        ? S::Random
                : simple == "PASSTHROUGH"   ? S::Passthrough
                : simple == "ROUND_ROBIN"   ? S::RoundRobin
                : simple == "LEAST_REQUEST" ? S::LeastRequest
                                            : S::Unspecified;
  }
  if (auto ch = m.get("consistentHash")) {
    if (m.has("simple")) error_at(v, "consistentHash", "set either simple or consistentHash, not both");
    ConsistentHashLB x;
    read_consistent_hash(*ch, x);
    lb.consistent_hash = x;
  }
  if (auto loc = m.get("localityLbSetting")) {
    LocalityLbSetting x;
    read_locality_lb(*loc, x);
    lb.locality_lb_setting = x;
  }
  m.read_duration("warmupDurationSecs", lb.warmup_duration_secs);
  if (auto w = m.get("warmup")) {
    MapReader wm(*w, api::kWarmupConfiguration);
    if (wm.ok()) {
      WarmupConfiguration x;
      if (wm.require("duration", "duration is required: how long a new endpoint warms up"))
        wm.read_duration("duration", x.duration, engine::kMillisecond);
      wm.read_number("minimumPercent", x.minimum_percent, 0, 100);
      wm.read_number("aggression", x.aggression, 1, std::numeric_limits<double>::infinity());
      wm.finish();
      lb.warmup = x;
    }
    if (m.has("warmupDurationSecs")) error_at(v, "warmup", "set either warmup or warmupDurationSecs, not both");
  }
  m.finish();
}

void read_connection_pool(const Value& v, ConnectionPoolSettings& cp) {
  MapReader m(v, api::kConnectionPoolSettings);
  if (!m.ok()) return;
  if (auto tcp = m.get("tcp")) {
    MapReader tm(*tcp, api::kTCPSettings);
    if (tm.ok()) {
      ConnectionPoolSettings::Tcp t;
      tm.read_int("maxConnections", t.max_connections, 0, kInt32Max);
      tm.read_duration("connectTimeout", t.connect_timeout, engine::kMillisecond);
      tm.read_duration("idleTimeout", t.idle_timeout);
      tm.read_duration("maxConnectionDuration", t.max_connection_duration, engine::kMillisecond);
      tm.finish();
      cp.tcp = t;
    }
  }
  if (auto http = m.get("http")) {
    MapReader hm(*http, api::kHTTPSettings);
    if (hm.ok()) {
      ConnectionPoolSettings::Http h;
      hm.read_int("http1MaxPendingRequests", h.http1_max_pending_requests, 0, kInt32Max);
      hm.read_int("http2MaxRequests", h.http2_max_requests, 0, kInt32Max);
      hm.read_int("maxRequestsPerConnection", h.max_requests_per_connection, 0, kInt32Max);
      hm.read_int("maxRetries", h.max_retries, 0, kInt32Max);
      hm.read_duration("idleTimeout", h.idle_timeout);
      hm.read_enum("h2UpgradePolicy", h.h2_upgrade_policy, {"DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"});
      hm.read("useClientProtocol", h.use_client_protocol);
      hm.read_int("maxConcurrentStreams", h.max_concurrent_streams, 0, kInt32Max);
      hm.finish();
      cp.http = h;
    }
  }
  m.finish();
}

void read_outlier_detection(const Value& v, OutlierDetection& od) {
  MapReader m(v, api::kOutlierDetection);
  if (!m.ok()) return;
  m.read_uint("consecutive5xxErrors", od.consecutive_5xx_errors, 0, kUint32Max);
  m.read_uint("consecutiveGatewayErrors", od.consecutive_gateway_errors, 0, kUint32Max);
  if (m.read_int("consecutiveErrors", od.consecutive_errors, 0, kInt32Max)) {
    m.get("consecutiveErrors")->note(
        "consecutiveErrors is deprecated and ignored by current Istio; use consecutive5xxErrors or "
        "consecutiveGatewayErrors");
  }
  m.read("splitExternalLocalOriginErrors", od.split_external_local_origin_errors);
  m.read_uint("consecutiveLocalOriginFailures", od.consecutive_local_origin_failures, 0, kUint32Max);
  m.read_duration("interval", od.interval, engine::kMillisecond);
  m.read_duration("baseEjectionTime", od.base_ejection_time, engine::kMillisecond);
  m.read_int("maxEjectionPercent", od.max_ejection_percent, 0, 100);
  m.read_int("minHealthPercent", od.min_health_percent, 0, 100);
  m.finish();
}

void read_client_tls(const Value& v, ClientTLSSettings& t) {
  MapReader m(v, api::kClientTLSSettings);
  if (!m.ok()) return;
  m.read_enum("mode", t.mode, {"DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"});
  m.read("sni", t.sni);
  m.read("credentialName", t.credential_name);
  m.read("subjectAltNames", t.subject_alt_names);
  m.read("insecureSkipVerify", t.insecure_skip_verify);
  m.finish();
}

// The blocks shared by TrafficPolicy and PortTrafficPolicy.
template <class P>
void read_policy_blocks(MapReader& m, P& p) {
  if (auto lb = m.get("loadBalancer")) {
    LoadBalancerSettings x;
    read_load_balancer(*lb, x);
    p.load_balancer = x;
  }
  if (auto cp = m.get("connectionPool")) {
    ConnectionPoolSettings x;
    read_connection_pool(*cp, x);
    p.connection_pool = x;
  }
  if (auto od = m.get("outlierDetection")) {
    OutlierDetection x;
    read_outlier_detection(*od, x);
    p.outlier_detection = x;
  }
  if (auto tls = m.get("tls")) {
    ClientTLSSettings x;
    read_client_tls(*tls, x);
    p.tls = x;
  }
}

void read_traffic_policy(const Value& v, TrafficPolicy& tp) {
  MapReader m(v, api::kTrafficPolicy);
  if (!m.ok()) return;
  tp.location = v.location();
  read_policy_blocks(m, tp);
  if (auto pls = m.get("portLevelSettings")) {
    if (auto items = pls->as_list()) {
      std::set<std::uint32_t> seen;
      for (const Value& item : *items) {
        MapReader pm(item, api::kPortTrafficPolicy);
        if (!pm.ok()) continue;
        PortTrafficPolicy p;
        p.location = item.location();
        if (auto port = pm.require("port", "port is required: which port these settings apply to")) {
          MapReader portm(*port, api::kPortSelector);
          if (portm.ok()) {
            if (portm.require("number", "number is required: the port number"))
              read_port_number(portm, "number", p.port);
            portm.finish();
          }
        }
        read_policy_blocks(pm, p);
        pm.finish();
        if (p.port != 0 && !seen.insert(p.port).second)
          error_here(item, "port " + std::to_string(p.port) + " appears twice in portLevelSettings");
        tp.port_level_settings.push_back(std::move(p));
      }
    }
  }
  if (auto rb = m.get("retryBudget")) {
    MapReader rm(*rb, api::kRetryBudget);
    if (rm.ok()) {
      RetryBudget x;
      rm.read_number("percent", x.percent, 0, 100);
      rm.read_uint("minRetryConcurrency", x.min_retry_concurrency, 0, kUint32Max);
      rm.finish();
      tp.retry_budget = x;
    }
  }
  m.finish();
}

// ------------------------------------------------------------ Gateway / Sidecar pieces

void read_port_spec(const Value& v, PortSpec& p, bool protocol_required, const api::Message& schema) {
  MapReader m(v, schema);
  if (!m.ok()) return;
  if (m.require("number", "number is required: the port number (1-65535)")) read_port_number(m, "number", p.number);
  if (protocol_required) m.require("protocol", "protocol is required (HTTP, HTTPS, GRPC, HTTP2, MONGO, TCP or TLS)");
  m.read("protocol", p.protocol);
  m.read("name", p.name);
  read_port_number(m, "targetPort", p.target_port);
  m.finish();
}

// DestinationRule's selector is type.v1beta1.WorkloadSelector (matchLabels); ServiceEntry's and
// Sidecar's are networking.v1.WorkloadSelector (labels).
std::optional<Labels> read_workload_selector(MapReader& m, std::string_view labels_key) {
  auto ws = m.get("workloadSelector");
  if (!ws) return std::nullopt;
  MapReader wm(*ws, labels_key == "matchLabels" ? api::kWorkloadSelectorMatchLabels : api::kWorkloadSelectorLabels);
  if (!wm.ok()) return std::nullopt;
  Labels l;
  read_labels(wm, labels_key, l);
  wm.finish();
  return l;
}

}  // namespace

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
  if (http_v) {
    if (auto items = http_v->as_list()) {
      for (const Value& item : *items) {
        HTTPRoute r;
        read_http_route(item, r, delegate_vs);
        out.http.push_back(std::move(r));
      }
    }
  }
  std::optional<Value> tcp_v = spec.get("tcp");
  if (tcp_v) {
    if (auto items = tcp_v->as_list()) {
      for (const Value& item : *items) {
        TCPRoute r;
        read_tcp_route(item, r);
        out.tcp.push_back(std::move(r));
      }
    }
  }
  std::optional<Value> tls_v = spec.get("tls");
  if (tls_v) {
    if (auto items = tls_v->as_list()) {
      for (const Value& item : *items) {
        TLSRoute r;
        read_tls_route(item, r);
        out.tls.push_back(std::move(r));
      }
    }
  }
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

void parse_destination_rule(MapReader& doc, DestinationRule& out) {
  read_metadata(doc, out.meta);
  auto spec_opt = spec_of(doc, "a DestinationRule needs a host", api::kDestinationRule);
  if (!spec_opt) return;
  MapReader& spec = *spec_opt;
  if (auto host = spec.require("host", "host is required: the service this DestinationRule configures")) {
    if (auto s = host->as_string()) {
      if (s->empty()) host->error("host must not be empty");
      out.host = *s;
    }
  }
  if (auto tp = spec.get("trafficPolicy")) {
    TrafficPolicy x;
    read_traffic_policy(*tp, x);
    out.traffic_policy = x;
  }
  if (auto subsets = spec.get("subsets")) {
    if (auto items = subsets->as_list()) {
      for (const Value& item : *items) {
        MapReader m(item, api::kSubset);
        if (!m.ok()) continue;
        Subset s;
        s.location = item.location();
        if (auto name = m.require("name", "name is required: routes refer to a subset by its name")) {
          if (auto n = name->as_string()) {
            if (n->empty()) {
              name->error("name must not be empty");
            } else {
              for (const auto& prev : out.subsets) {
                if (prev.name == *n) {
                  name->error("duplicate subset name \"" + *n + "\"; subset names must be unique in a DestinationRule");
                  break;
                }
              }
            }
            s.name = *n;
          }
        }
        read_labels(m, "labels", s.labels);
        if (auto tp = m.get("trafficPolicy")) {
          TrafficPolicy x;
          read_traffic_policy(*tp, x);
          s.traffic_policy = x;
        }
        m.finish();
        out.subsets.push_back(std::move(s));
      }
    }
  }
  spec.read("exportTo", out.export_to);
  out.workload_selector = read_workload_selector(spec, "matchLabels");
  spec.finish();
}

void parse_gateway(MapReader& doc, Gateway& out) {
  read_metadata(doc, out.meta);
  auto spec_opt = spec_of(doc, "a Gateway needs servers", api::kGateway);
  if (!spec_opt) return;
  MapReader& spec = *spec_opt;
  read_labels(spec, "selector", out.selector);
  if (auto servers = spec.require("servers", "servers is required: the ports and hosts this gateway exposes")) {
    if (auto items = servers->as_list()) {
      if (items->empty()) servers->error("servers must have at least one server");
      for (const Value& item : *items) {
        MapReader m(item, api::kServer);
        if (!m.ok()) continue;
        Server s;
        s.location = item.location();
        if (auto port = m.require("port", "port is required: the port this server listens on"))
          read_port_spec(*port, s.port, /*protocol_required=*/true, api::kPort);
        m.read("bind", s.bind);
        if (auto hosts = m.require("hosts", "hosts is required: the hosts this server exposes (\"*\" for all)")) {
          if (auto h = hosts->as_string_list()) {
            if (h->empty()) hosts->error("hosts must have at least one host (\"*\" for all)");
            s.hosts = *h;
          }
        }
        if (auto tls = m.get("tls")) {
          MapReader tm(*tls, api::kServerTLSSettings);
          if (tm.ok()) {
            ServerTLSSettings t;
            tm.read("httpsRedirect", t.https_redirect);
            tm.read_enum("mode", t.mode,
                         {"PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"});
            tm.read("credentialName", t.credential_name);
            tm.read("subjectAltNames", t.subject_alt_names);
            tm.read_enum("minProtocolVersion", t.min_protocol_version,
                         {"TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3"});
            tm.read_enum("maxProtocolVersion", t.max_protocol_version,
                         {"TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3"});
            tm.finish();
            s.tls = t;
          }
        }
        m.read("name", s.name);
        m.finish();
        out.servers.push_back(std::move(s));
      }
    }
  }
  spec.finish();
}

void parse_service_entry(MapReader& doc, ServiceEntry& out) {
  read_metadata(doc, out.meta);
  auto spec_opt = spec_of(doc, "a ServiceEntry needs hosts", api::kServiceEntry);
  if (!spec_opt) return;
  MapReader& spec = *spec_opt;
  if (auto hosts = spec.require("hosts", "hosts is required: the host names this ServiceEntry adds")) {
    if (auto h = hosts->as_string_list()) {
      if (h->empty()) hosts->error("hosts must have at least one host");
      for (std::size_t i = 0; i < h->size(); ++i) {
        if ((*h)[i] == "*") hosts->at(i).error("host \"*\" is not allowed in a ServiceEntry; use a wildcard such as \"*.example.com\"");
        else if ((*h)[i].empty()) hosts->at(i).error("host must not be empty");
      }
      out.hosts = *h;
    }
  }
  spec.read("addresses", out.addresses);
  if (auto ports = spec.get("ports")) {
    if (auto items = ports->as_list()) {
      for (const Value& item : *items) {
        PortSpec p;
        read_port_spec(item, p, /*protocol_required=*/false, api::kServicePortIstio);
        out.ports.push_back(std::move(p));
      }
    }
  }
  spec.read_enum("location", out.location, {"MESH_EXTERNAL", "MESH_INTERNAL"});
  spec.read_enum("resolution", out.resolution, {"NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS"});
  std::optional<Value> endpoints_v = spec.get("endpoints");
  if (endpoints_v) {
    if (auto items = endpoints_v->as_list()) {
      for (const Value& item : *items) {
        MapReader m(item, api::kWorkloadEntry);
        if (!m.ok()) continue;
        WorkloadEntrySpec e;
        m.read("address", e.address);
        if (auto ports = m.get("ports")) {
          MapReader pm(*ports);
          if (pm.ok()) {
            for (auto& [name, num] : pm.entries()) {
              if (auto n = num.as_int(1, 65535)) e.ports[name] = static_cast<std::uint32_t>(*n);
            }
          }
        }
        read_labels(m, "labels", e.labels);
        m.read("network", e.network);
        m.read("locality", e.locality);
        m.read_uint("weight", e.weight, 0, kUint32Max);
        m.read("serviceAccount", e.service_account);
        m.finish();
        out.endpoints.push_back(std::move(e));
      }
    }
  }
  const bool has_selector = spec.has("workloadSelector");
  out.workload_selector = read_workload_selector(spec, "labels");
  spec.read("exportTo", out.export_to);
  spec.read("subjectAltNames", out.subject_alt_names);
  spec.finish();
  if (endpoints_v && has_selector)
    error_at(spec.value(), "workloadSelector", "set either endpoints or workloadSelector, not both");
  if (out.resolution == "NONE" && !out.endpoints.empty())
    error_at(spec.value(), "endpoints",
             "endpoints are not allowed with resolution NONE (traffic goes to the address the app dialled); use "
             "STATIC or DNS");
}

void parse_sidecar(MapReader& doc, Sidecar& out) {
  read_metadata(doc, out.meta);
  auto spec_opt = spec_of(doc, "a Sidecar needs egress or ingress settings", api::kSidecar);
  if (!spec_opt) return;
  MapReader& spec = *spec_opt;
  out.workload_selector = read_workload_selector(spec, "labels");
  if (auto ingress = spec.get("ingress")) {
    if (auto items = ingress->as_list()) {
      for (const Value& item : *items) {
        MapReader m(item, api::kIstioIngressListener);
        if (!m.ok()) continue;
        IstioIngressListener l;
        if (auto port = m.require("port", "port is required: the port this ingress listener receives on"))
          read_port_spec(*port, l.port, /*protocol_required=*/false, api::kSidecarPort);
        m.read("bind", l.bind);
        m.read_enum("captureMode", l.capture_mode, {"DEFAULT", "IPTABLES", "NONE"});
        m.read("defaultEndpoint", l.default_endpoint);
        if (auto cp = m.get("connectionPool")) {
          ConnectionPoolSettings x;
          read_connection_pool(*cp, x);
          l.connection_pool = x;
        }
        m.finish();
        out.ingress.push_back(std::move(l));
      }
    }
  }
  if (auto egress = spec.get("egress")) {
    if (auto items = egress->as_list()) {
      for (const Value& item : *items) {
        MapReader m(item, api::kIstioEgressListener);
        if (!m.ok()) continue;
        IstioEgressListener l;
        if (auto port = m.get("port")) {
          PortSpec p;
          read_port_spec(*port, p, /*protocol_required=*/false, api::kSidecarPort);
          l.port = p;
        }
        m.read("bind", l.bind);
        m.read_enum("captureMode", l.capture_mode, {"DEFAULT", "IPTABLES", "NONE"});
        if (auto hosts = m.require("hosts", "hosts is required: which services this proxy sees, as namespace/host")) {
          if (auto h = hosts->as_string_list()) {
            if (h->empty()) hosts->error("hosts must have at least one entry such as \"./*\" or \"istio-system/*\"");
            for (std::size_t i = 0; i < h->size(); ++i) {
              const std::string& s = (*h)[i];
              const auto slash = s.find('/');
              if (slash == std::string::npos || slash == 0 || slash + 1 == s.size())
                hosts->at(i).error("egress host \"" + s + "\" must be of the form namespace/host, such as \"./*\", "
                                   "\"istio-system/*\" or \"*/reviews.default.svc.cluster.local\"");
            }
            l.hosts = *h;
          }
        }
        m.finish();
        out.egress.push_back(std::move(l));
      }
    }
  }
  if (auto otp = spec.get("outboundTrafficPolicy")) {
    MapReader m(*otp, api::kOutboundTrafficPolicy);
    if (m.ok()) {
      std::string mode;
      if (m.read_enum("mode", mode, {"REGISTRY_ONLY", "ALLOW_ANY"})) out.outbound_traffic_policy_mode = mode;
      m.finish();
    }
  }
  if (auto cp = spec.get("inboundConnectionPool")) {
    ConnectionPoolSettings x;
    read_connection_pool(*cp, x);
    out.inbound_connection_pool = x;
  }
  spec.finish();
}

}  // namespace meshtwin::config::parse
