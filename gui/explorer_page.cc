#include "gui/explorer_page.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleValidator>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QIntValidator>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>
#include <cmath>

#include "gui/async.h"
#include "gui/request_model.h"
#include "gui/waterfall_view.h"

namespace meshtwin::gui {

namespace {

// The Envoy flags a simulated request can carry (docs/semantics.md §14), most common first.
const char* const kFlags[] = {"UH", "UF", "UO", "URX", "UT",    "DC",  "NR",  "NC", "UC",
                              "LR", "FI", "DI", "RL",  "UMSDR", "UPE", "DPE", "SI", "OM"};

void set_combo_items(QComboBox* box, const std::vector<std::string>& values, QString keep) {
  box->clear();
  box->addItem(QObject::tr("any"), QString());
  for (const auto& v : values) {
    box->addItem(QString::fromStdString(v), QString::fromStdString(v));
  }
  int i = box->findData(keep);
  box->setCurrentIndex(i < 0 ? 0 : i);
}

}  // namespace

ExplorerPage::ExplorerPage(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  auto* filters = new QHBoxLayout();
  code_ = new QLineEdit(this);
  code_->setPlaceholderText(tr("code"));
  code_->setValidator(new QIntValidator(0, 999, code_));
  code_->setMaximumWidth(60);
  code_->setMinimumWidth(50);
  errors_ = new QCheckBox(tr("errors"), this);
  errors_->setToolTip(tr("codes outside 200-399 (0: no response)"));
  flag_ = new QComboBox(this);
  flag_->addItem(tr("any flag"), QString());
  flag_->addItem(tr("no flag (-)"), QString("-"));
  for (const char* f : kFlags) flag_->addItem(f, QString(f));
  service_ = new QComboBox(this);
  service_->setMinimumContentsLength(16);
  version_ = new QComboBox(this);
  min_ms_ = new QLineEdit(this);
  max_ms_ = new QLineEdit(this);
  for (QLineEdit* e : {min_ms_, max_ms_}) {
    e->setValidator(new QDoubleValidator(0, 1e12, 3, e));
    e->setMaximumWidth(80);
  }
  min_ms_->setPlaceholderText(tr("min ms"));
  max_ms_->setPlaceholderText(tr("max ms"));
  min_tries_ = new QSpinBox(this);
  min_tries_->setRange(1, 100);
  min_tries_->setPrefix(tr("tries \u2265 "));
  min_tries_->setToolTip(tr("Envoy tries at the first proxy; 2 or more: retried"));
  degraded_ = new QCheckBox(tr("degraded"), this);
  degraded_->setToolTip(tr("a downstream call failed and was absorbed (onFailure: continue)"));
  with_spans_ = new QCheckBox(tr("with spans"), this);
  with_spans_->setToolTip(tr("only requests whose spans were sampled (record.spans)"));
  auto* apply_button = new QPushButton(tr("Apply"), this);
  count_ = new QLabel(this);
  filters->addWidget(new QLabel(tr("Status:"), this));
  filters->addWidget(code_);
  filters->addWidget(errors_);
  filters->addWidget(flag_);
  filters->addWidget(new QLabel(tr("Service:"), this));
  filters->addWidget(service_);
  filters->addWidget(new QLabel(tr("Version:"), this));
  filters->addWidget(version_);
  filters->addWidget(new QLabel(tr("Latency:"), this));
  filters->addWidget(min_ms_);
  filters->addWidget(max_ms_);
  filters->addWidget(min_tries_);
  filters->addWidget(degraded_);
  filters->addWidget(with_spans_);
  filters->addWidget(apply_button);
  filters->addStretch(1);
  filters->addWidget(count_);
  layout->addLayout(filters);

  model_ = new RequestTableModel(this);
  table_ = new QTableView(this);
  table_->setModel(model_);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->verticalHeader()->setVisible(false);
  table_->verticalHeader()->setDefaultSectionSize(22);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->setAlternatingRowColors(true);
  table_->setWordWrap(false);
  const int widths[] = {70, 80, 80, 50, 70, 45, 90, 60, 110, 80, 220, 190, 70};
  for (int i = 0; i < RequestTableModel::ColumnCount; ++i) table_->setColumnWidth(i, widths[i]);

  waterfall_ = new WaterfallView(this);
  auto* scroll = new QScrollArea(this);
  scroll->setWidget(waterfall_);
  scroll->setWidgetResizable(true);
  auto* split = new QSplitter(Qt::Vertical, this);
  split->addWidget(table_);
  split->addWidget(scroll);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  layout->addWidget(split, 1);

  connect(apply_button, &QPushButton::clicked, this, &ExplorerPage::apply);
  connect(min_tries_, &QSpinBox::editingFinished, this, &ExplorerPage::apply);
  for (QLineEdit* e : {code_, min_ms_, max_ms_}) {
    connect(e, &QLineEdit::returnPressed, this, &ExplorerPage::apply);
  }
  for (QCheckBox* c : {errors_, degraded_, with_spans_})
    connect(c, &QCheckBox::toggled, this, &ExplorerPage::apply);
  for (QComboBox* b : {flag_, service_, version_}) {
    connect(b, &QComboBox::activated, this, &ExplorerPage::apply);
  }
  connect(model_, &RequestTableModel::total_changed, this, &ExplorerPage::update_count);
  connect(model_, &RequestTableModel::page_loaded, this, [this] {
    update_count();
    // Show something at once: the first request's waterfall.
    if (!shown_ && model_->rowCount() > 0) select_row(0);
  });
  connect(model_, &RequestTableModel::failed, this,
          [this](const QString& message) { count_->setText(tr("Error: %1").arg(message)); });
  connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          [this](const QModelIndex& current) {
            if (const auto* row = model_->row_at(current.row())) show_request(row->request_id);
          });
}

