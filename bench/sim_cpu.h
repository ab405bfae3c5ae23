// --sim-cpu=N for the mesh benchmarks (bookinfo_bench, mesh_scale_bench): the simulation's thread
// runs on CPU N from begin_run to end_run, every other thread (the results writer's, which
// begin_run starts) where the kernel puts it.
//
// Why: on the 2-vCPU VMs the project is measured on, the two vCPUs ran the same single-threaded
// benchmark up to 45 % apart, for minutes at a time (docs/performance.md, "Which CPU"), so an
// unpinned figure says more about where the scheduler put the thread than about the code, and a
// ratio of two unpinned figures (1,000 services against Bookinfo) can be off by that much.
// scripts/bench-table.py --sim-cpu all measures on each CPU in turn.
#pragma once

#include <sched.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "model/telemetry/records.h"

namespace meshtwin::bench {

// The CPU of --sim-cpu=N, or -1 (not pinned).
inline int& sim_cpu() {
  static int cpu = -1;
  return cpu;
}

// Reads --sim-cpu=N from the command line (Google Benchmark ignores flags it does not know);
// a value that is not a CPU number ends the program with exit status 2.
inline void read_sim_cpu_flag(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--sim-cpu=", 10) != 0) continue;
    char* end = nullptr;
    const long cpu = std::strtol(argv[i] + 10, &end, 10);
    if (end == argv[i] + 10 || *end != '\0' || cpu < 0 || cpu >= CPU_SETSIZE) {
      std::fprintf(stderr, "%s: --sim-cpu wants a CPU number, not '%s'\n", argv[0], argv[i] + 10);
      std::exit(2);
    }
    sim_cpu() = static_cast<int>(cpu);
  }
}

// Forwards every record to `inner`; pins the calling thread (the simulation's) to sim_cpu()
// after inner's begin_run and gives it its CPUs back after inner's end_run. Use it only when
// pinning (sim_cpu() >= 0): otherwise the virtual call it adds per record is measured for nothing.
class PinnedSink final : public telemetry::Sink {
 public:
  explicit PinnedSink(telemetry::Sink& inner) : inner_(inner) {}
  telemetry::Interest interest() const override { return inner_.interest(); }
  void begin_run(const telemetry::RunInfo& info) override {
    inner_.begin_run(info);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sim_cpu(), &one);
    if (sched_getaffinity(0, sizeof saved_, &saved_) != 0 || sched_setaffinity(0, sizeof one, &one) != 0) {
      std::fprintf(stderr, "--sim-cpu=%d: %s\n", sim_cpu(), std::strerror(errno));
      std::exit(2);
    }
  }
  void on_request(const telemetry::RequestRecord& r) override { inner_.on_request(r); }
  void on_span(const telemetry::SpanRecord& s) override { inner_.on_span(s); }
  void on_hop(const telemetry::HopRecord& h) override { inner_.on_hop(h); }
  void on_event(const telemetry::EventRecord& e) override { inner_.on_event(e); }
  void end_run(const telemetry::RunEnd& end) override {
    inner_.end_run(end);
    sched_setaffinity(0, sizeof saved_, &saved_);
  }

 private:
  telemetry::Sink& inner_;
  cpu_set_t saved_{};
};

}  // namespace meshtwin::bench
