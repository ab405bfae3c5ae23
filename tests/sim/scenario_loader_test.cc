// The scenario file (docs/design.md §3.2): values, defaults, diagnostics and --set overrides.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "model/scenario/scenario_spec.h"

namespace meshtwin::scenario {
namespace {

namespace fs = std::filesystem;
using config::Severity;
using engine::kMillisecond;
using engine::kSecond;

const std::string kSamples = std::string(MESHTWIN_SOURCE_DIR) + "/third_party/istio-samples/bookinfo";

std::string dump(const config::Diagnostics& d) {
  std::string out;
  for (const auto& x : d.items()) out += x.format() + "\n";
  return out;
}

class ScenarioLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("meshtwin_scenario_test_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "manifests");
    for (const char* f : {"/platform/kube/bookinfo.yaml", "/networking/destination-rule-all.yaml",
                          "/networking/virtual-service-all-v1.yaml"}) {
      fs::copy_file(kSamples + f, dir_ / "manifests" / fs::path(f).filename());
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& text, const std::string& name = "scenario.yaml") {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }

  std::optional<ScenarioSpec> load(const std::string& text, const std::vector<std::string>& sets = {}) {
    diags_ = config::Diagnostics();
    return load_scenario(write(text), sets, diags_);
  }

  fs::path dir_;
  config::Diagnostics diags_;
};

// docs/design.md §3.2's example without timeline and assertions.
constexpr const char* kFullExample = R"y(apiVersion: meshtwin.dev/v1alpha1
kind: Scenario
metadata: {name: bookinfo-canary}
spec:
  seed: 42
  duration: 600s                              # arrivals stop here; requests in flight drain
  manifests:                                  # files or folders, relative to this file
    - manifests/bookinfo.yaml
    - manifests/destination-rule-all.yaml
    - manifests/virtual-service-all-v1.yaml
  mesh:
    outboundTrafficPolicy: ALLOW_ANY          # or REGISTRY_ONLY
    configPushDelay: {lognormal: {p50: 200ms, p99: 2s}}   # per proxy, after the 100 ms debounce
    proxyWorkers: 2                           # Envoy worker threads per proxy
    proxyOverhead: 0s                         # per pass through a proxy
  network:
    latency: {lognormal: {p50: 300us, p99: 2ms}}   # one way, each pod-to-pod leg, each direction
  apps:                                       # keyed by workload (Deployment name)
    productpage-v1:
      workers: 16                             # concurrent requests per pod; the rest queue FIFO
      serviceTime: {lognormal: {p50: 4ms, p99: 30ms}}
      calls:                                  # after serviceTime, in order, for each request
        - {to: "http://details:9080/details/0", timeout: 3s, attempts: 1, forwardHeaders: [end-user], onFailure: continue}
        - to: "http://reviews:9080/reviews/0"
          timeout: 3s                         # the app's own client timeout, per try
          attempts: 2                         # total tries including the first (default 1)
          forwardHeaders: [end-user]
          onFailure: continue                 # answer 200 and count a degraded call; `fail` (default): stop, answer errorStatus
        # - parallel: [{to: ...}, {to: ...}]  # a group of calls made at once
    reviews-v2:
      calls: [{to: "http://ratings:9080/ratings/0", timeout: 10s, forwardHeaders: [end-user], onFailure: continue}]
    ratings-v1:
      failures:                               # drawn on arrival; a failing request makes no calls
        - {rate: 0.05, kind: status, status: 503}   # kinds: status, reset, hang, refuse, grpc
      errorStatus: 500                        # what `onFailure: fail` answers (default 500)
  clients:
    - name: users
      from: {gateway: istio-system/istio-ingressgateway}   # or {workload: sleep}: a ready pod of it, picked uniformly
      to: http://bookinfo.example.com/productpage
      rate: {poisson: 200}                    # the client's total per second; {constant: N}, {ramp: {from, to, over}},
                                              # {closed: {connections: 2, thinkTime: 0s}}; `requests: N` stops after N
      timeout: 30s                            # the client gives up: code 0, flag DC (default 30s)
      mix:
        - {weight: 90}
        - {weight: 10, headers: {end-user: jason}}
  record: {requests: all, spans: 0.01, metricsInterval: 1s}   # spans sampled per client request
)y";

TEST_F(ScenarioLoaderTest, DesignExampleParsesIntoTheExpectedValues) {
  auto spec = load(kFullExample);
  ASSERT_TRUE(spec) << dump(diags_);
  EXPECT_TRUE(diags_.items().empty()) << dump(diags_);
  EXPECT_EQ(spec->name, "bookinfo-canary");
  EXPECT_EQ(spec->path, (dir_ / "scenario.yaml").string());
  EXPECT_EQ(fs::path(spec->base_dir), dir_);
  EXPECT_EQ(spec->text, kFullExample);
  EXPECT_EQ(spec->seed, 42u);
  EXPECT_EQ(spec->duration, 600 * kSecond);
  ASSERT_EQ(spec->manifests.size(), 3u);
  EXPECT_EQ(fs::path(spec->manifests[0]), dir_ / "manifests" / "bookinfo.yaml");
  EXPECT_EQ(fs::path(spec->manifests[2]), dir_ / "manifests" / "virtual-service-all-v1.yaml");

  EXPECT_EQ(spec->mesh.outbound_traffic_policy, "ALLOW_ANY");
  EXPECT_EQ(spec->mesh.config_push_delay.kind(), engine::Distribution::Kind::LogNormal);
  EXPECT_NEAR(spec->mesh.config_push_delay.quantile(0.5), 200.0 * kMillisecond.ns(), 1e3);
  EXPECT_NEAR(spec->mesh.config_push_delay.quantile(0.99), 2.0 * kSecond.ns(), 1e4);
  EXPECT_EQ(spec->mesh.proxy_workers, 2);
  EXPECT_TRUE(spec->mesh.proxy_overhead.is_constant());
  EXPECT_EQ(spec->mesh.proxy_overhead.mean(), 0.0);
  EXPECT_EQ(spec->mesh.istio_version, "1.31");
  EXPECT_NEAR(spec->network.latency.quantile(0.5), 300e3, 1);

  ASSERT_EQ(spec->apps.size(), 3u);
  const AppSpec* pp = spec->find_app("default", "productpage-v1");
  ASSERT_NE(pp, nullptr);
  EXPECT_EQ(pp->namespace_, "");
  EXPECT_EQ(pp->workers, 16);
  EXPECT_NEAR(pp->service_time.quantile(0.5), 4.0 * kMillisecond.ns(), 1);
  EXPECT_NEAR(pp->service_time.quantile(0.99), 30.0 * kMillisecond.ns(), 10);
  ASSERT_EQ(pp->calls.size(), 2u);
  ASSERT_EQ(pp->calls[0].calls.size(), 1u);
  EXPECT_FALSE(pp->calls[0].parallel);
  const CallSpec& details = pp->calls[0].calls[0];
  EXPECT_EQ(details.to.host, "details");
  EXPECT_EQ(details.to.port, 9080u);
  EXPECT_EQ(details.to.path, "/details/0");
  EXPECT_EQ(details.timeout, 3 * kSecond);
  EXPECT_EQ(details.attempts, 1);
  EXPECT_EQ(details.forward_headers, std::vector<std::string>{"end-user"});
  EXPECT_EQ(details.on_failure, CallSpec::OnFailure::Continue);
  EXPECT_EQ(details.method, "GET");
  EXPECT_EQ(details.location.line, 23);
  const CallSpec& reviews = pp->calls[1].calls.at(0);
  EXPECT_EQ(reviews.to.authority(), "reviews:9080");
  EXPECT_EQ(reviews.attempts, 2);
  EXPECT_EQ(reviews.on_failure, CallSpec::OnFailure::Continue);
  const AppSpec* v2 = spec->find_app("default", "reviews-v2");
  ASSERT_NE(v2, nullptr);
  EXPECT_EQ(v2->workers, 0);  // unlimited
  EXPECT_EQ(v2->calls.at(0).calls.at(0).timeout, 10 * kSecond);
  EXPECT_EQ(v2->calls[0].calls[0].attempts, 1);
  const AppSpec* ratings = spec->find_app("default", "ratings-v1");
  ASSERT_NE(ratings, nullptr);
  ASSERT_EQ(ratings->failures.size(), 1u);
  EXPECT_DOUBLE_EQ(ratings->failures[0].rate, 0.05);
  EXPECT_EQ(ratings->failures[0].kind, FailureSpec::Kind::Status);
  EXPECT_EQ(ratings->failures[0].status, 503);
  EXPECT_EQ(ratings->error_status, 500);
  EXPECT_EQ(spec->find_app("default", "details-v1"), nullptr);

  ASSERT_EQ(spec->clients.size(), 1u);
  const ClientSpec& c = spec->clients[0];
  EXPECT_EQ(c.name, "users");
  EXPECT_EQ(c.from_kind, ClientSpec::FromKind::Gateway);
  EXPECT_EQ(c.from_namespace, "istio-system");
  EXPECT_EQ(c.from_name, "istio-ingressgateway");
  EXPECT_EQ(c.to.host, "bookinfo.example.com");
  EXPECT_EQ(c.to.port, 80u);
  EXPECT_EQ(c.to.path, "/productpage");
  EXPECT_EQ(c.to.authority(), "bookinfo.example.com");
  EXPECT_EQ(c.rate.kind, RateSpec::Kind::Poisson);
  EXPECT_EQ(c.rate.per_second, 200.0);
  EXPECT_EQ(c.timeout, 30 * kSecond);
  EXPECT_EQ(c.max_requests, 0u);
  ASSERT_EQ(c.mix.size(), 2u);
  EXPECT_EQ(c.mix[0].weight, 90.0);
  EXPECT_TRUE(c.mix[0].headers.empty());
  EXPECT_EQ(c.mix[1].weight, 10.0);
  EXPECT_EQ(c.mix[1].headers, (std::vector<std::pair<std::string, std::string>>{{"end-user", "jason"}}));
  EXPECT_EQ(c.location.line, 37);

  EXPECT_EQ(spec->record.requests, 1.0);
  EXPECT_EQ(spec->record.spans, 0.01);
  EXPECT_EQ(spec->record.metrics_interval, kSecond);
}

TEST_F(ScenarioLoaderTest, DefaultsWhenKeysAreOmitted) {
  auto spec = load(R"y(apiVersion: meshtwin.dev/v1alpha1
kind: Scenario
spec:
  manifests: [manifests]
  clients:
  - {name: c, from: {workload: prod/sleep}, to: "http://web:8080", rate: {constant: 5}, requests: 10, method: POST}
)y");
  ASSERT_TRUE(spec) << dump(diags_);
  EXPECT_EQ(spec->name, "scenario");  // the file's stem
  EXPECT_EQ(spec->seed, 1u);
  EXPECT_EQ(spec->duration, 60 * kSecond);
  EXPECT_EQ(fs::path(spec->manifests.at(0)), dir_ / "manifests");
  EXPECT_EQ(spec->mesh.outbound_traffic_policy, "ALLOW_ANY");
  EXPECT_EQ(spec->mesh.proxy_workers, 2);
  EXPECT_EQ(spec->network.latency.mean(), 0.0);
  EXPECT_EQ(spec->record.requests, 1.0);
  EXPECT_EQ(spec->record.spans, 1.0);
  const ClientSpec& c = spec->clients.at(0);
  EXPECT_EQ(c.from_kind, ClientSpec::FromKind::Workload);
  EXPECT_EQ(c.from_namespace, "prod");
  EXPECT_EQ(c.from_name, "sleep");
  EXPECT_EQ(c.to.port, 8080u);
  EXPECT_EQ(c.to.path, "/");
  EXPECT_EQ(c.to.authority(), "web:8080");
  EXPECT_EQ(c.rate.kind, RateSpec::Kind::Constant);
  EXPECT_EQ(c.max_requests, 10u);
  EXPECT_EQ(c.method, "POST");
  EXPECT_EQ(c.timeout, 30 * kSecond);
  EXPECT_TRUE(c.mix.empty());
}

TEST_F(ScenarioLoaderTest, DistributionsAndRates) {
  auto spec = load(R"y(apiVersion: meshtwin.dev/v1alpha1
kind: Scenario
metadata: {name: d}
spec:
  manifests: [manifests/bookinfo.yaml]
  mesh: {configPushDelay: {constant: 5ms}, proxyOverhead: 50us, istioVersion: "1.23", outboundTrafficPolicy: REGISTRY_ONLY}
  network: {latency: {uniform: {min: 1ms, max: 3ms}}}
  apps:
    a: {serviceTime: {exponential: {mean: 5ms}}}
    b: {serviceTime: {normal: {mean: 5ms, stddev: 1ms}}}
    c: {serviceTime: {lognormal: {mu: -5.521460917862246, sigma: 0.5}}}
    d: {serviceTime: {pareto: {scale: 1ms, shape: 1.5}}}
    e: {serviceTime: {empirical: [[1ms, 0.5], [5ms, 0.9], [20ms, 1.0]]}}
    prod/f:
      calls:
      - parallel: [{to: "http://x:1/a", method: PUT, onFailure: fail}, {to: "http://y/b"}]
      failures:
      - {rate: 0.1, kind: reset, when: afterHeaders}
      - {rate: 0.1, kind: grpc, grpcStatus: UNAVAILABLE}
      - {rate: 0.1, kind: grpc, grpcStatus: 4}
      - {rate: 0.1, kind: hang}
      - {rate: 0.1, kind: refuse}
  clients:
  - {name: closed, from: {workload: sleep}, to: "http://a", rate: {closed: {connections: 3, thinkTime: {constant: 10ms}}}}
  - {name: ramp, from: {workload: sleep}, to: "http://a", rate: {ramp: {from: 10, to: 100, over: 60s}}}
  record: {requests: none, spans: all, metricsInterval: 500ms}
)y");
  ASSERT_TRUE(spec) << dump(diags_);
  EXPECT_TRUE(diags_.items().empty()) << dump(diags_);
  EXPECT_EQ(spec->mesh.config_push_delay.mean(), 5.0 * kMillisecond.ns());
  EXPECT_EQ(spec->mesh.proxy_overhead.mean(), 50e3);
  EXPECT_EQ(spec->mesh.istio_version, "1.23");
  EXPECT_EQ(spec->mesh.outbound_traffic_policy, "REGISTRY_ONLY");
  EXPECT_EQ(spec->network.latency.kind(), engine::Distribution::Kind::Uniform);
  EXPECT_NEAR(spec->network.latency.mean(), 2.0 * kMillisecond.ns(), 1);
  EXPECT_NEAR(spec->find_app("default", "a")->service_time.mean(), 5.0 * kMillisecond.ns(), 1);
  EXPECT_EQ(spec->find_app("default", "b")->service_time.kind(), engine::Distribution::Kind::Normal);
  // mu/sigma are of ln(seconds): exp(-5.52146) s = 4 ms.
  EXPECT_NEAR(spec->find_app("default", "c")->service_time.quantile(0.5), 4.0 * kMillisecond.ns(), 10);
  EXPECT_EQ(spec->find_app("default", "d")->service_time.kind(), engine::Distribution::Kind::Pareto);
  EXPECT_NEAR(spec->find_app("default", "e")->service_time.quantile(0.5), 1.0 * kMillisecond.ns(), 1);
  EXPECT_NEAR(spec->find_app("default", "e")->service_time.quantile(1.0), 20.0 * kMillisecond.ns(), 1);
  const AppSpec* f = spec->find_app("prod", "f");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->namespace_, "prod");
  EXPECT_EQ(spec->find_app("default", "f"), nullptr);
  ASSERT_EQ(f->calls.size(), 1u);
  EXPECT_TRUE(f->calls[0].parallel);
  ASSERT_EQ(f->calls[0].calls.size(), 2u);
  EXPECT_EQ(f->calls[0].calls[0].method, "PUT");
  EXPECT_EQ(f->calls[0].calls[0].to.port, 1u);
  EXPECT_EQ(f->calls[0].calls[0].on_failure, CallSpec::OnFailure::Fail);
  ASSERT_EQ(f->failures.size(), 5u);
  EXPECT_EQ(f->failures[0].kind, FailureSpec::Kind::Reset);
  EXPECT_TRUE(f->failures[0].after_headers);
  EXPECT_EQ(f->failures[1].grpc_status, 14);
  EXPECT_EQ(f->failures[2].grpc_status, 4);
  EXPECT_EQ(f->failures[3].kind, FailureSpec::Kind::Hang);
  EXPECT_EQ(f->failures[4].kind, FailureSpec::Kind::Refuse);
  const RateSpec& closed = spec->clients.at(0).rate;
  EXPECT_EQ(closed.kind, RateSpec::Kind::Closed);
  EXPECT_EQ(closed.connections, 3);
  EXPECT_EQ(closed.think_time.mean(), 10.0 * kMillisecond.ns());
  const RateSpec& ramp = spec->clients.at(1).rate;
  EXPECT_EQ(ramp.kind, RateSpec::Kind::Ramp);
  EXPECT_EQ(ramp.per_second, 10.0);
  EXPECT_EQ(ramp.ramp_to, 100.0);
  EXPECT_EQ(ramp.ramp_over, 60 * kSecond);
  EXPECT_EQ(spec->record.requests, 0.0);
  EXPECT_EQ(spec->record.spans, 1.0);
  EXPECT_EQ(spec->record.metrics_interval, 500 * kMillisecond);
}

