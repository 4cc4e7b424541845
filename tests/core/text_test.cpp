// Tests of the shared string helpers (text.h) and of the key/endpoint reader
// every program uses (peer_config.h).
#include <unistd.h>
#include <filesystem>

#include <gtest/gtest.h>

#include "liandong/core/errors.h"
#include "liandong/core/peer_config.h"
#include "liandong/core/text.h"

using namespace liandong;

TEST(Text, FirstLineStopsAtTheFirstNewline) {
  EXPECT_EQ(firstLine("one\ntwo"), "one");
  EXPECT_EQ(firstLine("only"), "only");
  EXPECT_EQ(firstLine(""), "");
  EXPECT_EQ(firstLine("\nsecond"), "");
}

TEST(Text, Sha256HexMatchesTheKnownDigests) {
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Text, RedactCredentialsMasksEveryUrlInAText) {
  EXPECT_EQ(redactCredentials("pull rtsp://admin:se%20cret@10.0.0.5/x failed"),
            "pull rtsp://***@10.0.0.5/x failed");
  EXPECT_EQ(redactCredentials("a rtsp://u:p@h/1 and rtsps://v@k:554/2"),
            "a rtsp://***@h/1 and rtsps://***@k:554/2");
  EXPECT_EQ(redactCredentials("rtsp://host/path@x"),
            "rtsp://host/path@x");  // '@' after the path is not userinfo
  EXPECT_EQ(redactCredentials("no url here"), "no url here");
}

TEST(Text, RedactConninfoMasksPasswordsInBothForms) {
  EXPECT_EQ(redactConninfo("host=/x port=5 password=secret dbname=d"),
            "host=/x port=5 password=*** dbname=d");
  EXPECT_EQ(redactConninfo("password = 'a b' user=u"), "password = *** user=u");
  EXPECT_EQ(redactConninfo("postgresql://me:pw@db/x"), "postgresql://me:***@db/x");
}

TEST(PeerConfig, ReadsOwnKeysAndRefusesAnotherIdsOrAPublicOnlyFile) {
  auto dir = std::filesystem::temp_directory_path() / ("ld-peer-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto keys = generateCurveKeyPair("node-a");
  writeCurveKeyFile(dir / "node-a.key", keys);
  writeCurveKeyFile(dir / "pub.key", {"node-a", keys.publicZ85, ""});
  auto cfg = ConfigNode::loadString("node:\n  id: node-a\n  keys: " + (dir / "node-a.key").string() +
                                        "\nother:\n  keys: " + (dir / "pub.key").string() +
                                        "\ncentre:\n  public_key: '" + keys.publicZ85 + "'\n  bad: 'xyz'\n",
                                    "peer.yaml");
  EXPECT_EQ(readOwnKeys(cfg.child("node"), "node-a").secretZ85, keys.secretZ85);
  try {
    readOwnKeys(cfg.child("node"), "node-b");
    FAIL() << "a key file for another id was accepted";
  } catch (const ConfigError &e) {
    EXPECT_NE(std::string(e.what()).find("node.keys"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("\"node-a\", not \"node-b\""), std::string::npos) << e.what();
  }
  EXPECT_THROW(readOwnKeys(cfg.child("other"), "node-a"), ConfigError);
  EXPECT_EQ(readPublicKey(cfg.child("centre")), keys.publicZ85);
  try {
    readPublicKey(cfg.child("centre"), "bad");
    FAIL() << "a malformed public key was accepted";
  } catch (const ConfigError &e) {
    EXPECT_NE(std::string(e.what()).find("centre.bad"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}
