// The service graph, like Kiali's workload graph: workloads as nodes, calls as arrows labelled
// with requests/s, error % and p99 (from the caller-side metrics), laid out with Boost.Graph.
// Clicking an arrow emits edge_activated, which the window turns into a chart filter.
#pragma once

#include <QWidget>
#include <optional>
#include <vector>

#include "gui/data_source.h"
#include "gui/graph_layout.h"
#include "gui/queries.h"

class QGraphicsScene;
class QGraphicsView;
class QLabel;

namespace meshtwin::gui {

class EdgeItem;

class GraphPage : public QWidget {
  Q_OBJECT
 public:
  explicit GraphPage(QWidget* parent = nullptr);

  void set_run(RunSelection run);
  const std::optional<GraphData>& graph() const { return graph_; }
  QGraphicsView* view() const { return view_; }
  // Where edge i's label sits in view coordinates (the place a user would click).
  QPoint edge_click_point(std::size_t edge) const;
  // Scene position of a node's centre, by workload name (nullopt when absent).
  std::optional<QPointF> node_position(const std::string& workload) const;

 signals:
  void edge_activated(const meshtwin::gui::GraphEdge& edge);
  void loaded();

 protected:
  void resizeEvent(QResizeEvent* event) override;
  void showEvent(QShowEvent* event) override;

 private:
  void rebuild();
  void fit();

  RunSelection run_;
  int generation_ = 0;
  std::optional<GraphData> graph_;
  std::vector<Point2> layout_;
  std::vector<QPointF> node_pos_;
  std::vector<EdgeItem*> edge_items_;
  QGraphicsScene* scene_ = nullptr;
  QGraphicsView* view_ = nullptr;
  QLabel* caption_ = nullptr;
};

}  // namespace meshtwin::gui
