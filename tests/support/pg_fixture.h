// A throwaway PostgreSQL + PostGIS cluster for integration tests: started
// once per test binary (scripts/pgcluster in a fresh temporary folder, its
// own socket directory and port) and removed afterwards.
#pragma once

#include <string>

#include <gtest/gtest.h>

namespace liandong::testing {

class PgEnvironment : public ::testing::Environment {
public:
  void SetUp() override;
  void TearDown() override;
  // libpq connection string of the running cluster (database "liandong").
  static const std::string &conninfo();
  // Creates a fresh empty database with PostGIS and returns its connection string.
  static std::string freshDatabase(const std::string &name);
  // Stops / starts the server (for fault tests).
  static void stop();
  static void start();
};

// Runs a shell command; returns its stdout, throws on a non-zero exit.
std::string run(const std::string &command);

// The source tree and build tree.
std::string sourceDir();
std::string binaryDir();

}  // namespace liandong::testing
