// The Gateway API as Istio enforces it (docs/semantics.md §11.1-§11.3): ReferenceGrant for
// cross-namespace backendRefs and certificateRefs, invalid backends answering 500, listener
// isolation, and GRPCRoute. Each test names the Gateway API reference field documentation it follows
// (gateway-api apis/v1, https://gateway-api.sigs.k8s.io/reference/spec/) and the istiod translation
// code it takes behaviour from (istio/istio pilot/pkg/config/kube/gateway: conversion.go,
// references_collection.go, route_collections.go).
#include <gtest/gtest.h>

#include <set>

#include "model/analysis/lint.h"
#include "model/xds/explain.h"
#include "model/xds/trace.h"
#include "tests/xds/xds_test_util.h"

namespace meshtwin::xds {
namespace {

using testing::TestMesh;

// A Gateway API Gateway `gw` in namespace infra (its pod gw-istio), an echo Service in namespace
// apps and one in infra.
constexpr const char* kBase = R"(
apiVersion: v1
kind: Namespace
metadata: {name: infra}
---
apiVersion: v1
kind: Namespace
metadata: {name: apps}
---
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: apps}
spec:
  selector: {app: echo}
  ports: [{name: http, port: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo, namespace: apps}
spec:
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec: {containers: [{name: echo, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: local, namespace: infra}
spec:
  selector: {app: local}
  ports: [{name: http, port: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: local, namespace: infra}
spec:
  selector: {matchLabels: {app: local}}
  template:
    metadata: {labels: {app: local}}
    spec: {containers: [{name: local, ports: [{containerPort: 8080}]}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
  - {name: http, port: 80, protocol: HTTP}
)";

std::shared_ptr<const ProxyConfig> gateway_config(TestMesh& m, std::string_view workload = "gw-istio",
                                                  config::Diagnostics* diags = nullptr) {
  for (const auto& p : m.reg.pods()) {
    if (p.workload != workload) continue;
    ProxyIdentity id;
    id.namespace_ = p.namespace_;
    id.labels = p.labels;
    id.workload = p.workload;
    id.ip_addresses = {p.ip};
    return compile_gateway(m.store, m.reg, id, MeshOptions{}, diags);
  }
  ADD_FAILURE() << "no gateway pod " << workload;
  return nullptr;
}

Call http_call(std::uint32_t port, std::string host, std::string path, Call::Protocol protocol = Call::Protocol::Http) {
  Call c;
  c.address = "10.244.0.1";
  c.port = port;
  c.protocol = protocol;
  c.host = std::move(host);
  c.path = std::move(path);
  return c;
}

TestMesh mesh_of(const std::string& extra) {
  TestMesh m;
  m.load(std::string(kBase) + "---\n" + extra);
  m.build();
  return m;
}

std::vector<analysis::Finding> lint_of(const TestMesh& m, std::string_view code) {
  std::vector<analysis::Finding> out;
  for (auto& f : analysis::lint(m.store, m.reg))
    if (f.code == code) out.push_back(f);
  return out;
}

constexpr const char* kCrossNamespaceRoute = R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: to-apps, namespace: infra}
spec:
  parentRefs: [{name: gw}]
  rules:
  - backendRefs: [{name: echo, namespace: apps, port: 8080}]
)";

// Gateway API BackendObjectReference.namespace: "when a namespace different than the local
// namespace is specified, a ReferenceGrant object is required in the referent namespace to allow
// that namespace's owner to accept the reference"; HTTPBackendRef / HTTPRouteRule.backendRefs:
// "requests that would have been sent to [an invalid backend] MUST receive a 500 status code".
// istiod buildDestination (enforceRefGrant, InvalidDestinationPermit -> an empty Destination) and
// ReferenceGrants.BackendAllowed; the empty destination's missing cluster answers 500 (§3.2).
TEST(GatewayApiTest, S11_1_CrossNamespaceBackendRefNeedsAReferenceGrant_BackendObjectReferenceNamespace) {
  // No grant: the rule's backend is invalid, the gateway answers 500 NC.
  {
    TestMesh m = mesh_of(kCrossNamespaceRoute);
    auto cfg = gateway_config(m);
    auto t = trace_call(*cfg, http_call(80, "any.example.com", "/"));
    ASSERT_NE(t.route, nullptr);
    EXPECT_EQ(t.cluster, "outbound|80||");
    EXPECT_EQ(cfg->find_cluster(t.cluster), kNoCluster);
    EXPECT_EQ(t.route->cluster_not_found_status, 500);
    auto f = lint_of(m, "MT0005");
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].field_path, "spec.rules[0].backendRefs[0]");
    EXPECT_EQ(f[0].severity, config::Severity::Error);
    EXPECT_NE(f[0].message.find("no ReferenceGrant in apps"), std::string::npos) << f[0].message;
    EXPECT_EQ(f[0].resource, "HTTPRoute infra/to-apps");
    // explain says why the gateway answers 500.
    std::string error;
    auto id = proxy_identity(m.reg, ExplainTarget{"infra", "gw-istio", true}, &error);
    ASSERT_TRUE(id) << error;
    ExplainRequest req;
    req.url = "http://any.example.com/";
    auto e = explain(*cfg, m.reg, *id, req, &error);
    ASSERT_TRUE(e) << error;
    EXPECT_EQ(e->outcome, "500 NC (cluster outbound|80|| does not exist)");
    bool why = false;
    for (const auto& l : e->lines) why |= l.find("backendRef is invalid") != std::string::npos;
    EXPECT_TRUE(why);
  }
  // Grants that do not fit: the wrong from-namespace, the wrong from-kind, another Service's name,
  // and a fitting grant that lives in the route's namespace instead of the target's.
  const std::string right_from = "from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: infra}]";
  const std::string any_service = "to: [{group: \"\", kind: Service}]";
  const std::vector<std::pair<std::string, std::string>> misfits = {
      {"apps", "from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: other}]\n  " + any_service},
      {"apps", "from: [{group: gateway.networking.k8s.io, kind: GRPCRoute, namespace: infra}]\n  " + any_service},
      {"apps", right_from + "\n  to: [{group: \"\", kind: Service, name: other}]"},
      {"infra", right_from + "\n  " + any_service},
  };
  for (const auto& [grant_ns, grant] : misfits) {
    TestMesh m = mesh_of(std::string(kCrossNamespaceRoute) + "---\napiVersion: gateway.networking.k8s.io/v1beta1\n"
                         "kind: ReferenceGrant\nmetadata: {name: g, namespace: " + grant_ns + "}\nspec:\n  " + grant + "\n");
    auto t = trace_call(*gateway_config(m), http_call(80, "any.example.com", "/"));
    EXPECT_EQ(t.cluster, "outbound|80||") << grant_ns << ": " << grant;
  }
  // A grant in apps for HTTPRoutes of infra, to every Service or to echo by name: routed.
  for (const std::string to : {"{group: \"\", kind: Service}", "{group: \"\", kind: Service, name: echo}"}) {
    TestMesh m = mesh_of(std::string(kCrossNamespaceRoute) + R"(---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: infra-routes, namespace: apps}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: infra}]
  to: [)" + to + "]\n");
    auto t = trace_call(*gateway_config(m), http_call(80, "any.example.com", "/"));
    EXPECT_EQ(t.error, CallError::None);
    EXPECT_EQ(t.cluster, "outbound|8080||echo.apps.svc.cluster.local") << to;
    EXPECT_TRUE(lint_of(m, "MT0005").empty());
  }
}

// HTTPBackendRef weight + the invalid-backend rule: with two backends of which one is refused,
// only the refused share answers 500 (istiod keeps the empty Destination with its weight).
TEST(GatewayApiTest, S11_1_RefusedBackendKeepsItsWeightShare_HTTPRouteRuleBackendRefs) {
  TestMesh m = mesh_of(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: split, namespace: infra}
spec:
  parentRefs: [{name: gw}]
  rules:
  - backendRefs:
    - {name: local, port: 8080, weight: 3}
    - {name: echo, namespace: apps, port: 8080, weight: 1}
)");
  auto cfg = gateway_config(m);
  auto t = trace_call(*cfg, http_call(80, "a", "/"));
  ASSERT_NE(t.route, nullptr);
  ASSERT_EQ(t.route->clusters.size(), 2u);
  EXPECT_EQ(t.route->clusters[0].name, "outbound|8080||local.infra.svc.cluster.local");
  EXPECT_EQ(t.route->clusters[0].weight, 3u);
  EXPECT_EQ(t.route->clusters[1].name, "outbound|80||");
  EXPECT_EQ(t.route->clusters[1].weight, 1u);
  EXPECT_EQ(t.route->cluster_not_found_status, 500);
}

// GAMMA: istiod enforces ReferenceGrants for Gateway parents only (convertHTTPRoute(..., !mesh)),
// so a mesh route to another namespace's Service routes without one.
TEST(GatewayApiTest, S11_1_MeshRoutesAreNotCheckedAgainstReferenceGrants_GammaParentRef) {
  TestMesh m = mesh_of(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: local-to-apps, namespace: infra}
spec:
  parentRefs: [{group: "", kind: Service, name: local, port: 8080}]
  rules:
  - backendRefs: [{name: echo, namespace: apps, port: 8080}]
)");
  auto cfg = m.compile("infra", {{"app", "client"}});
  auto d = testing::decide(*cfg, 8080, "local.infra.svc.cluster.local", "/");
  EXPECT_EQ(testing::cluster_of(d), "outbound|8080||echo.apps.svc.cluster.local");
  EXPECT_TRUE(lint_of(m, "MT0005").empty());
}

