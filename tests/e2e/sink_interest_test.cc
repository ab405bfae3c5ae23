// telemetry::Interest and telemetry::LabelKey end to end (docs/performance.md "Records only as
// far as the sink reads them"): a sink that declines spans, hops or peer labels gets everything
// else exactly as a sink that takes all of it (same requests, events, hops, span ids, counts);
// the model's LabelKey keeps its promise (equal keys, equal labels); and MetricWindows gives the
// same rows whether it is handed the keys or has to look at the views.

#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "model/scenario/mesh.h"
#include "model/scenario/scenario_spec.h"
#include "model/telemetry/metric_windows.h"

namespace meshtwin {
namespace {

using telemetry::HopRecord;
using telemetry::Interest;
using telemetry::SpanRecord;

const std::string kScenarios = std::string(MESHTWIN_SOURCE_DIR) + "/scenarios/";

std::string labels_text(const telemetry::MetricWindows& w, const telemetry::MetricLabels& k) {
  std::string s;
  for (auto id : {k.source_workload, k.destination_service, k.destination_workload, k.destination_version,
                  k.destination_pod})
    s += std::string(w.text(id)) + "|";
  for (auto id : k.peers) s += std::string(w.text(id)) + "|";
  return s;
}

// Metric rows as text, in the order MetricWindows hands them over.
struct RowText : telemetry::MetricRowSink {
  const telemetry::MetricWindows* w = nullptr;
  std::vector<std::string> rows;
  void on_metric_window(const telemetry::FinishedWindow& window) override {
    for (const telemetry::MetricCounts& c : window.rows) {
      const telemetry::MetricLabels& k = w->labels(c.series);
      std::string row = std::to_string(window.start.ns()) + " " + std::string(to_string(k.reporter)) + " " +
                        labels_text(*w, k) + std::to_string(k.response_code) + " " +
                        std::to_string(k.response_flags) + " " + std::to_string(c.requests) + " " +
                        std::to_string(c.duration_sum);
      for (auto b : window.buckets(c)) row += " " + std::to_string(b);
      rows.push_back(std::move(row));
    }
  }
};

std::string peers_text(const telemetry::PeerLabels& p) {
  std::string s;
  for (auto v : {p.source_namespace, p.source_app, p.source_version, p.source_principal, p.destination_namespace,
                 p.destination_app, p.destination_principal, p.request_protocol})
    s += std::string(v) + "|";
  return s + (p.secure ? "mtls" : "plain");
}

// Keeps what it is asked for as text; with `windows`, also counts the hops (and the spans, if it
// takes them) in two MetricWindows: one given the records as they come, one with their keys
// cleared, so that the view path decides every series.
class InterestSink : public telemetry::Sink {
 public:
  explicit InterestSink(Interest interest) : interest_(interest) {}
  Interest interest() const override { return interest_; }
  void begin_run(const telemetry::RunInfo&) override {
    keyed_out.w = keyed.get();
    viewed_out.w = viewed.get();
    keyed->begin_run(engine::kSecond, 1, &keyed_out);
    viewed->begin_run(engine::kSecond, 1, &viewed_out);
  }
  void on_request(const telemetry::RequestRecord& r) override {
    requests.push_back(std::to_string(r.request_id) + " " + std::to_string(r.start.ns()) + " " +
                       std::to_string(r.duration.ns()) + " " + std::to_string(r.response_code) + " " +
                       std::to_string(r.response_flags) + " " + std::to_string(r.attempts) + " " +
                       std::string(r.destination_service) + " " + std::string(r.destination_version));
  }
  void on_span(const SpanRecord& s) override {
    EXPECT_TRUE(interest_.spans) << "a span reached a sink that declined spans";
    spans.push_back(std::to_string(s.request_id) + " " + std::to_string(s.span_id) + " " +
                    std::to_string(s.parent_span_id) + " " + std::to_string(s.response_code) + " " +
                    std::string(s.destination_pod) + " " + std::to_string(s.duration.ns()));
    if (!interest_.peers) {
      EXPECT_TRUE(s.peers.request_protocol.empty()) << "peers built for a sink that declined them";
    }
    check_key(s);
    keyed->on_span(s);
    SpanRecord unkeyed = s;
    unkeyed.label_key = {};
    viewed->on_span(unkeyed);
  }
  void on_hop(const HopRecord& h) override {
    EXPECT_TRUE(interest_.hops) << "a hop reached a sink that declined hops";
    hops.push_back(std::to_string(h.start.ns()) + " " + std::to_string(h.duration.ns()) + " " +
                   std::string(h.source_workload) + " " + std::string(h.destination_service) + " " +
                   std::string(h.destination_pod) + " " + std::to_string(h.response_code) + " " +
                   std::to_string(h.response_flags) + (interest_.peers ? " " + peers_text(h.peers) : ""));
    if (!interest_.peers) {
      EXPECT_TRUE(h.peers.request_protocol.empty()) << "peers built for a sink that declined them";
    }
    check_key(h);
    if (!interest_.peers) return;  // MetricWindows needs the peers
    keyed->on_hop(h);
    HopRecord unkeyed = h;
    unkeyed.label_key = {};
    viewed->on_hop(unkeyed);
  }
  void on_event(const telemetry::EventRecord& e) override {
    events.push_back(std::to_string(e.time.ns()) + " " + e.kind + " " + e.subject + " " + e.detail);
  }
  void end_run(const telemetry::RunEnd&) override {
    keyed->flush();
    viewed->flush();
  }

