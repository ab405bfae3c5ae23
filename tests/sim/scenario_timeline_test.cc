// The time-dependent parts of the scenario file (docs/design.md §3.2, issue 5): timeline entries,
// rollout steps, assertions and the client rate shapes steps, sine, bursts and replay —
// what they read into, and the one-line diagnostics (file:line:col, field path, sentence)
// for what they reject.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "model/scenario/scenario_spec.h"

namespace meshtwin::scenario {
namespace {

namespace fs = std::filesystem;
using config::Severity;
using engine::kMillisecond;
using engine::kSecond;

std::string dump(const config::Diagnostics& d) {
  std::string out;
  for (const auto& x : d.items()) out += x.format() + "\n";
  return out;
}

class TimelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("meshtwin_timeline_test_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "manifests");
    // The loader only checks that manifests exist; the mesh reads them.
    for (const char* f : {"bookinfo.yaml", "vs-all-v1.yaml", "vs-80-20.yaml"}) std::ofstream(dir_ / "manifests" / f) << "";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }

  // The scenario header (5 lines, so the body's first line is line 6), then `body`.
  std::optional<ScenarioSpec> load(const std::string& body) {
    diags_ = config::Diagnostics();
    return load_scenario(write("scenario.yaml", kHeader + body), {}, diags_);
  }

  // Exactly one error, at `line` of the scenario and the column where `marker` starts on that
  // line (so the test says what the diagnostic points at), with that field path and phrase.
  void expect_error(const std::string& body, int line, const std::string& marker, const std::string& path,
                    const std::string& phrase) {
    const std::string text = kHeader + body;
    std::size_t start = 0;
    for (int l = 1; l < line && start != std::string::npos; ++l) {
      start = text.find('\n', start);
      if (start != std::string::npos) ++start;
    }
    ASSERT_NE(start, std::string::npos) << "the scenario has no line " << line;
    const std::string line_text = text.substr(start, text.find('\n', start) - start);
    const std::size_t at = line_text.find(marker);
    ASSERT_NE(at, std::string::npos) << "\"" << marker << "\" is not on line " << line << ": " << line_text;
    expect_error_in("scenario.yaml", body, line, static_cast<int>(at) + 1, path, phrase);
  }

  // Exactly one error, at file:line:col (for errors inside another file, such as a CSV).
  void expect_error_in(const std::string& file, const std::string& body, int line, int col, const std::string& path,
                       const std::string& phrase) {
    auto spec = load(body);
    EXPECT_FALSE(spec.has_value());
    ASSERT_EQ(diags_.error_count(), 1u) << dump(diags_);
    const config::Diagnostic* d = diags_.first_error();
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->location.file, (dir_ / file).string()) << d->format();
    EXPECT_EQ(d->location.line, line) << d->format();
    EXPECT_EQ(d->location.column, col) << d->format();
    EXPECT_EQ(d->field_path, path) << d->format();
    EXPECT_NE(d->message.find(phrase), std::string::npos) << d->format();
  }

  static constexpr const char* kHeader =
      "apiVersion: meshtwin.dev/v1alpha1\n"           // 1
      "kind: Scenario\n"                              // 2
      "metadata: {name: t}\n"                         // 3
      "spec:\n"                                       // 4
      "  manifests: [manifests/bookinfo.yaml]\n";     // 5

  fs::path dir_;
  config::Diagnostics diags_;
};

constexpr const char* kClients =
    "  duration: 600s\n"
    "  clients:\n"
    "    - {name: users, from: {workload: sleep}, to: \"http://productpage:9080/\", rate: {poisson: 10}}\n";

// ------------------------------------------------------------------ timeline

