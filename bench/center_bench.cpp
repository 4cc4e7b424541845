// liandong-bench-center: the command centre under load, each figure against
// a baseline in the same run. Run by `scripts/bench center`, which starts the
// PostgreSQL cluster and passes its connection string.
//
//  (a) Alarm storm: N alerts (default 100,000) from 2,000 generated Panyu
//      sensors — episodes that repeat, escalate and clear, several incident
//      types — through IncidentDesk::onAlert (what the centre runs for each
//      stored alert) and through IncidentDesk::onAlerts in batches, with
//      correlation on, on a database with the real Guangdong regions and
//      Guangzhou's towns. Baseline: the same alerts stored without
//      correlation, one parameterised INSERT into `events` per alert and
//      transaction (as the intake stores events), and in batches. The four
//      paths take turns on slices of the storm.
//  (b) Town -> province through three hops: four real liandong-center
//      processes (town -> county -> city -> province), alerts injected at the
//      town through a link::Sender as an ingest node would, and the time until
//      the incident is on the province's console feed (link::CloneClient).
//      Baseline: the one hop to the county, from the same alerts.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "liandong/core/clock.h"
#include "liandong/core/curve_keys.h"
#include "liandong/core/errors.h"
#include "liandong/core/link/clone.h"
#include "liandong/core/link/sender.h"
#include "liandong/core/logging.h"
#include "liandong/mapping/assets.h"
#include "liandong/mapping/generator.h"
#include "liandong/mapping/migrations.h"
#include "liandong/mapping/regions.h"
#include "liandong/server/incidents.h"

using namespace liandong;
namespace fs = std::filesystem;

namespace {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

// The conninfo of database `name` in the cluster of `admin` (dbname=liandong).
std::string databaseOf(const std::string &admin, const std::string &name) {
  auto pos = admin.find("dbname=liandong");
  if (pos == std::string::npos) throw Error("--db: expected a connection string with dbname=liandong");
  return admin.substr(0, pos) + "dbname=" + name + admin.substr(pos + 15);
}

void copyDatabase(const std::string &admin, const std::string &from, const std::string &to) {
  pqxx::connection c(admin);
  pqxx::nontransaction tx(c);
  tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(to));
  tx.exec("CREATE DATABASE " + tx.quote_name(to) + " TEMPLATE " + tx.quote_name(from));
}

// The template every database of the run is copied from: the real Guangdong
// province, cities and counties, Guangzhou's towns with derived polygons, and
// Panyu's generated cameras and sensors.
void prepareTemplate(const std::string &admin, const fs::path &geo, int sensors, int cameras) {
  {
    pqxx::connection c(admin);
    pqxx::nontransaction tx(c);
    tx.exec("DROP DATABASE IF EXISTS center_base");
    tx.exec("CREATE DATABASE center_base");
  }
  pqxx::connection c(databaseOf(admin, "center_base"));
  {
    pqxx::nontransaction tx(c);
    tx.exec("CREATE EXTENSION IF NOT EXISTS postgis");
  }
  mapping::MigrationRunner(c).migrate();
  for (auto f : {"province-440000.geojson", "cities-440000.geojson", "counties-440000.geojson"}) {
    auto r = mapping::importRegionsGeoJson(c, geo / f);
    if (!r.errors.empty()) throw Error(fmt::format("{}: {}", f, r.errors.front()));
  }
  auto towns = mapping::importTownsCsv(c, geo / "towns-440100.csv");
  if (!towns.errors.empty()) throw Error("towns-440100.csv: " + towns.errors.front());
  int derived = mapping::deriveTownPolygons(c);
  mapping::GeneratorOptions go;
  go.sensors = static_cast<std::uint64_t>(sensors);
  go.cameras = static_cast<std::uint64_t>(cameras);
  go.within = "440113";
  auto g = mapping::generateAssets(c, go);
  pqxx::nontransaction tx(c);
  tx.exec("VACUUM ANALYZE");
  std::cerr << fmt::format(
      "center: template ready: {} towns with a polygon, {} sensors and {} cameras in Panyu\n", derived,
      g.sensors, g.cameras);
}

