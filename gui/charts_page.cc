#include "gui/charts_page.h"

#include <QAreaSeries>
#include <QChart>
#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegend>
#include <QLineSeries>
#include <QPushButton>
#include <QVBoxLayout>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

#include "gui/async.h"
#include "gui/chart_view.h"
#include "gui/palette.h"

namespace meshtwin::gui {

namespace {

constexpr int kFactors[] = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600};
// Enough points to see a rollout's shape, few enough to draw at once on a big run.
constexpr std::size_t kTargetPoints = 400;

std::int64_t run_span(const RunSelection& run) {
  const results::RunRow* row = run.run();
  return row ? std::max(row->sim_end, row->sim_duration) : 0;
}
std::int64_t run_interval(const RunSelection& run) {
  const results::RunRow* row = run.run();
  return row && row->metrics_interval > 0 ? row->metrics_interval : engine::kSecond.ns();
}

int auto_factor(const RunSelection& run) {
  auto windows = static_cast<std::size_t>(run_span(run) / run_interval(run) + 1);
  for (int f : kFactors) {
    if (windows / static_cast<std::size_t>(f) <= kTargetPoints) return f;
  }
  return kFactors[std::size(kFactors) - 1];
}

void reset_chart(QChart* chart, const QString& title) {
  chart->removeAllSeries();
  for (QAbstractAxis* axis : chart->axes()) {
    chart->removeAxis(axis);
    delete axis;
  }
  chart->setTitle(title);
}

double x_of(const WindowSeries& s, std::size_t i) { return s.centre_seconds(i); }

// When two runs are drawn, every series says which one it belongs to.
QString run_name(const QString& name, int which, bool comparing) {
  if (!comparing) return name;
  return name + (which == 0 ? " (A)" : " (B)");
}

QLineSeries* make_line(const QString& name, QList<QPointF> points, QColor color, bool dashed) {
  auto* line = new QLineSeries();
  line->setName(name);
  line->replace(points);
  QPen pen(color, dashed ? 1.6 : 1.8, dashed ? Qt::DashLine : Qt::SolidLine);
  line->setPen(pen);
  return line;
}

// Axes for every series of the chart; y from 0 to a little over y_max.
// A round tick step (1, 2 or 5 times a power of ten) giving about `target` ticks.
double nice_step(double span, int target) {
  double raw = span / std::max(1, target);
  double p = std::pow(10.0, std::floor(std::log10(std::max(raw, 1e-9))));
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * p >= raw) return m * p;
  }
  return 10 * p;
}

void finish_chart(ChartView* view, double x_max, double y_max, const QString& y_title) {
  QChart* chart = view->chart();
  auto* x = new QValueAxis();
  x->setTitleText("simulated time (s)");
  x->setRange(0, std::max(x_max, 1e-3));
  // Ticks on round seconds whatever the zoom: anchored at 0, step follows the visible span.
  x->setTickType(QValueAxis::TicksDynamic);
  x->setTickAnchor(0);
  auto retick = [x](qreal lo, qreal hi) {
    double step = nice_step(hi - lo, 8);
    x->setTickInterval(step);
    x->setLabelFormat(step >= 1 ? "%.0f" : step >= 0.1 ? "%.1f" : "%.2f");
  };
  retick(x->min(), x->max());
  QObject::connect(x, &QValueAxis::rangeChanged, x, retick);
  auto* y = new QValueAxis();
  y->setTitleText(y_title);
  y->setRange(0, y_max > 0 ? y_max * 1.08 : 1.0);
  y->applyNiceNumbers();
  y->setLabelFormat(y->max() >= 10 ? "%.0f" : "%.2g");
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  for (QAbstractSeries* s : chart->series()) {
    s->attachAxis(x);
    s->attachAxis(y);
  }
  view->set_full_range(0, x->max());
}

