// IncidentDetail: the open incident's detail, agencies and linked alerts,
// and the actions on it (see incident_detail.h).
#include "incident_detail.h"

#include <QRegularExpression>

#include <limits>

#include <fmt/format.h>

#include "camera_model.h"
#include "centre_calls.h"
#include "incident_model.h"
#include "liandong/core/logging.h"
#include "qt_text.h"
#include "session.h"
#include "timeline_text.h"

namespace liandong::console {
IncidentDetail::IncidentDetail(CentreCalls &calls, const Session &session, IncidentModel &incidents,
                               const CameraModel &cameras, QObject *parent)
    : QObject(parent),
      calls_(calls),
      session_(session),
      incidents_(incidents),
      cameras_(cameras),
      agencies_({"id", "name", "kind", "phone", "distanceM", "tasked"}),
      linkedAlerts_({"alertId", "sourceId", "sourceKind", "quantity", "value", "unit", "level", "levelText",
                     "colour", "onset", "headline", "cleared"}),
      tasks_({"taskId", "agencyId", "title", "state", "progress", "ackDeadline", "escalation", "receipts"}),
      timeline_({"at", "actor", "action", "detail", "text"}),
      sopSteps_({"step", "text", "agencyKind", "doneAt", "doneBy", "tickable"}),
      seeingCameras_({"cameraId", "distance", "nearest"}),
      sitreps_({"kind", "seq", "dueAt", "submittedAt", "submittedBy", "body", "overdue"}) {}

void IncidentDetail::openIncident(const QString &incidentId) {
  openId_ = incidentId;
  wire::Query query;
  query.mutable_incident()->set_incident_id(incidentId.toStdString());
  calls_.call(
      std::move(query),
      [this, incidentId](const wire::QueryReply &r) {
        if (incidentId == openId_) showDetail(r.incident());
      },
      QStringLiteral("incident"));
}

void IncidentDetail::closeDetail() {
  openId_.clear();
  detail_.clear();
  for (auto *list : {&agencies_, &linkedAlerts_, &tasks_, &timeline_, &sopSteps_, &seeingCameras_, &sitreps_})
    list->setRows({});
  emit detailChanged();
  emit closed();
}

void IncidentDetail::loadLinkedAlerts(const QString &incidentId) {
  wire::Query query;
  query.mutable_incident_alerts()->set_incident_id(incidentId.toStdString());
  calls_.call(
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
        linkedAlerts_.setRows(list);
        logging::get("console")->info(
            "detail {}: {} linked alerts{}", incidentId.toStdString(), list.size(),
            r.incident_alerts().alerts().empty()
                ? std::string()
                : fmt::format(", first {} from {} ({}, value {})", r.incident_alerts().alerts(0).alert_id(),
                              r.incident_alerts().alerts(0).source_id(),
                              r.incident_alerts().alerts(0).quantity(),
                              r.incident_alerts().alerts(0).value()));
      },
      QStringLiteral("alerts"));
}

void IncidentDetail::loadAgencies(const QString &incidentId) {
  wire::Query query;
  query.mutable_agencies()->set_incident_id(incidentId.toStdString());
  calls_.call(
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
        agencies_.setRows(list);
      },
      QStringLiteral("agencies"));
}

void IncidentDetail::showDetail(const wire::IncidentDetail &d) {
  const auto &i = d.incident();
  // Who could be tasked, for the dispatch picker (again after each change: `tasked` moves).
  if (q(i.incident_id()) == openId_ && session_.mode() == QLatin1String("duty")) loadAgencies(openId_);
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
  QVariantList cameras;
  for (const auto &c : d.cameras())
    cameras.append(
        QVariantMap{{"cameraId", q(c.camera_id())}, {"distance", c.distance_m()}, {"nearest", false}});
  // No camera sees the place: offer the nearest relayed ones instead.
  if (cameras.isEmpty())
    for (const auto &[id, metres] : cameras_.nearestPlaced(i.latitude(), i.longitude(), 3))
      cameras.append(QVariantMap{{"cameraId", id}, {"distance", metres}, {"nearest", true}});
  // SOP steps; the duty officer ticks those not done that no agency's task
  // carries (a task's step is done when its last task completes).
  const bool mayTick = session_.mayTickSteps();
  QVariantList sop;
  for (const auto &x : d.sop())
    sop.append(QVariantMap{{"step", static_cast<int>(x.step())},
                           {"text", q(x.text())},
                           {"agencyKind", q(x.agency_kind())},
                           {"doneAt", ms(x.done_at_us())},
                           {"doneBy", q(x.done_by())},
                           {"tickable", mayTick && x.done_at_us() == 0 && x.agency_kind().empty()}});
  detail_ = m;
  tasks_.setRows(tasks);
  timeline_.setRows(timeline);
  sopSteps_.setRows(sop);
  seeingCameras_.setRows(cameras);
  sitreps_.setRows(sitreps);
  incidents_.upsert(i);
  logging::get("console")->info("detail {}: {} version {}, {} timeline entries, {} tasks, {} reports",
                                i.incident_id(), i.state(), i.version(), d.timeline_size(), d.tasks_size(),
                                d.sitreps_size());
  emit detailChanged();
}

void IncidentDetail::act(const QString &action, const QString &text, int level, int step) {
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
  calls_.call(
      std::move(query),
      [this, id, action](const wire::QueryReply &r) {
        logging::get("console")->info("act {} {}: now {}", action.toStdString(), id.toStdString(),
                                      r.incident().incident().state());
        calls_.confirm(QStringLiteral("act ") + action);
        if (id == openId_) showDetail(r.incident());
      },
      QStringLiteral("act ") + action);
}

void IncidentDetail::dispatch(const QString &agencyIds, const QString &title, const QString &detail,
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
  calls_.call(
      std::move(query),
      [this, id](const wire::QueryReply &r) {
        calls_.confirm(QStringLiteral("dispatch"));
        if (id == openId_) showDetail(r.incident());
      },
      QStringLiteral("dispatch"));
}

void IncidentDetail::sitrep(const QString &kind, const QString &body) {
  if (openId_.isEmpty()) return;
  wire::Query query;
  auto *s = query.mutable_sitrep();
  s->set_incident_id(openId_.toStdString());
  s->set_kind(kind.toStdString());
  s->set_body(body.toStdString());
  QString id = openId_;
  calls_.call(
      std::move(query),
      [this, id, kind](const wire::QueryReply &r) {
        calls_.confirm(QStringLiteral("sitrep ") + kind);
        if (id == openId_) showDetail(r.incident());
      },
      QStringLiteral("sitrep ") + kind);
}

}  // namespace liandong::console
