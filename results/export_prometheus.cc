// Istio's standard metrics and the Envoy cluster stats the Istio tasks read, rebuilt from a
// results file as a Prometheus server scraping every proxy would have stored them
// (docs/export.md). The metrics table already holds Istio's counts per window and label set;
// this file only accumulates them into cumulative series, samples them at scrape times, and
// prints them. Label semantics: Istio's standard metrics (istio.io, "Istio Standard Metrics").
#include "results/export_prometheus.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <map>
#include <unordered_map>
#include <vector>

#include "results/percentiles.h"
#include "results/sqlite_detail.h"

namespace meshtwin::results {

using detail::Statement;

namespace {

// Istio's standard labels, in the order Istio's proxies print them.
enum Label : std::size_t {
  kReporter,
  kSourceWorkload,
  kSourceWorkloadNamespace,
  kSourcePrincipal,
  kSourceApp,
  kSourceVersion,
  kDestinationWorkload,
  kDestinationWorkloadNamespace,
  kDestinationPrincipal,
  kDestinationApp,
  kDestinationVersion,
  kDestinationService,
  kDestinationServiceName,
  kDestinationServiceNamespace,
  kRequestProtocol,
  kResponseCode,
  kGrpcResponseStatus,
  kResponseFlags,
  kConnectionSecurityPolicy,
  kLabelCount
};
constexpr std::array<std::string_view, kLabelCount> kLabelNames = {
    "reporter",
    "source_workload",
    "source_workload_namespace",
    "source_principal",
    "source_app",
    "source_version",
    "destination_workload",
    "destination_workload_namespace",
    "destination_principal",
    "destination_app",
    "destination_version",
    "destination_service",
    "destination_service_name",
    "destination_service_namespace",
    "request_protocol",
    "response_code",
    "grpc_response_status",
    "response_flags",
    "connection_security_policy"};

using Labels = std::array<std::string, kLabelCount>;

// Label values in the exposition formats: backslash, double quote and newline escaped.
void append_escaped(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

// Istio's TCP metrics (istio_tcp_connections_*) carry no response_code and no
// grpc_response_status: istio/proxy's istio_stats filter adds those two tags only when it logs an
// HTTP stream, and reports a TCP connection with request_protocol="tcp", response_flags and
// connection_security_policy after the peer labels.
bool label_applies(std::size_t i, bool tcp) {
  return !tcp || (i != kResponseCode && i != kGrpcResponseStatus);
}

// `{a="x",b="y"` without the closing brace, so a histogram can append its `le`.
std::string label_prefix(const Labels& labels, std::string_view extra_name = {},
                         std::string_view extra_value = {}, bool tcp = false) {
  std::string out = "{";
  for (std::size_t i = 0; i < kLabelCount; ++i) {
    if (!label_applies(i, tcp)) continue;
    if (out.size() > 1) out += ',';
    out += kLabelNames[i];
    out += "=\"";
    append_escaped(out, labels[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    out += ',';
    out += extra_name;
    out += "=\"";
    append_escaped(out, extra_value);
    out += '"';
  }
  return out;
}

// Istio names a Kubernetes service `name.namespace.svc.<domain>`; destination_service_name
// and _namespace are its first two parts. Other hosts (ServiceEntry, passthrough) keep the
// host as the name and an unknown namespace.
void split_service(std::string_view host, std::string& name, std::string& ns) {
  const auto svc = host.find(".svc.");
  const auto dot = host.find('.');
  if (svc != std::string_view::npos && dot < svc) {
    name = std::string(host.substr(0, dot));
    ns = std::string(host.substr(dot + 1, svc - dot - 1));
  } else {
    name = std::string(host);
    ns = "unknown";
  }
}

// One series' increments, in scrape order: (scrape index, counts added by then).
struct Increment {
  std::uint32_t scrape;
  std::uint64_t count;
  std::int64_t sum_ns;
  BucketCounts buckets;
};
struct Series {
  std::string labels;  // label_prefix()
  std::vector<Increment> increments;
  std::uint32_t last = 0;  // its run's last scrape (a batch's replications end at their own times)
};

// A family of series keyed by their label text (which names the replication in a batch export,
// so every series belongs to one run).
struct Family {
  std::vector<Series> series;
  std::unordered_map<std::string, std::size_t> index;
  Series& get(std::string labels, std::uint32_t last) {
    auto it = index.find(labels);
    if (it != index.end()) return series[it->second];
    index.emplace(labels, series.size());
    series.push_back({std::move(labels), {}, last});
    return series.back();
  }
};

// Every family the export prints, filled run by run.
struct Families {
  Family requests, durations, tcp_opened, tcp_closed, retries, overflows;
  // Ejections: per series, signed increments by scrape, and its run's last scrape.
  struct Steps {
    std::vector<std::pair<std::uint32_t, std::int64_t>> steps;
    std::uint32_t last = 0;
  };
  std::map<std::string, Steps> ejections;
};

void add(Series& s, std::uint32_t scrape, std::uint64_t count, std::int64_t sum_ns = 0,
         const BucketCounts* buckets = nullptr) {
  if (s.increments.empty() || s.increments.back().scrape != scrape) {
    s.increments.push_back({scrape, 0, 0, {}});
  }
  Increment& inc = s.increments.back();
  inc.count += count;
  inc.sum_ns += sum_ns;
  if (buckets) {
    for (std::size_t i = 0; i < kDurationBuckets; ++i) inc.buckets[i] += (*buckets)[i];
  }
}

// `le` values as Envoy prints Istio's buckets.
std::array<std::string, kDurationBuckets> bucket_les() {
  std::array<std::string, kDurationBuckets> out;
  for (std::size_t i = 0; i + 1 < kDurationBuckets; ++i) {
    out[i] = fmt::format("{}", kDurationBucketBoundsMs[i]);
  }
  out[kDurationBuckets - 1] = "+Inf";
  return out;
}

struct Exporter {
  sqlite3* db = nullptr;
  std::string path;
  std::string* error = nullptr;
  std::vector<std::string> strings;  // by id
  int version = 0;

  ~Exporter() {
    if (db) sqlite3_close_v2(db);
  }

  bool fail(std::string_view what) {
    if (error) *error = fmt::format("{}: {}: {}", path, what, db ? sqlite3_errmsg(db) : "");
    return false;
  }

  const std::string& text(std::int64_t id) const {
    static const std::string unknown = "unknown";
    return id > 0 && static_cast<std::size_t>(id) < strings.size() ? strings[id] : unknown;
  }

  bool open() {
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      return fail("cannot open the results file");
    }
    std::string msg;
    Statement v(db, "PRAGMA user_version", &msg);
    if (!v || v.step() != SQLITE_ROW) return fail("reading the schema version");
    version = static_cast<int>(v.column_int(0));
    Statement q(db, "SELECT id, value FROM strings", &msg);
    if (!q) return fail("reading the string dictionary");
    while (q.step() == SQLITE_ROW) {
      const auto id = static_cast<std::size_t>(q.column_int(0));
      if (id >= strings.size()) strings.resize(id + 1);
      strings[id] = q.column_text(1);
    }
    return true;
  }
};

}  // namespace

std::optional<double> default_epoch_seconds(const std::string& path, std::int64_t run_id,
                                            std::string* error) {
  Exporter x;
  x.path = path;
  x.error = error;
  if (sqlite3_open_v2(path.c_str(), &x.db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    x.fail("cannot open the results file");
    return std::nullopt;
  }
  std::string msg;
  Statement v(x.db, "PRAGMA user_version", &msg);
  if (!v || v.step() != SQLITE_ROW) {
    x.fail("reading the schema version");
    return std::nullopt;
  }
  if (v.column_int(0) >= 4) {
    Statement r(x.db, "SELECT recorded_unix_s FROM run_rows WHERE run_id = ?", &msg);
    if (!r) {
      x.fail("reading the run");
      return std::nullopt;
    }
    r.bind(1, run_id);
    if (r.step() == SQLITE_ROW && sqlite3_column_type(r.get(), 0) != SQLITE_NULL) {
      return r.column_double(0);
    }
  }
  // Older files do not say when the run was recorded: the file's time stands in for it.
  std::error_code ec;
  auto t = std::filesystem::last_write_time(path, ec);
  if (ec) return 0.0;
  return static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::file_clock::to_sys(t).time_since_epoch())
                                 .count());
}

namespace {

// One run's series into `f`: its metrics rows (Istio's standard metrics), retries and overflows
// from its spans, ejections from its events. `suffix` is appended to every series' labels (`,replication="3"`
// in a batch export, empty for one run). Sets *scrapes to the run's number of scrapes.
bool scan_run(Exporter& x, std::int64_t run_id, const std::string& suffix, std::int64_t interval, Families& f,
              std::uint32_t* scrapes_out) {
  std::string msg;
  // ---- the run: its end ----
  // A complete run is scraped over the scenario's duration and its drain; a run that stopped
  // early (interrupted, failed) only until its simulated end (the first scrape at or after it
  // sees every count), as Prometheus would have stopped finding the proxies then. A run still
  // `running` (its writer gone) ends with the last metrics window it committed.
  std::int64_t sim_end = 0;
  {
    Statement r(x.db,
                "SELECT status, sim_end_ns, sim_duration_ns, (SELECT max(window_start_ns + "
                "window_ns) FROM metric_rows m WHERE m.run_id = r.run_id) FROM run_rows r "
                "WHERE run_id = ?",
                &msg);
    if (!r) return x.fail("reading the run");
    r.bind(1, run_id);
    if (r.step() != SQLITE_ROW) return x.fail(fmt::format("no run {}", run_id));
    const std::string status = r.column_text(0);
    const std::int64_t end = r.column_int(1), duration = r.column_int(2), last_window = r.column_int(3);
    if (status == "complete") {
      sim_end = std::max(end, duration);
    } else if (end > 0) {
      sim_end = end;
    } else {
      sim_end = last_window > 0 ? last_window : duration;
    }
  }
  const auto scrapes = static_cast<std::uint32_t>(std::max<std::int64_t>(1, (sim_end + interval - 1) / interval));
  *scrapes_out = scrapes;
  const std::uint32_t last = scrapes - 1;
  // A count made at simulated time t is first seen by the scrape at or after t.
  auto scrape_of = [&](std::int64_t t) -> std::uint32_t {
    if (t <= 0) return 0;
    const auto k = static_cast<std::uint64_t>((t + interval - 1) / interval);  // 1-based
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(k == 0 ? 0 : k - 1, scrapes - 1));
  };
  Family &requests = f.requests, &durations = f.durations, &tcp_opened = f.tcp_opened, &tcp_closed = f.tcp_closed,
         &retries = f.retries, &overflows = f.overflows;
  // ---- metrics rows: Istio's standard metrics ----
  // Per workload, the peer labels the metrics rows carry, for the Envoy stats below (spans and
  // events name workloads and pods only).
  struct Peer {
    std::string ns = "unknown", app = "unknown", version = "unknown", principal = "unknown";
  };
  std::unordered_map<std::string, Peer> peers;
  {
    std::string cols =
        "window_start_ns + window_ns, reporter, source_workload, destination_service, "
        "destination_workload, destination_version, response_code, response_flags, requests, "
        "duration_sum_ns";
    for (auto name : kDurationBucketColumns) cols += fmt::format(", {}", name);
    // Older files lack the peer labels: they export as `unknown` (NULL ids).
    for (auto name : kPeerColumns) cols += x.version >= 4 ? fmt::format(", {}", name) : ", NULL";
    Statement q(x.db,
                fmt::format("SELECT {} FROM metric_rows WHERE run_id = ? ORDER BY window_start_ns",
                            cols),
                &msg);
    if (!q) return x.fail("reading metrics");
    q.bind(1, run_id);
    // Label sets repeat in every window: remember each one's text by its ids.
    std::map<std::vector<std::int64_t>, std::pair<std::string, bool>> label_cache;
    std::vector<std::int64_t> key(8 + kPeerColumns.size());
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      const std::int64_t end = q.column_int(0);
      for (std::size_t i = 0; i < 7; ++i) key[i] = q.column_int(static_cast<int>(i + 1));
      key[7] = 0;
      const int first_peer = 10 + static_cast<int>(kDurationBuckets);
      for (std::size_t i = 0; i < kPeerColumns.size(); ++i) {
        key[8 + i] = q.column_int(first_peer + static_cast<int>(i));
      }
      auto it = label_cache.find(key);
      if (it == label_cache.end()) {
        Labels l;
        l[kReporter] = x.text(key[0]);
        l[kSourceWorkload] = x.text(key[1]);
        l[kDestinationService] = x.text(key[2]);
        l[kDestinationWorkload] = x.text(key[3]);
        l[kDestinationVersion] = x.text(key[4]);
        l[kResponseCode] = std::to_string(key[5]);
        l[kResponseFlags] = x.text(key[6]);
        l[kSourceWorkloadNamespace] = x.text(key[8]);
        l[kSourceApp] = x.text(key[9]);
        l[kSourceVersion] = x.text(key[10]);
        l[kSourcePrincipal] = x.text(key[11]);
        l[kDestinationWorkloadNamespace] = x.text(key[12]);
        l[kDestinationApp] = x.text(key[13]);
        l[kDestinationPrincipal] = x.text(key[14]);
        l[kRequestProtocol] = x.text(key[15]);
        l[kConnectionSecurityPolicy] = x.text(key[16]);
        // gRPC status is not recorded: Istio's value for non-gRPC traffic is empty.
        l[kGrpcResponseStatus] = "";
        split_service(l[kDestinationService], l[kDestinationServiceName],
                      l[kDestinationServiceNamespace]);
        Peer& sp = peers[l[kSourceWorkload]];
        if (sp.ns == "unknown") sp = {l[kSourceWorkloadNamespace], l[kSourceApp],
                                      l[kSourceVersion], l[kSourcePrincipal]};
        const bool tcp = l[kRequestProtocol] == "tcp";
        it = label_cache.emplace(key, std::make_pair(label_prefix(l, {}, {}, tcp) + suffix, tcp)).first;
      }
      const std::uint32_t scrape = scrape_of(end);
      const auto n = static_cast<std::uint64_t>(q.column_int(8));
      if (it->second.second) {
        // A connection is counted when it ends (the metrics table counts by end time), so
        // opened and closed move together; Envoy counts `opened` at connect (docs/export.md).
        add(tcp_opened.get(it->second.first, last), scrape, n);
        add(tcp_closed.get(it->second.first, last), scrape, n);
      } else {
        BucketCounts b;
        for (std::size_t i = 0; i < kDurationBuckets; ++i) {
          b[i] = static_cast<std::uint64_t>(q.column_int(10 + static_cast<int>(i)));
        }
        add(requests.get(it->second.first, last), scrape, n);
        add(durations.get(it->second.first, last), scrape, n, q.column_int(9), &b);
      }
    }
    if (rc != SQLITE_DONE) return x.fail("reading metrics");
  }

