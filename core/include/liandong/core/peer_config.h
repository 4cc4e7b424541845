// "Our keys and the centre's endpoint" as every program reads them from its
// YAML: the section of the program (node:, console:, report:, ...) names its
// key file, the centre: section names endpoints and the centre's public key.
// One reader so that every program refuses the same mistakes with the same
// words (key file for another id, no secret key, a malformed public key).
#pragma once

#include <string>

#include "liandong/core/config.h"
#include "liandong/core/curve_keys.h"

namespace liandong {

// Reads `section.keys` (a key file) and checks that it belongs to `id` and
// holds a secret key. Throws ConfigError naming the file and `keys`.
CurveKeyPair readOwnKeys(const ConfigNode &section, const std::string &id);

// Reads `section.<key>` as a 40-character Z85 CURVE public key (a peer's).
// Throws ConfigError naming the file, line and key when it is malformed.
std::string readPublicKey(const ConfigNode &section, const std::string &key = "public_key");

}  // namespace liandong
