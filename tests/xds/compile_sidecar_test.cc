// compile_sidecar end to end from YAML: route tables, virtual hosts and domains (docs/semantics.md §1),
// VirtualService translation (§2, §3, §5.1, §6), catch-all virtual hosts (§2.5, §12.2),
// clusters and endpoints (§3.2, §13).
#include <gtest/gtest.h>

#include "tests/xds/xds_test_util.h"

namespace meshtwin::xds {
namespace {

using testing::cluster_of;
using testing::decide;
using testing::find_cluster;
using testing::find_vhost;
using testing::TestMesh;

constexpr const char* kBase = R"(
apiVersion: v1
kind: Service
metadata: {name: productpage}
spec:
  selector: {app: productpage}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: reviews}
spec:
  selector: {app: reviews}
  clusterIP: 10.96.0.50
  ports: [{name: http, port: 9080, targetPort: http-api}]
---
apiVersion: v1
kind: Service
metadata: {name: ratings}
spec:
  selector: {app: ratings}
  ports: [{name: http, port: 9080}, {name: grpc-admin, port: 7070}, {name: tcp-db, port: 3306}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: productpage-v1}
spec:
  selector: {matchLabels: {app: productpage}}
  template:
    metadata: {labels: {app: productpage, version: v1}}
    spec: {containers: [{name: p, ports: [{containerPort: 9080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1}
spec:
  replicas: 2
  selector: {matchLabels: {app: reviews, version: v1}}
  template:
    metadata: {labels: {app: reviews, version: v1}}
    spec: {containers: [{name: r, ports: [{name: http-api, containerPort: 9080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v2}
spec:
  selector: {matchLabels: {app: reviews, version: v2}}
  template:
    metadata: {labels: {app: reviews, version: v2}}
    spec: {containers: [{name: r, ports: [{name: http-api, containerPort: 9090}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ratings-v1}
spec:
  selector: {matchLabels: {app: ratings, version: v1}}
  template:
    metadata: {labels: {app: ratings, version: v1}}
    spec: {containers: [{name: r}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: other}
spec:
  selector: {app: web}
  ports: [{name: http-web, port: 80}]
)";

constexpr const char* kReviewsDr = R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - {name: v3, labels: {version: v3}}
)";

const std::string kReviews = "reviews.default.svc.cluster.local";
const std::string kReviewsV1 = "outbound|9080|v1|reviews.default.svc.cluster.local";
const std::string kReviewsV2 = "outbound|9080|v2|reviews.default.svc.cluster.local";
const std::string kReviewsAll = "outbound|9080||reviews.default.svc.cluster.local";

// ------------------------------------------------------------------ default routes (§2.6)

TEST(CompileSidecarTest, S2_6_NoVirtualServiceGivesTheDefaultRoute) {
  TestMesh m;
  m.load(kBase);
  m.build();
  auto cfg = m.compile("default", {{"app", "productpage"}});
  const RouteConfiguration* rc = cfg->route_config_for_port(9080);
  ASSERT_NE(rc, nullptr);
  EXPECT_EQ(rc->name, "9080");
  const VirtualHost* vh = find_vhost(*rc, kReviews + ":9080");
  ASSERT_NE(vh, nullptr);
  ASSERT_EQ(vh->routes.size(), 1u);
  const Route& r = vh->routes[0];
  EXPECT_EQ(r.name, "default");
  EXPECT_EQ(r.vs_rule, "-");
  EXPECT_TRUE(r.match.is_catch_all());
  ASSERT_EQ(r.clusters.size(), 1u);
  EXPECT_EQ(r.clusters[0].name, kReviewsAll);
  EXPECT_NE(r.clusters[0].cluster, kNoCluster);
  EXPECT_EQ(r.timeout, engine::SimDuration{});
  // §5.1 default retry policy, Istio >= 1.24: upstream 503s are not retried.
  ASSERT_TRUE(r.retry.has_value());
  EXPECT_EQ(r.retry->num_retries, 2u);
  EXPECT_EQ(r.retry->retry_on, kRetryConnectFailure | kRetryRefusedStream | kRetryGrpcUnavailable |
                                   kRetryGrpcCancelled | kRetryRetriableStatusCodes);
  EXPECT_TRUE(r.retry->retriable_status_codes.empty());
  EXPECT_TRUE(r.retry->previous_hosts_predicate);
  EXPECT_EQ(r.retry->host_selection_retry_max_attempts, 5u);
  EXPECT_EQ(r.retry->per_try_timeout, engine::SimDuration{});

  auto d = decide(*cfg, 9080, "reviews:9080", "/reviews/0");
  EXPECT_EQ(cluster_of(d), kReviewsAll);
}

TEST(CompileSidecarTest, S5_1_Istio123DefaultRetriesRetry503) {
  TestMesh m;
  m.load(kBase);
  m.build();
  MeshOptions old;
  old.istio_version = "1.23";
  auto cfg = m.compile("default", {}, old);
  auto d = decide(*cfg, 9080, "reviews", "/");
  ASSERT_NE(d.route, nullptr);
  ASSERT_TRUE(d.route->retry.has_value());
  EXPECT_EQ(d.route->retry->retriable_status_codes, (std::vector<std::uint32_t>{503}));
  MeshOptions now;
  now.istio_version = "1.31.0";
  auto cfg2 = m.compile("default", {}, now);
  EXPECT_TRUE(decide(*cfg2, 9080, "reviews", "/").route->retry->retriable_status_codes.empty());
}

TEST(CompileSidecarTest, S1_5_DomainsAreTheShortFormsValidFromTheCallersNamespace) {
  TestMesh m;
  m.load(kBase);
  m.build();
  auto same = m.compile("default");
  const VirtualHost* vh = find_vhost(*same->route_config_for_port(9080), kReviews + ":9080");
  ASSERT_NE(vh, nullptr);
  EXPECT_EQ(vh->domains, (std::vector<std::string>{kReviews, "reviews", "reviews.default.svc", "reviews.default",
                                                   "10.96.0.50"}));
  auto other = m.compile("other");
  const VirtualHost* vo = find_vhost(*other->route_config_for_port(9080), kReviews + ":9080");
  ASSERT_NE(vo, nullptr);
  EXPECT_EQ(vo->domains, (std::vector<std::string>{kReviews, "reviews.default", "reviews.default.svc", "10.96.0.50"}));
  // From `other`, the bare name is not reviews: it falls to the catch-all.
  EXPECT_EQ(decide(*other, 9080, "reviews").vhost->name, "allow_any");
  EXPECT_EQ(decide(*other, 9080, "reviews.default:9080").vhost, vo);
  EXPECT_EQ(decide(*other, 9080, "10.96.0.50:9080").vhost, vo);
  EXPECT_EQ(decide(*other, 9080, "REVIEWS.default.svc.cluster.local").vhost, vo);
}

TEST(CompileSidecarTest, S13_RouteTablesExistPerHttpPortOnly) {
  TestMesh m;
  m.load(kBase);
  m.build();
  auto cfg = m.compile();
  EXPECT_NE(cfg->route_config_for_port(9080), nullptr);
  EXPECT_NE(cfg->route_config_for_port(7070), nullptr);  // gRPC is HTTP routing
  EXPECT_NE(cfg->route_config_for_port(80), nullptr);    // other/web, visible (exportTo default *)
  EXPECT_EQ(cfg->route_config_for_port(3306), nullptr);  // TCP
  // The 7070 table only knows ratings (the only service with that port).
  const RouteConfiguration* rc = cfg->route_config_for_port(7070);
  ASSERT_EQ(rc->virtual_hosts.size(), 2u);
  EXPECT_EQ(rc->virtual_hosts[0].name, "ratings.default.svc.cluster.local:7070");
  EXPECT_EQ(rc->virtual_hosts[1].name, "allow_any");
}

// ------------------------------------------------------------------ catch-all (§2.5, §12.2)

TEST(CompileSidecarTest, S12_2_AllowAnyRoutesUnknownHostsToPassthrough) {
  TestMesh m;
  m.load(kBase);
  m.build();
  auto cfg = m.compile();
  auto d = decide(*cfg, 9080, "www.google.com", "/search");
  ASSERT_NE(d.vhost, nullptr);
  EXPECT_EQ(d.vhost->name, "allow_any");
  ASSERT_NE(d.route, nullptr);
  EXPECT_EQ(d.route->name, "allow_any");
  EXPECT_EQ(cluster_of(d), "PassthroughCluster");
  EXPECT_FALSE(d.route->retry.has_value());  // no retry policy at all
  EXPECT_EQ(d.route->timeout, engine::SimDuration{});
  const Cluster* pt = find_cluster(*cfg, "PassthroughCluster");
  ASSERT_NE(pt, nullptr);
  EXPECT_EQ(pt->type, Cluster::Type::OriginalDst);
  ASSERT_NE(find_cluster(*cfg, "BlackHoleCluster"), nullptr);
  EXPECT_EQ(find_cluster(*cfg, "BlackHoleCluster")->type, Cluster::Type::BlackHole);
}

TEST(CompileSidecarTest, S12_2_RegistryOnlyAnswersUnknownHostsWith502) {
  TestMesh m;
  m.load(kBase);
  m.build();
  MeshOptions mesh;
  mesh.outbound_traffic_policy = "REGISTRY_ONLY";
  auto cfg = m.compile("default", {}, mesh);
  auto d = decide(*cfg, 9080, "www.google.com");
  ASSERT_NE(d.route, nullptr);
  EXPECT_EQ(d.vhost->name, "block_all");
  EXPECT_EQ(d.route->name, "block_all");
  EXPECT_EQ(d.route->action, Route::Action::DirectResponse);
  EXPECT_EQ(d.route->local_status, 502);
  EXPECT_EQ(cluster_of(decide(*cfg, 9080, "reviews")), kReviewsAll);  // known hosts unaffected
}

TEST(CompileSidecarTest, S12_2_SidecarResourceOverridesOutboundTrafficPolicy) {
  TestMesh m;
  m.load(kBase);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: other}
spec:
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
)");
  m.build();
  EXPECT_EQ(decide(*m.compile("other"), 9080, "x.example.com").vhost->name, "block_all");
  EXPECT_EQ(decide(*m.compile("default"), 9080, "x.example.com").vhost->name, "allow_any");
}

// ------------------------------------------------------------------ VirtualService routes (§2)

constexpr const char* kJasonVs = R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - name: jason
    match:
    - name: by-header
      headers: {end-user: {exact: jason}}
    - uri: {prefix: /jason}
    route: [{destination: {host: reviews, subset: v2}}]
  - name: rest
    route: [{destination: {host: reviews, subset: v1}}]
  - name: unreachable
    route: [{destination: {host: reviews, subset: v3}}]
)";

TEST(CompileSidecarTest, S2_1_OneEnvoyRoutePerMatchBlockAndCatchAllStopsEmission) {
  TestMesh m;
  m.load(kBase);
  m.load(kReviewsDr);
  m.load(kJasonVs);
  m.build();
  auto cfg = m.compile("default", {{"app", "productpage"}});
  const VirtualHost* vh = find_vhost(*cfg->route_config_for_port(9080), kReviews + ":9080");
  ASSERT_NE(vh, nullptr);
  ASSERT_EQ(vh->routes.size(), 3u);  // 2 blocks of rule 0, rule 1; rule 2 is never emitted
  EXPECT_EQ(vh->routes[0].name, "jason.by-header");  // §2.4 rule name + "." + match name
  EXPECT_EQ(vh->routes[1].name, "jason");
  EXPECT_EQ(vh->routes[2].name, "rest");
  EXPECT_EQ(vh->routes[0].vs_rule, "default/reviews#http[0]");
  EXPECT_EQ(vh->routes[1].vs_rule, "default/reviews#http[0]");
  EXPECT_EQ(vh->routes[2].vs_rule, "default/reviews#http[1]");
  EXPECT_EQ(cluster_of(decide(*cfg, 9080, "reviews", "/", {{"end-user", "jason"}})), kReviewsV2);
  EXPECT_EQ(cluster_of(decide(*cfg, 9080, "reviews", "/jason/x")), kReviewsV2);  // OR across blocks
  EXPECT_EQ(cluster_of(decide(*cfg, 9080, "reviews", "/", {{"end-user", "bob"}})), kReviewsV1);
}

TEST(CompileSidecarTest, S2_5_VsOwningAHostHasNoFallbackToTheService) {
  TestMesh m;
  m.load(kBase);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {prefix: /api}}]
    route: [{destination: {host: reviews}}]
)");
  m.build();
  auto cfg = m.compile();
  auto ok = decide(*cfg, 9080, "reviews", "/api/1");
  EXPECT_EQ(cluster_of(ok), kReviewsAll);
  auto nr = decide(*cfg, 9080, "reviews", "/other");
  ASSERT_NE(nr.vhost, nullptr);
  EXPECT_EQ(nr.vhost->name, kReviews + ":9080");
  EXPECT_EQ(nr.route, nullptr);  // 404 NR
}

TEST(CompileSidecarTest, S3_2_SubsetClustersAndUndefinedSubsetIsNoCluster) {
  TestMesh m;
  m.load(kBase);
  m.load(kReviewsDr);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {x-v: {exact: "9"}}}]
    route: [{destination: {host: reviews, subset: v9}}]
  - match: [{headers: {x-v: {exact: port}}}]
    route: [{destination: {host: reviews, subset: v1, port: {number: 9999}}}]
  - route: [{destination: {host: reviews, subset: v2}}]
)");
  m.build();
  auto cfg = m.compile();
  auto v2 = decide(*cfg, 9080, "reviews");
  ASSERT_NE(v2.route, nullptr);
  EXPECT_EQ(cluster_of(v2), kReviewsV2);
  const std::int32_t idx = v2.route->clusters[0].cluster;
  ASSERT_NE(idx, kNoCluster);
  EXPECT_EQ(cfg->clusters[static_cast<std::size_t>(idx)].name, kReviewsV2);
  EXPECT_EQ(cfg->clusters[static_cast<std::size_t>(idx)].subset, "v2");

  auto v9 = decide(*cfg, 9080, "reviews", "/", {{"x-v", "9"}});
  EXPECT_EQ(cluster_of(v9), "outbound|9080|v9|" + kReviews);
  EXPECT_EQ(v9.route->clusters[0].cluster, kNoCluster);  // 503 NC

  auto wrong_port = decide(*cfg, 9080, "reviews", "/", {{"x-v", "port"}});
  EXPECT_EQ(cluster_of(wrong_port), "outbound|9999|v1|" + kReviews);
  EXPECT_EQ(wrong_port.route->clusters[0].cluster, kNoCluster);
}

TEST(CompileSidecarTest, S3_2_DestinationPortDefaultsToTheListenerPort) {
  TestMesh m;
  m.load(kBase);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings}
spec:
  hosts: [ratings]
  http:
  - match: [{headers: {x: {exact: ext}}}]
    route: [{destination: {host: api.example.com}}]
  - route: [{destination: {host: ratings}}]
)");
  m.build();
  auto cfg = m.compile();
  // Multi-port ratings: each route table routes to the port the caller dialled.
  EXPECT_EQ(cluster_of(decide(*cfg, 9080, "ratings")), "outbound|9080||ratings.default.svc.cluster.local");
  EXPECT_EQ(cluster_of(decide(*cfg, 7070, "ratings")), "outbound|7070||ratings.default.svc.cluster.local");
  // A host outside the registry keeps the listener port (and has no cluster -> NC).
  auto ext = decide(*cfg, 9080, "ratings", "/", {{"x", "ext"}});
  EXPECT_EQ(cluster_of(ext), "outbound|9080||api.example.com");
  EXPECT_EQ(ext.route->clusters[0].cluster, kNoCluster);
}

