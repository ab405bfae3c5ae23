// `meshtwin run SCENARIO`: simulate and append a run to a results file.

#include <unistd.h>

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
#include "cli/progress.h"
#include "engine/time.h"
#include "model/config/diagnostics.h"
#include "model/scenario/mesh.h"
#include "model/scenario/scenario_spec.h"
#include "results/writer.h"

namespace meshtwin::cli {
namespace {

struct RunArgs {
  ScenarioArgs scenario;  // SCENARIO and the options run shares with check
  std::string output = "meshtwin-results.db";
  bool quiet = false;
};

int cmd_run(const RunArgs& args) {
  auto prepared = prepare_run(args.scenario);
  if (!prepared) return kExitBadInput;
  auto& spec = prepared->spec;
  auto& mesh = prepared->mesh;

  std::string error;
  auto writer = results::SqliteWriter::open(args.output, &error);
  if (!writer) {
    std::cerr << "meshtwin: " << error << '\n';  // the writer's sentence names the file
    return kExitBadInput;
  }

  scenario::RunOptions options;
  options.meshtwin_version = MESHTWIN_VERSION;
  TerminalProgress progress(args.quiet);
  if (progress.enabled()) {
    options.progress = progress.callback();
    // Reports every 100 ms of simulated time; the meter draws at most 5 times a second of wall
    // time. Slicing the run does not change it (events run in the same order).
    options.progress_interval = 100 * engine::kMillisecond;
  }
  const auto stats = mesh->run(*writer, options);
  progress.finish();
  if (!writer->ok()) {
    std::cerr << "meshtwin: " << args.output << ": " << writer->error() << '\n';
    return kExitBadInput;
  }
  const double attempts_per_s =
      stats.wall_seconds > 0 ? static_cast<double>(stats.hop_attempts) / stats.wall_seconds : 0;
  std::cout << fmt::format(
      "run {} of {} written to {}: {} client requests, {} hop attempts, {} local replies in "
      "{:.2f} s wall ({:.0f} hop attempts/s), simulated {}\n",
      writer->run_id(), spec.name.empty() ? spec.path : spec.name, args.output,
      stats.client_requests, stats.hop_attempts, stats.local_replies, stats.wall_seconds,
      attempts_per_s, engine::format_duration(stats.sim_end));
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
  commands.push_back({run, [args] { return cmd_run(*args); }});
}

}  // namespace meshtwin::cli
