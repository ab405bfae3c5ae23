// `meshtwin capacity SCENARIO --vary PATH --from A --to B --while COND [--while COND ...]`
// (issue 12 §3): the highest value of one scenario field that still meets every condition,
// by bisection on batches of replications decided with confidence intervals
// (docs/capacity.md). Every probe is a batch decided as `check --until-conclusive` decides
// one (cli/sequential.h: one evaluator, results::decide_batch); the probes are stored as a
// sweep whose points are the probed values, so `report FILE.db:sN` and the viewer show them.
//
// The rule: a probe passes when every condition's whole interval is on the good side of its
// bound, fails when any condition's interval is wholly on the bad side; while neither, it adds
// --replications more up to --max-replications, and a probe still undecided then counts as
// failing (a capacity is only claimed where the data shows it). The search assumes that the
// conditions hold below some value and fail above it (monotone in PATH), as load does.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/prepare.h"
#include "cli/sequential.h"
#include "cli/simulate.h"
#include "results/writer.h"

namespace meshtwin::cli {
namespace {

namespace fs = std::filesystem;

struct CapacityArgs {
  SimulateArgs sim;
  std::string output;  // empty: a temporary file, removed afterwards
  std::string vary;
  std::string from, to;  // as written: both whole numbers make an integer search
  std::vector<std::string> whiles;
  double tolerance = 0;  // 0: 1 % of the range (at least 1 for an integer search)
  int max_replications = 0;  // 0: 4 × --replications
  std::string format;
};

// One --while: `METRIC OP VALUE` split into the metric and its condition, the way a scenario's
// `expect: {METRIC: "OP VALUE"}` is written; the scenario reader checks the metric and the value.
struct While {
  std::string text, metric, condition;
};

std::optional<While> parse_while(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size() && text[i] == ' ') ++i;
  const std::size_t start = i;
  while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == ':' || text[i] == '.'))
    ++i;
  While w{text, text.substr(start, i - start), ""};
  while (i < text.size() && text[i] == ' ') ++i;
  w.condition = text.substr(i);
  if (w.metric.empty() || w.condition.empty() || std::string("<>=!").find(w.condition[0]) == std::string::npos) {
    std::cerr << "meshtwin: --while " << text
              << ": expected METRIC OP VALUE, e.g. 'p99 < 300ms' or 'successRate > 99.9%' (metrics as in a "
                 "scenario's assertions: successRate, non5xxRate, errorRate, p50, p90, p99, max, count)\n";
    return std::nullopt;
  }
  return w;
}

// A YAML double-quoted scalar.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The --set that replaces the scenario's assertions with one assertion per --while, over every
// client request after the warm-up, named by its text.
std::string assertions_set(const std::vector<While>& whiles) {
  std::string list;
  for (const While& w : whiles)
    list += (list.empty() ? "" : ", ") +
            fmt::format("{{name: {}, expect: {{{}: {}}}}}", quoted(w.text), quoted(w.metric), quoted(w.condition));
  return "spec.assertions=[" + list + "]";
}

std::optional<double> parse_number(const std::string& option, const std::string& text) {
  char* end = nullptr;
  const double x = text.empty() ? NAN : std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(x)) {
    std::cerr << "meshtwin: " << option << " " << text << ": expected a number\n";
    return std::nullopt;
  }
  return x;
}

bool whole_number(const std::string& text) {
  const std::size_t digits = text.find_first_not_of('-') == 1 ? 1 : 0;
  return text.size() > digits && text.size() < 16 &&
         text.find_first_not_of("0123456789", digits) == std::string::npos;
}

struct Probe {
  double value = 0;
  std::string text;  // as set on the scenario
  results::Verdict verdict = results::Verdict::Inconclusive;  // Inconclusive: undecided at the bound
  DecidedBatch outcome;
  bool passed() const { return verdict == results::Verdict::Pass; }
};

