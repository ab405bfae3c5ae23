// explain (model/xds/explain.h): the narration names each decision (docs/semantics.md §1.5, §2, §3, §7,
// §12.2) and the outcome.
#include <gtest/gtest.h>

#include <algorithm>

#include "model/config/loader.h"
#include "model/xds/explain.h"
#include "tests/xds/xds_test_util.h"

namespace meshtwin::xds {
namespace {

const std::string kBookinfo = std::string(MESHTWIN_SOURCE_DIR) + "/third_party/istio-samples/bookinfo/";

bool has_line(const Explanation& e, const std::string& needle) {
  for (const auto& l : e.lines)
    if (l.find(needle) != std::string::npos) return true;
  return false;
}

std::string dump(const Explanation& e) {
  std::string s;
  for (const auto& l : e.lines) s += l + "\n";
  return s;
}

struct Bookinfo {
  config::ConfigStore store;
  config::Diagnostics diags;
  registry::Registry reg;
  explicit Bookinfo(const std::vector<std::string>& files) {
    std::vector<std::string> paths{kBookinfo + "platform/kube/bookinfo.yaml",
                                   kBookinfo + "networking/destination-rule-all.yaml"};
    for (const auto& f : files) paths.push_back(kBookinfo + "networking/" + f);
    config::load_paths(paths, store, diags);
    reg = registry::Registry::build(store, diags);
  }
  std::optional<Explanation> run(const std::string& workload, const std::string& url,
                                 std::vector<std::pair<std::string, std::string>> headers = {},
                                 MeshOptions mesh = {}) {
    std::string error;
    auto id = proxy_identity(reg, {"default", workload, false}, &error);
    EXPECT_TRUE(id.has_value()) << error;
    if (!id) return std::nullopt;
    auto cfg = compile_sidecar(store, reg, *id, mesh);
    return explain(*cfg, reg, *id, {url, std::move(headers), "GET"}, &error);
  }
};

TEST(ExplainTest, S2_3_S7_JasonGoesToReviewsV2WithTheRouteAndSubsetNamed) {
  Bookinfo b({"virtual-service-reviews-test-v2.yaml"});
  ASSERT_FALSE(b.diags.has_errors());
  auto jason = b.run("productpage-v1", "http://reviews:9080/reviews/0", {{"end-user", "jason"}});
  ASSERT_TRUE(jason.has_value());
  EXPECT_TRUE(has_line(*jason, "listener 0.0.0.0_9080")) << dump(*jason);
  EXPECT_TRUE(has_line(*jason, "route configuration 9080"));
  EXPECT_TRUE(has_line(*jason, "virtual host reviews.default.svc.cluster.local:9080"));
  EXPECT_TRUE(has_line(*jason, "1. default/reviews#http[0] match prefix /, header end-user exactly \"jason\"  -> MATCHED"));
  EXPECT_TRUE(has_line(*jason, "subset v2 {version: v2}"));
  EXPECT_TRUE(has_line(*jason, "reviews-v2-0"));
  EXPECT_EQ(jason->outcome, "forwarded to outbound|9080|v2|reviews.default.svc.cluster.local");

  auto other = b.run("productpage-v1", "http://reviews:9080/reviews/0");
  ASSERT_TRUE(other.has_value());
  EXPECT_TRUE(has_line(*other, "-> no: header end-user is absent")) << dump(*other);
  EXPECT_EQ(other->outcome, "forwarded to outbound|9080|v1|reviews.default.svc.cluster.local");
}

TEST(ExplainTest, S12_2_RegistryOnlyBlockedCallIsA502FromBlockAll) {
  Bookinfo b({});
  MeshOptions mesh;
  mesh.outbound_traffic_policy = "REGISTRY_ONLY";
  auto e = b.run("productpage-v1", "http://httpbin.org/headers", {}, mesh);
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE(has_line(*e, "virtual host block_all")) << dump(*e);
  EXPECT_NE(e->outcome.find("502"), std::string::npos) << e->outcome;
  auto tcp = b.run("productpage-v1", "tcp://db.example.com:5432", {}, mesh);
  ASSERT_TRUE(tcp.has_value());
  EXPECT_TRUE(has_line(*tcp, "BlackHoleCluster")) << dump(*tcp);
}

TEST(ExplainTest, S3_3_S5_WeightsRetriesAndTimeoutsInForce) {
  Bookinfo b({"virtual-service-reviews-80-20.yaml"});
  auto e = b.run("productpage-v1", "http://reviews:9080/");
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE(has_line(*e, "outbound|9080|v1|reviews.default.svc.cluster.local 80/100")) << dump(*e);
  EXPECT_TRUE(has_line(*e, "outbound|9080|v2|reviews.default.svc.cluster.local 20/100"));
  EXPECT_TRUE(has_line(*e, "timeout: none"));
  EXPECT_TRUE(has_line(*e, "retries: 2 on connect-failure"));
}

TEST(ExplainTest, BadTargetsAndUrlsAreErrorsNotCrashes) {
  Bookinfo b({});
  std::string error;
  EXPECT_FALSE(proxy_identity(b.reg, {"default", "nope", false}, &error).has_value());
  EXPECT_NE(error.find("no workload default/nope"), std::string::npos);
  EXPECT_FALSE(proxy_identity(b.reg, {"istio-system", "istio-ingressgateway", false}, &error).has_value());
  EXPECT_NE(error.find("use --gateway"), std::string::npos);
  auto id = proxy_identity(b.reg, {"default", "productpage-v1", false}, &error);
  ASSERT_TRUE(id.has_value());
  auto cfg = compile_sidecar(b.store, b.reg, *id, MeshOptions{});
  EXPECT_FALSE(explain(*cfg, b.reg, *id, {"tcp://reviews", {}, "GET"}, &error).has_value());
  EXPECT_NE(error.find("needs a port"), std::string::npos);
  EXPECT_FALSE(explain(*cfg, b.reg, *id, {"ftp://x/", {}, "GET"}, &error).has_value());
}

TEST(ExplainTest, S11_GatewayTranslatesTheServicePort) {
  Bookinfo b({"bookinfo-gateway.yaml", "virtual-service-all-v1.yaml"});
  std::string error;
  auto id = proxy_identity(b.reg, {"istio-system", "istio-ingressgateway", true}, &error);
  ASSERT_TRUE(id.has_value()) << error;
  auto cfg = compile_gateway(b.store, b.reg, *id, MeshOptions{});
  auto e = explain(*cfg, b.reg, *id, {"http://bookinfo.example.com/productpage", {}, "GET"}, &error);
  ASSERT_TRUE(e.has_value()) << error;
  EXPECT_TRUE(has_line(*e, "port 80 -> gateway pod port 8080")) << dump(*e);
  EXPECT_TRUE(has_line(*e, "listener 0.0.0.0_8080"));
  EXPECT_EQ(e->outcome, "forwarded to outbound|9080||productpage.default.svc.cluster.local");
}

}  // namespace
}  // namespace meshtwin::xds

