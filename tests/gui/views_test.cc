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
#include <QTemporaryDir>
#include <QWheelEvent>
#include <QtTest/QTest>
#include <map>
#include <set>

#include "gui/async.h"
#include "gui/chart_view.h"
#include "gui/charts_page.h"
#include "gui/explorer_page.h"
#include "gui/graph_page.h"
#include "gui/main_window.h"
#include "gui/overview_page.h"
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
  int checked = 0;
  double total_rate = 0;
  for (qsizetype i = 0; i < v1_hi.size(); ++i) {
    EXPECT_DOUBLE_EQ(v1_lo[i].y(), 0.0);
    EXPECT_DOUBLE_EQ(v2_lo[i].y(), v1_hi[i].y()) << "v2 stacks on v1";
    EXPECT_DOUBLE_EQ(v1_hi[i].x(), 5.0 * static_cast<double>(i) + 2.5);  // window centres
    double v1 = v1_hi[i].y(), v2 = v2_hi[i].y() - v2_lo[i].y();
    total_rate += v1 + v2;
    if ((v1 + v2) * 5 < 500) continue;  // the drain's partial window
    EXPECT_NEAR(v1 / (v1 + v2), 0.8, 0.06) << "window " << i;
    ++checked;
  }
  EXPECT_GE(checked, 3);
  // Rates times the window give back every request the metrics hold for these labels.
  std::int64_t requests =
      sql_int(fixture().bookinfo_db,
              "SELECT sum(requests) FROM metrics WHERE run_id = 1 AND reporter = 'source' AND "
              "source_workload = 'productpage-v1' AND destination_service = ?",
              {std::string(kReviews)});
  EXPECT_NEAR(total_rate * 5.0, static_cast<double>(requests), 0.5);
  // Every chart carries the run's timeline markers (7 config_applied at t=0, merged).
  const auto& markers = charts->chart_view(ChartKind::Latency)->markers();
  ASSERT_EQ(markers.size(), 1u);
  EXPECT_TRUE(markers[0].label.startsWith("config_applied"));
  EXPECT_TRUE(markers[0].label.contains(QString::number(
      sql_int(fixture().bookinfo_db, "SELECT count(*) FROM events WHERE run_id = 1"))));
}

TEST_F(ViewsTest, ComparedRunIsOverlaidDashed) {
  open(ref(fixture().bookinfo_db, 1));
  QString error;
  ASSERT_TRUE(window_->open_compare(ref(fixture().bookinfo_db, 2), &error)) << error.toStdString();
  ChartsPage* charts = window_->charts_page();
  MetricsFilter f;
  f.source_workload = "productpage-v1";
  f.destination_service = kReviews;
  charts->set_filter(f);
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
  f.min_duration = 30 * engine::kMillisecond;
  f.max_duration = 40 * engine::kMillisecond;
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
    EXPECT_GE(model->row_at(r)->duration, 30 * engine::kMillisecond);
    EXPECT_LE(model->row_at(r)->duration, 40 * engine::kMillisecond);
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

}  // namespace
}  // namespace meshtwin::gui
