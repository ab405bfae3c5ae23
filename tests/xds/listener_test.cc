// Sidecar listeners and filter chains (docs/semantics.md §12.2, §13; tests/data/conformance/README.md "What
// Run does"), TCP and TLS routes, ServiceEntry addresses, and trace_call over them.
#include <gtest/gtest.h>

#include "model/xds/trace.h"
#include "tests/xds/xds_test_util.h"

namespace meshtwin::xds {
namespace {

using testing::TestMesh;

const Listener* listener(const ProxyConfig& cfg, std::string_view name) {
  for (const auto& l : cfg.listeners)
    if (l.name == name) return &l;
  return nullptr;
}

Call http_call(std::string address, std::uint32_t port, std::string host, std::string path = "/") {
  Call c;
  c.address = std::move(address);
  c.port = port;
  c.protocol = Call::Protocol::Http;
  c.host = std::move(host);
  c.path = std::move(path);
  return c;
}

Call tcp_call(std::string address, std::uint32_t port) {
  Call c;
  c.address = std::move(address);
  c.port = port;
  c.protocol = Call::Protocol::Tcp;
  return c;
}

constexpr const char* kServices = R"(
apiVersion: v1
kind: Service
metadata: {name: reviews}
spec:
  clusterIP: 10.96.0.50
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: tcp-echo}
spec:
  clusterIP: 10.96.0.60
  selector: {app: tcp-echo}
  ports: [{name: tcp, port: 9000}]
---
apiVersion: v1
kind: Service
metadata: {name: legacy}
spec:
  clusterIP: 10.96.0.70
  selector: {app: legacy}
  ports: [{name: web, port: 8000}]
)";

TEST(ListenerTest, S12_2_HttpPortListenerMatchesSniffedHttpAndFallsThrough) {
  TestMesh m;
  m.load(kServices);
  m.build();
  auto cfg = m.compile();
  const Listener* l = listener(*cfg, "0.0.0.0_9080");
  ASSERT_NE(l, nullptr);
  EXPECT_TRUE(l->http_inspector);
  ASSERT_EQ(l->filter_chains.size(), 1u);
  EXPECT_EQ(l->filter_chains[0].kind, FilterChain::Kind::Http);
  EXPECT_EQ(l->filter_chains[0].route_config_name, "9080");
  EXPECT_EQ(l->filter_chains[0].match.transport_protocol, "raw_buffer");
  ASSERT_TRUE(l->default_filter_chain);
  EXPECT_EQ(l->default_filter_chain->name, "PassthroughFilterChain");

  // Plaintext HTTP reaches the route table; TLS or raw TCP to the same port falls through.
  auto t = trace_call(*cfg, http_call("10.96.0.50", 9080, "reviews"));
  EXPECT_EQ(t.error, CallError::None);
  EXPECT_EQ(t.listener, "0.0.0.0_9080");
  EXPECT_EQ(t.route_config, "9080");
  EXPECT_EQ(t.cluster, "outbound|9080||reviews.default.svc.cluster.local");
  auto tcp = trace_call(*cfg, tcp_call("10.96.0.50", 9080));
  EXPECT_EQ(tcp.filter_chain, "PassthroughFilterChain");
  EXPECT_EQ(tcp.cluster, "PassthroughCluster");
}

TEST(ListenerTest, S12_2_RegistryOnlyBlocksHttpWith502AndTcpWithBlackHole) {
  TestMesh m;
  m.load(kServices);
  m.build();
  MeshOptions mesh;
  mesh.outbound_traffic_policy = "REGISTRY_ONLY";
  auto cfg = m.compile("default", {}, mesh);
  auto http = trace_call(*cfg, http_call("93.184.216.34", 9080, "example.com"));
  EXPECT_EQ(http.virtual_host, "block_all");
  ASSERT_NE(http.route, nullptr);
  EXPECT_EQ(http.route->action, Route::Action::DirectResponse);
  EXPECT_EQ(http.route->local_status, 502);
  auto tcp = trace_call(*cfg, tcp_call("93.184.216.34", 5432));  // no listener: virtualOutbound
  EXPECT_EQ(tcp.listener, "virtualOutbound");
  EXPECT_EQ(tcp.cluster, "BlackHoleCluster");
  // Connecting to the capture port itself never loops (TestLoop).
  EXPECT_EQ(trace_call(*cfg, tcp_call("1.2.3.4", 15001)).filter_chain, "virtualOutbound-blackhole");
}

