// compile_gateway (docs/semantics.md §11): Istio's default ingress gateway from the registry (DESIGN
// §3.1), servers on translated ports, VirtualServices bound by `gateways`, merged hosts with
// catch-alls last, 404 for unbound hosts, httpsRedirect, TCP and TLS servers, Ingress and Gateway
// API translation.
#include <gtest/gtest.h>

#include "model/xds/trace.h"
#include "tests/xds/xds_test_util.h"

namespace meshtwin::xds {
namespace {

using testing::TestMesh;

const std::string kSamples = std::string(MESHTWIN_SOURCE_DIR) + "/third_party/istio-samples/";

std::shared_ptr<const ProxyConfig> ingress(TestMesh& m, config::Diagnostics* diags = nullptr) {
  // The default ingress gateway's pod as the registry provides it.
  for (const auto& p : m.reg.pods()) {
    if (p.workload != "istio-ingressgateway") continue;
    ProxyIdentity id;
    id.namespace_ = p.namespace_;
    id.labels = p.labels;
    id.workload = p.workload;
    id.ip_addresses = {p.ip};
    return compile_gateway(m.store, m.reg, id, MeshOptions{}, diags);
  }
  ADD_FAILURE() << "no istio-ingressgateway pod";
  return nullptr;
}

Call gw_call(std::uint32_t port, std::string host, std::string path) {
  Call c;
  c.address = "10.244.0.1";
  c.port = port;
  c.protocol = Call::Protocol::Http;
  c.host = std::move(host);
  c.path = std::move(path);
  return c;
}

constexpr const char* kHttpbin = R"(
apiVersion: v1
kind: Service
metadata: {name: httpbin}
spec:
  selector: {app: httpbin}
  ports: [{name: http, port: 8000, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: httpbin}
spec:
  selector: {matchLabels: {app: httpbin}}
  template:
    metadata: {labels: {app: httpbin, version: v1}}
    spec: {containers: [{name: httpbin, ports: [{containerPort: 8080}]}]}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: httpbin-gateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [httpbin.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin}
spec:
  hosts: [httpbin.example.com]
  gateways: [httpbin-gateway]
  http:
  - match: [{uri: {prefix: /status}}, {uri: {prefix: /delay}}]
    route: [{destination: {host: httpbin, port: {number: 8000}}}]
)";

TEST(GatewayTest, S11_HttpbinBehindTheDefaultIngressGateway) {
  TestMesh m;
  m.load(kHttpbin);
  m.build();
  auto cfg = ingress(m);
  ASSERT_NE(cfg, nullptr);
  EXPECT_TRUE(cfg->is_gateway);
  // Server port 80 is the Service's port; the gateway pod listens on its target port 8080 and
  // the virtual host keeps the server port in its name.
  auto ok = trace_call(*cfg, gw_call(8080, "httpbin.example.com", "/status/200"));
  EXPECT_EQ(ok.error, CallError::None);
  EXPECT_EQ(ok.listener, "0.0.0.0_8080");
  EXPECT_EQ(ok.route_config, "http.8080");
  EXPECT_EQ(ok.virtual_host, "httpbin.example.com:80");
  EXPECT_EQ(ok.cluster, "outbound|8000||httpbin.default.svc.cluster.local");
  const Cluster* c = testing::find_cluster(*cfg, ok.cluster);
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->endpoints.size(), 1u);
  EXPECT_EQ(c->endpoints[0].port, 8080u);
  // No route for /headers: 404 NR; an unknown host: no virtual host, 404 NR too.
  EXPECT_EQ(trace_call(*cfg, gw_call(8080, "httpbin.example.com", "/headers")).error, CallError::NoRoute);
  EXPECT_EQ(trace_call(*cfg, gw_call(8080, "other.example.com", "/status/200")).error, CallError::NoVirtualHost);
  // No Gateway server on 8443: no listener.
  EXPECT_EQ(trace_call(*cfg, gw_call(8443, "httpbin.example.com", "/")).error, CallError::NoListener);
  // The simulation's lookup by port finds the same table.
  EXPECT_EQ(cfg->route_config_for_port(8080), ok.route_config_ptr);
}

TEST(GatewayTest, S11_NoBoundVirtualServiceIsABlackholeVirtualHost) {
  TestMesh m;
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [foo.bar]}]
)");
  m.build();
  auto cfg = ingress(m);
  auto t = trace_call(*cfg, gw_call(8080, "foo.bar", "/"));
  EXPECT_EQ(t.error, CallError::NoRoute);
  EXPECT_EQ(t.virtual_host, "blackhole:80");
}

