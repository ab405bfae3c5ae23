// model/proxy owns Envoy's runtime behaviour over a compiled proxy config: host selection,
// the retry decision and backoff, per-cluster runtime state. It uses engine/ (RNG) and
// model/xds (the immutable config); it knows nothing of apps, clients, SQLite or the CLI.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/rng.h"
#include "model/xds/proxy_config.h"

namespace meshtwin::proxy {

inline constexpr std::int32_t kNoHost = -1;

// Host selection for one Envoy cluster in one proxy (SEMANTICS §8). Envoy gives every worker
// thread its own LB instance (§8.0): round-robin indices are per worker and start at a random
// offset drawn once per instance; active-request counts are shared across workers and are
// passed in by the caller. Hosts are identified by their index in the cluster's endpoint
// list. Cost: O(1) per pick for equal weights.
class LoadBalancer {
 public:
  LoadBalancer(xds::LbPolicy::Kind kind, std::uint32_t workers, engine::RngStream& rng);

  // Picks one of `eligible` (endpoint indices of the healthy host set). `active_requests` is
  // indexed by endpoint index. Returns kNoHost when `eligible` is empty.
  std::int32_t choose(std::uint32_t worker, std::span<const std::uint32_t> eligible,
                      std::span<const std::uint32_t> active_requests, engine::RngStream& rng);

  // Envoy's previous_hosts retry predicate (SEMANTICS §5.5): asks the LB up to
  // 1 + max_selection_retries times for a host not in `tried`; if every pick was tried
  // before, the last pick is used anyway.
  std::int32_t choose_avoiding(std::uint32_t worker, std::span<const std::uint32_t> eligible,
                               std::span<const std::uint32_t> active_requests,
                               std::span<const std::int32_t> tried,
                               std::uint32_t max_selection_retries, engine::RngStream& rng);

  xds::LbPolicy::Kind kind() const { return kind_; }

 private:
  xds::LbPolicy::Kind kind_;
  std::vector<std::uint64_t> rr_index_;  // per worker
};

}  // namespace meshtwin::proxy
