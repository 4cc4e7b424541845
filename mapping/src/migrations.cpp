// The migration runner (see migrations.h).
#include "liandong/mapping/migrations.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <sodium.h>
#include <pqxx/pqxx>

#include "liandong/core/errors.h"
#include "liandong/core/logging.h"
#include "liandong/core/text.h"

namespace liandong::mapping {

namespace {
constexpr long kLockKey = 0x4C44'4D49;  // "LDMI": serialises concurrent migrators

}  // namespace

std::vector<Migration> parseMigrations(const std::vector<std::pair<std::string, std::string>> &files) {
  std::vector<Migration> out;
  std::map<int, std::string> seen;
  for (const auto &[name, text] : files) {
    if (name.size() < 9 || !std::all_of(name.begin(), name.begin() + 3, ::isdigit) || name[3] != '_' ||
        !name.ends_with(".sql"))
      throw Error("migration file name \"" + name + "\" is not NNN_name.sql");
    Migration m{std::stoi(name.substr(0, 3)), name, text, sha256Hex(text)};
    if (seen.count(m.version))
      throw Error("migrations " + seen[m.version] + " and " + name + " share a version");
    seen[m.version] = name;
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const auto &a, const auto &b) { return a.version < b.version; });
  return out;
}

std::vector<Migration> migrationsFromDirectory(const std::filesystem::path &dir) {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto &e : std::filesystem::directory_iterator(dir)) {
    auto name = e.path().filename().string();
    if (!name.ends_with(".sql")) continue;
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    files.emplace_back(name, ss.str());
  }
  return parseMigrations(files);
}

MigrationRunner::MigrationRunner(pqxx::connection &conn, std::vector<Migration> migrations)
    : conn_(conn), migrations_(std::move(migrations)) {}

std::vector<int> MigrationRunner::applied() {
  pqxx::work tx(conn_);
  std::vector<int> out;
  auto exists = tx.exec1("SELECT to_regclass('schema_migrations') IS NOT NULL")[0].as<bool>();
  if (exists)
    for (const auto &row : tx.exec("SELECT version FROM schema_migrations ORDER BY version"))
      out.push_back(row[0].as<int>());
  return out;
}

int MigrationRunner::migrate() {
  auto log = logging::get("mapping");
  {
    pqxx::work tx(conn_);
    tx.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, name text NOT NULL, "
        "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    tx.commit();
  }
  int count = 0;
  for (const auto &m : migrations_) {
    pqxx::work tx(conn_);
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kLockKey);
    auto row = tx.exec_params("SELECT checksum FROM schema_migrations WHERE version = $1", m.version);
    if (!row.empty()) {
      if (row[0][0].as<std::string>() != m.checksum)
        throw StorageError("migration " + m.name +
                           " was changed after it was applied (checksum mismatch); "
                           "add a new migration instead of editing an applied one");
      continue;
    }
    try {
      tx.exec(m.sql);
      tx.exec_params("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", m.version,
                     m.name, m.checksum);
      tx.commit();
    } catch (const pqxx::sql_error &e) {
      throw StorageError("migration " + m.name + " failed and was rolled back: " + firstLine(e.what()));
    }
    log->info("applied migration {}", m.name);
    ++count;
  }
  return count;
}

}  // namespace liandong::mapping
