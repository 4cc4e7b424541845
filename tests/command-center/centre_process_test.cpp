// Integration tests with real processes: liandong-center with a real
// PostgreSQL/PostGIS, liandong-ingest over CURVE, liandong-console. Readings
// flow end to end; kill -9 of either side loses nothing and stores nothing
// twice; bad configuration and bad surroundings end with a one-line error.
#include <arpa/inet.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "centre_deployment.h"
#include "liandong/alerts/cap.h"
#include "liandong/core/clock.h"
#include "liandong/core/curve_keys.h"
#include "liandong/core/errors.h"
#include "liandong/core/link/clone.h"
#include "liandong/core/link/query.h"
#include "liandong/core/link/sender.h"
#include "pg_fixture.h"
#include "process.h"
#include "tcp_proxy.h"

using namespace liandong;
using namespace liandong::testing;
namespace fs = std::filesystem;

namespace {

int nextPort() {
  return freeTcpPort();
}

// A small deployment in a temporary folder (centre_deployment.h): the
// centre, a Python client's key, two cameras, node-t with three simulated
// sensors and an edge rule, and a console.
struct Deployment : CentreDeployment {
  CurveKeyPair python = generateCurveKeyPair("python-client");

  explicit Deployment(const std::string &name) : CentreDeployment(name, "lddeploy") {
    writeCurveKeyFile(dir / "python.key", python);
    writeFile(dir / "cameras.geojson",
              R"({"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"44011300041320000001","name":"市桥桥","heading_deg":90,"fov_deg":60,"range_m":250},"geometry":{"type":"Point","coordinates":[113.3655,22.9455]}},
{"type":"Feature","properties":{"id":"44011300041320000002","name":"番禺广场","range_m":200},"geometry":{"type":"Point","coordinates":[113.384,22.935]}}]})");
    writeCentreYaml("  status_interval_s: 1\n", "  cameras: [cameras.geojson]\n",
                    {{"python-client", &python, "client"}});
    writeFile(dir / "rules.yaml", R"(rules:
  - {id: far-level, name: 远处水位, quantity: water_level, sensors: [far], levels: {yellow: 1.5, red: 5}}
)");
    writeFile(dir / "node.yaml", nodeHeader("outbox") + fmt::format(R"(  fsync_every: 16
  fsync_interval_ms: 5
rules: rules.yaml
simulated_sensors:
  - {{id: "g1", quantity: water_level, unit: m, model: tide, latitude: 22.945, longitude: 113.365, interval_ms: 10, base: 1, amplitude: 1, period_s: 60}}
  - {{id: "g2", quantity: rainfall, unit: mm, model: rain, latitude: 22.95, longitude: 113.49, interval_ms: 20, amplitude: 50}}
  - {{id: "far", quantity: water_level, unit: m, model: constant, latitude: 39.9, longitude: 116.4, interval_ms: 50, base: 2}}
)"));
    writeFile(dir / "console.yaml", fmt::format(R"(console:
  id: console-t
  keys: console.key
centre:
  updates: tcp://127.0.0.1:{}
  snapshot: tcp://127.0.0.1:{}
  public_key: '{}'
)",
                                                updates, snapshot, centre.publicZ85));
  }

  // The start of a node-t configuration: identity, its centre, an outbox.
  std::string nodeHeader(const std::string &outboxDir) const {
    // A loaded test machine: let the node deliver all before it stops.
    return nodeHead(outboxDir, "  drain_on_stop_ms: 20000\n");
  }

  std::unique_ptr<Process> startCentre(const std::string &log = "centre.log") {
    return std::make_unique<Process>(bin("command-center/server/liandong-center"),
                                     std::vector<std::string>{"-c", (dir / "centre.yaml").string()},
                                     (dir / log).string());
  }
  std::unique_ptr<Process> startIngest(const std::string &log = "ingest.log") {
    return std::make_unique<Process>(bin("ingest/liandong-ingest"),
                                     std::vector<std::string>{"-c", (dir / "node.yaml").string()},
                                     (dir / log).string());
  }
  std::unique_ptr<Process> startConsole() {
    return std::make_unique<Process>(bin("command-center/console/liandong-console"),
                                     std::vector<std::string>{"-c", (dir / "console.yaml").string()},
                                     (dir / "console.out").string());
  }
  double queryDouble(const std::string &sql) {
    pqxx::connection c(db);
    pqxx::work tx(c);
    return tx.exec1(sql)[0].as<double>();
  }
  // Waits until `sql` returns at least `n`.
  bool waitCount(const std::string &sql, long n, int timeoutMs) {
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (std::chrono::steady_clock::now() < end) {
      try {
        if (query(sql) >= n) return true;
      } catch (const std::exception &) {
        // tables may not exist yet
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
};

// Every sequence of the node between the first and the last stored exactly
// once (readings, and the alerts its edge rules raised).
void expectNoLossNoDuplicate(Deployment &d) {
  const std::string all =
      "(SELECT sender_id, sequence FROM readings UNION ALL SELECT sender_id, sequence FROM events "
      "WHERE sender_id = 'node-t' AND sequence > 0) s";
  long count = d.query("SELECT count(*) FROM " + all);
  long span = d.query("SELECT COALESCE(max(sequence) - min(sequence) + 1, 0) FROM " + all);
  long distinct = d.query("SELECT count(DISTINCT (sender_id, sequence)) FROM " + all);
  EXPECT_EQ(count, span) << "a gap in the stored sequences means a reading was lost";
  EXPECT_EQ(count, distinct);
}

}  // namespace

namespace {
// Adds a user straight in the centre's database, the password on stdin.
void addUser(const Deployment &d, const std::string &name, const std::string &role, const std::string &region,
             const std::string &password, const std::string &agency = "") {
  run("printf '%s\\n' '" + password + "' | " + d.bin("command-center/server/liandong-admin") + " --db '" +
      d.db + "' user add " + name + " --role " + role + " --region " + region +
      (agency.empty() ? "" : " --agency " + agency));
}

std::string errorOf(link::QueryClient &client, const std::string &session, wire::Query q) {
  try {
    ask(client, session, std::move(q));
  } catch (const Error &e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(CentreProcess, ReadingsFlowFromIngestToPostgisAndConsole) {
  Deployment d("flow");
  auto centre = d.startCentre();
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000)) << centre->output();
  auto console = d.startConsole();
  auto ingest = d.startIngest();
  ASSERT_TRUE(d.waitCount("SELECT count(*) FROM readings", 100, 30000)) << centre->output();
  EXPECT_TRUE(console->waitForOutput("读数已入库", 10000)) << console->output();
  EXPECT_TRUE(console->waitForOutput("番禺区", 10000)) << console->output();
  // The centre's periodic status line (every second here) counts them.
  EXPECT_TRUE(centre->waitForOutput("readings stored:", 10000)) << centre->output();
  EXPECT_EQ(ingest->stop(), 0) << ingest->output();
  EXPECT_EQ(console->stop(), 0);
  EXPECT_EQ(centre->stop(), 0) << centre->output();
  // Gauges in Panyu are placed in 440113; the one in Beijing is outside every county we hold.
  EXPECT_EQ(
      d.query("SELECT count(*) FROM readings WHERE sensor_id IN ('g1','g2') AND region_code <> '440113'"), 0);
  EXPECT_GT(d.query("SELECT count(*) FROM readings WHERE sensor_id = 'g1' AND region_code = '440113'"), 0);
  EXPECT_EQ(d.query("SELECT count(*) FROM readings WHERE sensor_id = 'far' AND region_code IS NOT NULL"), 0);
  EXPECT_EQ(d.query("SELECT count(*) FROM regions WHERE tier = 'county'"), 11);
  expectNoLossNoDuplicate(d);
  EXPECT_EQ(d.query("SELECT count(*) FROM link_peers WHERE peer_id = 'node-t'"), 1);
}

TEST(CentreProcess, KillingIngestRepeatedlyLosesNothing) {
  Deployment d("killingest");
  auto centre = d.startCentre();
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000)) << centre->output();
  for (int round = 0; round < 4; ++round) {
    auto ingest = d.startIngest("ingest" + std::to_string(round) + ".log");
    std::this_thread::sleep_for(std::chrono::milliseconds(700 + 150 * round));
    ingest->signal(SIGKILL);
    ingest->wait(5000);
  }
  // A last, clean run delivers whatever the killed runs left in the outbox.
  auto ingest = d.startIngest("ingest-final.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(ingest->stop(), 0);
  EXPECT_NE(ingest->output().find(", 0 still in the outbox"), std::string::npos) << ingest->output();
  EXPECT_EQ(centre->stop(), 0) << centre->output();
  expectNoLossNoDuplicate(d);
  EXPECT_GT(d.query("SELECT count(*) FROM readings"), 200);
}

TEST(CentreProcess, KillingCentreRepeatedlyLosesNothing) {
  Deployment d("killcentre");
  auto ingest = d.startIngest();
  for (int round = 0; round < 3; ++round) {
    auto centre = d.startCentre("centre" + std::to_string(round) + ".log");
    ASSERT_TRUE(centre->waitForOutput("ready:", 60000)) << centre->output();
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    centre->signal(SIGKILL);
    centre->wait(5000);
  }
  auto centre = d.startCentre("centre-final.log");
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000));
  // The node may be between reconnect attempts; once it is back, it drains.
  ASSERT_TRUE(centre->waitForOutput("peer node-t connected", 20000)) << centre->output();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(ingest->stop(), 0);
  EXPECT_NE(ingest->output().find(", 0 still in the outbox"), std::string::npos) << ingest->output();
  EXPECT_EQ(centre->stop(), 0) << centre->output();
  expectNoLossNoDuplicate(d);
}

