// Tests of the incident desk against a real PostGIS with Panyu's regions and
// approximate towns: the lifecycle and level → lead-tier rules, correlation
// of alerts into incidents, linked cameras, roles and jurisdiction (a town
// officer cannot see or change another town's incident, an agency sees only
// its own reports), users with Argon2id passwords and expiring sessions, the
// hash-chained audit log and its tamper detection, copies between centres,
// and SQL injection attempts in every text field.
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "liandong/core/errors.h"
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
  std::string town;
};

// A point inside each of two different Panyu towns.
std::pair<Point, Point> twoTowns(const std::string &db) {
  pqxx::connection c(db);
  pqxx::work tx(c);
  auto rows = tx.exec(
      "SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM regions "
      "WHERE parent_code = '440113' AND geom IS NOT NULL ORDER BY code LIMIT 2");
  EXPECT_EQ(rows.size(), 2u);
  auto p = [&](int i) {
    return Point{rows[i][1].as<double>(), rows[i][2].as<double>(), rows[i][0].as<std::string>()};
  };
  return {p(0), p(1)};
}

wire::Alert alert(const std::string &id, const std::string &quantity, const Point &at,
                  wire::WarningColour colour = wire::COLOUR_YELLOW,
                  wire::ResponseLevel level = wire::LEVEL_IV) {
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
  return a;
}

IncidentOptions options() {
  IncidentOptions o;
  o.centreId = "centre-440113";
  o.centreRegion = "440113";
  o.centreTier = "county";
  return o;
}

Actor user(const std::string &name, Role role, const std::string &region, const std::string &agency = "") {
  return {name, role, region, agency, "test-console"};
}

wire::IncidentActionRequest action(const std::string &id, const std::string &what,
                                   const std::string &text = "",
                                   wire::ResponseLevel level = wire::LEVEL_NONE) {
  wire::IncidentActionRequest r;
  r.set_incident_id(id);
  r.set_action(what);
  r.set_text(text);
  r.set_level(level);
  return r;
}

template <typename F>
std::string refusal(F &&f) {
  try {
    f();
  } catch (const IncidentError &e) {
    return e.what();
  }
  return "(not refused)";
}

}  // namespace

TEST(IncidentRules, LifecycleMovesOnlyAlongItsEdges) {
  EXPECT_EQ(nextState("reported", "verify").state.value_or(""), "verified");
  EXPECT_EQ(nextState("verified", "respond").state.value_or(""), "responding");
  EXPECT_EQ(nextState("responding", "contain").state.value_or(""), "contained");
  EXPECT_EQ(nextState("contained", "close").state.value_or(""), "closed");
  EXPECT_EQ(nextState("closed", "reopen").state.value_or(""), "responding");
  EXPECT_EQ(nextState("contained", "respond").state.value_or(""), "responding");
  EXPECT_EQ(nextState("reported", "close").state.value_or(""), "closed");  // false alarm
  auto t = nextState("responding", "verify");
  EXPECT_FALSE(t.state);
  EXPECT_EQ(t.refusal, "cannot verify an incident that is responding");
  EXPECT_FALSE(nextState("responding", "close").state) << "contain first";
  EXPECT_FALSE(nextState("closed", "close").state);
  EXPECT_EQ(nextState("reported", "explode").refusal, "unknown action \"explode\"");
}

TEST(IncidentRules, LevelsAreLedByTheirTierAndConfigurable) {
  LeadTierPolicy p;
  EXPECT_EQ(p.tierName(wire::LEVEL_IV), "county");
  EXPECT_EQ(p.tierName(wire::LEVEL_III), "city");
  EXPECT_EQ(p.tierName(wire::LEVEL_II), "province");
  EXPECT_EQ(p.tierName(wire::LEVEL_I), "province");
  p.set(wire::LEVEL_I, "state");
  p.set(wire::LEVEL_IV, "town");
  EXPECT_EQ(p.tierName(wire::LEVEL_I), "state");
  EXPECT_EQ(p.tierName(wire::LEVEL_IV), "town");
  EXPECT_THROW(p.set(wire::LEVEL_II, "galaxy"), std::invalid_argument);
  EXPECT_LT(tierRank("province"), tierRank("city"));
  EXPECT_LT(tierRank("county"), tierRank("town"));
}

TEST(IncidentRules, RolesMayDoTheirPartOnly) {
  EXPECT_TRUE(mayDo(Role::DutyOfficer, "verify"));
  EXPECT_TRUE(mayDo(Role::Leader, "set_level"));
  EXPECT_FALSE(mayDo(Role::Leader, "close"));
  EXPECT_TRUE(mayDo(Role::AgencyOperator, "create"));
  EXPECT_FALSE(mayDo(Role::AgencyOperator, "verify"));
  EXPECT_FALSE(mayDo(Role::AgencyOperator, "set_level"));
  TypeMap types;
  EXPECT_EQ(types.typeFor("water_level"), "flood");
  EXPECT_EQ(types.typeFor("smoke"), "fire");
  EXPECT_EQ(types.typeFor("panic"), "public_security");
  EXPECT_EQ(types.typeFor("frobnication"), "other");
}

