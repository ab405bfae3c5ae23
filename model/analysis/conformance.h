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

}  // namespace meshtwin::analysis
