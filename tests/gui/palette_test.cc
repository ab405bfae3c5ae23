// Series colours: every key its own (a pod among a deployment's pods must not share a colour
// with another and vanish behind its line), and no end to the keys a chart may hold.

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "gui/palette.h"

namespace meshtwin::gui {
namespace {

TEST(ColorMap, HandsOutDistinctColoursBeyondTheBasePalette) {
  ColorMap colors;
  std::set<QRgb> seen;
  for (int i = 0; i < 300; ++i) seen.insert(colors.color("pod-" + std::to_string(i)).rgb());
  EXPECT_EQ(seen.size(), 300u);
  // The same key keeps its colour.
  EXPECT_EQ(colors.color("pod-7").rgb(), colors.color("pod-7").rgb());
}

TEST(ColorMap, ManyMoreKeysThanColoursStillGetOne) {
  ColorMap colors;
  std::set<QRgb> seen;
  for (int i = 0; i < 5000; ++i) seen.insert(colors.color(std::to_string(i)).rgb());
  EXPECT_GT(seen.size(), 1000u);  // generated hues run out somewhere; the map must not hang
}

}  // namespace
}  // namespace meshtwin::gui
