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
#include "cli/simulate.h"
#include "engine/time.h"
#include "model/config/diagnostics.h"
#include "model/scenario/mesh.h"
#include "model/scenario/scenario_spec.h"
#include "results/assertions.h"
#include "results/reader.h"

namespace meshtwin::cli {
namespace {

namespace fs = std::filesystem;

struct CheckArgs {
  ScenarioArgs scenario;  // SCENARIO and the options check shares with run
  std::string output;  // empty: a temporary file, removed afterwards
  std::string junit;
  bool quiet = false;
  std::string format;
  std::string max_wall;
};

// The scenario's assertions as results/ takes them: results/ must not depend on model/.
std::vector<results::Assertion> to_results(const std::vector<scenario::AssertionSpec>& specs) {
  std::vector<results::Assertion> out;
  for (const auto& s : specs) {
    results::Assertion a;
    a.name = s.name;
    a.where.client = s.where.client;
    a.where.source = s.where.source;
    a.where.destination = s.where.destination;
    a.where.version = s.where.version;
    a.where.route = s.where.route;
    a.where.flag = s.where.flag;
    a.where.response_code = s.where.response_code;
    a.from = s.from;
    a.to = s.to;
    for (const auto& e : s.expect) a.expect.push_back({e.metric, e.op, e.value, e.text});
    out.push_back(std::move(a));
  }
  return out;
}

int cmd_check(const CheckArgs& args) {
  const auto max_wall = parse_max_wall(args.max_wall);
  if (!max_wall) return kExitBadInput;
  auto prepared = prepare_run(args.scenario);
  if (!prepared) return kExitBadInput;
  auto& spec = prepared->spec;
  auto& mesh = prepared->mesh;
  const std::string name = spec.name.empty() ? spec.path : spec.name;
  if (spec.assertions.empty()) {
    std::cerr << "meshtwin: " << args.scenario.scenario
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

  auto simulated = simulate_to_file(*mesh, output, args.quiet, *max_wall);
  if (!simulated) return kExitBadInput;
  // An interrupted run is no basis for a verdict: main() ends the process with the signal.
  if (simulated->stats.interrupted && !simulated->max_wall_reached) return kExitBadInput;
  const std::int64_t run_id = simulated->run_id;
  const scenario::RunStats& stats = simulated->stats;

  if (simulated->max_wall_reached) {
    // Assertions over part of a run would judge traffic the scenario did not finish sending.
    std::cerr << "meshtwin: check " << name << ": the run reached --max-wall " << args.max_wall
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
    header.scenario = args.scenario.scenario;
    header.name = name;
    header.seed = spec.seed;
    header.client_requests = stats.client_requests;
    header.sim_end = stats.sim_end;
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
    suite.properties = {{"scenario", args.scenario.scenario}, {"seed", std::to_string(spec.seed)}};
    if (!args.output.empty()) suite.properties.emplace_back("results", fmt::format("{}:{}", args.output, run_id));
    std::ofstream out(args.junit, std::ios::binary | std::ios::trunc);
    out << results::format_junit(suite, evaluated);
    out.close();
    if (!out) {
      std::cerr << "meshtwin: --junit " << args.junit << ": cannot write the file; check that its folder exists\n";
      return kExitBadInput;
    }
  }
  return summary.failed == 0 ? kExitOk : kExitCheckFailed;
}

}  // namespace

void register_check(CLI::App& app, Commands& commands) {
  auto args = std::make_shared<CheckArgs>();
  auto* check = app.add_subcommand(
      "check", "Run a scenario and evaluate its assertions: exit 0 when all pass, 1 when one fails");
  check
      ->add_option("SCENARIO", args->scenario.scenario,
                   "Scenario file with spec.assertions; when not found here, an installed one "
                   "(--data-dir)")
      ->required();
  check->add_option("-o,--output", args->output,
                    "Keep the results in this file (a new run is appended); default: a temporary file");
  check->add_option("--junit", args->junit, "Also write the outcome as JUnit XML (one testcase per condition)");
  add_scenario_options(*check, args->scenario, "--set 'spec.assertions[0].expect.p99=\"< 300ms\"'");
  check->add_flag("-q,--quiet", args->quiet,
                  "No progress display (it is drawn on stderr, at most 5 times a second, only when stdout and "
                  "stderr are terminals)");
  add_format_option(*check, args->format, {"text", "json"});
  check->add_option("--max-wall", args->max_wall,
                    "Stop the run after this much wall-clock time (e.g. 10m); the check then fails "
                    "(exit 1) without evaluating assertions");
  commands.push_back({check, [args] { return cmd_check(*args); }});
}

}  // namespace meshtwin::cli
