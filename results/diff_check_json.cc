// `diff --format json` and `check --format json` (docs/schemas/diff.v1.schema.json,
// docs/schemas/check.v1.schema.json). nlohmann/json stays in this file.
#include <nlohmann/json.hpp>

#include "results/assertions.h"
#include "results/diff.h"
#include "results/report.h"

namespace meshtwin::results {
namespace {

using nlohmann::ordered_json;

ordered_json optional_number(const std::optional<double>& v) { return v ? ordered_json(*v) : ordered_json(nullptr); }

const char* level_name(AssertionLevel l) { return l == AssertionLevel::Requests ? "requests" : "hops"; }

}  // namespace

std::string format_diff_json(const DiffReport& r, const std::vector<Threshold>& thresholds, const std::vector<Trip>* trips) {
  ordered_json j;
  j["schemaVersion"] = 1;
  j["kind"] = "diff";
  j["base"] = r.base_label;
  j["candidate"] = r.candidate_label;
  j["method"] = r.method == DiffReport::Method::Replications ? "replications" : "bootstrap";
  j["replicationPairs"] = r.method == DiffReport::Method::Replications ? ordered_json(r.pairs) : ordered_json(nullptr);
  j["confidence"] = r.options.confidence;
  j["resamples"] = r.options.resamples;
  j["definitions"] = {{"successRate", kSuccessRateDefinition}, {"non5xxRate", kNon5xxRateDefinition}};
  j["notes"] = r.notes;
  ordered_json groups = ordered_json::array();
  for (const auto& g : r.groups) {
    ordered_json gj;
    gj["kind"] = g.key.kind == DiffKey::Kind::Client ? "client" : "edge";
    gj["label"] = g.key.label();
    if (g.key.kind == DiffKey::Kind::Client) {
      gj["client"] = g.key.client;
    } else {
      gj["source"] = g.key.source;
      gj["service"] = g.key.service;
      gj["version"] = g.key.version;
    }
    gj["baseCount"] = g.base_n;
    gj["candidateCount"] = g.candidate_n;
    ordered_json metrics = ordered_json::array();
    for (const auto& m : g.metrics) {
      // Units: fractions for the rates, nanoseconds for p50/p90/p99, counts otherwise.
      ordered_json mj;
      mj["metric"] = m.metric;
      mj["base"] = m.base;
      mj["candidate"] = m.candidate;
      mj["delta"] = m.delta;
      mj["lo"] = optional_number(m.lo);
      mj["hi"] = optional_number(m.hi);
      mj["comparable"] = m.comparable;
      metrics.push_back(std::move(mj));
    }
    gj["metrics"] = std::move(metrics);
    groups.push_back(std::move(gj));
  }
  j["groups"] = std::move(groups);
  ordered_json th = ordered_json::array();
  for (const auto& t : thresholds) th.push_back(t.text);
  j["thresholds"] = std::move(th);
  if (trips) {
    ordered_json tj = ordered_json::array();
    for (const auto& t : *trips) tj.push_back({{"threshold", t.threshold}, {"group", t.group}, {"observed", t.observed}});
    j["tripped"] = std::move(tj);
  } else {
    j["tripped"] = ordered_json::array();
  }
  return j.dump(2) + "\n";
}

std::string format_check_json(const CheckJsonHeader& header, const std::vector<AssertionResult>& results) {
  ordered_json j;
  j["schemaVersion"] = 1;
  j["kind"] = "check";
  j["scenario"] = header.scenario;
  j["name"] = header.name;
  j["seed"] = header.seed;
  j["clientRequests"] = header.client_requests;
  j["simEndNs"] = header.sim_end;
  j["results"] = header.results.empty() ? ordered_json(nullptr) : ordered_json(header.results);
  j["definitions"] = {{"successRate", kSuccessRateDefinition}, {"non5xxRate", kNon5xxRateDefinition}};
  const CheckSummary summary = summarize(results);
  j["summary"] = {{"conditions", summary.conditions}, {"failed", summary.failed}, {"pass", summary.failed == 0}};
  ordered_json as = ordered_json::array();
  for (const auto& a : results) {
    ordered_json aj;
    aj["name"] = a.name;
    aj["level"] = level_name(a.level);
    aj["selection"] = a.selection;
    aj["selected"] = a.selected;
    aj["problem"] = a.problem;
    aj["pass"] = a.pass();
    ordered_json cs = ordered_json::array();
    for (const auto& c : a.conditions) {
      ordered_json cj;
      cj["metric"] = c.condition.metric;
      cj["op"] = c.condition.op;
      cj["value"] = c.condition.value;
      cj["expected"] = c.expected_text;
      cj["observed"] = optional_number(c.observed);
      cj["observedText"] = c.observed_text;
      cj["pass"] = c.pass;
      cs.push_back(std::move(cj));
    }
    aj["conditions"] = std::move(cs);
    as.push_back(std::move(aj));
  }
  j["assertions"] = std::move(as);
  return j.dump(2) + "\n";
}

}  // namespace meshtwin::results