std::vector<ChartMarker> to_chart_markers(const std::vector<Marker>& markers, bool dashed) {
  std::vector<ChartMarker> out;
  for (const auto& m : markers) {
    ChartMarker c;
    c.seconds = static_cast<double>(m.time) / 1e9;
    QString what = QString::fromStdString(m.kind);
    c.label = m.count > 1 ? QString("%1 \u00d7%2").arg(what).arg(m.count)
                          : QString("%1 %2").arg(what, QString::fromStdString(m.subject));
    if (dashed) c.label += " (B)";
    c.color = marker_color(m.kind);
    c.dashed = dashed;
    out.push_back(std::move(c));
  }
  return out;
}

// Rate lines, one per key accepted by `keep`, for run A (which 0, solid) and B (1, dashed).
double add_rate_lines(QChart* chart, ColorMap& colors, const WindowSeries* series, int which,
                      bool comparing, const std::function<bool(const std::string&)>& keep) {
  if (!series) return 0;
  bool dashed = which == 1;
  double y_max = 0;
  for (const auto& [key, s] : series->series) {
    if (!keep(key)) continue;
    QList<QPointF> points;
    points.reserve(static_cast<qsizetype>(series->windows));
    for (std::size_t i = 0; i < series->windows; ++i) {
      double y = series->rate(key, i);
      y_max = std::max(y_max, y);
      points.append({x_of(*series, i), y});
    }
    QString name = QString::fromStdString(key.empty() ? "all" : key);
    if (key == "0") name = QObject::tr("0 (no response)");
    chart->addSeries(
        make_line(run_name(name, which, comparing), std::move(points), colors.color(key), dashed));
  }
  return y_max;
}

}  // namespace

RunChartData load_run_chart_data(const RunSelection& run, const MetricsFilter& filter,
                                 int window_factor) {
  RunChartData out;
  std::string open_error;
  auto ok = run.source->with_reader(
      [&](const results::Reader& reader) {
        SeriesQuery q;
        q.filter = filter;
        q.window_factor = window_factor;
        // Any destination: stack every service's versions; one service: its versions.
        q.key = filter.destination_service.empty() ? SeriesKey::ServiceVersion : SeriesKey::Version;
        out.traffic = load_window_series(reader, run.run_id, q, &out.error);
        q.key = SeriesKey::Total;
        q.with_buckets = true;
        out.latency = load_window_series(reader, run.run_id, q, &out.error);
        q.with_buckets = false;
        q.key = SeriesKey::Code;
        out.codes = load_window_series(reader, run.run_id, q, &out.error);
        q.key = SeriesKey::Flags;
        out.flags = load_window_series(reader, run.run_id, q, &out.error);
        // Load is what reaches a pod: every attempt, retries included (destination reporter).
        q.reporter = "destination";
        q.key = SeriesKey::Pod;
        out.pods = load_window_series(reader, run.run_id, q, &out.error);
        std::int64_t merge = std::max(run_interval(run), run_span(run) / 200);
        if (auto m = load_markers(reader, run.run_id, merge, &out.error))
          out.markers = std::move(*m);
        return true;
      },
      &open_error);
  if (!ok) out.error = open_error;
  return out;
}

