// The synthetic mesh generator (model/synth) that benchmarks, scale tests and `gen-mesh` share:
// deterministic by seed, the promised shape, and a mesh the twin loads and runs cleanly.

#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "../e2e/memory_sink.h"
#include "model/scenario/mesh.h"
#include "model/scenario/scenario_spec.h"
#include "model/synth/mesh_generator.h"

namespace meshtwin {
namespace {

TEST(MeshGeneratorTest, SameShapeAndSeedGiveTheSameTextAnotherSeedDoesNot) {
  synth::MeshShape shape;
  shape.services = 60;
  const auto a = synth::generate(shape);
  const auto b = synth::generate(shape);
  EXPECT_EQ(a.manifests, b.manifests);
  EXPECT_EQ(a.scenario, b.scenario);
  shape.seed = 2;
  const auto c = synth::generate(shape);
  EXPECT_NE(a.scenario, c.scenario);
}

TEST(MeshGeneratorTest, LayeredDagWithFanoutInRangeEveryServiceReachableExactCanaryShare) {
  synth::MeshShape shape;
  shape.services = 100;
  shape.depth = 4;
  shape.fanout_min = 2;
  shape.fanout_max = 3;
  shape.canary_share = 0.25;
  const auto mesh = synth::generate(shape);
  ASSERT_EQ(mesh.services.size(), 100u);
  std::set<int> called;
  int canaries = 0;
  for (std::size_t i = 0; i < mesh.services.size(); ++i) {
    const auto& s = mesh.services[i];
    canaries += s.canary;
    if (s.layer == 3) {
      EXPECT_TRUE(s.calls.empty()) << s.name;
      continue;
    }
    EXPECT_GE(s.calls.size(), 2u) << s.name;  // at least the drawn fanout; extra callers only
    std::set<int> distinct(s.calls.begin(), s.calls.end());
    EXPECT_EQ(distinct.size(), s.calls.size()) << s.name << " calls a service twice";
    for (int c : s.calls) {
      EXPECT_EQ(mesh.services[c].layer, s.layer + 1) << s.name << " -> " << mesh.services[c].name;
      called.insert(c);
    }
  }
  for (std::size_t i = 0; i < mesh.services.size(); ++i) {
    if (mesh.services[i].layer > 0) {
      EXPECT_TRUE(called.count(static_cast<int>(i))) << mesh.services[i].name;
    }
  }
  EXPECT_EQ(canaries, 25);
}

TEST(MeshGeneratorTest, ValidateNamesTheBadField) {
  synth::MeshShape shape;
  shape.fanout_min = 3;
  shape.fanout_max = 1;
  EXPECT_NE(synth::validate(shape).find("fanout"), std::string::npos);
  shape = {};
  shape.record = "some";
  EXPECT_NE(synth::validate(shape).find("record"), std::string::npos);
  EXPECT_EQ(synth::validate(synth::MeshShape{}), "");
}

TEST(MeshGeneratorTest, TheGeneratedMeshLoadsAndRunsAcrossNamespacesWithCanaryTraffic) {
  synth::MeshShape shape;
  shape.services = 24;
  shape.depth = 3;
  shape.namespaces = 3;
  shape.canary_share = 0.5;
  shape.requests = 2000;
  shape.record = "all";
  const auto mesh = synth::generate(shape);
  const auto dir = std::filesystem::temp_directory_path() / ("meshtwin_synth_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "manifests.yaml") << mesh.manifests;
  std::ofstream(dir / "scenario.yaml") << mesh.scenario;
  config::Diagnostics diags;
  auto spec = scenario::load_scenario((dir / "scenario.yaml").string(), {}, diags);
  for (const auto& d : diags.items()) EXPECT_NE(d.severity, config::Severity::Error) << d.format();
  ASSERT_TRUE(spec);
  auto built = scenario::Mesh::build(*spec, diags);
  for (const auto& d : diags.items()) EXPECT_NE(d.severity, config::Severity::Error) << d.format();
  ASSERT_TRUE(built);
  testing::MemorySink sink;
  built->run(sink);
  std::filesystem::remove_all(dir);
  // Poisson arrivals over requests / rate seconds: about `requests` of them.
  EXPECT_NEAR(static_cast<double>(sink.requests.size()), 2000.0, 200.0);
  std::size_t ok = 0, v2 = 0, cross_namespace = 0;
  for (const auto& r : sink.requests) ok += r.code == 200;
  for (const auto& s : sink.spans) {
    v2 += s.destination_version == "v2";
    cross_namespace += s.destination_service.find(".ns-") != std::string::npos;
  }
  EXPECT_GT(ok, 0.9 * static_cast<double>(sink.requests.size()));       // leaves fail 1 %, callers retry (attempts: 2)
  EXPECT_GT(v2, 0u);          // canaries get their 10 %
  EXPECT_GT(cross_namespace, 0u);
}

}  // namespace
}  // namespace meshtwin
