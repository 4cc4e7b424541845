// The incident desk's tasking of agencies (with acknowledgement deadlines,
// escalation and delivery receipts), situation reports 首报 / 续报 / 终报 with
// deadlines by level, and the SOP checklist applied when an incident opens
// (see incidents.h).
#include "incident_desk_impl.h"

namespace liandong::server {

namespace {

const char *sitrepName(const std::string &kind) {
  return kind == "first" ? "首报" : kind == "followup" ? "续报" : "终报";
}

std::int64_t usOf(const pqxx::field &f) {
  return f.is_null() ? 0 : f.as<std::int64_t>();
}

constexpr const char *kTaskColumns =
    "t.id, t.incident_id, t.agency_id, t.title, t.detail, t.state, "
    "(extract(epoch FROM t.ack_deadline) * 1e6)::bigint, t.escalation, coalesce(t.sop_step, 0), "
    "t.created_by, "
    "(extract(epoch FROM t.created_at) * 1e6)::bigint, (extract(epoch FROM t.updated_at) * 1e6)::bigint, "
    "t.progress, i.title, ST_X(i.geom), ST_Y(i.geom)";

}  // namespace

void IncidentDesk::Impl::scheduleSitrep(pqxx::work &tx, const std::string &id, const std::string &kind,
                                        int seq, int minutes) {
  tx.exec_params(
      "INSERT INTO sitreps (incident_id, kind, seq, due_at) "
      "VALUES ($1, $2, $3, now() + make_interval(mins => $4)) ON CONFLICT DO NOTHING",
      id, kind, seq, minutes);
}

std::vector<std::string> IncidentDesk::Impl::createTasks(pqxx::work &tx, const std::string &incidentId,
                                                         const std::vector<std::string> &agencies,
                                                         const std::string &title, const std::string &detail,
                                                         int ackMinutes, std::optional<int> sopStep,
                                                         const Actor &who) {
  std::vector<std::string> ids;
  auto n = tx.exec_params1("SELECT count(*) FROM tasks WHERE incident_id = $1", incidentId)[0].as<int>();
  for (const auto &agency : agencies) {
    auto id = fmt::format("{}/t{}", incidentId, ++n);
    tx.exec_params(
        "INSERT INTO tasks (id, incident_id, agency_id, title, detail, state, ack_deadline, sop_step, "
        "created_by) VALUES ($1, $2, $3, $4, $5, 'dispatched', now() + make_interval(mins => $6), $7, $8)",
        id, incidentId, agency, title, detail, ackMinutes, sopStep, who.name);
    // Every operator of the agency is notified; seen_at follows when they look.
    tx.exec_params(
        "INSERT INTO task_receipts (task_id, recipient) SELECT $1, name FROM users "
        "WHERE agency_id = $2 AND NOT disabled",
        id, agency);
    audit(tx, who, "task.dispatch", "task/" + id, nullptr,
          {{"agency", agency}, {"title", title}, {"ack_minutes", ackMinutes}});
    ids.push_back(id);
  }
  return ids;
}

void IncidentDesk::Impl::applySop(pqxx::work &tx, const std::string &id, const std::string &type,
                                  const std::array<std::optional<std::string>, 4> &regions,
                                  const Actor &who) {
  const SopConfig *sop = nullptr;
  for (const auto &s : options.sops)
    if (s.type == type) sop = &s;
  if (!sop) return;
  json tasked = json::array();
  int step = 0;
  for (const auto &s : sop->steps) {
    ++step;
    tx.exec_params("INSERT INTO sop_steps (incident_id, step, text, agency_kind) VALUES ($1, $2, $3, $4)", id,
                   step, s.text, s.agencyKind.empty() ? std::optional<std::string>() : s.agencyKind);
    if (s.agencyKind.empty()) continue;
    // The agencies of that kind whose jurisdiction covers the place.
    std::vector<std::string> agencies;
    for (const auto &row :
         tx.exec_params("SELECT id FROM agencies WHERE kind = $1 AND region_code IN ($2, $3, $4, $5) "
                        "ORDER BY id",
                        s.agencyKind, regions[0], regions[1], regions[2], regions[3]))
      agencies.push_back(row[0].as<std::string>());
    for (const auto &t : createTasks(tx, id, agencies, s.text, "SOP " + type, options.ackMinutes, step, who))
      tasked.push_back(t);
  }
  timeline(tx, id, who.name, "sop_applied", {{"type", type}, {"steps", step}, {"tasks", tasked}});
}

void IncidentDesk::Impl::sitrepsAfter(pqxx::work &tx, const std::string &id, const std::string &newState,
                                      int level) {
  auto l = static_cast<std::size_t>(validLevel(level) ? level : 4);
  if (newState == "closed") {
    tx.exec_params(
        "DELETE FROM sitreps WHERE incident_id = $1 AND kind = 'followup' AND submitted_at IS NULL", id);
    auto finals =
        tx.exec_params1("SELECT count(*) FROM sitreps WHERE incident_id = $1 AND kind = 'final'", id);
    scheduleSitrep(tx, id, "final", finals[0].as<int>() + 1, options.sitreps.finalMin[l]);
  } else if (newState == "responding") {
    // Reopened (or flared up): the final report waits; follow-ups resume.
    tx.exec_params("DELETE FROM sitreps WHERE incident_id = $1 AND kind = 'final' AND submitted_at IS NULL",
                   id);
    auto open = tx.exec_params1(
        "SELECT count(*) FROM sitreps WHERE incident_id = $1 AND submitted_at IS NULL AND kind <> 'final'",
        id);
    if (open[0].as<int>() == 0) {
      auto next = tx.exec_params1(
          "SELECT coalesce(max(seq), 0) + 1 FROM sitreps WHERE incident_id = $1 AND "
          "kind = 'followup'",
          id);
      scheduleSitrep(tx, id, "followup", next[0].as<int>(), options.sitreps.followupMin[l]);
    }
  }
}

std::vector<wire::Task> IncidentDesk::Impl::readTasks(pqxx::work &tx, const std::string &where,
                                                      const std::string &a, const std::string &b) {
  std::vector<wire::Task> out;
  auto rows =
      tx.exec_params(fmt::format("SELECT {} FROM tasks t JOIN incidents i ON i.id = t.incident_id WHERE {} "
                                 "ORDER BY t.created_at, t.id LIMIT 1000",
                                 kTaskColumns, where),
                     a, b);
  for (const auto &r : rows) {
    wire::Task t;
    t.set_task_id(r[0].as<std::string>());
    t.set_incident_id(r[1].as<std::string>());
    t.set_agency_id(r[2].as<std::string>());
    t.set_title(r[3].as<std::string>());
    t.set_detail(r[4].as<std::string>());
    t.set_state(r[5].as<std::string>());
    t.set_ack_deadline_us(r[6].as<std::int64_t>());
    t.set_escalation(r[7].as<std::uint32_t>());
    t.set_sop_step(r[8].as<std::uint32_t>());
    t.set_created_by(r[9].as<std::string>());
    t.set_created_at_us(r[10].as<std::int64_t>());
    t.set_updated_at_us(r[11].as<std::int64_t>());
    t.set_progress(r[12].as<std::uint32_t>());
    t.set_incident_title(r[13].as<std::string>());
    t.set_longitude(r[14].as<double>());
    t.set_latitude(r[15].as<double>());
    for (const auto &rc : tx.exec_params("SELECT recipient, (extract(epoch FROM notified_at) * 1e6)::bigint, "
                                         "(extract(epoch FROM seen_at) * 1e6)::bigint FROM task_receipts "
                                         "WHERE task_id = $1 ORDER BY recipient",
                                         t.task_id())) {
      auto *x = t.add_receipts();
      x->set_recipient(rc[0].as<std::string>());
      x->set_notified_at_us(usOf(rc[1]));
      x->set_seen_at_us(usOf(rc[2]));
    }
    out.push_back(std::move(t));
  }
  return out;
}

IncidentChange IncidentDesk::dispatch(const Actor &who, const wire::TaskDispatchRequest &req) {
  if (!mayDo(who.role, "dispatch"))
    throw IncidentError("permission denied: role " + roleName(who.role) + " may not task agencies");
  if (req.agency_ids().empty()) throw IncidentError("dispatch: name at least one agency");
  if (req.title().empty() || req.title().size() > 400)
    throw IncidentError("dispatch: title required (at most 400 bytes)");
  if (req.detail().size() > 20000) throw IncidentError("dispatch: detail at most 20000 bytes");
  int ackMinutes = req.ack_minutes() == 0 ? impl_->options.ackMinutes : static_cast<int>(req.ack_minutes());
  if (ackMinutes > 7 * 24 * 60) throw IncidentError("dispatch: ack_minutes at most a week");
  std::lock_guard lock(mutex_);
  auto &d = *impl_;
  pqxx::work tx(d.conn);
  auto row = d.fetchVisible(tx, who, req.incident_id(), true);
  if (row["state"].as<std::string>() == "closed")
    throw IncidentError("incident " + req.incident_id() + " is closed");
  std::vector<std::string> agencies;
  for (const auto &a : req.agency_ids()) {
    auto found = tx.exec_params("SELECT region_code FROM agencies WHERE id = $1", a);
    if (found.empty()) throw IncidentError("agency " + a + ": no such agency");
    auto region = found[0][0].as<std::string>();
    bool covers = false;
    for (const char *tier : {"province_code", "city_code", "county_code", "town_code"})
      if (text(row[tier]) == region) covers = true;
    if (!covers)
      throw IncidentError("agency " + a + ": its jurisdiction " + region + " does not cover the incident");
    agencies.push_back(a);
  }
  auto ids = d.createTasks(tx, req.incident_id(), agencies, req.title(), req.detail(), ackMinutes,
                           std::nullopt, who);
  d.timeline(tx, req.incident_id(), who.name, "tasked",
             {{"agencies", agencies}, {"tasks", ids}, {"title", req.title()}, {"ack_minutes", ackMinutes}});
  auto out = d.touch(tx, req.incident_id(), fmt::format("tasked {} agencies", agencies.size()), false);
  auto via = text((*d.fetch(tx, req.incident_id(), false))["via"]);
  tx.commit();
  return {out, false, via, false};
}

wire::AgencyList IncidentDesk::agencies(const Actor &who, const wire::AgencyListRequest &req) {
  if (!mayDo(who.role, "read")) throw IncidentError("permission denied");
  std::lock_guard lock(mutex_);
  auto &d = *impl_;
  pqxx::work tx(d.conn);
  auto row = d.fetchVisible(tx, who, req.incident_id(), false);
  wire::AgencyList out;
  for (const auto &a :
       tx.exec_params("SELECT a.id, a.name, a.kind, a.region_code, coalesce(a.phone, ''), "
                      "  coalesce(ST_Distance(a.geom::geography, i.geom::geography), -1), "
                      "  EXISTS (SELECT 1 FROM tasks t WHERE t.incident_id = i.id AND t.agency_id = a.id AND "
                      "          t.state NOT IN ('completed', 'cancelled')) "
                      "FROM incidents i JOIN agencies a ON a.region_code IN (i.province_code, i.city_code, "
                      "i.county_code, "
                      "  i.town_code) "
                      "WHERE i.id = $1 AND ($2 = '' OR a.kind = $2) "
                      "ORDER BY a.geom IS NULL, ST_Distance(a.geom::geography, i.geom::geography), a.id",
                      row["id"].as<std::string>(), req.kind())) {
    auto *x = out.add_agencies();
    x->set_id(a[0].as<std::string>());
    x->set_name(a[1].as<std::string>());
    x->set_kind(a[2].as<std::string>());
    x->set_region_code(a[3].as<std::string>());
    x->set_phone(a[4].as<std::string>());
    x->set_distance_m(a[5].as<double>());
    x->set_tasked(a[6].as<bool>());
  }
  tx.commit();
  return out;
}

std::vector<wire::Task> IncidentDesk::tasks(const Actor &who, const wire::TaskListRequest &req) {
  if (!mayDo(who.role, "read")) throw IncidentError("permission denied");
  std::string done = req.include_done() ? "" : " AND t.state NOT IN ('completed', 'cancelled')";
  std::lock_guard lock(mutex_);
  auto &d = *impl_;
  pqxx::work tx(d.conn);
  std::vector<wire::Task> out;
  if (who.role == Role::AgencyOperator) {
    out = d.readTasks(tx, "t.agency_id = $1 AND ($2 = '' OR t.incident_id = $2)" + done, who.agencyId,
                      req.incident_id());
    // Seeing the list is seeing the tasks: the receipts say so.
    for (const auto &t : out)
      tx.exec_params(
          "UPDATE task_receipts SET seen_at = now() WHERE task_id = $1 AND recipient = $2 AND "
          "seen_at IS NULL",
          t.task_id(), who.name);
  } else {
    out = d.readTasks(tx,
                      "($1 = '' OR t.incident_id = $1) AND ($2 = '' OR $2 IN (i.province_code, i.city_code, "
                      "i.county_code, i.town_code))" +
                          done,
                      req.incident_id(), who.role == Role::System ? std::string() : who.regionCode);
  }
  tx.commit();
  return out;
}

IncidentChange IncidentDesk::updateTask(const Actor &who, const wire::TaskUpdateRequest &req) {
  const auto &action = req.action();
  if (action != "acknowledge" && action != "progress" && action != "complete" && action != "cancel")
    throw IncidentError("task: unknown action \"" + action + "\" (acknowledge, progress, complete, cancel)");
  if (req.text().size() > 20000) throw IncidentError("task: text at most 20000 bytes");
  if (req.percent() > 100) throw IncidentError("task: percent must be 0..100");
  std::lock_guard lock(mutex_);
  auto &d = *impl_;
  pqxx::work tx(d.conn);
  auto rows = tx.exec_params(
      "SELECT incident_id, agency_id, state, sop_step, title FROM tasks WHERE id = $1 FOR UPDATE",
      req.task_id());
  const std::string notYours = "no task " + req.task_id() + " for you";
  if (rows.empty()) throw IncidentError(notYours);
  auto incidentId = rows[0][0].as<std::string>();
  auto agency = rows[0][1].as<std::string>();
  auto state = rows[0][2].as<std::string>();
  if (who.role == Role::AgencyOperator) {
    if (who.agencyId != agency) throw IncidentError(notYours);
    if (action == "cancel") throw IncidentError("permission denied: only the duty officer cancels a task");
  } else {
    d.fetchVisible(tx, who, incidentId, false);
    if (!mayDo(who.role, "dispatch"))
      throw IncidentError("permission denied: role " + roleName(who.role) + " may not work tasks");
  }
  std::string next;
  if (action == "acknowledge" && state == "dispatched")
    next = "acknowledged";
  else if (action == "progress" && (state == "acknowledged" || state == "in_progress"))
    next = "in_progress";
  else if (action == "complete" && (state == "acknowledged" || state == "in_progress"))
    next = "completed";
  else if (action == "cancel" && state != "completed" && state != "cancelled")
    next = "cancelled";
  if (next.empty()) throw IncidentError("cannot " + action + " a task that is " + state);
  int progress = action == "complete" ? 100 : static_cast<int>(req.percent());
  tx.exec_params(
      "UPDATE tasks SET state = $2, updated_at = now(), "
      "acknowledged_at = CASE WHEN $2 = 'acknowledged' THEN now() ELSE acknowledged_at END, "
      "completed_at = CASE WHEN $2 = 'completed' THEN now() ELSE completed_at END, "
      "progress = CASE WHEN $2 IN ('in_progress', 'completed') THEN $3 ELSE progress END WHERE id = $1",
      req.task_id(), next, progress);
  tx.exec_params(
      "UPDATE task_receipts SET seen_at = now() WHERE task_id = $1 AND recipient = $2 AND seen_at IS NULL",
      req.task_id(), who.name);
  // The SOP step a task carries out is done when its last task completes.
  if (next == "completed" && !rows[0][3].is_null())
    tx.exec_params(
        "UPDATE sop_steps s SET done_at = now(), done_by = $3 WHERE s.incident_id = $1 AND s.step = $2 "
        "AND s.done_at IS NULL AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.incident_id = $1 AND "
        "t.sop_step = $2 AND t.state NOT IN ('completed', 'cancelled'))",
        incidentId, rows[0][3].as<int>(), who.name);
  json detail = {{"task", req.task_id()}, {"agency", agency}, {"from", state}, {"to", next}};
  if (!req.text().empty()) detail["text"] = req.text();
  if (action == "progress") detail["percent"] = progress;
  d.timeline(tx, incidentId, who.name, "task_" + action, detail);
  audit(tx, who, "task." + action, "task/" + req.task_id(), {{"state", state}},
        {{"state", next}, {"progress", progress}});
  auto out = d.touch(tx, incidentId, fmt::format("task {} {} by {}", req.task_id(), next, agency), false);
  auto via = text((*d.fetch(tx, incidentId, false))["via"]);
  tx.commit();
  return {out, false, via, false};
}

IncidentChange IncidentDesk::submitSitrep(const Actor &who, const wire::SitrepSubmitRequest &req) {
  if (!mayDo(who.role, "sitrep"))
    throw IncidentError("permission denied: role " + roleName(who.role) +
                        " may not submit situation reports");
  const auto &kind = req.kind();
  if (kind != "first" && kind != "followup" && kind != "final")
    throw IncidentError("sitrep: kind must be first (首报), followup (续报) or final (终报)");
  if (req.body().empty() || req.body().size() > 100000)
    throw IncidentError("sitrep: body required (at most 100000 bytes)");
  std::lock_guard lock(mutex_);
  auto &d = *impl_;
  pqxx::work tx(d.conn);
  auto row = d.fetchVisible(tx, who, req.incident_id(), true);
  auto state = row["state"].as<std::string>();
  int level = row["level"].as<int>();
  auto due = tx.exec_params(
      "SELECT seq FROM sitreps WHERE incident_id = $1 AND kind = $2 AND submitted_at IS NULL "
      "ORDER BY seq LIMIT 1",
      req.incident_id(), kind);
  int seq = 0;
  if (!due.empty()) {
    seq = due[0][0].as<int>();
  } else if (kind == "first") {
    throw IncidentError("the first report (首报) of " + req.incident_id() + " was submitted already");
  } else if (kind == "final") {
    throw IncidentError("the final report (终报) is due once the incident is closed");
  } else {
    auto firstOpen = tx.exec_params1(
        "SELECT count(*) FROM sitreps WHERE incident_id = $1 AND kind = 'first' AND submitted_at IS NULL",
        req.incident_id());
    if (firstOpen[0].as<int>() > 0) throw IncidentError("submit the first report (首报) before a follow-up");
    // A follow-up before it is due: the next one in the series.
    seq = tx.exec_params1(
                "SELECT coalesce(max(seq), 0) + 1 FROM sitreps WHERE incident_id = $1 AND kind = 'followup'",
                req.incident_id())[0]
              .as<int>();
    d.scheduleSitrep(tx, req.incident_id(), "followup", seq, 0);
  }
  tx.exec_params(
      "UPDATE sitreps SET submitted_at = now(), submitted_by = $4, body = $5 WHERE incident_id = $1 AND "
      "kind = $2 AND seq = $3",
      req.incident_id(), kind, seq, who.name, req.body());
  if (kind != "final" && state != "closed") {
    tx.exec_params(
        "DELETE FROM sitreps WHERE incident_id = $1 AND kind = 'followup' AND submitted_at IS NULL",
        req.incident_id());
    auto next = tx.exec_params1(
        "SELECT coalesce(max(seq), 0) + 1 FROM sitreps WHERE incident_id = $1 AND "
        "kind = 'followup'",
        req.incident_id());
    d.scheduleSitrep(tx, req.incident_id(), "followup", next[0].as<int>(),
                     d.options.sitreps.followupMin[static_cast<std::size_t>(validLevel(level) ? level : 4)]);
  }
  d.timeline(tx, req.incident_id(), who.name, "sitrep", {{"kind", kind}, {"seq", seq}, {"body", req.body()}});
  audit(tx, who, "incident.sitrep", "incident/" + req.incident_id(), nullptr, {{"kind", kind}, {"seq", seq}});
  auto out = d.touch(tx, req.incident_id(), fmt::format("{} {} submitted", sitrepName(kind), seq), false);
  auto via = text((*d.fetch(tx, req.incident_id(), false))["via"]);
  tx.commit();
  return {out, false, via, false};
}

std::vector<DeadlineEvent> IncidentDesk::checkDeadlines() {
  std::lock_guard lock(mutex_);
  auto &d = *impl_;
  std::vector<DeadlineEvent> events;
  pqxx::work tx(d.conn);
  auto system = Actor::system("deadline");
  // Unacknowledged tasks: at the deadline the duty officer is told; after as
  // long again, the tier above.
  for (const auto &r :
       tx.exec("SELECT id, incident_id, agency_id, escalation FROM tasks WHERE state = 'dispatched' "
               "AND ((escalation = 0 AND ack_deadline < now()) OR (escalation = 1 AND "
               "ack_deadline + (ack_deadline - created_at) < now())) ORDER BY ack_deadline LIMIT 200")) {
    auto task = r[0].as<std::string>();
    auto incident = r[1].as<std::string>();
    int escalation = r[3].as<int>() + 1;
    tx.exec_params("UPDATE tasks SET escalation = $2 WHERE id = $1", task, escalation);
    std::string to = escalation == 1 ? "the duty officer" : "the tier above";
    d.timeline(tx, incident, system.name, "task_overdue",
               {{"task", task}, {"agency", r[2].as<std::string>()}, {"escalated_to", to}});
    audit(tx, system, "task.escalate", "task/" + task, {{"escalation", escalation - 1}},
          {{"escalation", escalation}});
    DeadlineEvent e;
    // The second stage is news for the tier above: a shared change.
    e.change.shared = escalation == 2;
    e.change.incident = d.touch(
        tx, incident,
        fmt::format("task {} not acknowledged by {}: escalated to {}", task, r[2].as<std::string>(), to),
        e.change.shared);
    e.change.viaCentre = text((*d.fetch(tx, incident, false))["via"]);
    e.toParent = escalation == 2;
    events.push_back(std::move(e));
  }
  // Overdue situation reports raise an alert, once each.
  for (const auto &r :
       tx.exec("UPDATE sitreps SET overdue = true WHERE (incident_id, kind, seq) IN (SELECT "
               "incident_id, kind, seq FROM sitreps WHERE submitted_at IS NULL AND NOT overdue AND "
               "due_at < now() ORDER BY due_at LIMIT 200) RETURNING incident_id, kind, seq")) {
    auto incident = r[0].as<std::string>();
    auto kind = r[1].as<std::string>();
    auto seq = r[2].as<int>();
    d.timeline(tx, incident, system.name, "sitrep_overdue", {{"kind", kind}, {"seq", seq}});
    DeadlineEvent e;
    e.change.shared = false;
    e.change.incident = d.touch(tx, incident, fmt::format("{} {} overdue", sitrepName(kind), seq), false);
    e.change.viaCentre = text((*d.fetch(tx, incident, false))["via"]);
    const auto &inc = e.change.incident;
    wire::Alert a;
    a.set_alert_id(fmt::format("sitrep/{}/{}/{}", incident, kind, seq));
    a.set_rule_id("sitrep-overdue");
    a.set_source_id(incident);
    a.set_quantity("sitrep");
    a.set_colour(wire::COLOUR_YELLOW);
    a.set_suggested_level(inc.level());
    a.set_headline(fmt::format("{} {}超时", inc.title(), sitrepName(kind)));
    a.set_description(fmt::format("incident {}: {} report {} is overdue", incident, kind, seq));
    a.set_onset_at_us(nowUs());
    a.set_latitude(inc.latitude());
    a.set_longitude(inc.longitude());
    e.alert = std::move(a);
    events.push_back(std::move(e));
  }
  tx.commit();
  return events;
}

}  // namespace liandong::server
