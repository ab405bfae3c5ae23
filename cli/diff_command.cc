// `meshtwin diff BASE.db[:RUN] CANDIDATE.db[:RUN] [--fail-if EXPR]...`: per client and per
// edge, how the candidate run differs from the base, with bootstrap intervals (or, for two
// batches `FILE.db:bN`, intervals from paired replications); exit 1 when a --fail-if threshold
// trips, so a pipeline can gate a policy change (docs/design.md §3.1).

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "results/diff.h"
#include "results/reader.h"

namespace meshtwin::cli {
namespace {

struct DiffArgs {
  std::string base;
  std::string candidate;
  std::vector<std::string> fail_if;
  int resamples = 1000;
  std::string format;
  bool allow_incomplete = false;
};

int cmd_diff(const DiffArgs& args) {
  // Thresholds first: a typo in a gate is bad input before any file is read.
  std::vector<results::Threshold> thresholds;
  for (const auto& text : args.fail_if) {
    std::string error;
    auto t = results::parse_threshold(text, &error);
    if (!t) {
      std::cerr << "meshtwin: " << error << '\n';
      return kExitBadInput;
    }
    thresholds.push_back(*t);
  }
  if (args.resamples < 100) {
    std::cerr << "meshtwin: --resamples " << args.resamples
              << ": use at least 100 (1000, the default, gives stable 95% intervals)\n";
    return kExitBadInput;
  }
  std::string error;
  auto base = results::open_ref(args.base, &error, args.allow_incomplete);
  if (!base) {
    std::cerr << "meshtwin: " << error << '\n';
    return kExitBadInput;
  }
  auto candidate = results::open_ref(args.candidate, &error, args.allow_incomplete);
  if (!candidate) {
    std::cerr << "meshtwin: " << error << '\n';
    return kExitBadInput;
  }
  if (base->batch.has_value() != candidate->batch.has_value()) {
    std::cerr << "meshtwin: diff compares two runs (FILE.db[:RUN]) or two batches (FILE.db:bN), not a run with a "
                 "batch; got "
              << args.base << " and " << args.candidate << '\n';
    return kExitBadInput;
  }
  results::DiffOptions options;
  options.resamples = args.resamples;
  auto report = base->batch ? results::diff_batches(*base->reader, *base->batch, base->runs, *candidate->reader,
                                                    *candidate->batch, candidate->runs, options, &error)
                            : results::diff_runs(*base->reader, base->run_id, *candidate->reader,
                                                 candidate->run_id, options, &error);
  if (!report) {
    std::cerr << "meshtwin: " << error << '\n';
    return kExitBadInput;
  }
  std::optional<std::vector<results::Trip>> trips;
  if (!thresholds.empty()) {
    trips = results::check_thresholds(*report, thresholds, &error);
    if (!trips) {
      std::cerr << "meshtwin: " << error << '\n';
      return kExitBadInput;
    }
  }
  if (args.format == "json") {
    std::cout << results::format_diff_json(*report, thresholds, trips ? &*trips : nullptr);
    return trips && !trips->empty() ? kExitCheckFailed : kExitOk;
  }
  std::cout << results::format_diff(*report);
  if (thresholds.empty()) return kExitOk;
  std::cout << '\n';
  if (trips->empty()) {
    std::cout << "thresholds: none of " << thresholds.size() << " tripped\n";
    return kExitOk;
  }
  std::cout << "thresholds: " << trips->size() << " tripped\n";
  for (const auto& t : *trips) std::cout << "  TRIPPED '" << t.threshold << "' by " << t.group << ": " << t.observed << '\n';
  return kExitCheckFailed;
}

}  // namespace

void register_diff(CLI::App& app, Commands& commands) {
  auto args = std::make_shared<DiffArgs>();
  auto* diff = app.add_subcommand(
      "diff", "Compare two runs (request bootstrap intervals) or two batches (paired replications, Student t) per "
              "client and edge; --fail-if gates on thresholds");
  diff->add_option("BASE", args->base,
                   "Base results, FILE.db or FILE.db:RUN (default: latest run), or a batch FILE.db:bN")
      ->required();
  diff->add_option("CANDIDATE", args->candidate, "Candidate results, FILE.db, FILE.db:RUN or (with a batch base) FILE.db:bN")
      ->required();
  diff->add_option("--fail-if", args->fail_if,
                   "Exit 1 when a change crosses a threshold: [SCOPE] METRIC OP CHANGE, e.g. 'p99 > +10%', "
                   "'successRate < -0.5pp', 'non5xxRate < -1pp', 'reviews:v3 p99 > +5ms', 'client:users flags:UO > 0' (repeatable)");
  diff->add_option("--resamples", args->resamples,
                   "Bootstrap resamples per interval (two runs only; it treats requests as independent, which under "
                   "load they are not, so its intervals are too narrow: prefer batches)")
      ->capture_default_str();
  add_format_option(*diff, args->format, {"text", "json"});
  diff->add_flag("--allow-incomplete", args->allow_incomplete,
                 "Also compare a run that is incomplete (its writer was killed) or failed; refused by default");
  commands.push_back({diff, [args] { return cmd_diff(*args); }});
}

}  // namespace meshtwin::cli
