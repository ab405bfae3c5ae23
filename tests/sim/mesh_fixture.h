#pragma once

// A fixture that writes a small scenario and manifests to a temp dir, runs it through the whole
// pipeline (load → compile → simulate) into an in-memory sink.

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "../e2e/memory_sink.h"
#include "model/scenario/mesh.h"
#include "model/scenario/scenario_spec.h"

namespace meshtwin {

namespace fs = std::filesystem;

// Two services in namespace default: `front` (calls `back`) and `back` with pods v1 and v2,
// plus a `client` workload that sends the traffic.
constexpr const char* kBaseManifests = R"(
apiVersion: v1
kind: Service
metadata: {name: front}
spec:
  selector: {app: front}
  ports: [{name: http, port: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: front-v1}
spec:
  replicas: 1
  selector: {matchLabels: {app: front}}
  template:
    metadata: {labels: {app: front, version: v1}}
    spec: {containers: [{name: front, image: x, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: back}
spec:
  selector: {app: back}
  ports: [{name: http, port: 9090}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: back-v1}
spec:
  replicas: 2
  selector: {matchLabels: {app: back, version: v1}}
  template:
    metadata: {labels: {app: back, version: v1}}
    spec: {containers: [{name: back, image: x, ports: [{containerPort: 9090}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: back-v2}
spec:
  replicas: 1
  selector: {matchLabels: {app: back, version: v2}}
  template:
    metadata: {labels: {app: back, version: v2}}
    spec: {containers: [{name: back, image: x, ports: [{containerPort: 9090}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec: {containers: [{name: c, image: x}]}
)";

class MeshTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("meshtwin_mesh_test_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write("base.yaml", kBaseManifests);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }

  // Runs a scenario whose spec body (indented by two spaces under `spec:`) is given; extra
  // manifests are added after base.yaml.
  // Loads and builds (compiles) the scenario whose spec body (indented by two spaces under
  // `spec:`) is given; extra manifests are added after base.yaml. nullptr (with a test failure)
  // on any error.
  std::unique_ptr<scenario::Mesh> build(const std::string& spec_body, const std::string& extra_manifests = "") {
    std::string manifests = "  manifests: [base.yaml";
    if (!extra_manifests.empty()) {
      write("extra.yaml", extra_manifests);
      manifests += ", extra.yaml";
    }
    manifests += "]\n";
    if (spec_body.find("  manifests:") != std::string::npos) manifests.clear();  // the test's own
    write("scenario.yaml", "apiVersion: meshtwin.dev/v1alpha1\nkind: Scenario\n"
                           "metadata: {name: t}\nspec:\n" +
                               manifests + spec_body);
    config::Diagnostics diags;
    auto spec = scenario::load_scenario((dir_ / "scenario.yaml").string(), {}, diags);
    for (const auto& d : diags.items())
      if (d.severity == config::Severity::Error) ADD_FAILURE() << d.format();
    if (!spec) return nullptr;
    auto mesh = scenario::Mesh::build(*spec, diags);
    for (const auto& d : diags.items())
      if (d.severity == config::Severity::Error) ADD_FAILURE() << d.format();
    return mesh;
  }

  // Builds the scenario (see build) and runs it into an in-memory sink.
  testing::MemorySink run(const std::string& spec_body, const std::string& extra_manifests = "") {
    testing::MemorySink sink;
    if (auto mesh = build(spec_body, extra_manifests)) mesh->run(sink);
    return sink;
  }

  static std::map<int, int> codes(const testing::MemorySink& sink) {
    std::map<int, int> out;
    for (const auto& r : sink.requests) ++out[r.code];
    return out;
  }

  fs::path dir_;
};

}  // namespace meshtwin
