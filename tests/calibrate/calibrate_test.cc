// model/calibrate: the readers (and their one-line errors), the derivation, the scenario it
// writes, import of a kubectl dump and the edge comparison.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "model/calibrate/compare.h"
#include "model/calibrate/derive.h"
#include "model/calibrate/import.h"
#include "model/calibrate/json_stream.h"
#include "model/calibrate/readers.h"
#include "model/scenario/scenario_spec.h"

namespace meshtwin::calibrate {
namespace {

// A query_range answer: `series` is the inside of data.result.
std::string response(const std::string& series) {
  return "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[\n" + series + "\n]}}";
}

std::string requests_series(const std::string& src, const std::string& dst, const std::string& svc, int code,
                            const std::string& values, const std::string& extra = "") {
  return "{\"metric\":{\"__name__\":\"istio_requests_total\",\"reporter\":\"source\",\"source_workload\":\"" + src +
         "\",\"destination_workload\":\"" + dst + "\",\"destination_service\":\"" + svc +
         "\",\"response_code\":\"" + std::to_string(code) + "\",\"response_flags\":\"-\"" + extra +
         "},\"values\":" + values + "}";
}

std::string bucket_series(const std::string& src, const std::string& dst, const std::string& svc, const std::string& le,
                          const std::string& values) {
  return "{\"metric\":{\"__name__\":\"istio_request_duration_milliseconds_bucket\",\"reporter\":\"source\","
         "\"source_workload\":\"" + src + "\",\"destination_workload\":\"" + dst + "\",\"destination_service\":\"" + svc +
         "\",\"response_code\":\"200\",\"response_flags\":\"-\",\"le\":\"" + le + "\"},\"values\":" + values + "}";
}

Observations read_metrics(const std::string& text, const std::string& file = "r.json") {
  MetricsBuilder b;
  Observations o;
  o.files = {file};
  read_prometheus_text(file, text, b, o);
  return b.finish(std::move(o));
}

std::string metrics_error(const std::string& text) {
  try {
    read_metrics(text);
  } catch (const InputError& e) {
    return e.diagnostic.format();
  }
  return "no error";
}

const std::string kPP = "productpage.default.svc.cluster.local";
const std::string kRev = "reviews.default.svc.cluster.local";

TEST(PrometheusReader, CountsIncreasesWithCounterResetsAndLateSeries) {
  const std::string text = response(
      requests_series("sleep", "productpage-v1", kPP, 200, "[[1000,\"100\"],[1015,\"160\"],[1030,\"10\"],[1045,\"40\"]]") +
      ",\n" +
      // First seen after the range began: created then, its first value counts.
      requests_series("sleep", "productpage-v1", kPP, 503, "[[1030,\"3\"],[1045,\"5\"]]"));
  const Observations o = read_metrics(text);
  ASSERT_EQ(o.edges.size(), 1u);
  const EdgeData& e = o.edges.begin()->second;
  // 60 + (reset: 10) + 30 = 100 for 200s; 5 for 503s.
  EXPECT_DOUBLE_EQ(e.by_code_flags.at({200, "-"}), 100);
  EXPECT_DOUBLE_EQ(e.by_code_flags.at({503, "-"}), 5);
  EXPECT_DOUBLE_EQ(e.requests, 105);
  EXPECT_DOUBLE_EQ(e.errors(), 5);
  EXPECT_DOUBLE_EQ(o.duration_s(), 45);
  EXPECT_EQ(o.samples, 6u);
}

TEST(PrometheusReader, HistogramQuantileAsPrometheus) {
  Histogram h;
  h.le_ms = {1, 5, 10, INFINITY};
  h.cumulative = {10, 60, 90, 100};
  // rank 50 lies in (1, 5]: 1 + 4 * (50 - 10) / 50.
  EXPECT_DOUBLE_EQ(h.quantile(0.5), 1 + 4 * 40.0 / 50.0);
  EXPECT_DOUBLE_EQ(h.quantile(0.99), 10);  // in +Inf: the last finite bound
  EXPECT_DOUBLE_EQ(h.bucket_width(3), 4);
  EXPECT_DOUBLE_EQ(h.bucket_width(7), 5);
}

TEST(PrometheusReader, BucketsSumIntoOneHistogramPerEdge) {
  const std::string v1 = "[[0,\"0\"],[15,\"10\"]]", v5 = "[[0,\"0\"],[15,\"30\"]]", vinf = "[[0,\"0\"],[15,\"40\"]]";
  const Observations o = read_metrics(response(bucket_series("a", "b", kRev, "5", v5) + "," +
                                               bucket_series("a", "b", kRev, "1", v1) + "," +
                                               bucket_series("a", "b", kRev, "+Inf", vinf)));
  const auto& h = *o.edges.begin()->second.histogram;
  ASSERT_EQ(h.le_ms.size(), 3u);
  EXPECT_EQ(h.le_ms[0], 1);
  EXPECT_EQ(h.cumulative, (std::vector<double>{10, 30, 40}));
}

TEST(PrometheusReader, MalformedInputIsOneLineNamingFileLineColumnAndPath) {
  // Truncated: the parser's position.
  EXPECT_EQ(metrics_error("{\"status\":\"success\",\"data\":{\"result\":[{\"metric\":{"),
            "r.json:1:50: error: data.result[0].metric: truncated JSON: syntax error while parsing object key - "
            "unexpected end of input; expected string literal");
  // A label calibrate needs is missing: where the series starts.
  const std::string missing = response(
      "{\"metric\":{\"__name__\":\"istio_requests_total\",\"source_workload\":\"a\",\"destination_service\":\"s\","
      "\"response_code\":\"200\"},\"values\":[[0,\"1\"]]}");
  EXPECT_EQ(metrics_error(missing),
            "r.json:2:1: error: data.result[0].metric: istio_requests_total without label \"destination_workload\"; "
            "calibrate needs it by source_workload, destination_workload, response_code (docs/calibrate.md)");
  // Cumulative buckets that decrease.
  const std::string decreasing = response(bucket_series("a", "b", kRev, "1", "[[0,\"0\"],[15,\"10\"]]") + ",\n" +
                                          bucket_series("a", "b", kRev, "5", "[[0,\"0\"],[15,\"7\"]]") + ",\n" +
                                          bucket_series("a", "b", kRev, "+Inf", "[[0,\"0\"],[15,\"12\"]]"));
  EXPECT_EQ(metrics_error(decreasing),
            "r.json:3:1: error: data.result[1].values: cumulative buckets decrease: le=\"5\" holds 7 requests, fewer "
            "than le=\"1\" (10)");
  // A value that is not a number, an instant query, timestamps going back.
  EXPECT_NE(metrics_error(response(requests_series("a", "b", kRev, 200, "[[0,\"x\"]]"))).find(
                "r.json:2:"),
            std::string::npos);
  EXPECT_NE(metrics_error(response(requests_series("a", "b", kRev, 200, "[[0,\"x\"]]")))
                .find("error: data.result[0].values[0][1]: \"x\" is not a counter value"),
            std::string::npos);
  EXPECT_NE(metrics_error(response("{\"metric\":{},\"value\":[0,\"1\"]}")).find("an instant query's result"),
            std::string::npos);
  EXPECT_NE(metrics_error(response(requests_series("a", "b", kRev, 200, "[[15,\"1\"],[0,\"2\"]]")))
                .find("timestamps must increase"),
            std::string::npos);
  EXPECT_NE(metrics_error("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"}")
                .find("the query failed: parse error"),
            std::string::npos);
  EXPECT_NE(metrics_error(response(bucket_series("a", "b", kRev, "5", "[[0,\"1\"]]"))).find("no le=\"+Inf\" bucket"),
            std::string::npos);
}

// One Bookinfo-like trace: sleep -> productpage, which calls details then reviews in sequence,
// and reviews -> ratings. Times in µs.
std::string zipkin_trace(const std::string& trace, long t0, bool parallel) {
  const long details_start = t0 + 1000, details_end = details_start + 2000;
  const long reviews_start = parallel ? details_start + 100 : details_end + 50;
  auto span = [&](const std::string& id, const std::string& parent, const std::string& local, const std::string& svc,
                  const std::string& peer, long ts, long dur) {
    return "{\"traceId\":\"" + trace + "\",\"id\":\"" + id + "\"," + (parent.empty() ? "" : "\"parentId\":\"" + parent + "\",") +
           "\"name\":\"" + svc + ":9080/*\",\"kind\":\"CLIENT\",\"timestamp\":" + std::to_string(ts) +
           ",\"duration\":" + std::to_string(dur) + ",\"localEndpoint\":{\"serviceName\":\"" + local +
           "\"},\"remoteEndpoint\":{\"serviceName\":\"" + svc + "\"},\"tags\":{\"http.status_code\":\"200\","
           "\"response_flags\":\"-\",\"upstream_cluster\":\"outbound|9080||" + svc + "\",\"peer.address\":\"" + peer + "\"}}";
  };
  return span(trace + "01", "", "sleep", kPP, "productpage-v1-0", t0, 10000) + ",\n" +
         span(trace + "02", trace + "01", "productpage-v1", "details.default.svc.cluster.local", "details-v1-0", details_start, 2000) + ",\n" +
         span(trace + "03", trace + "01", "productpage-v1", kRev, "reviews-v2-0", reviews_start, 4000) + ",\n" +
         span(trace + "04", trace + "03", "reviews-v2", "ratings.default.svc.cluster.local", "ratings-v1-0", reviews_start + 500, 1000);
}

TEST(TraceReader, ZipkinGivesEdgesCallSequencesAndSelfTimes) {
  std::vector<TraceSpan> spans;
  read_traces_text("t.json", "[" + zipkin_trace("aa", 1'700'000'000'000'000, false) + ",\n" +
                                 zipkin_trace("bb", 1'700'000'001'000'000, false) + "]", spans);
  ASSERT_EQ(spans.size(), 8u);
  const Observations o = observations_from_spans(spans, {}, {"t.json"});
  EXPECT_EQ(o.edges.size(), 4u);
  const EdgeData& root = o.edges.at({{"", "sleep"}, {"", "productpage-v1"}, kPP});
  EXPECT_EQ(root.requests, 2);
  EXPECT_EQ(root.port, 9080);
  const WorkloadTraces& pp = o.workloads.at({"", "productpage-v1"});
  EXPECT_EQ(pp.inbound, 2u);
  EXPECT_EQ(pp.patterns.at("details.default.svc.cluster.local;" + kRev), 2u);
  // 10 ms less details (2 ms) and reviews (4 ms), one after the other.
  EXPECT_NEAR(pp.self_ms[0], 4.0, 1e-9);
  // A leaf's whole span is its own time; a workload named only by its pod (ratings-v1-0).
  EXPECT_NEAR(o.workloads.at({"", "ratings-v1"}).self_ms[0], 1.0, 1e-9);
  EXPECT_NEAR(o.workloads.at({"", "reviews-v2"}).self_ms[0], 3.0, 1e-9);
}

TEST(TraceReader, OverlappingCallsAreAParallelGroup) {
  std::vector<TraceSpan> spans;
  read_traces_text("t.json", "[" + zipkin_trace("aa", 1'700'000'000'000'000, true) + "]", spans);
  const Observations o = observations_from_spans(spans, {}, {"t.json"});
  const WorkloadTraces& pp = o.workloads.at({"", "productpage-v1"});
  EXPECT_EQ(pp.patterns.begin()->first, "details.default.svc.cluster.local|" + kRev);
  // Busy from details' start to reviews' end (4.1 ms): 10 - 4.1.
  EXPECT_NEAR(pp.self_ms[0], 5.9, 1e-9);
}

TEST(TraceReader, OtlpReadsAsZipkinDoes) {
  const std::string otlp = R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"productpage-v1"}}]},
 "scopeSpans":[{"scope":{"name":"x"},"spans":[{"traceId":"0a","spanId":"02","parentSpanId":"01","name":"reviews.default.svc.cluster.local:9080/*",
 "kind":3,"startTimeUnixNano":"1700000000001000000","endTimeUnixNano":"1700000000005000000",
 "attributes":[{"key":"http.status_code","value":{"intValue":"503"}},{"key":"response_flags","value":{"stringValue":"-"}},
 {"key":"peer.address","value":{"stringValue":"reviews-v1-0"}}],"status":{"code":2}}]}]},
 {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"sleep"}}]},
 "scopeSpans":[{"spans":[{"traceId":"0a","spanId":"01","name":"productpage.default.svc.cluster.local:9080/*","kind":"SPAN_KIND_CLIENT",
 "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000010000000",
 "attributes":[{"key":"http.status_code","value":{"intValue":"200"}}]}]}]}]})";
  std::vector<TraceSpan> spans;
  read_traces_text("o.json", otlp, spans);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].local_service, "productpage-v1");
  EXPECT_EQ(spans[0].status, 503);
  EXPECT_EQ(spans[0].duration_ns, 4'000'000);
  const Observations o = observations_from_spans(spans, {}, {"o.json"});
  const EdgeData& e = o.edges.at({{"", "productpage-v1"}, {"", "reviews-v1"}, kRev});
  EXPECT_EQ(e.errors(), 1);
  EXPECT_EQ(o.workloads.at({"", "productpage-v1"}).patterns.begin()->first, kRev);
}