TEST(GatewayTest, S1_3_GatewaysMergeVirtualServicesPerHostWithCatchAllsLast) {
  TestMesh m;
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*.example.com"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a-catchall, creationTimestamp: "2020-01-01T00:00:00Z"}
spec:
  hosts: [app.example.com]
  gateways: [gw]
  http: [{route: [{destination: {host: a, port: {number: 80}}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: b-api, creationTimestamp: "2021-01-01T00:00:00Z"}
spec:
  hosts: [app.example.com]
  gateways: [gw]
  http: [{match: [{uri: {prefix: /api}}], route: [{destination: {host: b, port: {number: 80}}}]}]
)");
  m.build();
  auto cfg = ingress(m);
  // The older VS's catch-all moved behind the newer VS's /api route (SortVHostRoutes).
  auto api = trace_call(*cfg, gw_call(8080, "app.example.com", "/api/x"));
  EXPECT_EQ(api.cluster, "outbound|80||b.default.svc.cluster.local");
  ASSERT_NE(api.virtual_host_ptr, nullptr);
  ASSERT_EQ(api.virtual_host_ptr->routes.size(), 2u);
  EXPECT_TRUE(api.virtual_host_ptr->routes[1].match.is_catch_all());
  EXPECT_EQ(trace_call(*cfg, gw_call(8080, "app.example.com", "/")).cluster, "outbound|80||a.default.svc.cluster.local");
}

TEST(GatewayTest, S11_HttpsRedirectRequiresTls) {
  TestMesh m;
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [secure.example.com]
    tls: {httpsRedirect: true}
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [secure.example.com]
    tls: {mode: SIMPLE, credentialName: secure-cert}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: secure}
spec:
  hosts: [secure.example.com]
  gateways: [gw]
  http: [{route: [{destination: {host: secure, port: {number: 80}}}]}]
)");
  m.build();
  auto cfg = ingress(m);
  auto plain = trace_call(*cfg, gw_call(8080, "secure.example.com", "/"));
  EXPECT_EQ(plain.error, CallError::TlsRedirect);
  EXPECT_EQ(plain.virtual_host, "secure.example.com:80");
  Call tls = gw_call(8443, "secure.example.com", "/");
  tls.tls = Call::Tls::Tls;
  auto t = trace_call(*cfg, tls);
  EXPECT_EQ(t.error, CallError::None);
  EXPECT_EQ(t.route_config, "https.443.https.gw.default");
  EXPECT_EQ(t.cluster, "outbound|80||secure.default.svc.cluster.local");
  tls.tls = Call::Tls::Plaintext;  // plaintext to the terminating chain
  tls.sni = "secure.example.com";
  EXPECT_EQ(trace_call(*cfg, tls).error, CallError::TlsError);
}

