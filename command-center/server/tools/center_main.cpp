// liandong-center: a command centre. Applies the database migrations,
// imports the deployment's regions on first start, accepts messages from its
// ingest nodes over the reliable CURVE link, stores them in PostGIS, and
// publishes every stored change to the consoles.
#include <cstdio>

#include <CLI/CLI.hpp>
#include <pqxx/pqxx>
#include <zmq.hpp>

#include "liandong/core/clock.h"
#include "liandong/core/daemon.h"
#include "liandong/core/errors.h"
#include "liandong/core/link/clone.h"
#include "liandong/core/link/receiver.h"
#include "liandong/core/link/security.h"
#include "liandong/core/link/sender.h"
#include "liandong/core/logging.h"
#include "liandong/mapping/migrations.h"
#include "liandong/mapping/regions.h"
#include "liandong/server/centre_config.h"
#include "liandong/server/pg_intake_store.h"

using namespace liandong;

namespace {

std::map<std::string, std::string> prepareDatabase(const server::CentreConfig &config,
                                                   const std::shared_ptr<spdlog::logger> &log) {
  pqxx::connection conn(config.conninfo);
  mapping::MigrationRunner migrations(conn);
  auto applied = migrations.migrate();
  log->info("database schema up to date ({} migrations applied now)", applied);
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
  } else {
    log->info("{} regions already in the database; import skipped", count);
  }
  std::map<std::string, std::string> names;
  pqxx::work tx2(conn);
  for (const auto &row : tx2.exec("SELECT code, name FROM regions")) names[row[0].c_str()] = row[1].c_str();
  return names;
}

}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"Liandong command centre"};
  std::string configFile, conninfo, logLevel;
  double duration = 0;
  app.add_option("-c,--config", configFile, "centre configuration (YAML)")->required();
  app.add_option("--db", conninfo, "libpq connection string (overrides database.conninfo)");
  app.add_option("--log-level", logLevel, "trace, debug, info, warn, error (overrides the configuration)");
  app.add_option("--duration", duration, "stop after this many seconds (0 = until SIGINT/SIGTERM)");
  CLI11_PARSE(app, argc, argv);

  server::CentreConfig config;
  try {
    config = server::readCentreConfig(configFile);
    if (!conninfo.empty()) config.conninfo = conninfo;
    logging::setup(logLevel.empty() ? config.logLevel : logLevel, "center:" + config.id);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "liandong-center: %s\n", e.what());
    return kExitConfig;
  }
  auto log = logging::get("center");
  const auto &stop = installStopSignals();
  try {
    std::map<std::string, std::string> regionNames;
    try {
      regionNames = prepareDatabase(config, log);
    } catch (const pqxx::broken_connection &e) {
      std::string msg = e.what();
      if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
      throw StorageError("cannot connect to PostgreSQL (" + server::redactConninfo(config.conninfo) +
                         "): " + msg);
    }

    zmq::context_t context(1);
    link::ZapAuthenticator zap(context, config.admitted);
    link::CloneServerOptions co;
    co.id = config.id;
    co.updatesEndpoint = config.updatesEndpoint;
    co.snapshotEndpoint = config.snapshotEndpoint;
    co.keys = config.keys;
    link::CloneServer clone(context, co);

    auto regionName = [&](const std::string &code) {
      auto it = regionNames.find(code);
      return it == regionNames.end() ? std::string() : it->second;
    };
    // The reliable links to the tier above and to the children (directives).
    std::vector<std::unique_ptr<link::Outbox>> outboxes;
    std::unique_ptr<link::Sender> parent;
    std::map<std::string, std::unique_ptr<link::Sender>> children;
    auto makeSender = [&](const server::PeerCentre &peer) {
      outboxes.push_back(std::make_unique<link::Outbox>(peer.outbox));
      link::SenderOptions so;
      so.senderId = config.id;
      so.tier = config.tier;
      so.region = config.region;
      so.endpoint = peer.endpoint;
      so.serverPublicZ85 = peer.publicKey;
      so.keys = config.keys;
      std::string peerId = peer.id;
      return std::make_unique<link::Sender>(context, so, *outboxes.back(), [log, peerId](bool up) {
        log->info("link to centre {} {}", peerId, up ? "up" : "lost");
      });
    };
    if (config.parent) parent = makeSender(*config.parent);
    for (const auto &child : config.children) children[child.id] = makeSender(child);

    auto forward = [&](const wire::Envelope &src) {
      bool fromParent = config.parent && src.sender_id() == config.parent->id;
      if ((src.has_incident_report() || src.has_alert()) && parent && !fromParent) {
        wire::Envelope up;
        up.set_kind(src.kind());
        up.set_status(src.status());
        up.set_incident_id(src.incident_id());
        *up.mutable_target_area() = src.target_area();
        if (src.has_incident_report())
          *up.mutable_incident_report() = src.incident_report();
        else
          *up.mutable_alert() = src.alert();
        parent->publish(std::move(up));
      }
      if (src.has_directive() && src.directive().to_centre() != config.id) {
        auto it = children.find(src.directive().to_centre());
        if (it == children.end()) {
          log->warn("directive {} is for {}, which is not a child of this centre; not forwarded",
                    src.directive().directive_id(), src.directive().to_centre());
        } else {
          wire::Envelope down;
          down.set_kind(wire::KIND_DISPATCH);
          down.set_incident_id(src.incident_id());
          *down.mutable_directive() = src.directive();
          it->second->publish(std::move(down));
          log->info("directive {} forwarded to {}", src.directive().directive_id(), it->first);
        }
      }
    };

    auto publish = [&](const server::StoredItem &item) {
      forward(item.message->envelope);
      wire::StateUpdate u;
      const auto &src = item.message->envelope;
      u.set_what(server::stateKind(src));
      u.set_key(server::stateKey(src));
      *u.mutable_source() = src;
      u.set_region_code(item.regionCode);
      u.set_region_name(regionName(item.regionCode));
      clone.publish(std::move(u));
    };

    server::PgIntakeStore store(config.conninfo, publish);
    for (auto &u : store.loadState()) {
      u.set_region_name(regionName(u.region_code()));
      clone.publish(std::move(u));
    }
    std::map<std::string, bool> peerAlive;  // link state of each peer, for summaries
    link::ReceiverOptions ro;
    ro.endpoint = config.intakeEndpoint;
    ro.keys = config.keys;
    ro.id = config.id;
    link::Receiver receiver(context, ro, store, [&](const std::string &peer, link::PeerState state) {
      std::string name = state == link::PeerState::Alive ? "alive" : "lost";
      store.setPeerState(peer, name);
      peerAlive[peer] = state == link::PeerState::Alive;
      wire::StateUpdate u;
      u.set_what("peer");
      u.set_key("peer/" + peer);
      u.set_peer_state(name);
      clone.publish(std::move(u));
    });
    log->info("centre {} ({}) ready: intake {}, console updates {} and snapshots {}, {} peers admitted",
              config.id, config.name, config.intakeEndpoint, config.updatesEndpoint, config.snapshotEndpoint,
              config.admitted.size());

    auto endAt = duration > 0 ? steadyMs() + static_cast<std::int64_t>(duration * 1000) : 0;
    auto lastStatus = steadyMs();
    auto lastSummary = steadyMs();
    std::uint64_t summaryReadings = 0, summaryEvents = 0;
    std::uint64_t lastReadings = 0;
    while (!stop && (endAt == 0 || steadyMs() < endAt)) {
      receiver.poll(20);
      clone.poll(0);
      if (parent && steadyMs() - lastSummary >= config.summaryIntervalS * 1000) {
        wire::Envelope env;
        env.set_kind(wire::KIND_REPORT);
        auto *sum = env.mutable_summary();
        sum->set_region_code(config.region);
        sum->set_interval_s(config.summaryIntervalS);
        sum->set_readings(store.readingsStored() - summaryReadings);
        sum->set_events(store.eventsStored() - summaryEvents);
        for (const auto &[id, alive] : peerAlive) {
          if (alive)
            sum->set_peers_alive(sum->peers_alive() + 1);
          else
            sum->set_peers_lost(sum->peers_lost() + 1);
        }
        parent->publish(std::move(env));
        summaryReadings = store.readingsStored();
        summaryEvents = store.eventsStored();
        lastSummary = steadyMs();
      }
      if (steadyMs() - lastStatus >= config.statusIntervalS * 1000) {
        auto st = receiver.stats();
        log->info("readings stored: {} (+{} in {} s), events {}, duplicates {}, refused {}, zap refused {}",
                  store.readingsStored(), store.readingsStored() - lastReadings, config.statusIntervalS,
                  store.eventsStored(), st.duplicates, st.refused, zap.refusedCount());
        lastReadings = store.readingsStored();
        lastStatus = steadyMs();
      }
    }
    receiver.poll(0);
    log->info("stopping: {} readings and {} events stored", store.readingsStored(), store.eventsStored());
    return 0;
  } catch (const std::exception &e) {
    log->error("{}", e.what());
    std::fprintf(stderr, "liandong-center: %s\n", e.what());
    return kExitFailure;
  }
}
