// liandong-audit: checks a centre's hash-chained audit log. `verify`
// recomputes every entry's hash and its link to the one before, and reports
// each entry that was edited, inserted or removed (exit 1); with
// --expect-head it also finds entries cut off the end. `head` prints the
// current head, to be recorded somewhere else (a printout, the tier above).
#include <cstdio>

#include <CLI/CLI.hpp>
#include <pqxx/pqxx>

#include "liandong/core/daemon.h"
#include "liandong/core/errors.h"
#include "liandong/server/audit.h"
#include "liandong/server/centre_config.h"

using namespace liandong;

namespace {
// A wrong command line: one line on stderr, exit 2.
struct Usage : std::runtime_error {
  using std::runtime_error::runtime_error;
};
}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"Liandong audit log check"};
  app.require_subcommand(1);
  std::string configFile, conninfo, expectHead;
  app.add_option("-c,--config", configFile, "centre configuration (its database.conninfo is used)");
  app.add_option("--db", conninfo, "libpq connection string (instead of --config)");
  auto *verify = app.add_subcommand("verify", "recompute the chain; exit 1 when it was tampered with");
  verify->add_option("--expect-head", expectHead, "a head recorded earlier that must still be in the log");
  auto *head = app.add_subcommand("head", "print the hash and number of the last entry");
  CLI11_PARSE(app, argc, argv);
  try {
    if (conninfo.empty()) {
      if (configFile.empty()) throw Usage("give --config CENTRE.yaml or --db CONNINFO");
      conninfo = server::readCentreConfig(configFile).conninfo;
    }
    pqxx::connection conn(conninfo);
    auto report = server::verifyAudit(conn, expectHead.empty() ? std::nullopt : std::optional(expectHead));
    if (*head) {
      std::printf("%s %lld\n", report.head.c_str(), static_cast<long long>(report.headSeq));
      return 0;
    }
    for (const auto &p : report.problems)
      std::printf("audit entry %lld: %s\n", static_cast<long long>(p.seq), p.reason.c_str());
    if (!report.problems.empty()) {
      std::printf("audit log TAMPERED: %zu problem(s) in %lld entries\n", report.problems.size(),
                  static_cast<long long>(report.entries));
      return 1;
    }
    std::printf("audit log intact: %lld entries, head %s\n", static_cast<long long>(report.entries),
                report.head.c_str());
    (void)verify;
    return 0;
  } catch (const Usage &e) {
    std::fprintf(stderr, "liandong-%s: %s\n", "audit", e.what());
    return kExitConfig;
  } catch (const ConfigError &e) {
    std::fprintf(stderr, "liandong-audit: %s\n", e.what());
    return kExitConfig;
  } catch (const std::exception &e) {
    std::string msg = e.what();
    std::fprintf(stderr, "liandong-audit: %s\n", msg.substr(0, msg.find('\n')).c_str());
    return kExitFailure;
  }
}