// Gateway API BackendObjectReference group/kind ("Kind is the Kubernetes resource kind of the
// referent. For example \"Service\"") and HTTPRouteRule.backendRefs (a reference to an unknown or
// unsupported kind is invalid: "ResolvedRefs ... InvalidKind" and a 500); istiod buildDestination
// default case (InvalidDestinationKind -> an empty Destination). Only core Services and
// networking.istio.io Hostnames route; a networking.istio.io ServiceEntry is no backend kind either.
TEST(GatewayApiTest, S11_1_BackendRefOfAnUnknownKindIsInvalid_BackendObjectReferenceKind) {
  for (const std::string ref : {"{group: storage.example.com, kind: Bucket, name: echo, port: 8080}",
                                "{group: networking.istio.io, kind: ServiceEntry, name: echo, port: 8080}",
                                "{kind: Pod, name: echo, port: 8080}"}) {
    TestMesh m = mesh_of(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: odd, namespace: infra}
spec:
  parentRefs: [{name: gw}]
  rules:
  - backendRefs: [)" + ref + "]\n");
    auto cfg = gateway_config(m);
    auto t = trace_call(*cfg, http_call(80, "a", "/"));
    ASSERT_NE(t.route, nullptr) << ref;
    EXPECT_EQ(t.cluster, "outbound|80||") << ref;  // not echo.infra as a Service would give
    EXPECT_EQ(t.route->cluster_not_found_status, 500);
    auto f = lint_of(m, "MT0006");
    ASSERT_EQ(f.size(), 1u) << ref;
    EXPECT_EQ(f[0].field_path, "spec.rules[0].backendRefs[0]");
    EXPECT_NE(f[0].message.find("no kind istiod routes to"), std::string::npos);
  }
  // The kinds that do route: a core Service and an Istio Hostname.
  TestMesh m = mesh_of(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: fine, namespace: infra}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /svc}}]
    backendRefs: [{group: "", kind: Service, name: local, port: 8080}]
  - backendRefs: [{group: networking.istio.io, kind: Hostname, name: echo.apps.svc.cluster.local, port: 8080}]
)");
  auto cfg = gateway_config(m);
  EXPECT_EQ(trace_call(*cfg, http_call(80, "a", "/svc")).cluster, "outbound|8080||local.infra.svc.cluster.local");
  EXPECT_EQ(trace_call(*cfg, http_call(80, "a", "/x")).cluster, "outbound|8080||echo.apps.svc.cluster.local");
  EXPECT_TRUE(lint_of(m, "MT0006").empty());
}

