// The command centre facade (see centre.h): database preparation, the
// intake (each stored message to the incident desk, the centre's own rules,
// CAP messages), the console fan-out, and the serving loop; it wires these to
// the query API (query_api.h), the federation (federation.h), the incident
// desk (incidents.h) and the sessions (sessions.h).
#include "liandong/server/centre.h"

#include <deque>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <pqxx/pqxx>
#include <zmq.hpp>

#include "console_views.h"
#include "federation.h"
#include "intake_gate.h"
#include "liandong/alerts/cap.h"
#include "liandong/alerts/rules.h"
#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "liandong/core/link/clone.h"
#include "liandong/core/link/query.h"
#include "liandong/core/link/receiver.h"
#include "liandong/core/link/security.h"
#include "liandong/core/link/sender.h"
#include "liandong/core/logging.h"
#include "liandong/core/text.h"
#include "liandong/mapping/assets.h"
#include "liandong/mapping/migrations.h"
#include "liandong/mapping/partitions.h"
#include "liandong/mapping/region_index.h"
#include "liandong/mapping/regions.h"
#include "liandong/server/incidents.h"
#include "liandong/server/pg_intake_store.h"
#include "query_api.h"
#include "refusal_audit.h"
#include "sessions.h"

namespace liandong::server {

namespace {

void maintainPartitions(pqxx::connection &conn, const std::shared_ptr<spdlog::logger> &log) {
  auto r = mapping::maintainPartitions(conn);
  for (const auto &p : r.created) log->info("partition {} created", p);
  for (const auto &p : r.dropped) log->info("partition {} dropped (older than the retention period)", p);
}

std::map<std::string, std::string> prepareDatabase(const CentreConfig &config,
                                                   const std::shared_ptr<spdlog::logger> &log) {
  pqxx::connection conn(config.conninfo);
  mapping::MigrationRunner migrations(conn);
  auto applied = migrations.migrate();
  log->info("database schema up to date ({} migrations applied now)", applied);
  for (const auto &p : config.partitionPolicies) mapping::setPartitionPolicy(conn, p);
  maintainPartitions(conn, log);
  pqxx::work tx(conn);
  auto count = tx.exec1("SELECT count(*) FROM regions")[0].as<long>();
  tx.commit();
  if (count == 0) {
    for (const auto &file : config.importRegions) {
      auto report = mapping::importRegionsGeoJson(conn, file, false);
      log->info("imported {}: {} regions ({} repaired)", file.filename().string(),
                report.inserted + report.updated, report.repaired);
      for (const auto &e : report.errors) log->warn("{}", e);
    }
    for (const auto &file : config.importTowns) {
      auto report = mapping::importTownsCsv(conn, file);
      log->info("imported {}: {} towns", file.filename().string(), report.inserted + report.updated);
      for (const auto &e : report.errors) log->warn("{}", e);
    }
    if (!config.importTowns.empty())
      log->info("{} towns got an approximate polygon", mapping::deriveTownPolygons(conn));
    for (const auto &[kind, files] : config.importAssets)
      for (const auto &file : files) {
        auto report = mapping::importAssetsGeoJson(conn, kind, file);
        log->info("imported {}: {} {} ({} outside every region)", file.filename().string(),
                  report.inserted + report.updated, mapping::assetTable(kind), report.outside);
        for (const auto &e : report.errors) log->warn("{}", e);
      }
  } else {
    log->info("{} regions already in the database; import skipped", count);
  }
  std::map<std::string, std::string> names;
  pqxx::work tx2(conn);
  for (const auto &row : tx2.exec("SELECT code, name FROM regions")) names[row[0].c_str()] = row[1].c_str();
  return names;
}

// Throws a one-line StorageError naming the (redacted) connection string.
std::map<std::string, std::string> prepareDatabaseOrThrow(const CentreConfig &config,
                                                          const std::shared_ptr<spdlog::logger> &log) {
  try {
    return prepareDatabase(config, log);
  } catch (const pqxx::broken_connection &e) {
    std::string msg = e.what();
    if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    throw StorageError("cannot connect to PostgreSQL (" + redactConninfo(config.conninfo) + "): " + msg);
  }
}

IncidentOptions incidentOptions(const CentreConfig &config) {
  IncidentOptions o;
  o.centreId = config.id;
  o.centreRegion = config.region;
  o.centreTier = config.tier == wire::TIER_PROVINCE ? "province"
                 : config.tier == wire::TIER_CITY   ? "city"
                 : config.tier == wire::TIER_TOWN   ? "town"
                                                    : "county";
  o.lead = config.incidents.lead;
  for (const auto &[quantity, type] : config.incidents.types) o.types.set(quantity, type);
  o.correlateRadiusM = config.incidents.correlateRadiusM;
  o.correlateWindowS = config.incidents.correlateWindowS;
  o.camerasLinked = config.incidents.camerasLinked;
  o.ackMinutes = config.incidents.ackMinutes;
  o.sessionTtlS = config.incidents.sessionTtlS;
  o.sops = config.incidents.sops;
  o.sitreps = config.incidents.sitreps;
  return o;
}

link::CloneServerOptions cloneOptions(
    const CentreConfig &config,
    std::function<link::CloneAccess(const std::string &, const wire::SnapshotRequest &)> admit) {
  link::CloneServerOptions co;
  co.id = config.id;
  co.updatesEndpoint = config.updatesEndpoint;
  co.snapshotEndpoint = config.snapshotEndpoint;
  co.keys = config.keys;
  co.admit = std::move(admit);
  return co;
}

// Where a message happened, when it says.
std::optional<std::pair<double, double>> pointOf(const wire::Envelope &env) {
  if (env.has_reading()) return std::pair{env.reading().longitude(), env.reading().latitude()};
  if (env.has_alert()) return std::pair{env.alert().longitude(), env.alert().latitude()};
  if (env.has_target_area() && (env.target_area().longitude() != 0 || env.target_area().latitude() != 0))
    return std::pair{env.target_area().longitude(), env.target_area().latitude()};
  return std::nullopt;
}

}  // namespace

// Members are declared in the order they must be built; they are destroyed
// in reverse (the query server first, the ZeroMQ context last).
struct Centre::Impl {
  explicit Impl(CentreConfig c)
      : config(std::move(c)),
        log(logging::get("center")),
        regionNames(prepareDatabaseOrThrow(config, log)),
        context(1),
        zap(context, config.admitted),
        // Consoles are admitted from the main loop (clone.poll), once `views` exists.
        clone(context, cloneOptions(config,
                                    [this](const std::string &key, const wire::SnapshotRequest &r) {
                                      auto access = views->access(key, r);
                                      if (!access.refused.empty())
                                        refusals->record(key, "", "snapshot", access.refused);
                                      return access;
                                    })),
        store(config.conninfo, [this](const StoredItem &item) { onStored(item); }) {
    desk = std::make_unique<IncidentDesk>(config.conninfo, incidentOptions(config));
    refusals = std::make_unique<RefusalAudit>(config.conninfo);
    gate = std::make_unique<IntakeGate>(config);
    store.setGate([this](const link::IncomingMessage &m) {
      auto why = gate->check(m.peerId, m.envelope);
      if (why) refusals->record(m.peerId, "", "intake", *why);
      return why;
    });
    federation = std::make_unique<Federation>(config, context, *desk);
    sessions = std::make_unique<Sessions>(config.conninfo, config.incidents.sessionTtlS);
    views = std::make_unique<ConsoleViews>(config, *desk, *sessions);
    for (auto &u : store.loadState()) {
      u.set_region_name(regionName(u.region_code()));
      auto point = pointOf(u.source());
      show(std::move(u), point);
    }
    for (auto &inc : desk->list(Actor::system("startup"), false, 1000)) tellConsoles(inc);
    if (!config.queryEndpoint.empty()) {
      // Changes made by queries are published from the main loop (drainPending).
      queryApi = std::make_unique<QueryApi>(config, *desk, *sessions, *federation, *refusals,
                                            [this](IncidentChange change) {
                                              std::lock_guard lock(pendingMutex);
                                              pending.push_back(std::move(change));
                                            });
      queries =
          std::make_unique<link::QueryServer>(context, config.queryEndpoint, config.keys,
                                              [this](const std::string &peer, const wire::Query &q,
                                                     wire::QueryReply &r) { queryApi->answer(peer, q, r); });
    }
    link::ReceiverOptions ro;
    ro.endpoint = config.intakeEndpoint;
    ro.keys = config.keys;
    ro.id = config.id;
    receiver = std::make_unique<link::Receiver>(
        context, ro, store, [this](const std::string &peer, link::PeerState state) { onPeer(peer, state); });
  }

