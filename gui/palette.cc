#include "gui/palette.h"

#include <array>
#include <cmath>

namespace meshtwin::gui {

namespace {

// Tableau 10: distinct at a glance and readable on white.
constexpr std::array<QRgb, 10> kPalette = {0x4e79a7, 0xf28e2b, 0x59a14f, 0xe15759, 0x76b7b2,
                                           0xedc948, 0xb07aa1, 0xff9da7, 0x9c755f, 0xbab0ac};

}  // namespace

QColor distinct_color(std::size_t n) {
  if (n < kPalette.size()) return QColor(kPalette[n]);
  // Past the ten: hues a golden angle apart (never the same hue twice) in three shades, so
  // the eleventh pod of a deployment does not take the first pod's colour and hide behind it.
  std::size_t k = n - kPalette.size();
  double hue = std::fmod(17.0 + 137.50776 * static_cast<double>(k), 360.0);
  static constexpr int kValues[] = {200, 150, 235};
  return QColor::fromHsv(static_cast<int>(hue), 170 + static_cast<int>(k % 2) * 60,
                         kValues[k % 3]);
}

QColor ColorMap::color(const std::string& key) {
  auto it = assigned_.find(key);
  if (it != assigned_.end()) return it->second;
  QColor c = distinct_color(assigned_.size());
  // Rounding to whole hues can meet an earlier colour after a few hundred keys: step on, a
  // bounded number of times (past ~2,000 keys every colour the generator makes is taken).
  for (std::size_t n = assigned_.size() + 1, tries = 0; taken_.count(c.rgb()) && tries < 64;
       ++n, ++tries) {
    c = distinct_color(n);
  }
  taken_.insert(c.rgb());
  assigned_.emplace(key, c);
  return c;
}

QColor outcome_color(int code) {
  if (code >= 200 && code < 300) return QColor(0x59a14f);
  if (code >= 300 && code < 400) return QColor(0x4e79a7);
  if (code >= 400 && code < 500) return QColor(0xedc948);
  if (code >= 500) return QColor(0xe15759);
  return QColor(0x9c9c9c);
}

QColor marker_color(const std::string& kind) {
  if (kind == "config_applied") return QColor(0x4e79a7);
  if (kind == "pod_killed") return QColor(0xe15759);
  if (kind == "pod_started" || kind == "pod_ready") return QColor(0x59a14f);
  if (kind == "host_ejected") return QColor(0xf28e2b);
  if (kind == "host_returned") return QColor(0x76b7b2);
  if (kind.rfind("overflow", 0) == 0) return QColor(0xb07aa1);
  if (kind == "rollout_aborted") return QColor(0xd62728);
  if (kind.rfind("rollout", 0) == 0) return QColor(0x8c564b);
  return QColor(0x7f7f7f);
}

QString format_duration(double ns) {
  if (ns >= 1e9) return QString::number(ns / 1e9, 'f', 2) + " s";
  if (ns >= 1e6) return QString::number(ns / 1e6, ns >= 1e8 ? 'f' : 'f', ns >= 1e8 ? 0 : 1) + " ms";
  if (ns >= 1e3) return QString::number(ns / 1e3, 'f', 0) + " us";
  return QString::number(ns, 'f', 0) + " ns";
}

}  // namespace meshtwin::gui
