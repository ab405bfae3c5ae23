#pragma once

// The progress line `run` and `check` draw while simulating: simulated time, % of the
// scenario's duration, an ETA from the wall time spent so far, redrawn at most 5 times a second
// of wall time however often the simulation reports. The clock is injected so that the
// throttling is tested without real time.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "model/scenario/mesh.h"

namespace meshtwin::cli {

class ProgressMeter {
 public:
  using Clock = std::function<double()>;                // wall seconds, monotonic
  using Draw = std::function<void(const std::string&)>;  // one line, without \r or \n

  static constexpr double kMinRedrawSeconds = 0.2;  // at most ~5 redraws per second

  ProgressMeter(Clock clock, Draw draw);

  // Called as often as the simulation likes; draws when kMinRedrawSeconds of wall time have
  // passed since the last draw (the first report draws at once).
  void update(const scenario::Progress& p);
  int draws() const { return draws_; }

  // `  t=12.5s/1m0s  20.8%  ETA 3s  1234 requests done, 12 in flight`. The ETA is the wall time
  // so far scaled by the simulated time still to go; unknown (`ETA -`) before any simulated time
  // has passed or wall time elapsed, and 0 once arrivals have stopped (the rest is the drain).
  static std::string format_line(const scenario::Progress& p, double wall_elapsed);
  // Whole seconds as a person reads them: 7s, 1m05s, 2h03m.
  static std::string format_eta(double seconds);

 private:
  Clock clock_;
  Draw draw_;
  double start_ = 0;
  double last_draw_ = 0;
  int draws_ = 0;
};

// Progress for `run`/`check`: draws on stderr with \r, only when both stdout and stderr are
// terminals (a redirected or piped run, CI, gets none) and not `quiet`; finish() ends the line.
class TerminalProgress {
 public:
  explicit TerminalProgress(bool quiet);
  TerminalProgress(const TerminalProgress&) = delete;  // the drawing callback points at this object
  TerminalProgress& operator=(const TerminalProgress&) = delete;
  bool enabled() const { return enabled_; }
  // What to put in scenario::RunOptions (empty when disabled).
  std::function<void(const scenario::Progress&)> callback();
  void finish();

 private:
  bool enabled_ = false;
  std::size_t width_ = 0;  // of the last line drawn, to blank leftovers
  std::shared_ptr<ProgressMeter> meter_;
};

}  // namespace meshtwin::cli
