#pragma once

// A request's headers as the simulation carries them: a few name/value views into interned or
// config-owned strings, fixed size, no allocation (route matching, hashing, forwarding).

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "model/xds/proxy_config.h"

namespace meshtwin::proxy {

inline constexpr int kMaxHeaders = 8;

struct HeaderSet {
  std::array<xds::RequestHeader, kMaxHeaders> items{};
  std::uint8_t count = 0;
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
