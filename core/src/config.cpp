// Implementation of ConfigNode (see config.h).
#include "liandong/core/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "liandong/core/errors.h"

namespace liandong {

namespace fs = std::filesystem;

std::string expandEnvironment(const std::string &text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 2, "${") == 0) {
      auto end = text.find('}', i + 2);
      if (end == std::string::npos) {
        out += text.substr(i);
        break;
      }
      std::string inner = text.substr(i + 2, end - i - 2);
      std::string name = inner;
      std::optional<std::string> fallback;
      if (auto dash = inner.find(":-"); dash != std::string::npos) {
        name = inner.substr(0, dash);
        fallback = inner.substr(dash + 2);
      }
      bool identifier = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                        std::all_of(name.begin(), name.end(), [](char c) {
                          return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                        });
      if (!identifier) {  // not a reference: keep the text as written
        out += text[i++];
        continue;
      }
      const char *value = std::getenv(name.c_str());
      if (value && *value) {
        out += value;
      } else if (fallback) {
        out += *fallback;
      } else {
        throw Error("environment variable " + name + " is not set");
      }
      i = end + 1;
    } else {
      out += text[i++];
    }
  }
  return out;
}

ConfigNode::ConfigNode(std::shared_ptr<Shared> shared, YAML::Node node, std::string path)
    : shared_(std::move(shared)), node_(std::move(node)), path_(std::move(path)) {}

namespace {
ConfigNode parseRoot(const std::string &text, const std::string &name, const fs::path &dir, auto make) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception &e) {
    throw ConfigError(name, e.mark.line + 1, "", e.msg);
  }
  if (!root.IsMap()) throw ConfigError(name, "the top level must be a mapping of keys");
  return make(root, dir);
}
}  // namespace

ConfigNode ConfigNode::loadFile(const fs::path &path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path.string(), "cannot open configuration file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parseRoot(ss.str(), path.string(), fs::absolute(path).parent_path(),
                   [&](YAML::Node root, const fs::path &dir) {
                     auto shared = std::make_shared<Shared>(Shared{path.string(), dir, root, {}});
                     return ConfigNode(shared, root, "");
                   });
}

ConfigNode ConfigNode::loadString(const std::string &text, const std::string &name) {
  return parseRoot(text, name, fs::current_path(), [&](YAML::Node root, const fs::path &dir) {
    auto shared = std::make_shared<Shared>(Shared{name, dir, root, {}});
    return ConfigNode(shared, root, "");
  });
}

std::string ConfigNode::keyOf(const std::string &key) const {
  return path_.empty() ? key : path_ + "." + key;
}

int ConfigNode::line() const {
  return node_.Mark().line + 1;
}

void ConfigNode::fail(const std::string &key, const std::string &reason) const {
  YAML::Node n = node_.IsMap() ? node_[key] : YAML::Node();
  int line = (n && n.IsDefined()) ? n.Mark().line + 1 : this->line();
  throw ConfigError(shared_->file, line, keyOf(key), reason);
}

YAML::Node ConfigNode::lookup(const std::string &key) const {
  shared_->used.insert(keyOf(key));
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node &n = node_;
  YAML::Node v = n[key];
  return v;
}

bool ConfigNode::has(const std::string &key) const {
  if (!node_.IsMap()) return false;
  const YAML::Node &n = node_;
  auto v = n[key];
  return v.IsDefined() && !v.IsNull();
}

bool ConfigNode::isMapping(const std::string &key) const {
  if (!node_.IsMap()) return false;
  const YAML::Node &n = node_;
  auto v = n[key];
  return v.IsDefined() && v.IsMap();
}

YAML::Node ConfigNode::require(const std::string &key) const {
  auto v = lookup(key);
  if (!v.IsDefined() || v.IsNull()) fail(key, "required key is missing");
  return v;
}

std::string ConfigNode::scalar(const std::string &key, const YAML::Node &n) const {
  if (!n.IsScalar()) fail(key, "expected a single value, not a list or mapping");
  try {
    return expandEnvironment(n.Scalar());
  } catch (const Error &e) {
    fail(key, e.what());
  }
}

std::string ConfigNode::str(const std::string &key) const {
  return scalar(key, require(key));
}

std::string ConfigNode::literal(const std::string &key) const {
  auto n = require(key);
  if (!n.IsScalar()) fail(key, "expected a single value, not a list or mapping");
  return n.Scalar();
}

std::string ConfigNode::literal(const std::string &key, const std::string &fallback) const {
  if (!has(key)) {
    lookup(key);
    return fallback;
  }
  return literal(key);
}