// What one search needs between probes.
struct Search {
  const CapacityArgs& args;
  std::string output;
  std::vector<While> whiles;
  bool integer = false;
  double tolerance = 0;
  SequentialPlan plan;
  std::string name;
  std::int64_t sweep_id = 0;
  std::vector<Probe> probes;
  bool stopped = false;  // --max-wall or a signal stopped a probe
};

results::Verdict overall(const std::vector<results::BatchAssertion>& decided) {
  const auto s = results::summarize(decided);
  if (s.failed > 0) return results::Verdict::Fail;
  return s.inconclusive > 0 ? results::Verdict::Inconclusive : results::Verdict::Pass;
}

std::string value_text(const Search& search, double v) {
  return search.integer ? fmt::format("{}", static_cast<long long>(v)) : fmt::format("{}", v);
}

// Shows one probe as it ends: stdout in text, stderr (unless -q) under --format json.
void print_probe(const Search& search, const Probe& p) {
  const bool json = search.args.format == "json";
  if (json && search.args.sim.quiet) return;
  std::string verdict = p.verdict == results::Verdict::Inconclusive ? "INCONCLUSIVE (counts as failing)"
                        : p.passed()                                ? "PASS"
                                                                    : "FAIL";
  std::string line = fmt::format("probe {}: {}={}: {} after {} replications", search.probes.size(),
                                 search.args.vary, p.text, verdict, p.outcome.replications);
  for (const auto& a : p.outcome.decided)
    for (const auto& c : a.conditions)
      line += fmt::format("; {}: {} {}", a.name, c.observed_text, results::to_string(c.verdict));
  (json ? std::cerr : std::cout) << line << '\n';
}

// Simulates and decides one value; nullopt after one line when the input is bad or a batch
// could not be written (exit 2); `search.stopped` when --max-wall or a signal stopped it.
std::optional<Probe> probe(Search& search, double value) {
  Probe p;
  p.value = value;
  p.text = value_text(search, value);
  ScenarioArgs scenario = search.args.sim.scenario;
  scenario.print_lint = search.probes.empty();  // the same configuration: lint once
  scenario.sets.push_back(search.args.vary + "=" + p.text);
  scenario.sets.push_back(assertions_set(search.whiles));
  auto prepared = prepare_run(scenario);
  if (!prepared) return std::nullopt;
  if (search.name.empty()) search.name = prepared->spec.name.empty() ? prepared->spec.path : prepared->spec.name;
  std::string error;
  if (search.sweep_id == 0) {
    std::string conditions;
    for (const While& w : search.whiles) conditions += (conditions.empty() ? "" : "; ") + w.text;
    auto w = results::SqliteWriter::open(search.output, &error);
    if (w)
      search.sweep_id = w->begin_sweep(search.name,
                                       fmt::format("capacity {} from {} to {} while {}", search.args.vary,
                                                   search.args.from, search.args.to, conditions),
                                       0);
    if (!w || search.sweep_id == 0) {
      std::cerr << "meshtwin: " << (w ? search.output + ": " + w->error() : error) << '\n';
      return std::nullopt;
    }
  }
  search.plan.name = fmt::format("capacity {} {}={}", search.name, search.args.vary, p.text);
  auto outcome = decide_sequentially(*prepared, search.output, to_results(prepared->spec.assertions), search.plan);
  if (!outcome) return std::nullopt;
  p.outcome = std::move(*outcome);
  auto w = results::SqliteWriter::open(search.output, &error);
  if (!w || !w->add_sweep_point(search.sweep_id, static_cast<int>(search.probes.size()), p.outcome.batch_id,
                                {{search.args.vary, p.text}})) {
    std::cerr << "meshtwin: " << (w ? search.output + ": " + w->error() : error) << '\n';
    return std::nullopt;
  }
  search.stopped = p.outcome.interrupted;
  p.verdict = search.stopped ? results::Verdict::Inconclusive : overall(p.outcome.decided);
  search.probes.push_back(p);
  if (!search.stopped) print_probe(search, p);
  w->end_sweep(search.sweep_id, search.stopped ? "interrupted" : "running", static_cast<int>(search.probes.size()));
  return p;
}

