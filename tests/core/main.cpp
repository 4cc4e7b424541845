// Test main of the core tests: quiet logging unless LIANDONG_TEST_LOG is set.
#include <cstdlib>

#include <gtest/gtest.h>

#include "liandong/core/logging.h"

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const char *level = std::getenv("LIANDONG_TEST_LOG");
  liandong::logging::setup(level ? level : "off", "test");
  return RUN_ALL_TESTS();
}