TEST(ListenerTest, S13_TcpPortsListenOnTheVipAndSniffedPortsHaveBothChains) {
  TestMesh m;
  m.load(kServices);
  m.build();
  auto cfg = m.compile();
  const Listener* tcp = listener(*cfg, "10.96.0.60_9000");
  ASSERT_NE(tcp, nullptr);
  ASSERT_EQ(tcp->filter_chains.size(), 1u);
  EXPECT_EQ(tcp->filter_chains[0].kind, FilterChain::Kind::Tcp);
  EXPECT_EQ(tcp->filter_chains[0].tcp.clusters.at(0).name, "outbound|9000||tcp-echo.default.svc.cluster.local");
  EXPECT_EQ(listener(*cfg, "0.0.0.0_9000"), nullptr);

  // An unnamed (sniffed) port: HTTP by ALPN into a route table of its own, anything else TCP.
  const Listener* auto_l = listener(*cfg, "10.96.0.70_8000");
  ASSERT_NE(auto_l, nullptr);
  auto http = trace_call(*cfg, http_call("10.96.0.70", 8000, "legacy"));
  EXPECT_EQ(http.route_config, "legacy.default.svc.cluster.local:8000");
  EXPECT_EQ(http.cluster, "outbound|8000||legacy.default.svc.cluster.local");
  auto raw = trace_call(*cfg, tcp_call("10.96.0.70", 8000));
  EXPECT_EQ(raw.cluster, "outbound|8000||legacy.default.svc.cluster.local");
  EXPECT_TRUE(raw.route_config.empty());
}

TEST(ListenerTest, S13_TcpRouteWeightsBecomeATcpProxyWithWeightedClusters) {
  TestMesh m;
  m.load(kServices);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: tcp-echo}
spec:
  host: tcp-echo
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: tcp-echo}
spec:
  hosts: [tcp-echo]
  tcp:
  - match: [{port: 9000}]
    route:
    - {destination: {host: tcp-echo, subset: v1}, weight: 80}
    - {destination: {host: tcp-echo, subset: v2}, weight: 20}
)");
  m.build();
  auto cfg = m.compile();
  auto t = trace_call(*cfg, tcp_call("10.96.0.60", 9000));
  ASSERT_NE(t.tcp, nullptr);
  ASSERT_EQ(t.tcp->clusters.size(), 2u);
  EXPECT_EQ(t.tcp->vs_rule, "default/tcp-echo#tcp[0]");
  EXPECT_EQ(t.tcp->total_weight, 100u);
  EXPECT_EQ(t.tcp->clusters[0].name, "outbound|9000|v1|tcp-echo.default.svc.cluster.local");
  EXPECT_NE(t.tcp->clusters[1].cluster, kNoCluster);  // the subset cluster exists
  EXPECT_EQ(pick_weighted_cluster(*t.tcp, 79), 0u);
  EXPECT_EQ(pick_weighted_cluster(*t.tcp, 80), 1u);
  EXPECT_EQ(pick_weighted_cluster(*t.tcp, 199), 1u);  // 199 % 100 = 99
}

TEST(ListenerTest, S12_1_TlsServiceEntryWithoutVipMatchesBySniAndTlsRoutesAddChains) {
  TestMesh m;
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api}
spec:
  hosts: [api.example.com, www.example.com]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: www}
spec:
  hosts: [www.example.com]
  tls:
  - match: [{sniHosts: [www.example.com], port: 443}]
    route: [{destination: {host: api.example.com, port: {number: 443}}}]
)");
  m.build();
  auto cfg = m.compile();
  Call c;
  c.address = "93.184.216.34";
  c.port = 443;
  c.protocol = Call::Protocol::Http;
  c.tls = Call::Tls::Tls;
  c.host = "api.example.com";
  auto t = trace_call(*cfg, c);
  EXPECT_EQ(t.listener, "0.0.0.0_443");
  EXPECT_EQ(t.cluster, "outbound|443||api.example.com");
  c.host = "www.example.com";
  c.sni.clear();
  EXPECT_EQ(trace_call(*cfg, c).cluster, "outbound|443||api.example.com");  // the tls route
  c.host = "other.example.com";
  c.sni.clear();
  EXPECT_EQ(trace_call(*cfg, c).cluster, "PassthroughCluster");
}