TEST(CentreProcess, LinkCutForAMinuteLosesNothing) {
  Deployment d("linkcut");
  int proxyPort = nextPort();
  auto text = readFile(d.dir / "node.yaml");
  auto at = text.find("127.0.0.1:" + std::to_string(d.intake));
  text.replace(at, 10 + std::to_string(d.intake).size(), "127.0.0.1:" + std::to_string(proxyPort));
  writeFile(d.dir / "node.yaml", text);
  TcpProxy proxy(proxyPort, d.intake);
  auto centre = d.startCentre();
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000));
  auto ingest = d.startIngest();
  ASSERT_TRUE(d.waitCount("SELECT count(*) FROM readings", 100, 20000)) << ingest->output();
  int cutSeconds = std::getenv("LIANDONG_CUT_SECONDS") ? std::atoi(std::getenv("LIANDONG_CUT_SECONDS")) : 60;
  proxy.blackhole();  // the WAN link goes silent
  ASSERT_TRUE(
      d.waitCount("SELECT count(*) FROM link_peers WHERE peer_id = 'node-t' AND state = 'lost'", 1, 10000))
      << "the centre notices the silence";
  long during = d.query("SELECT count(*) FROM readings");
  std::this_thread::sleep_for(std::chrono::seconds(cutSeconds));
  EXPECT_LE(d.query("SELECT count(*) FROM readings") - during, 0) << "nothing crosses a cut link";
  proxy.reset();  // it returns after both sides' TCP gave up
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  proxy.restore();
  ASSERT_TRUE(
      d.waitCount("SELECT count(*) FROM link_peers WHERE peer_id = 'node-t' AND state = 'alive'", 1, 20000));
  // About 150 readings a second were produced during the cut; all of them arrive.
  ASSERT_TRUE(d.waitCount("SELECT count(*) FROM readings", during + 100L * cutSeconds, 60000));
  EXPECT_EQ(ingest->stop(), 0);
  EXPECT_NE(ingest->output().find(", 0 still in the outbox"), std::string::npos) << ingest->output();
  EXPECT_EQ(centre->stop(), 0) << centre->output();
  expectNoLossNoDuplicate(d);
}

TEST(CentreProcess, OutboxAtQuotaBlocksThenDeliversWhenSpaceReturns) {
  Deployment d("quota");
  auto text = readFile(d.dir / "node.yaml");
  text.replace(text.find("  dir: outbox\n"), 14, "  dir: outbox\n  quota_mb: 0.05\n  segment_mb: 0.01\n");
  writeFile(d.dir / "node.yaml", text);
  auto ingest = d.startIngest();  // no centre yet: the outbox fills up
  ASSERT_TRUE(ingest->waitForOutput("disk quota of 0.05 MiB reached", 30000)) << ingest->output();
  std::uintmax_t bytes = 0;
  for (auto &e : fs::directory_iterator(d.dir / "outbox"))
    if (e.path().filename().string().starts_with("seg-")) bytes += fs::file_size(e.path());
  EXPECT_LE(bytes, 52428u) << "the quota holds";
  auto centre = d.startCentre();
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000));
  ASSERT_TRUE(d.waitCount("SELECT count(*) FROM readings", 500, 30000)) << ingest->output();
  EXPECT_EQ(ingest->stop(), 0);
  EXPECT_NE(ingest->output().find("space returned"), std::string::npos) << ingest->output();
  EXPECT_NE(ingest->output().find(", 0 still in the outbox"), std::string::npos) << ingest->output();
  EXPECT_EQ(centre->stop(), 0) << centre->output();
  expectNoLossNoDuplicate(d);
}

TEST(CentreProcess, CorruptedOutboxRecordIsReportedAndTheRestDelivered) {
  Deployment d("corrupt");
  {
    auto ingest = d.startIngest();  // centre down: records stay in the outbox
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    EXPECT_EQ(ingest->stop(), 0);
  }
  fs::path seg;
  for (auto &e : fs::directory_iterator(d.dir / "outbox"))
    if (e.path().filename().string().starts_with("seg-")) seg = e.path();
  ASSERT_FALSE(seg.empty());
  auto bytes = readFile(seg.string());
  ASSERT_GT(bytes.size(), 2000u);
  bytes[bytes.size() / 2] ^= 0x55;  // one flipped byte in the middle
  writeFile(seg.string(), bytes);
  auto centre = d.startCentre();
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000));
  auto ingest = d.startIngest("ingest2.log");
  EXPECT_TRUE(ingest->waitForOutput(seg.string() + ": offset", 20000)) << ingest->output();
  ASSERT_TRUE(d.waitCount("SELECT count(*) FROM events WHERE kind = 'gap'", 1, 20000)) << centre->output();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(ingest->stop(), 0);
  EXPECT_NE(ingest->output().find(", 0 still in the outbox"), std::string::npos) << ingest->output();
  EXPECT_EQ(centre->stop(), 0) << centre->output();
  // Every sequence is either stored or on record as lost, and the loss is small.
  // (The node's edge rules raise alerts too: they take sequences as well.)
  const std::string all =
      "(SELECT sequence FROM readings UNION ALL SELECT sequence FROM events WHERE sender_id = 'node-t' "
      "AND sequence > 0) s";
  long stored = d.query("SELECT count(*) FROM " + all);
  long span = d.query("SELECT COALESCE(max(sequence) - min(sequence) + 1, 0) FROM " + all);
  long lost = d.query(
      "SELECT sum((payload->'gap'->>'last')::bigint - (payload->'gap'->>'first')::bigint + 1) "
      "FROM events WHERE kind = 'gap'");
  EXPECT_EQ(stored + lost, span);
  EXPECT_GE(lost, 1);
  EXPECT_LE(lost, 3) << "one damaged record costs itself, not the segment";
}

TEST(CentreProcess, DatabaseRestartUnderLoadLosesNothing) {
  Deployment d("pgrestart");
  auto centre = d.startCentre();
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000));
  auto ingest = d.startIngest();
  ASSERT_TRUE(d.waitCount("SELECT count(*) FROM readings", 50, 20000));
  PgEnvironment::stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  PgEnvironment::start();
  long before = d.query("SELECT count(*) FROM readings");
  ASSERT_TRUE(d.waitCount("SELECT count(*) FROM readings", before + 50, 30000)) << centre->output();
  EXPECT_EQ(ingest->stop(), 0);
  EXPECT_NE(ingest->output().find(", 0 still in the outbox"), std::string::npos) << ingest->output();
  EXPECT_EQ(centre->stop(), 0) << centre->output();
  EXPECT_NE(centre->output().find("not acknowledged"), std::string::npos) << "the outage was noticed";
  expectNoLossNoDuplicate(d);
}

TEST(CentreProcess, IncidentsGoUpAndDirectivesComeDown) {
  Deployment child("fedchild");
  Deployment parent("fedparent");
  auto parentKeys = generateCurveKeyPair("centre-p");
  auto issuer = generateCurveKeyPair("console-p");
  writeCurveKeyFile(parent.dir / "centre.key", parentKeys);
  // The parent is Guangzhou's centre; it admits the Panyu centre and a console that issues directives.
  auto ptext = readFile(parent.dir / "centre.yaml");
  ptext.replace(ptext.find("id: centre-t"), 12, "id: centre-p");
  ptext.replace(ptext.find("region: \"440113\""), 16, "region: \"440100\"");
  ptext.replace(ptext.find("admitted:\n"), 10,
                fmt::format("admitted:\n  - {{id: centre-t, public_key: '{}', region: \"440113\"}}\n"
                            "  - {{id: console-p, public_key: '{}', role: console}}\n",
                            child.centre.publicZ85, issuer.publicZ85));
  ptext += fmt::format(
      "children:\n  - id: centre-t\n    endpoint: tcp://127.0.0.1:{}\n    public_key: '{}'\n"
      "    outbox: {{dir: to-child}}\n",
      child.intake, child.centre.publicZ85);
  writeFile(parent.dir / "centre.yaml", ptext);
  // The child reports to the parent and admits the parent's key for directives.
  auto ctext = readFile(child.dir / "centre.yaml");
  ctext.replace(ctext.find("admitted:\n"), 10,
                fmt::format("admitted:\n  - {{id: centre-p, public_key: '{}'}}\n", parentKeys.publicZ85));
  ctext += fmt::format(
      "parent:\n  id: centre-p\n  endpoint: tcp://127.0.0.1:{}\n  public_key: '{}'\n"
      "  summary_interval_s: 1\n  outbox: {{dir: to-parent}}\n",
      parent.intake, parentKeys.publicZ85);
  writeFile(child.dir / "centre.yaml", ctext);

  auto p = parent.startCentre();
  auto c = child.startCentre();
  ASSERT_TRUE(p->waitForOutput("ready:", 60000)) << p->output();
  ASSERT_TRUE(c->waitForOutput("ready:", 60000)) << c->output();

  // A report raised by a county duty officer arrives at the city, from the county centre.
  zmq::context_t ctx(1);
  addUser(child, "zhou", "duty_officer", "440113", "county officer");
  link::QueryClient countyConsole(ctx, "tcp://127.0.0.1:" + std::to_string(child.queries),
                                  child.centre.publicZ85, child.console);
  auto countySession = signIn(countyConsole, "zhou", "county officer");
  wire::Query report;
  auto *inc = report.mutable_create()->mutable_incident();
  inc->set_incident_id("inc-fed-1");
  inc->set_type("flood");
  inc->set_title("石楼镇水浸");
  inc->set_latitude(22.945);
  inc->set_longitude(113.365);
  ask(countyConsole, countySession, report);
  ASSERT_TRUE(
      parent.waitCount("SELECT count(*) FROM events WHERE kind = 'incident' AND sender_id = 'centre-t' "
                       "AND incident_id = 'inc-fed-1'",
                       1, 20000))
      << c->output() << p->output();
  EXPECT_TRUE(parent.waitCount(
      "SELECT count(*) FROM events WHERE kind = 'summary' AND sender_id = 'centre-t'", 1, 10000));

  // A directive issued at the city by a signed-in duty officer reaches the named county centre.
  addUser(parent, "guo", "duty_officer", "440100", "city officer");
  link::QueryClient cityConsole(ctx, "tcp://127.0.0.1:" + std::to_string(parent.queries),
                                parentKeys.publicZ85, issuer);
  auto citySession = signIn(cityConsole, "guo", "city officer");
  wire::Query dir;
  dir.mutable_directive()->set_incident_id("inc-fed-1");
  dir.mutable_directive()->set_to_centre("centre-t");
  dir.mutable_directive()->set_text("立即组织石楼镇群众转移");
  ask(cityConsole, citySession, dir);
  ASSERT_TRUE(child.waitCount(
      "SELECT count(*) FROM events WHERE kind = 'directive' AND sender_id = 'centre-p'", 1, 20000))
      << p->output() << c->output();
  EXPECT_EQ(
      child.query("SELECT count(*) FROM events WHERE kind = 'directive' AND payload->'directive'->>'text' = "
                  "'立即组织石楼镇群众转移'"),
      1);

  // The incident itself is at the city, remembered as the county's. A city
  // duty officer raises it to level II: the lead goes to the province and the
  // county centre has the change at once.
  ASSERT_TRUE(parent.waitCount(
      "SELECT count(*) FROM incidents WHERE id = 'inc-fed-1' AND via_centre = 'centre-t' AND level = 4", 1,
      20000))
      << p->output();
  wire::Query raise;
  raise.mutable_act()->set_incident_id("inc-fed-1");
  raise.mutable_act()->set_action("set_level");
  raise.mutable_act()->set_level(wire::LEVEL_II);
  raise.mutable_act()->set_text("多个镇街受淹");
  auto raised = ask(cityConsole, citySession, raise).incident().incident();
  EXPECT_EQ(raised.lead_tier(), wire::TIER_PROVINCE);
  EXPECT_TRUE(child.waitCount(
      "SELECT count(*) FROM incidents WHERE id = 'inc-fed-1' AND level = 2 AND lead_tier = 'province'", 1,
      20000))
      << p->output() << c->output();
  EXPECT_EQ(p->stop(), 0) << p->output();
  EXPECT_EQ(c->stop(), 0) << c->output();
}