  // ---- Envoy's cluster stats ----
  // Labelled per caller workload and cluster, with Istio's labels as far as they apply to a
  // whole cluster (the rest `unknown`) and Envoy's cluster_name.
  auto cluster_labels = [&](const std::string& source_workload, const std::string& cluster) {
    Labels l;
    l.fill("unknown");
    l[kReporter] = "source";
    l[kSourceWorkload] = source_workload;
    auto p = peers.find(source_workload);
    if (p != peers.end()) {
      l[kSourceWorkloadNamespace] = p->second.ns;
      l[kSourceApp] = p->second.app;
      l[kSourceVersion] = p->second.version;
      l[kSourcePrincipal] = p->second.principal;
    }
    // outbound|9080|v1|reviews.default.svc.cluster.local: the host is the service.
    const auto bar = cluster.rfind('|');
    if (cluster.rfind("outbound|", 0) == 0 && bar != std::string::npos) {
      l[kDestinationService] = cluster.substr(bar + 1);
      split_service(l[kDestinationService], l[kDestinationServiceName],
                    l[kDestinationServiceNamespace]);
    }
    l[kGrpcResponseStatus] = "";
    return label_prefix(l, "cluster_name", cluster) + suffix;
  };
  std::unordered_map<std::string, std::string> workload_of_pod;
  {
    // Attempts after the first are Envoy's retries; a local reply with UO is a request the
    // pool's pending queue refused (upstream_rq_pending_overflow).
    std::int64_t local_reply = -1;
    for (std::size_t id = 1; id < x.strings.size(); ++id) {
      if (x.strings[id] == "local_reply") local_reply = static_cast<std::int64_t>(id);
    }
    // Only retries and local replies matter: SQLite filters the rest without handing them over.
    Statement q(x.db,
                "SELECT start_ns + duration_ns, source_workload, source_pod, cluster, attempt, "
                "kind, response_flags FROM span_rows WHERE run_id = ? AND (attempt > 1 OR kind = ?)",
                &msg);
    if (!q) return x.fail("reading spans");
    q.bind(1, run_id);
    q.bind(2, local_reply);
    std::unordered_map<std::int64_t, bool> has_uo;  // flag string id -> contains UO
    std::map<std::pair<std::int64_t, std::int64_t>, std::string> label_cache;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      const std::int64_t wl = q.column_int(1), cluster = q.column_int(3);
      const std::int64_t pod = q.column_int(2);
      if (workload_of_pod.size() < 100000) workload_of_pod.emplace(x.text(pod), x.text(wl));
      const bool retry = q.column_int(4) > 1;
      bool uo = false;
      if (q.column_int(5) == local_reply) {
        const std::int64_t f = q.column_int(6);
        auto it = has_uo.find(f);
        if (it == has_uo.end()) {
          const std::string& t = x.text(f);
          bool found = false;
          for (std::size_t pos = 0; pos < t.size();) {
            auto comma = t.find(',', pos);
            if (t.substr(pos, comma - pos) == "UO") found = true;
            if (comma == std::string::npos) break;
            pos = comma + 1;
          }
          it = has_uo.emplace(f, found).first;
        }
        uo = it->second;
      }
      if (!retry && !uo) continue;
      auto key = std::make_pair(wl, cluster);
      auto it = label_cache.find(key);
      if (it == label_cache.end()) {
        it = label_cache.emplace(key, cluster_labels(x.text(wl), x.text(cluster))).first;
      }
      const std::uint32_t scrape = scrape_of(q.column_int(0));
      if (retry) add(retries.get(it->second, last), scrape, 1);
      if (uo) add(overflows.get(it->second, last), scrape, 1);
    }
    if (rc != SQLITE_DONE) return x.fail("reading spans");
  }
  // Ejections: a gauge of hosts ejected per caller proxy and cluster, from host_ejected /
  // host_returned events (detail: "<caller pod> <cluster>"). Stored as signed increments.
  {
    Statement q(x.db,
                "SELECT t_ns, kind, detail FROM events WHERE run_id = ? AND kind IN "
                "('host_ejected', 'host_returned') ORDER BY t_ns",
                &msg);
    if (!q) return x.fail("reading events");
    q.bind(1, run_id);
    while (q.step() == SQLITE_ROW) {
      const std::string detail = q.column_text(2);
      const auto space = detail.find(' ');
      if (space == std::string::npos) continue;
      const std::string pod = detail.substr(0, space), cluster = detail.substr(space + 1);
      std::string wl;
      if (auto it = workload_of_pod.find(pod); it != workload_of_pod.end()) {
        wl = it->second;
      } else {
        // Pods are named <workload>-<ordinal> (registry).
        const auto dash = pod.rfind('-');
        wl = dash == std::string::npos ? pod : pod.substr(0, dash);
      }
      auto& series = f.ejections[cluster_labels(wl, cluster)];
      series.last = last;
      auto& steps = series.steps;
      const std::uint32_t scrape = scrape_of(q.column_int(0));
      const std::int64_t delta = q.column_text(1) == "host_ejected" ? 1 : -1;
      if (!steps.empty() && steps.back().first == scrape) {
        steps.back().second += delta;
      } else {
        steps.emplace_back(scrape, delta);
      }
    }
  }
  return true;
}

}  // namespace