  // An incident as it now stands, to the consoles (state key incident/<id>).
  void tellConsoles(const wire::IncidentReport &inc) {
    wire::StateUpdate u;
    u.set_what("incident");
    u.set_key("incident/" + inc.incident_id());
    auto *env = u.mutable_source();
    env->set_sender_id(config.id);
    env->set_kind(wire::KIND_UPDATE);
    env->set_sent_at_us(inc.updated_at_us());
    env->set_incident_id(inc.incident_id());
    *env->mutable_incident_report() = inc;
    env->mutable_incident_report()->clear_photo();
    // Consoles filter by county; an incident outside every county stays with the centre's region.
    std::string county = inc.region_codes_size() >= 3 ? inc.region_codes(2) : config.region;
    u.set_region_code(county);
    u.set_region_name(regionName(county));
    for (const auto &code : inc.region_codes()) u.add_region_path(code);
    show(std::move(u));
  }

  // To the consoles that may see it (ConsoleViews), placed at the finest tier.
  void show(wire::StateUpdate u, std::optional<std::pair<double, double>> point = std::nullopt) {
    views->place(u, point);
    clone.publish(std::move(u));
  }

  // After a change: consoles see it at once; the federation passes it up and
  // down. `cameFrom` is the peer whose message caused it.
  void publishIncident(const IncidentChange &change, const std::string &cameFrom, bool forceUp = false) {
    tellConsoles(change.incident);
    federation->shareIncident(change, cameFrom, forceUp);
  }

