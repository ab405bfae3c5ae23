// `meshtwin merge A.db B.db ... -o ALL.db` (docs/scale-out.md): joins the results files of the
// shards of one `run --replications` or `sweep` (`--shard K/N`) into the file the unsharded
// command would have written. Reads its inputs only; writes a new file.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace meshtwin::results {

struct MergeSummary {
  int files = 0;
  int runs = 0;     // copied
  int batches = 0;  // in the merged file
  int sweeps = 0;
  // Batches whose replications are not 0, 1, ..., n-1 once joined: a shard's file is missing
  // (merged all the same: a shard that failed should not cost the others' work).
  std::vector<std::string> gaps;
};

// Every input must be at this build's schema version and hold the same batches (same scenario,
// seed, warm-up and meshtwin version, in the same order) and the same sweeps and sweep points;
// batch i of every input is joined into batch i of the output, its runs ordered by replication
// (renumbered: the output's run ids follow batch, then replication), and no replication may be
// in two inputs, whose runs must have been simulated from the same inputs (`inputs` rows).
// Runs outside any batch are copied after the batches, file by file. Writes `output` (which must
// not exist) through a temporary file renamed at the end, so that a refused or failed merge
// leaves nothing behind. nullopt and one sentence in *error naming the file at fault.
std::optional<MergeSummary> merge_results(const std::vector<std::string>& inputs, const std::string& output,
                                          std::string* error);

}  // namespace meshtwin::results
