#include "engine/rng.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <mutex>
#include <new>
#include <string>
#include <vector>

namespace meshtwin::engine {
namespace {

constexpr std::uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL;

// MT19937-64's parameters (boost::random::mt19937_64): n words of state, the middle offset m,
// r low bits taken from the next word, the twist matrix's last row a.
constexpr std::uint32_t kN = RngStream::kStateWords;
constexpr std::uint32_t kM = 156;
constexpr std::uint64_t kUpperMask = ~std::uint64_t{0} << 31;
constexpr std::uint64_t kLowerMask = ~kUpperMask;
constexpr std::uint64_t kMatrixA = 0xb5026f5aa96619e9ULL;

// One step of the twist: the upper bits of `word`, the lower bits of `next`, times A. A's last
// row is xored in under a mask rather than boost's `(next & 1) * A` (the same value): without
// a 64-bit multiply the twist's loops vectorise with SSE2.
inline std::uint64_t mix_pair(std::uint64_t word, std::uint64_t next) {
  const std::uint64_t y = (word & kUpperMask) | (next & kLowerMask);
  return (y >> 1) ^ ((0 - (next & 1)) & kMatrixA);
}

// boost's normalize_state, applied after seeding: x[0]'s low r bits are redundant (the
// twist reads only old x[0]'s upper bit, so they never reach an output), and are set to what
// running the generator forwards and back would give, so that the state equals boost's word
// for word; an all-zero state (the recurrence's fixed point) becomes a valid one.
void normalize(std::uint64_t* x) {
  std::uint64_t y0 = x[kM - 1] ^ x[kN - 1];
  y0 = (y0 >> 63) ? ((y0 ^ kMatrixA) << 1) | 1 : y0 << 1;
  x[0] = (x[0] & kUpperMask) | (y0 & kLowerMask);
  for (std::uint32_t j = 0; j < kN; ++j)
    if (x[j] != 0) return;
  x[0] = std::uint64_t{1} << 63;
}

// splitmix64's output function (Steele, Lea, Flood 2014): a bijective avalanche mix.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Where stream states live: blocks carved from 2 MiB-aligned chunks marked MADV_HUGEPAGE
// (used where the kernel's transparent huge pages are `always` or `madvise`, Debian's
// default; elsewhere plain pages), reused through a free list and never returned to the system
// (a process makes its streams during setup; a later mesh takes the freed blocks). Locked:
// replications build their meshes on several threads.
class StatePool {
 public:
  static constexpr std::size_t kChunk = std::size_t{2} << 20;

  void* take(std::size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!free_.empty()) {
      void* block = free_.back();
      free_.pop_back();
      return block;
    }
    if (static_cast<std::size_t>(end_ - next_) < size) {
      void* chunk = std::aligned_alloc(kChunk, kChunk);
      if (!chunk) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
      ::madvise(chunk, kChunk, MADV_HUGEPAGE);  // a hint: refused, the chunk keeps small pages
#endif
      next_ = static_cast<char*>(chunk);
      end_ = next_ + kChunk;
    }
    void* block = next_;
    next_ += size;
    return block;
  }
  void give(void* block) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(block);
  }

 private:
  std::mutex mutex_;
  std::vector<void*> free_;
  char* next_ = nullptr;
  char* end_ = nullptr;
};

StatePool& state_pool() {
  static StatePool* pool = new StatePool;  // never destroyed: a static stream may outlive it
  return *pool;
}

}  // namespace

void* RngStream::State::operator new(std::size_t size) {
  static_assert(sizeof(State) % alignof(State) == 0, "consecutive blocks stay aligned");
  return state_pool().take(size);
}

void RngStream::State::operator delete(void* block) noexcept {
  if (block) state_pool().give(block);
}

namespace {
constexpr std::uint64_t kFnvBasis = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
// FNV-1a 64 continued over `text`: hashing a name in parts gives the hash of the whole.
std::uint64_t fnv1a(std::uint64_t h, std::string_view text) {
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;  // FNV-1a 64 prime
  }
  return h;
}
}  // namespace

std::uint64_t stable_hash(std::string_view text) {
  // FNV's low bits mix poorly; the finaliser spreads every input bit over the whole word.
  return mix64(fnv1a(kFnvBasis, text));
}

std::uint64_t replication_seed(std::uint64_t seed, std::uint64_t index) {
  if (index == 0) return seed;
  // A constant salt keeps replication seeds apart from stream keys built from the same seed.
  return mix64(mix64(seed ^ 0x7265706c69636174ULL) + index * kGoldenGamma);
}

