#include "gui/main_window.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QImage>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QThread>
#include <QToolBar>
#include <algorithm>
#include <limits>
#include <unordered_map>
#include <vector>

#include "gui/async.h"
#include "gui/charts_page.h"
#include "gui/explorer_page.h"
#include "gui/graph_page.h"
#include "gui/overview_page.h"
#include "gui/sweep_page.h"
#include "gui/sweep_plot.h"

namespace meshtwin::gui {

namespace {

constexpr int kMaxRecent = 8;
constexpr const char* kRecentKey = "recentFiles";

std::optional<std::int64_t> resolve(const DataSource& source, const results::RunRef& ref, QString* error) {
  const std::optional<std::int64_t> run = ref.run;
  if (ref.batch) {
    // FILE.db:bN opens the batch's first replication; the run box lists the others (b N rR).
    for (const auto& r : source.runs())
      if (r.batch_id == ref.batch) return r.run_id;
    if (error)
      *error = QObject::tr("%1 has no batch b%2 (`meshtwin run --replications N` writes one)")
                   .arg(QString::fromStdString(source.path()))
                   .arg(*ref.batch);
    return std::nullopt;
  }
  if (!run) return source.runs().back().run_id;
  if (source.run(*run)) return run;
  QString ids;
  for (const auto& r : source.runs())
    ids += (ids.isEmpty() ? "" : ", ") + QString::number(r.run_id);
  if (error) {
    *error = QObject::tr("%1 has no run %2; its runs are %3")
                 .arg(QString::fromStdString(source.path()))
                 .arg(*run)
                 .arg(ids);
  }
  return std::nullopt;
}

QString run_item_text(const results::RunRow& r) {
  return QObject::tr("run %1 \u00b7 %2 \u00b7 seed %3%4%5")
      .arg(r.run_id)
      .arg(QString::fromStdString(r.scenario))
      .arg(static_cast<qulonglong>(r.seed))
      .arg(r.batch_id ? QString(" \u00b7 b%1 r%2").arg(*r.batch_id).arg(r.replication) : QString())
      .arg(r.status == "complete" ? QString() : " \u00b7 " + QString::fromStdString(r.status));
}

}  // namespace

QImage quantize_256(const QImage& source) {
  // A UI picture is mostly a few flat colours plus antialiasing shades. The palette takes
  // colours by frequency but skips near-duplicates of ones already taken, so that a rare but
  // distinct colour (red text, a thin series line) keeps its own entry; every pixel then maps
  // to its nearest entry. A fifth of the size of a full-colour PNG, without colour shifts.
  QImage image = source.convertToFormat(QImage::Format_RGB32);
  std::unordered_map<QRgb, std::uint32_t> counts;
  for (int y = 0; y < image.height(); ++y) {
    const auto* line = reinterpret_cast<const QRgb*>(image.constScanLine(y));
    for (int x = 0; x < image.width(); ++x) ++counts[line[x] | 0xff000000u];
  }
  std::vector<std::pair<QRgb, std::uint32_t>> by_count(counts.begin(), counts.end());
  std::sort(by_count.begin(), by_count.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  auto distance = [](QRgb a, QRgb b) {
    long dr = qRed(a) - qRed(b), dg = qGreen(a) - qGreen(b), db = qBlue(a) - qBlue(b);
    return 3 * dr * dr + 4 * dg * dg + 2 * db * db;  // rough perceptual weights
  };
  QList<QRgb> table;
  std::vector<bool> taken(by_count.size(), false);
  for (long min_gap : {9L * 24 * 24, 9L * 8 * 8, 0L}) {
    for (std::size_t i = 0; i < by_count.size() && table.size() < 256; ++i) {
      if (taken[i]) continue;
      bool distinct = std::all_of(table.begin(), table.end(),
                                  [&](QRgb t) { return distance(t, by_count[i].first) > min_gap; });
      if (!distinct) continue;
      table.append(by_count[i].first);
      taken[i] = true;
    }
  }
  std::unordered_map<QRgb, uchar> nearest;
  auto index_of = [&](QRgb c) -> uchar {
    auto it = nearest.find(c);
    if (it != nearest.end()) return it->second;
    int best = 0;
    long best_d = std::numeric_limits<long>::max();
    for (int i = 0; i < table.size(); ++i) {
      long d = distance(c, table[i]);
      if (d < best_d) best_d = d, best = i;
    }
    nearest.emplace(c, static_cast<uchar>(best));
    return static_cast<uchar>(best);
  };
  QImage out(image.size(), QImage::Format_Indexed8);
  out.setColorTable(table);
  for (int y = 0; y < image.height(); ++y) {
    const auto* in = reinterpret_cast<const QRgb*>(image.constScanLine(y));
    uchar* dst = out.scanLine(y);
    for (int x = 0; x < image.width(); ++x) dst[x] = index_of(in[x] | 0xff000000u);
  }
  return out;
}

MainWindow::MainWindow(QSettings* settings, QWidget* parent)
    : QMainWindow(parent), settings_(settings) {
  if (!settings_) {
    settings_ = new QSettings();
    own_settings_ = true;
  }
  setWindowTitle("meshtwin-viewer");
  auto* toolbar = addToolBar(tr("Runs"));
  toolbar->setMovable(false);
  run_box_ = new QComboBox(toolbar);
  run_box_->setMinimumContentsLength(36);
  compare_box_ = new QComboBox(toolbar);
  compare_box_->setMinimumContentsLength(36);
  toolbar->addWidget(new QLabel(tr(" Run: "), toolbar));
  toolbar->addWidget(run_box_);
  toolbar->addWidget(new QLabel(tr("  Compare with: "), toolbar));
  toolbar->addWidget(compare_box_);

  tabs_ = new QTabWidget(this);
  overview_ = new OverviewPage(tabs_);
  charts_ = new ChartsPage(tabs_);
  graph_ = new GraphPage(tabs_);
  explorer_ = new ExplorerPage(tabs_);
  tabs_->addTab(overview_, tr("Overview"));
  tabs_->addTab(charts_, tr("Charts"));
  tabs_->addTab(graph_, tr("Service graph"));
  tabs_->addTab(explorer_, tr("Requests"));
  sweep_ = new SweepPage(tabs_);
  tabs_->addTab(sweep_, tr("Sweep"));
  tabs_->setTabEnabled(tabs_->indexOf(sweep_), false);
  setCentralWidget(tabs_);
  build_menus();
  statusBar()->showMessage(tr("Open a results file (File \u2192 Open)."));

  connect(run_box_, &QComboBox::activated, this, &MainWindow::on_run_boxes_changed);
  connect(compare_box_, &QComboBox::activated, this, &MainWindow::on_run_boxes_changed);
  connect(overview_, &OverviewPage::loaded, this, [this] {
    emit overview_loaded();
    if (!rest_pending_) return;
    rest_pending_ = false;
    charts_->set_runs(a_, b_);
    graph_->set_run(a_);
    explorer_->set_run(a_);
  });
  connect(graph_, &GraphPage::edge_activated, this, [this](const GraphEdge& edge) {
    MetricsFilter f;
    f.source_workload = edge.source;
    f.destination_service = edge.service;
    charts_->set_filter(f);
    tabs_->setCurrentWidget(charts_);
    statusBar()->showMessage(
        tr("Charts show %1 \u2192 %2")
            .arg(QString::fromStdString(edge.source), QString::fromStdString(edge.service)));
  });
}

MainWindow::~MainWindow() {
  if (own_settings_) delete settings_;
}

void MainWindow::build_menus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("&Open\u2026"), QKeySequence::Open, this, [this] { choose_file(false); });
  file->addAction(tr("Open for &comparison\u2026"), this, [this] { choose_file(true); });
  recent_menu_ = file->addMenu(tr("Open &recent"));
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, qApp, &QApplication::quit);
  rebuild_recent_menu();
}

