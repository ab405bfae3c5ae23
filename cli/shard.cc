#include "cli/shard.h"

#include <cstdio>
#include <iostream>

namespace meshtwin::cli {

std::optional<Shard> parse_shard(const std::string& text) {
  Shard shard;
  char slash = 0, rest = 0;
  if (std::sscanf(text.c_str(), "%d%c%d%c", &shard.index, &slash, &shard.count, &rest) != 3 || slash != '/' ||
      shard.count < 1 || shard.index < 0 || shard.index >= shard.count) {
    std::cerr << "meshtwin: --shard " << text
              << ": expected K/N with 0 <= K < N, e.g. --shard 0/4 (the Kubernetes Job's completion index / its "
                 "completions)\n";
    return std::nullopt;
  }
  return shard;
}

ShardSlice Shard::slice(std::int64_t base, int replications) const {
  // The first unit u >= base with u mod N = K, as a replication of this batch.
  const std::int64_t n = count;
  ShardSlice s;
  s.first = static_cast<int>(((index - base) % n + n) % n);
  s.stride = count;
  s.count = s.first < replications ? (replications - s.first + count - 1) / count : 0;
  return s;
}

}  // namespace meshtwin::cli