// Gateway API GatewayTLSConfig.certificateRefs: "A reference to a Secret in a different namespace
// ... requires a ReferenceGrant in the Secret's namespace"; otherwise the listener's ResolvedRefs is
// False (RefNotPermitted). istiod buildTLS (SecretAllowed from Gateway to Secret): without a usable
// Secret the listener cannot complete a TLS handshake; meshtwin opens no server for it.
TEST(GatewayApiTest, S11_1_CrossNamespaceCertificateRefNeedsAReferenceGrant_GatewayTLSConfigCertificateRefs) {
  const std::string gateway = R"(
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: tls, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
  - name: https
    port: 443
    protocol: HTTPS
    tls: {certificateRefs: [{name: cert, namespace: certs}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: secure, namespace: infra}
spec:
  parentRefs: [{name: tls}]
  rules: [{backendRefs: [{name: local, port: 8080}]}]
)";
  auto https = [](const ProxyConfig& cfg) {
    Call c = http_call(443, "secure.example.com", "/");
    c.tls = Call::Tls::Tls;
    c.sni = "secure.example.com";
    return trace_call(cfg, c);
  };
  {
    TestMesh m = mesh_of(gateway);
    auto t = https(*gateway_config(m, "tls-istio"));
    EXPECT_NE(t.error, CallError::None);
    EXPECT_EQ(t.route, nullptr);
    auto f = lint_of(m, "MT0005");
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].field_path, "spec.listeners[0].tls.certificateRefs[0]");
    EXPECT_EQ(f[0].resource, "Gateway infra/tls");
  }
  {
    TestMesh m = mesh_of(gateway + R"(---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: gateways-may-use-certs, namespace: certs}
spec:
  from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: infra}]
  to: [{group: "", kind: Secret, name: cert}]
)");
    auto t = https(*gateway_config(m, "tls-istio"));
    EXPECT_EQ(t.error, CallError::None);
    EXPECT_EQ(t.cluster, "outbound|8080||local.infra.svc.cluster.local");
    EXPECT_TRUE(lint_of(m, "MT0005").empty());
  }
}