TEST(ListenerTest, S12_1_MostSpecificCidrWinsAndEachAddressIsAListener) {
  TestMesh m;
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: wide}
spec:
  hosts: [wide.example]
  addresses: [10.0.0.0/8]
  ports: [{number: 5432, name: tcp, protocol: TCP}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: narrow}
spec:
  hosts: [narrow.example]
  addresses: [10.1.0.0/16, 192.168.1.10]
  ports: [{number: 5432, name: tcp, protocol: TCP}]
)");
  m.build();
  auto cfg = m.compile();
  EXPECT_EQ(trace_call(*cfg, tcp_call("10.1.2.3", 5432)).cluster, "outbound|5432||narrow.example");
  EXPECT_EQ(trace_call(*cfg, tcp_call("10.9.2.3", 5432)).cluster, "outbound|5432||wide.example");
  auto vip = trace_call(*cfg, tcp_call("192.168.1.10", 5432));
  EXPECT_EQ(vip.listener, "192.168.1.10_5432");
  EXPECT_EQ(vip.cluster, "outbound|5432||narrow.example");
}

TEST(ListenerTest, S13_HeadlessServicesGetAListenerPerEndpoint) {
  TestMesh m;
  m.load(R"(
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: tcp, port: 5432}, {name: http, port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, ports: [{containerPort: 5432}]}]}
)");
  m.build();
  auto cfg = m.compile();
  const auto& pods = m.reg.pods();
  ASSERT_EQ(pods[0].workload, "db");
  auto t = trace_call(*cfg, tcp_call(pods[0].ip, 5432));
  EXPECT_EQ(t.listener, pods[0].ip + "_5432");
  EXPECT_EQ(t.cluster, "outbound|5432||db.default.svc.cluster.local");
  EXPECT_NE(listener(*cfg, pods[1].ip + "_5432"), nullptr);
  EXPECT_NE(listener(*cfg, "0.0.0.0_80"), nullptr);  // HTTP stays on the wildcard
}

// The eight TestExternalNameServices cases of the corpus whose kube_objects lost the `concrete`
// Service (tests/data/conformance/expected-failures.txt), with the Service as upstream builds it.
constexpr const char* kExternalName = R"(
apiVersion: v1
kind: Service
metadata: {name: alias, namespace: default}
spec:
  type: ExternalName
  externalName: concrete.default.svc.cluster.local
---
apiVersion: v1
kind: Service
metadata: {name: concrete, namespace: default}
spec:
  clusterIP: 1.2.3.4
  ports:
  - {name: http, port: 80}
  - {name: auto, port: 81}
  - {name: tcp, port: 82}
  - {name: tls, port: 83}
  - {name: https, port: 84}
)";

TEST(ListenerTest, ExternalNameCorpusCasesWithTheServiceAsUpstreamDefinesIt) {
  MeshOptions mesh;
  mesh.config_domain = "";  // as the corpus harness resolves short names
  {
    // TestExternalNameServices, first run: the Services alone.
    TestMesh m;
    m.load(kExternalName);
    m.build();
    auto cfg = m.compile("default", {}, mesh);
    EXPECT_EQ(trace_call(*cfg, http_call("1.2.3.4", 80, "alias.default.svc.cluster.local")).cluster,
              "outbound|80||concrete.default.svc.cluster.local");
    EXPECT_EQ(trace_call(*cfg, http_call("1.2.3.4", 81, "alias.default.svc.cluster.local")).cluster,
              "outbound|81||concrete.default.svc.cluster.local");
    EXPECT_EQ(trace_call(*cfg, tcp_call("1.2.3.4", 81)).cluster, "outbound|81||concrete.default.svc.cluster.local");
    EXPECT_EQ(trace_call(*cfg, tcp_call("1.2.3.4", 82)).cluster, "outbound|82||concrete.default.svc.cluster.local");
    Call tls83 = tcp_call("1.2.3.4", 83);
    tls83.tls = Call::Tls::Tls;
    tls83.host = "alias.default";
    EXPECT_EQ(trace_call(*cfg, tls83).cluster, "outbound|83||concrete.default.svc.cluster.local");
  }
  TestMesh m;
  m.load(kExternalName);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: alias}
