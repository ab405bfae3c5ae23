#include "gui/overview_page.h"

#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "gui/async.h"
#include "gui/palette.h"

namespace meshtwin::gui {

namespace {

// What each kind in the `events` table means, for the events line's tooltip.
QString event_help(const std::string& kind) {
  static const std::map<std::string, const char*> help = {
      {"config_applied", "a proxy applied a configuration push (one event per proxy per push: "
                         "every sidecar and gateway at t=0, and again after each change)"},
      {"pod_started", "a pod was created by a configuration change (a rollout, a scale-up)"},
      {"pod_ready", "a pod passed readiness and joined its service's endpoints"},
      {"pod_killed", "a pod was killed (detail: graceful or crash)"},
      {"host_ejected", "outlier detection ejected a host from a caller's cluster"},
      {"host_returned", "an ejected host came back into a caller's cluster"},
      {"overflow_began", "a circuit breaker started rejecting (Envoy flag UO)"},
      {"overflow_ended", "a circuit breaker stopped rejecting"},
      {"rollout_started", "a deployment's template changed and its rollout began"},
      {"rollout_step", "a progressive rollout shifted traffic weights"},
      {"rollout_finished", "a rollout reached its last step"},
      {"proxy_cpu", "one per proxy at the end of the run: the time-weighted busy share of its "
                    "worker threads and its queueing (docs/semantics.md §19.5)"},
      {"rollout_aborted",
       "a rollout's analysis failed and its weights went back to stable (detail: why)"},
  };
  auto it = help.find(kind);
  return it == help.end() ? QObject::tr("a timeline event the viewer has no note for")
                          : QObject::tr(it->second);
}

QString seconds_text(std::int64_t ns) {
  return QString::number(static_cast<double>(ns) / 1e9, 'f', 1) + " s";
}

QString run_text(const QString& tag, const RunSelection& sel, const Overview& o) {
  const auto& r = o.run;
  return QObject::tr(
             "%1<b>%2</b> &nbsp; scenario <b>%3</b> &nbsp; seed %4 &nbsp; duration %5 "
             "(ran to %6) &nbsp; metrics every %7 &nbsp; %8 &nbsp; meshtwin %9, %10 s wall")
      .arg(tag.isEmpty() ? QString() : "<b>(" + tag + ")</b> ",
           QString::fromStdString(sel.label()).toHtmlEscaped(),
           QString::fromStdString(r.scenario).toHtmlEscaped())
      .arg(static_cast<qulonglong>(r.seed))
      .arg(seconds_text(r.sim_duration), seconds_text(r.sim_end), seconds_text(r.metrics_interval),
           QString::fromStdString(r.status), QString::fromStdString(r.meshtwin_version))
      .arg(r.wall_seconds, 0, 'f', 2);
}

QString events_text(const QString& tag, const Overview& o) {
  QString events;
  for (const auto& [kind, n] : o.event_counts) {
    events += QString("%1%2 %3")
                  .arg(events.isEmpty() ? "" : ", ")
                  .arg(n)
                  .arg(QString::fromStdString(kind));
  }
  // The busiest proxies' CPU (the whole list is in `meshtwin report`).
  QString cpu;
  for (std::size_t i = 0; i < o.proxy_cpu.size() && i < 3; ++i)
    cpu += QString("%1%2 %3 %").arg(cpu.isEmpty() ? "" : ", ")
               .arg(QString::fromStdString(o.proxy_cpu[i].first))
               .arg(o.proxy_cpu[i].second * 100, 0, 'f', 1);
  return QObject::tr("%1events: %2%3")
      .arg(tag.isEmpty() ? QString() : "(" + tag + ") ",
           events.isEmpty() ? QObject::tr("none") : events,
           cpu.isEmpty() ? QString() : QObject::tr(" \u2014 busiest proxies' CPU: ") + cpu);
}

// The table's columns; OverviewPage::Column names them for tests.
using Column = OverviewPage::Column;

QTableWidget* make_table(QWidget* parent) {
  auto* t = new QTableWidget(parent);
  struct Head {
    const char* title;
    const char* help;
    int width;
  };
  const Head heads[] = {
      {"run", "(A) is the run shown, (B) the run compared with it", 40},
      {"service", "destination service", 260},
      {"version", "destination version", 60},
      {"requests", "requests counted in this row", 110},
      {"share", "this version's part of its service's requests in the same table and run (the "
                "80/20 of a canary)", 110},
      {"success (2xx\u20133xx)",
       "successRate: responses with codes 200\u2013399. A 404 and code 0 (no response) fail.",
       130},
      {"non-5xx",
       "non5xxRate, the reading of Istio's Grafana dashboards (\"success rate (non-5xx "
       "responses)\"): any response below 500 succeeds, a 404 too; code 0 (no response) fails.",
       130},
      {"p50", "median duration", 100},
      {"p90", "90th percentile duration", 100},
      {"p99", "99th percentile duration", 100},
      {"top codes", "the most frequent response codes, with their counts", 180},
      {"flags", "Envoy response flags, each counted on its own (UH: no healthy upstream, UO: "
                "overflow, UT: upstream timeout, URX: retries exhausted, ...)", 120},
  };
  static_assert(std::size(heads) == static_cast<std::size_t>(Column::Count));
  t->setColumnCount(static_cast<int>(Column::Count));
  for (int i = 0; i < t->columnCount(); ++i) {
    auto* item = new QTableWidgetItem(QObject::tr(heads[i].title));
    item->setToolTip(QObject::tr(heads[i].help));
    t->setHorizontalHeaderItem(i, item);
    t->setColumnWidth(i, heads[i].width);
  }
  t->verticalHeader()->setVisible(false);
  t->verticalHeader()->setDefaultSectionSize(22);
  t->setEditTriggers(QAbstractItemView::NoEditTriggers);
  t->setSelectionBehavior(QAbstractItemView::SelectRows);
  return t;
}

double percent(std::uint64_t part, std::uint64_t whole) {
  return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}
QString percent_text(double p) {
  return QString::number(p, 'f', p < 100 && p > 99.9 ? 3 : 2) + " %";
}
QString signed_text(double v, const QString& text) {
  return (v > 0 ? "+" : v < 0 ? "\u2212" : "\u00b1") + text;
}

// One row's figures, as shown and as compared.
struct Figures {
  double requests = 0, share = 0, success = 0, p50 = 0, p90 = 0, p99 = 0;
  std::optional<double> non5xx;
};

Figures figures(const OverviewRow& row, std::uint64_t service_total) {
  Figures f;
  f.requests = static_cast<double>(row.requests);
  f.share = percent(row.requests, service_total);
  f.success = percent(row.success, row.requests);
  if (row.non5xx) f.non5xx = percent(*row.non5xx, row.requests);
  f.p50 = static_cast<double>(row.p50);
  f.p90 = static_cast<double>(row.p90);
  f.p99 = static_cast<double>(row.p99);
  return f;
}

}  // namespace

void OverviewPage::fill(QTableWidget* t, const std::vector<OverviewRow>& a,
                        const std::vector<OverviewRow>* b) {
  // Per run: each service's total, for the share column; and run A's figures by service and
  // version, for B's deltas.
  auto totals = [](const std::vector<OverviewRow>& rows) {
    std::map<std::string, std::uint64_t> out;
    for (const auto& r : rows) out[r.service] += r.requests;
    return out;
  };
  std::map<std::pair<std::string, std::string>, Figures> a_figures;
  auto a_totals = totals(a);
  for (const auto& r : a) a_figures[{r.service, r.version}] = figures(r, a_totals[r.service]);

  t->setRowCount(static_cast<int>(a.size() + (b ? b->size() : 0)));
  std::vector<bool> has_value(static_cast<std::size_t>(Column::Count), false);
  bool codes_pending = false;  // client rows whose codes are still being read
  int r = 0;
  auto add_rows = [&](const std::vector<OverviewRow>& rows, bool is_b) {
    auto service_totals = totals(rows);
    for (const auto& row : rows) {
      Figures f = figures(row, service_totals[row.service]);
      const Figures* base = nullptr;
      if (is_b) {
        auto it = a_figures.find({row.service, row.version});
        if (it != a_figures.end()) base = &it->second;
      }
      auto set = [&](Column column, const QString& text, std::optional<double> delta = {},
                     const QString& delta_text = {}) {
        QString shown = text;
        auto* item = new QTableWidgetItem();
        if (delta) {
          shown += "  (" + delta_text + ")";
          item->setData(kDeltaRole, *delta);
          item->setToolTip(QObject::tr("(B) \u2212 (A): %1").arg(delta_text));
        }
        item->setText(shown);
        int c = static_cast<int>(column);
        if (c >= static_cast<int>(Column::Requests) && c <= static_cast<int>(Column::P99)) {
          item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        }
        t->setItem(r, c, item);
      };
      auto number_delta = [&](double now, double then, Column c, const QString& value) {
        if (!base) return set(c, value);
        double d = now - then;
        set(c, value, d, signed_text(d, QLocale().toString(std::abs(d), 'f', 0)));
      };
      auto points_delta = [&](double now, std::optional<double> then, Column c,
                              const QString& value) {
        if (!base || !then) return set(c, value);
        double d = now - *then;
        bool zero = std::abs(d) < 0.005;  // "±0 pp", not "−0.00 pp"
        QString size = zero ? "0" : QString::number(std::abs(d), 'f', 2);
        set(c, value, d, signed_text(zero ? 0 : d, size + " pp"));
      };
      auto duration_delta = [&](double now, double then, Column c) {
        QString value = format_duration(now);
        if (!base) return set(c, value);
        double d = now - then;
        set(c, value, d, d == 0 ? signed_text(0, "0") : signed_text(d, format_duration(std::abs(d))));
      };

      set(Column::Run, is_b ? "B" : "A");
      t->item(r, 0)->setToolTip(QString::fromStdString(is_b ? b_.label() : a_.label()));
      set(Column::Service, QString::fromStdString(row.service));
      set(Column::Version, QString::fromStdString(row.version));
      QString requests = QLocale().toString(static_cast<qulonglong>(row.requests));
      if (is_b && !base) requests += QObject::tr("  (only in B)");
      number_delta(f.requests, base ? base->requests : 0, Column::Requests, requests);
      points_delta(f.share, base ? std::optional(base->share) : std::nullopt, Column::Share,
                   percent_text(f.share));
      points_delta(f.success, base ? std::optional(base->success) : std::nullopt,
                   Column::Success, percent_text(f.success));
      if (f.non5xx) {
        points_delta(*f.non5xx, base ? base->non5xx : std::nullopt, Column::Non5xx,
                     percent_text(*f.non5xx));
      } else {
        set(Column::Non5xx, QObject::tr("\u2026"));  // the client codes are still loading
        t->item(r, static_cast<int>(Column::Non5xx))
            ->setToolTip(QObject::tr("reading the client requests' codes"));
      }
      duration_delta(f.p50, base ? base->p50 : 0, Column::P50);
      duration_delta(f.p90, base ? base->p90 : 0, Column::P90);
      duration_delta(f.p99, base ? base->p99 : 0, Column::P99);
      set(Column::Codes, QString::fromStdString(row.codes.empty() ? "-" : row.codes));
      set(Column::Flags, QString::fromStdString(row.flags));
      if (f.success < 99.0)
        t->item(r, static_cast<int>(Column::Success))
            ->setForeground(outcome_color(500).darker(120));
      if (f.non5xx && *f.non5xx < 99.0)
        t->item(r, static_cast<int>(Column::Non5xx))
            ->setForeground(outcome_color(500).darker(120));
      // What an all-zero column would be: no durations, no codes known, no flags.
      if (row.p50) has_value[static_cast<std::size_t>(Column::P50)] = true;
      if (row.p90) has_value[static_cast<std::size_t>(Column::P90)] = true;
      if (row.p99) has_value[static_cast<std::size_t>(Column::P99)] = true;
      if (!row.codes.empty() && row.codes != "-")
        has_value[static_cast<std::size_t>(Column::Codes)] = true;
      if (!row.flags.empty() && row.flags != "-")
        has_value[static_cast<std::size_t>(Column::Flags)] = true;
      if (!row.non5xx) codes_pending = true;
      ++r;
    }
  };
  add_rows(a, false);
  if (b) add_rows(*b, true);
  // Columns with nothing in any row say nothing: hide them (a run without flags has no flags
  // column). The run column only says something when comparing.
  t->setColumnHidden(static_cast<int>(Column::Run), b == nullptr);
  for (Column c : {Column::P50, Column::P90, Column::P99, Column::Codes, Column::Flags}) {
    bool pending = c == Column::Codes && codes_pending;
    t->setColumnHidden(static_cast<int>(c), !has_value[static_cast<std::size_t>(c)] && !pending);
  }
  // Deltas make the cells wider: size every column to what it holds, and let the last one
  // shown take the rest of the width (Qt's stretchLastSection would pick a hidden one).
  t->resizeColumnsToContents();
  int last_shown = -1;
  for (int i = 0; i < t->columnCount(); ++i) {
    t->horizontalHeader()->setSectionResizeMode(i, QHeaderView::Interactive);
    if (!t->isColumnHidden(i)) last_shown = i;
  }
  if (last_shown >= 0) t->horizontalHeader()->setSectionResizeMode(last_shown, QHeaderView::Stretch);
}

OverviewPage::OverviewPage(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  header_ = new QLabel(this);
  header_->setTextFormat(Qt::RichText);
  header_->setWordWrap(true);
  header_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(header_);
  events_ = new QLabel(this);
  events_->setWordWrap(true);
  layout->addWidget(events_);
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
  events_->clear();
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
        load_client_outcomes_later(generation);
      });
}