TEST(TraceReader, MalformedSpansAreOneLine) {
  auto err = [](const std::string& text) {
    std::vector<TraceSpan> spans;
    try {
      read_traces_text("t.json", text, spans);
    } catch (const InputError& e) {
      return e.diagnostic.format();
    }
    return std::string("no error");
  };
  EXPECT_EQ(err("[{\"id\":\"1\",\"timestamp\":1,\"duration\":2,\"localEndpoint\":{\"serviceName\":\"a\"},"
                "\"tags\":{\"http.status_code\":\"200\"}}]"),
            "t.json:1:2: error: [0]: span without traceId");
  EXPECT_NE(err("[{\"traceId\":\"1\",\"id\":\"1\",\"timestamp\":1,\"duration\":2,\"localEndpoint\":{\"serviceName\":\"a\"}}]")
                .find("span without the tag http.status_code"),
            std::string::npos);
  EXPECT_NE(err("[{\"traceId\":\"1\",").find("t.json:1:17: error: [0]: truncated JSON"), std::string::npos);
  EXPECT_NE(err("{\"data\":[]}").find("Jaeger's own JSON"), std::string::npos);
}

Observations metrics_fixture(double seconds) {
  // sleep -> a (100/s); a calls b twice per request; b answers 2 % 503 itself, a answers 500
  // when a call fails (its default onFailure: fail).
  MetricsBuilder m;
  const double n = 100 * seconds;
  const EdgeKey in{{"default", "sleep"}, {"default", "a-v1"}, "a.default.svc.cluster.local"};
  const EdgeKey out{{"default", "a-v1"}, {"default", "b-v1"}, "b.default.svc.cluster.local"};
  const double b_fail = 0.02, a_fail = 1 - std::pow(1 - b_fail, 2);
  for (int h = 0; h < 24; ++h) {
    const double share = (h < 12 ? 1.0 : 3.0) / 48.0;  // afternoons three times mornings
    m.add_requests(in, true, 200, "-", n * share * (1 - a_fail), h * 3600 + 1);
    m.add_requests(in, true, 500, "-", n * share * a_fail, h * 3600 + 1);
    m.add_requests(out, true, 200, "-", 2 * n * share * (1 - b_fail), h * 3600 + 1);
    m.add_requests(out, true, 503, "-", 2 * n * share * b_fail, h * 3600 + 1);
  }
  Observations o;
  o.cover(0, seconds);
  return m.finish(std::move(o));
}