// The Gateway API conformance manifests of GatewayHTTPListenerIsolation
// (conformance/tests/gateway-http-listener-isolation.yaml and
// ...-with-hostname-intersection.yaml), with each listener's routes on their own path.
std::string isolation_manifests(bool route_hostnames) {
  std::string out = R"(
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: iso, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
  - {name: empty-hostname, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
  - {name: wildcard-example-com, port: 80, protocol: HTTP, hostname: "*.example.com", allowedRoutes: {namespaces: {from: All}}}
  - {name: wildcard-foo-example-com, port: 80, protocol: HTTP, hostname: "*.foo.example.com", allowedRoutes: {namespaces: {from: All}}}
  - {name: abc-foo-example-com, port: 80, protocol: HTTP, hostname: abc.foo.example.com, allowedRoutes: {namespaces: {from: All}}}
)";
  for (const std::string l : {"empty-hostname", "wildcard-example-com", "wildcard-foo-example-com", "abc-foo-example-com"}) {
    out += "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: attaches-to-" + l +
           ", namespace: infra}\nspec:\n  parentRefs: [{name: iso, sectionName: " + l + "}]\n";
    if (route_hostnames) out += "  hostnames: [bar.com, \"*.example.com\", \"*.foo.example.com\", abc.foo.example.com]\n";
    out += "  rules:\n  - matches: [{path: {type: PathPrefix, value: /" + l +
           "}}]\n    backendRefs: [{name: local, port: 8080}]\n";
  }
  return out;
}