TEST(IncidentDesk, AlertsNearbyJoinOneIncidentOthersOpenTheirOwn) {
  auto db = copyOfPanyu("inc_correlate");
  auto [a, b] = twoTowns(db);
  {
    pqxx::connection c(db);
    pqxx::work tx(c);
    // A camera 50 m from the first point, looking everywhere within 200 m.
    tx.exec_params(
        "INSERT INTO cameras (id, name, range_m, geom) VALUES ('44011300001320000001', '测试摄像机', 200, "
        "ST_Project(ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography, 50, 0)::geometry)",
        a.lon, a.lat);
    tx.commit();
  }
  IncidentDesk desk(db, options());
  auto first = desk.onAlert(alert("A1", "water_level", a));
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->opened);
  const auto id = first->incident.incident_id();
  EXPECT_EQ(first->incident.type(), "flood");
  EXPECT_EQ(first->incident.state(), "reported");
  EXPECT_EQ(first->incident.level(), wire::LEVEL_IV);
  EXPECT_EQ(first->incident.lead_tier(), wire::TIER_COUNTY);
  ASSERT_EQ(first->incident.region_codes_size(), 4);
  EXPECT_EQ(first->incident.region_codes(0), "440000");
  EXPECT_EQ(first->incident.region_codes(2), "440113");
  EXPECT_EQ(first->incident.region_codes(3), a.town);
  EXPECT_EQ(id.rfind("centre-440113-", 0), 0u) << id;

  // Rain 300 m away is the same flood.
  Point near{a.lon + 0.003, a.lat, a.town};
  auto second = desk.onAlert(alert("A2", "rainfall", near));
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->opened);
  EXPECT_EQ(second->incident.incident_id(), id);
  // Smoke at the same place is a fire: its own incident.
  auto fire = desk.onAlert(alert("A3", "smoke", a));
  ASSERT_TRUE(fire);
  EXPECT_TRUE(fire->opened);
  EXPECT_EQ(fire->incident.type(), "fire");
  // Water in the other town, kilometres away: another flood.
  auto other = desk.onAlert(alert("A4", "water_level", b));
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->opened);
  EXPECT_NE(other->incident.incident_id(), id);

  // The same alert again changes nothing; red with level II escalates and
  // hands the lead to the province.
  EXPECT_FALSE(desk.onAlert(alert("A1", "water_level", a)));
  auto red = desk.onAlert(alert("A1", "water_level", a, wire::COLOUR_RED, wire::LEVEL_II));
  ASSERT_TRUE(red);
  EXPECT_EQ(red->incident.colour(), wire::COLOUR_RED);
  EXPECT_EQ(red->incident.level(), wire::LEVEL_II);
  EXPECT_EQ(red->incident.lead_tier(), wire::TIER_PROVINCE);
  EXPECT_GT(red->incident.version(), second->incident.version());
  // A lower alert never lowers the incident.
  auto blue = desk.onAlert(alert("A2", "rainfall", near, wire::COLOUR_BLUE, wire::LEVEL_IV));
  EXPECT_FALSE(blue);
  auto cleared = alert("A1", "water_level", a);
  cleared.set_cleared(true);
  auto c = desk.onAlert(cleared);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->incident.change(), "alert cleared");

  auto detail = desk.get(Actor::system("test"), id);
  EXPECT_EQ(detail.alert_ids_size(), 2);
  ASSERT_EQ(detail.cameras_size(), 1) << "the camera 50 m away sees the place";
  EXPECT_EQ(detail.cameras(0).camera_id(), "44011300001320000001");
  EXPECT_NEAR(detail.cameras(0).distance_m(), 50, 1);
  EXPECT_GE(detail.timeline_size(), 4);
  EXPECT_EQ(detail.timeline(0).action(), "opened");
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM incidents"), 3);
}

