#include "results/export_query_range.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <vector>

#include "results/percentiles.h"
#include "results/reader.h"

namespace meshtwin::results {
namespace {

// Istio's labels calibrate reads (docs/calibrate.md); the rest of the standard set is in
// `--openmetrics`.
constexpr std::size_t kLabels = 9;
constexpr std::array<std::string_view, kLabels> kLabelNames = {
    "reporter", "source_workload", "destination_workload", "destination_service", "destination_version",
    "response_code", "response_flags", "source_workload_namespace", "destination_workload_namespace"};

struct Series {
  std::array<std::string, kLabels> labels;
  std::uint64_t requests = 0;
  BucketCounts buckets{};  // not cumulative, as the table keeps them
  // Per scrape: requests then the cumulative buckets.
  std::vector<std::array<std::uint64_t, kDurationBuckets + 1>> snapshots;
};

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

namespace {

// One run's series, sampled at its own scrape times.
struct RunSeries {
  std::string replication;  // empty: not part of a batch export
  std::vector<std::int64_t> scrapes;  // row time: int64 ns (results/row_time.h)
  std::map<std::string, Series> series;
};

bool collect_run(const Reader& reader, const std::string& path, std::int64_t run_id, const QueryRangeOptions& options,
                 RunSeries& rs, std::string* error) {
  const auto run = reader.run(run_id);
  if (!run) {
    if (error) *error = fmt::format("{}: no run {}", path, run_id);
    return false;
  }
  // Scrape times: every step from 0, then the run's end.
  const std::int64_t end = std::max(run->sim_end, run->sim_duration);
  std::vector<std::int64_t>& scrapes = rs.scrapes;
  for (std::int64_t t = 0; t <= end; t += options.interval) scrapes.push_back(t);
  if (scrapes.back() < end) scrapes.push_back(end);

  std::map<std::string, Series>& series = rs.series;
  std::size_t next_scrape = 0;
  auto snapshot_until = [&](std::int64_t t) {
    // Every scrape before `t` sees what has been added so far.
    while (next_scrape < scrapes.size() && scrapes[next_scrape] < t) {
      for (auto& [k, s] : series) {
        std::array<std::uint64_t, kDurationBuckets + 1> snap{};
        snap[0] = s.requests;
        std::uint64_t cum = 0;
        for (std::size_t b = 0; b < kDurationBuckets; ++b) snap[b + 1] = cum += s.buckets[b];
        s.snapshots.resize(next_scrape, std::array<std::uint64_t, kDurationBuckets + 1>{});
        s.snapshots.push_back(snap);
      }
      ++next_scrape;
    }
  };
  std::string sql = "SELECT window_start_ns + window_ns, reporter, source_workload, destination_workload, "
                    "destination_service, destination_version, response_code, response_flags, "
                    "source_workload_namespace, destination_workload_namespace, requests";
  for (auto col : kDurationBucketColumns) sql += fmt::format(", {}", col);
  sql += " FROM metrics WHERE run_id = ? ORDER BY window_start_ns";
  const bool ok = reader.query_each(
      sql, {run_id},
      [&](const Row& r) {
        auto text = [&](std::size_t i) {
          if (std::holds_alternative<std::string>(r[i])) return std::get<std::string>(r[i]);
          if (std::holds_alternative<std::int64_t>(r[i])) return std::to_string(std::get<std::int64_t>(r[i]));
          return std::string("unknown");
        };
        auto integer = [&](std::size_t i) {
          return std::holds_alternative<std::int64_t>(r[i]) ? std::get<std::int64_t>(r[i]) : std::int64_t{0};
        };
        // A window still open at the run's end is seen by the last scrape.
        snapshot_until(std::min<std::int64_t>(integer(0), end));
        std::array<std::string, kLabels> labels;
        for (std::size_t i = 0; i < kLabels; ++i) labels[i] = text(i + 1);
        std::string key;
        for (const auto& l : labels) {
          key += l;
          key += '\x1f';
        }
        Series& s = series[key];
        if (s.snapshots.empty() && s.requests == 0) s.labels = labels;
        s.requests += static_cast<std::uint64_t>(integer(kLabels + 1));
        for (std::size_t b = 0; b < kDurationBuckets; ++b) {
          s.buckets[b] += static_cast<std::uint64_t>(integer(kLabels + 2 + b));
        }
        return true;
      },
      error);
  if (!ok) return false;
  snapshot_until(end + 1);
  return true;
}

}  // namespace

bool export_query_range(const std::string& path, std::int64_t run_id, const QueryRangeOptions& options,
                        std::ostream& out, QueryRangeStats* stats, std::string* error) {
  return export_query_range(path, std::vector<ExportRun>{{run_id, std::nullopt}}, options, out, stats, error);
}

bool export_query_range(const std::string& path, const std::vector<ExportRun>& export_runs,
                        const QueryRangeOptions& options, std::ostream& out, QueryRangeStats* stats,
                        std::string* error) {
  auto reader = Reader::open(path, error);
  if (!reader) return false;
  std::vector<RunSeries> runs(export_runs.size());
  for (std::size_t i = 0; i < export_runs.size(); ++i) {
    if (export_runs[i].replication) runs[i].replication = std::to_string(*export_runs[i].replication);
    if (!collect_run(*reader, path, export_runs[i].run_id, options, runs[i], error)) return false;
  }
  QueryRangeStats st;
  std::array<std::string, kDurationBuckets> les;
  for (std::size_t b = 0; b + 1 < kDurationBuckets; ++b) les[b] = fmt::format("{}", kDurationBucketBoundsMs[b]);
  les[kDurationBuckets - 1] = "+Inf";
  out << "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[";
  bool first = true;
  std::string buf;
  for (std::size_t column = 0; column <= kDurationBuckets; ++column) {
    for (const RunSeries& rs : runs) {
      std::vector<std::string> times;
      for (std::int64_t t : rs.scrapes)
        times.push_back(fmt::format("{:.3f}", options.epoch_seconds + engine::to_seconds(engine::SimDuration::from_ns(t))));
      for (const auto& [k, s] : rs.series) {
        buf.clear();
        buf += first ? "\n" : ",\n";
        first = false;
        buf += "{\"metric\":{\"__name__\":";
        append_json_string(buf, column == 0 ? "istio_requests_total" : "istio_request_duration_milliseconds_bucket");
        for (std::size_t i = 0; i < kLabels; ++i) {
          buf += ',';
          append_json_string(buf, kLabelNames[i]);
          buf += ':';
          append_json_string(buf, s.labels[i]);
        }
        if (!rs.replication.empty()) {
          buf += ",\"replication\":";
          append_json_string(buf, rs.replication);
        }
        if (column > 0) {
          buf += ",\"le\":";
          append_json_string(buf, les[column - 1]);
        }
        buf += "},\"values\":[";
        // The counter is 0 from the run's start until its first increment, as a fresh proxy's.
        for (std::size_t i = 0; i < rs.scrapes.size(); ++i) {
          const std::uint64_t v = i < s.snapshots.size() ? s.snapshots[i][column] : 0;
          fmt::format_to(std::back_inserter(buf), "{}[{},\"{}\"]", i ? "," : "", times[i], v);
          ++st.samples;
        }
        buf += "]}";
        ++st.series;
        out << buf;
      }
    }
  }
  out << "]}}\n";
  if (!out) {
    if (error) *error = "writing the output failed";
    return false;
  }
  if (stats) *stats = st;
  return true;
}

}  // namespace meshtwin::results
