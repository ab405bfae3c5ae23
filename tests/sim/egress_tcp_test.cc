// Connections as the unit (tcp:// and the app's own TLS), hosts outside the mesh (ServiceEntry
// endpoints, passthrough destinations) with the behaviour the scenario's `externals` give them,
// outboundTrafficPolicy in the simulation, and gateways relaying what they receive. Each test
// names the docs/semantics.md section it pins.

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "mesh_fixture.h"
#include "model/telemetry/response_flags.h"

namespace meshtwin {
namespace {

using telemetry::format_response_flags;

// A TCP service `db` (port named tcp) with a v1 and a v2 pod.
constexpr const char* kDb = R"(
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  selector: {app: db}
  ports: [{name: tcp, port: 5432}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db-v1}
spec:
  selector: {matchLabels: {app: db, version: v1}}
  template:
    metadata: {labels: {app: db, version: v1}}
    spec: {containers: [{name: db, image: x, ports: [{containerPort: 5432}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db-v2}
spec:
  selector: {matchLabels: {app: db, version: v2}}
  template:
    metadata: {labels: {app: db, version: v2}}
    spec: {containers: [{name: db, image: x, ports: [{containerPort: 5432}]}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: db}
spec:
  host: db
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
)";

std::map<std::string, int> versions(const testing::MemorySink& sink) {
  std::map<std::string, int> out;
  for (const auto& r : sink.requests) ++out[r.destination_version];
  return out;
}

TEST_F(MeshTest, TcpRouteWeightsSplitConnections_Sem3_3_Sem13) {
  auto sink = run(R"(  duration: 20s
  clients:
    - {name: c, from: {workload: client}, to: "tcp://db:5432", rate: {constant: 100}}
)",
                  std::string(kDb) + R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db}
spec:
  hosts: [db]
  tcp:
  - match: [{port: 5432}]
    route:
    - {destination: {host: db, subset: v1}, weight: 80}
    - {destination: {host: db, subset: v2}, weight: 20}
)");
  ASSERT_EQ(sink.requests.size(), 2000u);  // one row per connection
  EXPECT_EQ(codes(sink)[200], 2000);
  const auto v = versions(sink);
  EXPECT_NEAR(v.at("v2") / 2000.0, 0.2, 0.03);
  EXPECT_NEAR(v.at("v1") / 2000.0, 0.8, 0.03);
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.vs_rule, "default/db#tcp[0]");
    EXPECT_EQ(r.attempts, 1);  // tcp_proxy: one connect attempt, no retries
    EXPECT_EQ(r.destination_service, "db.default.svc.cluster.local");
  }
  std::map<std::string, int> clusters;
  for (const auto& s : sink.spans) ++clusters[s.cluster];
  EXPECT_EQ(clusters.size(), 2u);
  EXPECT_EQ(clusters.count("outbound|5432|v2|db.default.svc.cluster.local"), 1u);
}

TEST_F(MeshTest, TcpWithoutVirtualServiceSpreadsOverAllPods_Sem2_6) {
  auto sink = run(R"(  duration: 10s
  clients:
    - {name: c, from: {workload: client}, to: "tcp://db:5432", rate: {constant: 100}}
)",
                  kDb);
  ASSERT_EQ(sink.requests.size(), 1000u);
  const auto v = versions(sink);
  EXPECT_NEAR(v.at("v1") / 1000.0, 0.5, 0.05);
  EXPECT_EQ(sink.requests[0].vs_rule, "-");
}

TEST_F(MeshTest, TcpMaxConnectionsRefusesAtOnceWithUO_Sem9_1_Sem14) {
  // Each connection holds its upstream connection for 100 ms; at 100/s about ten would be open,
  // but the DestinationRule allows two. A tcp_proxy has no queue: the rest are refused at once.
  auto sink = run(R"(  duration: 10s
  apps:
    db-v1: {serviceTime: 100ms}
    db-v2: {serviceTime: 100ms}
  clients:
    - {name: c, from: {workload: client}, to: "tcp://db:5432", rate: {constant: 100}}
)",
                  std::string(kDb) + R"(---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: db-limits}
spec:
  host: db.default.svc.cluster.local
  trafficPolicy:
    connectionPool: {tcp: {maxConnections: 2}}
)");
  ASSERT_EQ(sink.requests.size(), 1000u);
  int overflowed = 0, served = 0;
  for (const auto& r : sink.requests) {
    if (r.code == 503 && format_response_flags(r.flags) == "UO") {
      ++overflowed;
      EXPECT_LT(r.duration, engine::SimDuration::from_ns(1'000'000));  // refused at once, not queued
    } else if (r.code == 200) {
      ++served;
    }
  }
  EXPECT_EQ(overflowed + served, 1000);
  EXPECT_GT(overflowed, 600);
  EXPECT_GT(served, 150);
}

