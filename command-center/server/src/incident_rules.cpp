// The incident lifecycle, roles, lead tiers and alert-to-type map (see
// incident_rules.h).
#include "liandong/server/incident_rules.h"

#include <array>
#include <stdexcept>

#include "liandong/alerts/warning.h"

namespace liandong::server {

std::optional<Role> parseRole(std::string_view text) {
  if (text == "duty_officer") return Role::DutyOfficer;
  if (text == "agency_operator") return Role::AgencyOperator;
  if (text == "leader") return Role::Leader;
  if (text == "admin") return Role::Admin;
  return std::nullopt;
}

std::string roleName(Role role) {
  switch (role) {
    case Role::DutyOfficer: return "duty_officer";
    case Role::AgencyOperator: return "agency_operator";
    case Role::Leader: return "leader";
    case Role::Admin: return "admin";
    case Role::System: return "system";
  }
  return "system";
}

Transition nextState(std::string_view state, std::string_view action) {
  struct Edge {
    std::string_view from, action, to;
  };
  static constexpr std::array<Edge, 9> edges{{
      {"reported", "verify", "verified"},
      {"verified", "respond", "responding"},
      {"reported", "respond", "responding"},  // a duty officer who sees it on video may go straight on
      {"responding", "contain", "contained"},
      {"contained", "respond", "responding"},  // it flared up again
      {"contained", "close", "closed"},
      {"reported", "close", "closed"},  // a false alarm, with a reason
      {"verified", "close", "closed"},
      {"closed", "reopen", "responding"},
  }};
  bool knownAction = false;
  for (const auto &e : edges) {
    if (e.action == action) knownAction = true;
    if (e.from == state && e.action == action) return {std::string(e.to), ""};
  }
  if (!knownAction) return {std::nullopt, "unknown action \"" + std::string(action) + "\""};
  return {std::nullopt, "cannot " + std::string(action) + " an incident that is " + std::string(state)};
}

bool mayDo(Role role, std::string_view action) {
  switch (role) {
    case Role::System:
    case Role::Admin: return true;
    case Role::DutyOfficer: return true;
    case Role::Leader:
      // Leaders watch, decide the response level and leave instructions.
      return action == "read" || action == "set_level" || action == "note" || action == "directive";
    case Role::AgencyOperator:
      // Field agencies report what they find; the duty officer runs the incident.
      return action == "read" || action == "create" || action == "note";
  }
  return false;
}

LeadTierPolicy::LeadTierPolicy() {
  for (auto level : {wire::LEVEL_I, wire::LEVEL_II, wire::LEVEL_III, wire::LEVEL_IV}) {
    auto tier = alerts::leadTier(level);
    tiers_[level] = tier == wire::TIER_PROVINCE ? "province" : tier == wire::TIER_CITY ? "city" : "county";
  }
}

void LeadTierPolicy::set(wire::ResponseLevel level, std::string_view tierName) {
  if (tierRank(tierName) < 0) throw std::invalid_argument("unknown tier \"" + std::string(tierName) + "\"");
  tiers_[level] = std::string(tierName);
}

std::string LeadTierPolicy::tierName(wire::ResponseLevel level) const {
  auto it = tiers_.find(level);
  return it == tiers_.end() ? "county" : it->second;
}

int tierRank(std::string_view tierName) {
  if (tierName == "state") return 0;
  if (tierName == "province") return 1;
  if (tierName == "city") return 2;
  if (tierName == "county") return 3;
  if (tierName == "town") return 4;
  return -1;
}

wire::Tier tierOf(std::string_view tierName) {
  switch (tierRank(tierName)) {
    case 1: return wire::TIER_PROVINCE;
    case 2: return wire::TIER_CITY;
    case 3: return wire::TIER_COUNTY;
    case 4: return wire::TIER_TOWN;
    default: return wire::TIER_UNSPECIFIED;
  }
}

TypeMap::TypeMap() {
  for (const char *q : {"water_level", "rainfall", "rainfall_1h", "rainfall_day", "flow", "reservoir_level"})
    map_[q] = "flood";
  map_["wind_speed"] = "typhoon";
  map_["smoke"] = "fire";
  map_["temperature"] = "fire";
  for (const char *q : {"panic", "intrusion", "alarm"}) map_[q] = "public_security";
  for (const char *q : {"door", "door_card", "occupancy", "overcrowding"}) map_[q] = "rental_housing";
  map_["camera"] = "equipment";
  map_["camera_state"] = "equipment";
}

std::string TypeMap::typeFor(std::string_view quantity) const {
  auto it = map_.find(quantity);
  return it == map_.end() ? "other" : it->second;
}

wire::WarningColour moreSevere(wire::WarningColour a, wire::WarningColour b) {
  return a >= b ? a : b;
}

std::string colourKey(wire::WarningColour colour) {
  switch (colour) {
    case wire::COLOUR_BLUE: return "blue";
    case wire::COLOUR_YELLOW: return "yellow";
    case wire::COLOUR_ORANGE: return "orange";
    case wire::COLOUR_RED: return "red";
    default: return "none";
  }
}

wire::WarningColour parseColourKey(std::string_view key) {
  if (key == "blue") return wire::COLOUR_BLUE;
  if (key == "yellow") return wire::COLOUR_YELLOW;
  if (key == "orange") return wire::COLOUR_ORANGE;
  if (key == "red") return wire::COLOUR_RED;
  return wire::COLOUR_NONE;
}

}  // namespace liandong::server
