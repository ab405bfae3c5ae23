#include "model/calibrate/observations.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

namespace meshtwin::calibrate {

bool Histogram::add(const Histogram& other) {
  if (cumulative.empty()) {
    *this = other;
    return true;
  }
  if (other.le_ms != le_ms) return false;
  for (std::size_t i = 0; i < cumulative.size(); ++i) cumulative[i] += other.cumulative[i];
  return true;
}

double Histogram::quantile(double q) const {
  const double total = count();
  if (!(total > 0) || le_ms.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double rank = q * total;
  std::size_t b = 0;
  while (b + 1 < cumulative.size() && cumulative[b] < rank) ++b;
  if (std::isinf(le_ms[b])) return le_ms.size() >= 2 ? le_ms[le_ms.size() - 2] : 0;
  const double lower = b == 0 ? 0 : le_ms[b - 1];
  const double below = b == 0 ? 0 : cumulative[b - 1];
  const double in_bucket = cumulative[b] - below;
  if (!(in_bucket > 0)) return le_ms[b];
  return lower + (le_ms[b] - lower) * (rank - below) / in_bucket;
}

double Histogram::bucket_width(double value_ms) const {
  for (std::size_t b = 0; b < le_ms.size(); ++b) {
    if (value_ms <= le_ms[b]) {
      if (std::isinf(le_ms[b])) break;
      return le_ms[b] - (b == 0 ? 0 : le_ms[b - 1]);
    }
  }
  const std::size_t n = le_ms.size();
  return n >= 3 ? le_ms[n - 2] - le_ms[n - 3] : (n >= 2 ? le_ms[n - 2] : 0);
}

double quantile_of(std::vector<double>& values, double q) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const double pos = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (values[hi] - values[lo]) * (pos - static_cast<double>(lo));
}

double EdgeData::errors() const {
  double n = 0;
  for (const auto& [key, count] : by_code_flags) {
    if (key.first < 200 || key.first > 399) n += count;
  }
  return n;
}

namespace {
int hour_of_day(double unix_s) {
  const double day = std::fmod(unix_s, 86400.0);
  return std::clamp(static_cast<int>((day < 0 ? day + 86400.0 : day) / 3600.0), 0, 23);
}
}  // namespace

void Observations::cover(double start, double end) {
  if (!(end >= start)) return;
  if (start_s == 0 && end_s == 0) {
    start_s = start;
    end_s = end;
  } else {
    // Hours already counted are not counted twice: only the part outside the range so far.
    if (start < start_s) {
      cover(start, start_s);
    }
    if (end > end_s) {
      const double from = std::max(start, end_s);
      end_s = end;
      for (double t = from; t < end;) {
        const double next = std::min(end, (std::floor(t / 3600.0) + 1) * 3600.0);
        seconds_per_hour[hour_of_day(t)] += next - t;
        t = next;
      }
    }
    return;
  }
  for (double t = start; t < end;) {
    const double next = std::min(end, (std::floor(t / 3600.0) + 1) * 3600.0);
    seconds_per_hour[hour_of_day(t)] += next - t;
    t = next;
  }
}

void MetricsBuilder::add_requests(const EdgeKey& edge, bool source_reporter, int code,
                                  const std::string& flags, double increase, double at_s) {
  EdgeData& e = by_reporter_[source_reporter ? 1 : 0][edge];
  e.requests += increase;
  e.by_code_flags[{code, flags}] += increase;
  e.per_hour[hour_of_day(at_s)] += increase;
}

void MetricsBuilder::add_histogram(const EdgeKey& edge, bool source_reporter, const Histogram& increase) {
  EdgeData& e = by_reporter_[source_reporter ? 1 : 0][edge];
  if (!e.histogram) {
    e.histogram = increase;
  } else {
    e.histogram->add(increase);
  }
}

Observations MetricsBuilder::finish(Observations out) {
  out.kind = InputKind::Metrics;
  for (auto& [key, data] : by_reporter_[1]) out.edges[key] = std::move(data);
  for (auto& [key, data] : by_reporter_[0]) {
    auto it = out.edges.find(key);
    if (it == out.edges.end()) {
      data.source_reported = false;
      out.edges[key] = std::move(data);
    } else if (!it->second.histogram && data.histogram) {
      // A source that reports counts but not durations: the destination's histogram is the
      // nearest view there is.
      it->second.histogram = std::move(data.histogram);
    }
  }
  by_reporter_[0].clear();
  by_reporter_[1].clear();
  return out;
}

// ---------------------------------------------------------------- traces

namespace {

// A pod name's workload: the twin's `<workload>-<ordinal>`, or Kubernetes' Deployment pods
// `<workload>-<replicaset hash>-<5 chars>`.
std::string workload_of_pod(const std::string& pod) {
  auto strip = [](std::string s, bool digits_only) {
    const auto dash = s.rfind('-');
    if (dash == std::string::npos || dash == 0) return s;
    const std::string tail = s.substr(dash + 1);
    if (tail.empty()) return s;
    const bool digits = std::all_of(tail.begin(), tail.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits_only && !digits) return s;
    return s.substr(0, dash);
  };
  const auto dash = pod.rfind('-');
  if (dash == std::string::npos) return pod;
  const std::string tail = pod.substr(dash + 1);
  if (!tail.empty() && std::all_of(tail.begin(), tail.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return strip(pod, true);
  }
  if (tail.size() == 5) {
    const std::string rest = strip(pod, false);
    const auto d2 = rest.rfind('-');
    if (d2 != std::string::npos && rest.size() - d2 - 1 >= 8) return rest.substr(0, d2);
  }
  return pod;
}

// Istio's Zipkin service names are `<workload or canonical service>.<namespace>`.
WorkloadId workload_of_service_name(const std::string& name) {
  const auto dot = name.find('.');
  if (dot == std::string::npos) return {"", name};
  return {name.substr(dot + 1), name.substr(0, dot)};
}

// The destination host of a span: the remote endpoint when it is a host name, else the
// upstream cluster's (`outbound|port|subset|host`), else the operation name's (`host:port/*`).
std::string service_of(const TraceSpan& s, int* port) {
  *port = 0;
  if (s.upstream_cluster.rfind("outbound|", 0) == 0) {
    const auto p1 = s.upstream_cluster.find('|', 9);
    const auto p2 = p1 == std::string::npos ? p1 : s.upstream_cluster.find('|', p1 + 1);
    if (p2 != std::string::npos) {
      *port = std::atoi(s.upstream_cluster.substr(9, p1 - 9).c_str());
      if (s.remote_service.empty()) return s.upstream_cluster.substr(p2 + 1);
    }
  }
  if (!s.remote_service.empty()) return s.remote_service;
  const auto colon = s.name.find(':');
  if (colon != std::string::npos) {
    if (*port == 0) *port = std::atoi(s.name.c_str() + colon + 1);
    return s.name.substr(0, colon);
  }
  const auto slash = s.name.find('/');
  return s.name.substr(0, slash);
}

// Spans answered by the proxy itself (no healthy upstream, overflow, no route, ...) reached
// no app: they count as requests but not as work the destination did.
bool reached_app(const TraceSpan& s) {
  if (s.status == 0) return false;
  return s.response_flags.empty() || s.response_flags == "-";
}

// Each client span's parent client span (through a server span when the trace has them) in
// `parent` (-1: a root), and the workload a server or child span names as its destination.
void link_spans(const std::vector<TraceSpan>& spans, std::vector<long>& parent, std::vector<std::string>& dest) {
  // Spans by (trace, id); Zipkin's shared spans (client and server with one id) keep both.
  std::unordered_map<std::string, std::size_t> client_by_id, server_by_id;
  client_by_id.reserve(spans.size());
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const std::string key = spans[i].trace_id + '/' + spans[i].span_id;
    (spans[i].server ? server_by_id : client_by_id).emplace(key, i);
  }
  auto find_client = [&](const std::string& trace, const std::string& id) -> long {
    auto it = client_by_id.find(trace + '/' + id);
    return it == client_by_id.end() ? -1 : static_cast<long>(it->second);
  };

  const std::size_t n = spans.size();
  for (std::size_t i = 0; i < n; ++i) {
    const TraceSpan& s = spans[i];
    if (!s.server) continue;
    // A server span is the inbound side of its parent client span (or of the client span
    // sharing its id).
    long c = find_client(s.trace_id, s.span_id);
    if (c < 0 && !s.parent_id.empty()) c = find_client(s.trace_id, s.parent_id);
    if (c >= 0 && dest[c].empty()) dest[c] = s.local_service;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const TraceSpan& s = spans[i];
    if (s.server || s.parent_id.empty()) continue;
    long p = find_client(s.trace_id, s.parent_id);
    if (p < 0) {
      auto it = server_by_id.find(s.trace_id + '/' + s.parent_id);
      if (it != server_by_id.end()) {
        const TraceSpan& sv = spans[it->second];
        p = find_client(sv.trace_id, sv.span_id);
        if (p < 0 && !sv.parent_id.empty()) p = find_client(sv.trace_id, sv.parent_id);
      }
    }
    parent[i] = p;
    if (p >= 0 && dest[p].empty()) dest[p] = s.local_service;
  }

}

// Each client span's destination workload (a server span's or child's name, the input's own
// tag, the upstream pod's workload, else the service's short name), service and port.
void name_destinations(const std::vector<TraceSpan>& spans, const std::vector<std::string>& dest,
                       std::vector<WorkloadId>& dest_id, std::vector<std::string>& service, std::vector<int>& port) {
  const std::size_t n = spans.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (spans[i].server) continue;
    const TraceSpan& s = spans[i];
    service[i] = service_of(s, &port[i]);
    std::string d = dest[i];
    if (d.empty()) d = s.destination_workload;
    if (d.empty() && !s.peer_address.empty()) d = workload_of_pod(s.peer_address);
    if (d.empty()) d = service[i].substr(0, service[i].find('.'));
    dest_id[i] = workload_of_service_name(d);
  }

}

// Children of each client span, by start, the roots, and the time the client spans cover.
void build_children(const std::vector<TraceSpan>& spans, const std::vector<long>& parent,
                    std::vector<std::vector<std::size_t>>& children, std::vector<std::size_t>& roots,
                    std::int64_t& first, std::int64_t& last) {
  const std::size_t n = spans.size();
  first = spans[0].start_ns;
  last = spans[0].start_ns + spans[0].duration_ns;
  for (std::size_t i = 0; i < n; ++i) {
    if (spans[i].server) continue;
    first = std::min(first, spans[i].start_ns);
    last = std::max(last, spans[i].start_ns + spans[i].duration_ns);
    if (parent[i] >= 0) {
      children[parent[i]].push_back(i);
    } else {
      roots.push_back(i);
    }
  }
  for (auto& c : children) {
    std::sort(c.begin(), c.end(), [&](std::size_t a, std::size_t b) {
      return spans[a].start_ns != spans[b].start_ns ? spans[a].start_ns < spans[b].start_ns : a < b;
    });
  }
}

}  // namespace