TEST_F(TimelineTest, DesignExampleReadsEveryActionInTimeOrder) {
  auto spec = load(std::string(kClients) +
                   "  timeline:\n"
                   "    - {at: 450s, kill: {deployment: reviews-v3, count: 1, mode: crash}}\n"
                   "    - {at: 120s, apply: [manifests/vs-80-20.yaml]}\n"
                   "    - {at: 300s, scale: {deployment: reviews-v3, replicas: 3}}\n"
                   "    - {at: 400s, app: {reviews-v3: {failures: [{rate: 0.2, kind: status, status: 500}]}}}\n"
                   "    - {at: 120s, delete: manifests/vs-all-v1.yaml}\n"
                   "    - {at: 60s, client: {users: {rate: {constant: 50}}}}\n");
  ASSERT_TRUE(spec) << dump(diags_);
  EXPECT_EQ(diags_.items().size(), 0u) << dump(diags_);
  ASSERT_EQ(spec->timeline.size(), 6u);
  const auto& t = spec->timeline;
  EXPECT_EQ(t[0].at, engine::SimTime{} + 60 * kSecond);
  ASSERT_EQ(t[0].client.size(), 1u);
  EXPECT_EQ(t[0].client[0].client, "users");
  EXPECT_EQ(t[0].client[0].rate->kind, RateSpec::Kind::Constant);
  EXPECT_EQ(t[0].client[0].rate->per_second, 50);
  // Two entries at 120s keep the file's order: apply before delete.
  EXPECT_EQ(t[1].at, engine::SimTime{} + 120 * kSecond);
  ASSERT_EQ(t[1].apply.size(), 1u);
  EXPECT_EQ(t[1].apply[0], (dir_ / "manifests" / "vs-80-20.yaml").string());
  EXPECT_EQ(t[2].at, engine::SimTime{} + 120 * kSecond);
  ASSERT_EQ(t[2].remove.size(), 1u);  // one string is a list of one
  EXPECT_EQ(t[2].remove[0], (dir_ / "manifests" / "vs-all-v1.yaml").string());
  ASSERT_TRUE(t[3].scale);
  EXPECT_EQ(t[3].scale->deployment, "reviews-v3");
  EXPECT_EQ(t[3].scale->namespace_, "");
  EXPECT_EQ(t[3].scale->replicas, 3);
  ASSERT_EQ(t[4].app.size(), 1u);
  EXPECT_EQ(t[4].app[0].workload, "reviews-v3");
  ASSERT_TRUE(t[4].app[0].failures);
  ASSERT_EQ(t[4].app[0].failures->size(), 1u);
  EXPECT_DOUBLE_EQ((*t[4].app[0].failures)[0].rate, 0.2);
  EXPECT_FALSE(t[4].app[0].workers);  // only the keys given change
  EXPECT_FALSE(t[4].app[0].service_time);
  EXPECT_FALSE(t[4].app[0].calls);
  ASSERT_TRUE(t[5].kill);
  EXPECT_EQ(t[5].kill->deployment, "reviews-v3");
  EXPECT_EQ(t[5].kill->count, 1);
  EXPECT_EQ(t[5].kill->mode, TimelineEntry::Kill::Mode::Crash);
  EXPECT_EQ(t[5].location.line, 10);  // the first entry in the file
}

TEST_F(TimelineTest, ScaleAndKillTakeNamespaces) {
  auto spec = load(std::string(kClients) +
                   "  timeline:\n"
                   "    - {at: 1s, scale: {deployment: shop/cart, replicas: 0}}\n"
                   "    - {at: 2s, scale: {deployment: cart, namespace: shop, replicas: 2}}\n"
                   "    - {at: 3s, kill: {pods: [cart-0, cart-2], namespace: shop, mode: graceful, gracePeriod: 5s}}\n"
                   "    - {at: 4s, kill: {deployment: shop/cart, mode: graceful}}\n");
  ASSERT_TRUE(spec) << dump(diags_);
  ASSERT_EQ(spec->timeline.size(), 4u);
  EXPECT_EQ(spec->timeline[0].scale->namespace_, "shop");
  EXPECT_EQ(spec->timeline[0].scale->replicas, 0);
  EXPECT_EQ(spec->timeline[1].scale->namespace_, "shop");
  const auto& k = *spec->timeline[2].kill;
  EXPECT_EQ(k.pods, (std::vector<std::string>{"cart-0", "cart-2"}));
  EXPECT_EQ(k.namespace_, "shop");
  EXPECT_EQ(k.mode, TimelineEntry::Kill::Mode::Graceful);
  EXPECT_EQ(k.grace_period, 5 * kSecond);
  EXPECT_EQ(spec->timeline[3].kill->grace_period, 30 * kSecond);  // Kubernetes' default
}

