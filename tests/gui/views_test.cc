// The viewer's window offscreen, against simulated results files: what the widgets hold
// (series points, graph items, table rows, waterfall rows), not only that they open.

#include <gtest/gtest.h>

#include <QAreaSeries>
#include <QChart>
#include <QFileInfo>
#include <QGraphicsView>
#include <QLineSeries>
#include <QSettings>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QLabel>
#include <QLegend>
#include <QLegendMarker>
#include <QTemporaryDir>
#include <QWheelEvent>
#include <QtTest/QTest>
#include <QCategoryAxis>
#include <QComboBox>
#include <QValueAxis>
#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include "gui/async.h"
#include "gui/chart_view.h"
#include "gui/charts_page.h"
#include "gui/explorer_page.h"
#include "gui/graph_page.h"
#include "gui/main_window.h"
#include "gui/overview_page.h"
#include "gui/sweep_page.h"
#include "gui/sweep_plot.h"
#include "results/batch.h"
#include "gui/request_model.h"
#include "gui/waterfall_view.h"
#include "gui_fixture.h"

namespace meshtwin::gui {
namespace {

using testing::fixture;
using testing::kReviews;
using testing::sql_int;

class ViewsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fixture().error.empty()) << fixture().error;
    ASSERT_TRUE(settings_dir_.isValid());
    settings_ =
        std::make_unique<QSettings>(settings_dir_.filePath("viewer.ini"), QSettings::IniFormat);
    window_ = std::make_unique<MainWindow>(settings_.get());
    window_->resize(1440, 900);
    window_->show();
  }
  void TearDown() override {
    if (window_) window_->wait_until_loaded(60'000);
    window_.reset();
  }
  void open(const QString& ref) {
    QString error;
    ASSERT_TRUE(window_->open(ref, &error)) << error.toStdString();
    ASSERT_TRUE(window_->wait_until_loaded(120'000));
  }
  void compare_with(const QString& ref) {
    QString error;
    ASSERT_TRUE(window_->open_compare(ref, &error)) << error.toStdString();
  }
  // The charts on productpage's calls to reviews: the canary view.
  ChartsPage* charts_on_reviews() {
    MetricsFilter f;
    f.source_workload = "productpage-v1";
    f.destination_service = kReviews;
    window_->charts_page()->set_filter(f);
    return window_->charts_page();
  }
  static QString ref(const std::string& path, int run) {
    return QString::fromStdString(path) + ":" + QString::number(run);
  }

  QTemporaryDir settings_dir_;
  std::unique_ptr<QSettings> settings_;
  std::unique_ptr<MainWindow> window_;
};

std::map<QString, QAreaSeries*> areas(QChart* chart) {
  std::map<QString, QAreaSeries*> out;
  for (QAbstractSeries* s : chart->series()) {
    if (auto* a = qobject_cast<QAreaSeries*>(s)) out[a->name()] = a;
  }
  return out;
}

TEST_F(ViewsTest, StackedAreaHoldsThe80To20SharePerWindow_Sem3_3) {
  open(ref(fixture().bookinfo_db, 1));
  ChartsPage* charts = window_->charts_page();
  MetricsFilter f;
  f.source_workload = "productpage-v1";
  f.destination_service = kReviews;
  charts->set_window_factor(5);
  charts->set_filter(f);
  ASSERT_TRUE(window_->wait_until_loaded(60'000));
  auto series = areas(charts->chart(ChartKind::Traffic));
  ASSERT_EQ(series.size(), 2u);
  ASSERT_TRUE(series.count("v1") && series.count("v2"));
  const auto v1_lo = series["v1"]->lowerSeries()->points(),
             v1_hi = series["v1"]->upperSeries()->points();
  const auto v2_lo = series["v2"]->lowerSeries()->points(),
             v2_hi = series["v2"]->upperSeries()->points();
  ASSERT_EQ(v1_hi.size(), v2_hi.size());
  ASSERT_GE(v1_hi.size(), 4);
  const WindowSeries& traffic = *charts->data(false)->traffic;
  ASSERT_EQ(static_cast<std::size_t>(v1_hi.size()), traffic.windows);
  int checked = 0;
  double total = 0;
  for (qsizetype i = 0; i < v1_hi.size(); ++i) {
    auto w = static_cast<std::size_t>(i);
    EXPECT_DOUBLE_EQ(v1_lo[i].y(), 0.0);
    EXPECT_DOUBLE_EQ(v2_lo[i].y(), v1_hi[i].y()) << "v2 stacks on v1";
    // Full windows at their centres; the last one, which the drain's few ms joined, in the
    // middle of what it covers.
    double length = static_cast<double>(traffic.length_of(w)) / 1e9;
    EXPECT_DOUBLE_EQ(length, i + 1 < v1_hi.size() ? 5.0 : traffic.end_seconds() - 5.0 * i);
    EXPECT_DOUBLE_EQ(v1_hi[i].x(), 5.0 * static_cast<double>(i) + length / 2);
    double v1 = v1_hi[i].y(), v2 = v2_hi[i].y() - v2_lo[i].y();
    total += (v1 + v2) * length;
    EXPECT_NEAR(v1 / (v1 + v2), 0.8, 0.06) << "window " << i;
    ++checked;
  }
  EXPECT_GE(checked, 4);
  // Rates times what each point covers give back every request the metrics hold.
  std::int64_t requests =
      sql_int(fixture().bookinfo_db,
              "SELECT sum(requests) FROM metrics WHERE run_id = 1 AND reporter = 'source' AND "
              "source_workload = 'productpage-v1' AND destination_service = ?",
              {std::string(kReviews)});
  EXPECT_NEAR(total, static_cast<double>(requests), 0.5);
  // Every chart carries the run's timeline markers (7 config_applied at t=0, merged; the
  // end-of-run proxy_cpu summaries are not markers).
  const auto& markers = charts->chart_view(ChartKind::Latency)->markers();
  ASSERT_EQ(markers.size(), 1u);
  EXPECT_TRUE(markers[0].label.startsWith("config_applied"));
  EXPECT_TRUE(markers[0].label.contains(QString::number(
      sql_int(fixture().bookinfo_db, "SELECT count(*) FROM events WHERE run_id = 1 AND kind <> 'proxy_cpu'"))));
}

TEST_F(ViewsTest, ComparedRunIsOverlaidDashed) {
  open(ref(fixture().bookinfo_db, 1));
  compare_with(ref(fixture().bookinfo_db, 2));
  ChartsPage* charts = charts_on_reviews();
  ASSERT_TRUE(window_->wait_until_loaded(60'000));
  std::map<QString, QLineSeries*> dashed;
  for (QAbstractSeries* s : charts->chart(ChartKind::Traffic)->series()) {
    auto* line = qobject_cast<QLineSeries*>(s);
    if (line && line->pen().style() == Qt::DashLine) dashed[line->name()] = line;
  }
  // Run 2 is reviews-50-v3: its stack is v1 then v3, and v3's top is the whole rate.
  ASSERT_EQ(dashed.size(), 2u);
  ASSERT_TRUE(dashed.count("v1 (B)") && dashed.count("v3 (B)"));
  const auto v1 = dashed["v1 (B)"]->points(), v3 = dashed["v3 (B)"]->points();
  double s1 = 0, s3 = 0;
  for (qsizetype i = 0; i < v1.size(); ++i) {
    s1 += v1[i].y();
    s3 += v3[i].y();
  }
  EXPECT_NEAR(s1 / s3, 0.5, 0.03);
  // The overview lists both runs.
  const auto& b = window_->overview_page()->overview(true);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->run.scenario, "bookinfo-reviews-50-v3");
  EXPECT_FALSE(window_->overview_page()->hop_table()->isColumnHidden(0));
}

TEST_F(ViewsTest, GraphShowsBookinfoAndAClickOnAnEdgeFiltersTheCharts) {
  open(ref(fixture().bookinfo_db, 1));
  GraphPage* graph = window_->graph_page();
  window_->tabs()->setCurrentWidget(graph);
  ASSERT_TRUE(window_->wait_until_loaded(60'000));
  ASSERT_TRUE(graph->graph().has_value());
  const GraphData& g = *graph->graph();
  EXPECT_EQ(g.nodes.size(), 6u);
  EXPECT_EQ(g.edges.size(), 5u);
  // Items in the scene: one per node and one per edge.
  EXPECT_EQ(graph->view()->scene()->items().size(), 11);
  auto x = [&](const char* w) { return graph->node_position(w).value_or(QPointF(-1e9, 0)).x(); };
  EXPECT_LT(x("sleep"), x("productpage-v1"));
  EXPECT_LT(x("productpage-v1"), x("reviews-v2"));
  EXPECT_LT(x("reviews-v2"), x("ratings-v1"));
  std::size_t edge = g.edges.size();
  for (std::size_t i = 0; i < g.edges.size(); ++i) {
    if (g.edges[i].source == "productpage-v1" && g.edges[i].target == "reviews-v2") edge = i;
  }
  ASSERT_LT(edge, g.edges.size());
  QTest::mouseClick(graph->view()->viewport(), Qt::LeftButton, {}, graph->edge_click_point(edge));
  EXPECT_EQ(window_->tabs()->currentWidget(), window_->charts_page());
  EXPECT_EQ(window_->charts_page()->filter().source_workload, "productpage-v1");
  EXPECT_EQ(window_->charts_page()->filter().destination_service, kReviews);
  ASSERT_TRUE(window_->wait_until_loaded(60'000));
  auto series = areas(window_->charts_page()->chart(ChartKind::Traffic));
  EXPECT_EQ(series.size(), 2u);  // reviews v1 and v2 only, not every service
  EXPECT_TRUE(series.count("v2"));
}

TEST_F(ViewsTest, ExplorerListsEveryMatchingRowPageByPage) {
  open(ref(fixture().bookinfo_db, 1));
  ExplorerPage* explorer = window_->explorer_page();
  window_->tabs()->setCurrentWidget(explorer);
  RequestFilter f;
  f.code = 200;
  f.destination_version = "v1";
  explorer->set_filter(f);
  ASSERT_TRUE(window_->wait_until_loaded(60'000));
  RequestTableModel* model = explorer->model();
  std::int64_t expected = sql_int(fixture().bookinfo_db,
                                  "SELECT count(*) FROM requests WHERE run_id = 1 AND "
                                  "response_code = 200 AND destination_version = 'v1'");
  ASSERT_GT(expected, RequestTableModel::kPageSize);  // so that paging is exercised
  ASSERT_TRUE(model->total().has_value());
  EXPECT_EQ(static_cast<std::int64_t>(*model->total()), expected);
  while (model->canFetchMore({})) {
    model->fetchMore({});
    ASSERT_TRUE(window_->wait_until_loaded(60'000));
  }
  EXPECT_EQ(model->rowCount(), expected);

  // A narrower filter: a latency range.
  f = {};
  f.min_duration = (30 * engine::kMillisecond).ns();
  f.max_duration = (40 * engine::kMillisecond).ns();
  explorer->set_filter(f);
  ASSERT_TRUE(window_->wait_until_loaded(60'000));
  std::int64_t in_range = sql_int(fixture().bookinfo_db,
                                  "SELECT count(*) FROM requests WHERE run_id = 1 AND duration_ns "
                                  "BETWEEN 30000000 AND 40000000");
  ASSERT_GT(in_range, 0);
  ASSERT_LT(in_range, RequestTableModel::kPageSize);
  EXPECT_EQ(model->rowCount(), in_range);
  EXPECT_EQ(static_cast<std::int64_t>(model->total().value_or(0)), in_range);
  for (int r = 0; r < model->rowCount(); ++r) {
    EXPECT_GE(model->row_at(r)->duration, (30 * engine::kMillisecond).ns());
    EXPECT_LE(model->row_at(r)->duration, (40 * engine::kMillisecond).ns());
  }
}

TEST_F(ViewsTest, WaterfallOfARetriedRequestShowsItsAttempts) {
  open(ref(fixture().retries_db, 1));
  ExplorerPage* explorer = window_->explorer_page();
  window_->tabs()->setCurrentWidget(explorer);
  RequestFilter f;
  f.min_attempts = 3;
  explorer->set_filter(f);
  ASSERT_TRUE(window_->wait_until_loaded(60'000));
  ASSERT_GT(explorer->model()->rowCount(), 0);
  EXPECT_EQ(static_cast<std::int64_t>(explorer->model()->total().value_or(0)),
            sql_int(fixture().retries_db,
                    "SELECT count(*) FROM requests WHERE run_id = 1 AND attempts >= 3"));
  explorer->select_row(0);
  ASSERT_TRUE(window_->wait_until_loaded(60'000));
  const results::RequestRow* row = explorer->model()->row_at(0);
  ASSERT_NE(row, nullptr);
  ASSERT_EQ(explorer->shown_request(), row->request_id);
  const auto& rows = explorer->waterfall()->rows();
  ASSERT_EQ(static_cast<int>(rows.size()), row->attempts);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].attempt, static_cast<int>(i) + 1);
    EXPECT_EQ(rows[i].caller, "client");
    EXPECT_EQ(rows[i].retry, i > 0);
    if (i > 0) {
      EXPECT_GT(rows[i].backoff, 0) << "Envoy waits before retry " << i;
      EXPECT_GE(rows[i].start, rows[i - 1].start + rows[i - 1].duration);
    }
    if (i + 1 < rows.size()) {
      EXPECT_EQ(rows[i].code, 503);
    }
  }
  EXPECT_NE(rows.back().label().find("try " + std::to_string(rows.size())), std::string::npos);
}

TEST_F(ViewsTest, ScreenshotsShowEveryViewAndRecentFilesRemember) {
  open(ref(fixture().bookinfo_db, 1));
  QTemporaryDir dir;
  ASSERT_TRUE(dir.isValid());
  QStringList written;
  QString error;
  ASSERT_TRUE(window_->save_screenshots(dir.path(), &written, &error)) << error.toStdString();
  ASSERT_EQ(written.size(), 4);
  for (const QString& path : written) {
    QImage image(path);
    ASSERT_FALSE(image.isNull()) << path.toStdString();
    EXPECT_EQ(image.width(), window_->width());
    // Not an empty frame: a drawn view has text, lines and fills in many colours.
    std::set<QRgb> colours;
    for (int y = 0; y < image.height(); y += 3) {
      for (int x = 0; x < image.width(); x += 3) colours.insert(image.pixel(x, y));
    }
    EXPECT_GT(colours.size(), 30u) << path.toStdString();
  }
  ASSERT_FALSE(window_->recent_files().isEmpty());
  EXPECT_EQ(window_->recent_files().front(),
            QFileInfo(QString::fromStdString(fixture().bookinfo_db)).absoluteFilePath());
  EXPECT_EQ(settings_->value("recentFiles").toStringList().front(),
            window_->recent_files().front());
}

TEST_F(ViewsTest, OpeningAMissingFileOrRunSaysWhy) {
  QString error;
  EXPECT_FALSE(window_->open("/nonexistent/x.db", &error));
  EXPECT_TRUE(error.contains("does not exist")) << error.toStdString();
  EXPECT_FALSE(window_->open(ref(fixture().bookinfo_db, 9), &error));
  EXPECT_TRUE(error.contains("no run 9")) << error.toStdString();
  EXPECT_FALSE(window_->run_a());
}

// A sweep file as `meshtwin sweep` writes it (the CLI, so the test sees what users open): three
// rates of the M/M/4 pod of tests/capacity/mmc.yaml, listed out of order, 3 replications each.
std::string simulate_sweep(const QTemporaryDir& dir, const std::string& grids) {
  const std::string db = dir.filePath("sweep.db").toStdString();
  const std::string cmd = std::string(MESHTWIN_BINARY_DIR) + "/cli/meshtwin sweep " + MESHTWIN_SOURCE_DIR +
                          "/tests/capacity/mmc.yaml " + grids + " --replications 3 --duration 8s -q -o " + db +
                          " > /dev/null 2>&1";
  return std::system(cmd.c_str()) == 0 ? db : std::string();
}

TEST_F(ViewsTest, SweepTabPlotsAFigureAgainstTheSweptParameterWithIntervals) {
  QTemporaryDir dir;
  const std::string db = simulate_sweep(dir, "--grid 'spec.clients[0].rate.poisson=300,100,200'");
  ASSERT_FALSE(db.empty());
  open(QString::fromStdString(db));  // its latest runs are the sweep's: the Sweep tab shows it
  SweepPage* page = window_->sweep_page();
  ASSERT_EQ(window_->tabs()->currentWidget(), page);
  ASSERT_TRUE(page->has_sweep());
  const SweepPlot& plot = page->plot();
  EXPECT_EQ(plot.parameter, "spec.clients[0].rate.poisson");
  EXPECT_EQ(plot.figure, "p99");
  EXPECT_EQ(plot.y_title, "p99 (ms)");
  ASSERT_EQ(plot.series.size(), 1u);
  const auto& points = plot.series[0].points;
  ASSERT_EQ(points.size(), 3u);
  // Sorted by rate, each the batch report's p99 interval in ms; more load, longer tail.
  std::string error;
  const auto report = results::read_sweep_report(db, 1, &error);
  ASSERT_TRUE(report) << error;
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_DOUBLE_EQ(points[i].x, 100.0 * static_cast<double>(i + 1));
    const auto& point = *std::find_if(report->points.begin(), report->points.end(),
                                      [&](const auto& p) { return p.point.batch_id == points[i].batch_id; });
    EXPECT_EQ(point.point.parameters.front().second, points[i].x_text);
    const auto& p99 = *std::find_if(point.data->clients.begin(), point.data->clients.end(),
                                    [](const auto& f) { return f.name == "p99"; });
    EXPECT_DOUBLE_EQ(points[i].mean, p99.interval.mean / 1e6);
    EXPECT_DOUBLE_EQ(points[i].lo, p99.interval.lo / 1e6);
    EXPECT_DOUBLE_EQ(points[i].hi, p99.interval.hi / 1e6);
    EXPECT_LT(points[i].lo, points[i].hi);
    EXPECT_EQ(points[i].n, 3);
  }
  EXPECT_LT(points[0].mean, points[2].mean);
  // The chart: the mean's line (named in the legend) and an error bar per point (not).
  auto lines = page->chart()->series();
  ASSERT_EQ(lines.size(), 4);
  auto* mean = qobject_cast<QLineSeries*>(lines[0]);
  ASSERT_TRUE(mean);
  ASSERT_EQ(mean->count(), 3);
  EXPECT_DOUBLE_EQ(mean->at(1).y(), points[1].mean);
  int shown = 0;
  for (QLegendMarker* m : page->chart()->legend()->markers()) shown += m->isVisible() ? 1 : 0;
  EXPECT_EQ(shown, 1);
  auto* bar = qobject_cast<QLineSeries*>(lines[2]);
  ASSERT_TRUE(bar);
  double lo = 1e300, hi = -1e300;
  for (const QPointF& p : bar->points()) lo = std::min(lo, p.y()), hi = std::max(hi, p.y());
  EXPECT_DOUBLE_EQ(lo, points[1].lo);
  EXPECT_DOUBLE_EQ(hi, points[1].hi);
  // Any client figure: throughput follows the rate, success rate in %.
  EXPECT_GE(page->figure_box()->findText("qps"), 0);
  page->set_figure("qps");
  EXPECT_EQ(page->plot().y_title, "qps (/s)");
  for (const auto& p : page->plot().series[0].points) EXPECT_NEAR(p.mean, p.x, 0.2 * p.x);
  page->set_figure("successRate");
  for (const auto& p : page->plot().series[0].points) EXPECT_DOUBLE_EQ(p.mean, 100.0);
  // A plain run after the sweep: the file's latest thing is no sweep, so no Sweep tab...
  const std::string run = std::string(MESHTWIN_BINARY_DIR) + "/cli/meshtwin run " + MESHTWIN_SOURCE_DIR +
                          "/tests/capacity/mmc.yaml --duration 6s -q -o " + db + " > /dev/null 2>&1";
  ASSERT_EQ(std::system(run.c_str()), 0);
  open(QString::fromStdString(db));
  EXPECT_FALSE(window_->tabs()->isTabEnabled(window_->tabs()->indexOf(page)));
  EXPECT_FALSE(page->has_sweep());
  // ...until FILE.db:s1 names it.
  open(QString::fromStdString(db + ":s1"));
  EXPECT_TRUE(page->has_sweep());
  EXPECT_EQ(window_->tabs()->currentWidget(), page);
  EXPECT_TRUE(window_->run_a().run()->batch_id.has_value());
  QString why;
  EXPECT_FALSE(window_->open(QString::fromStdString(db + ":s7"), &why));
  EXPECT_TRUE(why.contains("no sweep s7")) << why.toStdString();
}

TEST_F(ViewsTest, SweepOfTwoParametersDrawsALinePerOtherValueAndNamesTextValues) {
  QTemporaryDir dir;
  const std::string db = simulate_sweep(dir, "--grid 'spec.clients[0].rate.poisson=100,200' --grid "
                                             "'spec.apps.details-v1.serviceTime={exponential: {mean: 5ms}},"
                                             "{exponential: {mean: 10ms}}'");
  ASSERT_FALSE(db.empty());
  open(QString::fromStdString(db + ":s1"));
  SweepPage* page = window_->sweep_page();
  ASSERT_EQ(page->plot().series.size(), 2u);  // one line per service time
  EXPECT_EQ(page->plot().series[0].name, "spec.apps.details-v1.serviceTime={exponential: {mean: 5ms}}");
  ASSERT_EQ(page->parameter_box()->count(), 2);
  page->set_parameter("spec.apps.details-v1.serviceTime");
  const SweepPlot& plot = page->plot();
  EXPECT_FALSE(plot.numeric_x);
  ASSERT_EQ(plot.categories.size(), 2u);
  ASSERT_EQ(plot.series.size(), 2u);  // one line per rate
  EXPECT_EQ(plot.series[1].name, "spec.clients[0].rate.poisson=200");
  // Slower service, longer p99, at either rate.
  for (const auto& s : plot.series) {
    ASSERT_EQ(s.points.size(), 2u);
    EXPECT_LT(s.points[0].mean, s.points[1].mean);
  }
  bool labelled = false;
  for (QAbstractAxis* axis : page->chart()->axes(Qt::Horizontal))
    if (auto* c = qobject_cast<QCategoryAxis*>(axis)) labelled = c->categoriesLabels().size() == 2;
  EXPECT_TRUE(labelled);
}

TEST_F(ViewsTest, ChartZoomMovesEveryChartAndResets) {
  open(ref(fixture().bookinfo_db, 1));
  ChartsPage* charts = window_->charts_page();
  window_->tabs()->setCurrentWidget(charts);
  ASSERT_TRUE(window_->wait_until_loaded(60'000));
  ChartView* traffic = charts->chart_view(ChartKind::Traffic);
  auto full = traffic->x_range();
  EXPECT_DOUBLE_EQ(full.first, 0.0);
  EXPECT_GE(full.second, 20.0);
  // Wheel up over the middle of the plot zooms in about the cursor.
  QPointF centre = traffic->chart()->plotArea().center();
  QWheelEvent wheel(centre, traffic->mapToGlobal(centre.toPoint()), {}, {0, 120}, Qt::NoButton,
                    Qt::NoModifier, Qt::NoScrollPhase, false);
  QApplication::sendEvent(traffic->viewport(), &wheel);
  auto zoomed = traffic->x_range();
  EXPECT_GT(zoomed.first, full.first);
  EXPECT_LT(zoomed.second, full.second);
  auto other = charts->chart_view(ChartKind::PodLoad)->x_range();
  EXPECT_DOUBLE_EQ(other.first, zoomed.first);
  EXPECT_DOUBLE_EQ(other.second, zoomed.second);
  // Arrow keys pan; Home resets every chart.
  QTest::keyClick(traffic, Qt::Key_Right);
  EXPECT_GT(traffic->x_range().first, zoomed.first);
  QTest::keyClick(traffic, Qt::Key_Home);
  EXPECT_DOUBLE_EQ(charts->chart_view(ChartKind::ErrorCodes)->x_range().second, full.second);
}

// ------------------------------------------------------------------------------------------
// Issue 10 part 5: viewer defects a user found. Each test below failed before its fix.

std::map<QString, QLineSeries*> lines(QChart* chart) {
  std::map<QString, QLineSeries*> out;
  for (QAbstractSeries* s : chart->series()) {
    if (auto* l = qobject_cast<QLineSeries*>(s)) out[l->name()] = l;
  }
  return out;
}

// "reviews v1" -> "reviews"; "v1" (one destination chosen) -> "".
QString service_of(const QString& series_name) {
  qsizetype space = series_name.indexOf(' ');
  return space < 0 ? QString() : series_name.left(space);
}

TEST_F(ViewsTest, AnyDestinationNeverStacksOneServiceOnAnother) {
  open(ref(fixture().bookinfo_db, 1));
  ChartsPage* charts = window_->charts_page();
  charts->set_window_factor(1);
  charts->set_filter({});  // Source "any", Destination "any"
  ASSERT_TRUE(window_->wait_until_loaded(60'000));
  QChart* chart = charts->chart(ChartKind::Traffic);
  auto stacked = areas(chart);
  // An area may only sit on top of another version of its own service.
  for (const auto& [name, area] : stacked) {
    const auto lower = area->lowerSeries() ? area->lowerSeries()->points() : QList<QPointF>();
    bool on_zero = std::all_of(lower.begin(), lower.end(), [](QPointF p) { return p.y() == 0; });
    if (on_zero) continue;
    bool on_own_service = false;
    for (const auto& [other, below] : stacked) {
      if (other != name && service_of(other) == service_of(name) &&
          below->upperSeries()->points() == lower) {
        on_own_service = true;
      }
    }
    EXPECT_TRUE(on_own_service) << name.toStdString() << " is stacked on another service";
  }
  // Each series is one service and version and holds exactly its requests.
  const WindowSeries& traffic = *charts->data(false)->traffic;
  std::set<QString> services;
  int series_seen = 0;
  for (const auto& [name, line] : lines(chart)) {
    ++series_seen;
    services.insert(service_of(name));
    double total = 0;
    const auto points = line->points();
    for (qsizetype i = 0; i < points.size(); ++i) {
      total += points[i].y() * static_cast<double>(traffic.length_of(static_cast<std::size_t>(i))) /
               1e9;
    }
    std::int64_t expected =
        sql_int(fixture().bookinfo_db,
                "SELECT sum(requests) FROM metrics WHERE run_id = 1 AND reporter = 'source' AND "
                "destination_service LIKE ? || '.%' AND destination_version = ?",
                {service_of(name).toStdString(), name.section(' ', 1).toStdString()});
    EXPECT_NEAR(total, static_cast<double>(expected), 0.5) << name.toStdString();
  }
  EXPECT_EQ(series_seen + static_cast<int>(stacked.size()), 5);  // 4 services, reviews twice
  EXPECT_GE(services.size(), 4u);
  EXPECT_TRUE(chart->title().contains("choose a destination")) << chart->title().toStdString();
}

TEST_F(ViewsTest, LastPartialWindowIsDrawnAtItsRateNotDropped) {
  open(ref(fixture().bookinfo_db, 1));
  ChartsPage* charts = charts_on_reviews();
  // 20 s of traffic (and a few ms of drain) in 3 s points ends with a 2 s point; in 5 s points
  // the drain's few ms would be a point of its own.
  for (int factor : {3, 5}) {
    charts->set_window_factor(factor);
    ASSERT_TRUE(window_->wait_until_loaded(60'000));
    auto stack = areas(charts->chart(ChartKind::Traffic));
    ASSERT_TRUE(stack.count("v2"));
    const auto top = stack["v2"]->upperSeries()->points();  // v2 sits on v1: the total
    ASSERT_GE(top.size(), 4);
    double full = 0;
    for (qsizetype i = 0; i + 1 < top.size(); ++i) full += top[i].y();
    full /= static_cast<double>(top.size() - 1);
    EXPECT_GT(top.back().y(), 0.8 * full) << "factor " << factor << ": the last point dropped";
    EXPECT_LT(top.back().y(), 1.25 * full) << "factor " << factor;
    EXPECT_LE(top.back().x(), charts->data(false)->traffic->end_seconds());
    // Every chart: the per-pod load's last point too.
    for (const auto& [name, line] : lines(charts->chart(ChartKind::PodLoad))) {
      const auto pts = line->points();
      double mean = 0;
      for (qsizetype i = 0; i + 1 < pts.size(); ++i) mean += pts[i].y();
      mean /= static_cast<double>(pts.size() - 1);
      EXPECT_GT(pts.back().y(), 0.7 * mean) << name.toStdString() << " factor " << factor;
    }
  }
}

TEST_F(ViewsTest, ErrorChartsWithNothingToShowFoldIntoOneLine) {
  // The 80/20 run has no errors and no flags (checked, so the test means what it says).
  ASSERT_EQ(sql_int(fixture().bookinfo_db,
                    "SELECT count(*) FROM metrics WHERE run_id = 1 AND reporter = 'source' AND "
                    "(response_code < 200 OR response_code > 399 OR response_flags != '-')"),
            0);
  open(ref(fixture().bookinfo_db, 1));
  ChartsPage* charts = window_->charts_page();
  window_->tabs()->setCurrentWidget(charts);
  ASSERT_TRUE(window_->wait_until_loaded(60'000));
  QApplication::processEvents();
  EXPECT_FALSE(charts->chart_view(ChartKind::ErrorCodes)->isVisible());
  EXPECT_FALSE(charts->chart_view(ChartKind::ErrorFlags)->isVisible());
  QLabel* note = charts->quiet_label();
  ASSERT_TRUE(note->isVisible());
  EXPECT_TRUE(note->text().contains("No errors in this run")) << note->text().toStdString();
  EXPECT_LE(note->height(), 2 * note->fontMetrics().lineSpacing() + 8);  // one line
  int quiet_latency_height = charts->chart_view(ChartKind::Latency)->height();

  // A run with 503s: the code chart is back; the note says only what is still empty.
  open(ref(fixture().retries_db, 1));
  QApplication::processEvents();
  EXPECT_TRUE(charts->chart_view(ChartKind::ErrorCodes)->isVisible());
  bool any_flag = sql_int(fixture().retries_db,
                          "SELECT count(*) FROM metrics WHERE run_id = 1 AND reporter = 'source' "
                          "AND response_flags != '-'") > 0;
  EXPECT_EQ(charts->chart_view(ChartKind::ErrorFlags)->isVisible(), any_flag);
  EXPECT_EQ(note->isVisible(), !any_flag);
  // The folded panels' room went to the charts that have something to show.
  EXPECT_GT(quiet_latency_height, charts->chart_view(ChartKind::Latency)->height() + 40);
}

TEST_F(ViewsTest, EveryPodHasItsOwnColourAndTheLegendTogglesItsLine) {
  open(ref(fixture().pods_db, 1));
  ChartsPage* charts = window_->charts_page();
  ASSERT_TRUE(window_->wait_until_loaded(60'000));
  QChart* chart = charts->chart(ChartKind::PodLoad);
  auto pods = lines(chart);
  ASSERT_EQ(pods.size(), 12u);  // more pods than the ten colours of the base palette
  std::set<QRgb> colours;
  for (const auto& [name, line] : pods) colours.insert(line->pen().color().rgb());
  EXPECT_EQ(colours.size(), pods.size());

  QLineSeries* first = pods.begin()->second;
  auto markers = chart->legend()->markers(first);
  ASSERT_EQ(markers.size(), 1);
  ASSERT_TRUE(first->isVisible());
  emit markers[0]->clicked();
  EXPECT_FALSE(first->isVisible());
  EXPECT_TRUE(markers[0]->isVisible()) << "the entry stays to click again";
  EXPECT_TRUE(std::next(pods.begin())->second->isVisible()) << "only its own line hides";
  emit markers[0]->clicked();
  EXPECT_TRUE(first->isVisible());
}

std::map<std::pair<QString, QString>, int> rows_by_key(QTableWidget* t, const QString& run) {
  std::map<std::pair<QString, QString>, int> out;
  using C = OverviewPage::Column;
  for (int r = 0; r < t->rowCount(); ++r) {
    if (t->item(r, static_cast<int>(C::Run))->text() != run) continue;
    out[{t->item(r, static_cast<int>(C::Service))->text(),
         t->item(r, static_cast<int>(C::Version))->text()}] = r;
  }
  return out;
}

QString percent_cell(double p) { return QString::number(p, 'f', p < 100 && p > 99.9 ? 3 : 2) + " %"; }

TEST_F(ViewsTest, OverviewShowsSharesExplainsEventsAndHidesEmptyColumns) {
  open(ref(fixture().bookinfo_db, 1));
  using C = OverviewPage::Column;
  OverviewPage* page = window_->overview_page();
  QTableWidget* hops = page->hop_table();
  auto rows = rows_by_key(hops, "A");
  const QString reviews = QString::fromStdString(kReviews);
  ASSERT_TRUE(rows.count({reviews, "v1"}) && rows.count({reviews, "v2"}));
  auto count = [&](const char* version) {
    return static_cast<double>(
        sql_int(fixture().bookinfo_db,
                "SELECT sum(requests) FROM metrics WHERE run_id = 1 AND reporter = 'source' AND "
                "destination_service = ? AND destination_version LIKE ?",
                {std::string(kReviews), std::string(version)}));
  };
  double all = count("%");
  for (const char* v : {"v1", "v2"}) {
    EXPECT_EQ(hops->item(rows[{reviews, v}], static_cast<int>(C::Share))->text(),
              percent_cell(100.0 * count(v) / all))
        << v;
  }
  EXPECT_FALSE(hops->isColumnHidden(static_cast<int>(C::Share)));
  EXPECT_TRUE(hops->horizontalHeaderItem(static_cast<int>(C::Share))->toolTip().contains("80/20"));
  // Hovering the events says what they are.
  QString tip = page->events_label()->toolTip();
  EXPECT_TRUE(page->events_label()->text().contains("config_applied"));
  EXPECT_TRUE(tip.contains("config_applied: a proxy applied a configuration push"))
      << tip.toStdString();
  // No flags anywhere in this run: no flags column. Codes and latencies are there.
  EXPECT_TRUE(hops->isColumnHidden(static_cast<int>(C::Flags)));
  EXPECT_TRUE(page->client_table()->isColumnHidden(static_cast<int>(C::Flags)));
  EXPECT_FALSE(hops->isColumnHidden(static_cast<int>(C::Codes)));
  EXPECT_FALSE(hops->isColumnHidden(static_cast<int>(C::P99)));
  // A run with flags keeps the column.
  open(ref(fixture().retries_db, 1));
  bool flags = sql_int(fixture().retries_db,
                       "SELECT count(*) FROM metrics WHERE run_id = 1 AND reporter = 'source' "
                       "AND response_flags != '-'") > 0;
  EXPECT_EQ(hops->isColumnHidden(static_cast<int>(C::Flags)), !flags);
}

TEST_F(ViewsTest, CompareShowsDeltasAndNamesEachSeriesRun) {
  open(ref(fixture().bookinfo_db, 1));
  compare_with(ref(fixture().bookinfo_db, 2));
  ChartsPage* charts = charts_on_reviews();
  ASSERT_TRUE(window_->wait_until_loaded(60'000));
  using C = OverviewPage::Column;
  QTableWidget* hops = window_->overview_page()->hop_table();
  const QString reviews = QString::fromStdString(kReviews);
  auto b_rows = rows_by_key(hops, "B");
  ASSERT_TRUE(b_rows.count({reviews, "v1"}) && b_rows.count({reviews, "v3"}));
  auto requests = [&](int run, const char* version) {
    return sql_int(fixture().bookinfo_db,
                   "SELECT sum(requests) FROM metrics WHERE run_id = ? AND reporter = 'source' "
                   "AND destination_service = ? AND destination_version = ?",
                   {std::int64_t{run}, std::string(kReviews), std::string(version)});
  };
  QTableWidgetItem* v1 = hops->item(b_rows[{reviews, "v1"}], static_cast<int>(C::Requests));
  std::int64_t delta = requests(2, "v1") - requests(1, "v1");
  ASSERT_LT(delta, 0);  // 80 % of reviews to v1 in A, 50 % in B
  EXPECT_EQ(v1->data(OverviewPage::kDeltaRole).toLongLong(), delta);
  EXPECT_TRUE(v1->text().contains(QLocale().toString(static_cast<qlonglong>(-delta))))
      << v1->text().toStdString();
  EXPECT_TRUE(v1->text().contains("\u2212")) << "a minus sign for B below A";
  QTableWidgetItem* share = hops->item(b_rows[{reviews, "v1"}], static_cast<int>(C::Share));
  EXPECT_NEAR(share->data(OverviewPage::kDeltaRole).toDouble(), 50.0 - 80.0, 3.0);
  EXPECT_TRUE(share->text().contains("pp"));
  // v3 is only in B: nothing to subtract.
  QTableWidgetItem* v3 = hops->item(b_rows[{reviews, "v3"}], static_cast<int>(C::Requests));
  EXPECT_FALSE(v3->data(OverviewPage::kDeltaRole).isValid());
  EXPECT_TRUE(v3->text().contains("only in B"));
  // Every chart series names its run.
  for (ChartKind kind : {ChartKind::Traffic, ChartKind::Latency, ChartKind::PodLoad}) {
    int a = 0, b = 0;
    for (QAbstractSeries* s : charts->chart(kind)->series()) {
      if (s->name().endsWith(" (A)")) ++a;
      else if (s->name().endsWith(" (B)")) ++b;
      else ADD_FAILURE() << s->name().toStdString() << " names no run";
    }
    EXPECT_GT(a, 0);
    EXPECT_GT(b, 0);
  }
  EXPECT_TRUE(lines(charts->chart(ChartKind::Latency)).count("p99 (A)"));
  EXPECT_TRUE(areas(charts->chart(ChartKind::Traffic)).count("v2 (A)"));
}

TEST_F(ViewsTest, BothSuccessReadingsAreShownLabelledAndCompared) {
  // Run 1 answers 20 % with 404 (a failure for successRate, a success for non5xxRate), run 2
  // with 503 (a failure for both).
  open(ref(fixture().pods_db, 1));
  compare_with(ref(fixture().pods_db, 2));
  ASSERT_TRUE(window_->wait_until_loaded(60'000));
  using C = OverviewPage::Column;
  OverviewPage* page = window_->overview_page();
  // The readings as results/ counts them, through the same predicates.
  auto rates = [&](int run, const char* table) {
    auto reader = testing::open_reader(fixture().pods_db);
    std::string sql = std::string("SELECT response_code, ") +
                      (std::string(table) == "requests" ? "count(*)" : "sum(requests)") +
                      " FROM " + table + " WHERE run_id = ?" +
                      (std::string(table) == "metrics" ? " AND reporter = 'source'" : "") +
                      " GROUP BY 1";
    auto rows = reader->query(sql, {std::int64_t{run}});
    double n = 0, success = 0, non5xx = 0;
    for (const auto& row : *rows) {
      auto code = std::get<std::int64_t>(row[0]);
      auto count = static_cast<double>(std::get<std::int64_t>(row[1]));
      n += count;
      if (telemetry::is_success(code)) success += count;
      if (telemetry::is_non5xx(code)) non5xx += count;
    }
    return std::pair{100 * success / n, 100 * non5xx / n};
  };
  for (QTableWidget* t : {page->client_table(), page->hop_table()}) {
    const char* source = t == page->client_table() ? "requests" : "metrics";
    EXPECT_EQ(t->horizontalHeaderItem(static_cast<int>(C::Success))->text(), "success (2xx\u20133xx)");
    EXPECT_EQ(t->horizontalHeaderItem(static_cast<int>(C::Non5xx))->text(), "non-5xx");
    EXPECT_TRUE(t->horizontalHeaderItem(static_cast<int>(C::Non5xx))->toolTip().contains("Grafana"));
    ASSERT_EQ(t->rowCount(), 2) << source;  // back v1 in A and in B
    auto [a_success, a_non5xx] = rates(1, source);
    auto [b_success, b_non5xx] = rates(2, source);
    ASSERT_LT(a_success, 90.0);
    EXPECT_EQ(a_non5xx, 100.0);
    EXPECT_NEAR(b_success, b_non5xx, 1e-9);
    auto cell = [&](int row, C c) { return t->item(row, static_cast<int>(c)); };
    EXPECT_EQ(cell(0, C::Success)->text(), percent_cell(a_success)) << source;
    EXPECT_EQ(cell(0, C::Non5xx)->text(), percent_cell(a_non5xx)) << source;
    EXPECT_TRUE(cell(1, C::Success)->text().startsWith(percent_cell(b_success))) << source;
    EXPECT_TRUE(cell(1, C::Non5xx)->text().startsWith(percent_cell(b_non5xx))) << source;
    EXPECT_NEAR(cell(1, C::Non5xx)->data(OverviewPage::kDeltaRole).toDouble(), b_non5xx - a_non5xx,
                1e-9);
    EXPECT_NEAR(cell(1, C::Success)->data(OverviewPage::kDeltaRole).toDouble(),
                b_success - a_success, 1e-9);
  }
}

}  // namespace
}  // namespace meshtwin::gui