TEST(Derive, CallRatiosOwnFailuresAndHourlyClientRates) {
  const Observations o = metrics_fixture(86400);
  const Calibration c = derive(o, {});
  ASSERT_EQ(c.apps.size(), 2u);
  const CalibratedApp& a = c.apps[0];
  EXPECT_EQ(a.workload.text(), "default/a-v1");
  ASSERT_EQ(a.steps.size(), 1u);
  EXPECT_EQ(a.steps[0].calls[0].count, 2);
  EXPECT_DOUBLE_EQ(a.steps[0].calls[0].observed, 2.0);
  EXPECT_EQ(a.steps[0].calls[0].url, "http://b/");
  // a's 500s all come from b's failures: no failure of its own.
  EXPECT_TRUE(a.failures.empty());
  const CalibratedApp& b = c.apps[1];
  ASSERT_EQ(b.failures.size(), 1u);
  EXPECT_EQ(b.failures[0].status, 503);
  EXPECT_NEAR(b.failures[0].rate, 0.02, 1e-12);
  ASSERT_EQ(c.clients.size(), 1u);
  EXPECT_NEAR(c.clients[0].rate, 100, 1e-9);
  ASSERT_EQ(c.clients[0].hourly.size(), 24u);
  EXPECT_NEAR(c.clients[0].hourly[0].second, 50, 1e-9);
  EXPECT_NEAR(c.clients[0].hourly[23].second, 150, 1e-9);
  // Shorter than a day: one rate.
  EXPECT_TRUE(derive(metrics_fixture(3600), {}).clients[0].hourly.empty());
}

