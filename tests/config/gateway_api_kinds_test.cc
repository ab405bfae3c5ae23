// Reading the Gateway API kinds added for docs/semantics.md §11.1 and §11.3: GRPCRoute
// (gateway-api apis/v1 GRPCRoute: GRPCRouteMatch, GRPCMethodMatch, GRPCRouteFilter) and
// ReferenceGrant (apis/v1beta1 ReferenceGrantSpec: from group/kind/namespace, to group/kind/name),
// with the one-line diagnostics for what the API refuses.
#include <gtest/gtest.h>

#include "model/config/loader.h"
#include "tests/config/dump_diagnostics.h"

namespace meshtwin::config {
namespace {

std::vector<Diagnostic> errors(const Diagnostics& d) {
  std::vector<Diagnostic> out;
  for (const auto& x : d.items())
    if (x.severity == Severity::Error) out.push_back(x);
  return out;
}

TEST(GatewayApiKinds, S11_3_GrpcRouteIsReadWithMethodMatchesFiltersAndBackends) {
  ConfigStore store;
  Diagnostics diags;
  load_yaml_text(R"(apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: store, namespace: shop}
spec:
  parentRefs: [{name: gw, namespace: infra, sectionName: grpc}]
  hostnames: [grpc.example.com]
  rules:
  - name: get
    matches:
    - method: {service: store.Catalog, method: Get}
      headers: [{name: x-canary, value: "yes"}]
    - method: {type: RegularExpression, method: "List.*"}
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {set: [{name: x-a, value: b}], remove: [x-c]}
    backendRefs:
    - {name: catalog, port: 9000, weight: 9}
    - {name: catalog-v2, namespace: v2, port: 9000, weight: 1}
)",
                 "g.yaml", store, diags);
  ASSERT_TRUE(errors(diags).empty()) << dump(diags);
  ASSERT_EQ(store.grpc_routes().size(), 1u);
  const auto& r = store.grpc_routes()[0];
  EXPECT_EQ(r.meta.namespace_, "shop");
  ASSERT_EQ(r.parent_refs.size(), 1u);
  EXPECT_EQ(r.parent_refs[0].section_name, "grpc");
  EXPECT_EQ(r.hostnames, std::vector<std::string>{"grpc.example.com"});
  ASSERT_EQ(r.rules.size(), 1u);
  const auto& rule = r.rules[0];
  EXPECT_EQ(rule.name, "get");
  ASSERT_EQ(rule.matches.size(), 2u);
  ASSERT_TRUE(rule.matches[0].method);
  EXPECT_EQ(rule.matches[0].method->type, "Exact");  // the default
  EXPECT_EQ(rule.matches[0].method->service, "store.Catalog");
  EXPECT_EQ(rule.matches[0].method->method, "Get");
  ASSERT_EQ(rule.matches[0].headers.size(), 1u);
  EXPECT_EQ(rule.matches[1].method->type, "RegularExpression");
  EXPECT_TRUE(rule.matches[1].method->service.empty());
  ASSERT_EQ(rule.filters.size(), 1u);
  EXPECT_EQ(rule.filters[0].headers.set.size(), 1u);
  ASSERT_EQ(rule.backend_refs.size(), 2u);
  EXPECT_EQ(rule.backend_refs[1].namespace_, "v2");
  EXPECT_EQ(rule.backend_refs[1].weight, 1);
  // Deleting by kind removes it.
  EXPECT_TRUE(store.remove("GRPCRoute", "shop", "store"));
  EXPECT_TRUE(store.grpc_routes().empty());
}

// GRPCMethodMatch: "At least one of Service and Method MUST be a non-empty string"; GRPCRouteFilter
// types are RequestHeaderModifier, ResponseHeaderModifier, RequestMirror and ExtensionRef only.
TEST(GatewayApiKinds, S11_3_GrpcRouteRefusesAnEmptyMethodMatchAndHttpOnlyFilters) {
  const std::string head =
      "apiVersion: gateway.networking.k8s.io/v1\n"  // 1
      "kind: GRPCRoute\n"                           // 2
      "metadata: {name: r}\n"                       // 3
      "spec:\n"                                     // 4
      "  parentRefs: [{name: gw}]\n"                // 5
      "  rules:\n";                                 // 6
  {
    ConfigStore store;
    Diagnostics diags;
    load_yaml_text(head + "  - matches: [{method: {type: Exact}}]\n", "bad.yaml", store, diags);
    auto e = errors(diags);
    ASSERT_EQ(e.size(), 1u) << dump(diags);
    EXPECT_EQ(e[0].location.line, 7);
    EXPECT_EQ(e[0].location.column, 24);  // the method map
    EXPECT_EQ(e[0].field_path, "spec.rules[0].matches[0].method");
    EXPECT_NE(e[0].message.find("needs a service, a method or both"), std::string::npos) << e[0].format();
    EXPECT_TRUE(store.grpc_routes().empty());
  }
  {
    ConfigStore store;
    Diagnostics diags;
    load_yaml_text(head + "  - filters: [{type: URLRewrite, urlRewrite: {hostname: x}}]\n", "bad.yaml", store, diags);
    auto e = errors(diags);
    ASSERT_GE(e.size(), 1u) << dump(diags);
    EXPECT_EQ(e[0].field_path, "spec.rules[0].filters[0].type");
    EXPECT_EQ(e[0].location.line, 7);
    EXPECT_TRUE(store.grpc_routes().empty());
  }
}

TEST(GatewayApiKinds, S11_1_ReferenceGrantIsReadAndNeedsFromAndTo) {
  ConfigStore store;
  Diagnostics diags;
  load_yaml_text(R"(apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: g, namespace: apps}
spec:
  from:
  - {group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: infra}
  - {group: gateway.networking.k8s.io, kind: Gateway, namespace: infra}
  to:
  - {group: "", kind: Service}
  - {group: "", kind: Secret, name: cert}
)",
                 "g.yaml", store, diags);
  ASSERT_TRUE(errors(diags).empty()) << dump(diags);
  ASSERT_EQ(store.reference_grants().size(), 1u);
  const auto& g = store.reference_grants()[0];
  EXPECT_EQ(g.meta.namespace_, "apps");
  ASSERT_EQ(g.from.size(), 2u);
  EXPECT_EQ(g.from[1].kind, "Gateway");
  EXPECT_EQ(g.from[1].namespace_, "infra");
  ASSERT_EQ(g.to.size(), 2u);
  EXPECT_FALSE(g.to[0].name.has_value());  // every Service
  EXPECT_EQ(g.to[1].name, std::optional<std::string>("cert"));
  EXPECT_TRUE(store.remove("ReferenceGrant", "apps", "g"));
  EXPECT_TRUE(store.reference_grants().empty());

  ConfigStore bad;
  Diagnostics bad_diags;
  load_yaml_text("apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: g}\n"
                 "spec:\n  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: infra}]\n",
                 "bad.yaml", bad, bad_diags);
  auto e = errors(bad_diags);
  ASSERT_EQ(e.size(), 1u) << dump(bad_diags);
  EXPECT_EQ(e[0].location.line, 5);
  EXPECT_NE(e[0].message.find("to is required"), std::string::npos) << e[0].format();
  EXPECT_TRUE(bad.reference_grants().empty());
}

}  // namespace
}  // namespace meshtwin::config
