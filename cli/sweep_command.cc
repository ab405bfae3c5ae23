// `meshtwin sweep SCENARIO --grid PATH=V1,V2,... [--grid ...] --replications N`: the cross product
// of the grids, every point a batch of replications with the point's values set as `--set
// PATH=VALUE` would set them, tagged in `sweep_points` (issue 12 §3). `report FILE.db:sN` prints
// a batch report per point.

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/prepare.h"
#include "cli/simulate.h"
#include "results/batch.h"
#include "results/writer.h"

namespace meshtwin::cli {
namespace {

struct SweepArgs {
  SimulateArgs sim;
  std::string output = "meshtwin-results.db";
  std::vector<std::string> grids;
  std::string shard;  // --shard K/N
  std::string format;  // json: the sweep's report (kind report-sweep) on stdout once it ends
};

struct Grid {
  std::string path;
  std::vector<std::string> values;
};

// `PATH=V1,V2,...`: values split at commas outside brackets, braces and quotes, so that a YAML
// value such as `{poisson: 5}` or `"a,b"` stays whole. nullopt after one line when malformed.
std::optional<Grid> parse_grid(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    std::cerr << "meshtwin: --grid " << text
              << ": expected PATH=V1,V2,... e.g. 'spec.clients[0].rate.poisson=100,200,400'\n";
    return std::nullopt;
  }
  Grid g;
  g.path = text.substr(0, eq);
  int depth = 0;
  char quote = 0;
  std::string value;
  for (char c : text.substr(eq + 1)) {
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    } else if (c == ',' && depth == 0) {
      g.values.push_back(value);
      value.clear();
      continue;
    }
    value += c;
  }
  g.values.push_back(value);
  for (const auto& v : g.values) {
    if (v.find_first_not_of(' ') == std::string::npos) {
      std::cerr << "meshtwin: --grid " << text << ": an empty value\n";
      return std::nullopt;
    }
  }
  return g;
}

// --format json: the report of the sweep just written, as `report FILE.db:sN --format json` prints it.
int print_sweep_json(const std::string& output, std::int64_t sweep_id) {
  std::string error;
  const auto data = results::read_sweep_report(output, sweep_id, &error);
  if (!data) {
    std::cerr << "meshtwin: " << error << '\n';
    return kExitBadInput;
  }
  std::cout << results::format_sweep_report_json(*data);
  return kExitOk;
}

