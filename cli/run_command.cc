// `meshtwin run SCENARIO`: simulate and append a run to a results file.

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/prepare.h"
#include "cli/simulate.h"
#include "engine/time.h"
#include "model/config/diagnostics.h"
#include "model/scenario/mesh.h"
#include "model/scenario/scenario_spec.h"
#include "model/telemetry/decision_log.h"

namespace meshtwin::cli {
namespace {

struct RunArgs {
  ScenarioArgs scenario;  // SCENARIO and the options run shares with check
  std::string output = "meshtwin-results.db";
  bool quiet = false;
  std::string max_wall;
  std::string log;  // --log COMPONENT=LEVEL,...
};

// `--log`: each decision-log record as one line on stderr, as it happens.
class StderrLog : public telemetry::LogSink {
 public:
  void on_log(const telemetry::LogRecord& r) override { std::cerr << telemetry::format_log_line(r) << '\n'; }
};

int cmd_run(const RunArgs& args) {
  const auto max_wall = parse_max_wall(args.max_wall);
  if (!max_wall) return kExitBadInput;
  telemetry::DecisionLog log;
  StderrLog log_lines;
  if (!args.log.empty()) {
    std::string error;
    if (!telemetry::parse_log_spec(args.log, log, &error)) {
      std::cerr << "meshtwin run: " << error << '\n';
      return kExitBadInput;
    }
    log.set_sink(&log_lines);
  }
  auto prepared = prepare_run(args.scenario);
  if (!prepared) return kExitBadInput;
  auto& spec = prepared->spec;
  auto& mesh = prepared->mesh;

  auto simulated = simulate_to_file(*mesh, args.output, args.quiet, *max_wall, args.log.empty() ? nullptr : &log);
  if (!simulated) return kExitBadInput;
  const auto& stats = simulated->stats;
  const double attempts_per_s =
      stats.wall_seconds > 0 ? static_cast<double>(stats.hop_attempts) / stats.wall_seconds : 0;
  std::cout << fmt::format(
      "run {} of {} written to {}: {} client requests, {} hop attempts, {} local replies in "
      "{:.2f} s wall ({:.0f} hop attempts/s), simulated {}{}\n",
      simulated->run_id, spec.name.empty() ? spec.path : spec.name, args.output,
      stats.client_requests, stats.hop_attempts, stats.local_replies, stats.wall_seconds,
      attempts_per_s, engine::human_duration(stats.sim_end),
      stats.interrupted ? " (interrupted)" : "");
  // After a signal, main() ends the process with it once the file is closed.
  if (simulated->max_wall_reached) {
    std::cerr << "meshtwin: the run reached --max-wall " << args.max_wall
              << " and was stopped; it is stored as interrupted, requests in flight as unfinished\n";
    return kExitCheckFailed;
  }
  return kExitOk;
}

}  // namespace

void register_run(CLI::App& app, Commands& commands) {
  auto args = std::make_shared<RunArgs>();
  auto* run = app.add_subcommand("run", "Simulate a scenario and append a run to a results file");
  run->add_option("SCENARIO", args->scenario.scenario,
                  "Scenario file (kind: Scenario); when not found here, an installed one "
                  "(--data-dir)")
      ->required();
  run->add_option("-o,--output", args->output, "Results file (SQLite); a new run is appended")
      ->capture_default_str();
  add_scenario_options(*run, args->scenario, "--set spec.clients[0].rate.poisson=50");
  run->add_flag("-q,--quiet", args->quiet,
                "No progress display (it is drawn on stderr, at most 5 times a second, only when stdout and "
                "stderr are terminals)");
  run->add_option("--max-wall", args->max_wall,
                  "Stop the run after this much wall-clock time (e.g. 10m); it is stored as "
                  "interrupted and the command exits 1");
  run->add_option("--log", args->log,
                  "Print the simulation's decisions on stderr, one line each with the simulated time and request: "
                  "COMPONENT=LEVEL[,...] with components client, router, fault, lb, pool, retry, outlier, app (or "
                  "all) and levels info, debug, trace (e.g. router=debug,pool=trace; a bare component is debug)");
  commands.push_back({run, [args] { return cmd_run(*args); }});
}

}  // namespace meshtwin::cli
