// Prometheus `query_range` JSON (docs/calibrate.md "Inputs"): {"status":"success","data":
// {"resultType":"matrix","result":[{"metric":{...labels},"values":[[unix_s,"value"],...]}]}}.
// Read as a stream: a series' samples are folded into its increase as they arrive.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <unordered_map>

#include "model/calibrate/json_stream.h"
#include "model/calibrate/readers.h"

namespace meshtwin::calibrate {
namespace {

constexpr std::string_view kRequests = "istio_requests_total";
constexpr std::string_view kBucket = "istio_request_duration_milliseconds_bucket";

// Per sample, so integer arithmetic rather than fmod.
int hour_of(double unix_s) {
  const auto s = static_cast<long long>(std::floor(unix_s));
  const long long day = ((s % 86400) + 86400) % 86400;
  return static_cast<int>(day / 3600);
}

// A counter's samples folded as they stream in: Prometheus' increase() without extrapolation
// (a drop is a counter reset, after which the new value counts from 0).
struct Counter {
  double first_t = std::numeric_limits<double>::quiet_NaN();
  double first_v = 0, last_t = 0, last_v = 0;
  double increase = 0;  // after the first sample
  std::array<double, 24> per_hour{};
  std::size_t samples = 0;
  void add(double t, double v) {
    if (samples == 0) {
      first_t = t;
      first_v = v;
    } else {
      const double d = v >= last_v ? v - last_v : v;
      increase += d;
      per_hour[hour_of(t)] += d;
    }
    last_t = t;
    last_v = v;
    ++samples;
  }
};

struct RequestSeries {
  EdgeKey edge;
  bool source = true;
  int code = 0;
  std::string flags;
  Counter counter;
};

struct BucketSeries {
  double le = 0;
  std::string le_text;
  std::size_t offset = 0;  // where the series starts, for errors
  std::size_t index = 0;   // data.result[index]
  Counter counter;
};
struct HistogramGroup {
  EdgeKey edge;
  bool source = true;
  std::vector<BucketSeries> buckets;
};

class PrometheusVisitor : public JsonVisitor {
 public:
  PrometheusVisitor(JsonStream& stream, std::uint64_t& samples) : s_(stream), samples_(samples) {}

  void begin_container(const std::vector<PathStep>& path, bool is_array) override {
    const std::size_t d = path.size();
    if (d == 0) {
      if (is_array) s_.error(path, "expected a Prometheus API response object {\"status\": ..., \"data\": ...}");
      return;
    }
    if (d == 1 && path[0].key == "data") {
      if (is_array) s_.error(path, "expected an object with resultType and result");
      in_data_ = true;
      return;
    }
    if (!in_data_ || path[0].key != "data") return;
    if (d == 2 && path[1].key == "result") {
      if (!is_array) s_.error(path, "expected a list of series");
      saw_result_ = true;
      return;
    }
    if (path[1].key != "result") return;
    if (d == 3) {
      if (is_array) s_.error(path, "expected a series object {\"metric\": {...}, \"values\": [...]}");
      labels_.clear();
      series_offset_ = s_.offset() > 0 ? s_.offset() - 1 : 0;
      counter_ = Counter{};
      has_values_ = false;
      return;
    }
    if (d == 4) {
      if (path[3].key == "metric" && is_array) s_.error(path, "expected an object of label names to values");
      if (path[3].key == "values") {
        if (!is_array) s_.error(path, "expected a list of [unix seconds, \"value\"] samples");
        has_values_ = true;
      }
      if (path[3].key == "value") {
        s_.error(path, "an instant query's result (\"value\"); calibrate needs a range query (/api/v1/query_range: \"values\")");
      }
      return;
    }
    if (d == 5 && path[3].key == "values") {
      if (!is_array) s_.error(path, "expected a sample [unix seconds, \"value\"]");
      sample_fields_ = 0;
      in_values_ = true;
      return;
    }
    if (d >= 5 && path[3].key == "metric") s_.error(path, "label values must be strings");
    if (d >= 6 && path[3].key == "values") s_.error(path, "expected a number or a string");
  }

