#include "engine/timer.h"

#include <cstdint>
#include <memory>
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

}  // namespace
}  // namespace meshtwin::engine