// Gateway API Listener.hostname / GatewayHTTPListenerIsolation ("requests ... are matched only by
// routes attached to the listener with the most specific matching hostname"); istiod
// routeParentReference.hostnameAllowedByIsolation (route_collections.go drops route hosts that a
// more specific listener of the same port and protocol owns) with Envoy's most-specific virtual host.
TEST(GatewayApiTest, S11_2_ListenerIsolation_GatewayHTTPListenerIsolation) {
  const std::vector<std::string> listeners = {"empty-hostname", "wildcard-example-com", "wildcard-foo-example-com",
                                              "abc-foo-example-com"};
  const std::vector<std::string> hosts = {"bar.com", "bar.example.com", "bar.foo.example.com", "abc.foo.example.com"};
  for (bool route_hostnames : {false, true}) {
    TestMesh m = mesh_of(isolation_manifests(route_hostnames));
    auto cfg = gateway_config(m, "iso-istio");
    for (std::size_t h = 0; h < hosts.size(); ++h) {
      for (std::size_t l = 0; l < listeners.size(); ++l) {
        auto t = trace_call(*cfg, http_call(80, hosts[h], "/" + listeners[l]));
        const std::string what = hosts[h] + "/" + listeners[l] + (route_hostnames ? " (route hostnames)" : "");
        if (h == l) {
          // The listener that owns the host serves its own route...
          EXPECT_EQ(t.error, CallError::None) << what;
          EXPECT_EQ(t.cluster, "outbound|8080||local.infra.svc.cluster.local") << what;
        } else {
          // ...and no other listener's routes serve it: 404.
          EXPECT_TRUE(t.error == CallError::NoRoute || t.error == CallError::NoVirtualHost) << what;
        }
      }
    }
  }
}