TEST(CompileSidecarTest, S3_3_WeightsZeroEntriesDroppedSingleDestinationIgnoresWeight) {
  TestMesh m;
  m.load(kBase);
  m.load(kReviewsDr);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {x: {exact: single}}}]
    route: [{destination: {host: reviews, subset: v3}, weight: 0}]
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 80}
    - {destination: {host: reviews, subset: v3}, weight: 0}
    - {destination: {host: reviews, subset: v2}, weight: 20}
)");
  m.build();
  auto cfg = m.compile();
  auto d = decide(*cfg, 9080, "reviews");
  ASSERT_NE(d.route, nullptr);
  ASSERT_EQ(d.route->clusters.size(), 2u);
  EXPECT_EQ(d.route->clusters[0].name, kReviewsV1);
  EXPECT_EQ(d.route->clusters[1].name, kReviewsV2);
  EXPECT_EQ(d.route->total_weight, 100u);
  for (std::uint64_t v = 0; v < 100; ++v)
    EXPECT_EQ(d.route->clusters[pick_weighted_cluster(*d.route, v)].name, v < 80 ? kReviewsV1 : kReviewsV2);
  auto single = decide(*cfg, 9080, "reviews", "/", {{"x", "single"}});
  ASSERT_EQ(single.route->clusters.size(), 1u);
  EXPECT_EQ(single.route->clusters[pick_weighted_cluster(*single.route, 77)].name,
            "outbound|9080|v3|" + kReviews);
}