ChartsPage::ChartsPage(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  auto* controls = new QHBoxLayout();
  source_box_ = new QComboBox(this);
  destination_box_ = new QComboBox(this);
  window_box_ = new QComboBox(this);
  source_box_->setMinimumContentsLength(18);
  destination_box_->setMinimumContentsLength(28);
  auto* reset = new QPushButton(tr("Reset zoom"), this);
  controls->addWidget(new QLabel(tr("Source:"), this));
  controls->addWidget(source_box_);
  controls->addWidget(new QLabel(tr("Destination:"), this));
  controls->addWidget(destination_box_);
  controls->addWidget(new QLabel(tr("Window:"), this));
  controls->addWidget(window_box_);
  controls->addWidget(reset);
  controls->addStretch(1);
  layout->addLayout(controls);
  caption_ = new QLabel(this);
  caption_->setWordWrap(true);
  layout->addWidget(caption_);

  grid_ = new QGridLayout();
  for (int i = 0; i < kChartCount; ++i) {
    views_[static_cast<std::size_t>(i)] = new ChartView(this);
    // QChartView made its own chart; setChart() would only release, not delete, that one.
    QChart* chart = views_[static_cast<std::size_t>(i)]->chart();
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(2, 2, 2, 2));
    ChartView* view = views_[static_cast<std::size_t>(i)];
    connect(view, &ChartView::x_range_changed, this,
            [this, view](double lo, double hi) { sync_range(view, lo, hi); });
    // The wide chart on top names the markers; the four below repeat only their lines.
    view->set_marker_labels(i == 0);
  }
  // Traffic on top; latency and per-pod load, which every run has, in the middle; the two
  // error charts last, where they fold to one line when the run has nothing to show in them.
  grid_->addWidget(views_[static_cast<int>(ChartKind::Traffic)], 0, 0, 1, 2);
  grid_->addWidget(views_[static_cast<int>(ChartKind::Latency)], 1, 0);
  grid_->addWidget(views_[static_cast<int>(ChartKind::PodLoad)], 1, 1);
  grid_->setRowStretch(0, 5);
  grid_->setRowStretch(1, 4);
  layout->addLayout(grid_, 1);
  quiet_label_ = new QLabel(this);
  quiet_label_->setWordWrap(false);
  quiet_label_->setVisible(false);
  layout->addWidget(quiet_label_);
  arrange_error_panels(false, false);

  window_box_->addItem(tr("auto"), 0);
  connect(source_box_, &QComboBox::activated, this, [this] {
    filter_.source_workload = source_box_->currentData().toString().toStdString();
    reload();
  });
  connect(destination_box_, &QComboBox::activated, this, [this] {
    filter_.destination_service = destination_box_->currentData().toString().toStdString();
    reload();
  });
  connect(window_box_, &QComboBox::activated, this, [this] {
    window_factor_ = window_box_->currentData().toInt();
    reload();
  });
  connect(reset, &QPushButton::clicked, this, [this] {
    for (ChartView* v : views_) v->reset_zoom();
  });
}

QChart* ChartsPage::chart(ChartKind kind) const { return chart_view(kind)->chart(); }
ChartView* ChartsPage::chart_view(ChartKind kind) const {
  return views_[static_cast<std::size_t>(kind)];
}
const RunChartData* ChartsPage::data(bool compared) const {
  const auto& d = compared ? data_b_ : data_a_;
  return d ? &*d : nullptr;
}

void ChartsPage::set_runs(RunSelection a, RunSelection b) {
  a_ = std::move(a);
  b_ = std::move(b);
  data_a_.reset();
  data_b_.reset();
  load_filter_labels();
  reload();
}

void ChartsPage::set_filter(const MetricsFilter& filter) {
  filter_ = filter;
  auto select = [](QComboBox* box, const std::string& value) {
    int i = box->findData(QString::fromStdString(value));
    if (i < 0) {
      // Not among the loaded labels (yet): keep it selectable anyway.
      box->addItem(QString::fromStdString(value), QString::fromStdString(value));
      i = box->count() - 1;
    }
    box->setCurrentIndex(i);
  };
  select(source_box_, filter.source_workload);
  select(destination_box_, filter.destination_service);
  reload();
}

void ChartsPage::set_window_factor(int factor) {
  window_factor_ = std::max(0, factor);
  int i = window_box_->findData(window_factor_);
  if (i >= 0) window_box_->setCurrentIndex(i);
  reload();
}

