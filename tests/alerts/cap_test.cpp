// Tests of CAP 1.2 against public alerts (tests/data/cap): valid ones decode,
// re-encode and decode to the same alert, and the re-encoded XML is valid;
// invalid ones fail with the reason; the XXE file is refused without any
// external load; CAP 1.1 is refused by namespace; Liandong's alerts encode
// after GB/T 35965.1 with Update/Cancel chained by references.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "liandong/alerts/cap.h"
#include "liandong/core/errors.h"

using namespace liandong;
using namespace liandong::alerts;

namespace {

std::string file(const std::string &name) {
  std::ifstream in(std::string(LIANDONG_SOURCE_DIR) + "/tests/data/cap/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string joined(const std::vector<std::string> &v) {
  std::string s;
  for (const auto &x : v) s += x + "\n";
  return s;
}

}  // namespace

TEST(Cap, ValidAlertsRoundTripAndStayValid) {
  for (auto name : {"cn-valid.xml", "australia.cap", "canada.cap", "wcatwc-warning.cap",
                    "earthquake-iso8859-1.cap", "canada_signed.cap"}) {
    SCOPED_TRACE(name);
    auto xml = file(name);
    ASSERT_FALSE(xml.empty());
    EXPECT_TRUE(cap::validateXsd(xml).empty()) << joined(cap::validateXsd(xml));
    auto alert = cap::decode(xml);
    EXPECT_TRUE(cap::validateRules(alert).empty()) << joined(cap::validateRules(alert));
    auto again = cap::encode(alert);
    EXPECT_TRUE(cap::validateXsd(again).empty()) << joined(cap::validateXsd(again)) << again;
    EXPECT_TRUE(cap::decode(again) == alert) << again;
  }
  EXPECT_EQ(cap::externalLoadsRefused(), 0u);
}

TEST(Cap, TheChineseAlertKeepsItsTextAndGeocode) {
  auto alert = cap::decode(file("cn-valid.xml"));
  EXPECT_EQ(alert.msgType, "Update");
  ASSERT_EQ(alert.infos.size(), 2u);
  EXPECT_EQ(alert.infos[1].language, "zh-CN");
  EXPECT_EQ(alert.infos[1].event, "雷电");
  EXPECT_EQ(alert.infos[1].headline, "保定市气象台更新雷电黄色预警[Ⅲ级/较重]");
  ASSERT_EQ(alert.infos[1].areas.at(0).geocodes.size(), 1u);
  EXPECT_EQ(alert.infos[1].areas[0].geocodes[0].valueName, "CPEAS Geographic Code");
  EXPECT_EQ(alert.infos[1].areas[0].geocodes[0].value, "130602000000");
  EXPECT_NE(cap::encode(alert).find("保定市气象台2024年07月12日21时29分"), std::string::npos);
  // ISO-8859-1 input comes out as UTF-8.
  auto iso = cap::decode(file("earthquake-iso8859-1.cap"));
  EXPECT_NE(iso.infos.at(0).areas.at(0).areaDesc.find("á"), std::string::npos);
  EXPECT_EQ(cap::decode(file("canada.cap")).infos.size(), 2u);
  EXPECT_EQ(cap::decode(file("canada_signed.cap")).signatures.size(), 2u);
}

TEST(Cap, InvalidAlertsFailWithTheReason) {
  auto xsd = cap::validateXsd(file("invalid.cap"));
  ASSERT_FALSE(xsd.empty());
  EXPECT_NE(xsd[0].find("line 9:"), std::string::npos) << xsd[0];
  EXPECT_NE(xsd[0].find("scope"), std::string::npos) << xsd[0];
  auto rules = cap::validateRules(cap::decode(file("canada_errors.cap")));
  ASSERT_FALSE(rules.empty());
  EXPECT_NE(joined(rules).find("an Update needs <references>"), std::string::npos) << joined(rules);
  try {
    cap::decode(file("earthquake.cap"));
    FAIL();
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("CAP 1.1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(cap::decode("<alert"), Error);
  EXPECT_THROW(cap::decode("<alarm xmlns='urn:oasis:names:tc:emergency:cap:1.2'/>"), Error);
  EXPECT_THROW(cap::decode(std::string(cap::kMaxDocument + 1, ' ')), Error);
}

TEST(Cap, XxeIsRefusedWithoutReadingAnything) {
  auto before = cap::externalLoadsRefused();
  try {
    cap::decode(file("xee.cap"));
    FAIL() << "xee.cap must be refused";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("DTD"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(cap::validateXsd(file("xee.cap")).empty());
  EXPECT_EQ(cap::externalLoadsRefused(), before) << "the parser asked to load an external resource";
  // An entity without a DTD is not expanded either.
  EXPECT_THROW(
      cap::decode("<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><identifier>&x;</identifier></alert>"),
      Error);
}

TEST(Cap, LiandongAlertsAfterTheChineseProfileWithUpdatesAndCancel) {
  wire::Alert a;
  a.set_alert_id("ingest-panyu-1/shiqiao-level/81100001/1800000000000000");
  a.set_rule_id("shiqiao-level");
  a.set_source_id("81100001");
  a.set_colour(wire::COLOUR_YELLOW);
  a.set_suggested_level(wire::LEVEL_III);
  a.set_headline("市桥水道水位 黄色预警");
  a.set_description("81100001 water_level: value 2.05 m (level 2)");
  a.set_onset_at_us(1'800'000'000'000'000);
  a.set_latitude(22.945);
  a.set_longitude(113.365);
  cap::Origin origin{"centre-440113", "44011300000000", "440113", "番禺区", 1};
  auto first = cap::fromLiandong(a, origin, 1'800'000'000'000'000);
  auto xml = cap::encode(first);
  EXPECT_TRUE(cap::validateXsd(xml).empty()) << joined(cap::validateXsd(xml)) << xml;
  EXPECT_TRUE(cap::validateRules(first).empty()) << joined(cap::validateRules(first));
  EXPECT_EQ(first.msgType, "Alert");
  EXPECT_EQ(first.sent, "2027-01-15T16:00:00+08:00");
  EXPECT_EQ(first.identifier, "44011300000000_202701151600000001");
  ASSERT_EQ(first.infos.size(), 2u);
  EXPECT_EQ(first.infos[0].language, "zh-CN");
  EXPECT_EQ(first.infos[1].language, "en-US");
  EXPECT_EQ(first.infos[0].severity, "Moderate");
  EXPECT_EQ(first.infos[0].areas[0].geocodes[0].value, "440113000000");
  EXPECT_EQ(cap::decode(xml), first);

  a.set_colour(wire::COLOUR_RED);
  origin.serial = 2;
  auto update = cap::fromLiandong(a, origin, 1'800'000'060'000'000, {cap::referenceOf(first)});
  EXPECT_EQ(update.msgType, "Update");
  EXPECT_EQ(update.references, "centre-440113,44011300000000_202701151600000001,2027-01-15T16:00:00+08:00");
  EXPECT_TRUE(cap::validateRules(update).empty()) << joined(cap::validateRules(update));
  EXPECT_EQ(update.infos[0].severity, "Extreme");
  a.set_cleared(true);
  origin.serial = 3;
  auto cancel = cap::fromLiandong(a, origin, 1'800'000'120'000'000,
                                  {cap::referenceOf(first), cap::referenceOf(update)});
  EXPECT_EQ(cancel.msgType, "Cancel");
  EXPECT_TRUE(cap::validateXsd(cap::encode(cancel)).empty());
  EXPECT_TRUE(cap::validateRules(cancel).empty()) << joined(cap::validateRules(cancel));
}