void OverviewPage::load_client_outcomes_later(int generation) {
  // The client rows' codes need a scan of `requests`: it runs now that the overview is shown,
  // beside the other views' queries, and fills the non-5xx and codes columns when done.
  bool a_pending = a_data_ && a_data_->client_outcomes_pending;
  bool b_pending = b_data_ && b_data_->client_outcomes_pending;
  if (!a_pending && !b_pending) return;
  RunSelection ra = a_pending ? a_ : RunSelection{}, rb = b_pending ? b_ : RunSelection{};
  using Pair = std::pair<std::optional<ClientOutcomes>, std::optional<ClientOutcomes>>;
  run_async(
      this,
      [ra, rb]() {
        auto load = [](const RunSelection& sel) -> std::optional<ClientOutcomes> {
          if (!sel) return std::nullopt;
          std::string error;
          auto o = sel.source->with_reader(
              [&](const results::Reader& r) {
                return load_client_outcomes(r, sel.run_id, &error);
              },
              &error);
          return o ? *o : std::nullopt;
        };
        return Pair{load(ra), load(rb)};
      },
      [this, generation](Pair result) {
        if (generation != generation_) return;
        if (result.first && a_data_) apply_client_outcomes(*a_data_, *result.first);
        if (result.second && b_data_) apply_client_outcomes(*b_data_, *result.second);
        rebuild();
      });
}

