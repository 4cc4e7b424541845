// Reading a centre's YAML configuration (see centre_config.h).
#include "liandong/server/centre_config.h"

#include "liandong/core/config.h"
#include "liandong/core/daemon.h"
#include "liandong/core/errors.h"

namespace liandong::server {

CentreConfig readCentreConfig(const std::filesystem::path &file) {
  auto cfg = ConfigNode::loadFile(file);
  CentreConfig out;
  auto centre = cfg.child("centre");
  out.id = centre.str("id");
  out.name = centre.str("name", out.id);
  try {
    out.tier = parseTier(centre.str("tier"));
  } catch (const ConfigError &) {
    throw;
  } catch (const Error &e) {
    centre.fail("tier", e.what());
  }
  out.region = centre.str("region");
  if (out.region.size() != 6 && out.region.size() != 9) centre.fail("region", "expected a 6- or 9-digit division code");
  out.intakeEndpoint = centre.str("intake");
  out.updatesEndpoint = centre.str("updates");
  out.snapshotEndpoint = centre.str("snapshot");
  auto keyFile = centre.path("keys");
  try {
    out.keys = loadCurveKeyFile(keyFile);
  } catch (const ConfigError &) {
    throw;
  } catch (const Error &e) {
    centre.fail("keys", e.what());
  }
  if (out.keys.secretZ85.empty()) centre.fail("keys", keyFile.string() + " has no secret key");
  out.statusIntervalS = static_cast<int>(centre.integer("status_interval_s", 10));
  out.admitted = readAdmittedKeys(cfg, "admitted");
  if (out.admitted.empty()) cfg.fail("admitted", "no peer is admitted; list at least one {id, public_key}");
  auto db = cfg.child("database");
  out.conninfo = db.str("conninfo");
  if (auto imp = cfg.optionalChild("import")) {
    for (std::size_t i = 0; i < imp->strings("regions").size(); ++i) {
      std::filesystem::path p = imp->strings("regions")[i];
      out.importRegions.push_back(p.is_absolute() ? p : std::filesystem::path(file).parent_path() / p);
    }
    for (const auto &s : imp->strings("towns")) {
      std::filesystem::path p = s;
      out.importTowns.push_back(p.is_absolute() ? p : std::filesystem::path(file).parent_path() / p);
    }
    for (const auto &p : out.importRegions)
      if (!std::filesystem::exists(p)) imp->fail("regions", "no such file: " + p.string());
    for (const auto &p : out.importTowns)
      if (!std::filesystem::exists(p)) imp->fail("towns", "no such file: " + p.string());
  }
  if (auto lg = cfg.optionalChild("logging")) out.logLevel = lg->str("level", "info");
  cfg.rejectUnknown();
  return out;
}

}  // namespace liandong::server
