#pragma once

// A request's headers as the simulation carries them: a few name/value views into interned or
// config-owned strings, fixed size, no allocation (route matching, hashing, forwarding).

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "model/xds/proxy_config.h"

namespace meshtwin::proxy {

inline constexpr int kMaxHeaders = 8;

struct HeaderSet {
  std::array<xds::RequestHeader, kMaxHeaders> items{};  // the first `count` are the headers
  std::uint8_t count = 0;
  // Copies only the headers in use: a request's headers are copied several times per hop (the
  // stream, the server side), and a whole copy moved 264 bytes for the usual zero to two
  // headers. Entries past `count` are never read.
  HeaderSet() = default;
  HeaderSet(const HeaderSet& other) : count(other.count) {
    std::copy_n(other.items.begin(), other.count, items.begin());
  }
  HeaderSet& operator=(const HeaderSet& other) {
    count = other.count;
    std::copy_n(other.items.begin(), other.count, items.begin());
    return *this;
  }
  void add(std::string_view name, std::string_view value) {
    if (count < kMaxHeaders) items[count++] = {name, value};
  }
  std::optional<std::string_view> get(std::string_view name) const {
    for (std::uint8_t i = 0; i < count; ++i)
      if (items[i].name == name) return items[i].value;
    return std::nullopt;
  }
};

}  // namespace meshtwin::proxy
