// DestinationRule lookup and merging (docs/semantics.md §7.1), policy precedence (§7.3), load balancer
// mapping (§7.4) and the consistent-hash retry exception (§5.1), through compiled clusters.
#include <gtest/gtest.h>

#include "model/xds/compile_internal.h"
#include "tests/xds/xds_test_util.h"

namespace meshtwin::xds {
namespace {

using testing::cluster_of;
using testing::decide;
using testing::find_cluster;
using testing::TestMesh;

constexpr const char* kServices = R"(
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: prod}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}, {name: http-admin, port: 9090}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1, namespace: prod}
spec:
  selector: {matchLabels: {app: reviews, version: v1}}
  template:
    metadata: {labels: {app: reviews, version: v1}}
    spec: {containers: [{name: r}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v2, namespace: prod}
spec:
  selector: {matchLabels: {app: reviews, version: v2}}
  template:
    metadata: {labels: {app: reviews, version: v2}}
    spec: {containers: [{name: r}]}
)";

const std::string kHost = "reviews.prod.svc.cluster.local";

std::string dr_of(const ProxyConfig& cfg, std::uint32_t port = 9080, std::string subset = "") {
  const Cluster* c = find_cluster(cfg, outbound_cluster_name(port, subset, kHost));
  return c ? c->destination_rule : "<no cluster>";
}

TEST(DestinationRuleTest, S7_1_CallerNamespaceThenServiceNamespaceThenRoot) {
  TestMesh m;
  m.load(kServices);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: in-service-ns, namespace: prod}
spec: {host: reviews}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: in-caller-ns, namespace: frontend}
spec: {host: reviews.prod.svc.cluster.local}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: mesh-wide, namespace: istio-system}
spec: {host: "*.svc.cluster.local"}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: third-party, namespace: elsewhere}
spec: {host: reviews.prod.svc.cluster.local}
)");
  m.build();
  EXPECT_EQ(dr_of(*m.compile("frontend")), "frontend/in-caller-ns");
  EXPECT_EQ(dr_of(*m.compile("prod")), "prod/in-service-ns");
  EXPECT_EQ(dr_of(*m.compile("batch")), "prod/in-service-ns");  // a third namespace never applies
  EXPECT_EQ(dr_of(*m.compile("istio-system")), "prod/in-service-ns");
}

TEST(DestinationRuleTest, S7_1_RootNamespaceAndExportTo) {
  TestMesh m;
  m.load(kServices);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: private, namespace: prod}
spec:
  host: reviews
  exportTo: ["."]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: mesh-wide, namespace: istio-system}
spec: {host: "*.local"}
)");
  m.build();
  EXPECT_EQ(dr_of(*m.compile("prod")), "prod/private");
  EXPECT_EQ(dr_of(*m.compile("frontend")), "istio-system/mesh-wide");  // private one not exported
}

TEST(DestinationRuleTest, S7_1_ExactHostBeforeMostSpecificWildcard) {
  TestMesh m;
  m.load(kServices);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: broad, namespace: prod}
spec: {host: "*.cluster.local"}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: narrow, namespace: prod}
spec: {host: "*.prod.svc.cluster.local"}
)");
  m.build();
  EXPECT_EQ(dr_of(*m.compile("prod")), "prod/narrow");
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: exact, namespace: prod}
spec: {host: reviews}
)");
  m.build();
  EXPECT_EQ(dr_of(*m.compile("prod")), "prod/exact");
}

TEST(DestinationRuleTest, S7_1_WorkloadSelectorRulesArePreferredForSelectedCallers) {
  TestMesh m;
  m.load(kServices);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: everyone, namespace: frontend}
spec: {host: reviews.prod.svc.cluster.local}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: for-canary, namespace: frontend}
spec:
  host: reviews.prod.svc.cluster.local
  workloadSelector: {matchLabels: {track: canary}}
)");
  m.build();
  EXPECT_EQ(dr_of(*m.compile("frontend", {{"app", "web"}, {"track", "canary"}})), "frontend/for-canary");
  EXPECT_EQ(dr_of(*m.compile("frontend", {{"app", "web"}})), "frontend/everyone");
}

TEST(DestinationRuleTest, S7_1_SameHostRulesMergeSubsetsFirstPolicyWins) {
  TestMesh m;
  m.load(kServices);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: a, namespace: prod, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  host: reviews
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
  subsets:
  - {name: v1, labels: {version: v1}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: b, namespace: prod, creationTimestamp: "2024-02-01T00:00:00Z"}
spec:
  host: reviews
  trafficPolicy: {loadBalancer: {simple: RANDOM}}
  subsets:
  - {name: v1, labels: {version: v2}}
  - {name: v2, labels: {version: v2}}
)");
  m.build();
  auto cfg = m.compile("prod");
  const Cluster* all = find_cluster(*cfg, outbound_cluster_name(9080, "", kHost));
  ASSERT_NE(all, nullptr);
  EXPECT_EQ(all->lb.kind, LbPolicy::Kind::RoundRobin);  // first trafficPolicy wins
  EXPECT_EQ(all->destination_rule, "prod/a");
  const Cluster* v1 = find_cluster(*cfg, outbound_cluster_name(9080, "v1", kHost));
  ASSERT_NE(v1, nullptr);
  ASSERT_EQ(v1->endpoints.size(), 1u);
  EXPECT_EQ(m.reg.pods()[v1->endpoints[0].pod].name, "reviews-v1-0");  // first v1 definition wins
  EXPECT_NE(find_cluster(*cfg, outbound_cluster_name(9080, "v2", kHost)), nullptr);  // concatenated
  EXPECT_NE(find_cluster(*cfg, outbound_cluster_name(9090, "v2", kHost)), nullptr);  // per port
}