  void end_container(const std::vector<PathStep>& path, bool) override {
    const std::size_t d = path.size();
    if (d == 0) {
      if (status_ == "error") s_.error({}, "the query failed: " + (error_.empty() ? std::string("status \"error\"") : error_));
      if (!saw_result_) s_.error({}, "no data.result: not a Prometheus query_range response");
      return;
    }
    if (d == 1 && path[0].key == "data") {
      in_data_ = false;
      if (result_type_ != "matrix" && !result_type_.empty()) {
        s_.error(path, "resultType \"" + result_type_ + "\": calibrate needs a range query's \"matrix\"");
      }
      return;
    }
    if (!in_data_ || d < 3 || path[1].key != "result") return;
    if (d == 5 && path[3].key == "values") {
      in_values_ = false;
      if (sample_fields_ != 2) s_.error(path, "a sample is [unix seconds, \"value\"], got " + std::to_string(sample_fields_) + " element(s)");
      return;
    }
    if (d == 3) finish_series(path);
  }

  void scalar(const std::vector<PathStep>& path, const Scalar& v) override {
    const std::size_t d = path.size();
    // The bulk of a file: data.result[i].values[j][k], checked first.
    if (d == 6 && in_values_) {
      sample_field(path, v);
      return;
    }
    if (d == 1) {
      if (path[0].key == "status") status_ = std::string(v.text);
      if (path[0].key == "error") error_ = std::string(v.text);
      return;
    }
    if (path.empty() || path[0].key != "data") return;
    if (d == 2 && path[1].key == "resultType") {
      result_type_ = std::string(v.text);
      return;
    }
    if (d == 2 && path[1].key == "result") s_.error(path, "expected a list of series");
    if (d < 4 || path[1].key != "result") return;
    if (d == 4 && (path[3].key == "metric" || path[3].key == "values")) {
      s_.error(path, path[3].key == "metric" ? "expected an object of labels" : "expected a list of samples");
    }
    if (d == 5 && path[3].key == "metric") {
      if (v.kind != Scalar::Kind::String) s_.error(path, "label values must be strings");
      labels_.emplace_back(path[4].key, std::string(v.text));
      return;
    }
    if (d == 5 && path[3].key == "values") s_.error(path, "expected a sample [unix seconds, \"value\"]");
  }

  void sample_field(const std::vector<PathStep>& path, const Scalar& v) {
    const std::size_t i = path[5].index;
    ++sample_fields_;
    if (i == 0) {
      if (v.kind != Scalar::Kind::Number || !std::isfinite(v.number)) {
        s_.error(path, "the timestamp must be a number of Unix seconds");
      }
      if (counter_.samples > 0 && v.number <= counter_.last_t) {
        s_.error(path, "timestamps must increase within a series");
      }
      t_ = v.number;
    } else if (i == 1) {
      if (v.kind != Scalar::Kind::String) s_.error(path, "the value must be a string, as Prometheus writes it");
      double x = 0;
      const char* first = v.text.data();
      const char* last = first + v.text.size();
      const auto [end, ec] = std::from_chars(first, last, x);
      if (v.text.empty() || ec != std::errc() || end != last || !std::isfinite(x) || x < 0) {
        s_.error(path, "\"" + std::string(v.text) + "\" is not a counter value (a finite number >= 0)");
      }
      counter_.add(t_, x);
      ++samples_;
    } else {
      s_.error(path, "a sample is [unix seconds, \"value\"]");
    }
  }

