// `meshtwin check SCENARIO`: run a scenario, evaluate its `assertions:` and exit 0 when every
// condition holds, 1 when any fails, 2 on bad input (docs/design.md §3.1). The CI half of the
// product: the table goes to stdout, `--junit FILE` writes what CI systems read.

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/prepare.h"
#include "cli/sequential.h"
#include "cli/simulate.h"
#include "engine/time.h"
#include "model/config/diagnostics.h"
#include "model/scenario/mesh.h"
#include "model/scenario/scenario_spec.h"
#include "results/assertions.h"
#include "results/batch.h"
#include "results/reader.h"

namespace meshtwin::cli {
namespace {

namespace fs = std::filesystem;

struct CheckArgs {
  SimulateArgs sim;  // SCENARIO and the options check shares with run
  std::string output;  // empty: a temporary file, removed afterwards
  std::string junit;
  std::string format;
  std::string inconclusive = "fail";  // what an inconclusive batch verdict counts as
  int until_conclusive = 0;           // > 0: add replications until decided or this many
};

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "meshtwin: --junit " << path << ": cannot write the file; check that its folder exists\n";
    return false;
  }
  return true;
}

// check over a batch (--replications N, --until-conclusive MAX; issue 12 §2).
int check_batch(const CheckArgs& args, PreparedRun& prepared, const std::string& output, std::int64_t max_wall) {
  const auto& spec = prepared.spec;
  const std::string name = spec.name.empty() ? spec.path : spec.name;
  SequentialPlan plan;
  plan.name = "check " + name;
  plan.step = args.sim.replications;
  plan.most = std::max(plan.step, args.until_conclusive);
  plan.batch.jobs = jobs_for(args.sim);
  plan.batch.quiet = args.sim.quiet;
  plan.batch.max_wall_ns = max_wall;
  const int looks = plan.looks();
  const auto outcome = decide_sequentially(prepared, output, to_results(spec.assertions), plan);
  if (!outcome) return kExitBadInput;
  if (outcome->max_wall_reached) {
    std::cerr << "meshtwin: check " << name << ": the batch reached --max-wall " << args.sim.max_wall
              << "; its replications are stored as interrupted and the assertions are not evaluated\n";
    return kExitCheckFailed;
  }
  // An interrupted batch is no basis for a verdict: main() ends the process with the signal.
  if (outcome->interrupted) return kExitBadInput;
  const auto& decided = outcome->decided;
  const double confidence = outcome->confidence;
  const int done = outcome->replications;
  const std::int64_t batch_id = outcome->batch_id;
  const std::uint64_t client_requests = outcome->client_requests;
  const std::int64_t sim_end = outcome->sim_end;
  const double wall = outcome->wall_seconds;
  const int step = plan.step;
  const auto summary = results::summarize(decided);
  const bool inconclusive_fails = args.inconclusive != "pass";
  const std::string ref = args.output.empty() ? std::string() : fmt::format("{}:b{}", args.output, batch_id);
  if (args.format == "json") {
    results::CheckJsonHeader header;
    header.scenario = args.sim.scenario.scenario;
    header.name = name;
    header.seed = spec.seed;
    header.client_requests = client_requests;
    header.sim_end = sim_end;
    header.results = ref;
    std::cout << results::format_batch_check_json(header, decided, confidence, done, args.inconclusive);
  } else {
    std::cout << fmt::format("check {}: {} replications, {} client requests in all{}\n\n", name, done, client_requests,
                             ref.empty() ? std::string(" (results not kept; -o FILE.db keeps them)")
                                         : fmt::format(", batch {}", ref));
    if (!decided.empty()) std::cout << results::format_batch_assertion_table(decided, confidence, done);
    if (looks > 1)
      std::cout << fmt::format("sequential: up to {} looks of {} replications, each interval at {:.4g} % so that all "
                               "looks together err at most 5 %\n",
                               looks, step, confidence * 100);
  }
  if (!args.junit.empty()) {
    results::JUnitSuite suite;
    suite.name = name;
    suite.wall_seconds = wall;
    suite.properties = {{"scenario", args.sim.scenario.scenario},
                        {"seed", std::to_string(spec.seed)},
                        {"replications", std::to_string(done)}};
    if (!ref.empty()) suite.properties.emplace_back("results", ref);
    if (!write_file(args.junit, results::format_batch_junit(suite, decided, confidence, inconclusive_fails)))
      return kExitBadInput;
  }
  if (summary.failed > 0) return kExitCheckFailed;
  if (summary.inconclusive > 0 && inconclusive_fails) return kExitCheckFailed;
  return kExitOk;
}