// --- bad input: one line naming the cause, a non-zero exit ---

namespace {
struct Outcome {
  int code;
  std::string output;
};
Outcome runCentre(const std::vector<std::string> &args, const fs::path &dir) {
  Process p(binaryDir() + "/command-center/server/liandong-center", args, (dir / "bad.log").string());
  int code = p.wait(60000);
  return {code, p.output()};
}
int lines(const std::string &s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}
}  // namespace

TEST(CentreProcess, MissingConfigFile) {
  Deployment d("badcfg1");
  auto r = runCentre({"-c", (d.dir / "nope.yaml").string()}, d.dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("nope.yaml: cannot open configuration file"), std::string::npos) << r.output;
}

TEST(CentreProcess, UnknownKeyNamesFileLineAndKey) {
  Deployment d("badcfg2");
  auto text = readFile(d.dir / "centre.yaml");
  writeFile(d.dir / "centre.yaml", text + "logging:\n  levle: debug\n");
  auto r = runCentre({"-c", (d.dir / "centre.yaml").string()}, d.dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.output), 1) << r.output;
  // The bad key is on the last line of the file.
  auto line = std::count(text.begin(), text.end(), '\n') + 2;
  EXPECT_NE(r.output.find(fmt::format("centre.yaml:{}: logging.levle: unknown key", line)), std::string::npos)
      << r.output;
}

TEST(CentreProcess, MalformedYaml) {
  Deployment d("badcfg3");
  writeFile(d.dir / "centre.yaml", "centre: [unclosed\n");
  auto r = runCentre({"-c", (d.dir / "centre.yaml").string()}, d.dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("centre.yaml:"), std::string::npos) << r.output;
}

TEST(CentreProcess, PortAlreadyInUse) {
  Deployment d("badport");
  auto first = d.startCentre();
  ASSERT_TRUE(first->waitForOutput("ready:", 60000));
  auto r = runCentre({"-c", (d.dir / "centre.yaml").string()}, d.dir);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("cannot listen on tcp://127.0.0.1:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Address already in use"), std::string::npos) << r.output;
  EXPECT_EQ(first->stop(), 0) << first->output();
}

TEST(CentreProcess, DatabaseUnreachable) {
  Deployment d("baddb");
  auto r = runCentre(
      {"-c", (d.dir / "centre.yaml").string(), "--db", "host=/nonexistent port=1 dbname=x password=hunter2"},
      d.dir);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("cannot connect to PostgreSQL"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("hunter2"), std::string::npos) << "a password must never be logged";
}

TEST(CentreProcess, IngestWithWrongCentreKeyNeverDelivers) {
  Deployment d("wrongkey");
  auto text = readFile(d.dir / "node.yaml");
  auto other = generateCurveKeyPair("x");
  auto pos = text.find(d.centre.publicZ85);
  text.replace(pos, 40, other.publicZ85);
  writeFile(d.dir / "node.yaml", text);
  auto centre = d.startCentre();
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000));
  auto ingest = d.startIngest();
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  EXPECT_EQ(d.query("SELECT count(*) FROM readings"), 0);
  EXPECT_EQ(ingest->stop(), 0);
  EXPECT_EQ(centre->stop(), 0) << centre->output();
}

TEST(CentreProcess, ThirdPartyPythonClientRaisesAndReadsBackAnIncident) {
  Deployment d("python");
  auto centre = d.startCentre();
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000)) << centre->output();
  addUser(d, "chen", "duty_officer", "440113", "python client");
  auto args = std::vector<std::string>{sourceDir() + "/tests/protocol/raise_incident.py",
                                       binaryDir() + "/core/python",
                                       (d.dir / "python.key").string(),
                                       d.centre.publicZ85,
                                       "tcp://127.0.0.1:" + std::to_string(d.queries),
                                       "tcp://127.0.0.1:" + std::to_string(d.snapshot),
                                       "chen"};
  ::setenv("LIANDONG_PASSWORD", "python client", 1);
  Process client("/usr/bin/python3", args, (d.dir / "python.log").string());
  EXPECT_EQ(client.wait(60000), 0) << client.output() << centre->output();
  EXPECT_NE(client.output().find("read back"), std::string::npos) << client.output();
  EXPECT_EQ(d.query("SELECT count(*) FROM incidents WHERE reported_by = 'chen'"), 1);
  // Run again: a new request, a new incident; the resend inside each run is answered, not applied.
  Process again("/usr/bin/python3", args, (d.dir / "python2.log").string());
  EXPECT_EQ(again.wait(60000), 0) << again.output();
  EXPECT_EQ(d.query("SELECT count(*) FROM incidents WHERE reported_by = 'chen'"), 2);
  EXPECT_EQ(centre->stop(), 0) << centre->output();
}

// Edge rules at the ingest node: a sensor above its level raises one alert
// (not one per reading), stored at the centre and shown on the console.
TEST(CentreProcess, EdgeRulesRaiseOneAlertThatReachesTheCentre) {
  Deployment d("edgerules");
  auto centre = d.startCentre();
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000)) << centre->output();
  auto console = d.startConsole();
  auto ingest = d.startIngest();
  ASSERT_TRUE(d.waitCount("SELECT count(*) FROM events WHERE kind = 'alert'", 1, 30000)) << ingest->output();
  // Readings of the sensor keep coming, the alert stays one.
  ASSERT_TRUE(d.waitCount("SELECT count(*) FROM readings WHERE sensor_id = 'far'", 40, 30000));
  EXPECT_EQ(d.query("SELECT count(*) FROM events WHERE kind = 'alert'"), 1);
  EXPECT_EQ(d.query("SELECT count(*) FROM events WHERE kind = 'alert' AND payload->'alert'->>'colour' = "
                    "'COLOUR_YELLOW' AND payload->'alert'->>'source_id' = 'far'"),
            1);
  EXPECT_TRUE(console->waitForOutput("预警", 20000)) << console->output();
  EXPECT_NE(ingest->output().find("alert raised"), std::string::npos);
  // The centre made a CAP 1.2 message of it, valid against the schema.
  ASSERT_TRUE(d.waitCount("SELECT count(*) FROM cap_messages WHERE msg_type = 'Alert'", 1, 10000))
      << centre->output();
  pqxx::connection c(d.db);
  pqxx::work tx(c);
  auto xml = tx.exec1("SELECT xml FROM cap_messages").front().as<std::string>();
  EXPECT_TRUE(alerts::cap::validateXsd(xml).empty()) << xml;
  auto cap = alerts::cap::decode(xml);
  EXPECT_TRUE(alerts::cap::validateRules(cap).empty());
  EXPECT_EQ(cap.infos.at(0).language, "zh-CN");
  EXPECT_EQ(cap.infos.at(0).severity, "Moderate");
  EXPECT_EQ(ingest->stop(), 0);
  EXPECT_EQ(console->stop(), 0);
  EXPECT_EQ(centre->stop(), 0);
}

// A real SL 651 station (the simulator, speaking the protocol over TCP) reports
// to the ingest node; its readings reach PostGIS and its level raises an alert
// at the edge. A station that is not listed gets no answer.
TEST(CentreProcess, Sl651StationReportsReachTheCentre) {
  Deployment d("sl651");
  int sl651Port = freeTcpPort();
  writeFile(d.dir / "sl651-rules.yaml", R"(rules:
  - {id: shiqiao, name: 市桥水道水位, quantity: water_level, sensors: ["81100001"], levels: {yellow: 0.5}}
)");
  writeFile(d.dir / "sl651-node.yaml", d.nodeHeader("outbox-sl651") + fmt::format(R"(rules: sl651-rules.yaml
sl651:
  port: {}
  stations:
    - {{address: "0081100001", sensor_id: "81100001", latitude: 22.945, longitude: 113.365}}
)",
                                                                                  sl651Port));
  auto centre = d.startCentre();
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000)) << centre->output();
  Process node(d.bin("ingest/liandong-ingest"), {"-c", (d.dir / "sl651-node.yaml").string()},
               (d.dir / "sl651-node.log").string());
  ASSERT_TRUE(node.waitForOutput("SL 651 listening", 20000)) << node.output();
  auto station = [&](const std::string &address, int count) {
    Process p(d.bin("ingest/liandong-sl651-station"),
              {"--port", std::to_string(sl651Port), "--station", address, "--count", std::to_string(count),
               "--interval-s", "0.3", "--base", "1.2", "--amplitude", "0.2"},
              (d.dir / ("station-" + address + ".log")).string());
    int exitCode = p.wait(30000);
    return std::make_pair(exitCode, p.output());
  };
  auto [code, out] = station("0081100001", 4);
  EXPECT_EQ(code, 0) << out << node.output();
  EXPECT_NE(out.find("4 reports sent, 4 acknowledged"), std::string::npos) << out;
  ASSERT_TRUE(
      d.waitCount("SELECT count(*) FROM readings WHERE sensor_id = '81100001' AND quantity = 'water_level' "
                  "AND region_code = '440113'",
                  4, 20000))
      << node.output();
  EXPECT_EQ(d.query("SELECT count(*) FROM readings WHERE sensor_id = '81100001:battery_voltage'"), 4);
  ASSERT_TRUE(
      d.waitCount("SELECT count(*) FROM events WHERE kind = 'alert' AND payload->'alert'->>'rule_id' = "
                  "'shiqiao'",
                  1, 20000));
  // An unlisted station: refused, no reply, nothing stored.
  auto [badCode, badOut] = station("0099999999", 1);
  EXPECT_NE(badCode, 0) << badOut;
  EXPECT_TRUE(node.waitForOutput("unlisted station 0099999999", 10000)) << node.output();
  EXPECT_EQ(d.query("SELECT count(*) FROM readings WHERE sensor_id LIKE '0099999999%'"), 0);
  EXPECT_EQ(node.stop(), 0) << node.output();
  EXPECT_EQ(centre->stop(), 0);
}