void OverviewPage::rebuild() {
  if (!a_data_) {
    header_->setText(tr("Cannot read %1: %2").arg(QString::fromStdString(a_.label()), error_));
    events_->clear();
    return;
  }
  bool comparing = b_data_.has_value();
  QString text = run_text(comparing ? "A" : "", a_, *a_data_);
  if (comparing) text += "<br>" + run_text("B", b_, *b_data_);
  header_->setText(text);
  QString events = events_text(comparing ? "A" : "", *a_data_);
  if (comparing) events += "   " + events_text("B", *b_data_);
  events_->setText(events);
  // Hovering the counts says what each kind of event is.
  std::set<std::string> kinds;
  for (const auto& [kind, n] : a_data_->event_counts) kinds.insert(kind);
  if (comparing)
    for (const auto& [kind, n] : b_data_->event_counts) kinds.insert(kind);
  QString help = tr("Timeline events of the run, by kind (the `events` table; the charts mark "
                    "them):");
  for (const auto& kind : kinds)
    help += "\n" + QString::fromStdString(kind) + ": " + event_help(kind);
  if (kinds.empty()) help += "\n" + tr("none were recorded");
  events_->setToolTip(help);

  fill(client_table_, a_data_->client_requests, comparing ? &b_data_->client_requests : nullptr);
  fill(hop_table_, a_data_->hops, comparing ? &b_data_->hops : nullptr);
  int input_row = inputs_->currentRow();
  inputs_->clear();
  for (const auto& [path, content] : a_data_->inputs)
    inputs_->addItem(QString::fromStdString(path));
  if (inputs_->count() > 0)
    inputs_->setCurrentRow(std::clamp(input_row, 0, inputs_->count() - 1));
}

}  // namespace meshtwin::gui
