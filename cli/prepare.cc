#include "cli/prepare.h"

#include <iostream>

#include "cli/commands.h"
#include "engine/time.h"
#include "model/analysis/lint.h"
#include "model/config/diagnostics.h"

namespace meshtwin::cli {

std::optional<PreparedRun> prepare_run(const ScenarioArgs& args) {
  config::Diagnostics diags;
  auto spec = scenario::load_scenario(args.scenario, args.sets, diags);
  if (!spec) {
    print_diagnostics(diags, args.verbose);
    return std::nullopt;
  }
  if (args.seed) spec->seed = *args.seed;
  if (!args.duration.empty()) {
    std::string error;
    auto d = engine::parse_duration(args.duration, &error);
    if (!d || *d <= 0) {
      std::cerr << "meshtwin: --duration " << args.duration << ": "
                << (d ? "must be positive" : error) << '\n';
      return std::nullopt;
    }
    spec->duration = *d;
  }
  PreparedRun prepared;
  prepared.mesh = scenario::Mesh::build(*spec, diags);
  // Name what is in the manifests but not simulated (PeerAuthentication, DR tls, ...).
  if (prepared.mesh) analysis::warn_unsimulated(prepared.mesh->resources(), diags);
  print_diagnostics(diags, args.verbose);
  if (!prepared.mesh) return std::nullopt;
  prepared.spec = std::move(*spec);
  return prepared;
}

}  // namespace meshtwin::cli
