// Paints a request's waterfall (waterfall.h): one row per span, indented by call depth, bars on
// the request's time axis coloured by outcome; retries say which try they are and the backoff
// before them is drawn as a dotted gap; timeouts are marked.
#pragma once

#include <QWidget>
#include <optional>
#include <vector>

#include "gui/waterfall.h"

namespace meshtwin::gui {

class WaterfallView : public QWidget {
  Q_OBJECT
 public:
  explicit WaterfallView(QWidget* parent = nullptr);

  void set_detail(std::optional<RequestDetail> detail, QString message = {});
  const std::optional<RequestDetail>& detail() const { return detail_; }
  const std::vector<WaterfallRow>& rows() const { return rows_; }

  QSize sizeHint() const override;

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  std::optional<RequestDetail> detail_;
  std::vector<WaterfallRow> rows_;
  QString message_;
};

}  // namespace meshtwin::gui
