#pragma once

// What `run` and `check` share: reading a scenario with its command-line overrides and
// building the mesh, with every problem printed as one line.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/scenario/mesh.h"
#include "model/scenario/scenario_spec.h"

namespace meshtwin::cli {

struct ScenarioArgs {
  std::string scenario;
  std::optional<std::uint64_t> seed;
  std::string duration;            // --duration, Go syntax; empty: the scenario's
  std::vector<std::string> sets;   // --set PATH=VALUE
  bool verbose = false;
};

struct PreparedRun {
  scenario::ScenarioSpec spec;
  std::unique_ptr<scenario::Mesh> mesh;
};

// Loads, applies --seed/--duration, builds and prints diagnostics (with the warnings about
// resources the run does not simulate). nullopt when the input is bad (already reported).
std::optional<PreparedRun> prepare_run(const ScenarioArgs& args);

}  // namespace meshtwin::cli
