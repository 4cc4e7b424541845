// liandong-console-qt: the Qt Quick console — for a duty officer the incident
// queue, detail with actions, the offline map and live video; for a leader
// the video wall, map and region summary; for an agency its tasks and a form
// to raise an incident — on the same console YAML as the text console plus
// `centre.query` and `console.user` (the password from $LIANDONG_PASSWORD).
// Only the console: the UI scripts of the tests, the bench and the demo are
// in liandong-console-qt-driver (driver/).
#include <QApplication>

#include <CLI/CLI.hpp>

#include "console_app.h"

using namespace liandong;

int main(int argc, char **argv) {
  console::ConsoleApp::initProcess(&argc, &argv);
  // A QApplication, not a QGuiApplication: Qt Charts (the sensor charts) draws with Qt Widgets.
  QApplication app(argc, argv);  // takes Qt's own options (-platform, ...) out of argv
  app.setApplicationName(QStringLiteral("liandong-console-qt"));
  CLI::App cli{"Liandong console (Qt Quick)"};
  console::ConsoleOptions options;
  options.addTo(cli);
  CLI11_PARSE(cli, argc, argv);
  console::ConsoleApp console(options, "liandong-console-qt");
  if (int rc = console.open(); rc != 0) return rc;
  return console.exec();
}
