// The classic "hold" model for event-list benchmarks (Vaucher & Duval 1975; Jones 1986): keep
// N events pending; each executed event schedules one successor at now + an exponential
// increment (mean 1 us). Everything goes through the public Simulator API, and the
// exponential draw is part of the model (it is counted in every figure below).
//
// Reported: items/s = executed events per second of wall time (every benchmark here runs with
// UseRealTime, so rates are per wall-clock second, not per CPU second). docs/design.md §4 target: >= 20 M/s
// at N = 1,000 on one core (Release, -O2). bench/ns3/ runs the same model on ns-3's
// schedulers (CMake option MESHTWIN_NS3_BENCH).
#include <cmath>
#include <cstdint>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "engine/distribution.h"
#include "engine/rng.h"
#include "engine/simulator.h"
#include "engine/time.h"
#include "engine/timer.h"

namespace meshtwin::engine {
namespace {

constexpr std::uint64_t kBatch = 1'000'000;  // events per benchmark iteration

// Through Distribution, as model code draws (kind switch, inversion, round to ns).
struct HoldModel {
  Simulator sim;
  RngStream rng{1, "bench/hold"};
  Distribution increment = Distribution::exponential(static_cast<double>(kMicrosecond.ns()));
  std::uint64_t budget = 0;

  explicit HoldModel(std::size_t pending) {
    sim.reserve(pending + 1);
    for (std::size_t i = 0; i < pending; ++i) {
      sim.schedule_in(increment.sample_duration(rng), &HoldModel::on_event, this);
    }
    // Warm up until the event list has its steady-state shape (times spread by ~N us).
    budget = 4 * pending;
    sim.run();
  }