TEST(CompileSidecarTest, S1_3_TwoVirtualServicesForOneHostOldestWins) {
  TestMesh m;
  m.load(kBase);
  m.load(kReviewsDr);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: newer, creationTimestamp: "2024-05-02T00:00:00Z"}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews, subset: v2}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: older, creationTimestamp: "2024-05-01T00:00:00Z"}
spec:
  hosts: [reviews.default.svc.cluster.local]
  http:
  - match: [{uri: {prefix: /only}}]
    route: [{destination: {host: reviews, subset: v1}}]
)");
  m.build();
  config::Diagnostics diags;
  auto cfg = m.compile("default", {}, {}, &diags);
  EXPECT_EQ(cluster_of(decide(*cfg, 9080, "reviews", "/only/1")), kReviewsV1);
  // No merge: the newer VS's catch-all is not appended, so other paths get 404 NR.
  auto d = decide(*cfg, 9080, "reviews", "/else");
  EXPECT_EQ(d.route, nullptr);
  bool warned = false;
  for (const auto& item : diags.items()) warned |= item.message.find("default/newer") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(CompileSidecarTest, S2_2_SourceLabelsAndNamespaceSelectCallers) {
  TestMesh m;
  m.load(kBase);
  m.load(kReviewsDr);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{sourceLabels: {app: productpage}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - match: [{sourceNamespace: other}]
    route: [{destination: {host: reviews, subset: v1}}]
)");
  m.build();
  auto pp = m.compile("default", {{"app", "productpage"}, {"version", "v1"}});
  EXPECT_EQ(cluster_of(decide(*pp, 9080, "reviews")), kReviewsV2);
  auto from_other = m.compile("other", {{"app", "sleep"}});
  EXPECT_EQ(cluster_of(decide(*from_other, 9080, "reviews.default")), kReviewsV1);
  // Every rule filtered out: the VS yields no routes here and the default route comes back (§1.3).
  auto sleep = m.compile("default", {{"app", "sleep"}});
  auto d = decide(*sleep, 9080, "reviews");
  ASSERT_NE(d.route, nullptr);
  EXPECT_EQ(d.route->name, "default");
  EXPECT_EQ(cluster_of(d), kReviewsAll);
}

