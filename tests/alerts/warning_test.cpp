// Tests of warning colours, CAP severities, response levels and lead tiers.
#include <gtest/gtest.h>

#include "liandong/alerts/warning.h"

using namespace liandong;
using namespace liandong::alerts;

TEST(Warning, ColoursMapToCapSeverity) {
  EXPECT_EQ(capSeverity(wire::COLOUR_RED), "Extreme");
  EXPECT_EQ(capSeverity(wire::COLOUR_ORANGE), "Severe");
  EXPECT_EQ(capSeverity(wire::COLOUR_YELLOW), "Moderate");
  EXPECT_EQ(capSeverity(wire::COLOUR_BLUE), "Minor");
  EXPECT_EQ(colourName(wire::COLOUR_ORANGE, true), "橙色");
  EXPECT_EQ(parseColour("红色"), wire::COLOUR_RED);
  EXPECT_EQ(parseColour("blue"), wire::COLOUR_BLUE);
  EXPECT_FALSE(parseColour("purple").has_value());
}

TEST(Warning, LevelsAndLeadTiers) {
  EXPECT_EQ(parseLevel("IV"), wire::LEVEL_IV);
  EXPECT_EQ(parseLevel("1"), wire::LEVEL_I);
  EXPECT_FALSE(parseLevel("V").has_value());
  EXPECT_EQ(leadTier(wire::LEVEL_IV), wire::TIER_COUNTY);
  EXPECT_EQ(leadTier(wire::LEVEL_III), wire::TIER_CITY);
  EXPECT_EQ(leadTier(wire::LEVEL_II), wire::TIER_PROVINCE);
  EXPECT_EQ(leadTier(wire::LEVEL_I), wire::TIER_PROVINCE);
  EXPECT_EQ(levelName(wire::LEVEL_II, true), "Ⅱ级（重大）");
}