void MainWindow::choose_file(bool compare) {
  QString start = a_ ? QFileInfo(QString::fromStdString(a_.source->path())).absolutePath()
                     : QDir::currentPath();
  QString path = QFileDialog::getOpenFileName(
      this, compare ? tr("Open a run to compare") : tr("Open results file"), start,
      tr("meshtwin results (*.db);;All files (*)"));
  if (path.isEmpty()) return;
  QString error;
  bool ok = compare ? open_compare(path, &error) : open(path, &error);
  if (!ok) QMessageBox::warning(this, tr("Cannot open"), error);
}

QStringList MainWindow::recent_files() const { return settings_->value(kRecentKey).toStringList(); }

void MainWindow::add_recent(const QString& path) {
  QStringList list = recent_files();
  QString absolute = QFileInfo(path).absoluteFilePath();
  list.removeAll(absolute);
  list.prepend(absolute);
  while (list.size() > kMaxRecent) list.removeLast();
  settings_->setValue(kRecentKey, list);
  settings_->sync();
  rebuild_recent_menu();
}

void MainWindow::rebuild_recent_menu() {
  recent_menu_->clear();
  const QStringList list = recent_files();
  for (const QString& path : list) {
    recent_menu_->addAction(path, this, [this, path] {
      QString error;
      if (!open(path, &error)) QMessageBox::warning(this, tr("Cannot open"), error);
    });
  }
  if (list.isEmpty()) {
    recent_menu_->addAction(tr("(none)"))->setEnabled(false);
  } else {
    recent_menu_->addSeparator();
    recent_menu_->addAction(tr("Clear"), this, [this] {
      settings_->remove(kRecentKey);
      rebuild_recent_menu();
    });
  }
}

