// Fuzz target for the MQTT payload parser: any payload (and topic) through a
// device schema gives a reading or a clean Error. Built with libFuzzer by
// `scripts/bench fuzz`; the suite replays tests/ingest/sensors/corpus/mqtt.
#include <cstddef>
#include <cstdint>
#include <string>

#include "liandong/core/errors.h"
#include "liandong/ingest/sensors/mqtt_source.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  using namespace liandong::ingest;
  std::string text(reinterpret_cast<const char *>(data), size);
  auto nl = text.find('\n');
  std::string topic = nl == std::string::npos ? "t/x" : text.substr(0, nl);
  std::string payload = nl == std::string::npos ? text : text.substr(nl + 1);
  DeviceSchema s;
  s.kind = "smoke";
  s.topic = "panyu/+/#";
  s.quantity = "smoke";
  s.timePointer = "/ts";
  for (const char *id : {"/device", ""}) {
    s.idPointer = id;
    try {
      parsePayload(s, topic, payload, 1);
    } catch (const liandong::Error &) {
      // refused with a reason: fine
    }
  }
  topicMatches(topic, "panyu/rental/b12/smoke");
  topicMatches(s.topic, topic);
  return 0;
}
