#include "engine/rng.h"

#include <cstdint>

namespace meshtwin::engine {
namespace {

constexpr std::uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL;

// splitmix64's output function (Steele, Lea, Flood 2014): a bijective avalanche mix.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A seed sequence for boost's mersenne_twister::seed(SeedSeq&): fills the whole 312-word
// state from a splitmix64 walk started at one 64-bit key. Unlike seeding with a single
// integer, every state word depends on the full key, and nearby keys give unrelated states.
class SplitMixSeedSeq {
 public:
  using result_type = std::uint32_t;
  explicit SplitMixSeedSeq(std::uint64_t key) : state_(key) {}

  template <class It>
  void generate(It first, It last) {
    while (first != last) {
      state_ += kGoldenGamma;
      const std::uint64_t word = mix64(state_);
      *first++ = static_cast<std::uint32_t>(word);
      if (first != last) *first++ = static_cast<std::uint32_t>(word >> 32);
    }
  }

 private:
  std::uint64_t state_;
};

// The stream key depends on (seed, name) only: never on how many streams exist or in what
// order they were made. The seed is mixed before combining so that (seed, name) pairs that
// differ in both do not cancel out under xor.
std::uint64_t stream_key(std::uint64_t seed, std::string_view name) {
  return mix64(mix64(seed + kGoldenGamma) ^ stable_hash(name));
}

}  // namespace

std::uint64_t stable_hash(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;  // FNV-1a 64 prime
  }
  // FNV's low bits mix poorly; the finaliser spreads every input bit over the whole word.
  return mix64(h);
}

std::uint64_t replication_seed(std::uint64_t seed, std::uint64_t index) {
  if (index == 0) return seed;
  // A constant salt keeps replication seeds apart from stream keys built from the same seed.
  return mix64(mix64(seed ^ 0x7265706c69636174ULL) + index * kGoldenGamma);
}

RngStream::RngStream(std::uint64_t seed, std::string_view name) {
  SplitMixSeedSeq seq(stream_key(seed, name));
  engine_.seed(seq);
}

std::uint64_t RngStream::uniform_int(std::uint64_t n) {
  if (n == 0) return 0;  // precondition n > 0; answer rather than divide by zero
  // Lemire's multiply-and-reject ("Fast random integer generation in an interval", 2019):
  // unbiased, and usually without a division.
  std::uint64_t x = engine_();
  unsigned __int128 m = static_cast<unsigned __int128>(x) * n;
  std::uint64_t low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    while (low < threshold) {
      x = engine_();
      m = static_cast<unsigned __int128>(x) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

}  // namespace meshtwin::engine
