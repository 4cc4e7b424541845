// Construction of the shared error types (see errors.h).
#include "liandong/core/errors.h"

#include <cstring>
#include <utility>

namespace liandong {

namespace {
std::string configMessage(const std::string &file, int line, const std::string &key,
                          const std::string &reason) {
  std::string msg = file;
  if (line > 0) msg += ":" + std::to_string(line);
  if (!key.empty()) msg += ": " + key;
  msg += ": " + reason;
  return msg;
}
}  // namespace

ConfigError::ConfigError(std::string file, int line, std::string key, const std::string &reason)
    : Error(configMessage(file, line, key, reason)),
      file_(std::move(file)),
      line_(line),
      key_(std::move(key)) {}

ConfigError::ConfigError(std::string file, const std::string &reason)
    : Error(configMessage(file, 0, "", reason)), file_(std::move(file)) {}

SystemError::SystemError(const std::string &what, int code)
    : Error(what + ": " + std::strerror(code)), code_(code) {}

}  // namespace liandong
