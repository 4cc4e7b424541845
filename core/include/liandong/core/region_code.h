// Administrative division codes (GB/T 2260 for province/city/county, the
// NBS 9-digit codes for towns and streets): which region contains which, and
// the chain of ancestors of a code, from the digits alone. Used to decide who
// may see what (consoles, queries) without a database round trip.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace liandong {

// The digits that every code inside `root` starts with: "44" for 440000,
// "4401" for 440100, "440113" for 440113, all nine digits of a town.
// Empty for a code that is not 6 or 9 digits.
std::string_view regionPrefix(std::string_view root);

// True when `code` is `root` or lies inside it (440113007 is inside 440113,
// 440100 and 440000; 440115 is not inside 440110).
bool regionCovers(std::string_view root, std::string_view code);

// The code and its ancestors, province first: 440113007 ->
// {440000, 440100, 440113, 440113007}. Cities without counties (441900)
// appear once. Empty for a malformed code.
std::vector<std::string> regionPath(std::string_view code);

}  // namespace liandong