  // Overdue tasks and situation reports (main thread, every 2 s).
  void checkDeadlines() {
    try {
      for (auto &e : desk->checkDeadlines()) {
        log->warn("incident {}: {}", e.change.incident.incident_id(), e.change.incident.change());
        publishIncident(e.change, "", e.toParent);
        if (e.alert) {
          // To the consoles; the parent hears of it through the incident's copy.
          wire::StateUpdate u;
          u.set_what("alert");
          u.set_key("alert/" + e.alert->alert_id());
          auto *env = u.mutable_source();
          env->set_sender_id(config.id);
          env->set_kind(wire::KIND_REPORT);
          env->set_incident_id(e.change.incident.incident_id());
          *env->mutable_alert() = *e.alert;
          const auto &codes = e.change.incident.region_codes();
          u.set_region_code(codes.size() >= 3 ? codes[2] : config.region);
          u.set_region_name(regionName(u.region_code()));
          for (const auto &code : codes) u.add_region_path(code);
          show(std::move(u));
        }
      }
    } catch (const std::exception &e) {
      log->warn("deadline check failed, retrying: {}", firstLine(e.what()));
    }
  }

  // Incident changes made on the query thread, published from the main loop.
  void drainPending() {
    std::deque<IncidentChange> batch;
    {
      std::lock_guard lock(pendingMutex);
      batch.swap(pending);
    }
    for (const auto &c : batch) publishIncident(c, "");
    federation->sendQueued();
  }

  std::string regionName(const std::string &code) const {
    auto it = regionNames.find(code);
    return it == regionNames.end() ? std::string() : it->second;
  }

