#include "results/row_time.h"
#include "results/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>

#include "model/telemetry/outcome.h"
#include "model/telemetry/response_flags.h"
#include "results/percentiles.h"
#include "results/text.h"

namespace meshtwin::results {
namespace {

// Fortio prints latencies in seconds with %g (6 significant digits); the lines shaped like
// Fortio's do the same so that people and scripts used to Fortio read them unchanged.
std::string fsec(double ns) { return fmt::format("{:g}", ns / 1e9); }



double pct(std::uint64_t part, std::uint64_t whole) {
  return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

using telemetry::is_non5xx;
using telemetry::is_success;


void add_flag_counts(std::map<std::string, std::uint64_t>& out, const std::string& flags,
                     std::uint64_t n) {
  if (flags == "-" || flags.empty()) return;
  std::size_t start = 0;
  while (start <= flags.size()) {
    std::size_t comma = flags.find(',', start);
    std::string code = flags.substr(start, comma == std::string::npos ? std::string::npos
                                                                      : comma - start);
    out[code] += n;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
}

// Flag counts, most frequent first (ties in Envoy's order).
std::vector<std::pair<std::string, std::uint64_t>> sorted_flags(const std::map<std::string, std::uint64_t>& counts) {
  std::vector<std::pair<std::string, std::uint64_t>> v(counts.begin(), counts.end());
  auto order = [](const std::string& code) {
    auto bits = telemetry::parse_response_flags(code);
    return bits ? *bits : ~0u;
  };
  std::sort(v.begin(), v.end(), [&](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return order(a.first) < order(b.first);
  });
  return v;
}

// "UH:3,UO:1", at most `limit` codes.
std::string top_flags(const std::vector<std::pair<std::string, std::uint64_t>>& v, std::size_t limit) {
  if (v.empty()) return "-";
  std::string out;
  for (std::size_t i = 0; i < v.size() && i < limit; ++i) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}:{}", v[i].first, v[i].second);
  }
  return out;
}

// Istio's bucket boundaries with counts, Fortio's way: the first range starts at the min and
// the last ends at the max; the percent column is cumulative.
std::vector<ReportBucket> histogram(const BucketCounts& buckets, std::int64_t min, std::int64_t max) {
  std::vector<ReportBucket> out;
  std::uint64_t total = 0;
  for (auto c : buckets) total += c;
  if (total == 0) return out;
  std::uint64_t cum = 0;
  for (std::size_t b = 0; b < kDurationBuckets; ++b) {
    if (buckets[b] == 0) continue;
    cum += buckets[b];
    std::int64_t lo = b == 0 ? 0 : kDurationBucketBoundsNs[b - 1];
    std::int64_t hi = b + 1 == kDurationBuckets ? max : kDurationBucketBoundsNs[b];
    if (out.empty()) lo = min;
    hi = std::min(hi, max);
    out.push_back({lo, hi, buckets[b], pct(cum, total)});
  }
  return out;
}

void code_lines(std::string& out, const std::map<std::int64_t, std::uint64_t>& codes,
                std::uint64_t total) {
  for (const auto& [code, n] : codes) {
    // Fortio: "Code %3d : %d (%.1f %%)".
    out += fmt::format("Code {:3d} : {} ({:.1f} %)\n", code, n, pct(n, total));
  }
}

std::string rate_line(const char* label, std::uint64_t part, std::uint64_t whole) {
  return fmt::format("{} : {} ({:.1f} %)\n", label, part, pct(part, whole));
}


}  // namespace

std::optional<ReportData> compute_report(const Reader& reader, std::int64_t run_id, std::string* error) {
  auto info = reader.run(run_id);
  if (!info) {
    if (error) *error = fmt::format("{} has no run {}", reader.path(), run_id);
    return std::nullopt;
  }
  ReportData data;
  data.file = reader.path();
  data.run_id = run_id;
  data.run = *info;

  // ---- client requests ----
  DurationDigest digest(1u << 22);
  BucketCounts buckets{};
  ReportClients c;
  // Streamed from the compact table: a run may hold 100M requests.
  // spec.warmup: requests that start before it, and metrics windows that start before it, are
  // left out (0: everything).
  const Value warmup{static_cast<std::int64_t>(info->warmup)};
  reader.query_each("SELECT duration_ns, response_code FROM request_rows WHERE run_id = ? AND start_ns >= ?",
                    {Value{run_id}, warmup},
                    [&](const Row& r) {
                      std::int64_t d = as_int(r[0]);
                      std::int64_t code = as_int(r[1]);
                      digest.add(d);
                      ++buckets[duration_bucket(engine::SimDuration::from_ns(d))];
                      ++c.codes[code];
                      if (is_success(code)) ++c.success;
                      if (is_non5xx(code)) ++c.non5xx;
                      return true;
                    });
  if (digest.count() > 0) {
    c.count = digest.count();
    c.min = digest.min();
    c.max = digest.max();
    c.mean = digest.mean();
    c.stddev = digest.stddev();
    c.sum = digest.sum();
    c.exact = digest.exact();
    c.histogram = histogram(buckets, c.min, c.max);
    for (double q : {50.0, 75.0, 90.0, 99.0, 99.9}) c.percentiles.push_back({q, digest.percentile(q / 100.0)});
    if (auto n = reader.query("SELECT count(DISTINCT client) FROM request_rows WHERE run_id = ? AND start_ns >= ?",
                              {Value{run_id}, warmup});
        n && !n->empty())
      c.clients = static_cast<std::uint64_t>(as_int((*n)[0][0]));
    data.clients = std::move(c);
  }

  // ---- per destination, from the source-reporter metrics ----
  std::string sql = "SELECT destination_service, destination_version, response_code, "
                    "response_flags, sum(requests)";
  for (auto col : kDurationBucketColumns) sql += fmt::format(", sum({})", col);
  sql += " FROM metrics WHERE run_id = ? AND reporter = 'source' AND window_start_ns >= ? GROUP BY 1, 2, 3, 4";
  auto metrics = reader.query(sql, {Value{run_id}, warmup});
  struct Group {
    std::uint64_t requests = 0, success = 0, non5xx = 0;
    BucketCounts buckets{};
    std::map<std::string, std::uint64_t> flags;
  };
  std::map<std::pair<std::string, std::string>, Group> groups;
  std::map<std::string, std::uint64_t> per_service;
  if (metrics) {
    for (const Row& r : *metrics) {
      Group& g = groups[{as_text(r[0]), as_text(r[1])}];
      std::int64_t code = as_int(r[2]);
      auto n = static_cast<std::uint64_t>(as_int(r[4]));
      g.requests += n;
      if (is_success(code)) g.success += n;
      if (is_non5xx(code)) g.non5xx += n;
      for (std::size_t b = 0; b < kDurationBuckets; ++b) g.buckets[b] += static_cast<std::uint64_t>(as_int(r[5 + b]));
      add_flag_counts(g.flags, as_text(r[3]), n);
      per_service[as_text(r[0])] += n;
      data.hop_codes[code] += n;
      data.hops += n;
    }
  }
  for (const auto& [key, g] : groups) {
    ReportDestination d;
    d.service = key.first;
    d.version = key.second;
    d.requests = g.requests;
    d.success = g.success;
    d.non5xx = g.non5xx;
    d.share_percent = pct(g.requests, per_service[key.first]);
    d.p50 = percentile_from_buckets(g.buckets, 0.50);
    d.p90 = percentile_from_buckets(g.buckets, 0.90);
    d.p99 = percentile_from_buckets(g.buckets, 0.99);
    d.flags = sorted_flags(g.flags);
    data.destinations.push_back(std::move(d));
  }

  // ---- proxy CPU (docs/semantics.md §19.5): one event per proxy at the end of the run ----
  for (const EventRow& e : reader.events(run_id)) {
    if (e.kind != "proxy_cpu") continue;
    ReportProxyCpu p;
    p.proxy = e.subject;
    long long workers = 0, jobs = 0;
    if (std::sscanf(e.detail.c_str(), "utilisation=%lf workers=%lld busy_ms=%lf jobs=%lld mean_wait_us=%lf max_wait_us=%lf",
                    &p.utilisation, &workers, &p.busy_ms, &jobs, &p.mean_wait_us, &p.max_wait_us) != 6)
      continue;
    p.workers = workers;
    p.jobs = jobs;
    data.proxy_cpu.push_back(std::move(p));
  }
  std::stable_sort(data.proxy_cpu.begin(), data.proxy_cpu.end(),
                   [](const ReportProxyCpu& a, const ReportProxyCpu& b) { return a.utilisation > b.utilisation; });
  return data;
}

std::string format_report(const ReportData& data) {
  std::string out;
  const RunRow& info = data.run;
  out += fmt::format("meshtwin report: {} run {}\n", data.file, data.run_id);
  out += fmt::format("Scenario {} : seed {} : duration {} : status {}\n", info.scenario, info.seed,
                     human_ns(info.sim_duration), info.status);
  const bool finished = is_result(info);
  if (finished) {
    out += fmt::format("Simulated until {} in {:.2f} s of wall time (meshtwin {})\n", human_ns(info.sim_end),
                       info.wall_seconds, info.meshtwin_version);
  } else {
    // No end time was recorded: say so rather than print the placeholder 0.
    out += fmt::format("Simulated until: not recorded (meshtwin {})\n", info.meshtwin_version);
  }
  if (info.warmup > 0) {
    out += fmt::format("Warm-up {} left out: requests and metrics windows that start before it are not counted\n",
                       human_ns(info.warmup));
  }
  if (info.status == "interrupted") {
    out += "Interrupted: the run was stopped early; everything below covers only what was "
           "simulated until then.\n";
  } else if (!finished) {
    out += fmt::format("WARNING: {}. Below is only what was committed; it is not a result.\n",
                       not_a_result_reason(data.file, info));
  }

  out += "\n";
  if (data.clients) {
    const ReportClients& c = *data.clients;
    const std::int64_t arrivals = arrival_window(info);
    const double qps = arrivals > 0 ? static_cast<double>(c.count) / engine::to_seconds(engine::SimDuration::from_ns(arrivals)) : 0.0;
    out += fmt::format("Ended after {} : {} calls. qps={:.2f}\n", human_ns(info.sim_end), c.count, qps);
    out += "Client requests, latency in seconds (as Fortio prints it):\n";
    // Fortio: "%s : count %d avg %.8g +/- %.4g min %g max %g sum %.9g".
    out += fmt::format("Aggregated Function Time : count {} avg {:.8g} +/- {:.4g} min {:g} max {:g} sum {:.9g}\n",
                       c.count, c.mean / 1e9, c.stddev / 1e9, engine::to_seconds(engine::SimDuration::from_ns(c.min)), engine::to_seconds(engine::SimDuration::from_ns(c.max)),
                       c.sum / 1e9);
    if (!c.histogram.empty()) out += "# range, mid point, percentile, count\n";
    bool first = true;
    for (const ReportBucket& b : c.histogram) {
      const double lo = static_cast<double>(b.start), hi = static_cast<double>(b.end);
      out += fmt::format("{} {} <= {} , {} , {:.2f}, {}\n", first ? ">=" : ">", fsec(lo), fsec(hi), fsec((lo + hi) / 2),
                         b.cumulative_percent, b.count);
      first = false;
    }
    for (const ReportPercentile& p : c.percentiles)
      out += fmt::format("# target {:g}% {}\n", p.percentile, fsec(static_cast<double>(p.value)));
    out += rate_line("Success (2xx-3xx; resets and other code 0 fail)", c.success, c.count);
    out += rate_line("Non-5xx (code 1-499, Istio dashboards' success rate; code 0 fails)", c.non5xx, c.count);
    code_lines(out, c.codes, c.count);
    // Fortio: "All done %d calls (plus %d warmup) %.3f ms avg, %.1f qps".
    out += fmt::format("All done {} calls (plus 0 warmup) {:.3f} ms avg, {:.1f} qps\n", c.count, c.mean / 1e6, qps);
  } else {
    // Only a finished run's missing rows mean record.requests was none; a run that stopped
    // early may simply have committed none.
    out += finished ? "No request rows recorded (record.requests: none); the codes below count "
                      "every hop (source-reporter metrics).\n"
                    : "No request rows were committed before the run stopped; the codes below "
                      "count the hops in the committed metrics.\n";
    code_lines(out, data.hop_codes, data.hops);
  }

  out += "\nBy destination (every request a sidecar or gateway sent, reporter=source; "
         "percentiles interpolated in Istio's buckets):\n";
  if (data.destinations.empty()) {
    out += "no metrics recorded\n";
    return out;
  }
  std::vector<std::vector<std::string>> table;
  table.push_back({"service", "version", "requests", "share %", "2xx-3xx %", "non-5xx %", "p50", "p90", "p99", "flags"});
  for (const ReportDestination& d : data.destinations) {
    table.push_back({d.service, d.version, std::to_string(d.requests), fmt::format("{:.1f}", d.share_percent),
                     fmt::format("{:.2f}", pct(d.success, d.requests)), fmt::format("{:.2f}", pct(d.non5xx, d.requests)),
                     human_ns(d.p50), human_ns(d.p90), human_ns(d.p99), top_flags(d.flags, 3)});
  }
  out += pad_table(table, {false, false, true, true, true, true, true, true, true, false});
  out += std::string("2xx-3xx % is ") + kSuccessRateDefinition + ".\nnon-5xx % is " + kNon5xxRateDefinition + ".\n";
  if (!data.proxy_cpu.empty()) {
    // The busiest proxies first; a mesh of thousands lists the top ones and counts the rest.
    constexpr std::size_t kShown = 20;
    out += "\nProxy CPU (time-weighted busy share of each proxy's worker threads over the run; "
           "wait = queueing for a worker):\n";
    std::vector<std::vector<std::string>> cpu;
    cpu.push_back({"proxy", "workers", "busy %", "cpu time", "work items", "mean wait", "max wait"});
    for (std::size_t i = 0; i < data.proxy_cpu.size() && i < kShown; ++i) {
      const ReportProxyCpu& p = data.proxy_cpu[i];
      cpu.push_back({p.proxy, std::to_string(p.workers), fmt::format("{:.1f}", p.utilisation * 100),
                     human_ns(static_cast<std::int64_t>(p.busy_ms * 1e6)), std::to_string(p.jobs),
                     human_ns(static_cast<std::int64_t>(p.mean_wait_us * 1e3)),
                     human_ns(static_cast<std::int64_t>(p.max_wait_us * 1e3))});
    }
    out += pad_table(cpu, {false, true, true, true, true, true, true});
    if (data.proxy_cpu.size() > kShown) out += fmt::format("... and {} more proxies\n", data.proxy_cpu.size() - kShown);
  }
  return out;
}

std::string format_report(const Reader& reader, std::int64_t run_id) {
  std::string error;
  auto data = compute_report(reader, run_id, &error);
  return data ? format_report(*data) : error + "\n";
}

std::string pad_table(const std::vector<std::vector<std::string>>& rows,
                      const std::vector<bool>& right_align) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()), 0);
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], display_columns(row[c]));
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c) line += "  ";
      bool right = c < right_align.size() && right_align[c];
      line += right ? pad_columns(row[c], width[c], true) : (c + 1 == row.size() ? row[c] : pad_columns(row[c], width[c]));
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace meshtwin::results
