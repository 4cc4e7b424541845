// The rule engine: turns readings into alerts that mean something, at the
// edge (an ingest node raises local alerts while its link is cut) and in the
// centre. Rules watch one quantity of some or all sensors:
//   threshold     the value at or above (or below) a level per colour, with
//                 hysteresis and a minimum duration;
//   rate_of_rise  the rise per hour over a window (units/h);
//   accumulation  the sum over a rolling window, a window per colour (the
//                 national rainstorm signals: blue 50 mm in 12 h, yellow 50 mm
//                 in 6 h, orange 50 mm in 3 h, red 100 mm in 3 h);
//   distinct_count  how many distinct values (card numbers at a flat's door)
//                 a sensor reported over a window, beyond its registered
//                 number (occupants) — overcrowding, 群租;
//   correlation   other rules' alerts active together within a distance
//                 (level rising AND heavy rain within 2 km).
// One alert per (rule, sensor) episode: raised once, updated only when its
// colour changes, cleared when the condition ends — so an alarm storm of
// 10,000 readings yields one alert that updates, not 10,000 alerts. Rules are
// indexed by sensor and quantity, so the cost of a reading does not grow with
// the number of rules that cannot apply to it. Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "liandong.pb.h"

namespace liandong::alerts {

enum class RuleKind { Threshold, RateOfRise, Accumulation, DistinctCount, Correlation };

// What one colour needs: a value (threshold: the reading; rate_of_rise: units
// per hour; accumulation: the window's sum), over a window for the window kinds.
struct ColourCondition {
  double value = 0;
  int windowS = 0;
  wire::ResponseLevel response = wire::LEVEL_NONE;  // suggested response level
};

struct Rule {
  std::string id;
  std::string name;
  RuleKind kind = RuleKind::Threshold;
  std::string quantity;
  std::vector<std::string> sensors;  // empty: every sensor of the quantity
  bool below = false;                // threshold: alert when the value is at or below
  // Index 0 blue, 1 yellow, 2 orange, 3 red; unset colours are skipped.
  std::array<std::optional<ColourCondition>, 4> colours;
  double hysteresis = 0;  // a colour ends only this far back past its level
  int minDurationS = 0;   // a colour must hold this long before it is raised
  // distinct_count: the registered number per sensor (0 when not listed),
  // or, when `registeredQuantity` is set, the latest reading of that quantity
  // from the same sensor (a building's tenant register: registrations and
  // departures change it).
  std::map<std::string, int> registered;
  std::string registeredQuantity;
  // correlation: the rules whose alerts must be active together, the first
  // one's sensor anchoring the alert, each other within `withinM` of it.
  std::vector<std::string> allOf;
  double withinM = 0;
};

// Loads rules from YAML (a top-level `rules:` list). Throws ConfigError
// naming the file, line and key of the first mistake.
std::vector<Rule> loadRules(const std::filesystem::path &file);
std::vector<Rule> loadRulesFromString(const std::string &yaml, const std::string &name);

struct AlertChange {
  enum class What { Raised, Updated, Cleared } what;
  wire::Alert alert;
};

struct EngineStats {
  std::uint64_t readings = 0, evaluations = 0, raised = 0, updated = 0, cleared = 0, outOfOrder = 0;
};

class RuleEngine {
public:
  // `source` prefixes alert ids (the node or centre id).
  explicit RuleEngine(std::string source, std::vector<Rule> rules = {});
  // Replaces the rules; the state (windows, active alerts) of rules whose id
  // and definition are unchanged is kept. Alerts of removed or changed rules
  // are cleared (returned).
  std::vector<AlertChange> setRules(std::vector<Rule> rules);
  // Evaluates one reading against the rules that apply to it.
  std::vector<AlertChange> onReading(const wire::Reading &reading);
  const EngineStats &stats() const { return stats_; }
  // false: check every rule for every reading (the naive loop the benchmark
  // compares against; same results).
  void setIndexed(bool indexed) { indexed_ = indexed; }
  std::size_t activeAlerts() const;
  std::size_t ruleCount() const { return rules_.size(); }

private:
  struct Sample {
    std::int64_t atUs;
    double value;
  };
  struct State {
    std::deque<Sample> samples;          // window kinds
    double latitude = 0, longitude = 0;  // where the sensor last reported from
    int registered = -1;                 // distinct_count: from registeredQuantity (-1: not heard)
    double sum = 0;                      // accumulation: sum of `samples`
    std::int64_t lastUs = 0;
    int active = -1;   // colour index raised, -1 none
    int pending = -1;  // colour waiting for its minimum duration
    std::int64_t pendingSinceUs = 0;
    std::string alertId;
    std::int64_t onsetUs = 0;
  };
  void index();
  void evaluate(std::size_t ruleIndex, const wire::Reading &r, std::vector<AlertChange> &out);
  // Correlation rules, after other alerts changed; `atUs` is the time of the reading that changed them.
  void correlate(std::int64_t atUs, std::vector<AlertChange> &out);
  wire::Alert makeAlert(const Rule &rule, const State &st, const wire::Reading &r, int colour,
                        double metric) const;

  std::string source_;
  std::vector<Rule> rules_;
  std::unordered_map<std::string, std::vector<std::size_t>> anySensor_;  // quantity -> rules for every sensor
  std::unordered_map<std::string, std::vector<std::size_t>> bySensor_;   // sensor '\n' quantity -> rules
  std::vector<std::size_t> correlations_;                                // correlation rules
  std::map<std::pair<std::string, std::string>, State> state_;           // (rule id, sensor) -> state
  bool indexed_ = true;
  EngineStats stats_;
};

// A rule file watched for changes (a node's or a centre's `rules:`).
class RuleFile {
public:
  explicit RuleFile(std::filesystem::path path) : path_(std::move(path)) {}
  // When the file changed since the last call (the first call always loads
  // it), loads it into `engine` and returns the alerts the change cleared;
  // nothing when unchanged or no file is configured. Throws ConfigError for a
  // broken file (the engine keeps its rules; the file is tried again once it
  // changes again).
  std::optional<std::vector<AlertChange>> reloadIfChanged(RuleEngine &engine);
  const std::filesystem::path &path() const { return path_; }

private:
  std::filesystem::path path_;
  std::filesystem::file_time_type time_{};
};

// The reference the bench compares against: every rule checked for every
// reading (same semantics, no index).
bool ruleApplies(const Rule &rule, const wire::Reading &reading);

}  // namespace liandong::alerts
