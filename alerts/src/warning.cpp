// Warning colour and response level tables (see warning.h).
#include "liandong/alerts/warning.h"

namespace liandong::alerts {

std::string colourName(wire::WarningColour colour, bool chinese) {
  switch (colour) {
    case wire::COLOUR_BLUE: return chinese ? "蓝色" : "blue";
    case wire::COLOUR_YELLOW: return chinese ? "黄色" : "yellow";
    case wire::COLOUR_ORANGE: return chinese ? "橙色" : "orange";
    case wire::COLOUR_RED: return chinese ? "红色" : "red";
    default: return chinese ? "无" : "none";
  }
}

std::string capSeverity(wire::WarningColour colour) {
  switch (colour) {
    case wire::COLOUR_BLUE: return "Minor";
    case wire::COLOUR_YELLOW: return "Moderate";
    case wire::COLOUR_ORANGE: return "Severe";
    case wire::COLOUR_RED: return "Extreme";
    default: return "Unknown";
  }
}

std::optional<wire::WarningColour> parseColour(std::string_view t) {
  if (t == "blue" || t == "蓝色" || t == "蓝") return wire::COLOUR_BLUE;
  if (t == "yellow" || t == "黄色" || t == "黄") return wire::COLOUR_YELLOW;
  if (t == "orange" || t == "橙色" || t == "橙") return wire::COLOUR_ORANGE;
  if (t == "red" || t == "红色" || t == "红") return wire::COLOUR_RED;
  return std::nullopt;
}

std::string levelName(wire::ResponseLevel level, bool chinese) {
  switch (level) {
    case wire::LEVEL_I: return chinese ? "Ⅰ级（特别重大）" : "I";
    case wire::LEVEL_II: return chinese ? "Ⅱ级（重大）" : "II";
    case wire::LEVEL_III: return chinese ? "Ⅲ级（较大）" : "III";
    case wire::LEVEL_IV: return chinese ? "Ⅳ级（一般）" : "IV";
    default: return chinese ? "未定级" : "none";
  }
}

std::optional<wire::ResponseLevel> parseLevel(std::string_view t) {
  if (t == "I" || t == "1") return wire::LEVEL_I;
  if (t == "II" || t == "2") return wire::LEVEL_II;
  if (t == "III" || t == "3") return wire::LEVEL_III;
  if (t == "IV" || t == "4") return wire::LEVEL_IV;
  return std::nullopt;
}

wire::Tier leadTier(wire::ResponseLevel level) {
  switch (level) {
    case wire::LEVEL_I:
    case wire::LEVEL_II: return wire::TIER_PROVINCE;
    case wire::LEVEL_III: return wire::TIER_CITY;
    default: return wire::TIER_COUNTY;
  }
}

}  // namespace liandong::alerts
