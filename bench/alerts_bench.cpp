// liandong-bench-alerts: readings per second through the rule engine with
// 10,000 rules (threshold rules on one station each, and rainfall
// accumulations over all rain gauges), against the naive loop that checks
// every rule for every reading, in the same run and on the same readings;
// and the time from a reading to the alert it raises.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <random>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "liandong/alerts/rules.h"
#include "liandong/core/clock.h"

using namespace liandong;

namespace {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1,
                    static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5))];
}

std::vector<alerts::Rule> makeRules(int n) {
  std::vector<alerts::Rule> rules;
  for (int i = 0; i < n; ++i) {
    alerts::Rule r;
    r.id = fmt::format("level-{}", i);
    r.name = r.id;
    r.quantity = "water_level";
    r.sensors = {fmt::format("st{:05}", i)};
    r.hysteresis = 0.05;
    r.colours[1] = alerts::ColourCondition{2.0, 0, wire::LEVEL_III};
    r.colours[3] = alerts::ColourCondition{2.6, 0, wire::LEVEL_I};
    rules.push_back(r);
  }
  alerts::Rule rain;
  rain.id = "rainstorm";
  rain.quantity = "rainfall";
  rain.kind = alerts::RuleKind::Accumulation;
  rain.colours[0] = alerts::ColourCondition{50, 12 * 3600, wire::LEVEL_IV};
  rain.colours[3] = alerts::ColourCondition{100, 3 * 3600, wire::LEVEL_I};
  rules.push_back(rain);
  return rules;
}

std::vector<wire::Reading> makeReadings(int n, int stations, std::mt19937 &rng) {
  std::uniform_int_distribution<int> station(0, stations - 1);
  std::normal_distribution<double> level(1.5, 0.3);
  std::vector<wire::Reading> out;
  std::int64_t t = 1'800'000'000'000'000;
  for (int i = 0; i < n; ++i) {
    wire::Reading r;
    t += 1000;  // 1 ms apart
    if (i % 10 == 0) {
      r.set_sensor_id(fmt::format("rain{:03}", i % 500));
      r.set_quantity("rainfall");
      r.set_value(0.5);
    } else {
      r.set_sensor_id(fmt::format("st{:05}", station(rng)));
      r.set_quantity("water_level");
      r.set_value(level(rng));
    }
    r.set_unit("m");
    r.set_observed_at_us(t);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"Liandong rule engine benchmark"};
  int rulesN = 10000, readingsN = 1000000, naiveN = 20000;
  std::string jsonOut;
  app.add_option("--rules", rulesN)->default_val(10000);
  app.add_option("--readings", readingsN)->default_val(1000000);
  app.add_option("--naive-readings", naiveN)->default_val(20000);
  app.add_option("--json", jsonOut)->required();
  CLI11_PARSE(app, argc, argv);
  std::mt19937 rng(42);
  auto rules = makeRules(rulesN);
  auto readings = makeReadings(readingsN, rulesN, rng);

  alerts::RuleEngine engine("bench", rules);
  std::vector<double> toAlert;
  std::uint64_t changes = 0;
  auto t0 = nowUs();
  for (const auto &r : readings) {
    auto start = nowUs();
    auto out = engine.onReading(r);
    if (!out.empty()) {
      toAlert.push_back(static_cast<double>(nowUs() - start) / 1000.0);
      changes += out.size();
    }
  }
  double engineRate = readingsN / (static_cast<double>(nowUs() - t0) / 1e6);

  // The naive loop on the first readings (it is slow), and a check that it
  // reaches the same alerts.
  alerts::RuleEngine naive("bench", rules);
  naive.setIndexed(false);
  alerts::RuleEngine check("bench", rules);
  std::uint64_t naiveChanges = 0, checkChanges = 0;
  t0 = nowUs();
  for (int i = 0; i < naiveN; ++i)
    naiveChanges += naive.onReading(readings[static_cast<std::size_t>(i)]).size();
  double naiveRate = naiveN / (static_cast<double>(nowUs() - t0) / 1e6);
  for (int i = 0; i < naiveN; ++i)
    checkChanges += check.onReading(readings[static_cast<std::size_t>(i)]).size();

  nlohmann::json out = {{"rules", rules.size()},
                        {"readings", readingsN},
                        {"engine_readings_per_s", engineRate},
                        {"naive_readings", naiveN},
                        {"naive_readings_per_s", naiveRate},
                        {"speedup", engineRate / naiveRate},
                        {"alert_changes", changes},
                        {"alerts_raised", engine.stats().raised},
                        {"active_alerts_at_end", engine.activeAlerts()},
                        {"naive_same_changes", naiveChanges == checkChanges},
                        {"reading_to_alert_p50_ms", percentile(toAlert, 50)},
                        {"reading_to_alert_p99_ms", percentile(toAlert, 99)}};
  std::ofstream(jsonOut) << out.dump(2) << "\n";
  std::cout << out.dump(2) << "\n";
  return naiveChanges == checkChanges ? 0 : 1;
}
