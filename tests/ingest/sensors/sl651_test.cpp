// Tests of the SL 651-2014 framer and decoder against the 21 golden frames
// (tests/data/sl651, one per function code, from real equipment), plus frames
// built here from the standard: streaming byte by byte through garbage, bad
// CRCs skipped with a reason, "no data" and negative values, several
// observation times in one frame, equal-interval series, replies.
#include <fstream>
#include <map>
#include <regex>

#include <gtest/gtest.h>

#include "liandong/core/errors.h"
#include "liandong/ingest/sensors/sl651.h"
#include "pg_fixture.h"

using namespace liandong;
using namespace liandong::ingest::sl651;

namespace {

struct Golden {
  std::vector<std::uint8_t> bytes;
  std::string description;
};

std::vector<Golden> golden() {
  std::ifstream in(liandong::testing::sourceDir() + "/tests/data/sl651/frames.txt");
  std::vector<Golden> out;
  std::string line;
  while (std::getline(in, line)) {
    auto hash = line.find(" # ");
    out.push_back({unhex(line.substr(0, hash)), line.substr(hash + 3)});
  }
  return out;
}

Frame one(const std::vector<std::uint8_t> &bytes) {
  Framer f;
  f.feed(bytes.data(), bytes.size());
  auto frame = f.next();
  if (!frame) throw std::runtime_error("no frame");
  return *frame;
}

std::string field(const std::string &description, const std::string &name) {
  std::smatch m;
  std::regex re(name + " ([^;]+);");
  return std::regex_search(description, m, re) ? m[1].str() : "";
}

// 2022-12-02 13:35 in China Standard Time, as UTC µs.
constexpr std::int64_t kObs = 1669959300LL * 1000000;  // 05:35 UTC

}  // namespace

TEST(Sl651, TheFirstFrameChecksAsTheStandardSays) {
  auto frames = golden();
  ASSERT_EQ(frames.size(), 21u);
  const auto &b = frames[0].bytes;
  EXPECT_EQ(crc16(b.data(), b.size() - 2), 0x367C);
  auto f = one(b);
  EXPECT_TRUE(f.up);
  EXPECT_EQ(f.centre, 0x01);
  EXPECT_EQ(f.station, "1000000006");
  EXPECT_EQ(f.function, 0x32);
  auto m = decode(f);
  EXPECT_EQ(m.serial, 12156);
  EXPECT_EQ(m.stationType, 'H');
  ASSERT_EQ(m.elements.size(), 4u);
  std::map<std::string, double> v;
  for (const auto &e : m.elements) {
    v[e.name] = *e.values.at(0);
    EXPECT_EQ(e.observedAtUs, kObs);
  }
  EXPECT_DOUBLE_EQ(v["PJ"], 0.0);
  EXPECT_DOUBLE_EQ(v["PT"], 319.6);
  EXPECT_DOUBLE_EQ(v["Z"], 28.96);
  EXPECT_DOUBLE_EQ(v["VT"], 13.12);
  auto readings = toReadings(m);
  ASSERT_EQ(readings.size(), 4u);
  EXPECT_EQ(readings[2].quantity(), "water_level");
  EXPECT_EQ(readings[2].sensor_id(), "1000000006");
  EXPECT_EQ(readings[2].unit(), "m");
  // Re-encoding the decoded frame gives the same bytes.
  EXPECT_EQ(hex(encode(f)), hex(b));
}

TEST(Sl651, EveryGoldenFrameFramesAndDecodesWithItsSerialAndStation) {
  for (const auto &g : golden()) {
    SCOPED_TRACE(g.description);
    auto f = one(g.bytes);
    EXPECT_EQ(hex(encode(f)), hex(g.bytes));
    EXPECT_EQ(f.station, field(g.description, "station"));
    Message m;
    ASSERT_NO_THROW(m = decode(f));
    EXPECT_EQ(std::to_string(m.serial), field(g.description, "serial"));
    if (!field(g.description, "ST").empty()) {
      EXPECT_EQ(m.station, field(g.description, "ST"));
    }
  }
}

