// liandong-console-qt: the duty officer's Qt Quick console — incident queue,
// incident detail with actions, and the offline vector map — on the same
// console YAML as the text console plus `centre.query` and `console.user`
// (the password from $LIANDONG_PASSWORD). For tests and docs it can grab the
// window into a PNG (--screenshot FILE --quit-after-ms N) and drive the UI by
// a small script (--script verify: open the first incident, press 核实).
#include <QFont>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QImage>
#include <QQmlApplicationEngine>
#include <QQmlContext>
#include <QQuickWindow>
#include <QTimer>

#include <cstdio>
#include <cstdlib>

#include <CLI/CLI.hpp>

#include "backend.h"
#include "liandong/core/daemon.h"
#include "liandong/core/logging.h"

using namespace liandong;

namespace {

// Finds a QML object by objectName and emits its clicked() signal, as a
// mouse click on that button would.
bool click(QObject *root, const char *name) {
  auto *button = root->findChild<QObject *>(QString::fromLatin1(name));
  if (!button || !button->property("enabled").toBool()) return false;
  return QMetaObject::invokeMethod(button, "clicked");
}

}  // namespace

int main(int argc, char **argv) {
  QGuiApplication app(argc, argv);  // takes Qt's own options (-platform, ...) out of argv
  app.setApplicationName(QStringLiteral("liandong-console-qt"));
  CLI::App cli{"Liandong console (Qt Quick)"};
  std::string configFile, lang, screenshot, script;
  int quitAfterMs = 0;
  cli.add_option("-c,--config", configFile, "console configuration (YAML)")->required();
  cli.add_option("--lang", lang, "zh_CN (default) or en")->check(CLI::IsMember({"zh_CN", "en"}));
  cli.add_option("--screenshot", screenshot, "write the window as a PNG before quitting");
  cli.add_option("--quit-after-ms", quitAfterMs, "quit after this many milliseconds (0 = run until closed)");
  cli.add_option("--script", script, "drive the UI: 'verify' opens the first incident and presses verify")
      ->check(CLI::IsMember({"verify"}));
  CLI11_PARSE(cli, argc, argv);

  console::ConsoleSettings settings;
  try {
    settings = console::ConsoleSettings::load(configFile);
    if (!lang.empty()) settings.language = lang;
    logging::setup("info", "console-qt:" + settings.id);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "liandong-console-qt: %s\n", e.what());
    return kExitConfig;
  }
  const char *password = std::getenv("LIANDONG_PASSWORD");
  if (!settings.user.empty() && !password) {
    std::fprintf(stderr,
                 "liandong-console-qt: console.user is set: give the password in $LIANDONG_PASSWORD\n");
    return kExitConfig;
  }
  // Chinese text needs a CJK font (fonts-noto-cjk); prefer it when present.
  if (QFontDatabase::families().contains(QStringLiteral("Noto Sans CJK SC"))) {
    QFont font(QStringLiteral("Noto Sans CJK SC"));
    font.setPointSize(10);
    QGuiApplication::setFont(font);
  }
  auto log = logging::get("console");
  try {
    console::Backend backend(settings, password ? password : "");
    QQmlApplicationEngine engine;
    backend.setEngine(&engine);
    backend.setLanguage(QString::fromStdString(settings.language));
    engine.rootContext()->setContextProperty(QStringLiteral("backend"), &backend);
    engine.load(QUrl(QStringLiteral("qrc:/qt/qml/Liandong/Console/Main.qml")));
    if (engine.rootObjects().isEmpty()) {
      std::fprintf(stderr, "liandong-console-qt: Main.qml did not load\n");
      return kExitFailure;
    }
    auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().first());
    backend.start();

    if (script == "verify") {
      // Once the queue has an incident and we are signed in: select the first
      // row (what its delegate's onClicked does), then press the verify button
      // when the detail shows.
      auto *timer = new QTimer(&app);
      auto step = std::make_shared<int>(0);
      QObject::connect(timer, &QTimer::timeout, [&, timer, step] {
        QObject *root = window;
        QVariant opened;
        if (*step == 0 && backend.signedIn() && backend.incidents()->count() > 0 &&
            QMetaObject::invokeMethod(root, "selectRow", Q_RETURN_ARG(QVariant, opened),
                                      Q_ARG(QVariant, 0)) &&
            opened.toBool()) {
          log->info("script: opened the first incident");
          *step = 1;
        } else if (*step == 1 && backend.detail().value("state").toString() == "reported" &&
                   click(root, "verifyButton")) {
          log->info("script: pressed verify");
          *step = 2;
        } else if (*step == 2 && backend.detail().value("state").toString() == "verified") {
          log->info("script: verify done, incident {} verified",
                    backend.detail().value("incidentId").toString().toStdString());
          *step = 3;
          timer->stop();
        }
      });
      timer->start(200);
    }
    if (quitAfterMs > 0) {
      QTimer::singleShot(quitAfterMs, &app, [&] {
        if (!screenshot.empty() && window) {
          QImage image = window->grabWindow();
          if (image.isNull() || !image.save(QString::fromStdString(screenshot), "PNG"))
            log->error("could not write the screenshot {}", screenshot);
          else
            log->info("screenshot {} ({}x{})", screenshot, image.width(), image.height());
        }
        auto *mapItem = window ? window->findChild<QObject *>(QStringLiteral("map")) : nullptr;
        log->info("quitting: queue {} incidents, map {} tiles loaded, {} incident markers, {} tiles served",
                  backend.incidents()->count(), mapItem ? mapItem->property("tilesLoaded").toInt() : 0,
                  mapItem ? mapItem->property("incidentMarkers").toInt() : 0, backend.tilesServed());
        QGuiApplication::quit();
      });
    }
    return QGuiApplication::exec();
  } catch (const std::exception &e) {
    std::fprintf(stderr, "liandong-console-qt: %s\n", e.what());
    return kExitFailure;
  }
}
