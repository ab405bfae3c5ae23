// service_graph_dot (model/analysis/graph.h): services point at the workloads their compiled
// routes reach, with rule, subset and weight (docs/semantics.md §3.3); gateways at the services they route to.
#include <gtest/gtest.h>

#include "model/analysis/graph.h"
#include "model/config/loader.h"

namespace meshtwin::analysis {
namespace {

const std::string kBookinfo = std::string(MESHTWIN_SOURCE_DIR) + "/third_party/istio-samples/bookinfo/";

TEST(GraphTest, WeightedRoutesAndGatewayRoutesAreEdges) {
  config::ConfigStore store;
  config::Diagnostics diags;
  config::load_paths({kBookinfo + "platform/kube/bookinfo.yaml", kBookinfo + "networking/bookinfo-gateway.yaml",
                      kBookinfo + "networking/destination-rule-all.yaml",
                      kBookinfo + "networking/virtual-service-reviews-80-20.yaml"},
                     store, diags);
  ASSERT_FALSE(diags.has_errors());
  auto reg = registry::Registry::build(store, diags);
  const std::string dot = service_graph_dot(store, reg, xds::MeshOptions{});
  EXPECT_TRUE(dot.starts_with("digraph G {")) << dot;
  EXPECT_NE(dot.find("[label=\"default/reviews#http[0]\\nsubset v1\\n80%\"]"), std::string::npos) << dot;
  EXPECT_NE(dot.find("[label=\"default/reviews#http[0]\\nsubset v2\\n20%\"]"), std::string::npos) << dot;
  EXPECT_EQ(dot.find("reviews-v3\", shape=box"), std::string::npos) << "v3 gets no traffic under 80/20";
  EXPECT_NE(dot.find("[label=\"istio-system/istio-ingressgateway\", shape=diamond]"), std::string::npos);
  EXPECT_NE(dot.find("exact /productpage"), std::string::npos);
}

TEST(GraphTest, MissingSubsetsShowAsNoSuchCluster) {
  config::ConfigStore store;
  config::Diagnostics diags;
  config::load_paths({kBookinfo + "platform/kube/bookinfo.yaml", kBookinfo + "networking/virtual-service-all-v1.yaml"},
                     store, diags);  // no DestinationRules: the v1 subsets do not exist
  auto reg = registry::Registry::build(store, diags);
  const std::string dot = service_graph_dot(store, reg, xds::MeshOptions{});
  EXPECT_NE(dot.find("outbound|9080|v1|reviews.default.svc.cluster.local\\n(no such cluster: 503 NC)"),
            std::string::npos)
      << dot;
}

}  // namespace
}  // namespace meshtwin::analysis
