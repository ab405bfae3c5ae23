// trace_call: Envoy's decision for one call over a compiled proxy config (istiod's
// pilot/pkg/simulation Run, which the conformance corpus was written against, plus the header,
// query and method matching Envoy does and that simulator leaves out).
#include "model/xds/trace.h"

#include <re2/re2.h>

#include "model/text/format.h"

namespace meshtwin::xds {

namespace {

using fmt::arg;
using text::tr;

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::string describe_string_matcher(const StringMatcher& m) {
  switch (m.kind) {
    case StringMatcher::Kind::Exact: return text::trf("exactly \"{value}\"", arg("value", m.value));
    case StringMatcher::Kind::Prefix: return text::trf("starting with \"{value}\"", arg("value", m.value));
    case StringMatcher::Kind::Regex: return text::trf("matching /{regex}/", arg("regex", m.value));
    case StringMatcher::Kind::Present: return tr("present");
  }
  return "";
}

std::string transport_name(Call::Tls t) {
  switch (t) {
    case Call::Tls::Plaintext: return tr("plaintext");
    case Call::Tls::Tls: return "TLS";
    case Call::Tls::Mtls: return tr("Istio mTLS");
  }
  return "";
}

std::string describe_chain_match(const FilterChainMatch& m) {
  std::vector<std::string> parts;
  if (m.destination_port) parts.push_back(text::trf("destination port {port}", arg("port", m.destination_port)));
  if (!m.prefix_ranges.empty()) parts.push_back(text::trf("destination in {ranges}", arg("ranges", join(m.prefix_ranges))));
  if (!m.server_names.empty()) parts.push_back("SNI " + join(m.server_names));
  if (!m.transport_protocol.empty())
    parts.push_back(text::trf("transport {protocol}", arg("protocol", m.transport_protocol)));
  if (!m.application_protocols.empty()) parts.push_back("ALPN " + join(m.application_protocols));
  if (parts.empty()) return tr("any connection");
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

}  // namespace

void Call::fill_defaults() {
  if (tls == Tls::Tls && sni.empty()) sni = host;
  if (path.empty()) path = "/";
  if (address.empty()) address = "1.3.3.7";
  if (tls == Tls::Mtls && alpn.empty()) {
    alpn = protocol == Protocol::Http ? "istio-http/1.1" : protocol == Protocol::Http2 ? "istio-h2" : "istio";
  } else if (tls == Tls::Tls && alpn.empty()) {
    alpn = protocol == Protocol::Http ? "http/1.1" : protocol == Protocol::Http2 ? "h2" : "";
  }
}

std::string_view to_string(CallError e) {
  switch (e) {
    case CallError::None: return "none";
    case CallError::InvalidCall: return "invalid_call";
    case CallError::NoListener: return "no_listener";
    case CallError::NoFilterChain: return "no_filter_chain";
    case CallError::MultipleFilterChains: return "multiple_filter_chains";
    case CallError::TlsError: return "tls_error";
    case CallError::MtlsError: return "mtls_error";
    case CallError::ProtocolError: return "protocol_error";
    case CallError::NoVirtualHost: return "no_virtual_host";
    case CallError::TlsRedirect: return "tls_redirect";
    case CallError::NoRoute: return "no_route";
  }
  return "none";
}

std::string describe_match(const RouteMatch& m) {
  std::string out;
  switch (m.path_kind) {
    case RouteMatch::PathKind::Prefix: out = text::trf("prefix {path}", arg("path", m.path)); break;
    case RouteMatch::PathKind::Exact: out = text::trf("exact {path}", arg("path", m.path)); break;
    case RouteMatch::PathKind::Regex: out = text::trf("regex {path}", arg("path", m.path)); break;
    case RouteMatch::PathKind::PathSeparatedPrefix:
      out = text::trf("path-separated prefix {path}", arg("path", m.path));
      break;
  }
  if (!m.case_sensitive) out += tr(" (any case)");
  for (const auto& h : m.headers)
    out += h.invert ? text::trf(", header {name} not {matcher}", arg("name", h.name),
                               arg("matcher", describe_string_matcher(h.matcher)))
                    : text::trf(", header {name} {matcher}", arg("name", h.name),
                               arg("matcher", describe_string_matcher(h.matcher)));
  for (const auto& q : m.query_params)
    out += text::trf(", query {name} {matcher}", arg("name", q.name), arg("matcher", describe_string_matcher(q.matcher)));
  return out;
}

namespace {
std::string path_mismatch(std::string_view path, const RouteMatch& path_part) {
  return text::trf("path {path} does not match {match}", arg("path", path), arg("match", describe_match(path_part)));
}
}  // namespace

std::string route_mismatch(const RouteMatch& match, const RequestAttributes& request, bool path_only_mode) {
  RouteMatch path_part = match;
  path_part.headers.clear();
  path_part.query_params.clear();
  if (path_only_mode) {
    // istiod's simulator: raw string prefix (path-separated treated as plain), exact or regex.
    const std::string_view p = request.path;
    bool ok = false;
    switch (match.path_kind) {
      case RouteMatch::PathKind::Prefix:
      case RouteMatch::PathKind::PathSeparatedPrefix: ok = p.starts_with(match.path); break;
      case RouteMatch::PathKind::Exact: ok = p == match.path; break;
      case RouteMatch::PathKind::Regex:
        ok = match.path_regex && RE2::FullMatch(re2::StringPiece(p.data(), p.size()), *match.path_regex);
        break;
    }
    return ok ? "" : path_mismatch(p, path_part);
  }
  if (!route_matches(path_part, request))
    return path_mismatch(path_only(request.path), path_part);
  for (const auto& h : match.headers) {
    RouteMatch one = path_part;
    one.headers = {h};
    if (!route_matches(one, request)) {
      auto v = request.header(h.name);
      const std::string wanted = describe_string_matcher(h.matcher);
      if (!v)
        return h.invert ? text::trf("header {name} is absent, the route wants it not {matcher}", arg("name", h.name),
                                   arg("matcher", wanted))
                        : text::trf("header {name} is absent, the route wants it {matcher}", arg("name", h.name),
                                   arg("matcher", wanted));
      return h.invert ? text::trf("header {name} is \"{value}\", the route wants it not {matcher}", arg("name", h.name),
                                 arg("value", *v), arg("matcher", wanted))
                      : text::trf("header {name} is \"{value}\", the route wants it {matcher}", arg("name", h.name),
                                 arg("value", *v), arg("matcher", wanted));
    }
  }
  for (const auto& q : match.query_params) {
    RouteMatch one = path_part;
    one.query_params = {q};
    if (!route_matches(one, request))
      return text::trf("query parameter {name} does not match ({matcher})", arg("name", q.name),
                      arg("matcher", describe_string_matcher(q.matcher)));
  }
  return "";
}

namespace {

// Listener: virtualInbound for inbound calls, else address:port, 0.0.0.0:port, virtualOutbound.
// nullptr (with the error in `t`) when none takes the call.
const Listener* trace_listener(const ProxyConfig& config, const Call& call, CallTrace& t) {
  const Listener* l = nullptr;
  if (call.inbound) {
    for (const auto& x : config.listeners)
      if (x.name == "virtualInbound") l = &x;
  } else {
    l = config.find_listener(call.address, call.port);
  }
  if (!l) {
    t.error = CallError::NoListener;
    t.steps.push_back(config.is_gateway ? text::trf("no listener for {address}:{port} (a gateway only listens on its "
                                                   "servers' ports)",
                                                   arg("address", call.address), arg("port", call.port))
                                        : text::trf("no listener for {address}:{port}", arg("address", call.address),
                                                   arg("port", call.port)));
    return nullptr;
  }
  t.listener_ptr = l;
  t.listener = l->name;
  if (l->name == "virtualOutbound")
    t.steps.push_back(text::trf("listener virtualOutbound: no listener for {address}:{port}, so the iptables capture "
                               "listener (15001) takes the connection",
                               arg("address", call.address), arg("port", call.port)));
  else if (l->address == "0.0.0.0" && call.address != "0.0.0.0")
    t.steps.push_back(text::trf("listener {listener} (no listener on {address}:{port}, the wildcard one takes it)",
                               arg("listener", l->name), arg("address", call.address), arg("port", call.port)));
  else
    t.steps.push_back(text::trf("listener {listener}", arg("listener", l->name)));
  return l;
}

// The filter chain the connection selects, after the listener filters; nullptr (with the error
// in `t`) when none does or its TLS settings refuse the call.
const FilterChain* trace_filter_chain(const Listener& listener, const Call& call, CallTrace& t) {
  ConnectionAttributes c;
  c.address = call.address;
  c.port = call.port;
  c.transport = call.tls == Call::Tls::Plaintext ? ConnectionAttributes::Transport::Plaintext
                : call.tls == Call::Tls::Tls     ? ConnectionAttributes::Transport::Tls
                                                 : ConnectionAttributes::Transport::Mtls;
  c.sni = call.sni;
  c.alpn = call.alpn;
  c.protocol = call.protocol == Call::Protocol::Http    ? ConnectionAttributes::Protocol::Http1
               : call.protocol == Call::Protocol::Http2 ? ConnectionAttributes::Protocol::Http2
                                                        : ConnectionAttributes::Protocol::Other;
  t.selection = select_filter_chain(listener, c);
  {
    std::string filters = listener.tls_inspector ? (listener.http_inspector ? "tls_inspector, http_inspector" : "tls_inspector")
                                           : (listener.http_inspector ? "http_inspector" : "none");
    if (filters == "none") filters = tr("none");
    const std::string alpn = t.selection.alpn.empty() ? "" : text::trf(" with ALPN {alpn}", arg("alpn", t.selection.alpn));
    const std::string sni = call.sni.empty() ? "" : text::trf(" and SNI {sni}", arg("sni", call.sni));
    t.steps.push_back(text::trf("listener filters: {filters}; the filter-chain match sees a {transport} connection{alpn}{sni}",
                               arg("filters", filters), arg("transport", transport_name(call.tls)), arg("alpn", alpn),
                               arg("sni", sni)));
  }
  if (t.selection.outcome == ChainOutcome::MultipleFilterChains) {
    t.error = CallError::MultipleFilterChains;
    t.steps.push_back(tr("several filter chains match equally: Envoy would reject this listener"));
    return nullptr;
  }
  if (!t.selection.chain) {
    t.error = CallError::NoFilterChain;
    t.steps.push_back(tr("no filter chain matches and the listener has no default chain: the connection is closed"));
    return nullptr;
  }
  const FilterChain& fc = *t.selection.chain;
  t.filter_chain = fc.name;
  {
    const std::string name = fc.name.empty() ? "" : " " + fc.name;
    const std::string origin =
        fc.origin.empty()
            ? ""
            : text::trf(" from {origin}", arg("origin", text::trf(fc.origin.what, arg("subject", fc.origin.subject),
                                                                 arg("via", fc.origin.via))));
    t.steps.push_back(t.selection.outcome == ChainOutcome::DefaultChain
                          ? text::trf("default filter chain{name} ({match}){origin}", arg("name", name),
                                     arg("match", describe_chain_match(fc.match)), arg("origin", origin))
                          : text::trf("filter chain{name} ({match}){origin}", arg("name", name),
                                     arg("match", describe_chain_match(fc.match)), arg("origin", origin)));
  }
  if (fc.terminates_tls && call.tls == Call::Tls::Plaintext) {
    t.error = CallError::TlsError;
    t.steps.push_back(tr("the chain terminates TLS but the call is plaintext: the handshake fails"));
    return nullptr;
  }
  if (fc.terminates_tls && fc.istio_mtls != (call.tls == Call::Tls::Mtls)) {
    t.error = CallError::MtlsError;
    t.steps.push_back(fc.istio_mtls ? tr("the chain wants Istio mTLS, the call is not mTLS") : tr("the chain wants TLS, not Istio mTLS"));
    return nullptr;
  }
  return &fc;
}

void trace_tcp_proxy(const FilterChain& fc, CallTrace& t) {
  t.tcp = &fc.tcp;
  if (fc.tcp.clusters.size() == 1) {
    t.cluster = fc.tcp.clusters.front().name;
    t.steps.push_back(text::trf("tcp_proxy to cluster {cluster}", arg("cluster", t.cluster)));
  } else {
    std::string w;
    for (const auto& wc : fc.tcp.clusters)
      w += (w.empty() ? "" : ", ") + text::trf("{cluster} weight {weight}", arg("cluster", wc.name), arg("weight", wc.weight));
    t.steps.push_back(text::trf("tcp_proxy to weighted clusters (one picked per connection): {clusters}", arg("clusters", w)));
  }
}

// HTTP connection manager: route configuration, virtual host, then the first route that matches.
void trace_http(const ProxyConfig& config, const FilterChain& fc, const Call& call, CallTrace& t) {
  if (call.tls != Call::Tls::Plaintext && !fc.terminates_tls) {
    t.error = CallError::ProtocolError;
    t.steps.push_back(tr("an HTTP connection manager receives TLS bytes it does not terminate: protocol error"));
    return;
  }
  if (call.protocol != Call::Protocol::Http && call.protocol != Call::Protocol::Http2) {
    t.error = CallError::ProtocolError;
    t.steps.push_back(tr("an HTTP connection manager receives bytes that are not HTTP: protocol error"));
    return;
  }
  const RouteConfiguration* rc =
      fc.route_config >= 0 ? &config.route_configs[static_cast<std::size_t>(fc.route_config)] : config.find_route_config(fc.route_config_name);
  if (!fc.inline_route_config) t.route_config = fc.route_config_name;
  t.route_config_ptr = rc;
  t.steps.push_back(text::trf("HTTP connection manager, route configuration {route_config}",
                             arg("route_config", fc.inline_route_config ? tr("(inline)") : fc.route_config_name)));
  const std::int32_t vhi = rc ? rc->find_virtual_host(call.host) : -1;
  if (vhi < 0) {
    t.error = CallError::NoVirtualHost;
    t.steps.push_back(text::trf("no virtual host has a domain matching host \"{host}\": 404 NR", arg("host", call.host)));
    return;
  }
  const VirtualHost& vh = rc->virtual_hosts[static_cast<std::size_t>(vhi)];
  t.virtual_host_ptr = &vh;
  t.virtual_host = vh.name;
  t.steps.push_back(text::trf("virtual host {virtual_host} (host \"{host}\")", arg("virtual_host", vh.name),
                             arg("host", call.host)));
  if (vh.require_tls && call.tls == Call::Tls::Plaintext) {
    t.error = CallError::TlsRedirect;
    t.steps.push_back(tr("the virtual host requires TLS (httpsRedirect): 301 to https"));
    return;
  }
  std::vector<RequestHeader> headers;
  headers.reserve(call.headers.size());
  for (const auto& [k, v] : call.headers) headers.push_back({k, v});
  RequestAttributes req;
  req.authority = call.host;
  req.path = call.path;
  req.method = call.method;
  // A TLS call reaches the HTTP connection manager only through a chain that terminated it:
  // the request's :scheme is then https (a gateway's SIMPLE/MUTUAL server).
  req.scheme = call.tls == Call::Tls::Tls ? "https" : "http";
  req.headers = headers.data();
  req.header_count = headers.size();
  for (const auto& r : vh.routes) {
    std::string why = route_mismatch(r.match, req, call.path_only);
    RouteTried tried{&r, why.empty(), why};
    t.routes_tried.push_back(tried);
    if (why.empty()) {
      t.route = &r;
      break;
    }
  }
  if (!t.route) {
    t.error = CallError::NoRoute;
    t.steps.push_back(tr("no route of the virtual host matches: 404 NR"));
    return;
  }
  t.route_name = t.route->name;
  if (t.route->action == Route::Action::Forward) {
    if (t.route->clusters.size() == 1) t.cluster = t.route->clusters.front().name;
  }
}

}  // namespace

CallTrace trace_call(const ProxyConfig& config, Call call) {
  CallTrace t;
  call.fill_defaults();
  if (!call.alpn.empty() && call.tls == Call::Tls::Plaintext) {
    t.error = CallError::InvalidCall;
    t.steps.push_back(tr("invalid call: ALPN is only sent in a TLS handshake"));
    return t;
  }
  const Listener* l = trace_listener(config, call, t);
  if (!l) return t;
  const FilterChain* fc = trace_filter_chain(*l, call, t);
  if (!fc) return t;
  if (fc->kind == FilterChain::Kind::Tcp) trace_tcp_proxy(*fc, t);
  else trace_http(config, *fc, call, t);
  return t;
}

}  // namespace meshtwin::xds
