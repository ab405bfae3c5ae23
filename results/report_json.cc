// report's two JSON outputs (results/report.h). nlohmann/json stays in this file.
#include <fmt/format.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "results/row_time.h"
#include "results/report.h"

namespace meshtwin::results {
namespace {

using nlohmann::ordered_json;

double fraction(std::uint64_t part, std::uint64_t whole) {
  return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

// A rate with its counts and definition, so a reader never has to guess which one it is.
ordered_json rate(std::uint64_t part, std::uint64_t whole, const char* definition) {
  ordered_json r;
  r["value"] = fraction(part, whole);
  r["count"] = part;
  r["of"] = whole;
  r["definition"] = definition;
  return r;
}

ordered_json codes_json(const std::map<std::int64_t, std::uint64_t>& codes, std::uint64_t total) {
  ordered_json out = ordered_json::array();
  for (const auto& [code, n] : codes) {
    ordered_json c;
    c["code"] = code;
    c["count"] = n;
    c["percent"] = 100.0 * fraction(n, total);
    out.push_back(std::move(c));
  }
  return out;
}

double seconds(double ns) { return ns / 1e9; }

}  // namespace

std::string format_report_json(const ReportData& data) {
  ordered_json j;
  j["schemaVersion"] = 1;
  j["kind"] = "report";
  ordered_json run;
  run["file"] = data.file;
  run["runId"] = data.run_id;
  run["scenario"] = data.run.scenario;
  run["seed"] = data.run.seed;
  run["simDurationNs"] = data.run.sim_duration;
  run["simEndNs"] = data.run.sim_end;
  run["status"] = data.run.status;
  run["wallSeconds"] = data.run.wall_seconds;
  run["meshtwinVersion"] = data.run.meshtwin_version;
  j["run"] = std::move(run);
  j["definitions"] = {{"successRate", kSuccessRateDefinition}, {"non5xxRate", kNon5xxRateDefinition}};

  if (data.clients) {
    const ReportClients& c = *data.clients;
    ordered_json cj;
    cj["count"] = c.count;
    cj["clients"] = c.clients;
    const std::int64_t arrivals = arrival_window(data.run);
    cj["qps"] = arrivals > 0 ? static_cast<double>(c.count) / engine::to_seconds(engine::SimDuration::from_ns(arrivals)) : 0.0;
    cj["successRate"] = rate(c.success, c.count, kSuccessRateDefinition);
    cj["non5xxRate"] = rate(c.non5xx, c.count, kNon5xxRateDefinition);
    ordered_json lat;
    lat["minNs"] = c.min;
    lat["maxNs"] = c.max;
    lat["meanNs"] = c.mean;
    lat["stddevNs"] = c.stddev;
    lat["sumNs"] = c.sum;
    lat["percentilesExact"] = c.exact;
    ordered_json ps = ordered_json::array();
    for (const auto& p : c.percentiles) ps.push_back({{"percentile", p.percentile}, {"valueNs", p.value}});
    lat["percentiles"] = std::move(ps);
    ordered_json hist = ordered_json::array();
    for (const auto& b : c.histogram)
      hist.push_back({{"startNs", b.start}, {"endNs", b.end}, {"count", b.count}, {"cumulativePercent", b.cumulative_percent}});
    lat["histogram"] = std::move(hist);
    cj["latency"] = std::move(lat);
    cj["codes"] = codes_json(c.codes, c.count);
    j["clientRequests"] = std::move(cj);
  } else {
    j["clientRequests"] = nullptr;
  }
  ordered_json hops;
  hops["count"] = data.hops;
  hops["codes"] = codes_json(data.hop_codes, data.hops);
  j["hops"] = std::move(hops);

  ordered_json dests = ordered_json::array();
  for (const auto& d : data.destinations) {
    ordered_json dj;
    dj["service"] = d.service;
    dj["version"] = d.version;
    dj["requests"] = d.requests;
    dj["sharePercent"] = d.share_percent;
    dj["successRate"] = rate(d.success, d.requests, kSuccessRateDefinition);
    dj["non5xxRate"] = rate(d.non5xx, d.requests, kNon5xxRateDefinition);
    dj["p50Ns"] = d.p50;
    dj["p90Ns"] = d.p90;
    dj["p99Ns"] = d.p99;
    ordered_json flags = ordered_json::object();
    for (const auto& [flag, n] : d.flags) flags[flag] = n;
    dj["flags"] = std::move(flags);
    dests.push_back(std::move(dj));
  }
  j["destinations"] = std::move(dests);
  ordered_json cpu = ordered_json::array();
  for (const auto& p : data.proxy_cpu) {
    ordered_json pj;
    pj["proxy"] = p.proxy;
    pj["workers"] = p.workers;
    pj["utilisation"] = p.utilisation;
    pj["busyMs"] = p.busy_ms;
    pj["workItems"] = p.jobs;
    pj["meanWaitUs"] = p.mean_wait_us;
    pj["maxWaitUs"] = p.max_wait_us;
    cpu.push_back(std::move(pj));
  }
  j["proxyCpu"] = std::move(cpu);
  return j.dump(2) + "\n";
}

std::optional<std::string> format_fortio_json(const ReportData& data, std::string* error) {
  if (!data.clients) {
    if (error)
      *error = fmt::format("{} run {} has no client request rows (record.requests: none): Fortio's result is a "
                           "histogram of client calls; record requests, or use --format json",
                           data.file, data.run_id);
    return std::nullopt;
  }
  const ReportClients& c = *data.clients;
  const RunRow& run = data.run;
  // Field order and types as Fortio writes them (fhttp.HTTPRunnerResults embedding
  // periodic.RunnerResults); latencies in seconds, ActualDuration in integer nanoseconds.
  ordered_json j;
  j["RunType"] = "HTTP";
  j["Labels"] = fmt::format("meshtwin {} seed {} run {}", run.scenario, run.seed, data.run_id);
  // meshtwin keeps no wall-clock start (the same scenario and seed give the same file), so
  // the simulation's time zero is written as the Unix epoch.
  j["StartTime"] = "1970-01-01T00:00:00Z";
  // Fortio's requested rate is a string ("8", or "max"); meshtwin's clients are open-loop, so
  // the rate they offered over spec.duration is what was requested.
  const std::int64_t arrivals = arrival_window(run);
  const double offered = arrivals > 0 ? static_cast<double>(c.count) / engine::to_seconds(engine::SimDuration::from_ns(arrivals)) : 0.0;
  j["RequestedQPS"] = fmt::format("{:g}", offered);
  j["RequestedDuration"] = format_ns(run.sim_duration);
  const std::int64_t actual = std::max(run.sim_end, run.sim_duration);
  j["ActualQPS"] = actual > 0 ? static_cast<double>(c.count) / engine::to_seconds(engine::SimDuration::from_ns(actual)) : 0.0;
  j["ActualDuration"] = actual;
  j["NumThreads"] = c.clients;
  j["Version"] = "meshtwin " + run.meshtwin_version;
  ordered_json h;
  h["Count"] = c.count;
  h["Min"] = engine::to_seconds(engine::SimDuration::from_ns(c.min));
  h["Max"] = engine::to_seconds(engine::SimDuration::from_ns(c.max));
  h["Sum"] = seconds(c.sum);
  h["Avg"] = seconds(c.mean);
  h["StdDev"] = seconds(c.stddev);
  ordered_json buckets = ordered_json::array();
  for (const auto& b : c.histogram) {
    ordered_json bj;
    bj["Start"] = engine::to_seconds(engine::SimDuration::from_ns(b.start));
    bj["End"] = engine::to_seconds(engine::SimDuration::from_ns(b.end));
    bj["Percent"] = b.cumulative_percent;
    bj["Count"] = b.count;
    buckets.push_back(std::move(bj));
  }
  h["Data"] = std::move(buckets);
  ordered_json ps = ordered_json::array();
  for (const auto& p : c.percentiles) {
    ordered_json pj;
    pj["Percentile"] = p.percentile;
    pj["Value"] = engine::to_seconds(engine::SimDuration::from_ns(p.value));
    ps.push_back(std::move(pj));
  }
  h["Percentiles"] = std::move(ps);
  j["DurationHistogram"] = std::move(h);
  j["Exactly"] = 0;
  // Fortio's RetCodes are keyed by HTTP status; a call without a response is -1 (Fortio's
  // socket-error code), which is what meshtwin's code 0 means.
  ordered_json codes = ordered_json::object();
  for (const auto& [code, n] : c.codes) codes[std::to_string(code == 0 ? -1 : code)] = n;
  j["RetCodes"] = std::move(codes);
  j["URL"] = "meshtwin://" + run.scenario;
  j["SocketCount"] = c.clients;
  j["AbortOn"] = 0;
  return j.dump(2) + "\n";
}

}  // namespace meshtwin::results
