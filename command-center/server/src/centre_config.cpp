// Reading a centre's YAML configuration (see centre_config.h).
#include "liandong/server/centre_config.h"

#include <set>

#include "liandong/alerts/rules.h"
#include "liandong/alerts/warning.h"
#include "liandong/core/config.h"
#include "liandong/core/daemon.h"
#include "liandong/core/errors.h"
#include "liandong/core/peer_config.h"
#include "liandong/core/region_code.h"

namespace liandong::server {

namespace {

std::filesystem::path nextTo(const std::filesystem::path &file, const std::filesystem::path &p) {
  return p.is_absolute() ? p : std::filesystem::path(file).parent_path() / p;
}

// The `import:` section: files read on first start, relative to the config file.
void readImports(const std::optional<ConfigNode> &imp, const std::filesystem::path &file, CentreConfig &out) {
  if (!imp) return;
  for (const auto &s : imp->strings("regions")) out.importRegions.push_back(nextTo(file, s));
  for (const auto &s : imp->strings("towns")) out.importTowns.push_back(nextTo(file, s));
  for (const auto &p : out.importRegions)
    if (!std::filesystem::exists(p)) imp->fail("regions", "no such file: " + p.string());
  for (const char *key : {"agencies", "cameras", "sensors"}) {
    std::vector<std::filesystem::path> files;
    for (const auto &s : imp->strings(key)) {
      auto p = nextTo(file, s);
      if (!std::filesystem::exists(p)) imp->fail(key, "no such file: " + p.string());
      files.push_back(p);
    }
    if (!files.empty()) out.importAssets.emplace_back(mapping::parseAssetKind(key), files);
  }
  for (const auto &p : out.importTowns)
    if (!std::filesystem::exists(p)) imp->fail("towns", "no such file: " + p.string());
}

// The `retention:` section.
void readRetention(const std::optional<ConfigNode> &ret, CentreConfig &out) {
  if (!ret) return;
  // Days of readings and events kept (0 keeps everything) and day
  // partitions prepared ahead.
  int ahead = static_cast<int>(ret->integer("ahead_days", 7));
  if (ahead < 1 || ahead > 366) ret->fail("ahead_days", "must be 1..366");
  for (const char *table : {"readings", "events"}) {
    std::string key = std::string(table) + "_days";
    mapping::PartitionPolicy p{table, std::nullopt, ahead};
    if (ret->has(key)) {
      auto days = ret->integer(key);
      if (days < 0) ret->fail(key, "must be 0 (keep everything) or a number of days");
      if (days > 0) p.retentionDays = static_cast<int>(days);
    }
    out.partitionPolicies.push_back(p);
  }
}

PeerCentre readPeerCentre(const ConfigNode &n) {
  PeerCentre p;
  p.id = n.str("id");
  p.endpoint = n.str("endpoint");
  p.publicKey = readPublicKey(n);
  auto outbox = n.child("outbox");
  p.outbox = readOutboxOptions(outbox);
  // A full outbox toward another centre must not stall this centre's intake:
  // wait at most a second, then log and count the record as shed.
  if (!outbox.has("block_timeout_ms")) p.outbox.blockTimeoutMs = 1000;
  return p;
}

// The `incidents:` section.
void readIncidents(const std::optional<ConfigNode> &inc, IncidentConfig &ic) {
  if (!inc) return;
  auto level = alerts::parseLevel(inc->str("report_up_level", "IV"));
  if (!level) inc->fail("report_up_level", "expected a response level I, II, III or IV");
  ic.reportUpLevel = static_cast<int>(*level);
  ic.correlateRadiusM = inc->number("correlate_radius_m", ic.correlateRadiusM);
  if (ic.correlateRadiusM < 0 || ic.correlateRadiusM > 100000)
    inc->fail("correlate_radius_m", "must be 0..100000");
  ic.correlateWindowS = static_cast<int>(inc->integer("correlate_window_s", ic.correlateWindowS));
  if (ic.correlateWindowS < 0) inc->fail("correlate_window_s", "must not be negative");
  ic.camerasLinked = static_cast<int>(inc->integer("cameras_linked", ic.camerasLinked));
  if (ic.camerasLinked < 0 || ic.camerasLinked > 100) inc->fail("cameras_linked", "must be 0..100");
  ic.sessionTtlS = static_cast<int>(inc->integer("session_ttl_s", ic.sessionTtlS));
  if (ic.sessionTtlS < 60) inc->fail("session_ttl_s", "must be at least 60");
  if (auto lead = inc->optionalChild("lead_tiers")) {
    for (const char *name : {"I", "II", "III", "IV"}) {
      if (!lead->has(name)) continue;
      auto tier = lead->choice(name, {"state", "province", "city", "county", "town"}, "county");
      ic.lead.set(*alerts::parseLevel(name), tier);
    }
  }
  ic.ackMinutes = static_cast<int>(inc->integer("ack_minutes", ic.ackMinutes));
  if (ic.ackMinutes < 1 || ic.ackMinutes > 7 * 24 * 60) inc->fail("ack_minutes", "must be 1..10080");
  if (auto sr = inc->optionalChild("sitreps")) {
    // Minutes by response level, e.g. first: {I: 30, II: 60, III: 120, IV: 240}.
    auto read = [&](const char *key, std::array<int, 5> &into) {
      auto n = sr->optionalChild(key);
      if (!n) return;
      for (const char *name : {"I", "II", "III", "IV"}) {
        if (!n->has(name)) continue;
        auto minutes = n->integer(name);
        if (minutes < 1 || minutes > 30 * 24 * 60) n->fail(name, "minutes must be 1..43200");
        into[static_cast<std::size_t>(*alerts::parseLevel(name))] = static_cast<int>(minutes);
      }
    };
    read("first", ic.sitreps.firstMin);
    read("followup", ic.sitreps.followupMin);
    read("final", ic.sitreps.finalMin);
  }
  for (const auto &sopNode : inc->list("sops")) {
    SopConfig sop;
    sop.type = sopNode.str("type");
    for (const auto &step : sopNode.list("steps")) {
      SopStepConfig st;
      st.text = step.str("text");
      if (step.has("agency"))
        st.agencyKind = step.choice("agency",
                                    {"flood_control", "rental_housing", "public_security", "fire", "medical",
                                     "emergency_management", "water", "transport", "other"},
                                    "");
      sop.steps.push_back(std::move(st));
    }
    if (sop.steps.empty()) sopNode.fail("steps", "an SOP needs at least one step");
    ic.sops.push_back(std::move(sop));
  }
  for (const auto &t : inc->list("types")) {
    auto type = t.str("type");
    if (type.empty() || type.size() > 32 ||
        type.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos)
      t.fail("type", "expected lower-case letters and _");
    ic.types.emplace_back(t.str("quantity"), type);
  }
}

// The `role:` and `region:` of each admitted key. The parent's and the
// children's roles follow from the `parent:` and `children:` sections (a role
// written there must agree); every other key names its role.
void readPeerRoles(const ConfigNode &cfg, CentreConfig &out) {
  std::set<std::string> children;
  for (const auto &c : out.children) children.insert(c.id);
  for (const auto &entry : cfg.list("admitted")) {
    const std::string id = entry.str("id");
    std::optional<PeerRole> implied;
    if (out.parent && out.parent->id == id) implied = PeerRole::Parent;
    if (children.count(id)) implied = PeerRole::Child;
    PeerRole role;
    if (entry.has("role")) {
      auto name = entry.choice("role", {"ingest", "console", "client", "child", "parent"}, "");
      role = name == "ingest"    ? PeerRole::Ingest
             : name == "console" ? PeerRole::Console
             : name == "client"  ? PeerRole::Client
             : name == "child"   ? PeerRole::Child
                                 : PeerRole::Parent;
      if (implied && role != *implied)
        entry.fail("role", "\"" + id + "\" is this centre's " + peerRoleName(*implied) + " (see " +
                               (*implied == PeerRole::Parent ? "parent:" : "children:") + "), not a " + name);
      if (role == PeerRole::Parent && (!out.parent || out.parent->id != id))
        entry.fail("role", "only the centre named in parent: may have the role parent");
    } else if (implied) {
      role = *implied;
    } else {
      entry.fail("role", "missing: say what \"" + id + "\" is (ingest, console, client, child or parent)");
    }
    out.roles[id] = role;
    std::string region = entry.str("region", "");
    if (!region.empty()) {
      if (regionPrefix(region).empty())
        entry.fail("region", "\"" + region + "\" is not a 6- or 9-digit region code");
      if (!regionCovers(out.region, region))
        entry.fail("region", region + " is not inside this centre's region " + out.region);
      out.keyRegions[id] = region;
    } else if (role == PeerRole::Child) {
      entry.fail("region", "missing: a child centre's jurisdiction, which its incident copies must lie in");
    }
  }
}

}  // namespace

std::string peerRoleName(PeerRole role) {
  switch (role) {
    case PeerRole::Ingest: return "ingest node";
    case PeerRole::Console: return "console";
    case PeerRole::Client: return "field client";
    case PeerRole::Child: return "child centre";
    case PeerRole::Parent: return "parent centre";
  }
  return "peer";
}

std::string keyRegionOf(const CentreConfig &config, const std::string &keyId) {
  auto it = config.keyRegions.find(keyId);
  return it == config.keyRegions.end() ? config.region : it->second;
}

std::optional<std::string> consoleKeyRefusal(const CentreConfig &config, const std::string &keyId,
                                             const std::string &what) {
  auto role = config.roles.find(keyId);
  if (role == config.roles.end()) return "a key without a role may not " + what;
  if (role->second == PeerRole::Console || role->second == PeerRole::Client) return std::nullopt;
  return aPeerRole(role->second) + " may not " + what;
}

std::optional<std::string> capToKeyRegion(const std::string &user, std::string &regionCode,
                                          const std::string &keyRegion) {
  if (regionCovers(keyRegion, regionCode)) return std::nullopt;
  if (!regionCovers(regionCode, keyRegion))
    return "user " + user + "'s jurisdiction " + regionCode + " is outside this console's region " +
           keyRegion;
  regionCode = keyRegion;
  return std::nullopt;
}

std::string aPeerRole(PeerRole role) {
  return (role == PeerRole::Ingest ? "an " : "a ") + peerRoleName(role);
}

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
  if (out.region.size() != 6 && out.region.size() != 9)
    centre.fail("region", "expected a 6- or 9-digit division code");
  out.intakeEndpoint = centre.str("intake");
  out.updatesEndpoint = centre.str("updates");
  out.snapshotEndpoint = centre.str("snapshot");
  if (centre.has("query")) out.queryEndpoint = centre.str("query");
  out.keys = readOwnKeys(centre, out.id);
  out.statusIntervalS = static_cast<int>(centre.integer("status_interval_s", 10));
  out.admitted = readAdmittedKeys(cfg, "admitted");
  if (out.admitted.empty()) cfg.fail("admitted", "no peer is admitted; list at least one {id, public_key}");
  auto db = cfg.child("database");
  out.conninfo = db.str("conninfo");
  readImports(cfg.optionalChild("import"), file, out);
  readRetention(cfg.optionalChild("retention"), out);
  if (auto parent = cfg.optionalChild("parent")) {
    out.parent = readPeerCentre(*parent);
    out.summaryIntervalS = static_cast<int>(parent->integer("summary_interval_s", 60));
    if (out.summaryIntervalS < 1) parent->fail("summary_interval_s", "must be at least 1");
  }
  for (const auto &child : cfg.list("children")) out.children.push_back(readPeerCentre(child));
  readPeerRoles(cfg, out);
  if (cfg.has("rules")) {
    // Rules in the centre: the same engine and file format as at the edge.
    out.rulesFile = cfg.path("rules");
    try {
      alerts::loadRules(out.rulesFile);
    } catch (const std::exception &e) {
      cfg.fail("rules", e.what());
    }
  }
  readIncidents(cfg.optionalChild("incidents"), out.incidents);
  if (auto lg = cfg.optionalChild("logging")) out.logLevel = lg->str("level", "info");
  cfg.rejectUnknown();
  return out;
}

}  // namespace liandong::server