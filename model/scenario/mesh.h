#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "engine/stop_token.h"
#include "engine/time.h"
#include "model/config/config_store.h"
#include "model/config/diagnostics.h"
#include "model/scenario/scenario_spec.h"
#include "model/telemetry/decision_log.h"
#include "model/telemetry/records.h"

namespace meshtwin::scenario {

struct Progress {
  SimTime sim_now{};
  SimDuration sim_duration{};
  std::uint64_t client_requests_done = 0;
  std::uint64_t in_flight = 0;
};

struct RunStats {
  std::uint64_t client_requests = 0;   // completed client requests
  std::uint64_t hop_attempts = 0;      // spans of kind attempt (simulated proxy hop attempts)
  std::uint64_t local_replies = 0;
  std::uint64_t events_executed = 0;
  std::uint64_t idle_events = 0;        // of events_executed: timer entries that did nothing
  std::uint64_t peak_pending_events = 0;  // the event queue's peak size
  std::uint64_t peak_in_flight = 0;    // client requests in flight at once
  SimTime sim_end{};
  double wall_seconds = 0;
  bool interrupted = false;            // ended early by RunOptions::stop
};

struct RunOptions {
  // Called every `progress_interval` of simulated time (and at the end); may be empty. The
  // interval slices the run only where the caller looks: events run in the same order, so the
  // results do not depend on it. The CLI throttles drawing by wall time (cli/progress.h).
  std::function<void(const Progress&)> progress;
  SimDuration progress_interval = engine::kSecond;
  std::string meshtwin_version = "dev";
  // When set and it requests a stop (Ctrl-C, a wall-clock limit), the run ends after the
  // current event: what was recorded so far is kept, summaries are written from it, and the
  // run ends as interrupted (RunEnd::complete false). Requests still in flight get no rows.
  const engine::StopToken* stop = nullptr;
  // The decision log (model/telemetry/decision_log.h): copied at the start of the run; its
  // sink gets one record per decision of the components it turns on. nullptr: off.
  const telemetry::DecisionLog* log = nullptr;
};

class MeshImpl;

// A simulated mesh built from a scenario: the compile half (config → registry → one
// ProxyConfig per proxy class) done once at build, then the simulate half (clients, sidecars,
// pods on the discrete-event engine) on run(). One Mesh runs once.
class Mesh {
 public:
  // Loads the scenario's manifests and builds the mesh. Problems go to `diags`; returns
  // nullptr when there is any error.
  static std::unique_ptr<Mesh> build(const ScenarioSpec& spec, config::Diagnostics& diags);
  ~Mesh();

  // Runs the scenario to completion (arrivals stop at spec.duration, requests in flight
  // drain), or until options.stop asks to stop, and emits every record to `sink`.
  RunStats run(telemetry::Sink& sink, const RunOptions& options = {});

  MeshImpl& impl() { return *impl_; }
  // The resources as loaded (for lint-like warnings about what the run does not simulate).
  const config::ConfigStore& resources() const;
  // How many proxy configs were compiled so far: one per class of proxies whose compiled
  // config would differ (xds::SidecarClassifier), not one per workload or pod.
  std::size_t proxy_configs_compiled() const;

 private:
  explicit Mesh(std::unique_ptr<MeshImpl> impl);
  std::unique_ptr<MeshImpl> impl_;
};

}  // namespace meshtwin::scenario
