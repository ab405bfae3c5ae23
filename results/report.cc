#include "results/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "model/telemetry/outcome.h"
#include "model/telemetry/response_flags.h"
#include "results/percentiles.h"

namespace meshtwin::results {
namespace {

// Latencies print in ms with µs resolution: enough for sub-ms sidecar hops, still readable
// for multi-second timeouts.
std::string ms(double ns) { return fmt::format("{:.3f}", ns / 1e6); }
std::string ms(SimTime ns) { return ms(static_cast<double>(ns)); }

std::string seconds(SimTime ns) { return fmt::format("{:g}s", static_cast<double>(ns) / 1e9); }

double pct(std::uint64_t part, std::uint64_t whole) {
  return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

using telemetry::is_success;

std::int64_t as_int(const Value& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
  return 0;
}
std::string as_text(const Value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  return {};
}

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

// "UH:3,UO:1", most frequent first (ties in Envoy's order), at most `limit` codes.
std::string top_flags(const std::map<std::string, std::uint64_t>& counts, std::size_t limit) {
  std::vector<std::pair<std::string, std::uint64_t>> v(counts.begin(), counts.end());
  auto order = [](const std::string& code) {
    auto bits = telemetry::parse_response_flags(code);
    return bits ? *bits : ~0u;
  };
  std::sort(v.begin(), v.end(), [&](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return order(a.first) < order(b.first);
  });
  if (v.empty()) return "-";
  std::string out;
  for (std::size_t i = 0; i < v.size() && i < limit; ++i) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}:{}", v[i].first, v[i].second);
  }
  return out;
}

// Fortio's histogram lines over Istio's bucket boundaries: `>= min <= b1 , mid , cum %, n`,
// then `> b(i-1) <= b(i)`, with the last range closed at the max.
void histogram(std::string& out, const BucketCounts& buckets, SimTime min, SimTime max) {
  std::uint64_t total = 0;
  for (auto c : buckets) total += c;
  if (total == 0) return;
  out += "# range, mid point, percentile, count\n";
  std::uint64_t cum = 0;
  bool first = true;
  for (std::size_t b = 0; b < kDurationBuckets; ++b) {
    if (buckets[b] == 0) continue;
    cum += buckets[b];
    double lo = b == 0 ? 0.0 : static_cast<double>(kDurationBucketBoundsNs[b - 1]);
    double hi = b + 1 == kDurationBuckets ? static_cast<double>(max)
                                          : static_cast<double>(kDurationBucketBoundsNs[b]);
    if (first) lo = static_cast<double>(min);
    hi = std::min(hi, static_cast<double>(max));
    out += fmt::format("{} {} <= {} , {} , {:.2f}, {}\n", first ? ">=" : ">", ms(lo), ms(hi),
                       ms((lo + hi) / 2), pct(cum, total), buckets[b]);
    first = false;
  }
}

void code_lines(std::string& out, const std::map<std::int64_t, std::uint64_t>& codes,
                std::uint64_t total) {
  for (const auto& [code, n] : codes) {
    // Fortio: "Code %3d : %d (%.1f %%)".
    out += fmt::format("Code {:3d} : {} ({:.1f} %)\n", code, n, pct(n, total));
  }
}

std::string pad_table(const std::vector<std::vector<std::string>>& rows,
                      const std::vector<bool>& right_align) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()), 0);
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c) line += "  ";
      bool right = c < right_align.size() && right_align[c];
      line += right ? fmt::format("{:>{}}", row[c], width[c])
                    : (c + 1 == row.size() ? row[c] : fmt::format("{:<{}}", row[c], width[c]));
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

