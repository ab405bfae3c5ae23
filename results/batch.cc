#include "results/row_time.h"
#include "results/batch.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <boost/math/distributions/students_t.hpp>

#include "results/text.h"

namespace meshtwin::results {

double student_t_quantile(double p, double degrees_of_freedom) {
  const boost::math::students_t_distribution<double> t(degrees_of_freedom);
  return boost::math::quantile(t, p);
}

Interval t_interval(const std::vector<double>& values, double confidence) {
  Interval out;
  out.n = static_cast<int>(values.size());
  if (values.empty()) return out;
  double sum = 0;
  out.min = out.max = values.front();
  for (double v : values) {
    sum += v;
    out.min = std::min(out.min, v);
    out.max = std::max(out.max, v);
  }
  const double n = static_cast<double>(values.size());
  out.mean = sum / n;
  out.lo = out.hi = out.mean;
  if (values.size() < 2) return out;
  double ss = 0;
  for (double v : values) ss += (v - out.mean) * (v - out.mean);
  out.stddev = std::sqrt(ss / (n - 1));
  out.half_width = student_t_quantile(1 - (1 - confidence) / 2, n - 1) * out.stddev / std::sqrt(n);
  out.lo = out.mean - out.half_width;
  out.hi = out.mean + out.half_width;
  return out;
}

std::string figure_text(BatchFigure::Unit unit, double v) {
  switch (unit) {
    case BatchFigure::Unit::Count:
      return std::abs(v - std::round(v)) < 1e-9 ? fmt::format("{:.0f}", v) : fmt::format("{:.1f}", v);
    case BatchFigure::Unit::PerSecond: return fmt::format("{:.2f}/s", v);
    case BatchFigure::Unit::Fraction: return fmt::format("{:.2f} %", v * 100);
    case BatchFigure::Unit::Percent: return fmt::format("{:.1f} %", v);
    case BatchFigure::Unit::Duration: return engine::human_duration_ns(v);
  }
  return fmt::format("{:g}", v);
}

std::string figure_delta_text(BatchFigure::Unit unit, double v) {
  switch (unit) {
    case BatchFigure::Unit::Count: return fmt::format("{:.1f}", v);
    case BatchFigure::Unit::PerSecond: return fmt::format("{:.2f}/s", v);
    case BatchFigure::Unit::Fraction: return fmt::format("{:.2f}pp", v * 100);
    case BatchFigure::Unit::Percent: return fmt::format("{:.1f}pp", v);
    case BatchFigure::Unit::Duration: return engine::human_duration_ns(v);
  }
  return fmt::format("{:g}", v);
}

namespace {

double fraction(std::uint64_t part, std::uint64_t whole) {
  return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

// Collects a figure's value per replication; a replication that has no value for it (a
// destination it never reached) adds none, and counts it as 0 when `zero_if_missing`.
class FigureTable {
 public:
  void add(const std::string& scope, const std::string& name, BatchFigure::Unit unit, double value) {
    auto& f = figures_[scope][name];
    f.name = name;
    f.unit = unit;
    f.values.push_back(value);
  }
  std::vector<BatchFigure> take(const std::string& scope, const std::vector<std::string>& order, double confidence) {
    std::vector<BatchFigure> out;
    auto& m = figures_[scope];
    for (const auto& name : order) {
      auto it = m.find(name);
      if (it == m.end()) continue;
      it->second.interval = t_interval(it->second.values, confidence);
      out.push_back(std::move(it->second));
    }
    return out;
  }

 private:
  std::map<std::string, std::map<std::string, BatchFigure>> figures_;
};

const std::vector<std::string> kClientOrder = {"requests", "qps", "successRate", "non5xxRate", "mean",
                                               "p50", "p75", "p90", "p99", "p99.9"};
const std::vector<std::string> kDestinationOrder = {"requests", "share", "successRate", "non5xxRate", "p50", "p90",
                                                    "p99"};

std::string figure_line(const BatchFigure& f) {
  const Interval& i = f.interval;
  std::string ci = i.has_interval() ? fmt::format("{} ± {}", figure_text(f.unit, i.mean), figure_delta_text(f.unit, i.half_width))
                                    : figure_text(f.unit, i.mean) + " (one replication: no interval)";
  return ci;
}


}  // namespace

std::optional<BatchReportData> compute_batch_report(const Reader& reader, const BatchRow& batch,
                                                    const std::vector<RunRow>& runs, std::string* error,
                                                    double confidence) {
  BatchReportData data;
  data.file = reader.path();
  data.batch = batch;
  data.runs = runs;
  data.confidence = confidence;
  FigureTable table;
  std::map<std::pair<std::string, std::string>, bool> destinations;
  using U = BatchFigure::Unit;
  // Each replication's report is computed as `report FILE.db:RUN` computes it; its figures are
  // that replication's sample.
  std::vector<ReportData> reports;
  for (const RunRow& run : runs) {
    auto r = compute_report(reader, run.run_id, error);
    if (!r) return std::nullopt;
    for (const auto& d : r->destinations) destinations[{d.service, d.version}] = true;
    reports.push_back(std::move(*r));
  }
  for (const ReportData& r : reports) {
    if (r.clients) {
      const ReportClients& c = *r.clients;
      const std::int64_t arrivals = arrival_window(r.run);
      table.add("", "requests", U::Count, static_cast<double>(c.count));
      table.add("", "qps", U::PerSecond, arrivals > 0 ? static_cast<double>(c.count) / engine::to_seconds(engine::SimDuration::from_ns(arrivals)) : 0);
      table.add("", "successRate", U::Fraction, fraction(c.success, c.count));
      table.add("", "non5xxRate", U::Fraction, fraction(c.non5xx, c.count));
      table.add("", "mean", U::Duration, c.mean);
      for (const auto& p : c.percentiles)
        table.add("", fmt::format("p{:g}", p.percentile), U::Duration, static_cast<double>(p.value));
    }
    // A destination this replication never reached counts 0 requests (and share 0); its rates
    // and percentiles have no value in this replication.
    for (const auto& entry : destinations) {
      // A named reference, not a structured binding: clang 14 (the fuzz build) cannot capture
      // bindings in a lambda.
      const auto& key = entry.first;
      const std::string scope = key.first + "\n" + key.second;
      auto it = std::find_if(r.destinations.begin(), r.destinations.end(),
                             [&](const ReportDestination& d) { return d.service == key.first && d.version == key.second; });
      if (it == r.destinations.end()) {
        table.add(scope, "requests", U::Count, 0);
        table.add(scope, "share", U::Fraction, 0);
        continue;
      }
      table.add(scope, "requests", U::Count, static_cast<double>(it->requests));
      table.add(scope, "share", U::Fraction, it->share_percent / 100);
      table.add(scope, "successRate", U::Fraction, fraction(it->success, it->requests));
      table.add(scope, "non5xxRate", U::Fraction, fraction(it->non5xx, it->requests));
      table.add(scope, "p50", U::Duration, static_cast<double>(it->p50));
      table.add(scope, "p90", U::Duration, static_cast<double>(it->p90));
      table.add(scope, "p99", U::Duration, static_cast<double>(it->p99));
    }
  }
  data.clients = table.take("", kClientOrder, confidence);
  for (const auto& [key, unused] : destinations) {
    BatchDestination d;
    d.service = key.first;
    d.version = key.second;
    d.figures = table.take(key.first + "\n" + key.second, kDestinationOrder, confidence);
    data.destinations.push_back(std::move(d));
  }
  return data;
}

std::string format_batch_report(const BatchReportData& data) {
  std::string out;
  const BatchRow& b = data.batch;
  out += fmt::format("meshtwin report: {} batch b{}\n", data.file, b.batch_id);
  out += fmt::format("Scenario {} : seed {} : {} replications (runs {}) : status {}\n", b.scenario, b.seed,
                     data.runs.size(),
                     data.runs.empty() ? std::string("-")
                                       : fmt::format("{}-{}", data.runs.front().run_id, data.runs.back().run_id),
                     b.status);
  if (b.warmup > 0)
    out += fmt::format("Warm-up {} left out of every replication: requests and metrics windows that start before it\n",
                       human_ns(b.warmup));
  out += fmt::format(
      "Each figure is measured on every replication; MEAN ± is the half-width of its {:g} % confidence "
      "interval\n(Student t on the replication values, n - 1 degrees of freedom); MIN .. MAX is the spread of the "
      "replications.\n",
      data.confidence * 100);
  auto section = [&](const std::vector<BatchFigure>& figures, std::vector<std::vector<std::string>>& rows,
                     const std::string& scope) {
    for (const BatchFigure& f : figures) {
      rows.push_back({scope, f.name, figure_line(f),
                      fmt::format("{} .. {}", figure_text(f.unit, f.interval.min), figure_text(f.unit, f.interval.max)),
                      std::to_string(f.interval.n)});
    }
  };
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"SCOPE", "FIGURE", "MEAN ± CI", "MIN .. MAX", "n"});
  if (data.clients.empty()) {
    out += "\nNo request rows recorded (record.requests: none): client figures are not available.\n";
  } else {
    section(data.clients, rows, "client requests");
  }
  for (const BatchDestination& d : data.destinations) {
    auto dot = d.service.find('.');
    section(d.figures, rows, (dot == std::string::npos ? d.service : d.service.substr(0, dot)) + " " + d.version);
  }
  out += "\n" + pad_table(rows);
  out += std::string("\nclient requests: every client request (latency exact); per destination: every request a "
                     "sidecar or gateway sent (reporter=source, percentiles interpolated in Istio's buckets).\n") +
         kSuccessRateDefinition + ".\n" + kNon5xxRateDefinition + ".\n";
  return out;
}

