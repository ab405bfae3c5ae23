// xxHash64 (docs/semantics.md §7.4, §8.4: Envoy's ring-hash, maglev and request hash keys) against
// the published vectors: the xxHash repository's sanity-check buffer (xxhsum's self test)
// and the short-string values listed by python-xxhash and the xxHash README.
#include "model/proxy/xxhash.h"

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace meshtwin::proxy {
namespace {

// xxHash's sanity buffer: byte i = top byte of PRIME32 × PRIME64^i (mod 2^64).
std::vector<unsigned char> sanity_buffer() {
  std::vector<unsigned char> buffer(2367);
  std::uint64_t gen = 2654435761ULL;  // PRIME32
  for (auto& b : buffer) {
    b = static_cast<unsigned char>(gen >> 56);
    gen *= 11400714785074694797ULL;  // PRIME64
  }
  return buffer;
}

TEST(XxHash64Test, SanityBufferVectors_Sem8_4) {
  const auto buffer = sanity_buffer();
  constexpr std::uint64_t kPrime32 = 2654435761ULL;
  struct Vector {
    std::size_t length;
    std::uint64_t seed;
    std::uint64_t expected;
  };
  // From xxHash's sanity checks (XXH64 with seeds 0 and PRIME32).
  const std::array<Vector, 9> vectors{{
      {0, 0, 0xEF46DB3751D8E999ULL},
      {0, kPrime32, 0xAC75FDA2929B17EFULL},
      {1, 0, 0xE934A84ADB052768ULL},
      {1, kPrime32, 0x5014607643A9B4C3ULL},
      {4, 0, 0x9136A0DCA57457EEULL},
      {14, 0, 0x8282DCC4994E35C8ULL},
      {14, kPrime32, 0xC3BD6BF63DEB6DF0ULL},
      {222, 0, 0xB641AE8CB691C174ULL},
      {222, kPrime32, 0x20CB8AB7AE10C14AULL},
  }};
  for (const Vector& v : vectors) {
    EXPECT_EQ(xxhash64_bytes(buffer.data(), v.length, v.seed), v.expected)
        << "length " << v.length << " seed " << v.seed;
  }
}

TEST(XxHash64Test, ShortStringVectors_Sem7_4) {
  EXPECT_EQ(xxhash64(std::string_view("")), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(xxhash64(std::string_view("a")), 0xD24EC4F1A98C6E5BULL);
  EXPECT_EQ(xxhash64(std::string_view("abc")), 0x44BC2CF5AD770999ULL);
  // 39 bytes: exercises the 32-byte stripe loop plus the 8-, 4- and 1-byte tails.
  EXPECT_EQ(xxhash64(std::string_view("Nobody inspects the spammish repetition")),
            0xFBCEA83C8A378BF1ULL);
  EXPECT_EQ(xxhash64(std::string_view("The quick brown fox jumps over the lazy dog")),
            0x0B242D361FDA71BCULL);
}

TEST(XxHash64Test, SeedChangesTheHashAndChainingFeedsTheSeed_Sem8_4) {
  // Maglev's skip uses seed 1 (§8.4): it must differ from the seed-0 hash.
  EXPECT_NE(xxhash64(std::string_view("10.244.0.1:9080"), 1),
            xxhash64(std::string_view("10.244.0.1:9080"), 0));
  // Envoy's span form: a single part is plain XXH64, several parts chain through the seed.
  const std::array<std::string_view, 1> one{"abc"};
  EXPECT_EQ(xxhash64_chain(one), 0x44BC2CF5AD770999ULL);
  const std::array<std::string_view, 2> two{"a", "bc"};
  EXPECT_EQ(xxhash64_chain(two), xxhash64(std::string_view("bc"), xxhash64(std::string_view("a"))));
  EXPECT_NE(xxhash64_chain(two), xxhash64(std::string_view("abc")));
}

}  // namespace
}  // namespace meshtwin::proxy