TEST_F(ScenarioLoaderTest, SetOverridesApplyBeforeValidation) {
  auto spec = load(kFullExample, {"spec.seed=7", "spec.clients[0].rate.poisson=50", "spec.duration=10s",
                                  "spec.record={requests: none}", "spec.mesh.proxyWorkers=4",
                                  "spec.apps.details-v1.workers=3"});
  ASSERT_TRUE(spec) << dump(diags_);
  EXPECT_EQ(spec->seed, 7u);
  EXPECT_EQ(spec->clients.at(0).rate.per_second, 50.0);
  EXPECT_EQ(spec->duration, 10 * kSecond);
  EXPECT_EQ(spec->record.requests, 0.0);
  EXPECT_EQ(spec->record.spans, 1.0);  // the whole map was replaced
  EXPECT_EQ(spec->mesh.proxy_workers, 4);
  ASSERT_NE(spec->find_app("default", "details-v1"), nullptr);
  EXPECT_EQ(spec->find_app("default", "details-v1")->workers, 3);
  EXPECT_EQ(spec->text, kFullExample);  // the file as read, not as overridden
}

struct BadSet {
  const char* set;
  const char* path;
  const char* phrase;
};

TEST_F(ScenarioLoaderTest, BadSetPathsAreErrorsNamingThem) {
  const BadSet cases[] = {
      {"spec.sed=7", "spec.sed", "unknown field \"sed\" (set by --set spec.sed=7); did you mean \"seed\"?"},
      {"spec.clients[3].rate.poisson=5", "spec.clients[3]", "spec.clients has 1 entries"},
      {"spec.seed.value=1", "spec.seed.value", "spec.seed is a single value, not a map"},
      {"spec.clients.rate=1", "spec.clients.rate", "spec.clients is a list; use an index"},
      {"spec.seed", "", "--set expects PATH=VALUE"},
      {"spec..seed=1", "spec..seed", "not a field path"},
      {"spec.seed=abc", "spec.seed", "seed must be a non-negative integer, got \"abc\""},
      {"spec.record={requests: none, foo: 1}", "spec.record.foo", "unknown field \"foo\""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.set);
    auto spec = load(kFullExample, {c.set});
    EXPECT_FALSE(spec);
    ASSERT_EQ(diags_.items().size(), 1u) << dump(diags_);
    const auto& d = diags_.items()[0];
    EXPECT_EQ(d.severity, Severity::Error);
    EXPECT_EQ(d.location.file, "--set");
    EXPECT_EQ(d.field_path, c.path);
    EXPECT_NE(d.message.find(c.phrase), std::string::npos) << d.format();
  }
}