int cmd_check(const CheckArgs& args) {
  const auto max_wall = parse_max_wall(args.sim.max_wall);
  if (!max_wall) return kExitBadInput;
  if (args.until_conclusive > 0 && args.until_conclusive < std::max(2, args.sim.replications)) {
    std::cerr << "meshtwin: --until-conclusive " << args.until_conclusive
              << ": must be at least --replications (and at least 2): it is the most replications to run\n";
    return kExitBadInput;
  }
  auto prepared = prepare_run(args.sim.scenario);
  if (!prepared) return kExitBadInput;
  auto& spec = prepared->spec;
  auto& mesh = prepared->mesh;
  const std::string name = spec.name.empty() ? spec.path : spec.name;
  if (spec.assertions.empty()) {
    std::cerr << "meshtwin: " << args.sim.scenario.scenario
              << ": warning: the scenario has no assertions, so check can only show that it runs; add "
                 "spec.assertions (docs/check-and-diff.md)\n";
  }

  std::unique_ptr<ScratchDir> scratch;
  std::string output = args.output;
  if (output.empty()) {
    scratch = std::make_unique<ScratchDir>(fs::temp_directory_path(), "meshtwin-check-");
    if (scratch->path().empty()) {
      std::cerr << "meshtwin: cannot create a temporary folder for the results; give -o FILE.db\n";
      return kExitBadInput;
    }
    output = (fs::path(scratch->path()) / "check.db").string();
  }
  if (args.sim.replications > 1 || args.until_conclusive > 0) {
    // A sequential check needs intervals from its first look: at least 2 replications a look.
    CheckArgs batch_args = args;
    batch_args.sim.replications = std::max(2, args.sim.replications);
    return check_batch(batch_args, *prepared, output, *max_wall);
  }

  auto simulated = simulate_to_file(*mesh, output, args.sim.quiet, *max_wall, spec.warmup.ns());
  if (!simulated) return kExitBadInput;
  // An interrupted run is no basis for a verdict: main() ends the process with the signal.
  if (simulated->stats.interrupted && !simulated->max_wall_reached) return kExitBadInput;
  const std::int64_t run_id = simulated->run_id;
  const scenario::RunStats& stats = simulated->stats;

  if (simulated->max_wall_reached) {
    // Assertions over part of a run would judge traffic the scenario did not finish sending.
    std::cerr << "meshtwin: check " << name << ": the run reached --max-wall " << args.sim.max_wall
              << " after simulating " << engine::human_duration(stats.sim_end)
              << "; it is stored as interrupted and its assertions are not evaluated\n";
    return kExitCheckFailed;
  }
  std::string error;
  auto reader = results::Reader::open(output, &error);
  if (!reader) {
    std::cerr << "meshtwin: " << error << '\n';
    return kExitBadInput;
  }
  const auto evaluated = results::evaluate_assertions(*reader, run_id, to_results(spec.assertions));
  const auto summary = results::summarize(evaluated);

  if (args.format == "json") {
    results::CheckJsonHeader header;
    header.scenario = args.sim.scenario.scenario;
    header.name = name;
    header.seed = spec.seed;
    header.client_requests = stats.client_requests;
    header.sim_end = stats.sim_end.ns();
    if (!args.output.empty()) header.results = fmt::format("{}:{}", args.output, run_id);
    std::cout << results::format_check_json(header, evaluated);
  } else {
    std::cout << fmt::format("check {}: {} client requests simulated until {}{}\n\n", name, stats.client_requests,
                             engine::human_duration(stats.sim_end),
                             args.output.empty() ? std::string(" (results not kept; -o FILE.db keeps them)")
                                                 : fmt::format(", run {} in {}", run_id, args.output));
    if (!evaluated.empty()) std::cout << results::format_assertion_table(evaluated);
  }

  if (!args.junit.empty()) {
    results::JUnitSuite suite;
    suite.name = name;
    suite.wall_seconds = stats.wall_seconds;
    suite.properties = {{"scenario", args.sim.scenario.scenario}, {"seed", std::to_string(spec.seed)}};
    if (!args.output.empty()) suite.properties.emplace_back("results", fmt::format("{}:{}", args.output, run_id));
    if (!write_file(args.junit, results::format_junit(suite, evaluated))) return kExitBadInput;
  }
  return summary.failed == 0 ? kExitOk : kExitCheckFailed;
}

}  // namespace

void register_check(CLI::App& app, Commands& commands) {
  auto args = std::make_shared<CheckArgs>();
  auto* check = app.add_subcommand(
      "check", "Run a scenario and evaluate its assertions: exit 0 when all pass, 1 when one fails");
  check->add_option("-o,--output", args->output,
                    "Keep the results in this file (a new run, or batch, is appended); default: a temporary file");
  check->add_option("--junit", args->junit,
                    "Also write the outcome as JUnit XML (one testcase per condition; over a batch with its interval)");
  add_simulate_options(*check, args->sim, "--set 'spec.assertions[0].expect.p99=\"< 300ms\"'",
                       "the check fails (exit 1) without evaluating assertions");
  add_format_option(*check, args->format, {"text", "json"});
  check->add_option("--inconclusive", args->inconclusive,
                    "Over a batch, a condition passes when its whole 95% interval is on the good side, fails when "
                    "wholly on the bad side, else is inconclusive: exit 1 (fail, the default) or 0 (pass)")
      ->check(CLI::IsMember({"fail", "pass"}))
      ->capture_default_str();
  check->add_option("--until-conclusive", args->until_conclusive,
                    "Run --replications at a time (at least 2) and add as many again while a condition is "
                    "inconclusive, up to MAX replications; each look's interval is widened so that all looks "
                    "together err at most 5% (Bonferroni)")
      ->check(CLI::Range(2, 100000));
  commands.push_back({check, [args] { return cmd_check(*args); }});
}

}  // namespace meshtwin::cli