TEST(CompileSidecarTest, S2_2_MatchPortAndMatchGatewaysAreConfigTimeFilters) {
  TestMesh m;
  m.load(kBase);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings}
spec:
  hosts: [ratings]
  gateways: [mesh, istio-system/ingress]
  http:
  - match: [{port: 7070}]
    route: [{destination: {host: ratings, port: {number: 7070}}}]
    timeout: 1s
  - match: [{gateways: [istio-system/ingress], uri: {prefix: /gw}}]
    route: [{destination: {host: productpage}}]
  - match: [{gateways: [mesh], sourceLabels: {app: nobody}}]
    route: [{destination: {host: ratings}}]
    timeout: 2s
)");
  m.build();
  auto cfg = m.compile("default", {{"app", "productpage"}});
  // Port 7070 table keeps rule 0; the 9080 table does not.
  auto d7070 = decide(*cfg, 7070, "ratings");
  ASSERT_NE(d7070.route, nullptr);
  EXPECT_EQ(d7070.route->timeout, engine::kSecond);
  // On 9080 only rule 2 survives (match.gateways: mesh overrides sourceLabels), rule 1 is for the
  // gateway only.
  const VirtualHost* vh = find_vhost(*cfg->route_config_for_port(9080), "ratings.default.svc.cluster.local:9080");
  ASSERT_NE(vh, nullptr);
  ASSERT_EQ(vh->routes.size(), 1u);
  EXPECT_EQ(vh->routes[0].timeout, 2 * engine::kSecond);
  EXPECT_EQ(vh->routes[0].vs_rule, "default/ratings#http[2]");
}

TEST(CompileSidecarTest, S1_2_GatewayOnlyAndPrivateVirtualServicesAreNotSeen) {
  TestMesh m;
  m.load(kBase);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: gw-only}