struct BadScenario {
  const char* name;
  std::string body;  // appended after the 5 header lines; line 6 is its first line
  Severity severity;
  int line;
  int column;
  const char* path;
  const char* phrase;
};

void PrintTo(const BadScenario& c, std::ostream* os) { *os << c.name; }

class MalformedScenario : public ScenarioLoaderTest, public ::testing::WithParamInterface<BadScenario> {};

std::string header(const std::string& api = "meshtwin.dev/v1alpha1", const std::string& kind = "Scenario") {
  return "apiVersion: " + api + "\n" +   // 1
         "kind: " + kind + "\n" +         // 2
         "metadata: {name: bad}\n"        // 3
         "spec:\n"                        // 4
         "  manifests: [manifests]\n";    // 5
}

TEST_P(MalformedScenario, GivesTheExpectedOneLineDiagnostic) {
  const BadScenario& c = GetParam();
  std::string text = c.body;
  if (text.rfind("apiVersion", 0) != 0) text = header() + text;
  auto spec = load(text);
  ASSERT_EQ(diags_.items().size(), 1u) << dump(diags_);
  const auto& d = diags_.items()[0];
  EXPECT_EQ(d.severity, c.severity) << d.format();
  EXPECT_EQ(d.location.file, (dir_ / "scenario.yaml").string());
  EXPECT_EQ(d.location.line, c.line) << d.format();
  EXPECT_EQ(d.location.column, c.column) << d.format();
  EXPECT_EQ(d.field_path, c.path) << d.format();
  EXPECT_NE(d.message.find(c.phrase), std::string::npos) << d.format();
  const std::string prefix = (dir_ / "scenario.yaml").string() + ":" + std::to_string(c.line) + ":" +
                             std::to_string(c.column) + ": " + (c.severity == Severity::Error ? "error" : "warning");
  EXPECT_EQ(d.format().rfind(prefix, 0), 0u) << d.format();
  EXPECT_EQ(spec.has_value(), c.severity != Severity::Error);
}