TEST(DestinationRuleTest, S7_3_PortLevelReplacesWholeSubsetOverridesBlockByBlock) {
  TestMesh m;
  m.load(kServices);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: prod}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    connectionPool: {http: {http1MaxPendingRequests: 10}}
    outlierDetection: {consecutive5xxErrors: 3}
    retryBudget: {percent: 25}
    portLevelSettings:
    - port: {number: 9090}
      connectionPool: {tcp: {maxConnections: 7}}
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy: {loadBalancer: {simple: RANDOM}}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      portLevelSettings:
      - port: {number: 9080}
        outlierDetection: {consecutive5xxErrors: 9}
)");
  m.build();
  auto cfg = m.compile("prod");
  const Cluster* top = find_cluster(*cfg, outbound_cluster_name(9080, "", kHost));
  ASSERT_NE(top, nullptr);
  EXPECT_EQ(top->lb.kind, LbPolicy::Kind::RoundRobin);
  ASSERT_TRUE(top->connection_pool && top->connection_pool->http);
  EXPECT_EQ(top->connection_pool->http->http1_max_pending_requests, 10);
  ASSERT_TRUE(top->outlier_detection);
  EXPECT_EQ(top->outlier_detection->consecutive_5xx_errors, 3u);
  ASSERT_TRUE(top->retry_budget);

  // Port 9090: the port entry replaces everything; unset blocks become defaults.
  const Cluster* admin = find_cluster(*cfg, outbound_cluster_name(9090, "", kHost));
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(admin->lb.kind, LbPolicy::Kind::LeastRequest);
  ASSERT_TRUE(admin->connection_pool && admin->connection_pool->tcp);
  EXPECT_EQ(admin->connection_pool->tcp->max_connections, 7);
  EXPECT_FALSE(admin->connection_pool->http);
  EXPECT_FALSE(admin->outlier_detection);
  EXPECT_TRUE(admin->retry_budget);  // retryBudget is not a port-level block

  // Subset v1: only loadBalancer overridden, the rest inherited.
  const Cluster* v1 = find_cluster(*cfg, outbound_cluster_name(9080, "v1", kHost));
  ASSERT_NE(v1, nullptr);
  EXPECT_EQ(v1->lb.kind, LbPolicy::Kind::Random);
  ASSERT_TRUE(v1->connection_pool && v1->connection_pool->http);
  EXPECT_EQ(v1->connection_pool->http->http1_max_pending_requests, 10);
  ASSERT_TRUE(v1->outlier_detection);
  EXPECT_EQ(v1->outlier_detection->consecutive_5xx_errors, 3u);

  // Subset v2 on 9080: a subset port-level entry replaces all four blocks.
  const Cluster* v2 = find_cluster(*cfg, outbound_cluster_name(9080, "v2", kHost));
  ASSERT_NE(v2, nullptr);
  ASSERT_TRUE(v2->outlier_detection);
  EXPECT_EQ(v2->outlier_detection->consecutive_5xx_errors, 9u);
  EXPECT_FALSE(v2->connection_pool);
  EXPECT_EQ(v2->lb.kind, LbPolicy::Kind::LeastRequest);
  // ...but on 9090 subset v2 has no port entry: it inherits the top-level port-9090 policy.
  const Cluster* v2admin = find_cluster(*cfg, outbound_cluster_name(9090, "v2", kHost));
  ASSERT_NE(v2admin, nullptr);
  ASSERT_TRUE(v2admin->connection_pool && v2admin->connection_pool->tcp);
  EXPECT_EQ(v2admin->connection_pool->tcp->max_connections, 7);
  EXPECT_FALSE(v2admin->outlier_detection);
}