std::optional<SweepReportData> compute_sweep_report(const Reader& reader, const SweepRow& sweep, std::string* error) {
  SweepReportData out;
  out.file = reader.path();
  out.sweep = sweep;
  for (const SweepPoint& p : sweep.done) {
    SweepPointReport point{p, std::nullopt};
    auto batch = reader.batch(p.batch_id);
    if (!batch) {
      if (error) *error = fmt::format("{}: sweep s{} names batch b{}, which the file does not hold", reader.path(),
                                      sweep.sweep_id, p.batch_id);
      return std::nullopt;
    }
    std::vector<RunRow> runs;
    for (RunRow& r : reader.batch_runs(p.batch_id))
      if (is_result(r)) runs.push_back(std::move(r));
    if (!runs.empty()) {
      point.data = compute_batch_report(reader, *batch, runs, error);
      if (!point.data) return std::nullopt;
    }
    out.points.push_back(std::move(point));
  }
  return out;
}

std::optional<SweepReportData> read_sweep_report(const std::string& path, std::int64_t sweep_id, std::string* error) {
  auto reader = Reader::open(path, error);
  if (!reader) return std::nullopt;
  auto sweep = reader->sweep(sweep_id, error);
  if (!sweep) return std::nullopt;
  return compute_sweep_report(*reader, *sweep, error);
}

