#include "gui/graph_page.h"

#include <QFontMetricsF>
#include <QGraphicsItem>
#include <QGraphicsScene>
#include <QGraphicsView>
#include <QLabel>
#include <QPainter>
#include <QPainterPath>
#include <QPainterPathStroker>
#include <QStyleOptionGraphicsItem>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <map>

#include "gui/async.h"
#include "gui/graph_layout.h"
#include "gui/palette.h"

namespace meshtwin::gui {

namespace {

constexpr double kColumn = 340.0;  // pixels between call-graph columns: room for a label
constexpr double kRow = 200.0;     // pixels per layout unit across columns
constexpr double kNodeHeight = 34.0;

QColor health_color(double error_ratio) {
  // Kiali's default thresholds: degraded above 0.1 % errors, failing above 20 %; meshtwin
  // draws red from 5 % since a simulated run has no noise to excuse it.
  if (error_ratio >= 0.05) return QColor(0xd62728);
  if (error_ratio > 0.001) return QColor(0xf28e2b);
  return QColor(0x3f9142);
}

QString edge_text(const GraphEdge& e) {
  return QString("%1 rps \u00b7 %2% err \u00b7 p99 %3")
      .arg(e.rps, 0, 'f', e.rps >= 100 ? 0 : 1)
      .arg(e.error_ratio() * 100.0, 0, 'f', 1)
      .arg(format_duration(static_cast<double>(e.p99)));
}

class NodeItem : public QGraphicsItem {
 public:
  NodeItem(QString name, bool entry) : name_(std::move(name)), entry_(entry) {
    QFont f;
    f.setBold(true);
    font_ = f;
    width_ = QFontMetricsF(font_).horizontalAdvance(name_) + 24;
    setZValue(2);
  }
  QRectF boundingRect() const override {
    return {-width_ / 2 - 1, -kNodeHeight / 2 - 1, width_ + 2, kNodeHeight + 2};
  }
  void paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) override {
    QRectF r(-width_ / 2, -kNodeHeight / 2, width_, kNodeHeight);
    p->setRenderHint(QPainter::Antialiasing);
    p->setPen(QPen(QColor(0x33415c), 1.5));
    p->setBrush(entry_ ? QColor(0xdde7f3)
                       : (name_ == "unknown" ? QColor(0xeeeeee) : QColor(Qt::white)));
    p->drawRoundedRect(r, 8, 8);
    p->setFont(font_);
    p->setPen(QColor(0x1b2433));
    p->drawText(r, Qt::AlignCenter, name_);
  }
  double width() const { return width_; }

 private:
  QString name_;
  bool entry_;
  QFont font_;
  double width_;
};

// Where the segment from the centre of a box towards `toward` leaves the box.
QPointF box_exit(QPointF centre, double half_w, double half_h, QPointF toward) {
  QPointF d = toward - centre;
  if (std::abs(d.x()) < 1e-9 && std::abs(d.y()) < 1e-9) return centre;
  double sx = std::abs(d.x()) > 1e-9 ? half_w / std::abs(d.x()) : 1e9;
  double sy = std::abs(d.y()) > 1e-9 ? half_h / std::abs(d.y()) : 1e9;
  return centre + d * std::min(sx, sy);
}

}  // namespace

class EdgeItem : public QGraphicsItem {
 public:
  EdgeItem(std::size_t index, const GraphEdge& edge, QPointF from, QPointF to)
      : index_(index), text_(edge_text(edge)), color_(health_color(edge.error_ratio())) {
    line_ = QLineF(from, to);
    // Thicker for busier edges, on a log scale so one hot edge does not swamp the rest.
    width_ = 1.5 + std::min(4.0, std::log10(1.0 + edge.rps));
    QFont f;
    f.setPointSizeF(f.pointSizeF() * 0.85);
    font_ = f;
    QFontMetricsF fm(font_);
    QPointF mid = (from + to) / 2;
    double w = fm.horizontalAdvance(text_) + 8, h = fm.height() + 4;
    label_ = QRectF(mid.x() - w / 2, mid.y() - h / 2, w, h);
    setFlag(ItemIsSelectable);
    setAcceptHoverEvents(true);
    setCursor(Qt::PointingHandCursor);
    setToolTip(
        text_ + "\n" +
        QString::fromStdString(edge.source + " \u2192 " + edge.target + " (" + edge.service + ")") +
        "\nClick to chart this call.");
    setZValue(1);
  }
  std::size_t index() const { return index_; }
  QPointF label_centre() const { return label_.center(); }

