// The database migration runner: numbered SQL files (mapping/migrations/
// NNN_name.sql) applied in order, each in its own transaction, recorded in
// `schema_migrations` with a checksum. Re-running is a no-op; a failed
// migration leaves the database as it was; a migration whose text changed
// after it was applied is an error. An advisory lock makes concurrent runs safe.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/connection>

namespace liandong::mapping {

struct Migration {
  int version = 0;
  std::string name;  // file name, e.g. "001_regions.sql"
  std::string sql;
  std::string checksum;  // hex SHA-256 of the text
};

// Parses (file name, text) pairs; throws Error on a bad name or a duplicate version.
std::vector<Migration> parseMigrations(const std::vector<std::pair<std::string, std::string>> &files);
// The migrations compiled into the library (from mapping/migrations).
const std::vector<Migration> &embeddedMigrations();
// Reads NNN_*.sql from a folder (tests, or a deployment's own additions).
std::vector<Migration> migrationsFromDirectory(const std::filesystem::path &dir);

class MigrationRunner {
public:
  explicit MigrationRunner(pqxx::connection &conn, std::vector<Migration> migrations = embeddedMigrations());
  // Applies what is missing; returns how many were applied now. Throws
  // StorageError naming the file on failure or on a checksum mismatch.
  int migrate();
  // Versions already applied.
  std::vector<int> applied();

private:
  pqxx::connection &conn_;
  std::vector<Migration> migrations_;
};

}  // namespace liandong::mapping