  // After the document: increases into the builder, histograms checked for decreasing buckets.
  void finish(MetricsBuilder& builder, Observations& range) {
    if (std::isnan(start_)) return;
    range.cover(start_, end_);
    range.series += series_count_;
    auto total = [&](const Counter& c, std::array<double, 24>* per_hour) {
      // A series first seen after the range began was created then (a new pod, a new code):
      // its first value counted from 0.
      double inc = c.increase;
      if (per_hour) *per_hour = c.per_hour;
      if (c.first_t > start_ + 1e-6) {
        inc += c.first_v;
        if (per_hour) (*per_hour)[hour_of(c.first_t)] += c.first_v;
      }
      return inc;
    };
    for (const RequestSeries& r : requests_) {
      std::array<double, 24> hours{};
      total(r.counter, &hours);
      for (int h = 0; h < 24; ++h) {
        if (hours[h] > 0) builder.add_requests(r.edge, r.source, r.code, r.flags, hours[h], h * 3600.0 + 1);
      }
    }
    for (auto& [key, g] : histograms_) {
      std::sort(g.buckets.begin(), g.buckets.end(), [](const BucketSeries& a, const BucketSeries& b) { return a.le < b.le; });
      Histogram h;
      for (std::size_t i = 0; i < g.buckets.size(); ++i) {
        const BucketSeries& b = g.buckets[i];
        if (i > 0 && b.le == g.buckets[i - 1].le) {
          s_.error_at(b.offset, "data.result[" + std::to_string(b.index) + "].metric.le",
                      "a second series with le=\"" + b.le_text + "\" for the same labels");
        }
        const double inc = total(b.counter, nullptr);
        if (i > 0) {
          const BucketSeries& prev = g.buckets[i - 1];
          if (b.counter.last_v < prev.counter.last_v || inc + 1e-9 < h.cumulative.back()) {
            s_.error_at(b.offset, "data.result[" + std::to_string(b.index) + "].values",
                        "cumulative buckets decrease: le=\"" + b.le_text + "\" holds " + fmt(b.counter.last_v) +
                            " requests, fewer than le=\"" + prev.le_text + "\" (" + fmt(prev.counter.last_v) + ")");
          }
        }
        h.le_ms.push_back(b.le);
        h.cumulative.push_back(inc);
      }
      if (h.le_ms.empty() || !std::isinf(h.le_ms.back())) {
        const BucketSeries& b = g.buckets.back();
        s_.error_at(b.offset, "data.result[" + std::to_string(b.index) + "].metric",
                    "histogram " + g.edge.text() + " has no le=\"+Inf\" bucket");
      }
      builder.add_histogram(g.edge, g.source, h);
    }
  }

