// Warning colours and response levels: names in Chinese and English, the
// CAP 1.2 severity of each colour (GB/T 35965.1: red Extreme, orange Severe,
// yellow Moderate, blue Minor), and the tier that leads each response level.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "liandong.pb.h"

namespace liandong::alerts {

std::string colourName(wire::WarningColour colour, bool chinese);
std::string capSeverity(wire::WarningColour colour);
std::optional<wire::WarningColour> parseColour(std::string_view text);  // "red", "红色", ...

std::string levelName(wire::ResponseLevel level, bool chinese);        // "IV" / "Ⅳ级（一般）"
std::optional<wire::ResponseLevel> parseLevel(std::string_view text);  // "I".."IV", "1".."4"
// Default lead tier: IV county, III city, II province, I province (reporting to the state).
wire::Tier leadTier(wire::ResponseLevel level);

}  // namespace liandong::alerts