TEST_F(MeshTest, TcpAppFailureClosesTheConnection_Sem14) {
  auto sink = run(R"(  duration: 10s
  apps:
    db-v1: {failures: [{rate: 1.0, kind: status, status: 500}]}
    db-v2: {failures: [{rate: 1.0, kind: status, status: 500}]}
  clients:
    - {name: c, from: {workload: client}, to: "tcp://db:5432", rate: {constant: 10}}
)",
                  kDb);
  ASSERT_EQ(sink.requests.size(), 100u);
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.code, 503);
    EXPECT_EQ(format_response_flags(r.flags), "UC");
  }
}

TEST_F(MeshTest, TcpFromACallerWithoutSidecarReadsTheSame_Sem14) {
  auto sink = run(R"(  duration: 10s
  apps:
    db-v1: {failures: [{rate: 1.0, kind: status, status: 500}]}
  clients:
    - {name: c, from: {workload: plain}, to: "tcp://db:5432", rate: {constant: 10}}
)",
                  std::string(kDb) + R"(---
apiVersion: apps/v1
kind: Deployment
metadata: {name: plain}
spec:
  selector: {matchLabels: {app: plain}}
  template:
    metadata: {labels: {app: plain}, annotations: {sidecar.istio.io/inject: "false"}}
    spec: {containers: [{name: c, image: x}]}
)");
  ASSERT_EQ(sink.requests.size(), 100u);
  EXPECT_TRUE(sink.spans.empty());  // no proxy on the way
  int failed = 0;
  for (const auto& r : sink.requests) {
    if (r.destination_version == "v1") {
      ++failed;
      EXPECT_EQ(r.code, 503);
      EXPECT_EQ(format_response_flags(r.flags), "UC");
    } else {
      EXPECT_EQ(r.code, 200);
    }
  }
  EXPECT_GT(failed, 20);
}

// api.example.org: two STATIC endpoints outside the mesh; the scenario makes one slow and the
// other fail.
constexpr const char* kApiEntry = R"(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api}
spec:
  hosts: [api.example.org]
  location: MESH_EXTERNAL
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints:
  - {address: 192.0.2.1}
  - {address: 192.0.2.2}
)";

TEST_F(MeshTest, ServiceEntryEndpointsAnswerAsExternalsSay_Sem12_1) {
  auto sink = run(R"(  duration: 20s
  network: {latency: 0s}
  externals:
    192.0.2.1: {latency: 50ms}
    192.0.2.2: {failures: [{rate: 1.0, kind: status, status: 500}]}
  clients:
    - {name: c, from: {workload: client}, to: "http://api.example.org/v1/items", rate: {constant: 50}}
)",
                  kApiEntry);
  ASSERT_EQ(sink.requests.size(), 1000u);
  std::map<std::string, int> pods;
  for (const auto& s : sink.spans) {
    EXPECT_EQ(s.cluster, "outbound|80||api.example.org");
    EXPECT_EQ(s.destination_service, "api.example.org");
    ++pods[s.destination_pod];
    if (s.destination_pod == "192.0.2.1") {
      EXPECT_EQ(s.code, 200);
      EXPECT_GE(s.duration, engine::SimDuration::from_ns(100'000'000));  // 50 ms each way
    } else {
      EXPECT_EQ(s.destination_pod, "192.0.2.2");
      EXPECT_EQ(s.code, 500);
    }
  }
  // Istio's default LEAST_REQUEST sees the slow endpoint busier, so the one failing fast gets
  // more of the requests (§8.2): a classic way a broken external endpoint draws traffic.
  EXPECT_GT(pods["192.0.2.1"], 200);
  EXPECT_GT(pods["192.0.2.2"], pods["192.0.2.1"]);
  EXPECT_EQ(codes(sink)[500], pods["192.0.2.2"]);
}

