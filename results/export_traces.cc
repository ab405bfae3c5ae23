// Spans of a results file as OTLP/JSON or Zipkin v2 JSON (docs/export.md). Each stored span
// is one caller-side attempt (or local reply) of one hop, with its parent the attempt whose
// server pod made the call: exactly the tree Envoy's tracer builds, retries being siblings
// under the same parent. Tags follow what Istio's proxies put on their spans.
#include "results/export_traces.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <vector>

#include "results/export_prometheus.h"
#include "results/sqlite_detail.h"

namespace meshtwin::results {

using detail::Statement;

namespace {

std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

struct SpanData {
  std::uint64_t request_id, span_id, parent;
  std::string canonical_service, canonical_revision;  // of the source workload
  std::string kind, source_workload, source_pod, destination_service, destination_version,
      destination_workload, destination_pod, cluster, flags, method, authority, path;
  std::int64_t attempt, start_ns, duration_ns, code;
};

// Envoy's operation name in Istio: the route decorator `<host>:<port>/*`; the port is the
// cluster's (outbound|9080|v1|reviews.default.svc.cluster.local).
std::string operation_name(const SpanData& s) {
  const std::string& c = s.cluster;
  if (c.rfind("outbound|", 0) == 0) {
    const auto p1 = c.find('|', 9);
    if (p1 != std::string::npos) return fmt::format("{}:{}/*", s.destination_service, c.substr(9, p1 - 9));
  }
  return s.destination_service + "/*";
}

// (key, value, is_int) tags of a span, as Istio's proxies set them.
std::vector<std::tuple<std::string, std::string, bool>> span_tags(const SpanData& s) {
  std::vector<std::tuple<std::string, std::string, bool>> t;
  t.emplace_back("component", "proxy", false);
  t.emplace_back("upstream_cluster", s.cluster, false);
  t.emplace_back("upstream_cluster.name", s.cluster, false);
  t.emplace_back("response_flags", s.flags, false);
  t.emplace_back("http.status_code", std::to_string(s.code), true);
  if (s.parent == 0 && !s.method.empty()) {
    t.emplace_back("http.method", s.method, false);
    t.emplace_back("http.url", fmt::format("http://{}{}", s.authority, s.path), false);
  }
  t.emplace_back("guid:x-request-id", fmt::format("{}", s.request_id), false);
  // The reporting proxy's canonical service and revision (istio/istio pkg/kube/labels
  // CanonicalService: service.istio.io/canonical-name, app.kubernetes.io/name, app, else the
  // workload's name; the revision likewise from canonical-revision, app.kubernetes.io/version,
  // version, else "latest").
  t.emplace_back("istio.canonical_service", s.canonical_service, false);
  t.emplace_back("istio.canonical_revision", s.canonical_revision, false);
  t.emplace_back("node_id", s.source_pod, false);
  t.emplace_back("peer.address", s.destination_pod, false);
  t.emplace_back("meshtwin.attempt", std::to_string(s.attempt), true);
  t.emplace_back("meshtwin.span_kind", s.kind, false);
  t.emplace_back("meshtwin.destination_version", s.destination_version, false);
  // Envoy marks 5xx responses (and no response at all) as errors.
  if (s.code >= 500 || s.code == 0) t.emplace_back("error", "true", false);
  return t;
}

}  // namespace

std::string trace_id_hex(std::uint64_t request_id) {
  return fmt::format("{:016x}{:016x}", mix64(request_id ^ 0x7472616365ull), request_id);
}

bool trace_sampled(std::uint64_t request_id, double fraction) {
  if (fraction >= 1.0) return true;
  if (fraction <= 0.0) return false;
  return static_cast<double>(mix64(request_id) >> 11) * 0x1.0p-53 < fraction;
}

bool export_traces(const std::string& path, std::int64_t run_id, TraceFormat format,
                   const TraceExportOptions& options, std::ostream& out, TraceExportStats* stats,
                   std::string* error) {
  std::optional<double> epoch = options.epoch_seconds;
  if (!epoch) {
    epoch = default_epoch_seconds(path, run_id, error);
    if (!epoch) return false;
  }
  const std::int64_t epoch_us = static_cast<std::int64_t>(std::llround(*epoch * 1e6));
  sqlite3* db = nullptr;
  auto fail = [&](std::string_view what) {
    if (error) *error = fmt::format("{}: {}: {}", path, what, db ? sqlite3_errmsg(db) : "");
    if (db) sqlite3_close_v2(db);
    return false;
  };
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    return fail("cannot open the results file");
  }
  std::string msg;
  // Canonical service and revision per workload: the `workloads` table; files without it
  // (older than it) use the app and version labels the metrics recorded, else the workload's
  // name and "latest", which is what Istio derives when no canonical-* label is set.
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> canonical;
  {
    Statement t(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'workloads'", &msg);
    if (!t || t.step() != SQLITE_ROW) return fail("reading the schema");
    if (t.column_int(0) > 0) {
      Statement w(db, "SELECT workload, canonical_service, canonical_revision FROM workloads "
                      "WHERE run_id = ?", &msg);
      if (!w) return fail("reading workloads");
      w.bind(1, run_id);
      while (w.step() == SQLITE_ROW) {
        canonical.emplace(w.column_text(0), std::make_pair(w.column_text(1), w.column_text(2)));
      }
    }
  }
  auto canonical_of = [&](SpanData& s) {
    auto it = canonical.find(s.source_workload);
    if (it == canonical.end()) {
      std::string app, version;
      Statement a(db, "SELECT source_app, source_version FROM metrics WHERE run_id = ? AND "
                      "source_workload = ? AND source_app != 'unknown' LIMIT 1", &msg);
      if (a) {  // files older than schema 4 have no such columns
        a.bind(1, run_id);
        a.bind(2, std::string_view(s.source_workload));
        if (a.step() == SQLITE_ROW) {
          app = a.column_text(0);
          version = a.column_text(1);
        }
      }
      if (app.empty()) app = s.source_workload;
      if (version.empty() || version == "unknown") version = "latest";
      it = canonical.emplace(s.source_workload, std::make_pair(app, version)).first;
    }
    s.canonical_service = it->second.first;
    s.canonical_revision = it->second.second;
  };
  Statement q(db,
              "SELECT s.request_id, s.span_id, s.parent_span_id, s.kind, s.source_workload, "
              "s.source_pod, s.destination_service, s.destination_version, "
              "s.destination_workload, s.destination_pod, s.cluster, s.attempt, s.start_ns, "
              "s.duration_ns, s.response_code, s.response_flags, r.method, r.authority, r.path "
              "FROM spans s LEFT JOIN requests r ON r.run_id = s.run_id AND "
              "r.request_id = s.request_id WHERE s.run_id = ? ORDER BY s.request_id, s.span_id",
              &msg);
  if (!q) return fail("reading spans");
  q.bind(1, run_id);

  TraceExportStats st;
  const bool otlp = format == TraceFormat::Otlp;
  // OTLP groups spans by resource (the reporting workload); Zipkin is one flat list.
  std::map<std::string, std::string> by_service;
  std::string flat;
  std::uint64_t last_request = 0;
  bool any = false;
  if (!otlp) flat = "[\n";
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    SpanData s;
    s.request_id = static_cast<std::uint64_t>(q.column_int(0));
    if (!trace_sampled(s.request_id, options.sample)) continue;
    if (!any || s.request_id != last_request) ++st.traces;
    any = true;
    last_request = s.request_id;
    s.span_id = static_cast<std::uint64_t>(q.column_int(1));
    s.parent = static_cast<std::uint64_t>(q.column_int(2));  // NULL reads 0
    s.kind = q.column_text(3);
    s.source_workload = q.column_text(4);
    s.source_pod = q.column_text(5);
    s.destination_service = q.column_text(6);
    s.destination_version = q.column_text(7);
    s.destination_workload = q.column_text(8);
    s.destination_pod = q.column_text(9);
    s.cluster = q.column_text(10);
    s.attempt = q.column_int(11);
    s.start_ns = q.column_int(12);
    s.duration_ns = q.column_int(13);
    s.code = q.column_int(14);
    s.flags = q.column_text(15);
    s.method = q.column_text(16);
    s.authority = q.column_text(17);
    s.path = q.column_text(18);
    canonical_of(s);
    ++st.spans;
    const std::string trace = trace_id_hex(s.request_id);
    const auto tags = span_tags(s);
    std::string& o = otlp ? by_service[s.source_workload] : flat;
    if (otlp ? !o.empty() : st.spans > 1) o += ",\n";
    if (otlp) {
      const std::int64_t start = epoch_us * 1000 + s.start_ns;
      fmt::format_to(std::back_inserter(o),
                     "{{\"traceId\":\"{}\",\"spanId\":\"{:016x}\",", trace, s.span_id);
      if (s.parent) fmt::format_to(std::back_inserter(o), "\"parentSpanId\":\"{:016x}\",", s.parent);
      o += "\"name\":";
      append_json_string(o, operation_name(s));
      // SPAN_KIND_CLIENT = 3; int64 times are strings in the protobuf JSON mapping.
      fmt::format_to(std::back_inserter(o),
                     ",\"kind\":3,\"startTimeUnixNano\":\"{}\",\"endTimeUnixNano\":\"{}\","
                     "\"attributes\":[",
                     start, start + s.duration_ns);
      bool first = true;
      for (const auto& [k, v, is_int] : tags) {
        if (!first) o += ',';
        first = false;
        o += "{\"key\":";
        append_json_string(o, k);
        if (is_int) {
          fmt::format_to(std::back_inserter(o), ",\"value\":{{\"intValue\":\"{}\"}}}}", v);
        } else {
          o += ",\"value\":{\"stringValue\":";
          append_json_string(o, v);
          o += "}}";
        }
      }
      // STATUS_CODE_ERROR = 2 for what Envoy tags `error`; unset otherwise.
      o += (s.code >= 500 || s.code == 0) ? "],\"status\":{\"code\":2}}" : "],\"status\":{}}";
    } else {
      fmt::format_to(std::back_inserter(o), "{{\"traceId\":\"{}\",\"id\":\"{:016x}\",", trace,
                     s.span_id);
      if (s.parent) fmt::format_to(std::back_inserter(o), "\"parentId\":\"{:016x}\",", s.parent);
      o += "\"name\":";
      append_json_string(o, operation_name(s));
      // Microseconds; Zipkin rounds durations below one up.
      fmt::format_to(std::back_inserter(o), ",\"kind\":\"CLIENT\",\"timestamp\":{},\"duration\":{},",
                     epoch_us + s.start_ns / 1000, std::max<std::int64_t>(1, (s.duration_ns + 999) / 1000));
      o += "\"localEndpoint\":{\"serviceName\":";
      append_json_string(o, s.source_workload);
      o += "},\"remoteEndpoint\":{\"serviceName\":";
      append_json_string(o, s.destination_service);
      o += "},\"tags\":{";
      bool first = true;
      for (const auto& [k, v, is_int] : tags) {
        if (!first) o += ',';
        first = false;
        append_json_string(o, k);
        o += ':';
        append_json_string(o, v);  // Zipkin tags are strings
      }
      o += "}}";
      if (flat.size() > (1 << 20)) {
        out << flat;
        flat.clear();
      }
    }
  }
  const bool ok = rc == SQLITE_DONE;
  sqlite3_close_v2(db);
  db = nullptr;
  if (!ok) return fail("reading spans");
  if (otlp) {
    out << "{\"resourceSpans\":[";
    bool first = true;
    for (const auto& [service, spans] : by_service) {
      std::string head = first ? "\n" : ",\n";
      first = false;
      head += "{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":";
      append_json_string(head, service);
      head += "}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"meshtwin\"},\"spans\":[\n";
      out << head << spans << "]}]}";
    }
    out << "]}\n";
  } else {
    out << flat << "\n]\n";
  }
  if (!out) {
    if (error) *error = "writing the output failed";
    return false;
  }
  if (stats) *stats = st;
  return true;
}

}  // namespace meshtwin::results