void ExplorerPage::set_run(RunSelection run) {
  run_ = std::move(run);
  shown_.reset();
  waterfall_->set_detail(std::nullopt);
  if (!run_) return;
  RunSelection sel = run_;
  run_async(
      this,
      [sel] {
        std::string error;
        auto labels = sel.source->with_reader(
            [&](const results::Reader& r) { return load_labels(r, sel.run_id, &error); }, &error);
        return labels && *labels ? **labels : Labels{};
      },
      [this](Labels labels) {
        set_combo_items(service_, labels.destination_services, service_->currentData().toString());
        set_combo_items(version_, labels.destination_versions, version_->currentData().toString());
      });
  apply();
}

RequestFilter ExplorerPage::filter_from_inputs(QString* problem) const {
  RequestFilter f;
  if (!code_->text().trimmed().isEmpty()) f.code = code_->text().trimmed().toInt();
  f.errors_only = errors_->isChecked();
  f.flag = flag_->currentData().toString().toStdString();
  f.destination_service = service_->currentData().toString().toStdString();
  f.destination_version = version_->currentData().toString().toStdString();
  auto ms = [&](QLineEdit* e) -> std::optional<std::int64_t> {
    if (e->text().trimmed().isEmpty()) return std::nullopt;
    bool ok = false;
    double v = QLocale().toDouble(e->text().trimmed(), &ok);
    if (!ok) v = e->text().trimmed().toDouble(&ok);
    if (!ok || v < 0) {
      if (problem) *problem = tr("latency must be a number of milliseconds");
      return std::nullopt;
    }
    return static_cast<std::int64_t>(std::llround(v * 1e6));
  };
  f.min_duration = ms(min_ms_);
  f.max_duration = ms(max_ms_);
  if (min_tries_->value() > 1) f.min_attempts = min_tries_->value();
  f.degraded_only = degraded_->isChecked();
  f.with_spans_only = with_spans_->isChecked();
  return f;
}

void ExplorerPage::set_filter(const RequestFilter& f) {
  QSignalBlocker b1(errors_), b2(min_tries_), b3(degraded_), b4(with_spans_);
  code_->setText(f.code ? QString::number(*f.code) : QString());
  errors_->setChecked(f.errors_only);
  auto pick = [](QComboBox* box, const std::string& value) {
    int i = box->findData(QString::fromStdString(value));
    if (i < 0) {
      box->addItem(QString::fromStdString(value), QString::fromStdString(value));
      i = box->count() - 1;
    }
    box->setCurrentIndex(i);
  };
  pick(flag_, f.flag);
  pick(service_, f.destination_service);
  pick(version_, f.destination_version);
  min_ms_->setText(f.min_duration ? QString::number(static_cast<double>(*f.min_duration) / 1e6)
                                  : QString());
  max_ms_->setText(f.max_duration ? QString::number(static_cast<double>(*f.max_duration) / 1e6)
                                  : QString());
  min_tries_->setValue(f.min_attempts.value_or(1));
  degraded_->setChecked(f.degraded_only);
  with_spans_->setChecked(f.with_spans_only);
  apply();
}

void ExplorerPage::apply() {
  if (!run_) return;
  QString problem;
  RequestFilter f = filter_from_inputs(&problem);
  if (!problem.isEmpty()) {
    count_->setText(problem);
    return;
  }
  shown_.reset();
  count_->setText(tr("counting\u2026"));
  model_->set_query(run_, f);
}

void ExplorerPage::update_count() {
  if (!model_->total()) {
    count_->setText(tr("%1 shown, counting\u2026").arg(model_->rowCount()));
    return;
  }
  count_->setText(tr("%1 matching requests (%2 loaded)")
                      .arg(QLocale().toString(static_cast<qulonglong>(*model_->total())))
                      .arg(model_->rowCount()));
}

void ExplorerPage::select_row(int row) {
  if (row < 0 || row >= model_->rowCount()) return;
  table_->selectRow(row);
  table_->setCurrentIndex(model_->index(row, 0));
  if (const auto* r = model_->row_at(row)) {
    if (shown_ != r->request_id) show_request(r->request_id);
  }
}

void ExplorerPage::show_request(std::uint64_t request_id) {
  if (!run_) return;
  shown_ = request_id;
  int generation = ++detail_generation_;
  RunSelection sel = run_;
  using Result = std::pair<std::optional<RequestDetail>, std::string>;
  run_async(
      this,
      [sel, request_id]() -> Result {
        std::string error;
        auto d = sel.source->with_reader(
            [&](const results::Reader& r) {
              return load_request_detail(r, sel.run_id, request_id, &error);
            },
            &error);
        return {d ? *d : std::nullopt, error};
      },
      [this, generation](Result result) {
        if (generation != detail_generation_) return;
        waterfall_->set_detail(std::move(result.first), QString::fromStdString(result.second));
        emit detail_loaded();
      });
}

}  // namespace meshtwin::gui