constexpr const char* kClient = "  clients:\n";

INSTANTIATE_TEST_SUITE_P(
    Scenario, MalformedScenario,
    ::testing::Values(
        BadScenario{"WrongApiVersion", header("meshtwin.dev/v1") + "", Severity::Error, 1, 13, "apiVersion",
                    "apiVersion must be meshtwin.dev/v1alpha1"},
        BadScenario{"WrongKind", header("meshtwin.dev/v1alpha1", "Simulation"), Severity::Error, 2, 7, "kind",
                    "kind must be Scenario"},
        BadScenario{"MissingManifest",
                    "apiVersion: meshtwin.dev/v1alpha1\nkind: Scenario\nmetadata: {name: bad}\nspec:\n"
                    "  manifests:\n"
                    "  - manifests/bookinfo.yaml\n"
                    "  - manifests/nope.yaml\n",
                    Severity::Error, 7, 5, "spec.manifests[1]", "manifest \"manifests/nope.yaml\" not found"},
        BadScenario{"LognormalP99BelowP50", "  network: {latency: {lognormal: {p50: 4ms, p99: 1ms}}}\n", Severity::Error, 6,
                    34, "spec.network.latency.lognormal.p99", "p99 must be at least p50"},
        BadScenario{"TimelineApplyMissingFile",
                    "  timeline:\n"
                    "    - {at: 20s, apply: [x.yaml]}\n",
                    Severity::Error, 7, 25, "spec.timeline[0].apply[0]", "manifest \"x.yaml\" not found"},
        BadScenario{"AssertionWithoutExpect", "  assertions: [{name: a}]\n", Severity::Error, 6, 16,
                    "spec.assertions[0].expect", "expect is required"},
        BadScenario{"FtpUrl",
                    std::string(kClient) +
                        "  - {name: c, from: {workload: sleep}, to: \"ftp://web/\", rate: {poisson: 1}}\n",
                    Severity::Error, 7, 44, "spec.clients[0].to", "URL scheme \"ftp\" is not http, https"},
        BadScenario{"TcpUrlWithoutPort",
                    std::string(kClient) +
                        "  - {name: c, from: {workload: sleep}, to: \"tcp://db\", rate: {poisson: 1}}\n",
                    Severity::Error, 7, 44, "spec.clients[0].to", "a tcp URL needs a port"},
        BadScenario{"FollowRedirectsNotABool",
                    std::string(kClient) +
                        "  - {name: c, from: {workload: sleep}, to: \"http://web\", rate: {poisson: 1}, followRedirects: yes}\n",
                    Severity::Error, 7, 95, "spec.clients[0].followRedirects", "followRedirects must be true, false or how many"},
        BadScenario{"FollowRedirectsOnTcp",
                    std::string(kClient) +
                        "  - {name: c, from: {workload: sleep}, to: \"tcp://web:6379\", rate: {poisson: 1}, followRedirects: 2}\n",
                    Severity::Error, 7, 99, "spec.clients[0].followRedirects", "followRedirects is for http:// and https://"},
        BadScenario{"ExternalPortProtocol", "  externals: {a.example: {ports: [{port: 80, protocol: FTP}]}}\n",
                    Severity::Error, 6, 56, "spec.externals[\"a.example\"].ports[0].protocol",
                    "protocol must be HTTP or HTTPS"},
        BadScenario{"ExternalPortTwice", "  externals: {a.example: {ports: [{port: 80}, {port: 80}]}}\n",
                    Severity::Error, 6, 54, "spec.externals[\"a.example\"].ports[1].port", "port 80 is listed twice"},
        BadScenario{"ExternalRedirectOnHttps",
                    "  externals: {a.example: {ports: [{port: 443, protocol: HTTPS, redirectToHttps: true}]}}\n",
                    Severity::Error, 6, 81, "spec.externals[\"a.example\"].ports[0].redirectToHttps",
                    "redirectToHttps is for a plain HTTP port"},
        BadScenario{"ExternalPortMissing", "  externals: {a.example: {ports: [{protocol: HTTP}]}}\n", Severity::Error, 6,
                    35, "spec.externals[\"a.example\"].ports[0].port", "port is required"},
        BadScenario{"ExternalKeyWithSlash", "  externals: {\"a/b\": {serviceTime: 1ms}}\n", Severity::Error, 6, 22,
                    "spec.externals[\"a/b\"]", "externals are keyed by the DNS name or IP"},
        BadScenario{"ZeroRate",
                    std::string(kClient) + "  - {name: c, from: {workload: sleep}, to: \"http://web\", rate: {poisson: 0}}\n",
                    Severity::Error, 7, 74, "spec.clients[0].rate.poisson", "rate must be positive"},
        BadScenario{"ZeroAttempts",
                    "  apps:\n"
                    "    web:\n"
                    "      calls: [{to: \"http://db:5432/\", attempts: 0}]\n",
                    Severity::Error, 8, 49, "spec.apps.web.calls[0].attempts", "attempts must be an integer between 1"},
        BadScenario{"FailureRateAboveOne",
                    "  apps:\n"
                    "    web: {failures: [{rate: 1.5, kind: status}]}\n",
                    Severity::Error, 7, 29, "spec.apps.web.failures[0].rate", "between 0 and 1, got 1.5"},
        BadScenario{"UnknownFailureKind",
                    "  apps:\n"
                    "    web: {failures: [{rate: 0.5, kind: crash}]}\n",
                    Severity::Error, 7, 40, "spec.apps.web.failures[0].kind",
                    "kind must be one of status, reset, hang, refuse or grpc, got \"crash\""},
        BadScenario{"FailureRatesAddUpAboveOne",
                    "  apps:\n"
                    "    web: {failures: [{rate: 0.6}, {rate: 0.6, kind: hang}]}\n",
                    Severity::Error, 7, 21, "spec.apps.web.failures", "failure rates add up to 1.2"},
        BadScenario{"EmpiricalNotEndingAtOne", "  network: {latency: {empirical: [[1ms, 0.5], [5ms, 0.9]]}}\n",
                    Severity::Error, 6, 53, "spec.network.latency.empirical[1][1]",
                    "last empirical point must have cumulative probability 1"},
        BadScenario{"DurationWithoutUnit", "  duration: 10\n", Severity::Error, 6, 13, "spec.duration",
                    "duration must be a duration with a unit"},
        BadScenario{"MisspelledDistribution", "  network: {latency: {lognormel: {p50: 1ms, p99: 2ms}}}\n",
                    Severity::Error, 6, 34, "spec.network.latency.lognormel", "did you mean \"lognormal\"?"},
        BadScenario{"FromBothWorkloadAndGateway",
                    std::string(kClient) +
                        "  - {name: c, from: {workload: a, gateway: b}, to: \"http://web\", rate: {poisson: 1}}\n",
                    Severity::Error, 7, 21, "spec.clients[0].from.gateway", "either workload or gateway"},
        BadScenario{"BadOutboundPolicy", "  mesh: {outboundTrafficPolicy: ALLOW_ALL}\n", Severity::Error, 6, 33,
                    "spec.mesh.outboundTrafficPolicy", "must be one of ALLOW_ANY or REGISTRY_ONLY"},
        BadScenario{"UnknownKeyIsAnError", "  sead: 7\n", Severity::Error, 6, 3, "spec.sead",
                    "unknown field \"sead\"; did you mean \"seed\"?"},
        BadScenario{"EndpointBadRegex", "  apps:\n    web:\n      endpoints: [{match: {path: {regex: \"/a/(\"}}}]\n",
                    Severity::Error, 8, 42, "spec.apps.web.endpoints[0].match.path.regex", "not a valid RE2 regex"},
        BadScenario{"EndpointCaptureBeyondGroups",
                    "  apps:\n    web:\n      endpoints: [{match: {path: {regex: \"/a/(x)\"}}, status: $2}]\n",
                    Severity::Error, 8, 62, "spec.apps.web.endpoints[0].status", "$2 names capture group 2 but match.path has 1"},
        BadScenario{"EndpointCaptureWithoutRegex",
                    "  apps:\n    web:\n      endpoints: [{match: {path: {prefix: /a}}, serviceTime: $1}]\n",
                    Severity::Error, 8, 62, "spec.apps.web.endpoints[0].serviceTime", "is not a regex"},
        BadScenario{"EndpointMisspelledMatchKey", "  apps:\n    web:\n      endpoints: [{match: {paht: {prefix: /a}}}]\n",
                    Severity::Error, 8, 28, "spec.apps.web.endpoints[0].match.paht", "did you mean \"path\"?"},
        BadScenario{"EndpointTwoStringMatches",
                    "  apps:\n    web:\n      endpoints: [{match: {path: {prefix: /a, exact: /b}}}]\n",
                    Severity::Error, 8, 34, "spec.apps.web.endpoints[0].match.path", "exactly one of exact, prefix or regex"},
        BadScenario{"FailureRateAndPattern", "  apps:\n    web: {failures: [{rate: 0.5, first: 2}]}\n", Severity::Error, 7,
                    22, "spec.apps.web.failures[0]", "give one of rate, first or every"},
        BadScenario{"FailurePerWithRate", "  apps:\n    web: {failures: [{rate: 0.5, per: pod}]}\n", Severity::Error, 7,
                    39, "spec.apps.web.failures[0].per", "per applies only to first and every"},
        BadScenario{"FailureEveryZero", "  apps:\n    web: {failures: [{every: 0}]}\n", Severity::Error, 7, 30,
                    "spec.apps.web.failures[0].every", "every must be an integer between 1"},
        BadScenario{"FailureBetweenBackwards", "  apps:\n    web: {failures: [{rate: 1, between: [20s, 10s]}]}\n",
                    Severity::Error, 7, 47, "spec.apps.web.failures[0].between[1]", "between must end after it starts"},
        BadScenario{"MisspelledServiceTimeIsAnError", "  apps:\n    web: {serviceTme: 10ms}\n", Severity::Error, 7,
                    11, "spec.apps.web.serviceTme", "unknown field \"serviceTme\"; did you mean \"serviceTime\"?"}),
    [](const ::testing::TestParamInfo<BadScenario>& info) { return std::string(info.param.name); });