spec:
  hosts: [alias.default.svc.cluster.local]
  http:
  - name: route1
    match: [{uri: {prefix: /one}}]
    route: [{destination: {host: concrete.default.svc.cluster.local}}]
)");
  m.build();
  auto cfg = m.compile("default", {}, mesh);
  // The alias VS applies to the alias FQDN on the HTTP port only, never to the concrete host,
  // and not at all on the sniffed port (its route table is the concrete service's own).
  EXPECT_EQ(trace_call(*cfg, http_call("1.2.3.4", 80, "alias.default.svc.cluster.local", "/one")).route_name, "route1");
  auto concrete = trace_call(*cfg, http_call("1.2.3.4", 80, "concrete.default.svc.cluster.local", "/one"));
  EXPECT_EQ(concrete.route_name, "default");
  EXPECT_EQ(concrete.cluster, "outbound|80||concrete.default.svc.cluster.local");
  auto sniffed = trace_call(*cfg, http_call("1.2.3.4", 81, "alias.default.svc.cluster.local", "/one"));
  EXPECT_EQ(sniffed.route_name, "default");
  EXPECT_EQ(sniffed.cluster, "outbound|81||concrete.default.svc.cluster.local");
  // TCP VirtualServices of the alias do not apply to the concrete service's TCP port.
  EXPECT_EQ(trace_call(*cfg, tcp_call("1.2.3.4", 82)).cluster, "outbound|82||concrete.default.svc.cluster.local");
}

TEST(ListenerTest, S2_3_TraceExplainsWhyEachRouteDidNotMatch) {
  TestMesh m;
  m.load(kServices);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews}}]
  - match: [{uri: {prefix: /v2}}]
    route: [{destination: {host: reviews}}]
)");
  m.build();
  auto cfg = m.compile();
  auto t = trace_call(*cfg, http_call("10.96.0.50", 9080, "reviews", "/reviews/1"));
  EXPECT_EQ(t.error, CallError::NoRoute);
  ASSERT_EQ(t.routes_tried.size(), 2u);
  EXPECT_NE(t.routes_tried[0].why.find("header end-user is absent"), std::string::npos) << t.routes_tried[0].why;
  EXPECT_NE(t.routes_tried[1].why.find("prefix /v2"), std::string::npos) << t.routes_tried[1].why;
  Call jason = http_call("10.96.0.50", 9080, "reviews", "/reviews/1");
  jason.headers = {{"end-user", "jason"}};
  EXPECT_EQ(trace_call(*cfg, jason).error, CallError::None);
}

// docs/semantics.md §12.1: with DNS capture and auto-allocation, a ServiceEntry without addresses is
// reached at its legacy auto-allocated VIP: TCP-like ports get a listener bound to it (upstream
// TestServiceEntryDuplicatedHostname: 240.240.91.120_443), HTTP stays on the wildcard listener,
// and the VIP joins the virtual host's domains. A proxy without auto-allocation sees no VIP.
TEST(ListenerTest, S12_1_DnsAutoAllocatedAddressesBindTcpListeners) {
  TestMesh m;
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: web}
spec:
  hosts: [istio.io]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: tls}
spec:
  hosts: [istio.io]
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: DNS
)");
  registry::RegistryOptions options;
  options.legacy_ip_autoallocate = true;
  m.reg = registry::Registry::build(m.store, m.diags, options);
  ProxyIdentity id;
  id.namespace_ = "default";
  id.dns_auto_allocate = true;
  auto cfg = compile_sidecar(m.store, m.reg, id, MeshOptions{});
  EXPECT_NE(listener(*cfg, "240.240.91.120_443"), nullptr);
  EXPECT_EQ(listener(*cfg, "0.0.0.0_443"), nullptr);
  EXPECT_NE(listener(*cfg, "0.0.0.0_80"), nullptr);
  auto tls = trace_call(*cfg, tcp_call("240.240.91.120", 443));
  EXPECT_EQ(tls.listener, "240.240.91.120_443");
  EXPECT_EQ(tls.cluster, "outbound|443||istio.io");
  auto d = testing::decide(*cfg, 80, "240.240.91.120");
  ASSERT_NE(d.vhost, nullptr);
  EXPECT_EQ(d.vhost->name, "istio.io:80");

  auto plain = m.compile();
  EXPECT_EQ(listener(*plain, "240.240.91.120_443"), nullptr);
  EXPECT_NE(listener(*plain, "0.0.0.0_443"), nullptr);
}

}  // namespace
}  // namespace meshtwin::xds
