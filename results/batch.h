// Figures with error bars over a batch of replications (`meshtwin run --replications`, issue 12
// §1-§2): each figure is measured on every replication on its own (one run is one sample), and
// its interval is the Student t interval of those replication values,
//   mean ± t(1 - (1 - confidence) / 2, n - 1) · s / √n,
// with s the sample standard deviation across the n replications. Requests inside one run are
// autocorrelated (queues), so resampling them understates the spread; independent replications
// do not (docs/check-and-diff.md, "Replications").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "results/assertions.h"
#include "results/reader.h"
#include "results/report.h"

namespace meshtwin::results {

// The spread of one figure across replications.
struct Interval {
  int n = 0;  // replications that measured it
  double mean = 0;
  double stddev = 0;  // sample standard deviation (n - 1); 0 when n < 2
  double lo = 0, hi = 0;  // the confidence interval of the mean; lo = hi = mean when n < 2
  double half_width = 0;
  double min = 0, max = 0;  // the per-replication spread
  bool has_interval() const { return n >= 2; }
};

// Student t interval of `values` at `confidence` (0.95: a 95 % interval). n = 0 gives n = 0.
Interval t_interval(const std::vector<double>& values, double confidence = 0.95);
// The t quantile t(p, df) (Boost.Math), for tests and docs.
double student_t_quantile(double p, double degrees_of_freedom);

// One figure of a batch report: its unit decides how it prints.
struct BatchFigure {
  std::string name;     // requests, qps, successRate, non5xxRate, mean, p50, p75, p90, p99, p99.9, share
  enum class Unit { Count, PerSecond, Fraction, Duration, Percent };
  Unit unit = Unit::Count;
  std::vector<double> values;  // per replication that measured it, in replication order
  Interval interval;
};

struct BatchDestination {
  std::string service, version;
  std::vector<BatchFigure> figures;  // requests, share, successRate, non5xxRate, p50, p90, p99
};

struct BatchReportData {
  std::string file;
  BatchRow batch;
  std::vector<RunRow> runs;  // the replications summarised (results only), in replication order
  double confidence = 0.95;
  std::vector<BatchFigure> clients;  // empty without request rows
  std::vector<BatchDestination> destinations;  // by service, then version
};

// Reads every run of the batch (compute_report each) and builds the intervals.
std::optional<BatchReportData> compute_batch_report(const Reader& reader, const BatchRow& batch,
                                                    const std::vector<RunRow>& runs, std::string* error,
                                                    double confidence = 0.95);
// Text: a header naming the batch and the method, then one line per figure:
// `FIGURE  MEAN ± HALF-WIDTH  [MIN .. MAX]  n`, clients first, then per destination.
std::string format_batch_report(const BatchReportData& data);
// report --format json for a batch, kind `report-batch` (docs/schemas/report-batch.v1.schema.json).
std::string format_batch_report_json(const BatchReportData& data);
// How a figure's value prints (durations rounded as elsewhere, fractions as percentages).
std::string figure_text(BatchFigure::Unit unit, double value);
std::string figure_delta_text(BatchFigure::Unit unit, double value);

// A sweep (`meshtwin sweep`, or the probes of `meshtwin capacity`) with every point's batch report.
struct SweepPointReport {
  SweepPoint point;
  std::optional<BatchReportData> data;  // nullopt: the point's batch has no finished replication
};
struct SweepReportData {
  std::string file;
  SweepRow sweep;
  std::vector<SweepPointReport> points;  // in point order
};
// nullopt and a sentence when a point's batch cannot be read.
std::optional<SweepReportData> compute_sweep_report(const Reader& reader, const SweepRow& sweep, std::string* error);
// compute_sweep_report of sweep `sweep_id` in the results file at `path` (Reader::open, sweep).
std::optional<SweepReportData> read_sweep_report(const std::string& path, std::int64_t sweep_id, std::string* error);
// `report FILE.db:sN`: a line naming the sweep, then per point its parameters and its batch
// report (format_batch_report).
std::string format_sweep_report(const SweepReportData& data);
// report FILE.db:sN --format json (and `sweep --format json`), kind `report-sweep`
// (docs/schemas/report-sweep.v1.schema.json): per point its parameters and its batch report.
std::string format_sweep_report_json(const SweepReportData& data);

// ---- check over a batch ----
// An assertion's condition over a batch: measured on each replication, then decided on the
// interval of the replication values: pass when the whole interval is on the good side of the
// bound, fail when it is wholly on the bad side, inconclusive otherwise (issue 12 §2). `==`
// and `!=` compare means only when the interval has no width (e.g. counts that never vary).
enum class Verdict { Pass, Fail, Inconclusive };
const char* to_string(Verdict v);
struct BatchCondition {
  Assertion::Condition condition;
  std::string expected_text;
  Interval interval;      // of the observed values (rates as fractions, durations in ns)
  std::vector<double> values;
  int unmeasured = 0;     // replications where nothing was selected
  Verdict verdict = Verdict::Inconclusive;
  std::string observed_text;  // "0.9952 ± 0.0010 [0.9931 .. 0.9970] n=8"
};
struct BatchAssertion {
  std::string name;
  std::string selection;
  std::string problem;  // from a replication where nothing was selected
  std::vector<BatchCondition> conditions;
};
// `per_run[i]` are the results of evaluate_assertions on replication i (same assertions, same
// order). `confidence` is the interval's level (check's sequential rule may raise it).
std::vector<BatchAssertion> decide_batch(const std::vector<std::vector<AssertionResult>>& per_run,
                                         double confidence);
Verdict decide(const Interval& interval, const std::string& op, double bound);
struct BatchCheckSummary {
  std::size_t conditions = 0, passed = 0, failed = 0, inconclusive = 0;
};
BatchCheckSummary summarize(const std::vector<BatchAssertion>& results);
std::string format_batch_assertion_table(const std::vector<BatchAssertion>& results, double confidence, int replications);
std::string format_batch_junit(const JUnitSuite& suite, const std::vector<BatchAssertion>& results,
                               double confidence, bool inconclusive_fails);
std::string format_batch_check_json(const CheckJsonHeader& header, const std::vector<BatchAssertion>& results,
                                    double confidence, int replications, const std::string& inconclusive_as);

}  // namespace meshtwin::results