TEST(IncidentDesk, DutyOfficerRunsTheLifecycleWithTimelineAndVersions) {
  auto db = copyOfPanyu("inc_lifecycle");
  auto [a, b] = twoTowns(db);
  IncidentDesk desk(db, options());
  auto officer = user("zhang", Role::DutyOfficer, "440113");
  wire::IncidentReport in;
  in.set_type("waterlogging");
  in.set_title("市桥街道水浸");
  in.set_latitude(a.lat);
  in.set_longitude(a.lon);
  auto opened = desk.create(officer, in);
  auto id = opened.incident.incident_id();
  EXPECT_EQ(opened.incident.reported_by(), "zhang");
  EXPECT_EQ(opened.incident.level(), wire::LEVEL_IV);
  for (const char *step : {"verify", "respond", "contain"})
    EXPECT_NO_THROW(desk.act(officer, action(id, step)));
  EXPECT_EQ(refusal([&] { desk.act(officer, action(id, "close")); }), "close: a reason (text) is required");
  auto closed = desk.act(officer, action(id, "close", "积水已排除"));
  EXPECT_EQ(closed.incident.state(), "closed");
  EXPECT_EQ(refusal([&] { desk.act(officer, action(id, "verify")); }),
            "cannot verify an incident that is closed");
  auto reopened = desk.act(officer, action(id, "reopen", "再次积水"));
  EXPECT_EQ(reopened.incident.state(), "responding");
  // A stale client is told to reload.
  auto stale = action(id, "note", "old view");
  stale.set_expected_version(1);
  EXPECT_NE(refusal([&] { desk.act(officer, stale); }).find("changed meanwhile"), std::string::npos);
  auto detail = desk.get(officer, id);
  std::vector<std::string> actions;
  for (const auto &t : detail.timeline()) actions.push_back(t.action());
  EXPECT_EQ(actions, (std::vector<std::string>{"opened", "verify", "respond", "contain", "close", "reopen"}));
  EXPECT_EQ(detail.incident().version(), 6u);
  EXPECT_FALSE(desk.list(officer, false, 10).empty());
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM audit_log WHERE object = 'incident/" + id + "'"), 6);
}

TEST(IncidentDesk, JurisdictionAndRolesAreEnforcedInTheServer) {
  auto db = copyOfPanyu("inc_scope");
  auto [a, b] = twoTowns(db);
  IncidentDesk desk(db, options());
  auto inA = desk.onAlert(alert("X1", "water_level", a))->incident.incident_id();
  auto inB = desk.onAlert(alert("X2", "water_level", b))->incident.incident_id();
  auto townA = user("li", Role::DutyOfficer, a.town);
  auto county = user("chen", Role::DutyOfficer, "440113");
  auto otherCounty = user("wu", Role::DutyOfficer, "440106");  // 天河区
  auto leader = user("boss", Role::Leader, "440113");
  auto agency = user("rent", Role::AgencyOperator, "440113", "py-rental");

  // The town officer sees and runs only their own town's incident.
  auto seen = desk.list(townA, false, 100);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].incident_id(), inA);
  EXPECT_EQ(refusal([&] { desk.get(townA, inB); }), "no incident " + inB + " in your jurisdiction");
  EXPECT_EQ(refusal([&] { desk.act(townA, action(inB, "verify")); }),
            "no incident " + inB + " in your jurisdiction");
  EXPECT_NO_THROW(desk.act(townA, action(inA, "verify")));
  EXPECT_EQ(desk.list(county, false, 100).size(), 2u);
  EXPECT_TRUE(desk.list(otherCounty, false, 100).empty());
  // Nothing outside one's jurisdiction can be opened either.
  wire::IncidentReport there;
  there.set_type("fire");
  there.set_title("火情");
  there.set_latitude(b.lat);
  there.set_longitude(b.lon);
  EXPECT_NE(refusal([&] { desk.create(townA, there); }).find("outside your jurisdiction"), std::string::npos);

  // A leader decides the level but does not run the lifecycle.
  EXPECT_EQ(refusal([&] { desk.act(leader, action(inA, "contain")); }),
            "permission denied: role leader may not contain incidents");
  EXPECT_NO_THROW(desk.act(leader, action(inA, "set_level", "灾情扩大", wire::LEVEL_III)));
  // An agency reports, and sees only what it reported.
  EXPECT_TRUE(desk.list(agency, true, 100).empty());
  EXPECT_EQ(refusal([&] { desk.get(agency, inA); }), "no incident " + inA + " in your jurisdiction");
  EXPECT_EQ(refusal([&] { desk.act(agency, action(inA, "verify")); }),
            "permission denied: role agency_operator may not verify incidents");
  auto own = desk.create(agency, there).incident.incident_id();
  auto agencyView = desk.list(agency, true, 100);
  ASSERT_EQ(agencyView.size(), 1u);
  EXPECT_EQ(agencyView[0].incident_id(), own);
}

TEST(IncidentDesk, AnIncidentLedAboveIsRunThereRaisingStillWorksHere) {
  auto db = copyOfPanyu("inc_lead");
  auto [a, b] = twoTowns(db);
  IncidentDesk desk(db, options());
  auto officer = user("zhang", Role::DutyOfficer, "440113");
  auto id = desk.onAlert(alert("L1", "water_level", a))->incident.incident_id();
  auto raised = desk.act(officer, action(id, "set_level", "多处漫堤", wire::LEVEL_III));
  EXPECT_EQ(raised.incident.lead_tier(), wire::TIER_CITY);
  EXPECT_EQ(refusal([&] { desk.act(officer, action(id, "set_level", "退水", wire::LEVEL_IV)); }),
            "incident " + id + " is led by the city centre; only it may lower the level of it");
  EXPECT_EQ(refusal([&] { desk.act(officer, action(id, "verify")); }),
            "incident " + id + " is led by the city centre; only it may verify it");
  EXPECT_NO_THROW(desk.act(officer, action(id, "note", "现场水位仍在上涨")));
  auto higher = desk.act(officer, action(id, "set_level", "全面告急", wire::LEVEL_II));
  EXPECT_EQ(higher.incident.lead_tier(), wire::TIER_PROVINCE);
  // The city centre's desk (tier city) may run a level III incident, not a level II one.
  auto cityOptions = options();
  cityOptions.centreId = "centre-440100";
  cityOptions.centreTier = "city";
  IncidentDesk city(db, cityOptions);
  auto cityOfficer = user("guo", Role::DutyOfficer, "440100");
  EXPECT_NE(refusal([&] { city.act(cityOfficer, action(id, "verify")); }).find("led by the province"),
            std::string::npos);
}

