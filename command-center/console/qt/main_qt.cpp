// liandong-console-qt: the Qt Quick console — for a duty officer the incident
// queue, detail with actions, the offline map and live video; for a leader
// the video wall, map and region summary; for an agency its tasks and a form
// to raise an incident — on the same console YAML as the text console plus
// `centre.query` and `console.user` (the password from $LIANDONG_PASSWORD).
// For tests, docs and the demo it grabs the window into PNGs (--screenshot
// FILE --quit-after-ms N, --shots DIR) and drives the UI by small scripts
// (--script verify | video | wall | agency | chart).
#include <gst/gst.h>

#include <QApplication>
#include <QFont>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QImage>
#include <QMouseEvent>
#include <QQmlApplicationEngine>
#include <QQmlComponent>
#include <QQmlContext>
#include <QQuickItem>
#include <QQuickWindow>
#include <QScreen>
#include <QTimer>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "backend.h"
#include "liandong/core/daemon.h"
#include "liandong/core/logging.h"
#include "video_player.h"
#include "wall_layout.h"

using namespace liandong;

namespace {

// Clicks a control as a user would: a mouse press and release at its centre
// in the window, so the click goes through Qt Quick's hit testing (a control
// that is hidden, disabled, scrolled away or covered by another item is not
// clicked). False if there is no such visible, enabled control on screen.
bool click(QObject *root, const char *name) {
  auto *item = root->findChild<QQuickItem *>(QString::fromLatin1(name));
  if (!item || !item->isVisible() || !item->isEnabled() || !item->window()) return false;
  auto *window = item->window();
  QPointF at = item->mapToScene(QPointF(item->width() / 2, item->height() / 2));
  if (!QRectF(QPointF(0, 0), QSizeF(window->size())).contains(at)) return false;
  QPointF global = window->mapToGlobal(at);
  for (auto type : {QEvent::MouseButtonPress, QEvent::MouseButtonRelease}) {
    QMouseEvent event(type, at, at, global, Qt::LeftButton,
                      type == QEvent::MouseButtonPress ? Qt::LeftButton : Qt::NoButton, Qt::NoModifier);
    QCoreApplication::sendEvent(window, &event);
  }
  return true;
}

// Calls a QML function of the window and returns its result.
QVariant callQml(QObject *root, const char *function, QVariant arg = {}) {
  QVariant out;
  bool ok = arg.isValid()
                ? QMetaObject::invokeMethod(root, function, Q_RETURN_ARG(QVariant, out), Q_ARG(QVariant, arg))
                : QMetaObject::invokeMethod(root, function, Q_RETURN_ARG(QVariant, out));
  return ok ? out : QVariant();
}

// User + system CPU seconds of this process so far.
double cpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  // qml6glsink draws with Qt's OpenGL context: the scene graph must use OpenGL.
  QQuickWindow::setGraphicsApi(QSGRendererInterface::OpenGL);
  // A QApplication, not a QGuiApplication: Qt Charts (the sensor charts) draws with Qt Widgets.
  QApplication app(argc, argv);  // takes Qt's own options (-platform, ...) out of argv
  app.setApplicationName(QStringLiteral("liandong-console-qt"));
  CLI::App cli{"Liandong console (Qt Quick)"};
  std::string configFile, lang, screenshot, script, shots, mode;
  int quitAfterMs = 0;
  cli.add_option("-c,--config", configFile, "console configuration (YAML)")->required();
  cli.add_option("--lang", lang, "zh_CN (default) or en")->check(CLI::IsMember({"zh_CN", "en"}));
  cli.add_option("--screenshot", screenshot, "write the window as a PNG before quitting");
  cli.add_option("--quit-after-ms", quitAfterMs, "quit after this many milliseconds (0 = run until closed)");
  cli.add_option(
         "--script", script,
         "drive the UI: verify (open the first incident, press verify), video (play its first camera, "
         "take a snapshot), wall (layouts, maximise, preset, alarm pop-up), agency (acknowledge the "
         "first task, raise an incident)")
      ->check(CLI::IsMember({"verify", "video", "wall", "agency", "chart", "wallbench", "flow", "detail"}));
  std::string chartSensor;
  cli.add_option("--sensor", chartSensor, "the sensor whose chart the chart script opens");
  cli.add_option("--shots", shots, "folder for the scripts' screenshots (map, incident, wall, ...)");
  cli.add_option("--mode", mode, "duty, agency or leader instead of the signed-in user's role")
      ->check(CLI::IsMember({"duty", "agency", "leader"}));
  int wallScreens = 0;
  cli.add_option("--wall-screens", wallScreens,
                 "open a video wall window on each of the first N screens (instead of wall.screens)")
      ->check(CLI::Range(0, 16));
  bool windowed = false;
  cli.add_flag("--windowed", windowed, "leader mode in a window instead of full screen");
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
    backend.setModeOverride(QString::fromStdString(mode));
    console::VideoPlayer::registerVideoItem();  // before QML: makes GstGLQt6VideoItem a type
    QQmlApplicationEngine engine;
    engine.rootContext()->setContextProperty(QStringLiteral("fullScreenWall"), !windowed);
    backend.setEngine(&engine);
    backend.setLanguage(QString::fromStdString(settings.language));
    engine.rootContext()->setContextProperty(QStringLiteral("backend"), &backend);
    engine.load(QUrl(QStringLiteral("qrc:/qt/qml/Liandong/Console/Main.qml")));
    if (engine.rootObjects().isEmpty()) {
      std::fprintf(stderr, "liandong-console-qt: Main.qml did not load\n");
      return kExitFailure;
    }
    auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().first());
    // Wall windows, one per screen: the first N screens, or those named in wall.screens.
    std::vector<QScreen *> wallTargets;
    const auto screens = QGuiApplication::screens();
    QStringList screenNames;
    for (auto *sc : screens) screenNames << sc->name();
    if (wallScreens > 0) {
      for (int i = 0; i < wallScreens; ++i)
        if (i < screens.size())
          wallTargets.push_back(screens[i]);
        else
          log->warn("--wall-screens {}: this display has {} screens ({}); wall window {} not opened",
                    wallScreens, screens.size(), screenNames.join(", ").toStdString(), i + 1);
    } else {
      // By name, or by number (1 = the first screen): X servers may give every screen the same name.
      for (const auto &name : settings.wallScreens) {
        bool number = false;
        const int n = QString::fromStdString(name).toInt(&number);
        auto it = number ? (n >= 1 && n <= screens.size() ? screens.begin() + (n - 1) : screens.end())
                         : std::find_if(screens.begin(), screens.end(),
                                        [&](QScreen *sc) { return sc->name().toStdString() == name; });
        if (it == screens.end())
          log->warn("wall.screens: no screen named \"{}\" (screens: {}); no wall window for it", name,
                    screenNames.join(", ").toStdString());
        else
          wallTargets.push_back(*it);
      }
    }
    std::vector<std::unique_ptr<QQuickWindow>> wallWindows;
    if (!wallTargets.empty()) {
      QQmlComponent component(&engine, QUrl(QStringLiteral("qrc:/qt/qml/Liandong/Console/WallWindow.qml")));
      for (std::size_t i = 0; i < wallTargets.size(); ++i) {
        QScreen *sc = wallTargets[i];
        std::unique_ptr<QObject> object(
            component.createWithInitialProperties({{QStringLiteral("index"), static_cast<int>(i)}}));
        auto *w = qobject_cast<QQuickWindow *>(object.get());
        if (!w) {
          std::fprintf(stderr, "liandong-console-qt: WallWindow.qml did not load: %s\n",
                       component.errorString().toStdString().c_str());
          return kExitFailure;
        }
        object.release();
        wallWindows.emplace_back(w);
        w->setScreen(sc);
        const QRect g = sc->geometry();
        if (windowed) {
          w->setGeometry(QRect(g.topLeft(), QSize(std::min(g.width(), 1280), std::min(g.height(), 720))));
          w->show();
        } else {
          w->setGeometry(g);
          w->showFullScreen();
        }
        log->info("wall window {} on screen {} \"{}\" ({}x{} at {},{}){}", i + 1, screens.indexOf(sc) + 1,
                  sc->name().toStdString(), g.width(), g.height(), g.x(), g.y(),
                  windowed ? ", windowed" : "");
      }
    }
    backend.start();

    // Grabs the window (--screenshot), logs what is on screen and quits.
    bool quitting = false;
    auto quit = [&] {
      if (quitting) return;
      quitting = true;
      if (!screenshot.empty() && window) {
        QImage image = window->grabWindow();
        if (image.isNull() || !image.save(QString::fromStdString(screenshot), "PNG"))
          log->error("could not write the screenshot {}", screenshot);
        else
          log->info("screenshot {} ({}x{})", screenshot, image.width(), image.height());
      }
      for (std::size_t i = 0; i < wallWindows.size(); ++i) {
        auto *w = wallWindows[i].get();
        auto *on = w->screen();
        log->info("wall window {}: on screen {} ({}x{}), window {}x{}, {} tiles, {} playing", i + 1,
                  on ? QGuiApplication::screens().indexOf(on) + 1 : 0, on ? on->geometry().width() : 0,
                  on ? on->geometry().height() : 0, w->width(), w->height(), callQml(w, "tiles").toInt(),
                  callQml(w, "playingTiles").toInt());
        if (!screenshot.empty()) {
          auto path = std::filesystem::path(screenshot);
          path.replace_filename(path.stem().string() + "-wall" + std::to_string(i + 1) + ".png");
          QImage image = w->grabWindow();
          if (image.isNull() || !image.save(QString::fromStdString(path.string()), "PNG"))
            log->error("could not write the screenshot {}", path.string());
          else
            log->info("screenshot {} ({}x{})", path.string(), image.width(), image.height());
        }
      }
      auto *mapItem = window ? window->findChild<QObject *>(QStringLiteral("map")) : nullptr;
      log->info(
          "quitting: queue {} incidents, map {} tiles loaded, {} incident markers, {} tiles served, "
          "{} cameras, {} video pipelines",
          backend.incidents()->count(), mapItem ? mapItem->property("tilesLoaded").toInt() : 0,
          mapItem ? mapItem->property("incidentMarkers").toInt() : 0, backend.tilesServed(),
          backend.cameras()->count(), backend.livePipelines());
      QGuiApplication::quit();
    };
    // A script that has done its last step ends the run soon after (with
    // --quit-after-ms as the upper bound).
    auto done = [&](QTimer *timer) {
      timer->stop();
      if (quitAfterMs > 0) QTimer::singleShot(500, &app, quit);
    };
    // Screenshots for the scripts (and the demo): <shots>/<name>.png.
    auto shot = [&](const std::string &name) {
      if (shots.empty() || !window) return;
      std::filesystem::create_directories(shots);
      auto path = (std::filesystem::path(shots) / (name + ".png")).string();
      QImage image = window->grabWindow();
      if (image.isNull() || !image.save(QString::fromStdString(path), "PNG"))
        log->error("could not write the screenshot {}", path);
      else
        log->info("screenshot {} ({}x{})", path, image.width(), image.height());
    };
    if (!script.empty()) {
      // A step runs when its condition holds; each step is what a click does.
      auto *timer = new QTimer(&app);
      auto step = std::make_shared<int>(0);
      auto waited = std::make_shared<int>(0);
      struct Bench {
        std::chrono::steady_clock::time_point switchStart, cpuWallStart;
        double switchMs = 0, cpuStart = 0;
        int ticked = 0;  // the detail script's SOP step
      };
      auto bench = std::make_shared<Bench>();
      QObject *root = window;
      QObject::connect(timer, &QTimer::timeout, [&, timer, step, waited, root, bench] {
        auto next = [&] {
          ++*step;
          *waited = 0;
        };
        ++*waited;
        auto detailState = backend.detail().value("state").toString();
        if (script == "verify") {
          if (*step == 0 && backend.signedIn() && backend.incidents()->count() > 0 &&
              callQml(root, "selectRow", 0).toBool()) {
            log->info("script: opened the first incident");
            next();
          } else if (*step == 1 && detailState == "reported" && click(root, "verifyButton")) {
            log->info("script: pressed verify");
            next();
          } else if (*step == 2 && detailState == "verified" && !backend.status().isEmpty()) {
            log->info("script: verify done, incident {} verified",
                      backend.detail().value("incidentId").toString().toStdString());
            log->info("script: status bar: {}", backend.status().toStdString());
            done(timer);
          }
        } else if (script == "video") {
          auto cams = backend.detail().value("cameras").toList();
          if (*step == 0 && backend.signedIn() && backend.incidents()->count() > 0 && *waited > 15) {
            shot("map");
            callQml(root, "selectRow", 0);
            log->info("script: opened the first incident");
            next();
          } else if (*step == 1 && !cams.isEmpty()) {
            auto id = cams.first().toMap().value("cameraId").toString();
            // What the camera row's play button does (Repeater rows are not
            // QObject children of the window, so the script calls it).
            callQml(root, "playCamera", id);
            log->info("script: pressed play on camera {} ({})", id.toStdString(),
                      backend.cameras()->stateOf(id).toStdString());
            next();
          } else if (*step == 2 && callQml(root, "paneFrames").toInt() > 25) {
            click(root, "snapshotButton");
            next();
          } else if (*step == 3 && *waited > 5) {
            log->info("script: video playing, {} frames; pane {}", callQml(root, "paneFrames").toInt(),
                      callQml(root, "paneGeometry").toString().toStdString());
            shot("incident");
            done(timer);
          }
        } else if (script == "wall") {
          // Named layouts, then two custom ones set through the rows × columns
          // (+ main tile) controls, then back to 4.
          static const char *layouts[] = {"9", "16", "1+5", "1", "2x3", "4x4+3", "4"};
          constexpr int kLayouts = 7;
          if (*step == 0 && backend.signedIn() && backend.cameras()->count() > 0 &&
              callQml(root, "wallPlaying").toInt() >= std::min(4, backend.cameras()->count()) &&
              *waited > 5) {
            log->info("script: wall 4 playing {}, {} pipelines; tiles {}",
                      callQml(root, "wallPlaying").toInt(), backend.livePipelines(),
                      callQml(root, "wallGeometry").toString().toStdString());
            shot("wall");
            next();
          } else if (*step >= 1 && *step <= kLayouts && *waited > 3) {
            // The previous layout has settled: count its pipelines, then switch.
            if (*step > 1)
              log->info("script: layout {}: {} tiles, {} pipelines", layouts[*step - 2],
                        callQml(root, "wallTiles").toInt(), backend.livePipelines());
            QString target = QString::fromLatin1(layouts[*step - 1]);
            if (auto custom = console::WallLayout::parse(target); custom && target.contains('x')) {
              QVariant ok;
              QMetaObject::invokeMethod(root, "setCustomLayout", Q_RETURN_ARG(QVariant, ok),
                                        Q_ARG(QVariant, custom->rows), Q_ARG(QVariant, custom->columns),
                                        Q_ARG(QVariant, custom->span));
            } else {
              callQml(root, "setWallLayout", target);
            }
            next();
          } else if (*step == kLayouts + 1 && *waited > 3) {
            log->info("script: layout 4: {} tiles, {} pipelines", callQml(root, "wallTiles").toInt(),
                      backend.livePipelines());
            // A layout that does not parse is refused; the wall keeps its own.
            log->info("script: layout 9x9 refused: {}, still {}",
                      !callQml(root, "setWallLayout", QStringLiteral("9x9")).toBool(),
                      callQml(root, "wallLayout").toString().toStdString());
            backend.savePreset(QStringLiteral("custom"), QStringLiteral("4x4+3"), backend.cameras()->ids());
            callQml(root, "maximiseTile", 0);
            next();
          } else if (*step == kLayouts + 2 && callQml(root, "maximisedPlaying").toBool()) {
            log->info("script: maximised tile 0 plays {}",
                      callQml(root, "maximisedUrl").toString().toStdString());
            callQml(root, "maximiseTile", -1);
            backend.savePreset(QStringLiteral("script"), QStringLiteral("4"), backend.cameras()->ids());
            log->info("script: wall ready");
            next();
          } else if (*step == kLayouts + 3 && callQml(root, "alarmTilePlaying").toBool() && *waited > 10) {
            log->info("script: alarm shown in tile {}", callQml(root, "alarmTile").toInt());
            shot("wall-alarm");
            next();
          } else if (*step == kLayouts + 4 && callQml(root, "alarmTile").toInt() < 0) {
            log->info("script: alarm reverted, layout {}",
                      callQml(root, "wallLayout").toString().toStdString());
            done(timer);
          }
        } else if (script == "chart") {
          // A click on a sensor on the map opens its chart.
          if (*step == 0 && backend.signedIn() && *waited > 5) {
            callQml(root, "openChart", QString::fromStdString(chartSensor));
            log->info("script: opened the chart of sensor {}", chartSensor);
            next();
          } else if (*step == 1 && callQml(root, "chartPoints").toInt() > 0 && *waited > 5) {
            log->info("script: chart of {} shows {} points", chartSensor,
                      callQml(root, "chartPoints").toInt());
            shot("chart");
            done(timer);
          }
        } else if (script == "flow") {
          // The duty officer's round: the incident an alert opened, its
          // camera, a task for py-sanfang (acknowledged by the agency
          // meanwhile), then closing it.
          auto detail = backend.detail();
          auto cams = detail.value("cameras").toList();
          auto tasks = detail.value("tasks").toList();
          if (*step == 0 && backend.signedIn() && backend.incidents()->count() > 0 &&
              callQml(root, "selectRow", 0).toBool()) {
            log->info("script: opened the first incident");
            next();
          } else if (*step == 1 && !cams.isEmpty()) {
            callQml(root, "playCamera", cams.first().toMap().value("cameraId"));
            next();
          } else if (*step == 2 && callQml(root, "paneFrames").toInt() > 10) {
            log->info("script: camera playing, {} frames", callQml(root, "paneFrames").toInt());
            QMetaObject::invokeMethod(root, "fillDispatch", Q_ARG(QVariant, QStringLiteral("py-sanfang")),
                                      Q_ARG(QVariant, QStringLiteral("巡查堤段并回报")));
            if (click(root, "dispatchButton")) next();
          } else if (*step == 3 && !tasks.isEmpty()) {
            log->info("script: dispatched task {}",
                      tasks.first().toMap().value("taskId").toString().toStdString());
            next();
          } else if (*step == 4 && !tasks.isEmpty() &&
                     tasks.first().toMap().value("state") == "acknowledged") {
            log->info("script: the agency acknowledged");
            callQml(root, "fillReason", QStringLiteral("险情已排除"));
            if (click(root, "closeButton")) next();
          } else if (*step == 5 && detail.value("state").toString() == "closed") {
            log->info("script: incident closed");
            done(timer);
          }
        } else if (script == "detail") {
          // The incident detail: linked alerts, an SOP step ticked, a note,
          // close and reopen, then the first camera's recording.
          auto detail = backend.detail();
          auto alerts = backend.linkedAlerts();
          auto sop = detail.value("sop").toList();
          auto timeline = detail.value("timeline").toList();
          auto firstTickable = [&] {
            for (const auto &x : sop)
              if (x.toMap().value("tickable").toBool()) return x.toMap().value("step").toInt();
            return 0;
          };
          int &ticked = bench->ticked;
          if (*step == 0 && backend.signedIn() && backend.incidents()->count() > 0 &&
              callQml(root, "selectRow", 0).toBool()) {
            log->info("script: opened the first incident");
            next();
          } else if (*step == 1 && !alerts.isEmpty() && firstTickable() > 0) {
            auto a = alerts.first().toMap();
            log->info("script: linked alerts {}: {} from {} {} ({}) value {} {} level {}", alerts.size(),
                      a.value("alertId").toString().toStdString(),
                      a.value("sourceKind").toString().toStdString(),
                      a.value("sourceId").toString().toStdString(),
                      a.value("quantity").toString().toStdString(), a.value("value").toDouble(),
                      a.value("unit").toString().toStdString(), a.value("level").toInt());
            ticked = firstTickable();
            callQml(root, "tickSop", ticked);
            log->info("script: ticked SOP step {} of {}", ticked, sop.size());
            next();
          } else if (*step == 2) {
            for (const auto &x : sop) {
              auto m = x.toMap();
              if (m.value("step").toInt() != ticked || m.value("doneAt").toDouble() <= 0) continue;
              log->info("script: SOP step {} done by {}", ticked, m.value("doneBy").toString().toStdString());
              callQml(root, "fillNote", QStringLiteral("堤段巡查中，水位仍在上涨"));
              if (click(root, "noteButton")) next();
              break;
            }
          } else if (*step == 3 && !timeline.isEmpty() &&
                     timeline.last().toMap().value("action").toString() == "note") {
            log->info("script: note added");
            callQml(root, "fillReason", QStringLiteral("水位回落"));
            if (click(root, "closeButton")) next();
          } else if (*step == 4 && detailState == "closed") {
            log->info("script: incident closed");
            if (click(root, "reopenButton")) next();
          } else if (*step == 5 && detailState != "closed" && !detailState.isEmpty()) {
            log->info("script: incident reopened, now {}", detailState.toStdString());
            auto cams = detail.value("cameras").toList();
            if (!cams.isEmpty()) callQml(root, "playRecording", cams.first().toMap().value("cameraId"));
            next();
          } else if (*step == 6 && !backend.recording().isEmpty() &&
                     (backend.recording().value("index").toInt() >= 1 ||
                      !backend.recording().contains("url")) &&
                     *waited > 5) {
            // On to the second segment (or the recording's end) by itself.
            auto r = backend.recording();
            log->info("script: recording pane: {} (url {})",
                      callQml(root, "recordingText").toString().toStdString(),
                      r.value("url").toString().toStdString());
            shot("detail");
            // Then from half a second before the end of the second segment,
            // as ⏪/⏩ ask for a time.
            auto starts = r.value("starts").toList(), ends = r.value("ends").toList();
            if (starts.size() < 2) return done(timer);
            callQml(root, "playRecordingAt", ends[1].toDouble() / 1000 - 500);
            next();
          } else if (*step == 7 && backend.recording().value("offsetS").toDouble() > 1) {
            auto r = backend.recording();
            log->info("script: recording from {:.3f} s into {}", r.value("offsetS").toDouble(),
                      r.value("url").toString().toStdString());
            log->info("script: recording pane: {}", callQml(root, "recordingText").toString().toStdString());
            done(timer);
          }
        } else if (script == "wallbench") {
          // scripts/bench console: from layout 1 to 16 until every tile shows
          // a picture, then the process's CPU over 10 s of the 16-tile wall.
          auto now = std::chrono::steady_clock::now();
          int cams = std::min(16, backend.cameras()->count());
          if (*step == 0 && backend.signedIn() && cams > 0 && (cams == 16 || *waited > 500)) {
            callQml(root, "setWallLayout", QStringLiteral("1"));
            next();
          } else if (*step == 1 && *waited > 100) {
            bench->switchStart = now;
            callQml(root, "setWallLayout", QStringLiteral("16"));
            next();
          } else if (*step == 2 && callQml(root, "wallPlaying").toInt() >= cams) {
            bench->switchMs = std::chrono::duration<double, std::milli>(now - bench->switchStart).count();
            bench->cpuStart = cpuSeconds();
            bench->cpuWallStart = now;
            next();
          } else if (*step == 3 && now - bench->cpuWallStart >= std::chrono::seconds(10)) {
            double cpu = cpuSeconds() - bench->cpuStart;
            double wallS = std::chrono::duration<double>(now - bench->cpuWallStart).count();
            log->info(
                "wallbench: {{\"wall_switch_ms\": {:.1f}, \"wall16_cpu_pct\": {:.1f}, \"wall16_tiles\": {}, "
                "\"wall16_pipelines\": {}, \"cores\": {}}}",
                bench->switchMs, 100 * cpu / wallS, cams, backend.livePipelines(),
                std::thread::hardware_concurrency());
            done(timer);
          }
        } else if (script == "agency") {
          auto tasks = backend.tasks();
          if (*step == 0 && !tasks.isEmpty() && tasks.first().toMap().value("state") == "dispatched" &&
              callQml(root, "acknowledgeTask", 0).toBool()) {
            log->info("script: pressed acknowledge on task {}",
                      tasks.first().toMap().value("taskId").toString().toStdString());
            next();
          } else if (*step == 1 && !tasks.isEmpty() &&
                     tasks.first().toMap().value("state") == "acknowledged") {
            log->info("script: task acknowledged");
            shot("agency");
            callQml(root, "raiseTestIncident");
            next();
          } else if (*step == 2 && backend.status().contains(QStringLiteral("河堤"))) {
            log->info("script: incident raised");
            timer->stop();  // stays up: the link-down test restarts the centre under it
          }
        }
      });
      timer->start(script == "wallbench" ? 20 : 200);  // the bench times the switch in 20 ms steps
    }
    if (quitAfterMs > 0) QTimer::singleShot(quitAfterMs, &app, quit);
    QObject::connect(&app, &QCoreApplication::aboutToQuit, [] { console::VideoPlayer::shutDown(); });
    return QGuiApplication::exec();
  } catch (const std::exception &e) {
    std::fprintf(stderr, "liandong-console-qt: %s\n", e.what());
    return kExitFailure;
  }
}
