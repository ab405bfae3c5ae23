// The batch shapes of report and check --format json (docs/schemas/report-batch.v1.schema.json,
// docs/schemas/check-batch.v1.schema.json). nlohmann/json stays in this file.
#include <nlohmann/json.hpp>

#include "results/batch.h"

namespace meshtwin::results {
namespace {

using nlohmann::ordered_json;

const char* unit_name(BatchFigure::Unit u) {
  switch (u) {
    case BatchFigure::Unit::Count: return "count";
    case BatchFigure::Unit::PerSecond: return "perSecond";
    case BatchFigure::Unit::Fraction: return "fraction";
    case BatchFigure::Unit::Percent: return "percent";
    case BatchFigure::Unit::Duration: return "ns";
  }
  return "count";
}

// An interval: null bounds when fewer than two replications measured the figure.
ordered_json interval_json(const Interval& i, const std::vector<double>& values) {
  ordered_json j;
  j["n"] = i.n;
  j["mean"] = i.mean;
  j["lo"] = i.has_interval() ? ordered_json(i.lo) : ordered_json(nullptr);
  j["hi"] = i.has_interval() ? ordered_json(i.hi) : ordered_json(nullptr);
  j["halfWidth"] = i.has_interval() ? ordered_json(i.half_width) : ordered_json(nullptr);
  j["stddev"] = i.stddev;
  j["min"] = i.min;
  j["max"] = i.max;
  j["values"] = values;
  return j;
}

ordered_json figures_json(const std::vector<BatchFigure>& figures) {
  ordered_json out = ordered_json::array();
  for (const auto& f : figures) {
    ordered_json j = interval_json(f.interval, f.values);
    j["figure"] = f.name;
    j["unit"] = unit_name(f.unit);
    out.push_back(std::move(j));
  }
  return out;
}

ordered_json batch_json(const BatchRow& b, const std::vector<RunRow>& runs) {
  ordered_json j;
  j["batchId"] = b.batch_id;
  j["scenario"] = b.scenario;
  j["seed"] = b.seed;
  j["replications"] = b.replications;
  j["warmupNs"] = b.warmup;
  j["status"] = b.status;
  j["wallSeconds"] = b.wall_seconds;
  j["meshtwinVersion"] = b.meshtwin_version;
  ordered_json ids = ordered_json::array();
  for (const auto& r : runs) ids.push_back(r.run_id);
  j["runIds"] = std::move(ids);
  return j;
}

constexpr const char* kMethod = "student-t on replication values";

}  // namespace

namespace {

// The figures of a batch report: its clients and destinations, under `j`.
void put_figures(ordered_json& j, const BatchReportData& data) {
  j["clients"] = figures_json(data.clients);
  ordered_json ds = ordered_json::array();
  for (const auto& d : data.destinations) {
    ordered_json dj;
    dj["service"] = d.service;
    dj["version"] = d.version;
    dj["figures"] = figures_json(d.figures);
    ds.push_back(std::move(dj));
  }
  j["destinations"] = std::move(ds);
}

}  // namespace

std::string format_batch_report_json(const BatchReportData& data) {
  ordered_json j;
  j["schemaVersion"] = 1;
  j["kind"] = "report-batch";
  j["file"] = data.file;
  j["batch"] = batch_json(data.batch, data.runs);
  j["confidence"] = data.confidence;
  j["method"] = kMethod;
  j["definitions"] = {{"successRate", kSuccessRateDefinition}, {"non5xxRate", kNon5xxRateDefinition}};
  put_figures(j, data);
  return j.dump(2) + "\n";
}

std::string format_sweep_report_json(const SweepReportData& data) {
  ordered_json j;
  j["schemaVersion"] = 1;
  j["kind"] = "report-sweep";
  j["file"] = data.file;
  const SweepRow& s = data.sweep;
  j["sweep"] = {{"sweepId", s.sweep_id},
                {"scenario", s.scenario},
                {"grid", s.grid},
                {"points", s.points},
                {"status", s.status}};
  // Every point's intervals are at the batch report's confidence (95 %).
  j["confidence"] = data.points.empty() || !data.points.front().data ? 0.95 : data.points.front().data->confidence;
  j["method"] = kMethod;
  j["definitions"] = {{"successRate", kSuccessRateDefinition}, {"non5xxRate", kNon5xxRateDefinition}};
  ordered_json points = ordered_json::array();
  for (const SweepPointReport& p : data.points) {
    ordered_json pj;
    pj["point"] = p.point.point;
    ordered_json parameters = ordered_json::array();
    for (const auto& [path, value] : p.point.parameters) parameters.push_back({{"path", path}, {"value", value}});
    pj["parameters"] = std::move(parameters);
    pj["batchId"] = p.point.batch_id;
    if (p.data) {
      pj["batch"] = batch_json(p.data->batch, p.data->runs);
      put_figures(pj, *p.data);
    } else {
      pj["batch"] = nullptr;  // no finished replication
      pj["clients"] = ordered_json::array();
      pj["destinations"] = ordered_json::array();
    }
    points.push_back(std::move(pj));
  }
  j["points"] = std::move(points);
  return j.dump(2) + "\n";
}

std::string format_batch_check_json(const CheckJsonHeader& header, const std::vector<BatchAssertion>& results,
                                    double confidence, int replications, const std::string& inconclusive_as) {
  ordered_json j;
  j["schemaVersion"] = 1;
  j["kind"] = "check-batch";
  j["scenario"] = header.scenario;
  j["name"] = header.name;
  j["seed"] = header.seed;
  j["replications"] = replications;
  j["confidence"] = confidence;
  j["method"] = kMethod;
  j["inconclusiveAs"] = inconclusive_as;
  j["results"] = header.results.empty() ? ordered_json(nullptr) : ordered_json(header.results);
  j["definitions"] = {{"successRate", kSuccessRateDefinition}, {"non5xxRate", kNon5xxRateDefinition}};
  const BatchCheckSummary s = summarize(results);
  j["summary"] = {{"conditions", s.conditions},
                  {"passed", s.passed},
                  {"failed", s.failed},
                  {"inconclusive", s.inconclusive}};
  ordered_json as = ordered_json::array();
  for (const auto& a : results) {
    ordered_json aj;
    aj["name"] = a.name;
    aj["selection"] = a.selection;
    aj["problem"] = a.problem;
    ordered_json cs = ordered_json::array();
    for (const auto& c : a.conditions) {
      ordered_json cj;
      cj["metric"] = c.condition.metric;
      cj["op"] = c.condition.op;
      cj["value"] = c.condition.value;
      cj["expected"] = c.expected_text;
      cj["observed"] = interval_json(c.interval, c.values);
      cj["unmeasured"] = c.unmeasured;
      cj["observedText"] = c.observed_text;
      cj["verdict"] = to_string(c.verdict);
      cs.push_back(std::move(cj));
    }
    aj["conditions"] = std::move(cs);
    as.push_back(std::move(aj));
  }
  j["assertions"] = std::move(as);
  return j.dump(2) + "\n";
}

}  // namespace meshtwin::results
