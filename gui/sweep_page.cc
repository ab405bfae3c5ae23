#include "gui/sweep_page.h"

#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QScatterSeries>
#include <QVBoxLayout>
#include <QValueAxis>
#include <algorithm>
#include <limits>

#include "gui/async.h"
#include "gui/palette.h"

namespace meshtwin::gui {

namespace {

struct Loaded {
  std::optional<results::SweepReportData> data;
  std::string error;
};

// An error bar: the vertical line from lo to hi with a cap at each end, one series whose legend
// entry is hidden (the mean's line names the series).
QLineSeries* error_bar(const SweepPlotPoint& p, double cap, QColor color) {
  auto* bar = new QLineSeries();
  // A line series joins its points in order: cap, up the bar, cap.
  bar->append(p.x - cap, p.lo);
  bar->append(p.x + cap, p.lo);
  bar->append(p.x, p.lo);
  bar->append(p.x, p.hi);
  bar->append(p.x - cap, p.hi);
  bar->append(p.x + cap, p.hi);
  bar->setPen(QPen(color, 1.2));
  return bar;
}

}  // namespace

SweepPage::SweepPage(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  auto* controls = new QHBoxLayout();
  figure_box_ = new QComboBox(this);
  parameter_box_ = new QComboBox(this);
  controls->addWidget(new QLabel(tr("Figure:"), this));
  controls->addWidget(figure_box_);
  controls->addWidget(new QLabel(tr("  against:"), this));
  controls->addWidget(parameter_box_, 1);
  layout->addLayout(controls);
  caption_ = new QLabel(tr("No sweep: open FILE.db:sN (written by `meshtwin sweep` or `meshtwin capacity -o`)."),
                        this);
  caption_->setWordWrap(true);
  layout->addWidget(caption_);
  chart_ = new QChart();
  chart_->legend()->setAlignment(Qt::AlignBottom);
  view_ = new QChartView(chart_, this);
  view_->setRenderHint(QPainter::Antialiasing);
  layout->addWidget(view_, 1);
  connect(figure_box_, &QComboBox::currentTextChanged, this, [this](const QString& text) {
    if (!filling_) set_figure(text);
  });
  connect(parameter_box_, &QComboBox::currentTextChanged, this, [this](const QString& text) {
    if (!filling_) set_parameter(text);
  });
}

void SweepPage::clear() {
  ++generation_;
  data_.reset();
  plot_ = {};
  rebuild();
}

void SweepPage::set_sweep(std::shared_ptr<DataSource> source, std::int64_t sweep_id) {
  const int generation = ++generation_;
  caption_->setText(tr("Loading sweep s%1\u2026").arg(sweep_id));
  run_async(
      this,
      [source, sweep_id] {
        Loaded out;
        auto data = source->with_reader(
            [&](const results::Reader& reader) -> std::optional<results::SweepReportData> {
              auto sweep = reader.sweep(sweep_id, &out.error);
              if (!sweep) return std::nullopt;
              return results::compute_sweep_report(reader, *sweep, &out.error);
            },
            &out.error);
        if (data) out.data = std::move(*data);
        return out;
      },
      [this, generation](Loaded loaded) {
        if (generation != generation_) return;
        data_ = std::move(loaded.data);
        if (!data_) caption_->setText(QString::fromStdString(loaded.error));
        if (data_) rebuild();
        emit this->loaded();
      });
}

void SweepPage::set_figure(const QString& figure) {
  figure_ = figure.toStdString();
  rebuild();
}

void SweepPage::set_parameter(const QString& parameter) {
  parameter_ = parameter.toStdString();
  rebuild();
}

void SweepPage::fill_boxes() {
  filling_ = true;
  figure_box_->clear();
  for (const auto& f : plot_.figures) figure_box_->addItem(QString::fromStdString(f));
  figure_box_->setCurrentText(QString::fromStdString(plot_.figure));
  parameter_box_->clear();
  for (const auto& p : plot_.parameters) parameter_box_->addItem(QString::fromStdString(p));
  parameter_box_->setCurrentText(QString::fromStdString(plot_.parameter));
  filling_ = false;
}

void SweepPage::rebuild() {
  chart_->removeAllSeries();
  for (QAbstractAxis* axis : chart_->axes()) {
    chart_->removeAxis(axis);
    delete axis;
  }
  if (!data_) {
    plot_ = {};
    fill_boxes();
    chart_->setTitle(QString());
    return;
  }
  plot_ = make_sweep_plot(*data_, figure_, parameter_);
  fill_boxes();
  const auto& sweep = data_->sweep;
  chart_->setTitle(tr("%1 against %2").arg(QString::fromStdString(plot_.figure), QString::fromStdString(plot_.parameter)));
  caption_->setText(tr("%1 sweep s%2 of %3: %4 of %5 points (%6). Each point is its batch's mean with the 95 % "
                       "interval of the replications (Student t) as an error bar.")
                        .arg(QString::fromStdString(data_->file))
                        .arg(sweep.sweep_id)
                        .arg(QString::fromStdString(sweep.scenario))
                        .arg(sweep.done.size())
                        .arg(sweep.points)
                        .arg(QString::fromStdString(sweep.grid).replace('\n', "; ")));
  double x_min = std::numeric_limits<double>::max(), x_max = std::numeric_limits<double>::lowest();
  double y_max = 0;
  for (const auto& s : plot_.series)
    for (const auto& p : s.points) {
      x_min = std::min(x_min, p.x);
      x_max = std::max(x_max, p.x);
      y_max = std::max(y_max, p.hi);
    }
  if (x_min > x_max) x_min = 0, x_max = 1;
  const double span = std::max(x_max - x_min, 1e-9);
  const double cap = span / 100;
  auto* x_axis = new QValueAxis();
  x_axis->setTitleText(QString::fromStdString(plot_.parameter));
  auto* y_axis = new QValueAxis();
  y_axis->setTitleText(QString::fromStdString(plot_.y_title));
  y_axis->setRange(0, y_max > 0 ? y_max * 1.08 : 1);
  QAbstractAxis* x_shown = x_axis;
  x_axis->setRange(x_min - span * 0.04, x_max + span * 0.04);
  if (!plot_.numeric_x) {
    // Values such as `[{rate: 0.5}]` sit at their index, labelled with their text.
    auto* categories = new QCategoryAxis();
    categories->setTitleText(QString::fromStdString(plot_.parameter));
    categories->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    for (std::size_t i = 0; i < plot_.categories.size(); ++i)
      categories->append(QString::fromStdString(plot_.categories[i]), static_cast<double>(i));
    categories->setRange(x_min - span * 0.04, x_max + span * 0.04);
    delete x_axis;
    x_shown = categories;
  }
  chart_->addAxis(x_shown, Qt::AlignBottom);
  chart_->addAxis(y_axis, Qt::AlignLeft);
  for (std::size_t i = 0; i < plot_.series.size(); ++i) {
    const auto& s = plot_.series[i];
    const QColor color = distinct_color(i);
    auto* line = new QLineSeries();
    line->setName(s.name.empty() ? QString::fromStdString(plot_.figure) : QString::fromStdString(s.name));
    line->setPen(QPen(color, 1.8));
    line->setPointsVisible(true);
    for (const auto& p : s.points) line->append(p.x, p.mean);
    chart_->addSeries(line);
    line->attachAxis(x_shown);
    line->attachAxis(y_axis);
    for (const auto& p : s.points) {
      auto* bar = error_bar(p, cap, color);
      chart_->addSeries(bar);
      bar->attachAxis(x_shown);
      bar->attachAxis(y_axis);
      for (QLegendMarker* m : chart_->legend()->markers(bar)) m->setVisible(false);
    }
  }
}

}  // namespace meshtwin::gui