void ChartsPage::load_filter_labels() {
  if (!a_) return;
  // Window choices in the run's own metrics interval.
  window_box_->clear();
  window_box_->addItem(tr("auto"), 0);
  double interval_s = static_cast<double>(run_interval(a_)) / 1e9;
  for (int f : kFactors) window_box_->addItem(QString("%1 s").arg(f * interval_s), f);
  window_box_->setCurrentIndex(std::max(0, window_box_->findData(window_factor_)));

  RunSelection run = a_;
  int generation = ++labels_generation_;
  run_async(
      this,
      [run] {
        std::string error;
        auto labels = run.source->with_reader(
            [&](const results::Reader& r) { return load_labels(r, run.run_id, &error); }, &error);
        return labels && *labels ? **labels : Labels{};
      },
      [this, generation](Labels labels) {
        if (generation != labels_generation_) return;  // another run was chosen meanwhile
        auto fill = [](QComboBox* box, const std::vector<std::string>& values,
                       const std::string& current) {
          box->clear();
          box->addItem(tr("any"), QString());
          for (const auto& v : values) {
            box->addItem(QString::fromStdString(v), QString::fromStdString(v));
          }
          int i = box->findData(QString::fromStdString(current));
          if (i < 0 && !current.empty()) {
            box->addItem(QString::fromStdString(current), QString::fromStdString(current));
            i = box->count() - 1;
          }
          box->setCurrentIndex(std::max(0, i));
        };
        fill(source_box_, labels.source_workloads, filter_.source_workload);
        fill(destination_box_, labels.destination_services, filter_.destination_service);
      });
}

void ChartsPage::reload() {
  if (!a_) return;
  int generation = ++generation_;
  effective_factor_ = window_factor_ > 0 ? window_factor_ : auto_factor(a_);
  RunSelection a = a_, b = b_;
  MetricsFilter filter = filter_;
  int factor = effective_factor_;
  using Pair = std::pair<RunChartData, std::optional<RunChartData>>;
  run_async(
      this,
      [a, b, filter, factor]() -> Pair {
        Pair out;
        out.first = load_run_chart_data(a, filter, factor);
        if (b) out.second = load_run_chart_data(b, filter, factor);
        return out;
      },
      [this, generation](Pair result) {
        if (generation != generation_) return;  // a newer filter was asked for meanwhile
        data_a_ = std::move(result.first);
        data_b_ = std::move(result.second);
        rebuild();
        emit loaded();
      });
}

void ChartsPage::sync_range(ChartView* from, double lo, double hi) {
  if (syncing_) return;
  syncing_ = true;
  for (ChartView* v : views_) {
    if (v != from) v->set_x_range(lo, hi);
  }
  syncing_ = false;
}