// The same rule when the route on the wildcard listener names the exact host of another listener:
// the host is dropped from the wildcard listener's routes, so it never merges into the exact one's.
TEST(GatewayApiTest, S11_2_WildcardListenerRouteNeverServesAnOwnedHost_ListenerHostname) {
  TestMesh m = mesh_of(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: two, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
  - {name: any, port: 80, protocol: HTTP}
  - {name: api, port: 80, protocol: HTTP, hostname: api.example.com}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: catch-all, namespace: infra}
spec:
  parentRefs: [{name: two, sectionName: any}]
  hostnames: [api.example.com, www.example.com]
  rules: [{backendRefs: [{name: local, port: 8080}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api, namespace: infra}
spec:
  parentRefs: [{name: two, sectionName: api}]
  rules: [{matches: [{path: {type: PathPrefix, value: /v1}}], backendRefs: [{name: echo, namespace: infra, port: 8080}]}]
)");
  auto cfg = gateway_config(m, "two-istio");
  EXPECT_EQ(trace_call(*cfg, http_call(80, "www.example.com", "/x")).cluster,
            "outbound|8080||local.infra.svc.cluster.local");
  EXPECT_EQ(trace_call(*cfg, http_call(80, "api.example.com", "/v1/users")).cluster,
            "outbound|8080||echo.infra.svc.cluster.local");
  // Without isolation the catch-all route would merge into api.example.com and answer /x.
  EXPECT_EQ(trace_call(*cfg, http_call(80, "api.example.com", "/x")).error, CallError::NoRoute);
}

constexpr const char* kGrpc = R"(
apiVersion: v1
kind: Service
metadata: {name: grpc-v1, namespace: infra}
spec:
  selector: {app: grpc, version: v1}
  ports: [{name: grpc, port: 9000}]
---
apiVersion: v1
kind: Service
metadata: {name: grpc-v2, namespace: infra}
spec:
  selector: {app: grpc, version: v2}
  ports: [{name: grpc, port: 9000}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: store, namespace: infra}
spec:
  parentRefs: [{name: gw}]
  hostnames: [grpc.example.com]
  rules:
  - matches: [{method: {service: store.Catalog, method: Get}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {set: [{name: x-route, value: get}]}
    backendRefs: [{name: grpc-v1, port: 9000}]
  - matches: [{method: {service: store.Catalog}}]
    backendRefs:
    - {name: grpc-v1, port: 9000, weight: 90}
    - {name: grpc-v2, port: 9000, weight: 10}
  - matches: [{method: {method: Health}}]
    backendRefs: [{name: local, port: 8080}]
  - matches: [{method: {type: RegularExpression, service: "store\\.Or.*", method: "List.*"}}]
    backendRefs: [{name: grpc-v2, port: 9000}]
  - matches: [{headers: [{name: x-canary, value: "yes"}]}]
    backendRefs: [{name: grpc-v2, port: 9000}]
)";

// Gateway API GRPCRoute: GRPCRouteMatch.method (GRPCMethodMatch: "service" and "method", Exact or
// RegularExpression), GRPCRouteMatch.headers, GRPCBackendRef weights, GRPCRouteFilter
// RequestHeaderModifier; GRPCRoute attaches to HTTP listeners (Listener.allowedRoutes default
// kinds). istiod createGRPCURIMatch: service+method -> exact /svc/method, service only -> prefix
// /svc/, method only -> regex /[^/]+/method, regular expressions -> regex; convertGRPCRoute and
// generateSupportedKinds; rule order by sortHTTPRoutes (exact, prefix, regex, no path).
TEST(GatewayApiTest, S11_3_GrpcRouteMatchesServiceAndMethodAsPaths_GRPCRouteMatch) {
  TestMesh m = mesh_of(kGrpc);
  config::Diagnostics diags;
  auto cfg = gateway_config(m, "gw-istio", &diags);
  auto grpc = [&](std::string path, std::vector<std::pair<std::string, std::string>> headers = {}) {
    Call c = http_call(80, "grpc.example.com", std::move(path), Call::Protocol::Http2);
    c.method = "POST";
    c.headers = std::move(headers);
    c.headers.emplace_back("content-type", "application/grpc");
    return trace_call(*cfg, c);
  };
  auto get = grpc("/store.Catalog/Get");
  ASSERT_EQ(get.error, CallError::None);
  EXPECT_EQ(get.cluster, "outbound|9000||grpc-v1.infra.svc.cluster.local");
  ASSERT_NE(get.route, nullptr);
  EXPECT_EQ(get.route->match.path_kind, RouteMatch::PathKind::Exact);
  EXPECT_EQ(get.route->match.path, "/store.Catalog/Get");
  ASSERT_EQ(get.route->request_headers.set.size(), 1u);
  EXPECT_EQ(get.route->request_headers.set[0].first, "x-route");
  // The rest of the service: a path-separated prefix, weighted 90/10.
  auto list = grpc("/store.Catalog/List");
  ASSERT_NE(list.route, nullptr);
  ASSERT_EQ(list.route->clusters.size(), 2u);
  EXPECT_EQ(list.route->clusters[0].weight, 90u);
  EXPECT_EQ(list.route->clusters[1].name, "outbound|9000||grpc-v2.infra.svc.cluster.local");
  EXPECT_EQ(list.route->clusters[1].weight, 10u);
  // store.CatalogX is another service: the prefix ends at the service name.
  EXPECT_EQ(grpc("/store.CatalogX/List").error, CallError::NoRoute);
  // A method in any service.
  EXPECT_EQ(grpc("/grpc.health.v1.Health/Health").cluster, "outbound|8080||local.infra.svc.cluster.local");
  // Regular expressions over service and method.
  EXPECT_EQ(grpc("/store.Orders/ListAll").cluster, "outbound|9000||grpc-v2.infra.svc.cluster.local");
  // A headers-only match: no path condition, and it ranks after every path match.
  EXPECT_EQ(grpc("/other.Svc/Do", {{"x-canary", "yes"}}).cluster, "outbound|9000||grpc-v2.infra.svc.cluster.local");
  EXPECT_EQ(grpc("/other.Svc/Do").error, CallError::NoRoute);
  // Another host: the route's hostnames bind it to grpc.example.com only.
  Call other = http_call(80, "else.example.com", "/store.Catalog/Get", Call::Protocol::Http2);
  EXPECT_NE(trace_call(*cfg, other).error, CallError::None);
  for (const auto& d : diags.items()) EXPECT_NE(d.severity, config::Severity::Error) << d.format();
}

// Gateway API GRPCRouteFilter.type: RequestHeaderModifier, ResponseHeaderModifier, RequestMirror
// and ExtensionRef; istiod convertGRPCRoute refuses the whole route for a filter it does not
// support ("unsupported filter type"), and ReferenceGrants apply to GRPCRoute backends like to
// HTTPRoute ones (from kind GRPCRoute).
TEST(GatewayApiTest, S11_3_GrpcRouteFiltersAndReferenceGrants_GRPCRouteFilterType) {
  {
    TestMesh m = mesh_of(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: ext, namespace: infra}
spec:
  parentRefs: [{name: gw}]
  rules:
  - filters: [{type: ExtensionRef, extensionRef: {group: example.com, kind: Thing, name: t}}]
    backendRefs: [{name: local, port: 8080}]
)");
    config::Diagnostics diags;
    auto cfg = gateway_config(m, "gw-istio", &diags);
    EXPECT_NE(trace_call(*cfg, http_call(80, "a", "/x.Y/Z", Call::Protocol::Http2)).error, CallError::None);
    bool warned = false;
    for (const auto& d : diags.items()) warned |= d.message.find("filter type ExtensionRef") != std::string::npos;
    EXPECT_TRUE(warned);
  }
  const std::string cross = R"(
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: cross, namespace: infra}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: echo, namespace: apps, port: 8080}]}]
)";
  const std::string grant = R"(---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: g, namespace: apps}
