#pragma once

#include <cstdint>
#include <vector>

#include "engine/time.h"

namespace meshtwin::engine {

// An event's action: a plain function pointer with a context pointer and one word of payload.
// No closure is allocated per event; components schedule member functions through `thunk`.
using EventFn = void (*)(void* ctx, std::uint64_t arg);

struct Event {
  SimTime time;
  std::uint64_t seq;  // insertion order: equal times run FIFO
  EventFn fn;
  void* ctx;
  std::uint64_t arg;
};

// Pending events ordered by (time, seq). An implicit 4-ary min-heap over a vector: O(log n)
// push and pop, no allocation once the vector has grown to the peak number of pending events.
// Removal is not supported on purpose; cancellation is done by Timer generations.
//
// Complexity: push O(log4 n) (sift-up usually stops early: new events tend to be late);
// pop O(log4 n) (about 4 log4 n comparisons); replace_top O(log4 n) worst case but O(1)
// when the new event belongs near the front, which is the common "an event schedules its
// successor" case; top, empty, size O(1). Memory: one Event (40 bytes) per pending event.
class EventQueue {
 public:
  void push(const Event& e);
  const Event& top() const { return heap_.front(); }
  Event pop();
  // pop() followed by push(e), with one sift instead of two. Requires !empty().
  void replace_top(const Event& e);
  // pop() without returning the event. Requires !empty().
  void discard_top();
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  void reserve(std::size_t n) { heap_.reserve(n); }
  void clear() { heap_.clear(); }

 private:
  void sift_down(std::size_t i, const Event& e);

  std::vector<Event> heap_;
};

// The simulator loop: a clock and an event queue. Single-threaded; an event may schedule more
// events, at the current time or later (never earlier).
//
// Complexity: schedule_at O(log n) in the number n of pending events; run() costs one
// EventQueue pop per executed event, except that the first event an event schedules takes
// over the running event's heap slot (one sift-down for pop + push). No allocation per
// event once the queue has grown to its peak size.
class Simulator {
 public:
  SimTime now() const { return now_; }

  // Schedules fn(ctx, arg) at absolute time t (clamped to now() if earlier).
  void schedule_at(SimTime t, EventFn fn, void* ctx, std::uint64_t arg = 0);
  void schedule_in(SimTime delay, EventFn fn, void* ctx, std::uint64_t arg = 0) {
    SimTime t;
    // Saturate: schedule_in(kNever) means "never" rather than a wrapped-around past time.
    if (__builtin_add_overflow(now_, delay, &t)) t = delay > 0 ? kNever : now_;
    schedule_at(t, fn, ctx, arg);
  }

  // Runs events in (time, seq) order until the queue is empty, stop() was called, or the next
  // event lies after `until`; in the last case the clock is left at `until`. Returns the
  // number of events executed by this call. When the queue runs empty before a finite
  // `until`, the clock also advances to `until` (nothing happened in between); after stop()
  // it stays at the time of the event that called stop(). A stop() is forgotten when the
  // next run() starts.
  std::uint64_t run(SimTime until = kNever);

  // Makes run() return after the current event.
  void stop() { stopped_ = true; }
  bool stopped() const { return stopped_; }

  std::size_t pending() const { return queue_.size() - (running_slot_free_ ? 1 : 0); }
  std::uint64_t events_executed() const { return executed_; }
  void reserve(std::size_t n) { queue_.reserve(n); }

  // Adapts a member function `void T::M(std::uint64_t)` to an EventFn.
  template <class T, void (T::*M)(std::uint64_t)>
  static void thunk(void* ctx, std::uint64_t arg) {
    (static_cast<T*>(ctx)->*M)(arg);
  }

 private:
  EventQueue queue_;
  SimTime now_ = 0;
  std::uint64_t next_seq_ = 0;
  std::uint64_t executed_ = 0;
  bool stopped_ = false;
  // While an event runs, its entry is still the heap's top; the first event it schedules
  // replaces it (EventQueue::replace_top) instead of a pop plus a push.
  bool running_slot_free_ = false;
};

}  // namespace meshtwin::engine
