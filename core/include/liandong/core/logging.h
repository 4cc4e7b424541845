// Logging for every process: one spdlog logger per module ("core", "link",
// "ingest", "center", "mapping", "alerts", "console"), all to stderr so that
// stdout stays free for a program's own output. Never log secrets: pass URLs
// through redactCredentials() (text.h) first.
#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace liandong::logging {

// Sets the level of every logger ("trace", "debug", "info", "warn", "error",
// "off") and the process name shown in each line. Throws Error on a bad level.
void setup(const std::string &level, const std::string &process);

// The logger of one module, created on first use.
std::shared_ptr<spdlog::logger> get(const std::string &module);

}  // namespace liandong::logging