TEST(IncidentDesk, CopiesFromOtherCentresKeepTheNewestVersion) {
  auto db = copyOfPanyu("inc_copies");
  auto [a, b] = twoTowns(db);
  IncidentDesk desk(db, options());
  wire::IncidentReport copy;
  copy.set_incident_id("centre-44011301-20261130-0001");
  copy.set_type("flood");
  copy.set_title("石楼镇水浸");
  copy.set_level(wire::LEVEL_IV);
  copy.set_state("verified");
  copy.set_lead_tier(wire::TIER_COUNTY);
  copy.set_origin_centre("centre-44011301");
  copy.set_latitude(a.lat);
  copy.set_longitude(a.lon);
  copy.add_region_codes("440000");
  copy.add_region_codes("440100");
  copy.add_region_codes("440113");
  copy.set_version(3);
  auto got = desk.onReport(copy, "centre-44011301");
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->opened);
  EXPECT_EQ(got->viaCentre, "centre-44011301");
  EXPECT_EQ(got->incident.state(), "verified");
  copy.set_version(2);
  copy.set_state("reported");
  EXPECT_FALSE(desk.onReport(copy, "centre-44011301")) << "an older copy arriving late is ignored";
  copy.set_version(4);
  copy.set_state("responding");
  copy.set_level(wire::LEVEL_II);
  copy.set_lead_tier(wire::TIER_PROVINCE);
  auto newer = desk.onReport(copy, "centre-44011301");
  ASSERT_TRUE(newer);
  EXPECT_EQ(newer->incident.state(), "responding");
  EXPECT_EQ(newer->incident.level(), wire::LEVEL_II);
  // A copy from the parent does not make the parent the incident's source.
  copy.set_incident_id("centre-440100-20261130-0009");
  copy.set_version(1);
  auto fromParent = desk.onReport(copy, "centre-440100", true);
  ASSERT_TRUE(fromParent);
  EXPECT_TRUE(fromParent->viaCentre.empty());
  copy.set_state("sideways");
  copy.set_version(9);
  EXPECT_NE(refusal([&] { desk.onReport(copy, "centre-44011301"); }).find("state: unknown"),
            std::string::npos);
}

TEST(IncidentDesk, InjectionInEveryTextFieldIsStoredAsText) {
  auto db = copyOfPanyu("inc_injection");
  auto [a, b] = twoTowns(db);
  IncidentDesk desk(db, options());
  auto officer = user("zhang", Role::DutyOfficer, "440113");
  const std::string evil = "x'); DROP TABLE incidents; -- \" OR 1=1 ; DELETE FROM audit_log; $1 \\";
  wire::IncidentReport in;
  in.set_type("fire");
  in.set_title(evil);
  in.set_description(evil);
  in.set_latitude(a.lat);
  in.set_longitude(a.lon);
  auto id = desk.create(officer, in).incident.incident_id();
  desk.act(officer, action(id, "note", evil));
  EXPECT_EQ(refusal([&] { desk.get(officer, evil); }), "no incident " + evil + " in your jurisdiction");
  EXPECT_NE(refusal([&] { desk.act(officer, action(id, evil)); }).find("unknown action"), std::string::npos);
  in.set_type(evil);
  EXPECT_NE(refusal([&] { desk.create(officer, in); }).find("type:"), std::string::npos);
  in.set_type("fire");
  in.set_incident_id(evil);
  EXPECT_NE(refusal([&] { desk.create(officer, in); }).find("incident_id:"), std::string::npos);
  auto detail = desk.get(officer, id);
  EXPECT_EQ(detail.incident().title(), evil);
  EXPECT_EQ(detail.incident().description(), evil);
  EXPECT_NE(detail.timeline(1).detail_json().find("DROP TABLE"), std::string::npos);
  Actor evilUser{evil, Role::DutyOfficer, evil, "", evil};
  EXPECT_TRUE(desk.list(evilUser, true, 10).empty());
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM incidents"), 1);
  pqxx::connection c(db);
  EXPECT_TRUE(verifyAudit(c).problems.empty());
}