int cmd_sweep(const SweepArgs& args) {
  const auto max_wall = parse_max_wall(args.sim.max_wall);
  if (!max_wall) return kExitBadInput;
  Shard shard;
  if (!args.shard.empty()) {
    auto parsed = parse_shard(args.shard);
    if (!parsed) return kExitBadInput;
    shard = *parsed;
  }
  std::vector<Grid> grids;
  std::string grid_text;
  std::size_t points = 1;
  for (const auto& text : args.grids) {
    auto g = parse_grid(text);
    if (!g) return kExitBadInput;
    points *= g->values.size();
    if (points > 100000) {
      std::cerr << "meshtwin: --grid: more than 100000 points; split the sweep\n";
      return kExitBadInput;
    }
    grid_text += (grid_text.empty() ? "" : "\n") + text;
    grids.push_back(std::move(*g));
  }
  std::int64_t sweep_id = 0;
  std::string status = "complete";
  for (std::size_t point = 0; point < points; ++point) {
    // The first --grid varies slowest: point = sum of index_i * (product of the later sizes).
    std::vector<std::pair<std::string, std::string>> parameters(grids.size());
    std::size_t rest = point;
    for (std::size_t i = grids.size(); i-- > 0;) {
      parameters[i] = {grids[i].path, grids[i].values[rest % grids[i].values.size()]};
      rest /= grids[i].values.size();
    }
    ScenarioArgs scenario = args.sim.scenario;
    scenario.print_lint = point == 0;  // the same configuration: lint once
    for (const auto& [path, value] : parameters) scenario.sets.push_back(path + "=" + value);
    auto prepared = prepare_run(scenario);
    if (!prepared) return kExitBadInput;  // a value that does not fit its field: reported
    std::string error;
    if (sweep_id == 0) {
      auto w = results::SqliteWriter::open(args.output, &error);
      if (w) sweep_id = w->begin_sweep(prepared->spec.name.empty() ? prepared->spec.path : prepared->spec.name,
                                       grid_text, static_cast<int>(points));
      if (!w || sweep_id == 0) {
        std::cerr << "meshtwin: " << (w ? args.output + ": " + w->error() : error) << '\n';
        return kExitBadInput;
      }
    }
    // Every point is a batch in every shard's file, empty when the shard runs none of its
    // replications, so that all shards' files have the same batches and sweep points in the same
    // order and `merge` joins them position by position.
    BatchOptions options;
    options.set_slice(shard.slice(static_cast<std::int64_t>(point) * args.sim.replications, args.sim.replications));
    options.jobs = jobs_for(args.sim);
    options.quiet = args.sim.quiet;
    options.max_wall_ns = *max_wall;
    auto batch = simulate_batch(*prepared, args.output, options);
    if (!batch) return kExitBadInput;
    auto w = results::SqliteWriter::open(args.output, &error);
    if (!w || !w->add_sweep_point(sweep_id, static_cast<int>(point), batch->batch_id, parameters)) {
      std::cerr << "meshtwin: " << (w ? args.output + ": " + w->error() : error) << '\n';
      return kExitBadInput;
    }
    std::string shown;
    for (const auto& [path, value] : parameters) shown += (shown.empty() ? "" : ", ") + path + "=" + value;
    (args.format == "json" ? std::cerr : std::cout) << fmt::format("point {} of {}: {}: batch b{} ({} replications, {} client requests, {:.2f} s wall)\n",
                             point + 1, points, shown, batch->batch_id, batch->run_ids.size(),
                             batch->total.client_requests, batch->wall_seconds);
    if (batch->interrupted) {
      status = "interrupted";
      w->end_sweep(sweep_id, status);
      std::cerr << "meshtwin: sweep s" << sweep_id << " stopped at point " << point + 1 << " of " << points << '\n';
      return batch->max_wall_reached ? kExitCheckFailed : kExitBadInput;
    }
    if (point + 1 == points) w->end_sweep(sweep_id, status);
  }
  if (args.format == "json") return print_sweep_json(args.output, sweep_id);
  if (shard.sharded()) {
    std::cout << fmt::format("sweep s{} shard {}/{} written to {}: {} points; `meshtwin merge` joins the shards' files\n",
                             sweep_id, shard.index, shard.count, args.output, points);
    return kExitOk;
  }
  std::cout << fmt::format("sweep s{} written to {}: {} points; `meshtwin report {}:s{}` prints them\n", sweep_id,
                           args.output, points, args.output, sweep_id);
  return kExitOk;
}

}  // namespace

void register_sweep(CLI::App& app, Commands& commands) {
  auto args = std::make_shared<SweepArgs>();
  auto* sweep = app.add_subcommand(
      "sweep", "Run a batch of replications for every point of a parameter grid (the cross product of --grid)");
  sweep->add_option("-o,--output", args->output, "Results file (SQLite); the sweep and its batches are appended")
      ->capture_default_str();
  sweep->add_option("--grid", args->grids,
                    "PATH=V1,V2,...: the values of one scenario field, set as --set PATH=VALUE would (commas inside "
                    "[...], {...} or quotes stay in the value), e.g. 'spec.clients[0].rate.poisson=100,200,400' "
                    "(repeatable: every combination is a point; the first --grid varies slowest)")
      ->required();
  add_format_option(*sweep, args->format, {"text", "json"});
  add_simulate_options(*sweep, args->sim, "--set spec.duration=30s", "the command exits 1");
  sweep->add_option("--shard", args->shard,
                    "K/N: run only shard K (from 0) of N of the sweep's replications, numbered point by point: unit "
                    "u = point x replications + replication runs when u mod N = K, with the unsharded seeds; every "
                    "point's batch is still written (empty when none of its replications is here); `meshtwin merge` "
                    "joins the shards' files into the unsharded sweep (docs/scale-out.md)");
  // Every point is a batch: at least 2 replications, so each figure has an interval.
  args->sim.replications = 2;
  sweep->get_option("--replications")->default_str("2")->check(CLI::Range(2, 100000));
  commands.push_back({sweep, [args] { return cmd_sweep(*args); }});
}

}  // namespace meshtwin::cli
