// Simulated sensor models (see simulated_sensor.h).
#include "liandong/ingest/sensors/simulated_sensor.h"

#include <cmath>
#include <numbers>

namespace liandong::ingest {

std::vector<SimulatedSensorSpec> readSimulatedSensors(const ConfigNode &node) {
  std::vector<SimulatedSensorSpec> out;
  for (const auto &s : node.list("simulated_sensors")) {
    SimulatedSensorSpec spec;
    spec.id = s.str("id");
    spec.name = s.str("name", spec.id);
    spec.model = s.choice("model", {"tide", "rain", "typhoon", "constant"}, "constant");
    spec.quantity = s.str("quantity");
    spec.unit = s.str("unit");
    spec.latitude = s.number("latitude");
    spec.longitude = s.number("longitude");
    if (spec.latitude < -90 || spec.latitude > 90) s.fail("latitude", "must be between -90 and 90");
    if (spec.longitude < -180 || spec.longitude > 180) s.fail("longitude", "must be between -180 and 180");
    spec.intervalMs = static_cast<int>(s.integer("interval_ms", 1000));
    if (spec.intervalMs < 1) s.fail("interval_ms", "must be at least 1");
    spec.base = s.number("base", 0);
    spec.amplitude = s.number("amplitude", 0);
    spec.periodS = s.number("period_s", 600);
    if (spec.periodS <= 0) s.fail("period_s", "must be positive");
    spec.noise = s.number("noise", 0);
    out.push_back(spec);
  }
  return out;
}

SimulatedSensor::SimulatedSensor(SimulatedSensorSpec spec, std::uint32_t seed)
    : spec_(std::move(spec)), rng_(seed) {}

wire::Reading SimulatedSensor::sample(std::int64_t nowUs) {
  double t = static_cast<double>(nowUs) / 1e6;
  std::normal_distribution<double> noise(0.0, spec_.noise > 0 ? spec_.noise : 1e-12);
  double value = spec_.base;
  if (spec_.model == "tide") {
    // Semi-diurnal tide compressed to `period_s`, plus sensor noise.
    value = spec_.base + spec_.amplitude * std::sin(2 * std::numbers::pi * t / spec_.periodS) + noise(rng_);
  } else if (spec_.model == "typhoon") {
    // A typhoon passing over the gauge in `period_s` (then the next one):
    // outer rain bands in bursts, the eyewall at `amplitude` mm/h, the calm
    // of the eye, the second eyewall, then tapering bands.
    if (startUs_ == 0) startUs_ = nowUs;
    double x = std::fmod(static_cast<double>(nowUs - startUs_) / 1e6 / spec_.periodS, 1.0);
    std::uniform_real_distribution<double> u(0, 1);
    double rate;
    if (x < 0.3)
      rate = spec_.amplitude * 0.3 * (u(rng_) < 0.6 ? u(rng_) : 0.0);  // outer bands
    else if (x < 0.45)
      rate = spec_.amplitude * (0.3 + 0.7 * (x - 0.3) / 0.15);  // the eyewall comes
    else if (x < 0.5)
      rate = spec_.amplitude * 0.05;  // the eye
    else if (x < 0.65)
      rate = spec_.amplitude * (1.0 - 0.5 * (x - 0.5) / 0.15);  // the second eyewall
    else
      rate = spec_.amplitude * 0.5 * (1.0 - (x - 0.65) / 0.35) * (u(rng_) < 0.7 ? 1.0 : 0.3);
    value = std::max(0.0, rate * spec_.intervalMs / 3.6e6 + noise(rng_));
  } else if (spec_.model == "rain") {
    // Bursts: the rate changes now and then; the reading is the amount in this interval.
    std::uniform_real_distribution<double> u(0, 1);
    if (u(rng_) < 0.05) rainRate_ = u(rng_) < 0.5 ? 0.0 : spec_.amplitude * u(rng_);
    value = std::max(0.0, rainRate_ * spec_.intervalMs / 3.6e6 + noise(rng_));
  } else {
    value = spec_.base + noise(rng_);
  }
  nextAtUs_ = (nextAtUs_ == 0 ? nowUs : nextAtUs_) + static_cast<std::int64_t>(spec_.intervalMs) * 1000;
  if (nextAtUs_ < nowUs) nextAtUs_ = nowUs + static_cast<std::int64_t>(spec_.intervalMs) * 1000;
  wire::Reading r;
  r.set_sensor_id(spec_.id);
  r.set_quantity(spec_.quantity);
  r.set_value(std::round(value * 1000) / 1000);
  r.set_unit(spec_.unit);
  r.set_observed_at_us(nowUs);
  r.set_latitude(spec_.latitude);
  r.set_longitude(spec_.longitude);
  return r;
}

}  // namespace liandong::ingest