TEST(IncidentDesk, SopTasksAgenciesWhoAcknowledgeReportProgressAndComplete) {
  auto db = copyOfPanyu("inc_tasks");
  auto [a, b] = twoTowns(db);
  {
    pqxx::connection c(db);
    UserStore users(c);
    users.upsert({"flood1", "三防值班", Role::AgencyOperator, "440113", "py-flood", "flood password"},
                 Actor::system("t"));
    users.upsert({"flood2", "三防副班", Role::AgencyOperator, "440113", "py-flood", "flood password"},
                 Actor::system("t"));
  }
  auto o = options();
  o.sops.push_back({"flood", {{"通知三防办启动防汛应急响应", "flood_control"}, {"调取现场视频核实", ""}}});
  IncidentDesk desk(db, o);
  auto officer = user("zhang", Role::DutyOfficer, "440113");
  auto flood = user("flood1", Role::AgencyOperator, "440113", "py-flood");
  auto rental = user("rent", Role::AgencyOperator, "440113", "py-rental");
  auto id = desk.onAlert(alert("S1", "water_level", a))->incident.incident_id();

  // The flood SOP opened with the incident: two steps, a task for the flood-control office.
  auto detail = desk.get(officer, id);
  ASSERT_EQ(detail.sop_size(), 2);
  EXPECT_EQ(detail.sop(0).agency_kind(), "flood_control");
  ASSERT_EQ(detail.tasks_size(), 1);
  const auto sopTask = detail.tasks(0).task_id();
  EXPECT_EQ(detail.tasks(0).agency_id(), "py-flood");
  EXPECT_EQ(detail.tasks(0).state(), "dispatched");
  EXPECT_EQ(detail.tasks(0).receipts_size(), 2) << "both operators of the agency are notified";
  EXPECT_EQ(detail.tasks(0).receipts(0).seen_at_us(), 0);
  ASSERT_EQ(detail.sitreps_size(), 1);
  EXPECT_EQ(detail.sitreps(0).kind(), "first");

  // The officer tasks the rental-housing office as well.
  wire::TaskDispatchRequest dispatch;
  dispatch.set_incident_id(id);
  dispatch.add_agency_ids("py-rental");
  dispatch.set_title("排查低洼出租屋人员");
  auto tasked = desk.dispatch(officer, dispatch);
  EXPECT_EQ(tasked.incident.change(), "tasked 1 agencies");
  dispatch.set_agency_ids(0, "nowhere");
  EXPECT_EQ(refusal([&] { desk.dispatch(officer, dispatch); }), "agency nowhere: no such agency");
  EXPECT_NE(refusal([&] { desk.dispatch(flood, dispatch); }).find("permission denied"), std::string::npos);

  // Each agency sees its own tasks, and seeing them is on record.
  auto mine = desk.tasks(flood, {});
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].task_id(), sopTask);
  EXPECT_EQ(desk.tasks(rental, {}).size(), 1u);
  EXPECT_EQ(desk.tasks(officer, {}).size(), 2u);
  auto afterView = desk.get(officer, id);
  for (const auto &t : afterView.tasks())
    if (t.task_id() == sopTask) {
      EXPECT_GT(t.receipts(0).seen_at_us(), 0) << "flood1 saw it";
      EXPECT_EQ(t.receipts(1).seen_at_us(), 0) << "flood2 did not look yet";
    }
  // An agency now sees the incident it is tasked with, but only its own task in it.
  EXPECT_EQ(desk.get(flood, id).tasks_size(), 1);

  wire::TaskUpdateRequest up;
  up.set_task_id(sopTask);
  up.set_action("complete");
  EXPECT_EQ(refusal([&] { desk.updateTask(flood, up); }), "cannot complete a task that is dispatched");
  up.set_action("acknowledge");
  EXPECT_EQ(refusal([&] { desk.updateTask(rental, up); }), "no task " + sopTask + " for you");
  desk.updateTask(flood, up);
  up.set_action("progress");
  up.set_percent(40);
  up.set_text("已派出两支抢险队");
  desk.updateTask(flood, up);
  up.set_action("complete");
  auto done = desk.updateTask(flood, up);
  EXPECT_NE(done.incident.change().find("completed by py-flood"), std::string::npos);
  auto end = desk.get(officer, id);
  EXPECT_GT(end.sop(0).done_at_us(), 0) << "the SOP step its task carried out is done";
  EXPECT_EQ(end.sop(1).done_at_us(), 0);
  wire::IncidentActionRequest step = action(id, "sop_done");
  step.set_step(2);
  desk.act(officer, step);
  EXPECT_GT(desk.get(officer, id).sop(1).done_at_us(), 0);
  EXPECT_EQ(refusal([&] { desk.act(officer, step); }), "incident " + id + " has no open SOP step 2");
}

