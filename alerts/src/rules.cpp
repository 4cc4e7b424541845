// The rule engine and its YAML loader (see rules.h).
#include "liandong/alerts/rules.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "liandong/alerts/warning.h"
#include "liandong/core/config.h"
#include "liandong/core/errors.h"

namespace liandong::alerts {

namespace {

constexpr const char *kColourKeys[4] = {"blue", "yellow", "orange", "red"};
// The national correspondence of warning colour and response level.
constexpr wire::ResponseLevel kDefaultResponse[4] = {wire::LEVEL_IV, wire::LEVEL_III, wire::LEVEL_II,
                                                     wire::LEVEL_I};

Rule readRule(const ConfigNode &n) {
  Rule r;
  r.id = n.literal("id");
  if (r.id.empty() || r.id.find_first_of(" \t\n/") != std::string::npos)
    n.fail("id", "must be a non-empty word without spaces or '/'");
  r.name = n.str("name", r.id);
  auto kind = n.choice("kind", {"threshold", "rate_of_rise", "accumulation", "distinct_count", "correlation"},
                       "threshold");
  r.kind = kind == "threshold"        ? RuleKind::Threshold
           : kind == "rate_of_rise"   ? RuleKind::RateOfRise
           : kind == "accumulation"   ? RuleKind::Accumulation
           : kind == "distinct_count" ? RuleKind::DistinctCount
                                      : RuleKind::Correlation;
  if (r.kind == RuleKind::Correlation) {
    // all_of: [rule ids], within_m, colour (and optionally response).
    r.quantity = n.str("quantity", "");
    r.allOf = n.strings("all_of");
    if (r.allOf.size() < 2) n.fail("all_of", "a correlation needs at least two rule ids");
    r.withinM = n.number("within_m");
    if (!(r.withinM > 0 && r.withinM <= 100000)) n.fail("within_m", "must be more than 0 and at most 100000");
    auto colour = n.choice("colour", {"blue", "yellow", "orange", "red"}, "orange");
    int c = 0;
    while (colour != kColourKeys[c]) ++c;
    ColourCondition cond{1, 0, kDefaultResponse[c]};
    if (n.has("response")) {
      auto level = parseLevel(n.str("response"));
      if (!level) n.fail("response", "not a response level (I, II, III or IV)");
      cond.response = *level;
    }
    r.colours[static_cast<std::size_t>(c)] = cond;
    return r;
  }
  r.quantity = n.str("quantity");
  for (const auto &reg : n.list("registered")) {
    if (r.kind != RuleKind::DistinctCount)
      reg.fail("sensor", "registered applies to distinct_count rules only");
    auto occupants = reg.integer("occupants");
    if (occupants < 0 || occupants > 10000) reg.fail("occupants", "must be 0..10000");
    r.registered[reg.str("sensor")] = static_cast<int>(occupants);
  }
  if (n.has("registered_quantity")) {
    if (r.kind != RuleKind::DistinctCount)
      n.fail("registered_quantity", "applies to distinct_count rules only");
    r.registeredQuantity = n.str("registered_quantity");
    if (r.registeredQuantity == r.quantity) n.fail("registered_quantity", "must differ from quantity");
  }
  r.sensors = n.strings("sensors");
  r.below = n.choice("direction", {"above", "below"}, "above") == "below";
  r.hysteresis = n.number("hysteresis", 0);
  if (!(r.hysteresis >= 0) || !std::isfinite(r.hysteresis))
    n.fail("hysteresis", "must be a finite number >= 0");
  auto minDuration = n.integer("min_duration_s", 0);
  if (minDuration < 0 || minDuration > 7 * 24 * 3600) n.fail("min_duration_s", "must be 0 .. 7 days");
  r.minDurationS = static_cast<int>(minDuration);
  if (r.below && r.kind != RuleKind::Threshold) n.fail("direction", "below applies to threshold rules only");
  auto windowS = n.integer("window_s", r.kind == RuleKind::RateOfRise ? 3600 : 0);
  if (windowS < 0 || windowS > 7 * 24 * 3600) n.fail("window_s", "must be 0 .. 7 days");
  int defaultWindow = static_cast<int>(windowS);
  // Per-station levels by their hydrological names: 警戒水位 raises yellow,
  // 保证水位 red (explicit `levels` may add or override colours).
  if (n.has("warning_level"))
    r.colours[1] = ColourCondition{n.number("warning_level"), 0, kDefaultResponse[1]};
  if (n.has("guaranteed_level"))
    r.colours[3] = ColourCondition{n.number("guaranteed_level"), 0, kDefaultResponse[3]};
  if (auto levels = n.optionalChild("levels")) {
    for (int c = 0; c < 4; ++c) {
      const char *key = kColourKeys[c];
      if (!levels->has(key)) continue;
      ColourCondition cond{0, defaultWindow, kDefaultResponse[c]};
      if (levels->isMapping(key)) {
        auto lv = levels->child(key);
        cond.value = lv.number(r.kind == RuleKind::Accumulation ? "amount" : "value");
        if (lv.has("window_h")) {
          auto hours = lv.number("window_h");
          if (!(hours > 0 && hours <= 7 * 24)) lv.fail("window_h", "must be more than 0 and at most 7 days");
          cond.windowS = static_cast<int>(std::lround(hours * 3600));
        }
        if (lv.has("window_s")) {
          auto seconds = lv.integer("window_s");
          if (seconds < 1 || seconds > 7 * 24 * 3600) lv.fail("window_s", "must be 1 s .. 7 days");
          cond.windowS = static_cast<int>(seconds);
        }
        if (lv.has("response")) {
          auto level = parseLevel(lv.str("response"));
          if (!level) lv.fail("response", "not a response level (I, II, III or IV)");
          cond.response = *level;
        }
      } else {
        cond.value = levels->number(key);
      }
      if (!std::isfinite(cond.value)) levels->fail(key, "level must be a finite number");
      if (r.kind != RuleKind::Threshold && cond.windowS <= 0)
        levels->fail(key, "needs a window (window_h or window_s here, or window_s on the rule)");
      if (cond.windowS > 7 * 24 * 3600) levels->fail(key, "window longer than 7 days");
      r.colours[static_cast<std::size_t>(c)] = cond;
    }
  }
  int set = 0;
  std::optional<double> previous;
  for (int c = 0; c < 4; ++c) {
    const auto &cond = r.colours[static_cast<std::size_t>(c)];
    if (!cond) continue;
    ++set;
    // Higher colours must be harder to reach.
    if (r.kind == RuleKind::Threshold && previous &&
        (r.below ? cond->value > *previous : cond->value < *previous))
      n.fail("levels", fmt::format("{} level {} is not beyond the level below it ({})", kColourKeys[c],
                                   cond->value, *previous));
    previous = cond->value;
  }
  if (set == 0) n.fail("levels", "no colour level (blue, yellow, orange, red) given");
  return r;
}

std::vector<Rule> readRules(const ConfigNode &cfg) {
  std::vector<Rule> out;
  std::set<std::string> ids;
  auto nodes = cfg.list("rules");
  for (const auto &n : nodes) {
    auto r = readRule(n);
    if (!ids.insert(r.id).second) n.fail("id", "duplicate rule id " + r.id);
    out.push_back(std::move(r));
  }
  // A correlation names rules of this file that are not correlations; its
  // alerts take the quantity of the first unless it names one.
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto &r = out[i];
    if (r.kind != RuleKind::Correlation) continue;
    for (const auto &id : r.allOf) {
      auto it = std::find_if(out.begin(), out.end(), [&](const Rule &o) { return o.id == id; });
      if (it == out.end()) nodes[i].fail("all_of", "no rule with id " + id + " in this file");
      if (it->kind == RuleKind::Correlation) nodes[i].fail("all_of", id + " is a correlation itself");
      if (r.quantity.empty() && id == r.allOf.front()) r.quantity = it->quantity;
    }
  }
  cfg.rejectUnknown();
  return out;
}

bool sameRule(const Rule &a, const Rule &b) {
  auto cond = [](const std::optional<ColourCondition> &c) {
    return c ? fmt::format("{}/{}/{}", c->value, c->windowS, static_cast<int>(c->response))
             : std::string("-");
  };
  if (a.id != b.id || a.kind != b.kind || a.quantity != b.quantity || a.sensors != b.sensors ||
      a.below != b.below || a.hysteresis != b.hysteresis || a.minDurationS != b.minDurationS ||
      a.name != b.name || a.registered != b.registered || a.registeredQuantity != b.registeredQuantity ||
      a.allOf != b.allOf || a.withinM != b.withinM)
    return false;
  for (std::size_t c = 0; c < 4; ++c)
    if (cond(a.colours[c]) != cond(b.colours[c])) return false;
  return true;
}

}  // namespace

