// lint (model/analysis/lint.h): each seeded mistake is reported with istioctl analyze's code at
// its file:line and field path; Istio's task apply sets give no false finding.
#include <gtest/gtest.h>

#include <algorithm>

#include "model/analysis/lint.h"
#include "model/config/loader.h"

namespace meshtwin::analysis {
namespace {

const std::string kBookinfo = std::string(MESHTWIN_SOURCE_DIR) + "/third_party/istio-samples/bookinfo/";

struct Linted {
  config::ConfigStore store;
  config::Diagnostics diags;
  std::vector<Finding> findings;

  void run() {
    config::Diagnostics rd;
    auto reg = registry::Registry::build(store, rd);
    findings = lint(store, reg, &diags);
  }
  std::vector<const Finding*> with(const std::string& code) const {
    std::vector<const Finding*> out;
    for (const auto& f : findings)
      if (f.code == code) out.push_back(&f);
    return out;
  }
  std::string dump() const {
    std::string s;
    for (const auto& f : findings) s += format(f) + "\n";
    return s;
  }
};

constexpr const char* kBase = R"(
apiVersion: v1
kind: Service
metadata: {name: reviews}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1}
spec:
  selector: {matchLabels: {app: reviews, version: v1}}
  template:
    metadata: {labels: {app: reviews, version: v1}}
    spec: {containers: [{name: r}]}
)";

Linted lint_yaml(const std::string& extra) {
  Linted l;
  config::load_yaml_text(kBase, "base.yaml", l.store, l.diags);
  config::load_yaml_text(extra, "seeded.yaml", l.store, l.diags);
  l.run();
  return l;
}

TEST(LintTest, IST0101_UnknownDestinationHostSubsetGatewayAndDelegate) {
  auto l = lint_yaml(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  gateways: [mesh, missing-gw]
  http:
  - match: [{uri: {prefix: /a}}]
    route:
    - destination: {host: reviewz}
  - match: [{uri: {prefix: /b}}]
    route:
    - destination: {host: reviews, subset: v9}
  - match: [{uri: {prefix: /c}}]
    delegate: {name: nowhere}
)");
  auto f = l.with("IST0101");
  ASSERT_EQ(f.size(), 4u) << l.dump();
  std::vector<std::string> paths;
  for (const auto* x : f) {
    paths.push_back(x->field_path);
    EXPECT_EQ(x->severity, config::Severity::Error);
    EXPECT_EQ(x->location.file, "seeded.yaml");
  }
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths, (std::vector<std::string>{"spec.gateways[1]", "spec.http[0].route[0].destination.host",
                                             "spec.http[1].route[0].destination.subset", "spec.http[2].delegate"}));
  for (const auto* x : f)
    if (x->field_path == "spec.http[0].route[0].destination.host") EXPECT_EQ(x->location.line, 10);
}

TEST(LintTest, IST0106_SchemaErrorsBecomeFindings) {
  auto l = lint_yaml(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bad}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews}, weight: abc}
    - {destination: {host: reviews}, weight: 1}
)");
  auto f = l.with("IST0106");
  ASSERT_FALSE(f.empty()) << l.dump();
  EXPECT_EQ(f[0]->field_path, "spec.http[0].route[0].weight");
  EXPECT_EQ(f[0]->location.line, 8);
}

TEST(LintTest, IST0109_TwoMeshVirtualServicesForOneHost) {
  auto l = lint_yaml(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: first}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: second}
spec:
  hosts: [reviews.default.svc.cluster.local]
  http: [{route: [{destination: {host: reviews}}]}]
)");
  auto f = l.with("IST0109");
  ASSERT_EQ(f.size(), 1u) << l.dump();
  EXPECT_EQ(f[0]->resource, "VirtualService default/second");
  EXPECT_NE(f[0]->message.find("default/first"), std::string::npos);
}

TEST(LintTest, IST0130_IST0131_UnreachableRulesAndIneffectiveMatches) {
  auto l = lint_yaml(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {prefix: /v1}}]
    route: [{destination: {host: reviews}}]
  - match: [{uri: {prefix: /v1}}, {uri: {prefix: /v2}}]
    route: [{destination: {host: reviews}}]
  - route: [{destination: {host: reviews}}]
  - match: [{uri: {prefix: /never}}]
    route: [{destination: {host: reviews}}]
)");
  auto unreachable = l.with("IST0130");
  ASSERT_EQ(unreachable.size(), 1u) << l.dump();
  EXPECT_EQ(unreachable[0]->field_path, "spec.http[3]");
  auto ineffective = l.with("IST0131");
  ASSERT_EQ(ineffective.size(), 1u) << l.dump();
  EXPECT_EQ(ineffective[0]->field_path, "spec.http[1].match[0]");
}

