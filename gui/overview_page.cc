#include "gui/overview_page.h"

#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include "gui/async.h"
#include "gui/palette.h"

namespace meshtwin::gui {

namespace {

QString seconds_text(SimTime ns) {
  return QString::number(static_cast<double>(ns) / 1e9, 'f', 1) + " s";
}

QString run_text(const RunSelection& sel, const Overview& o) {
  const auto& r = o.run;
  QString events;
  for (const auto& [kind, n] : o.event_counts) {
    events += QString("%1%2 %3")
                  .arg(events.isEmpty() ? "" : ", ")
                  .arg(n)
                  .arg(QString::fromStdString(kind));
  }
  return QObject::tr(
             "<b>%1</b> &nbsp; scenario <b>%2</b> &nbsp; seed %3 &nbsp; duration %4 "
             "(ran to %5) &nbsp; metrics every %6 &nbsp; %7 &nbsp; meshtwin %8, %9 s wall"
             "<br>events: %10")
      .arg(QString::fromStdString(sel.label()).toHtmlEscaped(),
           QString::fromStdString(r.scenario).toHtmlEscaped())
      .arg(static_cast<qulonglong>(r.seed))
      .arg(seconds_text(r.sim_duration), seconds_text(r.sim_end), seconds_text(r.metrics_interval),
           QString::fromStdString(r.status), QString::fromStdString(r.meshtwin_version))
      .arg(r.wall_seconds, 0, 'f', 2)
      .arg(events.isEmpty() ? QObject::tr("none") : events);
}

QTableWidget* make_table(QWidget* parent) {
  auto* t = new QTableWidget(parent);
  const QStringList headers = {QObject::tr("run"),       QObject::tr("service"),
                               QObject::tr("version"),   QObject::tr("requests"),
                               QObject::tr("success"),   QObject::tr("p50"),
                               QObject::tr("p90"),       QObject::tr("p99"),
                               QObject::tr("top codes"), QObject::tr("flags")};
  t->setColumnCount(static_cast<int>(headers.size()));
  t->setHorizontalHeaderLabels(headers);
  t->verticalHeader()->setVisible(false);
  t->verticalHeader()->setDefaultSectionSize(22);
  t->setEditTriggers(QAbstractItemView::NoEditTriggers);
  t->setSelectionBehavior(QAbstractItemView::SelectRows);
  t->horizontalHeader()->setStretchLastSection(true);
  const int widths[] = {40, 280, 60, 90, 80, 80, 80, 80, 200, 120};
  for (int i = 0; i < t->columnCount(); ++i) t->setColumnWidth(i, widths[i]);
  return t;
}

void fill(QTableWidget* t,
          const std::vector<std::pair<QString, const std::vector<OverviewRow>*>>& runs) {
  int rows = 0;
  for (const auto& [tag, list] : runs) rows += static_cast<int>(list->size());
  t->setRowCount(rows);
  int r = 0;
  for (const auto& [tag, list] : runs) {
    for (const auto& row : *list) {
      double success = row.requests ? 100.0 * static_cast<double>(row.success) /
                                          static_cast<double>(row.requests)
                                    : 0.0;
      const QString cells[] = {
          tag,
          QString::fromStdString(row.service),
          QString::fromStdString(row.version),
          QLocale().toString(static_cast<qulonglong>(row.requests)),
          QString::number(success, 'f', success < 100 && success > 99.9 ? 3 : 2) + " %",
          format_duration(static_cast<double>(row.p50)),
          format_duration(static_cast<double>(row.p90)),
          format_duration(static_cast<double>(row.p99)),
          QString::fromStdString(row.codes.empty() ? "-" : row.codes),
          QString::fromStdString(row.flags)};
      for (int c = 0; c < 10; ++c) {
        auto* item = new QTableWidgetItem(cells[c]);
        if (c >= 3 && c <= 7) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        if (c == 4 && success < 99.0) item->setForeground(outcome_color(500).darker(120));
        t->setItem(r, c, item);
      }
      ++r;
    }
  }
}

}  // namespace

OverviewPage::OverviewPage(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  header_ = new QLabel(this);
  header_->setTextFormat(Qt::RichText);
  header_->setWordWrap(true);
  header_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(header_);
  auto* split = new QSplitter(Qt::Vertical, this);
  auto* tables = new QWidget(split);
  auto* tl = new QVBoxLayout(tables);
  tl->setContentsMargins(0, 0, 0, 0);
  tl->addWidget(new QLabel(tr("<b>Client requests</b> by where the first proxy routed them "
                              "(summaries; exact percentiles)"),
                           tables));
  client_table_ = make_table(tables);
  tl->addWidget(client_table_, 1);
  tl->addWidget(new QLabel(tr("<b>Every hop</b> as the calling proxy saw it (metrics, "
                              "reporter=source; percentiles from the Istio buckets)"),
                           tables));
  hop_table_ = make_table(tables);
  tl->addWidget(hop_table_, 3);
  split->addWidget(tables);
  auto* inputs = new QSplitter(Qt::Horizontal, split);
  inputs_ = new QListWidget(inputs);
  input_text_ = new QPlainTextEdit(inputs);
  input_text_->setReadOnly(true);
  input_text_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  input_text_->setLineWrapMode(QPlainTextEdit::NoWrap);
  inputs->addWidget(inputs_);
  inputs->addWidget(input_text_);
  inputs->setStretchFactor(0, 1);
  inputs->setStretchFactor(1, 3);
  split->addWidget(inputs);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  layout->addWidget(split, 1);
  connect(inputs_, &QListWidget::currentRowChanged, this, [this](int row) {
    if (!a_data_ || row < 0 || row >= static_cast<int>(a_data_->inputs.size())) {
      input_text_->clear();
      return;
    }
    input_text_->setPlainText(
        QString::fromStdString(a_data_->inputs[static_cast<std::size_t>(row)].second));
  });
}

void OverviewPage::set_runs(RunSelection a, RunSelection b) {
  a_ = std::move(a);
  b_ = std::move(b);
  a_data_.reset();
  b_data_.reset();
  error_.clear();
  if (!a_) return;
  header_->setText(tr("Loading %1\u2026").arg(QString::fromStdString(a_.label())));
  int generation = ++generation_;
  RunSelection ra = a_, rb = b_;
  struct Result {
    std::optional<Overview> a, b;
    std::string error;
  };
  run_async(
      this,
      [ra, rb]() {
        Result out;
        auto load = [&out](const RunSelection& sel) -> std::optional<Overview> {
          auto o = sel.source->with_reader(
              [&](const results::Reader& r) { return load_overview(r, sel.run_id, &out.error); },
              &out.error);
          return o ? *o : std::nullopt;
        };
        out.a = load(ra);
        if (rb) out.b = load(rb);
        return out;
      },
      [this, generation](Result result) {
        if (generation != generation_) return;
        a_data_ = std::move(result.a);
        b_data_ = std::move(result.b);
        error_ = QString::fromStdString(result.error);
        rebuild();
        emit loaded();
      });
}

void OverviewPage::rebuild() {
  if (!a_data_) {
    header_->setText(tr("Cannot read %1: %2").arg(QString::fromStdString(a_.label()), error_));
    return;
  }
  QString text = run_text(a_, *a_data_);
  if (b_data_) text += "<br>" + run_text(b_, *b_data_);
  header_->setText(text);
  std::vector<std::pair<QString, const std::vector<OverviewRow>*>> clients{
      {"A", &a_data_->client_requests}};
  std::vector<std::pair<QString, const std::vector<OverviewRow>*>> hops{{"A", &a_data_->hops}};
  if (b_data_) {
    clients.emplace_back("B", &b_data_->client_requests);
    hops.emplace_back("B", &b_data_->hops);
  }
  fill(client_table_, clients);
  fill(hop_table_, hops);
  // The run column only says something when comparing.
  client_table_->setColumnHidden(0, !b_data_);
  hop_table_->setColumnHidden(0, !b_data_);
  inputs_->clear();
  for (const auto& [path, content] : a_data_->inputs)
    inputs_->addItem(QString::fromStdString(path));
  if (inputs_->count() > 0) inputs_->setCurrentRow(0);
}

}  // namespace meshtwin::gui
