// Video grants: key derivation, issuing and the offline check (see
// video_grant.h). Called by the centre's video_grant query and the node's
// camera relay.
#include "liandong/core/video_grant.h"

#include <mutex>
#include <vector>

#include <fmt/format.h>
#include <sodium.h>
#include <zmq.h>

#include "liandong/core/errors.h"

namespace liandong {

namespace {

constexpr unsigned char kVersion = 1;
constexpr std::size_t kMacBytes = crypto_auth_hmacsha256_BYTES;  // 32
constexpr std::size_t kMaxField = 64;
// version, scope, expiry (8), nonce (8), two length bytes
constexpr std::size_t kFixedBytes = 1 + 1 + 8 + 8 + 1 + 1;
constexpr std::string_view kContext = "liandong video grant v1";

void initSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) throw Error("libsodium could not be initialised");
  });
}

std::array<unsigned char, 32> decodeKey(const std::string &z85, const char *what) {
  std::array<unsigned char, 32> out{};
  if (z85.size() != 40 || !zmq_z85_decode(out.data(), z85.c_str()))
    throw Error(fmt::format("video grant key: {} is not a 40-character Z85 CURVE key", what));
  return out;
}

// context || X25519(secret, peer) || centre public || node public
std::array<unsigned char, 32> deriveKey(const std::string &ownSecretZ85, const std::string &peerPublicZ85,
                                        const std::string &centrePublicZ85,
                                        const std::string &nodePublicZ85) {
  initSodium();
  auto secret = decodeKey(ownSecretZ85, "our secret key");
  auto peer = decodeKey(peerPublicZ85, "the peer's public key");
  auto centre = decodeKey(centrePublicZ85, "the centre's public key");
  auto node = decodeKey(nodePublicZ85, "the node's public key");
  std::array<unsigned char, crypto_scalarmult_BYTES> shared{};
  int rc = crypto_scalarmult(shared.data(), secret.data(), peer.data());
  sodium_memzero(secret.data(), secret.size());
  if (rc != 0) throw Error("video grant key: the peer's public key is a weak point");
  std::array<unsigned char, 32> key{};
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, key.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char *>(kContext.data()), kContext.size());
  crypto_generichash_update(&st, shared.data(), shared.size());
  crypto_generichash_update(&st, centre.data(), centre.size());
  crypto_generichash_update(&st, node.data(), node.size());
  crypto_generichash_final(&st, key.data(), key.size());
  sodium_memzero(shared.data(), shared.size());
  return key;
}

bool validCameraId(std::string_view id) {
  if (id.empty() || id.size() > kMaxField) return false;
  for (char c : id)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  return true;
}

