#pragma once

#include <cstdint>
#include <string_view>

#include <boost/random/mersenne_twister.hpp>

namespace meshtwin::engine {

// A named random stream. Its state is derived from (seed, component name) only, so adding or
// removing a component never changes the numbers any other component draws (common random
// numbers across runs of different policies, docs/design.md §2). Names must be stable, e.g.
// "pod/reviews-v1-0/failures" or "client/users/arrivals".
//
// Complexity: construction O(312) (the whole Mersenne Twister state is filled from a
// splitmix64 walk keyed by (seed, name), about a microsecond); draws O(1) amortised.
// Memory: 2.5 KB per stream.
class RngStream {
 public:
  RngStream(std::uint64_t seed, std::string_view name);

  std::uint64_t next_u64() { return engine_(); }
  // Uniform on [0, 1) with 53 random bits.
  double uniform01() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n); n > 0. Unbiased (rejection).
  std::uint64_t uniform_int(std::uint64_t n);
  // True with probability p.
  bool bernoulli(double p) { return uniform01() < p; }

  boost::random::mt19937_64& engine() { return engine_; }

 private:
  boost::random::mt19937_64 engine_;
};

// The stable 64-bit hash used to derive stream seeds (FNV-1a 64 then splitmix64 finalised);
// exposed for tests and for other components that need a stable hash of a name.
std::uint64_t stable_hash(std::string_view text);

// The seed of replication `index` of a batch whose scenario seed is `seed` (`meshtwin run
// --replications`, docs/design.md §3.1). Replication 0 runs the scenario seed itself, so a
// batch's first replication equals a plain `run` with that seed; replication r > 0 gets a
// seed mixed from (seed, r), unrelated to seed + r, so that two batches with neighbouring
// seeds share no replication. It depends on (seed, index) only: two scenarios compared with
// the same seed get the same seed for replication r (common random numbers per replication
// pair), and the seeds do not depend on how many replications run or on how many threads.
std::uint64_t replication_seed(std::uint64_t seed, std::uint64_t index);

}  // namespace meshtwin::engine