void ChartsPage::rebuild() {
  const RunChartData* a = data(false);
  const RunChartData* b = data(true);
  if (!a) return;
  auto seconds = [](const std::optional<WindowSeries>& s) { return s ? s->end_seconds() : 0.0; };
  double x_max = std::max(seconds(a->traffic), b ? seconds(b->traffic) : 0.0);

  QString what = filter_.destination_service.empty()
                     ? tr("every destination")
                     : QString::fromStdString(filter_.destination_service);
  QString from = filter_.source_workload.empty() ? tr("any source")
                                                 : QString::fromStdString(filter_.source_workload);
  QString caption = tr("%1 from %2, %3 s windows, caller-side metrics (reporter=source); "
                       "per-pod load counts every attempt that reached a pod.")
                        .arg(what, from)
                        .arg(a->traffic ? a->traffic->seconds_per_window() : 0.0);
  bool comparing = b != nullptr;
  if (comparing) {
    auto scenario = [](const RunSelection& r) {
      return r.run() ? QString::fromStdString(r.run()->scenario) : QString();
    };
    caption += tr("  (A), solid: %1 %2.  (B), dashed: %3 %4.")
                   .arg(QString::fromStdString(a_.label()), scenario(a_),
                        QString::fromStdString(b_.label()), scenario(b_));
  }
  if (!a->error.empty()) caption += tr("  Error: %1").arg(QString::fromStdString(a->error));
  caption_->setText(caption);

  std::vector<ChartMarker> markers = to_chart_markers(a->markers, false);
  if (b) {
    auto more = to_chart_markers(b->markers, true);
    markers.insert(markers.end(), more.begin(), more.end());
  }
  for (ChartView* v : views_) v->set_markers(markers);

  // Requests/s by version, stacked: each area spans from the versions below it to itself.
  // Only the versions of one service stack: a request to productpage and the call it makes
  // to reviews are the same user request, so adding services up counts it twice. With "any"
  // destination, each service and version is a line of its own.
  {
    ChartView* view = chart_view(ChartKind::Traffic);
    QChart* c = view->chart();
    bool stacked = !filter_.destination_service.empty();
    reset_chart(c, stacked ? tr("Requests/s by destination version (stacked)")
                           : tr("Requests/s by destination service and version (choose a "
                                "destination to stack its versions)"));
    ColorMap colors;
    double y_max = 0;
    if (!stacked) {
      auto all = [](const std::string&) { return true; };
      y_max = add_rate_lines(c, colors, a->traffic ? &*a->traffic : nullptr, 0, comparing, all);
      if (b) {
        y_max = std::max(
            y_max, add_rate_lines(c, colors, b->traffic ? &*b->traffic : nullptr, 1, true, all));
      }
    }
    if (stacked && a->traffic) {
      const WindowSeries& s = *a->traffic;
      std::vector<double> base(s.windows, 0.0);
      for (const auto& [key, data] : s.series) {
        auto* area = new QAreaSeries();
        auto* lower = new QLineSeries(area);
        auto* upper = new QLineSeries(area);
        QList<QPointF> lo, hi;
        for (std::size_t i = 0; i < s.windows; ++i) {
          double rate = s.rate(key, i);
          lo.append({x_of(s, i), base[i]});
          base[i] += rate;
          hi.append({x_of(s, i), base[i]});
          y_max = std::max(y_max, base[i]);
        }
        lower->replace(lo);
        upper->replace(hi);
        area->setLowerSeries(lower);
        area->setUpperSeries(upper);
        area->setName(run_name(QString::fromStdString(key), 0, comparing));
        QColor color = colors.color(key);
        area->setBrush(color.lighter(115));  // opaque: grid lines would show through
        area->setPen(QPen(color.darker(120), 1));
        c->addSeries(area);
      }
    }
    if (stacked && b && b->traffic) {
      // The compared run as the tops of its own stack, dashed, in the same colours.
      const WindowSeries& s = *b->traffic;
      std::vector<double> base(s.windows, 0.0);
      for (const auto& [key, data] : s.series) {
        QList<QPointF> points;
        for (std::size_t i = 0; i < s.windows; ++i) {
          base[i] += s.rate(key, i);
          y_max = std::max(y_max, base[i]);
          points.append({x_of(s, i), base[i]});
        }
        c->addSeries(make_line(run_name(QString::fromStdString(key), 1, true), std::move(points),
                               colors.color(key).darker(140), true));
      }
    }
    finish_chart(view, x_max, y_max, tr("requests/s"));
    enable_legend_toggles(c);
  }

  // Latency percentiles from the merged duration buckets of each window.
  {
    ChartView* view = chart_view(ChartKind::Latency);
    QChart* c = view->chart();
    reset_chart(c, tr("Latency p50 / p90 / p99 (from Istio duration buckets)"));
    double y_max = 0;
    const std::pair<double, const char*> quantiles[] = {
        {0.50, "p50"}, {0.90, "p90"}, {0.99, "p99"}};
    const QColor colors[] = {QColor(0x59a14f), QColor(0xf28e2b), QColor(0xe15759)};
    for (int which = 0; which < 2; ++which) {
      const RunChartData* d = which == 0 ? a : b;
      if (!d || !d->latency) continue;
      const WindowSeries& s = *d->latency;
      auto totals = s.totals();
      for (int q = 0; q < 3; ++q) {
        auto values = percentile_per_window(s, quantiles[q].first);
        QList<QPointF> points;
        for (std::size_t i = 0; i < s.windows; ++i) {
          if (totals[i] == 0) continue;  // no requests ended in it: no latency to draw
          double ms = static_cast<double>(values[i]) / 1e6;
          y_max = std::max(y_max, ms);
          points.append({x_of(s, i), ms});
        }
        c->addSeries(make_line(run_name(quantiles[q].second, which, comparing), std::move(points),
                               colors[q], which == 1));
      }
    }
    finish_chart(view, x_max, y_max, tr("ms"));
    enable_legend_toggles(c);
  }

  // Errors: non-2xx/3xx codes, and Envoy flags.
  {
    ChartView* view = chart_view(ChartKind::ErrorCodes);
    QChart* c = view->chart();
    reset_chart(c, tr("Errors/s by response code"));
    ColorMap colors;
    colors.color("503");  // the usual suspect keeps the first colour
    auto errors = [](const std::string& key) {
      return !key.empty() && !is_success(std::atoi(key.c_str()));
    };
    double y_max =
        add_rate_lines(c, colors, a->codes ? &*a->codes : nullptr, 0, comparing, errors);
    if (b)
      y_max = std::max(y_max,
                       add_rate_lines(c, colors, b->codes ? &*b->codes : nullptr, 1, true, errors));
    finish_chart(view, x_max, y_max, tr("requests/s"));
    enable_legend_toggles(c);
  }
  {
    ChartView* view = chart_view(ChartKind::ErrorFlags);
    QChart* c = view->chart();
    reset_chart(c, tr("Requests/s by Envoy response flag"));
    ColorMap colors;
    auto flagged = [](const std::string& key) { return key != "-" && !key.empty(); };
    double y_max =
        add_rate_lines(c, colors, a->flags ? &*a->flags : nullptr, 0, comparing, flagged);
    if (b)
      y_max = std::max(
          y_max, add_rate_lines(c, colors, b->flags ? &*b->flags : nullptr, 1, true, flagged));
    finish_chart(view, x_max, y_max, tr("requests/s"));
    enable_legend_toggles(c);
  }
  arrange_error_panels(chart(ChartKind::ErrorCodes)->series().isEmpty(),
                       chart(ChartKind::ErrorFlags)->series().isEmpty());
  {
    ChartView* view = chart_view(ChartKind::PodLoad);
    QChart* c = view->chart();
    reset_chart(c, tr("Per-pod load (attempts/s reaching each pod)"));
    ColorMap colors;
    auto all = [](const std::string& key) { return !key.empty() && key != "unknown"; };
    double y_max = add_rate_lines(c, colors, a->pods ? &*a->pods : nullptr, 0, comparing, all);
    if (b)
      y_max =
          std::max(y_max, add_rate_lines(c, colors, b->pods ? &*b->pods : nullptr, 1, true, all));
    finish_chart(view, x_max, y_max, tr("attempts/s"));
    enable_legend_toggles(c);
  }
}