bool MainWindow::open(const QString& ref, QString* error) {
  results::RunRef parsed = results::parse_run_ref(ref.toStdString());
  std::string why;
  auto source = DataSource::open(parsed.path, &why);
  if (!source) {
    if (error) *error = QString::fromStdString(why);
    return false;
  }
  // The sweep to plot: the one named, or the one the file's latest runs belong to.
  std::optional<std::int64_t> sweep_id = parsed.sweep;
  if (sweep_id) {
    auto last_batch = source->with_reader(
        [&](const results::Reader& reader) -> std::optional<std::int64_t> {
          auto sweep = reader.sweep(*sweep_id, &why);
          if (sweep && sweep->done.empty()) why = "sweep s" + std::to_string(*sweep_id) + " has no point yet";
          if (!sweep || sweep->done.empty()) return std::nullopt;
          return sweep->done.back().batch_id;
        },
        &why);
    if (!last_batch || !*last_batch) {
      if (error) *error = QString::fromStdString(why);
      return false;
    }
    parsed.batch = **last_batch;
  } else if (auto latest = source->with_reader([](const results::Reader& r) { return latest_sweep(r); }, &why)) {
    sweep_id = *latest;
  }
  auto run = resolve(*source, parsed, error);
  if (!run) return false;
  source_a_ = source;
  a_ = {source, *run};
  // A comparison against another file stays; one within the old file goes with it.
  if (b_ && b_.source != source_b_) b_ = {};
  add_recent(QString::fromStdString(parsed.path));
  setWindowTitle(QString("meshtwin-viewer \u2014 %1").arg(QString::fromStdString(a_.label())));
  fill_run_boxes();
  apply_runs();
  tabs_->setTabEnabled(tabs_->indexOf(sweep_), sweep_id.has_value());
  if (sweep_id) {
    sweep_->set_sweep(source, *sweep_id);
    tabs_->setCurrentWidget(sweep_);
  } else {
    sweep_->clear();
    if (tabs_->currentWidget() == sweep_) tabs_->setCurrentWidget(overview_);
  }
  return true;
}

bool MainWindow::open_compare(const QString& ref, QString* error) {
  if (ref.isEmpty()) {
    b_ = {};
    fill_run_boxes();
    apply_runs();
    return true;
  }
  results::RunRef parsed = results::parse_run_ref(ref.toStdString());
  std::shared_ptr<DataSource> source;
  if (source_a_ && QFileInfo(QString::fromStdString(parsed.path)) ==
                       QFileInfo(QString::fromStdString(source_a_->path()))) {
    source = source_a_;
  } else {
    std::string why;
    source = DataSource::open(parsed.path, &why);
    if (!source) {
      if (error) *error = QString::fromStdString(why);
      return false;
    }
    source_b_ = source;
  }
  auto run = resolve(*source, parsed, error);
  if (!run) return false;
  b_ = {source, *run};
  if (!a_) a_ = b_;
  fill_run_boxes();
  apply_runs();
  return true;
}

