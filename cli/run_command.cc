// `meshtwin run SCENARIO`: simulate and append a run to a results file; with --replications N,
// a batch of N replications run on --jobs threads (docs/design.md §3.1).

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
  SimulateArgs sim;  // SCENARIO and the options run shares with check
  std::string output = "meshtwin-results.db";
  std::string log;  // --log COMPONENT=LEVEL,...
  std::string shard;  // --shard K/N
};

// `--log`: each decision-log record as one line on stderr, as it happens.
class StderrLog : public telemetry::LogSink {
 public:
  void on_log(const telemetry::LogRecord& r) override { std::cerr << telemetry::format_log_line(r) << '\n'; }
};

double per_second(std::uint64_t n, double seconds) { return seconds > 0 ? static_cast<double>(n) / seconds : 0; }

// The replications a shard ran, for its summary line: "shard 1/4: replications 1, 5 of 8".
std::string shard_text(const Shard& shard, const BatchOptions& options, int replications) {
  if (!shard.sharded()) return "";
  std::string list;
  for (int i = 0; i < options.count && i < 4; ++i) list += fmt::format("{}{}", i ? ", " : "", options.replication(i));
  if (options.count > 4) list += fmt::format(", ... {}", options.replication(options.count - 1));
  return fmt::format(" [shard {}/{}: replications {} of {}]", shard.index, shard.count,
                     options.count ? list : "none", replications);
}

int cmd_run_batch(const RunArgs& args, PreparedRun& prepared, std::int64_t max_wall, const Shard& shard) {
  const auto& spec = prepared.spec;
  BatchOptions options;
  options.count = args.sim.replications;
  options.set_slice(shard.slice(0, args.sim.replications));
  options.jobs = jobs_for(args.sim);
  options.quiet = args.sim.quiet;
  options.max_wall_ns = max_wall;
  auto batch = simulate_batch(prepared, args.output, options);
  if (!batch) return kExitBadInput;
  const auto& total = batch->total;
  std::cout << fmt::format(
      "batch b{} of {} written to {}: {} replications (runs {}-{}){}, seeds derived from {}, on {} threads: {} "
      "client requests, {} hop attempts in {:.2f} s wall ({:.0f} hop attempts/s){}\n",
      batch->batch_id, spec.name.empty() ? spec.path : spec.name, args.output, batch->run_ids.size(),
      batch->run_ids.empty() ? 0 : batch->run_ids.front(), batch->run_ids.empty() ? 0 : batch->run_ids.back(),
      shard_text(shard, options, args.sim.replications), spec.seed, std::min(options.jobs, std::max(1, options.count)), total.client_requests, total.hop_attempts, batch->wall_seconds,
      per_second(total.hop_attempts, batch->wall_seconds), batch->interrupted ? " (interrupted)" : "");
  if (batch->max_wall_reached) {
    std::cerr << "meshtwin: the batch reached --max-wall " << args.sim.max_wall
              << " and was stopped; the replications that ran are stored as interrupted\n";
    return kExitCheckFailed;
  }
  return kExitOk;
}

int cmd_run(const RunArgs& args) {
  const auto max_wall = parse_max_wall(args.sim.max_wall);
  if (!max_wall) return kExitBadInput;
  Shard shard;
  if (!args.shard.empty()) {
    auto parsed = parse_shard(args.shard);
    if (!parsed) return kExitBadInput;
    shard = *parsed;
    if (args.sim.replications < 2) {
      // A shard is a slice of a batch; a single run is not one (merge would make a batch of it).
      std::cerr << "meshtwin run: --shard slices the replications of a batch: give --replications 2 or more\n";
      return kExitBadInput;
    }
  }
  telemetry::DecisionLog log;
  StderrLog log_lines;
  if (!args.log.empty()) {
    std::string error;
    if (!telemetry::parse_log_spec(args.log, log, &error)) {
      std::cerr << "meshtwin run: " << error << '\n';
      return kExitBadInput;
    }
    if (args.sim.replications > 1) {
      // Lines from replications on several threads would interleave; a decision log is for
      // following one run (trace re-simulates one run too).
      std::cerr << "meshtwin run: --log follows a single run; drop --replications, or pick one "
                   "replication's seed with --seed\n";
      return kExitBadInput;
    }
    log.set_sink(&log_lines);
  }
  auto prepared = prepare_run(args.sim.scenario);
  if (!prepared) return kExitBadInput;
  if (args.sim.replications > 1) return cmd_run_batch(args, *prepared, *max_wall, shard);
  auto& spec = prepared->spec;
  auto& mesh = prepared->mesh;

  auto simulated = simulate_to_file(*mesh, args.output, args.sim.quiet, *max_wall, spec.warmup.ns(),
                                    args.log.empty() ? nullptr : &log);
  if (!simulated) return kExitBadInput;
  const auto& stats = simulated->stats;
  std::cout << fmt::format(
      "run {} of {} written to {}: {} client requests, {} hop attempts, {} local replies in "
      "{:.2f} s wall ({:.0f} hop attempts/s), simulated {}{}\n",
      simulated->run_id, spec.name.empty() ? spec.path : spec.name, args.output,
      stats.client_requests, stats.hop_attempts, stats.local_replies, stats.wall_seconds,
      per_second(stats.hop_attempts, stats.wall_seconds), engine::human_duration(stats.sim_end),
      stats.interrupted ? " (interrupted)" : "");
  // After a signal, main() ends the process with it once the file is closed.
  if (simulated->max_wall_reached) {
    std::cerr << "meshtwin: the run reached --max-wall " << args.sim.max_wall
              << " and was stopped; it is stored as interrupted, requests in flight as unfinished\n";
    return kExitCheckFailed;
  }
  return kExitOk;
}

}  // namespace

void register_run(CLI::App& app, Commands& commands) {
  auto args = std::make_shared<RunArgs>();
  auto* run = app.add_subcommand("run", "Simulate a scenario and append a run (or, with --replications, a batch of "
                                        "runs) to a results file");
  run->add_option("-o,--output", args->output, "Results file (SQLite); a new run is appended")
      ->capture_default_str();
  add_simulate_options(*run, args->sim, "--set spec.clients[0].rate.poisson=50", "the command exits 1");
  run->add_option("--log", args->log,
                  "Print the simulation's decisions on stderr, one line each with the simulated time and request: "
                  "COMPONENT=LEVEL[,...] with components client, router, fault, lb, pool, retry, outlier, app (or "
                  "all) and levels info, debug, trace (e.g. router=debug,pool=trace; a bare component is debug); "
                  "a single run only");
  run->add_option("--shard", args->shard,
                  "K/N: run only shard K (from 0) of N of the --replications: replications K, K+N, K+2N, ... with the "
                  "seeds and replication numbers the unsharded batch gives them; `meshtwin merge` joins the shards' "
                  "files into the unsharded batch (docs/scale-out.md)");
  commands.push_back({run, [args] { return cmd_run(*args); }});
}

}  // namespace meshtwin::cli