  // After each commit (receiver thread): the incident desk, the federation,
  // then the consoles.
  void onStored(const StoredItem &item) {
    const auto &src = item.message->envelope;
    // Alerts reach the incident desk in batches (flushAlerts, after each
    // poll of the intake): an alarm storm is one transaction per batch.
    if (src.has_alert()) alertBatch.push_back(src);
    if (src.has_reading()) runRules(src.reading(), item.regionCode);
    try {
      std::optional<IncidentChange> change;
      if (src.has_incident_report())
        change = desk->onReport(src.incident_report(), src.sender_id(), federation->fromParent(src));
      if (change) {
        log->info("incident {} {} (report from {})", change->incident.incident_id(),
                  change->incident.change(), src.sender_id());
        publishIncident(*change, src.sender_id());
      }
    } catch (const std::exception &e) {
      // Stored already; the message is on record in `events` even if it
      // could not become (part of) an incident.
      log->warn("message {}:{} from {} did not reach the incident desk: {}", src.sender_id(), src.sequence(),
                src.sender_id(), firstLine(e.what()));
    }
    // Alerts go up from flushAlerts(), with the incident each joined.
    if (auto change = federation->onDirective(src)) publishIncident(*change, src.sender_id());
    if (src.has_alert()) makeCap(src.alert());
    if (src.has_incident_report()) return;  // consoles got the incident as it now stands
    wire::StateUpdate u;
    u.set_what(stateKind(src));
    u.set_key(stateKey(src));
    *u.mutable_source() = src;
    u.set_region_code(item.regionCode);
    u.set_region_name(regionName(item.regionCode));
    show(std::move(u), pointOf(src));
  }

  // The centre's own rules on a stored reading: each alert change is stored
  // (unsequenced, from this centre), shown, and goes through the incident
  // desk and up like an alert from a node.
  void runRules(const wire::Reading &reading, const std::string &regionCode) {
    if (engine.ruleCount() == 0) return;
    for (auto &c : engine.onReading(reading)) {
      wire::Envelope env;
      env.set_sender_id(config.id);
      env.set_sender_tier(config.tier);
      env.set_sender_region(config.region);
      env.set_sent_at_us(nowUs());
      env.set_kind(c.what == alerts::AlertChange::What::Raised    ? wire::KIND_REPORT
                   : c.what == alerts::AlertChange::What::Updated ? wire::KIND_UPDATE
                                                                  : wire::KIND_CANCEL);
      env.mutable_target_area()->set_latitude(c.alert.latitude());
      env.mutable_target_area()->set_longitude(c.alert.longitude());
      *env.mutable_alert() = std::move(c.alert);
      try {
        store.storeOwn(env, regionCode);
      } catch (const std::exception &e) {
        log->warn("centre alert {} not stored: {}", env.alert().alert_id(), firstLine(e.what()));
      }
      log->info("centre rule alert {} {}", env.alert().alert_id(),
                env.alert().cleared() ? "cleared" : "raised");
      makeCap(env.alert());
      wire::StateUpdate u;
      u.set_what("alert");
      u.set_key("alert/" + env.alert().alert_id());
      *u.mutable_source() = env;
      u.set_region_code(regionCode);
      u.set_region_name(regionName(regionCode));
      show(std::move(u), std::pair{reading.longitude(), reading.latitude()});
      alertBatch.push_back(std::move(env));
    }
  }

  // Reloads the centre's rules when their file changed (every few seconds).
  void reloadRules() {
    try {
      auto cleared = ruleFile.reloadIfChanged(engine);
      if (!cleared) return;
      log->info("{} centre rules loaded from {}", engine.ruleCount(), config.rulesFile.string());
      for (auto &c : *cleared) {
        wire::Envelope env;
        env.set_sender_id(config.id);
        env.set_sent_at_us(nowUs());
        env.set_kind(wire::KIND_CANCEL);
        *env.mutable_alert() = std::move(c.alert);
        alertBatch.push_back(std::move(env));
      }
    } catch (const std::exception &e) {
      log->error("centre rules not reloaded, the previous ones stay: {}", firstLine(e.what()));
    }
  }

