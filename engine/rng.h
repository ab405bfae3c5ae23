#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string_view>

namespace meshtwin::engine {

// A named random stream. Its state is derived from (seed, component name) only, so adding or
// removing a component never changes the numbers any other component draws (common random
// numbers across runs of different policies, docs/design.md §2). Names must be stable, e.g.
// "pod/reviews-v1-0/failures" or "client/users/arrivals".
//
// The generator is MT19937-64, bit-identical to boost::random::mt19937_64 seeded with
// detail::SplitMixSeedSeq (what this class held before; tests/engine/rng_test.cc compares the
// two), written out here only to change where its state lives.
//
// Complexity: construction O(312) (the whole Mersenne Twister state is filled from a
// splitmix64 walk keyed by (seed, name) and twisted once, about a microsecond); draws O(1)
// amortised: every 312th draw regenerates the 312 words in one sequential pass.
// Memory: this handle is 16 bytes (the pointer and the index of the next word), the 312 state
// words are a separate 2,496-byte, 64-byte-aligned block the handle owns. The split is for
// the hot path at scale: boost's engine keeps its index *after* the 312 words, so a draw read
// two lines of a 2.5 KB object (the index and the word) and an owner holding several streams
// (a pod, a proxy) grew by 2.5 KB per stream. Now the index sits in the owner's own line and a
// draw touches one state line, shared by 8 consecutive draws.
class RngStream {
 public:
  static constexpr std::uint32_t kStateWords = 312;  // MT19937-64's n

  RngStream(std::uint64_t seed, std::string_view name);
  // Copies continue the same sequence independently (the state block is duplicated). A
  // moved-from stream has no state: it may only be assigned to or destroyed.
  RngStream(const RngStream& other);
  RngStream& operator=(const RngStream& other);
  RngStream(RngStream&&) noexcept = default;
  RngStream& operator=(RngStream&&) noexcept = default;
  ~RngStream() = default;

  std::uint64_t next_u64() {
    if (index_ == kStateWords) [[unlikely]]
      twist();
    return temper(state_->words[index_++]);
  }
  // Asks the CPU to start loading the word the next draw returns (not on a moved-from stream).
  // A hint only (results never change): for a caller that knows a draw from this stream comes a
  // few events later, at a size where the stream's state has left the cache (a 1,000-service
  // mesh has ~9,000 streams, 22 MB of state; docs/performance.md "Prefetching the next hop at
  // 1,000 services").
  void prefetch() const { __builtin_prefetch(state_->words + (index_ < kStateWords ? index_ : 0)); }
  // The first out.size() draws of RngStream(seed, name), bit for bit, for a stream drawn from
  // only a few times (out.size() <= kCheapFirstDraws): each costs a few splitmix64 steps
  // instead of the 312-word fill and twist of a whole stream. Draw j of a fresh stream is
  // temper(x[j+156] ^ twist(x[j], x[j+1])) of the seeded words, and seeded word i is
  // splitmix64's (i+1)-th output, which can be computed directly. (A proxy's first request to a
  // cluster seeds that cluster's load balancer, one draw per worker, from a stream of its own:
  // at 1,000 services thousands of such streams were ~3 % of a 20,000-request run.)
  static constexpr std::size_t kCheapFirstDraws = 156;  // MT19937-64's n - m
  static void first_draws(std::uint64_t seed, std::string_view name, std::span<std::uint64_t> out);
  // The same for the stream named by the parts joined, without building the name.
  static void first_draws(std::uint64_t seed, std::initializer_list<std::string_view> name_parts,
                          std::span<std::uint64_t> out);
  // Uniform on [0, 1) with 53 random bits.
  double uniform01() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n); n > 0. Unbiased (rejection).
  std::uint64_t uniform_int(std::uint64_t n);
  // True with probability p.
  bool bernoulli(double p) { return uniform01() < p; }

 private:
  // Allocated from 2 MiB chunks the kernel may back with transparent huge pages (rng.cc): a
  // 1,000-service mesh has ~9,000 streams, 22 MB of state read at random, one 4 KiB page each
  // draw without them, and each page a TLB miss.
  struct alignas(64) State {
    std::uint64_t words[kStateWords];
    static void* operator new(std::size_t size);
    static void operator delete(void* block) noexcept;
  };

  // MT19937-64's output tempering (Matsumoto and Nishimura; boost's u, d, s, b, t, c, l).
  static std::uint64_t temper(std::uint64_t z) {
    z ^= (z >> 29) & 0x5555555555555555ULL;
    z ^= (z << 17) & 0x71d67fffeda60000ULL;
    z ^= (z << 37) & 0xfff7eee000000000ULL;
    return z ^ (z >> 43);
  }
  static void first_draws_of_key(std::uint64_t key, std::span<std::uint64_t> out);
  // Regenerates all 312 words; out of line so that the draw stays a few instructions.
  [[gnu::noinline]] void twist();

  std::unique_ptr<State> state_;
  std::uint32_t index_ = 0;  // next word to return; kStateWords: twist first
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

namespace detail {

// The key a stream's state is filled from: depends on (seed, name) only, never on how many
// streams exist or in what order they were made.
std::uint64_t stream_key(std::uint64_t seed, std::string_view name);
// The same from stable_hash(name).
std::uint64_t stream_key_of_hash(std::uint64_t seed, std::uint64_t name_hash);

// A seed sequence in the shape boost's mersenne_twister::seed(SeedSeq&) takes (32-bit words
// through generate()): a splitmix64 walk started at one 64-bit key, each 64-bit output split
// low half first. Unlike seeding with a single integer, every state word depends on the full
// key, and nearby keys give unrelated states. RngStream fills its words from next64()
// directly; the tests seed boost's engine through generate() to check both agree.
class SplitMixSeedSeq {
 public:
  using result_type = std::uint32_t;
  explicit SplitMixSeedSeq(std::uint64_t key) : state_(key) {}

  std::uint64_t next64();

  template <class It>
  void generate(It first, It last) {
    while (first != last) {
      const std::uint64_t word = next64();
      *first++ = static_cast<std::uint32_t>(word);
      if (first != last) *first++ = static_cast<std::uint32_t>(word >> 32);
    }
  }

 private:
  std::uint64_t state_;
};

}  // namespace detail

}  // namespace meshtwin::engine
