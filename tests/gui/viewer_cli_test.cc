// The meshtwin-viewer program itself: --screenshot writes every view and exits 0, bad input
// exits 2 with a sentence (docs/design.md §3.1 exit codes).

#include <gtest/gtest.h>

#include <QDir>
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>

#include "gui_fixture.h"

namespace meshtwin::gui {
namespace {

const QString kViewer = QString(MESHTWIN_BINARY_DIR) + "/gui/meshtwin-viewer";

struct Outcome {
  int exit_code = -1;
  QString out, err;
};

Outcome run_viewer(const QStringList& args, const QString& scratch) {
  QProcess p;
  QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
  env.insert("QT_QPA_PLATFORM", "offscreen");
  // Recent files go to a throwaway place, not the user's settings.
  env.insert("XDG_CONFIG_HOME", scratch + "/config");
  p.setProcessEnvironment(env);
  p.start(kViewer, args);
  Outcome o;
  if (!p.waitForFinished(300'000)) return o;
  o.exit_code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  o.out = QString::fromUtf8(p.readAllStandardOutput());
  o.err = QString::fromUtf8(p.readAllStandardError());
  return o;
}

TEST(ViewerCli, ScreenshotWritesEveryViewAndReportsTheOverviewTime) {
  ASSERT_TRUE(testing::fixture().error.empty()) << testing::fixture().error;
  QTemporaryDir dir;
  ASSERT_TRUE(dir.isValid());
  // The settings land in dir/config, beside the pictures, and go with them.
  QString db = QString::fromStdString(testing::fixture().bookinfo_db);
  Outcome o =
      run_viewer({db + ":1", "--compare", db + ":2", "--source", "productpage-v1", "--destination",
                  testing::kReviews, "--explore", "errors", "--screenshot", dir.path()},
                 dir.path());
  ASSERT_EQ(o.exit_code, 0) << o.err.toStdString();
  EXPECT_TRUE(o.err.contains("overview shown")) << o.err.toStdString();
  for (const char* name : {"overview", "charts", "graph", "requests"}) {
    QString path = QDir(dir.path()).filePath(QString(name) + ".png");
    EXPECT_TRUE(o.out.contains(path)) << name;
    QImage image(path);
    ASSERT_FALSE(image.isNull()) << name;
    EXPECT_GE(image.width(), 1000) << name;
  }
}

TEST(ViewerCli, BadInputExitsTwoWithASentence) {
  QTemporaryDir dir, scratch;
  Outcome missing =
      run_viewer({"/nonexistent/results.db", "--screenshot", dir.path()}, scratch.path());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(missing.err.contains("does not exist")) << missing.err.toStdString();
  Outcome no_run = run_viewer(
      {QString::fromStdString(testing::fixture().bookinfo_db) + ":7", "--screenshot", dir.path()},
      scratch.path());
  EXPECT_EQ(no_run.exit_code, 2);
  EXPECT_TRUE(no_run.err.contains("no run 7")) << no_run.err.toStdString();
  Outcome bad_filter = run_viewer({QString::fromStdString(testing::fixture().bookinfo_db),
                                   "--explore", "everything", "--screenshot", dir.path()},
                                  scratch.path());
  EXPECT_EQ(bad_filter.exit_code, 2);
  EXPECT_TRUE(QDir(dir.path()).entryList(QDir::Files).isEmpty());
}

}  // namespace
}  // namespace meshtwin::gui