TEST_F(TimelineTest, AppChangeReadsOnlyTheKeysGiven) {
  auto spec = load(std::string(kClients) +
                   "  timeline:\n"
                   "    - at: 10s\n"
                   "      app:\n"
                   "        reviews-v3: {serviceTime: 50ms, workers: 2, errorStatus: 503, failures: []}\n"
                   "        ratings-v1:\n"
                   "          calls: [{to: \"http://db:5432/\", timeout: 1s}]\n");
  ASSERT_TRUE(spec) << dump(diags_);
  const auto& apps = spec->timeline.at(0).app;
  ASSERT_EQ(apps.size(), 2u);
  EXPECT_EQ(apps[0].workers, std::optional<int>(2));
  EXPECT_EQ(apps[0].error_status, std::optional<int>(503));
  ASSERT_TRUE(apps[0].service_time);
  ASSERT_TRUE(apps[0].failures);  // `failures: []` heals the app: present and empty
  EXPECT_TRUE(apps[0].failures->empty());
  EXPECT_FALSE(apps[0].calls);
  ASSERT_TRUE(apps[1].calls);
  ASSERT_EQ(apps[1].calls->size(), 1u);
  EXPECT_EQ((*apps[1].calls)[0].calls[0].to.host, "db");
  EXPECT_EQ((*apps[1].calls)[0].calls[0].timeout, kSecond);
  EXPECT_FALSE(apps[1].workers);
}

TEST_F(TimelineTest, EntryNeedsExactlyOneAction) {
  expect_error(std::string(kClients) + "  timeline:\n    - {at: 10s}\n", 10, "{at", "spec.timeline[0]",
               "a timeline entry needs one action");
  expect_error(std::string(kClients) +
                   "  timeline:\n    - {at: 10s, scale: {deployment: a, replicas: 1}, kill: {deployment: a}}\n",
               10, "{at", "spec.timeline[0].kill", "write two entries with the same at");
  expect_error(std::string(kClients) + "  timeline:\n    - {apply: [manifests/vs-80-20.yaml]}\n", 10, "{apply",
               "spec.timeline[0].at", "at is required");
  expect_error(std::string(kClients) + "  timeline:\n    - {at: 10, apply: [manifests/vs-80-20.yaml]}\n", 10, "10,",
               "spec.timeline[0].at", "duration with a unit");
}

TEST_F(TimelineTest, RejectsBadActionsWithActionableSentences) {
  const std::string t = std::string(kClients) + "  timeline:\n";
  expect_error(t + "    - {at: 1s, scale: {deployment: a}}\n", 10, "{deployment", "spec.timeline[0].scale.replicas",
               "replicas is required");
  expect_error(t + "    - {at: 1s, scale: {deployment: Reviews, replicas: 1}}\n", 10, "Reviews",
               "spec.timeline[0].scale.deployment", "Deployment name or namespace/name");
  expect_error(t + "    - {at: 1s, scale: {deployment: a/b, namespace: c, replicas: 1}}\n", 10, "{deployment",
               "spec.timeline[0].scale.namespace", "contradicts");
  expect_error(t + "    - {at: 1s, kill: {deployment: a, count: 2, pods: [a-0]}}\n", 10, "2,",
               "spec.timeline[0].kill.count", "count and pods exclude each other");
  expect_error(t + "    - {at: 1s, kill: {deployment: a, gracePeriod: 5s}}\n", 10, "5s}",
               "spec.timeline[0].kill.gracePeriod", "only to mode: graceful");
  expect_error(t + "    - {at: 1s, kill: {deployment: a, mode: sudden}}\n", 10, "sudden", "spec.timeline[0].kill.mode",
               "crash");
  expect_error(t + "    - {at: 1s, app: {reviews-v3: {}}}\n", 10, "{}", "spec.timeline[0].app.reviews-v3",
               "say what changes");
  expect_error(t + "    - {at: 1s, client: {robots: {rate: {poisson: 5}}}}\n", 10, "{rate",
               "spec.timeline[0].client.robots", "no client is named \"robots\"; spec.clients has users");
  expect_error(t + "    - {at: 1s, apply: []}\n", 10, "[]", "spec.timeline[0].apply", "at least one manifest");
}

