// Backend: configuration, worker threads for queries, the Clone stream into
// the incident model, the session, incident detail and actions, translations.
#include "backend.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QQmlEngine>
#include <QRegularExpression>

#include <fmt/format.h>

#include "liandong/core/config.h"
#include "liandong/core/errors.h"
#include "liandong/core/logging.h"

namespace liandong::console {
namespace {
QString q(const std::string &s) {
  return QString::fromStdString(s);
}
double ms(std::int64_t us) {
  return static_cast<double>(us / 1000);
}
std::string firstLine(const std::string &s) {
  return s.substr(0, s.find('\n'));
}
}  // namespace

ConsoleSettings ConsoleSettings::load(const std::filesystem::path &file) {
  ConsoleSettings s;
  auto cfg = ConfigNode::loadFile(file);
  auto console = cfg.child("console");
  s.id = console.str("id");
  s.clone.keys = loadCurveKeyFile(console.path("keys"));
  if (s.clone.keys.id != s.id) console.fail("keys", "key file is for \"" + s.clone.keys.id + "\"");
  s.clone.regionFilter = console.str("region", "");
  s.language = console.choice("language", {"zh_CN", "en"}, "zh_CN");
  s.user = console.str("user", "");
  auto centre = cfg.child("centre");
  s.clone.updatesEndpoint = centre.str("updates");
  s.clone.snapshotEndpoint = centre.str("snapshot");
  s.queryEndpoint = centre.str("query", "");
  s.clone.serverPublicZ85 = centre.literal("public_key");
  if (!isValidCurveKey(s.clone.serverPublicZ85))
    centre.fail("public_key", "not a 40-character Z85 CURVE key");
  if (auto m = cfg.optionalChild("map")) {
    s.longitude = m->number("longitude", s.longitude);
    s.latitude = m->number("latitude", s.latitude);
    s.zoom = m->number("zoom", s.zoom);
  }
  cfg.rejectUnknown();
  return s;
}

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
      tiles_(new CentreTiles(tileWork_, this)),
      language_(q(settings_.language)) {}

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
            self->setStatus(what + QStringLiteral(": ") + QString::fromStdString(error));
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
  // Sign in first; the Clone stream needs no session.
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
          log->info("signed in as {} ({}, region {})", r.login().user(), r.login().role(),
                    r.login().region_code());
          emit sessionChanged();
        },
        QStringLiteral("login"));
  }
  password_.clear();
  QPointer<Backend> self(this);
  link::CloneClient::Callbacks callbacks;
  callbacks.onSnapshot = [self](const std::map<std::string, wire::StateUpdate> &state) {
    std::vector<wire::IncidentReport> incidents;
    for (const auto &[key, item] : state)
      if (key.rfind("incident/", 0) == 0 && item.source().has_incident_report())
        incidents.push_back(item.source().incident_report());
    QMetaObject::invokeMethod(
        self.data(),
        [self, incidents = std::move(incidents)] {
          if (!self) return;
          self->model_.reset(incidents);
          logging::get("console")->info("snapshot: queue {} incidents", self->model_.count());
          emit self->tiles_->layerChanged(QStringLiteral("incidents"));
        },
        Qt::QueuedConnection);
  };
  callbacks.onUpdate = [self](const wire::StateUpdate &u) {
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
          logging::get("console")->info("link to the centre {}", up ? "up" : "down");
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
    model_.upsert(r);
    logging::get("console")->info("incident {} {} ({}): queue {} incidents", id, r.state(), r.change(),
                                  model_.count());
  }
  emit tiles_->layerChanged(QStringLiteral("incidents"));
  if (q(id) == openId_ && !session_.empty()) openIncident(openId_);  // keep the detail current
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
  emit detailChanged();
}

void Backend::showDetail(const wire::IncidentDetail &d) {
  const auto &i = d.incident();
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
                                {"detail", q(t.detail_json())}});
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
    cameras.append(QVariantMap{{"cameraId", q(c.camera_id())}, {"distance", c.distance_m()}});
  m["cameras"] = cameras;
  detail_ = m;
  model_.upsert(i);
  logging::get("console")->info("detail {}: {} version {}, {} timeline entries, {} tasks, {} reports",
                                i.incident_id(), i.state(), i.version(), d.timeline_size(), d.tasks_size(),
                                d.sitreps_size());
  emit detailChanged();
}

void Backend::act(const QString &action, const QString &text, int level) {
  if (openId_.isEmpty()) return;
  wire::Query query;
  auto *a = query.mutable_act();
  a->set_incident_id(openId_.toStdString());
  a->set_action(action.toStdString());
  a->set_text(text.toStdString());
  if (level >= 1 && level <= 4) a->set_level(static_cast<wire::ResponseLevel>(level));
  if (detail_.contains("version")) a->set_expected_version(detail_["version"].toUInt());
  QString id = openId_;
  call(
      std::move(query),
      [this, id, action](const wire::QueryReply &r) {
        logging::get("console")->info("act {} {}: now {}", action.toStdString(), id.toStdString(),
                                      r.incident().incident().state());
        setStatus(action + QStringLiteral(" ✓"));
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
        setStatus(QStringLiteral("dispatch ✓"));
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
      [this, id](const wire::QueryReply &r) {
        setStatus(QStringLiteral("sitrep ✓"));
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

}  // namespace liandong::console
