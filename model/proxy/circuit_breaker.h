#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

#include "engine/time.h"
#include "model/config/resources.h"
#include "model/registry/registry.h"

namespace meshtwin::proxy {

using engine::SimDuration;
using engine::SimTime;

inline constexpr std::uint64_t kIstioUnlimited = 4'294'967'295ull;  // 2^32 − 1 (docs/semantics.md §9.1)

// The connection-pool limits of one Envoy cluster as Istio configures them (docs/semantics.md §9.1):
// unset (or zero) DestinationRule fields become 2^32 − 1, never Envoy's own defaults.
struct CircuitBreakerThresholds {
  std::uint64_t max_connections = kIstioUnlimited;
  std::uint64_t max_pending_requests = kIstioUnlimited;
  std::uint64_t max_requests = kIstioUnlimited;
  std::uint64_t max_retries = kIstioUnlimited;
  std::uint32_t max_requests_per_connection = 0;  // 0: unlimited
  std::uint32_t max_concurrent_streams = 2'147'483'647;  // HTTP/2, Envoy's default
  SimDuration connect_timeout = 10 * engine::kSecond;  // mesh connectTimeout default
  SimDuration idle_timeout = engine::kHour;            // Envoy's upstream idle timeout default
  bool http2 = false;  // HTTP/2 upstream (h2/gRPC ports, or h2UpgradePolicy UPGRADE)
  // DR trafficPolicy.retryBudget replaces max_retries (§5.6).
  bool has_retry_budget = false;
  double retry_budget_percent = 20.0;
  std::uint32_t retry_budget_min_concurrency = 3;
};

CircuitBreakerThresholds resolve_thresholds(
    const std::optional<config::ConnectionPoolSettings>& pool,
    const std::optional<config::RetryBudget>& budget, registry::Protocol protocol);

// The counters Envoy keeps per cluster (summed over hosts and workers of one proxy).
struct CircuitBreakerCounters {
  std::uint64_t active_requests = 0;
  std::uint64_t pending_requests = 0;
  std::uint64_t connections = 0;
  std::uint64_t active_retries = 0;

  // The retry circuit breaker or budget (§5.2 step 4, §5.6).
  bool retry_allowed(const CircuitBreakerThresholds& t) const {
    if (t.has_retry_budget) {
      const double budget = t.retry_budget_percent / 100.0 *
                            static_cast<double>(active_requests + pending_requests);
      const double allowed = std::max<double>(t.retry_budget_min_concurrency, budget);
      return static_cast<double>(active_retries) < allowed;
    }
    return active_retries < t.max_retries;
  }
};

}  // namespace meshtwin::proxy