 private:
  static std::string fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.15g", v);
    return buf;
  }
  const std::string* label(std::string_view name) const {
    for (const auto& [k, v] : labels_) {
      if (k == name) return &v;
    }
    return nullptr;
  }
  void finish_series(const std::vector<PathStep>& path) {
    const std::size_t index = path[2].index;
    const std::string where = "data.result[" + std::to_string(index) + "].metric";
    const std::string* name = label("__name__");
    const std::string* le = label("le");
    std::string_view family = name ? std::string_view(*name) : (le ? kBucket : kRequests);
    if (family != kRequests && family != kBucket) return;  // other series: not needed here
    if (!has_values_) s_.error_at(series_offset_, "data.result[" + std::to_string(index) + "]", "the series has no \"values\"");
    auto need = [&](std::string_view l) -> const std::string& {
      const std::string* v = label(l);
      if (!v) {
        s_.error_at(series_offset_, where,
                    std::string(family) + " without label \"" + std::string(l) +
                        "\"; calibrate needs it by source_workload, destination_workload, response_code" +
                        (family == kBucket ? " and le" : "") + " (docs/calibrate.md)");
      }
      return *v;
    };
    EdgeKey edge;
    edge.source.name = need("source_workload");
    edge.destination.name = need("destination_workload");
    if (const auto* ns = label("source_workload_namespace")) edge.source.namespace_ = *ns;
    if (const auto* ns = label("destination_workload_namespace")) edge.destination.namespace_ = *ns;
    if (edge.source.name == "unknown") edge.source.namespace_.clear();
    if (const auto* svc = label("destination_service")) {
      edge.service = *svc;
    } else if (const auto* svc_name = label("destination_service_name")) {
      const auto* svc_ns = label("destination_service_namespace");
      edge.service = *svc_name + "." + (svc_ns ? *svc_ns : edge.destination.namespace_) + ".svc.cluster.local";
    } else {
      edge.service = need("destination_service");
    }
    bool source = true;
    if (const auto* rep = label("reporter")) {
      if (*rep != "source" && *rep != "destination") {
        s_.error_at(series_offset_, where + ".reporter", "reporter must be \"source\" or \"destination\", got \"" + *rep + "\"");
      }
      source = *rep == "source";
    }
    const std::string* flags = label("response_flags");
    const std::string code_text = need("response_code");
    char* end = nullptr;
    const long code = std::strtol(code_text.c_str(), &end, 10);
    if (code_text.empty() || *end != '\0' || code < 0 || code > 999) {
      s_.error_at(series_offset_, where + ".response_code", "response_code must be an HTTP status (0-999), got \"" + code_text + "\"");
    }
    ++series_count_;
    if (counter_.samples > 0) {
      if (std::isnan(start_) || counter_.first_t < start_) start_ = counter_.first_t;
      if (std::isnan(end_) || counter_.last_t > end_) end_ = counter_.last_t;
    }
    if (family == kRequests) {
      requests_.push_back({std::move(edge), source, static_cast<int>(code), flags ? *flags : "-", counter_});
      return;
    }
    const std::string& le_text = need("le");
    double le_value = 0;
    if (le_text == "+Inf" || le_text == "Inf" || le_text == "inf") {
      le_value = std::numeric_limits<double>::infinity();
    } else {
      le_value = std::strtod(le_text.c_str(), &end);
      if (le_text.empty() || *end != '\0' || !(le_value >= 0)) {
        s_.error_at(series_offset_, where + ".le", "le must be a bucket bound in ms or \"+Inf\", got \"" + le_text + "\"");
      }
    }
    // The histogram's identity: every label but le.
    std::string key;
    auto sorted = labels_;  // label order in the file does not matter
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [k, v] : sorted) {
      if (k == "le" || k == "__name__") continue;
      key += k;
      key += '\x1f';
      key += v;
      key += '\x1e';
    }
    HistogramGroup& g = histograms_[key];
    if (g.buckets.empty()) {
      g.edge = edge;
      g.source = source;
    }
    g.buckets.push_back({le_value, le_text, series_offset_, index, counter_});
  }

  JsonStream& s_;
  std::uint64_t& samples_;
  bool in_data_ = false, saw_result_ = false, has_values_ = false;
  bool in_values_ = false;  // inside one sample [t, "v"]
  std::string status_, error_, result_type_;
  std::vector<std::pair<std::string, std::string>> labels_;
  std::size_t series_offset_ = 0;
  Counter counter_;
  double t_ = 0;
  int sample_fields_ = 0;
  double start_ = std::numeric_limits<double>::quiet_NaN();
  double end_ = std::numeric_limits<double>::quiet_NaN();
  std::uint64_t series_count_ = 0;
  std::vector<RequestSeries> requests_;
  std::unordered_map<std::string, HistogramGroup> histograms_;
};

}  // namespace

void read_prometheus_text(const std::string& file, const std::string& text, MetricsBuilder& builder,
                          Observations& range) {
  JsonStream stream(file, text);
  PrometheusVisitor visitor(stream, range.samples);
  stream.parse(visitor);
  visitor.finish(builder, range);
}

Observations read_prometheus(const std::vector<std::string>& files) {
  MetricsBuilder builder;
  Observations obs;
  obs.files = files;
  for (const std::string& f : files) {
    const std::string text = read_input_file(f);
    read_prometheus_text(f, text, builder, obs);
  }
  return builder.finish(std::move(obs));
}

}  // namespace meshtwin::calibrate
