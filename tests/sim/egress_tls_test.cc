// Hosts outside the mesh that answer per port and scheme (`externals.<host>.ports`), and the
// caller's proxy originating TLS for a DestinationRule `tls` mode SIMPLE (the istio.io "Egress
// TLS Origination" task). Each test names the docs/semantics.md section it pins (§20).

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "mesh_fixture.h"
#include "model/telemetry/response_flags.h"

namespace meshtwin {
namespace {

using telemetry::format_response_flags;

// The task's first ServiceEntry: edition.cnn.com on 80 (HTTP) and 443 (HTTPS), DNS.
constexpr const char* kCnn = R"(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: edition-cnn-com}
spec:
  hosts: [edition.cnn.com]
  ports:
  - {number: 80, name: http-port, protocol: HTTP}
  - {number: 443, name: https-port, protocol: HTTPS}
  resolution: DNS
)";

// The task's origination step: port 80 targets 443, and SIMPLE on port 80.
constexpr const char* kCnnOrigination = R"(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: edition-cnn-com}
spec:
  hosts: [edition.cnn.com]
  ports:
  - {number: 80, name: http-port, protocol: HTTP, targetPort: 443}
  - {number: 443, name: https-port, protocol: HTTPS}
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: edition-cnn-com}
spec:
  host: edition.cnn.com
  trafficPolicy:
    portLevelSettings:
    - port: {number: 80}
      tls: {mode: SIMPLE}
)";

constexpr const char* kCnnExternal = R"(  externals:
    edition.cnn.com:
      serviceTime: 5ms
      ports:
        - {port: 80, protocol: HTTP, redirectToHttps: true}
        - {port: 443, protocol: HTTPS}
)";

// `duration`, the edition.cnn.com external above, and an http:// and an https:// client of
// 10 requests/s each to /politics.
std::string cnn_spec(const std::string& duration, const std::string& externals = kCnnExternal) {
  return "  duration: " + duration + "\n" + externals + R"(  clients:
    - {name: http, from: {workload: client}, to: "http://edition.cnn.com/politics", rate: {constant: 10}}
    - {name: https, from: {workload: client}, to: "https://edition.cnn.com/politics", rate: {constant: 10}}
)";
}

std::map<std::string, std::map<int, int>> codes_by_client(const testing::MemorySink& sink) {
  std::map<std::string, std::map<int, int>> out;
  for (const auto& r : sink.requests) ++out[r.client][r.code];
  return out;
}

TEST_F(MeshTest, ExternalAnswersPerPortAndScheme_Sem20_3) {
  auto sink = run(cnn_spec("10s"), kCnn);
  auto by = codes_by_client(sink);
  // Plain HTTP on port 80 gets the site's redirect; the app's own TLS to 443 gets the page.
  EXPECT_EQ(by["http"][301], 100);
  EXPECT_EQ(by["http"].size(), 1u);
  EXPECT_EQ(by["https"][200], 100);
  EXPECT_EQ(by["https"].size(), 1u);
  // The site's Location is recorded (the Host header's host, the request's path).
  for (const auto& r : sink.requests)
    EXPECT_EQ(r.location, r.client == "http" ? "https://edition.cnn.com/politics" : "") << r.client;
  for (const auto& s : sink.spans) {
    EXPECT_EQ(s.location, s.code == 301 ? "https://edition.cnn.com/politics" : "");
    EXPECT_EQ(s.destination_pod, "edition.cnn.com");
    EXPECT_GE(s.duration, 5 * engine::kMillisecond);  // both ports answer with the host's service time
  }
}

TEST_F(MeshTest, ExternalWithoutPortsAnswersEveryPortAsBefore_Sem20_3) {
  auto sink = run(cnn_spec("5s", "  externals:\n    edition.cnn.com: {serviceTime: 5ms}\n"), kCnnOrigination);
  for (const auto& r : sink.requests) EXPECT_EQ(r.code, 200) << r.client;
  EXPECT_EQ(sink.requests.size(), 100u);
}