// The bracket: [highest passing value, lowest failing value]; nullopt on the side that has none.
struct Bracket {
  std::optional<double> pass, fail;
};

// Probes --from, then --to, then bisects between the last pass and the first fail until they
// are at most the tolerance apart. nullopt on bad input or a failed write.
std::optional<Bracket> bisect(Search& search, double from, double to) {
  Bracket b;
  auto from_probe = probe(search, from);
  if (!from_probe) return std::nullopt;
  if (search.stopped) return b;
  if (!from_probe->passed()) {
    b.fail = from;
    return b;
  }
  b.pass = from;
  auto to_probe = probe(search, to);
  if (!to_probe) return std::nullopt;
  if (search.stopped) return b;
  if (to_probe->passed()) {
    b.pass = to;
    return b;
  }
  b.fail = to;
  while (*b.fail - *b.pass > search.tolerance) {
    const double mid = search.integer ? std::floor((*b.pass + *b.fail) / 2) : (*b.pass + *b.fail) / 2;
    if (mid <= *b.pass || mid >= *b.fail) break;  // no representable value between them
    auto p = probe(search, mid);
    if (!p) return std::nullopt;
    if (search.stopped) return b;
    (p->passed() ? b.pass : b.fail) = mid;
  }
  return b;
}

using nlohmann::ordered_json;

ordered_json number_or_null(const std::optional<double>& v) { return v ? ordered_json(*v) : ordered_json(nullptr); }

std::string outcome_name(const Search& search, const Bracket& b) {
  if (search.stopped) return "stopped";
  if (!b.pass) return "none";
  return b.fail ? "found" : "wholeRange";
}

// --format json: kind `capacity` (docs/schemas/capacity.v1.schema.json).
std::string capacity_json(const Search& search, const Bracket& b, double wall) {
  const CapacityArgs& args = search.args;
  ordered_json j;
  j["schemaVersion"] = 1;
  j["kind"] = "capacity";
  j["scenario"] = args.sim.scenario.scenario;
  j["name"] = search.name;
  j["vary"] = {{"path", args.vary},
               {"from", std::strtod(args.from.c_str(), nullptr)},
               {"to", std::strtod(args.to.c_str(), nullptr)},
               {"integer", search.integer},
               {"tolerance", search.tolerance}};
  ordered_json conditions = ordered_json::array();
  for (const While& w : search.whiles) conditions.push_back(w.text);
  j["conditions"] = std::move(conditions);
  j["replications"] = search.plan.step;
  j["maxReplications"] = search.plan.most;
  j["confidence"] = look_confidence(search.plan.looks());
  j["outcome"] = outcome_name(search, b);
  j["value"] = search.stopped ? ordered_json(nullptr) : number_or_null(b.pass);
  j["bracket"] = {{"pass", number_or_null(b.pass)}, {"fail", number_or_null(b.fail)}};
  ordered_json probes = ordered_json::array();
  int replications = 0;
  for (const Probe& p : search.probes) {
    replications += p.outcome.replications;
    ordered_json pj;
    pj["value"] = p.value;
    pj["verdict"] = results::to_string(p.verdict);
    pj["replications"] = p.outcome.replications;
    pj["batch"] = args.output.empty() ? ordered_json(nullptr) : ordered_json(fmt::format("{}:b{}", args.output, p.outcome.batch_id));
    ordered_json cs = ordered_json::array();
    for (const auto& a : p.outcome.decided)
      for (const auto& c : a.conditions) {
        const auto& i = c.interval;
        cs.push_back({{"condition", a.name},
                      {"n", i.n},
                      {"mean", i.mean},
                      {"lo", i.has_interval() ? ordered_json(i.lo) : ordered_json(nullptr)},
                      {"hi", i.has_interval() ? ordered_json(i.hi) : ordered_json(nullptr)},
                      {"observed", c.observed_text},
                      {"verdict", results::to_string(c.verdict)}});
      }
    pj["conditions"] = std::move(cs);
    probes.push_back(std::move(pj));
  }
  j["probes"] = std::move(probes);
  j["batches"] = search.probes.size();
  j["replicationsRun"] = replications;
  j["wallSeconds"] = wall;
  j["results"] = args.output.empty() || search.sweep_id == 0 ? ordered_json(nullptr)
                                                             : ordered_json(fmt::format("{}:s{}", args.output, search.sweep_id));
  return j.dump(2) + "\n";
}

