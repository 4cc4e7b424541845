// The incident desk (see incidents.h): reports and copies from other
// centres, lifecycle, levels and lead tiers, jurisdiction checks, timeline
// and audit. Alerts are correlated in alert_correlation.cpp.
#include "liandong/server/incidents.h"

#include "incident_desk_impl.h"

namespace liandong::server {

IncidentDesk::IncidentDesk(const std::string &conninfo, IncidentOptions options)
    : impl_(std::make_unique<Impl>(conninfo, std::move(options))) {}

IncidentDesk::~IncidentDesk() = default;

std::optional<IncidentChange> IncidentDesk::onReport(const wire::IncidentReport &report,
                                                     const std::string &fromPeer, bool fromParent) {
  std::lock_guard lock(mutex_);
  auto &d = *impl_;
  if (!std::regex_match(report.incident_id(), kIdPattern))
    throw IncidentError("incident report from " + fromPeer +
                        ": incident_id: missing or not [A-Za-z0-9_.:/-]{1,96}");
  if (report.version() == 0) {
    // A first report from the field, over the spine.
    auto who = Actor::system("peer:" + fromPeer);
    auto in = report;
    if (in.type().empty()) in.set_type("other");
    if (!std::regex_match(in.type(), kTypePattern))
      throw IncidentError("incident report from " + fromPeer + ": type: expected lower-case letters and _");
    if (in.title().empty()) in.set_title(in.type());
    if (in.reported_by().empty()) in.set_reported_by(who.name);
    auto cameras = d.camerasFor(in.longitude(), in.latitude());
    pqxx::work tx(d.conn);
    if (d.fetch(tx, in.incident_id(), false)) return std::nullopt;  // delivered before
    auto out = d.insert(tx, who, in, cameras, "report from " + fromPeer);
    tx.commit();
    return IncidentChange{out, true, ""};
  }
  // A centre's copy: keep the newest version. A copy from a child remembers
  // the child, so our changes go back down to it.
  auto who = Actor::system("centre:" + fromPeer);
  pqxx::work tx(d.conn);
  auto row = d.fetch(tx, report.incident_id(), true);
  if (row && (*row)["version"].as<std::uint32_t>() >= report.version()) return std::nullopt;
  int level = validLevel(report.level()) ? static_cast<int>(report.level()) : 4;
  const std::string &state = report.state();
  if (state != "reported" && state != "verified" && state != "responding" && state != "contained" &&
      state != "closed")
    throw IncidentError("incident copy from " + fromPeer + ": state: unknown \"" + state + "\"");
  std::string lead = report.lead_tier() == wire::TIER_UNSPECIFIED ? "state"
                     : report.lead_tier() == wire::TIER_PROVINCE  ? "province"
                     : report.lead_tier() == wire::TIER_CITY      ? "city"
                     : report.lead_tier() == wire::TIER_COUNTY    ? "county"
                                                                  : "town";
  auto codes = report.region_codes();
  auto code = [&](int i) -> std::optional<std::string> {
    if (i < codes.size()) return codes[i];
    return std::nullopt;
  };
  json before = row ? snapshotOf(*row) : json(nullptr);
  tx.exec_params(
      "INSERT INTO incidents (id, type, title, description, level, colour, state, lead_tier, geom, "
      "province_code, city_code, county_code, town_code, origin_centre, via_centre, reported_by, version, "
      "opened_at, closed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ST_SetSRID(ST_MakePoint($9, $10), "
      "4326), "
      "$11, $12, $13, $14, $15, $16, $17, $18, to_timestamp($19::double precision / 1e6), "
      "CASE WHEN $7 = 'closed' THEN now() END) "
      "ON CONFLICT (id) DO UPDATE SET type = EXCLUDED.type, title = EXCLUDED.title, "
      "description = EXCLUDED.description, level = EXCLUDED.level, colour = EXCLUDED.colour, "
      "state = EXCLUDED.state, lead_tier = EXCLUDED.lead_tier, version = EXCLUDED.version, updated_at = "
      "now(), "
      "closed_at = CASE WHEN EXCLUDED.state = 'closed' THEN coalesce(incidents.closed_at, now()) END",
      report.incident_id(), report.type(), report.title(), report.description(), level,
      colourKey(report.colour()), state, lead, report.longitude(), report.latitude(), code(0), code(1),
      code(2), code(3), report.origin_centre(), fromParent ? std::optional<std::string>() : fromPeer,
      report.reported_by(), report.version(), static_cast<double>(report.opened_at_us()));
  d.timeline(tx, report.incident_id(), who.name, row ? "copy_updated" : "copy_received",
             {{"from", fromPeer}, {"change", report.change()}, {"version", report.version()}});
  auto after = *d.fetch(tx, report.incident_id(), false);
  audit(tx, who, "incident.copy", "incident/" + report.incident_id(), before, snapshotOf(after));
  auto out = toReport(after);
  out.set_change(report.change());
  auto via = text(after["via"]);
  tx.commit();
  return IncidentChange{out, !row, via};
}

IncidentChange IncidentDesk::create(const Actor &who, wire::IncidentReport in) {
  if (!mayDo(who.role, "create"))
    throw IncidentError("permission denied: role " + roleName(who.role) + " may not open incidents");
  if (in.type().empty() || !std::regex_match(in.type(), kTypePattern))
    throw IncidentError(
        "type: expected lower-case letters and _ (flood, typhoon, fire, public_security, ...)");
  if (in.title().empty() || in.title().size() > 400)
    throw IncidentError("title: required, at most 400 bytes");
  if (in.description().size() > 20000) throw IncidentError("description: at most 20000 bytes");
  if (!(std::isfinite(in.latitude()) && std::isfinite(in.longitude()) && std::fabs(in.latitude()) <= 90 &&
        std::fabs(in.longitude()) <= 180) ||
      (in.latitude() == 0 && in.longitude() == 0))
    throw IncidentError("location: latitude and longitude required (WGS 84 degrees)");
  if (in.level() != wire::LEVEL_NONE && !validLevel(in.level())) throw IncidentError("level: expected I..IV");
  if (in.photo().size() > 4 * 1024 * 1024) throw IncidentError("photo: at most 4 MiB");
  if (!in.photo().empty() && (in.photo().size() < 3 || static_cast<unsigned char>(in.photo()[0]) != 0xFF ||
                              static_cast<unsigned char>(in.photo()[1]) != 0xD8 ||
                              static_cast<unsigned char>(in.photo()[2]) != 0xFF))
    throw IncidentError("photo: not a JPEG image");
  in.set_reported_by(who.name);
  std::lock_guard lock(mutex_);
  auto &d = *impl_;
  auto cameras = d.camerasFor(in.longitude(), in.latitude());
  pqxx::work tx(d.conn);
  if (in.incident_id().empty()) {
    in.set_incident_id(d.newId(tx));
  } else {
    if (!std::regex_match(in.incident_id(), kIdPattern))
      throw IncidentError("incident_id: expected [A-Za-z0-9_.:/-]{1,96}");
    if (d.fetch(tx, in.incident_id(), false))
      throw IncidentError("incident " + in.incident_id() + " exists already");
  }
  auto out = d.insert(tx, who, in, cameras, "opened by " + roleName(who.role));
  tx.commit();
  return {out, true, ""};
}

IncidentChange IncidentDesk::act(const Actor &who, const wire::IncidentActionRequest &req) {
  const std::string &action = req.action();
  if (!mayDo(who.role, action))
    throw IncidentError("permission denied: role " + roleName(who.role) + " may not " + action +
                        " incidents");
  if (req.text().size() > 20000) throw IncidentError("text: at most 20000 bytes");
  std::lock_guard lock(mutex_);
  auto &d = *impl_;
  pqxx::work tx(d.conn);
  auto row = d.fetchVisible(tx, who, req.incident_id(), true);
  auto version = row["version"].as<std::uint32_t>();
  if (req.expected_version() != 0 && req.expected_version() != version)
    throw IncidentError(
        fmt::format("incident {} changed meanwhile (now version {}); reload it", req.incident_id(), version));
  // An incident led by a higher tier is run by that tier's centre; here one
  // may add notes and raise the level (which hands the lead further up).
  auto lead = row["lead_tier"].as<std::string>();
  int leadRank = std::max(tierRank(lead), 1);
  bool raising = action == "set_level" && validLevel(req.level()) && req.level() < row["level"].as<int>();
  if (leadRank < tierRank(d.options.centreTier) && action != "note" && !raising)
    throw IncidentError(fmt::format("incident {} is led by the {} centre; only it may {} it",
                                    req.incident_id(), lead,
                                    action == "set_level" ? std::string("lower the level of") : action));
  auto before = snapshotOf(row);
  std::string change;
  json detail;
  if (action == "note") {
    if (req.text().empty()) throw IncidentError("note: text required");
    change = "note";
    detail = {{"text", req.text()}};
  } else if (action == "set_level") {
    int level = static_cast<int>(req.level());
    if (!validLevel(level)) throw IncidentError("set_level: level I..IV required");
    if (req.text().empty()) throw IncidentError("set_level: a reason (text) is required");
    int old = row["level"].as<int>();
    if (level == old)
      throw IncidentError("incident " + req.incident_id() + " is already level " + levelText(level));
    if (row["state"].as<std::string>() == "closed")
      throw IncidentError("cannot set the level of a closed incident");
    auto lead = d.options.lead.tierName(req.level());
    tx.exec_params("UPDATE incidents SET level = $2, lead_tier = $3 WHERE id = $1", req.incident_id(), level,
                   lead);
    change = "level " + levelText(level);
    detail = {
        {"from", levelText(old)}, {"to", levelText(level)}, {"lead_tier", lead}, {"reason", req.text()}};
  } else if (action == "sop_done") {
    auto done = tx.exec_params(
        "UPDATE sop_steps SET done_at = now(), done_by = $3 WHERE incident_id = $1 AND "
        "step = $2 AND done_at IS NULL RETURNING text",
        req.incident_id(), static_cast<int>(req.step()), who.name);
    if (done.empty())
      throw IncidentError(fmt::format("incident {} has no open SOP step {}", req.incident_id(), req.step()));
    change = fmt::format("SOP step {} done", req.step());
    detail = {{"step", req.step()}, {"text", done[0][0].as<std::string>()}};
  } else {
    auto t = nextState(row["state"].as<std::string>(), action);
    if (!t.state) throw IncidentError(t.refusal);
    if (action == "close" && req.text().empty()) throw IncidentError("close: a reason (text) is required");
    tx.exec_params(
        "UPDATE incidents SET state = $2, closed_at = CASE WHEN $2 = 'closed' THEN now() END "
        "WHERE id = $1",
        req.incident_id(), *t.state);
    d.sitrepsAfter(tx, req.incident_id(), *t.state, row["level"].as<int>());
    change = *t.state;
    detail = {{"from", row["state"].as<std::string>()}, {"to", *t.state}};
    if (!req.text().empty()) detail["text"] = req.text();
  }
  d.timeline(tx, req.incident_id(), who.name, action, detail);
  bool shared = action != "note" && action != "sop_done";
  auto out = d.touch(tx, req.incident_id(), change, shared);
  auto after = *d.fetch(tx, req.incident_id(), false);
  audit(tx, who, "incident." + action, "incident/" + req.incident_id(), before, snapshotOf(after));
  auto via = text(after["via"]);
  tx.commit();
  return {out, false, via, shared};
}

std::vector<wire::IncidentReport> IncidentDesk::list(const Actor &who, bool includeClosed, int limit) {
  if (!mayDo(who.role, "read")) throw IncidentError("permission denied");
  limit = limit <= 0 ? 100 : std::min(limit, 1000);
  std::lock_guard lock(mutex_);
  auto &d = *impl_;
  pqxx::work tx(d.conn);
  bool all = who.role == Role::System;
  auto rows = tx.exec_params(
      fmt::format(
          "SELECT {} FROM incidents WHERE ($1 OR $2 IN (province_code, city_code, county_code, town_code)) "
          "AND ($3 = '' OR reported_by = $3 OR EXISTS (SELECT 1 FROM tasks t WHERE t.incident_id = "
          "incidents.id AND "
          "t.agency_id = $6)) AND ($4 OR state <> 'closed') "
          "ORDER BY updated_at DESC, id LIMIT $5",
          kColumns),
      all, who.regionCode, who.role == Role::AgencyOperator ? who.name : std::string(), includeClosed, limit,
      who.agencyId);
  std::vector<wire::IncidentReport> out;
  for (const auto &row : rows) out.push_back(toReport(row));
  return out;
}

bool IncidentDesk::visibleTo(const Actor &who, const std::string &incidentId) {
  std::lock_guard lock(mutex_);
  pqxx::work tx(impl_->conn);
  try {
    impl_->fetchVisible(tx, who, incidentId, false);
    return true;
  } catch (const IncidentError &) {
    return false;  // unknown or outside what `who` may see
  }
}

wire::IncidentDetail IncidentDesk::get(const Actor &who, const std::string &incidentId) {
  if (!mayDo(who.role, "read")) throw IncidentError("permission denied");
  std::lock_guard lock(mutex_);
  auto &d = *impl_;
  pqxx::work tx(d.conn);
  auto row = d.fetchVisible(tx, who, incidentId, false);
  wire::IncidentDetail detail;
  *detail.mutable_incident() = toReport(row);
  for (const auto &t :
       tx.exec_params("SELECT (extract(epoch FROM at) * 1e6)::bigint, actor, action, detail::text "
                      "FROM incident_timeline WHERE incident_id = $1 ORDER BY id",
                      incidentId)) {
    auto *e = detail.add_timeline();
    e->set_at_us(t[0].as<std::int64_t>());
    e->set_actor(t[1].as<std::string>());
    e->set_action(t[2].as<std::string>());
    e->set_detail_json(t[3].as<std::string>());
  }
  for (const auto &a : tx.exec_params(
           "SELECT alert_id FROM incident_alerts WHERE incident_id = $1 ORDER BY linked_at", incidentId))
    detail.add_alert_ids(a[0].as<std::string>());
  for (const auto &c : tx.exec_params(
           "SELECT camera_id, distance_m FROM incident_cameras WHERE incident_id = $1 ORDER BY distance_m",
           incidentId)) {
    auto *lc = detail.add_cameras();
    lc->set_camera_id(c[0].as<std::string>());
    lc->set_distance_m(c[1].as<double>());
  }
  // An agency sees its own tasks only.
  for (auto &t : d.readTasks(tx, "t.incident_id = $1 AND ($2 = '' OR t.agency_id = $2)", incidentId,
                             who.role == Role::AgencyOperator ? who.agencyId : std::string()))
    *detail.add_tasks() = std::move(t);
  for (const auto &r : tx.exec_params(
           "SELECT kind, seq, (extract(epoch FROM due_at) * 1e6)::bigint, "
           "coalesce((extract(epoch FROM submitted_at) * 1e6)::bigint, 0), coalesce(submitted_by, ''), "
           "coalesce(body, ''), overdue FROM sitreps WHERE incident_id = $1 ORDER BY due_at, kind, seq",
           incidentId)) {
    auto *x = detail.add_sitreps();
    x->set_kind(r[0].as<std::string>());
    x->set_seq(r[1].as<std::uint32_t>());
    x->set_due_at_us(r[2].as<std::int64_t>());
    x->set_submitted_at_us(r[3].as<std::int64_t>());
    x->set_submitted_by(r[4].as<std::string>());
    x->set_body(r[5].as<std::string>());
    x->set_overdue(r[6].as<bool>());
  }
  for (const auto &r :
       tx.exec_params("SELECT step, text, coalesce(agency_kind, ''), "
                      "coalesce((extract(epoch FROM done_at) * 1e6)::bigint, 0), coalesce(done_by, '') "
                      "FROM sop_steps WHERE incident_id = $1 ORDER BY step",
                      incidentId)) {
    auto *x = detail.add_sop();
    x->set_step(r[0].as<std::uint32_t>());
    x->set_text(r[1].as<std::string>());
    x->set_agency_kind(r[2].as<std::string>());
    x->set_done_at_us(r[3].as<std::int64_t>());
    x->set_done_by(r[4].as<std::string>());
  }
  return detail;
}

std::string IncidentDesk::viaCentre(const std::string &incidentId) {
  std::lock_guard lock(mutex_);
  pqxx::work tx(impl_->conn);
  auto rows = tx.exec_params("SELECT coalesce(via_centre, '') FROM incidents WHERE id = $1", incidentId);
  return rows.empty() ? std::string() : rows[0][0].as<std::string>();
}

}  // namespace liandong::server