namespace detail {

std::uint64_t SplitMixSeedSeq::next64() {
  state_ += kGoldenGamma;
  return mix64(state_);
}

// The seed is mixed before combining so that (seed, name) pairs that differ in both do not
// cancel out under xor.
std::uint64_t stream_key(std::uint64_t seed, std::string_view name) {
  return stream_key_of_hash(seed, stable_hash(name));
}

std::uint64_t stream_key_of_hash(std::uint64_t seed, std::uint64_t name_hash) {
  return mix64(mix64(seed + kGoldenGamma) ^ name_hash);
}

}  // namespace detail

// Word for word what boost's seed(SeedSeq&) does with a SplitMixSeedSeq: its
// seed_array_int joins the 32-bit halves back into the 64-bit words, then normalize_state.
RngStream::RngStream(std::uint64_t seed, std::string_view name) : state_(new State) {  // filled below
  detail::SplitMixSeedSeq seq(detail::stream_key(seed, name));
  std::uint64_t* x = state_->words;
  for (std::uint32_t j = 0; j < kStateWords; ++j) x[j] = seq.next64();
  normalize(x);
  // boost twists on the first draw; twisting now gives the same words while the block is still
  // in cache from the fill, instead of 39 cold lines in the middle of a run (at 1,000
  // services, where most streams are drawn from a few times, that was ~1.2 L2 misses per hop
  // attempt, docs/performance.md).
  twist();
}

void RngStream::first_draws(std::uint64_t seed, std::string_view name, std::span<std::uint64_t> out) {
  if (out.size() > kCheapFirstDraws) {
    RngStream whole(seed, name);
    for (std::uint64_t& v : out) v = whole.next_u64();
    return;
  }
  first_draws_of_key(detail::stream_key(seed, name), out);
}

void RngStream::first_draws(std::uint64_t seed, std::initializer_list<std::string_view> name_parts,
                            std::span<std::uint64_t> out) {
  if (out.size() > kCheapFirstDraws) {
    std::string name;
    for (std::string_view part : name_parts) name += part;
    first_draws(seed, name, out);
    return;
  }
  std::uint64_t h = kFnvBasis;
  for (std::string_view part : name_parts) h = fnv1a(h, part);
  first_draws_of_key(detail::stream_key_of_hash(seed, mix64(h)), out);
}

void RngStream::first_draws_of_key(std::uint64_t key, std::span<std::uint64_t> out) {
  // Seeded word i (the constructor's fill) is mix64(key + (i + 1) * gamma). normalize() changes
  // only word 0's low bits, which no draw before the 312th reads (mix_pair takes its first
  // word's upper bits), and the all-zero fix-up cannot happen: splitmix64 is a bijection of
  // distinct counters, so at most one seeded word is zero.
  const auto word = [key](std::uint64_t i) { return mix64(key + (i + 1) * kGoldenGamma); };
  std::uint64_t next = word(0);
  for (std::size_t j = 0; j < out.size(); ++j) {
    const std::uint64_t current = next;
    next = word(j + 1);
    out[j] = temper(word(j + kM) ^ mix_pair(current, next));
  }
}

RngStream::RngStream(const RngStream& other)
    : state_(other.state_ ? std::make_unique<State>(*other.state_) : nullptr), index_(other.index_) {}

RngStream& RngStream::operator=(const RngStream& other) {
  if (this != &other) *this = RngStream(other);
  return *this;
}

void RngStream::twist() {
  // The recurrence of Matsumoto and Nishimura in place, in boost's order: words [0, n-m) mix
  // with the old words m ahead, [n-m, n-1) with the new ones n-m behind, the last wraps to the
  // new x[0].
  std::uint64_t* x = state_->words;
  for (std::uint32_t j = 0; j < kN - kM; ++j) x[j] = x[j + kM] ^ mix_pair(x[j], x[j + 1]);
  for (std::uint32_t j = kN - kM; j < kN - 1; ++j) x[j] = x[j - (kN - kM)] ^ mix_pair(x[j], x[j + 1]);
  x[kN - 1] = x[kM - 1] ^ mix_pair(x[kN - 1], x[0]);
  index_ = 0;
}

std::uint64_t RngStream::uniform_int(std::uint64_t n) {
  if (n == 0) return 0;  // precondition n > 0; answer rather than divide by zero
  // Lemire's multiply-and-reject ("Fast random integer generation in an interval", 2019):
  // unbiased, and usually without a division.
  std::uint64_t x = next_u64();
  unsigned __int128 m = static_cast<unsigned __int128>(x) * n;
  std::uint64_t low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    while (low < threshold) {
      x = next_u64();
      m = static_cast<unsigned __int128>(x) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

}  // namespace meshtwin::engine
