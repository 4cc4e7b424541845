// Tests of the simulated sensors: configuration errors name the line and key;
// the models produce plausible, deterministic readings on schedule.
#include <gtest/gtest.h>

#include "liandong/core/errors.h"
#include "liandong/ingest/sensors/simulated_sensor.h"

using namespace liandong;
using namespace liandong::ingest;

TEST(SimulatedSensor, TideStaysWithinItsAmplitude) {
  auto cfg = ConfigNode::loadString(R"(simulated_sensors:
  - {id: g1, quantity: water_level, unit: m, model: tide, latitude: 22.9, longitude: 113.3, base: 1.0, amplitude: 0.5, period_s: 60, interval_ms: 100}
)",
                                    "n.yaml");
  auto specs = readSimulatedSensors(cfg);
  ASSERT_EQ(specs.size(), 1u);
  SimulatedSensor s(specs[0], 7);
  std::int64_t t = 1'700'000'000'000'000;
  double lo = 1e9, hi = -1e9;
  for (int i = 0; i < 600; ++i) {
    ASSERT_TRUE(s.due(t));
    auto r = s.sample(t);
    EXPECT_FALSE(s.due(t)) << "the next reading is scheduled one interval later";
    lo = std::min(lo, r.value());
    hi = std::max(hi, r.value());
    EXPECT_EQ(r.sensor_id(), "g1");
    EXPECT_EQ(r.observed_at_us(), t);
    t += 100'000;
  }
  EXPECT_GE(lo, 0.5 - 1e-9);
  EXPECT_LE(hi, 1.5 + 1e-9);
  EXPECT_GT(hi - lo, 0.9) << "a full tide cycle was sampled";
}

TEST(SimulatedSensor, BadConfigurationNamesLineAndKey) {
  auto cfg = ConfigNode::loadString(R"(simulated_sensors:
  - id: g1
    quantity: water_level
    unit: m
    model: sine
    latitude: 22.9
    longitude: 113.3
)",
                                    "n.yaml");
  try {
    readSimulatedSensors(cfg);
    FAIL();
  } catch (const ConfigError &e) {
    EXPECT_STREQ(
        e.what(),
        "n.yaml:5: simulated_sensors[0].model: \"sine\" is not one of: tide, rain, typhoon, constant");
  }
  auto cfg2 = ConfigNode::loadString(
      "simulated_sensors:\n  - {id: g, quantity: q, unit: u, latitude: 95, longitude: 1}\n", "m.yaml");
  EXPECT_THROW(readSimulatedSensors(cfg2), ConfigError);
}

// A typhoon passage: light banded rain, the eyewall at its peak rate, the
// calm eye, the second eyewall, tapering — enough for the red rainstorm signal.
TEST(SimulatedSensor, TyphoonPassesWithTwoEyewallsAndACalmEye) {
  auto cfg = ConfigNode::loadString(R"(simulated_sensors:
  - {id: r1, quantity: rainfall, unit: mm, model: typhoon, latitude: 22.9, longitude: 113.3, amplitude: 80, period_s: 36000, interval_ms: 60000}
)",
                                    "n.yaml");
  SimulatedSensor s(readSimulatedSensors(cfg).at(0), 3);
  std::int64_t t = 1'700'000'000'000'000;
  std::vector<double> mmPerMinute;
  for (int i = 0; i < 600; ++i, t += 60'000'000) mmPerMinute.push_back(s.sample(t).value());
  auto sum = [&](int from, int to) {
    double total = 0;
    for (int i = from; i < to; ++i) total += mmPerMinute[static_cast<std::size_t>(i)];
    return total;
  };
  double bands = sum(0, 180) / 3, eyewall = sum(240, 270) * 2, eye = sum(276, 294) / 0.3,
         second = sum(300, 330) * 2;
  EXPECT_LT(bands, 24 * 1.0) << "outer bands: under 30 % of the peak rate on average";
  EXPECT_GT(eyewall, 60) << "eyewall: mm/h near the peak";
  EXPECT_LT(eye, 10) << "the eye is calm";
  EXPECT_GT(second, 55);
  EXPECT_GT(sum(240, 420), 100) << "100 mm in 3 h: the red rainstorm signal";
  for (double v : mmPerMinute) EXPECT_GE(v, 0);
}
