// MQTT devices (door-access controllers, smoke detectors, panic buttons,
// intrusion detectors, ...): the node subscribes to the topics of each
// device kind on a local broker (libmosquitto) and turns each JSON payload
// into a Reading through the kind's payload schema from the configuration —
// JSON pointers to the device id, the value and the time. A payload that does
// not fit is counted and logged with its topic, never a crash.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "liandong.pb.h"
#include "liandong/core/config.h"

struct mosquitto;

namespace liandong::ingest {

struct DeviceSchema {
  std::string kind;      // smoke, door, panic, intrusion, ...
  std::string topic;     // subscription, MQTT wildcards allowed ("panyu/rental/+/smoke")
  std::string quantity;  // the Reading's quantity ("smoke", "door_open", ...)
  std::string unit;
  std::string idPointer =
      "/device";  // JSON pointer to the device id ("" = the topic level after the last '/')
  std::string valuePointer = "/value";  // number or boolean (true = 1)
  std::string timePointer;              // epoch seconds or milliseconds; "" = time of arrival
  std::string idPrefix;                 // prepended to the device id
  double latitude = 0, longitude = 0;   // where the devices of this kind are (until assets say better)
};

struct MqttOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string clientId;
  std::string username, password;  // optional; the password is never logged
  std::vector<DeviceSchema> devices;
};

std::optional<MqttOptions> readMqttOptions(const ConfigNode &node, const std::string &defaultClientId);

// One payload through a schema. Throws Error naming what is missing or wrong.
wire::Reading parsePayload(const DeviceSchema &schema, const std::string &topic, const std::string &payload,
                           std::int64_t arrivedAtUs);
// True when `topic` matches the subscription `filter` (+ and # wildcards).
bool topicMatches(const std::string &filter, const std::string &topic);

struct MqttStats {
  std::uint64_t messages = 0, readings = 0, refused = 0;
  bool connected = false;
};

class MqttSource {
public:
  explicit MqttSource(MqttOptions options);  // connects in the background (reconnects by itself)
  ~MqttSource();
  MqttSource(const MqttSource &) = delete;
  MqttSource &operator=(const MqttSource &) = delete;
  // The readings that arrived since the last call.
  std::vector<wire::Reading> take();
  MqttStats stats() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace liandong::ingest
