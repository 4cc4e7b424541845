// Tests of CURVE key files and fingerprints.
#include <sys/stat.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "liandong/core/curve_keys.h"
#include "liandong/core/errors.h"

using namespace liandong;

TEST(CurveKeys, GenerateWriteLoadRoundTrip) {
  auto keys = generateCurveKeyPair("ingest-x");
  EXPECT_TRUE(isValidCurveKey(keys.publicZ85));
  EXPECT_TRUE(isValidCurveKey(keys.secretZ85));
  EXPECT_NE(keys.publicZ85, keys.secretZ85);
  auto path = std::filesystem::temp_directory_path() / ("ldkey-" + std::to_string(getpid()) + ".key");
  writeCurveKeyFile(path, keys);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "a secret key file must not be readable by others";
  auto back = loadCurveKeyFile(path);
  EXPECT_EQ(back.id, "ingest-x");
  EXPECT_EQ(back.publicZ85, keys.publicZ85);
  EXPECT_EQ(back.secretZ85, keys.secretZ85);
  std::filesystem::remove(path);
}

TEST(CurveKeys, FingerprintIsShortStableAndDistinct) {
  auto a = generateCurveKeyPair("a"), b = generateCurveKeyPair("b");
  EXPECT_EQ(curveFingerprint(a.publicZ85).size(), 16u);
  EXPECT_EQ(curveFingerprint(a.publicZ85), curveFingerprint(a.publicZ85));
  EXPECT_NE(curveFingerprint(a.publicZ85), curveFingerprint(b.publicZ85));
  EXPECT_EQ(curveFingerprint("short"), "(invalid key)");
}

TEST(CurveKeys, BadKeyFileNamesTheField) {
  auto path = std::filesystem::temp_directory_path() / ("ldbad-" + std::to_string(getpid()) + ".key");
  FILE *f = fopen(path.c_str(), "w");
  fputs("id: x\npublic: 'not-a-key'\n", f);
  fclose(f);
  try {
    loadCurveKeyFile(path);
    FAIL() << "expected an error";
  } catch (const ConfigError &e) {
    EXPECT_EQ(std::string(e.what()), path.string() + ":2: public: not a 40-character Z85 CURVE key");
  }
  std::filesystem::remove(path);
}
