// Simulated sensors for the demo and tests until the real protocol adapters
// and their simulators exist: a tide-affected river gauge, a rain gauge with
// bursts, and a slowly draining battery. Deterministic for a given seed.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "liandong.pb.h"
#include "liandong/core/config.h"

namespace liandong::ingest {

struct SimulatedSensorSpec {
  std::string id;  // station code
  std::string name;
  std::string quantity;  // water_level, rainfall, battery_voltage
  std::string unit;
  std::string model;  // tide, rain, typhoon, constant
  double latitude = 0;
  double longitude = 0;
  int intervalMs = 1000;
  double base = 0;
  double amplitude = 0;
  double periodS = 600;
  double noise = 0;
};

// Reads the `simulated_sensors` list of a node configuration.
std::vector<SimulatedSensorSpec> readSimulatedSensors(const ConfigNode &node);

class SimulatedSensor {
public:
  SimulatedSensor(SimulatedSensorSpec spec, std::uint32_t seed);
  const SimulatedSensorSpec &spec() const { return spec_; }
  // True when a reading is due at `nowUs`.
  bool due(std::int64_t nowUs) const { return nowUs >= nextAtUs_; }
  // The reading at `nowUs`; schedules the next one.
  wire::Reading sample(std::int64_t nowUs);

private:
  SimulatedSensorSpec spec_;
  std::mt19937 rng_;
  std::int64_t nextAtUs_ = 0;
  double rainRate_ = 0;       // mm/h of the current burst
  std::int64_t startUs_ = 0;  // typhoon: when this sensor's first passage began
};

}  // namespace liandong::ingest