// MQTT devices (smoke detectors of rental flats) publish to a real mosquitto
// broker; the node maps their payloads to readings; a malformed payload is
// refused with its topic and nothing else is lost.
TEST(CentreProcess, MqttDevicesReachTheCentreThroughABroker) {
  Deployment d("mqtt");
  int brokerPort = freeTcpPort();
  writeFile(d.dir / "mosquitto.conf",
            fmt::format("listener {} 127.0.0.1\nallow_anonymous true\npersistence false\n", brokerPort));
  Process broker("/usr/sbin/mosquitto", {"-c", (d.dir / "mosquitto.conf").string()},
                 (d.dir / "broker.log").string());
  ASSERT_TRUE(waitUntil(
      [&] {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(brokerPort));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bool ok = ::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0;
        ::close(fd);
        return ok;
      },
      10000))
      << broker.output();
  writeFile(d.dir / "mqtt-node.yaml", d.nodeHeader("outbox-mqtt") + fmt::format(R"(mqtt:
  port: {}
  devices:
    - {{kind: smoke, topic: "panyu/rental/+/smoke", quantity: smoke, id_prefix: "smoke-", value_pointer: /alarm,
       time_pointer: /ts, latitude: 22.94, longitude: 113.38}}
)",
                                                                                brokerPort));
  auto centre = d.startCentre();
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000)) << centre->output();
  Process node(d.bin("ingest/liandong-ingest"), {"-c", (d.dir / "mqtt-node.yaml").string()},
               (d.dir / "mqtt-node.log").string());
  ASSERT_TRUE(node.waitForOutput("MQTT connected", 20000)) << node.output() << broker.output();
  mosquitto_lib_init();
  mosquitto *pub = mosquitto_new("test-publisher", true, nullptr);
  ASSERT_EQ(mosquitto_connect(pub, "127.0.0.1", brokerPort, 30), MOSQ_ERR_SUCCESS);
  auto send = [&](const std::string &topic, const std::string &payload) {
    ASSERT_EQ(mosquitto_publish(pub, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(),
                                1, false),
              MOSQ_ERR_SUCCESS);
    mosquitto_loop(pub, 100, 1);
  };
  auto now = std::to_string(std::time(nullptr));
  send("panyu/rental/b12/smoke", R"({"device":"d-1","alarm":true,"ts":)" + now + "}");
  send("panyu/rental/b13/smoke", R"({"device":"d-2","alarm":false,"ts":)" + now + "}");
  send("panyu/rental/b14/smoke", R"({"device":"d-3","alarm":"maybe"})");
  send("panyu/other/topic", R"({"device":"x","alarm":true})");
  for (int i = 0; i < 10; ++i) mosquitto_loop(pub, 50, 1);
  mosquitto_disconnect(pub);
  mosquitto_destroy(pub);
  mosquitto_lib_cleanup();
  ASSERT_TRUE(
      d.waitCount("SELECT count(*) FROM readings WHERE sensor_id LIKE 'smoke-%' AND quantity = 'smoke' AND "
                  "region_code = '440113'",
                  2, 20000))
      << node.output();
  EXPECT_EQ(d.query("SELECT count(*) FROM readings WHERE sensor_id = 'smoke-d-1' AND value = 1"), 1);
  EXPECT_TRUE(node.waitForOutput("MQTT payload on panyu/rental/b14/smoke refused", 10000)) << node.output();
  EXPECT_EQ(d.query("SELECT count(*) FROM readings WHERE sensor_id LIKE 'smoke-%'"), 2);
  EXPECT_EQ(node.stop(), 0) << node.output();
  EXPECT_EQ(centre->stop(), 0);
  broker.stop();
}

// Rental housing and public security through MQTT, end to end: the device
// simulator's door cards, smoke detectors and panic button reach the centre
// through a real broker and node; the node's rules find the overcrowded flat
// (群租), the smoke and the panic, and the centre opens one incident of each type.
TEST(CentreProcess, RentalHousingAndPanicButtonsBecomeIncidents) {
  Deployment d("mqttsim");
  int brokerPort = freeTcpPort();
  writeFile(d.dir / "mosquitto.conf",
            fmt::format("listener {} 127.0.0.1\nallow_anonymous true\npersistence false\n", brokerPort));
  Process broker("/usr/sbin/mosquitto", {"-c", (d.dir / "mosquitto.conf").string()},
                 (d.dir / "broker.log").string());
  writeFile(d.dir / "sim-rules.yaml", R"(rules:
  - {id: overcrowding, name: 出租屋群租, kind: distinct_count, quantity: door_card, registered_quantity: tenants,
     window_s: 3600, levels: {yellow: 4}}
  - {id: smoke, name: 出租屋烟感, quantity: smoke, levels: {red: {value: 1, response: IV}}}
  - {id: panic, name: 一键报警, quantity: panic, levels: {orange: {value: 1, response: IV}}}
)");
  writeFile(d.dir / "sim-node.yaml", d.nodeHeader("outbox-sim") + fmt::format(R"(rules: sim-rules.yaml
mqtt:
  port: {}
  devices:
    - {{kind: door, topic: "panyu/rental/+/door/+", quantity: door_card, id_pointer: "", value_pointer: /card,
       time_pointer: /ts,
       latitude: 22.94, longitude: 113.38}}
    - {{kind: tenants, topic: "panyu/rental/+/tenants/+", quantity: tenants, id_pointer: "", value_pointer: /count,
       time_pointer: /ts, latitude: 22.94, longitude: 113.38}}
    - {{kind: smoke, topic: "panyu/rental/+/smoke/+", quantity: smoke, id_pointer: "", id_prefix: "smoke-",
       value_pointer: /alarm, time_pointer: /ts, latitude: 22.941, longitude: 113.381}}
    - {{kind: panic, topic: "panyu/security/+/panic/+", quantity: panic, id_pointer: "", id_prefix: "panic-",
       value_pointer: /pressed, time_pointer: /ts, latitude: 22.95, longitude: 113.36}}
)",
                                                                              brokerPort));
  auto centre = d.startCentre();
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000)) << centre->output();
  Process node(d.bin("ingest/liandong-ingest"), {"-c", (d.dir / "sim-node.yaml").string()},
               (d.dir / "sim-node.log").string());
  ASSERT_TRUE(node.waitForOutput("MQTT connected", 20000)) << node.output() << broker.output();
  Process devices(d.bin("ingest/liandong-mqtt-devices"),
                  {"--port", std::to_string(brokerPort), "--interval-ms", "20", "--overcrowd-after-s", "1",
                   "--smoke-after-s", "1", "--panic-after-s", "2"},
                  (d.dir / "devices.log").string());
  ASSERT_TRUE(devices.waitForOutput("connected to", 20000)) << devices.output();
  for (const char *type : {"rental_housing", "fire", "public_security"})
    EXPECT_TRUE(
        d.waitCount(std::string("SELECT count(*) FROM incidents WHERE type = '") + type + "'", 1, 30000))
        << type << "\n"
        << node.output() << centre->output();
  EXPECT_TRUE(devices.waitForOutput("panic button pressed", 10000));
  EXPECT_EQ(devices.stop(), 0) << devices.output();
  EXPECT_EQ(node.stop(), 0) << node.output();
  EXPECT_EQ(centre->stop(), 0);
  broker.stop();
  // The overcrowded flat is the simulator's first: b01-101; tenants' doors stay quiet.
  EXPECT_EQ(d.query("SELECT count(*) FROM incidents i JOIN incident_alerts a ON a.incident_id = i.id "
                    "WHERE i.type = 'rental_housing' AND a.alert_id LIKE '%/overcrowding/b01-101/%'"),
            1);
  EXPECT_EQ(d.query("SELECT count(*) FROM incidents WHERE type = 'rental_housing'"), 1);
  EXPECT_GT(d.query("SELECT count(DISTINCT sensor_id) FROM readings WHERE quantity = 'door_card'"), 5);
  EXPECT_GT(d.query("SELECT count(*) FROM readings WHERE quantity = 'tenants'"), 5) << "the tenant register";
}

