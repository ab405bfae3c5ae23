// xxHash64 (Yann Collet's XXH64, the 64-bit variant of xxHash 0.8), the hash Envoy uses for
// ring-hash and maglev tables and for request hash keys (docs/semantics.md §7.4, §8.4). Computed
// by Debian's libxxhash-dev (xxhash.cc); tests/sim/xxhash_test.cc pins the published vectors,
// so Envoy's hash values cannot change underneath the load balancers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace meshtwin::proxy {

// XXH64(data, size, seed). (A distinct name so that a `const char*` never binds here by accident.) Cost: O(size), about 1 ns per byte plus ~10 ns; no allocation.
std::uint64_t xxhash64_bytes(const void* data, std::size_t size, std::uint64_t seed = 0);

inline std::uint64_t xxhash64(std::string_view text, std::uint64_t seed = 0) {
  return xxhash64_bytes(text.data(), text.size(), seed);
}

// Envoy's HashUtil::xxHash64 over several strings: each one is hashed with the previous
// result as its seed (a single string gives plain XXH64).
std::uint64_t xxhash64_chain(std::span<const std::string_view> parts, std::uint64_t seed = 0);

}  // namespace meshtwin::proxy