TEST_F(MeshTest, AllowAnyPassesUnknownHostsToTheOutside_Sem12_2) {
  auto sink = run(R"(  duration: 10s
  externals:
    api.example.net: {serviceTime: 20ms}
  clients:
    - {name: http, from: {workload: client}, to: "http://api.example.net/x", rate: {constant: 20}}
    - {name: tls, from: {workload: client}, to: "https://api.example.net/x", rate: {constant: 20}}
    - {name: tcp, from: {workload: client}, to: "tcp://api.example.net:6379", rate: {constant: 20}}
)");
  ASSERT_EQ(sink.requests.size(), 600u);
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.code, 200) << r.client;
    EXPECT_EQ(r.destination_service, "api.example.net") << r.client;
    EXPECT_GE(r.duration, engine::SimDuration::from_ns(20'000'000)) << r.client;  // the outside host's service time
  }
  for (const auto& s : sink.spans) EXPECT_EQ(s.cluster, "PassthroughCluster");
}

TEST_F(MeshTest, PassthroughConnectsOnceAndReusesTheConnection_Sem12_1_Sem9_2) {
  // ORIGINAL_DST makes the dialled destination a host with its own pool: the first request pays
  // the connect round trip (2 × 10 ms), later ones reuse the HTTP/1.1 connection (one worker:
  // each Envoy worker has pools of its own).
  auto sink = run(R"(  duration: 5s
  mesh: {proxyCpu: none, proxyWorkers: 1}
  network: {latency: 10ms}
  clients:
    - {name: c, from: {workload: client}, to: "http://api.example.net/x", rate: {constant: 2}}
)");
  ASSERT_EQ(sink.requests.size(), 10u);
  EXPECT_EQ(sink.requests[0].duration, engine::SimDuration::from_ns(40'000'000));
  for (std::size_t i = 1; i < sink.requests.size(); ++i) EXPECT_EQ(sink.requests[i].duration, engine::SimDuration::from_ns(20'000'000));
}

TEST_F(MeshTest, RegistryOnlyBlocksUnknownHosts_Sem12_2) {
  auto sink = run(R"(  duration: 10s
  mesh: {outboundTrafficPolicy: REGISTRY_ONLY}
  clients:
    - {name: http, from: {workload: client}, to: "http://api.example.net/x", rate: {constant: 20}}
    - {name: tls, from: {workload: client}, to: "https://api.example.net/x", rate: {constant: 20}}
    - {name: registered, from: {workload: client}, to: "http://api.example.org/x", rate: {constant: 20}}
)",
                  kApiEntry);
  ASSERT_EQ(sink.requests.size(), 600u);
  for (const auto& r : sink.requests) {
    if (r.client == "http") {
      EXPECT_EQ(r.code, 502);  // the block_all route's direct response, no flag
      EXPECT_EQ(r.flags, 0u);
    } else if (r.client == "tls") {
      EXPECT_EQ(r.code, 503);  // BlackHoleCluster has no hosts: the connection is closed
      EXPECT_EQ(format_response_flags(r.flags), "UH");
    } else {
      EXPECT_EQ(r.code, 200);  // a ServiceEntry makes the host known
    }
  }
}

TEST_F(MeshTest, TlsRoutesMatchTheSni_Sem13) {
  // Two external TLS hosts behind one port; a VirtualService sends the SNI of one to the other.
  auto sink = run(R"(  duration: 10s
  clients:
    - {name: a, from: {workload: client}, to: "https://a.example.com/", rate: {constant: 20}}
    - {name: b, from: {workload: client}, to: "https://b.example.com/", rate: {constant: 20}}
)",
                  R"(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: tls-hosts}
spec:
  hosts: [a.example.com, b.example.com]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a-to-b}
spec:
  hosts: [a.example.com]
  tls:
  - match: [{port: 443, sniHosts: [a.example.com]}]
    route: [{destination: {host: b.example.com, port: {number: 443}}}]
)");
  ASSERT_EQ(sink.requests.size(), 400u);
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.code, 200);
    EXPECT_EQ(r.destination_service, "b.example.com") << r.client;
    EXPECT_EQ(r.vs_rule, r.client == "a" ? "default/a-to-b#tls[0]" : "-");
  }
}

TEST_F(MeshTest, ExternalNameAndHeadlessServicesRoute_Sem13) {
  // An ExternalName alias of `back` reaches back's pods through its virtual host; a headless
  // service is ORIGINAL_DST: the pod DNS gave, no load balancer.
  auto sink = run(R"(  duration: 5s
  clients:
    - {name: alias, from: {workload: client}, to: "http://back-alias:9090/x", rate: {constant: 20}}
    - {name: headless, from: {workload: client}, to: "http://back-headless:9090/x", rate: {constant: 20}}
)",
                  R"(
apiVersion: v1
kind: Service
metadata: {name: back-alias}
spec: {type: ExternalName, externalName: back.default.svc.cluster.local}
---
apiVersion: v1
kind: Service
metadata: {name: back-headless}
spec:
  clusterIP: None
  selector: {app: back}
  ports: [{name: http, port: 9090}]
)");
  ASSERT_EQ(sink.requests.size(), 200u);
  EXPECT_EQ(codes(sink)[200], 200);
  std::map<std::string, int> clusters;
  for (const auto& s : sink.spans) ++clusters[s.cluster];
  EXPECT_EQ(clusters["outbound|9090||back.default.svc.cluster.local"], 100);
  EXPECT_EQ(clusters["outbound|9090||back-headless.default.svc.cluster.local"], 100);
}