std::string format_sweep_report(const SweepReportData& data) {
  const SweepRow& sweep = data.sweep;
  std::string out = fmt::format("meshtwin report: {} sweep s{}: {} of {} points of {} ({})\n", data.file,
                                sweep.sweep_id, sweep.done.size(), sweep.points, sweep.scenario, sweep.status);
  std::string grid = sweep.grid;
  for (char& c : grid)
    if (c == '\n') c = ' ';
  out += "Grid: " + grid + "\n";
  for (const SweepPointReport& p : data.points) {
    std::string params;
    for (const auto& [k, v] : p.point.parameters) params += (params.empty() ? "" : ", ") + k + "=" + v;
    out += fmt::format("\n=== point {}: {} (batch b{})\n", p.point.point, params, p.point.batch_id);
    out += p.data ? format_batch_report(*p.data) : std::string("no finished replication\n");
  }
  return out;
}

// ------------------------------------------------------------------ check over a batch

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::Pass: return "pass";
    case Verdict::Fail: return "fail";
    case Verdict::Inconclusive: return "inconclusive";
  }
  return "inconclusive";
}

namespace {

bool near(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b)); }

BatchFigure::Unit unit_of(const std::string& metric) {
  if (metric == "successRate" || metric == "non5xxRate" || metric == "errorRate" || metric == "share")
    return BatchFigure::Unit::Fraction;
  if (metric == "p50" || metric == "p90" || metric == "p99" || metric == "max") return BatchFigure::Unit::Duration;
  return BatchFigure::Unit::Count;
}

}  // namespace

