// liandong-ingest: an ingest node. Reads its YAML configuration, collects
// readings (simulated sensors, SL 651 stations, MQTT devices, polled Modbus
// TCP devices) and sends every reading to its centre over the
// reliable CURVE link, through a durable outbox. Its cameras (`cameras:`)
// are relayed and re-served over RTSP; each change of a camera's health
// state goes to the centre as a CameraStatus. Its edge rules (`rules:`)
// raise alerts locally, so a cut link still produces them (they wait in the
// outbox); the rule file is reloaded when it changes. Cameras are recorded
// in segments when `cameras.recording` is set; each finished segment goes to
// the centre's index as a RecordingSegment. `--probe URL` only prints what a
// camera sends (codec, resolution, fps, bitrate) and exits; `--snapshot URL`
// writes one JPEG of what it shows now and exits.
#include <cstdio>
#include <fstream>
#include <map>
#include <thread>

#include <CLI/CLI.hpp>

#include <filesystem>

#include "liandong/alerts/rules.h"
#include "liandong/core/clock.h"
#include "liandong/core/config.h"
#include "liandong/core/curve_keys.h"
#include "liandong/core/daemon.h"
#include "liandong/core/errors.h"
#include "liandong/core/logging.h"
#include "liandong/core/peer_config.h"
#include "liandong/ingest/camera/camera_hub.h"
#include "liandong/ingest/camera/probe.h"
#include "liandong/ingest/camera/snapshot.h"
#include "liandong/ingest/sensors/modbus_source.h"
#include "liandong/ingest/sensors/mqtt_source.h"
#include "liandong/ingest/sensors/simulated_sensor.h"
#include "liandong/ingest/sensors/sl651_server.h"

using namespace liandong;

// Under ASan (scripts/build --sanitize), memory GLib keeps until exit once a
// node relays cameras is not ours to fix: its first quark table, dropped by
// design when GStreamer's quarks outgrow it (only the slow unwinder reaches
// its _dl_init frame), and each later quark table it outgrows in turn
// (g_intern_string). The environment's ASAN_OPTIONS and LSAN_OPTIONS still
// win. Unused otherwise.
extern "C" __attribute__((used, visibility("default"))) const char *__asan_default_options() {
  return "fast_unwind_on_malloc=0";
}
extern "C" __attribute__((used, visibility("default"))) const char *__lsan_default_suppressions() {
  return "leak:_dl_init\nleak:g_intern_string\nleak:g_quark_from_string\nleak:g_quark_from_static_string\n";
}

