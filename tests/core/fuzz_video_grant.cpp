// Fuzz target for video grant tokens (core/video_grant.h): any text as a
// token, as a URL's query and, MACed with the right key, any bytes as the
// claims must give a refusal with a reason or a grant, never a crash. Built
// with libFuzzer by `scripts/bench fuzz`; the suite replays
// tests/core/corpus/video_grant.
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "liandong/core/curve_keys.h"
#include "liandong/core/video_grant.h"

namespace {

// Fixed keys (generated once with liandong-keygen; test keys, used nowhere else) so runs are repeatable.
const liandong::CurveKeyPair kNode{"node-f", "5khqDQ#//rx6g}LHtU.]ft5Eb?e{g&f{@Ne?I+L)",
                                   "Zy}%tY<%Gfa5:@yEu<eFSsuGF)6)ydpO@6Yz#sb}"};
const std::string kCentrePublic = "}yT6}bXsHwU}.]@]@HhDTkv6#mxUU>AP=mIniamm";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  using namespace liandong;
  static const auto key = VideoGrantKey::forNode(kNode, kCentrePublic);
  std::string_view text(reinterpret_cast<const char *>(data), size);
  auto r = verifyVideoGrant(key, text, "cam-1", GrantScope::kLive, 1000);
  if (r.granted != r.reason.empty()) std::abort();
  if (auto t = videoGrantOfUrl(text)) verifyVideoGrant(key, *t, "cam-1", GrantScope::kRecording, 1000);
  // The same bytes as claims with a right MAC: the parser behind the MAC.
  std::vector<unsigned char> bin(data, data + size);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, bin.data(), bin.size(), key.bytes().data());
  bin.insert(bin.end(), mac, mac + sizeof mac);
  std::string token(sodium_base64_ENCODED_LEN(bin.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(token.data(), token.size(), bin.data(), bin.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  token.resize(token.size() - 1);
  auto m = verifyVideoGrant(key, token, "cam-1", GrantScope::kLive, 1000);
  if (m.granted && (!m.claims || m.claims->cameraId != "cam-1")) std::abort();
  return 0;
}
