#include "cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>

#include <fmt/core.h>

#include "engine/time.h"

namespace meshtwin::cli {

ProgressMeter::ProgressMeter(Clock clock, Draw draw) : clock_(std::move(clock)), draw_(std::move(draw)) {
  start_ = clock_();
}

void ProgressMeter::update(const scenario::Progress& p) {
  const double now = clock_();
  if (draws_ > 0 && now - last_draw_ < kMinRedrawSeconds) return;
  last_draw_ = now;
  ++draws_;
  draw_(format_line(p, now - start_));
}

std::string ProgressMeter::format_eta(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

std::string ProgressMeter::format_line(const scenario::Progress& p, double wall_elapsed) {
  const engine::SimTime done = std::min(p.sim_now, engine::SimTime{} + p.sim_duration);
  const double fraction = p.sim_duration > engine::SimDuration{} ? static_cast<double>(done.ns()) / static_cast<double>(p.sim_duration.ns()) : 1.0;
  std::string eta = "-";
  if (fraction >= 1.0) {
    eta = format_eta(0);
  } else if (done > engine::SimTime{} && wall_elapsed > 0) {
    eta = format_eta(wall_elapsed * (1.0 - fraction) / fraction);
  }
  return fmt::format("  t={}/{}  {:5.1f}%  ETA {}  {} requests done, {} in flight",
                     engine::format_duration(p.sim_now.since_start()), engine::format_duration(p.sim_duration), 100.0 * fraction,
                     eta, p.client_requests_done, p.in_flight);
}

TerminalProgress::TerminalProgress(bool quiet) {
  // Both: the summary goes to stdout, and a \r line on stderr interleaved with piped output
  // (`| tee`, CI logs) is noise.
  enabled_ = !quiet && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);
  if (!enabled_) return;
  auto clock = [] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  };
  meter_ = std::make_shared<ProgressMeter>(clock, [this](const std::string& line) {
    // Pad over what a longer previous line left behind.
    const std::size_t pad = width_ > line.size() ? width_ - line.size() : 0;
    std::fprintf(stderr, "\r%s%*s", line.c_str(), static_cast<int>(pad), "");
    std::fflush(stderr);
    width_ = line.size();
  });
}

std::function<void(const scenario::Progress&)> TerminalProgress::callback() {
  if (!enabled_) return {};
  auto meter = meter_;
  return [meter](const scenario::Progress& p) { meter->update(p); };
}

void TerminalProgress::finish() {
  if (enabled_ && meter_->draws() > 0) std::fprintf(stderr, "\n");
}

}  // namespace meshtwin::cli
