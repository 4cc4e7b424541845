// ConsoleApp: the console's start (options, configuration, QML, wall
// windows) shared by liandong-console-qt and its UI driver.
#include "console_app.h"

#include <gst/gst.h>

#include <QCoreApplication>
#include <QFont>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QQmlComponent>
#include <QQmlContext>
#include <QScreen>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <CLI/CLI.hpp>

#include "backend.h"
#include "liandong/core/daemon.h"
#include "liandong/core/logging.h"
#include "video_player.h"

namespace liandong::console {

void ConsoleOptions::addTo(CLI::App &cli) {
  cli.add_option("-c,--config", config, "console configuration (YAML)")->required();
  cli.add_option("--lang", lang, "zh_CN (default) or en")->check(CLI::IsMember({"zh_CN", "en"}));
  cli.add_option("--mode", mode, "duty, agency or leader instead of the signed-in user's role")
      ->check(CLI::IsMember({"duty", "agency", "leader"}));
  cli.add_option("--wall-screens", wallScreens,
                 "open a video wall window on each of the first N screens (instead of wall.screens)")
      ->check(CLI::Range(0, 16));
  cli.add_flag("--windowed", windowed, "leader mode in a window instead of full screen");
}

void ConsoleApp::initProcess(int *argc, char ***argv) {
  gst_init(argc, argv);
  QQuickWindow::setGraphicsApi(QSGRendererInterface::OpenGL);
}

ConsoleApp::ConsoleApp(ConsoleOptions options, std::string name)
    : options_(std::move(options)), name_(std::move(name)) {}

ConsoleApp::~ConsoleApp() = default;

int ConsoleApp::open() {
  ConsoleSettings settings;
  try {
    settings = ConsoleSettings::load(options_.config);
    if (!options_.lang.empty()) settings.language = options_.lang;
    logging::setup("info", "console-qt:" + settings.id);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s: %s\n", name_.c_str(), e.what());
    return kExitConfig;
  }
  const char *password = std::getenv("LIANDONG_PASSWORD");
  if (!settings.user.empty() && !password) {
    std::fprintf(stderr, "%s: console.user is set: give the password in $LIANDONG_PASSWORD\n", name_.c_str());
    return kExitConfig;
  }
  // Chinese text needs a CJK font (fonts-noto-cjk); prefer it when present.
  if (QFontDatabase::families().contains(QStringLiteral("Noto Sans CJK SC"))) {
    QFont font(QStringLiteral("Noto Sans CJK SC"));
    font.setPointSize(10);
    QGuiApplication::setFont(font);
  }
  try {
    const std::string language = settings.language;
    backend_ = std::make_unique<Backend>(std::move(settings), password ? password : "");
    backend_->session().setModeOverride(QString::fromStdString(options_.mode));
    VideoPlayer::registerVideoItem();  // before QML: makes GstGLQt6VideoItem a type
    engine_ = std::make_unique<QQmlApplicationEngine>();
    engine_->rootContext()->setContextProperty(QStringLiteral("fullScreenWall"), !options_.windowed);
    backend_->session().setEngine(engine_.get());
    backend_->session().setLanguage(QString::fromStdString(language));
    // One object per job (backend.h): the live picture, the session, the
    // open incident, its recordings, the wall, the alarms, the agency's tasks.
    auto *context = engine_->rootContext();
    context->setContextProperty(QStringLiteral("backend"), backend_.get());
    context->setContextProperty(QStringLiteral("session"), &backend_->session());
    context->setContextProperty(QStringLiteral("incident"), &backend_->incident());
    context->setContextProperty(QStringLiteral("recordings"), &backend_->recordings());
    context->setContextProperty(QStringLiteral("wallControl"), &backend_->wall());
    context->setContextProperty(QStringLiteral("alarms"), &backend_->alarms());
    context->setContextProperty(QStringLiteral("agencyTasks"), &backend_->agencyTasks());
    engine_->load(QUrl(QStringLiteral("qrc:/qt/qml/Liandong/Console/Main.qml")));
    if (engine_->rootObjects().isEmpty()) {
      std::fprintf(stderr, "%s: Main.qml did not load\n", name_.c_str());
      return kExitFailure;
    }
    window_ = qobject_cast<QQuickWindow *>(engine_->rootObjects().first());
    if (int rc = openWallWindows(); rc != 0) return rc;
    backend_->start();
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s: %s\n", name_.c_str(), e.what());
    return kExitFailure;
  }
  return 0;
}

// Wall windows, one per screen: the first N screens, or those named in wall.screens.
int ConsoleApp::openWallWindows() {
  auto log = logging::get("console");
  std::vector<QScreen *> targets;
  const auto screens = QGuiApplication::screens();
  QStringList screenNames;
  for (auto *sc : screens) screenNames << sc->name();
  if (options_.wallScreens > 0) {
    for (int i = 0; i < options_.wallScreens; ++i)
      if (i < screens.size())
        targets.push_back(screens[i]);
      else
        log->warn("--wall-screens {}: this display has {} screens ({}); wall window {} not opened",
                  options_.wallScreens, screens.size(), screenNames.join(", ").toStdString(), i + 1);
  } else {
    // By name, or by number (1 = the first screen): X servers may give every screen the same name.
    for (const auto &name : backend_->settings().wallScreens) {
      bool number = false;
      const int n = QString::fromStdString(name).toInt(&number);
      auto it = number ? (n >= 1 && n <= screens.size() ? screens.begin() + (n - 1) : screens.end())
                       : std::find_if(screens.begin(), screens.end(),
                                      [&](QScreen *sc) { return sc->name().toStdString() == name; });
      if (it == screens.end())
        log->warn("wall.screens: no screen named \"{}\" (screens: {}); no wall window for it", name,
                  screenNames.join(", ").toStdString());
      else
        targets.push_back(*it);
    }
  }
  if (targets.empty()) return 0;
  QQmlComponent component(engine_.get(), QUrl(QStringLiteral("qrc:/qt/qml/Liandong/Console/WallWindow.qml")));
  for (std::size_t i = 0; i < targets.size(); ++i) {
    QScreen *sc = targets[i];
    std::unique_ptr<QObject> object(
        component.createWithInitialProperties({{QStringLiteral("index"), static_cast<int>(i)}}));
    auto *w = qobject_cast<QQuickWindow *>(object.get());
    if (!w) {
      std::fprintf(stderr, "%s: WallWindow.qml did not load: %s\n", name_.c_str(),
                   component.errorString().toStdString().c_str());
      return kExitFailure;
    }
    object.release();
    wallWindows_.emplace_back(w);
    w->setScreen(sc);
    const QRect g = sc->geometry();
    if (options_.windowed) {
      w->setGeometry(QRect(g.topLeft(), QSize(std::min(g.width(), 1280), std::min(g.height(), 720))));
      w->show();
    } else {
      w->setGeometry(g);
      w->showFullScreen();
    }
    log->info("wall window {} on screen {} \"{}\" ({}x{} at {},{}){}", i + 1, screens.indexOf(sc) + 1,
              sc->name().toStdString(), g.width(), g.height(), g.x(), g.y(),
              options_.windowed ? ", windowed" : "");
  }
  return 0;
}

int ConsoleApp::exec() {
  QObject::connect(QCoreApplication::instance(), &QCoreApplication::aboutToQuit,
                   [] { VideoPlayer::shutDown(); });
  try {
    return QGuiApplication::exec();
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s: %s\n", name_.c_str(), e.what());
    return kExitFailure;
  }
}

}  // namespace liandong::console
