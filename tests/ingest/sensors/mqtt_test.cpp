// Tests of the MQTT payload schemas and topic filters (the broker path is
// tested with real processes in tests/command-center).
#include <gtest/gtest.h>

#include "liandong/core/errors.h"
#include "liandong/ingest/sensors/mqtt_source.h"

using namespace liandong;
using namespace liandong::ingest;

namespace {
DeviceSchema smoke() {
  DeviceSchema s;
  s.kind = "smoke";
  s.topic = "panyu/rental/+/smoke";
  s.quantity = "smoke";
  s.idPointer = "/device";
  s.valuePointer = "/alarm";
  s.timePointer = "/ts";
  s.idPrefix = "smoke-";
  s.latitude = 22.94;
  s.longitude = 113.38;
  return s;
}
}  // namespace

TEST(Mqtt, PayloadThroughItsSchema) {
  auto r =
      parsePayload(smoke(), "panyu/rental/b12/smoke", R"({"device":"d-7","alarm":true,"ts":1800000000})", 5);
  EXPECT_EQ(r.sensor_id(), "smoke-d-7");
  EXPECT_EQ(r.quantity(), "smoke");
  EXPECT_EQ(r.value(), 1.0);
  EXPECT_EQ(r.observed_at_us(), 1'800'000'000'000'000);
  EXPECT_DOUBLE_EQ(r.latitude(), 22.94);
  // Milliseconds, numbers, integer ids, the id from the topic.
  auto ms = parsePayload(smoke(), "t", R"({"device":42,"alarm":0.5,"ts":1800000000123})", 5);
  EXPECT_EQ(ms.sensor_id(), "smoke-42");
  EXPECT_EQ(ms.observed_at_us(), 1'800'000'000'123'000);
  auto s = smoke();
  s.idPointer = "";
  s.timePointer = "";
  auto fromTopic = parsePayload(s, "panyu/rental/b12/door-3", R"({"alarm":false})", 77);
  EXPECT_EQ(fromTopic.sensor_id(), "smoke-door-3");
  EXPECT_EQ(fromTopic.observed_at_us(), 77);
}

TEST(Mqtt, BadPayloadsAreRefusedWithTheReason) {
  auto why = [](const std::string &payload) {
    try {
      parsePayload(smoke(), "t", payload, 1);
    } catch (const Error &e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(why("not json"), "payload is not JSON");
  EXPECT_EQ(why(R"({"alarm":true,"ts":1})"), "no device id at /device");
  EXPECT_NE(why(R"({"device":"d","alarm":"yes","ts":1})").find("neither a number nor a boolean"),
            std::string::npos);
  EXPECT_NE(why(R"({"device":"d","alarm":1,"ts":"noon"})").find("not a number"), std::string::npos);
  EXPECT_NE(why(R"({"device":"d","alarm":1,"ts":-5})").find("out of range"), std::string::npos);
  EXPECT_NE(why(R"({"device":{"x":1},"alarm":1,"ts":1})").find("neither a string nor an integer"),
            std::string::npos);
  EXPECT_NE(why(R"({"device":"","alarm":1,"ts":1})").find("empty"), std::string::npos);
}

TEST(Mqtt, TopicFilters) {
  EXPECT_TRUE(topicMatches("panyu/rental/+/smoke", "panyu/rental/b12/smoke"));
  EXPECT_FALSE(topicMatches("panyu/rental/+/smoke", "panyu/rental/b12/door"));
  EXPECT_FALSE(topicMatches("panyu/rental/+/smoke", "panyu/rental/smoke"));
  EXPECT_FALSE(topicMatches("panyu/rental/+/smoke", "panyu/rental/b12/smoke/x"));
  EXPECT_TRUE(topicMatches("panyu/#", "panyu/rental/b12/smoke"));
  EXPECT_TRUE(topicMatches("panyu/#", "panyu"));
  EXPECT_TRUE(topicMatches("#", "anything/at/all"));
  EXPECT_FALSE(topicMatches("a/b", "a"));
}