  QRectF boundingRect() const override { return shape().boundingRect().adjusted(-4, -4, 4, 4); }
  QPainterPath shape() const override {
    QPainterPath path(line_.p1());
    path.lineTo(line_.p2());
    QPainterPathStroker stroker;
    stroker.setWidth(width_ + 10);  // easy to hit with a mouse
    QPainterPath out = stroker.createStroke(path);
    out.addRect(label_);
    return out;
  }
  void paint(QPainter* p, const QStyleOptionGraphicsItem* option, QWidget*) override {
    p->setRenderHint(QPainter::Antialiasing);
    bool selected = option->state & QStyle::State_Selected;
    QColor c = selected ? QColor(0x1f5fbf) : color_;
    p->setPen(QPen(c, selected ? width_ + 1.5 : width_, Qt::SolidLine, Qt::RoundCap));
    p->drawLine(line_);
    // Arrow head at the callee.
    double angle = std::atan2(line_.dy(), line_.dx());
    QPointF tip = line_.p2();
    double size = 9 + width_;
    QPolygonF head;
    head << tip << tip - QPointF(std::cos(angle - 0.4) * size, std::sin(angle - 0.4) * size)
         << tip - QPointF(std::cos(angle + 0.4) * size, std::sin(angle + 0.4) * size);
    p->setBrush(c);
    p->setPen(Qt::NoPen);
    p->drawPolygon(head);
    p->setBrush(QColor(255, 255, 255, 230));
    p->setPen(QPen(selected ? c : QColor(0xc8ced8), 1));
    p->drawRoundedRect(label_, 4, 4);
    p->setFont(font_);
    p->setPen(QColor(0x1b2433));
    p->drawText(label_, Qt::AlignCenter, text_);
  }

 private:
  std::size_t index_;
  QString text_;
  QColor color_;
  QLineF line_;
  double width_;
  QFont font_;
  QRectF label_;
};

GraphPage::GraphPage(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  caption_ = new QLabel(this);
  caption_->setWordWrap(true);
  layout->addWidget(caption_);
  scene_ = new QGraphicsScene(this);
  view_ = new QGraphicsView(scene_, this);
  view_->setRenderHint(QPainter::Antialiasing);
  view_->setDragMode(QGraphicsView::ScrollHandDrag);
  view_->setBackgroundBrush(QColor(0xfafbfc));
  layout->addWidget(view_, 1);
  connect(scene_, &QGraphicsScene::selectionChanged, this, [this] {
    if (!graph_) return;
    for (QGraphicsItem* item : scene_->selectedItems()) {
      if (auto* edge = dynamic_cast<EdgeItem*>(item)) {
        emit edge_activated(graph_->edges[edge->index()]);
        return;
      }
    }
  });
}

void GraphPage::set_run(RunSelection run) {
  run_ = std::move(run);
  graph_.reset();
  if (!run_) return;
  int generation = ++generation_;
  RunSelection sel = run_;
  struct Result {
    std::optional<GraphData> graph;
    std::vector<Point2> layout;
    std::string error;
  };
  run_async(
      this,
      [sel]() -> Result {
        Result out;
        auto graph = sel.source->with_reader(
            [&](const results::Reader& r) { return load_graph(r, sel.run_id, &out.error); },
            &out.error);
        if (!graph || !*graph) return out;
        out.graph = std::move(*graph);
        // The layout is the costly part on a big mesh: do it here, off the UI thread.
        std::map<std::string, std::size_t> index;
        for (std::size_t i = 0; i < out.graph->nodes.size(); ++i) index[out.graph->nodes[i]] = i;
        std::vector<std::pair<std::size_t, std::size_t>> pairs;
        for (const auto& e : out.graph->edges) pairs.emplace_back(index[e.source], index[e.target]);
        out.layout = layout_graph(out.graph->nodes.size(), pairs);
        return out;
      },
      [this, generation](Result result) {
        if (generation != generation_) return;
        graph_ = std::move(result.graph);
        layout_ = std::move(result.layout);
        if (!graph_)
          caption_->setText(
              tr("Cannot read the graph: %1").arg(QString::fromStdString(result.error)));
        rebuild();
        emit loaded();
      });
}

