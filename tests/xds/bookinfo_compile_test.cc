// The real Istio Bookinfo sample (third_party/istio-samples) compiled for the productpage sidecar:
// header-based routing to reviews v2 (docs/semantics.md §2.1, §3.2), default routes elsewhere (§2.6),
// and a later apply replacing a VirtualService in place (docs/design.md §3.1) for weights (§3.3).
#include <gtest/gtest.h>

#include "tests/xds/xds_test_util.h"

namespace meshtwin::xds {
namespace {

using testing::cluster_of;
using testing::decide;
using testing::find_cluster;

const std::string kSamples = std::string(MESHTWIN_SOURCE_DIR) + "/third_party/istio-samples/bookinfo";

struct Bookinfo {
  config::ConfigStore store;
  config::Diagnostics diags;
  registry::Registry reg;

  explicit Bookinfo(std::vector<std::string> extra) {
    std::vector<std::string> paths{kSamples + "/platform/kube/bookinfo.yaml",
                                   kSamples + "/networking/destination-rule-all.yaml"};
    for (auto& e : extra) paths.push_back(kSamples + "/networking/" + e);
    config::load_paths(paths, store, diags);
    reg = registry::Registry::build(store, diags);
  }
  std::shared_ptr<const ProxyConfig> productpage() {
    ProxyIdentity id;
    id.namespace_ = "default";
    id.labels = {{"app", "productpage"}, {"version", "v1"}};
    id.workload = "productpage-v1";
    return compile_sidecar(store, reg, id, MeshOptions{});
  }
};

TEST(BookinfoCompileTest, S2_1_S3_2_JasonGoesToReviewsV2OthersToV1) {
  Bookinfo b({"virtual-service-reviews-test-v2.yaml"});
  ASSERT_FALSE(b.diags.has_errors()) << b.diags.first_error()->format();
  // Bookinfo's four services and six pods, plus Istio's default ingress and egress gateways that
  // the registry provides when no manifest defines them (docs/design.md §3.1).
  ASSERT_EQ(b.reg.services().size(), 6u);
  ASSERT_EQ(b.reg.pods().size(), 8u);  // details, ratings, reviews v1..v3, productpage, 2 gateways
  EXPECT_TRUE(b.reg.pods()[6].gateway_proxy);
  EXPECT_FALSE(b.reg.pods()[6].has_sidecar);
  auto cfg = b.productpage();

  auto jason = decide(*cfg, 9080, "reviews:9080", "/reviews/0", {{"end-user", "jason"}});
  ASSERT_NE(jason.route, nullptr);
  EXPECT_EQ(cluster_of(jason), "outbound|9080|v2|reviews.default.svc.cluster.local");
  EXPECT_EQ(jason.route->vs_rule, "default/reviews#http[0]");
  ASSERT_NE(jason.route->clusters[0].cluster, kNoCluster);

  for (const char* user : {"bob", "Jason", ""}) {
    auto other = decide(*cfg, 9080, "reviews:9080", "/reviews/0", {{"end-user", user}});
    ASSERT_NE(other.route, nullptr) << user;
    EXPECT_EQ(cluster_of(other), "outbound|9080|v1|reviews.default.svc.cluster.local") << user;
    EXPECT_EQ(other.route->vs_rule, "default/reviews#http[1]");
  }
  auto anonymous = decide(*cfg, 9080, "reviews", "/reviews/0");
  EXPECT_EQ(cluster_of(anonymous), "outbound|9080|v1|reviews.default.svc.cluster.local");

  // Services without a VirtualService keep their default route.
  auto details = decide(*cfg, 9080, "details:9080", "/details/0", {{"end-user", "jason"}});
  ASSERT_NE(details.route, nullptr);
  EXPECT_EQ(details.route->name, "default");
  EXPECT_EQ(cluster_of(details), "outbound|9080||details.default.svc.cluster.local");

  // Subset clusters of destination-rule-all exist, with the right pods.
  const Cluster* v2 = find_cluster(*cfg, "outbound|9080|v2|reviews.default.svc.cluster.local");
  ASSERT_NE(v2, nullptr);
  ASSERT_EQ(v2->endpoints.size(), 1u);
  EXPECT_EQ(b.reg.pods()[v2->endpoints[0].pod].name, "reviews-v2-0");
  EXPECT_EQ(v2->destination_rule, "default/reviews");
  const Cluster* all = find_cluster(*cfg, "outbound|9080||reviews.default.svc.cluster.local");
  ASSERT_NE(all, nullptr);
  EXPECT_EQ(all->endpoints.size(), 3u);
  // ratings v2 has no pods in bookinfo.yaml: the subset cluster exists and is empty.
  const Cluster* ratings_v2 = find_cluster(*cfg, "outbound|9080|v2|ratings.default.svc.cluster.local");
  ASSERT_NE(ratings_v2, nullptr);
  EXPECT_TRUE(ratings_v2->endpoints.empty());
}

TEST(BookinfoCompileTest, S3_3_LaterApplyReplacesTheVirtualServiceWithWeights) {
  Bookinfo b({"virtual-service-all-v1.yaml", "virtual-service-reviews-80-20.yaml"});
  ASSERT_FALSE(b.diags.has_errors()) << b.diags.first_error()->format();
  auto cfg = b.productpage();
  auto d = decide(*cfg, 9080, "reviews:9080", "/reviews/0");
  ASSERT_NE(d.route, nullptr);
  ASSERT_EQ(d.route->clusters.size(), 2u);
  EXPECT_EQ(d.route->clusters[0].name, "outbound|9080|v1|reviews.default.svc.cluster.local");
  EXPECT_EQ(d.route->clusters[0].weight, 80u);
  EXPECT_EQ(d.route->clusters[1].name, "outbound|9080|v2|reviews.default.svc.cluster.local");
  EXPECT_EQ(d.route->clusters[1].weight, 20u);
  int v2 = 0;
  for (std::uint64_t r = 0; r < 100; ++r) v2 += pick_weighted_cluster(*d.route, r) == 1;
  EXPECT_EQ(v2, 20);
  // virtual-service-all-v1 still routes the other services to v1.
  EXPECT_EQ(cluster_of(decide(*cfg, 9080, "ratings", "/ratings/0")), "outbound|9080|v1|ratings.default.svc.cluster.local");
  EXPECT_EQ(cluster_of(decide(*cfg, 9080, "details", "/details/0")), "outbound|9080|v1|details.default.svc.cluster.local");
}

}  // namespace
}  // namespace meshtwin::xds