std::vector<Rule> loadRules(const std::filesystem::path &file) {
  return readRules(ConfigNode::loadFile(file));
}

std::vector<Rule> loadRulesFromString(const std::string &yaml, const std::string &name) {
  return readRules(ConfigNode::loadString(yaml, name));
}

std::optional<std::vector<AlertChange>> RuleFile::reloadIfChanged(RuleEngine &engine) {
  if (path_.empty()) return std::nullopt;
  std::error_code ec;
  auto t = std::filesystem::last_write_time(path_, ec);
  if (ec || t == time_) return std::nullopt;
  time_ = t;
  return engine.setRules(loadRules(path_));
}

bool ruleApplies(const Rule &rule, const wire::Reading &reading) {
  if (rule.quantity != reading.quantity() &&
      (rule.registeredQuantity.empty() || rule.registeredQuantity != reading.quantity()))
    return false;
  return rule.sensors.empty() ||
         std::find(rule.sensors.begin(), rule.sensors.end(), reading.sensor_id()) != rule.sensors.end();
}

RuleEngine::RuleEngine(std::string source, std::vector<Rule> rules) : source_(std::move(source)) {
  setRules(std::move(rules));
}

std::vector<AlertChange> RuleEngine::setRules(std::vector<Rule> rules) {
  std::vector<AlertChange> out;
  std::map<std::string, const Rule *> incoming;
  for (const auto &r : rules) incoming[r.id] = &r;
  for (auto it = state_.begin(); it != state_.end();) {
    const std::string &ruleId = it->first.first, &sensor = it->first.second;
    auto in = incoming.find(ruleId);
    auto old = std::find_if(rules_.begin(), rules_.end(), [&](const Rule &r) { return r.id == ruleId; });
    bool keep = in != incoming.end() && old != rules_.end() && sameRule(*old, *in->second);
    if (!keep) {
      if (it->second.active >= 0 && old != rules_.end()) {
        wire::Reading last;
        last.set_sensor_id(sensor);
        auto alert = makeAlert(*old, it->second, last, it->second.active, 0);
        alert.set_cleared(true);
        alert.set_description("rule changed or removed");
        out.push_back({AlertChange::What::Cleared, std::move(alert)});
        ++stats_.cleared;
      }
      it = state_.erase(it);
    } else {
      ++it;
    }
  }
  rules_ = std::move(rules);
  index();
  return out;
}

