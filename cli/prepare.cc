#include "cli/prepare.h"

#include <algorithm>
#include <chrono>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "cli/simulate.h"
#include "engine/time.h"
#include "model/analysis/lint.h"
#include "model/config/diagnostics.h"
#include "model/registry/registry.h"

namespace meshtwin::cli {

void add_scenario_options(CLI::App& cmd, ScenarioArgs& args, const std::string& set_example) {
  cmd.add_option("--seed", args.seed, "Override spec.seed");
  cmd.add_option("--duration", args.duration, "Override spec.duration (Go syntax: 90s, 1m30s, 500ms)");
  cmd.add_option("--set", args.sets,
                 "Override a scenario field before validation, e.g. " + set_example + " (repeatable)");
  cmd.add_flag("-v,--verbose", args.verbose, "Also print notes (skipped documents, ...) and lint's info findings");
  cmd.add_flag("--allow-unknown-fields", args.allow_unknown_fields, kAllowUnknownFieldsHelp);
  cmd.add_flag("--strict", args.strict,
               "Exit 2 before simulating when lint finds an error in the configuration (e.g. IST0101, a route to a "
               "missing subset); without it lint's findings are only printed");
}

void add_simulate_options(CLI::App& cmd, SimulateArgs& args, const std::string& set_example,
                          const std::string& max_wall_effect) {
  cmd.add_option("SCENARIO", args.scenario.scenario,
                 "Scenario file (kind: Scenario); when not found here, an installed one (--data-dir)")
      ->required();
  add_scenario_options(cmd, args.scenario, set_example);
  cmd.add_flag("-q,--quiet", args.quiet,
               "No progress display (it is drawn on stderr, at most 5 times a second, only when stdout and "
               "stderr are terminals)");
  cmd.add_option("--max-wall", args.max_wall,
                 "Stop after this much wall-clock time (e.g. 10m); what ran is stored as interrupted and " +
                     max_wall_effect);
  cmd.add_option("--replications", args.replications,
                 "N > 1: run N independent replications as one batch (FILE.db:bN): replication 0 uses the scenario "
                 "seed, replication r a seed derived from (seed, r), so scenarios compared with the same seed "
                 "get common random numbers per replication")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd.add_option("--jobs", args.jobs,
                 "Threads that run replications at once (default: every core); the results are the same "
                 "whatever the number")
      ->check(CLI::Range(1, 4096));
}

int jobs_for(const SimulateArgs& args) {
  const int jobs = args.jobs > 0 ? args.jobs : default_jobs();
  return std::max(1, std::min(jobs, args.replications));
}

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
  scenario::LoadScenarioOptions load_options;
  load_options.allow_unknown_fields = args.allow_unknown_fields;
  auto spec = scenario::load_scenario(*path, args.sets, diags, load_options);
  if (!spec) {
    print_diagnostics(diags, args.verbose);
    return std::nullopt;
  }
  if (args.seed) spec->seed = *args.seed;
  if (!args.duration.empty()) {
    std::string error;
    auto d = engine::parse_duration(args.duration, &error);
    if (!d || *d <= engine::SimDuration{}) {
      std::cerr << "meshtwin: --duration " << args.duration << ": "
                << (d ? "must be positive" : error) << '\n';
      return std::nullopt;
    }
    spec->duration = *d;
    if (spec->warmup >= spec->duration) {
      std::cerr << "meshtwin: --duration " << args.duration << ": must be longer than spec.warmup ("
                << engine::human_duration(spec->warmup) << ")\n";
      return std::nullopt;
    }
  }
  PreparedRun prepared;
  prepared.mesh = scenario::Mesh::build(*spec, diags);
  // Name what is in the manifests but not simulated (PeerAuthentication, DR tls, ...).
  if (prepared.mesh) analysis::warn_unsimulated(prepared.mesh->resources(), diags);
  print_diagnostics(diags, args.verbose);
  if (!prepared.mesh) return std::nullopt;

  // What `meshtwin lint` would say about the same configuration, before the run: a mistake that
  // will shape every result (IST0101: a route to a subset no DestinationRule declares gives
  // 503 NC) should not first be discovered in the report.
  config::Diagnostics registry_diags;
  const registry::Registry reg = registry::Registry::build(prepared.mesh->resources(), registry_diags);
  std::size_t lint_errors = 0;
  for (const auto& f : analysis::lint(prepared.mesh->resources(), reg)) {
    if (f.severity == config::Severity::Error) ++lint_errors;
    if (!args.print_lint || (f.severity == config::Severity::Note && !args.verbose)) continue;
    std::cerr << analysis::format(f) << '\n';
  }
  if (args.strict && lint_errors > 0) {
    std::cerr << "meshtwin: --strict: lint found " << lint_errors
              << " error(s) in the configuration; not simulating (fix them, or run without --strict)\n";
    return std::nullopt;
  }
  prepared.spec = std::move(*spec);
  return prepared;
}

}  // namespace meshtwin::cli

namespace meshtwin::cli {

WallWatchdog::WallWatchdog(engine::StopToken& token, std::int64_t nanoseconds) {
  if (nanoseconds <= 0) return;
  thread_ = std::thread([this, &token, nanoseconds] {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::nanoseconds(nanoseconds), [this] { return done_; })) {
      fired_ = true;
      token.request_stop();
    }
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
  if (!d || *d <= engine::SimDuration{}) {
    std::cerr << "meshtwin: error: --max-wall must be a positive duration such as 10m or 90s, got \"" << text
              << "\"\n";
    return std::nullopt;
  }
  return d->ns();
}

}  // namespace meshtwin::cli