// Issue 11 §4: a client change may give a rate, a new request budget and a new mix; a client
// may wait without a rate for the timeline to give it one, but only if a step does.
TEST_F(TimelineTest, ClientChangeReadsRateRequestsAndMix) {
  auto spec = load(std::string(kClients) +
                   "    - {name: later, from: {workload: sleep}, to: \"http://productpage:9080/\", start: 5s}\n"
                   "  timeline:\n"
                   "    - {at: 10s, client: {later: {rate: {closed: {connections: 3}}, requests: 30}}}\n"
                   "    - {at: 20s, client: {users: {mix: [{weight: 1, headers: {end-user: jason}}]}}}\n");
  ASSERT_TRUE(spec) << dump(diags_);
  ASSERT_EQ(spec->clients.size(), 2u);
  EXPECT_FALSE(spec->clients[1].has_rate);
  EXPECT_EQ(spec->clients[1].start, engine::SimTime{} + 5 * kSecond);
  const auto& c0 = spec->timeline[0].client.at(0);
  ASSERT_TRUE(c0.rate);
  EXPECT_EQ(c0.rate->kind, RateSpec::Kind::Closed);
  EXPECT_EQ(c0.rate->connections, 3);
  EXPECT_EQ(c0.max_requests, std::optional<std::uint64_t>(30));
  EXPECT_FALSE(c0.mix);
  const auto& c1 = spec->timeline[1].client.at(0);
  EXPECT_FALSE(c1.rate);
  ASSERT_TRUE(c1.mix);
  ASSERT_EQ(c1.mix->size(), 1u);
  EXPECT_EQ((*c1.mix)[0].headers.at(0).second, "jason");
}

TEST_F(TimelineTest, ClientWithoutRateNeedsATimelineStep) {
  expect_error(std::string(kClients) +
                   "    - {name: later, from: {workload: sleep}, to: \"http://productpage:9080/\"}\n",
               9, "{name: later", "spec.clients[1].rate", "unless a timeline step gives the client its rate");
  expect_error(std::string(kClients) + "  timeline:\n    - {at: 1s, client: {users: {}}}\n", 10, "{}",
               "spec.timeline[0].client.users", "needs rate, requests or mix");
  expect_error(std::string(kClients) +
                   "  timeline:\n    - {at: 1s, client: {users: {mix: [{headers: {Host: c.example}}]}}}\n",
               10, "{Host", "spec.timeline[0].client.users.mix[0].headers", "authority");
  expect_error(std::string(kClients) +
                   "    - {name: t, from: {workload: sleep}, to: \"tcp://db:5432\", authority: db.example, rate: {poisson: 1}}\n",
               9, "db.example", "spec.clients[1].authority", "has none");
}

TEST_F(TimelineTest, ChangeAfterTheRunIsAWarning) {
  auto spec = load(std::string(kClients) + "  timeline:\n    - {at: 700s, scale: {deployment: a, replicas: 1}}\n");
  ASSERT_TRUE(spec) << dump(diags_);
  ASSERT_EQ(diags_.items().size(), 1u);
  EXPECT_EQ(diags_.items()[0].severity, Severity::Warning);
  EXPECT_NE(diags_.items()[0].message.find("not before spec.duration"), std::string::npos);
}

// ------------------------------------------------------------------ rollout

TEST_F(TimelineTest, RolloutAsOneMapWithStepsAndAnalysis) {
  auto spec = load(std::string(kClients) +
                   "  assertions:\n"
                   "    - {name: canary ok, where: {destination: reviews, version: v3}, expect: {successRate: \">= 0.99\"}}\n"
                   "  rollout:\n"
                   "    virtualService: reviews\n"
                   "    stable: v1\n"
                   "    canary: v3\n"
                   "    steps: [10, {pause: 60s}, {setWeight: 50}, {pause: 60s}, 100]\n"
                   "    start: 30s\n"
                   "    analysis: [canary ok]\n"
                   "    analysisWindow: 20s\n");
  ASSERT_TRUE(spec) << dump(diags_);
  ASSERT_EQ(spec->rollouts.size(), 1u);
  const auto& r = spec->rollouts[0];
  EXPECT_EQ(r.virtual_service, "reviews");
  EXPECT_EQ(r.stable, "v1");
  EXPECT_EQ(r.canary, "v3");
  EXPECT_EQ(r.start, engine::SimTime{} + 30 * kSecond);
  EXPECT_EQ(r.analysis_window, 20 * kSecond);
  EXPECT_EQ(r.analysis, std::vector<std::string>{"canary ok"});
  ASSERT_EQ(r.steps.size(), 5u);
  EXPECT_EQ(r.steps[0].weight, std::optional<int>(10));
  EXPECT_EQ(r.steps[1].pause, std::optional<SimDuration>(60 * kSecond));
  EXPECT_FALSE(r.steps[1].weight);
  EXPECT_EQ(r.steps[2].weight, std::optional<int>(50));
  EXPECT_EQ(r.steps[4].weight, std::optional<int>(100));
}

