// Backend: the Clone stream into the queue, cameras and sensor colours,
// the link state, map tiles, charts and snapshots; it creates the console's
// other QML-facing objects (see backend.h).
#include "backend.h"

#include <QDateTime>
#include <QDir>
#include <QImage>
#include <QPointer>
#include <QQuickWindow>
#include <QRegularExpression>
#include <QTimer>

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "liandong/core/logging.h"
#include "qt_text.h"
#include "video_player.h"

namespace liandong::console {
Backend::Backend(ConsoleSettings settings, std::string password, QObject *parent)
    : QObject(parent),
      settings_(std::move(settings)),
      password_(std::move(password)),
      tileWork_(context_, settings_.queryEndpoint, settings_.clone.serverPublicZ85, settings_.clone.keys),
      calls_(context_, settings_.queryEndpoint, settings_.clone.serverPublicZ85, settings_.clone.keys,
             settings_.id),
      cameras_(q(settings_.videoUrl), q(settings_.videoSubUrl)),
      session_(calls_),
      incident_(calls_, session_, model_, cameras_),
      recordings_(calls_, incident_, cameras_),
      wall_(calls_, settings_.wallPresets, settings_.tourDwellS),
      alarms_(calls_, cameras_,
              Alarms::Options{settings_.alarmLevel, settings_.alarmPopupS, settings_.alarmSound,
                              settings_.alarmSoundSink}),
      tasks_(calls_),
      tiles_(new CentreTiles(tileWork_, this)) {
  queue_.setSourceModel(&model_);
  connect(&model_, &QAbstractItemModel::rowsInserted, this, &Backend::summaryChanged);
  connect(&model_, &QAbstractItemModel::rowsRemoved, this, &Backend::summaryChanged);
  connect(&model_, &QAbstractItemModel::rowsMoved, this, &Backend::summaryChanged);
  connect(&model_, &QAbstractItemModel::dataChanged, this, &Backend::summaryChanged);
  connect(&model_, &QAbstractItemModel::modelReset, this, &Backend::summaryChanged);
  connect(&calls_, &CentreCalls::statusChanged, this, &Backend::statusChanged);
  connect(&calls_, &CentreCalls::busyChanged, this, &Backend::busyChanged);
  // Signed in: from now on the live state is what this user may see
  // (jurisdiction, role); an agency sees its tasks.
  connect(&session_, &Session::sessionChanged, this, [this] {
    if (clone_) clone_->setSession(calls_.session());
    // Cameras, sensors and incidents on the map need the session.
    tiles_->setSession(calls_.session());
    for (const char *layer : {"cameras", "sensors", "incidents"})
      emit tiles_->layerChanged(QString::fromLatin1(layer));
    if (session_.mode() == QLatin1String("agency")) tasks_.loadTasks();
  });
}

Backend::~Backend() {
  clone_.reset();
}

void Backend::start() {
  // Sign in; the live state starts with what the console's key may see and
  // narrows to the user's view once signed in.
  if (!settings_.user.empty() && !settings_.queryEndpoint.empty()) session_.signIn(settings_.user, password_);
  password_.clear();
  clone_ = std::make_unique<link::CloneClient>(context_, settings_.clone, cloneCallbacks());
}

// The Clone client's callbacks run on its thread: each hands its items to
// the GUI thread.
link::CloneClient::Callbacks Backend::cloneCallbacks() {
  QPointer<Backend> self(this);
  link::CloneClient::Callbacks callbacks;
  callbacks.onSnapshot = [self](const std::map<std::string, wire::StateUpdate> &state) {
    std::vector<wire::IncidentReport> incidents;
    std::vector<wire::Envelope> cameras;
    std::vector<wire::StateUpdate> alerts;
    for (const auto &[key, item] : state)
      if (key.rfind("incident/", 0) == 0 && item.source().has_incident_report())
        incidents.push_back(item.source().incident_report());
      else if (key.rfind("camera/", 0) == 0 && item.source().has_camera_status())
        cameras.push_back(item.source());
      else if (key.rfind("alert/", 0) == 0 && item.source().has_alert())
        alerts.push_back(item);
    QMetaObject::invokeMethod(
        self.data(),
        [self, incidents = std::move(incidents), cameras = std::move(cameras), alerts = std::move(alerts)] {
          if (self) self->onSnapshot(incidents, cameras, alerts);
        },
        Qt::QueuedConnection);
  };
  callbacks.onUpdate = [self](const wire::StateUpdate &u) {
    if (u.key().rfind("camera/", 0) != 0 && u.key().rfind("alert/", 0) != 0 &&
        u.key().rfind("incident/", 0) != 0)
      return;
    QMetaObject::invokeMethod(
        self.data(),
        [self, u] {
          if (!self) return;
          if (u.key().rfind("camera/", 0) == 0) {
            if (u.removed())
              self->cameras_.remove(u.key().substr(7));
            else
              self->cameras_.upsert(u.source());
            if (u.source().has_camera_status())
              logging::get("console")->info(
                  "camera {} {}", u.source().camera_status().camera_id(),
                  CameraModel::stateName(u.source().camera_status().state()).toStdString());
          } else if (u.key().rfind("alert/", 0) == 0) {
            self->onAlertItem(u);
          } else {
            self->onIncidentItem(u);
          }
        },
        Qt::QueuedConnection);
  };
  callbacks.onLink = [self](bool up) {
    QMetaObject::invokeMethod(
        self.data(),
        [self, up] {
          if (!self) return;
          self->linkUp_ = up;
          int resyncs = self->resyncs_;
          if (!up) self->linkDownSince_ = static_cast<double>(QDateTime::currentMSecsSinceEpoch());
          logging::get("console")->info("link to the centre {} ({} resyncs)", up ? "up" : "down", resyncs);
          emit self->linkUpChanged();
        },
        Qt::QueuedConnection);
  };
  return callbacks;
}

void Backend::onSnapshot(const std::vector<wire::IncidentReport> &incidents,
                         const std::vector<wire::Envelope> &cameras,
                         const std::vector<wire::StateUpdate> &alerts) {
  activeAlerts_.clear();
  for (const auto &a : alerts) onAlertItem(a);
  if (alerts.empty()) {
    sensorStates_.clear();
    emit sensorStatesChanged();
  }
  model_.reset(incidents);
  cameras_.clear();
  for (const auto &c : cameras) cameras_.upsert(c);
  // A snapshot after the link was lost is the resync the banner waited
  // for (the one after signing in, which narrows the view, is not).
  if (linkDownSince_ > 0) {
    ++resyncs_;
    linkDownSince_ = 0;
  }
  snapshotLoaded_ = true;
  emit linkUpChanged();
  logging::get("console")->info("snapshot: queue {} incidents, {} cameras{}", model_.count(),
                                cameras_.count(), resyncs_ ? fmt::format(" (resync {})", resyncs_) : "");
  emit tiles_->layerChanged(QStringLiteral("incidents"));
}

void Backend::onIncidentItem(const wire::StateUpdate &u) {
  auto id = u.key().substr(9);
  if (u.removed()) {
    model_.remove(id);
  } else if (u.source().has_incident_report()) {
    const auto &r = u.source().incident_report();
    const auto *before = model_.find(id);
    const bool raise = snapshotLoaded_ && alarms_.newlyAlarming(before, r);
    model_.upsert(r);
    if (raise) alarms_.raise(r);
    if (snapshotLoaded_ && !before && r.state() != "closed") {
      newIncidents_[q(id)] = QDateTime::currentMSecsSinceEpoch();
      emit newIncidentsChanged();
      QTimer::singleShot(61000, this, [this] { expireNewIncidents(); });
    }
    logging::get("console")->info("incident {} {} ({}): queue {} incidents", id, r.state(), r.change(),
                                  model_.count());
  }
  emit tiles_->layerChanged(QStringLiteral("incidents"));
  // Keep the detail current.
  if (q(id) == incident_.openId() && calls_.hasSession()) incident_.openIncident(incident_.openId());
}

// An alert item: its sensor takes the alert's colour while it is active.
void Backend::onAlertItem(const wire::StateUpdate &u) {
  const auto &a = u.source().alert();
  const std::string id = u.key().substr(6);
  if (u.removed() || a.cleared())
    activeAlerts_.erase(id);
  else if (!a.source_id().empty())
    activeAlerts_[id] = {a.source_id(), IncidentModel::colourName(a.colour())};
  QVariantMap states;
  for (const auto &[alertId, sensorColour] : activeAlerts_)
    states[q(sensorColour.first)] = sensorColour.second;
  if (states != sensorStates_) {
    sensorStates_ = states;
    emit sensorStatesChanged();
  }
}

void Backend::expireNewIncidents() {
  auto now = QDateTime::currentMSecsSinceEpoch();
  bool changed = false;
  for (auto it = newIncidents_.begin(); it != newIncidents_.end();)
    if (now - it.value() >= 60000) {
      it = newIncidents_.erase(it);
      changed = true;
    } else {
      ++it;
    }
  if (changed) emit newIncidentsChanged();
}

void Backend::loadSeries(const QString &sensorId, double hours) {
  wire::Query query;
  auto *s = query.mutable_series();
  s->set_sensor_id(sensorId.toStdString());
  auto now = static_cast<std::int64_t>(QDateTime::currentMSecsSinceEpoch()) * 1000;
  s->set_to_us(now);
  s->set_from_us(now - static_cast<std::int64_t>(std::clamp(hours, 0.01, 24.0 * 400) * 3600e6));
  s->set_max_points(400);
  calls_.call(
      std::move(query),
      [this](const wire::QueryReply &r) {
        const auto &x = r.series();
        QVariantMap m;
        m["sensorId"] = q(x.sensor_id());
        m["name"] = q(x.name());
        m["quantity"] = q(x.quantity());
        m["unit"] = q(x.unit());
        QVariantList points;
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        for (const auto &p : x.points()) {
          points.push_back(QVariantMap{{"t", static_cast<double>(p.at_us() / 1000)}, {"v", p.value()}});
          lo = std::min(lo, p.value());
          hi = std::max(hi, p.value());
        }
        const double none = std::numeric_limits<double>::quiet_NaN();
        m["points"] = points;
        m["warningLevel"] = x.has_warning_level() ? x.warning_level() : none;
        m["guaranteedLevel"] = x.has_guaranteed_level() ? x.guaranteed_level() : none;
        if (x.has_warning_level()) lo = std::min(lo, x.warning_level()), hi = std::max(hi, x.warning_level());
        if (x.has_guaranteed_level())
          lo = std::min(lo, x.guaranteed_level()), hi = std::max(hi, x.guaranteed_level());
        m["min"] = points.isEmpty() && !x.has_warning_level() ? 0.0 : lo;
        m["max"] = points.isEmpty() && !x.has_warning_level() ? 1.0 : hi;
        m["rain1h"] = x.rain_1h();
        m["rain3h"] = x.rain_3h();
        m["rain24h"] = x.rain_24h();
        m["readings"] = static_cast<double>(x.readings());
        logging::get("console")->info("chart of {} ({}): {} points from {} readings", x.sensor_id(),
                                      x.quantity(), x.points_size(), x.readings());
        emit seriesLoaded(m);
      },
      QStringLiteral("series"));
}

QVariantMap Backend::summary() const {
  int open = 0, closed = 0;
  QVariantList byLevel{0, 0, 0, 0};
  QVariantMap byColour{{"red", 0}, {"orange", 0}, {"yellow", 0}, {"blue", 0}};
  for (int row = 0; row < model_.count(); ++row) {
    auto idx = model_.index(row);
    if (model_.data(idx, IncidentModel::StateRole).toString() == QLatin1String("closed")) {
      ++closed;
      continue;
    }
    ++open;
    int level = model_.data(idx, IncidentModel::LevelRole).toInt();
    if (level >= 1 && level <= 4) byLevel[level - 1] = byLevel[level - 1].toInt() + 1;
    auto colour = model_.data(idx, IncidentModel::ColourRole).toString();
    if (byColour.contains(colour)) byColour[colour] = byColour[colour].toInt() + 1;
  }
  int live = 0, down = 0;
  for (int row = 0; row < cameras_.count(); ++row) {
    auto state = cameras_.data(cameras_.index(row), CameraModel::StateRole).toString();
    if (state == QLatin1String("live"))
      ++live;
    else
      ++down;
  }
  return {{"open", open},         {"closed", closed},    {"byLevel", byLevel},
          {"byColour", byColour}, {"camerasLive", live}, {"camerasDown", down}};
}

void Backend::log(const QString &line) const {
  logging::get("console")->info("{}", line.toStdString());
}

QString Backend::snapshotPath(const QString &cameraId) const {
  QDir dir(QString::fromStdString(settings_.snapshots.string()));
  if (!dir.mkpath(QStringLiteral(".")))
    logging::get("console")->warn("cannot create {}", settings_.snapshots.string());
  QString safe = cameraId;
  safe.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_-]")), QStringLiteral("_"));
  return dir.filePath(safe + QLatin1Char('-') +
                      QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-hhmmss-zzz")) +
                      QStringLiteral(".png"));
}

QString Backend::saveSnapshot(QQuickItem *item, const QString &cameraId) {
  auto log = logging::get("console");
  if (!item || !item->window()) return {};
  QImage frame = item->window()->grabWindow();
  qreal dpr = item->window()->effectiveDevicePixelRatio();
  QRectF r = item->mapRectToScene(item->boundingRect());
  QImage cut = frame.copy(
      QRect(qRound(r.x() * dpr), qRound(r.y() * dpr), qRound(r.width() * dpr), qRound(r.height() * dpr)));
  QString path = snapshotPath(cameraId);
  if (cut.isNull() || !cut.save(path, "PNG")) {
    log->warn("snapshot of {}: cannot write {}", cameraId.toStdString(), path.toStdString());
    calls_.setStatus(tr("snapshot failed"));
    return {};
  }
  log->info("snapshot of {} saved to {} ({}x{})", cameraId.toStdString(), path.toStdString(), cut.width(),
            cut.height());
  calls_.setStatus(tr("snapshot saved: %1").arg(path));
  return path;
}

int Backend::livePipelines() const {
  return VideoPlayer::livePipelines();
}

}  // namespace liandong::console
