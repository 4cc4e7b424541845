// UiScripts: the console's UI scripts, step by step (see ui_scripts.h).
#include "ui_scripts.h"

#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <thread>

#include "backend.h"
#include "console_app.h"
#include "liandong/core/logging.h"
#include "wall_layout.h"

namespace liandong::console::driver {
namespace {

// User + system CPU seconds of this process so far.
double cpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// A wall's tiles (VideoTile items "wallTile<i>"), by index.
std::vector<QQuickItem *> wallTileItems(const UiDriver &ui) {
  auto tiles = ui.findAll(QStringLiteral("wallTile"));
  auto index = [](QQuickItem *t) { return t->objectName().mid(8).toInt(); };
  std::sort(tiles.begin(), tiles.end(), [&](auto *a, auto *b) { return index(a) < index(b); });
  return tiles;
}

QQuickItem *wallItem(const UiDriver &ui) {
  return ui.find(QStringLiteral("wall"));
}

// The wall's tile `i` plays past its first keyframe.
bool tilePlaying(const UiDriver &ui, int i) {
  for (auto *t : wallTileItems(ui))
    if (t->objectName() == QStringLiteral("wallTile%1").arg(i))
      return t->property("playing").toBool() && UiDriver::call(t, "frames").toInt() > 20;
  return false;
}

QString wallGeometry(const UiDriver &ui) {
  QStringList out;
  for (auto *t : wallTileItems(ui)) out << UiDriver::geometry(t);
  return out.join(QLatin1Char(' '));
}

}  // namespace

UiScripts::UiScripts(ConsoleApp &app, std::string script, std::string shots, std::string sensor)
    : backend_(app.backend()),
      ui_(app.window()),
      script_(std::move(script)),
      shots_(std::move(shots)),
      sensor_(std::move(sensor)) {}

bool UiScripts::known(const std::string &script) {
  return table().count(script) > 0;
}

void UiScripts::start(std::function<void()> finished) {
  finished_ = std::move(finished);
  QObject::connect(&timer_, &QTimer::timeout, [this] { tick(); });
  timer_.start(script_ == "wallbench" ? 20 : 200);  // the bench times the switch in 20 ms steps
}

int UiScripts::wallTiles(const UiDriver &ui) {
  auto *wall = wallItem(ui);
  if (!wall) return 0;
  return wall->property("maximised").toInt() >= 0 ? 1 : wall->property("tiles").toInt();
}

int UiScripts::wallPlaying(const UiDriver &ui) {
  int n = 0;
  auto *big = ui.find(QStringLiteral("wallMaximised"));
  if (big && big->isVisible() && big->property("playing").toBool()) ++n;
  for (auto *t : wallTileItems(ui)) n += t->property("playing").toBool();
  return n;
}

void UiScripts::tick() {
  ++waited_;
  (this->*table().at(script_))();
}

void UiScripts::next() {
  ++step_;
  waited_ = 0;
}

void UiScripts::done() {
  timer_.stop();
  if (finished_) finished_();
}

// Screenshots for the scripts (and the demo): <shots>/<name>.png.
void UiScripts::shot(const std::string &name) {
  if (shots_.empty()) return;
  std::filesystem::create_directories(shots_);
  UiDriver::grab(ui_.window(), (std::filesystem::path(shots_) / (name + ".png")).string());
}

// A click on the first row of the queue, once signed in with incidents.
bool UiScripts::openFirstIncident() {
  return backend_.session().signedIn() && backend_.incidents()->count() > 0 &&
         ui_.click(QStringLiteral("queueRow0"));
}

void UiScripts::verify() {
  auto log = logging::get("console");
  const auto state = backend_.incident().detail().value("state").toString();
  if (step_ == 0 && openFirstIncident()) {
    log->info("script: opened the first incident");
    next();
  } else if (step_ == 1 && state == "reported" && waited_ > 2 && ui_.click(QStringLiteral("verifyButton"))) {
    log->info("script: pressed verify");
    next();
  } else if (step_ == 2 && state == "verified" && !backend_.status().isEmpty()) {
    log->info("script: verify done, incident {} verified",
              backend_.incident().detail().value("incidentId").toString().toStdString());
    log->info("script: status bar: {}", backend_.status().toStdString());
    done();
  }
}

void UiScripts::video() {
  auto log = logging::get("console");
  auto cams = backend_.incident().cameras()->rows();
  auto *pane = ui_.find(QStringLiteral("paneTile"));
  const int frames = pane && pane->isVisible() ? UiDriver::call(pane, "frames").toInt() : 0;
  if (step_ == 0 && backend_.session().signedIn() && backend_.incidents()->count() > 0 && waited_ > 15) {
    shot("map");
    if (!openFirstIncident()) return;
    log->info("script: opened the first incident");
    next();
  } else if (step_ == 1 && !cams.isEmpty() && waited_ > 2 && ui_.click(QStringLiteral("cameraButton0"))) {
    auto id = cams.first().toMap().value("cameraId").toString();
    log->info("script: pressed play on camera {} ({})", id.toStdString(),
              backend_.cameras()->stateOf(id).toStdString());
    next();
  } else if (step_ == 2 && frames > 25) {
    ui_.click(QStringLiteral("snapshotButton"));
    next();
  } else if (step_ == 2 && (!pane || !pane->isVisible()) && waited_ > 20) {
    // The click landed while the detail was still being laid out (a loaded
    // machine): press play again, as an officer would.
    log->info("script: the video pane did not open; pressing play again");
    step_ = 1;
    waited_ = 0;
  } else if (step_ == 3 && waited_ > 5) {
    log->info("script: video playing, {} frames; pane {}", frames, UiDriver::geometry(pane).toStdString());
    shot("incident");
    done();
  }
}

// Named layouts by their buttons, then two custom ones set through the rows
// × columns (+ main tile) controls, then back to 4; a layout that does not
// parse (as a preset file may hold) is refused; tile 0 maximised and back;
// then the alarm pop-up of a new incident.
void UiScripts::wall() {
  auto log = logging::get("console");
  static const char *layouts[] = {"9", "16", "1+5", "1", "2x3", "4x4+3", "4"};
  constexpr int kLayouts = 7;
  auto *wall = wallItem(ui_);
  auto *big = ui_.find(QStringLiteral("wallMaximised"));
  const int cameras = backend_.cameras()->count();
  const auto layoutNow = wall ? wall->property("layout").toString().toStdString() : std::string();
  if (step_ == 0 && backend_.session().signedIn() && cameras > 0 &&
      wallPlaying(ui_) >= std::min(4, cameras) && waited_ > 5) {
    log->info("script: wall 4 playing {}, {} pipelines; tiles {}", wallPlaying(ui_), backend_.livePipelines(),
              wallGeometry(ui_).toStdString());
    shot("wall");
    next();
  } else if (step_ >= 1 && step_ <= kLayouts && waited_ > 3) {
    // The previous layout has settled: count its pipelines, then switch.
    if (step_ > 1)
      log->info("script: layout {}: {} tiles, {} pipelines", layouts[step_ - 2], wallTiles(ui_),
                backend_.livePipelines());
    const QString target = QString::fromLatin1(layouts[step_ - 1]);
    if (auto custom = WallLayout::parse(target); custom && target.contains('x')) {
      // The spin boxes as a user leaves them, then 自定义.
      auto *rows = ui_.find(QStringLiteral("wallRows")), *columns = ui_.find(QStringLiteral("wallColumns")),
           *span = ui_.find(QStringLiteral("wallSpan"));
      if (!rows || !columns || !span) return;
      rows->setProperty("value", custom->rows);
      columns->setProperty("value", custom->columns);
      span->setProperty("value", custom->span);
      if (!ui_.click(QStringLiteral("customLayoutButton"))) return;
    } else if (!ui_.click(QStringLiteral("layout") + target)) {
      return;
    }
    next();
  } else if (step_ == kLayouts + 1 && waited_ > 3) {
    log->info("script: layout 4: {} tiles, {} pipelines", wallTiles(ui_), backend_.livePipelines());
    const bool refused = !UiDriver::call(wall, "setLayout", QStringLiteral("9x9")).toBool();
    log->info("script: layout 9x9 refused: {}, still {}", refused,
              wall->property("layout").toString().toStdString());
    backend_.wall().savePreset(QStringLiteral("custom"), QStringLiteral("4x4+3"), backend_.cameras()->ids());
    // What a double tap on tile 0 does (synthetic double clicks do not reach
    // the tile's TapHandler as a double tap): the wall's `maximised`.
    wall->setProperty("maximised", 0);
    next();
  } else if (step_ == kLayouts + 2 && wall && big && big->isVisible() && big->property("playing").toBool()) {
    log->info("script: maximised tile 0 plays {}", big->property("url").toString().toStdString());
    wall->setProperty("maximised", -1);
    backend_.wall().savePreset(QStringLiteral("script"), QStringLiteral("4"), backend_.cameras()->ids());
    log->info("script: wall ready");
    next();
  } else if (step_ == kLayouts + 3 && wall && tilePlaying(ui_, wall->property("alarmTile").toInt()) &&
             waited_ > 10) {
    log->info("script: alarm shown in tile {}", wall->property("alarmTile").toInt());
    shot("wall-alarm");
    next();
  } else if (step_ == kLayouts + 4 && wall && wall->property("alarmTile").toInt() < 0) {
    log->info("script: alarm reverted, layout {}", layoutNow);
    done();
  }
}

// A click on a sensor on the map opens its chart (the script opens it by id).
void UiScripts::chart() {
  auto log = logging::get("console");
  auto *chart = ui_.find(QStringLiteral("sensorChart"));
  if (step_ == 0 && backend_.session().signedIn() && waited_ > 5 && chart) {
    UiDriver::call(chart, "open", QString::fromStdString(sensor_));
    log->info("script: opened the chart of sensor {}", sensor_);
    next();
  } else if (step_ == 1 && UiDriver::call(chart, "pointCount").toInt() > 0 && waited_ > 5) {
    log->info("script: chart of {} shows {} points", sensor_, UiDriver::call(chart, "pointCount").toInt());
    shot("chart");
    done();
  }
}

// The duty officer's round: the incident an alert opened, its camera, a task
// for py-sanfang (acknowledged by the agency meanwhile), then closing it.
void UiScripts::flow() {
  auto log = logging::get("console");
  auto detail = backend_.incident().detail();
  auto cams = backend_.incident().cameras()->rows();
  auto tasks = detail.value("tasks").toList();
  auto *pane = ui_.find(QStringLiteral("paneTile"));
  const int frames = pane && pane->isVisible() ? UiDriver::call(pane, "frames").toInt() : 0;
  if (step_ == 0 && openFirstIncident()) {
    log->info("script: opened the first incident");
    next();
  } else if (step_ == 1 && !cams.isEmpty() && ui_.click(QStringLiteral("cameraButton0"))) {
    next();
  } else if (step_ == 2 && frames > 10) {
    log->info("script: camera playing, {} frames", frames);
    ui_.type(QStringLiteral("dispatchAgencies"), QStringLiteral("py-sanfang"));
    ui_.type(QStringLiteral("taskTitle"), QStringLiteral("巡查堤段并回报"));
    if (ui_.click(QStringLiteral("dispatchButton"))) next();
  } else if (step_ == 3 && !tasks.isEmpty()) {
    log->info("script: dispatched task {}", tasks.first().toMap().value("taskId").toString().toStdString());
    next();
  } else if (step_ == 4 && !tasks.isEmpty() && tasks.first().toMap().value("state") == "acknowledged") {
    log->info("script: the agency acknowledged");
    ui_.type(QStringLiteral("reasonField"), QStringLiteral("险情已排除"));
    if (ui_.click(QStringLiteral("closeButton"))) next();
  } else if (step_ == 5 && detail.value("state").toString() == "closed") {
    log->info("script: incident closed");
    done();
  }
}

// The incident detail: linked alerts, an SOP step ticked, a note, close and
// reopen, then the first camera's recording.
void UiScripts::detail() {
  auto log = logging::get("console");
  auto detail = backend_.incident().detail();
  const auto state = detail.value("state").toString();
  auto alerts = backend_.incident().linkedAlerts()->rows();
  auto sop = backend_.incident().sopSteps()->rows();
  auto timeline = detail.value("timeline").toList();
  auto firstTickable = [&] {
    for (const auto &x : sop)
      if (x.toMap().value("tickable").toBool()) return x.toMap().value("step").toInt();
    return 0;
  };
  auto recordingText = [&] {
    return ui_.property(QStringLiteral("paneTitle"), "text").toString().toStdString();
  };
  if (step_ == 0 && openFirstIncident()) {
    log->info("script: opened the first incident");
    next();
  } else if (step_ == 1 && !alerts.isEmpty() && firstTickable() > 0) {
    auto a = alerts.first().toMap();
    log->info("script: linked alerts {}: {} from {} {} ({}) value {} {} level {}", alerts.size(),
              a.value("alertId").toString().toStdString(), a.value("sourceKind").toString().toStdString(),
              a.value("sourceId").toString().toStdString(), a.value("quantity").toString().toStdString(),
              a.value("value").toDouble(), a.value("unit").toString().toStdString(),
              a.value("level").toInt());
    ticked_ = firstTickable();
    if (!ui_.click(QStringLiteral("sopStep%1").arg(ticked_))) return;
    log->info("script: ticked SOP step {} of {}; {} cameras, {} situation reports", ticked_, sop.size(),
              backend_.incident().cameras()->count(), backend_.incident().sitreps()->count());
    next();
  } else if (step_ == 2) {
    for (const auto &x : sop) {
      auto m = x.toMap();
      if (m.value("step").toInt() != ticked_ || m.value("doneAt").toDouble() <= 0) continue;
      log->info("script: SOP step {} done by {}", ticked_, m.value("doneBy").toString().toStdString());
      ui_.type(QStringLiteral("noteField"), QStringLiteral("堤段巡查中，水位仍在上涨"));
      if (ui_.click(QStringLiteral("noteButton"))) next();
      break;
    }
  } else if (step_ == 3 && !timeline.isEmpty() &&
             timeline.last().toMap().value("action").toString() == "note") {
    log->info("script: note added");
    ui_.type(QStringLiteral("reasonField"), QStringLiteral("水位回落"));
    if (ui_.click(QStringLiteral("closeButton"))) next();
  } else if (step_ == 4 && state == "closed") {
    log->info("script: incident closed");
    if (ui_.click(QStringLiteral("reopenButton"))) next();
  } else if (step_ == 5 && state != "closed" && !state.isEmpty()) {
    log->info("script: incident reopened, now {}", state.toStdString());
    // The recording of the first camera that is live (one that records),
    // else of the first camera.
    const auto rows = backend_.incident().cameras()->rows();
    int pick = 0;
    for (int i = 0; i < rows.size(); ++i)
      if (backend_.cameras()->stateOf(rows[i].toMap().value("cameraId").toString()) == "live") {
        pick = i;
        break;
      }
    if (!rows.isEmpty()) ui_.click(QStringLiteral("recordingButton%1").arg(pick));
    next();
  } else if (step_ == 6 && !backend_.recordings().recording().isEmpty() &&
             (backend_.recordings().recording().value("index").toInt() >= 1 ||
              !backend_.recordings().recording().contains("url")) &&
             waited_ > 5) {
    // On to the second segment (or the recording's end) by itself.
    auto r = backend_.recordings().recording();
    log->info("script: recording pane: {} (url {})", recordingText(),
              r.value("url").toString().toStdString());
    shot("detail");
    // Then from half a second before the end of the second segment, as
    // ⏪/⏩ ask for a time.
    auto starts = r.value("starts").toList(), ends = r.value("ends").toList();
    if (starts.size() < 2) return done();
    backend_.recordings().playRecordingFrom(r.value("cameraId").toString(), ends[1].toDouble() / 1000 - 500);
    next();
  } else if (step_ == 7 && backend_.recordings().recording().value("offsetS").toDouble() > 1) {
    auto r = backend_.recordings().recording();
    log->info("script: recording from {:.3f} s into {}", r.value("offsetS").toDouble(),
              r.value("url").toString().toStdString());
    log->info("script: recording pane: {}", recordingText());
    done();
  }
}

// scripts/bench-wall: from layout 1 to 16 until every tile shows a picture,
// then the process's CPU over 10 s of the 16-tile wall.
void UiScripts::wallbench() {
  auto log = logging::get("console");
  auto now = std::chrono::steady_clock::now();
  int cams = std::min(16, backend_.cameras()->count());
  if (step_ == 0 && backend_.session().signedIn() && cams > 0 && (cams == 16 || waited_ > 500)) {
    if (ui_.click(QStringLiteral("layout1"))) next();
  } else if (step_ == 1 && waited_ > 100) {
    switchStart_ = now;
    if (ui_.click(QStringLiteral("layout16"))) next();
  } else if (step_ == 2 && wallPlaying(ui_) >= cams) {
    switchMs_ = std::chrono::duration<double, std::milli>(now - switchStart_).count();
    cpuStart_ = cpuSeconds();
    cpuWallStart_ = now;
    next();
  } else if (step_ == 3 && now - cpuWallStart_ >= std::chrono::seconds(10)) {
    double cpu = cpuSeconds() - cpuStart_;
    double wallS = std::chrono::duration<double>(now - cpuWallStart_).count();
    log->info(
        "wallbench: {{\"wall_switch_ms\": {:.1f}, \"wall16_cpu_pct\": {:.1f}, \"wall16_tiles\": {}, "
        "\"wall16_pipelines\": {}, \"cores\": {}}}",
        switchMs_, 100 * cpu / wallS, cams, backend_.livePipelines(), std::thread::hardware_concurrency());
    done();
  }
}

void UiScripts::agency() {
  auto log = logging::get("console");
  auto tasks = backend_.agencyTasks().tasks()->rows();
  const auto firstState = tasks.isEmpty() ? QString() : tasks.first().toMap().value("state").toString();
  if (step_ == 0 && firstState == "dispatched" && ui_.click(QStringLiteral("ackButton0"))) {
    log->info("script: pressed acknowledge on task {}",
              tasks.first().toMap().value("taskId").toString().toStdString());
    next();
  } else if (step_ == 1 && firstState == "acknowledged") {
    log->info("script: task acknowledged");
    shot("agency");
    ui_.type(QStringLiteral("incidentTitleField"), QStringLiteral("河堤渗漏"));
    ui_.type(QStringLiteral("incidentDescriptionField"), QStringLiteral("市桥河东岸堤脚渗水"));
    if (ui_.click(QStringLiteral("raiseButton"))) next();
  } else if (step_ == 2 && backend_.status().contains(QStringLiteral("河堤"))) {
    log->info("script: incident raised");
    timer_.stop();  // stays up: the link-down test restarts the centre under it
  }
}

const std::map<std::string, void (UiScripts::*)()> &UiScripts::table() {
  static const std::map<std::string, void (UiScripts::*)()> all{
      {"verify", &UiScripts::verify}, {"video", &UiScripts::video},        {"wall", &UiScripts::wall},
      {"chart", &UiScripts::chart},   {"flow", &UiScripts::flow},          {"detail", &UiScripts::detail},
      {"agency", &UiScripts::agency}, {"wallbench", &UiScripts::wallbench}};
  return all;
}

}  // namespace liandong::console::driver
