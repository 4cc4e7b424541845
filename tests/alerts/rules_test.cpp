// Tests of the rule engine on scripted time series: hysteresis edges,
// minimum duration, an alarm storm deduplicated into one alert, the national
// rainstorm signals on their window boundaries, rate of rise, readings out of
// order and clock jumps, hot reload keeping state; the YAML loader's errors.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <gtest/gtest.h>

#include "liandong/alerts/rules.h"
#include "liandong/core/errors.h"

using namespace liandong;
using namespace liandong::alerts;

namespace {

constexpr std::int64_t kT0 = 1'800'000'000'000'000;  // µs
constexpr std::int64_t kMin = 60'000'000;

wire::Reading reading(const std::string &sensor, const std::string &quantity, double value,
                      std::int64_t atUs) {
  wire::Reading r;
  r.set_sensor_id(sensor);
  r.set_quantity(quantity);
  r.set_value(value);
  r.set_unit(quantity == "rainfall" ? "mm" : "m");
  r.set_observed_at_us(atUs);
  return r;
}

RuleEngine engine(const std::string &yaml) {
  return RuleEngine("node-1", loadRulesFromString(yaml, "rules.yaml"));
}

// Feeds values a minute apart; returns the colour (0 none .. 4 red) after each.
struct Series {
  explicit Series(RuleEngine engine) : e(std::move(engine)) {}
  RuleEngine e;
  int colour = 0;
  std::vector<AlertChange> changes;
  std::int64_t t = kT0;
  int feed(double v, const std::string &quantity = "water_level", std::int64_t step = kMin) {
    t += step;
    for (auto &c : e.onReading(reading("81100001", quantity, v, t))) {
      colour = c.what == AlertChange::What::Cleared ? 0 : static_cast<int>(c.alert.colour());
      changes.push_back(std::move(c));
    }
    return colour;
  }
};

const char *kLevels = R"(rules:
  - id: shiqiao
    name: 市桥水道水位
    quantity: water_level
    sensors: ["81100001"]
    hysteresis: 0.05
    warning_level: 2.0     # 警戒水位: yellow
    guaranteed_level: 2.4  # 保证水位: red
)";

