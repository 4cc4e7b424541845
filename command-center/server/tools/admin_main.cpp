// liandong-admin: account administration straight on a centre's database
// (for the first admin, for scripts and the demo): add or replace a user with
// a role, a jurisdiction and optionally an agency, disable one, or unlock a
// name locked after repeated failed sign-ins. The
// password is read from standard input (never from the command line, so it
// stays out of shell history and process lists). Every change is audited.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <pqxx/pqxx>

#include "liandong/core/daemon.h"
#include "liandong/core/errors.h"
#include "liandong/mapping/migrations.h"
#include "liandong/server/centre_config.h"
#include "liandong/server/pg_intake_store.h"
#include "liandong/server/users.h"

using namespace liandong;

namespace {
// A wrong command line: one line on stderr, exit 2.
struct Usage : std::runtime_error {
  using std::runtime_error::runtime_error;
};
}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"Liandong account administration"};
  app.require_subcommand(1);
  std::string configFile, conninfo, by = "liandong-admin";
  app.add_option("-c,--config", configFile, "centre configuration (its database.conninfo is used)");
  app.add_option("--db", conninfo, "libpq connection string (instead of --config)");
  app.add_option("--by", by, "who makes the change, for the audit log");
  auto *user = app.add_subcommand("user", "add, replace or disable a user");
  user->require_subcommand(1);
  server::NewUser nu;
  std::string role = "duty_officer";
  auto *add = user->add_subcommand("add", "add or replace a user; the password is read from stdin");
  add->add_option("name", nu.name, "user name (letters, digits, _ . -)")->required();
  add->add_option("--role", role, "duty_officer, agency_operator, leader or admin")->required();
  add->add_option("--region", nu.regionCode, "jurisdiction: a region code (that region and below)")
      ->required();
  add->add_option("--agency", nu.agencyId, "the agency of an agency operator");
  add->add_option("--display", nu.displayName, "name shown on consoles (default: the user name)");
  std::string disableName;
  auto *disable = user->add_subcommand("disable", "disable a user and end their sessions");
  disable->add_option("name", disableName)->required();
  std::string unlockName;
  auto *unlock = user->add_subcommand("unlock", "forget the failed sign-ins that locked a user name");
  unlock->add_option("name", unlockName)->required();
  CLI11_PARSE(app, argc, argv);

  try {
    if (conninfo.empty()) {
      if (configFile.empty()) throw Usage("give --config CENTRE.yaml or --db CONNINFO");
      conninfo = server::readCentreConfig(configFile).conninfo;
    }
    pqxx::connection conn(conninfo);
    mapping::MigrationRunner(conn).migrate();
    server::UserStore users(conn);
    server::Actor actor{by, server::Role::Admin, "", "", "liandong-admin"};
    if (*add) {
      auto r = server::parseRole(role);
      if (!r) throw Usage("--role: expected duty_officer, agency_operator, leader or admin");
      nu.role = *r;
      if (nu.displayName.empty()) nu.displayName = nu.name;
      if (!std::getline(std::cin, nu.password)) throw Usage("no password on standard input");
      users.upsert(nu, actor);
      std::printf("user %s (%s, %s) saved\n", nu.name.c_str(), role.c_str(), nu.regionCode.c_str());
    } else if (*disable) {
      users.disable(disableName, actor);
      std::printf("user %s disabled\n", disableName.c_str());
    } else if (*unlock) {
      users.unlock(unlockName, actor);
      std::printf("user %s unlocked\n", unlockName.c_str());
    }
    return 0;
  } catch (const Usage &e) {
    std::fprintf(stderr, "liandong-%s: %s\n", "admin", e.what());
    return kExitConfig;
  } catch (const ConfigError &e) {
    std::fprintf(stderr, "liandong-admin: %s\n", e.what());
    return kExitConfig;
  } catch (const pqxx::broken_connection &e) {
    std::string msg = e.what();
    std::fprintf(stderr, "liandong-admin: cannot connect to PostgreSQL (%s): %s\n",
                 redactConninfo(conninfo).c_str(), msg.substr(0, msg.find('\n')).c_str());
    return kExitFailure;
  } catch (const std::exception &e) {
    std::string msg = e.what();
    std::fprintf(stderr, "liandong-admin: %s\n", msg.substr(0, msg.find('\n')).c_str());
    return kExitFailure;
  }
}