TEST_F(MeshTest, UnknownClusterLocalNameIsAnInputError) {
  write("scenario.yaml", R"(apiVersion: meshtwin.dev/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  manifests: [base.yaml]
  clients:
    - {name: c, from: {workload: client}, to: "http://nosuch:80/", rate: {constant: 1}}
)");
  config::Diagnostics diags;
  auto spec = scenario::load_scenario((dir_ / "scenario.yaml").string(), {}, diags);
  ASSERT_TRUE(spec);
  EXPECT_FALSE(scenario::Mesh::build(*spec, diags));
  ASSERT_TRUE(diags.has_errors());
  EXPECT_NE(diags.items().back().format().find("spec.clients[0].to"), std::string::npos);
}

// Istio's egress gateway task: the sidecar sends httpbin.org to istio-egressgateway, which
// routes it out through the ServiceEntry's cluster (§11, §12.1).
constexpr const char* kEgressGateway = R"(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin-ext}
spec:
  hosts: [httpbin.org]
  ports: [{number: 80, name: http-port, protocol: HTTP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: istio-egressgateway}
spec:
  selector: {istio: egressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [httpbin.org]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: direct-httpbin-through-egress-gateway}
spec:
  hosts: [httpbin.org]
  gateways: [istio-egressgateway, mesh]
  http:
  - match: [{gateways: [mesh], port: 80}]
    route: [{destination: {host: istio-egressgateway.istio-system.svc.cluster.local, port: {number: 80}}}]
  - match: [{gateways: [istio-egressgateway], port: 80}]
    route: [{destination: {host: httpbin.org, port: {number: 80}}}]
)";

TEST_F(MeshTest, EgressGatewayRelaysToTheOutside_Sem11_Sem12_1) {
  auto sink = run(R"(  duration: 10s
  externals:
    httpbin.org: {serviceTime: 10ms}
  clients:
    - {name: c, from: {workload: client}, to: "http://httpbin.org/headers", rate: {constant: 20}}
)",
                  kEgressGateway);
  ASSERT_EQ(sink.requests.size(), 200u);
  EXPECT_EQ(codes(sink)[200], 200);
  std::map<std::string, int> hops;
  for (const auto& s : sink.spans) ++hops[s.source_workload + " -> " + s.cluster];
  EXPECT_EQ(hops["client -> outbound|80||istio-egressgateway.istio-system.svc.cluster.local"], 200);
  EXPECT_EQ(hops["istio-egressgateway -> outbound|80||httpbin.org"], 200);
  for (const auto& s : sink.spans) {
    if (s.source_workload != "istio-egressgateway") continue;
    EXPECT_EQ(s.destination_pod, "httpbin.org");
    EXPECT_NE(s.parent_span_id, 0u);  // the sidecar's attempt is its parent
  }
}

TEST_F(MeshTest, EgressGatewayAnswersForHostsItHasNoRouteFor_Sem11) {
  // Sending another host to the egress gateway: the gateway has no server for it, so its own
  // 404 comes back through the sidecar.
  auto sink = run(R"(  duration: 5s
  clients:
    - {name: c, from: {workload: client}, to: "http://istio-egressgateway.istio-system/x", rate: {constant: 20}}
)",
                  kEgressGateway);
  ASSERT_EQ(sink.requests.size(), 100u);
  EXPECT_EQ(codes(sink)[404], 100);
}

TEST_F(MeshTest, GatewayTerminatesTlsForHttpsClients_Sem11) {
  // A SIMPLE TLS server: the gateway terminates the client's TLS and routes the HTTP inside.
  auto sink = run(R"(  duration: 5s
  clients:
    - {name: routed, from: {gateway: istio-system/istio-ingressgateway}, to: "https://back.example.com/api/x", rate: {constant: 20}}
    - {name: unrouted, from: {gateway: istio-system/istio-ingressgateway}, to: "https://back.example.com/other", rate: {constant: 20}}
)",
                  R"(
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: tls-gw}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    tls: {mode: SIMPLE, credentialName: back-cert}
    hosts: [back.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: back-edge}
