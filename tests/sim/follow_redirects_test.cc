// Clients that follow redirects (`followRedirects`, curl -L): each hop a request row of its own
// whose redirect_of names the previous hop, the Location of every 3xx recorded in requests and
// spans (docs/results-schema.md schema 6), the limit, and curl's method rules.

#include <string>

#include <gtest/gtest.h>

#include "mesh_fixture.h"

namespace meshtwin {
namespace {

// `back` redirects /old to /new (301) and /loop to itself (302); /see-other answers 303 to
// /new; everything else is forwarded to the pods.
constexpr const char* kRedirects = R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: back}
spec:
  hosts: [back]
  http:
  - match: [{uri: {exact: /old}}]
    redirect: {uri: /new}
  - match: [{uri: {exact: /loop}}]
    redirect: {uri: /loop, redirectCode: 302}
  - match: [{uri: {exact: /see-other}}]
    redirect: {uri: /new, redirectCode: 303}
  - route: [{destination: {host: back}}]
)";

std::string client(const std::string& path, const std::string& extra) {
  return R"(  duration: 2s
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090)" +
         path + R"(", rate: {constant: 5})" + extra + "}\n";
}

TEST_F(MeshTest, ClientFollowsARedirectAsASecondRequest_Sem3_4) {
  auto sink = run(client("/old", ", followRedirects: true"), kRedirects);
  ASSERT_EQ(sink.requests.size(), 20u);  // 10 requests, two hops each
  std::map<std::uint64_t, const testing::StoredRequest*> by_id;
  for (const auto& r : sink.requests) by_id[r.request_id] = &r;
  int firsts = 0;
  for (const auto& r : sink.requests) {
    if (r.redirect_of == 0) {
      ++firsts;
      EXPECT_EQ(r.code, 301);
      EXPECT_EQ(r.path, "/old");
      EXPECT_EQ(r.location, "http://back:9090/new");  // Envoy keeps the Host header's port
    } else {
      ASSERT_TRUE(by_id.count(r.redirect_of));
      const auto& prev = *by_id[r.redirect_of];
      EXPECT_EQ(prev.code, 301);
      EXPECT_EQ(r.code, 200);
      EXPECT_EQ(r.path, "/new");
      EXPECT_EQ(r.authority, "back:9090");
      EXPECT_EQ(r.location, "");
      EXPECT_GE(r.start, prev.start + prev.duration);  // the next hop starts after the answer
    }
  }
  EXPECT_EQ(firsts, 10);
  // The local reply's span carries the Location too; forwarded spans none.
  int located = 0;
  for (const auto& s : sink.spans) {
    if (s.code == 301) {
      EXPECT_EQ(s.location, "http://back:9090/new");
      ++located;
    } else {
      EXPECT_EQ(s.location, "");
    }
  }
  EXPECT_EQ(located, 10);
}

TEST_F(MeshTest, WithoutFollowRedirectsTheClientStopsAtThe3xx_Sem3_4) {
  auto sink = run(client("/old", ""), kRedirects);
  ASSERT_EQ(sink.requests.size(), 10u);
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.code, 301);
    EXPECT_EQ(r.redirect_of, 0u);
    EXPECT_EQ(r.location, "http://back:9090/new");  // recorded whether followed or not
  }
}

TEST_F(MeshTest, ALimitEndsARedirectLoop_Sem3_4) {
  // followRedirects: 3 on a loop: the request and three redirects, the last 302 kept.
  auto sink = run(client("/loop", ", followRedirects: 3"), kRedirects);
  ASSERT_EQ(sink.requests.size(), 40u);
  int chain_ends = 0;
  std::map<std::uint64_t, int> depth;
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.code, 302);
    depth[r.request_id] = r.redirect_of == 0 ? 0 : depth.at(r.redirect_of) + 1;
    EXPECT_LE(depth[r.request_id], 3);
    chain_ends += depth[r.request_id] == 3;
  }
  EXPECT_EQ(chain_ends, 10);
}

TEST_F(MeshTest, RedirectsTurnPostIntoGetAsCurlDoes_Sem3_4) {
  // 303 always, and 301/302 after a POST, become a GET (curl -L without --post301/302).
  for (const std::string path : {"/see-other", "/old"}) {
    auto sink = run(client(path, ", method: POST, followRedirects: true"), kRedirects);
    ASSERT_EQ(sink.requests.size(), 20u) << path;
    for (const auto& r : sink.requests) EXPECT_EQ(r.method, r.redirect_of ? "GET" : "POST") << path;
  }
}

TEST_F(MeshTest, AHopTheLocationCannotReachEndsTheChain_Sem3_4) {
  // A Location naming a cluster-local service that does not exist: curl would fail to resolve
  // it; the chain ends with the 301.
  auto sink = run(client("/old", ", followRedirects: true"), R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: back}
spec:
  hosts: [back]
  http:
  - redirect: {authority: nowhere, uri: /new}
)");
  ASSERT_EQ(sink.requests.size(), 10u);
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.code, 301);
    EXPECT_EQ(r.location, "http://nowhere/new");
  }
}

// A gateway server with tls.httpsRedirect answers plain HTTP for its hosts with Envoy's
// require_tls 301 to https://<Host><path>, before any route (docs/semantics.md §11); curl -L
// then asks the HTTPS server, which routes it.
TEST_F(MeshTest, GatewayHttpsRedirectAnswers301ToHttpsAndTheClientFollows_Sem11) {
  auto sink = run(R"(  duration: 2s
  clients:
    - {name: c, from: {gateway: istio-system/istio-ingressgateway}, to: "http://back.example.com/api/x?q=1", rate: {constant: 5}, followRedirects: true}
    - {name: once, from: {gateway: istio-system/istio-ingressgateway}, to: "http://back.example.com:80/other", rate: {constant: 5}}
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
    tls: {httpsRedirect: true}
  - port: {number: 443, name: https, protocol: HTTPS}
    tls: {mode: SIMPLE, credentialName: back-cert}
    hosts: [back.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: back-edge}
spec:
  hosts: [back.example.com]
  gateways: [gw]
  http:
  - route: [{destination: {host: back, port: {number: 9090}}}]
)");
  int redirected = 0, followed = 0, once = 0;
  for (const auto& r : sink.requests) {
    if (r.client == "once") {
      ++once;
      EXPECT_EQ(r.code, 301);
      EXPECT_EQ(r.flags, 0u);
      // The Host the client sent (a client leaves the scheme's default port out, as curl does).
      EXPECT_EQ(r.location, "https://back.example.com/other");
    } else if (r.redirect_of == 0) {
      ++redirected;
      EXPECT_EQ(r.code, 301);
      EXPECT_EQ(r.location, "https://back.example.com/api/x?q=1");
      EXPECT_EQ(r.vs_rule, "-") << "require_tls answers before any route";
    } else {
      ++followed;
      EXPECT_EQ(r.code, 200);
      EXPECT_EQ(r.vs_rule, "default/back-edge#http[0]");
    }
  }
  EXPECT_EQ(redirected, 10);
  EXPECT_EQ(followed, 10);
  EXPECT_EQ(once, 10);
}

}  // namespace
}  // namespace meshtwin