  // The alerts stored since the last call go through the incident desk in
  // one batch; then each goes up to the parent with the incident it joined.
  void flushAlerts() {
    if (alertBatch.empty()) return;
    std::vector<wire::Alert> alerts;
    std::vector<std::string> linked;
    for (const auto &env : alertBatch) {
      alerts.push_back(env.alert());
      linked.push_back(env.incident_id());  // set when a child centre correlated it
    }
    std::vector<std::string> incidentOf(alerts.size());
    try {
      auto result = desk->onAlerts(alerts, linked);
      for (const auto &change : result.changes) {
        log->info("incident {} {} (alert)", change.incident.incident_id(), change.incident.change());
        publishIncident(change, "");
      }
      if (result.incidentOf.size() == alerts.size()) incidentOf = std::move(result.incidentOf);
    } catch (const std::exception &e) {
      log->warn("{} alerts did not reach the incident desk: {}", alerts.size(), firstLine(e.what()));
    }
    for (std::size_t i = 0; i < alertBatch.size(); ++i) federation->alertUp(alertBatch[i], incidentOf[i]);
    alertBatch.clear();
  }

  // Each alert message becomes a CAP 1.2 message (GB/T 35965.1 profile) in
  // `cap_messages`, chained to the earlier messages of the same alert. A
  // failure is logged; the alert itself is already stored.
  void makeCap(const wire::Alert &alert) {
    try {
      if (!capConn) {
        capConn = std::make_unique<pqxx::connection>(config.conninfo);
        capRegions = std::make_unique<mapping::RegionIndex>(mapping::RegionIndex::load(*capConn));
      }
      std::string region = capRegions->resolve(alert.longitude(), alert.latitude());
      if (region.empty()) region = config.region;
      pqxx::work tx(*capConn);
      std::vector<std::string> previous;
      for (const auto &row :
           tx.exec_params("SELECT sender || ',' || identifier || ',' || sent FROM cap_messages "
                          "WHERE alert_id = $1 ORDER BY created_at, identifier",
                          alert.alert_id()))
        previous.push_back(row[0].as<std::string>());
      if (alert.cleared() && previous.empty()) return;  // nothing was announced, nothing to cancel
      std::string org = config.region;
      org.resize(14, '0');
      alerts::cap::Origin origin{config.id, org, region, regionName(region), ++capSerial};
      auto msg = alerts::cap::fromLiandong(alert, origin, nowUs(), previous);
      tx.exec_params(
          "INSERT INTO cap_messages (identifier, sender, sent, alert_id, msg_type, region_code, xml) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (identifier) DO NOTHING",
          msg.identifier, msg.sender, msg.sent, alert.alert_id(), msg.msgType, region,
          alerts::cap::encode(msg));
      tx.commit();
      log->info("CAP {} {} for alert {} ({})", msg.msgType, msg.identifier, alert.alert_id(),
                regionName(region));
    } catch (const std::exception &e) {
      std::string msg = e.what();
      if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
      log->warn("no CAP message for alert {}: {}", alert.alert_id(), msg);
      capConn.reset();
    }
  }

  void onPeer(const std::string &peer, link::PeerState state) {
    std::string name = state == link::PeerState::Alive ? "alive" : "lost";
    store.setPeerState(peer, name);
    peerAlive[peer] = state == link::PeerState::Alive;
    wire::StateUpdate u;
    u.set_what("peer");
    u.set_key("peer/" + peer);
    u.set_peer_state(name);
    show(std::move(u));
  }

  void sendSummary() {
    federation->sendSummary(store.readingsStored() - summaryReadings, store.eventsStored() - summaryEvents,
                            peerAlive);
    summaryReadings = store.readingsStored();
    summaryEvents = store.eventsStored();
  }

  // Hourly: day partitions ahead, old ones dropped. A failure is logged and
  // retried next hour; the intake goes on (the DEFAULT partition takes rows).
  void partitionUpkeep() {
    try {
      pqxx::connection conn(config.conninfo);
      maintainPartitions(conn, log);
      views->reloadRegions();
    } catch (const std::exception &e) {
      std::string msg = e.what();
      if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
      log->warn("partition upkeep failed, retrying in an hour: {}", msg);
    }
  }

