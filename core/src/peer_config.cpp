// Reading a program's own keys and a peer's public key from YAML (see peer_config.h).
#include "liandong/core/peer_config.h"

#include "liandong/core/errors.h"

namespace liandong {

CurveKeyPair readOwnKeys(const ConfigNode &section, const std::string &id) {
  auto file = section.path("keys");
  CurveKeyPair keys;
  try {
    keys = loadCurveKeyFile(file);
  } catch (const ConfigError &) {
    throw;
  } catch (const Error &e) {
    section.fail("keys", e.what());
  }
  if (keys.secretZ85.empty()) section.fail("keys", file.string() + " has no secret key");
  if (keys.id != id) section.fail("keys", "key file is for \"" + keys.id + "\", not \"" + id + "\"");
  return keys;
}

std::string readPublicKey(const ConfigNode &section, const std::string &key) {
  auto z85 = section.literal(key);
  if (!isValidCurveKey(z85)) section.fail(key, "not a 40-character Z85 CURVE key");
  return z85;
}

}  // namespace liandong
