// The attack suite (docs/security.md, "Who may send what"): a real centre
// process with a real PostGIS, attacked through its real CURVE sockets by
// peers that hold an admitted key — an ingest node, a second node held to
// one street, a console, a field client, a child centre and the parent. Each
// refusal is checked three ways: the peer is told why, the stored state is
// untouched, and the refusal is in the audit chain, which stays intact.
#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <zmq.hpp>

#include "centre_deployment.h"
#include "liandong.pb.h"
#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "liandong/core/link/query.h"
#include "liandong/core/link/security.h"

using namespace liandong;
using namespace liandong::testing;

namespace {

// A peer on the intake that sends sequenced envelopes one by one and reads
// the acks, as protocol.md describes.
class IntakePeer {
public:
  IntakePeer(zmq::context_t &ctx, const CentreDeployment &d, const CurveKeyPair &keys)
      : socket_(ctx, zmq::socket_type::dealer), id_(keys.id) {
    socket_.set(zmq::sockopt::linger, 0);
    link::makeCurveClient(socket_, keys, d.centre.publicZ85);
    socket_.connect("tcp://127.0.0.1:" + std::to_string(d.intake));
    wire::Envelope hb;
    hb.set_sender_id(id_);
    hb.mutable_heartbeat()->set_first_pending(1);
    sendRaw(hb);
    watermark_ = waitAck([](const wire::Ack &) { return true; }).up_to_sequence();
  }

  struct Outcome {
    std::string error;            // the refusal, or empty
    std::uint64_t watermark = 0;  // the centre's watermark for us afterwards
  };
  // Sends `env` with the next sequence; waits until the centre's watermark
  // covers it (stored, or stepped over after a refusal).
  Outcome send(wire::Envelope env, std::uint64_t seq = 0) {
    env.set_sender_id(id_);
    env.set_sequence(seq ? seq : ++next_);
    if (next_ < env.sequence()) next_ = env.sequence();
    env.set_sent_at_us(nowUs());
    sendRaw(env);
    Outcome o;
    waitAck([&](const wire::Ack &a) {
      if (!a.error().empty() && a.refused_sequence() == env.sequence()) o.error = a.error();
      return a.up_to_sequence() >= env.sequence();
    });
    o.watermark = watermark_;
    return o;
  }
  std::uint64_t watermark() const { return watermark_; }

private:
  void sendRaw(const wire::Envelope &env) { socket_.send(zmq::buffer(env.SerializeAsString())); }
  wire::Ack waitAck(const std::function<bool(const wire::Ack &)> &done) {
    auto end = steadyMs() + 20000;
    while (steadyMs() < end) {
      zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 1, std::chrono::milliseconds(500));
      if (!(items[0].revents & ZMQ_POLLIN)) continue;
      zmq::message_t m;
      if (!socket_.recv(m)) continue;
      wire::Envelope e;
      if (!e.ParseFromArray(m.data(), static_cast<int>(m.size())) || !e.has_ack()) continue;
      watermark_ = std::max(watermark_, e.ack().up_to_sequence());
      if (done(e.ack())) return e.ack();
    }
    throw std::runtime_error("no ack from the centre within 20 s");
  }
  zmq::socket_t socket_;
  std::string id_;
  std::uint64_t next_ = 0, watermark_ = 0;
};

// The deployment: centre-t at Panyu with its streets, a parent (centre-p,
// never running) and a child (centre-c, Shiqiao's street only in name).
struct Attack : CentreDeployment {
  CurveKeyPair node2 = generateCurveKeyPair("node-2"), client = generateCurveKeyPair("client-t"),
               child = generateCurveKeyPair("centre-c"), parent = generateCurveKeyPair("centre-p"),
               street = generateCurveKeyPair("console-street");
  std::string townA, townB;  // the streets of the two places below
  static constexpr double lonA = 113.365, latA = 22.945, lonB = 113.49, latB = 22.95;
  std::unique_ptr<Process> proc;  // the centre
  zmq::context_t ctx{1};

