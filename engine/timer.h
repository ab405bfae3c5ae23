#pragma once

#include <cstdint>

#include "engine/simulator.h"

namespace meshtwin::engine {

// A re-armable one-shot timer with O(1) cancellation: every arm or cancel bumps a generation
// counter, the scheduled event carries the generation it was armed with, and a firing whose
// generation is stale does nothing. Cancelled entries stay in the heap until their time comes
// (cheaper than heap removal; they cost one pop each).
//
// A Timer must not move or be destroyed while armed (the event holds its address; cancel()
// does not remove it): keep timers inside objects with stable addresses (pools of fixed
// chunks, not growing vectors) that outlive the simulation run, or cancel and let the stale
// entry drain before freeing.
//
// Complexity: arm, re-arm and cancel O(1) plus one EventQueue push per arm; a stale firing
// costs one pop and a compare.
class Timer {
 public:
  Timer(Simulator& sim, EventFn fn, void* ctx) : sim_(&sim), fn_(fn), ctx_(ctx) {}
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // (Re-)arms the timer; a previous arming is cancelled. `arg` is passed to fn.
  void arm_at(SimTime t, std::uint64_t arg = 0);
  void arm_in(SimDuration delay, std::uint64_t arg = 0) { arm_at(sim_->now() + delay, arg); }
  void cancel();

  bool armed() const { return armed_; }
  SimTime deadline() const { return armed_ ? deadline_ : kNever; }

 private:
  static void fire(void* self, std::uint64_t generation);

  Simulator* sim_;
  EventFn fn_;
  void* ctx_;
  std::uint64_t arg_ = 0;
  std::uint64_t generation_ = 0;
  SimTime deadline_ = kNever;
  bool armed_ = false;
};

}  // namespace meshtwin::engine