spec:
  from: [{group: gateway.networking.k8s.io, kind: KIND, namespace: infra}]
  to: [{group: "", kind: Service}]
)";
  for (const std::string kind : {"HTTPRoute", "GRPCRoute"}) {
    std::string g = grant;
    g.replace(g.find("KIND"), 4, kind);
    TestMesh m = mesh_of(cross + g);
    auto t = trace_call(*gateway_config(m), http_call(80, "a", "/x.Y/Z", Call::Protocol::Http2));
    EXPECT_EQ(t.cluster, kind == "GRPCRoute" ? "outbound|8080||echo.apps.svc.cluster.local" : "outbound|80||") << kind;
  }
}

// meshtwin explain of a gRPC call through a GRPCRoute (docs/explain-lint.md): grpc:// is an HTTP/2
// POST with content-type application/grpc, and the narration names the service and method.
TEST(GatewayApiTest, S11_3_ExplainNarratesAGrpcCallThroughAGrpcRoute) {
  TestMesh m = mesh_of(kGrpc);
  ExplainTarget target{"infra", "gw-istio", true};
  std::string error;
  auto id = proxy_identity(m.reg, target, &error);
  ASSERT_TRUE(id) << error;
  auto cfg = compile_gateway(m.store, m.reg, *id, MeshOptions{});
  ExplainRequest req;
  req.url = "grpc://grpc.example.com/store.Catalog/Get";
  auto e = explain(*cfg, m.reg, *id, req, &error);
  ASSERT_TRUE(e) << error;
  std::string text;
  for (const auto& l : e->lines) text += l + "\n";
  EXPECT_NE(text.find("Request: POST grpc://grpc.example.com/store.Catalog/Get"), std::string::npos) << text;
  EXPECT_NE(text.find("gRPC service store.Catalog, method Get"), std::string::npos) << text;
  EXPECT_NE(text.find("header content-type: application/grpc"), std::string::npos) << text;
  EXPECT_NE(text.find("match exact /store.Catalog/Get"), std::string::npos) << text;
  EXPECT_NE(text.find("infra.store.0"), std::string::npos) << text;  // the rule's generated name
  EXPECT_EQ(e->outcome, "forwarded to outbound|9000||grpc-v1.infra.svc.cluster.local") << text;
}

}  // namespace
}  // namespace meshtwin::xds
