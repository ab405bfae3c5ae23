// Proxy classes (docs/semantics.md §1.2, §2.2, §12.3): sidecars whose compiled config would be
// equal share one compiled ProxyConfig, as istiod's caches make the output independent of the
// labels no configuration selects on. A label selector that some resource evaluates (a
// VirtualService match's sourceLabels, a Sidecar's workloadSelector) splits the class, and the
// routing that depends on it stays right.

#include <map>
#include <string>

#include "mesh_fixture.h"

namespace meshtwin {
namespace {

// The base mesh's workloads (front-v1, back-v1, back-v2, client) all live in `default` with
// distinct labels; two clients call `back`, one from `client`, one from `front`.
constexpr const char* kTwoCallers = R"(  duration: 10s
  clients:
    - {name: from-client, from: {workload: client}, to: "http://back:9090/items", rate: {constant: 50}}
    - {name: from-front, from: {workload: front-v1}, to: "http://back:9090/items", rate: {constant: 50}}
)";

// The scenario's default istio-ingressgateway and istio-egressgateway, each its own class.
constexpr std::size_t kDefaultGateways = 2;

constexpr const char* kSubsets = R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: back}
spec:
  host: back
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
)";

std::map<std::string, std::map<std::string, int>> versions_by_client(const testing::MemorySink& sink) {
  std::map<std::string, std::map<std::string, int>> out;
  for (const auto& r : sink.requests) ++out[std::string(r.client)][std::string(r.destination_version)];
  return out;
}

TEST_F(MeshTest, WorkloadsWithTheSameRelevantInputsShareOneCompiledConfig_Sem1_2) {
  auto mesh = build(kTwoCallers, kSubsets);
  ASSERT_TRUE(mesh);
  // Four workloads with four different label sets, one namespace, nothing selecting on labels:
  // one sidecar config, plus one each for the mesh's default ingress and egress gateways.
  EXPECT_EQ(mesh->proxy_configs_compiled(), 1u + kDefaultGateways);
}

TEST_F(MeshTest, ASourceLabelsMatchGivesTheSelectedWorkloadItsOwnConfig_Sem2_2) {
  const std::string vs = std::string(kSubsets) + R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: back}
spec:
  hosts: [back]
  http:
  - match: [{sourceLabels: {app: front}}]
    route: [{destination: {host: back, subset: v2}}]
  - route: [{destination: {host: back, subset: v1}}]
)";
  auto mesh = build(kTwoCallers, vs);
  ASSERT_TRUE(mesh);
  EXPECT_EQ(mesh->proxy_configs_compiled(), 2u + kDefaultGateways);  // front's sidecar, everyone else's

  testing::MemorySink sink;
  mesh->run(sink);
  auto by_client = versions_by_client(sink);
  EXPECT_EQ(by_client["from-front"]["v2"], 500);
  EXPECT_EQ(by_client["from-front"]["v1"], 0);
  EXPECT_EQ(by_client["from-client"]["v1"], 500);
  EXPECT_EQ(by_client["from-client"]["v2"], 0);
}

TEST_F(MeshTest, ASidecarWithAWorkloadSelectorSplitsTheClass_Sem12_3) {
  const std::string sidecar = std::string(kSubsets) + R"(
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: front-only}
spec:
  workloadSelector: {labels: {app: front}}
  egress: [{hosts: ["./*"]}]
)";
  auto mesh = build(kTwoCallers, sidecar);
  ASSERT_TRUE(mesh);
  EXPECT_EQ(mesh->proxy_configs_compiled(), 2u + kDefaultGateways);
}

}  // namespace
}  // namespace meshtwin