// The dispatch picker: agencies whose jurisdiction covers the place, the
// kind filter, nearest office first, the ones already tasked marked; not for
// an incident the asker may not see.
TEST(IncidentDesk, AgenciesForDispatchAreThoseCoveringThePlace) {
  auto db = copyOfPanyu("inc_agencies");
  auto [a, b] = twoTowns(db);
  {
    pqxx::connection c(db);
    pqxx::work tx(c);
    tx.exec_params(
        "INSERT INTO agencies (id, name, kind, region_code, geom) VALUES "
        "('town-flood', '镇三防', 'flood_control', $1, ST_SetSRID(ST_MakePoint($2, $3), 4326)), "
        "('other-town', '邻镇三防', 'flood_control', $4, NULL), "
        "('th-flood', '天河区三防办', 'flood_control', '440106', NULL)",
        a.town, a.lon + 0.001, a.lat, b.town);
    tx.commit();
  }
  IncidentDesk desk(db, options());
  auto officer = user("zhang", Role::DutyOfficer, "440113");
  auto id = desk.onAlert(alert("A1", "water_level", a))->incident.incident_id();
  wire::AgencyListRequest req;
  req.set_incident_id(id);
  auto list = desk.agencies(officer, req);
  std::vector<std::string> ids;
  for (const auto &x : list.agencies()) ids.push_back(x.id());
  EXPECT_EQ(ids, (std::vector<std::string>{"town-flood", "py-flood", "py-rental"}))
      << "the town's office (nearest, with a place) first; not the other town's, not Tianhe's";
  EXPECT_NEAR(list.agencies(0).distance_m(), 100, 15) << "0.001 degrees east at this latitude";
  EXPECT_EQ(list.agencies(1).distance_m(), -1) << "no office on the map";
  req.set_kind("rental_housing");
  ASSERT_EQ(desk.agencies(officer, req).agencies_size(), 1);
  req.set_kind("");
  wire::TaskDispatchRequest dispatch;
  dispatch.set_incident_id(id);
  dispatch.add_agency_ids("town-flood");
  dispatch.set_title("巡查堤段");
  desk.dispatch(officer, dispatch);
  list = desk.agencies(officer, req);
  EXPECT_TRUE(list.agencies(0).tasked());
  EXPECT_FALSE(list.agencies(1).tasked());
  auto other = user("wang", Role::DutyOfficer, "440106");
  EXPECT_NE(refusal([&] { desk.agencies(other, req); }).find("in your jurisdiction"), std::string::npos);
}

TEST(IncidentDesk, MissedDeadlinesEscalateAndOverdueReportsRaiseAlerts) {
  auto db = copyOfPanyu("inc_deadlines");
  auto [a, b] = twoTowns(db);
  IncidentDesk desk(db, options());
  auto officer = user("zhang", Role::DutyOfficer, "440113");
  auto id = desk.onAlert(alert("D1", "water_level", a))->incident.incident_id();
  wire::TaskDispatchRequest dispatch;
  dispatch.set_incident_id(id);
  dispatch.add_agency_ids("py-flood");
  dispatch.set_title("加固堤防");
  dispatch.set_ack_minutes(10);
  desk.dispatch(officer, dispatch);
  EXPECT_TRUE(desk.checkDeadlines().empty()) << "nothing is due yet";
  auto run = [&](const std::string &sql) {
    pqxx::connection c(db);
    pqxx::work tx(c);
    tx.exec(sql);
    tx.commit();
  };
  // Ten minutes pass without an acknowledgement: the duty officer is told.
  run("UPDATE tasks SET created_at = created_at - interval '11 minutes', ack_deadline = ack_deadline - "
      "interval '11 "
      "minutes'");
  auto first = desk.checkDeadlines();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_FALSE(first[0].toParent);
  EXPECT_NE(first[0].change.incident.change().find("escalated to the duty officer"), std::string::npos);
  EXPECT_TRUE(desk.checkDeadlines().empty()) << "each stage is reported once";
  // As long again: the tier above.
  run("UPDATE tasks SET created_at = created_at - interval '10 minutes', ack_deadline = ack_deadline - "
      "interval '10 "
      "minutes'");
  auto second = desk.checkDeadlines();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_TRUE(second[0].toParent);
  EXPECT_NE(second[0].change.incident.change().find("escalated to the tier above"), std::string::npos);

  // The first report (level IV: 4 h) is overdue: an alert.
  run("UPDATE sitreps SET due_at = now() - interval '1 minute'");
  auto overdue = desk.checkDeadlines();
  ASSERT_EQ(overdue.size(), 1u);
  ASSERT_TRUE(overdue[0].alert);
  EXPECT_NE(overdue[0].alert->headline().find("首报超时"), std::string::npos);
  EXPECT_EQ(overdue[0].alert->colour(), wire::COLOUR_YELLOW);

  // Reports: no follow-up before the first; after it, the next follow-up is due.
  wire::SitrepSubmitRequest rep;
  rep.set_incident_id(id);
  rep.set_kind("followup");
  rep.set_body("续报");
  EXPECT_EQ(refusal([&] { desk.submitSitrep(officer, rep); }),
            "submit the first report (首报) before a follow-up");
  rep.set_kind("first");
  rep.set_body("首报：市桥水道水位超警戒0.3米");
  desk.submitSitrep(officer, rep);
  EXPECT_NE(refusal([&] { desk.submitSitrep(officer, rep); }).find("submitted already"), std::string::npos);
  rep.set_kind("final");
  EXPECT_EQ(refusal([&] { desk.submitSitrep(officer, rep); }),
            "the final report (终报) is due once the incident is closed");
  auto detail = desk.get(officer, id);
  ASSERT_EQ(detail.sitreps_size(), 2);
  EXPECT_EQ(detail.sitreps(1).kind(), "followup");
  EXPECT_EQ(detail.sitreps(1).submitted_at_us(), 0);
  EXPECT_NEAR(static_cast<double>(detail.sitreps(1).due_at_us() - detail.sitreps(0).submitted_at_us()),
              480.0 * 60e6, 60e6)
      << "level IV: a follow-up every 8 hours";
  for (const char *s : {"verify", "respond", "contain"}) desk.act(officer, action(id, s));
  desk.act(officer, action(id, "close", "洪水退去"));
  rep.set_body("终报：无人员伤亡");
  desk.submitSitrep(officer, rep);
  auto closed = desk.get(officer, id);
  int outstanding = 0;
  for (const auto &s : closed.sitreps()) outstanding += s.submitted_at_us() == 0;
  EXPECT_EQ(outstanding, 0) << "closing cancelled the follow-up; the final report was given";
}

