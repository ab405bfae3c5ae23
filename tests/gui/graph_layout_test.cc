// The service-graph layout (Boost.Graph): calls read left to right, nodes do not pile up,
// components do not overlap, and the same input always gives the same picture.

#include "gui/graph_layout.h"

#include <gtest/gtest.h>

#include <cmath>

namespace meshtwin::gui {
namespace {

double distance(Point2 a, Point2 b) { return std::hypot(a.x - b.x, a.y - b.y); }

TEST(GraphLayout, BookinfoCallsReadLeftToRight) {
  // 0 sleep, 1 productpage, 2 details, 3 reviews-v1, 4 reviews-v2, 5 ratings
  std::vector<std::pair<std::size_t, std::size_t>> edges = {{0, 1}, {1, 2}, {1, 3}, {1, 4}, {4, 5}};
  auto p = layout_graph(6, edges);
  ASSERT_EQ(p.size(), 6u);
  for (auto [a, b] : edges) EXPECT_LT(p[a].x, p[b].x) << a << "->" << b;
  for (std::size_t i = 0; i < p.size(); ++i) {
    for (std::size_t j = i + 1; j < p.size(); ++j)
      EXPECT_GT(distance(p[i], p[j]), 0.4) << i << "," << j;
  }
  auto again = layout_graph(6, edges);
  for (std::size_t i = 0; i < p.size(); ++i) {
    EXPECT_DOUBLE_EQ(p[i].x, again[i].x);
    EXPECT_DOUBLE_EQ(p[i].y, again[i].y);
  }
}

TEST(GraphLayout, CyclesKeepASpringLayoutWithDistinctPositions) {
  std::vector<std::pair<std::size_t, std::size_t>> edges = {{0, 1}, {1, 2}, {2, 0}, {2, 3}};
  auto p = layout_graph(4, edges);
  for (const auto& q : p) {
    EXPECT_TRUE(std::isfinite(q.x));
    EXPECT_TRUE(std::isfinite(q.y));
  }
  for (std::size_t i = 0; i < p.size(); ++i) {
    for (std::size_t j = i + 1; j < p.size(); ++j) EXPECT_GT(distance(p[i], p[j]), 0.3);
  }
}

TEST(GraphLayout, ComponentsAndLoneNodesDoNotOverlap) {
  // Two chains and a node with no calls (e.g. a workload only ever called by itself).
  std::vector<std::pair<std::size_t, std::size_t>> edges = {{0, 1}, {1, 2}, {3, 4}, {5, 5}};
  auto p = layout_graph(6, edges);
  for (std::size_t i = 0; i < p.size(); ++i) {
    for (std::size_t j = i + 1; j < p.size(); ++j)
      EXPECT_GT(distance(p[i], p[j]), 0.4) << i << "," << j;
  }
  EXPECT_TRUE(layout_graph(0, {}).empty());
}

}  // namespace
}  // namespace meshtwin::gui
