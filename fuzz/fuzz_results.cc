// libFuzzer target: the results reader and what report/diff build on it, over arbitrary
// bytes as a results file: a corrupt, truncated or hostile SQLite file must be refused with a
// sentence or read without crashing. Seeds: small results files (fuzz/make-corpus.sh).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_input.h"
#include "results/diff.h"
#include "results/reader.h"
#include "results/report.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace meshtwin::results;
  const std::string path = meshtwin::fuzz::write_input("results.db", data, size);
  std::string error;
  auto reader = Reader::open(path, &error);
  if (!reader) return 0;
  for (const RunRow& run : reader->runs()) {
    (void)is_result(run);
    (void)not_a_result_reason(path, run);
    (void)format_report(*reader, run.run_id);
    (void)reader->summaries(run.run_id);
    (void)reader->events(run.run_id);
    (void)reader->inputs(run.run_id);
    int n = 0;
    reader->for_each_request(run.run_id, [&n](const RequestRow&) { return ++n < 1000; });
    DiffOptions options;
    options.resamples = 100;
    if (auto diff = diff_runs(*reader, run.run_id, *reader, run.run_id, options, &error)) {
      (void)format_diff(*diff);
    }
  }
  (void)open_run(path, &error);
  return 0;
}
