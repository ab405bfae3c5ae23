// Istio's peer labels on the records the simulation emits (docs/results-schema.md `metrics`):
// request_protocol follows the protocol Istio selects for the Service port the caller dialled
// (docs/semantics.md §13: the port's `name` / `appProtocol` prefix), one target remembering it
// per port (model/scenario/target.h).

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "mesh_fixture.h"

namespace meshtwin {
namespace {

// Counts each hop's request_protocol by destination service.
class ProtocolSink : public testing::MemorySink {
 public:
  void on_hop(const telemetry::HopRecord& h) override {
    testing::MemorySink::on_hop(h);
    ++protocols[std::string(h.destination_service)][std::string(h.peers.request_protocol)];
  }
  std::map<std::string, std::map<std::string, int>> protocols;
};

// `rpc` serves gRPC on a port named grpc and plain HTTP on one named http; `back` (the
// fixture's) only HTTP.
constexpr const char* kRpc = R"(
apiVersion: v1
kind: Service
metadata: {name: rpc}
spec:
  selector: {app: rpc}
  ports: [{name: grpc, port: 9000}, {name: http-admin, port: 8000}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: rpc-v1}
spec:
  selector: {matchLabels: {app: rpc, version: v1}}
  template:
    metadata: {labels: {app: rpc, version: v1}}
    spec: {containers: [{name: rpc, image: x, ports: [{containerPort: 9000}, {containerPort: 8000}]}]}
)";

class PeerLabelsTest : public MeshTest {
 protected:
  // Each hop's request_protocol by destination service, of a run of `clients` against kRpc.
  std::map<std::string, std::map<std::string, int>> protocols_of(const std::string& clients) {
    auto mesh = build("  duration: 5s\n  clients:\n" + clients, kRpc);
    if (!mesh) return {};
    ProtocolSink sink;
    mesh->run(sink);
    return sink.protocols;
  }
};

TEST_F(PeerLabelsTest, RequestProtocolIsTheDialledServicePortsProtocol_Sem13) {
  auto protocols = protocols_of(R"(    - {name: grpc, from: {workload: client}, to: "http://rpc:9000/Svc/Call", method: POST, rate: {constant: 20}}
    - {name: admin, from: {workload: client}, to: "http://back:9090/", rate: {constant: 20}}
)");
  const auto& rpc = protocols["rpc.default.svc.cluster.local"];
  const auto& back = protocols["back.default.svc.cluster.local"];
  ASSERT_EQ(rpc.size(), 1u);
  EXPECT_EQ(rpc.begin()->first, "grpc");
  EXPECT_EQ(rpc.begin()->second, 100);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back.begin()->first, "http");
  EXPECT_EQ(back.begin()->second, 100);
}

// The same Service on its HTTP port: the protocol is the port's, not the Service's first.
TEST_F(PeerLabelsTest, RequestProtocolFollowsThePortNotTheService_Sem13) {
  auto protocols = protocols_of(R"(    - {name: admin, from: {workload: client}, to: "http://rpc:8000/healthz", rate: {constant: 20}}
)");
  const auto& rpc = protocols["rpc.default.svc.cluster.local"];
  ASSERT_EQ(rpc.size(), 1u);
  EXPECT_EQ(rpc.begin()->first, "http");
}

}  // namespace
}  // namespace meshtwin
