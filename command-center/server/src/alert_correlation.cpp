// The incident desk's one correlation of alerts into incidents
// (IncidentDesk::onAlerts, and onAlert as a batch of one; see incidents.h).
// The centre's intake commits alerts by the thousand (an alarm storm); one
// transaction per alert, each with a dozen statements and its own audit
// entry, backs it up. Here a batch is correlated alert by alert in order,
// while the incidents it changes are held in memory and each is written,
// versioned and audited once, and the alert links and timeline rows go in
// with one statement each.
#include "liandong/server/incidents.h"

#include <deque>
#include <map>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "incident_desk_impl.h"

namespace liandong::server {

namespace {

// An incident the batch changes, as the batch leaves it.
struct Touched {
  std::string id;
  wire::WarningColour colour = wire::COLOUR_NONE;
  int level = 4;
  std::string lead;
  wire::WarningColour startColour = wire::COLOUR_NONE;  // before the batch, or when it opened in it
  int startLevel = 4;
  json before;           // audit snapshot before the batch's changes
  bool opened = false;   // opened by this batch (the open has its own audit entry)
  bool changed = false;  // changed after opening / loading: update, version, audit
  int linked = 0, cleared = 0;
  std::string actor;  // the first alert rule that changed it
  std::string via;
  wire::IncidentReport openedAs;  // what insert() returned, for an incident opened here
};

// An alert's link to its incident, as the batch leaves it.
struct Link {
  std::string incident;
  std::string colour;
  bool cleared = false;
  bool isNew = false;  // not yet in incident_alerts
  bool dirty = false;
};

constexpr const char *kCorrelate = "liandong_storm_correlate";

}  // namespace

// One batch in one transaction: add() each alert in order, then finish().
class IncidentDesk::Impl::AlertBatch {
public:
  // Reads which of the alerts are linked already (one query for the batch).
  AlertBatch(Impl &d, pqxx::work &tx, const std::vector<wire::Alert> &alerts);

  // Correlates one alert; returns the incident it belongs to ("" for none).
  // `linkedIncident`: the incident a child centre correlated it into.
  std::string add(const wire::Alert &a, const std::string &linkedIncident);

  // Writes the links, the timeline and each changed incident; returns the changes.
  std::vector<IncidentChange> finish();

private:
  Touched &adopt(const pqxx::row &row);
  Touched *load(const std::string &id);
  std::string escalate(Touched &t, const wire::Alert &a);
  void note(Touched &t, const std::string &actor, const char *action, json detail);
  std::string linkForChild(const wire::Alert &a, const std::string &id);
  std::string follow(const wire::Alert &a, Link &link);
  std::string correlate(const wire::Alert &a);
  void writeLinksAndTimeline();
  IncidentChange writeIncident(Touched &t);

