#include "cli/simulate.h"

#include "cli/prepare.h"
#include "cli/progress.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include <fmt/core.h>

#include "engine/rng.h"
#include "engine/stop_token.h"
#include "engine/time.h"
#include "model/config/diagnostics.h"
#include "results/writer.h"

namespace meshtwin::cli {
namespace {

engine::StopToken g_stop;
volatile sig_atomic_t g_signal = 0;

extern "C" void on_stop_signal(int sig) {
  if (g_signal != 0) {
    // The second signal: the user does not want to wait for the summaries. Die of it now;
    // SQLite's journal keeps the file consistent and the run reads as incomplete.
    signal(sig, SIG_DFL);
    raise(sig);  // delivered when this handler returns (the signal is blocked while it runs)
    return;
  }
  g_signal = sig;
  g_stop.request_stop();
  static const char kMsg[] =
      "\nmeshtwin: stopping at the next event; saving what was recorded and the summaries "
      "(signal again to quit at once)\n";
  // write(2) is async-signal-safe; a short write only shortens the message.
  [[maybe_unused]] ssize_t n = write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
}

// Installs the handlers for one simulation and puts back the previous ones afterwards (a
// signal after the run, while the report is printed, acts as it would without meshtwin).
class StopSignals {
 public:
  StopSignals() {
    install(SIGINT, old_int_);
    install(SIGTERM, old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  // A signal ignored by whoever started us stays ignored: a shell starts `cmd &` with SIGINT
  // ignored, and `nohup` does the same for SIGHUP, so that Ctrl-C at the terminal does not
  // reach background jobs (the usual Unix idiom for programs that catch SIGINT).
  static void install(int sig, struct sigaction& old) {
    sigaction(sig, nullptr, &old);
    if (old.sa_handler == SIG_IGN) return;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;  // SQLite's and stdio's system calls go on after the handler
    sigaction(sig, &sa, nullptr);
  }

  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// The options of the writer of the file a command writes to: the warm-up, and a line when another
// process holds the file.
results::WriterOptions output_writer_options(const std::string& output, std::int64_t warmup_ns) {
  results::WriterOptions options;
  options.warmup = warmup_ns;
  options.on_wait = [output] {
    std::cerr << "meshtwin: " << output
              << ": another process holds this results file (another run writing to it, or a "
                 "long read); waiting for it\n";
  };
  return options;
}

}  // namespace

int interrupting_signal() { return g_signal; }

void die_of_signal(int sig) {
  std::fflush(stdout);
  std::fflush(stderr);
  signal(sig, SIG_DFL);
  raise(sig);
  std::_Exit(128 + sig);  // only if the signal is blocked or ignored by whoever started us
}

std::optional<Simulated> simulate_to_file(scenario::Mesh& mesh, const std::string& output,
                                          bool quiet, std::int64_t max_wall_ns, std::int64_t warmup_ns,
                                          const telemetry::DecisionLog* log) {
  std::string error;
  const results::WriterOptions writer_options = output_writer_options(output, warmup_ns);
  // Handlers first: a signal while waiting for the file's lock or while writing the run's
  // first rows must also end with an `interrupted` run, not a killed one.
  StopSignals signals;
  auto writer = results::SqliteWriter::open(output, &error, writer_options);
  if (!writer) {
    std::cerr << "meshtwin: " << error << '\n';  // the writer's sentence names the file
    return std::nullopt;
  }

  scenario::RunOptions options;
  options.meshtwin_version = MESHTWIN_VERSION;
  options.stop = &g_stop;
  options.log = log;
  TerminalProgress progress(quiet);
  if (progress.enabled()) {
    options.progress = progress.callback();
    // Reports every 100 ms of simulated time; the meter draws at most 5 times a second of wall
    // time. Slicing the run does not change it (events run in the same order).
    options.progress_interval = 100 * engine::kMillisecond;
  }
  Simulated out;
  {
    WallWatchdog watchdog(g_stop, max_wall_ns);
    out.stats = mesh.run(*writer, options);
    out.max_wall_reached = watchdog.fired();
  }
  progress.finish();
  out.run_id = writer->run_id();
  if (!writer->ok()) {
    std::cerr << "meshtwin: " << output << ": " << writer->error() << '\n';
    return std::nullopt;
  }
  if (out.stats.interrupted) {
    std::cerr << "meshtwin: run " << out.run_id << " in " << output
              << " interrupted at t=" << engine::human_duration(out.stats.sim_end)
              << "; what was recorded until then and its summaries are kept (status "
                 "interrupted)\n";
  }
  return out;
}

ScratchDir::ScratchDir(const std::filesystem::path& dir, const std::string& prefix) {
  std::string tmpl = (dir / (prefix + "XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

int default_jobs() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

namespace {

// One replication's state between its worker thread and the thread that merges.
struct Slot {
  std::string part;  // its part file
  bool done = false;
  bool ran = false;  // false: skipped (a stop came before it started)
  scenario::RunStats stats;
  std::string error;  // why it failed, empty when it did not
};

}  // namespace

std::optional<SimulatedBatch> simulate_batch(PreparedRun& prepared, const std::string& output,
                                             const BatchOptions& options) {
  namespace fs = std::filesystem;
  const auto started = std::chrono::steady_clock::now();
  const scenario::ScenarioSpec& spec = prepared.spec;
  std::string error;
  const results::WriterOptions writer_options = output_writer_options(output, spec.warmup.ns());
  StopSignals signals;
  auto target = results::SqliteWriter::open(output, &error, writer_options);
  if (!target) {
    std::cerr << "meshtwin: " << error << '\n';
    return std::nullopt;
  }
  SimulatedBatch out;
  out.batch_id = options.batch_id;
  if (out.batch_id == 0) {
    results::BatchInfo info;
    info.scenario = spec.name.empty() ? spec.path : spec.name;
    info.seed = spec.seed;
    info.replications = options.count;
    info.warmup = spec.warmup.ns();
    info.meshtwin_version = MESHTWIN_VERSION;
    out.batch_id = target->begin_batch(info);
    if (out.batch_id == 0) {
      std::cerr << "meshtwin: " << output << ": " << target->error() << '\n';
      return std::nullopt;
    }
  }
  // The part files live beside the output (same filesystem, same free space), in a folder
  // removed at the end whatever happens.
  const fs::path out_dir = fs::absolute(fs::path(output)).parent_path();
  ScratchDir scratch(out_dir, ".meshtwin-parts-");
  if (scratch.path().empty()) {
    std::cerr << "meshtwin: cannot create a folder for the replications' part files in " << out_dir.string()
              << '\n';
    return std::nullopt;
  }

  std::vector<Slot> slots(static_cast<std::size_t>(options.count));
  for (int i = 0; i < options.count; ++i)
    slots[static_cast<std::size_t>(i)].part =
        (fs::path(scratch.path()) / fmt::format("replication-{}.db", options.replication(i))).string();
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<int> next{0};
  // Replication 0 runs the prepared mesh (built with the scenario seed, which is replication
  // 0's); the others build their own from a copy of the spec with their seed.
  std::unique_ptr<scenario::Mesh> first_mesh =
      options.first == 0 ? std::move(prepared.mesh) : std::unique_ptr<scenario::Mesh>();

  const int jobs = std::clamp(options.jobs, 1, std::max(1, options.count));
  auto run_one = [&](int i, Slot& slot) {
    const int r = options.replication(i);
    std::unique_ptr<scenario::Mesh> mesh;
    if (r == 0 && first_mesh) {
      mesh = std::move(first_mesh);
    } else {
      scenario::ScenarioSpec replica = spec;
      replica.seed = engine::replication_seed(spec.seed, static_cast<std::uint64_t>(r));
      config::Diagnostics diags;  // the same input built once already: only a new seed here
      mesh = scenario::Mesh::build(replica, diags);
      if (!mesh) {
        slot.error = fmt::format("replication {}: the mesh did not build a second time", r);
        return;
      }
    }
    results::WriterOptions part_options;
    part_options.warmup = spec.warmup.ns();
    part_options.scratch = true;
    // A writer thread per replication pays (its rows copied for it, a hand-over per batch) only
    // when it finds an idle core: with at least as many workers as cores it would only take
    // time from another replication, so the rows are written on the worker's own thread
    // (docs/performance.md, "Replications"). A metrics-only replication never starts one anyway.
    part_options.background = jobs < default_jobs();
    std::string part_error;
    auto writer = results::SqliteWriter::open(slot.part, &part_error, part_options);
    if (!writer) {
      slot.error = part_error;
      return;
    }
    scenario::RunOptions run_options;
    run_options.meshtwin_version = MESHTWIN_VERSION;
    run_options.stop = &g_stop;
    slot.stats = mesh->run(*writer, run_options);
    slot.ran = true;
    if (!writer->ok()) slot.error = fmt::format("replication {}: {}: {}", r, slot.part, writer->error());
  };
  auto worker = [&] {
    for (;;) {
      const int i = next.fetch_add(1);
      if (i >= options.count) return;
      Slot& slot = slots[static_cast<std::size_t>(i)];
      if (!g_stop.stop_requested()) {
        try {
          run_one(i, slot);
        } catch (const std::exception& e) {
          // A thread must not let an exception escape (std::terminate): it fails its slot.
          slot.error = fmt::format("replication {}: {}", options.replication(i), e.what());
        }
      }
      {
        std::lock_guard lock(mu);
        slot.done = true;
      }
      cv.notify_all();
    }
  };

  const bool show = !options.quiet && ::isatty(STDOUT_FILENO) && ::isatty(STDERR_FILENO);
  std::string first_error;
  {
    WallWatchdog watchdog(g_stop, options.max_wall_ns);
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(jobs));
    for (int t = 0; t < jobs; ++t) threads.emplace_back(worker);
    // Merge in replication order as the replications finish: the target's run ids and rows do
    // not depend on which thread finished first.
    for (int i = 0; i < options.count; ++i) {
      Slot& slot = slots[static_cast<std::size_t>(i)];
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return slot.done; });
      }
      if (!slot.error.empty() && first_error.empty()) first_error = slot.error;
      if (slot.ran && slot.error.empty() && first_error.empty()) {
        const std::int64_t run_id = target->append_run(slot.part, out.batch_id, options.replication(i));
        if (run_id == 0) {
          first_error = fmt::format("{}: {}", output, target->error());
          g_stop.request_stop();  // the file takes no more: stop the others too
        } else {
          out.run_ids.push_back(run_id);
          out.stats.push_back(slot.stats);
          out.total.client_requests += slot.stats.client_requests;
          out.total.hop_attempts += slot.stats.hop_attempts;
          out.total.local_replies += slot.stats.local_replies;
          out.total.events_executed += slot.stats.events_executed;
          out.total.peak_in_flight = std::max(out.total.peak_in_flight, slot.stats.peak_in_flight);
          out.total.sim_end = std::max(out.total.sim_end, slot.stats.sim_end);
          out.interrupted = out.interrupted || slot.stats.interrupted;
          if (show)
            std::cerr << fmt::format("replication {} ({} of {}) done: run {}\n", options.replication(i), i + 1,
                                     options.count, run_id);
        }
      } else if (!slot.ran) {
        out.interrupted = true;
      }
      std::error_code ec;
      fs::remove(slot.part, ec);
      fs::remove(slot.part + "-journal", ec);
    }
    for (auto& t : threads) t.join();
    out.max_wall_reached = watchdog.fired();
  }
  out.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  out.total.wall_seconds = out.wall_seconds;
  out.total.interrupted = out.interrupted;
  // Replications already in the batch: those of the earlier looks when adding to one (check
  // --until-conclusive); a new batch (a shard's too, whose first replication is K) has none.
  const int existing = options.batch_id != 0 ? options.first : 0;
  target->end_batch(out.batch_id,
                    !first_error.empty() ? "failed" : out.interrupted ? "interrupted" : "complete",
                    existing + static_cast<int>(out.run_ids.size()), out.wall_seconds);
  if (!first_error.empty()) {
    std::cerr << "meshtwin: " << first_error << '\n';
    return std::nullopt;
  }
  if (!target->ok()) {
    std::cerr << "meshtwin: " << output << ": " << target->error() << '\n';
    return std::nullopt;
  }
  if (out.interrupted && !out.max_wall_reached) {
    std::cerr << "meshtwin: batch b" << out.batch_id << " in " << output << " interrupted: "
              << out.run_ids.size() << " replication(s) kept (status interrupted)\n";
  }
  return out;
}

}  // namespace meshtwin::cli