spec:
  hosts: [reviews]
  gateways: [bookinfo-gateway]
  http: [{route: [{destination: {host: reviews, subset: v1}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: private, namespace: other}
spec:
  hosts: [reviews.default.svc.cluster.local]
  exportTo: ["."]
  http: [{route: [{destination: {host: reviews.default.svc.cluster.local, subset: v2}}]}]
)");
  m.build();
  // default: gw-only is not bound to mesh, private is exported to `other` only -> default route.
  EXPECT_EQ(decide(*m.compile("default"), 9080, "reviews").route->name, "default");
  // other: its own private VS applies.
  EXPECT_EQ(cluster_of(decide(*m.compile("other"), 9080, "reviews.default")),
            "outbound|9080|v2|" + kReviews);
}

TEST(CompileSidecarTest, S1_2_PrivateVirtualServiceBeatsOlderPublicOne) {
  TestMesh m;
  m.load(kBase);
  m.load(kReviewsDr);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: public, namespace: other, creationTimestamp: "2020-01-01T00:00:00Z"}
spec:
  hosts: [reviews.default.svc.cluster.local]
  http: [{route: [{destination: {host: reviews.default.svc.cluster.local, subset: v1}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: mine, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: [reviews]
  exportTo: ["."]
  http: [{route: [{destination: {host: reviews, subset: v2}}]}]
)");
  m.build();
  EXPECT_EQ(cluster_of(decide(*m.compile("default"), 9080, "reviews")), kReviewsV2);
  EXPECT_EQ(cluster_of(decide(*m.compile("other"), 9080, "reviews.default")), kReviewsV1);
}

TEST(CompileSidecarTest, S1_2_HostsOutsideTheRegistryOnlyOnPort80) {
  TestMesh m;
  m.load(kBase);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: external}
spec:
  hosts: [bookinfo.example.com]
  http: [{route: [{destination: {host: productpage, port: {number: 9080}}}]}]
)");
  m.build();
  auto cfg = m.compile();
  auto d80 = decide(*cfg, 80, "bookinfo.example.com");
  ASSERT_NE(d80.vhost, nullptr);
  EXPECT_EQ(d80.vhost->name, "bookinfo.example.com:80");
  EXPECT_EQ(d80.vhost->domains, (std::vector<std::string>{"bookinfo.example.com"}));
  EXPECT_EQ(cluster_of(d80), "outbound|9080||productpage.default.svc.cluster.local");
  EXPECT_EQ(decide(*cfg, 9080, "bookinfo.example.com").vhost->name, "allow_any");
}

TEST(CompileSidecarTest, S1_3_WildcardVsAttachesOnlyWhereMostSpecific) {
  // Mirrors the conformance case TestSidecarRoutes/virtualservice/wildcard_first_then_explicit.
  TestMesh m;
  m.load(R"(
apiVersion: v1
kind: Service
metadata: {name: known}
spec: {clusterIP: 2.0.0.0, ports: [{port: 80, name: http}, {port: 8080, name: http-alt}]}
---
apiVersion: v1
kind: Service
metadata: {name: alt-known}
spec: {clusterIP: 2.0.0.1, ports: [{port: 80, name: http}, {port: 8080, name: http-alt}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: wild, creationTimestamp: "2019-01-01T00:00:00Z"}
spec:
  hosts: ["*.cluster.local"]
  http: [{route: [{destination: {host: wild.example.com}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: explicit, creationTimestamp: "2021-01-01T00:00:00Z"}
spec:
  hosts: [known.default.svc.cluster.local]
  http: [{route: [{destination: {host: explicit.example.com}}]}]
)");
  m.build();
  auto cfg = m.compile();
  EXPECT_EQ(cluster_of(decide(*cfg, 80, "known.default.svc.cluster.local")), "outbound|80||explicit.example.com");
  EXPECT_EQ(cluster_of(decide(*cfg, 80, "alt-known.default.svc.cluster.local")), "outbound|80||wild.example.com");
  EXPECT_EQ(cluster_of(decide(*cfg, 8080, "alt-known")), "outbound|8080||wild.example.com");
  // The wildcard matched services, so it is not a domain of its own.
  for (const auto& vh : cfg->route_config_for_port(80)->virtual_hosts)
    for (const auto& dom : vh.domains) EXPECT_NE(dom, "*.cluster.local");
}

TEST(CompileSidecarTest, S12_3_SidecarEgressHostsScopeServicesAndVirtualServices) {
  // Mirrors the conformance case TestSidecarRoutes/virtualservice/sidecar_filter.
  TestMesh m;
  m.load(R"(
apiVersion: v1
kind: Service
metadata: {name: known}
spec: {clusterIP: 2.0.0.0, ports: [{port: 80, name: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: not-default, namespace: not-default}
spec: {clusterIP: 2.0.0.2, ports: [{port: 80, name: http}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: wild, namespace: not-default}
spec:
  hosts: ["*.default.svc.cluster.local"]
  http: [{route: [{destination: {host: arbitrary.example.com}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: explicit}
spec:
  hosts: [explicit.default.svc.cluster.local]
  http: [{route: [{destination: {host: explicit.default.svc.cluster.local}}]}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: not-default, namespace: not-default}
spec:
  egress:
  - hosts: ["not-default/*.default.svc.cluster.local", "not-default/not-default.not-default.svc.cluster.local"]
)");
  m.build();
  auto cfg = m.compile("not-default");
  const RouteConfiguration* rc = cfg->route_config_for_port(80);
  ASSERT_NE(rc, nullptr);
  auto wild = decide(*cfg, 80, "anything.default.svc.cluster.local");
  EXPECT_EQ(wild.vhost->name, "*.default.svc.cluster.local:80");
  EXPECT_EQ(cluster_of(wild), "outbound|80||arbitrary.example.com");
  EXPECT_EQ(cluster_of(decide(*cfg, 80, "not-default")), "outbound|80||not-default.not-default.svc.cluster.local");
  // known lives in `default`, which the Sidecar does not import: no vhost and no cluster.
  EXPECT_EQ(find_vhost(*rc, "known.default.svc.cluster.local:80"), nullptr);
  EXPECT_EQ(find_cluster(*cfg, "outbound|80||known.default.svc.cluster.local"), nullptr);
  EXPECT_EQ(decide(*cfg, 80, "explicit.default.svc.cluster.local").vhost->name, "*.default.svc.cluster.local:80");
}

TEST(CompileSidecarTest, S1_2_ServiceExportToHidesServices) {
  TestMesh m;
  m.load(R"(
apiVersion: v1
kind: Service
metadata:
  name: secret
  annotations: {networking.istio.io/exportTo: "."}
spec: {ports: [{port: 8000, name: http}]}
)");
  m.build();
  EXPECT_NE(m.compile("default")->route_config_for_port(8000), nullptr);
  auto other = m.compile("other");
  EXPECT_EQ(other->route_config_for_port(8000), nullptr);
  EXPECT_EQ(find_cluster(*other, "outbound|8000||secret.default.svc.cluster.local"), nullptr);
}

TEST(CompileSidecarTest, S1_4_DelegateRulesAreMergedIntoTheRoot) {
  TestMesh m;
  m.load(kBase);
  m.load(kReviewsDr);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: root}
spec:
  hosts: [reviews]
  http:
  - name: api
    match: [{uri: {prefix: /api}}]
    timeout: 5s
    delegate: {name: reviews-api, namespace: team}
  - name: missing
    match: [{uri: {prefix: /missing}}]
    delegate: {name: nope}
  - name: rest
    route: [{destination: {host: reviews, subset: v1}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-api, namespace: team}
spec:
  http:
  - name: v2
    match: [{uri: {prefix: /api/v2}, headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews.default.svc.cluster.local, subset: v2}}]
  - name: outside
    match: [{uri: {prefix: /other}}]
    route: [{destination: {host: reviews.default.svc.cluster.local, subset: v3}}]
  - name: all
    route: [{destination: {host: reviews.default.svc.cluster.local, subset: v1}}]
    timeout: 1s
)");
  m.build();
  auto cfg = m.compile();
  const VirtualHost* vh = find_vhost(*cfg->route_config_for_port(9080), kReviews + ":9080");
  ASSERT_NE(vh, nullptr);
  // Delegate rule "outside" conflicts with the root prefix /api and is dropped; the missing
  // delegate drops only its own root rule.
  ASSERT_EQ(vh->routes.size(), 3u);
  EXPECT_EQ(vh->routes[0].name, "api-v2");
  EXPECT_EQ(vh->routes[0].vs_rule, "team/reviews-api#http[0]");
  EXPECT_EQ(vh->routes[1].name, "api-all");
  EXPECT_EQ(vh->routes[2].vs_rule, "default/root#http[2]");

  auto v2 = decide(*cfg, 9080, "reviews", "/api/v2/x", {{"end-user", "jason"}});
  EXPECT_EQ(cluster_of(v2), kReviewsV2);
  EXPECT_EQ(v2.route->timeout, 5 * engine::kSecond);  // inherited from the root rule
  auto api = decide(*cfg, 9080, "reviews", "/api/v1");  // delegate catch-all within root /api
  EXPECT_EQ(cluster_of(api), kReviewsV1);
  EXPECT_EQ(api.route->timeout, engine::kSecond);  // the delegate's own value wins
  EXPECT_EQ(decide(*cfg, 9080, "reviews", "/other").route->vs_rule, "default/root#http[2]");
  EXPECT_EQ(decide(*cfg, 9080, "reviews", "/missing").route->vs_rule, "default/root#http[2]");
}

TEST(CompileSidecarTest, S1_1_DottedDestinationHostIsNotExpanded) {
  TestMesh m;
  m.load(kBase);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {x: {exact: dotted}}}]
    route: [{destination: {host: reviews.default}}]
  - route: [{destination: {host: reviews}}]
)");
  m.build();
  auto cfg = m.compile();
  auto dotted = decide(*cfg, 9080, "reviews", "/", {{"x", "dotted"}});
  EXPECT_EQ(cluster_of(dotted), "outbound|9080||reviews.default");  // literal host
  EXPECT_EQ(dotted.route->clusters[0].cluster, kNoCluster);          // -> 503 NC
  EXPECT_EQ(cluster_of(decide(*cfg, 9080, "reviews")), kReviewsAll);
}

TEST(CompileSidecarTest, S3_2_ExternalNameServiceAliasesTheConcreteService) {
  TestMesh m;
  m.load(kBase);
  m.load(R"(
apiVersion: v1
kind: Service
metadata: {name: alias}
spec: {type: ExternalName, externalName: reviews.default.svc.cluster.local, ports: [{name: http, port: 9080}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: via-alias}
spec:
  hosts: [ratings]
  http: [{route: [{destination: {host: alias}}]}]
)");
  m.build();
  auto cfg = m.compile();
  // The alias host is a domain of the concrete service's virtual host, not a vhost of its own.
  auto d = decide(*cfg, 9080, "alias.default.svc.cluster.local");
  ASSERT_NE(d.vhost, nullptr);
  EXPECT_EQ(d.vhost->name, kReviews + ":9080");
  EXPECT_EQ(cluster_of(d), kReviewsAll);
  EXPECT_EQ(find_cluster(*cfg, "outbound|9080||alias.default.svc.cluster.local"), nullptr);
  // A VS destination naming the alias goes to the concrete service's cluster.
  EXPECT_EQ(cluster_of(decide(*cfg, 9080, "ratings")), kReviewsAll);
}

TEST(CompileSidecarTest, S12_1_ServiceEntryHostsGetRoutesAndClusters) {
  TestMesh m;
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: external}
spec:
  hosts: [api.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}, {number: 443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: passthrough}
spec:
  hosts: [legacy.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: NONE
)");
  m.build();
  MeshOptions mesh;
  mesh.outbound_traffic_policy = "REGISTRY_ONLY";
  auto cfg = m.compile("default", {}, mesh);
  auto d = decide(*cfg, 80, "api.example.com");
  ASSERT_NE(d.route, nullptr);
  EXPECT_EQ(d.vhost->domains, (std::vector<std::string>{"api.example.com"}));  // no short forms
  EXPECT_EQ(cluster_of(d), "outbound|80||api.example.com");
  const Cluster* dns = find_cluster(*cfg, "outbound|80||api.example.com");
  ASSERT_NE(dns, nullptr);
  EXPECT_EQ(dns->type, Cluster::Type::Static);
  // Envoy resolves the host itself (STRICT_DNS): one external endpoint named by the host.
  EXPECT_EQ(dns->discovery, "STRICT_DNS");
  ASSERT_EQ(dns->endpoints.size(), 1u);
  EXPECT_FALSE(dns->endpoints[0].is_pod());
  EXPECT_EQ(dns->endpoints[0].address, "api.example.com");
  EXPECT_EQ(dns->endpoints[0].port, 80u);
  EXPECT_NE(find_cluster(*cfg, "outbound|443||api.example.com"), nullptr);
  EXPECT_EQ(find_cluster(*cfg, "outbound|80||legacy.example.com")->type, Cluster::Type::OriginalDst);
  EXPECT_EQ(decide(*cfg, 80, "other.example.com").vhost->name, "block_all");
}

// ------------------------------------------------------------------ actions (§3, §4, §5, §6)

TEST(CompileSidecarTest, S4_S5_S6_TimeoutRetriesFaultMirrorTranslation) {
  TestMesh m;
  m.load(kBase);
  m.load(kReviewsDr);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {x: {exact: retries}}}]
    timeout: 3s
    retries: {attempts: 4, perTryTimeout: 500ms, retryOn: "5xx,503", retryRemoteLocalities: true}
    route: [{destination: {host: reviews, subset: v1}}]
    mirror: {host: reviews, subset: v2}
    mirrorPercentage: {value: 12.5}
  - match: [{headers: {x: {exact: noretry}}}]
    retries: {attempts: 0}
    route: [{destination: {host: reviews, subset: v1}}]
  - match: [{headers: {x: {exact: fault}}}]
    fault:
      delay: {fixedDelay: 7s, percentage: {value: 10}}
      abort: {httpStatus: 500}
    route: [{destination: {host: reviews, subset: v1}}]
  - match: [{headers: {x: {exact: legacy}}}]
    fault:
      delay: {fixedDelay: 1s, percent: 25}
      abort: {grpcStatus: UNAVAILABLE, percentage: {value: 100}}
    route: [{destination: {host: reviews}}]
    mirror: {host: ratings}
    mirrorPercentage: {value: 0}
  - route: [{destination: {host: reviews, subset: v1}}]
    retries: {attempts: 1}
)");
  m.build();
  auto cfg = m.compile();
  auto r = decide(*cfg, 9080, "reviews", "/", {{"x", "retries"}}).route;
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->timeout, 3 * engine::kSecond);
  ASSERT_TRUE(r->retry);
  EXPECT_EQ(r->retry->num_retries, 4u);
  EXPECT_EQ(r->retry->retry_on, kRetry5xx | kRetryRetriableStatusCodes);
  EXPECT_EQ(r->retry->retriable_status_codes, (std::vector<std::uint32_t>{503}));
  EXPECT_EQ(r->retry->per_try_timeout, 500 * engine::kMillisecond);
  EXPECT_TRUE(r->retry->retry_remote_localities);
  EXPECT_TRUE(r->retry->previous_hosts_predicate);
  ASSERT_EQ(r->mirrors.size(), 1u);
  EXPECT_EQ(r->mirrors[0].cluster_name, kReviewsV2);
  EXPECT_NE(r->mirrors[0].cluster, kNoCluster);
  EXPECT_EQ(r->mirrors[0].per_million, 125'000u);
  EXPECT_FALSE(r->fault);

  auto nr = decide(*cfg, 9080, "reviews", "/", {{"x", "noretry"}}).route;
  ASSERT_NE(nr, nullptr);
  EXPECT_FALSE(nr->retry.has_value());  // attempts 0: no retry policy at all
  EXPECT_EQ(nr->timeout, engine::SimDuration{});            // unset: disabled

  auto f = decide(*cfg, 9080, "reviews", "/", {{"x", "fault"}}).route;
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->fault);
  ASSERT_TRUE(f->fault->delay);
  EXPECT_EQ(f->fault->delay->duration, 7 * engine::kSecond);
  EXPECT_EQ(f->fault->delay->per_million, 100'000u);
  ASSERT_TRUE(f->fault->abort);
  EXPECT_EQ(f->fault->abort->http_status, 500);
  EXPECT_EQ(f->fault->abort->per_million, 0u);  // absent percentage: never aborts

  auto l = decide(*cfg, 9080, "reviews", "/", {{"x", "legacy"}}).route;
  ASSERT_NE(l, nullptr);
  ASSERT_TRUE(l->fault && l->fault->delay && l->fault->abort);
  EXPECT_EQ(l->fault->delay->per_million, 250'000u);  // deprecated integer percent
  EXPECT_EQ(l->fault->abort->grpc_status, 14);
  EXPECT_EQ(l->fault->abort->per_million, 1'000'000u);
  EXPECT_TRUE(l->mirrors.empty());  // explicit 0% mirrors nothing

  auto last = decide(*cfg, 9080, "reviews", "/").route;
  ASSERT_NE(last, nullptr);
  ASSERT_TRUE(last->retry);
  EXPECT_EQ(last->retry->num_retries, 1u);
  // retryOn unset: the default conditions stay.
  EXPECT_EQ(last->retry->retry_on, kRetryConnectFailure | kRetryRefusedStream | kRetryGrpcUnavailable |
                                       kRetryGrpcCancelled | kRetryRetriableStatusCodes);
}

TEST(CompileSidecarTest, S3_4_RedirectDirectResponseRewriteAndHeaders) {
  TestMesh m;
  m.load(kBase);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {exact: /old}}]
    redirect: {uri: /new, authority: other.example.com}
  - match: [{uri: {exact: /teapot}}]
    directResponse: {status: 418, body: {string: "short and stout"}}
  - match: [{uri: {prefix: /v1}}]
    rewrite: {uri: /api/v1, authority: reviews-internal}
    headers:
      request: {set: {x-env: prod, host: ignored}, add: {x-trace: "1"}, remove: [x-debug]}
      response: {set: {x-served-by: reviews}}
    route:
    - destination: {host: reviews}
      headers: {request: {set: {x-dest: a}}}
)");
  m.build();
  auto cfg = m.compile();
  auto rd = decide(*cfg, 9080, "reviews", "/old").route;
  ASSERT_NE(rd, nullptr);
  EXPECT_EQ(rd->action, Route::Action::Redirect);
  EXPECT_EQ(rd->local_status, 301);
  EXPECT_NE(rd->redirect_location.find("/new"), std::string::npos);
  auto dr = decide(*cfg, 9080, "reviews", "/teapot").route;
  ASSERT_NE(dr, nullptr);
  EXPECT_EQ(dr->action, Route::Action::DirectResponse);
  EXPECT_EQ(dr->local_status, 418);
  EXPECT_EQ(dr->local_body, "short and stout");
  auto rw = decide(*cfg, 9080, "reviews", "/v1/x").route;
  ASSERT_NE(rw, nullptr);
  EXPECT_EQ(rw->prefix_rewrite, "/api/v1");
  EXPECT_EQ(rw->authority_rewrite, "reviews-internal");
  ASSERT_EQ(rw->request_headers.set.size(), 1u);  // Host cannot be set as a header
  EXPECT_EQ(rw->request_headers.set[0], (std::pair<std::string, std::string>{"x-env", "prod"}));
  EXPECT_EQ(rw->request_headers.add.size(), 1u);
  EXPECT_EQ(rw->request_headers.remove, (std::vector<std::string>{"x-debug"}));
  EXPECT_EQ(rw->response_headers.set.size(), 1u);
  ASSERT_EQ(rw->clusters.size(), 1u);
  EXPECT_EQ(rw->clusters[0].request_headers.set.size(), 1u);
}

TEST(CompileSidecarTest, S2_3_TranslatedMatchersBehaveLikeEnvoy) {
  TestMesh m;
  m.load(kBase);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - name: regex
    match: [{uri: {regex: "/r/[0-9]+"}, method: {exact: POST}}]
    route: [{destination: {host: reviews}}]
  - name: nocase
    match: [{uri: {prefix: /CASE}, ignoreUriCase: true}]
    route: [{destination: {host: reviews}}]
  - name: without
    match: [{uri: {prefix: /w}, withoutHeaders: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews}}]
  - name: query
    match: [{queryParams: {debug: {exact: "1"}}}]
    route: [{destination: {host: reviews}}]
  - name: present
    match: [{headers: {x-any: {}}}]
    route: [{destination: {host: reviews}}]
  - name: star
    match: [{headers: {x-star: {regex: "*"}}}]
    route: [{destination: {host: reviews}}]
)");
  m.build();
  auto cfg = m.compile();
  auto name = [&](std::string_view path, std::vector<RequestHeader> h = {}, std::string_view method = "GET") {
    auto d = decide(*cfg, 9080, "reviews", path, std::move(h), method);
    return d.route ? d.route->name : std::string("<404>");
  };
  EXPECT_EQ(name("/r/12", {}, "POST"), "regex");
  EXPECT_EQ(name("/r/12", {}, "GET"), "<404>");
  EXPECT_EQ(name("/r/12/x", {}, "POST"), "<404>");
  EXPECT_EQ(name("/case/x"), "nocase");
  EXPECT_EQ(name("/w"), "without");
  EXPECT_EQ(name("/w", {{"end-user", "jason"}}), "<404>");
  EXPECT_EQ(name("/q?debug=1"), "query");
  EXPECT_EQ(name("/q?debug=2"), "<404>");
  EXPECT_EQ(name("/p", {{"x-any", "whatever"}}), "present");
  EXPECT_EQ(name("/p", {{"x-star", ""}}), "star");
}