TEST_F(ScenarioLoaderTest, AllowUnknownFieldsMakesAnUnknownKeyAWarning) {
  diags_ = config::Diagnostics();
  LoadScenarioOptions options;
  options.allow_unknown_fields = true;
  auto spec = load_scenario(write(header() + "  sead: 7\n"), {}, diags_, options);
  ASSERT_TRUE(spec) << dump(diags_);
  ASSERT_EQ(diags_.items().size(), 1u) << dump(diags_);
  EXPECT_EQ(diags_.items()[0].severity, Severity::Warning);
  EXPECT_NE(diags_.items()[0].message.find("is ignored; did you mean \"seed\"?"), std::string::npos);
  EXPECT_TRUE(spec->allow_unknown_fields);  // the manifests are read the same way
}

TEST_F(ScenarioLoaderTest, EveryErrorInTheFileIsReported) {
  auto spec = load(header() + "  sead: 7\n  duration: 10\n  record: {requests: lots}\n");
  EXPECT_FALSE(spec);
  ASSERT_EQ(diags_.error_count(), 3u) << dump(diags_);
  EXPECT_EQ(diags_.items().size(), 3u) << dump(diags_);
}

TEST_F(ScenarioLoaderTest, AMissingScenarioSaysWhy) {
  diags_ = config::Diagnostics();
  auto spec = load_scenario((dir_ / "nope.yaml").string(), {}, diags_);
  EXPECT_FALSE(spec);
  ASSERT_EQ(diags_.items().size(), 1u);
  EXPECT_NE(diags_.items()[0].format().find(": error: cannot read the scenario file: No such file or directory"),
            std::string::npos)
      << dump(diags_);
}

