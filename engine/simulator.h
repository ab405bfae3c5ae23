#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#include "engine/stop_token.h"
#include "engine/time.h"

namespace meshtwin::engine {

// An event's action: a plain function pointer with a context pointer and one word of payload.
// No closure is allocated per event; components schedule member functions through `thunk`.
using EventFn = void (*)(void* ctx, std::uint64_t arg);

// An event as the queue hands it back: when, and what to call.
struct Event {
  SimTime time;
  EventFn fn;
  void* ctx;
  std::uint64_t arg;
};

// Pending events ordered by (time, insertion order): equal times run FIFO. An implicit 4-ary
// min-heap: O(log n) push and pop, no allocation once the vectors have grown to the peak number
// of pending events. Removal is not supported on purpose (a position index would cost a store
// per level of every sift): a Timer keeps its one entry and re-queues it when it comes up early
// (engine/timer.h), which bounds the entries by the number of timers.
//
// Layout (LaMarca & Ladner's cache-aligned d-heap): the heap holds 16-byte keys only, in a
// 64-byte-aligned array placed so that the four children of any node share one cache line. A
// key is (time, sequence << 32 | slot): the slot names the event's 24-byte payload in a pool
// where it stays put while the event is pending, so a sift moves 16 bytes per level and touches
// one cache line per level (moving payloads with the keys, as before, cost a second line per
// level: 9.0 L1 misses per event at 100k pending then, 4.9 now, docs/performance.md). The slot a
// popped event frees is the next one taken, so the simulator's "run one, schedule one" reuses a
// hot line.
//
// Sequence numbers are 32 bits. When they run out (every 2^32 schedules), the pending keys are
// sorted, which is a valid heap of any arity, and renumbered 0..n-1 in that order: O(n log n)
// once per 4 G events, and FIFO order among equal times is kept across it.
//
// Complexity: push O(log4 n), usually O(1) for a new event of random rank; pop O(log4 n)
// (3 comparisons per level); replace_top O(log4 n), O(1) when the new event belongs near the
// front; top, empty, size O(1). Memory: 16 + 24 + 4 bytes per event at the peak pending count.
class EventQueue {
 public:
  static constexpr std::uint64_t kSequenceLimit = std::uint64_t{1} << 32;

  // `sequence_limit` (at most kSequenceLimit) is how many sequence numbers are handed out before
  // renumbering; tests pass a small one to renumber often. More events pending than that at a
  // renumbering throws std::length_error.
  explicit EventQueue(std::uint64_t sequence_limit = kSequenceLimit);

  void push(SimTime t, EventFn fn, void* ctx, std::uint64_t arg) {
    make_sequence_room();
    push_sequenced(t, next_seq_++, fn, ctx, arg);
  }
  // The earliest event. Requires !empty().
  Event top() const {
    const Payload& p = slots_[slot_of(keys()[0])];
    return Event{top_time(), p.fn, p.ctx, p.arg};
  }
  SimTime top_time() const { return unbias(keys()[0].time); }
  Event pop();
  // pop() followed by push(...), with one sift instead of two. Requires !empty().
  void replace_top(SimTime t, EventFn fn, void* ctx, std::uint64_t arg) {
    make_sequence_room();
    replace_top_sequenced(t, next_seq_++, fn, ctx, arg);
  }
  // pop() without returning the event. Requires !empty().
  void discard_top();
  bool empty() const { return keys_.size() == kKeyOffset; }
  std::size_t size() const { return keys_.size() - kKeyOffset; }
  // The most events pending at once since construction or clear(): payload slots are only
  // added when none is free, so their count is the peak, at no cost per event.
  std::size_t peak_size() const { return slots_.size(); }
  void reserve(std::size_t n) {
    keys_.reserve(n + kKeyOffset);
    slots_.reserve(n);
    free_slots_.reserve(n);
  }
  void clear() {
    keys_.resize(kKeyOffset);
    slots_.clear();
    free_slots_.clear();
    next_seq_ = 0;
  }

 private:
  friend class Simulator;

