// Tests of IncidentDesk::onAlerts, the batch path for alarm storms, against a
// real PostGIS with Panyu's regions and approximate towns: a batch correlates
// alerts into incidents exactly as onAlert() does one by one (same incidents,
// colours, levels, linked alerts), follows alerts linked by earlier batches
// or by onAlert(), only links an alert a child centre already correlated,
// writes each changed incident once (one audit entry per batch, a new
// version only when its colour or level rose) and keeps the audit chain
// intact.
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <map>

#include "liandong/core/logging.h"
#include "liandong/mapping/assets.h"
#include "liandong/mapping/migrations.h"
#include "liandong/mapping/regions.h"
#include "liandong/server/audit.h"
#include "liandong/server/incidents.h"
#include "panyu_database.h"
#include "pg_fixture.h"

using namespace liandong;
using namespace liandong::server;
using liandong::testing::copyOfPanyu;
using liandong::testing::PgEnvironment;
using liandong::testing::scalar;

namespace {

struct Point {
  double lon, lat;
};

// A point inside a Panyu town (市桥街道, and 石楼镇 some 15 km east).
Point inTown(const std::string &db, const std::string &town) {
  pqxx::connection c(db);
  pqxx::work tx(c);
  auto row = tx.exec_params1(
      "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM regions WHERE code = $1",
      town);
  return {row[0].as<double>(), row[1].as<double>()};
}

wire::Alert alert(const std::string &id, const std::string &quantity, const Point &at,
                  wire::WarningColour colour = wire::COLOUR_YELLOW,
                  wire::ResponseLevel level = wire::LEVEL_IV, bool cleared = false) {
  wire::Alert a;
  a.set_alert_id(id);
  a.set_rule_id("rule-" + quantity);
  a.set_source_id("s-" + id);
  a.set_quantity(quantity);
  a.set_colour(colour);
  a.set_suggested_level(level);
  a.set_headline(quantity + " 预警");
  a.set_longitude(at.lon);
  a.set_latitude(at.lat);
  a.set_cleared(cleared);
  return a;
}

IncidentOptions options() {
  IncidentOptions o;
  o.centreId = "centre-440113";
  o.centreRegion = "440113";
  o.centreTier = "county";
  return o;
}

// A small storm: floods and a fire in two towns, alerts that repeat,
// escalate, fall back and clear.
std::vector<wire::Alert> storm(const Point &a, const Point &b) {
  Point near{a.lon + 0.003, a.lat};
  return {
      alert("W1", "water_level", a),
      alert("R1", "rainfall", near),  // 300 m away: the same flood
      alert("F1", "smoke", a),        // a fire at the same place: its own incident
      alert("W2", "water_level", b),  // kilometres away: another flood
      alert("W1", "water_level", a),  // a repeat
      alert("W1", "water_level", a, wire::COLOUR_ORANGE, wire::LEVEL_III),
      alert("R1", "rainfall", near, wire::COLOUR_BLUE),  // lower: never lowers the incident
      alert("F1", "smoke", a, wire::COLOUR_RED, wire::LEVEL_II),
      alert("W2", "water_level", b, wire::COLOUR_YELLOW, wire::LEVEL_IV, true),  // cleared
      alert("X9", "water_level", b, wire::COLOUR_YELLOW, wire::LEVEL_IV, true),  // cleared, never linked
      alert("", "water_level", b),                                               // no id: ignored
  };
}

// Each incident as a comparable line: type, colour, level, lead, its alerts.
std::map<std::string, std::string> incidentsOf(const std::string &db) {
  pqxx::connection c(db);
  pqxx::work tx(c);
  std::map<std::string, std::string> out;
  for (const auto &row :
       tx.exec("SELECT i.type || ' ' || i.colour || ' ' || i.level || ' ' || i.lead_tier || ' ' || i.state, "
               "string_agg(a.alert_id || ':' || a.colour || ':' || a.cleared, ',' ORDER BY a.alert_id) "
               "FROM incidents i JOIN incident_alerts a ON a.incident_id = i.id GROUP BY i.id"))
    out[row[1].as<std::string>()] = row[0].as<std::string>();
  return out;
}

}  // namespace

