// `meshtwin conformance CASES.yaml [--expected-failures FILE] [--format text|json]`: replays
// istiod's routing simulation tests against meshtwin's compile half
// (tests/data/conformance/README.md). The closing line says how the result compares with the
// expected-failures list; exit 1 when it differs (an unexpected failure, a listed case that now
// passes, a listed case the corpus lacks).

#include <iostream>
#include <map>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "model/analysis/conformance.h"
#include "model/config/diagnostics.h"

namespace meshtwin::cli {
namespace {

struct ConformanceArgs {
  std::string cases;
  std::string expected_failures;
  std::string only;
  std::string format;
  bool verbose = false;
};

const char* status_name(analysis::CaseResult::Status s, bool listed) {
  switch (s) {
    case analysis::CaseResult::Status::Pass:
      return listed ? "unexpected-pass" : "pass";
    case analysis::CaseResult::Status::Fail:
      return listed ? "expected-failure" : "fail";
    case analysis::CaseResult::Status::Skip:
      return "skip";
  }
  return "skip";
}

// docs/schemas/conformance.v1.schema.json.
std::string to_json(const ConformanceArgs& args, const analysis::ConformanceReport& report,
                    const analysis::ExpectedComparison& cmp, const std::map<std::string, analysis::ExpectedFailure>& expected) {
  nlohmann::ordered_json j;
  j["schemaVersion"] = 1;
  j["kind"] = "conformance";
  j["corpus"] = args.cases;
  j["expectedFailuresFile"] = args.expected_failures.empty() ? nlohmann::ordered_json(nullptr)
                                                             : nlohmann::ordered_json(args.expected_failures);
  nlohmann::ordered_json cases = nlohmann::ordered_json::array();
  for (const auto& r : report.results) {
    auto listed = expected.find(r.name);
    nlohmann::ordered_json c;
    c["name"] = r.name;
    c["category"] = r.category;
    c["status"] = status_name(r.status, listed != expected.end());
    c["expected"] = r.expected;
    c["got"] = r.got;
    c["detail"] = r.detail;
    if (listed != expected.end()) c["listedReason"] = listed->second.reason;
    cases.push_back(std::move(c));
  }
  nlohmann::ordered_json unknown = nlohmann::ordered_json::array();
  for (const auto* f : cmp.unknown) unknown.push_back({{"name", f->name}, {"line", f->line}});
  j["summary"] = {{"passed", report.passed},
                  {"failed", report.failed},
                  {"skipped", report.skipped},
                  {"expectedFailures", cmp.expected_failures.size()},
                  {"unexpectedFailures", cmp.unexpected_failures},
                  {"unexpectedPasses", cmp.unexpected_passes},
                  {"unknownListed", std::move(unknown)},
                  {"ok", cmp.ok()},
                  {"line", analysis::summary_line(report, cmp)}};
  j["cases"] = std::move(cases);
  return j.dump(2) + "\n";
}

int cmd_conformance(const ConformanceArgs& args) {
  config::Diagnostics diags;
  std::vector<analysis::ExpectedFailure> list;
  std::map<std::string, analysis::ExpectedFailure> expected;
  if (!args.expected_failures.empty()) {
    auto loaded = analysis::load_expected_failures(args.expected_failures, diags);
    if (!loaded) {
      print_diagnostics(diags, false);
      return kExitBadInput;
    }
    list = std::move(*loaded);
    for (auto& f : list) expected.emplace(f.name, f);
  }
  auto report = analysis::run_conformance(args.cases, diags, args.only);
  if (!report) {
    print_diagnostics(diags, false);
    return kExitBadInput;
  }
  const auto cmp = analysis::compare_with_expected(*report, list, !args.expected_failures.empty(), !args.only.empty());
  if (args.format == "json") {
    std::cout << to_json(args, *report, cmp, expected);
    return cmp.ok() ? kExitOk : kExitCheckFailed;
  }
  std::map<std::string, std::size_t> category_total, category_passed;
  for (const auto& r : report->results) {
    ++category_total[r.category];
    auto listed = expected.find(r.name);
    if (r.status == analysis::CaseResult::Status::Pass) {
      ++category_passed[r.category];
      if (listed != expected.end()) {
        // A listed case that passes now: the list is stale, which is worth failing for too.
        std::cout << "UNEXPECTED PASS " << r.name << ": listed in " << args.expected_failures << ":"
                  << listed->second.line << " (" << listed->second.reason << "); remove it\n";
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
    std::cout << (is_expected ? "XFAIL " : "FAIL ") << r.name << " [" << r.category << "]: expected " << r.expected
              << "; got " << r.got;
    if (is_expected) std::cout << " (expected: " << listed->second.reason << ")";
    std::cout << "\n";
    if (args.verbose && !r.detail.empty()) std::cout << "  loading the case reported: " << r.detail << "\n";
  }
  for (const auto* f : cmp.unknown)
    std::cout << "UNKNOWN " << f->name << ": listed in " << args.expected_failures << ":" << f->line
              << " but the corpus has no such case\n";
  if (args.verbose) {
    for (const auto& [cat, total] : category_total)
      std::cout << "  " << cat << ": " << category_passed[cat] << "/" << total << " passed\n";
  }
  std::cout << analysis::summary_line(*report, cmp) << "\n";
  return cmp.ok() ? kExitOk : kExitCheckFailed;
}

}  // namespace

void register_conformance(CLI::App& app, Commands& commands) {
  auto args = std::make_shared<ConformanceArgs>();
  auto* cmd = app.add_subcommand(
      "conformance", "Replay istiod's routing simulation tests (a cases.yaml corpus) against meshtwin's compile half");
  cmd->add_option("CASES", args->cases, "The corpus (tests/data/conformance/cases.yaml format)")->required();
  cmd->add_option("--expected-failures", args->expected_failures,
                  "Cases known to fail, one `name  reason` per line: they do not fail the run, but a listed case "
                  "that passes does; the summary line says how the result compares with the list");
  cmd->add_option("--case", args->only, "Replay only the case with this name");
  add_format_option(*cmd, args->format, {"text", "json"});
  cmd->add_flag("-v,--verbose", args->verbose, "Also list passing cases and per-category figures");
  commands.push_back({cmd, [args] { return cmd_conformance(*args); }});
}

}  // namespace meshtwin::cli