TEST(Users, Argon2idPasswordsSessionsThatExpireAndDisabledUsers) {
  auto db = copyOfPanyu("inc_users");
  pqxx::connection conn(db);
  UserStore users(conn, 3600);
  auto admin = Actor::system("setup");
  users.upsert({"zhang", "张值班", Role::DutyOfficer, "440113", "", "correct horse"}, admin);
  auto hash = [&] {
    pqxx::work tx(conn);
    return tx.exec1("SELECT password_hash FROM users WHERE name = 'zhang'")[0].as<std::string>();
  }();
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_EQ(hash.find("correct horse"), std::string::npos);
  EXPECT_TRUE(verifyPassword(hash, "correct horse"));
  EXPECT_FALSE(verifyPassword(hash, "correct horsf"));
  EXPECT_THROW(users.upsert({"short", "x", Role::DutyOfficer, "440113", "", "1234567"}, admin), Error);
  EXPECT_THROW(users.upsert({"nowhere", "x", Role::DutyOfficer, "999999", "", "long enough"}, admin), Error);
  EXPECT_THROW(users.upsert({"agent", "x", Role::AgencyOperator, "440113", "", "long enough"}, admin), Error);
  EXPECT_THROW(users.upsert({"agent", "x", Role::AgencyOperator, "440113", "nope", "long enough"}, admin),
               Error);

  EXPECT_THROW(users.login("zhang", "wrong", "c1", "key-1"), AuthError);
  EXPECT_THROW(users.login("nobody", "correct horse", "c1", "key-1"), AuthError);
  auto s = users.login("zhang", "correct horse", "c1", "key-1");
  EXPECT_EQ(s.token.size(), 64u);
  EXPECT_EQ(s.actor.role, Role::DutyOfficer);
  EXPECT_EQ(users.resolve(s.token, "key-1").actor.name, "zhang");
  EXPECT_EQ(users.resolve(s.token, "key-1").actor.regionCode, "440113");
  EXPECT_THROW(users.resolve(s.token + "0", "key-1"), AuthError);
  EXPECT_THROW(users.resolve(s.token, "key-2"), AuthError) << "a session works only through its own key";
  {
    pqxx::work tx(conn);
    EXPECT_EQ(tx.exec_params("SELECT count(*) FROM sessions WHERE token_hash = $1", s.token)[0][0].as<int>(),
              0)
        << "the token itself is never stored";
    tx.exec("UPDATE sessions SET expires_at = now() - interval '1 second'");
    tx.commit();
  }
  EXPECT_THROW(users.resolve(s.token, "key-1"), AuthError) << "an expired session";
  auto s2 = users.login("zhang", "correct horse", "c2", "key-1");
  users.logout(s2.token);
  EXPECT_THROW(users.resolve(s2.token, "key-1"), AuthError);
  auto s3 = users.login("zhang", "correct horse", "c3", "key-1");
  users.disable("zhang", admin);
  EXPECT_THROW(users.resolve(s3.token, "key-1"), AuthError);
  EXPECT_THROW(users.login("zhang", "correct horse", "c4", "key-1"), AuthError);
  // Refused logins are on record, passwords are not.
  pqxx::work tx(conn);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM audit_log WHERE action = 'login.refused'")[0].as<int>(), 3);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM audit_log WHERE after::text LIKE '%horse%'")[0].as<int>(), 0);
}

