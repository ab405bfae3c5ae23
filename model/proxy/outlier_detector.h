#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/time.h"
#include "model/config/resources.h"

namespace meshtwin::proxy {

using engine::SimDuration;
using engine::SimTime;

// Envoy's outlier-detection settings as Istio writes them for one cluster (docs/semantics.md §10.1).
// Only the consecutive-error detectors exist: Istio switches success rate off and leaves the
// failure-percentage detectors at enforcing 0. Enforcement is all-or-nothing because Istio only
// ever writes 0 or 100.
struct OutlierSettings {
  std::uint32_t consecutive_5xx = 5;
  bool enforce_consecutive_5xx = true;
  std::uint32_t consecutive_gateway_failure = 5;
  bool enforce_consecutive_gateway_failure = false;
  bool split_external_local_origin_errors = false;
  std::uint32_t consecutive_local_origin_failure = 5;
  bool enforce_consecutive_local_origin_failure = true;
  SimDuration interval = 10 * engine::kSecond;
  SimDuration base_ejection_time = 30 * engine::kSecond;
  SimDuration max_ejection_time = 300 * engine::kSecond;
  std::uint32_t max_ejection_percent = 10;
  // minHealthPercent: not a detector setting but the cluster's healthy_panic_threshold, which
  // Istio writes in the same function (§8.5); carried here so callers resolve the DR once.
  std::uint32_t healthy_panic_threshold = 0;
};

// Istio's translation of a DestinationRule outlierDetection block (I-CTP applyOutlierDetection):
// consecutive5xxErrors unset -> Envoy's 5/enforcing 100, set -> v with enforcing 100 iff v > 0;
// consecutiveGatewayErrors unset -> 5 with enforcing 0 (off); interval 10 s and
// baseEjectionTime 30 s by default; maxEjectionPercent <= 0 -> 10; max_ejection_time =
// max(300 s, base) (current Envoy); split mode and consecutiveLocalOriginFailures (> 0 ->
// threshold, else Envoy's 5/100). The deprecated consecutiveErrors is ignored.
OutlierSettings resolve_outlier_detection(const config::OutlierDetection& od);

// Envoy's Grpc::Utility::grpcToHttpStatus: what the outlier detector sees for a response whose
// headers carry grpc-status (a trailers-only gRPC response; §10.2). Unknown codes map to 500.
int grpc_to_http_status(int grpc_status);

// Envoy's consecutive-error outlier detector for one cluster of one calling proxy (docs/semantics.md
// §10.2–10.4). Hosts are the cluster's endpoint indices, as for the LoadBalancer. The state
// is shared by all workers of the proxy; the simulation feeds it every attempt's outcome and
// calls on_interval() from a periodic timer armed when the detector is created.
//
// Ejection is immediate when a counter reaches its threshold (Envoy posts to the main thread;
// we apply it at once, §17.6). The detector only keeps the flags: the caller mirrors every
// ejection and return into the LoadBalancer (set_ejected) and writes host_ejected /
// host_returned events.
//
// Complexity: every on_* call O(1); on_interval O(hosts). Memory: 40 bytes per host.
class OutlierDetector {
 public:
  enum class EjectionType : std::uint8_t {
    None,
    Consecutive5xx,
    ConsecutiveGatewayFailure,
    ConsecutiveLocalOriginFailure,
  };
  enum class LocalOriginFailure : std::uint8_t {
    ConnectFailed,  // connection failure or upstream reset (not overflow): 503 unless split mode
    Timeout,        // per-try or global timeout while awaiting headers: 504 unless split mode
  };

  OutlierDetector(const OutlierSettings& settings, std::uint32_t host_count);

  const OutlierSettings& settings() const { return settings_; }
  // Period of the cluster's interval timer (un-ejection and multiplier decay happen only there).
  SimDuration interval() const { return settings_.interval; }

  // An upstream response's status (gRPC: grpc_to_http_status of a grpc-status found in the
  // response headers). Returns true when this response ejected the host.
  bool on_response(std::uint32_t host, int status, SimTime now);
  // A local-origin failure of an attempt on `host`. Without split mode it counts as a 503
  // (connect failure) or 504 (timeout) response; in split mode it feeds the local-origin
  // counter only. Returns true when it ejected the host.
  bool on_local_origin_failure(std::uint32_t host, LocalOriginFailure kind, SimTime now);
  // The attempt got a stream on a connection (pool ready, also for reused connections). Resets
  // the local-origin counter in split mode; no effect otherwise.
  void on_connect_success(std::uint32_t host);

  // The interval timer fired at `now`: returns hosts whose ejection has lasted at least
  // min(base × multiplier, max) (their counters are reset) and decays the multiplier of hosts
  // un-ejected at least one interval ago. `returned` is cleared first, then filled in host
  // order.
  void on_interval(SimTime now, std::vector<std::uint32_t>& returned);

  bool is_ejected(std::uint32_t host) const { return hosts_[host].ejected; }
  std::uint32_t ejected_count() const { return ejected_; }
  std::uint32_t host_count() const { return static_cast<std::uint32_t>(hosts_.size()); }
  // Ejection-time multiplier (Envoy's eject_time_backoff): 0 before the first ejection.
  std::uint32_t multiplier(std::uint32_t host) const { return hosts_[host].backoff; }
  // How long the current (or last) ejection lasts at least: min(base × multiplier, max).
  SimDuration ejection_duration(std::uint32_t host) const;
  SimTime ejected_at(std::uint32_t host) const { return hosts_[host].ejected_at; }
  EjectionType last_ejection_type(std::uint32_t host) const { return hosts_[host].last_type; }
  std::uint32_t ejection_count(std::uint32_t host) const { return hosts_[host].ejections; }
  // Thresholds reached while max_ejection_percent refused the ejection (Envoy's
  // ejections_overflow).
  std::uint64_t overflow_count() const { return overflow_; }

  // The max_ejection_percent denominator: Envoy's number of host monitors, i.e. every host of
  // every priority that the proxy received (unhealthy ones included, §13). Defaults to
  // host_count; set it when some endpoint indices are not in this proxy's EDS (locality
  // distribute removed them).
  void set_monitored_host_count(std::uint32_t count) { monitored_ = count; }

  // EDS membership change: new host i continues the state of old host previous[i], or starts
  // fresh when previous[i] < 0 (LoadBalancer::set_hosts returns this vector). Removed hosts that
  // were ejected stop counting as ejected. Resets the monitored count to the new host count.
  void update_hosts(std::span<const std::int32_t> previous);

 private:
  struct Monitor {
    std::uint32_t consecutive_5xx = 0;
    std::uint32_t consecutive_gateway = 0;
    std::uint32_t consecutive_local_origin = 0;
    std::uint32_t backoff = 0;
    std::uint32_t ejections = 0;
    bool ejected = false;
    bool unejected_once = false;
    EjectionType last_type = EjectionType::None;
    SimTime ejected_at{};
    SimTime unejected_at{};
  };

  // Envoy's onConsecutiveErrorWorker: nothing if already ejected, else try to eject and reset
  // the counter that triggered whether or not the ejection happened.
  bool on_consecutive_error(std::uint32_t host, EjectionType type, SimTime now);
  bool eject(Monitor& m, EjectionType type, SimTime now);

  OutlierSettings settings_;
  std::vector<Monitor> hosts_;
  std::uint32_t ejected_ = 0;
  std::uint32_t monitored_ = 0;
  std::uint64_t overflow_ = 0;
};

}  // namespace meshtwin::proxy