// Rules in the centre: the same engine and rule file as at the edge, run on
// every stored reading — here a node without rules of its own, and a
// correlation across two of its gauges that no single node would see.
TEST(CentreProcess, RulesInTheCentreRaiseAlertsThatBecomeIncidents) {
  Deployment d("centrerules");
  writeFile(d.dir / "centre-rules.yaml", R"(rules:
  - {id: g1-level, name: 市桥水位, quantity: water_level, sensors: [g1], levels: {blue: -100}}
  - {id: g2-rain, name: 降雨, quantity: rainfall, sensors: [g2], levels: {blue: -100}}
  - {id: both, name: 水位与降雨叠加, kind: correlation, all_of: [g1-level, g2-rain], within_m: 20000, colour: orange}
)");
  auto text = readFile(d.dir / "centre.yaml");
  text += "rules: centre-rules.yaml\n";
  writeFile(d.dir / "centre.yaml", text);
  auto node = readFile(d.dir / "node.yaml");
  node.replace(node.find("rules: rules.yaml\n"), 18, "");
  writeFile(d.dir / "node.yaml", node);
  auto centre = d.startCentre();
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000)) << centre->output();
  EXPECT_NE(centre->output().find("3 centre rules loaded"), std::string::npos) << centre->output();
  auto ingest = d.startIngest();
  ASSERT_TRUE(
      d.waitCount("SELECT count(*) FROM events WHERE kind = 'alert' AND sender_id = 'centre-t' AND "
                  "payload->'alert'->>'rule_id' = 'both'",
                  1, 30000))
      << centre->output();
  EXPECT_TRUE(
      d.waitCount("SELECT count(*) FROM incidents WHERE reported_by = 'alert:g1-level' AND colour = 'orange' "
                  "AND level = 2",
                  1, 20000))
      << "the correlated alert joins the gauge's flood incident and raises it";
  EXPECT_EQ(d.query("SELECT count(*) FROM events WHERE kind = 'alert' AND sender_id = 'node-t'"), 0)
      << "the node has no rules now";
  // A broken rule file is refused with its line; the loaded rules stay.
  writeFile(d.dir / "centre-rules.yaml", "rules:\n  - {id: x, quantity: q, levels: {red: 1}, colour: red}\n");
  EXPECT_TRUE(centre->waitForOutput("centre rules not reloaded", 10000)) << centre->output();
  EXPECT_EQ(ingest->stop(), 0);
  EXPECT_EQ(centre->stop(), 0) << centre->output();
}

// Camera health as a rule: a camera the node cannot reach reports
// camera_state 3 (offline) every 5 s; a rule with a minimum duration turns
// a camera down for that long into an alert, and the centre into an
// equipment incident — while the CameraStatus change is stored as an event.
TEST(CentreProcess, ACameraThatStaysDownBecomesAnEquipmentIncident) {
  Deployment d("camdown");
  int closedPort = freeTcpPort();  // nothing listens there
  writeFile(d.dir / "cam-rules.yaml", R"(rules:
  - {id: camera-down, name: 视频中断, quantity: camera_state, min_duration_s: 4, levels: {yellow: 3}}
)");
  writeFile(d.dir / "cam-node.yaml", d.nodeHeader("outbox-cam") + fmt::format(R"(rules: cam-rules.yaml
cameras:
  port: 0
  stall_after_s: 1
  offline_after_s: 2
  reconnect_min_s: 1
  reconnect_max_s: 2
  devices:
    - {{id: shiqiao-bridge, url: "rtsp://admin:secret@127.0.0.1:{}/cam/1", latitude: 22.9455, longitude: 113.3655}}
)",
                                                                              closedPort));
  auto centre = d.startCentre();
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000)) << centre->output();
  Process node(d.bin("ingest/liandong-ingest"), {"-c", (d.dir / "cam-node.yaml").string()},
               (d.dir / "cam-node.log").string());
  ASSERT_TRUE(
      d.waitCount("SELECT count(*) FROM incidents WHERE type = 'equipment' AND reported_by = "
                  "'alert:camera-down'",
                  1, 60000))
      << node.output() << centre->output();
  EXPECT_GE(d.query("SELECT count(*) FROM events WHERE kind = 'camera_status' AND "
                    "payload->'camera_status'->>'camera_id' = 'shiqiao-bridge'"),
            1);
  EXPECT_GE(
      d.query(
          "SELECT count(*) FROM readings WHERE sensor_id = 'shiqiao-bridge' AND quantity = 'camera_state' "
          "AND value = 3"),
      1);
  EXPECT_EQ(node.stop(), 0) << node.output();
  EXPECT_EQ(node.output().find("secret"), std::string::npos) << "credentials never in the log";
  EXPECT_EQ(centre->stop(), 0);
}

// Recordings indexed at the centre: a node records a simulated camera in
// 2 s segments, the camera is dropped for a few seconds, and the centre's
// camera_segments (filled from the node's RecordingSegment messages over the
// real link) shows the outage as a gap.
TEST(CentreProcess, RecordedSegmentsAreIndexedWithTheOutageAsAGap) {
  Deployment d("recidx");
  int simPort = freeTcpPort();
  auto fifo = (d.dir / "cams.fifo").string();
  Process sim(d.bin("ingest/liandong-camera-sim"),
              {"--port", std::to_string(simPort), "--cameras", "1", "--width", "320", "--height", "240",
               "--fps", "15", "--bitrate-kbps", "300", "--control", fifo},
              (d.dir / "sim.log").string());
  ASSERT_TRUE(sim.waitForOutput("listening on", 20000)) << sim.output();
  writeFile(d.dir / "rec-node.yaml", d.nodeHeader("outbox-rec") + fmt::format(R"(cameras:
  port: 0
  stall_after_s: 1
  offline_after_s: 3
  reconnect_min_s: 0.5
  reconnect_max_s: 1
  picture: {{check_s: 0}}
  recording: {{dir: recordings, segment_s: 2}}
  devices:
    - {{id: gate-cam, url: "rtsp://127.0.0.1:{}/cam/1", latitude: 22.9455, longitude: 113.3655}}
)",
                                                                              simPort));
  auto centre = d.startCentre();
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000)) << centre->output();
  Process node(d.bin("ingest/liandong-ingest"), {"-c", (d.dir / "rec-node.yaml").string()},
               (d.dir / "rec-node.log").string());
  ASSERT_TRUE(d.waitCount("SELECT count(*) FROM camera_segments WHERE camera_id = 'gate-cam'", 2, 60000))
      << node.output();
  auto command = [&](const std::string &line) {
    int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    ASSERT_GE(fd, 0);
    auto text = line + "\n";
    EXPECT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fd);
  };
  command("drop 1");
  std::this_thread::sleep_for(std::chrono::seconds(4));
  command("restore 1");
  auto before = d.query("SELECT count(*) FROM camera_segments WHERE camera_id = 'gate-cam'");
  ASSERT_TRUE(
      d.waitCount("SELECT count(*) FROM camera_segments WHERE camera_id = 'gate-cam'", before + 2, 60000))
      << node.output();
  EXPECT_EQ(node.stop(), 0) << node.output();
  // Over everything recorded: exactly one gap, the outage (at least the 4 s).
  EXPECT_EQ(d.query("SELECT count(*) FROM camera_recording_gaps('gate-cam', (SELECT min(start_at) FROM "
                    "camera_segments), (SELECT max(end_at) FROM camera_segments))"),
            1);
  EXPECT_GE(d.query("SELECT (extract(epoch FROM gap_end - gap_start) * 1000)::bigint FROM "
                    "camera_recording_gaps('gate-cam', (SELECT min(start_at) FROM camera_segments), "
                    "(SELECT max(end_at) FROM camera_segments))"),
            3000);
  EXPECT_EQ(d.query("SELECT count(*) FROM camera_segments WHERE sender_id = 'node-t' AND bytes > 0"),
            d.query("SELECT count(*) FROM camera_segments"));
  EXPECT_EQ(centre->stop(), 0);
}

// The console's map comes from the centre, never from the database: vector
// tiles and "which cameras see this point" over the CURVE query endpoint.
TEST(CentreProcess, ConsoleQueriesGetMapTilesAndTheCamerasThatSeeAPoint) {
  Deployment d("queries");
  auto centre = d.startCentre();
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000)) << centre->output();
  zmq::context_t ctx(1);
  link::QueryClient client(ctx, "tcp://127.0.0.1:" + std::to_string(d.queries), d.centre.publicZ85,
                           d.console);
  wire::Query q;
  auto *t = q.mutable_tile();
  t->set_layer("regions");
  t->set_z(10);
  t->set_x(834);  // the z10 tile of 市桥, Panyu
  t->set_y(444);
  auto first = client.call(q);
  ASSERT_TRUE(first.has_tile());
  EXPECT_NE(first.tile().mvt().find("番禺区"), std::string::npos);
  EXPECT_FALSE(first.tile().cached());
  EXPECT_TRUE(client.call(q).tile().cached());

  // Cameras near a point are for a signed-in user (docs/security.md).
  addUser(d, "zhang", "duty_officer", "440113", "correct horse");
  auto zhang = signIn(client, "zhang", "correct horse");
  wire::Query seeing;
  seeing.set_session(zhang);
  auto *n = seeing.mutable_nearby();
  n->set_longitude(113.3665);  // about 100 m east of the east-facing camera
  n->set_latitude(22.9455);
  n->set_seeing(true);
  auto r = client.call(seeing);
  ASSERT_EQ(r.nearby().assets_size(), 1);
  auto anonymous = seeing;
  anonymous.clear_session();
  EXPECT_NE(errorOf(client, "", anonymous).find("not signed in"), std::string::npos);
  EXPECT_EQ(r.nearby().assets(0).id(), "44011300041320000001");
  EXPECT_NEAR(r.nearby().assets(0).distance_m(), 102, 5);

  wire::Query nearest;
  nearest.set_session(zhang);
  nearest.mutable_nearby()->set_asset_kind("camera");
  nearest.mutable_nearby()->set_longitude(113.384);
  nearest.mutable_nearby()->set_latitude(22.936);
  nearest.mutable_nearby()->set_limit(5);
  auto nr = client.call(nearest);
  ASSERT_EQ(nr.nearby().assets_size(), 2);
  EXPECT_EQ(nr.nearby().assets(0).id(), "44011300041320000002");

  // A bad request gets an error reply naming the cause; the service goes on.
  t->set_layer("roads");
  try {
    client.call(q);
    FAIL() << "expected an error reply";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("unknown map layer \"roads\""), std::string::npos) << e.what();
  }
  t->set_layer("regions");
  EXPECT_TRUE(client.call(q).has_tile());

  // A key the centre does not admit gets no answer at all.
  auto stranger = generateCurveKeyPair("stranger");
  link::QueryClient intruder(ctx, "tcp://127.0.0.1:" + std::to_string(d.queries), d.centre.publicZ85,
                             stranger);
  EXPECT_THROW(intruder.call(q, 1500), Error);
  EXPECT_EQ(centre->stop(), 0) << centre->output();
  EXPECT_NE(centre->output().find("refused"), std::string::npos);
}

