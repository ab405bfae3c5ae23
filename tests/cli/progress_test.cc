// The progress line's throttling and text, driven by a fake clock (never real time).
#include "cli/progress.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/time.h"

namespace meshtwin::cli {
namespace {

using engine::kSecond;

scenario::Progress at(engine::SimTime now, engine::SimDuration duration = 60 * kSecond) {
  scenario::Progress p;
  p.sim_now = now;
  p.sim_duration = duration;
  p.client_requests_done = 10;
  p.in_flight = 2;
  return p;
}

struct Fake {
  double now = 100.0;  // wall seconds; any origin
  std::vector<std::string> lines;
  ProgressMeter meter{[this] { return now; }, [this](const std::string& l) { lines.push_back(l); }};
};

TEST(ProgressMeter, FirstReportDrawsAtOnce) {
  Fake f;
  f.meter.update(at(engine::SimTime{} + kSecond));
  EXPECT_EQ(f.lines.size(), 1u);
}

TEST(ProgressMeter, RedrawsAtMostFiveTimesASecondOfWallTime) {
  Fake f;
  // 1000 reports over exactly 2 s of wall time (every 2 ms): 0.0, 0.2, ..., 2.0 s draw.
  for (int i = 0; i <= 1000; ++i) {
    f.now = 100.0 + i * 0.002;
    f.meter.update(at(engine::SimTime{} + i * 10 * engine::kMillisecond));
  }
  EXPECT_GE(f.lines.size(), 10u);
  EXPECT_LE(f.lines.size(), 11u);
}

TEST(ProgressMeter, SlowReportsAllDraw) {
  Fake f;
  for (int i = 1; i <= 5; ++i) {
    f.now += 1.0;  // one report per wall second: none is dropped
    f.meter.update(at(engine::SimTime{} + i * kSecond));
  }
  EXPECT_EQ(f.lines.size(), 5u);
}

TEST(ProgressMeter, LineShowsSimulatedTimePercentAndEta) {
  // 15 s of 60 s simulated in 3 s of wall time: 25 %, 45 s to go at 5x → 9 s.
  const std::string line = ProgressMeter::format_line(at(engine::SimTime{} + 15 * kSecond), 3.0);
  EXPECT_NE(line.find("t=" + engine::format_duration(15 * kSecond) + "/" + engine::format_duration(60 * kSecond)),
            std::string::npos)
      << line;
  EXPECT_NE(line.find(" 25.0%"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 9s"), std::string::npos) << line;
  EXPECT_NE(line.find("10 requests done, 2 in flight"), std::string::npos) << line;
}

TEST(ProgressMeter, EtaUnknownAtStartAndZeroWhileDraining) {
  EXPECT_NE(ProgressMeter::format_line(at(engine::SimTime{}), 0.5).find("ETA -"), std::string::npos);
  // Past the duration: arrivals have stopped, requests in flight drain; capped at 100 %.
  const std::string line = ProgressMeter::format_line(at(engine::SimTime{} + 61 * kSecond), 10.0);
  EXPECT_NE(line.find("100.0%"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 0s"), std::string::npos) << line;
}

TEST(ProgressMeter, EtaReadsLikeAPersonWouldSayIt) {
  EXPECT_EQ(ProgressMeter::format_eta(0.4), "0s");
  EXPECT_EQ(ProgressMeter::format_eta(7.6), "8s");
  EXPECT_EQ(ProgressMeter::format_eta(65), "1m05s");
  EXPECT_EQ(ProgressMeter::format_eta(7380), "2h03m");
}

}  // namespace
}  // namespace meshtwin::cli
