// The rules of an incident's life, free of any database: the lifecycle
// (reported → verified → responding → contained → closed, with reopen), who
// may do what (roles), which tier leads at each response level, and which
// incident type an alert's quantity means. Unit-tested on their own; the
// incident desk (incidents.h) applies them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "liandong.pb.h"

namespace liandong::server {

enum class Role { DutyOfficer, AgencyOperator, Leader, Admin, System };

std::optional<Role> parseRole(std::string_view text);  // "duty_officer", ...
std::string roleName(Role role);

// Who asks: a signed-in user, or the centre itself (alerts, remote copies).
struct Actor {
  std::string name;  // user name, or "system"
  Role role = Role::System;
  std::string regionCode;  // jurisdiction root; empty for System
  std::string agencyId;    // for agency operators
  std::string console;     // which console or tool, for the audit log

  static Actor system(const std::string &what) { return {what, Role::System, "", "", "centre"}; }
};

// The state after `action`, or the reason it is not allowed now. Actions:
// verify, respond, contain, close, reopen.
struct Transition {
  std::optional<std::string> state;
  std::string refusal;  // set when state is empty
};
Transition nextState(std::string_view state, std::string_view action);

// What a role may do. Actions as above plus "create", "set_level", "note",
// "read".
bool mayDo(Role role, std::string_view action);

// The tier that leads each response level (I..IV), from configuration.
class LeadTierPolicy {
public:
  LeadTierPolicy();  // IV county, III city, II province, I province reporting to the state
  // Throws ConfigError-like std::invalid_argument for an unknown tier name.
  void set(wire::ResponseLevel level, std::string_view tierName);
  std::string tierName(wire::ResponseLevel level) const;  // "county", "city", "province", "state"

private:
  std::map<int, std::string> tiers_;
};

// The rank of a tier name, province 1 … town 4 (state 0); -1 when unknown.
int tierRank(std::string_view tierName);
wire::Tier tierOf(std::string_view tierName);

// Incident type for an alert on a quantity ("water_level" → "flood",
// "smoke" → "fire", ...), with overrides from configuration.
class TypeMap {
public:
  TypeMap();
  void set(const std::string &quantity, const std::string &type) { map_[quantity] = type; }
  std::string typeFor(std::string_view quantity) const;  // "other" when unknown

private:
  std::map<std::string, std::string, std::less<>> map_;
};

// The more severe of two colours (red > orange > yellow > blue > none).
wire::WarningColour moreSevere(wire::WarningColour a, wire::WarningColour b);
std::string colourKey(wire::WarningColour colour);  // "red", ..., "none"
wire::WarningColour parseColourKey(std::string_view key);

}  // namespace liandong::server