bool validUser(std::string_view user) {
  if (user.empty() || user.size() > kMaxField) return false;
  for (unsigned char c : user)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

bool validTokenChars(std::string_view token) {
  for (char c : token)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  return true;
}

void put64(std::vector<unsigned char> &out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
}

std::uint64_t get64(const unsigned char *p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

// The claims of a decoded body (without the MAC), or nullopt with `why`.
std::optional<VideoGrantClaims> parseBody(const unsigned char *p, std::size_t n, std::string *why) {
  if (n < kFixedBytes) return *why = "malformed grant (too short)", std::nullopt;
  if (p[0] != kVersion) return *why = "malformed grant (unknown version)", std::nullopt;
  if (p[1] > 1) return *why = "malformed grant (unknown scope)", std::nullopt;
  VideoGrantClaims c;
  c.scope = p[1] == 0 ? GrantScope::kLive : GrantScope::kRecording;
  c.expiresAt = static_cast<std::int64_t>(get64(p + 2));
  c.nonce = get64(p + 10);
  std::size_t at = 18;
  std::size_t camLen = p[at++];
  if (at + camLen + 1 > n) return *why = "malformed grant (camera length)", std::nullopt;
  c.cameraId.assign(reinterpret_cast<const char *>(p + at), camLen);
  at += camLen;
  std::size_t userLen = p[at++];
  if (at + userLen != n) return *why = "malformed grant (user length)", std::nullopt;
  c.user.assign(reinterpret_cast<const char *>(p + at), userLen);
  if (!validCameraId(c.cameraId)) return *why = "malformed grant (camera id)", std::nullopt;
  if (!validUser(c.user)) return *why = "malformed grant (user)", std::nullopt;
  return c;
}

}  // namespace

const char *grantScopeName(GrantScope scope) {
  return scope == GrantScope::kLive ? "live" : "rec";
}

VideoGrantKey VideoGrantKey::forCentre(const CurveKeyPair &centre, const std::string &nodePublicZ85) {
  VideoGrantKey k;
  k.key_ = deriveKey(centre.secretZ85, nodePublicZ85, centre.publicZ85, nodePublicZ85);
  return k;
}

VideoGrantKey VideoGrantKey::forNode(const CurveKeyPair &node, const std::string &centrePublicZ85) {
  VideoGrantKey k;
  k.key_ = deriveKey(node.secretZ85, centrePublicZ85, centrePublicZ85, node.publicZ85);
  return k;
}

VideoGrantKey::~VideoGrantKey() {
  sodium_memzero(key_.data(), key_.size());
}

std::string issueVideoGrant(const VideoGrantKey &key, VideoGrantClaims claims) {
  initSodium();
  if (!validCameraId(claims.cameraId)) throw Error("video grant: the camera id is not [A-Za-z0-9_-]{1,64}");
  if (!validUser(claims.user))
    throw Error("video grant: the user name is empty, too long or has control characters");
  if (claims.nonce == 0) randombytes_buf(&claims.nonce, sizeof claims.nonce);
  std::vector<unsigned char> bin;
  bin.push_back(kVersion);
  bin.push_back(claims.scope == GrantScope::kLive ? 0 : 1);
  put64(bin, static_cast<std::uint64_t>(claims.expiresAt));
  put64(bin, claims.nonce);
  bin.push_back(static_cast<unsigned char>(claims.cameraId.size()));
  bin.insert(bin.end(), claims.cameraId.begin(), claims.cameraId.end());
  bin.push_back(static_cast<unsigned char>(claims.user.size()));
  bin.insert(bin.end(), claims.user.begin(), claims.user.end());
  std::array<unsigned char, kMacBytes> mac{};
  crypto_auth_hmacsha256(mac.data(), bin.data(), bin.size(), key.bytes().data());
  bin.insert(bin.end(), mac.begin(), mac.end());
  std::string out(sodium_base64_ENCODED_LEN(bin.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), bin.data(), bin.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

VideoGrantCheck verifyVideoGrant(const VideoGrantKey &key, std::string_view token, std::string_view cameraId,
                                 GrantScope scope, std::int64_t nowS) {
  VideoGrantCheck r;
  if (token.empty()) return r.reason = "no grant", r;
  if (token.size() > kMaxVideoGrantChars) return r.reason = "malformed grant (too long)", r;
  if (!validTokenChars(token)) return r.reason = "malformed grant (not base64url)", r;
  try {
    initSodium();
  } catch (const Error &e) {
    return r.reason = e.what(), r;
  }
  std::array<unsigned char, kMaxVideoGrantChars> bin{};
  std::size_t n = 0;
  if (sodium_base642bin(bin.data(), bin.size(), token.data(), token.size(), nullptr, &n, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return r.reason = "malformed grant (not base64url)", r;
  if (n < kFixedBytes + kMacBytes) return r.reason = "malformed grant (too short)", r;
  std::size_t body = n - kMacBytes;
  if (crypto_auth_hmacsha256_verify(bin.data() + body, bin.data(), body, key.bytes().data()) != 0)
    return r.reason = "bad MAC (not issued for this node, or altered)", r;
  auto claims = parseBody(bin.data(), body, &r.reason);
  if (!claims) return r;
  r.claims = claims;
  if (claims->cameraId != cameraId)
    return r.reason = fmt::format("grant is for camera {}", claims->cameraId), r;
  if (claims->scope != scope)
    return r.reason = fmt::format("grant is for {}", grantScopeName(claims->scope)), r;
  if (claims->expiresAt <= nowS)
    return r.reason = fmt::format("grant expired {} s ago", nowS - claims->expiresAt), r;
  r.granted = true;
  return r;
}

std::string videoGrantTag(std::string_view token) {
  initSodium();
  std::array<unsigned char, 6> digest{};
  crypto_generichash(digest.data(), digest.size(), reinterpret_cast<const unsigned char *>(token.data()),
                     token.size(), nullptr, 0);
  std::array<char, 13> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  return hex.data();
}

std::optional<std::string> videoGrantOfUrl(std::string_view url) {
  auto q = url.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  auto query = url.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto param = query.substr(0, amp);
    if (param.starts_with("grant=")) {
      auto value = param.substr(6);
      // FFmpeg-style clients append "/stream=0" to a base with a query.
      if (auto slash = value.find('/'); slash != std::string_view::npos) value = value.substr(0, slash);
      return std::string(value);
    }
    if (amp == std::string_view::npos) break;
    query = query.substr(amp + 1);
  }
  return std::nullopt;
}

std::string withoutQuery(std::string_view url) {
  return std::string(url.substr(0, url.find('?')));
}

}  // namespace liandong
