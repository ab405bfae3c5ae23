#include "model/proxy/load_balancer.h"

#include <algorithm>

namespace meshtwin::proxy {

LoadBalancer::LoadBalancer(xds::LbPolicy::Kind kind, std::uint32_t workers, engine::RngStream& rng)
    : kind_(kind), rr_index_(std::max<std::uint32_t>(workers, 1)) {
  // Envoy seeds each round-robin instance with a random start (§8.1, §16.1 item 9), so the
  // workers of one proxy, and proxies among themselves, do not march in lock step.
  for (auto& index : rr_index_) index = rng.next_u64();
}

std::int32_t LoadBalancer::choose(std::uint32_t worker, std::span<const std::uint32_t> eligible,
                                  std::span<const std::uint32_t> active_requests,
                                  engine::RngStream& rng) {
  const std::size_t n = eligible.size();
  if (n == 0) return kNoHost;
  if (n == 1) return static_cast<std::int32_t>(eligible[0]);
  switch (kind_) {
    case xds::LbPolicy::Kind::RoundRobin: {
      auto& index = rr_index_[worker % rr_index_.size()];
      return static_cast<std::int32_t>(eligible[index++ % n]);
    }
    case xds::LbPolicy::Kind::Random:
      return static_cast<std::int32_t>(eligible[rng.uniform_int(n)]);
    case xds::LbPolicy::Kind::LeastRequest:
    default: {
      // Power of two choices with replacement; the second draw wins only with strictly fewer
      // active requests (§8.2). Hash and passthrough policies arrive with the resilience issue
      // and fall back to this, Istio's default.
      const std::uint32_t first = eligible[rng.uniform_int(n)];
      const std::uint32_t second = eligible[rng.uniform_int(n)];
      return static_cast<std::int32_t>(active_requests[second] < active_requests[first] ? second
                                                                                        : first);
    }
  }
}

std::int32_t LoadBalancer::choose_avoiding(std::uint32_t worker,
                                           std::span<const std::uint32_t> eligible,
                                           std::span<const std::uint32_t> active_requests,
                                           std::span<const std::int32_t> tried,
                                           std::uint32_t max_selection_retries,
                                           engine::RngStream& rng) {
  std::int32_t host = kNoHost;
  for (std::uint32_t i = 0; i <= max_selection_retries; ++i) {
    host = choose(worker, eligible, active_requests, rng);
    if (host == kNoHost) return host;
    if (std::find(tried.begin(), tried.end(), host) == tried.end()) return host;
  }
  return host;
}

}  // namespace meshtwin::proxy