  // LabelKey's promise: every record with the same key carries the same label views.
  template <class Record>
  void check_key(const Record& r) {
    if (!r.label_key.valid() || !interest_.peers) return;
    const std::string text = std::string(r.source_workload) + "|" + std::string(r.destination_service) + "|" +
                             std::string(r.destination_workload) + "|" + std::string(r.destination_version) + "|" +
                             std::string(r.destination_pod) + "|" + peers_text(r.peers);
    auto [it, inserted] = by_key.try_emplace(std::make_pair(r.label_key.hi, r.label_key.lo), text);
    EXPECT_EQ(it->second, text) << "two label sets under one LabelKey";
  }

  Interest interest_;
  std::vector<std::string> requests, spans, hops, events;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::string> by_key;
  // On the heap: MetricWindows does not move, the sink does.
  std::unique_ptr<telemetry::MetricWindows> keyed = std::make_unique<telemetry::MetricWindows>(),
                                            viewed = std::make_unique<telemetry::MetricWindows>();
  RowText keyed_out, viewed_out;
  scenario::RunStats stats;
};

InterestSink run(const std::string& scenario, Interest interest) {
  config::Diagnostics diags;
  // The canary's analysis aborts its rollout at 150 s: far enough for that, short otherwise.
  const bool canary = scenario.find("canary") != std::string::npos;
  const std::string duration = canary ? "160s" : "20s";
  auto spec = scenario::load_scenario(kScenarios + scenario, {"spec.duration=" + duration}, diags);
  InterestSink sink(interest);
  if (!spec) {
    ADD_FAILURE() << "cannot load " << scenario;
    return sink;
  }
  auto mesh = scenario::Mesh::build(*spec, diags);
  if (!mesh) {
    ADD_FAILURE() << "cannot build " << scenario;
    return sink;
  }
  sink.stats = mesh->run(sink);
  return sink;
}

void expect_same_run(const InterestSink& a, const InterestSink& b) {
  EXPECT_EQ(a.requests, b.requests);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.stats.hop_attempts, b.stats.hop_attempts);
  EXPECT_EQ(a.stats.local_replies, b.stats.local_replies);
  EXPECT_EQ(a.stats.client_requests, b.stats.client_requests);
  EXPECT_EQ(a.stats.events_executed, b.stats.events_executed);
  EXPECT_EQ(a.stats.sim_end, b.stats.sim_end);
}

// A plain run, one with local replies (fault aborts: span ids are taken by local replies
// whether or not spans are read), one with mirrors (shadow spans, no hops) and one with a
// rollout analysis (which reads hops itself).
class SinkInterest : public ::testing::TestWithParam<std::string> {};

TEST_P(SinkInterest, DecliningRecordsChangesNothingElse) {
  const InterestSink all = run(GetParam(), {});
  ASSERT_GT(all.spans.size(), 100u);
  ASSERT_GT(all.hops.size(), 100u);
  EXPECT_GE(all.by_key.size(), 2u) << "the model gave no label keys";

  const InterestSink no_spans = run(GetParam(), {false, true, true});
  expect_same_run(all, no_spans);
  EXPECT_TRUE(no_spans.spans.empty());
  EXPECT_EQ(all.hops, no_spans.hops);

  const InterestSink no_hops = run(GetParam(), {true, false, true});
  expect_same_run(all, no_hops);
  EXPECT_TRUE(no_hops.hops.empty());
  EXPECT_EQ(all.spans, no_hops.spans);  // span ids, codes, destinations: as with hops

  const InterestSink no_peers = run(GetParam(), {true, true, false});
  expect_same_run(all, no_peers);
  EXPECT_EQ(all.spans, no_peers.spans);
  EXPECT_EQ(all.hops.size(), no_peers.hops.size());

  if (GetParam().find("canary") != std::string::npos) {
    // The rollout analysis reads the hops itself: declining them must not blind it.
    bool aborted = false;
    for (const auto& e : all.events) aborted = aborted || e.find(" rollout_aborted ") != std::string::npos;
    EXPECT_TRUE(aborted);
  }
  if (GetParam().find("abort") != std::string::npos) {
    EXPECT_GT(all.stats.local_replies, 0u);
  }

  const InterestSink nothing = run(GetParam(), {false, false, false});
  expect_same_run(all, nothing);
  EXPECT_TRUE(nothing.spans.empty());
  EXPECT_TRUE(nothing.hops.empty());
}

TEST_P(SinkInterest, MetricRowsAreTheSameWithLabelKeysAndWithout) {
  const InterestSink all = run(GetParam(), {});
  ASSERT_FALSE(all.keyed_out.rows.empty());
  EXPECT_EQ(all.keyed_out.rows, all.viewed_out.rows);
  // Both reporters are there, so both record kinds went through the keyed path.
  std::set<std::string> reporters;
  for (const auto& row : all.keyed_out.rows) reporters.insert(row.substr(row.find(' ') + 1, 6));
  EXPECT_EQ(reporters.size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Bundled, SinkInterest,
                         ::testing::Values("bookinfo/reviews-80-20.yaml", "istio-tasks/fault-injection-abort.yaml",
                                           "istio-tasks/mirroring.yaml", "bookinfo/canary-v3-degrades.yaml"),
                         [](const auto& info) {
                           const std::string file = info.param.substr(info.param.find('/') + 1);
                           std::string name = file.substr(0, file.find('.'));
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

}  // namespace
}  // namespace meshtwin