TEST_F(TimelineTest, RolloutListAndItsMistakes) {
  auto spec = load(std::string(kClients) +
                   "  rollout:\n"
                   "    - {virtualService: shop/cart, stable: a, canary: b, steps: [50]}\n"
                   "    - {virtualService: reviews, stable: v1, canary: v2, steps: [100]}\n");
  ASSERT_TRUE(spec) << dump(diags_);
  ASSERT_EQ(spec->rollouts.size(), 2u);
  EXPECT_EQ(spec->rollouts[0].namespace_, "shop");
  EXPECT_EQ(spec->rollouts[0].virtual_service, "cart");

  const std::string r = std::string(kClients) + "  rollout:\n";
  expect_error(r + "    {virtualService: reviews, stable: v1, canary: v3, steps: [10, 150]}\n", 10, "150",
               "spec.rollout.steps[1]", "between 0 and 100");
  expect_error(r + "    {virtualService: reviews, stable: v1, canary: v1, steps: [10]}\n", 10, "{virtualService",
               "spec.rollout.canary", "must be different");
  expect_error(r + "    {virtualService: reviews, stable: v1, canary: v3, steps: [{pause: 10s}]}\n", 10, "[{pause",
               "spec.rollout.steps", "set a weight at least once");
  expect_error(r + "    {virtualService: reviews, stable: v1, canary: v3, steps: [10], analysis: [nope]}\n", 10, "nope",
               "spec.rollout.analysis[0]", "no assertion is named \"nope\"");
  expect_error(r + "    {virtualService: reviews, stable: v1, canary: v3, steps: [{pause: 1s, setWeight: 5}]}\n", 10,
               "{pause", "spec.rollout.steps[0]", "exactly one of");
}

// ------------------------------------------------------------------ assertions