Verdict decide(const Interval& i, const std::string& op, double bound) {
  if (i.n == 0) return Verdict::Fail;  // nothing measured anywhere: as a single run, not a pass
  if (i.n < 2) return Verdict::Inconclusive;
  const double lo = i.lo, hi = i.hi;
  const bool point = near(lo, hi);
  if (op == "<") return hi < bound && !near(hi, bound) ? Verdict::Pass : lo >= bound || near(lo, bound) ? Verdict::Fail : Verdict::Inconclusive;
  if (op == "<=") return hi <= bound || near(hi, bound) ? Verdict::Pass : lo > bound ? Verdict::Fail : Verdict::Inconclusive;
  if (op == ">") return lo > bound && !near(lo, bound) ? Verdict::Pass : hi <= bound || near(hi, bound) ? Verdict::Fail : Verdict::Inconclusive;
  if (op == ">=") return lo >= bound || near(lo, bound) ? Verdict::Pass : hi < bound ? Verdict::Fail : Verdict::Inconclusive;
  const bool outside = (hi < bound && !near(hi, bound)) || (lo > bound && !near(lo, bound));
  if (op == "==") return point && near(i.mean, bound) ? Verdict::Pass : outside ? Verdict::Fail : Verdict::Inconclusive;
  if (op == "!=") return outside ? Verdict::Pass : point && near(i.mean, bound) ? Verdict::Fail : Verdict::Inconclusive;
  return Verdict::Fail;
}

std::vector<BatchAssertion> decide_batch(const std::vector<std::vector<AssertionResult>>& per_run, double confidence) {
  std::vector<BatchAssertion> out;
  if (per_run.empty()) return out;
  const auto& first = per_run.front();
  for (std::size_t a = 0; a < first.size(); ++a) {
    BatchAssertion ba;
    ba.name = first[a].name;
    ba.selection = first[a].selection;
    for (std::size_t c = 0; c < first[a].conditions.size(); ++c) {
      BatchCondition bc;
      bc.condition = first[a].conditions[c].condition;
      bc.expected_text = first[a].conditions[c].expected_text;
      for (const auto& run : per_run) {
        if (a >= run.size() || c >= run[a].conditions.size()) continue;
        const auto& observed = run[a].conditions[c].observed;
        if (observed) {
          bc.values.push_back(*observed);
        } else {
          ++bc.unmeasured;
          if (ba.problem.empty()) ba.problem = run[a].problem;
        }
      }
      bc.interval = t_interval(bc.values, confidence);
      bc.verdict = decide(bc.interval, bc.condition.op, bc.condition.value);
      const auto unit = unit_of(bc.condition.metric);
      const Interval& i = bc.interval;
      if (i.n == 0) {
        bc.observed_text = "nothing selected";
      } else {
        // Rates print as fractions here, as the single-run table and the scenario's bounds do.
        auto value = [&](double v) {
          return unit == BatchFigure::Unit::Fraction ? fmt::format("{:.4f}", v) : figure_text(unit, v);
        };
        bc.observed_text = fmt::format("{} [{} .. {}] n={}", value(i.mean), value(i.lo), value(i.hi), i.n);
        if (bc.unmeasured > 0) bc.observed_text += fmt::format(" ({} with nothing selected)", bc.unmeasured);
      }
      ba.conditions.push_back(std::move(bc));
    }
    out.push_back(std::move(ba));
  }
  return out;
}