  // time with its sign bit flipped, so that (time, order) compares as one unsigned 128-bit
  // number; order = sequence << 32 | slot. Sequence numbers of pending events are distinct, so
  // the slot bits never decide.
  struct Key {
    std::uint64_t time;
    std::uint64_t order;
  };
  struct Payload {
    EventFn fn;
    void* ctx;
    std::uint64_t arg;
  };
  template <class T>
  struct CacheLineAllocator {
    using value_type = T;
    CacheLineAllocator() = default;
    template <class U>
    CacheLineAllocator(const CacheLineAllocator<U>&) {}
    T* allocate(std::size_t n) {
      return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64}));
    }
    void deallocate(T* p, std::size_t n) {
      ::operator delete(p, n * sizeof(T), std::align_val_t{64});
    }
    template <class U>
    bool operator==(const CacheLineAllocator<U>&) const { return true; }
  };

  // Element i's key is keys_[i + 3]: the children 4i+1..4i+4 then start at a multiple of 4
  // keys (64 bytes) from the aligned base.
  static constexpr std::size_t kKeyOffset = 3;
  static constexpr std::uint64_t kSignBit = std::uint64_t{1} << 63;
  static constexpr std::uint64_t kSlotMask = 0xffff'ffff;
  static std::uint64_t bias(SimTime t) { return static_cast<std::uint64_t>(t.ns()) ^ kSignBit; }
  static SimTime unbias(std::uint64_t t) { return SimTime::from_ns(static_cast<std::int64_t>(t ^ kSignBit)); }
  static std::uint32_t slot_of(const Key& k) { return static_cast<std::uint32_t>(k.order & kSlotMask); }

  Key* keys() { return keys_.data() + kKeyOffset; }
  const Key* keys() const { return keys_.data() + kKeyOffset; }
  const Payload& top_payload() const { return slots_[slot_of(keys()[0])]; }
  // Called before a new event takes a slot, so that a throwing renumber() changes nothing.
  void make_sequence_room() {
    if (next_seq_ == seq_limit_) [[unlikely]] renumber();
  }
  // The sequence number the next push would take, handed out now for a push that comes later
  // (Timer: an arming that reuses its pending entry is queued with it when that entry pops).
  // Renumbering keeps the order of the ones Timers hold (Timer::before_renumber).
  std::uint32_t take_sequence() {
    make_sequence_room();
    return static_cast<std::uint32_t>(next_seq_++);
  }
  void push_sequenced(SimTime t, std::uint64_t seq, EventFn fn, void* ctx, std::uint64_t arg);
  void replace_top_sequenced(SimTime t, std::uint64_t seq, EventFn fn, void* ctx, std::uint64_t arg);
  void renumber();
  void sift_down(std::size_t i, const Key& key);

  std::vector<Key, CacheLineAllocator<Key>> keys_ =
      std::vector<Key, CacheLineAllocator<Key>>(kKeyOffset);
  std::vector<Payload> slots_;              // by slot; a pending event's payload stays put
  std::vector<std::uint32_t> free_slots_;   // slots of popped events, taken last-in first-out
  std::uint64_t next_seq_ = 0;
  std::uint64_t seq_limit_;
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
  Simulator() = default;
  // For tests: renumber the queue's sequence numbers after `sequence_limit` schedules
  // (EventQueue's constructor) instead of 2^32.
  explicit Simulator(std::uint64_t sequence_limit) : queue_(sequence_limit) {}

  SimTime now() const { return now_; }

  // Schedules fn(ctx, arg) at absolute time t (clamped to now() if earlier).
  void schedule_at(SimTime t, EventFn fn, void* ctx, std::uint64_t arg = 0);
  // Always inlined: the LTO build otherwise keeps it out of line in the scenario's handlers
  // (a call, and a second one to the queue, per scheduled event).
  [[gnu::always_inline]] void schedule_in(SimDuration delay, EventFn fn, void* ctx, std::uint64_t arg = 0) {
    std::int64_t t;
    // Saturate: schedule_in(SimDuration::max()) means "never" rather than a wrapped-around
    // past time.
    if (__builtin_add_overflow(now_.ns(), delay.ns(), &t)) {
      schedule_at(delay > SimDuration{} ? kNever : now_, fn, ctx, arg);
      return;
    }
    schedule_at(SimTime::from_ns(t), fn, ctx, arg);
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
  // The time of the earliest pending event; kNever when none.
  SimTime next_time() const { return pending() == 0 ? kNever : queue_.top_time(); }
  bool stopped() const { return stopped_; }

  // An outside request to end the run (Ctrl-C, a wall-clock limit): while `token` is set and
  // requests a stop, run() returns after the current event and does not advance the clock to
  // `until`. Unlike stop(), it is not forgotten by the next run(): the request holds until the
  // token's owner is done. nullptr (the default) removes it. The token must outlive its use.
  void set_stop_token(const StopToken* token) { stop_token_ = token; }
  bool stop_requested() const { return stop_token_ != nullptr && stop_token_->stop_requested(); }

  std::size_t pending() const { return queue_.size() - (running_slot_free_ ? 1 : 0); }
  std::uint64_t events_executed() const { return executed_; }
  // The most events pending at once (EventQueue::peak_size), counting entries that will do
  // nothing when their time comes (a cancelled or re-armed Timer's).
  std::size_t peak_pending() const { return queue_.peak_size(); }
  // Executed events that did nothing but queue work: a Timer entry popped after its timer was
  // cancelled or re-armed. Part of events_executed().
  std::uint64_t idle_events() const { return idle_; }
  void reserve(std::size_t n) { queue_.reserve(n); }

  // Adapts a member function `void T::M(std::uint64_t)` to an EventFn.
  template <class T, void (T::*M)(std::uint64_t)>
  static void thunk(void* ctx, std::uint64_t arg) {
    (static_cast<T*>(ctx)->*M)(arg);
  }

 private:
  friend class Timer;

  // For Timer: the sequence number schedule_at would give an event now, and scheduling with
  // one taken earlier, so that an arming queued late keeps its place among equal times.
  std::uint32_t take_sequence() { return queue_.take_sequence(); }
  void schedule_sequenced(SimTime t, std::uint32_t seq, EventFn fn, void* ctx, std::uint64_t arg);

  EventQueue queue_;
  SimTime now_{};
  std::uint64_t executed_ = 0;
  std::uint64_t idle_ = 0;
  bool stopped_ = false;
  const StopToken* stop_token_ = nullptr;
  // While an event runs, its entry is still the heap's top; the first event it schedules
  // replaces it (EventQueue::replace_top) instead of a pop plus a push.
  bool running_slot_free_ = false;
};

// Defined here so that schedule_at and the Timer's arming inline into event handlers: one call
// per event fewer.
inline void Simulator::schedule_at(SimTime t, EventFn fn, void* ctx, std::uint64_t arg) {
  if (t < now_) t = now_;
  if (running_slot_free_) {
    running_slot_free_ = false;
    queue_.replace_top(t, fn, ctx, arg);
  } else {
    queue_.push(t, fn, ctx, arg);
  }
}

inline void Simulator::schedule_sequenced(SimTime t, std::uint32_t seq, EventFn fn, void* ctx, std::uint64_t arg) {
  if (running_slot_free_) {
    running_slot_free_ = false;
    queue_.replace_top_sequenced(t, seq, fn, ctx, arg);
  } else {
    queue_.push_sequenced(t, seq, fn, ctx, arg);
  }
}

}  // namespace meshtwin::engine
