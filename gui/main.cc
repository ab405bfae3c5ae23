// meshtwin-viewer FILE.db[:RUN] [--compare FILE.db[:RUN]] [--screenshot DIR] ...
// Opens a results file read-only and shows it; with --screenshot, renders every view to PNG
// and exits (offscreen, no display needed). Exit codes as every meshtwin tool: 0 success,
// 1 a screenshot could not be made, 2 bad input or usage.
#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QMessageBox>
#include <cstdio>

#include "gui/charts_page.h"
#include "gui/explorer_page.h"
#include "gui/main_window.h"
#include "gui/queries.h"

namespace {

int fail_usage(const QString& message) {
  std::fprintf(stderr, "meshtwin-viewer: %s\n", qPrintable(message));
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  QElapsedTimer since_start;
  since_start.start();
  // --screenshot needs no display: default to the offscreen platform unless one was chosen.
  for (int i = 1; i < argc; ++i) {
    if (QString(argv[i]) == "--screenshot" && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
      qputenv("QT_QPA_PLATFORM", "offscreen");
    }
  }
  QApplication app(argc, argv);
  QApplication::setOrganizationName("meshtwin");
  QApplication::setApplicationName("meshtwin-viewer");

  QCommandLineParser parser;
  parser.setApplicationDescription("The Qt6 window onto a meshtwin results file.");
  parser.addHelpOption();
  parser.addPositionalArgument("FILE.db[:RUN]",
                               "results file to open (latest run by default; FILE.db:bN: batch N's first replication; FILE.db:sN: sweep N, plotted in the Sweep tab)");
  QCommandLineOption compare("compare", "a second run to compare with (FILE.db[:RUN])", "REF");
  QCommandLineOption screenshot("screenshot", "render every view to PNG in DIR and exit", "DIR");
  QCommandLineOption source("source", "charts: only calls from this source workload", "WORKLOAD");
  QCommandLineOption destination("destination", "charts: only calls to this destination service",
                                 "SERVICE");
  QCommandLineOption window("window", "charts: metric windows per point (0: auto)", "N");
  QCommandLineOption explore(
      "explore", "requests view filter, comma-separated: errors, retried, degraded, spans", "WHAT");
  QCommandLineOption timing("timing", "print how long the overview took to show");
  parser.addOptions({compare, screenshot, source, destination, window, explore, timing});
  parser.process(app);

  meshtwin::gui::MainWindow main_window;
  main_window.resize(1440, 900);
  bool headless = parser.isSet(screenshot);
  bool print_timing = parser.isSet(timing) || headless;
  if (print_timing) {
    QObject::connect(
        &main_window, &meshtwin::gui::MainWindow::overview_loaded, &main_window,
        [&] {
          // "Shown" means painted: paint now, then read the clock.
          main_window.repaint();
          std::fprintf(stderr, "meshtwin-viewer: overview shown %lld ms after start\n",
                       static_cast<long long>(since_start.elapsed()));
        },
        Qt::SingleShotConnection);
  }

  const QStringList args = parser.positionalArguments();
  if (args.size() > 1) return fail_usage("give one results file (FILE.db[:RUN])");
  if (headless && args.isEmpty()) return fail_usage("--screenshot needs a results file");
  main_window.show();
  if (!args.isEmpty()) {
    QString error;
    if (!main_window.open(args.first(), &error)) {
      if (headless) return fail_usage(error);
      QMessageBox::warning(&main_window, "Cannot open", error);
    }
  }
  if (parser.isSet(compare)) {
    QString error;
    if (!main_window.open_compare(parser.value(compare), &error)) {
      if (headless) return fail_usage(error);
      QMessageBox::warning(&main_window, "Cannot open", error);
    }
  }
  if (parser.isSet(source) || parser.isSet(destination)) {
    meshtwin::gui::MetricsFilter f;
    f.source_workload = parser.value(source).toStdString();
    f.destination_service = parser.value(destination).toStdString();
    main_window.charts_page()->set_filter(f);
  }
  if (parser.isSet(window)) {
    bool ok = false;
    int n = parser.value(window).toInt(&ok);
    if (!ok || n < 0) return fail_usage("--window takes a number of metric windows (0: auto)");
    main_window.charts_page()->set_window_factor(n);
  }
  if (parser.isSet(explore)) {
    meshtwin::gui::RequestFilter f;
    for (const QString& what : parser.value(explore).split(',', Qt::SkipEmptyParts)) {
      if (what == "errors") {
        f.errors_only = true;
      } else if (what == "retried") {
        f.min_attempts = 2;
      } else if (what == "degraded") {
        f.degraded_only = true;
      } else if (what == "spans") {
        f.with_spans_only = true;
      } else {
        return fail_usage("--explore takes errors, retried, degraded or spans, got " + what);
      }
    }
    main_window.explorer_page()->set_filter(f);
  }

  if (!headless) return app.exec();
  QStringList written;
  QString error;
  if (!main_window.save_screenshots(parser.value(screenshot), &written, &error)) {
    std::fprintf(stderr, "meshtwin-viewer: %s\n", qPrintable(error));
    return 1;
  }
  for (const QString& path : written) std::printf("%s\n", qPrintable(path));
  return 0;
}
