// An ingest node (see node.h): its sources, the link to the centre, the
// edge rules, and the loop that turns what the sources give into envelopes.
#include "liandong/ingest/node.h"

#include <chrono>
#include <map>
#include <thread>
#include <utility>

#include "liandong/alerts/rules.h"
#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "liandong/core/logging.h"
#include "liandong/ingest/camera/camera_hub.h"

namespace liandong::ingest {

namespace {
constexpr std::int64_t kCameraReadingMs = 5000;  // each camera's state as a reading this often
constexpr std::int64_t kRulesCheckMs = 2000;     // the rule file is checked for changes this often
constexpr std::int64_t kReportMs = 10000;        // a log line with the counts this often
}  // namespace

struct Node::Impl {
  NodeConfig config;
  std::shared_ptr<spdlog::logger> log = logging::get("ingest");
  link::Outbox outbox;
  zmq::context_t context{1};
  link::Sender sender;
  std::unique_ptr<Sl651Server> sl651;
  std::unique_ptr<MqttSource> mqtt;
  std::unique_ptr<ModbusSource> modbus;
  std::unique_ptr<CameraHub> cameras;
  std::map<std::string, std::pair<double, double>> cameraPlaces;  // id -> latitude, longitude
  std::map<std::string, wire::CameraState> cameraStates;          // id -> its latest state
  std::vector<SimulatedSensor> sensors;
  alerts::RuleEngine engine;
  alerts::RuleFile ruleFile;
  std::uint64_t alertsRaised = 0, produced = 0;
  std::int64_t lastCameraReading = 0, lastRulesCheck = 0, lastReport = 0;

  explicit Impl(NodeConfig c)
      : config(std::move(c)),
        outbox(config.outbox),
        sender(context, config.sender, outbox),
        engine(config.sender.senderId),
        ruleFile(config.rulesFile) {
    if (config.sl651) sl651 = std::make_unique<Sl651Server>(*config.sl651);
    if (config.mqtt) mqtt = std::make_unique<MqttSource>(*config.mqtt);
    if (config.modbus) modbus = std::make_unique<ModbusSource>(*config.modbus);
    if (config.cameras) {
      for (const auto &cam : config.cameras->cameras) {
        cameraPlaces[cam.id] = {cam.latitude, cam.longitude};
        cameraStates[cam.id] = wire::CAMERA_CONNECTING;
      }
      cameras = std::make_unique<CameraHub>(*config.cameras);
    }
    std::uint32_t seed = 1;
    for (const auto &spec : config.sensors) sensors.emplace_back(spec, seed++);
    reloadRules();
    lastRulesCheck = lastReport = steadyMs();
    log->info("node {} started: {} simulated sensors, {} edge rules, centre {}, outbox {}",
              config.sender.senderId, sensors.size(), engine.ruleCount(), config.sender.endpoint,
              config.outbox.dir.string());
  }

  // The rule file again when it changed; the alerts of rules that went away are cancelled.
  void reloadRules() {
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
  }

  // Every reading goes on the spine, then through the edge rules.
  void publishReading(wire::Reading reading) {
    wire::Envelope env;
    env.set_kind(wire::KIND_SENSOR_DETECTION);
    auto *area = env.mutable_target_area();
    area->set_latitude(reading.latitude());
    area->set_longitude(reading.longitude());
    auto changes = engine.onReading(reading);
    *env.mutable_reading() = std::move(reading);
    if (sender.publish(std::move(env))) ++produced;
    for (auto &c : changes) publishAlert(std::move(c));
  }

  void publishAlert(alerts::AlertChange c) {
    using What = alerts::AlertChange::What;
    wire::Envelope alert;
    alert.set_kind(c.what == What::Raised    ? wire::KIND_REPORT
                   : c.what == What::Updated ? wire::KIND_UPDATE
                                             : wire::KIND_CANCEL);
    alert.mutable_target_area()->set_latitude(c.alert.latitude());
    alert.mutable_target_area()->set_longitude(c.alert.longitude());
    log->info("alert {} {}: {}",
              c.what == What::Raised    ? "raised"
              : c.what == What::Updated ? "updated"
                                        : "cleared",
              c.alert.alert_id(), c.alert.description());
    *alert.mutable_alert() = std::move(c.alert);
    if (sender.publish(std::move(alert))) ++alertsRaised;
  }

  // An envelope about a camera, placed where the camera is.
  wire::Envelope cameraEnvelope(wire::DistributionKind kind, const std::string &cameraId) {
    wire::Envelope env;
    env.set_kind(kind);
    auto [lat, lon] = cameraPlaces[cameraId];
    env.mutable_target_area()->set_latitude(lat);
    env.mutable_target_area()->set_longitude(lon);
    return env;
  }

  // Finished recording segments (and those retention deleted) go to the
  // centre's index, with the camera's position.
  void publishSegments() {
    for (auto &seg : cameras->takeSegments()) {
      auto env =
          cameraEnvelope(seg.removed() ? wire::KIND_CANCEL : wire::KIND_SENSOR_STATUS, seg.camera_id());
      *env.mutable_recording_segment() = std::move(seg);
      sender.publish(std::move(env));
    }
  }

  void publishCameras() {
    for (auto &status : cameras->takeChanges()) {  // changes of state only, not every frame
      cameraStates[status.camera_id()] = status.state();
      auto env = cameraEnvelope(wire::KIND_SENSOR_STATUS, status.camera_id());
      *env.mutable_camera_status() = std::move(status);
      sender.publish(std::move(env));
    }
    publishSegments();
    // Every few seconds each camera's state as a reading (camera_state:
    // 0 live, 1 connecting, 2 stalled, 3 offline): an availability
    // series in PostGIS, and what camera-health rules (with a minimum
    // duration) watch.
    if (steadyMs() - lastCameraReading < kCameraReadingMs) return;
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

  // One pass over every source (at most ~20 ms of waiting).
  void step() {
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
    if (cameras) publishCameras();
    if (sl651) {
      for (auto &r : sl651->poll(20)) publishReading(std::move(r));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (steadyMs() - lastRulesCheck >= kRulesCheckMs) {
      reloadRules();
      lastRulesCheck = steadyMs();
    }
    if (steadyMs() - lastReport >= kReportMs) {
      auto st = sender.stats();
      log->info("{} readings and {} alert messages produced, {} acknowledged up to sequence {}, centre {}",
                produced, alertsRaised, st.sent, sender.ackedSequence(),
                sender.peerAlive() ? "connected" : "not connected");
      lastReport = steadyMs();
    }
  }

  // Give the link a moment to deliver what is queued; the outbox keeps the
  // rest. Up to drain_on_stop_ms while the centre is there; a centre not
  // heard from for 2 s will not acknowledge anything now.
  void drain() {
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
};

Node::Node(NodeConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Node::~Node() = default;

void Node::run(const std::atomic<bool> &stop, double durationS) {
  auto &n = *impl_;
  auto endAt = durationS > 0 ? steadyMs() + static_cast<std::int64_t>(durationS * 1000) : 0;
  while (!stop && (endAt == 0 || steadyMs() < endAt)) n.step();
  if (n.cameras) {  // the files being written are finished and indexed
    n.cameras->closeRecordings();
    n.publishSegments();
  }
  n.drain();
  n.log->info("stopping: {} readings produced, acknowledged up to {}, {} still in the outbox", n.produced,
              n.outbox.ackedSequence(), n.outbox.lastSequence() - n.outbox.ackedSequence());
}

}  // namespace liandong::ingest