  Attack() : CentreDeployment("attacks", "ldattack") {
    // Street codes come from the imported towns; find them with a first start.
    writeYaml("440113", "440113");
    start();
    townA =
        text(fmt::format("SELECT liandong_region_at(ST_SetSRID(ST_MakePoint({}, {}), 4326))", lonA, latA));
    townB =
        text(fmt::format("SELECT liandong_region_at(ST_SetSRID(ST_MakePoint({}, {}), 4326))", lonB, latB));
    EXPECT_EQ(proc->stop(), 0);
    writeYaml(townA, townB);
    start();
    addUser("zhang", "duty_officer", "440113");
    addUser("li", "duty_officer", townA);
    addUser("liu", "duty_officer", townB);
    addUser("gao", "leader", "440113");
  }
  ~Attack() {
    if (proc) proc->stop();
  }
  void start() {
    proc = std::make_unique<Process>(bin("command-center/server/liandong-center"),
                                     std::vector<std::string>{"-c", (dir / "centre.yaml").string()},
                                     (dir / "centre.log").string());
    if (!proc->waitForOutput("ready:", 60000)) throw std::runtime_error(proc->output());
  }
  // node-2 is held to street A, the child is street B, the street console street A.
  void writeYaml(const std::string &node2Region, const std::string &childRegion) {
    writeCentreYaml("", "  towns: [" + sourceDir() + "/configs/data/geo/towns-440100.csv]\n",
                    {{"node-2", &node2, "ingest, region: \"" + node2Region + "\""},
                     {"client-t", &client, "client"},
                     {"console-street", &street, "console, region: \"" + node2Region + "\""},
                     {"centre-c", &child, "child, region: \"" + childRegion + "\""},
                     {"centre-p", &parent, "parent"}});
    auto y = readFile(dir / "centre.yaml");
    y += fmt::format(
        "parent:\n  id: centre-p\n  endpoint: tcp://127.0.0.1:{}\n  public_key: '{}'\n"
        "  outbox: {{dir: to-parent}}\n",
        freeTcpPort(), parent.publicZ85);
    writeFile(dir / "centre.yaml", y);
  }
  void addUser(const std::string &name, const std::string &role, const std::string &region) {
    liandong::testing::run("printf '%s\\n' 'password " + name + "' | " +
                           bin("command-center/server/liandong-admin") + " --db '" + db + "' user add " +
                           name + " --role " + role + " --region " + region);
  }
  std::unique_ptr<link::QueryClient> asker(const CurveKeyPair &keys) {
    return std::make_unique<link::QueryClient>(ctx, "tcp://127.0.0.1:" + std::to_string(queries),
                                               centre.publicZ85, keys);
  }
};

// The error a query gets ("" when answered).
std::string refused(link::QueryClient &c, wire::Query q) {
  try {
    c.call(std::move(q));
  } catch (const Error &e) {
    return e.what();
  }
  return "";
}

wire::Query create(const std::string &session, double lon, double lat, const std::string &title) {
  wire::Query q;
  q.set_session(session);
  auto *inc = q.mutable_create()->mutable_incident();
  inc->set_type("flood");
  inc->set_title(title);
  inc->set_longitude(lon);
  inc->set_latitude(lat);
  return q;
}

wire::Envelope reading(const std::string &sensor, double lon, double lat) {
  wire::Envelope e;
  auto *r = e.mutable_reading();
  r->set_sensor_id(sensor);
  r->set_quantity("water_level");
  r->set_unit("m");
  r->set_value(1.2);
  r->set_longitude(lon);
  r->set_latitude(lat);
  r->set_observed_at_us(nowUs());
  return e;
}

// A centre's copy of an incident (version 9: newer than anything here).
wire::Envelope copyOf(const std::string &id, const std::vector<std::string> &codes,
                      const std::string &state) {
  wire::Envelope e;
  e.set_incident_id(id);
  auto *r = e.mutable_incident_report();
  r->set_incident_id(id);
  r->set_type("flood");
  r->set_title("被篡改的标题");
  r->set_state(state);
  r->set_level(wire::LEVEL_IV);
  r->set_version(9);
  for (const auto &c : codes) r->add_region_codes(c);
  return e;
}

std::vector<std::string> path(const std::string &town) {
  return {"440000", "440100", "440113", town};
}

}  // namespace