TEST(LintTest, IST0132_HostNotInGatewayAndIST0145_ConflictingGateways) {
  auto l = lint_yaml(R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw-a}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [a.example.com]}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw-b}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*.example.com"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [b.example.org]
  gateways: [gw-a]
  http: [{route: [{destination: {host: reviews}}]}]
)");
  auto not_in_gw = l.with("IST0132");
  ASSERT_EQ(not_in_gw.size(), 1u) << l.dump();
  EXPECT_EQ(not_in_gw[0]->field_path, "spec.hosts[0]");
  auto conflict = l.with("IST0145");
  ASSERT_EQ(conflict.size(), 1u) << l.dump();
  EXPECT_EQ(conflict[0]->resource, "Gateway default/gw-b");
  EXPECT_TRUE(l.with("IST0101").empty()) << l.dump();  // Istio's default ingress gateway is there
}

TEST(LintTest, IST0101_GatewaySelectorWithoutPodsAndIST0104_PortNotOnWorkload) {
  auto l = lint_yaml(R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: nowhere}
spec:
  selector: {istio: my-gateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: odd-port}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 9999, name: http, protocol: HTTP}, hosts: [odd.example.com]}]
)");
  auto f = l.with("IST0101");
  ASSERT_EQ(f.size(), 1u) << l.dump();
  EXPECT_EQ(f[0]->field_path, "spec.selector");
  auto port = l.with("IST0104");
  ASSERT_EQ(port.size(), 1u) << l.dump();
  EXPECT_EQ(port[0]->field_path, "spec.servers[0].port");
}

TEST(LintTest, IST0173_IST0174_DestinationRuleSubsetsAndHosts) {
  auto l = lint_yaml(R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v3, labels: {version: v3}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ghost}
spec:
  host: ghost
)");
  auto subset = l.with("IST0173");
  ASSERT_EQ(subset.size(), 1u) << l.dump();
  EXPECT_EQ(subset[0]->field_path, "spec.subsets[1]");
  EXPECT_EQ(subset[0]->location.line, 8);
  auto host = l.with("IST0174");
  ASSERT_EQ(host.size(), 1u) << l.dump();
  EXPECT_EQ(host[0]->resource, "DestinationRule default/ghost");
}