void ChartsPage::arrange_error_panels(bool codes_empty, bool flags_empty) {
  ChartView* codes = chart_view(ChartKind::ErrorCodes);
  ChartView* flags = chart_view(ChartKind::ErrorFlags);
  grid_->removeWidget(codes);
  grid_->removeWidget(flags);
  codes->setVisible(!codes_empty);
  flags->setVisible(!flags_empty);
  // A chart with nothing to draw gives its place to the other one, or both fold into the
  // one-line note below and the charts above take the height.
  if (!codes_empty && !flags_empty) {
    grid_->addWidget(codes, 2, 0);
    grid_->addWidget(flags, 2, 1);
  } else if (!codes_empty) {
    grid_->addWidget(codes, 2, 0, 1, 2);
  } else if (!flags_empty) {
    grid_->addWidget(flags, 2, 0, 1, 2);
  }
  grid_->setRowStretch(2, codes_empty && flags_empty ? 0 : 4);
  QString where = b_ ? tr("these runs") : tr("this run");
  QString note;
  if (codes_empty && flags_empty) {
    note = tr("No errors in %1: every response was 2xx or 3xx, and no request carried an Envoy "
              "response flag.")
               .arg(where);
  } else if (codes_empty) {
    note = tr("Errors/s by response code: no errors in %1 (every response was 2xx or 3xx).")
               .arg(where);
  } else if (flags_empty) {
    note = tr("Requests/s by Envoy response flag: no request carried a flag in %1.").arg(where);
  }
  quiet_label_->setText(note);
  quiet_label_->setVisible(!note.isEmpty());
}

}  // namespace meshtwin::gui
