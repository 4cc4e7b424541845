// Typed access to YAML configuration files with errors that name the file,
// the line and the dotted key. Every key read is recorded, so that
// rejectUnknown() can refuse keys nobody asked for (typos in deployment files
// must not be silently ignored). Strings may reference environment variables
// as ${NAME} or ${NAME:-default}.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace liandong {

class ConfigNode {
public:
  // Parses `path`; throws ConfigError when the file is missing or not YAML,
  // or when its top level is not a mapping.
  static ConfigNode loadFile(const std::filesystem::path &path);
  // Parses YAML text; `name` stands for the file in error messages.
  static ConfigNode loadString(const std::string &text, const std::string &name);

  bool has(const std::string &key) const;
  // True when `key` holds a mapping (not a scalar or a list).
  bool isMapping(const std::string &key) const;

  std::string str(const std::string &key) const;
  // The value exactly as written, without ${...} expansion (keys, secrets).
  std::string literal(const std::string &key) const;
  std::string literal(const std::string &key, const std::string &fallback) const;
  std::string str(const std::string &key, const std::string &fallback) const;
  std::int64_t integer(const std::string &key) const;
  std::int64_t integer(const std::string &key, std::int64_t fallback) const;
  double number(const std::string &key) const;
  double number(const std::string &key, double fallback) const;
  bool boolean(const std::string &key, bool fallback) const;
  // A path, resolved against the folder of the configuration file.
  std::filesystem::path path(const std::string &key) const;
  std::filesystem::path path(const std::string &key, const std::filesystem::path &fallback) const;
  // A string that must be one of `allowed`.
  std::string choice(const std::string &key, const std::vector<std::string> &allowed,
                     const std::string &fallback) const;

  ConfigNode child(const std::string &key) const;
  std::optional<ConfigNode> optionalChild(const std::string &key) const;
  // A sequence of mappings (empty when the key is absent).
  std::vector<ConfigNode> list(const std::string &key) const;
  // A sequence of scalars (empty when the key is absent).
  std::vector<std::string> strings(const std::string &key) const;

  // Throws ConfigError for the first key in the whole file that was never read.
  void rejectUnknown() const;

  // Throws ConfigError about `key` of this node (for checks done by callers).
  [[noreturn]] void fail(const std::string &key, const std::string &reason) const;

  const std::string &fileName() const { return shared_->file; }
  const std::string &keyPath() const { return path_; }
  int line() const;

private:
  struct Shared {
    std::string file;
    std::filesystem::path dir;
    YAML::Node root;
    std::set<std::string> used;
  };
  ConfigNode(std::shared_ptr<Shared> shared, YAML::Node node, std::string path);

  std::string keyOf(const std::string &key) const;
  YAML::Node require(const std::string &key) const;
  YAML::Node lookup(const std::string &key) const;
  std::string scalar(const std::string &key, const YAML::Node &n) const;
  void walkUnknown(const YAML::Node &n, const std::string &path) const;

  std::shared_ptr<Shared> shared_;
  YAML::Node node_;
  std::string path_;
};

// Expands ${NAME} and ${NAME:-default} where NAME is an identifier
// ([A-Za-z_][A-Za-z0-9_]*); anything else is left as written. Throws Error
// naming the variable when it is unset and has no default.
std::string expandEnvironment(const std::string &text);

}  // namespace liandong