namespace meshtwin::xds {
namespace {

// Issue 11 §6 / docs/semantics.md §1.5: the listener and route table come from where the request
// is sent (reviews:9080), the virtual host from its Host header; Istio turns on
// ignore_port_in_host_matching, so a port in the Host (any port, the default one or the one the
// request was sent to) does not change the virtual host.
TEST(ExplainTest, S1_5_HostHeaderPicksTheVirtualHostOnTheDestinationsRouteTable) {
  Bookinfo b({"virtual-service-all-v1.yaml"});
  ASSERT_FALSE(b.diags.has_errors());
  for (const std::string host : {"ratings", "ratings:9080", "RATINGS.default.svc.cluster.local:80", "ratings:12345"}) {
    auto e = b.run("productpage-v1", "http://reviews:9080/reviews/0", {{"host", host}});
    ASSERT_TRUE(e.has_value());
    EXPECT_TRUE(has_line(*e, "listener 0.0.0.0_9080")) << host << "\n" << dump(*e);
    EXPECT_TRUE(has_line(*e, "route configuration 9080")) << host;
    EXPECT_TRUE(has_line(*e, "virtual host ratings.default.svc.cluster.local:9080")) << host << "\n" << dump(*e);
    EXPECT_TRUE(has_line(*e, "the Host header")) << host;
    EXPECT_EQ(e->outcome, "forwarded to outbound|9080|v1|ratings.default.svc.cluster.local") << host;
  }
  // Without a Host header the URL's host is the authority.
  auto plain = b.run("productpage-v1", "http://reviews:9080/reviews/0");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->outcome, "forwarded to outbound|9080|v1|reviews.default.svc.cluster.local");
  // A Host no service or VirtualService claims falls to the port's catch-all, though the URL's
  // host has a virtual host: allow_any (passthrough), or block_all's 502 under REGISTRY_ONLY.
  auto unknown = b.run("productpage-v1", "http://reviews:9080/reviews/0", {{"host", "c.example"}});
  ASSERT_TRUE(unknown.has_value());
  EXPECT_TRUE(has_line(*unknown, "virtual host allow_any (host \"c.example\")")) << dump(*unknown);
  MeshOptions mesh;
  mesh.outbound_traffic_policy = "REGISTRY_ONLY";
  auto blocked = b.run("productpage-v1", "http://reviews:9080/reviews/0", {{"host", "c.example"}}, mesh);
  ASSERT_TRUE(blocked.has_value());
  EXPECT_NE(blocked->outcome.find("502"), std::string::npos) << blocked->outcome;
}

// Issue 11 §6: after a gateway terminates TLS (a SIMPLE server on 443) the request's :scheme is
// https, so a `scheme: {exact: https}` match hits; plain HTTP on the same gateway stays http.
TEST(ExplainTest, S11_SchemeIsHttpsAfterTheGatewayTerminatesTls) {
  config::ConfigStore store;
  config::Diagnostics diags;
  config::load_paths({kBookinfo + "platform/kube/bookinfo.yaml"}, store, diags);
  config::load_yaml_text(R"(
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [bookinfo.example.com]
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [bookinfo.example.com]
    tls: {mode: SIMPLE, credentialName: bookinfo-cert}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pp}
spec:
  hosts: [bookinfo.example.com]
  gateways: [gw]
  http:
  - match: [{scheme: {exact: https}}]
    route: [{destination: {host: productpage}}]
  - route: [{destination: {host: details}}]
)",
                         "gw.yaml", store, diags);
  ASSERT_FALSE(diags.has_errors());
  const registry::Registry reg = registry::Registry::build(store, diags);
  std::string error;
  auto id = proxy_identity(reg, {"istio-system", "istio-ingressgateway", true}, &error);
  ASSERT_TRUE(id.has_value()) << error;
  auto cfg = compile_gateway(store, reg, *id, MeshOptions{});
  auto tls = explain(*cfg, reg, *id, {"https://bookinfo.example.com/productpage", {}, "GET"}, &error);
  ASSERT_TRUE(tls.has_value()) << error;
  EXPECT_EQ(tls->outcome, "forwarded to outbound|9080||productpage.default.svc.cluster.local") << dump(*tls);
  auto plain = explain(*cfg, reg, *id, {"http://bookinfo.example.com/productpage", {}, "GET"}, &error);
  ASSERT_TRUE(plain.has_value()) << error;
  EXPECT_EQ(plain->outcome, "forwarded to outbound|9080||details.default.svc.cluster.local") << dump(*plain);
}


