#include "gui/sweep_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

namespace meshtwin::gui {

namespace {

using Unit = results::BatchFigure::Unit;

// Durations in ms and fractions in % read best on an axis; the rest as measured.
double display(Unit unit, double v) {
  switch (unit) {
    case Unit::Duration: return v / 1e6;
    case Unit::Fraction: return v * 100;
    default: return v;
  }
}

std::string unit_suffix(Unit unit) {
  switch (unit) {
    case Unit::Duration: return " (ms)";
    case Unit::Fraction: return " (%)";
    case Unit::PerSecond: return " (/s)";
    case Unit::Percent: return " (%)";
    case Unit::Count: return "";
  }
  return "";
}

std::optional<double> number(const std::string& text) {
  char* end = nullptr;
  const double x = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(x)) return std::nullopt;
  return x;
}

const std::string* value_of(const results::SweepPoint& p, const std::string& path) {
  for (const auto& [k, v] : p.parameters)
    if (k == path) return &v;
  return nullptr;
}

}  // namespace

SweepPlot make_sweep_plot(const results::SweepReportData& data, const std::string& figure,
                          const std::string& parameter) {
  SweepPlot plot;
  for (const auto& p : data.points) {
    for (const auto& kv : p.point.parameters)
      if (std::find(plot.parameters.begin(), plot.parameters.end(), kv.first) == plot.parameters.end())
        plot.parameters.push_back(kv.first);
    if (!p.data) continue;
    for (const auto& f : p.data->clients)
      if (std::find(plot.figures.begin(), plot.figures.end(), f.name) == plot.figures.end())
        plot.figures.push_back(f.name);
  }
  plot.figure = figure.empty() ? "p99" : figure;
  plot.parameter = parameter.empty() && !plot.parameters.empty() ? plot.parameters.front() : parameter;
  for (const auto& p : data.points) {
    const std::string* v = value_of(p.point, plot.parameter);
    if (!v) continue;
    if (!number(*v)) plot.numeric_x = false;
    if (std::find(plot.categories.begin(), plot.categories.end(), *v) == plot.categories.end())
      plot.categories.push_back(*v);
  }
  if (plot.numeric_x) plot.categories.clear();
  std::map<std::string, std::size_t> series_of;  // other parameters' values -> series
  for (const auto& p : data.points) {
    const std::string* v = value_of(p.point, plot.parameter);
    if (!v || !p.data) continue;
    const auto f = std::find_if(p.data->clients.begin(), p.data->clients.end(),
                                [&](const results::BatchFigure& b) { return b.name == plot.figure; });
    if (f == p.data->clients.end() || f->interval.n == 0) continue;
    if (plot.y_title.empty()) plot.y_title = plot.figure + unit_suffix(f->unit);
    std::string name;
    for (const auto& [k, value] : p.point.parameters)
      if (k != plot.parameter) name += (name.empty() ? "" : ", ") + k + "=" + value;
    auto [it, added] = series_of.emplace(name, plot.series.size());
    if (added) plot.series.push_back({name, {}});
    SweepPlotPoint point;
    point.x = plot.numeric_x ? *number(*v)
                             : static_cast<double>(std::find(plot.categories.begin(), plot.categories.end(), *v) -
                                                   plot.categories.begin());
    point.x_text = *v;
    const auto& i = f->interval;
    point.mean = display(f->unit, i.mean);
    point.lo = display(f->unit, i.has_interval() ? i.lo : i.mean);
    point.hi = display(f->unit, i.has_interval() ? i.hi : i.mean);
    point.n = i.n;
    point.batch_id = p.point.batch_id;
    plot.series[it->second].points.push_back(point);
  }
  for (auto& s : plot.series)
    std::stable_sort(s.points.begin(), s.points.end(), [](const auto& a, const auto& b) { return a.x < b.x; });
  if (plot.y_title.empty()) plot.y_title = plot.figure;
  return plot;
}

std::optional<std::int64_t> latest_sweep(const results::Reader& reader) {
  // Files before schema version 5 have no sweep_points: the query fails, and there is none.
  auto rows = reader.query(
      "SELECT sweep_id FROM sweep_points WHERE batch_id = (SELECT batch_id FROM runs ORDER BY run_id DESC LIMIT 1) "
      "ORDER BY sweep_id DESC LIMIT 1");
  if (!rows || rows->empty() || rows->front().empty()) return std::nullopt;
  const std::int64_t id = results::as_int(rows->front().front());
  return id > 0 ? std::optional<std::int64_t>(id) : std::nullopt;
}

}  // namespace meshtwin::gui
