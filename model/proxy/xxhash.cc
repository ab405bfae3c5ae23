#include "model/proxy/xxhash.h"

// Debian's libxxhash-dev (xxHash 0.8.1), the implementation Envoy itself builds against.
// XXH_INLINE_ALL compiles the functions into this file: the hash is on the ring-hash hot
// path, and meshtwin (and its .deb) then needs no libxxhash0 at run time. Kept out of the
// header so nothing else sees xxhash.h's macros.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace meshtwin::proxy {

std::uint64_t xxhash64_bytes(const void* data, std::size_t size, std::uint64_t seed) {
  return XXH64(data, size, seed);
}

std::uint64_t xxhash64_chain(std::span<const std::string_view> parts, std::uint64_t seed) {
  for (std::string_view part : parts) seed = xxhash64(part, seed);
  return seed;
}

}  // namespace meshtwin::proxy
