// A QChartView over simulated time with the run's timeline markers drawn on top, and zoom and
// pan along the time axis: drag a band to zoom, wheel to zoom about the cursor, middle-drag
// or Shift+drag (or the arrow keys) to pan, double-click or right-click to zoom back out.
#pragma once

#include <QChartView>
#include <QColor>
#include <QString>
#include <vector>

namespace meshtwin::gui {

struct ChartMarker {
  double seconds = 0;  // simulated time
  QString label;
  QColor color;
  bool dashed = false;  // the compared run's markers
};

// Makes every legend entry of `chart` a switch: a click hides its series (the entry stays,
// faded, to click again) or shows it again. Lines that lie on top of each other, such as the
// pods of one deployment sharing its load evenly, can then be told apart. Call it after the
// chart's series are added (the entries are made with them).
void enable_legend_toggles(QChart* chart);

class ChartView : public QChartView {
  Q_OBJECT
 public:
  explicit ChartView(QWidget* parent = nullptr);

  void set_markers(std::vector<ChartMarker> markers);
  // Labels beside the marker lines; off, the lines stay and a small chart stays readable.
  void set_marker_labels(bool on);
  const std::vector<ChartMarker>& markers() const { return markers_; }
  // The full time range (what a reset shows).
  void set_full_range(double min_seconds, double max_seconds);
  void reset_zoom();
  // The current time axis range.
  std::pair<double, double> x_range() const;
  void set_x_range(double min_seconds, double max_seconds);

 signals:
  void x_range_changed(double min_seconds, double max_seconds);

 protected:
  void drawForeground(QPainter* painter, const QRectF& rect) override;
  void wheelEvent(QWheelEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;

 private:
  void pan_pixels(double dx);
  void notify_range();

  std::vector<ChartMarker> markers_;
  double full_min_ = 0;
  double full_max_ = 1;
  bool marker_labels_ = true;
  bool panning_ = false;
  QPointF last_pan_pos_;
};

}  // namespace meshtwin::gui