// One centre, attacked through every endpoint by every kind of key.
TEST(Attacks, EveryPeerMaySendAndAskOnlyWhatItsRoleAndUserAllow) {
  Attack a;
  auto officerPtr = a.asker(a.console);
  auto &officer = *officerPtr;
  auto zhang = signIn(officer, "zhang", "password zhang");
  auto inA = officer.call(create(zhang, Attack::lonA, Attack::latA, "街道甲水浸")).incident().incident();
  auto inB = officer.call(create(zhang, Attack::lonB, Attack::latB, "街道乙水浸")).incident().incident();
  auto unchanged = [&](const wire::IncidentReport &inc) {
    return a.text("SELECT title || '/' || state || '/' || version FROM incidents WHERE id = '" +
                  inc.incident_id() + "'") == inc.title() + "/reported/" + std::to_string(inc.version());
  };
  auto audited = [&](const std::string &action) {
    return a.query("SELECT count(*) FROM audit_log WHERE action = '" + action + "'");
  };

  // --- the intake ---
  IntakePeer consoleOnIntake(a.ctx, a, a.console);
  auto o = consoleOnIntake.send(copyOf(inB.incident_id(), path(a.townB), "closed"));
  EXPECT_NE(o.error.find("a console may not send incident_report"), std::string::npos) << o.error;
  EXPECT_TRUE(unchanged(inB)) << "a console key closed another street's incident";
  EXPECT_EQ(o.watermark, 1u) << "the refused message is stepped over, not resent for ever";
  wire::Envelope directive;
  directive.set_incident_id(inB.incident_id());
  directive.mutable_directive()->set_directive_id("forged");
  directive.mutable_directive()->set_to_centre("centre-t");
  directive.mutable_directive()->set_text("立即撤离");
  o = consoleOnIntake.send(directive);
  EXPECT_NE(o.error.find("may not send directive"), std::string::npos) << o.error;
  EXPECT_EQ(a.query("SELECT count(*) FROM incident_timeline WHERE detail::text LIKE '%立即撤离%'"), 0);

  IntakePeer clientOnIntake(a.ctx, a, a.client);
  auto firstReport = copyOf("by-nobody", path(a.townA), "reported");
  firstReport.mutable_incident_report()->set_version(0);
  firstReport.mutable_incident_report()->set_reported_by("zhang");
  o = clientOnIntake.send(firstReport);
  EXPECT_NE(o.error.find("a field client may not send incident_report"), std::string::npos) << o.error;
  EXPECT_EQ(a.query("SELECT count(*) FROM incidents WHERE id = 'by-nobody'"), 0);

  IntakePeer node(a.ctx, a, a.node), node2(a.ctx, a, a.node2);
  EXPECT_EQ(node.send(reading("gauge-1", Attack::lonA, Attack::latA)).error, "");
  o = node2.send(reading("gauge-1", Attack::lonA, Attack::latA));
  EXPECT_NE(o.error.find("\"gauge-1\" is reported by ingest node node-t, not node-2"), std::string::npos)
      << o.error;
  o = node2.send(reading("gauge-2", Attack::lonB, Attack::latB));
  EXPECT_NE(o.error.find("outside node-2's region " + a.townA), std::string::npos) << o.error;
  EXPECT_EQ(node2.send(reading("gauge-3", Attack::lonA, Attack::latA)).error, "") << "its own street: stored";
  EXPECT_EQ(a.query("SELECT count(*) FROM readings WHERE sender_id = 'node-2'"), 1);
  EXPECT_EQ(a.query("SELECT count(*) FROM readings WHERE sensor_id = 'gauge-2'"), 0);
  wire::Envelope linked;
  linked.set_incident_id(inB.incident_id());
  linked.mutable_alert()->set_alert_id("a-1");
  linked.mutable_alert()->set_source_id("gauge-1");
  o = node.send(linked);
  EXPECT_NE(o.error.find("may not name an incident"), std::string::npos) << o.error;
  o = node.send(copyOf(inB.incident_id(), path(a.townB), "closed"));
  EXPECT_NE(o.error.find("an ingest node may not send incident_report"), std::string::npos) << o.error;
  EXPECT_TRUE(unchanged(inB));

  IntakePeer child(a.ctx, a, a.child);
  o = child.send(copyOf(inB.incident_id(), path(a.townB), "closed"));
  EXPECT_NE(o.error.find("is not one child centre centre-c reported here"), std::string::npos) << o.error;
  EXPECT_TRUE(unchanged(inB)) << "a child closed an incident this centre opened";
  o = child.send(copyOf("child-elsewhere", path(a.townA), "reported"));
  EXPECT_NE(o.error.find("outside child centre centre-c's jurisdiction"), std::string::npos) << o.error;
  auto own = copyOf("child-own", path(a.townB), "reported");
  own.mutable_incident_report()->set_photo(std::string("\xFF\xD8\xFF\0\0jpeg", 9));
  EXPECT_EQ(child.send(own).error, "") << "a copy in its street, bytes with NULs in a photo field";
  EXPECT_EQ(a.query("SELECT count(*) FROM incidents WHERE id = 'child-own' AND via_centre = 'centre-c'"), 1);
  auto noId = copyOf("", path(a.townB), "reported");
  o = child.send(noId);
  EXPECT_NE(o.error.find("needs incident_id"), std::string::npos) << o.error;

  IntakePeer parent(a.ctx, a, a.parent);
  o = parent.send(copyOf("parent-made", path(a.townA), "reported"));
  EXPECT_NE(o.error.find("is not held here"), std::string::npos) << o.error;
  EXPECT_EQ(a.query("SELECT count(*) FROM incidents WHERE id = 'parent-made'"), 0);
  directive.mutable_directive()->set_directive_id("from-parent");
  EXPECT_EQ(parent.send(directive).error, "") << "the parent directs";
  // After refusals the sender goes on: the next message is stored.
  EXPECT_EQ(consoleOnIntake.watermark(), 2u);
  EXPECT_EQ(node.send(reading("gauge-1", Attack::lonA, Attack::latA)).error, "");

  // --- the query endpoint ---
  auto nodeAsksPtr = a.asker(a.node);
  auto &nodeAsks = *nodeAsksPtr;
  EXPECT_NE(refused(nodeAsks, create(zhang, Attack::lonA, Attack::latA, "x")).find("may not use the query"),
            std::string::npos);
  auto clientAsksPtr = a.asker(a.client);
  auto &clientAsks = *clientAsksPtr;
  wire::Query list;
  list.set_session(zhang);
  list.mutable_incidents();
  EXPECT_NE(refused(clientAsks, list).find("not signed in"), std::string::npos)
      << "a session works only through the key that signed in";
  wire::Query tile;
  tile.mutable_tile()->set_layer("incidents");
  tile.mutable_tile()->set_z(10);
  tile.mutable_tile()->set_x(834);
  tile.mutable_tile()->set_y(444);
  EXPECT_NE(refused(officer, tile).find("not signed in"), std::string::npos)
      << "incident tiles need a session";
  tile.mutable_tile()->set_layer("regions");
  EXPECT_EQ(refused(officer, tile), "") << "the boundaries are for any console";
  tile.mutable_tile()->set_layer("incidents");
  auto li = signIn(officer, "li", "password li");
  tile.set_session(li);
  auto mvt = officer.call(tile).tile().mvt();
  EXPECT_NE(mvt.find(inA.incident_id()), std::string::npos) << "street A's officer sees street A's incident";
  EXPECT_EQ(mvt.find(inB.incident_id()), std::string::npos) << "and not street B's";
  tile.set_session(zhang);
  EXPECT_NE(officer.call(tile).tile().mvt().find(inB.incident_id()), std::string::npos);

  // A console held to street A: the county officer works in street A only;
  // street B's officer cannot sign in there.
  auto streetConsolePtr = a.asker(a.street);
  auto &streetConsole = *streetConsolePtr;
  auto zhangThere = signIn(streetConsole, "zhang", "password zhang");
  list.set_session(zhangThere);
  auto seen = streetConsole.call(list).incidents();
  ASSERT_EQ(seen.incidents_size(), 1);
  EXPECT_EQ(seen.incidents(0).incident_id(), inA.incident_id());
  wire::Query close;
  close.set_session(zhangThere);
  close.mutable_act()->set_incident_id(inB.incident_id());
  close.mutable_act()->set_action("close");
  close.mutable_act()->set_text("误报");
  EXPECT_NE(refused(streetConsole, close).find("no incident"), std::string::npos);
  EXPECT_TRUE(unchanged(inB));
  wire::Query liuLogin;
  liuLogin.mutable_login()->set_user("liu");
  liuLogin.mutable_login()->set_password("password liu");
  EXPECT_NE(refused(streetConsole, liuLogin).find("outside this console's region"), std::string::npos);
  EXPECT_EQ(a.query("SELECT count(*) FROM sessions WHERE user_name = 'liu'"), 0) << "no session was made";
  EXPECT_EQ(a.query("SELECT count(*) FROM audit_log WHERE action = 'login.refused' AND object = 'user/liu'"),
            1);

  // A resent change is answered, not applied again; an id reused for another request is refused.
  auto again = create(zhang, Attack::lonA, Attack::latA, "重发的报告");
  again.set_request_id(777000);
  auto first = officer.call(again).incident().incident().incident_id();
  auto second = officer.call(again).incident().incident().incident_id();
  EXPECT_EQ(first, second);
  EXPECT_EQ(a.query("SELECT count(*) FROM incidents WHERE title = '重发的报告'"), 1);
  again.mutable_create()->mutable_incident()->set_title("另一个报告");
  EXPECT_NE(refused(officer, again).find("already used for another request"), std::string::npos);
  EXPECT_EQ(a.query("SELECT count(*) FROM incidents WHERE title = '另一个报告'"), 0);

  // The consoles' live state is for console and client keys only.
  {
    zmq::socket_t snap(a.ctx, zmq::socket_type::dealer);
    snap.set(zmq::sockopt::linger, 0);
    link::makeCurveClient(snap, a.node, a.centre.publicZ85);
    snap.connect("tcp://127.0.0.1:" + std::to_string(a.snapshot));
    wire::Envelope req;
    req.set_sender_id("node-t");
    req.mutable_snapshot_request();
    snap.send(zmq::buffer(req.SerializeAsString()));
    std::string refused;
    for (int i = 0; i < 100 && refused.empty(); ++i) {
      zmq::pollitem_t items[] = {{snap.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 1, std::chrono::milliseconds(200));
      zmq::message_t m;
      if (!(items[0].revents & ZMQ_POLLIN) || !snap.recv(m)) continue;
      wire::Envelope e;
      ASSERT_TRUE(e.ParseFromArray(m.data(), static_cast<int>(m.size())));
      EXPECT_FALSE(e.has_state_update()) << "an ingest key read the consoles' state";
      if (e.has_snapshot_end()) refused = e.snapshot_end().refused();
    }
    EXPECT_NE(refused.find("an ingest node may not take"), std::string::npos) << refused;
  }

  // Every refusal is on record with its key, and the chain is intact.
  EXPECT_GE(audited("refused.intake"), 10);
  EXPECT_GE(audited("refused.query.create"), 1);
  EXPECT_GE(audited("refused.query.tile"), 1);
  EXPECT_GE(audited("refused.snapshot"), 1);
  EXPECT_EQ(a.query("SELECT count(*) FROM audit_log WHERE action = 'refused.intake' AND after->>'key' = "
                    "'console-t' AND after->>'reason' LIKE '%may not send directive%'"),
            1);
  Process verify(a.bin("command-center/server/liandong-audit"), {"--db", a.db, "verify"},
                 (a.dir / "verify.out").string());
  EXPECT_EQ(verify.wait(60000), 0) << verify.output();
}

// A flood of refused messages does not flood the audit chain: at most 20 a
// minute per key, and one entry saying how many more were left out.
TEST(Attacks, AFloodOfRefusalsIsAuditedAtAFixedRate) {
  Attack a;
  IntakePeer consoleOnIntake(a.ctx, a, a.console);
  for (int i = 0; i < 60; ++i) {
    auto o = consoleOnIntake.send(reading("s-" + std::to_string(i), Attack::lonA, Attack::latA));
    ASSERT_NE(o.error, "");
  }
  EXPECT_EQ(a.query("SELECT count(*) FROM readings"), 0);
  auto audited = a.query("SELECT count(*) FROM audit_log WHERE action = 'refused.intake'");
  EXPECT_GE(audited, 20);
  EXPECT_LE(audited, 40) << "a flood bloated the audit chain";
  EXPECT_TRUE(a.proc->waitForOutput("refused intake from key console-t", 1000));
}

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new PgEnvironment);
  return RUN_ALL_TESTS();
}