TEST(DestinationRuleTest, S7_4_LoadBalancerMapping) {
  using LB = config::LoadBalancerSettings;
  EXPECT_EQ(detail::to_lb_policy(std::nullopt).kind, LbPolicy::Kind::LeastRequest);
  LB lb;
  lb.simple = LB::Simple::LeastConn;
  EXPECT_EQ(detail::to_lb_policy(lb).kind, LbPolicy::Kind::LeastRequest);
  lb.simple = LB::Simple::Passthrough;
  EXPECT_EQ(detail::to_lb_policy(lb).kind, LbPolicy::Kind::Passthrough);
  lb.simple = LB::Simple::RoundRobin;
  EXPECT_EQ(detail::to_lb_policy(lb).kind, LbPolicy::Kind::RoundRobin);
  config::ConsistentHashLB ch;
  ch.key = config::ConsistentHashLB::Key::HttpHeaderName;
  ch.header_name = "x-user";
  lb.consistent_hash = ch;
  LbPolicy ring = detail::to_lb_policy(lb);
  EXPECT_EQ(ring.kind, LbPolicy::Kind::RingHash);  // consistentHash wins over simple
  EXPECT_EQ(ring.minimum_ring_size, 1024u);
  ASSERT_TRUE(ring.hash);
  EXPECT_EQ(ring.hash->header_name, "x-user");
  lb.consistent_hash->algorithm = config::ConsistentHashLB::Algorithm::Maglev;
  EXPECT_EQ(detail::to_lb_policy(lb).kind, LbPolicy::Kind::Maglev);
  EXPECT_EQ(detail::to_lb_policy(lb).maglev_table_size, 65537u);
  lb.consistent_hash->maglev_table_size = 131;
  EXPECT_EQ(detail::to_lb_policy(lb).maglev_table_size, 131u);
  lb.consistent_hash->algorithm = config::ConsistentHashLB::Algorithm::RingHash;
  lb.consistent_hash->minimum_ring_size = 2048;
  EXPECT_EQ(detail::to_lb_policy(lb).minimum_ring_size, 2048u);
}

TEST(DestinationRuleTest, S7_4_PassthroughLbMakesAnOriginalDstCluster) {
  TestMesh m;
  m.load(kServices);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: prod}
spec:
  host: reviews
  trafficPolicy: {loadBalancer: {simple: PASSTHROUGH}}
)");
  m.build();
  const auto config = m.compile("prod");  // keeps the cluster alive while it is looked at
  const Cluster* c = find_cluster(*config, outbound_cluster_name(9080, "", kHost));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->type, Cluster::Type::OriginalDst);
  EXPECT_EQ(c->lb.kind, LbPolicy::Kind::Passthrough);
}

TEST(DestinationRuleTest, S5_1_ConsistentHashDropsPreviousHostsOnVsRoutesOnly) {
  TestMesh m;
  m.load(kServices);
  m.load(R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: prod}
spec:
  host: reviews
  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}
  subsets: [{name: v1, labels: {version: v1}}]
)");
  m.build();
  // No VirtualService: the default route keeps the predicate even though the DR hashes.
  auto plain = m.compile("prod");
  auto d = decide(*plain, 9080, "reviews");
  ASSERT_NE(d.route, nullptr);
  ASSERT_TRUE(d.route->retry);
  EXPECT_TRUE(d.route->retry->previous_hosts_predicate);
  EXPECT_EQ(find_cluster(*plain, outbound_cluster_name(9080, "v1", kHost))->lb.kind, LbPolicy::Kind::RingHash);

  m.load(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: prod}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {x-keep: {exact: "1"}}}]
    retries: {attempts: 2, retryIgnorePreviousHosts: true}
    route: [{destination: {host: reviews, subset: v1}}]
  - route: [{destination: {host: reviews, subset: v1}}]
)");
  m.build();
  auto with_vs = m.compile("prod");
  auto h = decide(*with_vs, 9080, "reviews");
  ASSERT_NE(h.route, nullptr);
  EXPECT_EQ(cluster_of(h), outbound_cluster_name(9080, "v1", kHost));
  ASSERT_TRUE(h.route->retry);
  EXPECT_FALSE(h.route->retry->previous_hosts_predicate);
  EXPECT_EQ(h.route->retry->num_retries, 2u);
  // retryIgnorePreviousHosts explicitly true puts the predicate back (I-RETRY).
  auto keep = decide(*with_vs, 9080, "reviews", "/", {{"x-keep", "1"}});
  ASSERT_TRUE(keep.route && keep.route->retry);
  EXPECT_TRUE(keep.route->retry->previous_hosts_predicate);
}

TEST(DestinationRuleTest, S7_1_HostMatchingHelpers) {
  EXPECT_TRUE(detail::hosts_match("*.example.com", "a.example.com"));
  EXPECT_TRUE(detail::hosts_match("a.example.com", "*.example.com"));
  EXPECT_FALSE(detail::hosts_match("*.example.com", "example.com"));
  EXPECT_TRUE(detail::hosts_match("*", "anything"));
  EXPECT_TRUE(detail::hosts_match("*.com", "*.example.com"));
  EXPECT_FALSE(detail::hosts_match("*.org", "*.example.com"));
  EXPECT_TRUE(detail::more_specific("*.a.example.com", "*.example.com"));
  EXPECT_TRUE(detail::more_specific("a.example.com", "*.a.example.com"));
  EXPECT_TRUE(detail::exported_to({}, "a", "b"));
  EXPECT_TRUE(detail::exported_to({"."}, "a", "a"));
  EXPECT_FALSE(detail::exported_to({"."}, "a", "b"));
  EXPECT_FALSE(detail::exported_to({"~"}, "a", "a"));
  EXPECT_TRUE(detail::exported_to({"x", "b"}, "a", "b"));
}

}  // namespace
}  // namespace meshtwin::xds