void RuleEngine::index() {
  anySensor_.clear();
  bySensor_.clear();
  correlations_.clear();
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i].kind == RuleKind::Correlation) {
      correlations_.push_back(i);
      continue;
    }
    std::vector<std::string> quantities{rules_[i].quantity};
    if (!rules_[i].registeredQuantity.empty()) quantities.push_back(rules_[i].registeredQuantity);
    for (const auto &q : quantities) {
      if (rules_[i].sensors.empty())
        anySensor_[q].push_back(i);
      else
        for (const auto &s : rules_[i].sensors) bySensor_[s + '\n' + q].push_back(i);
    }
  }
}

std::size_t RuleEngine::activeAlerts() const {
  return static_cast<std::size_t>(
      std::count_if(state_.begin(), state_.end(), [](const auto &kv) { return kv.second.active >= 0; }));
}

std::vector<AlertChange> RuleEngine::onReading(const wire::Reading &reading) {
  std::vector<AlertChange> out;
  ++stats_.readings;
  if (!std::isfinite(reading.value())) return out;
  if (!indexed_) {
    for (std::size_t i = 0; i < rules_.size(); ++i)
      if (rules_[i].kind != RuleKind::Correlation && ruleApplies(rules_[i], reading))
        evaluate(i, reading, out);
  } else {
    if (auto it = anySensor_.find(reading.quantity()); it != anySensor_.end())
      for (auto i : it->second) evaluate(i, reading, out);
    if (!bySensor_.empty())
      if (auto it = bySensor_.find(reading.sensor_id() + '\n' + reading.quantity()); it != bySensor_.end())
        for (auto i : it->second) evaluate(i, reading, out);
  }
  if (!out.empty() && !correlations_.empty()) correlate(reading.observed_at_us(), out);
  return out;
}

