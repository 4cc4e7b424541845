// Implementation of the per-module loggers (see logging.h).
#include "liandong/core/logging.h"

#include <mutex>

#include <spdlog/sinks/stdout_sinks.h>

#include "liandong/core/errors.h"

namespace liandong::logging {

namespace {
std::mutex g_mutex;
spdlog::level::level_enum g_level = spdlog::level::info;
std::string g_process = "liandong";

std::shared_ptr<spdlog::sinks::sink> sharedSink() {
  static auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  return sink;
}

std::string pattern() {
  return "%Y-%m-%d %H:%M:%S.%e " + g_process + " [%n] %l: %v";
}
}  // namespace

void setup(const std::string &level, const std::string &process) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off")
    throw Error("unknown log level \"" + level + "\" (use trace, debug, info, warn, error or off)");
  std::lock_guard lock(g_mutex);
  g_level = parsed;
  g_process = process;
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger> &l) {
    l->set_level(g_level);
    l->set_pattern(pattern());
  });
}

std::shared_ptr<spdlog::logger> get(const std::string &module) {
  std::lock_guard lock(g_mutex);
  if (auto existing = spdlog::get(module)) return existing;
  auto logger = std::make_shared<spdlog::logger>(module, sharedSink());
  logger->set_level(g_level);
  logger->set_pattern(pattern());
  logger->flush_on(spdlog::level::warn);
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace liandong::logging
