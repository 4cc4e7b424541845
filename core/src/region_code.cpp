// Administrative division codes: containment and ancestors (see region_code.h).
#include "liandong/core/region_code.h"

#include <algorithm>

namespace liandong {
namespace {
bool digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
}  // namespace

std::string_view regionPrefix(std::string_view root) {
  if (!digits(root)) return {};
  if (root.size() == 9) return root;
  if (root.size() != 6) return {};
  if (root.substr(2) == "0000") return root.substr(0, 2);
  if (root.substr(4) == "00") return root.substr(0, 4);
  return root;
}

bool regionCovers(std::string_view root, std::string_view code) {
  auto prefix = regionPrefix(root);
  if (prefix.empty() || regionPrefix(code).empty()) return false;
  if (code.size() < prefix.size()) return false;
  return code.substr(0, prefix.size()) == prefix;
}

std::vector<std::string> regionPath(std::string_view code) {
  std::vector<std::string> out;
  if (regionPrefix(code).empty()) return out;
  auto add = [&](std::string c) {
    if (out.empty() || out.back() != c) out.push_back(std::move(c));
  };
  std::string six(code.substr(0, 6));
  add(six.substr(0, 2) + "0000");
  if (six.substr(2) != "0000") add(six.substr(0, 4) + "00");
  if (six.substr(4) != "00") add(six);
  if (code.size() == 9) add(std::string(code));
  return out;
}

}  // namespace liandong