Observations observations_from_spans(std::vector<TraceSpan> spans, const TraceOptions& options,
                                     std::vector<std::string> files) {
  Observations out;
  out.kind = InputKind::Traces;
  out.files = std::move(files);
  out.sample = options.sample;
  out.spans = spans.size();
  if (spans.empty()) return out;

  // The caller-side span each client span hangs under (its parent client span, through a
  // server span when the trace has them), and the destination workload server spans name.
  const std::size_t n = spans.size();
  std::vector<long> parent(n, -1);
  std::vector<std::string> dest(n);
  link_spans(spans, parent, dest);

  // Children of each client span, by start.
  std::vector<std::vector<std::size_t>> children(n);
  std::vector<std::size_t> roots;
  std::int64_t first = 0, last = 0;
  build_children(spans, parent, children, roots, first, last);
  out.cover(static_cast<double>(first) * 1e-9, static_cast<double>(last) * 1e-9);

  std::vector<WorkloadId> dest_id(n);
  std::vector<std::string> service(n);
  std::vector<int> port(n, 0);
  name_destinations(spans, dest, dest_id, service, port);

  // Streams: a first attempt and the retries after it (siblings to the same service, later
  // attempt numbers). Istio's metrics count a stream once, with its last attempt's code and
  // the whole stream's duration.
  auto is_first = [&](std::size_t i) { return spans[i].attempt <= 1; };
  auto add_stream = [&](std::size_t head, const std::vector<std::size_t>& attempts) {
    const TraceSpan& h = spans[head];
    const TraceSpan& lastp = spans[attempts.back()];
    EdgeKey key{workload_of_service_name(h.local_service), dest_id[attempts.back()], service[head]};
    EdgeData& e = out.edges[key];
    e.requests += 1;
    e.by_code_flags[{std::max(lastp.status, 0), lastp.response_flags.empty() ? "-" : lastp.response_flags}] += 1;
    const std::int64_t end = lastp.start_ns + lastp.duration_ns;
    e.durations_ms.push_back(static_cast<double>(end - h.start_ns) * 1e-6);
    e.per_hour[hour_of_day(static_cast<double>(h.start_ns) * 1e-9)] += 1;
    if (port[head] && !e.port) e.port = port[head];
    if (!h.url.empty() && e.url.empty()) {
      e.url = h.url;
      e.method = h.method;
    }
  };
  auto streams_of = [&](const std::vector<std::size_t>& list) {
    std::vector<std::vector<std::size_t>> streams;
    for (std::size_t i : list) {
      if (spans[i].server) continue;
      if (is_first(i) || streams.empty()) {
        streams.push_back({i});
        continue;
      }
      // A retry joins the latest stream to the same service.
      bool joined = false;
      for (auto it = streams.rbegin(); it != streams.rend(); ++it) {
        if (service[(*it)[0]] == service[i]) {
          it->push_back(i);
          joined = true;
          break;
        }
      }
      if (!joined) streams.push_back({i});
    }
    return streams;
  };
  for (const auto& st : streams_of(roots)) add_stream(st[0], st);

  for (std::size_t i = 0; i < n; ++i) {
    if (spans[i].server) continue;
    const auto streams = streams_of(children[i]);
    for (const auto& st : streams) add_stream(st[0], st);
    if (!reached_app(spans[i])) continue;
    WorkloadTraces& w = out.workloads[dest_id[i]];
    ++w.inbound;
    // Self time: the attempt's duration less the union of its calls' intervals (calls in
    // parallel overlap and count once).
    std::int64_t busy = 0, cur_start = 0, cur_end = -1;
    std::string pattern;
    std::int64_t group_end = -1;
    for (const auto& st : streams) {
      const TraceSpan& h = spans[st[0]];
      const TraceSpan& l = spans[st.back()];
      const std::int64_t s0 = h.start_ns, s1 = l.start_ns + l.duration_ns;
      if (s0 >= cur_end) {
        if (cur_end > cur_start) busy += cur_end - cur_start;
        cur_start = s0;
        cur_end = s1;
      } else {
        cur_end = std::max(cur_end, s1);
      }
      // A call starting before the previous one ended was made in parallel with it. Zipkin
      // keeps microseconds (start truncated, duration rounded up), so a call made right after
      // another can seem to start a microsecond early: overlaps under kOverlapNs do not count.
      constexpr std::int64_t kOverlapNs = 5000;
      const bool parallel = s0 + kOverlapNs < group_end;
      if (!pattern.empty()) pattern += parallel ? '|' : ';';
      pattern += service[st[0]];
      group_end = parallel ? std::max(group_end, s1) : s1;
      ++w.calls_by_service[service[st[0]]];
    }
    if (cur_end > cur_start) busy += cur_end - cur_start;
    w.self_ms.push_back(static_cast<double>(std::max<std::int64_t>(0, spans[i].duration_ns - busy)) * 1e-6);
    ++w.patterns[pattern];
  }
  return out;
}

}  // namespace meshtwin::calibrate