TEST(ScenarioUrl, ParsesHttpUrls) {
  std::string error;
  auto u = parse_url("http://Reviews.Default:9080/reviews/0?x=1#frag", &error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->host, "reviews.default");
  EXPECT_EQ(u->port, 9080u);
  EXPECT_EQ(u->path, "/reviews/0?x=1");
  EXPECT_EQ(u->authority(), "reviews.default:9080");
  auto q = parse_url("http://web?x=1", &error);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->path, "/?x=1");
  EXPECT_EQ(q->authority(), "web");
  auto ip = parse_url("http://10.0.0.1:80", &error);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->authority(), "10.0.0.1");
  EXPECT_FALSE(parse_url("reviews:9080", &error));
  EXPECT_NE(error.find("not a URL"), std::string::npos);
  // The app's own TLS: port 443 by default, so the authority is the bare host.
  auto tls = parse_url("https://www.google.com", &error);
  ASSERT_TRUE(tls) << error;
  EXPECT_EQ(tls->port, 443u);
  EXPECT_EQ(tls->authority(), "www.google.com");
  // A connection: a port and no path.
  auto tcp = parse_url("tcp://tcp-echo:9000", &error);
  ASSERT_TRUE(tcp) << error;
  EXPECT_EQ(tcp->scheme, "tcp");
  EXPECT_EQ(tcp->authority(), "tcp-echo:9000");
  EXPECT_FALSE(parse_url("tcp://tcp-echo", &error));
  EXPECT_FALSE(parse_url("tcp://tcp-echo:9000/x", &error));
  EXPECT_FALSE(parse_url("ftp://reviews", &error));
  EXPECT_FALSE(parse_url("http://reviews:0/", &error));
  EXPECT_FALSE(parse_url("http://reviews:99999/", &error));
  EXPECT_FALSE(parse_url("http:///x", &error));
  EXPECT_FALSE(parse_url("http://re views/", &error));
}

TEST_F(ScenarioLoaderTest, UnreadableFileIsAnError) {
  auto spec = load_scenario((dir_ / "missing.yaml").string(), {}, diags_);
  EXPECT_FALSE(spec);
  ASSERT_EQ(diags_.error_count(), 1u);
  EXPECT_EQ(diags_.items()[0].location.file, (dir_ / "missing.yaml").string());
}

TEST_F(ScenarioLoaderTest, YamlSyntaxErrorHasItsPosition) {
  auto spec = load(header() + "  clients: [{name: c\n");
  EXPECT_FALSE(spec);
  ASSERT_EQ(diags_.error_count(), 1u) << dump(diags_);
  EXPECT_NE(diags_.items()[0].message.find("invalid YAML"), std::string::npos);
  EXPECT_GE(diags_.items()[0].location.line, 6);
}

}  // namespace
}  // namespace meshtwin::scenario
