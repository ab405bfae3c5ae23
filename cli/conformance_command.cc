// `meshtwin conformance CASES.yaml [--expected-failures FILE]`: replays istiod's routing
// simulation tests against meshtwin's compile half (tests/data/conformance/README.md).

#include <iostream>
#include <map>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "model/analysis/conformance.h"
#include "model/config/diagnostics.h"

namespace meshtwin::cli {
namespace {

struct ConformanceArgs {
  std::string cases;
  std::string expected_failures;
  std::string only;
  bool verbose = false;
};

int cmd_conformance(const ConformanceArgs& args) {
  config::Diagnostics diags;
  std::map<std::string, analysis::ExpectedFailure> expected;
  if (!args.expected_failures.empty()) {
    auto list = analysis::load_expected_failures(args.expected_failures, diags);
    if (!list) {
      print_diagnostics(diags, false);
      return kExitBadInput;
    }
    for (auto& f : *list) expected.emplace(f.name, f);
  }
  auto report = analysis::run_conformance(args.cases, diags, args.only);
  if (!report) {
    print_diagnostics(diags, false);
    return kExitBadInput;
  }
  bool problem = false;
  std::map<std::string, bool> seen;
  std::map<std::string, std::size_t> category_total, category_passed;
  for (const auto& r : report->results) {
    seen[r.name] = true;
    ++category_total[r.category];
    auto listed = expected.find(r.name);
    if (r.status == analysis::CaseResult::Status::Pass) {
      ++category_passed[r.category];
      if (listed != expected.end()) {
        // A listed case that passes now: the list is stale, which is worth failing for too.
        std::cout << "UNEXPECTED PASS " << r.name << ": listed in " << args.expected_failures << ":"
                  << listed->second.line << " (" << listed->second.reason << "); remove it\n";
        problem = true;
      } else if (args.verbose) {
        std::cout << "ok " << r.name << "\n";
      }
      continue;
    }
    if (r.status == analysis::CaseResult::Status::Skip) {
      std::cout << "SKIP " << r.name << ": " << r.detail << "\n";
      continue;
    }
    const bool is_expected = listed != expected.end();
    if (!is_expected) problem = true;
    std::cout << (is_expected ? "XFAIL " : "FAIL ") << r.name << " [" << r.category << "]: expected " << r.expected
              << "; got " << r.got;
    if (is_expected) std::cout << " (expected: " << listed->second.reason << ")";
    std::cout << "\n";
    if (args.verbose && !r.detail.empty()) std::cout << "  loading the case reported: " << r.detail << "\n";
  }
  if (args.only.empty()) {
    for (const auto& [name, f] : expected) {
      if (seen.count(name)) continue;
      std::cout << "UNKNOWN " << name << ": listed in " << args.expected_failures << ":" << f.line
                << " but the corpus has no such case\n";
      problem = true;
    }
  }
  if (args.verbose) {
    for (const auto& [cat, total] : category_total)
      std::cout << "  " << cat << ": " << category_passed[cat] << "/" << total << " passed\n";
  }
  std::cout << report->passed << " passed, " << report->failed << " failed, " << report->skipped << " skipped\n";
  return problem ? kExitCheckFailed : kExitOk;
}

}  // namespace

void register_conformance(CLI::App& app, Commands& commands) {
  auto args = std::make_shared<ConformanceArgs>();
  auto* cmd = app.add_subcommand(
      "conformance", "Replay istiod's routing simulation tests (a cases.yaml corpus) against meshtwin's compile half");
  cmd->add_option("CASES", args->cases, "The corpus (tests/data/conformance/cases.yaml format)")->required();
  cmd->add_option("--expected-failures", args->expected_failures,
                  "Cases known to fail, one `name  reason` per line: they do not fail the run, but a listed case "
                  "that passes does");
  cmd->add_option("--case", args->only, "Replay only the case with this name");
  cmd->add_flag("-v,--verbose", args->verbose, "Also list passing cases and per-category figures");
  commands.push_back({cmd, [args] { return cmd_conformance(*args); }});
}

}  // namespace meshtwin::cli
