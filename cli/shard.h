#pragma once

// `--shard K/N` on `run --replications` and `sweep` (docs/scale-out.md): which replications a
// shard runs. The work of an unsharded command is a list of units, one replication each,
// numbered in the order the unsharded command runs them (a sweep: point by point, each point's
// replications in order); shard K of N runs the units u with u mod N = K. Striding, not
// contiguous blocks, spreads a grid's expensive corner over every shard.

#include <cstdint>
#include <optional>
#include <string>

namespace meshtwin::cli {

// A shard's replications of one batch: first, first + stride, ... (count of them).
struct ShardSlice {
  int first = 0;
  int stride = 1;
  int count = 0;
};

struct Shard {
  int index = 0;  // K
  int count = 1;  // N; 1: unsharded
  bool sharded() const { return count > 1; }
  // This shard's replications of the batch whose units start at unit `base` and number
  // `replications` (count 0: none of them).
  ShardSlice slice(std::int64_t base, int replications) const;
};

// "K/N" with 0 <= K < N; nullopt after one line on stderr otherwise.
std::optional<Shard> parse_shard(const std::string& text);

}  // namespace meshtwin::cli
