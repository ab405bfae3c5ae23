#pragma once

#include <atomic>

namespace meshtwin::engine {

// A request, from outside the simulation, to end a run early: a signal handler (Ctrl-C,
// SIGTERM) or a wall-clock guard sets it, and Simulator::run checks it after every event.
// One lock-free atomic flag, so request_stop() is async-signal-safe and may be called from any
// thread. It only asks: the run ends at the next event boundary, and whoever owns the run
// decides what that means (the results file marks such a run `interrupted`).
class StopToken {
 public:
  void request_stop() noexcept { requested_.store(true, std::memory_order_relaxed); }
  bool stop_requested() const noexcept { return requested_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> requested_{false};
  static_assert(std::atomic<bool>::is_always_lock_free,
                "request_stop() must be callable from a signal handler");
};

}  // namespace meshtwin::engine
