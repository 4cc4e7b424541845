// Error types shared by every module. Throw these for programming,
// configuration and fatal errors; expected outcomes (timeouts, a camera
// offline, EAGAIN) are returned as std::optional or a result instead.
#pragma once

#include <stdexcept>
#include <string>

namespace liandong {

// Base of every Liandong error. what() is a complete one-line message.
class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// A configuration file is missing, malformed or has a bad value. The
// message names the file, the line and the key.
class ConfigError : public Error {
public:
  ConfigError(std::string file, int line, std::string key, const std::string &reason);
  ConfigError(std::string file, const std::string &reason);

  const std::string &file() const { return file_; }
  int line() const { return line_; }
  const std::string &key() const { return key_; }

private:
  std::string file_;
  int line_ = 0;
  std::string key_;
};

// A system call or C library call failed; carries errno (or the library's code).
class SystemError : public Error {
public:
  SystemError(const std::string &what, int code);
  int code() const { return code_; }

private:
  int code_;
};

// A peer sent something that does not follow the protocol.
class ProtocolError : public Error {
public:
  using Error::Error;
};

// The database refused or failed an operation.
class StorageError : public Error {
public:
  using Error::Error;
};

}  // namespace liandong
