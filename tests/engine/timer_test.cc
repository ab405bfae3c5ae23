#include "engine/timer.h"

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace meshtwin::engine {
namespace {

struct Owner {
  Simulator sim;
  Timer timer{sim, &Owner::on_fire, this};
  std::vector<std::pair<SimTime, std::uint64_t>> fired;
  int rearm_times = 0;  // how many more times on_fire re-arms itself
  SimDuration period;

  static void on_fire(void* ctx, std::uint64_t arg) {
    auto* self = static_cast<Owner*>(ctx);
    self->fired.emplace_back(self->sim.now(), arg);
    if (self->rearm_times > 0) {
      --self->rearm_times;
      self->timer.arm_in(self->period, arg + 1);
    }
  }
};

TEST(Timer, FiresOnceAtDeadlineWithArg) {
  Owner o;
  EXPECT_FALSE(o.timer.armed());
  EXPECT_EQ(o.timer.deadline(), kNever);
  o.timer.arm_at(SimTime::from_ns(100), 7);
  EXPECT_TRUE(o.timer.armed());
  EXPECT_EQ(o.timer.deadline(), SimTime::from_ns(100));
  o.sim.run();
  ASSERT_EQ(o.fired.size(), 1u);
  EXPECT_EQ(o.fired[0], (std::pair<SimTime, std::uint64_t>{SimTime::from_ns(100), 7}));
  EXPECT_FALSE(o.timer.armed());
  EXPECT_EQ(o.timer.deadline(), kNever);
}

TEST(Timer, CancelledTimerNeverFires) {
  Owner o;
  o.timer.arm_at(SimTime::from_ns(100));
  o.sim.run(SimTime::from_ns(50));
  o.timer.cancel();
  EXPECT_FALSE(o.timer.armed());
  EXPECT_EQ(o.timer.deadline(), kNever);
  o.sim.run();
  EXPECT_TRUE(o.fired.empty());
  // The stale entry was consumed without effect.
  EXPECT_EQ(o.sim.pending(), 0u);
}

TEST(Timer, CancelIsIdempotentAndArmAfterCancelWorks) {
  Owner o;
  o.timer.cancel();
  o.timer.arm_at(SimTime::from_ns(10), 1);
  o.timer.cancel();
  o.timer.cancel();
  o.timer.arm_at(SimTime::from_ns(30), 2);
  o.sim.run();
  ASSERT_EQ(o.fired.size(), 1u);
  EXPECT_EQ(o.fired[0], (std::pair<SimTime, std::uint64_t>{SimTime::from_ns(30), 2}));
}

TEST(Timer, RearmLaterCancelsTheEarlierArming) {
  Owner o;
  o.timer.arm_at(SimTime::from_ns(10), 1);
  o.timer.arm_at(SimTime::from_ns(20), 2);
  EXPECT_EQ(o.timer.deadline(), SimTime::from_ns(20));
  o.sim.run();
  ASSERT_EQ(o.fired.size(), 1u);
  EXPECT_EQ(o.fired[0], (std::pair<SimTime, std::uint64_t>{SimTime::from_ns(20), 2}));
}

TEST(Timer, RearmEarlierCancelsTheLaterArming) {
  Owner o;
  o.timer.arm_at(SimTime::from_ns(20), 1);
  o.timer.arm_in(SimDuration::from_ns(5), 2);
  o.sim.run();
  ASSERT_EQ(o.fired.size(), 1u);
  EXPECT_EQ(o.fired[0], (std::pair<SimTime, std::uint64_t>{SimTime::from_ns(5), 2}));
}

TEST(Timer, RearmToSameDeadlineFiresOnce) {
  Owner o;
  for (int i = 0; i < 10; ++i) o.timer.arm_at(SimTime::from_ns(42), static_cast<std::uint64_t>(i));
  o.sim.run();
  ASSERT_EQ(o.fired.size(), 1u);
  EXPECT_EQ(o.fired[0].second, 9u);
}

TEST(Timer, RearmFromItsOwnCallbackIsPeriodic) {
  Owner o;
  o.rearm_times = 3;
  o.period = SimDuration::from_ns(10);
  o.timer.arm_at(SimTime::from_ns(5), 0);
  o.sim.run();
  ASSERT_EQ(o.fired.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(o.fired[i].first, SimTime::from_ns(5 + 10 * static_cast<std::int64_t>(i)));
    EXPECT_EQ(o.fired[i].second, i);
  }
  EXPECT_FALSE(o.timer.armed());
}

TEST(Timer, ArmInThePastFiresNow) {
  Owner o;
  o.sim.run(SimTime::from_ns(100));
  o.timer.arm_at(SimTime::from_ns(10));
  EXPECT_EQ(o.timer.deadline(), engine::SimTime::from_ns(100));
  o.sim.run();
  ASSERT_EQ(o.fired.size(), 1u);
  EXPECT_EQ(o.fired[0].first, engine::SimTime::from_ns(100));
}

TEST(Timer, ManyTimersCancelledAndRearmedOnlyLatestFire) {
  Simulator sim;
  struct Slot {
    int fires = 0;
    SimTime at = SimTime::from_ns(-1);
    Simulator* sim = nullptr;
    static void fire(void* ctx, std::uint64_t) {
      auto* s = static_cast<Slot*>(ctx);
      ++s->fires;
      s->at = s->sim->now();
    }
  };
  std::vector<Slot> slots(100);
  std::vector<std::unique_ptr<Timer>> timers;
  for (auto& s : slots) {
    s.sim = &sim;
    timers.push_back(std::make_unique<Timer>(sim, &Slot::fire, &s));
  }
  for (std::size_t i = 0; i < timers.size(); ++i) {
    timers[i]->arm_at(SimTime::from_ns(1000));
    timers[i]->arm_at(SimTime::from_ns(static_cast<std::int64_t>(500 + i)));
    if (i % 3 == 0) timers[i]->cancel();
  }
  sim.run();
  for (std::size_t i = 0; i < slots.size(); ++i) {
    if (i % 3 == 0) {
      EXPECT_EQ(slots[i].fires, 0) << i;
    } else {
      EXPECT_EQ(slots[i].fires, 1) << i;
      EXPECT_EQ(slots[i].at, SimTime::from_ns(static_cast<std::int64_t>(500 + i))) << i;
    }
  }
}


// Re-arming to later deadlines, as a pooled request's timeout is armed by every request that
// reuses its slot, keeps one queued entry: the queue does not grow with the number of armings.
TEST(Timer, RearmingLaterKeepsOneQueuedEntry) {
  Owner o;
  for (int i = 1; i < 1000; ++i) {
    o.timer.arm_at(SimTime::from_ns(1000 + i), static_cast<std::uint64_t>(i));
    if (i % 2 == 0) o.timer.cancel();
  }
  EXPECT_EQ(o.sim.pending(), 1u);
  EXPECT_EQ(o.sim.peak_pending(), 1u);
  o.sim.run();
  ASSERT_EQ(o.fired.size(), 1u);
  EXPECT_EQ(o.fired[0], (std::pair<SimTime, std::uint64_t>{SimTime::from_ns(1999), 999}));
  // The first arming's entry came up at 1001 and re-queued itself at 1999: two events, one idle.
  EXPECT_EQ(o.sim.events_executed(), 2u);
  EXPECT_EQ(o.sim.idle_events(), 1u);
}

TEST(Timer, CancelledThenRearmedLaterFiresAtTheNewDeadline) {
  Owner o;
  o.timer.arm_at(SimTime::from_ns(100), 1);
  o.sim.run(SimTime::from_ns(10));
  o.timer.cancel();
  o.sim.run(SimTime::from_ns(50));
  o.timer.arm_at(SimTime::from_ns(300), 2);
  EXPECT_EQ(o.sim.pending(), 1u);  // the entry at 100 was reused
  o.sim.run(SimTime::from_ns(299));
  EXPECT_TRUE(o.fired.empty());
  EXPECT_EQ(o.sim.now(), SimTime::from_ns(299));
  o.sim.run();
  ASSERT_EQ(o.fired.size(), 1u);
  EXPECT_EQ(o.fired[0], (std::pair<SimTime, std::uint64_t>{SimTime::from_ns(300), 2}));
}

TEST(Timer, CancelledAfterItsEntryRequeuedNeverFires) {
  Owner o;
  o.timer.arm_at(SimTime::from_ns(100), 1);
  o.timer.arm_at(SimTime::from_ns(300), 2);
  o.sim.run(SimTime::from_ns(200));  // the entry at 100 re-queued itself at 300
  EXPECT_TRUE(o.timer.armed());
  o.timer.cancel();
  o.sim.run();
  EXPECT_TRUE(o.fired.empty());
  EXPECT_EQ(o.sim.pending(), 0u);
}

TEST(Timer, RearmEarlierAfterCancelFiresOnlyTheNewArming) {
  Owner o;
  o.timer.arm_at(SimTime::from_ns(500), 1);
  o.timer.cancel();
  o.timer.arm_at(SimTime::from_ns(200), 2);
  o.timer.arm_at(SimTime::from_ns(400), 3);
  o.sim.run();
  ASSERT_EQ(o.fired.size(), 1u);
  EXPECT_EQ(o.fired[0], (std::pair<SimTime, std::uint64_t>{SimTime::from_ns(400), 3}));
  EXPECT_EQ(o.sim.pending(), 0u);
}

// Records the order in which plain events and timer firings run.
struct Trace {
  Simulator sim;
  std::string order;
  static void plain(void* ctx, std::uint64_t arg) {
    static_cast<Trace*>(ctx)->order += static_cast<char>(arg);
  }
};

TEST(Timer, RearmedLaterRunsAmongEqualTimesInArmingOrder) {
  Trace tr;
  Timer timer(tr.sim, &Trace::plain, &tr);
  timer.arm_at(SimTime::from_ns(10), 'x');
  tr.sim.schedule_at(SimTime::from_ns(50), &Trace::plain, &tr, 'a');  // before the re-arm
  timer.arm_at(SimTime::from_ns(50), 'T');                              // reuses the entry at 10
  tr.sim.schedule_at(SimTime::from_ns(50), &Trace::plain, &tr, 'b');  // after the re-arm
  tr.sim.run();
  EXPECT_EQ(tr.order, "aTb");
}

TEST(Timer, RearmedToTheSameDeadlineMovesBehindEventsScheduledInBetween) {
  Trace tr;
  Timer timer(tr.sim, &Trace::plain, &tr);
  timer.arm_at(SimTime::from_ns(50), 'x');
  tr.sim.schedule_at(SimTime::from_ns(50), &Trace::plain, &tr, 'a');
  timer.arm_at(SimTime::from_ns(50), 'T');  // same deadline, later arming: after 'a'
  tr.sim.schedule_at(SimTime::from_ns(50), &Trace::plain, &tr, 'b');
  tr.sim.run();
  EXPECT_EQ(tr.order, "aTb");
}

// The reference: the timer as it was before entries were reused, one push per arming and a
// generation check on firing. The new Timer must run every event in the same order.
struct PushPerArmTimer {
  Simulator* sim;
  EventFn fn;
  void* ctx;
  std::uint64_t generation = 0, arg = 0;
  bool armed = false;
  void arm_at(SimTime t, std::uint64_t a) {
    ++generation;
    arg = a;
    armed = true;
    sim->schedule_at(t, &PushPerArmTimer::fire, this, generation);
  }
  void cancel() {
    ++generation;
    armed = false;
  }
  static void fire(void* self, std::uint64_t generation) {
    auto* t = static_cast<PushPerArmTimer*>(self);
    if (generation != t->generation) return;
    t->armed = false;
    t->fn(t->ctx, t->arg);
  }
};

// Events that arm, cancel and re-arm timers (earlier, later, to equal times on a coarse grid so
// that ties are common) and schedule plain events, driven by one RNG in the order events run.
template <class TimerT>
struct Workload {
  Simulator sim;
  std::mt19937_64 rng{42};
  std::vector<std::unique_ptr<TimerT>> timers;
  std::vector<std::uint64_t> trace;  // (time, who) of every firing, in order
  int budget = 20000;

  explicit Workload(std::uint64_t sequence_limit) : sim(sequence_limit) {
    for (int i = 0; i < 16; ++i) timers.push_back(make(i));
  }
  std::unique_ptr<TimerT> make(int i);
  SimTime soon() { return sim.now() + SimDuration::from_ns(static_cast<std::int64_t>(rng() % 8) * 10); }
  void step(std::uint64_t who) {
    trace.push_back(static_cast<std::uint64_t>(sim.now().ns()) << 16 | who);
    if (--budget <= 0) return;
    for (int ops = 1 + static_cast<int>(rng() % 3); ops > 0; --ops) {
      const std::uint64_t r = rng() % 10;
      TimerT& t = *timers[rng() % timers.size()];
      if (r < 5) t.arm_at(soon(), 1000 + rng() % 1000);
      else if (r < 7) t.cancel();
      else sim.schedule_at(soon(), &Workload::plain, this, rng() % 1000);
    }
  }
  static void plain(void* self, std::uint64_t who) { static_cast<Workload*>(self)->step(who); }
  std::vector<std::uint64_t> run() {
    for (std::uint64_t i = 0; i < 8; ++i) sim.schedule_at(SimTime::from_ns(0), &Workload::plain, this, i);
    sim.run();
    return trace;
  }
};
template <>
std::unique_ptr<Timer> Workload<Timer>::make(int) {
  return std::make_unique<Timer>(sim, &Workload::plain, this);
}
template <>
std::unique_ptr<PushPerArmTimer> Workload<PushPerArmTimer>::make(int) {
  return std::make_unique<PushPerArmTimer>(PushPerArmTimer{&sim, &Workload::plain, this});
}

TEST(Timer, RunsEveryEventInTheOrderOfAPushPerArming) {
  Workload<PushPerArmTimer> reference(EventQueue::kSequenceLimit);
  const auto expected = reference.run();
  ASSERT_GT(expected.size(), 20000u);
  Workload<Timer> reused(EventQueue::kSequenceLimit);
  EXPECT_EQ(reused.run(), expected);
  // And with far fewer entries queued at the peak.
  EXPECT_LT(reused.sim.peak_pending(), reference.sim.peak_pending());
}

// Renumbering (every 64 sequence numbers here) must keep the order of armings whose entries
// are not queued yet.
TEST(Timer, OrderSurvivesSequenceRenumbering) {
  Workload<PushPerArmTimer> reference(EventQueue::kSequenceLimit);
  const auto expected = reference.run();
  Workload<Timer> reused(64);
  EXPECT_EQ(reused.run(), expected);
}

}  // namespace
}  // namespace meshtwin::engine