TEST(Sl651, SeriesGroupsNoDataAndText) {
  auto frames = golden();
  // 31, equal interval: one identifier, 12 values 5 minutes apart.
  auto m31 = decode(one(frames[2].bytes));
  ASSERT_EQ(m31.elements.size(), 1u);
  EXPECT_EQ(m31.elements[0].values.size(), 12u);
  EXPECT_EQ(m31.elements[0].stepUs, 5 * 60 * 1000000LL);
  auto r31 = toReadings(m31);
  ASSERT_EQ(r31.size(), 12u);
  EXPECT_DOUBLE_EQ(r31[11].value(), 28.96);
  EXPECT_EQ(r31[11].observed_at_us() - r31[0].observed_at_us(), 55 * 60 * 1000000LL);
  // 34, hourly: four observation-time groups; F4 and F5 series.
  auto m34 = decode(one(frames[4].bytes));
  std::map<std::string, std::int64_t> at;
  for (const auto &e : m34.elements) at[e.name] = e.observedAtUs;
  EXPECT_EQ(at["DRP"], at["DRZ1"]);
  EXPECT_EQ(at["PT"] - at["DRP"], 55 * 60 * 1000000LL);
  for (const auto &e : m34.elements)
    if (e.name == "DRP" || e.name == "DRZ1") {
      EXPECT_EQ(e.values.size(), 12u);
    }
  // 35, manual entry: text.
  EXPECT_EQ(decode(one(frames[5].bytes)).text, "Q 1.234");
  // 37: Z is FFFFFFFF, "no data": no reading for it.
  auto m37 = decode(one(frames[7].bytes));
  int z = 0;
  for (const auto &e : m37.elements)
    if (e.name == "Z") {
      ++z;
      EXPECT_FALSE(e.values.at(0).has_value());
    }
  EXPECT_EQ(z, 1);
  for (const auto &r : toReadings(m37)) EXPECT_NE(r.quantity(), "water_level");
  // 36, picture, packet 1 of 4: framed, not a crash.
  auto pic = one(frames[6].bytes);
  EXPECT_TRUE(pic.multiPacket);
  EXPECT_EQ(pic.packetTotal, 4);
  EXPECT_EQ(pic.packetSeq, 1);
  EXPECT_EQ(pic.end, ETB);
}

TEST(Sl651, StreamingThroughGarbageAndBadFrames) {
  auto frames = golden();
  std::vector<std::uint8_t> stream = {0x00, 0x7E, 0x11, 0x22};
  for (std::size_t i = 0; i < frames.size(); ++i) {
    auto b = frames[i].bytes;
    if (i == 3 && !b.empty()) b.back() = static_cast<std::uint8_t>(b.back() ^ 0x01);  // a bad CRC
    stream.insert(stream.end(), b.begin(), b.end());
    if (i % 5 == 0) stream.insert(stream.end(), {0x7E, 0x7E, 0x55});  // a false start
  }
  Framer framer;
  std::vector<Frame> got;
  for (auto byte : stream) {  // one byte at a time, as TCP may deliver it
    framer.feed(&byte, 1);
    while (auto f = framer.next()) got.push_back(*f);
  }
  EXPECT_EQ(got.size(), 20u);  // all but the one with the bad CRC
  auto errors = framer.takeErrors();
  bool crc = false;
  for (const auto &e : errors) crc = crc || e.find("CRC mismatch") != std::string::npos;
  EXPECT_TRUE(crc);
  EXPECT_LT(framer.buffered(), 4u);
}

TEST(Sl651, ReportsBuiltFromTheStandardRoundTrip) {
  std::int64_t obs = kObs, sent = kObs + 30 * 1000000;
  auto f = report(0x33, "0081100001", 0x01, 7, sent, obs, 'H',
                  {{0x39, 2.345}, {0x20, 12.5}, {0x38, 12.07}, {0x27, 1234.567}, {0x3B, -1.25}});
  auto bytes = encode(f);
  auto back = one(bytes);
  auto m = decode(back);
  EXPECT_EQ(m.serial, 7);
  EXPECT_EQ(m.sentAtUs, sent);
  EXPECT_EQ(m.station, "0081100001");
  ASSERT_EQ(m.elements.size(), 5u);
  EXPECT_DOUBLE_EQ(*m.elements[0].values[0], 2.345);
  EXPECT_DOUBLE_EQ(*m.elements[1].values[0], 12.5);
  EXPECT_DOUBLE_EQ(*m.elements[2].values[0], 12.07);
  EXPECT_DOUBLE_EQ(*m.elements[3].values[0], 1234.567);
  EXPECT_DOUBLE_EQ(*m.elements[4].values[0], -1.25);  // negative: first byte FF
  EXPECT_EQ(m.elements[0].observedAtUs, obs);
  // The centre's reply is a downlink frame with the same function and serial.
  auto r = reply(back, 7, sent, EOT);
  auto rb = one(encode(r));
  EXPECT_FALSE(rb.up);
  EXPECT_EQ(rb.station, "0081100001");
  EXPECT_EQ(rb.function, 0x33);
  EXPECT_EQ(rb.end, EOT);
  EXPECT_EQ(decode(rb).serial, 7);
}

TEST(Sl651, BadBodiesAreRefusedWithTheOffset) {
  auto f = report(0x32, "0081100001", 1, 1, kObs, kObs, 'H', {{0x39, 1.0}});
  f.body.resize(f.body.size() - 2);  // cut the value short
  try {
    decode(f);
    FAIL();
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("needs 4 bytes"), std::string::npos) << e.what();
  }
  auto g = report(0x32, "0081100001", 1, 1, kObs, kObs, 'H', {{0x39, 1.0}});
  g.body[3] = 0x1A;  // month 1A: not BCD
  EXPECT_THROW(decode(g), Error);
  EXPECT_THROW(unhex("7E7G"), Error);
}
