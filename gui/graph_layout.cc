#include "gui/graph_layout.h"

// Boost.Graph 1.74's edge iterators trip g++ 12's -Wmaybe-uninitialized inside Boost's own
// headers (boost::optional in adj_list_edge_iterator), a false positive we cannot fix here.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/circle_layout.hpp>
#include <boost/graph/connected_components.hpp>
#include <boost/graph/kamada_kawai_spring_layout.hpp>
#include <boost/graph/topological_sort.hpp>
#include <boost/graph/topology.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <memory>

namespace meshtwin::gui {

namespace {

using Graph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, boost::no_property,
                          boost::property<boost::edge_weight_t, double>>;
using Topology = boost::square_topology<>;
using TopoPoint = Topology::point_type;

// Steps Kamada-Kawai may take: it converges in a few hundred on service graphs, but can cycle
// between two near-equal states forever, and a layout must never hang the viewer.
constexpr long kLayoutBudget = 200'000;

// boost::layout_tolerance with a step budget shared by its copies (Boost copies the functor).
struct BoundedTolerance {
  boost::layout_tolerance<double> tolerance{0.001};
  std::shared_ptr<long> budget;
  template <class Graph>
  bool operator()(double delta_p, typename boost::graph_traits<Graph>::vertex_descriptor p,
                  const Graph& g, bool global) {
    if (--*budget <= 0) return true;
    return tolerance(delta_p, p, g, global);
  }
};

// Lays out one connected component (local indexes) and returns its positions.
std::vector<Point2> layout_component(
    std::size_t n, const std::vector<std::pair<std::size_t, std::size_t>>& edges) {
  std::vector<Point2> out(n);
  if (n == 1) return out;
  Graph g(n);
  for (auto [a, b] : edges) boost::add_edge(a, b, 1.0, g);
  std::vector<TopoPoint> pos(n);
  auto pos_map = boost::make_iterator_property_map(pos.begin(), boost::get(boost::vertex_index, g));
  // A circle start keeps the result deterministic (no random initial layout); a small
  // uneven nudge breaks the symmetries in which Kamada-Kawai can swing back and forth.
  boost::circle_graph_layout(g, pos_map, static_cast<double>(n));
  for (std::size_t i = 0; i < n; ++i) {
    pos[i][0] += 0.013 * static_cast<double>(i % 7);
    pos[i][1] += 0.011 * static_cast<double>(i % 5);
  }
  BoundedTolerance done;
  done.budget = std::make_shared<long>(kLayoutBudget);
  boost::kamada_kawai_spring_layout(g, pos_map, boost::get(boost::edge_weight, g), Topology(),
                                    boost::edge_length(1.0), done);
  for (std::size_t i = 0; i < n; ++i) out[i] = {pos[i][0], pos[i][1]};

  // Calls read left to right, as in Kiali: when the calls form no cycle, a node's column is
  // its longest call path from an entry, and Kamada-Kawai's layout only orders each column.
  using Digraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
  Digraph d(n);
  for (auto [a, b] : edges) boost::add_edge(a, b, d);
  std::vector<std::size_t> order;
  bool acyclic = true;
  try {
    boost::topological_sort(d, std::back_inserter(order));
  } catch (const boost::not_a_dag&) {
    acyclic = false;
  }
  if (acyclic) {
    std::vector<int> layer(n, 0);
    for (auto it = order.rbegin(); it != order.rend(); ++it) {  // callers before callees
      for (auto [e, end] = boost::out_edges(*it, d); e != end; ++e) {
        std::size_t t = boost::target(*e, d);
        layer[t] = std::max(layer[t], layer[*it] + 1);
      }
    }
    std::map<int, std::vector<std::size_t>> columns;
    for (std::size_t i = 0; i < n; ++i) columns[layer[i]].push_back(i);
    // KK's axis of widest spread orders each column, so neighbours stay neighbours.
    double min_x = 1e300, max_x = -1e300, min_y = 1e300, max_y = -1e300;
    for (const auto& p : out) {
      min_x = std::min(min_x, p.x), max_x = std::max(max_x, p.x);
      min_y = std::min(min_y, p.y), max_y = std::max(max_y, p.y);
    }
    bool use_x = (max_x - min_x) > (max_y - min_y);
    std::vector<Point2> placed(n);
    for (auto& [col, members] : columns) {
      std::stable_sort(members.begin(), members.end(), [&](std::size_t a, std::size_t b) {
        return use_x ? out[a].x < out[b].x : out[a].y < out[b].y;
      });
      double height = static_cast<double>(members.size() - 1) * 0.55;
      for (std::size_t k = 0; k < members.size(); ++k) {
        placed[members[k]] = {static_cast<double>(col), static_cast<double>(k) * 0.55 - height / 2};
      }
    }
    return placed;
  }

  // With cycles, keep Kamada-Kawai's picture, turned so the mean call direction points right.
  double dx = 0, dy = 0;
  for (auto [a, b] : edges) {
    double ex = out[b].x - out[a].x, ey = out[b].y - out[a].y;
    double len = std::hypot(ex, ey);
    if (len > 1e-9) {
      dx += ex / len;
      dy += ey / len;
    }
  }
  if (std::hypot(dx, dy) > 1e-9) {
    double angle = -std::atan2(dy, dx);
    double c = std::cos(angle), s = std::sin(angle);
    for (auto& p : out) p = {p.x * c - p.y * s, p.x * s + p.y * c};
  }
  return out;
}

}  // namespace

std::vector<Point2> layout_graph(std::size_t node_count,
                                 const std::vector<std::pair<std::size_t, std::size_t>>& edges) {
  std::vector<Point2> out(node_count);
  if (node_count == 0) return out;
  Graph whole(node_count);
  for (auto [a, b] : edges) {
    if (a != b && a < node_count && b < node_count) boost::add_edge(a, b, 1.0, whole);
  }
  std::vector<int> component(node_count);
  int components = boost::connected_components(whole, component.data());

  // Components top to bottom, biggest first (ties by lowest node index, for determinism).
  std::vector<std::vector<std::size_t>> members(static_cast<std::size_t>(components));
  for (std::size_t i = 0; i < node_count; ++i) {
    members[static_cast<std::size_t>(component[i])].push_back(i);
  }
  std::stable_sort(members.begin(), members.end(),
                   [](const auto& a, const auto& b) { return a.size() > b.size(); });
  double y_offset = 0;
  for (const auto& nodes : members) {
    std::map<std::size_t, std::size_t> local;
    for (std::size_t i = 0; i < nodes.size(); ++i) local[nodes[i]] = i;
    std::vector<std::pair<std::size_t, std::size_t>> local_edges;
    for (auto [a, b] : edges) {
      if (a == b) continue;
      auto ia = local.find(a), ib = local.find(b);
      if (ia != local.end() && ib != local.end()) local_edges.emplace_back(ia->second, ib->second);
    }
    auto pos = layout_component(nodes.size(), local_edges);
    double min_x = std::numeric_limits<double>::max(), min_y = min_x;
    double max_y = std::numeric_limits<double>::lowest();
    for (const auto& p : pos) {
      min_x = std::min(min_x, p.x);
      min_y = std::min(min_y, p.y);
      max_y = std::max(max_y, p.y);
    }
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      out[nodes[i]] = {pos[i].x - min_x, pos[i].y - min_y + y_offset};
    }
    y_offset += (max_y - min_y) + 1.0;
  }
  return out;
}

}  // namespace meshtwin::gui
