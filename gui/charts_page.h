// Charts over simulated time from the `metrics` table (never from `requests`): requests/s by
// destination version as a stacked area (the canary view; with "any" destination one line per
// service and version, since services must not stack), latency p50/p90/p99 from the Istio
// buckets, per-pod load, and errors by response code and by flag (folded to one line when
// empty); each with the timeline's markers, zoomable along time (all five move together),
// legend entries that toggle their series, and, when comparing, the second run drawn over
// them in dashed lines, every series named by its run.
#pragma once

#include <QWidget>
#include <array>
#include <optional>
#include <vector>

#include "gui/data_source.h"
#include "gui/queries.h"

class QChart;
class QComboBox;
class QGridLayout;
class QLabel;

namespace meshtwin::gui {

class ChartView;

enum class ChartKind { Traffic = 0, Latency, ErrorCodes, ErrorFlags, PodLoad };
inline constexpr int kChartCount = 5;

// Everything the charts of one run draw, loaded on a worker thread in one go.
struct RunChartData {
  std::optional<WindowSeries> traffic;  // requests by version (or service+version)
  std::optional<WindowSeries> latency;  // Total, with buckets
  std::optional<WindowSeries> codes;
  std::optional<WindowSeries> flags;
  std::optional<WindowSeries> pods;  // reporter=destination: attempts reaching each pod
  std::vector<Marker> markers;
  std::string error;
};
RunChartData load_run_chart_data(const RunSelection& run, const MetricsFilter& filter,
                                 int window_factor);

class ChartsPage : public QWidget {
  Q_OBJECT
 public:
  explicit ChartsPage(QWidget* parent = nullptr);

  void set_runs(RunSelection a, RunSelection b);
  // Source workload / destination service to chart (empty: any); e.g. from a graph edge.
  void set_filter(const MetricsFilter& filter);
  const MetricsFilter& filter() const { return filter_; }
  // 0 picks a factor that keeps a few hundred points per chart.
  void set_window_factor(int factor);
  int effective_window_factor() const { return effective_factor_; }

  QChart* chart(ChartKind kind) const;
  ChartView* chart_view(ChartKind kind) const;
  // The one-line note an error chart folds into when it has nothing to draw.
  QLabel* quiet_label() const { return quiet_label_; }
  const RunChartData* data(bool compared) const;

 signals:
  void loaded();

 private:
  void load_filter_labels();
  void reload();
  void rebuild();
  void sync_range(ChartView* from, double lo, double hi);
  void arrange_error_panels(bool codes_empty, bool flags_empty);

  RunSelection a_, b_;
  MetricsFilter filter_;
  int window_factor_ = 0;
  int effective_factor_ = 1;
  int generation_ = 0;
  int labels_generation_ = 0;
  bool syncing_ = false;
  std::optional<RunChartData> data_a_, data_b_;

  QComboBox* source_box_ = nullptr;
  QComboBox* destination_box_ = nullptr;
  QComboBox* window_box_ = nullptr;
  QLabel* caption_ = nullptr;
  QLabel* quiet_label_ = nullptr;
  QGridLayout* grid_ = nullptr;
  std::array<ChartView*, kChartCount> views_{};
};

}  // namespace meshtwin::gui