  void logStatus() {
    auto st = receiver->stats();
    log->info("readings stored: {} (+{} in {} s), events {}, duplicates {}, refused {}, zap refused {}",
              store.readingsStored(), store.readingsStored() - statusReadings, config.statusIntervalS,
              store.eventsStored(), st.duplicates, st.refused, zap.refusedCount());
    statusReadings = store.readingsStored();
  }

  CentreConfig config;
  std::shared_ptr<spdlog::logger> log;
  std::map<std::string, std::string> regionNames;  // code -> name
  zmq::context_t context;
  link::ZapAuthenticator zap;
  link::CloneServer clone;
  PgIntakeStore store;
  std::map<std::string, bool> peerAlive;  // link state of each peer, for summaries
  std::unique_ptr<link::Receiver> receiver;
  std::unique_ptr<pqxx::connection> capConn;  // receiver thread only
  std::unique_ptr<mapping::RegionIndex> capRegions;
  std::uint32_t capSerial = 0;
  std::unique_ptr<IncidentDesk> desk;
  std::unique_ptr<RefusalAudit> refusals;  // any thread
  std::unique_ptr<IntakeGate> gate;        // receiver (main) thread
  std::unique_ptr<Federation> federation;  // the links to the parent and children centres
  std::unique_ptr<Sessions> sessions;      // sign-ins: their own connection and lock
  std::unique_ptr<ConsoleViews> views;     // main thread (clone.poll and show)
  std::vector<wire::Envelope> alertBatch;  // stored alerts waiting for flushAlerts()
  alerts::RuleEngine engine{config.id};    // the centre's own rules (main thread)
  alerts::RuleFile ruleFile{config.rulesFile};
  std::mutex pendingMutex;
  std::deque<IncidentChange> pending;          // changes from the query thread
  std::unique_ptr<QueryApi> queryApi;          // the query server's thread only
  std::unique_ptr<link::QueryServer> queries;  // last: its thread stops before the rest goes
  std::uint64_t summaryReadings = 0, summaryEvents = 0, statusReadings = 0;
};

Centre::Centre(CentreConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {
  impl_->reloadRules();
  const auto &c = impl_->config;
  impl_->log->info(
      "centre {} ({}) ready: intake {}, console updates {} and snapshots {}, queries {}, {} peers admitted",
      c.id, c.name, c.intakeEndpoint, c.updatesEndpoint, c.snapshotEndpoint,
      c.queryEndpoint.empty() ? "off" : c.queryEndpoint, c.admitted.size());
}

Centre::~Centre() = default;

void Centre::run(const std::atomic<bool> &stop, double durationS) {
  auto &d = *impl_;
  auto endAt = durationS > 0 ? steadyMs() + static_cast<std::int64_t>(durationS * 1000) : 0;
  auto lastStatus = steadyMs(), lastSummary = steadyMs(), lastUpkeep = steadyMs(), lastDeadlines = steadyMs();
  while (!stop && (endAt == 0 || steadyMs() < endAt)) {
    d.receiver->poll(20);
    d.flushAlerts();
    d.drainPending();
    if (steadyMs() - lastDeadlines >= 2000) {
      d.reloadRules();
      d.checkDeadlines();
      lastDeadlines = steadyMs();
    }
    d.clone.poll(0);
    if (d.federation->hasParent() && steadyMs() - lastSummary >= d.config.summaryIntervalS * 1000) {
      d.sendSummary();
      lastSummary = steadyMs();
    }
    if (steadyMs() - lastUpkeep >= 3600 * 1000) {
      d.partitionUpkeep();
      lastUpkeep = steadyMs();
    }
    if (steadyMs() - lastStatus >= d.config.statusIntervalS * 1000) {
      d.logStatus();
      lastStatus = steadyMs();
    }
  }
  d.receiver->poll(0);
  d.flushAlerts();
  d.log->info("stopping: {} readings and {} events stored", d.store.readingsStored(), d.store.eventsStored());
}

}  // namespace liandong::server
