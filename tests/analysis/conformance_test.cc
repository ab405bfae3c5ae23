// The conformance runner (model/analysis/conformance.h) over the checked-in corpus and over small
// corpora written here, so that its comparison rules (error always, given fields, strict cases,
// route tables) are tested on their own.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "model/analysis/conformance.h"

namespace meshtwin::analysis {
namespace {

const std::string kCorpus = std::string(MESHTWIN_SOURCE_DIR) + "/tests/data/conformance/cases.yaml";
const std::string kExpected = std::string(MESHTWIN_SOURCE_DIR) + "/tests/data/conformance/expected-failures.txt";

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("meshtwin-" + name);
  std::ofstream(path) << text;
  return path.string();
}

TEST(ConformanceTest, IssueBar_95PercentOverallAnd90PercentPerLargeCategory) {
  config::Diagnostics diags;
  auto report = run_conformance(kCorpus, diags);
  ASSERT_TRUE(report.has_value());
  const std::size_t total = report->results.size();
  ASSERT_EQ(total, 229u);
  EXPECT_GE(report->passed * 100, total * 95) << report->passed << "/" << total;
  std::map<std::string, std::pair<std::size_t, std::size_t>> by_category;  // passed, total
  for (const auto& r : report->results) {
    auto& [p, t] = by_category[r.category];
    ++t;
    if (r.status == CaseResult::Status::Pass) ++p;
  }
  for (const auto& [cat, pt] : by_category)
    if (pt.second >= 20) EXPECT_GE(pt.first * 100, pt.second * 90) << cat;
}

TEST(ConformanceTest, EveryFailureIsListedWithAReasonAndNoListedCasePasses) {
  config::Diagnostics diags;
  auto report = run_conformance(kCorpus, diags);
  auto expected = load_expected_failures(kExpected, diags);
  ASSERT_TRUE(report && expected);
  std::map<std::string, std::string> listed;
  for (const auto& e : *expected) listed[e.name] = e.reason;
  for (const auto& r : report->results) {
    if (r.status == CaseResult::Status::Fail) EXPECT_TRUE(listed.count(r.name)) << r.name << ": " << r.got;
    if (r.status == CaseResult::Status::Pass) EXPECT_FALSE(listed.count(r.name)) << r.name;
  }
}

constexpr const char* kMiniCorpus = R"(
schema_version: 1
cases:
- name: sidecar/http
  category: passthrough_blackhole
  kind: call
  proxy: {type: sidecar, config_namespace: default, namespace: default, ip_addresses: [1.1.1.1]}
  mesh: {outbound_traffic_policy: REGISTRY_ONLY}
  configs: |
    apiVersion: networking.istio.io/v1
    kind: ServiceEntry
    metadata: {name: se}
    spec:
      hosts: [istio.io]
      ports: [{name: http, number: 80, protocol: HTTP}]
      resolution: DNS
  call: {port: 80, protocol: http, host: foo}
  expect: {error: none, virtual_host: block_all}
- name: sidecar/wrong
  category: passthrough_blackhole
  kind: call
  proxy: {type: sidecar, config_namespace: default, namespace: default, ip_addresses: [1.1.1.1]}
  call: {port: 80, protocol: http, host: foo}
  expect: {error: none, cluster: SomethingElse}
- name: sidecar/strict
  category: passthrough_blackhole
  kind: call
  proxy: {type: sidecar, config_namespace: default, namespace: default, ip_addresses: [1.1.1.1]}
  call: {port: 5555, protocol: tcp}
  expect: {error: none, listener: virtualOutbound, filter_chain: virtualOutbound-catchall-tcp, route_config: '', virtual_host: '', route_name: '', cluster: PassthroughCluster, strict: true}
- name: table
  category: vs_host_matching
  kind: route_table
  proxy: {type: sidecar, config_namespace: default, namespace: default, ip_addresses: [1.1.1.1]}
  configs: |
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: vs}
    spec:
      hosts: [known.default.svc.cluster.local]
      http: [{route: [{destination: {host: alt.example.com}}]}]
  kube_objects: |
    apiVersion: v1
    kind: Service
    metadata: {name: known, namespace: default}
    spec:
      clusterIP: 2.0.0.0
      ports: [{port: 80, name: http}, {port: 8080, name: http}]
  expect:
    route_config: '80'
    virtual_host_domains:
      known.default.svc.cluster.local: [outbound|80||alt.example.com]
      nothing.example.com: null
)";

TEST(ConformanceTest, ComparesTheErrorAlwaysGivenFieldsAndAllFieldsWhenStrict) {
  config::Diagnostics diags;
  auto report = run_conformance(write_temp("mini.yaml", kMiniCorpus), diags);
  ASSERT_TRUE(report.has_value()) << (diags.first_error() ? diags.first_error()->format() : "");
  ASSERT_EQ(report->results.size(), 4u);
  EXPECT_EQ(report->results[0].status, CaseResult::Status::Pass) << report->results[0].got;
  EXPECT_EQ(report->results[1].status, CaseResult::Status::Fail);
  EXPECT_NE(report->results[1].got.find("cluster=PassthroughCluster"), std::string::npos) << report->results[1].got;
  EXPECT_EQ(report->results[2].status, CaseResult::Status::Pass) << report->results[2].got;
  // The duplicate port names are accepted as the upstream fake API server accepts them.
  EXPECT_EQ(report->results[3].status, CaseResult::Status::Pass) << report->results[3].got;
  EXPECT_EQ(report->passed, 3u);
  EXPECT_EQ(report->failed, 1u);
  // One case alone.
  auto one = run_conformance(write_temp("mini.yaml", kMiniCorpus), diags, "table");
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->results.size(), 1u);
}

TEST(ConformanceTest, BadInputIsADiagnostic) {
  config::Diagnostics diags;
  EXPECT_FALSE(run_conformance(write_temp("notcorpus.yaml", "a: b\n"), diags).has_value());
  EXPECT_TRUE(diags.has_errors());
  config::Diagnostics d2;
  EXPECT_FALSE(load_expected_failures(write_temp("xf.txt", "# comment\nSomeCase\n"), d2).has_value());
  ASSERT_TRUE(d2.has_errors());
  EXPECT_EQ(d2.first_error()->location.line, 2);
  config::Diagnostics d3;
  auto ok = load_expected_failures(write_temp("xf2.txt", "\nA/b  because\tof this\n"), d3);
  ASSERT_TRUE(ok.has_value());
  ASSERT_EQ(ok->size(), 1u);
  EXPECT_EQ((*ok)[0].name, "A/b");
  EXPECT_EQ((*ok)[0].reason, "because\tof this");
}

}  // namespace
}  // namespace meshtwin::analysis
