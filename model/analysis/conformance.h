// model/analysis owns the checks built on the compile half alone: istiod's routing conformance
// corpus replayed (this file), lint findings, and the service graph. It depends on config,
// registry and xds; it knows nothing of the simulation, SQLite or the command line.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "model/config/diagnostics.h"

namespace meshtwin::analysis {

// One case of tests/data/conformance/cases.yaml replayed against meshtwin's compile half.
struct CaseResult {
  std::string name;
  std::string category;
  enum class Status { Pass, Fail, Skip };
  Status status = Status::Pass;
  std::string expected;  // "error=none listener=0.0.0.0_80 cluster=..." (the fields the case asserts)
  std::string got;       // the same fields as meshtwin decided them
  std::string detail;    // why it was skipped, or what loading the case reported
};

struct ConformanceReport {
  std::vector<CaseResult> results;  // in corpus order
  std::size_t passed = 0, failed = 0, skipped = 0;
};

// Replays every case of a cases.yaml file (format and harness defaults:
// tests/data/conformance/README.md). `only` (a case name) replays one case. nullopt, with a
// diagnostic, when the file cannot be read as a corpus.
std::optional<ConformanceReport> run_conformance(const std::string& path, config::Diagnostics& diags,
                                                 const std::string& only = "");

struct ExpectedFailure {
  std::string name;
  std::string reason;
  int line = 0;
};

// `name  reason` per line; blank lines and lines starting with '#' are ignored.
std::optional<std::vector<ExpectedFailure>> load_expected_failures(const std::string& path,
                                                                   config::Diagnostics& diags);

// How a run compares with an --expected-failures list (each list in corpus order; unknown in
// list order). With no list every failure is unexpected.
struct ExpectedComparison {
  bool have_list = false;
  std::vector<std::string> expected_failures;    // failed and listed (XFAIL)
  std::vector<std::string> unexpected_failures;  // failed, not listed
  std::vector<std::string> unexpected_passes;    // listed but passed: the list is stale
  std::vector<const ExpectedFailure*> unknown;   // listed, but the corpus has no such case
  bool ok() const { return unexpected_failures.empty() && unexpected_passes.empty() && unknown.empty(); }
};
// `only` (a --case run) skips the unknown check: the other listed cases did not run.
ExpectedComparison compare_with_expected(const ConformanceReport& report, const std::vector<ExpectedFailure>& expected,
                                         bool have_list, bool only);

// The closing line: counts, then how they compare with the list, e.g.
//   221 passed, 8 failed, 0 skipped (all 8 expected)
//   221 passed, 8 failed, 0 skipped (7 expected); 1 unexpected failure: NAME
//   223 passed, 6 failed, 0 skipped (all 6 expected); 2 expected failures now pass: A, B
//   221 passed, 8 failed, 0 skipped (no --expected-failures list); 8 unexpected failures: A, B, C and 5 more
std::string summary_line(const ConformanceReport& report, const ExpectedComparison& comparison);

}  // namespace meshtwin::analysis
