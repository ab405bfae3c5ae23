#pragma once

#include <cstdint>

#include "engine/simulator.h"

namespace meshtwin::engine {

// A re-armable one-shot timer that keeps at most one live entry in the event queue.
//
// Why: the mesh's timers (route, per-try and client timeouts, backoffs) are armed for every
// request and almost always cancelled or re-armed long before they expire. When each arming
// pushed an entry and a cancel only bumped a generation, the queue held one dead entry per
// arming for the whole timeout: its size grew with the request rate times the timeout, and
// every pop sifted through it (docs/performance.md, "Engine: timers").
//
// How: the timer's pending entry stays queued when it is cancelled or re-armed to the same or a
// later deadline. When that entry comes up early it re-queues itself at the current deadline
// (or, cancelled, does nothing); only a re-arm to an earlier deadline pushes a new entry (the
// old one, now stale by its generation, does nothing when it pops). So a timer has at most one
// live entry plus the stale ones of earlier re-arms, and the queue's size is bounded by the
// number of timers, not by how often they are armed.
//
// Order at equal times is exactly that of a fresh push per arming: every arm_at takes the
// sequence number a push would have taken at that moment (Simulator::take_sequence) and the
// entry is queued with it when it is queued late, so among events at the same time the timer
// runs after those scheduled before it was armed and before those scheduled after, as if its
// entry had been pushed when armed. The queue's renumbering of sequence numbers knows the
// numbers timers hold (before_renumber, after_renumber).
//
// A Timer must not move or be destroyed while it has an entry queued: after it was armed, until
// it fired, or after a cancel until its old deadline has passed (the entry holds its address).
// Keep timers inside objects with stable addresses (pools of fixed chunks, not growing vectors)
// that outlive the simulation run.
//
// Complexity: arm_at O(1) when re-arming to the same or a later deadline (no queue work), else
// one EventQueue push; cancel O(1). A pending entry that comes up early costs one pop and
// push (one sift, EventQueue::replace_top) per time the timer's deadline was passed by, at most
// once per original deadline rather than once per arming.
class Timer {
 public:
  Timer(Simulator& sim, EventFn fn, void* ctx) : sim_(&sim), fn_(fn), ctx_(ctx) {}
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // (Re-)arms the timer; a previous arming is cancelled. `arg` is passed to fn.
  void arm_at(SimTime t, std::uint64_t arg = 0);
  void arm_in(SimDuration delay, std::uint64_t arg = 0) { arm_at(sim_->now() + delay, arg); }
  void cancel() { armed_ = false; }

  bool armed() const { return armed_; }
  SimTime deadline() const { return armed_ ? deadline_ : kNever; }

 private:
  friend class EventQueue;

  static void fire(void* self, std::uint64_t generation);
  // EventQueue::renumber, for each queued entry of a Timer: whether the entry is the timer's
  // current one and its arming was not queued yet; if so (t, seq) become that arming's key and
  // the entry now carries it.
  static bool before_renumber(void* self, std::uint64_t generation, SimTime& t, std::uint32_t& seq);
  // ... and the entry's new sequence number, once the queue is renumbered.
  static void after_renumber(void* self, std::uint64_t generation, std::uint32_t seq);

  Simulator* sim_;
  EventFn fn_;
  void* ctx_;
  std::uint64_t arg_ = 0;
  // Generation of the current queued entry (its event argument); entries of older generations
  // are stale and do nothing.
  std::uint64_t generation_ = 0;
  SimTime deadline_ = kNever;     // the arming's; meaningful while armed_
  SimTime entry_time_ = kNever;   // the current entry's; meaningful while queued_
  std::uint32_t armed_seq_ = 0;   // the arming's sequence number
  std::uint32_t entry_seq_ = 0;   // the current entry's
  bool armed_ = false;
  bool queued_ = false;           // the current entry is in the queue (and not running)
};

}  // namespace meshtwin::engine
