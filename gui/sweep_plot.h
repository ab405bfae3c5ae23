// A sweep as the viewer plots it (issue 12 §3): one client figure (p50, p99, success rate,
// throughput ...) of every point's batch report against one swept parameter, with the 95 %
// interval of each point as an error bar. Sweeps of several parameters give one line per
// combination of the other parameters' values. Kept free of Qt so tests check the numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "results/batch.h"

namespace meshtwin::gui {

struct SweepPlotPoint {
  double x = 0;        // the parameter's value, or its index among `categories`
  std::string x_text;  // as set (--grid's text or the probed value)
  double mean = 0, lo = 0, hi = 0;  // in display units (ms, %, /s, count); lo = hi = mean without interval
  int n = 0;           // replications that measured it
  std::int64_t batch_id = 0;
};

struct SweepPlotSeries {
  std::string name;  // the other parameters' values ("" for a one-parameter sweep)
  std::vector<SweepPlotPoint> points;  // ascending x
};

struct SweepPlot {
  std::vector<std::string> parameters;  // every swept path, in --grid order
  std::vector<std::string> figures;     // the client figures the batch reports hold
  std::string parameter, figure;        // what is plotted
  std::string y_title;                  // "p99 (ms)"
  bool numeric_x = true;                // every value of the parameter is a number
  std::vector<std::string> categories;  // otherwise, its values in first-seen order
  std::vector<SweepPlotSeries> series;
};

// The plot of `figure` (empty: p99) against `parameter` (empty: the first swept one).
SweepPlot make_sweep_plot(const results::SweepReportData& data, const std::string& figure,
                          const std::string& parameter);

// The sweep a results file's latest run belongs to (its batch is a point of it), when it does:
// the file's latest thing is a sweep. nullopt for files without sweeps.
std::optional<std::int64_t> latest_sweep(const results::Reader& reader);

}  // namespace meshtwin::gui