// A plaintext HTTP server on a port a TLS server already holds is refused, as istiod does
// ("TLS server without TLS options"), after its route name was recorded (mergeGateways keeps it
// in serversByRouteName). The route table built for that name reads the refused server, which
// must therefore stay alive (it was destroyed before: a use after free under ASan).
TEST(GatewayTest, S11_RefusedHttpServerOnATlsPortKeepsItsRouteTableReadable) {
  TestMesh m;
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [secure.example.com]
    tls: {mode: SIMPLE, credentialName: secure-cert}
  - port: {number: 443, name: plain, protocol: HTTP}
    hosts: [plain.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: both}
spec:
  hosts: [secure.example.com, plain.example.com]
  gateways: [gw]
  http: [{route: [{destination: {host: secure, port: {number: 80}}}]}]
)");
  m.build();
  config::Diagnostics diags;
  auto cfg = ingress(m, &diags);
  ASSERT_NE(cfg, nullptr);
  bool refused = false;
  for (const auto& d : diags.items())
    if (d.field_path == "spec.servers[1]" &&
        d.message.find("already serves TLS, and this server has no TLS settings") != std::string::npos)
      refused = true;
  EXPECT_TRUE(refused);
  const RouteConfiguration* plain = cfg->find_route_config("http.8443");
  ASSERT_NE(plain, nullptr);
  bool plain_host = false;
  for (const auto& vh : plain->virtual_hosts)
    for (const auto& d : vh.domains) plain_host |= d == "plain.example.com";
  EXPECT_TRUE(plain_host);
  // The TLS server is unaffected.
  Call tls = gw_call(8443, "secure.example.com", "/");
  tls.tls = Call::Tls::Tls;
  tls.sni = "secure.example.com";
  auto t = trace_call(*cfg, tls);
  EXPECT_EQ(t.error, CallError::None);
  EXPECT_EQ(t.route_config, "https.443.https.gw.default");
}

TEST(GatewayTest, S11_TcpServerRoutesTcpEchoByWeight) {
  TestMesh m;
  config::Diagnostics diags;
  config::load_paths({kSamples + "tcp-echo/tcp-echo-services.yaml", kSamples + "tcp-echo/tcp-echo-all-v1.yaml",
                      kSamples + "tcp-echo/tcp-echo-20-v2.yaml"},
                     m.store, diags);
  ASSERT_FALSE(diags.has_errors());
  m.build();
  auto cfg = ingress(m);
  Call c;
  c.address = "10.244.0.1";
  c.port = 31400;
  c.protocol = Call::Protocol::Tcp;
  auto t = trace_call(*cfg, c);
  EXPECT_EQ(t.listener, "0.0.0.0_31400");
  ASSERT_NE(t.tcp, nullptr);
  ASSERT_EQ(t.tcp->clusters.size(), 2u);
  EXPECT_EQ(t.tcp->clusters[0].name, "outbound|9000|v1|tcp-echo.default.svc.cluster.local");
  EXPECT_EQ(t.tcp->clusters[0].weight, 80u);
  EXPECT_EQ(t.tcp->clusters[1].weight, 20u);
  EXPECT_NE(t.tcp->clusters[1].cluster, kNoCluster);
}

TEST(GatewayTest, S11_IngressResourcesBecomeGatewaysAndVirtualServices) {
  TestMesh m;
  m.load(R"(
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, annotations: {kubernetes.io/ingress.class: istio}}
spec:
  rules:
  - host: web.example.com
    http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 8080}}}}
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: other, annotations: {kubernetes.io/ingress.class: nginx}}
spec:
  rules:
  - host: nginx.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
)");
  m.build();
  auto cfg = ingress(m);
  auto api = trace_call(*cfg, gw_call(8080, "web.example.com", "/api/v1"));
  EXPECT_EQ(api.cluster, "outbound|8080||api.default.svc.cluster.local");
  // Ingress prefixes match whole path segments.
  EXPECT_EQ(trace_call(*cfg, gw_call(8080, "web.example.com", "/apix")).cluster,
            "outbound|80||web.default.svc.cluster.local");
  EXPECT_EQ(trace_call(*cfg, gw_call(8080, "nginx.example.com", "/")).error, CallError::NoVirtualHost);
}

