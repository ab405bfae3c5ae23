// Zipkin v2 JSON and OTLP/JSON traces (docs/calibrate.md "Inputs"), read as a stream of
// spans. Tags/attributes read: http.status_code, response_flags, upstream_cluster, peer.address,
// http.url, http.method (Istio's proxies set them) and meshtwin.attempt /
// meshtwin.destination_workload when present (meshtwin's own export).
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "model/calibrate/json_stream.h"
#include "model/calibrate/readers.h"

namespace meshtwin::calibrate {
namespace {

enum class Format { Unknown, Zipkin, Otlp };

struct Pending {
  TraceSpan span;
  std::size_t offset = 0;
  std::string path;
  bool has_start = false, has_duration = false, has_end = false, skip = false;
  std::int64_t end_ns = 0;
  std::string kind;
};

std::string scalar_text(const Scalar& v) {
  switch (v.kind) {
    case Scalar::Kind::String: return std::string(v.text);
    case Scalar::Kind::Number: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", v.number);
      return buf;
    }
    case Scalar::Kind::Bool: return v.boolean ? "true" : "false";
    case Scalar::Kind::Null: return "";
  }
  return "";
}

class TraceVisitor : public JsonVisitor {
 public:
  TraceVisitor(JsonStream& s, std::vector<TraceSpan>& out) : s_(s), out_(out) {}

  void begin_container(const std::vector<PathStep>& path, bool is_array) override {
    const std::size_t d = path.size();
    if (d == 0) {
      format_ = is_array ? Format::Zipkin : Format::Otlp;
      return;
    }
    if (format_ == Format::Zipkin) {
      if (d == 1) {
        if (is_array) s_.error(path, "expected a span object (Zipkin v2)");
        start_span(path);
      }
      return;
    }
    // OTLP
    if (d == 1 && path[0].key == "resourceSpans") saw_resource_spans_ = true;
    if (d == 1 && path[0].key == "data") {
      s_.error(path, "this looks like Jaeger's own JSON; export OTLP JSON or Zipkin v2 instead (docs/calibrate.md)");
    }
    if (path[0].key != "resourceSpans") return;
    if (d == 2) {
      resource_service_.clear();
      resource_first_ = out_.size();
      return;
    }
    if (d == 6 && is_span_list(path) && !path[5].key.size()) start_span(path);
  }

  void end_container(const std::vector<PathStep>& path, bool) override {
    const std::size_t d = path.size();
    if (d == 0) {
      if (format_ == Format::Otlp && !saw_resource_spans_) {
        s_.error({}, "neither Zipkin v2 JSON (a list of spans) nor OTLP JSON (an object with resourceSpans)");
      }
      return;
    }
    if (format_ == Format::Zipkin && d == 1) {
      end_span();
      return;
    }
    if (format_ != Format::Otlp || path[0].key != "resourceSpans") return;
    if (d == 6 && is_span_list(path)) end_span();
    if (d == 8 && in_span_ && path[6].key == "attributes") attribute_done();
    if (d == 5 && path[2].key == "resource" && path[3].key == "attributes") {
      if (attr_key_ == "service.name") resource_service_ = attr_value_;
      attr_key_.clear();
      attr_value_.clear();
    }
    if (d == 2) {
      // The resource's service.name may come after its spans in the object.
      for (std::size_t i = resource_first_; i < out_.size(); ++i) {
        if (out_[i].local_service.empty()) {
          if (resource_service_.empty()) {
            s_.error(path, "spans of a resource without the attribute service.name (the reporting workload)");
          }
          out_[i].local_service = resource_service_;
        }
      }
    }
  }