void print_result(const Search& search, const Bracket& b, double wall) {
  const CapacityArgs& args = search.args;
  int replications = 0;
  for (const Probe& p : search.probes) replications += p.outcome.replications;
  const std::string kept = args.output.empty() ? std::string(" (results not kept; -o FILE.db keeps them)")
                                               : fmt::format("; `meshtwin report {}:s{}` shows every probe",
                                                             args.output, search.sweep_id);
  const std::string effort = fmt::format("{} probes, {} replications, {:.2f} s wall{}", search.probes.size(),
                                         replications, wall, kept);
  if (!b.pass) {
    // --from was the only probe: it failed, or stayed undecided after --max-replications.
    const bool undecided = search.probes.front().verdict == results::Verdict::Inconclusive;
    std::cout << fmt::format("capacity {}: none: {}={} already {}; {}\n", search.name, args.vary,
                             value_text(search, *b.fail),
                             undecided ? fmt::format("is not shown to meet the conditions (inconclusive after {} "
                                                     "replications, which counts as failing)",
                                                     search.probes.front().outcome.replications)
                                       : std::string("fails the conditions"),
                             effort);
  } else if (!b.fail) {
    std::cout << fmt::format("capacity {}: {}={}: the whole range meets the conditions (the capacity is at least "
                             "--to); {}\n", search.name, args.vary, value_text(search, *b.pass), effort);
  } else {
    std::cout << fmt::format("capacity {}: {}={}, in [{}, {}] (the highest value that passed, the lowest that "
                             "failed; tolerance {}); {}\n", search.name, args.vary, value_text(search, *b.pass),
                             value_text(search, *b.pass), value_text(search, *b.fail), search.tolerance, effort);
  }
}

// Checks the options that need more than CLI11's checks; fills the search's plan.
bool set_up(const CapacityArgs& args, Search& search, double& from, double& to) {
  auto f = parse_number("--from", args.from);
  auto t = parse_number("--to", args.to);
  if (!f || !t) return false;
  from = *f;
  to = *t;
  if (!(from < to)) {
    std::cerr << "meshtwin: --from " << args.from << " --to " << args.to << ": --from must be below --to\n";
    return false;
  }
  for (const auto& text : args.whiles) {
    auto w = parse_while(text);
    if (!w) return false;
    search.whiles.push_back(std::move(*w));
  }
  search.integer = whole_number(args.from) && whole_number(args.to);
  search.tolerance = args.tolerance > 0 ? args.tolerance : (to - from) / 100;
  if (search.integer) search.tolerance = std::max(1.0, std::floor(search.tolerance));
  search.plan.step = args.sim.replications;
  search.plan.most = args.max_replications > 0 ? args.max_replications : 4 * args.sim.replications;
  if (search.plan.most < search.plan.step) {
    std::cerr << "meshtwin: --max-replications " << args.max_replications
              << ": must be at least --replications (" << args.sim.replications << ")\n";
    return false;
  }
  search.plan.batch.jobs = jobs_for(args.sim);
  search.plan.batch.quiet = args.sim.quiet;
  return true;
}

