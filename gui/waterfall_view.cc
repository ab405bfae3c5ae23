#include "gui/waterfall_view.h"

#include <QFontMetrics>
#include <QPainter>
#include <algorithm>
#include <cmath>

#include "gui/palette.h"

namespace meshtwin::gui {

namespace {

constexpr int kRowHeight = 24;
constexpr int kHeader = 46;
constexpr int kLabelWidth = 430;
constexpr int kOutcomeWidth = 120;

// A round step for time ticks: 1, 2 or 5 times a power of ten, about `target` per span.
double tick_step(double span, int target) {
  double raw = span / std::max(1, target);
  double p = std::pow(10.0, std::floor(std::log10(std::max(raw, 1e-12))));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= raw) return m * p;
  }
  return 10 * p;
}

}  // namespace

WaterfallView::WaterfallView(QWidget* parent) : QWidget(parent) {
  setMinimumHeight(kHeader + 3 * kRowHeight);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Minimum);
}

void WaterfallView::set_detail(std::optional<RequestDetail> detail, QString message) {
  detail_ = std::move(detail);
  rows_ = detail_ ? build_waterfall(*detail_) : std::vector<WaterfallRow>{};
  message_ = std::move(message);
  updateGeometry();
  adjustSize();
  update();
}

QSize WaterfallView::sizeHint() const {
  int rows = std::max<int>(3, static_cast<int>(rows_.size()));
  return {kLabelWidth + kOutcomeWidth + 400, kHeader + rows * kRowHeight + 24};
}

void WaterfallView::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), Qt::white);
  p.setRenderHint(QPainter::Antialiasing);
  QFontMetrics fm(font());
  if (!detail_) {
    p.setPen(QColor(0x666666));
    p.drawText(rect().adjusted(12, 12, -12, -12), Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap,
               message_.isEmpty() ? tr("Select a request to see its spans.") : message_);
    return;
  }
  const auto& req = detail_->request;
  std::int64_t end = req.duration;
  for (const auto& r : rows_) end = std::max(end, r.start + r.duration);
  double span = std::max<double>(1.0, static_cast<double>(end));

  QString outcome = QString::number(req.response_code);
  if (req.response_flags != "-") outcome += " " + QString::fromStdString(req.response_flags);
  QString title = tr("request %1 \u00b7 %2 %3%4 \u00b7 %5 \u00b7 %6 \u00b7 %7 %8 \u00b7 tries %9")
                      .arg(req.request_id)
                      .arg(QString::fromStdString(req.method),
                           QString::fromStdString(req.authority), QString::fromStdString(req.path))
                      .arg(outcome)
                      .arg(format_duration(static_cast<double>(req.duration)))
                      .arg(QString::fromStdString(req.destination_service),
                           QString::fromStdString(req.destination_version))
                      .arg(req.attempts);
  if (req.degraded_calls > 0) title += tr(" \u00b7 %1 degraded calls").arg(req.degraded_calls);
  QFont bold = font();
  bold.setBold(true);
  p.setFont(bold);
  p.setPen(QColor(0x1b2433));
  p.drawText(QRect(8, 4, width() - 16, 18), Qt::AlignLeft | Qt::AlignVCenter, title);
  p.setFont(font());
  if (rows_.empty()) {
    p.setPen(QColor(0x666666));
    p.drawText(QRect(8, kHeader, width() - 16, 40), Qt::AlignLeft | Qt::TextWordWrap,
               tr("No spans stored for this request (record.spans samples whole requests)."));
    return;
  }

  int bars_left = kLabelWidth;
  int bars_width = std::max(100, width() - kLabelWidth - kOutcomeWidth - 12);
  auto x_of = [&](std::int64_t t) { return bars_left + static_cast<double>(t) / span * bars_width; };

  // Time axis with round ticks.
  double step = tick_step(span, 6);
  p.setPen(QColor(0xd0d4da));
  for (double t = 0; t <= span + 1e-9; t += step) {
    double x = x_of(static_cast<std::int64_t>(t));
    p.drawLine(QPointF(x, kHeader - 6), QPointF(x, kHeader + rows_.size() * kRowHeight));
  }
  p.setPen(QColor(0x555f6d));
  for (double t = 0; t <= span + 1e-9; t += step) {
    double x = x_of(static_cast<std::int64_t>(t));
    p.drawText(QRectF(x - 40, kHeader - 24, 80, 16), Qt::AlignCenter,
               t == 0 ? QString("0") : format_duration(t));
  }

  for (std::size_t i = 0; i < rows_.size(); ++i) {
    const WaterfallRow& r = rows_[i];
    int y = kHeader + static_cast<int>(i) * kRowHeight;
    if (i % 2) p.fillRect(QRect(0, y, width(), kRowHeight), QColor(0xf6f7f9));
    QString label = QString::fromStdString(r.label());
    p.setPen(r.retry ? QColor(0xb3501d) : QColor(0x1b2433));
    p.drawText(QRect(8 + r.depth * 16, y, kLabelWidth - 12 - r.depth * 16, kRowHeight),
               Qt::AlignLeft | Qt::AlignVCenter,
               fm.elidedText(label, Qt::ElideMiddle, kLabelWidth - 12 - r.depth * 16));
    // The backoff before a retry: a dotted line from the previous try's end.
    if (r.backoff > 0) {
      p.setPen(QPen(QColor(0xb3501d), 1.2, Qt::DotLine));
      double x0 = x_of(r.start - r.backoff), x1 = x_of(r.start);
      p.drawLine(QPointF(x0, y + kRowHeight / 2.0), QPointF(x1, y + kRowHeight / 2.0));
      if (x1 - x0 > 60) {
        p.drawText(QRectF(x0, y, x1 - x0, kRowHeight / 2.0), Qt::AlignCenter,
                   tr("backoff %1").arg(format_duration(static_cast<double>(r.backoff))));
      }
    }
    QRectF bar(x_of(r.start), y + 5, std::max(2.0, x_of(r.start + r.duration) - x_of(r.start)),
               kRowHeight - 10);
    QColor c = outcome_color(r.code);
    if (r.timeout) c = QColor(0xb07aa1);
    p.setPen(Qt::NoPen);
    p.setBrush(r.kind == "local_reply" ? QBrush(c, Qt::BDiagPattern) : QBrush(c));
    p.drawRoundedRect(bar, 3, 3);
    p.setPen(QColor(0x1b2433));
    p.drawText(QRect(bars_left + bars_width + 8, y, kOutcomeWidth, kRowHeight),
               Qt::AlignLeft | Qt::AlignVCenter,
               QString::fromStdString(r.outcome()) + "  " +
                   format_duration(static_cast<double>(r.duration)));
  }
}

}  // namespace meshtwin::gui