TEST_F(TimelineTest, AssertionsReadSelectorsWindowAndConditions) {
  auto spec = load(std::string(kClients) +
                   "  assertions:\n"
                   "    - name: v3 stays healthy\n"
                   "      where: {source: productpage-v1, destination: reviews, version: v3, code: 200, flag: UO}\n"
                   "      during: [120s, 600s]\n"
                   "      expect: {successRate: \">= 99.5%\", p99: \"< 250ms\", count: \"> 0\", \"flags:UO\": \"== 0\"}\n"
                   "    - name: share\n"
                   "      where: {client: users, destination: reviews, version: v2, route: default}\n"
                   "      during: [30s]\n"
                   "      expect: {share: \">= 0.15 and <= 0.25\", errorRate: \"< 0.01\", max: \"<= 1.5s\"}\n");
  ASSERT_TRUE(spec) << dump(diags_);
  ASSERT_EQ(spec->assertions.size(), 2u);
  const auto& a = spec->assertions[0];
  EXPECT_EQ(a.name, "v3 stays healthy");
  EXPECT_EQ(a.where.source, "productpage-v1");
  EXPECT_EQ(a.where.destination, "reviews");
  EXPECT_EQ(a.where.version, "v3");
  EXPECT_EQ(a.where.response_code, std::optional<int>(200));
  EXPECT_EQ(a.where.flag, "UO");
  EXPECT_EQ(a.from, engine::SimTime{} + 120 * kSecond);
  EXPECT_EQ(a.to, std::optional<SimTime>(SimTime{} + 600 * kSecond));
  ASSERT_EQ(a.expect.size(), 4u);
  EXPECT_EQ(a.expect[0].metric, "successRate");
  EXPECT_EQ(a.expect[0].op, ">=");
  EXPECT_DOUBLE_EQ(a.expect[0].value, 0.995);  // a percentage reads as a fraction
  EXPECT_EQ(a.expect[0].text, ">= 99.5%");
  EXPECT_EQ(a.expect[1].metric, "p99");
  EXPECT_EQ(a.expect[1].op, "<");
  EXPECT_DOUBLE_EQ(a.expect[1].value, 250.0 * kMillisecond.ns());  // durations in ns
  EXPECT_EQ(a.expect[3].metric, "flags:UO");
  EXPECT_DOUBLE_EQ(a.expect[3].value, 0);

  const auto& b = spec->assertions[1];
  EXPECT_EQ(b.where.client, "users");
  EXPECT_EQ(b.where.route, "default");
  EXPECT_EQ(b.from, engine::SimTime{} + 30 * kSecond);
  EXPECT_FALSE(b.to);  // to the end of the run
  ASSERT_EQ(b.expect.size(), 4u);  // `and` makes two conditions on share
  EXPECT_EQ(b.expect[0].metric, "share");
  EXPECT_EQ(b.expect[0].op, ">=");
  EXPECT_DOUBLE_EQ(b.expect[0].value, 0.15);
  EXPECT_EQ(b.expect[1].metric, "share");
  EXPECT_EQ(b.expect[1].op, "<=");
  EXPECT_DOUBLE_EQ(b.expect[1].value, 0.25);
  EXPECT_DOUBLE_EQ(b.expect[3].value, 1.5e9);
}

TEST_F(TimelineTest, AssertionMistakesAreErrors) {
  const std::string a = std::string(kClients) + "  assertions:\n";
  expect_error(a + "    - {name: x, where: {destinaton: reviews}, expect: {count: \"> 0\"}}\n", 10, "reviews",
               "spec.assertions[0].where.destinaton", "did you mean \"destination\"");
  expect_error(a + "    - {name: x, expect: {p99: \"< 250\"}}\n", 10, "\"<", "spec.assertions[0].expect.p99",
               "duration with a unit");
  expect_error(a + "    - {name: x, expect: {p99: 250ms}}\n", 10, "250ms", "spec.assertions[0].expect.p99",
               "needs an operator");
  expect_error(a + "    - {name: x, expect: {successRate: \"= 1\"}}\n", 10, "\"=",
               "spec.assertions[0].expect.successRate", "write == for equality");
  expect_error(a + "    - {name: x, expect: {successRate: \">= 1.5\"}}\n", 10, "\">=",
               "spec.assertions[0].expect.successRate", "between 0 and 1");
  expect_error(a + "    - {name: x, expect: {p95: \"< 1s\"}}\n", 10, "\"<", "spec.assertions[0].expect.p95",
               "did you mean \"p90\"");
  expect_error(a + "    - {name: x, expect: {\"flags:XX\": \"== 0\"}}\n", 10, "\"==",
               "spec.assertions[0].expect[\"flags:XX\"]", "one Envoy response flag");
  expect_error(a + "    - {name: x, where: {destination: reviews}, expect: {share: \"> 0.1\"}}\n", 10, "\">",
               "spec.assertions[0].expect.share", "add a version");
  expect_error(a + "    - {name: x, where: {client: users, source: a}, expect: {count: \"> 0\"}}\n", 10, "a}",
               "spec.assertions[0].where.source", "cannot be combined with client");
  expect_error(a + "    - {name: x, where: {client: bots}, expect: {count: \"> 0\"}}\n", 10, "bots",
               "spec.assertions[0].where.client", "no client is named \"bots\"");
  expect_error(a + "    - {name: x, during: [60s, 30s], expect: {count: \"> 0\"}}\n", 10, "30s",
               "spec.assertions[0].during[1]", "must come after its start");
  expect_error(a + "    - {name: x, expect: {count: \"> 0\"}}\n    - {name: x, expect: {count: \"> 1\"}}\n", 11, "x,",
               "spec.assertions[1].name", "already named");
  expect_error(a + "    - {name: x, expect: {count: \">= 1.5\"}}\n", 10, "\">=", "spec.assertions[0].expect.count",
               "whole number");
}