// The linter looks references up in indexes built once (by host, by name) rather than scanning
// every resource per reference; these are the cases an index could get wrong: subsets merged
// from several DestinationRules for one host, a host written in another case, a wildcard
// DestinationRule host, a wildcard ServiceEntry host, a delegate in another namespace.
TEST(LintTest, IndexedLookupsKeepMergedSubsetsCaseWildcardsAndNamespaces) {
  auto l = lint_yaml(R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews-upper}
spec:
  host: REVIEWS.default.svc.cluster.local
  subsets: [{name: v2, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: everything}
spec:
  host: "*.default.svc.cluster.local"
  subsets: [{name: v3, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: example}
spec:
  hosts: ["*.example.com"]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: NONE
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: child, namespace: other}
spec:
  http:
  - route: [{destination: {host: reviews.default.svc.cluster.local}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {prefix: /1}}]
    route: [{destination: {host: reviews, subset: v1}}]
  - match: [{uri: {prefix: /2}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - match: [{uri: {prefix: /3}}]
    route: [{destination: {host: reviews, subset: v3}}]
  - match: [{uri: {prefix: /4}}]
    route: [{destination: {host: api.example.com}}]
  - match: [{uri: {prefix: /5}}]
    delegate: {name: child, namespace: other}
  - match: [{uri: {prefix: /6}}]
    route: [{destination: {host: reviews, subset: v4}}]
)");
  // Only the one subset no DestinationRule declares.
  auto f = l.with("IST0101");
  ASSERT_EQ(f.size(), 1u) << l.dump();
  EXPECT_EQ(f[0]->field_path, "spec.http[5].route[0].destination.subset");
  EXPECT_NE(f[0]->message.find("reviews.default.svc.cluster.local+v4"), std::string::npos) << f[0]->message;
  // Every DestinationRule host, in any case, names a service.
  EXPECT_TRUE(l.with("IST0174").empty()) << l.dump();
}

TEST(LintTest, MT0001_ServiceSelectsNoPodsAndIST0118_PortNaming) {
  auto l = lint_yaml(R"(apiVersion: v1
kind: Service
metadata: {name: orphan}
spec:
  selector: {app: nothing}
  ports: [{name: web, port: 8080}]
)");
  auto none = l.with("MT0001");
  ASSERT_EQ(none.size(), 1u) << l.dump();
  EXPECT_EQ(none[0]->field_path, "spec.selector");
  auto naming = l.with("IST0118");
  ASSERT_EQ(naming.size(), 1u) << l.dump();
  EXPECT_EQ(naming[0]->field_path, "spec.ports[0].name");
  EXPECT_EQ(naming[0]->severity, config::Severity::Note);
}

TEST(LintTest, IST0113_DestinationRuleTlsDisableAgainstStrictPeerAuthentication) {
  auto l = lint_yaml(R"(apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec:
  mtls: {mode: STRICT}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy: {tls: {mode: DISABLE}}
)");
  auto f = l.with("IST0113");
  ASSERT_EQ(f.size(), 1u) << l.dump();
  EXPECT_EQ(f[0]->severity, config::Severity::Error);
  // Both resources are named as not simulated.
  auto unsim = l.with("MT0002");
  ASSERT_EQ(unsim.size(), 2u) << l.dump();
}

TEST(LintTest, MT0003_AmbientNamespacesAreNamed) {
  auto l = lint_yaml(R"(apiVersion: v1
kind: Namespace
metadata: {name: mesh-ambient, labels: {istio.io/dataplane-mode: ambient}}
)");
  EXPECT_EQ(l.with("MT0003").size(), 1u) << l.dump();
}

TEST(LintTest, MT0004_GatewayApiRoutesThatDoNotAttach) {
  auto l = lint_yaml(R"(apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: orphan}
spec:
  parentRefs: [{name: no-such-gateway}]
  rules: [{backendRefs: [{name: reviews, port: 9080}]}]
)");
  auto f = l.with("MT0004");
  ASSERT_EQ(f.size(), 1u) << l.dump();
  EXPECT_EQ(f[0]->field_path, "spec.parentRefs");
  EXPECT_NE(f[0]->message.find("no-such-gateway"), std::string::npos);
}

TEST(LintTest, TaskApplySetsGiveOnlyTheTrueFindings) {
  // bookinfo.yaml + destination-rule-all.yaml + virtual-service-all-v1.yaml: only the subsets the
  // sample does not deploy (ratings v2, v2-mysql, v2-mysql-vm; details v2).
  Linted l;
  config::load_paths({kBookinfo + "platform/kube/bookinfo.yaml", kBookinfo + "networking/bookinfo-gateway.yaml",
                      kBookinfo + "networking/destination-rule-all.yaml",
                      kBookinfo + "networking/virtual-service-all-v1.yaml"},
                     l.store, l.diags);
  l.run();
  ASSERT_EQ(l.findings.size(), 4u) << l.dump();
  for (const auto& f : l.findings) EXPECT_EQ(f.code, "IST0173") << format(f);
  // And with the jason rule on top, still nothing else.
  config::load_paths({kBookinfo + "networking/virtual-service-reviews-test-v2.yaml"}, l.store, l.diags);
  l.run();
  EXPECT_EQ(l.findings.size(), 4u) << l.dump();
}

// The default text is istioctl analyze's line (diag.Message String()): level, [code],
// (origin reference), message.
TEST(LintTest, FormatIsIstioctlAnalyzeShaped) {
  Finding f;
  f.code = "IST0101";
  f.name = "ReferencedResourceNotFound";
  f.severity = config::Severity::Error;
  f.location = {"bookinfo.yaml", 12, 9};
  f.field_path = "spec.http[0].route[0].destination.subset";
  f.message = "Referenced host+subset in destinationrule not found: \"reviews+v9\"";
  f.resource = "VirtualService default/reviews";
  EXPECT_EQ(format(f),
            "Error [IST0101] (VirtualService default/reviews bookinfo.yaml:12) Referenced host+subset in "
            "destinationrule not found: \"reviews+v9\"");
  EXPECT_EQ(format(f, true),
            "Error [IST0101] (VirtualService default/reviews bookinfo.yaml:12) Referenced host+subset in "
            "destinationrule not found: \"reviews+v9\" at spec.http[0].route[0].destination.subset");
  f.severity = config::Severity::Note;
  f.resource.clear();
  EXPECT_EQ(format(f).substr(0, 31), "Info [IST0101] (bookinfo.yaml:1");
  f.location = {};
  EXPECT_EQ(format(f), "Info [IST0101] Referenced host+subset in destinationrule not found: \"reviews+v9\"");
}

TEST(LintTest, JsonAndYamlUseIstioctlFieldNames) {
  Finding f;
  f.code = "IST0101";
  f.name = "ReferencedResourceNotFound";
  f.severity = config::Severity::Warning;
  f.location = {"vs.yaml", 7, 3};
  f.field_path = "spec.http[0]";
  f.message = "no";
  f.resource = "VirtualService default/x";
  const std::string json = format_findings_json({f});
  for (const char* key : {"\"schemaVersion\": 1", "\"code\": \"IST0101\"", "\"level\": \"Warning\"",
                          "\"origin\": \"VirtualService default/x\"", "\"reference\": \"vs.yaml:7\"",
                          "\"message\": \"no\"",
                          "\"documentationUrl\": \"https://istio.io/latest/docs/reference/config/analysis/ist0101/\""})
    EXPECT_NE(json.find(key), std::string::npos) << key << "\n" << json;
  const std::string yaml = format_findings_yaml({f});
  // Strings stay quoted so that a message such as "no" is not read back as a boolean.
  EXPECT_NE(yaml.find("message: \"no\""), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("level: \"Warning\""), std::string::npos) << yaml;
  EXPECT_EQ(documentation_url("MT0004"), "docs/explain-lint.md#mt0004");
}

}  // namespace
}  // namespace meshtwin::analysis
