// kubectl apply semantics: identity, replacement in place, "oldest first" order, removal.
#include <gtest/gtest.h>

#include <limits>

#include "model/config/config_store.h"
#include "model/config/loader.h"

namespace meshtwin::config {
namespace {

VirtualService vs(const std::string& name, const std::string& ns = "default", const std::string& ts = "") {
  VirtualService v;
  v.meta.name = name;
  v.meta.namespace_ = ns;
  v.meta.creation_timestamp = ts;
  v.hosts = {name};
  return v;
}

std::vector<std::string> names(const std::vector<VirtualService>& items) {
  std::vector<std::string> out;
  for (const auto& x : items) out.push_back(x.meta.namespace_ + "/" + x.meta.name);
  return out;
}

TEST(ConfigStore, NewObjectsAppendInApplyOrder) {
  ConfigStore s;
  s.apply(vs("b"));
  s.apply(vs("a"));
  s.apply(vs("c"));
  EXPECT_EQ(names(s.virtual_services()), (std::vector<std::string>{"default/b", "default/a", "default/c"}));
  EXPECT_EQ(s.revision(), 3u);
  EXPECT_EQ(s.virtual_services()[0].meta.generation, 1u);
  EXPECT_LT(s.virtual_services()[0].meta.creation_order, s.virtual_services()[1].meta.creation_order);
}

TEST(ConfigStore, ReplacementKeepsPlaceAndCreationTimeAndBumpsGeneration) {
  ConfigStore s;
  s.apply(vs("a", "default", "2024-01-01T00:00:05Z"));
  s.apply(vs("b"));
  VirtualService newer = vs("a", "default", "2030-01-01T00:00:00Z");
  newer.hosts = {"changed"};
  s.apply(newer);
  ASSERT_EQ(s.virtual_services().size(), 2u);
  EXPECT_EQ(s.virtual_services()[0].meta.name, "a");
  EXPECT_EQ(s.virtual_services()[0].hosts, std::vector<std::string>{"changed"});
  EXPECT_EQ(s.virtual_services()[0].meta.creation_timestamp, "2024-01-01T00:00:05Z");
  EXPECT_EQ(s.virtual_services()[0].meta.generation, 2u);
  s.apply(vs("a"));
  EXPECT_EQ(s.virtual_services()[0].meta.generation, 3u);
}

TEST(ConfigStore, NamespaceIsPartOfIdentity) {
  ConfigStore s;
  s.apply(vs("a", "default"));
  s.apply(vs("a", "prod"));
  EXPECT_EQ(s.virtual_services().size(), 2u);
}

TEST(ConfigStore, CreationTimestampOrdersOldestFirstTiesByNameThenNamespace) {
  ConfigStore s;
  s.apply(vs("late", "default", "2024-03-01T00:00:00Z"));
  s.apply(vs("untimed"));
  s.apply(vs("zeta", "a", "2024-01-01T00:00:00Z"));
  s.apply(vs("alpha", "b", "2024-01-01T00:00:00Z"));
  s.apply(vs("alpha", "a", "2024-01-01T00:00:00Z"));
  s.apply(vs("early", "default", "2023-12-31T23:00:00-02:00"));  // = 2024-01-01T01:00Z
  EXPECT_EQ(names(s.virtual_services()),
            (std::vector<std::string>{"a/alpha", "b/alpha", "a/zeta", "default/early", "default/late",
                                      "default/untimed"}));
}

TEST(ConfigStore, WorkloadKindsAndGroupsAreSeparateIdentities) {
  ConfigStore s;
  Workload d;
  d.kind = "Deployment";
  d.meta.name = "web";
  Workload st = d;
  st.kind = "StatefulSet";
  s.apply(d);
  s.apply(st);
  s.apply(d);
  EXPECT_EQ(s.workloads().size(), 2u);
  Service svc;
  svc.meta.name = "web";
  s.apply(svc);
  EXPECT_EQ(s.services().size(), 1u);

  UnmodelledResource gw_api;
  gw_api.api_version = "gateway.networking.k8s.io/v1";
  gw_api.kind = "Gateway";
  gw_api.meta.name = "web";
  UnmodelledResource gw_api_beta = gw_api;
  gw_api_beta.api_version = "gateway.networking.k8s.io/v1beta1";
  s.apply(gw_api);
  s.apply(gw_api_beta);  // same group, other version: the same object
  EXPECT_EQ(s.unmodelled().size(), 1u);
  Gateway istio_gw;
  istio_gw.meta.name = "web";
  s.apply(istio_gw);
  EXPECT_EQ(s.gateways().size(), 1u);
  EXPECT_EQ(s.unmodelled().size(), 1u);
}

TEST(ConfigStore, IstioVersionsShareOneIdentity) {
  ConfigStore s;
  Diagnostics diags;
  load_yaml_text(
      "apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: {name: r}\nspec: {host: r}\n---\n"
      "apiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata: {name: r}\nspec: {host: r2}\n",
      "dr.yaml", s, diags);
  ASSERT_FALSE(diags.has_errors());
  ASSERT_EQ(s.destination_rules().size(), 1u);
  EXPECT_EQ(s.destination_rules()[0].host, "r2");
  EXPECT_EQ(s.destination_rules()[0].meta.generation, 2u);
}

TEST(ConfigStore, RemoveByIdentity) {
  ConfigStore s;
  s.apply(vs("a"));
  s.apply(vs("b"));
  Workload d;
  d.kind = "Deployment";
  d.meta.name = "a";
  s.apply(d);
  const auto rev = s.revision();
  EXPECT_FALSE(s.remove("VirtualService", "prod", "a"));
  EXPECT_EQ(s.revision(), rev);
  EXPECT_TRUE(s.remove("VirtualService", "default", "a"));
  EXPECT_EQ(names(s.virtual_services()), std::vector<std::string>{"default/b"});
  EXPECT_GT(s.revision(), rev);
  EXPECT_FALSE(s.remove("StatefulSet", "default", "a"));
  EXPECT_TRUE(s.remove("Deployment", "default", "a"));
  EXPECT_TRUE(s.workloads().empty());
  // Re-applying after removal creates a new object: a new creation order, generation 1.
  s.apply(vs("a"));
  EXPECT_EQ(names(s.virtual_services()), (std::vector<std::string>{"default/b", "default/a"}));
  EXPECT_EQ(s.virtual_services()[1].meta.generation, 1u);
}

TEST(ConfigStore, NamespacesAreClusterScoped) {
  ConfigStore s;
  Namespace n;
  n.meta.name = "prod";
  n.meta.namespace_ = "default";
  s.apply(n);
  n.meta.labels["istio-injection"] = "enabled";
  n.meta.namespace_ = "other";
  s.apply(n);
  ASSERT_EQ(s.namespaces().size(), 1u);
  EXPECT_EQ(s.namespaces()[0].meta.labels.at("istio-injection"), "enabled");
  EXPECT_TRUE(s.remove("Namespace", "", "prod"));
}

TEST(ConfigStore, ParseRfc3339) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:01.5Z"), 1'500'000'000);
  EXPECT_EQ(parse_rfc3339("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(parse_rfc3339("2024-05-01T12:00:00Z"), std::int64_t{1714564800} * 1'000'000'000);
  // Past int64 nanoseconds (after 2262, before 1677) saturates instead of overflowing (a
  // fuzz_conformance finding), keeping the order against representable times.
  EXPECT_EQ(parse_rfc3339("9999-12-31T23:59:59Z"), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(parse_rfc3339("0001-01-01T00:00:00Z"), std::numeric_limits<std::int64_t>::min());
  EXPECT_LT(parse_rfc3339("2262-01-01T00:00:00Z"), parse_rfc3339("2263-01-01T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2024-05-01"));
  EXPECT_FALSE(parse_rfc3339("2024-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2024-05-01T12:00:00"));
  EXPECT_FALSE(parse_rfc3339("yesterday"));
}

}  // namespace
}  // namespace meshtwin::config
