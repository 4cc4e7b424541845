// Fuzz target for the YAML rule loader: any text must end in rules or a
// clean ConfigError, never a crash, a hang or another exception. Built with
// libFuzzer by `scripts/bench fuzz`; the suite replays tests/alerts/corpus/rules.
#include <cstddef>
#include <cstdint>
#include <string>

#include "liandong/alerts/rules.h"
#include "liandong/core/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  try {
    auto rules = liandong::alerts::loadRulesFromString(text, "fuzz.yaml");
    liandong::alerts::RuleEngine engine("fuzz", rules);
    liandong::wire::Reading r;
    for (const auto &rule : rules) {
      r.set_sensor_id(rule.sensors.empty() ? "s" : rule.sensors.front());
      r.set_quantity(rule.quantity);
      r.set_value(1e9);
      r.set_observed_at_us(1);
      engine.onReading(r);
    }
  } catch (const liandong::Error &) {
    // refused with a reason: fine
  }
  return 0;
}
