// String helpers shared by every module (see text.h).
#include "liandong/core/text.h"

#include <array>
#include <mutex>
#include <regex>

#include <sodium.h>

#include "liandong/core/errors.h"

namespace liandong {

std::string firstLine(std::string_view text) {
  return std::string(text.substr(0, text.find('\n')));
}

std::string sha256Hex(std::string_view bytes) {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) throw Error("libsodium could not be initialised");
  });
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char *>(bytes.data()), bytes.size());
  std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  return hex.data();
}

std::string redactCredentials(const std::string &text) {
  // scheme://userinfo@ -> scheme://***@ ; userinfo has no '/', '@' or space.
  static const std::regex re(R"(([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@)");
  return std::regex_replace(text, re, "$1***@");
}

std::string redactConninfo(const std::string &conninfo) {
  static const std::regex password(R"((password\s*=\s*)('[^']*'|\S+))");
  static const std::regex url(R"((postgres(?:ql)?://[^:/@]*:)[^@]*@)");
  return std::regex_replace(std::regex_replace(conninfo, password, "$1***"), url, "$1***@");
}

}  // namespace liandong
