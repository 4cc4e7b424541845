// AgencyTasks: the agency's tasks and raising an incident (see
// agency_tasks.h).
#include "agency_tasks.h"

#include <QStringList>
#include <QVariantMap>

#include <algorithm>

#include "centre_calls.h"
#include "liandong/core/logging.h"
#include "qt_text.h"

namespace liandong::console {
AgencyTasks::AgencyTasks(CentreCalls &calls, QObject *parent)
    : QObject(parent),
      calls_(calls),
      tasks_({"taskId", "incidentId", "incidentTitle", "agencyId", "title", "detail", "state", "progress",
              "ackDeadline", "createdAt"}) {}

void AgencyTasks::loadTasks() {
  wire::Query query;
  query.mutable_tasks()->set_include_done(false);
  calls_.call(
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
        tasks_.setRows(list);
        logging::get("console")->info("tasks: {}", list.size());
      },
      QStringLiteral("tasks"));
}

void AgencyTasks::taskAction(const QString &taskId, const QString &action, const QString &text, int percent) {
  wire::Query query;
  auto *t = query.mutable_task();
  t->set_task_id(taskId.toStdString());
  t->set_action(action.toStdString());
  t->set_text(text.toStdString());
  if (percent > 0) t->set_percent(static_cast<std::uint32_t>(std::min(percent, 100)));
  calls_.call(
      std::move(query),
      [this, taskId, action](const wire::QueryReply &) {
        logging::get("console")->info("task {} {}", taskId.toStdString(), action.toStdString());
        calls_.confirm(QStringLiteral("task ") + action);
        loadTasks();
      },
      QStringLiteral("task ") + action);
}

void AgencyTasks::raiseIncident(const QString &type, const QString &title, const QString &description,
                                int level, const QString &colour, double latitude, double longitude) {
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
  calls_.call(
      std::move(query),
      [this](const wire::QueryReply &r) {
        logging::get("console")->info("raised incident {}", r.incident().incident().incident_id());
        calls_.setStatus(tr("incident reported: %1").arg(q(r.incident().incident().title())));
      },
      QStringLiteral("raise incident"));
}

}  // namespace liandong::console
