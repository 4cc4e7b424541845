// UiScripts: the UI scripts of liandong-console-qt-driver — verify, video,
// wall, agency, chart, flow, detail (tests/command-center/console_qt_test.cpp,
// scripts/demo) and wallbench (scripts/bench-wall). Each is a series of
// steps; a step runs when its condition holds (polled every 200 ms, 20 ms for
// the bench) and does what a user's click or typing does, through UiDriver.
// Each step logs a `script: …` line the tests look for.
#pragma once

#include <QObject>
#include <QTimer>

#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "ui_driver.h"

namespace liandong::console {
class ConsoleApp;
class Backend;
}  // namespace liandong::console

namespace liandong::console::driver {

class UiScripts {
public:
  // `shots`: folder for the scripts' screenshots (empty: none); `sensor`:
  // the sensor whose chart the chart script opens.
  UiScripts(ConsoleApp &app, std::string script, std::string shots, std::string sensor);
  static bool known(const std::string &script);
  // Starts the script; `finished` runs once its last step is done.
  void start(std::function<void()> finished);

  // What the wall in `window` shows: tiles (1 when one is maximised) and
  // tiles playing.
  static int wallTiles(const UiDriver &ui);
  static int wallPlaying(const UiDriver &ui);

private:
  static const std::map<std::string, void (UiScripts::*)()> &table();
  void tick();
  void next();
  void done();
  void shot(const std::string &name);
  bool openFirstIncident();

  void verify();
  void video();
  void wall();
  void chart();
  void flow();
  void detail();
  void wallbench();
  void agency();

  Backend &backend_;
  UiDriver ui_;
  std::string script_, shots_, sensor_;
  QTimer timer_;
  std::function<void()> finished_;
  int step_ = 0, waited_ = 0;
  int ticked_ = 0;  // the detail script's SOP step
  std::chrono::steady_clock::time_point switchStart_, cpuWallStart_;
  double switchMs_ = 0, cpuStart_ = 0;
};

}  // namespace liandong::console::driver
