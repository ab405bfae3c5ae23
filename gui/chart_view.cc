#include "gui/chart_view.h"

#include <QChart>
#include <QKeyEvent>
#include <QLegend>
#include <QLegendMarker>
#include <QMouseEvent>
#include <QPainter>
#include <QValueAxis>
#include <QWheelEvent>
#include <algorithm>

namespace meshtwin::gui {

namespace {

QValueAxis* time_axis(QChart* chart) {
  if (!chart) return nullptr;
  auto axes = chart->axes(Qt::Horizontal);
  return axes.isEmpty() ? nullptr : qobject_cast<QValueAxis*>(axes.first());
}

}  // namespace

void enable_legend_toggles(QChart* chart) {
  chart->legend()->setToolTip(QObject::tr("Click an entry to hide or show its series"));
  for (QLegendMarker* marker : chart->legend()->markers()) {
    QObject::connect(marker, &QLegendMarker::clicked, marker, [marker] {
      QAbstractSeries* series = marker->series();
      series->setVisible(!series->isVisible());
      // Qt hides the entry with its series; keep it, faded, so it can be clicked back.
      marker->setVisible(true);
      double alpha = series->isVisible() ? 1.0 : 0.3;
      auto faded = [alpha](QColor c) {
        c.setAlphaF(alpha);
        return c;
      };
      QBrush label = marker->labelBrush();
      label.setColor(faded(label.color()));
      marker->setLabelBrush(label);
      QBrush brush = marker->brush();
      brush.setColor(faded(brush.color()));
      marker->setBrush(brush);
      QPen pen = marker->pen();
      pen.setColor(faded(pen.color()));
      marker->setPen(pen);
    });
  }
}

ChartView::ChartView(QWidget* parent) : QChartView(parent) {
  setRenderHint(QPainter::Antialiasing);
  setRubberBand(QChartView::HorizontalRubberBand);
  setFocusPolicy(Qt::StrongFocus);
  setMinimumSize(320, 220);
}

void ChartView::set_markers(std::vector<ChartMarker> markers) {
  markers_ = std::move(markers);
  viewport()->update();
}

void ChartView::set_marker_labels(bool on) {
  marker_labels_ = on;
  viewport()->update();
}

void ChartView::set_full_range(double min_seconds, double max_seconds) {
  full_min_ = min_seconds;
  full_max_ = std::max(max_seconds, min_seconds + 1e-6);
}

void ChartView::reset_zoom() { set_x_range(full_min_, full_max_); }

std::pair<double, double> ChartView::x_range() const {
  QValueAxis* axis = time_axis(chart());
  if (!axis) return {full_min_, full_max_};
  return {axis->min(), axis->max()};
}

void ChartView::set_x_range(double min_seconds, double max_seconds) {
  QValueAxis* axis = time_axis(chart());
  if (!axis) return;
  if (axis->min() == min_seconds && axis->max() == max_seconds) return;
  axis->setRange(min_seconds, max_seconds);
  viewport()->update();
}

void ChartView::notify_range() {
  auto [lo, hi] = x_range();
  emit x_range_changed(lo, hi);
  viewport()->update();
}

void ChartView::drawForeground(QPainter* painter, const QRectF& rect) {
  QChartView::drawForeground(painter, rect);
  QChart* c = chart();
  QValueAxis* axis = time_axis(c);
  if (!c || !axis || markers_.empty()) return;
  QRectF plot = c->plotArea();
  painter->save();
  painter->setClipRect(plot.adjusted(-1, -1, 1, 1));
  QFont font = painter->font();
  font.setPointSizeF(std::max(6.0, font.pointSizeF() * 0.8));
  painter->setFont(font);
  double span = axis->max() - axis->min();
  if (span <= 0) span = 1;
  // Labels stagger downwards so markers close together stay readable.
  int slot = 0;
  double last_x = -1e9;
  for (const auto& m : markers_) {
    if (m.seconds < axis->min() || m.seconds > axis->max()) continue;
    double x = plot.left() + (m.seconds - axis->min()) / span * plot.width();
    QPen pen(m.color, 1.2, m.dashed ? Qt::DashLine : Qt::SolidLine);
    painter->setPen(pen);
    painter->drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
    if (!marker_labels_) continue;
    slot = (x - last_x < 120) ? slot + 1 : 0;
    last_x = x;
    QRectF box(x + 3, plot.top() + 2 + slot * (font.pointSizeF() + 6), 240, font.pointSizeF() + 6);
    painter->setPen(m.color.darker(130));
    painter->drawText(box, Qt::AlignLeft | Qt::AlignVCenter, m.label);
  }
  painter->restore();
}

void ChartView::wheelEvent(QWheelEvent* event) {
  QValueAxis* axis = time_axis(chart());
  if (!axis || event->angleDelta().y() == 0) {
    QChartView::wheelEvent(event);
    return;
  }
  QRectF plot = chart()->plotArea();
  double frac = plot.width() > 0 ? (event->position().x() - plot.left()) / plot.width() : 0.5;
  frac = std::clamp(frac, 0.0, 1.0);
  double factor = event->angleDelta().y() > 0 ? 0.8 : 1.25;
  double lo = axis->min(), hi = axis->max();
  double pivot = lo + frac * (hi - lo);
  double new_lo = pivot - (pivot - lo) * factor;
  double new_hi = pivot + (hi - pivot) * factor;
  new_lo = std::max(new_lo, full_min_);
  new_hi = std::min(new_hi, full_max_);
  if (new_hi - new_lo > 1e-6) axis->setRange(new_lo, new_hi);
  notify_range();
  event->accept();
}

void ChartView::pan_pixels(double dx) {
  QValueAxis* axis = time_axis(chart());
  if (!axis) return;
  QRectF plot = chart()->plotArea();
  if (plot.width() <= 0) return;
  double lo = axis->min(), hi = axis->max(), span = hi - lo;
  double shift = -dx / plot.width() * span;
  // Stay inside the run.
  shift = std::clamp(shift, full_min_ - lo, full_max_ - hi);
  axis->setRange(lo + shift, hi + shift);
  notify_range();
}

void ChartView::mousePressEvent(QMouseEvent* event) {
  bool pan = event->button() == Qt::MiddleButton ||
             (event->button() == Qt::LeftButton && (event->modifiers() & Qt::ShiftModifier));
  if (pan) {
    panning_ = true;
    last_pan_pos_ = event->position();
    setCursor(Qt::ClosedHandCursor);
    event->accept();
    return;
  }
  if (event->button() == Qt::RightButton) {
    reset_zoom();
    notify_range();
    event->accept();
    return;
  }
  QChartView::mousePressEvent(event);
}

void ChartView::mouseMoveEvent(QMouseEvent* event) {
  if (panning_) {
    pan_pixels(event->position().x() - last_pan_pos_.x());
    last_pan_pos_ = event->position();
    event->accept();
    return;
  }
  QChartView::mouseMoveEvent(event);
}

void ChartView::mouseReleaseEvent(QMouseEvent* event) {
  if (panning_) {
    panning_ = false;
    unsetCursor();
    event->accept();
    return;
  }
  if (event->button() == Qt::RightButton) {
    event->accept();  // handled on press; QChartView would zoom out once more
    return;
  }
  QChartView::mouseReleaseEvent(event);
  // The rubber band zoomed the axis (the band is horizontal, so only time changes).
  notify_range();
}

void ChartView::mouseDoubleClickEvent(QMouseEvent* event) {
  reset_zoom();
  notify_range();
  event->accept();
}

void ChartView::keyPressEvent(QKeyEvent* event) {
  QRectF plot = chart() ? chart()->plotArea() : QRectF();
  switch (event->key()) {
    case Qt::Key_Left:
      pan_pixels(plot.width() / 10);
      break;
    case Qt::Key_Right:
      pan_pixels(-plot.width() / 10);
      break;
    case Qt::Key_Home:
    case Qt::Key_0:
      reset_zoom();
      notify_range();
      break;
    default:
      QChartView::keyPressEvent(event);
      return;
  }
  event->accept();
}

}  // namespace meshtwin::gui