  static void on_event(void* ctx, std::uint64_t) {
    auto* self = static_cast<HoldModel*>(ctx);
    self->sim.schedule_in(self->increment.sample_duration(self->rng), &HoldModel::on_event, self);
    if (--self->budget == 0) self->sim.stop();
  }
};

// Every timed batch is a function of its own named measured_*, kept out of line, so that
// callgrind can count the instructions of exactly the timed events and nothing of the set-up
// (scripts/callgrind-hold.sh: --toggle-collect='*measured_*'). One call per 1 M events.
template <class Model>
[[gnu::noinline]] void measured_simulator_batch(Model& model) {
  model.budget = kBatch;
  model.sim.run();
}

void BM_Hold(benchmark::State& state) {
  HoldModel model(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) measured_simulator_batch(model);
  if (model.sim.pending() != static_cast<std::size_t>(state.range(0))) {
    state.SkipWithError("pending count drifted");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  state.counters["pending"] = static_cast<double>(model.sim.pending());
}
BENCHMARK(BM_Hold)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->UseRealTime();

// Same model, with the draw written inline (-mean * ln U): shows what the Distribution
// dispatch costs on top.
struct HoldInlineDraw {
  Simulator sim;
  RngStream rng{1, "bench/hold"};
  std::uint64_t budget = 0;

  SimDuration draw() {
    const double u = (static_cast<double>(rng.next_u64() >> 11) + 0.5) * 0x1.0p-53;
    return SimDuration::from_ns(static_cast<std::int64_t>(-1000.0 * std::log(u) + 0.5));
  }

  explicit HoldInlineDraw(std::size_t pending) {
    sim.reserve(pending + 1);
    for (std::size_t i = 0; i < pending; ++i) sim.schedule_in(draw(), &on_event, this);
    budget = 4 * pending;
    sim.run();
  }

  static void on_event(void* ctx, std::uint64_t) {
    auto* self = static_cast<HoldInlineDraw*>(ctx);
    self->sim.schedule_in(self->draw(), &on_event, self);
    if (--self->budget == 0) self->sim.stop();
  }
};

void BM_HoldInlineDraw(benchmark::State& state) {
  HoldInlineDraw model(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) measured_simulator_batch(model);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_HoldInlineDraw)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->UseRealTime();

// The bare event list with a separate pop and push per event (no replace-top fast path, no
// dispatch): the cost the Simulator's slot reuse avoids, and the figure comparable to
// driving an ns-3 scheduler object directly.
[[gnu::noinline]] void measured_queue_batch(EventQueue& q, RngStream& rng, const Distribution& increment) {
  for (std::uint64_t i = 0; i < kBatch; ++i) {
    const Event e = q.pop();
    q.push(e.time + increment.sample_duration(rng), nullptr, nullptr, 0);
  }
}

void BM_EventQueuePopPush(benchmark::State& state) {
  const auto pending = static_cast<std::size_t>(state.range(0));
  RngStream rng(1, "bench/hold");
  const Distribution increment = Distribution::exponential(static_cast<double>(kMicrosecond.ns()));
  EventQueue q;
  q.reserve(pending + 1);
  for (std::size_t i = 0; i < pending; ++i) q.push(SimTime{} + increment.sample_duration(rng), nullptr, nullptr, 0);
  for (auto _ : state) measured_queue_batch(q, rng, increment);
  benchmark::DoNotOptimize(q.top());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_EventQueuePopPush)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->UseRealTime();

// The floor any event list is measured against: a bare std::priority_queue of (time, sequence)
// pairs, pop one, push one at time + an exponential draw from the same RNG engine and the same
// Distribution, with the same pending count. No callbacks, no slots: the Simulator's loop
// (BM_Hold) must beat it by its own heap layout, not by doing less.
using BareKey = std::pair<SimTime, std::uint64_t>;
using BareQueue = std::priority_queue<BareKey, std::vector<BareKey>, std::greater<BareKey>>;

[[gnu::noinline]] void measured_bare_batch(BareQueue& q, std::uint64_t& seq, RngStream& rng,
                                           const Distribution& increment) {
  for (std::uint64_t i = 0; i < kBatch; ++i) {
    const BareKey top = q.top();
    q.pop();
    q.emplace(top.first + increment.sample_duration(rng), seq++);
  }
}

void BM_BarePriorityQueue(benchmark::State& state) {
  const auto pending = static_cast<std::size_t>(state.range(0));
  RngStream rng(1, "bench/hold");
  const Distribution increment = Distribution::exponential(static_cast<double>(kMicrosecond.ns()));
  std::vector<BareKey> storage;
  storage.reserve(pending + 1);
  BareQueue q(std::greater<BareKey>{}, std::move(storage));
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < pending; ++i) q.emplace(SimTime{} + increment.sample_duration(rng), seq++);
  for (std::size_t i = 0; i < 4 * pending; ++i) {  // the same warm-up as HoldModel
    const BareKey top = q.top();
    q.pop();
    q.emplace(top.first + increment.sample_duration(rng), seq++);
  }
  for (auto _ : state) measured_bare_batch(q, seq, rng, increment);
  benchmark::DoNotOptimize(q.top());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_BarePriorityQueue)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->UseRealTime();

// Hold model where every event also re-arms a timeout it never lets fire (the request-timeout
// pattern). The timer keeps its one queued entry, which re-queues itself when it comes up early
// (engine/timer.h); before, each re-arm left a stale entry to pop. Items are useful events.
struct HoldWithTimeouts {
  Simulator sim;
  RngStream rng{1, "bench/hold"};
  Distribution increment = Distribution::exponential(static_cast<double>(kMicrosecond.ns()));
  Timer timeout{sim, &HoldWithTimeouts::on_timeout, this};
  std::uint64_t budget = 0;
  std::uint64_t timeouts = 0;

  explicit HoldWithTimeouts(std::size_t pending) {
    sim.reserve(2 * pending + 16);
    for (std::size_t i = 0; i < pending; ++i) {
      sim.schedule_in(increment.sample_duration(rng), &on_event, this);
    }
    budget = 4 * pending;
    sim.run();
  }

  static void on_event(void* ctx, std::uint64_t) {
    auto* self = static_cast<HoldWithTimeouts*>(ctx);
    self->sim.schedule_in(self->increment.sample_duration(self->rng), &on_event, self);
    self->timeout.arm_in(3 * kMicrosecond);  // re-armed before it can fire
    if (--self->budget == 0) self->sim.stop();
  }
  static void on_timeout(void* ctx, std::uint64_t) { ++static_cast<HoldWithTimeouts*>(ctx)->timeouts; }
};

void BM_HoldWithTimerRearm(benchmark::State& state) {
  HoldWithTimeouts model(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) measured_simulator_batch(model);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  state.counters["timeouts_fired"] = static_cast<double>(model.timeouts);
}
BENCHMARK(BM_HoldWithTimerRearm)->Arg(1'000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ExponentialDraw(benchmark::State& state) {
  RngStream rng(1, "bench/draw");
  const Distribution d = Distribution::exponential(static_cast<double>(kMicrosecond.ns()));
  for (auto _ : state) benchmark::DoNotOptimize(d.sample_duration(rng));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ExponentialDraw)->UseRealTime();

}  // namespace
}  // namespace meshtwin::engine
