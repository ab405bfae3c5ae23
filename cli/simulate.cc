#include "cli/simulate.h"

#include "cli/prepare.h"
#include "cli/progress.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "engine/stop_token.h"
#include "engine/time.h"
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
                                          bool quiet, std::int64_t max_wall_ns,
                                          const telemetry::DecisionLog* log) {
  std::string error;
  results::WriterOptions writer_options;
  writer_options.on_wait = [output] {
    std::cerr << "meshtwin: " << output
              << ": another process holds this results file (another run writing to it, or a "
                 "long read); waiting for it\n";
  };
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

}  // namespace meshtwin::cli
