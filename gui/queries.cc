#include "gui/queries.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <string_view>
#include <tuple>
#include <variant>

namespace meshtwin::gui {

namespace {

using results::Row;
using results::Value;
using results::as_int;
using results::as_text;

// The big tables (`metric_rows`, `request_rows`) hold ids into `strings` (results-schema.md,
// Storage). The viewer filters and groups on those ids and turns only the few result rows back
// into text: the `metrics`/`requests` views would look up every string of every row scanned,
// which is what makes a gigabyte file slow.
std::string text_of(std::string_view expr) {
  return "(SELECT value FROM strings WHERE id = " + std::string(expr) + ")";
}
constexpr const char* kIdOf = "(SELECT id FROM strings WHERE value = ?)";


std::string bucket_sums() {
  std::string out;
  for (std::size_t b = 0; b < results::kDurationBuckets; ++b) {
    out += ", sum(" + std::string(results::kDurationBucketColumns[b]) + ")";
  }
  return out;
}

// Copies the bucket columns that start at `first`.
void add_buckets(const Row& row, std::size_t first, BucketCounts& into) {
  for (std::size_t b = 0; b < results::kDurationBuckets; ++b) {
    into[b] += static_cast<std::uint64_t>(as_int(row[first + b]));
  }
}

// Splits Envoy's comma-joined flag string into single flags ("-" stays "-").
std::vector<std::string> split_flags(const std::string& flags) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= flags.size()) {
    std::size_t comma = flags.find(',', start);
    if (comma == std::string::npos) comma = flags.size();
    if (comma > start) out.push_back(flags.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace

std::string format_counts(const std::map<std::string, std::uint64_t>& counts, std::size_t top,
                          char separator) {
  std::vector<std::pair<std::string, std::uint64_t>> sorted(counts.begin(), counts.end());
  sorted.erase(std::remove_if(sorted.begin(), sorted.end(),
                              [](const auto& p) { return p.first == "-" || p.second == 0; }),
               sorted.end());
  if (sorted.empty()) return "-";
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out;
  for (std::size_t i = 0; i < sorted.size() && i < top; ++i) {
    if (i) out += separator;
    out += sorted[i].first + ":" + std::to_string(sorted[i].second);
  }
  return out;
}

std::string short_service(const std::string& fqdn) {
  auto dot = fqdn.find('.');
  return dot == std::string::npos ? fqdn : fqdn.substr(0, dot);
}

// ---------------------------------------------------------------------------------- overview

std::optional<Overview> load_overview(const results::Reader& reader, std::int64_t run_id,
                                      std::string* error) {
  Overview out;
  auto run = reader.run(run_id);
  if (!run) {
    if (error) *error = reader.path() + " has no run " + std::to_string(run_id);
    return std::nullopt;
  }
  out.run = *run;

  // Hops from the source-reporter metrics, grouped in SQL down to a handful of rows.
  struct Acc {
    std::uint64_t requests = 0, success = 0, non5xx = 0;
    BucketCounts buckets{};
    std::map<std::string, std::uint64_t> codes, flags;
  };
  std::map<std::pair<std::string, std::string>, Acc> acc;
  std::string sql =
      "SELECT " + text_of("g.ds") + ", " + text_of("g.dv") + ", g.code, " + text_of("g.fl") +
      ", g.* FROM (SELECT destination_service AS ds, destination_version AS dv, "
      "response_code AS code, response_flags AS fl, sum(requests)" +
      bucket_sums() +
      " FROM metric_rows WHERE run_id = ? AND reporter = (SELECT id FROM strings WHERE value = "
      "'source') GROUP BY 1, 2, 3, 4) g";
  bool ok = reader.query_each(
      sql, {run_id},
      [&](const Row& row) {
        Acc& a = acc[{as_text(row[0]), as_text(row[1])}];
        int code = static_cast<int>(as_int(row[2]));
        std::uint64_t n = static_cast<std::uint64_t>(as_int(row[8]));
        a.requests += n;
        if (is_success(code)) a.success += n;
        if (is_non5xx(code)) a.non5xx += n;
        a.codes[std::to_string(code)] += n;
        for (const auto& f : split_flags(as_text(row[3]))) a.flags[f] += n;
        add_buckets(row, 9, a.buckets);
        return true;
      },
      error);
  if (!ok) return std::nullopt;
  for (auto& [key, a] : acc) {
    OverviewRow r;
    r.service = key.first;
    r.version = key.second;
    r.requests = a.requests;
    r.success = a.success;
    r.non5xx = a.non5xx;
    r.p50 = results::percentile_from_buckets(a.buckets, 0.50);
    r.p90 = results::percentile_from_buckets(a.buckets, 0.90);
    r.p99 = results::percentile_from_buckets(a.buckets, 0.99);
    r.codes = format_counts(a.codes, 3, ' ');
    r.flags = format_counts(a.flags, 4, ',');
    out.hops.push_back(std::move(r));
  }

  // Were the summaries made from request rows (their codes need a scan, later) or, with
  // record.requests: none, from these very hops (whose codes are at hand)? One index probe.
  bool has_requests = false;
  ok = reader.query_each(
      "SELECT 1 FROM request_rows WHERE run_id = ? LIMIT 1", {run_id},
      [&](const Row&) {
        has_requests = true;
        return false;
      },
      error);
  if (!ok) return std::nullopt;
  out.client_outcomes_pending = has_requests;
  for (const auto& s : reader.summaries(run_id)) {
    OverviewRow r;
    r.service = s.destination_service;
    r.version = s.destination_version;
    r.requests = s.requests;
    r.success = s.success;
    r.p50 = s.p50;
    r.p90 = s.p90;
    r.p99 = s.p99;
    r.flags = s.flags;
    if (!has_requests) {
      if (auto it = acc.find({s.destination_service, s.destination_version}); it != acc.end()) {
        r.codes = format_counts(it->second.codes, 3, ' ');
        r.non5xx = it->second.non5xx;
      }
    }
    out.client_requests.push_back(std::move(r));
  }

  out.inputs = reader.inputs(run_id);
  ok = reader.query_each(
      "SELECT kind, count(*) FROM events WHERE run_id = ? GROUP BY kind", {run_id},
      [&](const Row& row) {
        out.event_counts[as_text(row[0])] = static_cast<std::uint64_t>(as_int(row[1]));
        return true;
      },
      error);
  if (!ok) return std::nullopt;
  ok = reader.query_each(
      "SELECT subject, detail FROM events WHERE run_id = ? AND kind = 'proxy_cpu'", {run_id},
      [&](const Row& row) {
        double u = 0;
        if (std::sscanf(as_text(row[1]).c_str(), "utilisation=%lf", &u) == 1)
          out.proxy_cpu.emplace_back(as_text(row[0]), u);
        return true;
      },
      error);
  if (!ok) return std::nullopt;
  std::stable_sort(out.proxy_cpu.begin(), out.proxy_cpu.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

std::optional<ClientOutcomes> load_client_outcomes(const results::Reader& reader,
                                                   std::int64_t run_id, std::string* error) {
  // Streamed and counted here rather than grouped in SQL: SQLite would sort every row for the
  // GROUP BY (twice the time of the scan itself on a big run), while the groups are few.
  struct Key {
    std::int64_t service, version, code;
    bool operator<(const Key& o) const {
      return std::tie(service, version, code) < std::tie(o.service, o.version, o.code);
    }
  };
  std::map<Key, std::uint64_t> counts;
  Key last{-1, -1, -1};
  std::uint64_t* last_count = nullptr;  // rows come in request order: runs of one key are common
  bool ok = reader.query_each(
      "SELECT destination_service, destination_version, response_code FROM request_rows "
      "WHERE run_id = ?",
      {run_id},
      [&](const Row& row) {
        Key k{as_int(row[0]), as_int(row[1]), as_int(row[2])};
        if (!last_count || k < last || last < k) {
          last = k;
          last_count = &counts[k];
        }
        ++*last_count;
        return true;
      },
      error);
  if (!ok) return std::nullopt;
  // The few ids to text.
  std::map<std::int64_t, std::string> text;
  for (const auto& [k, n] : counts) text[k.service], text[k.version];
  for (auto& [id, value] : text) {
    ok = reader.query_each(
        "SELECT value FROM strings WHERE id = ?", {id},
        [&value](const Row& row) {
          value = as_text(row[0]);
          return false;
        },
        error);
    if (!ok) return std::nullopt;
  }
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::uint64_t>> codes;
  ClientOutcomes out;
  for (const auto& [k, n] : counts) {
    std::pair<std::string, std::string> key{text[k.service], text[k.version]};
    if (is_non5xx(k.code)) out[key].non5xx += n;
    codes[key][std::to_string(k.code)] += n;
  }
  for (const auto& [key, by_code] : codes) out[key].codes = format_counts(by_code, 3, ' ');
  return out;
}

void apply_client_outcomes(Overview& overview, const ClientOutcomes& outcomes) {
  for (auto& r : overview.client_requests) {
    auto it = outcomes.find({r.service, r.version});
    r.non5xx = it == outcomes.end() ? 0 : it->second.non5xx;
    r.codes = it == outcomes.end() ? std::string() : it->second.codes;
  }
  overview.client_outcomes_pending = false;
}

// ------------------------------------------------------------------------------- time series

std::int64_t WindowSeries::length_of(std::size_t i) const {
  if (i + 1 < windows) return window;
  // The last point: up to the run's end (at least 1 ns, so a rate stays finite).
  return std::max<std::int64_t>(1, end - start_of(i));
}

double WindowSeries::centre_seconds(std::size_t i) const {
  return (static_cast<double>(start_of(i)) + static_cast<double>(length_of(i)) / 2) / 1e9;
}

double WindowSeries::rate(const std::string& key, std::size_t i) const {
  auto it = series.find(key);
  if (it == series.end() || i >= it->second.requests.size() || window <= 0) return 0.0;
  return static_cast<double>(it->second.requests[i]) / (static_cast<double>(length_of(i)) / 1e9);
}

std::vector<std::uint64_t> WindowSeries::totals() const {
  std::vector<std::uint64_t> out(windows, 0);
  for (const auto& [key, s] : series) {
    for (std::size_t i = 0; i < windows && i < s.requests.size(); ++i) out[i] += s.requests[i];
  }
  return out;
}

std::optional<WindowSeries> load_window_series(const results::Reader& reader, std::int64_t run_id,
                                               const SeriesQuery& query, std::string* error) {
  auto run = reader.run(run_id);
  if (!run) {
    if (error) *error = reader.path() + " has no run " + std::to_string(run_id);
    return std::nullopt;
  }
  WindowSeries out;
  std::int64_t interval = run->metrics_interval > 0 ? run->metrics_interval : engine::kSecond.ns();
  out.window = interval * std::max(1, query.window_factor);
  out.end = std::max(run->sim_end, run->sim_duration);
  out.windows = static_cast<std::size_t>((out.end + out.window - 1) / out.window);

  // The key is one or two id columns (k1, k2); text is looked up once per result row.
  const char* k1 = "0";
  const char* k2 = "0";
  switch (query.key) {
    case SeriesKey::Total:
      break;
    case SeriesKey::Version:
      k1 = "destination_version";
      break;
    case SeriesKey::ServiceVersion:
      k1 = "destination_service";
      k2 = "destination_version";
      break;
    case SeriesKey::Code:
      k1 = "response_code";
      break;
    case SeriesKey::Flags:
      k1 = "response_flags";
      break;
    case SeriesKey::Pod:
      k1 = "destination_pod";
      break;
  }
  bool code_key = query.key == SeriesKey::Code;
  std::string sql = "SELECT g.w, " + (code_key ? std::string("g.k1") : text_of("g.k1")) + ", " +
                    text_of("g.k2") + ", g.n";
  std::string inner = std::string("SELECT window_start_ns / ? AS w, ") + k1 + " AS k1, " + k2 +
                      " AS k2, sum(requests) AS n";
  if (query.with_buckets) {
    for (std::size_t b = 0; b < results::kDurationBuckets; ++b) {
      sql += ", g.b" + std::to_string(b);
      inner +=
          ", sum(" + std::string(results::kDurationBucketColumns[b]) + ") AS b" + std::to_string(b);
    }
  }
  sql += " FROM (" + inner;
  sql += " FROM metric_rows WHERE run_id = ? AND reporter = ";
  sql += kIdOf;
  std::vector<Value> params{static_cast<std::int64_t>(out.window), run_id, query.reporter};
  auto add_filter = [&](const char* column, const std::string& value) {
    if (value.empty()) return;
    sql += std::string(" AND ") + column + " = " + kIdOf;
    params.emplace_back(value);
  };
  add_filter("source_workload", query.filter.source_workload);
  add_filter("destination_service", query.filter.destination_service);
  add_filter("destination_workload", query.filter.destination_workload);
  sql += " GROUP BY 1, 2, 3) g";

  bool ok = reader.query_each(
      sql, params,
      [&](const Row& row) {
        std::size_t w = static_cast<std::size_t>(std::max<std::int64_t>(0, as_int(row[0])));
        std::string key;
        switch (query.key) {
          case SeriesKey::Total:
            break;
          case SeriesKey::ServiceVersion:
            key = short_service(as_text(row[1])) + " " + as_text(row[2]);
            break;
          default:
            key = as_text(row[1]);
            break;
        }
        // A late record may land past the run's end (it should not, but keep the count whole).
        if (w >= out.windows) out.windows = w + 1;
        std::vector<std::pair<std::string, std::size_t>> keys;
        if (query.key == SeriesKey::Flags) {
          for (auto& f : split_flags(key)) keys.emplace_back(std::move(f), 0);
        } else {
          keys.emplace_back(std::move(key), 0);
        }
        for (auto& [k, unused] : keys) {
          SeriesData& s = out.series[k];
          if (s.requests.size() < out.windows) s.requests.resize(out.windows, 0);
          s.requests[w] += static_cast<std::uint64_t>(as_int(row[3]));
          if (query.with_buckets) {
            if (s.buckets.size() < out.windows) s.buckets.resize(out.windows, BucketCounts{});
            add_buckets(row, 4, s.buckets[w]);
          }
        }
        return true;
      },
      error);
  if (!ok) return std::nullopt;
  for (auto& [k, s] : out.series) {
    s.requests.resize(out.windows, 0);
    if (query.with_buckets) s.buckets.resize(out.windows, BucketCounts{});
  }
  // A record past the run's end (see above) stretches the last point to its window's end.
  if (out.windows > 0 && out.end <= out.start_of(out.windows - 1)) {
    out.end = out.start_of(out.windows);
  }
  // A last window shorter than half a window joins the one before it (see WindowSeries).
  if (out.windows >= 2 && out.end - out.start_of(out.windows - 1) < out.window / 2) {
    std::size_t last = out.windows - 1;
    for (auto& [k, s] : out.series) {
      s.requests[last - 1] += s.requests[last];
      s.requests.pop_back();
      if (query.with_buckets) {
        for (std::size_t b = 0; b < results::kDurationBuckets; ++b) {
          s.buckets[last - 1][b] += s.buckets[last][b];
        }
        s.buckets.pop_back();
      }
    }
    --out.windows;
  }
  return out;
}

std::vector<std::int64_t> percentile_per_window(const WindowSeries& series, double q) {
  std::vector<std::int64_t> out(series.windows, 0);
  for (std::size_t i = 0; i < series.windows; ++i) {
    BucketCounts merged{};
    for (const auto& [k, s] : series.series) {
      if (i >= s.buckets.size()) continue;
      for (std::size_t b = 0; b < results::kDurationBuckets; ++b) merged[b] += s.buckets[i][b];
    }
    out[i] = results::percentile_from_buckets(merged, q);
  }
  return out;
}

std::optional<Labels> load_labels(const results::Reader& reader, std::int64_t run_id,
                                  std::string* error) {
  Labels out;
  auto distinct = [&](const char* column, std::vector<std::string>& into) {
    std::string sql = std::string("SELECT value FROM strings WHERE id IN (SELECT DISTINCT ") +
                      column + " FROM metric_rows WHERE run_id = ?) ORDER BY value";
    return reader.query_each(
        sql, {run_id},
        [&](const Row& row) {
          into.push_back(as_text(row[0]));
          return true;
        },
        error);
  };
  if (!distinct("source_workload", out.source_workloads) ||
      !distinct("destination_service", out.destination_services) ||
      !distinct("destination_version", out.destination_versions) ||
      !distinct("destination_workload", out.destination_workloads)) {
    return std::nullopt;
  }
  return out;
}

std::optional<std::vector<Marker>> load_markers(const results::Reader& reader, std::int64_t run_id,
                                                std::int64_t merge_within, std::string* error) {
  std::vector<Marker> out;
  std::map<std::string, std::size_t> open;  // kind -> index of its latest marker
  bool ok = reader.query_each(
      // proxy_cpu events summarise the run at its end (the overview shows them): not markers.
      "SELECT t_ns, kind, subject, detail FROM events WHERE run_id = ? AND kind <> 'proxy_cpu' ORDER BY t_ns, rowid",
      {run_id},
      [&](const Row& row) {
        std::int64_t t = as_int(row[0]);
        std::string kind = as_text(row[1]);
        auto it = open.find(kind);
        if (it != open.end() && t - out[it->second].time <= merge_within) {
          ++out[it->second].count;
          return true;
        }
        open[kind] = out.size();
        out.push_back({t, std::move(kind), 1, as_text(row[2]), as_text(row[3])});
        return true;
      },
      error);
  if (!ok) return std::nullopt;
  return out;
}

// ----------------------------------------------------------------------------- service graph

std::optional<GraphData> load_graph(const results::Reader& reader, std::int64_t run_id,
                                    std::string* error) {
  auto run = reader.run(run_id);
  if (!run) {
    if (error) *error = reader.path() + " has no run " + std::to_string(run_id);
    return std::nullopt;
  }
  GraphData out;
  // Rates are per second of arrivals (the scenario's duration), so a client of 200/s shows
  // 200/s; the drain after it adds few requests.
  out.span = run->sim_duration > 0 ? run->sim_duration : run->sim_end;
  struct Acc {
    GraphEdge edge;
    std::map<std::string, std::uint64_t> services;
  };
  std::map<std::pair<std::string, std::string>, Acc> acc;
  std::string sql = "SELECT " + text_of("g.sw") + ", " + text_of("g.dw") + ", " + text_of("g.ds") +
                    ", g.* FROM (SELECT source_workload AS sw, destination_workload AS dw, "
                    "destination_service AS ds, response_code AS code, sum(requests)" +
                    bucket_sums() +
                    " FROM metric_rows WHERE run_id = ? AND reporter = (SELECT id FROM strings "
                    "WHERE value = 'source') GROUP BY 1, 2, 3, 4) g";
  bool ok = reader.query_each(
      sql, {run_id},
      [&](const Row& row) {
        Acc& a = acc[{as_text(row[0]), as_text(row[1])}];
        std::uint64_t n = static_cast<std::uint64_t>(as_int(row[7]));
        a.edge.requests += n;
        if (!is_success(static_cast<int>(as_int(row[6])))) a.edge.errors += n;
        a.services[as_text(row[2])] += n;
        add_buckets(row, 8, a.edge.buckets);
        return true;
      },
      error);
  if (!ok) return std::nullopt;
  std::set<std::string> nodes;
  double seconds = static_cast<double>(out.span) / 1e9;
  for (auto& [key, a] : acc) {
    GraphEdge e = a.edge;
    e.source = key.first;
    e.target = key.second;
    e.service =
        std::max_element(a.services.begin(), a.services.end(), [](const auto& x, const auto& y) {
          return x.second < y.second;
        })->first;
    e.rps = seconds > 0 ? static_cast<double>(e.requests) / seconds : 0.0;
    e.p99 = results::percentile_from_buckets(e.buckets, 0.99);
    nodes.insert(e.source);
    nodes.insert(e.target);
    out.edges.push_back(std::move(e));
  }
  out.nodes.assign(nodes.begin(), nodes.end());
  return out;
}

// ---------------------------------------------------------------------------------- requests

namespace {

// WHERE terms on `request_rows r` for a filter, with their parameters appended.
std::string request_where(const RequestFilter& f, std::vector<Value>& params) {
  std::string sql;
  if (f.code) {
    sql += " AND r.response_code = ?";
    params.emplace_back(static_cast<std::int64_t>(*f.code));
  }
  if (f.errors_only) sql += " AND (r.response_code < 200 OR r.response_code > 399)";
  if (f.flag == "-") {
    sql += " AND r.response_flags = (SELECT id FROM strings WHERE value = '-')";
  } else if (!f.flag.empty()) {
    // Every flag string that holds the flag as a whole item ("UT,URX" holds URX, not UR).
    sql += " AND r.response_flags IN (SELECT id FROM strings WHERE instr(',' || value || ',', ?))";
    params.emplace_back("," + f.flag + ",");
  }
  if (!f.destination_service.empty()) {
    sql += std::string(" AND r.destination_service = ") + kIdOf;
    params.emplace_back(f.destination_service);
  }
  if (!f.destination_version.empty()) {
    sql += std::string(" AND r.destination_version = ") + kIdOf;
    params.emplace_back(f.destination_version);
  }
  if (f.min_duration) {
    sql += " AND r.duration_ns >= ?";
    params.emplace_back(static_cast<std::int64_t>(*f.min_duration));
  }
  if (f.max_duration) {
    sql += " AND r.duration_ns <= ?";
    params.emplace_back(static_cast<std::int64_t>(*f.max_duration));
  }
  if (f.degraded_only) sql += " AND r.degraded_calls > 0";
  if (f.with_spans_only) {
    // One probe of the span_rows(run_id, request_id) index per candidate row.
    sql +=
        " AND EXISTS (SELECT 1 FROM span_rows s WHERE s.run_id = r.run_id AND "
        "s.request_id = r.request_id)";
  }
  if (f.min_attempts) {
    sql += " AND r.attempts >= ?";
    params.emplace_back(static_cast<std::int64_t>(*f.min_attempts));
  }
  return sql;
}

std::string request_columns() {
  return "r.run_id, r.request_id, " + text_of("r.client") + ", r.start_ns, r.duration_ns, " +
         text_of("r.method") + ", " + text_of("r.authority") + ", " + text_of("r.path") +
         ", r.response_code, " + text_of("r.response_flags") + ", r.attempts, " +
         text_of("r.route_name") + ", " + text_of("r.vs_rule") + ", " +
         text_of("r.destination_service") + ", " + text_of("r.destination_version") + ", " +
         text_of("r.destination_workload") + ", r.degraded_calls";
}

results::RequestRow request_row(const Row& row) {
  results::RequestRow r;
  int i = 0;
  r.run_id = as_int(row[i++]);
  r.request_id = static_cast<std::uint64_t>(as_int(row[i++]));
  r.client = as_text(row[i++]);
  r.start = as_int(row[i++]);
  r.duration = as_int(row[i++]);
  r.method = as_text(row[i++]);
  r.authority = as_text(row[i++]);
  r.path = as_text(row[i++]);
  r.response_code = static_cast<int>(as_int(row[i++]));
  r.response_flags = as_text(row[i++]);
  r.attempts = static_cast<int>(as_int(row[i++]));
  r.route_name = as_text(row[i++]);
  r.vs_rule = as_text(row[i++]);
  r.destination_service = as_text(row[i++]);
  r.destination_version = as_text(row[i++]);
  r.destination_workload = as_text(row[i++]);
  r.degraded_calls = static_cast<int>(as_int(row[i++]));
  return r;
}

}  // namespace

std::optional<std::vector<results::RequestRow>> load_requests_page(
    const results::Reader& reader, std::int64_t run_id, const RequestFilter& filter,
    std::optional<std::uint64_t> after_id, int limit, std::string* error) {
  std::vector<Value> params{run_id};
  std::string sql = "SELECT " + request_columns() + " FROM request_rows r WHERE r.run_id = ?";
  if (after_id) {
    sql += " AND r.request_id > ?";
    params.emplace_back(static_cast<std::int64_t>(*after_id));
  }
  sql += request_where(filter, params);
  sql += " ORDER BY r.request_id LIMIT ?";
  params.emplace_back(static_cast<std::int64_t>(std::max(1, limit)));
  std::vector<results::RequestRow> out;
  bool ok = reader.query_each(
      sql, params,
      [&](const Row& row) {
        out.push_back(request_row(row));
        return true;
      },
      error);
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::uint64_t> count_requests(const results::Reader& reader, std::int64_t run_id,
                                            const RequestFilter& filter, std::string* error) {
  std::vector<Value> params{run_id};
  std::string sql = "SELECT count(*) FROM request_rows r WHERE r.run_id = ?";
  sql += request_where(filter, params);
  std::uint64_t n = 0;
  bool ok = reader.query_each(
      sql, params,
      [&](const Row& row) {
        n = static_cast<std::uint64_t>(as_int(row[0]));
        return false;
      },
      error);
  if (!ok) return std::nullopt;
  return n;
}

std::optional<RequestDetail> load_request_detail(const results::Reader& reader, std::int64_t run_id,
                                                 std::uint64_t request_id, std::string* error) {
  RequestDetail out;
  bool found = false;
  std::string sql = "SELECT " + request_columns() +
                    " FROM request_rows r WHERE r.run_id = ? AND r.request_id = ?";
  bool ok = reader.query_each(
      sql, {run_id, static_cast<std::int64_t>(request_id)},
      [&](const Row& row) {
        out.request = request_row(row);
        found = true;
        return false;
      },
      error);
  if (!ok) return std::nullopt;
  if (!found) {
    if (error)
      *error = "run " + std::to_string(run_id) + " has no request " + std::to_string(request_id);
    return std::nullopt;
  }
  ok = reader.query_each(
      "SELECT span_id, parent_span_id, kind, source_workload, destination_service, "
      "destination_version, destination_pod, cluster, attempt, app_attempt, start_ns, "
      "duration_ns, response_code, response_flags, upstream_flags FROM spans "
      "WHERE run_id = ? AND request_id = ? ORDER BY start_ns, span_id",
      {run_id, static_cast<std::int64_t>(request_id)},
      [&](const Row& row) {
        SpanRow s;
        s.span_id = static_cast<std::uint64_t>(as_int(row[0]));
        if (!std::holds_alternative<std::monostate>(row[1])) {
          s.parent_span_id = static_cast<std::uint64_t>(as_int(row[1]));
        }
        s.kind = as_text(row[2]);
        s.source_workload = as_text(row[3]);
        s.destination_service = as_text(row[4]);
        s.destination_version = as_text(row[5]);
        s.destination_pod = as_text(row[6]);
        s.cluster = as_text(row[7]);
        s.attempt = static_cast<int>(as_int(row[8]));
        s.app_attempt = static_cast<int>(as_int(row[9]));
        s.start = as_int(row[10]);
        s.duration = as_int(row[11]);
        s.response_code = static_cast<int>(as_int(row[12]));
        s.response_flags = as_text(row[13]);
        s.upstream_flags = as_text(row[14]);
        out.spans.push_back(std::move(s));
        return true;
      },
      error);
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace meshtwin::gui