wire::Alert RuleEngine::makeAlert(const Rule &rule, const State &st, const wire::Reading &r, int colour,
                                  double metric) const {
  wire::Alert a;
  a.set_alert_id(st.alertId);
  a.set_rule_id(rule.id);
  a.set_source_id(r.sensor_id());
  a.set_quantity(r.quantity());
  auto c = static_cast<std::size_t>(colour);
  a.set_colour(static_cast<wire::WarningColour>(colour + 1));
  a.set_suggested_level(rule.colours[c] ? rule.colours[c]->response : wire::LEVEL_NONE);
  a.set_headline(fmt::format("{} {}{}", rule.name, colourName(a.colour(), true), "预警"));
  const char *what = rule.kind == RuleKind::Threshold       ? "value"
                     : rule.kind == RuleKind::RateOfRise    ? "rise per hour"
                     : rule.kind == RuleKind::DistinctCount ? "distinct beyond the registered number"
                     : rule.kind == RuleKind::Correlation   ? "rules active together"
                                                            : "sum over the window";
  a.set_description(fmt::format("{} {}: {} {:.3g}{} (level {:.3g})", r.sensor_id(), rule.quantity, what,
                                metric, r.unit().empty() ? "" : " " + r.unit(),
                                rule.colours[c] ? rule.colours[c]->value : 0.0));
  a.set_onset_at_us(st.onsetUs);
  a.set_latitude(r.latitude());
  a.set_longitude(r.longitude());
  return a;
}