TEST(GatewayTest, DESIGN3_1_GatewayApiGatewayGetsItsOwnDeploymentAndRoutes) {
  TestMesh m;
  config::Diagnostics diags;
  config::load_paths({kSamples + "bookinfo/platform/kube/bookinfo.yaml", kSamples + "bookinfo/gateway-api/bookinfo-gateway.yaml"},
                     m.store, diags);
  ASSERT_FALSE(diags.has_errors());
  m.build();
  const registry::Pod* gw = nullptr;
  for (const auto& p : m.reg.pods())
    if (p.workload == "bookinfo-gateway-istio") gw = &p;
  ASSERT_NE(gw, nullptr);
  EXPECT_TRUE(gw->gateway_proxy);
  EXPECT_NE(m.reg.find_service("bookinfo-gateway-istio.default.svc.cluster.local"), nullptr);
  ProxyIdentity id;
  id.namespace_ = gw->namespace_;
  id.labels = gw->labels;
  id.workload = gw->workload;
  auto cfg = compile_gateway(m.store, m.reg, id, MeshOptions{});
  auto t = trace_call(*cfg, gw_call(80, "anything", "/productpage"));
  EXPECT_EQ(t.error, CallError::None);
  EXPECT_EQ(t.listener, "0.0.0.0_80");
  EXPECT_EQ(t.cluster, "outbound|9080||productpage.default.svc.cluster.local");
  ASSERT_NE(t.route, nullptr);
  EXPECT_EQ(t.route->cluster_not_found_status, 500);  // Gateway API routes (§3.2)
  // PathPrefix /static matches /static/x but not /staticx.
  EXPECT_EQ(trace_call(*cfg, gw_call(80, "anything", "/static/app.css")).error, CallError::None);
  EXPECT_EQ(trace_call(*cfg, gw_call(80, "anything", "/staticx")).error, CallError::NoRoute);
  // The default ingress gateway is not bound by this Gateway.
  auto istio_ingress = ingress(m);
  EXPECT_EQ(trace_call(*istio_ingress, gw_call(8080, "anything", "/productpage")).error, CallError::NoListener);
}

TEST(GatewayTest, S1_2_GammaHttpRouteAppliesToTheMesh) {
  TestMesh m;
  config::Diagnostics diags;
  config::load_paths({kSamples + "bookinfo/platform/kube/bookinfo.yaml", kSamples + "bookinfo/platform/kube/bookinfo-versions.yaml",
                      kSamples + "bookinfo/gateway-api/route-reviews-90-10.yaml"},
                     m.store, diags);
  ASSERT_FALSE(diags.has_errors());
  m.build();
  auto cfg = m.compile("default", {{"app", "productpage"}});
  auto d = testing::decide(*cfg, 9080, "reviews", "/reviews/0");
  ASSERT_NE(d.route, nullptr);
  ASSERT_EQ(d.route->clusters.size(), 2u);
  EXPECT_EQ(d.route->clusters[0].name, "outbound|9080||reviews-v1.default.svc.cluster.local");
  EXPECT_EQ(d.route->clusters[0].weight, 90u);
  EXPECT_EQ(d.route->clusters[1].weight, 10u);
}

// docs/semantics.md §11 gateway selection, Gateway API form: a Gateway naming its Services in the
// internal gateway-service annotation applies only through Services of its own namespace
// (istiod's gatewayWithInstances never crosses a namespace boundary), so the same Service
// host in another namespace leaves the proxy without that Gateway's listener.
TEST(GatewayTest, S11_AnnotatedGatewayOnlyUsesServicesOfItsNamespace) {
  constexpr const char* kGateway = R"(
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: NS
  annotations: {internal.istio.io/gateway-service: gateway.apps.svc.cluster.local}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: gateway, namespace: apps}
spec:
  hosts: [gateway.apps.svc.cluster.local]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints: [{address: 10.9.9.9}]
)";
  for (const std::string ns : {"apps", "istio-system"}) {
    TestMesh m;
    std::string yaml = kGateway;
    yaml.replace(yaml.find("NS"), 2, ns);
    m.load(yaml);
    m.build();
    ProxyIdentity id;
    id.namespace_ = "apps";
    id.ip_addresses = {"10.9.9.9"};
    auto cfg = compile_gateway(m.store, m.reg, id, MeshOptions{});
    auto t = trace_call(*cfg, gw_call(80, "anything", "/"));
    if (ns == "apps") {
      EXPECT_EQ(t.listener, "0.0.0.0_80");
    } else {
      EXPECT_EQ(t.error, CallError::NoListener) << "a Gateway in " << ns;
    }
  }
}

}  // namespace
}  // namespace meshtwin::xds