// ------------------------------------------------------------------ rate shapes

TEST_F(TimelineTest, StepsSineAndBursts) {
  auto spec = load(
      "  clients:\n"
      "    - {name: a, from: {workload: s}, to: \"http://x/\", rate: {steps: [{at: 0s, rate: 10}, {at: 60s, rate: 100}]}}\n"
      "    - {name: b, from: {workload: s}, to: \"http://x/\", rate: {sine: {mean: 100, amplitude: 50, period: 24h, phase: 6h}}}\n"
      "    - {name: c, from: {workload: s}, to: \"http://x/\", rate: {bursts: {base: 10, rate: 500, every: 60s, length: 5s}, arrivals: even}}\n");
  ASSERT_TRUE(spec) << dump(diags_);
  ASSERT_EQ(spec->clients.size(), 3u);
  const RateSpec& a = spec->clients[0].rate;
  EXPECT_EQ(a.kind, RateSpec::Kind::Steps);
  ASSERT_EQ(a.steps.size(), 2u);
  EXPECT_EQ(a.steps[1], (std::pair<SimDuration, double>{60 * kSecond, 100.0}));
  EXPECT_TRUE(a.poisson);
  const RateSpec& b = spec->clients[1].rate;
  EXPECT_EQ(b.kind, RateSpec::Kind::Sine);
  EXPECT_EQ(b.per_second, 100);
  EXPECT_EQ(b.amplitude, 50);
  EXPECT_EQ(b.period, 24 * 3600 * kSecond);
  EXPECT_EQ(b.phase, 6 * 3600 * kSecond);
  const RateSpec& c = spec->clients[2].rate;
  EXPECT_EQ(c.kind, RateSpec::Kind::Bursts);
  EXPECT_EQ(c.per_second, 10);
  EXPECT_EQ(c.burst_rate, 500);
  EXPECT_EQ(c.burst_every, 60 * kSecond);
  EXPECT_EQ(c.burst_length, 5 * kSecond);
  EXPECT_FALSE(c.poisson);
}

TEST_F(TimelineTest, RateShapeMistakes) {
  const std::string c = "  clients:\n    - name: a\n      from: {workload: s}\n      to: \"http://x/\"\n";
  expect_error(c + "      rate: {steps: [{at: 10s, rate: 1}, {at: 5s, rate: 2}]}\n", 10, "5s",
               "spec.clients[0].rate.steps[1].at", "step times must increase");
  expect_error(c + "      rate: {steps: [{at: 0s, rate: 0}]}\n", 10, "[{at", "spec.clients[0].rate.steps",
               "every step has rate 0");
  expect_error(c + "      rate: {bursts: {rate: 50, every: 10s, length: 10s}}\n", 10, "{rate",
               "spec.clients[0].rate.bursts.length", "must be shorter than every");
  expect_error(c + "      rate: {sine: {mean: 100, period: 1h}}\n", 10, "{mean", "spec.clients[0].rate.sine.amplitude",
               "amplitude is required");
  expect_error(c + "      rate: {poisson: 5, arrivals: even}\n", 10, "even", "spec.clients[0].rate.arrivals",
               "steps, sine and bursts shapes only");
  expect_error(c + "      rate: {sin: {mean: 1, amplitude: 1, period: 1h}}\n", 10, "{mean", "spec.clients[0].rate.sin",
               "did you mean \"sine\"");
}

