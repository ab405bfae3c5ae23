// The gui suite's main: one QApplication for every test, on the offscreen platform unless the
// caller chose one (ctest sets it too; test discovery runs without ctest's environment).
#include <gtest/gtest.h>

#include <QApplication>

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  ::testing::InitGoogleTest(&argc, argv);
  QApplication app(argc, argv);
  QApplication::setOrganizationName("meshtwin-tests");
  QApplication::setApplicationName("gui_tests");
  return RUN_ALL_TESTS();
}