// ------------------------------------------------------------------ clusters and endpoints (§3.2, §13)

TEST(CompileSidecarTest, S13_ClustersEndpointsAndNamedTargetPorts) {
  TestMesh m;
  m.load(kBase);
  m.load(kReviewsDr);
  m.build();
  auto cfg = m.compile();
  const Cluster* all = find_cluster(*cfg, kReviewsAll);
  ASSERT_NE(all, nullptr);
  EXPECT_EQ(all->type, Cluster::Type::Eds);
  EXPECT_EQ(all->service_hostname, kReviews);
  EXPECT_EQ(all->port, 9080u);
  EXPECT_EQ(all->protocol, registry::Protocol::HTTP);
  EXPECT_EQ(all->lb.kind, LbPolicy::Kind::LeastRequest);
  EXPECT_EQ(all->destination_rule, "default/reviews");
  ASSERT_EQ(all->endpoints.size(), 3u);
  std::vector<std::string> pods;
  for (const auto& ep : all->endpoints) pods.push_back(m.reg.pods()[ep.pod].name);
  EXPECT_EQ(pods, (std::vector<std::string>{"reviews-v1-0", "reviews-v1-1", "reviews-v2-0"}));
  EXPECT_EQ(all->endpoints[0].port, 9080u);
  EXPECT_EQ(all->endpoints[2].port, 9090u);  // named targetPort resolved on each pod

  const Cluster* v1 = find_cluster(*cfg, kReviewsV1);
  ASSERT_NE(v1, nullptr);
  EXPECT_EQ(v1->endpoints.size(), 2u);
  const Cluster* v3 = find_cluster(*cfg, "outbound|9080|v3|" + kReviews);
  ASSERT_NE(v3, nullptr);  // exists but empty -> 503 UH at runtime
  EXPECT_TRUE(v3->endpoints.empty());

  // Every service port gets a cluster, TCP included; no subsets without a DR.
  EXPECT_NE(find_cluster(*cfg, "outbound|3306||ratings.default.svc.cluster.local"), nullptr);
  EXPECT_NE(find_cluster(*cfg, "outbound|7070||ratings.default.svc.cluster.local"), nullptr);
  EXPECT_EQ(find_cluster(*cfg, "outbound|9080|v1|ratings.default.svc.cluster.local"), nullptr);
}