namespace {
struct NodeConfig {
  link::SenderOptions sender;
  link::OutboxOptions outbox;
  std::vector<ingest::SimulatedSensorSpec> sensors;
  std::filesystem::path rulesFile;               // edge alert rules (optional)
  std::optional<ingest::Sl651Options> sl651;     // SL 651 stations (optional)
  std::optional<ingest::MqttOptions> mqtt;       // MQTT devices (optional)
  std::optional<ingest::ModbusOptions> modbus;   // polled Modbus TCP devices (optional)
  std::optional<ingest::CameraOptions> cameras;  // relayed RTSP cameras (optional)
  int drainOnStopMs = 2000;                      // how long a stopping node waits for the centre's acks
  std::string logLevel;
};

NodeConfig readConfig(const std::string &file) {
  auto cfg = ConfigNode::loadFile(file);
  NodeConfig out;
  auto node = cfg.child("node");
  out.sender.senderId = node.str("id");
  out.sender.region = node.str("region");
  try {
    out.sender.tier = parseTier(node.str("tier"));
  } catch (const Error &e) {
    node.fail("tier", e.what());
  }
  out.sender.keys = readOwnKeys(node, out.sender.senderId);
  auto centre = cfg.child("centre");
  out.sender.endpoint = centre.str("endpoint");
  out.sender.serverPublicZ85 = readPublicKey(centre);
  out.sender.heartbeatIntervalMs = static_cast<int>(centre.integer("heartbeat_ms", 1000));
  out.sender.missedBeatsLost = static_cast<int>(centre.integer("missed_beats_lost", 3));
  auto drain = centre.integer("drain_on_stop_ms", 2000);
  if (drain < 0 || drain > 600000) centre.fail("drain_on_stop_ms", "must be 0 .. 600000");
  out.drainOnStopMs = static_cast<int>(drain);
  out.outbox = readOutboxOptions(cfg.child("outbox"));
  out.sensors = ingest::readSimulatedSensors(cfg);
  out.sl651 = ingest::readSl651Options(cfg);
  out.mqtt = ingest::readMqttOptions(cfg, out.sender.senderId);
  out.modbus = ingest::readModbusOptions(cfg);
  out.cameras = ingest::readCameraOptions(cfg);
  if (cfg.has("rules")) {
    out.rulesFile = cfg.path("rules");
    try {
      alerts::loadRules(out.rulesFile);
    } catch (const Error &e) {
      cfg.fail("rules", e.what());
    }
  }
  out.logLevel = cfg.optionalChild("logging") ? cfg.child("logging").str("level", "info") : "info";
  cfg.rejectUnknown();
  return out;
}
}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"Liandong ingest node: sensors and cameras to the command centre"};
  std::string configFile, logLevel;
  double duration = 0;
  std::string probeUrl;
  auto *configOpt = app.add_option("-c,--config", configFile, "node configuration (YAML)");
  app.add_option("--probe", probeUrl,
                 "print codec, resolution, fps and bitrate of each stream of a camera URL, then exit")
      ->excludes(configOpt);
  std::string snapshotUrl, snapshotFile = "snapshot.jpg";
  app.add_option("--snapshot", snapshotUrl,
                 "write one JPEG of what a camera URL (or a node's /cam/<id>) shows now to --snapshot-file, "
                 "then exit")
      ->excludes(configOpt);
  app.add_option("--snapshot-file", snapshotFile, "where --snapshot writes its JPEG (default snapshot.jpg)");
  app.add_option("--log-level", logLevel, "trace, debug, info, warn, error (overrides the configuration)");
  app.add_option("--duration", duration,
                 "stop after this many seconds (0 = run until SIGINT/SIGTERM); with --probe, the time limit "
                 "(default 10)");
  CLI11_PARSE(app, argc, argv);

  if (!probeUrl.empty()) {
    try {
      for (const auto &stream : ingest::probeStreams(probeUrl, 2, duration > 0 ? duration : 10))
        std::printf("%s\n", ingest::describe(stream).c_str());
      return 0;
    } catch (const std::exception &e) {
      std::fprintf(stderr, "liandong-ingest: %s\n", e.what());
      return kExitFailure;
    }
  }
  if (!snapshotUrl.empty()) {
    try {
      ingest::SnapshotOptions so;
      if (duration > 0) so.timeoutS = duration;
      auto jpeg = ingest::snapshotJpeg(snapshotUrl, so);
      auto tmp = snapshotFile + ".part";
      {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(jpeg.data(), static_cast<std::streamsize>(jpeg.size()));
        if (!out.flush()) throw Error("cannot write " + tmp);
      }
      std::error_code ec;
      std::filesystem::rename(tmp, snapshotFile, ec);
      if (ec) throw Error("cannot write " + snapshotFile + ": " + ec.message());
      std::printf("%s: %zu bytes\n", snapshotFile.c_str(), jpeg.size());
      return 0;
    } catch (const std::exception &e) {
      std::fprintf(stderr, "liandong-ingest: %s\n", e.what());
      return kExitFailure;
    }
  }
  if (configFile.empty()) {
    std::fprintf(stderr, "liandong-ingest: --config is required (or --probe URL, --snapshot URL)\n");
    return kExitConfig;
  }

  NodeConfig config;
  try {
    config = readConfig(configFile);
    logging::setup(logLevel.empty() ? config.logLevel : logLevel, "ingest:" + config.sender.senderId);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "liandong-ingest: %s\n", e.what());
    return kExitConfig;
  }
  auto log = logging::get("ingest");
  const auto &stop = installStopSignals();
  try {
    link::Outbox outbox(config.outbox);
    zmq::context_t context(1);
    link::Sender sender(context, config.sender, outbox);
    std::unique_ptr<ingest::Sl651Server> sl651;
    if (config.sl651) sl651 = std::make_unique<ingest::Sl651Server>(*config.sl651);
    std::unique_ptr<ingest::MqttSource> mqtt;
    if (config.mqtt) mqtt = std::make_unique<ingest::MqttSource>(*config.mqtt);
    std::unique_ptr<ingest::ModbusSource> modbus;
    if (config.modbus) modbus = std::make_unique<ingest::ModbusSource>(*config.modbus);
    std::unique_ptr<ingest::CameraHub> cameras;
    std::map<std::string, std::pair<double, double>> cameraPlaces;  // id -> latitude, longitude
    std::map<std::string, wire::CameraState> cameraStates;          // id -> its latest state
    std::int64_t lastCameraReading = 0;
    if (config.cameras) {
      for (const auto &c : config.cameras->cameras) {
        cameraPlaces[c.id] = {c.latitude, c.longitude};
        cameraStates[c.id] = wire::CAMERA_CONNECTING;
      }
      cameras = std::make_unique<ingest::CameraHub>(*config.cameras);
    }
    std::vector<ingest::SimulatedSensor> sensors;
    std::uint32_t seed = 1;
    for (const auto &spec : config.sensors) sensors.emplace_back(spec, seed++);
    alerts::RuleEngine engine(config.sender.senderId);
    alerts::RuleFile ruleFile(config.rulesFile);
    auto reloadRules = [&] {
      try {
        auto cleared = ruleFile.reloadIfChanged(engine);
        if (!cleared) return;
        log->info("{} edge rules loaded from {}", engine.ruleCount(), config.rulesFile.string());
        for (auto &c : *cleared) {
          wire::Envelope env;
          env.set_kind(wire::KIND_CANCEL);
          *env.mutable_alert() = std::move(c.alert);
          sender.publish(std::move(env));
        }
      } catch (const Error &e) {
        log->error("rules not reloaded, the previous ones stay: {}", e.what());
      }
    };
    reloadRules();
    std::uint64_t alertsRaised = 0, produced = 0;
    auto lastRulesCheck = steadyMs();
    log->info("node {} started: {} simulated sensors, {} edge rules, centre {}, outbox {}",
              config.sender.senderId, sensors.size(), engine.ruleCount(), config.sender.endpoint,
              config.outbox.dir.string());
    auto endAt = duration > 0 ? steadyMs() + static_cast<std::int64_t>(duration * 1000) : 0;
    auto lastReport = steadyMs();
    // Every reading goes on the spine, then through the edge rules.
    auto publishReading = [&](wire::Reading reading) {
      wire::Envelope env;
      env.set_kind(wire::KIND_SENSOR_DETECTION);
      auto *area = env.mutable_target_area();
      area->set_latitude(reading.latitude());
      area->set_longitude(reading.longitude());
      auto changes = engine.onReading(reading);
      *env.mutable_reading() = std::move(reading);
      if (sender.publish(std::move(env))) ++produced;
      for (auto &c : changes) {
        wire::Envelope alert;
        alert.set_kind(c.what == alerts::AlertChange::What::Raised    ? wire::KIND_REPORT
                       : c.what == alerts::AlertChange::What::Updated ? wire::KIND_UPDATE
                                                                      : wire::KIND_CANCEL);
        alert.mutable_target_area()->set_latitude(c.alert.latitude());
        alert.mutable_target_area()->set_longitude(c.alert.longitude());
        log->info("alert {} {}: {}",
                  c.what == alerts::AlertChange::What::Raised    ? "raised"
                  : c.what == alerts::AlertChange::What::Updated ? "updated"
                                                                 : "cleared",
                  c.alert.alert_id(), c.alert.description());
        *alert.mutable_alert() = std::move(c.alert);
        if (sender.publish(std::move(alert))) ++alertsRaised;
      }
    };
    // Finished recording segments (and those retention deleted) go to the
    // centre's index, with the camera's position.
    auto publishSegments = [&] {
      for (auto &seg : cameras->takeSegments()) {
        wire::Envelope env;
        env.set_kind(seg.removed() ? wire::KIND_CANCEL : wire::KIND_SENSOR_STATUS);
        auto [lat, lon] = cameraPlaces[seg.camera_id()];
        env.mutable_target_area()->set_latitude(lat);
        env.mutable_target_area()->set_longitude(lon);
        *env.mutable_recording_segment() = std::move(seg);
        sender.publish(std::move(env));
      }
    };
    while (!stop && (endAt == 0 || steadyMs() < endAt)) {
      auto now = nowUs();
      for (auto &s : sensors) {
        if (!s.due(now)) continue;
        auto reading = s.sample(now);
        reading.set_latitude(s.spec().latitude);
        reading.set_longitude(s.spec().longitude);
        publishReading(std::move(reading));
      }
      if (mqtt)
        for (auto &r : mqtt->take()) publishReading(std::move(r));
      if (modbus)
        for (auto &r : modbus->take()) publishReading(std::move(r));
      if (cameras) {
        for (auto &status : cameras->takeChanges()) {  // changes of state only, not every frame
          cameraStates[status.camera_id()] = status.state();
          wire::Envelope env;
          env.set_kind(wire::KIND_SENSOR_STATUS);
          auto [lat, lon] = cameraPlaces[status.camera_id()];
          env.mutable_target_area()->set_latitude(lat);
          env.mutable_target_area()->set_longitude(lon);
          *env.mutable_camera_status() = std::move(status);
          sender.publish(std::move(env));
        }
        publishSegments();
        // Every few seconds each camera's state as a reading (camera_state:
        // 0 live, 1 connecting, 2 stalled, 3 offline): an availability
        // series in PostGIS, and what camera-health rules (with a minimum
        // duration) watch.
        if (steadyMs() - lastCameraReading >= 5000) {
          for (const auto &[id, state] : cameraStates) {
            wire::Reading r;
            r.set_sensor_id(id);
            r.set_quantity("camera_state");
            r.set_value(state == wire::CAMERA_LIVE      ? 0
                        : state == wire::CAMERA_STALLED ? 2
                        : state == wire::CAMERA_OFFLINE ? 3
                                                        : 1);
            r.set_observed_at_us(nowUs());
            auto [lat, lon] = cameraPlaces[id];
            r.set_latitude(lat);
            r.set_longitude(lon);
            publishReading(std::move(r));
          }
          lastCameraReading = steadyMs();
        }
      }
      if (sl651) {
        for (auto &r : sl651->poll(20)) publishReading(std::move(r));
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (steadyMs() - lastRulesCheck >= 2000) {
        reloadRules();
        lastRulesCheck = steadyMs();
      }
      if (steadyMs() - lastReport >= 10000) {
        auto st = sender.stats();
        log->info("{} readings and {} alert messages produced, {} acknowledged up to sequence {}, centre {}",
                  produced, alertsRaised, st.sent, sender.ackedSequence(),
                  sender.peerAlive() ? "connected" : "not connected");
        lastReport = steadyMs();
      }
    }
    if (cameras) {  // the files being written are finished and indexed
      cameras->closeRecordings();
      publishSegments();
    }
    // Give the link a moment to deliver what is queued; the outbox keeps the rest.
    // Up to drain_on_stop_ms while the centre is there; a centre not heard
    // from for 2 s will not acknowledge anything now.
    {
      const auto last = outbox.lastSequence();
      const auto start = steadyMs();
      auto heardAt = start;
      while (outbox.ackedSequence() < last && steadyMs() - start < config.drainOnStopMs) {
        if (sender.peerAlive())
          heardAt = steadyMs();
        else if (steadyMs() - heardAt >= 2000)
          break;
        sender.waitAcked(last, 50);
      }
    }
    log->info("stopping: {} readings produced, acknowledged up to {}, {} still in the outbox", produced,
              outbox.ackedSequence(), outbox.lastSequence() - outbox.ackedSequence());
    return 0;
  } catch (const std::exception &e) {
    log->error("{}", e.what());
    std::fprintf(stderr, "liandong-ingest: %s\n", e.what());
    return kExitFailure;
  }
}
