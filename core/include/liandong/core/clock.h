// Wall-clock and monotonic time helpers. Wire times are microseconds since
// the Unix epoch (UTC); durations inside a process use the steady clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace liandong {

std::int64_t nowUs();
std::int64_t steadyMs();
// ISO 8601 with an explicit offset, in UTC: "2026-11-22T08:30:00.123+00:00".
std::string formatIsoUtc(std::int64_t us);

}  // namespace liandong
