// libFuzzer target: the conformance-case loader (tests/data/conformance format), which parses
// the corpus, loads each case's embedded manifests and replays its calls through the compile
// half. Seeds: single cases cut from the checked-in corpora.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_input.h"
#include "model/analysis/conformance.h"
#include "model/config/diagnostics.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = meshtwin::fuzz::write_input("cases.yaml", data, size);
  meshtwin::config::Diagnostics diags;
  auto report = meshtwin::analysis::run_conformance(path, diags);
  for (const auto& d : diags.items()) (void)d.format();
  const std::string list = meshtwin::fuzz::write_input("expected-failures.txt", data, size);
  auto expected = meshtwin::analysis::load_expected_failures(list, diags);
  (void)report;
  (void)expected;
  return 0;
}
