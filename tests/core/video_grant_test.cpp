// Tests of video grants (core/video_grant.h): a grant issued by the centre
// for one node verifies on that node only, for its camera and scope, until it
// expires; altered, truncated or foreign tokens are refused with a reason.
#include <gtest/gtest.h>

#include "liandong/core/curve_keys.h"
#include "liandong/core/errors.h"
#include "liandong/core/video_grant.h"

using namespace liandong;

namespace {

class VideoGrantTest : public ::testing::Test {
protected:
  CurveKeyPair centre_ = generateCurveKeyPair("centre");
  CurveKeyPair node_ = generateCurveKeyPair("node-a");
  CurveKeyPair other_ = generateCurveKeyPair("node-b");

  std::string grant(const std::string &camera, GrantScope scope, std::int64_t expiresAt,
                    const CurveKeyPair &forNode) {
    return issueVideoGrant(VideoGrantKey::forCentre(centre_, forNode.publicZ85),
                           {camera, scope, "duty-officer", expiresAt, 0});
  }
  VideoGrantKey nodeKey() const { return VideoGrantKey::forNode(node_, centre_.publicZ85); }
};

}  // namespace

TEST_F(VideoGrantTest, CentreAndNodeDeriveTheSameKeyAndOtherNodesDoNot) {
  EXPECT_EQ(VideoGrantKey::forCentre(centre_, node_.publicZ85).bytes(), nodeKey().bytes());
  EXPECT_NE(VideoGrantKey::forCentre(centre_, other_.publicZ85).bytes(), nodeKey().bytes());
}

TEST_F(VideoGrantTest, AValidGrantIsAcceptedWithItsClaims) {
  auto token = grant("cam-1", GrantScope::kLive, 1300, node_);
  EXPECT_LE(token.size(), kMaxVideoGrantChars);
  auto r = verifyVideoGrant(nodeKey(), token, "cam-1", GrantScope::kLive, 1000);
  ASSERT_TRUE(r.granted) << r.reason;
  EXPECT_EQ(r.reason, "");
  ASSERT_TRUE(r.claims);
  EXPECT_EQ(r.claims->user, "duty-officer");
  EXPECT_EQ(r.claims->expiresAt, 1300);
  EXPECT_NE(r.claims->nonce, 0u);
  EXPECT_NE(token, grant("cam-1", GrantScope::kLive, 1300, node_)) << "every grant has its own nonce";
}

TEST_F(VideoGrantTest, RefusalsSayWhy) {
  auto key = nodeKey();
  auto live = grant("cam-1", GrantScope::kLive, 1300, node_);
  EXPECT_EQ(verifyVideoGrant(key, "", "cam-1", GrantScope::kLive, 1000).reason, "no grant");
  EXPECT_EQ(verifyVideoGrant(key, live, "cam-2", GrantScope::kLive, 1000).reason,
            "grant is for camera cam-1");
  EXPECT_EQ(verifyVideoGrant(key, live, "cam-1", GrantScope::kRecording, 1000).reason, "grant is for live");
  EXPECT_EQ(verifyVideoGrant(key, live, "cam-1", GrantScope::kLive, 1300).reason, "grant expired 0 s ago");
  auto foreign = grant("cam-1", GrantScope::kLive, 1300, other_);
  EXPECT_EQ(verifyVideoGrant(key, foreign, "cam-1", GrantScope::kLive, 1000).reason,
            "bad MAC (not issued for this node, or altered)");
  auto wrong = verifyVideoGrant(key, live, "cam-2", GrantScope::kLive, 1000);
  EXPECT_FALSE(wrong.granted);
  ASSERT_TRUE(wrong.claims) << "a grant with a right MAC names its user even when refused";
  EXPECT_EQ(wrong.claims->user, "duty-officer");
}

TEST_F(VideoGrantTest, AlteredOrMalformedTokensAreRefused) {
  auto key = nodeKey();
  auto token = grant("cam-1", GrantScope::kLive, 1300, node_);
  for (std::size_t i = 0; i < token.size(); ++i) {
    auto t = token;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    auto r = verifyVideoGrant(key, t, "cam-1", GrantScope::kLive, 1000);
    EXPECT_FALSE(r.granted) << "character " << i;
    EXPECT_FALSE(r.claims) << "character " << i;
  }
  EXPECT_FALSE(
      verifyVideoGrant(key, token.substr(0, token.size() - 1), "cam-1", GrantScope::kLive, 1000).granted);
  EXPECT_EQ(verifyVideoGrant(key, token + "=", "cam-1", GrantScope::kLive, 1000).reason,
            "malformed grant (not base64url)");
  EXPECT_EQ(verifyVideoGrant(key, "abc", "cam-1", GrantScope::kLive, 1000).reason,
            "malformed grant (too short)");
  EXPECT_EQ(verifyVideoGrant(key, std::string(300, 'A'), "cam-1", GrantScope::kLive, 1000).reason,
            "malformed grant (too long)");
  EXPECT_EQ(verifyVideoGrant(key, "a b", "cam-1", GrantScope::kLive, 1000).reason,
            "malformed grant (not base64url)");
}

TEST_F(VideoGrantTest, ClaimsThatCannotBeEncodedAreRefusedAtIssue) {
  auto key = VideoGrantKey::forCentre(centre_, node_.publicZ85);
  EXPECT_THROW(issueVideoGrant(key, {"cam/1", GrantScope::kLive, "u", 1, 0}), Error);
  EXPECT_THROW(issueVideoGrant(key, {std::string(65, 'c'), GrantScope::kLive, "u", 1, 0}), Error);
  EXPECT_THROW(issueVideoGrant(key, {"cam", GrantScope::kLive, "", 1, 0}), Error);
  EXPECT_THROW(issueVideoGrant(key, {"cam", GrantScope::kLive, "a\nb", 1, 0}), Error);
  EXPECT_THROW(VideoGrantKey::forCentre(centre_, "not a key"), Error);
  auto longest =
      issueVideoGrant(key, {std::string(64, 'c'), GrantScope::kRecording, std::string(64, 'u'), 1, 0});
  EXPECT_LE(longest.size(), kMaxVideoGrantChars);
}

TEST_F(VideoGrantTest, UrlsCarryTheGrantInTheirQuery) {
  EXPECT_EQ(videoGrantOfUrl("rtsp://h:1/cam/c1?grant=abc"), "abc");
  EXPECT_EQ(videoGrantOfUrl("rtsp://h:1/cam/c1?x=1&grant=abc&y=2"), "abc");
  EXPECT_EQ(videoGrantOfUrl("rtsp://h:1/cam/c1?grant=abc/stream=0"), "abc");
  EXPECT_EQ(videoGrantOfUrl("rtsp://h:1/cam/c1"), std::nullopt);
  EXPECT_EQ(videoGrantOfUrl("rtsp://h:1/cam/c1?grantx=abc"), std::nullopt);
  EXPECT_EQ(withoutQuery("rtsp://h:1/rec/c1/5?grant=abc"), "rtsp://h:1/rec/c1/5");
  EXPECT_EQ(videoGrantTag("abc").size(), 12u);
  EXPECT_NE(videoGrantTag("abc"), videoGrantTag("abd"));
}
