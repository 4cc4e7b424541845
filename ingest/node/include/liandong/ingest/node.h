// An ingest node: the facade liandong-ingest runs (tools/ingest_main.cpp).
// On construction it opens its outbox and its CURVE link to the centre and
// starts its sources — simulated sensors, SL 651 stations, MQTT devices,
// Modbus TCP devices (liandong::sensors) and its cameras (liandong::camera,
// camera_hub.h); run() then turns every reading into an envelope for the
// centre and through the edge alert rules (reloaded when the rule file
// changes), each camera's change of state into a CameraStatus and every few
// seconds into a camera_state reading, each finished recording segment into
// a RecordingSegment for the centre's index, and on stop finishes the open
// recordings and drains the outbox for up to drain_on_stop_ms.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "liandong/core/link/outbox.h"
#include "liandong/core/link/sender.h"
#include "liandong/ingest/camera/camera_config.h"
#include "liandong/ingest/sensors/modbus_source.h"
#include "liandong/ingest/sensors/mqtt_source.h"
#include "liandong/ingest/sensors/simulated_sensor.h"
#include "liandong/ingest/sensors/sl651_server.h"

namespace liandong::ingest {

// The configuration of an ingest node, read from YAML (see
// configs/demo/ingest-panyu-1.yaml for a commented example).
struct NodeConfig {
  link::SenderOptions sender;
  link::OutboxOptions outbox;
  std::vector<SimulatedSensorSpec> sensors;
  std::filesystem::path rulesFile;       // edge alert rules (optional)
  std::optional<Sl651Options> sl651;     // SL 651 stations (optional)
  std::optional<MqttOptions> mqtt;       // MQTT devices (optional)
  std::optional<ModbusOptions> modbus;   // polled Modbus TCP devices (optional)
  std::optional<CameraOptions> cameras;  // relayed RTSP cameras (optional)
  int drainOnStopMs = 2000;              // how long a stopping node waits for the centre's acks
  std::string logLevel = "info";
};

// Throws ConfigError naming the file, line and key.
NodeConfig readNodeConfig(const std::filesystem::path &file);

class Node final {
public:
  // Throws Error with a one-line message when the node cannot start: the
  // outbox cannot be opened, a port is in use, a camera server cannot listen.
  explicit Node(NodeConfig config);
  ~Node();
  Node(const Node &) = delete;
  Node &operator=(const Node &) = delete;

  // Runs until `stop` is set (or for `durationS` seconds when > 0), then
  // finishes open recordings and drains the outbox (drain_on_stop_ms).
  void run(const std::atomic<bool> &stop, double durationS = 0);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace liandong::ingest
