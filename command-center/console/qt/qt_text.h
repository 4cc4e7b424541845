// Two conversions every part of the Qt console needs between the wire's
// types and QML's: a UTF-8 std::string as a QString, and a wire time in
// microseconds as QML's milliseconds (a JavaScript Date takes a double).
#pragma once

#include <QString>

#include <cstdint>
#include <string>

namespace liandong::console {

inline QString q(const std::string &s) {
  return QString::fromStdString(s);
}

inline double ms(std::int64_t us) {
  return static_cast<double>(us / 1000);
}

}  // namespace liandong::console