TEST_F(TimelineTest, ReplayArrivalTimesAndRatesPerSecond) {
  write("arrivals.csv", "# exported from the access log\ntime,path\n0.5,/a\n1500ms,/b\n0.25,/c\n");
  write("rates.csv", "second,rate\n0,10\n2,30\n");
  auto spec = load(
      "  clients:\n"
      "    - {name: a, from: {workload: s}, to: \"http://x/\", rate: {replay: {file: arrivals.csv}}}\n"
      "    - {name: b, from: {workload: s}, to: \"http://x/\", rate: {replay: {file: rates.csv}}}\n");
  ASSERT_TRUE(spec) << dump(diags_);
  const RateSpec& a = spec->clients[0].rate;
  EXPECT_EQ(a.kind, RateSpec::Kind::Replay);
  EXPECT_EQ(a.replay_file, (dir_ / "arrivals.csv").string());
  // Sorted; plain numbers are seconds, durations keep their unit.
  EXPECT_EQ(a.replay_arrivals, (std::vector<SimTime>{SimTime{} + 250 * kMillisecond, SimTime{} + 500 * kMillisecond, SimTime{} + 1500 * kMillisecond}));
  EXPECT_TRUE(a.replay_rates.empty());
  const RateSpec& b = spec->clients[1].rate;
  EXPECT_EQ(b.replay_rates, (std::vector<double>{10, 0, 30}));  // second 1 not given: 0
  EXPECT_TRUE(b.replay_arrivals.empty());
}

TEST_F(TimelineTest, ReplayCsvErrorsPointIntoTheCsv) {
  const std::string c =
      "  clients:\n    - {name: a, from: {workload: s}, to: \"http://x/\", rate: {replay: {file: data.csv}}}\n";
  write("data.csv", "time\n1.0\n  soon\n");
  expect_error_in("data.csv", c, 3, 3, "spec.clients[0].rate.replay.file", "time \"soon\" is not a point in time");
  write("data.csv", "when,count\n1,2\n");
  expect_error_in("data.csv", c, 1, 1, "spec.clients[0].rate.replay.file", "header naming a `time` column");
  write("data.csv", "second,rate\n0,5\n0,6\n");
  expect_error_in("data.csv", c, 3, 1, "spec.clients[0].rate.replay.file", "already has a rate on line 2");
  write("data.csv", "second,rate\n0,5,7\n");
  expect_error_in("data.csv", c, 2, 1, "spec.clients[0].rate.replay.file", "one value per column");
  write("data.csv", "second, rate\n0, -5\n");
  expect_error_in("data.csv", c, 2, 4, "spec.clients[0].rate.replay.file", "0 to 1000000");
  fs::remove(dir_ / "data.csv");
  expect_error(c, 7, "data.csv", "spec.clients[0].rate.replay.file", "replay file \"data.csv\" not found");
}

TEST_F(TimelineTest, TimelineClientChangeTakesTheNewShapes) {
  write("day.csv", "second,rate\n0,1\n");
  auto spec = load(std::string(kClients) +
                   "  timeline:\n"
                   "    - {at: 60s, client: {users: {rate: {replay: {file: day.csv}}}}}\n"
                   "    - {at: 90s, client: {users: {rate: {sine: {mean: 5, amplitude: 5, period: 10s}}}}}\n");
  ASSERT_TRUE(spec) << dump(diags_);
  ASSERT_EQ(spec->timeline.size(), 2u);
  EXPECT_EQ(spec->timeline[0].client.at(0).rate->kind, RateSpec::Kind::Replay);
  EXPECT_EQ(spec->timeline[0].client.at(0).rate->replay_rates, std::vector<double>{1});
  EXPECT_EQ(spec->timeline[1].client.at(0).rate->kind, RateSpec::Kind::Sine);
}

TEST_F(TimelineTest, SetOverridesReachTimelineAndAssertions) {
  const std::string body = std::string(kClients) +
                           "  assertions:\n"
                           "    - {name: ok, expect: {successRate: \">= 0.99\"}}\n"
                           "  timeline:\n"
                           "    - {at: 10s, scale: {deployment: a, replicas: 1}}\n";
  diags_ = config::Diagnostics();
  const std::string path = write("scenario.yaml", "apiVersion: meshtwin.dev/v1alpha1\nkind: Scenario\nmetadata: {name: t}\n"
                                                  "spec:\n  manifests: [manifests/bookinfo.yaml]\n" + body);
  auto spec = load_scenario(path,
                            {"spec.assertions[0].expect.successRate=\">= 0.5\"", "spec.timeline[0].scale.replicas=4"},
                            diags_);
  ASSERT_TRUE(spec) << dump(diags_);
  EXPECT_DOUBLE_EQ(spec->assertions.at(0).expect.at(0).value, 0.5);
  EXPECT_EQ(spec->timeline.at(0).scale->replicas, 4);
}

}  // namespace
}  // namespace meshtwin::scenario