TEST_F(MeshTest, SimpleOriginatesTlsToTheTargetPort_Sem20_1) {
  auto sink = run(cnn_spec("10s"), kCnnOrigination);
  auto by = codes_by_client(sink);
  // The sidecar sends the plain request as HTTPS to 443: the page, without the redirect; the
  // app's own HTTPS is unchanged (the task's last step).
  EXPECT_EQ(by["http"][200], 100);
  EXPECT_EQ(by["http"].size(), 1u);
  EXPECT_EQ(by["https"][200], 100);
  for (const auto& s : sink.spans)
    if (s.cluster == "outbound|80||edition.cnn.com") EXPECT_EQ(s.code, 200);
  // The request stays a plain HTTP request at the sidecar: path and route are the app's.
  for (const auto& r : sink.requests)
    if (r.client == "http") EXPECT_EQ(r.attempts, 1);
}

TEST_F(MeshTest, PlainHttpToAnHttpsPortIsClosed_Sem20_3) {
  // targetPort 443 without the DestinationRule: plain bytes reach the TLS port; the server
  // closes the connection before any response (503 UC; Istio's default retry policy does not
  // retry a reset).
  std::string se = kCnnOrigination;
  se.resize(se.find("---"));
  auto sink = run(std::string(R"(  duration: 5s
)") + kCnnExternal + R"(  clients:
    - {name: http, from: {workload: client}, to: "http://edition.cnn.com/politics", rate: {constant: 10}}
)",
                  se);
  ASSERT_EQ(sink.requests.size(), 50u);
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.code, 503);
    EXPECT_EQ(format_response_flags(r.flags), "UC");
  }
}

TEST_F(MeshTest, TlsToAPlainPortAndClosedPortsFailToConnect_Sem20_3) {
  // SIMPLE on port 80 without the targetPort: TLS reaches the plain HTTP port and the handshake
  // fails; a port the host does not list refuses the connection. Both are connect failures
  // (UF) that Istio's default policy retries twice (URX).
  std::string dr = kCnnOrigination;
  dr = dr.substr(dr.find("---"));
  auto sink = run(cnn_spec("5s", "  externals:\n    edition.cnn.com:\n      ports: [{port: 80, protocol: HTTP}]\n"),
                  std::string(kCnn) + dr);
  ASSERT_EQ(sink.requests.size(), 100u);
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.code, 503) << r.client;
    if (r.client == "http") {
      EXPECT_EQ(format_response_flags(r.flags), "UF,URX");
      EXPECT_EQ(r.attempts, 3);
    }
  }
}

TEST_F(MeshTest, IstioMutualAndDisableChangeNothingOutside_Sem20_2) {
  for (const char* mode : {"ISTIO_MUTUAL", "DISABLE"}) {
    auto sink = run(std::string(R"(  duration: 2s
)") + kCnnExternal + R"(  clients:
    - {name: http, from: {workload: client}, to: "http://edition.cnn.com/politics", rate: {constant: 10}}
)",
                    std::string(kCnn) + R"(---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: edition-cnn-com}
spec:
  host: edition.cnn.com
  trafficPolicy: {tls: {mode: )" + mode + "}}\n");
    EXPECT_EQ(codes_by_client(sink)["http"][301], 20) << mode;
  }
}

TEST_F(MeshTest, PortRulesTakeTheirOwnStatusAndFailures_Sem20_3) {
  auto sink = run(R"(  duration: 5s
  externals:
    edition.cnn.com:
      failures: [{rate: 1.0, kind: status, status: 500}]
      ports:
        - {port: 80, protocol: HTTP, status: 204, failures: []}
        - {port: 443, protocol: HTTPS}
  clients:
    - {name: http, from: {workload: client}, to: "http://edition.cnn.com/x", rate: {constant: 10}}
)",
                  kCnn);
  // Port 80's own empty failure list replaces the host's; its status is 204.
  EXPECT_EQ(codes_by_client(sink)["http"][204], 50);
}

}  // namespace
}  // namespace meshtwin
