// ConsoleApp: the Qt Quick console as it starts — the user's options, the
// console YAML, the backend, Main.qml and a wall window on each wall screen.
// The product (main_qt.cpp, liandong-console-qt) and the UI driver of the
// tests, the bench and the demo (driver/, liandong-console-qt-driver) both
// start the console through it, so the driver drives exactly what users run.
#pragma once

#include <QQmlApplicationEngine>
#include <QQuickWindow>

#include <memory>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace liandong::console {

class Backend;

// What a user may choose on the command line.
struct ConsoleOptions {
  std::string config;     // the console YAML
  std::string lang;       // zh_CN, en; empty: console.language
  std::string mode;       // duty, agency, leader; empty: by the signed-in user's role
  int wallScreens = 0;    // a wall window on each of the first N screens (instead of wall.screens)
  bool windowed = false;  // leader mode (and the wall windows) in a window, not full screen

  void addTo(CLI::App &cli);
};

class ConsoleApp {
public:
  // Before the QApplication exists: GStreamer and the OpenGL scene graph
  // (qml6glsink draws with Qt's OpenGL context).
  static void initProcess(int *argc, char ***argv);

  // `name` prefixes the messages on stderr (the executable's name).
  ConsoleApp(ConsoleOptions options, std::string name);
  ~ConsoleApp();
  ConsoleApp(const ConsoleApp &) = delete;
  ConsoleApp &operator=(const ConsoleApp &) = delete;

  // Reads the configuration, loads Main.qml, opens the wall windows and
  // starts the backend (sign-in, the Clone stream). 0 when the console is
  // up, else the exit code (kExitConfig, kExitFailure) after a line on stderr.
  int open();
  // Runs the event loop until the console quits; its exit code.
  int exec();

  Backend &backend() { return *backend_; }
  QQuickWindow *window() const { return window_; }
  const std::vector<std::unique_ptr<QQuickWindow>> &wallWindows() const { return wallWindows_; }

private:
  int openWallWindows();

  ConsoleOptions options_;
  std::string name_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<QQmlApplicationEngine> engine_;
  QQuickWindow *window_ = nullptr;
  std::vector<std::unique_ptr<QQuickWindow>> wallWindows_;
};

}  // namespace liandong::console