// The loader's error for `yaml` (read as rules.yaml), or "no error".
std::string loaderError(const std::string &yaml) {
  try {
    loadRulesFromString(yaml, "rules.yaml");
  } catch (const ConfigError &e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(Rules, ThresholdWithHysteresisEdges) {
  Series run{engine(kLevels)};
  EXPECT_EQ(run.feed(1.99), 0);
  EXPECT_EQ(run.feed(2.0), 2);  // at the level: yellow
  ASSERT_EQ(run.changes.size(), 1u);
  EXPECT_EQ(run.changes[0].what, AlertChange::What::Raised);
  EXPECT_EQ(run.changes[0].alert.suggested_level(), wire::LEVEL_III);
  EXPECT_EQ(run.feed(1.96), 2);  // within the hysteresis
  EXPECT_EQ(run.feed(1.95), 2);  // exactly at level - hysteresis: still
  EXPECT_EQ(run.feed(1.9499), 0);
  EXPECT_EQ(run.changes.back().what, AlertChange::What::Cleared);
  EXPECT_TRUE(run.changes.back().alert.cleared());
  auto firstId = run.changes.front().alert.alert_id();
  EXPECT_EQ(run.feed(2.45), 4);  // straight to red: a new episode, a new id
  EXPECT_EQ(run.changes.back().what, AlertChange::What::Raised);
  EXPECT_NE(run.changes.back().alert.alert_id(), firstId);
  EXPECT_EQ(run.changes.back().alert.suggested_level(), wire::LEVEL_I);
  EXPECT_EQ(run.feed(2.36), 4);
  EXPECT_EQ(run.feed(2.3), 2);  // down to yellow: the same alert, updated
  EXPECT_EQ(run.changes.back().what, AlertChange::What::Updated);
  EXPECT_EQ(run.changes.back().alert.alert_id(), run.changes[run.changes.size() - 2].alert.alert_id());
  // Other sensors and quantities are not this rule's business.
  EXPECT_TRUE(run.e.onReading(reading("81100002", "water_level", 9, run.t + kMin)).empty());
  EXPECT_TRUE(run.e.onReading(reading("81100001", "rainfall", 9, run.t + kMin)).empty());
}

TEST(Rules, MinimumDurationAndAnAlarmStormYieldOneAlert) {
  Series run{engine(R"(rules:
  - {id: level, quantity: water_level, min_duration_s: 300, levels: {orange: 3.0}}
)")};
  for (int i = 0; i < 4; ++i) run.feed(3.5);  // 4 minutes above
  run.feed(2.0);                              // interrupted
  EXPECT_TRUE(run.changes.empty());
  for (int i = 0; i < 5; ++i) run.feed(3.5);  // minutes 0..4 of a new stretch
  EXPECT_TRUE(run.changes.empty());
  run.feed(3.5);  // five minutes since it went above
  ASSERT_EQ(run.changes.size(), 1u);
  EXPECT_EQ(run.colour, 3);
  for (int i = 0; i < 10000; ++i) run.feed(3.0 + (i % 7) * 0.1, "water_level", 1'000'000);
  EXPECT_EQ(run.changes.size(), 1u) << "10,000 readings above the level are one alert";
  EXPECT_EQ(run.e.activeAlerts(), 1u);
  EXPECT_EQ(run.e.stats().raised, 1u);
}

TEST(Rules, RainstormSignalsOnTheirWindowBoundaries) {
  // The national signals: blue 50 mm/12 h, yellow 50 mm/6 h, orange 50 mm/3 h, red 100 mm/3 h.
  Series run{engine(R"(rules:
  - id: rainstorm
    kind: accumulation
    quantity: rainfall
    levels:
      blue: {amount: 50, window_h: 12}
      yellow: {amount: 50, window_h: 6}
      orange: {amount: 50, window_h: 3}
      red: {amount: 100, window_h: 3}
)")};
  const std::int64_t five = 5 * kMin;
  for (int i = 0; i < 9; ++i) run.feed(5, "rainfall", five);  // 45 mm in 45 min
  EXPECT_EQ(run.colour, 0);
  run.feed(5, "rainfall", five);  // 50 mm within 3 h: orange at once
  EXPECT_EQ(run.colour, 3);
  for (int i = 0; i < 10; ++i) run.feed(5, "rainfall", five);  // 100 mm within 3 h
  EXPECT_EQ(run.colour, 4);
  auto lastRain = run.t;
  // Dry from now: the 3 h sum falls under 100 then 50, the 6 h and 12 h sums later.
  auto colourAt = [&](std::int64_t at) {
    while (run.t + five <= at) run.feed(0, "rainfall", five);
    return run.colour;
  };
  // Rain fell at lastRain - 95 min .. lastRain, 5 mm every 5 min; a reading
  // leaves a window of w when it is exactly w old.
  EXPECT_EQ(colourAt(lastRain + 80 * kMin), 4);   // 3 h: all 100 mm
  EXPECT_EQ(colourAt(lastRain + 85 * kMin), 3);   // 95 mm: orange
  EXPECT_EQ(colourAt(lastRain + 130 * kMin), 3);  // 50 mm still inside 3 h
  EXPECT_EQ(colourAt(lastRain + 135 * kMin), 2);  // 45 mm in 3 h, 100 in 6 h: yellow
  EXPECT_EQ(colourAt(lastRain + 310 * kMin), 2);  // 50 mm inside 6 h
  EXPECT_EQ(colourAt(lastRain + 315 * kMin), 1);  // only the 12 h window: blue
  EXPECT_EQ(colourAt(lastRain + 670 * kMin), 1);
  EXPECT_EQ(colourAt(lastRain + 675 * kMin), 0);  // cleared
  EXPECT_EQ(run.changes.back().what, AlertChange::What::Cleared);
  EXPECT_EQ(run.e.stats().raised, 1u);
}

TEST(Rules, RateOfRise) {
  Series run{engine(R"(rules:
  - {id: rise, kind: rate_of_rise, quantity: water_level, window_s: 3600, levels: {yellow: 0.3, red: 0.6}}
)")};
  double v = 1.0;
  for (int i = 0; i < 30; ++i) run.feed(v += 0.004);  // 0.24 m/h
  EXPECT_EQ(run.colour, 0);
  for (int i = 0; i < 60; ++i) run.feed(v += 0.007);  // 0.42 m/h
  EXPECT_EQ(run.colour, 2);
  for (int i = 0; i < 60; ++i) run.feed(v += 0.012);  // 0.72 m/h
  EXPECT_EQ(run.colour, 4);
  for (int i = 0; i < 70; ++i) run.feed(v);  // level: no rise
  EXPECT_EQ(run.colour, 0);
  // Two readings a second apart are no rate: 1 cm would read as 36 m/h.
  Series fresh{engine(R"(rules:
  - {id: rise, kind: rate_of_rise, quantity: water_level, window_s: 3600, levels: {yellow: 0.3, red: 0.6}}
)")};
  fresh.feed(1.0, "water_level", 1'000'000);
  EXPECT_EQ(fresh.feed(1.01, "water_level", 1'000'000), 0);
}

TEST(Rules, ReadingsOutOfOrderAndClockJumps) {
  Series run{engine(R"(rules:
  - {id: rain, kind: accumulation, quantity: rainfall, levels: {orange: {amount: 50, window_h: 3}}}
)")};
  for (int i = 0; i < 9; ++i) run.feed(5, "rainfall");
  // A late reading (the sensor's clock went back): ignored, counted.
  EXPECT_TRUE(run.e.onReading(reading("81100001", "rainfall", 40, run.t - 10 * kMin)).empty());
  EXPECT_EQ(run.e.stats().outOfOrder, 1u);
  EXPECT_EQ(run.colour, 0);
  // A jump of a day forward: the old rain is outside every window.
  run.feed(5, "rainfall", 24 * 60 * kMin);
  EXPECT_EQ(run.colour, 0);
  EXPECT_TRUE(run.e.onReading(reading("81100001", "rainfall", std::nan(""), run.t + kMin)).empty());
}

TEST(Rules, BatteryLowIsAThresholdBelow) {
  Series run{engine(R"(rules:
  - {id: battery, quantity: battery_voltage, direction: below, hysteresis: 0.2, levels: {yellow: 11.5, red: 10.8}}
)")};
  EXPECT_EQ(run.feed(12.1, "battery_voltage"), 0);
  EXPECT_EQ(run.feed(11.4, "battery_voltage"), 2);
  EXPECT_EQ(run.feed(11.6, "battery_voltage"), 2);  // hysteresis
  EXPECT_EQ(run.feed(10.7, "battery_voltage"), 4);
  EXPECT_EQ(run.feed(11.8, "battery_voltage"), 0);
}

TEST(Rules, HotReloadKeepsTheStateOfUnchangedRulesAndClearsChangedOnes) {
  Series run{engine(kLevels)};
  run.feed(2.1);
  ASSERT_EQ(run.e.activeAlerts(), 1u);
  auto same = run.e.setRules(loadRulesFromString(kLevels, "rules.yaml"));
  EXPECT_TRUE(same.empty());
  run.feed(2.1);
  EXPECT_EQ(run.changes.size(), 1u) << "no second alert for the same episode after a reload";
  std::string changed = kLevels;
  changed.replace(changed.find("2.0 "), 4, "2.05");
  auto cleared = run.e.setRules(loadRulesFromString(changed, "rules.yaml"));
  ASSERT_EQ(cleared.size(), 1u);
  EXPECT_EQ(cleared[0].what, AlertChange::What::Cleared);
  EXPECT_EQ(run.e.activeAlerts(), 0u);
  run.feed(2.1);
  EXPECT_EQ(run.changes.back().what, AlertChange::What::Raised);
}

TEST(Rules, LoaderErrorsNameFileLineAndKey) {
  EXPECT_NE(loaderError("rules:\n  - id: a\n    quantity: q\n    levels: {red: 1}\n    colour: red\n")
                .find("rules.yaml:5: rules[0].colour: unknown key"),
            std::string::npos)
      << loaderError("rules:\n  - id: a\n    quantity: q\n    levels: {red: 1}\n    colour: red\n");
  EXPECT_NE(
      loaderError("rules:\n  - {id: a, quantity: q, levels: {yellow: 3, red: 2}}\n").find("is not beyond"),
      std::string::npos);
  EXPECT_NE(loaderError("rules:\n  - {id: a, kind: accumulation, quantity: q, levels: {red: 2}}\n")
                .find("needs a window"),
            std::string::npos);
  EXPECT_NE(loaderError(
                "rules:\n  - {id: a, quantity: q, levels: {red: 2}}\n  - {id: a, quantity: q, levels: {red: "
                "2}}\n")
                .find("duplicate rule id a"),
            std::string::npos);
  EXPECT_NE(loaderError("rules:\n  - {id: a, quantity: q}\n").find("no colour level"), std::string::npos);
  EXPECT_NE(loaderError("rules:\n  - {id: a, quantity: q, kind: magic, levels: {red: 1}}\n").find("kind"),
            std::string::npos);
  EXPECT_NE(loaderError("rules:\n  - {id: a, quantity: q, levels: {red: {value: 1, response: V}}}\n")
                .find("response"),
            std::string::npos);
}

TEST(Rules, TheIndexAndTheNaiveLoopAgree) {
  auto rules = loadRulesFromString(R"(rules:
  - {id: a, quantity: water_level, sensors: [s1, s2], levels: {red: 1}}
  - {id: b, quantity: water_level, levels: {red: 1}}
  - {id: c, quantity: rainfall, sensors: [s1], levels: {red: 1}}
)",
                                   "r.yaml");
  RuleEngine e("n", rules);
  for (auto [sensor, quantity, expect] :
       std::vector<std::tuple<std::string, std::string, int>>{{"s1", "water_level", 2},
                                                              {"s3", "water_level", 1},
                                                              {"s1", "rainfall", 1},
                                                              {"s2", "rainfall", 0}}) {
    auto r = reading(sensor, quantity, 5, kT0);
    int naive = 0;
    for (const auto &rule : rules) naive += ruleApplies(rule, r);
    EXPECT_EQ(naive, expect);
    auto before = e.stats().evaluations;
    e.onReading(r);
    EXPECT_EQ(static_cast<int>(e.stats().evaluations - before), expect) << sensor << " " << quantity;
  }
}

// 群租: a flat's door opened by more distinct cards in a day than it has
// registered occupants.
TEST(Rules, OvercrowdingCountsDistinctCardsBeyondTheRegisteredOccupants) {
  auto e = engine(R"(rules:
  - id: overcrowding
    name: 出租屋群租
    kind: distinct_count
    quantity: door_card
    window_s: 86400
    levels: {yellow: 3, orange: 6}
    registered:
      - {sensor: flat-301, occupants: 2}
      - {sensor: flat-302, occupants: 6}
)");
  std::vector<AlertChange> changes;
  auto t = kT0;
  auto open = [&](const std::string &flat, double card) {
    t += kMin;
    for (auto &c : e.onReading(reading(flat, "door_card", card, t))) changes.push_back(c);
  };
  // Four people come and go all day at 301: the same cards again and again.
  for (int round = 0; round < 20; ++round)
    for (double card : {1001, 1002, 1003, 1004}) open("flat-301", card);
  EXPECT_TRUE(changes.empty()) << "4 distinct cards = 2 beyond 2 registered: below yellow";
  open("flat-301", 1005);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].what, AlertChange::What::Raised);
  EXPECT_EQ(changes[0].alert.colour(), wire::COLOUR_YELLOW);
  EXPECT_NE(changes[0].alert.description().find("distinct"), std::string::npos);
  for (double card : {1006, 1007, 1008}) open("flat-301", card);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].alert.colour(), wire::COLOUR_ORANGE) << "8 cards, 6 beyond 2";
  // 302 has six registered: eight cards is only two beyond.
  for (double card : {1, 2, 3, 4, 5, 6, 7, 8}) open("flat-302", card);
  EXPECT_EQ(changes.size(), 2u);
  // A day later the old cards have left the window: cleared.
  t += 24 * 60 * kMin;
  open("flat-301", 1001);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[2].what, AlertChange::What::Cleared);
}

// Level rising AND heavy rain within 2 km: one correlated alert while both hold.
TEST(Rules, CorrelationNeedsBothAlertsNearEachOther) {
  auto e = engine(R"(rules:
  - {id: rise, kind: rate_of_rise, quantity: water_level, window_s: 600, levels: {yellow: 0.5}}
  - {id: rain, quantity: rainfall, levels: {yellow: 20}}
  - id: flood-risk
    name: 涨水叠加强降雨
    kind: correlation
    all_of: [rise, rain]
    within_m: 2000
    colour: orange
)");
  auto at = [](wire::Reading r, double lat, double lon) {
    r.set_latitude(lat);
    r.set_longitude(lon);
    return r;
  };
  std::vector<AlertChange> changes;
  auto feed = [&](const wire::Reading &r) {
    for (auto &c : e.onReading(r)) changes.push_back(c);
  };
  auto t = kT0;
  // Rain 5 km away from the gauge: no correlation.
  feed(at(reading("rain-far", "rainfall", 30, t), 22.99, 113.365));
  for (int i = 0; i <= 10; ++i)
    feed(at(reading("gauge", "water_level", 1.0 + 0.02 * i, t + i * kMin), 22.945, 113.365));
  auto correlated = [&] {
    int n = 0;
    for (const auto &c : changes)
      n += c.alert.rule_id() == "flood-risk" && c.what == AlertChange::What::Raised;
    return n;
  };
  EXPECT_EQ(correlated(), 0);
  // Rain 1 km away: the correlated alert, anchored at the gauge, of the flood's quantity.
  feed(at(reading("rain-near", "rainfall", 25, t + 11 * kMin), 22.954, 113.365));
  ASSERT_EQ(correlated(), 1);
  const auto &raised = *std::find_if(changes.begin(), changes.end(),
                                     [](const AlertChange &c) { return c.alert.rule_id() == "flood-risk"; });
  EXPECT_EQ(raised.alert.source_id(), "gauge");
  EXPECT_EQ(raised.alert.quantity(), "water_level");
  EXPECT_EQ(raised.alert.colour(), wire::COLOUR_ORANGE);
  EXPECT_EQ(raised.alert.suggested_level(), wire::LEVEL_II);
  EXPECT_NE(raised.alert.description().find("rain-near"), std::string::npos);
  // More rain changes nothing; the rain stopping clears it.
  feed(at(reading("rain-near", "rainfall", 26, t + 12 * kMin), 22.954, 113.365));
  EXPECT_EQ(correlated(), 1);
  feed(at(reading("rain-near", "rainfall", 0, t + 13 * kMin), 22.954, 113.365));
  EXPECT_TRUE(std::any_of(changes.begin(), changes.end(), [](const AlertChange &c) {
    return c.alert.rule_id() == "flood-risk" && c.what == AlertChange::What::Cleared;
  }));
  EXPECT_EQ(e.activeAlerts(), 2u) << "the rise and the far rain remain";
}

TEST(Rules, CorrelationAndOvercrowdingLoaderErrors) {
  EXPECT_NE(loaderError("rules:\n  - {id: c, kind: correlation, all_of: [a], within_m: 100}\n")
                .find("at least two"),
            std::string::npos);
  EXPECT_NE(loaderError("rules:\n  - {id: a, quantity: q, levels: {red: 1}}\n"
                        "  - {id: c, kind: correlation, all_of: [a, b], within_m: 100}\n")
                .find("rules.yaml:3: rules[1].all_of: no rule with id b"),
            std::string::npos);
  EXPECT_NE(
      loaderError(
          "rules:\n  - {id: a, quantity: q, levels: {red: 1}, registered: [{sensor: s, occupants: 2}]}\n")
          .find("registered applies to distinct_count rules only"),
      std::string::npos);
  EXPECT_NE(
      loaderError(
          "rules:\n  - {id: a, quantity: q, levels: {red: 1}}\n  - {id: b, quantity: q, levels: {red: 1}}\n"
          "  - {id: c, kind: correlation, all_of: [a, b], within_m: -5}\n")
          .find("within_m"),
      std::string::npos);
}

// The tenant register moves the overcrowding threshold: a registration
// raises it, a departure lowers it; the next door reading is measured anew.
TEST(Rules, OvercrowdingFollowsTheTenantRegister) {
  auto e = engine(R"(rules:
  - id: overcrowding
    kind: distinct_count
    quantity: door_card
    registered_quantity: tenants
    window_s: 86400
    levels: {yellow: 2}
)");
  std::vector<AlertChange> changes;
  auto t = kT0;
  auto feed = [&](const std::string &quantity, double v) {
    t += kMin;
    for (auto &c : e.onReading(reading("flat-7", quantity, v, t))) changes.push_back(c);
  };
  feed("tenants", 3);
  for (double card : {1, 2, 3, 4}) feed("door_card", card);
  EXPECT_TRUE(changes.empty()) << "4 cards, 3 registered";
  feed("tenants", 2);  // one left
  feed("door_card", 4);
  ASSERT_EQ(changes.size(), 1u) << "4 cards, 2 registered: 2 beyond";
  EXPECT_EQ(changes[0].what, AlertChange::What::Raised);
  feed("tenants", 4);  // two registered
  feed("door_card", 1);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].what, AlertChange::What::Cleared);
  EXPECT_THROW(loadRulesFromString(
                   "rules:\n  - {id: a, quantity: q, registered_quantity: t, levels: {red: 1}}\n", "r.yaml"),
               ConfigError)
      << "registered_quantity is for distinct_count rules";
}