  void scalar(const std::vector<PathStep>& path, const Scalar& v) override {
    const std::size_t d = path.size();
    if (d == 0) s_.error(path, "neither Zipkin v2 JSON (a list of spans) nor OTLP JSON (an object with resourceSpans)");
    if (format_ == Format::Zipkin) {
      if (d == 1) s_.error(path, "expected a span object (Zipkin v2)");
      if (!in_span_) return;
      if (d == 2) {
        zipkin_field(path, path[1].key, v);
      } else if (d == 3 && path[1].key == "tags") {
        tag(path[2].key, scalar_text(v));
      } else if (d == 3 && path[2].key == "serviceName") {
        if (path[1].key == "localEndpoint") cur_.span.local_service = scalar_text(v);
        if (path[1].key == "remoteEndpoint") cur_.span.remote_service = scalar_text(v);
      }
      return;
    }
    if (path[0].key != "resourceSpans") return;
    // resource attributes: resourceSpans[r].resource.attributes[a].key / .value.stringValue
    if (d >= 6 && path[2].key == "resource" && path[3].key == "attributes") {
      if (d == 6 && path[5].key == "key") attr_key_ = scalar_text(v);
      if (d == 7 && path[5].key == "value") attr_value_ = scalar_text(v);
      return;
    }
    if (!in_span_ || d < 7 || !is_span_list(path)) return;
    if (d == 7) {
      otlp_field(path, path[6].key, v);
    } else if (path[6].key == "attributes") {
      if (d == 9 && path[8].key == "key") attr_key_ = scalar_text(v);
      if (d == 10 && path[8].key == "value") attr_value_ = scalar_text(v);
    }
  }

