// ZeroMQ CURVE key pairs: generation (liandong-keygen), key files, and a
// short fingerprint that may be logged in place of a key. Secret keys are
// never logged.
#pragma once

#include <filesystem>
#include <string>

namespace liandong {

struct CurveKeyPair {
  std::string id;         // the node, centre or console the keys belong to
  std::string publicZ85;  // 40 characters
  std::string secretZ85;  // 40 characters; empty for a public-only key
};

CurveKeyPair generateCurveKeyPair(const std::string &id);

// Reads a key file written by writeCurveKeyFile(); throws ConfigError naming
// the file and field when it is missing, malformed, or has a bad key.
CurveKeyPair loadCurveKeyFile(const std::filesystem::path &path);

// Writes the key pair as YAML with mode 0600 (the secret stays private).
void writeCurveKeyFile(const std::filesystem::path &path, const CurveKeyPair &keys);

// True when `z85` is a well-formed 40-character Z85 CURVE key.
bool isValidCurveKey(const std::string &z85);

// A 16-hex-digit digest of the public key, safe to log.
std::string curveFingerprint(const std::string &publicZ85);
std::string curveFingerprintBinary(const std::string &publicKey32);

}  // namespace liandong
