// CURVE key generation, key files and fingerprints (see curve_keys.h).
#include "liandong/core/curve_keys.h"

#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <fstream>

#include <fmt/format.h>
#include <sodium.h>
#include <zmq.h>

#include "liandong/core/config.h"
#include "liandong/core/errors.h"

namespace liandong {

CurveKeyPair generateCurveKeyPair(const std::string &id) {
  std::array<char, 41> pub{}, sec{};
  if (zmq_curve_keypair(pub.data(), sec.data()) != 0)
    throw SystemError("zmq_curve_keypair (is libzmq built with CURVE?)", zmq_errno());
  return {id, std::string(pub.data(), 40), std::string(sec.data(), 40)};
}

bool isValidCurveKey(const std::string &z85) {
  if (z85.size() != 40) return false;
  std::array<std::uint8_t, 32> bin{};
  return zmq_z85_decode(bin.data(), z85.c_str()) != nullptr;
}

CurveKeyPair loadCurveKeyFile(const std::filesystem::path &path) {
  auto cfg = ConfigNode::loadFile(path);
  CurveKeyPair keys;
  keys.id = cfg.str("id");
  keys.publicZ85 = cfg.literal("public");
  keys.secretZ85 = cfg.literal("secret", "");
  if (!isValidCurveKey(keys.publicZ85)) cfg.fail("public", "not a 40-character Z85 CURVE key");
  if (!keys.secretZ85.empty() && !isValidCurveKey(keys.secretZ85))
    cfg.fail("secret", "not a 40-character Z85 CURVE key");
  cfg.rejectUnknown();
  return keys;
}

void writeCurveKeyFile(const std::filesystem::path &path, const CurveKeyPair &keys) {
  std::string tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw SystemError("cannot write " + tmp, errno);
    out << "# Liandong CURVE key pair. Keep the secret key private; list the public key\n"
        << "# in the peer's configuration to admit this party.\n"
        << "id: '" << keys.id << "'\n"
        << "public: '" << keys.publicZ85 << "'\n";
    if (!keys.secretZ85.empty()) out << "secret: '" << keys.secretZ85 << "'\n";
    if (!out.flush()) throw SystemError("cannot write " + tmp, errno);
  }
  if (::chmod(tmp.c_str(), keys.secretZ85.empty() ? 0644 : 0600) != 0)
    throw SystemError("chmod " + tmp, errno);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Error("cannot rename " + tmp + " to " + path.string() + ": " + ec.message());
}

std::string curveFingerprintBinary(const std::string &publicKey32) {
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw Error("libsodium failed to initialise");
  std::array<unsigned char, 8> digest{};
  crypto_generichash(digest.data(), digest.size(),
                     reinterpret_cast<const unsigned char *>(publicKey32.data()), publicKey32.size(), nullptr,
                     0);
  std::string hex;
  for (auto b : digest) hex += fmt::format("{:02x}", b);
  return hex;
}

std::string curveFingerprint(const std::string &publicZ85) {
  std::array<std::uint8_t, 32> bin{};
  if (publicZ85.size() != 40 || !zmq_z85_decode(bin.data(), publicZ85.c_str())) return "(invalid key)";
  return curveFingerprintBinary(std::string(reinterpret_cast<char *>(bin.data()), bin.size()));
}

}  // namespace liandong