 private:
  static bool is_span_list(const std::vector<PathStep>& p) {
    return p.size() >= 6 && (p[2].key == "scopeSpans" || p[2].key == "instrumentationLibrarySpans") && p[4].key == "spans";
  }
  void start_span(const std::vector<PathStep>& path) {
    cur_ = Pending{};
    cur_.offset = s_.offset() > 0 ? s_.offset() - 1 : 0;
    cur_.path = JsonStream::path_text(path);
    in_span_ = true;
  }
  void attribute_done() {
    if (!attr_key_.empty()) tag(attr_key_, attr_value_);
    attr_key_.clear();
    attr_value_.clear();
  }
  std::int64_t nanos(const std::vector<PathStep>& path, const Scalar& v) {
    // int64 is a string in the protobuf JSON mapping; a number is accepted too.
    if (v.kind == Scalar::Kind::Number) return v.is_integer ? v.integer : static_cast<std::int64_t>(v.number);
    if (v.kind != Scalar::Kind::String) s_.error(path, "expected nanoseconds since the Unix epoch as a string");
    const std::string t(v.text);
    char* end = nullptr;
    const long long x = std::strtoll(t.c_str(), &end, 10);
    if (t.empty() || *end != '\0' || x < 0) s_.error(path, "\"" + t + "\" is not a number of nanoseconds");
    return x;
  }
  void zipkin_field(const std::vector<PathStep>& path, const std::string& k, const Scalar& v) {
    TraceSpan& sp = cur_.span;
    if (k == "traceId") sp.trace_id = scalar_text(v);
    else if (k == "id") sp.span_id = scalar_text(v);
    else if (k == "parentId") sp.parent_id = scalar_text(v);
    else if (k == "name") sp.name = scalar_text(v);
    else if (k == "kind") cur_.kind = scalar_text(v);
    else if (k == "timestamp" || k == "duration") {
      if (v.kind != Scalar::Kind::Number || !(v.number >= 0)) s_.error(path, k + " must be a number of microseconds");
      // Microseconds since the epoch need 51 bits; in nanoseconds a double would round them.
      const std::int64_t ns = v.is_integer ? v.integer * 1000 : static_cast<std::int64_t>(std::llround(v.number * 1000.0));
      if (k == "timestamp") {
        sp.start_ns = ns;
        cur_.has_start = true;
      } else {
        sp.duration_ns = ns;
        cur_.has_duration = true;
      }
    }
  }
  void otlp_field(const std::vector<PathStep>& path, const std::string& k, const Scalar& v) {
    TraceSpan& sp = cur_.span;
    if (k == "traceId") sp.trace_id = scalar_text(v);
    else if (k == "spanId") sp.span_id = scalar_text(v);
    else if (k == "parentSpanId") sp.parent_id = scalar_text(v);
    else if (k == "name") sp.name = scalar_text(v);
    else if (k == "kind") {
      const std::string t = scalar_text(v);
      cur_.kind = t == "2" || t == "SPAN_KIND_SERVER" ? "SERVER" : t == "3" || t == "SPAN_KIND_CLIENT" ? "CLIENT"
                  : t == "0" || t == "SPAN_KIND_UNSPECIFIED" ? "" : "OTHER";
    } else if (k == "startTimeUnixNano") {
      sp.start_ns = nanos(path, v);
      cur_.has_start = true;
    } else if (k == "endTimeUnixNano") {
      cur_.end_ns = nanos(path, v);
      cur_.has_end = true;
    }
  }
  void tag(const std::string& k, const std::string& v) {
    TraceSpan& sp = cur_.span;
    if (k == "http.status_code") {
      char* end = nullptr;
      const long code = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || code < 0 || code > 999) {
        s_.error_at(cur_.offset, cur_.path, "tag http.status_code \"" + v + "\" is not an HTTP status");
      }
      sp.status = static_cast<int>(code);
    } else if (k == "response_flags") sp.response_flags = v;
    else if (k == "upstream_cluster" || (k == "upstream_cluster.name" && sp.upstream_cluster.empty())) sp.upstream_cluster = v;
    else if (k == "peer.address") sp.peer_address = v;
    else if (k == "http.url") sp.url = v;
    else if (k == "http.method") sp.method = v;
    else if (k == "meshtwin.attempt") sp.attempt = std::atoi(v.c_str());
    else if (k == "meshtwin.destination_workload") sp.destination_workload = v;
  }
  void end_span() {
    in_span_ = false;
    TraceSpan& sp = cur_.span;
    auto missing = [&](const char* what) {
      s_.error_at(cur_.offset, cur_.path, std::string("span without ") + what);
    };
    if (sp.trace_id.empty()) missing("traceId");
    if (sp.span_id.empty()) missing(format_ == Format::Zipkin ? "id" : "spanId");
    if (!cur_.has_start) missing(format_ == Format::Zipkin ? "timestamp" : "startTimeUnixNano");
    if (format_ == Format::Otlp) {
      if (!cur_.has_end) missing("endTimeUnixNano");
      if (cur_.end_ns < sp.start_ns) s_.error_at(cur_.offset, cur_.path, "endTimeUnixNano is before startTimeUnixNano");
      sp.duration_ns = cur_.end_ns - sp.start_ns;
    } else {
      if (!cur_.has_duration) missing("duration");
      if (sp.local_service.empty()) missing("localEndpoint.serviceName (the reporting workload)");
    }
    if (cur_.kind == "OTHER" || cur_.kind == "PRODUCER" || cur_.kind == "CONSUMER") return;
    sp.server = cur_.kind == "SERVER";
    if (!sp.server && sp.status < 0) missing("the tag http.status_code");
    out_.push_back(std::move(sp));
  }

  JsonStream& s_;
  std::vector<TraceSpan>& out_;
  Format format_ = Format::Unknown;
  bool in_span_ = false, saw_resource_spans_ = false;
  Pending cur_;
  std::string attr_key_, attr_value_, resource_service_;
  std::size_t resource_first_ = 0;
};

}  // namespace

void read_traces_text(const std::string& file, const std::string& text, std::vector<TraceSpan>& spans) {
  JsonStream stream(file, text);
  TraceVisitor visitor(stream, spans);
  stream.parse(visitor);
}

Observations read_traces(const std::vector<std::string>& files, const TraceOptions& options) {
  std::vector<TraceSpan> spans;
  for (const std::string& f : files) {
    const std::string text = read_input_file(f);
    read_traces_text(f, text, spans);
  }
  return observations_from_spans(std::move(spans), options, files);
}

}  // namespace meshtwin::calibrate
