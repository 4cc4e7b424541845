// IncidentDetail: the incident open in the detail pane — its detail
// (timeline, tasks with receipts, sitreps, cameras, SOP steps), the agencies
// that may be tasked and the alerts linked to it — and the duty officer's
// actions on it (act, tick an SOP step, dispatch, situation report). Exposed
// to QML as `incident`; created by Backend, which refreshes it when the
// Clone stream changes the open incident.
#pragma once

#include <QObject>
#include <QString>
#include <QVariantList>
#include <QVariantMap>

#include "liandong/core/link/query.h"
#include "map_list_model.h"

namespace liandong::console {

class CameraModel;
class CentreCalls;
class IncidentModel;
class Session;

class IncidentDetail : public QObject {
  Q_OBJECT
  // {incidentId, title, type, description, level, levelText, colour, state,
  // leadTier, version, reportedBy, openedAt (ms), latitude, longitude,
  // timeline, tasks}; empty when none is open. Its SOP steps, cameras and
  // situation reports are the models below.
  Q_PROPERTY(QVariantMap detail READ detail NOTIFY detailChanged)
  // The agencies that may be tasked for the open incident (roles id, name,
  // kind, distanceM (-1 unknown), phone, tasked), nearest first.
  Q_PROPERTY(liandong::console::MapListModel *agencies READ agencies CONSTANT)
  // The alerts linked to the open incident (roles alertId, sourceId,
  // sourceKind ("sensor", "camera", ""), quantity, value (NaN when none),
  // unit, level, levelText, colour, onset (ms), headline, cleared), oldest first.
  Q_PROPERTY(liandong::console::MapListModel *linkedAlerts READ linkedAlerts CONSTANT)
  // The open incident's tasks (roles taskId, agencyId, title, state,
  // progress, ackDeadline, escalation, receipts) and timeline, notes
  // included (roles at, actor, action, detail, text): the rows of
  // detail.tasks and detail.timeline.
  Q_PROPERTY(liandong::console::MapListModel *tasks READ tasks CONSTANT)
  Q_PROPERTY(liandong::console::MapListModel *timeline READ timeline CONSTANT)
  // The open incident's SOP steps (roles step, text, agencyKind, doneAt
  // (ms, 0 not done), doneBy, tickable), the cameras that see it (roles
  // cameraId, distance (m), nearest: true when none sees it and these are the
  // nearest relayed ones) and its situation reports (roles kind, seq, dueAt,
  // submittedAt, submittedBy, body, overdue).
  Q_PROPERTY(liandong::console::MapListModel *sopSteps READ sopSteps CONSTANT)
  Q_PROPERTY(liandong::console::MapListModel *cameras READ cameras CONSTANT)
  Q_PROPERTY(liandong::console::MapListModel *sitreps READ sitreps CONSTANT)
public:
  IncidentDetail(CentreCalls &calls, const Session &session, IncidentModel &incidents,
                 const CameraModel &cameras, QObject *parent = nullptr);

  QVariantMap detail() const { return detail_; }
  MapListModel *agencies() { return &agencies_; }
  MapListModel *linkedAlerts() { return &linkedAlerts_; }
  MapListModel *tasks() { return &tasks_; }
  MapListModel *timeline() { return &timeline_; }
  MapListModel *sopSteps() { return &sopSteps_; }
  MapListModel *cameras() { return &seeingCameras_; }
  MapListModel *sitreps() { return &sitreps_; }
  // The incident open in the pane ("" when none).
  QString openId() const { return openId_; }

  // Loads an incident's detail (timeline, tasks with receipts, sitreps).
  Q_INVOKABLE void openIncident(const QString &incidentId);
  Q_INVOKABLE void closeDetail();
  // On the open incident: verify, respond, contain, close (text = reason),
  // reopen, note (text), set_level (level 1..4, text = reason).
  Q_INVOKABLE void act(const QString &action, const QString &text = {}, int level = 0, int step = 0);
  // Ticks SOP step `step` of the open incident as done (act sop_done).
  Q_INVOKABLE void tickStep(int step) { act(QStringLiteral("sop_done"), {}, 0, step); }
  // Tasks agencies (ids separated by commas or spaces).
  Q_INVOKABLE void dispatch(const QString &agencyIds, const QString &title, const QString &detail,
                            int ackMinutes = 0);
  // Situation report: kind first (首报), followup (续报), final (终报).
  Q_INVOKABLE void sitrep(const QString &kind, const QString &body);

signals:
  void detailChanged();
  // The pane was closed (the recording shown goes with it).
  void closed();

private:
  void showDetail(const wire::IncidentDetail &d);
  void loadAgencies(const QString &incidentId);
  void loadLinkedAlerts(const QString &incidentId);

  CentreCalls &calls_;
  const Session &session_;
  IncidentModel &incidents_;
  const CameraModel &cameras_;
  QString openId_;
  QVariantMap detail_;
  MapListModel agencies_, linkedAlerts_, tasks_, timeline_, sopSteps_, seeingCameras_, sitreps_;
};

}  // namespace liandong::console
