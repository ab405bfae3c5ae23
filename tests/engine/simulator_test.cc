#include "engine/simulator.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "engine/rng.h"

namespace meshtwin::engine {
namespace {

// Records (time, arg) of every executed event.
struct Recorder {
  Simulator* sim = nullptr;
  std::vector<std::pair<SimTime, std::uint64_t>> log;

  static void record(void* ctx, std::uint64_t arg) {
    auto* self = static_cast<Recorder*>(ctx);
    self->log.emplace_back(self->sim->now(), arg);
  }
};

TEST(Simulator, EqualTimesRunInSchedulingOrder) {
  Simulator sim;
  Recorder rec{&sim, {}};
  // Interleave two times so that heap order alone would not give FIFO.
  for (std::uint64_t i = 0; i < 200; ++i) {
    sim.schedule_at(SimTime::from_ns(i % 2 == 0 ? 50 : 10), &Recorder::record, &rec, i);
  }
  EXPECT_EQ(sim.run(), 200u);
  ASSERT_EQ(rec.log.size(), 200u);
  std::vector<std::uint64_t> want;
  for (std::uint64_t i = 1; i < 200; i += 2) want.push_back(i);
  for (std::uint64_t i = 0; i < 200; i += 2) want.push_back(i);
  for (std::size_t k = 0; k < want.size(); ++k) {
    EXPECT_EQ(rec.log[k].second, want[k]) << "position " << k;
    EXPECT_EQ(rec.log[k].first, SimTime::from_ns(k < 100 ? 10 : 50));
  }
}

// An event scheduled at the current time runs after the events already due at that time.
struct Chainer {
  Simulator* sim;
  std::vector<std::uint64_t> order;
  static void run(void* ctx, std::uint64_t arg) {
    auto* self = static_cast<Chainer*>(ctx);
    self->order.push_back(arg);
    if (arg == 1) self->sim->schedule_in(SimDuration{}, &Chainer::run, self, 100);
  }
};

TEST(Simulator, SameTimeEventScheduledDuringRunGoesLast) {
  Simulator sim;
  Chainer c{&sim, {}};
  for (std::uint64_t i = 1; i <= 3; ++i) sim.schedule_at(SimTime::from_ns(7), &Chainer::run, &c, i);
  sim.run();
  EXPECT_EQ(c.order, (std::vector<std::uint64_t>{1, 2, 3, 100}));
  EXPECT_EQ(sim.now(), SimTime::from_ns(7));
}

TEST(Simulator, RandomScheduleRunsInTimeThenFifoOrder) {
  Simulator sim;
  Recorder rec{&sim, {}};
  RngStream rng(1, "test/random-schedule");
  std::vector<std::pair<SimTime, std::uint64_t>> want;
  for (std::uint64_t i = 0; i < 5000; ++i) {
    const SimTime t = SimTime::from_ns(static_cast<std::int64_t>(rng.uniform_int(300)));  // many ties
    sim.schedule_at(t, &Recorder::record, &rec, i);
    want.emplace_back(t, i);
  }
  std::stable_sort(want.begin(), want.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  sim.run();
  EXPECT_EQ(rec.log, want);
}

// Drives EventQueue directly with interleaved pushes, pops and replace_tops against a sorted
// reference, to check the heap (including partial last families) in every state. Each event
// carries its insertion number as `arg`; equal times must come out in that order. The walk keeps
// at most `max_pending` events pending (pops when full).
void check_against_sorted_reference(EventQueue& q, std::size_t max_pending, int steps,
                                    SimTime time_range) {
  struct Ref {
    SimTime time;
    std::uint64_t id;
  };
  std::vector<Ref> ref;  // kept sorted by (time, id)
  auto less = [](const Ref& a, const Ref& b) {
    return a.time < b.time || (a.time == b.time && a.id < b.id);
  };
  RngStream rng(2, "test/event-queue");
  std::uint64_t id = 0;
  for (int step = 0; step < steps; ++step) {
    const std::uint64_t op = rng.uniform_int(10);
    if ((op < 5 && ref.size() < max_pending) || ref.empty()) {
      const Ref e{SimTime::from_ns(static_cast<std::int64_t>(rng.uniform_int(static_cast<std::uint64_t>(time_range.ns())))), id++};
      q.push(e.time, nullptr, nullptr, e.id);
      ref.insert(std::upper_bound(ref.begin(), ref.end(), e, less), e);
    } else if (op < 8 || ref.size() >= max_pending) {
      ASSERT_EQ(q.top().arg, ref.front().id);
      const Event got = q.pop();
      EXPECT_EQ(got.arg, ref.front().id);
      EXPECT_EQ(got.time, ref.front().time);
      ref.erase(ref.begin());
    } else {
      const Ref e{ref.front().time + SimDuration::from_ns(static_cast<std::int64_t>(rng.uniform_int(static_cast<std::uint64_t>(time_range.ns())))),
                  id++};
      q.replace_top(e.time, nullptr, nullptr, e.id);
      ref.erase(ref.begin());
      ref.insert(std::upper_bound(ref.begin(), ref.end(), e, less), e);
    }
    ASSERT_EQ(q.size(), ref.size());
  }
  while (!q.empty()) {
    EXPECT_EQ(q.pop().arg, ref.front().id);
    ref.erase(ref.begin());
  }
  EXPECT_TRUE(ref.empty());
}

TEST(EventQueue, MatchesSortedReference) {
  EventQueue q;
  check_against_sorted_reference(q, 100'000, 100'000, SimTime::from_ns(1000));
}

// Sequence numbers run out every 100 schedules here (2^32 in real use): the renumbering must
// keep time order and FIFO among equal times, many times over, with many ties.
TEST(EventQueue, RenumberingKeepsOrderAndFifo) {
  EventQueue q(100);
  check_against_sorted_reference(q, 90, 100'000, SimTime::from_ns(20));
}

TEST(EventQueue, RenumberingWithTooManyPendingThrows) {
  EventQueue q(8);
  for (std::uint64_t i = 0; i < 8; ++i) q.push(SimTime::from_ns(1), nullptr, nullptr, i);
  EXPECT_THROW(q.push(SimTime::from_ns(1), nullptr, nullptr, 8), std::length_error);
  // Nothing was added or lost.
  EXPECT_EQ(q.size(), 8u);
  for (std::uint64_t i = 0; i < 8; ++i) EXPECT_EQ(q.pop().arg, i);
}

// Payload slots are reused: a popped event's slot is the next one taken, and its payload is
// what the new event said, not what the old one did.
TEST(EventQueue, ReusedSlotsCarryTheNewPayload) {
  EventQueue q;
  int a = 0, b = 0;
  q.push(SimTime::from_ns(5), nullptr, &a, 1);
  q.push(SimTime::from_ns(7), nullptr, &b, 2);
  EXPECT_EQ(q.pop().ctx, &a);
  q.push(SimTime::from_ns(3), nullptr, &b, 3);
  const Event e = q.top();
  EXPECT_EQ(e.time, SimTime::from_ns(3));
  EXPECT_EQ(e.ctx, &b);
  EXPECT_EQ(e.arg, 3u);
  q.replace_top(SimTime::from_ns(9), nullptr, &a, 4);
  EXPECT_EQ(q.pop().arg, 2u);
  const Event last = q.pop();
  EXPECT_EQ(last.arg, 4u);
  EXPECT_EQ(last.ctx, &a);
  EXPECT_TRUE(q.empty());
}

TEST(Simulator, RunUntilStopsAndLeavesClockAtUntil) {
  Simulator sim;
  Recorder rec{&sim, {}};
  sim.schedule_at(SimTime::from_ns(10), &Recorder::record, &rec, 1);
  sim.schedule_at(SimTime::from_ns(20), &Recorder::record, &rec, 2);
  sim.schedule_at(SimTime::from_ns(25), &Recorder::record, &rec, 3);  // exactly at `until`: runs
  sim.schedule_at(SimTime::from_ns(30), &Recorder::record, &rec, 4);
  EXPECT_EQ(sim.run(SimTime::from_ns(25)), 3u);
  EXPECT_EQ(sim.now(), SimTime::from_ns(25));
  EXPECT_EQ(sim.pending(), 1u);
  EXPECT_EQ(rec.log.size(), 3u);

  EXPECT_EQ(sim.run(SimTime::from_ns(27)), 0u);
  EXPECT_EQ(sim.now(), SimTime::from_ns(27));

  EXPECT_EQ(sim.run(), 1u);
  EXPECT_EQ(sim.now(), SimTime::from_ns(30));
  EXPECT_EQ(sim.pending(), 0u);
  EXPECT_EQ(sim.events_executed(), 4u);
}

TEST(Simulator, RunUntilWithEmptyQueueAdvancesClock) {
  Simulator sim;
  EXPECT_EQ(sim.run(SimTime{} + 5 * kSecond), 0u);
  EXPECT_EQ(sim.now(), SimTime{} + 5 * kSecond);
  // Never backwards.
  EXPECT_EQ(sim.run(SimTime{} + kSecond), 0u);
  EXPECT_EQ(sim.now(), SimTime{} + 5 * kSecond);
  // run() without a bound leaves the clock alone.
  sim.run();
  EXPECT_EQ(sim.now(), engine::SimTime{} + 5 * kSecond);
}

struct Stopper {
  Simulator* sim;
  int ran = 0;
  static void run(void* ctx, std::uint64_t arg) {
    auto* self = static_cast<Stopper*>(ctx);
    ++self->ran;
    if (arg == 1) self->sim->stop();
  }
};

TEST(Simulator, StopReturnsAfterTheCurrentEvent) {
  Simulator sim;
  Stopper s{&sim};
  sim.schedule_at(SimTime::from_ns(1), &Stopper::run, &s, 0);
  sim.schedule_at(SimTime::from_ns(2), &Stopper::run, &s, 1);
  sim.schedule_at(SimTime::from_ns(2), &Stopper::run, &s, 0);
  sim.schedule_at(SimTime::from_ns(3), &Stopper::run, &s, 0);
  EXPECT_EQ(sim.run(SimTime::from_ns(100)), 2u);
  EXPECT_TRUE(sim.stopped());
  EXPECT_EQ(s.ran, 2);
  EXPECT_EQ(sim.now(), SimTime::from_ns(2));  // not advanced to `until`
  EXPECT_EQ(sim.pending(), 2u);
  // The next run() forgets the stop and carries on.
  EXPECT_EQ(sim.run(SimTime::from_ns(100)), 2u);
  EXPECT_FALSE(sim.stopped());
  EXPECT_EQ(s.ran, 4);
  EXPECT_EQ(sim.now(), SimTime::from_ns(100));
}

// A stop token set from inside an event (as a signal handler would between two events)
// ends run() after that event, leaves the clock there, and holds for later run() calls.
TEST(Simulator, StopTokenEndsRunAfterTheCurrentEventAndPersists) {
  Simulator sim;
  StopToken token;
  sim.set_stop_token(&token);
  struct Ctx {
    Simulator* sim;
    StopToken* token;
    std::vector<SimTime> ran;
  } ctx{&sim, &token, {}};
  auto fn = [](void* c, std::uint64_t arg) {
    auto* self = static_cast<Ctx*>(c);
    self->ran.push_back(self->sim->now());
    if (arg == 1) self->token->request_stop();
  };
  for (std::uint64_t i = 0; i < 5; ++i) sim.schedule_at(SimTime::from_ns(10 * static_cast<std::int64_t>(i)), fn, &ctx, i);
  EXPECT_EQ(sim.run(SimTime::from_ns(1000)), 2u);
  EXPECT_EQ(ctx.ran, (std::vector<SimTime>{SimTime{}, SimTime::from_ns(10)}));
  EXPECT_EQ(sim.now(), SimTime::from_ns(10));  // not advanced to `until`
  EXPECT_TRUE(sim.stop_requested());
  EXPECT_EQ(sim.run(SimTime::from_ns(1000)), 0u);  // the request holds
  EXPECT_EQ(sim.pending(), 3u);
  sim.set_stop_token(nullptr);
  EXPECT_EQ(sim.run(SimTime::from_ns(1000)), 3u);
}

TEST(Simulator, PastTimesAreClampedToNow) {
  Simulator sim;
  Recorder rec{&sim, {}};
  sim.run(SimTime::from_ns(100));
  sim.schedule_at(SimTime::from_ns(40), &Recorder::record, &rec, 1);
  sim.schedule_in(SimDuration::from_ns(-5), &Recorder::record, &rec, 2);
  sim.run();
  ASSERT_EQ(rec.log.size(), 2u);
  EXPECT_EQ(rec.log[0], (std::pair<SimTime, std::uint64_t>{SimTime::from_ns(100), 1}));
  EXPECT_EQ(rec.log[1], (std::pair<SimTime, std::uint64_t>{SimTime::from_ns(100), 2}));
}

TEST(Simulator, ScheduleInNeverSaturates) {
  Simulator sim;
  Recorder rec{&sim, {}};
  sim.run(SimTime::from_ns(10));
  sim.schedule_in(SimDuration::max(), &Recorder::record, &rec, 1);
  EXPECT_EQ(sim.run(kNever - kNanosecond), 0u);
  EXPECT_TRUE(rec.log.empty());
  EXPECT_EQ(sim.pending(), 1u);
}

// pending() must count correctly while an event runs (its slot may be reused).
struct PendingProbe {
  Simulator* sim;
  std::vector<std::size_t> seen;
  static void run(void* ctx, std::uint64_t arg) {
    auto* self = static_cast<PendingProbe*>(ctx);
    self->seen.push_back(self->sim->pending());
    if (arg > 0) {
      self->sim->schedule_in(SimDuration::from_ns(1), &PendingProbe::run, self, 0);
      self->seen.push_back(self->sim->pending());
      self->sim->schedule_in(SimDuration::from_ns(2), &PendingProbe::run, self, 0);
      self->seen.push_back(self->sim->pending());
    }
  }
};

TEST(Simulator, PendingExcludesTheRunningEvent) {
  Simulator sim;
  PendingProbe p{&sim, {}};
  sim.schedule_at(SimTime{}, &PendingProbe::run, &p, 1);
  sim.schedule_at(SimTime::from_ns(10), &PendingProbe::run, &p, 0);
  EXPECT_EQ(sim.pending(), 2u);
  sim.run();
  // First event: 1 other pending, then 2, then 3; then the three remaining events see 2, 1, 0.
  EXPECT_EQ(p.seen, (std::vector<std::size_t>{1, 2, 3, 2, 1, 0}));
  EXPECT_EQ(sim.pending(), 0u);
}

struct Member {
  std::vector<std::uint64_t> got;
  void on_event(std::uint64_t arg) { got.push_back(arg); }
};

TEST(Simulator, ThunkCallsMemberFunction) {
  Simulator sim;
  Member m;
  sim.schedule_in(SimDuration::from_ns(5), &Simulator::thunk<Member, &Member::on_event>, &m, 42);
  sim.schedule_in(SimDuration::from_ns(5), &Simulator::thunk<Member, &Member::on_event>, &m, 43);
  sim.run();
  EXPECT_EQ(m.got, (std::vector<std::uint64_t>{42, 43}));
}

struct Thrower {
  int ran = 0;
  static void run(void* ctx, std::uint64_t arg) {
    auto* self = static_cast<Thrower*>(ctx);
    ++self->ran;
    if (arg == 1) throw std::runtime_error("boom");
  }
};

TEST(Simulator, ThrowingEventIsConsumedNotRerun) {
  Simulator sim;
  Thrower t;
  sim.schedule_at(SimTime::from_ns(1), &Thrower::run, &t, 1);
  sim.schedule_at(SimTime::from_ns(2), &Thrower::run, &t, 0);
  EXPECT_THROW(sim.run(), std::runtime_error);
  EXPECT_EQ(t.ran, 1);
  EXPECT_EQ(sim.pending(), 1u);
  EXPECT_EQ(sim.run(), 1u);
  EXPECT_EQ(t.ran, 2);
}

// The hold model of the benchmark, small: every event schedules one successor. Checks that
// the replace-top fast path keeps the order and the count right.
struct Hold {
  Simulator* sim;
  RngStream rng{3, "test/hold"};
  SimTime last = SimTime{};
  bool monotone = true;
  static void run(void* ctx, std::uint64_t) {
    auto* self = static_cast<Hold*>(ctx);
    if (self->sim->now() < self->last) self->monotone = false;
    self->last = self->sim->now();
    self->sim->schedule_in(SimDuration::from_ns(static_cast<std::int64_t>(self->rng.uniform_int(2000))), &Hold::run, self);
  }
};

// The same hold model with sequence numbers running out every 1,000 schedules (renumbering
// while an event runs, in replace_top), against a reference of (time, id) in FIFO order.
struct FifoHold {
  Simulator* sim = nullptr;
  RngStream rng{4, "test/fifo-hold"};
  std::uint64_t next_id = 0;
  std::vector<std::pair<SimTime, std::uint64_t>> ran;
  static void run(void* ctx, std::uint64_t id) {
    auto* self = static_cast<FifoHold*>(ctx);
    self->ran.emplace_back(self->sim->now(), id);
    // Few distinct increments: many equal times.
    self->sim->schedule_in(SimDuration::from_ns(static_cast<std::int64_t>(self->rng.uniform_int(4))), &FifoHold::run, self,
                           self->next_id++);
  }
};

TEST(Simulator, FifoAmongEqualTimesSurvivesSequenceRenumbering) {
  Simulator sim(1000);
  FifoHold h;
  h.sim = &sim;
  for (int i = 0; i < 500; ++i) {
    sim.schedule_at(SimTime::from_ns(static_cast<std::int64_t>(h.rng.uniform_int(4))), &FifoHold::run, &h, h.next_id++);
  }
  sim.run(SimTime::from_ns(200));
  ASSERT_GT(h.ran.size(), 20'000u);  // dozens of renumberings
  for (std::size_t i = 1; i < h.ran.size(); ++i) {
    // Time never goes back; at equal times, ids (schedule order) ascend.
    ASSERT_LE(h.ran[i - 1].first, h.ran[i].first) << i;
    if (h.ran[i - 1].first == h.ran[i].first) {
      ASSERT_LT(h.ran[i - 1].second, h.ran[i].second) << i;
    }
  }
}

TEST(Simulator, HoldModelKeepsPendingConstantAndTimeMonotone) {
  Simulator sim;
  Hold h{&sim};
  for (int i = 0; i < 1000; ++i) {
    sim.schedule_at(SimTime::from_ns(static_cast<std::int64_t>(h.rng.uniform_int(2000))), &Hold::run, &h);
  }
  const std::uint64_t ran = sim.run(SimTime::from_ns(1'000'000));
  EXPECT_GT(ran, 100000u);
  EXPECT_TRUE(h.monotone);
  EXPECT_EQ(sim.pending(), 1000u);
  EXPECT_EQ(sim.now(), SimTime::from_ns(1'000'000));
}

}  // namespace
}  // namespace meshtwin::engine