bool export_prometheus(const std::string& path, std::int64_t run_id, PrometheusFormat format,
                       const PrometheusExportOptions& options, std::ostream& out,
                       PrometheusExportStats* stats, std::string* error) {
  return export_prometheus(path, std::vector<ExportRun>{{run_id, std::nullopt}}, format, options, out, stats, error);
}

bool export_prometheus(const std::string& path, const std::vector<ExportRun>& runs, PrometheusFormat format,
                       const PrometheusExportOptions& options, std::ostream& out,
                       PrometheusExportStats* stats, std::string* error) {
  Exporter x;
  x.path = path;
  x.error = error;
  if (runs.empty()) {
    if (error) *error = "no run to export";
    return false;
  }
  if (!x.open()) return false;
  // The epoch: every replication of a batch starts at the same instant (its first run's
  // recorded time by default), so their series line up on one time axis.
  std::optional<double> epoch_opt = options.epoch_seconds;
  if (!epoch_opt) {
    epoch_opt = default_epoch_seconds(path, runs.front().run_id, error);
    if (!epoch_opt) return false;
  }
  const double epoch = *epoch_opt;
  // Whole milliseconds: both formats print millisecond timestamps exactly.
  const std::int64_t epoch_ms = static_cast<std::int64_t>(std::llround(epoch * 1000.0));
  const std::int64_t interval = std::max<std::int64_t>(options.interval, engine::kMillisecond.ns());
  Families f;
  std::uint32_t scrapes = 1;
  for (const auto& run : runs) {
    std::string suffix;
    if (run.replication) suffix = fmt::format(",replication=\"{}\"", *run.replication);
    std::uint32_t n = 1;
    if (!scan_run(x, run.run_id, suffix, interval, f, &n)) return false;
    scrapes = std::max(scrapes, n);
  }
  Family &requests = f.requests, &durations = f.durations, &tcp_opened = f.tcp_opened, &tcp_closed = f.tcp_closed,
         &retries = f.retries, &overflows = f.overflows;

  // ---- printing ----
  PrometheusExportStats st;
  st.scrapes = format == PrometheusFormat::Text ? 1 : scrapes;
  st.epoch_seconds = epoch;
  st.end = static_cast<std::int64_t>(scrapes) * interval;
  const bool om = format == PrometheusFormat::OpenMetrics;
  std::string buf;
  buf.reserve(1 << 20);
  auto flush = [&] {
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    buf.clear();
  };
  auto stamp = [&](std::uint32_t scrape) {
    const std::int64_t ms = epoch_ms + (static_cast<std::int64_t>(scrape) + 1) * interval / engine::kMillisecond.ns();
    if (om) {
      // OpenMetrics timestamps are seconds.
      fmt::format_to(std::back_inserter(buf), " {}.{:03}\n", ms / 1000, ms % 1000);
    } else {
      fmt::format_to(std::back_inserter(buf), " {}\n", ms);
    }
  };
  // The scrapes a series is printed at: from its first count on, every scrape until its run's
  // last (a counter stays exposed once created); only that last one in the text format.
  auto for_scrapes = [&](std::uint32_t first, std::uint32_t last, auto&& fn) {
    for (std::uint32_t k = om ? first : last; k <= last; ++k) fn(k);
  };
  auto header = [&](std::string_view family, std::string_view type, std::string_view unit,
                    std::string_view help) {
    // The text format names a counter family by its sample name (with _total); OpenMetrics
    // by the name without it.
    fmt::format_to(std::back_inserter(buf), "# HELP {} {}\n# TYPE {} {}\n", family, help, family,
                   type);
    if (om && !unit.empty()) fmt::format_to(std::back_inserter(buf), "# UNIT {} {}\n", family, unit);
  };
  // Every series of a counter family as its running total at each scrape, under `sample_name`.
  auto cumulative_series = [&](const Family& f, std::string_view sample_name) {
    for (const Series& s : f.series) {
      ++st.series;
      std::uint64_t total = 0;
      std::size_t next = 0;
      for_scrapes(s.increments.front().scrape, s.last, [&](std::uint32_t k) {
        while (next < s.increments.size() && s.increments[next].scrape <= k) {
          total += s.increments[next++].count;
        }
        fmt::format_to(std::back_inserter(buf), "{}{}}} {}", sample_name, s.labels, total);
        stamp(k);
        ++st.samples;
      });
      if (buf.size() > (1 << 20)) flush();
    }
  };
  auto counter = [&](Family& f, std::string_view name, std::string_view help) {
    if (f.series.empty()) return;
    const std::string sample = fmt::format("{}_total", name);
    header(om ? name : std::string_view(sample), "counter", "", help);
    cumulative_series(f, sample);
  };
  // Envoy's own stat names (no `_total`): typed `unknown`/`untyped` so both formats keep the
  // name Envoy exposes, which dashboards and the Istio tasks query.
  auto envoy_counter = [&](Family& f, std::string_view name, std::string_view help) {
    if (f.series.empty()) return;
    header(name, om ? "unknown" : "untyped", "", help);
    cumulative_series(f, name);
  };

  counter(requests, "istio_requests",
          "Requests handled by an Istio proxy (simulated by meshtwin)");
  if (!durations.series.empty()) {
    const auto les = bucket_les();
    const std::string_view name = "istio_request_duration_milliseconds";
    header(name, "histogram", "milliseconds",
           "Duration of requests handled by an Istio proxy (simulated by meshtwin)");
    for (const Series& s : durations.series) {
      ++st.series;
      BucketCounts cum{};
      std::uint64_t count = 0;
      std::int64_t sum_ns = 0;
      std::size_t next = 0;
      for_scrapes(s.increments.front().scrape, s.last, [&](std::uint32_t k) {
        while (next < s.increments.size() && s.increments[next].scrape <= k) {
          const Increment& inc = s.increments[next++];
          for (std::size_t i = 0; i < kDurationBuckets; ++i) cum[i] += inc.buckets[i];
          count += inc.count;
          sum_ns += inc.sum_ns;
        }
        std::uint64_t running = 0;  // Prometheus buckets are cumulative
        for (std::size_t i = 0; i < kDurationBuckets; ++i) {
          running += cum[i];
          fmt::format_to(std::back_inserter(buf), "{}_bucket{},le=\"{}\"}} {}", name, s.labels,
                         les[i], running);
          stamp(k);
        }
        fmt::format_to(std::back_inserter(buf), "{}_count{}}} {}", name, s.labels, count);
        stamp(k);
        fmt::format_to(std::back_inserter(buf), "{}_sum{}}} {}", name, s.labels,
                       static_cast<double>(sum_ns) / 1e6);
        stamp(k);
        st.samples += kDurationBuckets + 2;
      });
      if (buf.size() > (1 << 20)) flush();
    }
  }
  counter(tcp_opened, "istio_tcp_connections_opened",
          "TCP connections opened through an Istio proxy (simulated by meshtwin)");
  counter(tcp_closed, "istio_tcp_connections_closed",
          "TCP connections closed through an Istio proxy (simulated by meshtwin)");
  envoy_counter(overflows, "envoy_cluster_upstream_rq_pending_overflow",
                "Requests that overflowed the connection pool or pending queue (UO)");
  envoy_counter(retries, "envoy_cluster_upstream_rq_retry", "Envoy's retries (attempts after the first)");
  if (!f.ejections.empty()) {
    const std::string_view name = "envoy_cluster_outlier_detection_ejections_active";
    header(name, "gauge", "", "Hosts currently ejected by outlier detection");
    for (const auto& series : f.ejections) {
      // Named references, not structured bindings: clang 14 cannot capture those in a lambda.
      const auto& labels = series.first;
      const auto& steps = series.second.steps;
      ++st.series;
      std::int64_t value = 0;
      std::size_t next = 0;
      for_scrapes(steps.front().first, series.second.last, [&](std::uint32_t k) {
        while (next < steps.size() && steps[next].first <= k) value += steps[next++].second;
        fmt::format_to(std::back_inserter(buf), "{}{}}} {}", name, labels, value);
        stamp(k);
        ++st.samples;
      });
    }
  }
  if (om) buf += "# EOF\n";
  flush();
  if (!out) {
    if (error) *error = "writing the output failed";
    return false;
  }
  if (stats) *stats = st;
  return true;
}

}  // namespace meshtwin::results
