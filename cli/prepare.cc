#include "cli/prepare.h"

#include <chrono>
#include <iostream>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "engine/time.h"
#include "model/analysis/lint.h"
#include "model/config/diagnostics.h"

namespace meshtwin::cli {

std::optional<PreparedRun> prepare_run(const ScenarioArgs& args) {
  config::Diagnostics diags;
  // Not here: a bundled scenario of the installed data folder (docs/install.md).
  std::string tried;
  const auto path = resolve_scenario(args.scenario, &tried);
  if (!path) {
    std::string message = "cannot read the scenario file: No such file or directory";
    if (!tried.empty()) {
      message += ", neither from the current folder nor among the installed scenarios in " + tried;
    }
    diags.error(config::SourceLocation{args.scenario, 0, 0}, "", message);
    print_diagnostics(diags, args.verbose);
    return std::nullopt;
  }
  if (*path != args.scenario) {
    diags.note(config::SourceLocation{args.scenario, 0, 0}, "",
              "not in the current folder: running the installed " + *path);
  }
  auto spec = scenario::load_scenario(*path, args.sets, diags);
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

namespace meshtwin::cli {

WallWatchdog::WallWatchdog(engine::StopFlag& flag, std::int64_t nanoseconds) {
  if (nanoseconds <= 0) return;
  thread_ = std::thread([this, &flag, nanoseconds] {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::nanoseconds(nanoseconds), [this] { return done_; }))
      flag.request(engine::StopReason::MaxWall);
  });
}

WallWatchdog::~WallWatchdog() {
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<std::int64_t> parse_max_wall(const std::string& text) {
  if (text.empty()) return 0;
  auto d = engine::parse_duration(text);
  if (!d || *d <= 0) {
    std::cerr << "meshtwin: error: --max-wall must be a positive duration such as 10m or 90s, got \"" << text
              << "\"\n";
    return std::nullopt;
  }
  return *d;
}

}  // namespace meshtwin::cli