  Impl &d_;
  pqxx::work &tx_;
  std::unordered_map<std::string, Link> links_;  // alert id -> link
  std::deque<Touched> touched_;                  // references stay valid as it grows
  std::map<std::string, std::size_t> touchedIndex_;
  std::set<std::string> held_;  // incidents named by a child centre that we hold a copy of
  json timeline_ = json::array();
};

IncidentDesk::Impl::AlertBatch::AlertBatch(Impl &d, pqxx::work &tx, const std::vector<wire::Alert> &alerts)
    : d_(d), tx_(tx) {
  json ids = json::array();
  for (const auto &a : alerts)
    if (!a.alert_id().empty()) ids.push_back(a.alert_id());
  for (const auto &row :
       tx_.exec_params("SELECT alert_id, incident_id, colour, cleared FROM incident_alerts "
                       "WHERE alert_id = ANY (ARRAY(SELECT jsonb_array_elements_text($1::jsonb)))",
                       ids.dump()))
    links_[row[0].as<std::string>()] = {row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<bool>(),
                                        false, false};
}

Touched &IncidentDesk::Impl::AlertBatch::adopt(const pqxx::row &row) {
  auto id = row["id"].as<std::string>();
  if (auto it = touchedIndex_.find(id); it != touchedIndex_.end()) return touched_[it->second];
  Touched t;
  t.id = id;
  t.colour = t.startColour = parseColourKey(row["colour"].as<std::string>());
  t.level = t.startLevel = row["level"].as<int>();
  t.lead = row["lead_tier"].as<std::string>();
  t.before = snapshotOf(row);
  t.via = text(row["via"]);
  touchedIndex_[id] = touched_.size();
  touched_.push_back(std::move(t));
  return touched_.back();
}

Touched *IncidentDesk::Impl::AlertBatch::load(const std::string &id) {
  if (auto it = touchedIndex_.find(id); it != touchedIndex_.end()) return &touched_[it->second];
  auto row = d_.fetch(tx_, id, true);
  return row ? &adopt(*row) : nullptr;
}

// An alert raises the incident's colour and level, never lowers them.
std::string IncidentDesk::Impl::AlertBatch::escalate(Touched &t, const wire::Alert &a) {
  std::string change;
  if (a.colour() > t.colour) {
    t.colour = a.colour();
    change = "colour " + colourKey(a.colour());
  }
  int suggested = static_cast<int>(a.suggested_level());
  if (validLevel(suggested) && suggested < t.level) {
    t.level = suggested;
    t.lead = d_.options.lead.tierName(a.suggested_level());
    change += (change.empty() ? "" : ", ") + std::string("level ") + levelText(suggested);
  }
  return change;
}

void IncidentDesk::Impl::AlertBatch::note(Touched &t, const std::string &actor, const char *action,
                                          json detail) {
  if (t.actor.empty()) t.actor = actor;
  t.changed = true;
  timeline_.push_back({{"i", t.id}, {"a", actor}, {"c", action}, {"d", std::move(detail)}});
}

std::string IncidentDesk::Impl::AlertBatch::add(const wire::Alert &a, const std::string &linkedIncident) {
  if (a.alert_id().empty()) return {};
  if (!linkedIncident.empty()) return linkForChild(a, linkedIncident);
  if (auto k = links_.find(a.alert_id()); k != links_.end()) return follow(a, k->second);
  if (a.cleared()) return {};  // cleared before it was ever linked
  return correlate(a);
}

// A child centre correlated it already and owns the incident: record the
// link on our copy (if we hold one) and change nothing — the child's next
// copy carries what the alert changed. Bumping our version here would make
// us ignore that copy.
std::string IncidentDesk::Impl::AlertBatch::linkForChild(const wire::Alert &a, const std::string &id) {
  if (!held_.contains(id)) {
    if (!touchedIndex_.contains(id) && !d_.fetch(tx_, id, false)) return {};
    held_.insert(id);
  }
  if (auto k = links_.find(a.alert_id()); k != links_.end()) {
    k->second.colour = colourKey(a.colour());
    k->second.cleared = a.cleared();
    k->second.dirty = true;
    return k->second.incident;
  }
  links_[a.alert_id()] = {id, colourKey(a.colour()), a.cleared(), true, true};
  timeline_.push_back({{"i", id},
                       {"a", "alert:" + a.rule_id()},
                       {"c", "alert_linked"},
                       {"d", {{"alert", a.alert_id()}, {"headline", a.headline()}, {"by", "child centre"}}}});
  return id;
}

// A later message of an alert already linked: follow its colour.
std::string IncidentDesk::Impl::AlertBatch::follow(const wire::Alert &a, Link &link) {
  auto *t = load(link.incident);
  if (!t) return {};
  auto actor = "alert:" + a.rule_id();
  bool wasCleared = link.cleared;
  link.colour = colourKey(a.colour());
  link.cleared = a.cleared();
  link.dirty = true;
  if (a.cleared()) {
    if (wasCleared) return t->id;
    ++t->cleared;
    note(*t, actor, "alert_cleared",
         {{"alert", a.alert_id()}, {"change", "alert cleared"}, {"headline", a.headline()}});
  } else {
    auto change = escalate(*t, a);
    if (change.empty()) return t->id;  // a repeat: nothing a console would show
    note(*t, actor, "escalated", {{"alert", a.alert_id()}, {"change", change}, {"headline", a.headline()}});
  }
  return t->id;
}

// A new alert joins the nearest open incident of its type that changed
// recently, or opens one.
std::string IncidentDesk::Impl::AlertBatch::correlate(const wire::Alert &a) {
  auto actor = "alert:" + a.rule_id();
  Touched *t = nullptr;
  // Sees the incidents this batch opened: they are in the same transaction.
  auto rows =
      tx_.exec_prepared(kCorrelate, d_.options.types.typeFor(a.quantity()), d_.options.correlateWindowS,
                        a.longitude(), a.latitude(), d_.options.correlateRadiusM);
  if (!rows.empty()) t = &adopt(rows[0]);
  if (t) {
    ++t->linked;
    auto esc = escalate(*t, a);
    note(*t, actor, "alert_linked", {{"alert", a.alert_id()}, {"headline", a.headline()}, {"change", esc}});
  } else {
    wire::IncidentReport in;
    in.set_incident_id(d_.newId(tx_));
    in.set_type(d_.options.types.typeFor(a.quantity()));
    in.set_title(a.headline().empty() ? a.rule_id() : a.headline());
    in.set_description(a.description());
    in.set_level(validLevel(a.suggested_level()) ? a.suggested_level() : wire::LEVEL_IV);
    in.set_colour(a.colour());
    in.set_latitude(a.latitude());
    in.set_longitude(a.longitude());
    in.set_reported_by(actor);
    auto cameras = d_.camerasFor(a.longitude(), a.latitude());
    auto out = d_.insert(tx_, Actor::system(actor), in, cameras, "alert " + a.alert_id());
    auto &nt = adopt(*d_.fetch(tx_, out.incident_id(), false));
    nt.opened = true;
    nt.openedAs = std::move(out);
    t = &nt;
  }
  links_[a.alert_id()] = {t->id, colourKey(a.colour()), false, true, true};
  return t->id;
}

// The alert links and the timeline, one statement each.
void IncidentDesk::Impl::AlertBatch::writeLinksAndTimeline() {
  json fresh = json::array(), changed = json::array();
  for (const auto &[alertId, l] : links_) {
    if (!l.dirty) continue;
    json row = {{"i", l.incident}, {"a", alertId}, {"c", l.colour}, {"x", l.cleared}};
    (l.isNew ? fresh : changed).push_back(std::move(row));
  }
  if (!fresh.empty())
    tx_.exec_params(
        "INSERT INTO incident_alerts (incident_id, alert_id, colour, cleared) "
        "SELECT x->>'i', x->>'a', x->>'c', (x->>'x')::boolean FROM jsonb_array_elements($1::jsonb) x",
        fresh.dump());
  if (!changed.empty())
    tx_.exec_params(
        "UPDATE incident_alerts ia SET colour = x->>'c', cleared = (x->>'x')::boolean "
        "FROM jsonb_array_elements($1::jsonb) x WHERE ia.alert_id = x->>'a'",
        changed.dump());
  if (!timeline_.empty())
    tx_.exec_params(
        "INSERT INTO incident_timeline (incident_id, actor, action, detail) "
        "SELECT x->>'i', x->>'a', x->>'c', x->'d' FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS "
        "t(x, n) "
        "ORDER BY n",
        timeline_.dump());
}

// A changed incident: one update and one audit entry. Only a raised colour
// or level is news for the other tiers: it alone moves the version (once
// per batch).
IncidentChange IncidentDesk::Impl::AlertBatch::writeIncident(Touched &t) {
  bool raised = t.colour != t.startColour || t.level != t.startLevel;
  tx_.exec_params(
      "UPDATE incidents SET colour = $2, level = $3, lead_tier = $4, version = version + $5, updated_at = "
      "now() WHERE id = $1",
      t.id, colourKey(t.colour), t.level, t.lead, raised ? 1 : 0);
  auto after = *d_.fetch(tx_, t.id, false);
  audit(tx_, Actor::system(t.actor), "incident.alert", "incident/" + t.id, t.before, snapshotOf(after));
  std::vector<std::string> parts;
  if (t.opened) parts.emplace_back("opened");
  if (t.linked > 0)
    parts.push_back(t.linked == 1 ? "alert linked" : fmt::format("{} alerts linked", t.linked));
  if (t.cleared > 0)
    parts.push_back(t.cleared == 1 ? "alert cleared" : fmt::format("{} alerts cleared", t.cleared));
  if (t.colour != t.startColour) parts.push_back("colour " + colourKey(t.colour));
  if (t.level != t.startLevel) parts.push_back("level " + levelText(t.level));
  if (parts.empty()) parts.emplace_back("alerts updated");
  std::string change;
  for (const auto &p : parts) change += (change.empty() ? "" : ", ") + p;
  auto out = toReport(after);
  out.set_change(change);
  return {std::move(out), t.opened, t.opened ? std::string() : t.via, t.opened || raised};
}

std::vector<IncidentChange> IncidentDesk::Impl::AlertBatch::finish() {
  writeLinksAndTimeline();
  std::vector<IncidentChange> changes;
  for (auto &t : touched_) {
    if (t.changed)
      changes.push_back(writeIncident(t));
    else if (t.opened)
      changes.push_back({t.openedAs, true, "", true});
  }
  return changes;
}

AlertBatchResult IncidentDesk::onAlerts(const std::vector<wire::Alert> &alerts,
                                        const std::vector<std::string> &linkedIncidents) {
  if (!linkedIncidents.empty() && linkedIncidents.size() != alerts.size())
    throw std::invalid_argument("onAlerts: linkedIncidents must be empty or hold one entry per alert");
  AlertBatchResult result;
  result.incidentOf.resize(alerts.size());
  if (alerts.empty()) return result;
  std::lock_guard lock(mutex_);
  auto &d = *impl_;
  // The correlation query, prepared once per connection.
  d.conn.prepare(kCorrelate,
                 fmt::format("SELECT {} FROM incidents WHERE state <> 'closed' AND type = $1 "
                             "AND updated_at > now() - make_interval(secs => $2) "
                             "AND ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint($3, $4), "
                             "4326)::geography, $5) "
                             "ORDER BY geom::geography <-> ST_SetSRID(ST_MakePoint($3, $4), 4326)::geography "
                             "LIMIT 1 FOR UPDATE",
                             kColumns));
  pqxx::work tx(d.conn);
  Impl::AlertBatch batch(d, tx, alerts);
  for (std::size_t i = 0; i < alerts.size(); ++i)
    result.incidentOf[i] = batch.add(alerts[i], linkedIncidents.empty() ? std::string() : linkedIncidents[i]);
  result.changes = batch.finish();
  tx.commit();
  return result;
}

std::optional<IncidentChange> IncidentDesk::onAlert(const wire::Alert &alert,
                                                    const std::string &linkedIncident) {
  auto result = onAlerts({alert}, linkedIncident.empty() ? std::vector<std::string>()
                                                         : std::vector<std::string>{linkedIncident});
  if (result.changes.empty()) return std::nullopt;
  return std::move(result.changes.front());
}

}  // namespace liandong::server