spec:
  hosts: [back.example.com]
  gateways: [tls-gw]
  http:
  - match: [{uri: {prefix: /api}}]
    route: [{destination: {host: back, port: {number: 9090}}}]
)");
  ASSERT_EQ(sink.requests.size(), 200u);
  for (const auto& r : sink.requests) {
    if (r.client == "routed") {
      EXPECT_EQ(r.code, 200);
      EXPECT_EQ(r.vs_rule, "default/back-edge#http[0]");
      EXPECT_EQ(r.destination_service, "back.default.svc.cluster.local");
    } else {
      EXPECT_EQ(r.code, 404);  // the HTTP inside the TLS matched no route
      EXPECT_EQ(format_response_flags(r.flags), "NR");
    }
  }
}

TEST_F(MeshTest, TimelineChangesAnOutsideHost_Sem12_1) {
  // httpbin.org starts failing at 5 s and heals at 10 s; an unlisted host can be changed too.
  auto sink = run(R"(  duration: 15s
  externals:
    httpbin.org: {serviceTime: 1ms}
  clients:
    - {name: listed, from: {workload: client}, to: "http://httpbin.org/get", rate: {constant: 20}}
    - {name: unlisted, from: {workload: client}, to: "http://api.example.net/get", rate: {constant: 20}}
  timeline:
    - {at: 5s, app: {httpbin.org: {failures: [{rate: 1.0, kind: status, status: 500}]}, api.example.net: {serviceTime: 50ms}}}
    - {at: 10s, app: {httpbin.org: {failures: []}}}
)");
  ASSERT_EQ(sink.requests.size(), 600u);
  for (const auto& r : sink.requests) {
    const double t = engine::to_seconds(r.start);
    if (t < 4.99 || (t > 5.01 && t < 9.99) || t > 10.01) {
      if (r.client == "listed") EXPECT_EQ(r.code, (t > 5 && t < 10) ? 500 : 200) << t;
      if (r.client == "unlisted") EXPECT_EQ(r.duration >= 50 * engine::kMillisecond, t > 5) << t;
    }
  }
}

TEST_F(MeshTest, OutsideHostsMakeNoCalls) {
  write("scenario.yaml", R"(apiVersion: meshtwin.dev/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  manifests: [base.yaml]
  clients:
    - {name: c, from: {workload: client}, to: "http://httpbin.org/", rate: {constant: 1}}
  timeline:
    - {at: 1s, app: {httpbin.org: {calls: [{to: "http://back:9090/"}]}}}
)");
  config::Diagnostics diags;
  auto spec = scenario::load_scenario((dir_ / "scenario.yaml").string(), {}, diags);
  ASSERT_TRUE(spec);
  EXPECT_FALSE(scenario::Mesh::build(*spec, diags));
  ASSERT_TRUE(diags.has_errors());
  EXPECT_NE(diags.items().back().format().find("makes no calls"), std::string::npos);
}

}  // namespace
}  // namespace meshtwin

namespace meshtwin {
namespace {

// Issue 11 §6: behind a gateway server that terminates TLS the request's :scheme is https (the
// `scheme: {exact: https}` rule routes it to v2); plain HTTP on the same gateway stays http (v1).
TEST_F(MeshTest, SchemeIsHttpsAfterTheGatewayTerminatesTls_Issue11) {
  auto sink = run(R"(  duration: 5s
  clients:
    - {name: tls, from: {gateway: istio-system/istio-ingressgateway}, to: "https://back.example.com/", rate: {constant: 20}}
    - {name: plain, from: {gateway: istio-system/istio-ingressgateway}, to: "http://back.example.com/", rate: {constant: 20}}
)",
                  R"(
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [back.example.com]
  - port: {number: 443, name: https, protocol: HTTPS}
    tls: {mode: SIMPLE, credentialName: back-cert}
    hosts: [back.example.com]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: back}
spec:
  host: back
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: back-edge}
spec:
  hosts: [back.example.com]
  gateways: [gw]
  http:
  - match: [{scheme: {exact: https}}]
    route: [{destination: {host: back, subset: v2, port: {number: 9090}}}]
  - route: [{destination: {host: back, subset: v1, port: {number: 9090}}}]
)");
  ASSERT_EQ(sink.requests.size(), 200u);
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.code, 200);
    EXPECT_EQ(r.destination_version, r.client == "tls" ? "v2" : "v1") << r.client;
  }
}

}  // namespace
}  // namespace meshtwin