// docs/semantics.md §20.1: the istio.io "Egress TLS Origination" rules. The cluster for port 80
// originates TLS (SIMPLE, auto_sni from the authority, auto_san_validation) to the endpoint's
// target port 443; an explicit sni is sent as given; ISTIO_MUTUAL stays "not simulated".
TEST(ExplainTest, S20_1_SimpleTlsOriginationToTheTargetPort) {
  const std::string tasks = std::string(MESHTWIN_SOURCE_DIR) + "/scenarios/istio-tasks/manifests/";
  for (const std::string mode : {"auto", "sni", "ISTIO_MUTUAL"}) {
    config::ConfigStore store;
    config::Diagnostics diags;
    config::load_paths({tasks + "sleep.yaml", tasks + "tasks/edition-cnn-com-tls-origination.yaml"}, store, diags);
    if (mode != "auto") {
      config::load_yaml_text(R"(
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: edition-cnn-com}
spec:
  host: edition.cnn.com
  trafficPolicy:
    portLevelSettings:
    - port: {number: 80}
      tls: )" + std::string(mode == "sni" ? "{mode: SIMPLE, sni: cnn.example}" : "{mode: ISTIO_MUTUAL}") + "\n",
                             "dr.yaml", store, diags);
    }
    ASSERT_FALSE(diags.has_errors());
    const registry::Registry reg = registry::Registry::build(store, diags);
    std::string error;
    auto id = proxy_identity(reg, {"default", "sleep", false}, &error);
    ASSERT_TRUE(id.has_value()) << error;
    auto cfg = compile_sidecar(store, reg, *id, MeshOptions{});
    const Cluster* c = testing::find_cluster(*cfg, "outbound|80||edition.cnn.com");
    ASSERT_NE(c, nullptr);
    ASSERT_EQ(c->endpoints.size(), 1u);
    EXPECT_EQ(c->endpoints[0].port, 443u);  // the ServiceEntry's targetPort
    auto e = explain(*cfg, reg, *id, {"http://edition.cnn.com/politics", {}, "GET"}, &error);
    ASSERT_TRUE(e.has_value()) << error;
    EXPECT_EQ(e->outcome, "forwarded to outbound|80||edition.cnn.com") << dump(*e);
    if (mode == "ISTIO_MUTUAL") {
      EXPECT_FALSE(c->upstream_tls.originates());
      EXPECT_TRUE(has_line(*e, "DestinationRule tls mode ISTIO_MUTUAL (not simulated)")) << dump(*e);
      continue;
    }
    EXPECT_TRUE(c->upstream_tls.originates());
    EXPECT_EQ(c->upstream_tls.auto_sni, mode == "auto");
    EXPECT_EQ(c->upstream_tls.auto_san_validation, mode == "auto");
    EXPECT_TRUE(has_line(*e, "TLS origination (DestinationRule tls mode SIMPLE)")) << dump(*e);
    EXPECT_TRUE(has_line(*e, mode == "auto" ? "SNI edition.cnn.com (auto_sni" : "SNI cnn.example (the DestinationRule's sni)"))
        << dump(*e);
    EXPECT_TRUE(has_line(*e, "leaves the proxy as HTTPS")) << dump(*e);
    EXPECT_TRUE(has_line(*e, "edition.cnn.com (not a pod):443")) << dump(*e);
    // Port 443 has no tls block: the app's own TLS passes as it is.
    const Cluster* https = testing::find_cluster(*cfg, "outbound|443||edition.cnn.com");
    ASSERT_NE(https, nullptr);
    EXPECT_FALSE(https->upstream_tls.originates());
  }
}

}  // namespace
}  // namespace meshtwin::xds

