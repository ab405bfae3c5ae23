// Kinds istiod translates into its own networking config: Kubernetes Ingress, the Kubernetes
// Gateway API (Gateway, HTTPRoute, GRPCRoute, TCPRoute, TLSRoute, and the ReferenceGrants that
// permit their cross-namespace references) and EndpointSlice, plus PeerAuthentication,
// which is not simulated but read so that lint can compare it with DestinationRule tls modes.
// Only what changes routing is kept. Each map is read against its type's field list
// (api_fields.h): a field the API lacks is an error; a Gateway API or PeerAuthentication field
// meshtwin does not translate (cors, retry, sessionPersistence, infrastructure, ...) is a warning;
// the few that cannot change traffic are ignored by name below; Ingress and EndpointSlice
// fields a mesh does not need are silent.
#include <algorithm>
#include <limits>

#include "model/config/parsers.h"
#include "model/config/regex_check.h"

namespace meshtwin::config::parse {
namespace {

std::optional<MapReader> spec_map(MapReader& doc, const std::string& what, const api::Message& schema) {
  auto spec = doc.require("spec", "spec is required: " + what);
  if (!spec) return std::nullopt;
  MapReader m(*spec, schema);
  if (!m.ok()) return std::nullopt;
  return m;
}

// Gateway API `port` fields are plain numbers (unlike Istio's PortSelector).
void read_port(MapReader& m, std::string_view key, std::uint32_t& out) { m.read_uint(key, out, 1, 65535); }

std::optional<GatewayApiParentRef> read_parent_ref(const Value& v) {
  MapReader m(v, api::kParentReference);
  if (!m.ok()) return std::nullopt;
  GatewayApiParentRef p;
  p.location = v.location();
  m.read("group", p.group);
  m.read("kind", p.kind);
  m.read("namespace", p.namespace_);
  m.require("name", "name is required: the Gateway or Service this route attaches to");
  m.read("name", p.name);
  m.read("sectionName", p.section_name);
  read_port(m, "port", p.port);
  m.finish();
  // A Service parent is named with the core group ""; a missing group means the Gateway API group.
  if (p.kind == "Service" && p.group == "gateway.networking.k8s.io") p.group = "";
  return p;
}

// HTTPRoute's backendRefs may carry filters (not translated); TCP/TLS routes' and a mirror's
// may not.
std::optional<GatewayApiBackendRef> read_backend_ref(const Value& v, const api::Message& schema = api::kBackendRef) {
  MapReader m(v, schema);
  if (!m.ok()) return std::nullopt;
  GatewayApiBackendRef b;
  b.location = v.location();
  m.read("group", b.group);
  m.read("kind", b.kind);
  m.read("namespace", b.namespace_);
  m.require("name", "name is required: the Service that receives the traffic");
  m.read("name", b.name);
  read_port(m, "port", b.port);
  m.read_int("weight", b.weight, 0, 1'000'000);
  m.finish();
  return b;
}

void read_parent_refs(MapReader& spec, std::vector<GatewayApiParentRef>& out) {
  if (auto refs = spec.get("parentRefs")) {
    if (auto items = refs->as_list())
      for (const Value& item : *items)
        if (auto p = read_parent_ref(item)) out.push_back(std::move(*p));
  }
}

void read_backend_refs(MapReader& m, std::vector<GatewayApiBackendRef>& out,
                       const api::Message& schema = api::kBackendRef) {
  if (auto refs = m.get("backendRefs")) {
    if (auto items = refs->as_list())
      for (const Value& item : *items)
        if (auto b = read_backend_ref(item, schema)) out.push_back(std::move(*b));
  }
}

// istiod translates a RegularExpression match into an Envoy safe_regex (RE2); one that does
// not compile never matches there, so it is an error at its position here.
void check_gateway_regex(MapReader& m, const std::string& pattern) {
  auto v = m.get("value");
  if (!v) return;
  if (auto why = regex_error(pattern))
    v->error("value " + yaml::quote_value(pattern) + " is not a valid RE2 regular expression: " + *why);
}

void read_header_matches(const Value& v, std::vector<GatewayApiHeaderMatch>& out) {
  auto items = v.as_list();
  if (!items) return;
  for (const Value& item : *items) {
    MapReader m(item, api::kHTTPHeaderMatch);
    if (!m.ok()) continue;
    GatewayApiHeaderMatch h;
    m.read_enum("type", h.type, {"Exact", "RegularExpression"});
    m.require("name");
    m.read("name", h.name);
    m.require("value");
    m.read("value", h.value);
    if (h.type == "RegularExpression") check_gateway_regex(m, h.value);
    m.finish();
    out.push_back(std::move(h));
  }
}

void read_header_modifier(const Value& v, GatewayApiHeaderModifier& out) {
  MapReader m(v, api::kHTTPHeaderFilter);
  if (!m.ok()) return;
  auto pairs = [&](std::string_view key, std::vector<std::pair<std::string, std::string>>& dst) {
    if (auto list = m.get(key)) {
      if (auto items = list->as_list()) {
        for (const Value& item : *items) {
          MapReader hm(item, api::kHTTPHeader);
          if (!hm.ok()) continue;
          std::string name, value;
          hm.read("name", name);
          hm.read("value", value);
          hm.finish();
          dst.emplace_back(std::move(name), std::move(value));
        }
      }
    }
  };
  pairs("set", out.set);
  pairs("add", out.add);
  m.read("remove", out.remove);
  m.finish();
}

void read_path_modifier(const Value& v, GatewayApiHTTPRouteFilter& f) {
  MapReader m(v, api::kHTTPPathModifier);
  if (!m.ok()) return;
  m.read_enum("type", f.path_type, {"ReplaceFullPath", "ReplacePrefixMatch"});
  if (f.path_type == "ReplaceFullPath") m.read("replaceFullPath", f.path_value);
  else m.read("replacePrefixMatch", f.path_value);
  m.finish();
}

void read_filter(const Value& v, GatewayApiHTTPRouteFilter& f, bool grpc = false) {
  MapReader m(v, grpc ? api::kGRPCRouteFilter : api::kHTTPRouteFilter);
  if (!m.ok()) return;
  // GRPCRouteFilter has a subset of HTTPRouteFilter's types (gateway-api GRPCRouteFilter.type).
  if (grpc)
    m.read_enum("type", f.type, {"RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "ExtensionRef"});
  else
    m.read_enum("type", f.type,
                {"RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite", "RequestMirror",
                 "CORS", "ExtensionRef"});
  if (auto x = m.get("requestHeaderModifier")) read_header_modifier(*x, f.headers);
  if (auto x = m.get("responseHeaderModifier")) read_header_modifier(*x, f.headers);
  if (auto x = m.get("requestRedirect")) {
    MapReader rm(*x, api::kHTTPRequestRedirectFilter);
    if (rm.ok()) {
      rm.read("scheme", f.scheme);
      rm.read("hostname", f.hostname);
      read_port(rm, "port", f.port);
      rm.read_uint("statusCode", f.status_code, 300, 399);
      if (auto p = rm.get("path")) read_path_modifier(*p, f);
      rm.finish();
    }
  }
  if (auto x = m.get("urlRewrite")) {
    MapReader rm(*x, api::kHTTPURLRewriteFilter);
    if (rm.ok()) {
      rm.read("hostname", f.hostname);
      if (auto p = rm.get("path")) read_path_modifier(*p, f);
      rm.finish();
    }
  }
  if (auto x = m.get("requestMirror")) {
    MapReader rm(*x, api::kHTTPRequestMirrorFilter);
    if (rm.ok()) {
      if (auto b = rm.get("backendRef")) f.mirror = read_backend_ref(*b);
      double pct = 0;
      if (rm.read_number("percent", pct, 0, 100)) f.mirror_percent = pct;
      if (auto fr = rm.get("fraction")) {
        MapReader fm(*fr, api::kFraction);
        if (fm.ok()) {
          double num = 0, den = 100;
          fm.read_number("numerator", num, 0, std::numeric_limits<double>::max());
          fm.read_number("denominator", den, 1, std::numeric_limits<double>::max());
          fm.finish();
          f.mirror_percent = 100.0 * num / den;
        }
      }
      rm.finish();
    }
  }
  m.finish();
}

}  // namespace

void parse_endpoint_slice(MapReader& doc, EndpointSlice& out) {
  read_metadata(doc, out.meta);
  if (auto it = out.meta.labels.find("kubernetes.io/service-name"); it != out.meta.labels.end())
    out.service_name = it->second;
  doc.ignore({"addressType"});
  if (auto eps = doc.get("endpoints")) {
    read_object_list(*eps, api::kEndpoint, out.endpoints, [&](MapReader& m, EndpointSlice::Endpoint& e, const Value&) {
      m.read("addresses", e.addresses);
      m.read("hostname", e.hostname);
      if (auto c = m.get("conditions")) {
        MapReader cm(*c, api::kEndpointConditions);
        if (cm.ok()) {
          std::optional<bool> ready;
          cm.read("ready", ready);
          if (ready) e.ready = *ready;
          cm.finish();
        }
      }
    });
  }
  if (auto ports = doc.get("ports")) {
    read_object_list(*ports, api::kEndpointPort, out.ports, [&](MapReader& m, EndpointSlice::Port& p, const Value&) {
      m.read("name", p.name);
      read_port(m, "port", p.port);
      m.read_enum("protocol", p.protocol, {"TCP", "UDP", "SCTP"});
      m.read("appProtocol", p.app_protocol);
    });
  }
}

void parse_ingress(MapReader& doc, Ingress& out) {
  read_metadata(doc, out.meta);
  auto spec_opt = spec_map(doc, "an Ingress needs rules or a default backend", api::kIngressSpec);
  if (!spec_opt) return;
  MapReader& spec = *spec_opt;
  spec.read("ingressClassName", out.ingress_class_name);
  auto read_backend = [](const Value& v, IngressBackend& b) {
    MapReader m(v, api::kIngressBackend);
    if (!m.ok()) return false;
    bool ok = false;
    if (auto svc = m.get("service")) {
      MapReader sm(*svc, api::kIngressServiceBackend);
      if (sm.ok()) {
        sm.require("name", "name is required: the Service that receives the traffic");
        sm.read("name", b.service_name);
        if (auto port = sm.get("port")) {
          MapReader pm(*port, api::kServiceBackendPort);
          if (pm.ok()) {
            read_port(pm, "number", b.port_number);
            pm.read("name", b.port_name);
            pm.finish();
          }
        }
        sm.finish();
        ok = true;
      }
    }
    // networking.k8s.io/v1beta1 form.
    if (m.read("serviceName", b.service_name)) ok = true;
    if (auto sp = m.get("servicePort")) {
      if (auto s = sp->as_int_or_string()) {
        if (!s->empty() && std::all_of(s->begin(), s->end(), [](char c) { return c >= '0' && c <= '9'; }))
          b.port_number = static_cast<std::uint32_t>(std::stoul(*s));
        else
          b.port_name = *s;
      }
    }
    m.finish();
    return ok;
  };
  auto default_backend = spec.get("defaultBackend");
  if (!default_backend) default_backend = spec.get("backend");
  if (default_backend) {
    IngressBackend b;
    if (read_backend(*default_backend, b)) out.default_backend = b;
  }
  if (auto rules = spec.get("rules")) {
    read_object_list(*rules, api::kIngressRule, out.rules, [&](MapReader& m, IngressRule& r, const Value& item) {
      r.location = item.location();
      m.read("host", r.host);
      if (auto http = m.get("http")) {
        MapReader hm(*http, api::kHTTPIngressRuleValue);
        if (hm.ok()) {
          r.has_http = true;
          if (auto paths = hm.get("paths")) {
            read_object_list(*paths, api::kHTTPIngressPath, r.paths,
                             [&](MapReader& pm, IngressPath& p, const Value& pv) {
              p.location = pv.location();
              pm.read("path", p.path);
              pm.read_enum("pathType", p.path_type, {"Exact", "Prefix", "ImplementationSpecific"});
              if (auto b = pm.get("backend")) p.has_backend = read_backend(*b, p.backend);
            });
          }
          hm.finish();
        }
      }
    });
  }
  if (auto tls = spec.get("tls")) {
    read_object_list(*tls, api::kIngressTLS, out.tls, [&](MapReader& m, IngressTLS& t, const Value&) {
      m.read("hosts", t.hosts);
      m.read("secretName", t.secret_name);
    });
  }
  spec.finish();
}

void parse_gateway_api_gateway(MapReader& doc, GatewayApiGateway& out) {
  read_metadata(doc, out.meta);
  auto spec_opt = spec_map(doc, "a Gateway needs listeners", api::kGatewaySpec);
  if (!spec_opt) return;
  MapReader& spec = *spec_opt;
  spec.require("gatewayClassName", "gatewayClassName is required (istio for Istio's gateway controller)");
  spec.read("gatewayClassName", out.gateway_class_name);
  if (auto listeners = spec.require("listeners", "listeners is required: the ports and protocols to expose")) {
    read_object_list(*listeners, api::kListener, out.listeners,
                     [&](MapReader& m, GatewayApiListener& l, const Value& item) {
      l.location = item.location();
      m.require("name");
      m.read("name", l.name);
      m.read("hostname", l.hostname);
      m.require("port");
      read_port(m, "port", l.port);
      m.require("protocol");
      m.read("protocol", l.protocol);
      if (auto tls = m.get("tls")) {
        MapReader tm(*tls, api::kGatewayTLSConfig);
        if (tm.ok()) {
          l.tls_mode = "Terminate";
          tm.read_enum("mode", l.tls_mode, {"Terminate", "Passthrough"});
          if (auto refs = tm.get("certificateRefs")) {
            read_object_list(*refs, api::kSecretObjectReference, l.certificate_refs,
                             [&](MapReader& rm, GatewayApiSecretRef& ref, const Value& r) {
              ref.location = r.location();
              rm.read("group", ref.group);
              rm.read("kind", ref.kind);
              rm.read("namespace", ref.namespace_);
              rm.read("name", ref.name);
            });
          }
          tm.finish();
        }
      }
      if (auto ar = m.get("allowedRoutes")) {
        MapReader am(*ar, api::kAllowedRoutes);
        if (am.ok()) {
          if (auto ns = am.get("namespaces")) {
            MapReader nm(*ns, api::kRouteNamespaces);
            if (nm.ok()) {
              nm.read_enum("from", l.allowed_namespaces, {"Same", "All", "Selector"});
              if (auto sel = nm.get("selector")) {
                MapReader sm(*sel, api::kLabelSelector);
                if (sm.ok()) {
                  read_labels(sm, "matchLabels", l.allowed_namespace_selector);
                  sm.ignore({"matchExpressions"});
                  sm.finish();
                }
              }
              nm.finish();
            }
          }
          if (auto kinds = am.get("kinds")) {
            read_object_list(*kinds, api::kRouteGroupKind, l.allowed_kinds,
                             [&](MapReader& km, std::string& kind, const Value&) {
              km.read("kind", kind);
              km.ignore({"group"});
            });
          }
          am.finish();
        }
      }
    });
  }
  if (auto addrs = spec.get("addresses")) {
    read_object_list(*addrs, api::kGatewaySpecAddress, out.addresses,
                     [&](MapReader& m, std::string& value, const Value&) {
      m.read("value", value);
      m.ignore({"type"});  // IPAddress or Hostname: the value says which
    });
  }
  spec.finish();
}

namespace {

void read_http_route_match(MapReader& mm, GatewayApiHTTPRouteMatch& match, const Value&) {
  if (auto path = mm.get("path")) {
    MapReader pm(*path, api::kHTTPPathMatch);
    if (pm.ok()) {
      pm.read_enum("type", match.path_type, {"Exact", "PathPrefix", "RegularExpression"});
      pm.read("value", match.path_value);
      if (match.path_type == "RegularExpression") check_gateway_regex(pm, match.path_value);
      pm.finish();
    }
  }
  if (auto h = mm.get("headers")) read_header_matches(*h, match.headers);
  if (auto q = mm.get("queryParams")) read_header_matches(*q, match.query_params);
  mm.read("method", match.method);
}

void read_grpc_route_match(MapReader& mm, GatewayApiGRPCRouteMatch& match, const Value&) {
  if (auto method = mm.get("method")) {
    MapReader gm(*method, api::kGRPCMethodMatch);
    if (gm.ok()) {
      GatewayApiGRPCMethodMatch g;
      gm.read_enum("type", g.type, {"Exact", "RegularExpression"});
      gm.read("service", g.service);
      gm.read("method", g.method);
      gm.finish();
      // GRPCMethodMatch: "At least one of Service and Method MUST be a non-empty string."
      if (g.service.empty() && g.method.empty()) method->error("a gRPC method match needs a service, a method or both");
      match.method = std::move(g);
    }
  }
  if (auto h = mm.get("headers")) read_header_matches(*h, match.headers);
}

// What HTTPRoute and GRPCRoute rules share: name, matches, filters and backendRefs.
template <class Rule, class ReadMatch>
void read_route_rule(MapReader& m, Rule& r, const Value& item, const api::Message& match_schema, ReadMatch read_match,
                     bool grpc, const api::Message& backend_schema) {
  r.location = item.location();
  m.read("name", r.name);
  if (auto matches = m.get("matches")) read_object_list(*matches, match_schema, r.matches, read_match);
  if (auto filters = m.get("filters"))
    read_list(*filters, r.filters, [&](const Value& fv, GatewayApiHTTPRouteFilter& f) { read_filter(fv, f, grpc); });
  read_backend_refs(m, r.backend_refs, backend_schema);
}

}  // namespace

namespace {

// HTTPRoute and GRPCRoute: metadata, parentRefs, hostnames, then rules each read by `read_rule`.
template <class Route, class ReadRule>
void parse_rules_route(MapReader& doc, Route& out, const std::string& what, const api::Message& spec_schema,
                       const api::Message& rule_schema, ReadRule read_rule) {
  read_metadata(doc, out.meta);
  auto spec_opt = spec_map(doc, what, spec_schema);
  if (!spec_opt) return;
  MapReader& spec = *spec_opt;
  read_parent_refs(spec, out.parent_refs);
  spec.read("hostnames", out.hostnames);
  if (auto rules = spec.get("rules")) read_object_list(*rules, rule_schema, out.rules, read_rule);
  spec.finish();
}

}  // namespace

void parse_http_route(MapReader& doc, GatewayApiHTTPRoute& out) {
  parse_rules_route(doc, out, "an HTTPRoute needs parentRefs and rules", api::kHTTPRouteSpec, api::kHTTPRouteRule,
                    [](MapReader& m, GatewayApiHTTPRouteRule& r, const Value& item) {
                      read_route_rule(m, r, item, api::kHTTPRouteMatch, read_http_route_match, /*grpc=*/false,
                                      api::kHTTPBackendRef);
                      if (auto t = m.get("timeouts")) {
                        MapReader tm(*t, api::kHTTPRouteTimeouts);
                        if (tm.ok()) {
                          tm.read_duration("request", r.request_timeout);
                          tm.read_duration("backendRequest", r.backend_request_timeout);
                          tm.finish();
                        }
                      }
                    });
}

void parse_l4_route(MapReader& doc, const std::string& kind, GatewayApiL4Route& out) {
  read_metadata(doc, out.meta);
  out.kind = kind;
  auto spec_opt =
      spec_map(doc, "a " + kind + " needs parentRefs and rules", kind == "TLSRoute" ? api::kTLSRouteSpec : api::kTCPRouteSpec);
  if (!spec_opt) return;
  MapReader& spec = *spec_opt;
  read_parent_refs(spec, out.parent_refs);
  if (kind == "TLSRoute") spec.read("hostnames", out.hostnames);
  if (auto rules = spec.get("rules")) {
    read_object_list(*rules, api::kL4RouteRule, out.rules,
                     [](MapReader& m, GatewayApiL4RouteRule& r, const Value& item) {
      r.location = item.location();
      read_backend_refs(m, r.backend_refs);
      m.ignore({"name"});  // a rule's name only labels it
    });
  }
  spec.finish();
}

void parse_grpc_route(MapReader& doc, GatewayApiGRPCRoute& out) {
  parse_rules_route(doc, out, "a GRPCRoute needs parentRefs and rules", api::kGRPCRouteSpec, api::kGRPCRouteRule,
                    [](MapReader& m, GatewayApiGRPCRouteRule& r, const Value& item) {
                      read_route_rule(m, r, item, api::kGRPCRouteMatch, read_grpc_route_match, /*grpc=*/true,
                                      api::kGRPCBackendRef);
                    });
}

void parse_reference_grant(MapReader& doc, GatewayApiReferenceGrant& out) {
  read_metadata(doc, out.meta);
  auto spec_opt = spec_map(doc, "a ReferenceGrant needs from and to", api::kReferenceGrantSpec);
  if (!spec_opt) return;
  MapReader& spec = *spec_opt;
  if (auto from = spec.require("from", "from is required: the kinds and namespaces that may refer here")) {
    read_object_list(*from, api::kReferenceGrantFrom, out.from,
                     [](MapReader& m, GatewayApiReferenceGrant::From& f, const Value& item) {
                       f.location = item.location();
                       m.require("group");
                       m.read("group", f.group);
                       m.require("kind");
                       m.read("kind", f.kind);
                       m.require("namespace");
                       m.read("namespace", f.namespace_);
                     });
  }
  if (auto to = spec.require("to", "to is required: the kinds in this namespace that may be referred to")) {
    read_object_list(*to, api::kReferenceGrantTo, out.to,
                     [](MapReader& m, GatewayApiReferenceGrant::To& t, const Value& item) {
      t.location = item.location();
      m.require("group");
      m.read("group", t.group);
      m.require("kind");
      m.read("kind", t.kind);
      m.read("name", t.name);
    });
  }
  spec.finish();
}

void parse_peer_authentication(MapReader& doc, PeerAuthentication& out) {
  read_metadata(doc, out.meta);
  auto spec = doc.get("spec");
  if (!spec) return;
  MapReader m(*spec, api::kPeerAuthenticationSpec);
  if (!m.ok()) return;
  if (auto sel = m.get("selector")) {
    MapReader sm(*sel, api::kWorkloadSelectorMatchLabels);
    if (sm.ok()) {
      Labels l;
      read_labels(sm, "matchLabels", l);
      sm.finish();
      out.selector = std::move(l);
    }
  }
  if (auto mtls = m.get("mtls")) {
    MapReader mm(*mtls, api::kPeerAuthenticationMTLS);
    if (mm.ok()) {
      mm.read_enum("mode", out.mode, {"UNSET", "DISABLE", "PERMISSIVE", "STRICT"});
      mm.finish();
    }
  }
  if (auto pl = m.get("portLevelMtls")) {
    MapReader pm(*pl);
    if (pm.ok()) {
      for (auto& [port, v] : pm.entries()) {
        MapReader vm(v, api::kPeerAuthenticationMTLS);
        if (!vm.ok()) continue;
        std::string mode;
        vm.read_enum("mode", mode, {"UNSET", "DISABLE", "PERMISSIVE", "STRICT"});
        vm.finish();
        const unsigned long n = std::strtoul(port.c_str(), nullptr, 10);
        if (n > 0 && n <= 65535) out.port_level[static_cast<std::uint32_t>(n)] = mode;
      }
    }
  }
  m.finish();
}

}  // namespace meshtwin::config::parse
