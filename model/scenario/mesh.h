#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "engine/stop_flag.h"
#include "engine/time.h"
#include "model/config/config_store.h"
#include "model/config/diagnostics.h"
#include "model/scenario/scenario_spec.h"
#include "model/telemetry/records.h"

namespace meshtwin::scenario {

struct Progress {
  SimTime sim_now = 0;
  SimTime sim_duration = 0;
  std::uint64_t client_requests_done = 0;
  std::uint64_t in_flight = 0;
};

struct RunStats {
  std::uint64_t client_requests = 0;   // completed client requests
  std::uint64_t hop_attempts = 0;      // spans of kind attempt (simulated proxy hop attempts)
  std::uint64_t local_replies = 0;
  std::uint64_t events_executed = 0;
  std::uint64_t peak_in_flight = 0;    // client requests in flight at once
  SimTime sim_end = 0;
  double wall_seconds = 0;
};

struct RunOptions {
  // Called every `progress_interval` of simulated time (and at the end); may be empty.
  std::function<void(const Progress&)> progress;
  SimTime progress_interval = engine::kSecond;
  std::string meshtwin_version = "dev";
  // Set from outside (a `--max-wall` watchdog, a signal handler) to end the run early: it then
  // ends as interrupted (RunEnd::complete false), requests in flight recorded as unfinished.
  const engine::StopFlag* stop = nullptr;
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
  // drain) and emits every record to `sink`.
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