void MainWindow::fill_run_boxes() {
  filling_boxes_ = true;
  run_box_->clear();
  compare_box_->clear();
  compare_box_->addItem(tr("(no comparison)"), QString());
  if (source_a_) {
    for (const auto& r : source_a_->runs()) {
      run_box_->addItem(run_item_text(r), static_cast<qlonglong>(r.run_id));
      compare_box_->addItem(run_item_text(r), QString("A:%1").arg(r.run_id));
    }
    run_box_->setCurrentIndex(run_box_->findData(static_cast<qlonglong>(a_.run_id)));
  }
  if (source_b_ && source_b_ != source_a_) {
    QString name = QFileInfo(QString::fromStdString(source_b_->path())).fileName();
    for (const auto& r : source_b_->runs()) {
      compare_box_->addItem(name + " " + run_item_text(r), QString("B:%1").arg(r.run_id));
    }
  }
  if (b_) {
    QString key = QString("%1:%2").arg(b_.source == source_a_ ? "A" : "B").arg(b_.run_id);
    compare_box_->setCurrentIndex(std::max(0, compare_box_->findData(key)));
  }
  filling_boxes_ = false;
}

void MainWindow::on_run_boxes_changed() {
  if (filling_boxes_ || !source_a_) return;
  a_ = {source_a_, run_box_->currentData().toLongLong()};
  QString key = compare_box_->currentData().toString();
  if (key.isEmpty()) {
    b_ = {};
  } else {
    auto source = key.startsWith("A:") ? source_a_ : source_b_;
    b_ = {source, key.mid(2).toLongLong()};
  }
  apply_runs();
}

void MainWindow::apply_runs() {
  if (!a_) return;
  // The overview first, alone: it is what a user sees on opening, and on a big file the
  // other views' queries (an explorer count scans every request) would compete for the
  // worker threads and the disk. They start as soon as the overview is shown.
  rest_pending_ = true;
  overview_->set_runs(a_, b_);
  QString msg = QString::fromStdString(a_.label());
  if (b_) msg += tr(" compared with %1").arg(QString::fromStdString(b_.label()));
  statusBar()->showMessage(msg);
}

bool MainWindow::wait_until_loaded(int timeout_ms) {
  QElapsedTimer clock;
  clock.start();
  while (clock.elapsed() < timeout_ms) {
    QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    if (pending_queries() == 0) {
      // Delivering a result may start the next query (a page, a waterfall): look once more.
      QCoreApplication::processEvents();
      if (pending_queries() == 0) return true;
    }
    QThread::msleep(2);
  }
  return false;
}

bool MainWindow::save_screenshots(const QString& dir, QStringList* written, QString* error) {
  if (!QDir().mkpath(dir)) {
    if (error) *error = tr("cannot create %1").arg(dir);
    return false;
  }
  const char* names[] = {"overview", "charts", "graph", "requests", "sweep"};
  for (int i = 0; i < tabs_->count() && i < 5; ++i) {
    if (!tabs_->isTabEnabled(i)) continue;  // the Sweep tab without a sweep
    tabs_->setCurrentIndex(i);
    if (!wait_until_loaded(600'000)) {
      if (error) *error = tr("timed out waiting for the %1 view to load").arg(names[i]);
      return false;
    }
    QString path = QDir(dir).filePath(QString(names[i]) + ".png");
    if (!quantize_256(grab().toImage()).save(path)) {
      if (error) *error = tr("cannot write %1").arg(path);
      return false;
    }
    if (written) written->append(path);
  }
  tabs_->setCurrentIndex(0);
  return true;
}

}  // namespace meshtwin::gui
