// Video grants: the short-lived credential a centre gives a signed-in user to
// watch one camera (live at /cam/<id>, or its recordings at /rec/<id>/...) on
// the ingest node that serves it, and that node's offline check of it. The
// centre answers the `video_grant` query with a URL carrying `?grant=<token>`
// (command-center/server, video_grants.cpp); the node's camera relay checks
// the token before it serves a connection (ingest/camera, camera_hub.cpp).
//
// No new keys: the grant key is derived from the CURVE key pairs the node and
// its centre already hold (X25519 shared secret of the centre and that one
// node, hashed with a fixed context), so only that node can verify a grant,
// and a node cannot forge grants for another node. The token is base64url
// (no padding) of: version, scope, expiry (seconds), nonce, camera id, user,
// then HMAC-SHA-256 over all of it. Tokens are credentials: never log one
// (videoGrantTag() gives a short digest that may be logged).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "liandong/core/curve_keys.h"

namespace liandong {

enum class GrantScope { kLive, kRecording };

// "live" / "rec"
const char *grantScopeName(GrantScope scope);

struct VideoGrantClaims {
  std::string cameraId;  // [A-Za-z0-9_-]{1,64}
  GrantScope scope = GrantScope::kLive;
  std::string user;            // 1..64 bytes, no control characters
  std::int64_t expiresAt = 0;  // seconds since the epoch
  std::uint64_t nonce = 0;     // random; makes every grant distinct
};

// The key a centre and one node share for grants. Wiped when destroyed.
class VideoGrantKey {
public:
  // On the centre: its own key pair (with the secret) and the node's public key.
  static VideoGrantKey forCentre(const CurveKeyPair &centre, const std::string &nodePublicZ85);
  // On the node: its own key pair (with the secret) and its centre's public key.
  static VideoGrantKey forNode(const CurveKeyPair &node, const std::string &centrePublicZ85);

  VideoGrantKey(const VideoGrantKey &) = default;
  VideoGrantKey &operator=(const VideoGrantKey &) = default;
  ~VideoGrantKey();

  const std::array<unsigned char, 32> &bytes() const { return key_; }

private:
  VideoGrantKey() = default;
  std::array<unsigned char, 32> key_{};
};

// The longest token issueVideoGrant() can make; longer ones are refused unread.
constexpr std::size_t kMaxVideoGrantChars = 256;

// A token for `claims` (a fresh random nonce when claims.nonce is 0). Throws
// Error when the claims cannot be encoded (bad camera id or user).
std::string issueVideoGrant(const VideoGrantKey &key, VideoGrantClaims claims);

struct VideoGrantCheck {
  bool granted = false;
  std::string reason;                      // one line when refused
  std::optional<VideoGrantClaims> claims;  // only when the MAC was right
};

// Checks `token` for watching `cameraId` in `scope` at `nowS` (seconds since
// the epoch): well formed, MACed with `key`, that camera and scope, not
// expired. Never throws for any input.
VideoGrantCheck verifyVideoGrant(const VideoGrantKey &key, std::string_view token, std::string_view cameraId,
                                 GrantScope scope, std::int64_t nowS);

// A 12-hex-digit digest of a token, safe to log in its place.
std::string videoGrantTag(std::string_view token);

// The value of the `grant` parameter in the query of `url` (after '?'), or
// nullopt when there is none.
std::optional<std::string> videoGrantOfUrl(std::string_view url);

// `url` without its query ('?' and what follows).
std::string withoutQuery(std::string_view url);

}  // namespace liandong
