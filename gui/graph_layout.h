// Positions for the service graph, computed with Boost.Graph. Boost stays inside
// graph_layout.cc: this header is plain std so the views that include it compile fast.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace meshtwin::gui {

struct Point2 {
  double x = 0;
  double y = 0;
};

// Lays out `node_count` nodes joined by `edges` (pairs of node indexes, caller first). Per
// connected component: a Kamada-Kawai spring layout (edge length ~ graph distance); when the
// calls have no cycle, nodes then move into columns by their longest call path from an
// entry, in Kamada-Kawai's order, so the graph reads left to right like Kiali's; with a
// cycle the spring layout stays, turned so that calls mostly point right. Components are
// stacked top to bottom. Deterministic: same input, same picture. Units: one column per 1.0.
std::vector<Point2> layout_graph(std::size_t node_count,
                                 const std::vector<std::pair<std::size_t, std::size_t>>& edges);

}  // namespace meshtwin::gui