TEST(Derive, WrittenScenarioLoads) {
  const auto dir = std::filesystem::temp_directory_path() / "meshtwin-calibrate-test";
  std::filesystem::create_directories(dir);
  const std::string manifests = MESHTWIN_SOURCE_DIR "/scenarios/bookinfo/manifests/bookinfo.yaml";
  std::vector<TraceSpan> spans;
  std::string text = "[";
  for (int i = 0; i < 50; ++i) {
    char id[8];
    std::snprintf(id, sizeof id, "%02x", i);
    text += (i ? ",\n" : "") + zipkin_trace(id, 1'700'000'000'000'000 + i * 100'000L, false);
  }
  read_traces_text("t.json", text + "]", spans);
  DeriveOptions opt;
  opt.fit = DeriveOptions::Fit::Empirical;
  const Calibration c = derive(observations_from_spans(spans, {}, {"t.json"}), opt);
  const std::string scenario = write_scenario(c, "", "", dir.string(), {manifests});
  EXPECT_NE(scenario.find("serviceTime: {empirical:"), std::string::npos);
  EXPECT_NE(scenario.find("# traces: 1 calls per inbound request"), std::string::npos);
  const auto path = dir / "calibrated.yaml";
  std::ofstream(path) << scenario;
  config::Diagnostics diags;
  const auto spec = scenario::load_scenario(path.string(), {}, diags);
  ASSERT_TRUE(spec) << (diags.first_error() ? diags.first_error()->format() : "") << "\n" << scenario;
  ASSERT_EQ(spec->clients.size(), 1u);
  EXPECT_NEAR(spec->clients[0].rate.per_second, 50.0 / 4.91, 0.001);  // 50 requests from the first start to the last end
  const auto* pp = spec->find_app("default", "productpage-v1");
  ASSERT_NE(pp, nullptr);
  ASSERT_EQ(pp->calls.size(), 2u);
  EXPECT_EQ(pp->calls[0].calls[0].to.host, "details");
  EXPECT_EQ(pp->calls[1].calls[0].to.port, 9080u);
  std::filesystem::remove_all(dir);
}

