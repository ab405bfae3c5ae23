#pragma once

#include <atomic>

namespace meshtwin::engine {

// Why a run was asked to end before its events ran out.
enum class StopReason : int { None = 0, MaxWall = 1, Signal = 2 };

// A request to end a simulation run early, set from outside the simulation loop: a wall-clock
// watchdog thread (`--max-wall`) or a signal handler (SIGINT/SIGTERM). The Simulator checks
// it before every event (one relaxed atomic load) and returns as after stop(); the run then
// ends as `interrupted`. Lock-free, so setting it is async-signal-safe. The first reason wins.
class StopFlag {
 public:
  void request(StopReason reason) noexcept {
    int expected = 0;
    reason_.compare_exchange_strong(expected, static_cast<int>(reason), std::memory_order_relaxed);
  }
  bool requested() const noexcept { return reason_.load(std::memory_order_relaxed) != 0; }
  StopReason reason() const noexcept { return static_cast<StopReason>(reason_.load(std::memory_order_relaxed)); }

 private:
  std::atomic<int> reason_{0};
  static_assert(std::atomic<int>::is_always_lock_free);
};

}  // namespace meshtwin::engine