void RuleEngine::evaluate(std::size_t ruleIndex, const wire::Reading &r, std::vector<AlertChange> &out) {
  const auto &rule = rules_[ruleIndex];
  ++stats_.evaluations;
  auto &st = state_[{rule.id, r.sensor_id()}];
  if (!rule.registeredQuantity.empty() && r.quantity() == rule.registeredQuantity) {
    // The register changed (a tenant registered or left): the next door
    // reading is measured against it.
    st.registered = static_cast<int>(std::lround(std::max(0.0, r.value())));
    return;
  }
  auto at = r.observed_at_us();
  if (st.lastUs != 0 && at < st.lastUs) {
    ++stats_.outOfOrder;  // a late or replayed reading, or the sensor's clock went back
    return;
  }
  st.lastUs = at;
  st.latitude = r.latitude();
  st.longitude = r.longitude();
  // The metric per colour (windows may differ per colour).
  int maxWindow = 0;
  for (const auto &c : rule.colours)
    if (c) maxWindow = std::max(maxWindow, c->windowS);
  if (rule.kind != RuleKind::Threshold) {
    st.samples.push_back({at, r.value()});
    st.sum += r.value();
    while (!st.samples.empty() &&
           st.samples.front().atUs <= at - static_cast<std::int64_t>(maxWindow) * 1000000) {
      st.sum -= st.samples.front().value;
      st.samples.pop_front();
    }
  }
  auto metricFor = [&](const ColourCondition &c) -> double {
    switch (rule.kind) {
      case RuleKind::Threshold: return r.value();
      case RuleKind::DistinctCount: {
        std::set<double> seen;
        for (auto it = st.samples.rbegin(); it != st.samples.rend(); ++it) {
          if (it->atUs <= at - static_cast<std::int64_t>(c.windowS) * 1000000) break;
          seen.insert(it->value);
        }
        auto reg = rule.registered.find(r.sensor_id());
        int registered = st.registered >= 0 ? st.registered : reg == rule.registered.end() ? 0 : reg->second;
        return static_cast<double>(seen.size()) - registered;
      }
      case RuleKind::Correlation: return 0;  // evaluated in correlate()
      case RuleKind::Accumulation: {
        if (c.windowS == maxWindow) return st.sum;
        double s = 0;
        for (auto it = st.samples.rbegin(); it != st.samples.rend(); ++it) {
          if (it->atUs <= at - static_cast<std::int64_t>(c.windowS) * 1000000) break;
          s += it->value;
        }
        return s;
      }
      case RuleKind::RateOfRise: {
        // Rise from the oldest sample inside this colour's window, per hour.
        const Sample *first = nullptr;
        for (const auto &s : st.samples)
          if (s.atUs > at - static_cast<std::int64_t>(c.windowS) * 1000000) {
            first = &s;
            break;
          }
        // Not before half the window is covered: two readings a second apart
        // would turn noise into metres per hour.
        if (!first || at - first->atUs < static_cast<std::int64_t>(c.windowS) * 500000) return 0;
        return (r.value() - first->value) * 3600e6 / static_cast<double>(at - first->atUs);
      }
    }
    return 0;
  };
  // At or past a level, allowing `margin` back (the hysteresis, for the
  // colours already raised).
  auto beyond = [&](double metric, double level, double margin) {
    return rule.below ? metric <= level + margin : metric >= level - margin;
  };
  // The highest colour reached now.
  int reached = -1;
  double reachedMetric = r.value();
  for (int c = 3; c >= 0; --c) {
    const auto &cond = rule.colours[static_cast<std::size_t>(c)];
    if (!cond) continue;
    double m = metricFor(*cond);
    bool holds = beyond(m, cond->value, c <= st.active ? rule.hysteresis : 0);
    if (holds) {
      reached = c;
      reachedMetric = m;
      break;
    }
  }
  if (reached > st.active) {
    // Up: only once the value has stayed above the active colour for the
    // minimum duration; then to the colour reached by now.
    if (st.pending < 0) st.pendingSinceUs = at;
    st.pending = reached;
    if (at - st.pendingSinceUs < static_cast<std::int64_t>(rule.minDurationS) * 1000000) return;
    bool raised = st.active < 0;
    if (raised) {
      st.alertId = fmt::format("{}/{}/{}/{}", source_, rule.id, r.sensor_id(), at);
      st.onsetUs = at;
    }
    st.active = reached;
    st.pending = -1;
    out.push_back({raised ? AlertChange::What::Raised : AlertChange::What::Updated,
                   makeAlert(rule, st, r, reached, reachedMetric)});
    ++(raised ? stats_.raised : stats_.updated);
    return;
  }
  st.pending = -1;
  if (reached < st.active) {
    if (reached < 0) {
      auto alert = makeAlert(rule, st, r, st.active, reachedMetric);
      alert.set_cleared(true);
      out.push_back({AlertChange::What::Cleared, std::move(alert)});
      ++stats_.cleared;
      st.active = -1;
      st.alertId.clear();
    } else {
      st.active = reached;
      out.push_back({AlertChange::What::Updated, makeAlert(rule, st, r, reached, reachedMetric)});
      ++stats_.updated;
    }
  }
}

