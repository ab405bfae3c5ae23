// engine::StrongIndex: distinct kinds do not mix (checked at compile time), none() is invalid.
#include "engine/strong_index.h"

#include <gtest/gtest.h>

#include <type_traits>

namespace meshtwin::engine {
namespace {

using A = StrongIndex<struct ATag>;
using B = StrongIndex<struct BTag>;

static_assert(!std::is_convertible_v<A, B>, "kinds must not convert into each other");
static_assert(!std::is_convertible_v<std::uint32_t, A>, "a bare number must be named explicitly");
static_assert(sizeof(A) == sizeof(std::uint32_t) && std::is_trivially_copyable_v<A>);

TEST(StrongIndex, NoneIsInvalidAndValuesCompare) {
  EXPECT_FALSE(A::none().valid());
  EXPECT_FALSE(A{}.valid());
  EXPECT_TRUE(A{0}.valid());
  EXPECT_EQ(A{7}.value(), 7u);
  EXPECT_EQ(A{7}, A{7});
  EXPECT_NE(A{7}, A{8});
  EXPECT_NE(A{7}, A::none());
}

}  // namespace
}  // namespace meshtwin::engine