namespace meshtwin::xds {
namespace {

// Issue 11 §2 / docs/semantics.md §3.4: explain prints the path and Host the upstream receives
// for this request after the route's rewrites, and each header operation it applies (the
// rule's, then the destination's; removals first), as istio/api's HTTPRewrite and Headers
// describe them.
TEST(ExplainTest, S3_4_RewrittenPathHostAndEachHeaderOperation) {
  config::ConfigStore store;
  config::Diagnostics diags;
  config::load_paths({kBookinfo + "platform/kube/bookinfo.yaml"}, store, diags);
  config::load_yaml_text(R"yaml(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {prefix: /api/}}]
    rewrite: {uri: /reviews/, authority: reviews.internal}
    headers: {request: {set: {x-via: mesh}, remove: [x-debug]}}
    route: [{destination: {host: reviews}, headers: {request: {add: {x-dest: d1}}}}]
  - match: [{uri: {regex: "/r/([0-9]+)"}}]
    rewrite: {uriRegexRewrite: {match: "^/r/([0-9]+)$", rewrite: "/reviews/\\1"}}
    route: [{destination: {host: reviews}}]
  - route: [{destination: {host: reviews}}]
)yaml",
                         "vs.yaml", store, diags);
  ASSERT_FALSE(diags.has_errors());
  const registry::Registry reg = registry::Registry::build(store, diags);
  std::string error;
  auto id = proxy_identity(reg, {"default", "productpage-v1", false}, &error);
  ASSERT_TRUE(id.has_value()) << error;
  auto cfg = compile_sidecar(store, reg, *id, MeshOptions{});
  auto e = explain(*cfg, reg, *id, {"http://reviews:9080/api/0?x=1", {}, "GET"}, &error);
  ASSERT_TRUE(e.has_value()) << error;
  const std::vector<std::string> expected = {
      "  upstream path: /api/0?x=1 -> /reviews/0?x=1",
      "  upstream host: reviews:9080 -> reviews.internal",
      "  header remove: x-debug",
      "  header set: x-via: mesh",
      "  header add via outbound|9080||reviews.default.svc.cluster.local: x-dest: d1",
  };
  auto first = std::find(e->lines.begin(), e->lines.end(), expected.front());
  ASSERT_NE(first, e->lines.end()) << dump(*e);
  EXPECT_EQ(std::vector<std::string>(first, std::min(first + 5, e->lines.end())), expected) << dump(*e);
  auto regex = explain(*cfg, reg, *id, {"http://reviews:9080/r/7", {}, "GET"}, &error);
  ASSERT_TRUE(regex.has_value()) << error;
  EXPECT_TRUE(has_line(*regex, "  upstream path: /r/7 -> /reviews/7")) << dump(*regex);
  EXPECT_FALSE(has_line(*regex, "upstream host")) << dump(*regex);
  // A route without rewrites or header operations prints neither.
  auto plain = explain(*cfg, reg, *id, {"http://reviews:9080/reviews/0", {}, "GET"}, &error);
  ASSERT_TRUE(plain.has_value()) << error;
  EXPECT_FALSE(has_line(*plain, "upstream ")) << dump(*plain);
  EXPECT_FALSE(has_line(*plain, "header ")) << dump(*plain);
}

}  // namespace
}  // namespace meshtwin::xds
