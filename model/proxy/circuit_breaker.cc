#include "model/proxy/circuit_breaker.h"

namespace meshtwin::proxy {

namespace {
std::uint64_t limit(std::int32_t value) {
  return value > 0 ? static_cast<std::uint64_t>(value) : kIstioUnlimited;  // 0 = unset (§9.1)
}
}  // namespace

CircuitBreakerThresholds resolve_thresholds(
    const std::optional<config::ConnectionPoolSettings>& pool,
    const std::optional<config::RetryBudget>& budget, registry::Protocol protocol) {
  CircuitBreakerThresholds t;
  t.http2 = protocol == registry::Protocol::HTTP2 || protocol == registry::Protocol::GRPC;
  if (pool && pool->tcp) {
    t.max_connections = limit(pool->tcp->max_connections);
    if (pool->tcp->connect_timeout) t.connect_timeout = *pool->tcp->connect_timeout;
    if (pool->tcp->idle_timeout) t.idle_timeout = *pool->tcp->idle_timeout;
  }
  if (pool && pool->http) {
    const auto& http = *pool->http;
    t.max_pending_requests = limit(http.http1_max_pending_requests);
    t.max_requests = limit(http.http2_max_requests);
    t.max_retries = limit(http.max_retries);
    if (http.max_requests_per_connection > 0)
      t.max_requests_per_connection = static_cast<std::uint32_t>(http.max_requests_per_connection);
    if (http.max_concurrent_streams > 0)
      t.max_concurrent_streams = static_cast<std::uint32_t>(http.max_concurrent_streams);
    if (http.idle_timeout) t.idle_timeout = *http.idle_timeout;  // http wins over tcp (§4.3)
    // h2 upgrade only for ports declared HTTP (§9.1), unless the client protocol is kept.
    if (http.h2_upgrade_policy == "UPGRADE" && !http.use_client_protocol &&
        protocol == registry::Protocol::HTTP)
      t.http2 = true;
  }
  if (budget) {
    t.has_retry_budget = true;
    if (budget->percent) t.retry_budget_percent = *budget->percent;
    if (budget->min_retry_concurrency) t.retry_budget_min_concurrency = *budget->min_retry_concurrency;
  }
  return t;
}

}  // namespace meshtwin::proxy
