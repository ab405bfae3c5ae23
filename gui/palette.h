// Colours the views share: series colours handed out in first-seen order (so v1, v2, v3 keep
// their colours across charts and across the two runs being compared), outcome colours and
// timeline marker colours.
#pragma once

#include <QColor>
#include <QString>
#include <map>
#include <set>
#include <string>

namespace meshtwin::gui {

// Every key its own colour: Tableau 10 first, then generated hues (distinct_color).
class ColorMap {
 public:
  QColor color(const std::string& key);

 private:
  std::map<std::string, QColor> assigned_;
  std::set<QRgb> taken_;
};

// The n-th colour handed out: distinct for every n (up to rounding to whole hues).
QColor distinct_color(std::size_t n);

// Green for 2xx, blue 3xx, amber 4xx, red 5xx, grey for no response.
QColor outcome_color(int code);
QColor marker_color(const std::string& event_kind);
// "12.3 ms", "1.20 s", "850 us".
QString format_duration(double nanoseconds);

}  // namespace meshtwin::gui