std::string format_report(const Reader& reader, std::int64_t run_id) {
  std::string out;
  auto info = reader.run(run_id);
  if (!info) return fmt::format("{} has no run {}\n", reader.path(), run_id);

  out += fmt::format("meshtwin report: {} run {}\n", reader.path(), run_id);
  out += fmt::format("Scenario {} : seed {} : duration {} : status {}\n", info->scenario,
                     info->seed, seconds(info->sim_duration), info->status);
  const bool finished = is_result(*info);
  if (finished) {
    out += fmt::format("Simulated until {} in {:.2f} s of wall time (meshtwin {})\n",
                       seconds(info->sim_end), info->wall_seconds, info->meshtwin_version);
  } else {
    // No end time was recorded: say so rather than print the placeholder 0.
    out += fmt::format("Simulated until: not recorded (meshtwin {})\n", info->meshtwin_version);
  }
  if (info->status == "interrupted") {
    out += "Interrupted: the run was stopped early; everything below covers only what was "
           "simulated until then.\n";
  } else if (!finished) {
    out += fmt::format("WARNING: {}. Below is only what was committed; it is not a result.\n",
                       not_a_result_reason(reader.path(), *info));
  }

  // ---- client requests ----
  DurationDigest digest(1u << 22);
  BucketCounts buckets{};
  std::map<std::int64_t, std::uint64_t> codes;
  std::uint64_t success = 0;
  // Streamed from the compact table: a run may hold 100M requests.
  reader.query_each("SELECT duration_ns, response_code FROM request_rows WHERE run_id = ?",
                    {Value{run_id}}, [&](const Row& r) {
                      SimTime d = as_int(r[0]);
                      std::int64_t code = as_int(r[1]);
                      digest.add(d);
                      ++buckets[duration_bucket(d)];
                      ++codes[code];
                      if (is_success(code)) ++success;
                      return true;
                    });
  std::uint64_t count = digest.count();
  out += "\n";
  if (count > 0) {
    // Arrivals ran for the scenario's duration, or until the run was stopped early.
    const SimTime arrivals = info->status == "complete"
                                 ? info->sim_duration
                                 : std::min(info->sim_duration, info->sim_end);
    double qps = arrivals > 0 ? static_cast<double>(count) / (static_cast<double>(arrivals) / 1e9)
                              : 0.0;
    out += fmt::format("Ended after {} : {} calls. qps={:.2f}\n", seconds(info->sim_end), count,
                       qps);
    out += "Client requests, latency in ms:\n";
    out += fmt::format("Count {} avg {} +/- {} min {} max {} sum {}\n", count,
                       ms(digest.mean()), ms(digest.stddev()), ms(digest.min()),
                       ms(digest.max()), ms(digest.sum()));
    histogram(out, buckets, digest.min(), digest.max());
    for (auto [label, q] : {std::pair{"50", 0.50}, std::pair{"75", 0.75}, std::pair{"90", 0.90},
                            std::pair{"99", 0.99}, std::pair{"99.9", 0.999}}) {
      out += fmt::format("# target {}% {}\n", label, ms(digest.percentile(q)));
    }
    out += fmt::format("Success (200-399) : {} ({:.1f} %)\n", success, pct(success, count));
    code_lines(out, codes, count);
  }

  // ---- per destination, from the source-reporter metrics ----
  std::string sql = "SELECT destination_service, destination_version, response_code, "
                    "response_flags, sum(requests)";
  for (auto col : kDurationBucketColumns) sql += fmt::format(", sum({})", col);
  sql += " FROM metrics WHERE run_id = ? AND reporter = 'source' GROUP BY 1, 2, 3, 4";
  auto metrics = reader.query(sql, {Value{run_id}});
  struct Group {
    std::uint64_t requests = 0, success = 0;
    BucketCounts buckets{};
    std::map<std::string, std::uint64_t> flags;
  };
  std::map<std::pair<std::string, std::string>, Group> groups;
  std::map<std::string, std::uint64_t> per_service;
  std::map<std::int64_t, std::uint64_t> hop_codes;
  std::uint64_t hops = 0;
  if (metrics) {
    for (const Row& r : *metrics) {
      Group& g = groups[{as_text(r[0]), as_text(r[1])}];
      std::int64_t code = as_int(r[2]);
      auto n = static_cast<std::uint64_t>(as_int(r[4]));
      g.requests += n;
      if (is_success(code)) g.success += n;
      for (std::size_t b = 0; b < kDurationBuckets; ++b) {
        g.buckets[b] += static_cast<std::uint64_t>(as_int(r[5 + b]));
      }
      add_flag_counts(g.flags, as_text(r[3]), n);
      per_service[as_text(r[0])] += n;
      hop_codes[code] += n;
      hops += n;
    }
  }
  if (count == 0) {
    // Only a finished run's missing rows mean record.requests was none; a run that stopped
    // early may simply have committed none.
    out += finished ? "No request rows recorded (record.requests: none); the codes below count "
                      "every hop (source-reporter metrics).\n"
                    : "No request rows were committed before the run stopped; the codes below "
                      "count the hops in the committed metrics.\n";
    code_lines(out, hop_codes, hops);
  }
  out += "\nBy destination (every request a sidecar or gateway sent, reporter=source; "
         "percentiles interpolated in Istio's buckets):\n";
  if (groups.empty()) {
    out += "no metrics recorded\n";
    return out;
  }
  std::vector<std::vector<std::string>> table;
  table.push_back({"service", "version", "requests", "share %", "success %", "p50 ms", "p90 ms",
                   "p99 ms", "flags"});
  for (const auto& [key, g] : groups) {
    table.push_back({key.first, key.second, std::to_string(g.requests),
                     fmt::format("{:.1f}", pct(g.requests, per_service[key.first])),
                     fmt::format("{:.2f}", pct(g.success, g.requests)),
                     ms(percentile_from_buckets(g.buckets, 0.50)),
                     ms(percentile_from_buckets(g.buckets, 0.90)),
                     ms(percentile_from_buckets(g.buckets, 0.99)), top_flags(g.flags, 3)});
  }
  out += pad_table(table, {false, false, true, true, true, true, true, true, false});
  return out;
}

}  // namespace meshtwin::results
