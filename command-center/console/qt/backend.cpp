// Backend: configuration, worker threads for queries, the Clone stream into
// the incident model, the session, incident detail and actions, translations.
#include "backend.h"
#include "timeline_text.h"

#include <gst/gst.h>

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QQmlEngine>
#include <QQuickWindow>
#include <QRegularExpression>
#include <QSaveFile>
#include <QTimer>

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "liandong/core/errors.h"
#include "liandong/core/logging.h"
#include "liandong/core/text.h"
#include "video_player.h"
#include "wall_layout.h"

namespace liandong::console {
namespace {
QString q(const std::string &s) {
  return QString::fromStdString(s);
}
double ms(std::int64_t us) {
  return static_cast<double>(us / 1000);
}
}  // namespace

QueryWorker::QueryWorker(zmq::context_t &context, std::string endpoint, std::string serverKey,
                         CurveKeyPair keys)
    : context_(context),
      endpoint_(std::move(endpoint)),
      serverKey_(std::move(serverKey)),
      keys_(std::move(keys)),
      anchor_(std::make_unique<QObject>()) {
  anchor_->moveToThread(&thread_);
  thread_.start();
}

QueryWorker::~QueryWorker() {
  thread_.quit();
  thread_.wait();
  client_.reset();  // the thread is gone: closing its socket here is safe
}

void QueryWorker::post(std::function<void(link::QueryClient &)> job) {
  QMetaObject::invokeMethod(
      anchor_.get(),
      [this, job = std::move(job)] {
        if (!client_) client_ = std::make_unique<link::QueryClient>(context_, endpoint_, serverKey_, keys_);
        job(*client_);
      },
      Qt::QueuedConnection);
}

CentreTiles::CentreTiles(QueryWorker &worker, QObject *parent) : map::TileProvider(parent), worker_(worker) {}

void CentreTiles::requestTile(const QString &layer, int z, int x, int y) {
  QPointer<CentreTiles> self(this);
  worker_.post([self, layer, z, x, y](link::QueryClient &client) {
    wire::Query query;
    auto *t = query.mutable_tile();
    t->set_layer(layer.toStdString());
    t->set_z(static_cast<std::uint32_t>(z));
    t->set_x(static_cast<std::uint32_t>(x));
    t->set_y(static_cast<std::uint32_t>(y));
    QByteArray mvt;
    QString error;
    try {
      auto reply = client.call(query);
      mvt = QByteArray(reply.tile().mvt().data(), static_cast<qsizetype>(reply.tile().mvt().size()));
    } catch (const std::exception &e) {
      error = QString::fromStdString(firstLine(e.what()));
    }
    if (!self) return;
    QMetaObject::invokeMethod(
        self.data(),
        [self, layer, z, x, y, mvt, error] {
          if (!self) return;
          ++self->served_;
          if (error.isEmpty())
            emit self->tileReady(layer, z, x, y, mvt);
          else
            emit self->tileFailed(layer, z, x, y, error);
        },
        Qt::QueuedConnection);
  });
}

Backend::Backend(ConsoleSettings settings, std::string password, QObject *parent)
    : QObject(parent),
      settings_(std::move(settings)),
      password_(std::move(password)),
      work_(context_, settings_.queryEndpoint, settings_.clone.serverPublicZ85, settings_.clone.keys),
      tileWork_(context_, settings_.queryEndpoint, settings_.clone.serverPublicZ85, settings_.clone.keys),
      cameras_(q(settings_.videoUrl), q(settings_.videoSubUrl)),
      tiles_(new CentreTiles(tileWork_, this)),
      language_(q(settings_.language)) {
  loadPresets();
  queue_.setSourceModel(&model_);
  connect(&model_, &QAbstractItemModel::rowsInserted, this, &Backend::summaryChanged);
  connect(&model_, &QAbstractItemModel::rowsRemoved, this, &Backend::summaryChanged);
  connect(&model_, &QAbstractItemModel::rowsMoved, this, &Backend::summaryChanged);
  connect(&model_, &QAbstractItemModel::dataChanged, this, &Backend::summaryChanged);
  connect(&model_, &QAbstractItemModel::modelReset, this, &Backend::summaryChanged);
}

Backend::~Backend() {
  clone_.reset();
}

void Backend::setStatus(const QString &s) {
  status_ = s;
  emit statusChanged();
}

void Backend::call(wire::Query query, std::function<void(const wire::QueryReply &)> done,
                   const QString &what) {
  query.set_session(session_);
  query.set_console(settings_.id);
  ++busy_;
  emit busyChanged();
  QPointer<Backend> self(this);
  work_.post([self, query = std::move(query), done = std::move(done), what](link::QueryClient &client) {
    wire::QueryReply reply;
    std::string error;
    try {
      reply = client.call(query, 10000);
    } catch (const std::exception &e) {
      error = firstLine(e.what());
    }
    if (!self) return;
    QMetaObject::invokeMethod(
        self.data(),
        [self, reply = std::move(reply), error, done, what] {
          if (!self) return;
          --self->busy_;
          emit self->busyChanged();
          auto log = logging::get("console");
          if (!error.empty()) {
            log->warn("{}: {}", what.toStdString(), error);
            self->setStatus(tr("%1 failed: %2").arg(self->callLabel(what), QString::fromStdString(error)));
            emit self->actionDone(what, false);
            return;
          }
          done(reply);
          emit self->actionDone(what, true);
        },
        Qt::QueuedConnection);
  });
}

void Backend::start() {
  auto log = logging::get("console");
  // Sign in; the live state starts with what the console's key may see and
  // narrows to the user's view once signed in.
  if (!settings_.user.empty() && !settings_.queryEndpoint.empty()) {
    wire::Query login;
    login.mutable_login()->set_user(settings_.user);
    login.mutable_login()->set_password(password_);
    call(
        std::move(login),
        [this, log](const wire::QueryReply &r) {
          session_ = r.login().session();
          userName_ = q(r.login().user());
          displayName_ = q(r.login().display_name());
          role_ = q(r.login().role());
          agencyId_ = q(r.login().agency_id());
          log->info("signed in as {} ({}, region {})", r.login().user(), r.login().role(),
                    r.login().region_code());
          emit sessionChanged();
          // From now on the live state is what this user may see (jurisdiction, role).
          if (clone_) clone_->setSession(session_);
          log->info("mode {}", mode().toStdString());
          if (mode() == QLatin1String("agency")) loadTasks();
        },
        QStringLiteral("login"));
  }
  password_.clear();
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
          if (!self) return;
          self->activeAlerts_.clear();
          for (const auto &a : alerts) self->onAlertItem(a);
          if (alerts.empty()) {
            self->sensorStates_.clear();
            emit self->sensorStatesChanged();
          }
          self->model_.reset(incidents);
          self->cameras_.clear();
          for (const auto &c : cameras) self->cameras_.upsert(c);
          // A snapshot after the link was lost is the resync the banner waited
          // for (the one after signing in, which narrows the view, is not).
          if (self->linkDownSince_ > 0) {
            ++self->resyncs_;
            self->linkDownSince_ = 0;
          }
          self->snapshotLoaded_ = true;
          emit self->linkUpChanged();
          logging::get("console")->info("snapshot: queue {} incidents, {} cameras{}", self->model_.count(),
                                        self->cameras_.count(),
                                        self->resyncs_ ? fmt::format(" (resync {})", self->resyncs_) : "");
          emit self->tiles_->layerChanged(QStringLiteral("incidents"));
        },
        Qt::QueuedConnection);
  };
  callbacks.onUpdate = [self](const wire::StateUpdate &u) {
    if (u.key().rfind("camera/", 0) == 0) {
      QMetaObject::invokeMethod(
          self.data(),
          [self, u] {
            if (!self) return;
            if (u.removed())
              self->cameras_.remove(u.key().substr(7));
            else
              self->cameras_.upsert(u.source());
            if (u.source().has_camera_status())
              logging::get("console")->info(
                  "camera {} {}", u.source().camera_status().camera_id(),
                  CameraModel::stateName(u.source().camera_status().state()).toStdString());
          },
          Qt::QueuedConnection);
      return;
    }
    if (u.key().rfind("alert/", 0) == 0) {
      QMetaObject::invokeMethod(
          self.data(),
          [self, u] {
            if (self) self->onAlertItem(u);
          },
          Qt::QueuedConnection);
      return;
    }
    if (u.key().rfind("incident/", 0) != 0) return;
    QMetaObject::invokeMethod(
        self.data(),
        [self, u] {
          if (self) self->onIncidentItem(u);
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
  clone_ = std::make_unique<link::CloneClient>(context_, settings_.clone, callbacks);
}

void Backend::onIncidentItem(const wire::StateUpdate &u) {
  auto id = u.key().substr(9);
  if (u.removed()) {
    model_.remove(id);
  } else if (u.source().has_incident_report()) {
    const auto &r = u.source().incident_report();
    const auto *before = model_.find(id);
    auto alarming = [this](const wire::IncidentReport &x) {
      return x.level() >= 1 && x.level() <= settings_.alarmLevel && x.state() != "closed";
    };
    bool raise = snapshotLoaded_ && alarming(r) && (!before || !alarming(*before)) &&
                 (!before || before->version() < r.version());
    model_.upsert(r);
    if (raise) raiseAlarm(r);
    if (snapshotLoaded_ && !before && r.state() != "closed") {
      newIncidents_[q(id)] = QDateTime::currentMSecsSinceEpoch();
      emit newIncidentsChanged();
      QTimer::singleShot(61000, this, [this] { expireNewIncidents(); });
    }
    logging::get("console")->info("incident {} {} ({}): queue {} incidents", id, r.state(), r.change(),
                                  model_.count());
  }
  emit tiles_->layerChanged(QStringLiteral("incidents"));
  if (q(id) == openId_ && !session_.empty()) openIncident(openId_);  // keep the detail current
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
  call(
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

void Backend::openIncident(const QString &incidentId) {
  openId_ = incidentId;
  wire::Query query;
  query.mutable_incident()->set_incident_id(incidentId.toStdString());
  call(
      std::move(query),
      [this, incidentId](const wire::QueryReply &r) {
        if (incidentId == openId_) showDetail(r.incident());
      },
      QStringLiteral("incident"));
}

void Backend::closeDetail() {
  openId_.clear();
  detail_.clear();
  linkedAlerts_.clear();
  emit detailChanged();
  emit linkedAlertsChanged();
  stopRecording();
}

void Backend::loadLinkedAlerts(const QString &incidentId) {
  wire::Query query;
  query.mutable_incident_alerts()->set_incident_id(incidentId.toStdString());
  call(
      std::move(query),
      [this, incidentId](const wire::QueryReply &r) {
        if (incidentId != openId_) return;
        QVariantList list;
        for (const auto &a : r.incident_alerts().alerts())
          list.push_back(
              QVariantMap{{"alertId", q(a.alert_id())},
                          {"sourceId", q(a.source_id())},
                          {"sourceKind", q(a.source_kind())},
                          {"quantity", q(a.quantity())},
                          {"value", a.has_value() ? a.value() : std::numeric_limits<double>::quiet_NaN()},
                          {"unit", q(a.unit())},
                          {"level", static_cast<int>(a.level())},
                          {"levelText", IncidentModel::levelText(a.level())},
                          {"colour", IncidentModel::colourName(a.colour())},
                          {"onset", ms(a.onset_at_us())},
                          {"headline", q(a.headline())},
                          {"cleared", a.cleared()}});
        linkedAlerts_ = list;
        logging::get("console")->info(
            "detail {}: {} linked alerts{}", incidentId.toStdString(), list.size(),
            r.incident_alerts().alerts().empty()
                ? std::string()
                : fmt::format(", first {} from {} ({}, value {})", r.incident_alerts().alerts(0).alert_id(),
                              r.incident_alerts().alerts(0).source_id(),
                              r.incident_alerts().alerts(0).quantity(),
                              r.incident_alerts().alerts(0).value()));
        emit linkedAlertsChanged();
      },
      QStringLiteral("alerts"));
}

void Backend::playRecording(const QString &cameraId) {
  // The incident's time, 30 s before it, and the next ten minutes.
  playRecordingFrom(cameraId, detail_.value("openedAt").toDouble() - 30'000);
}

void Backend::playRecordingFrom(const QString &cameraId, double fromMs) {
  if (openId_.isEmpty() || cameraId.isEmpty()) return;
  const qint64 fromUs = static_cast<qint64>(fromMs) * 1000;
  const qint64 toUs = fromUs + 600'000'000;
  wire::Query query;
  auto *s = query.mutable_segments();
  s->add_camera_ids(cameraId.toStdString());
  s->set_from_us(fromUs);
  s->set_to_us(toUs);
  QString id = openId_;
  call(
      std::move(query),
      [this, id, cameraId, fromUs](const wire::QueryReply &r) {
        if (id != openId_) return;
        auto log = logging::get("console");
        QVariantMap m{{"cameraId", cameraId}, {"from", static_cast<double>(fromUs / 1000)}};
        const auto &segs = r.segments().segments();
        QString url = segs.empty() ? QString() : cameras_.recordingUrl(cameraId, segs[0].start_us());
        if (segs.empty()) {
          m["error"] =
              tr("no recording of this camera from %1")
                  .arg(QDateTime::fromMSecsSinceEpoch(fromUs / 1000).toString(QStringLiteral("hh:mm:ss")));
          log->info("recording: camera {} has no segment from {} µs", cameraId.toStdString(), fromUs);
        } else if (url.isEmpty()) {
          m["error"] = tr("no node address for camera %1").arg(cameraId);
          log->info("recording: camera {}: no node address (no serve_url and no video.url)",
                    cameraId.toStdString());
        } else {
          const auto &first = segs[0];
          double offsetS = static_cast<double>(std::max<std::int64_t>(0, fromUs - first.start_us())) / 1e6;
          m["url"] = url;
          m["segmentStart"] = ms(first.start_us());
          m["segmentEnd"] = ms(first.end_us());
          m["offsetS"] = offsetS;
          m["segments"] = segs.size();
          m["index"] = 0;
          QVariantList starts, ends;  // µs (exact in a double until 2255)
          for (const auto &x : segs) {
            starts.append(static_cast<double>(x.start_us()));
            ends.append(static_cast<double>(x.end_us()));
          }
          m["starts"] = starts;
          m["ends"] = ends;
          log->info(
              "recording: camera {} from {} µs: {} segments, first {}..{} µs ({} on {}), offset {:.1f} s, "
              "url {}",
              cameraId.toStdString(), fromUs, segs.size(), first.start_us(), first.end_us(), first.path(),
              first.node_id(), offsetS, redactCredentials(url.toStdString()));
        }
        recording_ = m;
        emit recordingChanged();
      },
      QStringLiteral("segments"));
}

void Backend::nextRecordingSegment() {
  if (!recording_.contains("url")) return;
  const auto starts = recording_.value("starts").toList(), ends = recording_.value("ends").toList();
  const int i = recording_.value("index").toInt() + 1;
  const auto camera = recording_.value("cameraId").toString();
  auto log = logging::get("console");
  if (i >= starts.size()) {
    recording_.remove("url");
    log->info("recording: camera {}: end of the recording ({} segments)", camera.toStdString(),
              starts.size());
  } else {
    const auto start = static_cast<qint64>(starts[i].toDouble());
    recording_["index"] = i;
    recording_["url"] = cameras_.recordingUrl(camera, start);
    recording_["segmentStart"] = ms(start);
    recording_["segmentEnd"] = ms(static_cast<qint64>(ends[i].toDouble()));
    recording_["offsetS"] = 0.0;
    log->info("recording: camera {}: segment {}/{}, url {}", camera.toStdString(), i + 1, starts.size(),
              redactCredentials(recording_["url"].toString().toStdString()));
  }
  emit recordingChanged();
}

void Backend::stopRecording() {
  if (recording_.isEmpty()) return;
  recording_.clear();
  emit recordingChanged();
}

void Backend::loadAgencies(const QString &incidentId) {
  wire::Query query;
  query.mutable_agencies()->set_incident_id(incidentId.toStdString());
  call(
      std::move(query),
      [this, incidentId](const wire::QueryReply &r) {
        if (incidentId != openId_) return;
        QVariantList list;
        for (const auto &a : r.agencies().agencies())
          list.push_back(QVariantMap{{"id", q(a.id())},
                                     {"name", q(a.name())},
                                     {"kind", q(a.kind())},
                                     {"phone", q(a.phone())},
                                     {"distanceM", a.distance_m()},
                                     {"tasked", a.tasked()}});
        agencies_ = list;
        emit agenciesChanged();
      },
      QStringLiteral("agencies"));
}

void Backend::showDetail(const wire::IncidentDetail &d) {
  const auto &i = d.incident();
  // Who could be tasked, for the dispatch picker (again after each change: `tasked` moves).
  if (q(i.incident_id()) == openId_ && (mode() == QLatin1String("duty"))) loadAgencies(openId_);
  if (q(i.incident_id()) == openId_) loadLinkedAlerts(openId_);
  QVariantMap m;
  m["incidentId"] = q(i.incident_id());
  m["title"] = q(i.title());
  m["type"] = q(i.type());
  m["description"] = q(i.description());
  m["level"] = static_cast<int>(i.level());
  m["levelText"] = IncidentModel::levelText(i.level());
  m["colour"] = IncidentModel::colourName(i.colour());
  m["state"] = q(i.state());
  m["leadTier"] = IncidentModel::tierName(i.lead_tier(), i.level());
  m["version"] = static_cast<int>(i.version());
  m["reportedBy"] = q(i.reported_by());
  m["openedAt"] = ms(i.opened_at_us());
  m["latitude"] = i.latitude();
  m["longitude"] = i.longitude();
  QVariantList timeline;
  for (const auto &t : d.timeline())
    timeline.append(QVariantMap{{"at", ms(t.at_us())},
                                {"actor", q(t.actor())},
                                {"action", q(t.action())},
                                {"detail", q(t.detail_json())},
                                {"text", timelineText(q(t.action()), q(t.detail_json()))}});
  m["timeline"] = timeline;
  QVariantList tasks;
  for (const auto &t : d.tasks()) {
    QVariantList receipts;
    for (const auto &r : t.receipts())
      receipts.append(QVariantMap{{"recipient", q(r.recipient())},
                                  {"notifiedAt", ms(r.notified_at_us())},
                                  {"seenAt", ms(r.seen_at_us())}});
    tasks.append(QVariantMap{{"taskId", q(t.task_id())},
                             {"agencyId", q(t.agency_id())},
                             {"title", q(t.title())},
                             {"state", q(t.state())},
                             {"progress", static_cast<int>(t.progress())},
                             {"ackDeadline", ms(t.ack_deadline_us())},
                             {"escalation", static_cast<int>(t.escalation())},
                             {"receipts", receipts}});
  }
  m["tasks"] = tasks;
  QVariantList sitreps;
  for (const auto &s : d.sitreps())
    sitreps.append(QVariantMap{{"kind", q(s.kind())},
                               {"seq", static_cast<int>(s.seq())},
                               {"dueAt", ms(s.due_at_us())},
                               {"submittedAt", ms(s.submitted_at_us())},
                               {"submittedBy", q(s.submitted_by())},
                               {"body", q(s.body())},
                               {"overdue", s.overdue()}});
  m["sitreps"] = sitreps;
  QVariantList cameras;
  for (const auto &c : d.cameras())
    cameras.append(
        QVariantMap{{"cameraId", q(c.camera_id())}, {"distance", c.distance_m()}, {"nearest", false}});
  // No camera sees the place: offer the nearest relayed ones instead.
  if (cameras.isEmpty())
    for (const auto &[id, metres] : cameras_.nearestPlaced(i.latitude(), i.longitude(), 3))
      cameras.append(QVariantMap{{"cameraId", id}, {"distance", metres}, {"nearest", true}});
  m["cameras"] = cameras;
  // SOP steps; the duty officer ticks those not done that no agency's task
  // carries (a task's step is done when its last task completes).
  const bool mayTick = role_ == QLatin1String("duty_officer") || role_ == QLatin1String("admin");
  QVariantList sop;
  for (const auto &x : d.sop())
    sop.append(QVariantMap{{"step", static_cast<int>(x.step())},
                           {"text", q(x.text())},
                           {"agencyKind", q(x.agency_kind())},
                           {"doneAt", ms(x.done_at_us())},
                           {"doneBy", q(x.done_by())},
                           {"tickable", mayTick && x.done_at_us() == 0 && x.agency_kind().empty()}});
  m["sop"] = sop;
  detail_ = m;
  model_.upsert(i);
  logging::get("console")->info("detail {}: {} version {}, {} timeline entries, {} tasks, {} reports",
                                i.incident_id(), i.state(), i.version(), d.timeline_size(), d.tasks_size(),
                                d.sitreps_size());
  emit detailChanged();
}

// What the status bar says of a call (the `what` the log and actionDone use):
// "act verify" -> "Verify", "task acknowledge" -> "Acknowledge task", in the
// user's language; a call with no label of its own is named as it is.
QString Backend::callLabel(const QString &what) const {
  static const std::vector<std::pair<const char *, const char *>> labels = {
      {"login", QT_TR_NOOP("Sign-in")},
      {"series", QT_TR_NOOP("Sensor chart")},
      {"incident", QT_TR_NOOP("Incident")},
      {"alerts", QT_TR_NOOP("Linked alerts")},
      {"agencies", QT_TR_NOOP("Agencies")},
      {"segments", QT_TR_NOOP("Recordings")},
      {"alarm cameras", QT_TR_NOOP("Alarm cameras")},
      {"tasks", QT_TR_NOOP("Tasks")},
      {"raise incident", QT_TR_NOOP("Raise incident")},
      {"act verify", QT_TR_NOOP("Verify")},
      {"act respond", QT_TR_NOOP("Respond")},
      {"act contain", QT_TR_NOOP("Contain")},
      {"act close", QT_TR_NOOP("Close")},
      {"act reopen", QT_TR_NOOP("Reopen")},
      {"act note", QT_TR_NOOP("Add note")},
      {"act set_level", QT_TR_NOOP("Set level")},
      {"act sop_done", QT_TR_NOOP("SOP step done")},
      {"dispatch", QT_TR_NOOP("Dispatch")},
      {"sitrep first", QT_TR_NOOP("First report")},
      {"sitrep followup", QT_TR_NOOP("Follow-up report")},
      {"sitrep final", QT_TR_NOOP("Final report")},
      {"task acknowledge", QT_TR_NOOP("Acknowledge task")},
      {"task progress", QT_TR_NOOP("Task progress")},
      {"task complete", QT_TR_NOOP("Complete task")},
      {"task cancel", QT_TR_NOOP("Cancel task")},
  };
  for (const auto &[key, label] : labels)
    if (what == QLatin1String(key)) return tr(label);
  return what;
}

void Backend::act(const QString &action, const QString &text, int level, int step) {
  if (openId_.isEmpty()) return;
  wire::Query query;
  auto *a = query.mutable_act();
  a->set_incident_id(openId_.toStdString());
  a->set_action(action.toStdString());
  a->set_text(text.toStdString());
  if (level >= 1 && level <= 4) a->set_level(static_cast<wire::ResponseLevel>(level));
  if (detail_.contains("version")) a->set_expected_version(detail_["version"].toUInt());
  if (step > 0) a->set_step(static_cast<std::uint32_t>(step));
  QString id = openId_;
  call(
      std::move(query),
      [this, id, action](const wire::QueryReply &r) {
        logging::get("console")->info("act {} {}: now {}", action.toStdString(), id.toStdString(),
                                      r.incident().incident().state());
        setStatus(callLabel(QStringLiteral("act ") + action) + QStringLiteral(" ✓"));
        if (id == openId_) showDetail(r.incident());
      },
      QStringLiteral("act ") + action);
}

void Backend::dispatch(const QString &agencyIds, const QString &title, const QString &detail,
                       int ackMinutes) {
  if (openId_.isEmpty()) return;
  wire::Query query;
  auto *d = query.mutable_dispatch();
  d->set_incident_id(openId_.toStdString());
  for (const auto &a : agencyIds.split(QRegularExpression(QStringLiteral("[,，\\s]+")), Qt::SkipEmptyParts))
    d->add_agency_ids(a.toStdString());
  d->set_title(title.toStdString());
  d->set_detail(detail.toStdString());
  if (ackMinutes > 0) d->set_ack_minutes(static_cast<std::uint32_t>(ackMinutes));
  QString id = openId_;
  call(
      std::move(query),
      [this, id](const wire::QueryReply &r) {
        setStatus(callLabel(QStringLiteral("dispatch")) + QStringLiteral(" ✓"));
        if (id == openId_) showDetail(r.incident());
      },
      QStringLiteral("dispatch"));
}

void Backend::sitrep(const QString &kind, const QString &body) {
  if (openId_.isEmpty()) return;
  wire::Query query;
  auto *s = query.mutable_sitrep();
  s->set_incident_id(openId_.toStdString());
  s->set_kind(kind.toStdString());
  s->set_body(body.toStdString());
  QString id = openId_;
  call(
      std::move(query),
      [this, id, kind](const wire::QueryReply &r) {
        setStatus(callLabel(QStringLiteral("sitrep ") + kind) + QStringLiteral(" ✓"));
        if (id == openId_) showDetail(r.incident());
      },
      QStringLiteral("sitrep ") + kind);
}

void Backend::setLanguage(const QString &language) {
  if (translator_) {
    QCoreApplication::removeTranslator(translator_.get());
    translator_.reset();
  }
  if (language == QLatin1String("zh_CN")) {
    auto t = std::make_unique<QTranslator>();
    if (t->load(QStringLiteral(":/i18n/liandong_console_zh_CN.qm"))) {
      QCoreApplication::installTranslator(t.get());
      translator_ = std::move(t);
    } else {
      logging::get("console")->warn("no zh_CN translation in the resources");
    }
  }
  language_ = language;
  logging::get("console")->info("language {}{}", language.toStdString(),
                                translator_ ? " (translation loaded)" : "");
  if (engine_) engine_->retranslate();
  emit languageChanged();
}

QString Backend::mode() const {
  if (!modeOverride_.isEmpty()) return modeOverride_;
  if (role_ == QLatin1String("leader")) return QStringLiteral("leader");
  if (role_ == QLatin1String("agency_operator")) return QStringLiteral("agency");
  return QStringLiteral("duty");
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
    setStatus(tr("snapshot failed"));
    return {};
  }
  log->info("snapshot of {} saved to {} ({}x{})", cameraId.toStdString(), path.toStdString(), cut.width(),
            cut.height());
  setStatus(tr("snapshot saved: %1").arg(path));
  return path;
}

int Backend::livePipelines() const {
  return VideoPlayer::livePipelines();
}

void Backend::loadPresets() {
  presets_.clear();
  QFile file(QString::fromStdString(settings_.wallPresets.string()));
  if (!file.exists()) return;
  if (!file.open(QIODevice::ReadOnly)) {
    logging::get("console")->warn("wall presets {}: cannot read", settings_.wallPresets.string());
    return;
  }
  QJsonParseError error;
  auto doc = QJsonDocument::fromJson(file.readAll(), &error);
  if (doc.isNull() || !doc.isObject() || !doc.object().value("presets").isArray()) {
    logging::get("console")->warn("wall presets {}: not a {{\"presets\": [...]}} JSON file ({}); none loaded",
                                  settings_.wallPresets.string(), error.errorString().toStdString());
    return;
  }
  for (const auto &p : doc.object().value("presets").toArray()) {
    auto o = p.toObject();
    QString why;
    if (o.value("name").toString().isEmpty() || !WallLayout::parse(o.value("layout").toString(), &why)) {
      logging::get("console")->warn("wall presets {}: a preset without a name or a valid layout is skipped{}",
                                    settings_.wallPresets.string(),
                                    why.isEmpty() ? std::string() : " (" + why.toStdString() + ")");
      continue;
    }
    presets_.append(o.toVariantMap());
  }
  emit presetsChanged();
}

QVariantMap Backend::wallLayout(const QString &layout) const {
  QString error;
  auto l = WallLayout::parse(layout, &error);
  if (!l) return {{"valid", false}, {"error", error}};
  QVariantList rects;
  for (int i = 0; i < l->tiles(); ++i) {
    auto r = l->tileRect(i);
    rects.append(QVariantMap{{"x", r.x()}, {"y", r.y()}, {"width", r.width()}, {"height", r.height()}});
  }
  return {{"valid", true},   {"rows", l->rows},     {"columns", l->columns},
          {"span", l->span}, {"tiles", l->tiles()}, {"rects", rects}};
}

bool Backend::savePreset(const QString &name, const QString &layout, const QStringList &cameras) {
  if (name.trimmed().isEmpty()) return false;
  QString why;
  if (!WallLayout::parse(layout, &why)) {
    logging::get("console")->warn("wall preset {} not saved: {}", name.toStdString(), why.toStdString());
    setStatus(why);
    return false;
  }
  QVariantList kept;
  for (const auto &p : presets_)
    if (p.toMap().value("name").toString() != name) kept.append(p);
  kept.append(QVariantMap{{"name", name}, {"layout", layout}, {"cameras", cameras}});
  QJsonObject root{{"presets", QJsonArray::fromVariantList(kept)}};
  QSaveFile file(QString::fromStdString(settings_.wallPresets.string()));
  if (!file.open(QIODevice::WriteOnly) || file.write(QJsonDocument(root).toJson()) < 0 || !file.commit()) {
    logging::get("console")->warn("wall presets {}: cannot write", settings_.wallPresets.string());
    setStatus(tr("cannot save the preset"));
    return false;
  }
  presets_ = kept;
  logging::get("console")->info("wall preset {} saved: layout {}, {} cameras", name.toStdString(),
                                layout.toStdString(), cameras.size());
  emit presetsChanged();
  return true;
}

void Backend::raiseAlarm(const wire::IncidentReport &r) {
  auto log = logging::get("console");
  QVariantMap m{{"incidentId", q(r.incident_id())},
                {"title", q(r.title())},
                {"level", static_cast<int>(r.level())},
                {"levelText", IncidentModel::levelText(r.level())},
                {"colour", IncidentModel::colourName(r.colour())},
                {"latitude", r.latitude()},
                {"longitude", r.longitude()}};
  log->info("alarm: incident {} level {} ({})", r.incident_id(), static_cast<int>(r.level()), r.title());
  if (settings_.alarmSound) beep();
  auto finish = [this, m, lat = r.latitude(), lon = r.longitude()](QStringList linked) mutable {
    if (linked.isEmpty()) linked = cameras_.nearest(lat, lon, 4);
    m["cameras"] = linked;
    logging::get("console")->info("alarm cameras: {}", linked.join(QStringLiteral(", ")).toStdString());
    emit alarm(m);
  };
  if (session_.empty()) {
    finish({});
    return;
  }
  wire::Query query;
  query.mutable_incident()->set_incident_id(r.incident_id());
  call(
      std::move(query),
      [finish](const wire::QueryReply &reply) mutable {
        QStringList linked;
        for (const auto &c : reply.incident().cameras()) linked << q(c.camera_id());
        finish(linked);
      },
      QStringLiteral("alarm cameras"));
}

void Backend::beep() {
  auto log = logging::get("console");
  GError *raw = nullptr;
  auto description =
      "audiotestsrc wave=sine freq=880 volume=0.6 num-buffers=40 ! audioconvert ! audioresample ! " +
      settings_.alarmSoundSink;
  GstElement *p = gst_parse_launch(description.c_str(), &raw);
  if (raw) {
    log->warn("alarm: no sound ({}); the banner flashes instead", raw->message);
    g_error_free(raw);
    if (p) gst_object_unref(gst_object_ref_sink(p));
    return;
  }
  if (!p) {
    log->warn("alarm: no sound (no tone pipeline); the banner flashes instead");
    return;
  }
  std::shared_ptr<GstElement> tone(GST_ELEMENT(gst_object_ref_sink(p)), [](GstElement *e) {
    gst_element_set_state(e, GST_STATE_NULL);
    gst_object_unref(e);
  });
  if (gst_element_set_state(tone.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    log->warn("alarm: no sound output on this machine; the banner flashes instead");
    return;
  }
  tone_ = tone;
  // The sink may fail only once it runs (no sound card): look at the bus then.
  QTimer::singleShot(1500, this, [this, tone] {
    auto log = logging::get("console");
    GstBus *bus = gst_element_get_bus(tone.get());
    GstMessage *error = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    if (error) {
      GError *e = nullptr;
      gst_message_parse_error(error, &e, nullptr);
      log->warn("alarm: no sound output on this machine ({}); the banner flashes instead",
                e ? e->message : "?");
      if (e) g_error_free(e);
      gst_message_unref(error);
    } else {
      log->info("alarm: tone played");
    }
    gst_object_unref(bus);
    if (tone_ == tone) tone_.reset();
  });
}

void Backend::loadTasks() {
  wire::Query query;
  query.mutable_tasks()->set_include_done(false);
  call(
      std::move(query),
      [this](const wire::QueryReply &r) {
        QVariantList list;
        for (const auto &t : r.tasks().tasks())
          list.append(QVariantMap{{"taskId", q(t.task_id())},
                                  {"incidentId", q(t.incident_id())},
                                  {"incidentTitle", q(t.incident_title())},
                                  {"agencyId", q(t.agency_id())},
                                  {"title", q(t.title())},
                                  {"detail", q(t.detail())},
                                  {"state", q(t.state())},
                                  {"progress", static_cast<int>(t.progress())},
                                  {"ackDeadline", ms(t.ack_deadline_us())},
                                  {"createdAt", ms(t.created_at_us())}});
        tasks_ = list;
        logging::get("console")->info("tasks: {}", list.size());
        emit tasksChanged();
      },
      QStringLiteral("tasks"));
}

void Backend::taskAction(const QString &taskId, const QString &action, const QString &text, int percent) {
  wire::Query query;
  auto *t = query.mutable_task();
  t->set_task_id(taskId.toStdString());
  t->set_action(action.toStdString());
  t->set_text(text.toStdString());
  if (percent > 0) t->set_percent(static_cast<std::uint32_t>(std::min(percent, 100)));
  call(
      std::move(query),
      [this, taskId, action](const wire::QueryReply &) {
        logging::get("console")->info("task {} {}", taskId.toStdString(), action.toStdString());
        setStatus(callLabel(QStringLiteral("task ") + action) + QStringLiteral(" ✓"));
        loadTasks();
      },
      QStringLiteral("task ") + action);
}

void Backend::raiseIncident(const QString &type, const QString &title, const QString &description, int level,
                            const QString &colour, double latitude, double longitude) {
  wire::Query query;
  auto *in = query.mutable_create()->mutable_incident();
  in->set_type(type.toStdString());
  in->set_title(title.toStdString());
  in->set_description(description.toStdString());
  if (level >= 1 && level <= 4) in->set_level(static_cast<wire::ResponseLevel>(level));
  static const QStringList colours{"none", "blue", "yellow", "orange", "red"};
  in->set_colour(static_cast<wire::WarningColour>(std::max<qsizetype>(0, colours.indexOf(colour))));
  in->set_latitude(latitude);
  in->set_longitude(longitude);
  call(
      std::move(query),
      [this](const wire::QueryReply &r) {
        logging::get("console")->info("raised incident {}", r.incident().incident().incident_id());
        setStatus(tr("incident reported: %1").arg(q(r.incident().incident().title())));
      },
      QStringLiteral("raise incident"));
}

}  // namespace liandong::console
