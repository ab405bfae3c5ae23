#pragma once

// A tiny strong index: a 32-bit slot number that only converts to and from its own kind, so
// a stream slot cannot be passed where a server request or an app call is meant. Free at run
// time (one uint32_t, trivially copyable); `none()` is the "no object" value.

#include <compare>
#include <cstdint>

namespace meshtwin::engine {

template <class Tag>
class StrongIndex {
 public:
  static constexpr std::uint32_t kNoneValue = 0xffffffffu;
  constexpr StrongIndex() = default;  // none
  constexpr explicit StrongIndex(std::uint32_t value) : value_(value) {}
  static constexpr StrongIndex none() { return StrongIndex(); }

  constexpr std::uint32_t value() const { return value_; }
  constexpr bool valid() const { return value_ != kNoneValue; }
  friend constexpr bool operator==(StrongIndex, StrongIndex) = default;
  // Ordered by value, so an index can key a std::map or take part in a tuple key.
  friend constexpr auto operator<=>(StrongIndex, StrongIndex) = default;

 private:
  std::uint32_t value_ = kNoneValue;
};

}  // namespace meshtwin::engine
