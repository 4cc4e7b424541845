// liandong-center: a command centre. Applies the database migrations,
// imports the deployment's regions on first start, accepts messages from its
// ingest nodes and child centres over the reliable CURVE link, stores them in
// PostGIS, publishes every stored change to the consoles, and links up to its
// parent centre and down to its children (see server::Centre).
#include <cstdio>

#include <CLI/CLI.hpp>

#include "liandong/core/daemon.h"
#include "liandong/core/logging.h"
#include "liandong/server/centre.h"
#include "liandong/server/centre_config.h"

using namespace liandong;

int main(int argc, char **argv) {
  CLI::App app{"Liandong command centre"};
  std::string configFile, conninfo, logLevel;
  double duration = 0;
  app.add_option("-c,--config", configFile, "centre configuration (YAML)")->required();
  app.add_option("--db", conninfo, "libpq connection string (overrides database.conninfo)");
  app.add_option("--log-level", logLevel, "trace, debug, info, warn, error (overrides the configuration)");
  app.add_option("--duration", duration, "stop after this many seconds (0 = until SIGINT/SIGTERM)");
  CLI11_PARSE(app, argc, argv);

  server::CentreConfig config;
  try {
    config = server::readCentreConfig(configFile);
    if (!conninfo.empty()) config.conninfo = conninfo;
    logging::setup(logLevel.empty() ? config.logLevel : logLevel, "center:" + config.id);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "liandong-center: %s\n", e.what());
    return kExitConfig;
  }
  const auto &stop = installStopSignals();
  try {
    server::Centre centre(std::move(config));
    centre.run(stop, duration);
    return 0;
  } catch (const std::exception &e) {
    logging::get("center")->error("{}", e.what());
    std::fprintf(stderr, "liandong-center: %s\n", e.what());
    return kExitFailure;
  }
}
