// Colours the views share: series colours handed out in first-seen order (so v1, v2, v3 keep
// their colours across charts and across the two runs being compared), outcome colours and
// timeline marker colours.
#pragma once

#include <QColor>
#include <QString>
#include <map>
#include <string>

namespace meshtwin::gui {

class ColorMap {
 public:
  QColor color(const std::string& key);

 private:
  std::map<std::string, QColor> assigned_;
};

// Green for 2xx, blue 3xx, amber 4xx, red 5xx, grey for no response.
QColor outcome_color(int code);
QColor marker_color(const std::string& event_kind);
// "12.3 ms", "1.20 s", "850 us".
QString format_duration(double nanoseconds);

}  // namespace meshtwin::gui