// The duty officer's day over the documented API: an edge alert becomes an
// incident at the centre; the officer signs in, sees it, verifies it and
// starts the response; the audit log holds every step and finds tampering.
TEST(CentreProcess, AnAlertBecomesAnIncidentTheOfficerRunsOverTheQueryApi) {
  Deployment d("officer");
  auto centre = d.startCentre();
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000)) << centre->output();
  addUser(d, "zhang", "duty_officer", "440113", "correct horse");
  addUser(d, "wang", "duty_officer", "440106", "battery staple");  // 天河区: another county
  // A blue warning suggests level IV, which the county leads.
  writeFile(d.dir / "rules.yaml", R"(rules:
  - {id: far-level, name: 远处水位, quantity: water_level, sensors: [far], levels: {blue: 1.5, red: 5}}
)");
  auto ingest = d.startIngest();
  ASSERT_TRUE(d.waitCount("SELECT count(*) FROM incidents WHERE reported_by = 'alert:far-level'", 1, 30000))
      << centre->output();
  EXPECT_TRUE(centre->waitForOutput("opened (alert)", 10000)) << centre->output();

  zmq::context_t ctx(1);
  link::QueryClient client(ctx, "tcp://127.0.0.1:" + std::to_string(d.queries), d.centre.publicZ85,
                           d.console);
  wire::Query list;
  list.mutable_incidents();
  EXPECT_NE(errorOf(client, "", list).find("not signed in"), std::string::npos);
  EXPECT_NE(errorOf(client, "0123", list).find("session expired or unknown"), std::string::npos);
  wire::Query login;
  login.mutable_login()->set_user("zhang");
  login.mutable_login()->set_password("wrong horse");
  EXPECT_NE(errorOf(client, "", login).find("wrong user name or password"), std::string::npos);
  login.mutable_login()->set_password("correct horse");
  auto signedIn = ask(client, "", login);
  ASSERT_TRUE(signedIn.has_login());
  const auto session = signedIn.login().session();
  EXPECT_EQ(signedIn.login().role(), "duty_officer");

  auto incidents = ask(client, session, list).incidents();
  ASSERT_EQ(incidents.incidents_size(), 1);
  const auto id = incidents.incidents(0).incident_id();
  EXPECT_EQ(incidents.incidents(0).state(), "reported");
  EXPECT_EQ(incidents.incidents(0).type(), "flood");
  for (const char *step : {"verify", "respond"}) {
    wire::Query act;
    act.mutable_act()->set_incident_id(id);
    act.mutable_act()->set_action(step);
    auto r = ask(client, session, act);
    EXPECT_EQ(r.incident().incident().change(), std::string(step) == "verify" ? "verified" : "responding");
  }
  wire::Query bad;
  bad.mutable_act()->set_incident_id(id);
  bad.mutable_act()->set_action("verify");
  EXPECT_NE(errorOf(client, session, bad).find("cannot verify an incident that is responding"),
            std::string::npos);
  // An officer of another county cannot even sign in at this county's console.
  login.mutable_login()->set_user("wang");
  login.mutable_login()->set_password("battery staple");
  EXPECT_NE(errorOf(client, "", login)
                .find("user wang's jurisdiction 440106 is outside this console's region 440113"),
            std::string::npos);
  // A duty officer opens one from the console.
  wire::Query create;
  auto *in = create.mutable_create()->mutable_incident();
  in->set_type("fire");
  in->set_title("市桥街道民房火情");
  in->set_latitude(22.9455);
  in->set_longitude(113.3665);  // 100 m east of the east-facing camera on 市桥桥
  auto opened = ask(client, session, create).incident().incident();
  EXPECT_EQ(opened.reported_by(), "zhang");
  wire::Query get;
  get.mutable_incident()->set_incident_id(opened.incident_id());
  auto detail = ask(client, session, get).incident();
  ASSERT_GE(detail.cameras_size(), 1) << "the camera on 市桥桥 sees the place";
  EXPECT_EQ(detail.cameras(0).camera_id(), "44011300041320000001");

  EXPECT_EQ(ingest->stop(), 0);
  EXPECT_EQ(centre->stop(), 0) << centre->output();
  EXPECT_EQ(d.query("SELECT count(*) FROM audit_log WHERE actor = 'zhang' AND action LIKE 'incident.%'"), 3);
  auto audit = d.bin("command-center/server/liandong-audit") + " --db '" + d.db + "' verify";
  EXPECT_NE(run(audit).find("audit log intact"), std::string::npos);
  {
    pqxx::connection c(d.db);
    pqxx::work tx(c);
    tx.exec("UPDATE audit_log SET actor = 'nobody' WHERE actor = 'zhang' AND action = 'incident.verify'");
    tx.commit();
  }
  auto tampered = run(audit + "; echo exit=$?");
  EXPECT_NE(tampered.find("TAMPERED"), std::string::npos) << tampered;
  EXPECT_NE(tampered.find("exit=1"), std::string::npos) << tampered;
}

// Live state on the consoles by who signs in: the county officer sees every
// reading, the officer of one street only that street's, a console key held
// to one street sees that street without signing in, and an officer of
// another county is refused at this county's console.
TEST(CentreProcess, ConsolesGetTheLiveStateOfTheirJurisdictionOnly) {
  Deployment d("views");
  auto street = generateCurveKeyPair("console-street");
  writeCurveKeyFile(d.dir / "street.key", street);
  auto yaml = readFile((d.dir / "centre.yaml").string());
  auto at = yaml.find("import:\n");
  ASSERT_NE(at, std::string::npos);
  yaml.insert(at, "  - {id: console-street, public_key: '" + street.publicZ85 + "', role: console REGION}\n");
  yaml += "  towns: [" + sourceDir() + "/configs/data/geo/towns-440100.csv]\n";
  auto withRegion = [&](const std::string &region) {
    auto y = yaml;
    y.replace(y.find("REGION"), 6, region);
    writeFile(d.dir / "centre.yaml", y);
  };
  // Which streets the two Panyu gauges stand in (towns are approximate polygons).
  withRegion("");
  auto centre = d.startCentre();
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000)) << centre->output();
  pqxx::connection c(d.db);
  auto townOf = [&](double lon, double lat) {
    pqxx::work tx(c);
    auto r = tx.exec_params(
        "SELECT code FROM regions WHERE tier = 'town' AND "
        "ST_Contains(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))",
        lon, lat);
    return r.empty() ? std::string() : r[0][0].as<std::string>();
  };
  std::string g1Town = townOf(113.365, 22.945), g2Town = townOf(113.49, 22.95);
  ASSERT_FALSE(g1Town.empty());
  ASSERT_FALSE(g2Town.empty());
  ASSERT_NE(g1Town, g2Town) << "the test needs the two gauges in different streets";
  EXPECT_EQ(centre->stop(), 0);
  withRegion(", region: \"" + g1Town + "\"");
  centre = d.startCentre();
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000)) << centre->output();
  addUser(d, "zhang", "duty_officer", "440113", "correct horse");
  addUser(d, "li", "duty_officer", g1Town, "street officer");
  addUser(d, "wang", "duty_officer", "440106", "battery staple");
  auto ingest = d.startIngest();
  ASSERT_TRUE(d.waitCount("SELECT count(DISTINCT sensor_id) FROM readings", 3, 30000)) << centre->output();

  zmq::context_t ctx(1);
  link::QueryClient queries(ctx, "tcp://127.0.0.1:" + std::to_string(d.queries), d.centre.publicZ85,
                            d.console);
  auto signIn = [&](const std::string &user, const std::string &password) {
    wire::Query login;
    login.mutable_login()->set_user(user);
    login.mutable_login()->set_password(password);
    return ask(queries, "", login).login().session();
  };
  auto options = [&](const CurveKeyPair &keys, const std::string &session) {
    link::CloneClientOptions o;
    o.updatesEndpoint = "tcp://127.0.0.1:" + std::to_string(d.updates);
    o.snapshotEndpoint = "tcp://127.0.0.1:" + std::to_string(d.snapshot);
    o.serverPublicZ85 = d.centre.publicZ85;
    o.keys = keys;
    o.session = session;
    return o;
  };
  std::string wangRefused;
  link::CloneClient county(ctx, options(d.console, signIn("zhang", "correct horse")), {});
  link::CloneClient streetOfficer(ctx, options(d.console, signIn("li", "street officer")), {});
  link::CloneClient streetKey(ctx, options(street, ""), {});
  wire::Query wangLogin;  // another county's officer cannot sign in here, so never gets a view
  wangLogin.mutable_login()->set_user("wang");
  wangLogin.mutable_login()->set_password("battery staple");
  wangRefused = errorOf(queries, "", wangLogin);
  auto readingsOf = [](const link::CloneClient &client) {
    std::set<std::string> out;
    for (const auto &[key, item] : client.state())
      if (key.starts_with("reading/")) out.insert(key);
    return out;
  };
  auto lastOf = [](const link::CloneClient &client) { return client.lastSequence(); };
  ASSERT_TRUE(waitUntil([&] { return readingsOf(county).size() == 3; }, 20000));
  // Updates keep coming (a reading every 10-50 ms); let each console take many.
  auto before = lastOf(streetOfficer);
  ASSERT_TRUE(waitUntil([&] { return lastOf(streetOfficer) > before + 50; }, 20000));
  EXPECT_EQ(readingsOf(county), (std::set<std::string>{"reading/g1", "reading/g2", "reading/far"}));
  EXPECT_EQ(readingsOf(streetOfficer), (std::set<std::string>{"reading/g1"}));
  EXPECT_EQ(readingsOf(streetKey), (std::set<std::string>{"reading/g1"}));
  EXPECT_EQ(streetOfficer.resyncs(), 0u) << "another street's readings are not a gap";
  EXPECT_EQ(streetKey.resyncs(), 0u);
  auto place = streetOfficer.state().at("reading/g1").region_path();
  ASSERT_EQ(place.size(), 4);
  EXPECT_EQ(place[3], g1Town);
  EXPECT_NE(wangRefused.find("jurisdiction 440106 is outside this console's region 440113"),
            std::string::npos)
      << wangRefused;
  EXPECT_EQ(ingest->stop(), 0);
  EXPECT_EQ(centre->stop(), 0) << centre->output();
}

