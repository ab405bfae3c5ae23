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
#include "engine/time.h"
#include "model/config/diagnostics.h"
#include "model/scenario/mesh.h"
#include "model/scenario/scenario_spec.h"
#include "results/writer.h"

namespace meshtwin::cli {
namespace {

struct RunArgs {
  std::string scenario;
  std::string output = "meshtwin-results.db";
  std::optional<std::uint64_t> seed;
  std::string duration;
  std::vector<std::string> sets;
  bool verbose = false;
  bool quiet = false;
  std::string max_wall;
};

int cmd_run(const RunArgs& args) {
  const auto max_wall = parse_max_wall(args.max_wall);
  if (!max_wall) return kExitBadInput;
  auto prepared = prepare_run({args.scenario, args.seed, args.duration, args.sets, args.verbose});
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
  const bool tty = isatty(STDERR_FILENO) && !args.quiet;
  if (tty) {
    options.progress = [](const scenario::Progress& p) {
      const double pct = p.sim_duration > 0
                             ? 100.0 * static_cast<double>(std::min(p.sim_now, p.sim_duration)) /
                                   static_cast<double>(p.sim_duration)
                             : 100.0;
      std::fprintf(stderr, "\r  t=%-10s %5.1f%%  %llu requests done, %llu in flight   ",
                   engine::format_duration(p.sim_now).c_str(), pct,
                   static_cast<unsigned long long>(p.client_requests_done),
                   static_cast<unsigned long long>(p.in_flight));
      std::fflush(stderr);
    };
  }
  engine::StopFlag stop;
  options.stop = &stop;
  scenario::RunStats stats;
  {
    WallWatchdog watchdog(stop, *max_wall);
    stats = mesh->run(*writer, options);
  }
  if (tty) std::fprintf(stderr, "\n");
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
  if (stop.reason() == engine::StopReason::MaxWall) {
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
  run->add_option("SCENARIO", args->scenario,
                  "Scenario file (kind: Scenario); when not found here, an installed one "
                  "(--data-dir)")
      ->required();
  run->add_option("-o,--output", args->output, "Results file (SQLite); a new run is appended")
      ->capture_default_str();
  run->add_option("--seed", args->seed, "Override spec.seed");
  run->add_option("--duration", args->duration,
                  "Override spec.duration (Go syntax: 90s, 1m30s, 500ms)");
  run->add_option("--set", args->sets,
                  "Override a scenario field before validation, e.g. "
                  "--set spec.clients[0].rate.poisson=50 (repeatable)");
  run->add_flag("-v,--verbose", args->verbose, "Also print notes (skipped documents, ...)");
  run->add_flag("-q,--quiet", args->quiet, "No progress display");
  run->add_option("--max-wall", args->max_wall,
                  "Stop the run after this much wall-clock time (e.g. 10m); it is stored as "
                  "interrupted and the command exits 1");
  commands.push_back({run, [args] { return cmd_run(*args); }});
}

}  // namespace meshtwin::cli
