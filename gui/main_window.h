// meshtwin-viewer's window: File → Open (and Open for comparison, recent files), the run to
// show and an optional run to compare it with (from the same file or another), and the four
// views as tabs: Overview, Charts, Service graph, Requests, and Sweep when the file holds one.
#pragma once

#include <QMainWindow>
#include <QStringList>

#include "gui/data_source.h"

class QComboBox;
class QImage;
class QMenu;
class QSettings;
class QTabWidget;

namespace meshtwin::gui {

class ChartsPage;
class ExplorerPage;
class GraphPage;
class OverviewPage;
class SweepPage;

// The picture with at most 256 colours (the most frequent ones), for small PNGs.
QImage quantize_256(const QImage& image);

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  // Recent files live in `settings` (the application's QSettings when null).
  explicit MainWindow(QSettings* settings = nullptr, QWidget* parent = nullptr);
  ~MainWindow() override;

  // `FILE.db[:RUN]`, the latest run without `:RUN`; `FILE.db:bN` a batch's first replication;
  // `FILE.db:sN` a sweep: the Sweep tab plots it (as it does when the file's latest runs are a
  // sweep's) and the other views show its last point's first replication. false and a
  // sentence on error.
  bool open(const QString& ref, QString* error);
  // The run to compare with: `FILE.db[:RUN]` (the open file's runs too); empty for none.
  bool open_compare(const QString& ref, QString* error);

  const RunSelection& run_a() const { return a_; }
  const RunSelection& run_b() const { return b_; }
  QStringList recent_files() const;

  OverviewPage* overview_page() const { return overview_; }
  ChartsPage* charts_page() const { return charts_; }
  GraphPage* graph_page() const { return graph_; }
  ExplorerPage* explorer_page() const { return explorer_; }
  SweepPage* sweep_page() const { return sweep_; }
  QTabWidget* tabs() const { return tabs_; }

  // Processes events until no query is pending (true) or the time is up (false).
  bool wait_until_loaded(int timeout_ms);
  // Renders every view to DIR/{overview,charts,graph,requests}.png, and sweep.png when the
  // Sweep tab shows a sweep (DIR is created).
  bool save_screenshots(const QString& dir, QStringList* written, QString* error);

 signals:
  void overview_loaded();

 private:
  void build_menus();
  void rebuild_recent_menu();
  void add_recent(const QString& path);
  void fill_run_boxes();
  void on_run_boxes_changed();
  void apply_runs();
  void choose_file(bool compare);

  QSettings* settings_;
  bool own_settings_ = false;
  std::shared_ptr<DataSource> source_a_, source_b_;
  RunSelection a_, b_;
  bool filling_boxes_ = false;
  bool rest_pending_ = false;  // the views other than the overview wait for it
  QComboBox* run_box_ = nullptr;
  QComboBox* compare_box_ = nullptr;
  QMenu* recent_menu_ = nullptr;
  QTabWidget* tabs_ = nullptr;
  OverviewPage* overview_ = nullptr;
  ChartsPage* charts_ = nullptr;
  GraphPage* graph_ = nullptr;
  ExplorerPage* explorer_ = nullptr;
  SweepPage* sweep_ = nullptr;
};

}  // namespace meshtwin::gui