BatchCheckSummary summarize(const std::vector<BatchAssertion>& results) {
  BatchCheckSummary s;
  for (const auto& a : results)
    for (const auto& c : a.conditions) {
      ++s.conditions;
      if (c.verdict == Verdict::Pass) ++s.passed;
      else if (c.verdict == Verdict::Fail) ++s.failed;
      else ++s.inconclusive;
    }
  return s;
}

std::string format_batch_assertion_table(const std::vector<BatchAssertion>& results, double confidence,
                                         int replications) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"ASSERTION", "EXPECTED", fmt::format("OBSERVED: MEAN [{:g} % CI] n", confidence * 100), "RESULT"});
  for (const auto& a : results)
    for (const auto& c : a.conditions) {
      std::string verdict = to_string(c.verdict);
      std::transform(verdict.begin(), verdict.end(), verdict.begin(), [](unsigned char ch) { return std::toupper(ch); });
      rows.push_back({a.name, c.expected_text, c.observed_text, verdict});
    }
  std::string out = pad_table(rows) + "\n";
  for (const auto& a : results)
    if (!a.problem.empty()) out += fmt::format("{}: {} ({})\n", a.name, a.problem, a.selection);
  const BatchCheckSummary s = summarize(results);
  out += fmt::format(
      "{} conditions over {} replications: {} passed, {} failed, {} inconclusive (a condition passes when its whole "
      "{:g} % interval is on the good side of the bound, fails when wholly on the bad side)\n",
      s.conditions, replications, s.passed, s.failed, s.inconclusive, confidence * 100);
  return out;
}

std::string format_batch_junit(const JUnitSuite& suite, const std::vector<BatchAssertion>& results,
                               double confidence, bool inconclusive_fails) {
  const BatchCheckSummary s = summarize(results);
  const std::size_t failures = s.failed + (inconclusive_fails ? s.inconclusive : 0);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"meshtwin check\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{:.3f}\">\n",
                     s.conditions, failures, suite.wall_seconds);
  out += fmt::format(
      "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{:.3f}\">\n",
      xml_escape(suite.name), s.conditions, failures, suite.wall_seconds);
  out += "    <properties>\n";
  for (const auto& [k, v] : suite.properties)
    out += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", xml_escape(k), xml_escape(v));
  out += fmt::format("      <property name=\"confidence\" value=\"{:g}\"/>\n", confidence);
  out += "    </properties>\n";
  for (const auto& a : results) {
    for (const auto& c : a.conditions) {
      // The interval is in every test case, so a CI page shows how close each decision was.
      out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"0\">\n", xml_escape(suite.name),
                         xml_escape(a.name + ": " + c.expected_text));
      out += fmt::format("      <system-out>{}</system-out>\n",
                         xml_escape(fmt::format("{}: observed {} ({:g} % interval, {})", to_string(c.verdict),
                                                c.observed_text, confidence * 100, a.selection),
                                    false));
      const std::string message = fmt::format("assertion \"{}\" {}: expected {}, observed {} ({:g} % interval)", a.name,
                                              c.verdict == Verdict::Fail ? "failed" : "inconclusive", c.expected_text,
                                              c.observed_text, confidence * 100);
      if (c.verdict == Verdict::Fail || (c.verdict == Verdict::Inconclusive && inconclusive_fails)) {
        out += fmt::format("      <failure message=\"{}\" type=\"{}\"/>\n", xml_escape(message),
                           c.verdict == Verdict::Fail ? "AssertionFailed" : "AssertionInconclusive");
      }
      out += "    </testcase>\n";
    }
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace meshtwin::results