// A duty officer opens a gauge's chart: its readings bucketed to the points
// asked for, with the station's 警戒 and 保证 levels, and a rain gauge's
// accumulations; an officer of another county may not read them.
TEST(CentreProcess, SensorChartsComeBucketedWithTheStationLevels) {
  Deployment d("series");
  writeFile(d.dir / "sensors.geojson", R"({"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"g1","name":"市桥水位站","kind":"water_level","thresholds":{"water_level":{"blue":1.2,"yellow":1.5,"orange":1.8,"red":2.1}}},"geometry":{"type":"Point","coordinates":[113.365,22.945]}},
{"type":"Feature","properties":{"id":"g2","name":"石楼雨量站","kind":"rainfall"},"geometry":{"type":"Point","coordinates":[113.49,22.95]}}]})");
  writeFile(d.dir / "centre.yaml",
            readFile((d.dir / "centre.yaml").string()) + "  sensors: [sensors.geojson]\n");
  auto centre = d.startCentre();
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000)) << centre->output();
  addUser(d, "zhang", "duty_officer", "440113", "correct horse");
  addUser(d, "wang", "duty_officer", "440106", "battery staple");
  auto ingest = d.startIngest();
  ASSERT_TRUE(d.waitCount("SELECT count(*) FROM readings WHERE sensor_id = 'g1'", 300, 30000))
      << centre->output();
  ASSERT_TRUE(d.waitCount("SELECT count(*) FROM readings WHERE sensor_id = 'g2'", 100, 30000));
  EXPECT_EQ(ingest->stop(), 0);

  zmq::context_t ctx(1);
  link::QueryClient client(ctx, "tcp://127.0.0.1:" + std::to_string(d.queries), d.centre.publicZ85,
                           d.console);
  auto signIn = [&](const std::string &user, const std::string &password) {
    wire::Query login;
    login.mutable_login()->set_user(user);
    login.mutable_login()->set_password(password);
    return ask(client, "", login).login().session();
  };
  auto zhang = signIn("zhang", "correct horse");
  wire::Query q;
  q.mutable_series()->set_sensor_id("g1");
  q.mutable_series()->set_max_points(20);
  // The last 40 seconds: the readings of this test spread over several buckets.
  q.mutable_series()->set_to_us(nowUs() + 1'000'000);
  q.mutable_series()->set_from_us(nowUs() - 40'000'000);
  auto level = ask(client, zhang, q).series();
  EXPECT_EQ(level.name(), "市桥水位站");
  EXPECT_EQ(level.quantity(), "water_level");
  EXPECT_EQ(level.unit(), "m");
  EXPECT_GE(level.points_size(), 2);
  EXPECT_LE(level.points_size(), 21) << "bucketed to the points asked for";
  EXPECT_EQ(static_cast<long>(level.readings()),
            d.query("SELECT count(*) FROM readings WHERE sensor_id = 'g1'"));
  for (int i = 1; i < level.points_size(); ++i)
    EXPECT_LT(level.points(i - 1).at_us(), level.points(i).at_us());
  ASSERT_TRUE(level.has_warning_level());
  EXPECT_DOUBLE_EQ(level.warning_level(), 1.5);
  ASSERT_TRUE(level.has_guaranteed_level());
  EXPECT_DOUBLE_EQ(level.guaranteed_level(), 2.1);
  q.mutable_series()->set_sensor_id("g2");
  q.mutable_series()->set_max_points(0);  // the default
  auto rain = ask(client, zhang, q).series();
  EXPECT_EQ(rain.quantity(), "rainfall");
  EXPECT_FALSE(rain.has_warning_level());
  double total = 0;
  for (const auto &p : rain.points()) total += p.value();
  EXPECT_NEAR(rain.rain_24h(),
              d.queryDouble("SELECT coalesce(sum(value), 0) FROM readings WHERE sensor_id = 'g2'"), 1e-9);
  EXPECT_NEAR(rain.rain_24h(), total, 1e-6) << "rainfall is summed, not averaged, per bucket";
  EXPECT_LE(rain.rain_1h(), rain.rain_3h());
  EXPECT_LE(rain.rain_3h(), rain.rain_24h());
  wire::Query wangLogin;  // another county's officer: not at this console
  wangLogin.mutable_login()->set_user("wang");
  wangLogin.mutable_login()->set_password("battery staple");
  EXPECT_NE(errorOf(client, "", wangLogin).find("outside this console's region"), std::string::npos);
  q.mutable_series()->set_sensor_id("nope'; DROP TABLE readings; --");
  EXPECT_NE(errorOf(client, zhang, q).find("no sensor"), std::string::npos);
  q.mutable_series()->set_sensor_id("g1");
  q.mutable_series()->set_from_us(2'000'000'000'000'000);
  q.mutable_series()->set_to_us(1'000'000'000'000'000);
  EXPECT_NE(errorOf(client, zhang, q).find("from_us must be before to_us"), std::string::npos);
  EXPECT_GT(d.query("SELECT count(*) FROM readings"), 0);
  EXPECT_EQ(centre->stop(), 0) << centre->output();
}

// A field agency on its phone or laptop: liandong-report raises an incident
// with a photo; the flood SOP tasks the agency, which acknowledges, reports
// progress and completes — every step a real process over CURVE.
TEST(CentreProcess, AFieldAgencyRaisesWithAPhotoAndWorksItsTasks) {
  Deployment d("fieldreport");
  auto text = readFile(d.dir / "centre.yaml");
  text +=
      "incidents:\n  sops:\n    - type: flood\n      steps:\n        - {text: 三防办到场处置, agency: "
      "flood_control}\n"
      "        - {text: 调取视频核实}\n";
  writeFile(d.dir / "centre.yaml", text);
  auto centre = d.startCentre();
  ASSERT_TRUE(centre->waitForOutput("ready:", 60000)) << centre->output();
  {
    pqxx::connection c(d.db);
    pqxx::work tx(c);
    tx.exec(
        "INSERT INTO agencies (id, name, kind, region_code) VALUES ('py-flood', '番禺区三防办', "
        "'flood_control', "
        "'440113')");
    tx.commit();
  }
  addUser(d, "flood1", "agency_operator", "440113", "flood password", "py-flood");
  writeFile(d.dir / "report.yaml", fmt::format(R"(report:
  id: console-t
  user: flood1
  keys: console.key
centre:
  query: tcp://127.0.0.1:{}
  public_key: '{}'
)",
                                               d.queries, d.centre.publicZ85));
  writeFile(d.dir / "photo.jpg", std::string("\xFF\xD8\xFF\xE0", 4) + std::string(5000, 'j'));
  writeFile(d.dir / "notes.txt", "not a photo");
  auto report = "cd " + d.dir.string() + " && LIANDONG_PASSWORD='flood password' " +
                d.bin("command-center/console/liandong-report") + " -c report.yaml ";
  auto raised =
      run(report + "raise --type flood --title 石楼镇水浸 --lat 22.95 --lon 113.49 --photo photo.jpg");
  EXPECT_NE(raised.find("raised: 石楼镇水浸, level IV, state reported"), std::string::npos) << raised;
  auto tasks = run(report + "tasks");
  EXPECT_NE(tasks.find("1 task(s)"), std::string::npos) << tasks;
  EXPECT_NE(tasks.find("三防办到场处置"), std::string::npos) << tasks;
  auto task = tasks.substr(0, tasks.find('\t'));
  EXPECT_NE(run(report + "ack " + task).find("acknowledged"), std::string::npos);
  EXPECT_NE(run(report + "progress " + task + " --percent 50 --text 抢险队已到场").find("in_progress (50%)"),
            std::string::npos);
  EXPECT_NE(run(report + "complete " + task + " --text 积水已排除").find("completed (100%)"),
            std::string::npos);
  EXPECT_NE(run(report + "incidents").find("1 incident(s)"), std::string::npos);

  // Refusals: one line naming the cause, a non-zero exit.
  auto wrong =
      run("cd " + d.dir.string() + " && LIANDONG_PASSWORD=guess " +
          d.bin("command-center/console/liandong-report") + " -c report.yaml tasks 2>&1; echo exit=$?");
  EXPECT_NE(wrong.find("wrong user name or password"), std::string::npos) << wrong;
  EXPECT_NE(wrong.find("exit=1"), std::string::npos) << wrong;
  auto notPhoto = run(
      report + "raise --type fire --title x --lat 22.95 --lon 113.49 --photo notes.txt 2>&1; echo exit=$?");
  EXPECT_NE(notPhoto.find("photo: not a JPEG image"), std::string::npos) << notPhoto;
  auto outside = run(report + "raise --type fire --title 北京 --lat 39.9 --lon 116.4 2>&1; echo exit=$?");
  EXPECT_NE(outside.find("outside every region this centre holds"), std::string::npos) << outside;
  auto noConfig =
      run(d.bin("command-center/console/liandong-report") + " -c /nonexistent.yaml tasks 2>&1; echo exit=$?");
  EXPECT_NE(noConfig.find("exit=2"), std::string::npos) << noConfig;

  EXPECT_EQ(centre->stop(), 0) << centre->output();
  EXPECT_EQ(d.query("SELECT count(*) FROM incident_attachments WHERE octet_length(data) = 5004"), 1);
  EXPECT_EQ(d.query("SELECT count(*) FROM task_receipts WHERE recipient = 'flood1' AND seen_at IS NOT NULL"),
            1);
  EXPECT_EQ(d.query("SELECT count(*) FROM sop_steps WHERE step = 1 AND done_by = 'flood1'"), 1);
}

namespace {
// One centre of a multi-tier test: a Deployment (its own database, ports and
// folder) whose centre.yaml is rewritten for its place in the hierarchy.
struct TierCentre {
  std::unique_ptr<Deployment> d;
  std::string id;
  CurveKeyPair keys;
  std::unique_ptr<Process> process;