TEST(IncidentStorm, BatchCorrelatesAsAlertByAlert) {
  auto one = copyOfPanyu("storm_one");
  auto batch = copyOfPanyu("storm_batch");
  auto a = inTown(one, "440113007"), b = inTown(one, "440113105");
  auto alerts = storm(a, b);
  {
    IncidentDesk desk(one, options());
    for (const auto &x : alerts) desk.onAlert(x);
  }
  IncidentDesk desk(batch, options());
  auto r = desk.onAlerts(alerts);
  auto expected = incidentsOf(one);
  EXPECT_EQ(expected.size(), 3u);
  EXPECT_EQ(incidentsOf(batch), expected);

  // One change per incident, as it stands after the batch.
  ASSERT_EQ(r.changes.size(), 3u);
  ASSERT_EQ(r.incidentOf.size(), alerts.size());
  const auto &flood = r.changes[0].incident;
  EXPECT_TRUE(r.changes[0].opened);
  EXPECT_EQ(flood.type(), "flood");
  EXPECT_EQ(flood.colour(), wire::COLOUR_ORANGE);
  EXPECT_EQ(flood.level(), wire::LEVEL_III);
  EXPECT_EQ(flood.lead_tier(), wire::TIER_CITY);
  EXPECT_EQ(flood.change(), "opened, alert linked, colour orange, level III");
  EXPECT_EQ(flood.version(), 2u) << "opened (1), then one update for the rest of the batch";
  EXPECT_EQ(r.changes[1].incident.type(), "fire");
  EXPECT_EQ(r.changes[1].incident.level(), wire::LEVEL_II);
  EXPECT_EQ(r.changes[1].incident.lead_tier(), wire::TIER_PROVINCE);
  EXPECT_EQ(r.changes[2].incident.change(), "opened, alert cleared");
  EXPECT_EQ(r.incidentOf[0], flood.incident_id());
  EXPECT_EQ(r.incidentOf[1], flood.incident_id());
  EXPECT_EQ(r.incidentOf[4], flood.incident_id()) << "a repeat still names its incident";
  EXPECT_EQ(r.incidentOf[9], "");
  EXPECT_EQ(r.incidentOf[10], "");

  // Timeline: per alert as onAlert writes it; audit: an open and one change per incident.
  EXPECT_EQ(scalar(batch, "SELECT count(*) FROM incident_timeline WHERE action = 'opened'"), 3);
  EXPECT_EQ(scalar(batch, "SELECT count(*) FROM incident_timeline WHERE action = 'alert_linked'"), 1);
  EXPECT_EQ(scalar(batch, "SELECT count(*) FROM incident_timeline WHERE action = 'escalated'"), 2);
  EXPECT_EQ(scalar(batch, "SELECT count(*) FROM incident_timeline WHERE action = 'alert_cleared'"), 1);
  EXPECT_EQ(scalar(batch, "SELECT count(*) FROM audit_log"), 6);
  EXPECT_LT(scalar(batch, "SELECT count(*) FROM audit_log"), scalar(one, "SELECT count(*) FROM audit_log"));
  pqxx::connection c(batch);
  EXPECT_TRUE(verifyAudit(c).problems.empty());
}

TEST(IncidentStorm, LaterBatchesFollowLinkedAlertsAndNamedIncidents) {
  auto db = copyOfPanyu("storm_later");
  auto a = inTown(db, "440113007"), b = inTown(db, "440113105");
  IncidentDesk desk(db, options());
  // Linked by onAlert(), then followed by a batch.
  auto first = desk.onAlert(alert("W1", "water_level", a));
  ASSERT_TRUE(first);
  const auto id = first->incident.incident_id();
  auto r = desk.onAlerts({alert("W1", "water_level", a), alert("W1", "water_level", a, wire::COLOUR_RED)});
  ASSERT_EQ(r.changes.size(), 1u);
  EXPECT_FALSE(r.changes[0].opened);
  EXPECT_EQ(r.changes[0].incident.incident_id(), id);
  EXPECT_EQ(r.changes[0].incident.change(), "colour red");
  EXPECT_EQ(r.changes[0].incident.version(), first->incident.version() + 1);

  // A batch of repeats changes nothing and writes nothing.
  auto audits = scalar(db, "SELECT count(*) FROM audit_log");
  r = desk.onAlerts({alert("W1", "water_level", a, wire::COLOUR_RED)});
  EXPECT_TRUE(r.changes.empty());
  EXPECT_EQ(r.incidentOf[0], id);
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM audit_log"), audits);

  // An alert a child centre already correlated is only linked to the
  // incident it names, even far away, and changes nothing here (the child's
  // copies do); one naming an incident we do not hold is dropped; one with no
  // incident named correlates here.
  auto version = scalar(db, "SELECT max(version) FROM incidents");
  r = desk.onAlerts({alert("C1", "water_level", b, wire::COLOUR_RED), alert("C2", "water_level", b),
                     alert("C3", "water_level", b)},
                    {id, "", "centre-x-unknown"});
  EXPECT_EQ(r.incidentOf[0], id);
  EXPECT_NE(r.incidentOf[1], id);
  EXPECT_EQ(r.incidentOf[2], "");
  ASSERT_EQ(r.changes.size(), 1u);
  EXPECT_TRUE(r.changes[0].opened);
  EXPECT_EQ(scalar(db, "SELECT max(version) FROM incidents"), version);
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM incident_timeline WHERE detail->>'by' = 'child centre'"), 1);
  // A cleared link from a child: recorded, still no change.
  auto childClear = alert("C1", "water_level", b, wire::COLOUR_RED, wire::LEVEL_IV, true);
  r = desk.onAlerts({childClear}, {id});
  EXPECT_TRUE(r.changes.empty());
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM incident_alerts WHERE alert_id = 'C1' AND cleared"), 1);

  // Linking and clearing are local: no new version, not shared.
  r = desk.onAlerts({alert("W5", "water_level", a)});
  ASSERT_EQ(r.changes.size(), 1u);
  EXPECT_EQ(r.changes[0].incident.change(), "alert linked");
  EXPECT_FALSE(r.changes[0].shared);
  EXPECT_EQ(r.changes[0].incident.version(), static_cast<std::uint32_t>(version));

  // The next plain onAlert() sees what the batches stored.
  auto cleared = alert("W1", "water_level", a);
  cleared.set_cleared(true);
  auto c = desk.onAlert(cleared);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->incident.change(), "alert cleared");
  pqxx::connection conn(db);
  {
    pqxx::work tx(conn);
    EXPECT_EQ(
        tx.exec_params1("SELECT count(*) FROM incident_alerts WHERE incident_id = $1", id)[0].as<long>(), 3);
  }

  EXPECT_THROW(desk.onAlerts({alert("Z1", "water_level", a)}, {"x", "y"}), std::invalid_argument);
  EXPECT_TRUE(verifyAudit(conn).problems.empty());
}

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new PgEnvironment);
  liandong::logging::setup("off", "test");
  return RUN_ALL_TESTS();
}