// --- (a) the alarm storm ---

struct Sensor {
  std::string id, quantity;
  double lon, lat;
  double weight;
};

// The quantity an alert of a sensor kind is about (its incident type follows
// from the desk's type map: flood, fire, rental_housing, other).
std::string quantityOf(const std::string &kind) {
  if (kind == "rainfall") return "rainfall_1h";
  if (kind == "tide") return "water_level";
  return kind;  // water_level, smoke, door, gas, temperature
}

// A storm over Panyu: every alert message of every sensor, in time order.
// Each sensor's weight (a long-tailed draw, flood gauges three times the
// others) sets how often it alerts; an alert episode opens yellow, repeats,
// escalates to orange and red (level III) and clears, then a new one may open.
std::vector<wire::Alert> makeStorm(const std::vector<Sensor> &sensors, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> weights;
  for (const auto &s : sensors) weights.push_back(s.weight);
  std::discrete_distribution<std::size_t> pick(weights.begin(), weights.end());
  std::uniform_real_distribution<double> u(0, 1);
  struct Episode {
    int number = 0;
    bool open = false;
    wire::WarningColour colour = wire::COLOUR_NONE;
    int messages = 0;
  };
  std::vector<Episode> episodes(sensors.size());
  std::vector<wire::Alert> out;
  out.reserve(n);
  auto onset = nowUs();
  while (out.size() < n) {
    auto i = pick(rng);
    const auto &s = sensors[i];
    auto &e = episodes[i];
    wire::Alert a;
    a.set_rule_id(s.quantity + "-threshold");
    a.set_source_id(s.id);
    a.set_quantity(s.quantity);
    a.set_longitude(s.lon);
    a.set_latitude(s.lat);
    a.set_onset_at_us(onset + static_cast<std::int64_t>(out.size()) * 1000);
    if (!e.open) {
      e = {e.number + 1, true, wire::COLOUR_YELLOW, 0};
    } else {
      double r = u(rng);
      if (e.messages >= 3 && r < 0.2) {
        a.set_cleared(true);
        e.open = false;
      } else if (r < 0.5 && e.colour < wire::COLOUR_RED) {
        e.colour = static_cast<wire::WarningColour>(e.colour + 1);
      }  // else a repeat of the same colour
    }
    ++e.messages;
    a.set_alert_id(fmt::format("{}:{}", s.id, e.number));
    a.set_colour(e.colour);
    a.set_suggested_level(e.colour == wire::COLOUR_RED ? wire::LEVEL_III : wire::LEVEL_IV);
    static const char *kColour[] = {"", "蓝色", "黄色", "橙色", "红色"};
    a.set_headline(fmt::format("{} {}预警", s.id, kColour[e.colour]));
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<Sensor> panyuSensors(const std::string &db, std::uint64_t seed) {
  pqxx::connection c(db);
  pqxx::work tx(c);
  std::vector<Sensor> out;
  for (const auto &row : tx.exec("SELECT s.id, s.kind, ST_X(s.geom), ST_Y(s.geom) FROM sensors s JOIN "
                                 "regions r ON r.code = s.region_code "
                                 "WHERE s.region_code = '440113' OR r.parent_code = '440113' ORDER BY s.id"))
    out.push_back({row[0].as<std::string>(), quantityOf(row[1].as<std::string>()), row[2].as<double>(),
                   row[3].as<double>(), 0});
  std::mt19937_64 rng(seed);
  std::vector<std::size_t> rank(out.size());
  for (std::size_t i = 0; i < rank.size(); ++i) rank[i] = i + 1;
  std::shuffle(rank.begin(), rank.end(), rng);
  for (std::size_t i = 0; i < out.size(); ++i) {
    bool flood = out[i].quantity == "water_level" || out[i].quantity == "rainfall_1h";
    out[i].weight = (flood ? 3.0 : 1.0) / std::pow(static_cast<double>(rank[i]), 0.8);
  }
  return out;
}

server::IncidentOptions stormOptions() {
  server::IncidentOptions o;
  o.centreId = "centre-440113";
  o.centreRegion = "440113";
  o.centreTier = "county";
  return o;  // correlation on: 2 km, 6 h (the defaults)
}

long count(const std::string &db, const std::string &sql) {
  pqxx::connection c(db);
  pqxx::work tx(c);
  return tx.exec1(sql)[0].as<long>();
}

// The baseline: each alert stored as the intake stores an event (its envelope
// as JSON, one parameterised INSERT into `events`), `perTx` per transaction.
class PlainStore {
public:
  explicit PlainStore(const std::string &db) : conn_(db) {
    conn_.prepare(
        "ins_event",
        "INSERT INTO events (sender_id, sequence, kind, sent_at, incident_id, region_code, payload) "
        "VALUES ($1, $2, $3, to_timestamp($4::double precision / 1e6), nullif($5, ''), nullif($6, ''), "
        "$7::jsonb) ON CONFLICT DO NOTHING RETURNING 1");
  }
  void store(const wire::Alert *alerts, std::size_t n, std::size_t perTx) {
    google::protobuf::util::JsonPrintOptions opts;
    opts.preserve_proto_field_names = true;
    for (std::size_t i = 0; i < n;) {
      pqxx::work tx(conn_);
      for (std::size_t end = std::min(n, i + perTx); i < end; ++i) {
        wire::Envelope env;
        env.set_sender_id("node-bench");
        env.set_sequence(++sequence_);
        env.set_sent_at_us(nowUs());
        env.set_kind(alerts[i].cleared() ? wire::KIND_CANCEL : wire::KIND_REPORT);
        *env.mutable_alert() = alerts[i];
        std::string json;
        if (!google::protobuf::util::MessageToJsonString(env, &json, opts).ok()) throw Error("alert as JSON");
        tx.exec_prepared("ins_event", env.sender_id(), static_cast<std::int64_t>(env.sequence()),
                         std::string("alert"), static_cast<double>(env.sent_at_us()), std::string(),
                         std::string("440113"), json);
      }
      tx.commit();
    }
  }
  std::uint64_t stored() const { return sequence_; }

private:
  pqxx::connection conn_;
  std::uint64_t sequence_ = 0;
};

// One path through the storm: its total time and per-call times.
struct Path {
  double seconds = 0;
  std::vector<double> sliceSeconds;  // one per turn
  std::vector<double> callsMs;
  std::size_t changes = 0;
  double rate(std::size_t n) const { return static_cast<double>(n) / seconds; }
};

template <typename F>
void timed(Path &p, F &&f) {
  auto t0 = nowUs();
  f();
  double secs = static_cast<double>(nowUs() - t0) / 1e6;
  p.seconds += secs;
  p.sliceSeconds.push_back(secs);
}

// The median over turns of path a's rate over path b's: a turn where a
// neighbour's load hit one path more than the other moves it little.
double medianRatio(const Path &a, const Path &b) {
  std::vector<double> ratios;
  for (std::size_t i = 0; i < a.sliceSeconds.size() && i < b.sliceSeconds.size(); ++i)
    ratios.push_back(b.sliceSeconds[i] / a.sliceSeconds[i]);
  return percentile(ratios, 0.5);
}

struct StormRun {
  Path plain, plainBatch, one, many;
  long incidents = 0, linked = 0, batchIncidents = 0, batchLinked = 0;
};

// The four paths take turns on slices of the storm, so a noisy minute on this
// shared machine (a neighbour's fsyncs) falls on all of them alike.
StormRun stormRun(const std::string &admin, const std::vector<wire::Alert> &alerts, std::size_t batch,
                  std::size_t slice) {
  StormRun r;
  PlainStore plain(databaseOf(admin, "storm_plain")), plainBatch(databaseOf(admin, "storm_plain_batch"));
  server::IncidentDesk one(databaseOf(admin, "storm_desk"), stormOptions());
  server::IncidentDesk many(databaseOf(admin, "storm_batch"), stormOptions());
  for (std::size_t at = 0; at < alerts.size(); at += slice) {
    std::size_t n = std::min(slice, alerts.size() - at);
    const auto *first = alerts.data() + at;
    timed(r.plain, [&] { plain.store(first, n, 1); });
    timed(r.plainBatch, [&] { plainBatch.store(first, n, batch); });
    timed(r.one, [&] {
      for (std::size_t i = 0; i < n; ++i) {
        auto c0 = nowUs();
        if (one.onAlert(first[i])) ++r.one.changes;
        r.one.callsMs.push_back(static_cast<double>(nowUs() - c0) / 1000.0);
      }
    });
    timed(r.many, [&] {
      for (std::size_t i = 0; i < n; i += batch) {
        std::vector<wire::Alert> part(first + i, first + std::min(n, i + batch));
        auto c0 = nowUs();
        r.many.changes += many.onAlerts(part).changes.size();
        r.many.callsMs.push_back(static_cast<double>(nowUs() - c0) / 1000.0);
      }
    });
    std::cerr << fmt::format(
        "  {} alerts: plain {:.0f}/s, plain batched {:.0f}/s, onAlert {:.0f}/s, onAlerts {:.0f}/s\n", at + n,
        r.plain.rate(at + n), r.plainBatch.rate(at + n), r.one.rate(at + n), r.many.rate(at + n));
  }
  if (plain.stored() != alerts.size() ||
      count(databaseOf(admin, "storm_plain"), "SELECT count(*) FROM events") !=
          static_cast<long>(alerts.size()))
    throw Error("baseline: stored count differs from the alerts sent");
  r.incidents = count(databaseOf(admin, "storm_desk"), "SELECT count(*) FROM incidents");
  r.linked = count(databaseOf(admin, "storm_desk"), "SELECT count(*) FROM incident_alerts");
  r.batchIncidents = count(databaseOf(admin, "storm_batch"), "SELECT count(*) FROM incidents");
  r.batchLinked = count(databaseOf(admin, "storm_batch"), "SELECT count(*) FROM incident_alerts");
  return r;
}

// --- (b) four centres, three hops ---

int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw Error("socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) != 0) {
    ::close(fd);
    throw Error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

// A liandong-center process of ours: started with its log in a file, stopped
// with SIGTERM (SIGKILL after 10 s) when it goes.
class CentreProcess {
public:
  CentreProcess(const std::string &bin, const fs::path &config, const fs::path &log) : log_(log) {
    pid_ = ::fork();
    if (pid_ < 0) throw Error("fork failed");
    if (pid_ == 0) {
      if (!std::freopen(log.c_str(), "w", stdout) || !std::freopen(log.c_str(), "a", stderr)) ::_exit(127);
      ::execl(bin.c_str(), bin.c_str(), "-c", config.c_str(), static_cast<char *>(nullptr));
      ::_exit(127);
    }
  }
  ~CentreProcess() { stop(); }
  CentreProcess(const CentreProcess &) = delete;
  CentreProcess &operator=(const CentreProcess &) = delete;

  std::string output() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  bool waitReady(int timeoutMs) const {
    auto end = steadyMs() + timeoutMs;
    while (steadyMs() < end) {
      if (output().find("ready:") != std::string::npos) return true;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  int stop() {
    if (pid_ <= 0) return status_;
    ::kill(pid_, SIGTERM);
    auto end = steadyMs() + 10000;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (steadyMs() > end) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    pid_ = -1;
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return status_;
  }

private:
  fs::path log_;
  pid_t pid_ = -1;
  int status_ = 0;
};

struct Tier {
  std::string id, tier, region, db;
  CurveKeyPair keys;
  int intake = 0, updates = 0, snapshot = 0;
  fs::path dir;
};

std::string centreYaml(const Tier &t, const Tier *parent, const Tier *child, const CurveKeyPair &node,
                       const CurveKeyPair &console) {
  std::string admitted =
      fmt::format("  - {{id: {}, public_key: '{}', role: console}}\n", console.id, console.publicZ85);
  if (child)
    admitted += fmt::format("  - {{id: {}, public_key: '{}', role: child, region: \"{}\"}}\n", child->id,
                            child->keys.publicZ85, child->region);
  else
    admitted += fmt::format("  - {{id: {}, public_key: '{}', role: ingest}}\n", node.id, node.publicZ85);
  if (parent)
    admitted += fmt::format("  - {{id: {}, public_key: '{}'}}\n", parent->id, parent->keys.publicZ85);
  auto y = fmt::format(R"(centre:
  id: {}
  tier: {}
  region: "{}"
  intake: tcp://127.0.0.1:{}
  updates: tcp://127.0.0.1:{}
  snapshot: tcp://127.0.0.1:{}
  keys: {}
  status_interval_s: 60
database:
  conninfo: "{}"
admitted:
{}incidents:
  # Every benchmark alert is at its own place and must open its own incident.
  correlate_radius_m: 0
logging:
  level: info
)",
                       t.id, t.tier, t.region, t.intake, t.updates, t.snapshot,
                       (t.dir / "centre.key").string(), t.db, admitted);
  if (parent)
    y += fmt::format(
        "parent:\n  id: {}\n  endpoint: tcp://127.0.0.1:{}\n  public_key: '{}'\n"
        "  summary_interval_s: 60\n  outbox: {{dir: {}}}\n",
        parent->id, parent->intake, parent->keys.publicZ85, (t.dir / "to-parent").string());
  if (child)
    y += fmt::format(
        "children:\n  - id: {}\n    endpoint: tcp://127.0.0.1:{}\n    public_key: '{}'\n"
        "    outbox: {{dir: {}}}\n",
        child->id, child->intake, child->keys.publicZ85, (t.dir / "to-child").string());
  return y;
}

// When each benchmark incident (by title) was first seen on a centre's feed.
class Watch {
public:
  Watch(zmq::context_t &ctx, const Tier &t, const CurveKeyPair &console) {
    link::CloneClientOptions o;
    o.updatesEndpoint = fmt::format("tcp://127.0.0.1:{}", t.updates);
    o.snapshotEndpoint = fmt::format("tcp://127.0.0.1:{}", t.snapshot);
    o.serverPublicZ85 = t.keys.publicZ85;
    o.keys = console;
    link::CloneClient::Callbacks cb;
    cb.onUpdate = [this](const wire::StateUpdate &u) { seen(u); };
    cb.onSnapshot = [this](const std::map<std::string, wire::StateUpdate> &items) {
      for (const auto &[key, u] : items) seen(u);
    };
    client_ = std::make_unique<link::CloneClient>(ctx, o, cb);
  }
  std::optional<std::int64_t> at(const std::string &title) const {
    std::lock_guard lock(m_);
    auto it = seen_.find(title);
    if (it == seen_.end()) return std::nullopt;
    return it->second;
  }
  std::size_t size() const {
    std::lock_guard lock(m_);
    return seen_.size();
  }

private:
  void seen(const wire::StateUpdate &u) {
    if (u.what() != "incident" || !u.source().has_incident_report()) return;
    auto now = nowUs();
    std::lock_guard lock(m_);
    seen_.emplace(u.source().incident_report().title(), now);
  }
  mutable std::mutex m_;
  std::map<std::string, std::int64_t> seen_;
  std::unique_ptr<link::CloneClient> client_;
};

struct ChainRun {
  std::vector<double> toProvince, toCounty;
  std::size_t sent = 0;
  long provinceIncidents = 0;
};

ChainRun chainRun(const std::string &admin, const std::string &bin, const fs::path &tmp, int alerts,
                  double rate) {
  fs::remove_all(tmp / "chain");
  std::vector<Tier> tiers = {{"centre-440113105", "town", "440113105", "", {}, 0, 0, 0, {}},
                             {"centre-440113", "county", "440113", "", {}, 0, 0, 0, {}},
                             {"centre-440100", "city", "440100", "", {}, 0, 0, 0, {}},
                             {"centre-440000", "province", "440000", "", {}, 0, 0, 0, {}}};
  auto node = generateCurveKeyPair("node-bench");
  auto console = generateCurveKeyPair("console-bench");
  for (auto &t : tiers) {
    t.db = databaseOf(admin, "chain_" + t.tier);
    copyDatabase(admin, "center_base", "chain_" + t.tier);
    t.keys = generateCurveKeyPair(t.id);
    t.intake = freePort();
    t.updates = freePort();
    t.snapshot = freePort();
    t.dir = tmp / "chain" / t.tier;
    fs::create_directories(t.dir);
    writeCurveKeyFile(t.dir / "centre.key", t.keys);
  }
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    const Tier *child = i > 0 ? &tiers[i - 1] : nullptr;
    const Tier *parent = i + 1 < tiers.size() ? &tiers[i + 1] : nullptr;
    std::ofstream(tiers[i].dir / "centre.yaml") << centreYaml(tiers[i], parent, child, node, console);
  }
  // Places in 石楼镇, the town centre's town, one per alert.
  std::vector<std::pair<double, double>> places;
  {
    pqxx::connection c(tiers[0].db);
    pqxx::work tx(c);
    for (const auto &row :
         tx.exec_params("SELECT ST_X(p.geom), ST_Y(p.geom) FROM regions r, "
                        "ST_Dump(ST_GeneratePoints(r.geom, $1, 7)) p WHERE r.code = '440113105'",
                        alerts + 1))
      places.emplace_back(row[0].as<double>(), row[1].as<double>());
  }
  if (places.size() < static_cast<std::size_t>(alerts + 1)) throw Error("no polygon for town 440113105");

  // Parents first, so each child's link finds its parent listening.
  std::vector<std::unique_ptr<CentreProcess>> procs;
  for (auto it = tiers.rbegin(); it != tiers.rend(); ++it) {
    procs.push_back(std::make_unique<CentreProcess>(bin, it->dir / "centre.yaml", it->dir / "centre.log"));
    if (!procs.back()->waitReady(120000))
      throw Error(fmt::format("{} did not start: {}", it->id, procs.back()->output()));
  }
  zmq::context_t ctx(1);
  Watch province(ctx, tiers[3], console), county(ctx, tiers[1], console);
  link::OutboxOptions oo;
  oo.dir = tmp / "chain" / "node-outbox";
  link::Outbox outbox(oo);
  link::SenderOptions so;
  so.senderId = node.id;
  so.tier = wire::TIER_TOWN;
  so.region = "440113105";
  so.endpoint = fmt::format("tcp://127.0.0.1:{}", tiers[0].intake);
  so.serverPublicZ85 = tiers[0].keys.publicZ85;
  so.keys = node;
  link::Sender sender(ctx, so, outbox);
  auto alertAt = [&](int i) {
    wire::Envelope env;
    env.set_kind(wire::KIND_REPORT);
    auto [lon, lat] = places[static_cast<std::size_t>(i + 1)];
    env.mutable_target_area()->set_longitude(lon);
    env.mutable_target_area()->set_latitude(lat);
    auto *a = env.mutable_alert();
    a->set_alert_id(fmt::format("bench-{}-{}", nowUs(), i));
    a->set_rule_id("water_level-threshold");
    a->set_source_id(fmt::format("gauge-{}", i));
    a->set_quantity("water_level");
    a->set_colour(wire::COLOUR_ORANGE);
    a->set_suggested_level(wire::LEVEL_IV);
    a->set_headline(fmt::format("bench-latency-{}", i));
    a->set_longitude(lon);
    a->set_latitude(lat);
    a->set_onset_at_us(nowUs());
    return env;
  };
  // A first alert opens every link on the way up (and is not measured).
  sender.publish(alertAt(-1));
  auto warm = steadyMs();
  while (!province.at("bench-latency--1")) {
    if (steadyMs() - warm > 60000) {
      std::string logs;
      for (auto &p : procs) logs += p->output();
      throw Error("the first alert did not reach the province in 60 s:\n" + logs);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::cerr << fmt::format("center: chain up; first alert at the province after {} ms\n", steadyMs() - warm);

  ChainRun r;
  std::vector<std::int64_t> sentAt(static_cast<std::size_t>(alerts));
  auto start = nowUs();
  for (int i = 0; i < alerts; ++i) {
    auto due = start + static_cast<std::int64_t>(static_cast<double>(i) * 1e6 / rate);
    if (auto now = nowUs(); due > now) std::this_thread::sleep_for(std::chrono::microseconds(due - now));
    auto env = alertAt(i);
    sentAt[static_cast<std::size_t>(i)] = nowUs();
    sender.publish(std::move(env));
  }
  r.sent = static_cast<std::size_t>(alerts);
  auto end = steadyMs() + 60000;
  while (province.size() < r.sent + 1 && steadyMs() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (int i = 0; i < alerts; ++i) {
    auto title = fmt::format("bench-latency-{}", i);
    auto s = sentAt[static_cast<std::size_t>(i)];
    if (auto p = province.at(title)) r.toProvince.push_back(static_cast<double>(*p - s) / 1000.0);
    if (auto c = county.at(title)) r.toCounty.push_back(static_cast<double>(*c - s) / 1000.0);
  }
  r.provinceIncidents =
      count(tiers[3].db, "SELECT count(*) FROM incidents WHERE title LIKE 'bench-latency-%'");
  for (auto &p : procs)
    if (int code = p->stop(); code != 0) std::cerr << fmt::format("center: a centre exited with {}\n", code);
  return r;
}

}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"Liandong command centre benchmark"};
  std::string db, out, centreBin, geo;
  std::string tmp = "/tmp/liandong-bench-center";
  std::size_t alerts = 100000, batch = 500, slice = 5000;
  int sensors = 2000, cameras = 3000, latencyAlerts = 200;
  double rate = 10;
  bool skipStorm = false, skipChain = false;
  app.add_option("--db", db, "libpq connection string of the cluster's database liandong")->required();
  app.add_option("--center", centreBin, "the liandong-center executable")->required();
  app.add_option("--geo", geo, "configs/data/geo")->required();
  app.add_option("--alerts", alerts, "alerts in the storm");
  app.add_option("--batch", batch, "alerts per IncidentDesk::onAlerts call");
  app.add_option("--slice", slice, "alerts per turn of each path (they take turns)");
  app.add_option("--sensors", sensors, "sensors generated in Panyu");
  app.add_option("--cameras", cameras, "cameras generated in Panyu");
  app.add_option("--latency-alerts", latencyAlerts, "alerts sent through the four centres");
  app.add_option("--rate", rate, "alerts per second sent through the four centres");
  app.add_option("--tmp", tmp, "scratch folder (keys, configurations, outboxes, logs)");
  app.add_option("--json", out, "write results here");
  app.add_flag("--skip-storm", skipStorm, "only the four-centre latency");
  app.add_flag("--skip-chain", skipChain, "only the alarm storm");
  CLI11_PARSE(app, argc, argv);
  logging::setup("warn", "bench");
  try {
    prepareTemplate(db, geo, sensors, cameras);
    nlohmann::json j;
    if (!skipStorm) {
      copyDatabase(db, "center_base", "storm_plain");
      copyDatabase(db, "center_base", "storm_plain_batch");
      copyDatabase(db, "center_base", "storm_desk");
      copyDatabase(db, "center_base", "storm_batch");
      auto sensorList = panyuSensors(databaseOf(db, "storm_desk"), 1);
      auto storm = makeStorm(sensorList, alerts, 1);
      std::map<std::string, int> quantities;
      std::size_t cleared = 0;
      for (const auto &a : storm) {
        ++quantities[a.quantity()];
        cleared += a.cleared();
      }
      j["alerts"] = storm.size();
      j["sensors"] = sensorList.size();
      j["alerts_by_quantity"] = quantities;
      j["alert_messages_cleared"] = cleared;
      std::cerr << fmt::format(
          "center: storm of {} alerts from {} sensors; four paths take turns, {} alerts each\n", storm.size(),
          sensorList.size(), slice);
      auto r = stormRun(db, storm, batch, slice);
      auto n = storm.size();
      j["alerts_per_s"] = r.one.rate(n);
      j["incidents_created"] = r.incidents;
      j["incidents_per_s"] = static_cast<double>(r.incidents) / r.one.seconds;
      j["alerts_linked"] = r.linked;
      j["incident_changes"] = r.one.changes;
      j["onalert_p50_ms"] = percentile(r.one.callsMs, 0.5);
      j["onalert_p99_ms"] = percentile(r.one.callsMs, 0.99);
      j["baseline_alerts_per_s"] = r.plain.rate(n);
      j["ratio_vs_baseline"] = r.one.rate(n) / r.plain.rate(n);
      j["ratio_vs_baseline_median_of_turns"] = medianRatio(r.one, r.plain);
      j["batch_size"] = batch;
      j["batch_alerts_per_s"] = r.many.rate(n);
      j["batch_incidents_created"] = r.batchIncidents;
      j["batch_alerts_linked"] = r.batchLinked;
      j["batch_incident_changes"] = r.many.changes;
      j["batch_call_p50_ms"] = percentile(r.many.callsMs, 0.5);
      j["batch_call_p99_ms"] = percentile(r.many.callsMs, 0.99);
      j["baseline_batch_alerts_per_s"] = r.plainBatch.rate(n);
      j["batch_ratio_vs_baseline_batch"] = r.many.rate(n) / r.plainBatch.rate(n);
      j["batch_ratio_vs_baseline_batch_median_of_turns"] = medianRatio(r.many, r.plainBatch);
      j["batch_ratio_vs_baseline"] = r.many.rate(n) / r.plain.rate(n);
      j["batch_speedup_vs_onalert"] = r.many.rate(n) / r.one.rate(n);
      j["batch_speedup_vs_onalert_median_of_turns"] = medianRatio(r.many, r.one);
      j["batch_same_incidents"] = r.batchIncidents == r.incidents && r.batchLinked == r.linked;
    }
    if (!skipChain) {
      std::cerr << fmt::format("center: four centres, {} alerts at {}/s from the town\n", latencyAlerts,
                               rate);
      auto c = chainRun(db, centreBin, tmp, latencyAlerts, rate);
      j["latency_alerts_sent"] = c.sent;
      j["latency_alerts_at_province"] = c.toProvince.size();
      j["latency_alerts_at_county"] = c.toCounty.size();
      j["province_incidents"] = c.provinceIncidents;
      j["town_to_province_p50_ms"] = percentile(c.toProvince, 0.5);
      j["town_to_province_p99_ms"] = percentile(c.toProvince, 0.99);
      j["town_to_province_max_ms"] = percentile(c.toProvince, 1.0);
      j["town_to_county_p50_ms"] = percentile(c.toCounty, 0.5);
      j["town_to_county_p99_ms"] = percentile(c.toCounty, 0.99);
      j["latency_rate_per_s"] = rate;
      if (!c.toCounty.empty() && percentile(c.toCounty, 0.5) > 0)
        j["province_over_county_p50"] = percentile(c.toProvince, 0.5) / percentile(c.toCounty, 0.5);
      if (c.toProvince.size() != c.sent) throw Error("not every alert's incident reached the province");
    }
    if (!out.empty()) std::ofstream(out) << j.dump(2) << "\n";
    std::cout << j.dump(2) << std::endl;
    return 0;
  } catch (const std::exception &e) {
    std::cerr << "liandong-bench-center: " << e.what() << "\n";
    return 1;
  }
}