int cmd_capacity(const CapacityArgs& args) {
  const auto max_wall = parse_max_wall(args.sim.max_wall);
  if (!max_wall) return kExitBadInput;
  Search search{args, args.output, {}, false, 0, {}, {}, 0, {}, false};
  double from = 0, to = 0;
  if (!set_up(args, search, from, to)) return kExitBadInput;
  search.plan.batch.max_wall_ns = *max_wall;
  std::unique_ptr<ScratchDir> scratch;
  if (search.output.empty()) {
    scratch = std::make_unique<ScratchDir>(fs::temp_directory_path(), "meshtwin-capacity-");
    if (scratch->path().empty()) {
      std::cerr << "meshtwin: cannot create a temporary folder for the results; give -o FILE.db\n";
      return kExitBadInput;
    }
    search.output = (fs::path(scratch->path()) / "capacity.db").string();
  }
  auto bracket = bisect(search, from, to);
  if (!bracket) return kExitBadInput;
  double wall = 0;
  for (const Probe& p : search.probes) wall += p.outcome.wall_seconds;
  if (auto w = results::SqliteWriter::open(search.output, nullptr); w && search.sweep_id != 0)
    w->end_sweep(search.sweep_id, search.stopped ? "interrupted" : "complete", static_cast<int>(search.probes.size()));
  if (search.stopped && interrupting_signal()) return kExitBadInput;  // main() ends the process with the signal
  if (search.stopped)
    std::cerr << "meshtwin: capacity " << search.name << ": a probe reached --max-wall " << args.sim.max_wall
              << "; the search stops without a value\n";
  if (args.format == "json")
    std::cout << capacity_json(search, *bracket, wall);
  else if (!search.stopped)
    print_result(search, *bracket, wall);
  return !search.stopped && bracket->pass ? kExitOk : kExitCheckFailed;
}

}  // namespace

void register_capacity(CLI::App& app, Commands& commands) {
  auto args = std::make_shared<CapacityArgs>();
  auto* cap = app.add_subcommand(
      "capacity",
      "Find the highest value of a scenario field that still meets every --while condition, by bisection on "
      "batches of replications decided with 95% intervals: exit 0 found, 1 none of the range meets them");
  cap->add_option("--vary", args->vary,
                  "PATH of the scenario field to vary, set as --set PATH=VALUE would, e.g. "
                  "spec.clients[0].rate.poisson")
      ->required();
  cap->add_option("--from", args->from, "The lowest value (probed first; whole numbers for --from and --to make an "
                                        "integer search)")
      ->required();
  cap->add_option("--to", args->to, "The highest value (probed second)")->required();
  cap->add_option("--while", args->whiles,
                  "METRIC OP VALUE that must hold over the client requests after the warm-up, e.g. 'p99 < 300ms' or "
                  "'successRate > 99.9%' (metrics as in spec.assertions; repeatable; replaces the scenario's "
                  "assertions)")
      ->required();
  cap->add_option("--tolerance", args->tolerance,
                  "Stop when the last passing and the first failing value are at most this far apart (default: 1% "
                  "of the range; at least 1 for an integer search)")
      ->check(CLI::PositiveNumber);
  cap->add_option("--max-replications", args->max_replications,
                  "A probe whose conditions are inconclusive adds --replications more, up to this many, then counts "
                  "as failing (default: 4 x --replications)")
      ->check(CLI::Range(2, 100000));
  cap->add_option("-o,--output", args->output,
                  "Keep the results in this file: the probes as a sweep (FILE.db:sN), each a batch; default: a "
                  "temporary file");
  add_format_option(*cap, args->format, {"text", "json"});
  add_simulate_options(*cap, args->sim, "--set spec.duration=30s",
                       "the search stops without a value (exit 1)");
  // Every probe is a batch: at least 2 replications, so each condition has an interval.
  args->sim.replications = 4;
  cap->get_option("--replications")->default_str("4")->check(CLI::Range(2, 100000));
  commands.push_back({cap, [args] { return cmd_capacity(*args); }});
}

}  // namespace meshtwin::cli
