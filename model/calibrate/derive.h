// From Observations to a scenario's `apps:` and `clients:` (docs/calibrate.md "What is
// derived"), each value with a sentence saying where it came from.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/calibrate/observations.h"
#include "model/scenario/scenario_spec.h"

namespace meshtwin::calibrate {

struct DeriveOptions {
  enum class Fit { LogNormal, Empirical };
  Fit fit = Fit::LogNormal;
  // The scenario being calibrated: its apps' calls lend what telemetry cannot show (paths,
  // timeouts, attempts, forwarded headers, onFailure, workers, errorStatus) and its clients
  // their URL, method, headers and timeout; nullptr for none.
  const scenario::ScenarioSpec* base = nullptr;
  // Service FQDN -> port for call URLs when the input does not say (metrics never do).
  std::map<std::string, int> service_ports;
  // What one hop adds around the app (network both ways, proxy passes) on average, which
  // the simulation adds again: subtracted from service times (ms).
  double hop_overhead_ms = 0;
  // Ranges of at least this many hours get a per-hour-of-day client rate.
  double hourly_from_hours = 24;
};

struct Noted {
  std::string note;  // where the value came from
};

struct CalibratedCall : Noted {
  std::string service;  // FQDN
  std::string url;
  int count = 1;         // calls per inbound request, as written
  double observed = 0;   // calls per inbound request, as measured
  std::optional<scenario::CallSpec> from_base;  // the base scenario's call to the service
};
struct CalibratedStep {
  std::vector<CalibratedCall> calls;
  bool parallel = false;
};
struct CalibratedFailure : Noted {
  int status = 500;
  double rate = 0;
};
struct CalibratedApp {
  WorkloadId workload;
  double inbound_per_s = 0;
  // Service time in ms: lognormal by p50/p99, or empirical points (value ms, cumulative p).
  double p50_ms = 0, p99_ms = 0;
  std::vector<std::pair<double, double>> empirical;
  std::string service_time_note;
  std::vector<CalibratedStep> steps;
  std::string calls_note;
  std::vector<CalibratedFailure> failures;
  const scenario::AppSpec* base = nullptr;
};
struct CalibratedClient : Noted {
  std::string name;
  WorkloadId from;
  bool from_gateway = false;
  std::string url;
  std::string service;  // FQDN
  double rate = 0;      // per second over the range
  std::vector<std::pair<int, double>> hourly;  // (hour of day UTC, rate) when the range covers a day
  const scenario::ClientSpec* base = nullptr;
};

struct Calibration {
  std::vector<CalibratedApp> apps;
  std::vector<CalibratedClient> clients;
  std::vector<std::string> notes;  // what could not be derived, for the summary and the file
  std::string input;               // "Prometheus metrics a.json, 86400 s ..." for the file's header
};

Calibration derive(const Observations& obs, const DeriveOptions& options);

// The scenario text: `base_text` (the base scenario file, may be empty) with its `apps` and
// `clients` replaced by the calibration and its manifest paths made relative to `out_dir`
// (`base_dir` is where the base file lives); without a base, `manifests` are listed.
std::string write_scenario(const Calibration& c, const std::string& base_text, const std::string& base_dir,
                           const std::string& out_dir, const std::vector<std::string>& manifests);

}  // namespace meshtwin::calibrate