void GraphPage::rebuild() {
  scene_->clear();
  edge_items_.clear();
  node_pos_.clear();
  if (!graph_) return;
  const GraphData& g = *graph_;
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) index[g.nodes[i]] = i;
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  std::vector<bool> has_incoming(g.nodes.size(), false);
  for (const auto& e : g.edges) {
    pairs.emplace_back(index[e.source], index[e.target]);
    has_incoming[index[e.target]] = true;
  }
  const std::vector<Point2>& pos = layout_;
  if (pos.size() != g.nodes.size()) return;
  std::vector<NodeItem*> nodes;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    auto* node = new NodeItem(QString::fromStdString(g.nodes[i]), !has_incoming[i]);
    QPointF p(pos[i].x * kColumn, pos[i].y * kRow);
    node->setPos(p);
    node_pos_.push_back(p);
    scene_->addItem(node);
    nodes.push_back(node);
  }
  for (std::size_t i = 0; i < g.edges.size(); ++i) {
    std::size_t a = pairs[i].first, b = pairs[i].second;
    if (a == b) continue;  // a workload calling itself: no arrow to draw
    QPointF pa = node_pos_[a], pb = node_pos_[b];
    QPointF from = box_exit(pa, nodes[a]->width() / 2 + 2, kNodeHeight / 2 + 2, pb);
    QPointF to = box_exit(pb, nodes[b]->width() / 2 + 2, kNodeHeight / 2 + 2, pa);
    auto* edge = new EdgeItem(i, g.edges[i], from, to);
    scene_->addItem(edge);
    edge_items_.resize(std::max(edge_items_.size(), i + 1), nullptr);
    edge_items_[i] = edge;
  }
  double seconds = static_cast<double>(g.span) / 1e9;
  caption_->setText(tr("%1: %2 workloads, %3 calls; rates over %4 s of arrivals, from the "
                       "caller-side metrics. Click an arrow to chart that call.")
                        .arg(QString::fromStdString(run_.label()))
                        .arg(g.nodes.size())
                        .arg(g.edges.size())
                        .arg(seconds, 0, 'f', 0));
  fit();
}

void GraphPage::fit() {
  if (scene_->items().isEmpty()) return;
  QRectF bounds = scene_->itemsBoundingRect().adjusted(-30, -30, 30, 30);
  scene_->setSceneRect(bounds);
  view_->fitInView(bounds, Qt::KeepAspectRatio);
  // Never blow a small graph up past 1.25x: text would look clumsy.
  double scale = view_->transform().m11();
  if (scale > 1.25) {
    view_->resetTransform();
    view_->scale(1.25, 1.25);
  }
}

void GraphPage::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  fit();
}

void GraphPage::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  fit();
}

QPoint GraphPage::edge_click_point(std::size_t edge) const {
  if (edge >= edge_items_.size() || !edge_items_[edge]) return {};
  return view_->mapFromScene(edge_items_[edge]->label_centre());
}

std::optional<QPointF> GraphPage::node_position(const std::string& workload) const {
  if (!graph_) return std::nullopt;
  for (std::size_t i = 0; i < graph_->nodes.size() && i < node_pos_.size(); ++i) {
    if (graph_->nodes[i] == workload) return node_pos_[i];
  }
  return std::nullopt;
}

}  // namespace meshtwin::gui
