// AgencyTasks: the field agency's side — its tasks (acknowledge, progress,
// complete, each a call the centre audits) and raising an incident from the
// field. Exposed to QML as `agencyTasks`; created by Backend, which loads the
// tasks once an agency operator has signed in.
#pragma once

#include <QObject>
#include <QString>
#include <QVariantList>

#include "map_list_model.h"

namespace liandong::console {

class CentreCalls;

class AgencyTasks : public QObject {
  Q_OBJECT
  // Roles taskId, incidentId, incidentTitle, agencyId, title, detail, state,
  // progress, ackDeadline (ms), createdAt (ms).
  Q_PROPERTY(liandong::console::MapListModel *tasks READ tasks CONSTANT)
public:
  explicit AgencyTasks(CentreCalls &calls, QObject *parent = nullptr);

  MapListModel *tasks() { return &tasks_; }

  // The agency's tasks (or, for others, those they may see).
  Q_INVOKABLE void loadTasks();
  // acknowledge, progress (text, percent), complete.
  Q_INVOKABLE void taskAction(const QString &taskId, const QString &action, const QString &text = {},
                              int percent = 0);
  // A new incident from the field (an agency) or the duty officer.
  Q_INVOKABLE void raiseIncident(const QString &type, const QString &title, const QString &description,
                                 int level, const QString &colour, double latitude, double longitude);

private:
  CentreCalls &calls_;
  MapListModel tasks_;
};

}  // namespace liandong::console
