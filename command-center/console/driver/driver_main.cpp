// liandong-console-qt-driver: the Qt Quick console (the same ConsoleApp,
// QML module and options as liandong-console-qt) driven from outside for the
// tests, the bench and the demo — never shipped to users. It runs a UI
// script (--script verify | video | wall | agency | chart | flow | detail |
// wallbench, ui_scripts.h), writes screenshots (--screenshot FILE on quitting,
// --shots DIR for the scripts) and quits after a time (--quit-after-ms N),
// logging what was on screen (queue, map, wall windows, video pipelines).
#include <QApplication>
#include <QGuiApplication>
#include <QScreen>
#include <QTimer>

#include <filesystem>
#include <memory>

#include <CLI/CLI.hpp>

#include "backend.h"
#include "console_app.h"
#include "liandong/core/logging.h"
#include "ui_driver.h"
#include "ui_scripts.h"

using namespace liandong;
using console::driver::UiDriver;
using console::driver::UiScripts;

namespace {

struct DriverOptions {
  std::string screenshot, script, shots, sensor;
  int quitAfterMs = 0;
};

// Grabs the main window (and each wall window next to it), logs what is on
// screen and quits.
void quit(console::ConsoleApp &console, const DriverOptions &o) {
  auto log = logging::get("console");
  if (!o.screenshot.empty()) UiDriver::grab(console.window(), o.screenshot);
  const auto &walls = console.wallWindows();
  for (std::size_t i = 0; i < walls.size(); ++i) {
    auto *w = walls[i].get();
    auto *on = w->screen();
    UiDriver ui(w);
    log->info("wall window {}: on screen {} ({}x{}), window {}x{}, {} tiles, {} playing", i + 1,
              on ? QGuiApplication::screens().indexOf(on) + 1 : 0, on ? on->geometry().width() : 0,
              on ? on->geometry().height() : 0, w->width(), w->height(), UiScripts::wallTiles(ui),
              UiScripts::wallPlaying(ui));
    if (!o.screenshot.empty()) {
      auto path = std::filesystem::path(o.screenshot);
      path.replace_filename(path.stem().string() + "-wall" + std::to_string(i + 1) + ".png");
      UiDriver::grab(w, path.string());
    }
  }
  auto &backend = console.backend();
  auto *map = UiDriver(console.window()).find(QStringLiteral("map"));
  log->info(
      "quitting: queue {} incidents, map {} tiles loaded, {} incident markers, {} tiles served, "
      "{} cameras, {} video pipelines",
      backend.incidents()->count(), map ? map->property("tilesLoaded").toInt() : 0,
      map ? map->property("incidentMarkers").toInt() : 0, backend.tilesServed(), backend.cameras()->count(),
      backend.livePipelines());
  QGuiApplication::quit();
}

}  // namespace

int main(int argc, char **argv) {
  console::ConsoleApp::initProcess(&argc, &argv);
  QApplication app(argc, argv);
  app.setApplicationName(QStringLiteral("liandong-console-qt"));
  CLI::App cli{"Liandong console (Qt Quick) driven by a UI script, for tests, the bench and the demo"};
  console::ConsoleOptions options;
  options.addTo(cli);
  DriverOptions o;
  cli.add_option("--screenshot", o.screenshot, "write the window as a PNG before quitting");
  cli.add_option("--quit-after-ms", o.quitAfterMs,
                 "quit after this many milliseconds (0 = run until closed)");
  cli.add_option(
         "--script", o.script,
         "drive the UI: verify, video, wall, agency, chart, flow, detail, wallbench (docs/console.md)")
      ->check([](const std::string &s) { return UiScripts::known(s) ? std::string() : "no script " + s; });
  cli.add_option("--sensor", o.sensor, "the sensor whose chart the chart script opens");
  cli.add_option("--shots", o.shots, "folder for the scripts' screenshots (map, incident, wall, ...)");
  CLI11_PARSE(cli, argc, argv);

  console::ConsoleApp console(options, "liandong-console-qt-driver");
  if (int rc = console.open(); rc != 0) return rc;
  bool quitting = false;
  auto quitOnce = [&] {
    if (quitting) return;
    quitting = true;
    quit(console, o);
  };
  std::unique_ptr<UiScripts> script;
  if (!o.script.empty()) {
    script = std::make_unique<UiScripts>(console, o.script, o.shots, o.sensor);
    // A script that has done its last step ends the run soon after (with
    // --quit-after-ms as the upper bound).
    script->start([&] {
      if (o.quitAfterMs > 0) QTimer::singleShot(500, &app, quitOnce);
    });
  }
  if (o.quitAfterMs > 0) QTimer::singleShot(o.quitAfterMs, &app, quitOnce);
  return console.exec();
}