std::string ConfigNode::str(const std::string &key, const std::string &fallback) const {
  auto v = lookup(key);
  if (!v.IsDefined() || v.IsNull()) return fallback;
  return scalar(key, v);
}

std::int64_t ConfigNode::integer(const std::string &key) const {
  std::string s = str(key);
  std::int64_t value = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || p != s.data() + s.size()) fail(key, "expected an integer, got \"" + s + "\"");
  return value;
}

std::int64_t ConfigNode::integer(const std::string &key, std::int64_t fallback) const {
  return has(key) ? integer(key) : (lookup(key), fallback);
}

double ConfigNode::number(const std::string &key) const {
  std::string s = str(key);
  try {
    std::size_t used = 0;
    double v = std::stod(s, &used);
    if (used != s.size()) throw std::invalid_argument(s);
    return v;
  } catch (const std::exception &) {
    fail(key, "expected a number, got \"" + s + "\"");
  }
}

double ConfigNode::number(const std::string &key, double fallback) const {
  return has(key) ? number(key) : (lookup(key), fallback);
}

bool ConfigNode::boolean(const std::string &key, bool fallback) const {
  if (!has(key)) {
    lookup(key);
    return fallback;
  }
  std::string s = str(key);
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  fail(key, "expected true or false, got \"" + s + "\"");
}

fs::path ConfigNode::path(const std::string &key) const {
  fs::path p = str(key);
  return p.is_absolute() ? p : shared_->dir / p;
}

fs::path ConfigNode::path(const std::string &key, const fs::path &fallback) const {
  if (!has(key)) {
    lookup(key);
    return fallback;
  }
  return path(key);
}

std::string ConfigNode::choice(const std::string &key, const std::vector<std::string> &allowed,
                               const std::string &fallback) const {
  std::string v = str(key, fallback);
  for (const auto &a : allowed)
    if (a == v) return v;
  std::string list;
  for (const auto &a : allowed) list += (list.empty() ? "" : ", ") + a;
  fail(key, "\"" + v + "\" is not one of: " + list);
}

ConfigNode ConfigNode::child(const std::string &key) const {
  auto v = require(key);
  if (!v.IsMap()) fail(key, "expected a mapping of keys");
  return ConfigNode(shared_, v, keyOf(key));
}

std::optional<ConfigNode> ConfigNode::optionalChild(const std::string &key) const {
  if (!has(key)) {
    lookup(key);
    return std::nullopt;
  }
  return child(key);
}

std::vector<ConfigNode> ConfigNode::list(const std::string &key) const {
  auto v = lookup(key);
  std::vector<ConfigNode> out;
  if (!v.IsDefined() || v.IsNull()) return out;
  if (!v.IsSequence()) fail(key, "expected a list");
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::string p = keyOf(key) + "[" + std::to_string(i) + "]";
    if (!v[i].IsMap())
      throw ConfigError(shared_->file, v[i].Mark().line + 1, p, "expected a mapping of keys");
    shared_->used.insert(p);
    out.push_back(ConfigNode(shared_, v[i], p));
  }
  return out;
}

std::vector<std::string> ConfigNode::strings(const std::string &key) const {
  auto v = lookup(key);
  std::vector<std::string> out;
  if (!v.IsDefined() || v.IsNull()) return out;
  if (!v.IsSequence()) fail(key, "expected a list of values");
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].IsScalar())
      throw ConfigError(shared_->file, v[i].Mark().line + 1, keyOf(key) + "[" + std::to_string(i) + "]",
                        "expected a single value");
    out.push_back(v[i].Scalar());
  }
  return out;
}

void ConfigNode::walkUnknown(const YAML::Node &n, const std::string &path) const {
  if (n.IsMap()) {
    for (auto it = n.begin(); it != n.end(); ++it) {
      // A list or a mapping used as a key ("? [a]: b") is no key we know.
      if (!it->first.IsScalar())
        throw ConfigError(shared_->file, it->first.Mark().line + 1, path.empty() ? "(top level)" : path,
                          "a key must be a plain name");
      std::string k = it->first.as<std::string>();
      std::string p = path.empty() ? k : path + "." + k;
      if (!shared_->used.count(p))
        throw ConfigError(shared_->file, it->first.Mark().line + 1, p, "unknown key");
      walkUnknown(it->second, p);
    }
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      std::string p = path + "[" + std::to_string(i) + "]";
      if (n[i].IsMap() && shared_->used.count(p)) walkUnknown(n[i], p);
    }
  }
}

void ConfigNode::rejectUnknown() const {
  walkUnknown(shared_->root, "");
}

}  // namespace liandong
