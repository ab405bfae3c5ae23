// The hold model of bench/engine_hold_bench.cc on ns-3's schedulers, for docs/design.md §4's peer
// comparison ("at least 2x the best ns-3 scheduler measured in the same run").
//
// Two ways, both with the same RNG stream and exponential draw as the meshtwin benchmark:
//   BM_Ns3Simulator/<scheduler>/N  through ns3::Simulator (Schedule, Run, Stop) with the
//       scheduler set by Simulator::SetScheduler: what an ns-3 model pays per event,
//       including ns-3's per-event EventImpl allocation. Compare with BM_Hold.
//   BM_Ns3Scheduler/<scheduler>/N  the scheduler object alone (Insert + RemoveNext on
//       Scheduler::Event with no EventImpl): the data structure's cost. Compare with
//       BM_EventQueuePopPush.
// items/s = events per second.
#include <cstdint>
#include <string>

#include <benchmark/benchmark.h>

#include "ns3/calendar-scheduler.h"
#include "ns3/heap-scheduler.h"
#include "ns3/map-scheduler.h"
#include "ns3/nstime.h"
#include "ns3/object-factory.h"
#include "ns3/priority-queue-scheduler.h"
#include "ns3/ptr.h"
#include "ns3/scheduler.h"
#include "ns3/simulator.h"

#include "engine/distribution.h"
#include "engine/rng.h"
#include "engine/time.h"

namespace {

using meshtwin::engine::Distribution;
using meshtwin::engine::kMicrosecond;
using meshtwin::engine::RngStream;

constexpr std::uint64_t kBatch = 1'000'000;
const char* const kSchedulers[] = {"ns3::MapScheduler", "ns3::HeapScheduler",
                                   "ns3::CalendarScheduler", "ns3::PriorityQueueScheduler"};

struct Ns3Hold {
  static RngStream* rng;
  static const Distribution* increment;
  static std::uint64_t budget;

  static void on_event() {
    ns3::Simulator::Schedule(ns3::NanoSeconds(increment->sample_duration(*rng).ns()),
                             &Ns3Hold::on_event);
    if (--budget == 0) ns3::Simulator::Stop();
  }
};
RngStream* Ns3Hold::rng = nullptr;
const Distribution* Ns3Hold::increment = nullptr;
std::uint64_t Ns3Hold::budget = 0;

// Out of line and named measured_* like the meshtwin batches, for scripts/callgrind-hold.sh.
[[gnu::noinline]] void measured_ns3_simulator_batch() {
  Ns3Hold::budget = kBatch;
  ns3::Simulator::Run();
}

void BM_Ns3Simulator(benchmark::State& state) {
  const char* scheduler = kSchedulers[state.range(0)];
  const auto pending = static_cast<std::size_t>(state.range(1));
  state.SetLabel(scheduler);

  RngStream rng(1, "bench/hold");
  const Distribution increment = Distribution::exponential(static_cast<double>(kMicrosecond.ns()));
  Ns3Hold::rng = &rng;
  Ns3Hold::increment = &increment;

  ns3::Simulator::Destroy();
  ns3::ObjectFactory factory;
  factory.SetTypeId(scheduler);
  ns3::Simulator::SetScheduler(factory);
  for (std::size_t i = 0; i < pending; ++i) {
    ns3::Simulator::Schedule(ns3::NanoSeconds(increment.sample_duration(rng).ns()), &Ns3Hold::on_event);
  }
  Ns3Hold::budget = 4 * pending;  // warm up to the steady-state shape, as BM_Hold does
  ns3::Simulator::Run();

  for (auto _ : state) measured_ns3_simulator_batch();
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  ns3::Simulator::Destroy();
}

void BM_Ns3Scheduler(benchmark::State& state) {
  const char* scheduler = kSchedulers[state.range(0)];
  const auto pending = static_cast<std::size_t>(state.range(1));
  state.SetLabel(scheduler);

  RngStream rng(1, "bench/hold");
  const Distribution increment = Distribution::exponential(static_cast<double>(kMicrosecond.ns()));
  ns3::ObjectFactory factory;
  factory.SetTypeId(scheduler);
  ns3::Ptr<ns3::Scheduler> s = factory.Create<ns3::Scheduler>();

  std::uint32_t uid = 0;
  auto make = [&uid](std::uint64_t ts) {
    ns3::Scheduler::Event ev;
    ev.impl = nullptr;
    ev.key.m_ts = ts;
    ev.key.m_uid = uid++;
    ev.key.m_context = 0;
    return ev;
  };
  for (std::size_t i = 0; i < pending; ++i) {
    s->Insert(make(static_cast<std::uint64_t>(increment.sample_duration(rng).ns())));
  }
  for (auto _ : state) {
    for (std::uint64_t i = 0; i < kBatch; ++i) {
      const ns3::Scheduler::Event ev = s->RemoveNext();
      s->Insert(make(ev.key.m_ts + static_cast<std::uint64_t>(increment.sample_duration(rng).ns())));
    }
  }
  benchmark::DoNotOptimize(s->PeekNext());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  while (!s->IsEmpty()) s->RemoveNext();
}

void scheduler_args(benchmark::internal::Benchmark* b) {
  for (int s = 0; s < 4; ++s) {
    for (int n : {1'000, 100'000}) b->Args({s, n});
  }
}

// Per wall-clock second, as every meshtwin figure it is compared with (UseRealTime).
BENCHMARK(BM_Ns3Simulator)->Apply(scheduler_args)->ArgNames({"sched", "pending"})
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Ns3Scheduler)->Apply(scheduler_args)->ArgNames({"sched", "pending"})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