TEST(CompileSidecarTest, S13_NotReadyEndpointsDependOnIstioVersion) {
  TestMesh m;
  m.load(kBase);
  m.build();
  // Mark one pod not ready; the registry is immutable to others, tests may poke at it.
  auto& pods = const_cast<std::vector<registry::Pod>&>(m.reg.pods());
  for (auto& p : pods)
    if (p.name == "reviews-v1-1") p.ready = false;
  auto current = m.compile();
  const Cluster* c = find_cluster(*current, kReviewsAll);
  ASSERT_EQ(c->endpoints.size(), 3u);
  EXPECT_FALSE(c->endpoints[1].healthy);  // sent as UNHEALTHY (1.31+)
  EXPECT_TRUE(c->endpoints[0].healthy);
  MeshOptions old;
  old.istio_version = "1.30";
  auto legacy = m.compile("default", {}, old);
  EXPECT_EQ(find_cluster(*legacy, kReviewsAll)->endpoints.size(), 2u);  // not sent at all
}

}  // namespace
}  // namespace meshtwin::xds

namespace meshtwin::xds {
namespace {
using testing::decide;
using testing::TestMesh;

// Issue 11 §6: redirects as Istio builds them (I-ROUTE applyRedirect) and Envoy answers them
// (Http::Utility::newUri): the full Location from the request and the route's parts.
TEST(CompileSidecarTest, S3_4_RedirectLocationAsEnvoyBuildsItFromTheRequest) {
  TestMesh m;
  m.load(R"(
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 8080}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
  - match: [{uri: {prefix: /derive}}]
    redirect: {uri: /d, derivePort: FROM_REQUEST_PORT}
  - match: [{uri: {prefix: /default}}]
    redirect: {uri: /p, authority: b.example, derivePort: FROM_PROTOCOL_DEFAULT}
  - match: [{uri: {prefix: /tls}}]
    redirect: {scheme: https, port: 8443}
  - match: [{uri: {prefix: /api}}]
    redirect: {prefixRewrite: /v2, authority: c.example}
  - match: [{uri: {exact: /exact}}]
    redirect: {prefixRewrite: /whole}
  - match: [{uri: {prefix: /keep}}]
    redirect: {scheme: https}
)");
  m.build();
  auto cfg = m.compile();
  const auto location = [&](std::string_view host, std::string_view path, std::string_view scheme = "http") {
    const Route* r = decide(*cfg, 8080, host, path).route;
    EXPECT_NE(r, nullptr) << path;
    if (!r) return std::string();
    EXPECT_EQ(r->action, Route::Action::Redirect) << path;
    RequestAttributes req;
    req.authority = host;
    req.path = path;
    req.scheme = scheme;
    return redirect_location(*r, req);
  };
  // derivePort FROM_REQUEST_PORT: the port of the route table the request came in on; the
  // Host's own port (or none) is replaced.
  EXPECT_EQ(location("web", "/derive/x?q=1"), "http://web:8080/d?q=1");
  EXPECT_EQ(location("web:9999", "/derive"), "http://web:8080/d");
  // FROM_PROTOCOL_DEFAULT sets no port; a new authority drops the request's Host port.
  EXPECT_EQ(location("web:8080", "/default"), "http://b.example/p");
  // scheme and port: the Host's port is replaced, the path kept.
  EXPECT_EQ(location("web:8080", "/tls/a"), "https://web:8443/tls/a");
  // prefixRewrite replaces the matched prefix, keeping what follows it and the query.
  EXPECT_EQ(location("web", "/api/users/7?x=y"), "http://c.example/v2/users/7?x=y");
  // On an exact match the whole path is the matched part.
  EXPECT_EQ(location("web", "/exact"), "http://web/whole");
  // A scheme change drops the old scheme's default port from the Host, keeps any other.
  EXPECT_EQ(location("web:80", "/keep"), "https://web/keep");
  EXPECT_EQ(location("web:8080", "/keep"), "https://web:8080/keep");
  // A request that arrived over TLS keeps https when the route sets no scheme.
  EXPECT_EQ(location("web", "/derive", "https"), "https://web:8080/d");
}

}  // namespace
}  // namespace meshtwin::xds