  TierCentre(const std::string &db, const std::string &centreId)
      : d(std::make_unique<Deployment>(db)), id(centreId), keys(generateCurveKeyPair(centreId)) {
    writeCurveKeyFile(d->dir / "centre.key", keys);
    // The node of this deployment talks to this centre's key.
    auto node = readFile(d->dir / "node.yaml");
    node.replace(node.find(d->centre.publicZ85), d->centre.publicZ85.size(), keys.publicZ85);
    writeFile(d->dir / "node.yaml", node);
    d->centre = keys;
  }
  // tier, region, the admitted peers as {id, key, more} (more: e.g. "role: console"), and the
  // parent/children/incidents sections.
  void configure(const std::string &tier, const std::string &region,
                 const std::vector<std::tuple<std::string, std::string, std::string>> &admitted,
                 const std::string &rest) {
    std::string adm;
    for (const auto &[peer, key, more] : admitted)
      adm += fmt::format("  - {{id: {}, public_key: '{}'{}{}}}\n", peer, key, more.empty() ? "" : ", ", more);
    std::string geo = sourceDir() + "/configs/data/geo/";
    writeFile(d->dir / "centre.yaml", fmt::format(R"(centre:
  id: {}
  tier: {}
  region: "{}"
  intake: tcp://127.0.0.1:{}
  updates: tcp://127.0.0.1:{}
  snapshot: tcp://127.0.0.1:{}
  query: tcp://127.0.0.1:{}
  keys: centre.key
  status_interval_s: 5
database:
  conninfo: "{}"
admitted:
{}import:
  regions: [{}province-440000.geojson, {}cities-440000.geojson, {}counties-440100.geojson]
  cameras: [cameras.geojson]
{})",
                                                  id, tier, region, d->intake, d->updates, d->snapshot,
                                                  d->queries, d->db, adm, geo, geo, geo, rest));
  }
  std::string up(const TierCentre &parent, int port = 0) const {
    return fmt::format(
        "parent:\n  id: {}\n  endpoint: tcp://127.0.0.1:{}\n  public_key: '{}'\n"
        "  summary_interval_s: 5\n  outbox: {{dir: to-parent}}\n",
        parent.id, port ? port : parent.d->intake, parent.keys.publicZ85);
  }
  std::string down(const TierCentre &child) const {
    return fmt::format(
        "children:\n  - id: {}\n    endpoint: tcp://127.0.0.1:{}\n    public_key: '{}'\n"
        "    outbox: {{dir: to-{}}}\n",
        child.id, child.d->intake, child.keys.publicZ85, child.id);
  }
  void start() { process = d->startCentre(); }
  long query(const std::string &sql) { return d->query(sql); }
};

}  // namespace

// The four tiers with real processes: a street's flood alert becomes an
// incident at the street and at the district; the district raises it to
// level II, which hands the lead to the province and reaches the city and the
// province; a directive from the province comes back down to the street; and
// a 60-second cut of the district↔city link loses nothing.
TEST(CentreProcess, FourTiersAStreetAlertClimbsToTheProvinceAndADirectiveComesDown) {
  TierCentre town("fed4_town", "centre-town"), county("fed4_county", "centre-county"),
      city("fed4_city", "centre-city"), province("fed4_province", "centre-province");
  int proxyPort = nextPort();
  TcpProxy cut(proxyPort, city.d->intake);  // the district's WAN link to the city
  town.configure("town", "440113",
                 {{"node-t", town.d->node.publicZ85, "role: ingest"}, {county.id, county.keys.publicZ85, ""}},
                 town.up(county) + "incidents: {report_up_level: IV}\n");
  county.configure("county", "440113",
                   {{town.id, town.keys.publicZ85, "region: \"440113\""},
                    {city.id, city.keys.publicZ85, ""},
                    {"console-t", county.d->console.publicZ85, "role: console"}},
                   county.up(city, proxyPort) + county.down(town) + "incidents: {report_up_level: IV}\n");
  city.configure(
      "city", "440100",
      {{county.id, county.keys.publicZ85, "region: \"440113\""}, {province.id, province.keys.publicZ85, ""}},
      city.up(province) + city.down(county) + "incidents: {report_up_level: III}\n");
  province.configure("province", "440000",
                     {{city.id, city.keys.publicZ85, "region: \"440100\""},
                      {"console-t", province.d->console.publicZ85, "role: console"}},
                     province.down(city));
  // The street's gauge is always above its blue level: a level IV flood alert at once.
  writeFile(town.d->dir / "rules.yaml", R"(rules:
  - {id: street-level, name: 市桥街道水位, quantity: water_level, sensors: [g1], levels: {blue: -100}}
)");
  for (auto *c : {&province, &city, &county, &town}) c->start();
  for (auto *c : {&province, &city, &county, &town})
    ASSERT_TRUE(c->process->waitForOutput("ready:", 60000)) << c->process->output();
  auto node = town.d->startIngest();

  const std::string fromStreet = "SELECT count(*) FROM incidents WHERE origin_centre = 'centre-town'";
  ASSERT_TRUE(county.d->waitCount(fromStreet + " AND via_centre = 'centre-town' AND level = 4", 1, 30000))
      << town.process->output() << county.process->output();
  ASSERT_TRUE(city.d->waitCount(fromStreet + " AND level = 4", 1, 30000)) << city.process->output();
  EXPECT_EQ(town.query(fromStreet + " AND reported_by = 'alert:street-level' AND type = 'flood'"), 1);
  EXPECT_EQ(province.query("SELECT count(*) FROM incidents"), 0) << "level IV stays below the province";
  std::string id;
  {
    pqxx::connection c(county.d->db);
    pqxx::work tx(c);
    id = tx.exec1("SELECT id FROM incidents WHERE origin_centre = 'centre-town'")[0].as<std::string>();
  }

  // The district works the incident while its WAN link to the city is cut for
  // a minute: verified, responding, raised to level III (the city leads).
  addUser(*county.d, "chen", "duty_officer", "440113", "district officer");
  zmq::context_t ctx(1);
  link::QueryClient countyConsole(ctx, "tcp://127.0.0.1:" + std::to_string(county.d->queries),
                                  county.keys.publicZ85, county.d->console);
  auto countySession = signIn(countyConsole, "chen", "district officer");
  auto act = [&](const std::string &action, wire::ResponseLevel level = wire::LEVEL_NONE) {
    wire::Query q;
    q.mutable_act()->set_incident_id(id);
    q.mutable_act()->set_action(action);
    q.mutable_act()->set_level(level);
    q.mutable_act()->set_text("隧道积水，车辆被困");
    return ask(countyConsole, countySession, q).incident().incident();
  };
  auto version = [&](TierCentre &c) {
    return c.query("SELECT version FROM incidents WHERE id = '" + id + "'");
  };
  const std::string incident = "SELECT count(*) FROM incidents WHERE id = '" + id + "'";
  ASSERT_TRUE(city.d->waitCount(incident + " AND version = " + std::to_string(version(county)), 1, 10000));
  long before = version(county);
  cut.blackhole();
  int cutSeconds = std::getenv("LIANDONG_CUT_SECONDS") ? std::atoi(std::getenv("LIANDONG_CUT_SECONDS")) : 60;
  auto cutEnd = std::chrono::steady_clock::now() + std::chrono::seconds(cutSeconds);
  act("verify");
  act("respond");
  EXPECT_EQ(act("set_level", wire::LEVEL_III).lead_tier(), wire::TIER_CITY);
  std::this_thread::sleep_until(cutEnd);
  EXPECT_EQ(version(city), before) << "nothing crosses a cut link";
  cut.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  cut.restore();
  long after = version(county);
  EXPECT_EQ(after, before + 3);
  ASSERT_TRUE(city.d->waitCount(incident + " AND version = " + std::to_string(after) +
                                    " AND state = 'responding' AND level = 3 AND lead_tier = 'city'",
                                1, 60000))
      << county.process->output();
  // Every version made during the cut arrived at the city, in order.
  EXPECT_EQ(city.query("SELECT count(DISTINCT (detail->>'version')::int) FROM incident_timeline WHERE "
                       "incident_id = '" +
                       id + "' AND action = 'copy_updated' AND (detail->>'version')::int > " +
                       std::to_string(before)),
            after - before);
  // Level III meets the city's reporting threshold: the province has it now.
  ASSERT_TRUE(province.d->waitCount(incident + " AND level = 3", 1, 20000)) << city.process->output();

  // Raised to level II at the district: the province leads, every tier has it.
  EXPECT_EQ(act("set_level", wire::LEVEL_II).lead_tier(), wire::TIER_PROVINCE);
  const std::string atLevelII = incident + " AND level = 2 AND lead_tier = 'province'";
  for (auto *c : {&province, &city, &town})
    EXPECT_TRUE(c->d->waitCount(atLevelII, 1, 20000)) << c->id << "\n" << c->process->output();

  // The province's directive comes down three hops along the incident's path.
  addUser(*province.d, "gd", "leader", "440000", "province leader");
  link::QueryClient provinceConsole(ctx, "tcp://127.0.0.1:" + std::to_string(province.d->queries),
                                    province.keys.publicZ85, province.d->console);
  auto provinceSession = signIn(provinceConsole, "gd", "province leader");
  wire::Query directive;
  directive.mutable_directive()->set_to_centre("centre-town");
  directive.mutable_directive()->set_incident_id(id);
  directive.mutable_directive()->set_text("立即封闭环城路隧道，转移被困人员");
  ask(provinceConsole, provinceSession, directive);
  ASSERT_TRUE(
      town.d->waitCount("SELECT count(*) FROM events WHERE kind = 'directive' AND "
                        "payload->'directive'->>'text' = '立即封闭环城路隧道，转移被困人员' AND "
                        "payload->'directive'->>'issued_by' = 'gd'",
                        1, 30000))
      << province.process->output() << city.process->output() << county.process->output();
  EXPECT_TRUE(town.d->waitCount("SELECT count(*) FROM incident_timeline WHERE incident_id = '" + id +
                                    "' AND detail->>'text' LIKE '上级指令%立即封闭环城路隧道%'",
                                1, 10000));
  EXPECT_EQ(version(town), version(province)) << "a directive is local work: versions stay in step";

  EXPECT_EQ(node->stop(), 0);
  for (auto *c : {&town, &county, &city, &province}) EXPECT_EQ(c->process->stop(), 0) << c->process->output();
}

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new PgEnvironment);
  return RUN_ALL_TESTS();
}
