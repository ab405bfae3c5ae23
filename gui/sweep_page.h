// The Sweep tab: when the file holds a sweep (`meshtwin sweep`, or `meshtwin capacity -o`'s
// probes) and it was opened as FILE.db:sN or its latest runs are one, a chart of any client
// figure (p50, p99, success rate, throughput ...) against a swept parameter, every point its
// batch's mean with the 95 % interval as an error bar (gui/sweep_plot.h).
#pragma once

#include <QWidget>
#include <memory>
#include <optional>
#include <string>

#include "gui/data_source.h"
#include "gui/sweep_plot.h"

class QChart;
class QChartView;
class QComboBox;
class QLabel;

namespace meshtwin::gui {

class SweepPage : public QWidget {
  Q_OBJECT
 public:
  explicit SweepPage(QWidget* parent = nullptr);

  // Loads sweep `sweep_id` of `source` off the UI thread; emits loaded() once drawn.
  void set_sweep(std::shared_ptr<DataSource> source, std::int64_t sweep_id);
  void clear();
  bool has_sweep() const { return data_.has_value(); }
  // Chooses what is plotted (a client figure, a swept path) and redraws.
  void set_figure(const QString& figure);
  void set_parameter(const QString& parameter);

  QChart* chart() const { return chart_; }
  const SweepPlot& plot() const { return plot_; }
  QComboBox* figure_box() const { return figure_box_; }
  QComboBox* parameter_box() const { return parameter_box_; }
  QLabel* caption() const { return caption_; }

 signals:
  void loaded();

 private:
  void rebuild();
  void fill_boxes();

  std::optional<results::SweepReportData> data_;
  SweepPlot plot_;
  std::string figure_ = "p99", parameter_;
  int generation_ = 0;
  bool filling_ = false;
  QComboBox* figure_box_ = nullptr;
  QComboBox* parameter_box_ = nullptr;
  QLabel* caption_ = nullptr;
  QChart* chart_ = nullptr;
  QChartView* view_ = nullptr;
};

}  // namespace meshtwin::gui