// A watched rule file: loaded on the first call, again only when it changed;
// a broken edit is refused and the loaded rules stay.
TEST(Rules, RuleFileReloadsOnlyWhenTheFileChanges) {
  auto path = std::filesystem::temp_directory_path() / ("ld-rules-" + std::to_string(::getpid()) + ".yaml");
  auto write = [&](const std::string &text, int secondsLater) {
    {
      std::ofstream out(path);
      out << text;
    }
    static auto base = std::filesystem::last_write_time(path);
    std::filesystem::last_write_time(path, base + std::chrono::seconds(secondsLater));
  };
  write("rules:\n  - {id: a, quantity: water_level, levels: {red: 2}}\n", 0);
  RuleEngine e("node-1");
  RuleFile file(path);
  auto first = file.reloadIfChanged(e);
  ASSERT_TRUE(first);
  EXPECT_EQ(e.ruleCount(), 1u);
  EXPECT_FALSE(file.reloadIfChanged(e)) << "unchanged";
  EXPECT_EQ(e.onReading(reading("g", "water_level", 3, kT0)).size(), 1u);
  write("rules:\n  - {id: b, quantity: water_level, levels: {red: 2}}\n", 1);
  auto second = file.reloadIfChanged(e);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->size(), 1u) << "rule a's alert is cleared with it";
  EXPECT_EQ((*second)[0].what, AlertChange::What::Cleared);
  write("rules:\n  - {id: c, quantity: water_level, levels: {red: 2}, colour: red}\n", 2);
  EXPECT_THROW(file.reloadIfChanged(e), ConfigError);
  EXPECT_EQ(e.ruleCount(), 1u) << "the broken edit left the loaded rules";
  EXPECT_FALSE(file.reloadIfChanged(e)) << "tried again only once it changes again";
  EXPECT_FALSE(RuleFile("").reloadIfChanged(e)) << "no file configured";
  std::filesystem::remove(path);
}