namespace {
double metresBetween(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kEarthM = 6371008.8, kRad = 3.14159265358979323846 / 180;
  double dLat = (lat2 - lat1) * kRad, dLon = (lon2 - lon1) * kRad;
  double h = std::sin(dLat / 2) * std::sin(dLat / 2) +
             std::cos(lat1 * kRad) * std::cos(lat2 * kRad) * std::sin(dLon / 2) * std::sin(dLon / 2);
  return 2 * kEarthM * std::asin(std::min(1.0, std::sqrt(h)));
}
}  // namespace

void RuleEngine::correlate(std::int64_t atUs, std::vector<AlertChange> &out) {
  // The active states of one rule: (sensor, state).
  auto active = [&](const std::string &ruleId) {
    std::vector<std::pair<std::string, const State *>> v;
    for (auto it = state_.lower_bound({ruleId, ""}); it != state_.end() && it->first.first == ruleId; ++it)
      if (it->second.active >= 0) v.emplace_back(it->first.second, &it->second);
    return v;
  };
  for (auto ri : correlations_) {
    const auto &rule = rules_[ri];
    int colour = 0;
    while (!rule.colours[static_cast<std::size_t>(colour)]) ++colour;
    // Anchors: sensors of the first rule with a partner of every other rule nearby.
    std::map<std::string, std::pair<const State *, std::vector<std::string>>> satisfied;
    for (const auto &[sensor, anchor] : active(rule.allOf.front())) {
      std::vector<std::string> partners;
      bool all = true;
      for (std::size_t k = 1; k < rule.allOf.size() && all; ++k) {
        bool found = false;
        for (const auto &[other, st] : active(rule.allOf[k]))
          if (metresBetween(anchor->latitude, anchor->longitude, st->latitude, st->longitude) <=
              rule.withinM) {
            partners.push_back(other);
            found = true;
            break;
          }
        all = found;
      }
      if (all) satisfied[sensor] = {anchor, partners};
    }
    auto reading = [&](const std::string &sensor, const State *anchor) {
      wire::Reading r;
      r.set_sensor_id(sensor);
      r.set_quantity(rule.quantity);
      r.set_observed_at_us(atUs);
      if (anchor) {
        r.set_latitude(anchor->latitude);
        r.set_longitude(anchor->longitude);
      }
      return r;
    };
    for (const auto &[sensor, what] : satisfied) {
      auto &st = state_[{rule.id, sensor}];
      if (st.active >= 0) continue;
      st.active = colour;
      st.alertId = fmt::format("{}/{}/{}/{}", source_, rule.id, sensor, atUs);
      st.onsetUs = atUs;
      st.latitude = what.first->latitude;
      st.longitude = what.first->longitude;
      auto alert = makeAlert(rule, st, reading(sensor, what.first), colour, 1);
      std::string with;
      for (const auto &p : what.second) with += (with.empty() ? "" : ", ") + p;
      alert.set_description(fmt::format("{}: {} with {} within {:.0f} m", sensor,
                                        fmt::join(rule.allOf, " and "), with, rule.withinM));
      out.push_back({AlertChange::What::Raised, std::move(alert)});
      ++stats_.raised;
    }
    for (auto it = state_.lower_bound({rule.id, ""}); it != state_.end() && it->first.first == rule.id;
         ++it) {
      auto &st = it->second;
      if (st.active < 0 || satisfied.count(it->first.second)) continue;
      auto alert = makeAlert(rule, st, reading(it->first.second, &st), st.active, 0);
      alert.set_cleared(true);
      out.push_back({AlertChange::What::Cleared, std::move(alert)});
      ++stats_.cleared;
      st.active = -1;
      st.alertId.clear();
    }
  }
}

}  // namespace liandong::alerts
