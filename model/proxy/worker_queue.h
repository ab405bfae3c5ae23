#pragma once

// An Envoy proxy's worker threads as a CPU resource (docs/semantics.md §19): each proxy has
// `proxyWorkers` threads; every piece of processing — a request's filter chain, its response,
// the telemetry Envoy records after the response is sent, a local reply, a retry decision, a
// connection's TLS setup — takes a worker for its CPU time. Work is served first come, first
// served by whichever worker frees first (a FIFO multi-server queue), so a hot sidecar or
// gateway queues and its latency grows.
//
// Work is handed in in simulated-time order (the event loop's order), so each worker's
// `free_at` is enough to place a job: no per-job state, no allocation per request.

#include <cstdint>
#include <vector>

#include "engine/time.h"

namespace meshtwin::proxy {

using engine::SimDuration;
using engine::SimTime;

// CPU time per piece of proxy work (docs/semantics.md §19.2). All zero: the proxy costs
// nothing and the worker queue is never consulted (today's results row for row, §19.4).
struct CpuCosts {
  SimDuration request{};        // a request through the proxy's filter chain (each direction's proxy)
  SimDuration response{};       // its response on the way back, on the request's path
  SimDuration after_response{}; // telemetry after the response is sent: holds the worker, off path
  SimDuration local_reply{};    // a reply the proxy makes itself (404 NR, 503 UO/UH, a fault abort)
  SimDuration retry{};          // the router's retry decision and re-dispatch
  SimDuration connect{};        // an upstream connection's setup (mTLS handshake)
  bool zero() const {
    return request == SimDuration{} && response == SimDuration{} && after_response == SimDuration{} && local_reply == SimDuration{} &&
           retry == SimDuration{} && connect == SimDuration{};
  }
};

// Cache-line aligned: serve() reads and writes one line for up to kInline workers (Istio's
// default concurrency is 2), with the free times in the object rather than behind a pointer.
class alignas(64) WorkerQueue {
 public:
  explicit WorkerQueue(std::uint32_t workers = 1) : n_(workers ? workers : 1) {
    if (n_ > kInline) big_.assign(n_, SimTime{});
  }

  // Work of `cost` handed in at `now`; `off_path` more work follows it on the same worker
  // without delaying the caller (Envoy's after-response telemetry). Returns when `cost` is done
  // (≥ now + cost; later when every worker is busy).
  SimTime serve(SimTime now, SimDuration cost, SimDuration off_path = {}) {
    SimTime* free_at = data();
    std::size_t w = 0;
    for (std::size_t i = 1; i < n_; ++i)
      if (free_at[i] < free_at[w]) w = i;
    const SimTime start = free_at[w] > now ? free_at[w] : now;
    const SimTime done = start + cost;
    free_at[w] = done + off_path;
    busy_ += cost + off_path;
    waited_ += start - now;
    if (start - now > max_wait_) max_wait_ = start - now;
    ++jobs_;
    return done;
  }

  std::uint32_t workers() const { return n_; }
  // Work handed in so far that is still to be done at `now` (queued or running), in worker
  // time: grows without bound while the offered load exceeds the workers.
  SimDuration backlog(SimTime now) const {
    SimDuration b{};
    const SimTime* free_at = data();
    for (std::size_t i = 0; i < n_; ++i) b += free_at[i] > now ? free_at[i] - now : SimDuration{};
    return b;
  }
  // CPU time handed in (including work still to run after `now`).
  SimDuration busy() const { return busy_; }
  // Time-weighted busy share of the workers over [0, until): busy worker-time / (workers ×
  // until), counting only work done before `until`.
  double utilisation(SimTime until) const {
    if (until <= SimTime{}) return 0;
    const SimDuration done = busy_ - backlog(until);
    return static_cast<double>(done.ns()) / (static_cast<double>(until.ns()) * static_cast<double>(n_));
  }
  std::uint64_t jobs() const { return jobs_; }
  SimDuration waited() const { return waited_; }    // summed queueing delay of all jobs
  SimDuration max_wait() const { return max_wait_; }

 private:
  static constexpr std::uint32_t kInline = 2;
  SimTime* data() { return n_ <= kInline ? small_ : big_.data(); }
  const SimTime* data() const { return n_ <= kInline ? small_ : big_.data(); }

  std::uint32_t n_;
  SimTime small_[kInline] = {};  // when free (n_ <= kInline)
  SimDuration busy_{};
  SimDuration waited_{};
  SimDuration max_wait_{};
  std::uint64_t jobs_ = 0;
  std::vector<SimTime> big_;  // when free (n_ > kInline)
};

}  // namespace meshtwin::proxy