TEST(Import, KubectlDumpKeepsWhatTheTwinModels) {
  const std::string dump = R"(apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: shop, uid: "1"}
  spec:
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web, version: v1}}
      spec: {containers: [{name: web, image: web:1}]}
  status: {replicas: 1}
- apiVersion: apps/v1
  kind: ReplicaSet
  metadata:
    name: web-5d4f
    namespace: shop
    ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: "1", controller: true}]
  spec:
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web, version: v1}}
      spec: {containers: [{name: web, image: web:1}]}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: settings, namespace: shop}
  data: {a: b}
- apiVersion: v1
  kind: Service
  metadata: {name: web, namespace: shop}
  spec: {selector: {app: web}, ports: [{name: http, port: 80}]}
)";
  config::Diagnostics diags;
  const ImportResult r = import_kubectl_dump(dump, "dump.yaml", "manifests.yaml", "shop", diags);
  ASSERT_FALSE(diags.has_errors()) << diags.first_error()->format();
  EXPECT_EQ(r.objects, 4u);
  EXPECT_EQ(r.kept, 2u);
  EXPECT_EQ(r.owned.at("ReplicaSet"), 1u);
  EXPECT_EQ(r.not_modelled.at("ConfigMap"), 1u);
  EXPECT_EQ(r.workloads, 1u);
  EXPECT_EQ(r.with_sidecar, 1u);
  EXPECT_NE(r.scenario.find("    shop/web: {}  # Deployment, 1 pod(s), sidecar injected"), std::string::npos);
  EXPECT_NE(r.scenario.find("1 ConfigMap"), std::string::npos);
}

TEST(Compare, SameTelemetryIsWithinAndAScaledRateIsOff) {
  const Observations o = metrics_fixture(3600);
  EXPECT_EQ(compare(o, o, {}).flagged, 0u);
  Observations more = o;
  more.end_s = o.end_s / 1.05;  // the same counts in less time: 5 % more per second
  const Comparison c = compare(o, more, {});
  ASSERT_EQ(c.flagged, 2u);
  EXPECT_EQ(c.edges[0].off, std::vector<std::string>{"rate"});
}

}  // namespace
}  // namespace meshtwin::calibrate