// Five wrong passwords within 15 minutes lock the name: the right password is
// refused too until the lock runs out or an administrator unlocks it; a name
// that does not exist locks the same way, so the lock does not tell who exists.
TEST(Users, RepeatedFailedSignInsLockTheName) {
  auto db = copyOfPanyu("inc_lockout");
  pqxx::connection conn(db);
  UserStore users(conn, 3600);
  auto admin = Actor::system("setup");
  users.upsert({"wang", "王", Role::DutyOfficer, "440113", "", "right password"}, admin);
  auto refusal = [&](const std::string &name, const std::string &password) {
    try {
      users.login(name, password, "c", "key-1");
    } catch (const AuthError &e) {
      return std::string(e.what());
    }
    return std::string("(signed in)");
  };
  for (int i = 0; i < UserStore::kMaxFailures; ++i) {
    EXPECT_EQ(refusal("wang", "guess " + std::to_string(i)), "wrong user name or password");
    EXPECT_EQ(refusal("ghost", "guess " + std::to_string(i)), "wrong user name or password");
  }
  EXPECT_NE(refusal("wang", "right password").find("too many failed sign-ins"), std::string::npos);
  EXPECT_NE(refusal("ghost", "right password").find("too many failed sign-ins"), std::string::npos);
  {
    pqxx::work tx(conn);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM audit_log WHERE action = 'login.locked'")[0].as<int>(), 2);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM audit_log WHERE action = 'login.refused'")[0].as<int>(), 10)
        << "refusals while locked are not written one by one";
  }
  users.unlock("wang", admin);
  EXPECT_EQ(refusal("wang", "right password"), "(signed in)");
  {
    pqxx::work tx(conn);  // the lock also runs out by itself
    tx.exec("UPDATE login_failures SET at = now() - interval '16 minutes'");
    tx.commit();
  }
  EXPECT_EQ(refusal("ghost", "x"), "wrong user name or password");
  pqxx::connection check(db);
  EXPECT_TRUE(verifyAudit(check).problems.empty());
}

TEST(Audit, TheChainFindsEditsDeletionsInsertionsAndACutTail) {
  auto db = copyOfPanyu("inc_audit");
  auto [a, b] = twoTowns(db);
  {
    IncidentDesk desk(db, options());
    auto officer = user("zhang", Role::DutyOfficer, "440113");
    auto id = desk.onAlert(alert("T1", "water_level", a))->incident.incident_id();
    for (const char *step : {"verify", "respond", "contain"}) desk.act(officer, action(id, step));
  }
  pqxx::connection c(db);
  auto clean = verifyAudit(c);
  EXPECT_EQ(clean.entries, 4);
  EXPECT_TRUE(clean.problems.empty());
  auto run = [&](const std::string &sql) {
    pqxx::work tx(c);
    tx.exec(sql);
    tx.commit();
  };
  // Someone with database access edits who did it.
  run("UPDATE audit_log SET actor = 'nobody' WHERE seq = 2");
  auto edited = verifyAudit(c);
  ASSERT_EQ(edited.problems.size(), 1u);
  EXPECT_EQ(edited.problems[0].seq, 2);
  // ...and recomputes that row's hash: the next row no longer links to it.
  run("UPDATE audit_log SET hash = liandong_audit_hash(prev_hash, at_us, actor, console, action, object, "
      "before, "
      "after) WHERE seq = 2");
  auto rehashed = verifyAudit(c);
  ASSERT_EQ(rehashed.problems.size(), 1u);
  EXPECT_EQ(rehashed.problems[0].seq, 3);
  // A deleted row breaks the link too.
  auto db2 = copyOfPanyu("inc_audit2");
  {
    IncidentDesk desk(db2, options());
    auto id = desk.onAlert(alert("T1", "water_level", a))->incident.incident_id();
    auto officer = user("zhang", Role::DutyOfficer, "440113");
    for (const char *step : {"verify", "respond", "contain"}) desk.act(officer, action(id, step));
  }
  pqxx::connection c2(db2);
  auto head = verifyAudit(c2).head;
  {
    pqxx::work tx(c2);
    tx.exec("DELETE FROM audit_log WHERE seq = 2");
    tx.commit();
  }
  auto deleted = verifyAudit(c2);
  ASSERT_EQ(deleted.problems.size(), 1u);
  EXPECT_EQ(deleted.problems[0].seq, 3);
  // Cutting the tail leaves a valid chain, but the recorded head is gone.
  {
    pqxx::work tx(c2);
    tx.exec("DELETE FROM audit_log WHERE seq >= 2");
    tx.commit();
  }
  EXPECT_TRUE(verifyAudit(c2).problems.empty());
  auto cut = verifyAudit(c2, head);
  ASSERT_EQ(cut.problems.size(), 1u);
  EXPECT_NE(cut.problems[0].reason.find("cut off the end"), std::string::npos);
}

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new PgEnvironment);
  liandong::logging::setup("off", "test");
  return RUN_ALL_TESTS();
}
