// The configuration of a command centre (liandong-center), read from YAML.
// See configs/demo/centre-440113.yaml for a commented example.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "liandong.pb.h"
#include "liandong/core/curve_keys.h"
#include "liandong/core/link/outbox.h"
#include "liandong/mapping/assets.h"
#include "liandong/mapping/partitions.h"
#include "liandong/server/incident_rules.h"
#include "liandong/server/incidents.h"

namespace liandong::server {

// A centre this centre sends to over the reliable link (its parent, or a child
// for directives).
struct PeerCentre {
  std::string id;
  std::string endpoint;  // the peer's intake
  std::string publicKey;
  link::OutboxOptions outbox;
};

// The `incidents:` section: correlation, lead tiers, reporting upward.
struct IncidentConfig {
  int reportUpLevel = 4;  // incidents at this level or above (I = 1 is highest) go to the parent
  double correlateRadiusM = 2000;
  int correlateWindowS = 6 * 3600;
  int camerasLinked = 5;
  LeadTierPolicy lead;
  std::vector<std::pair<std::string, std::string>> types;  // quantity -> incident type overrides
  int sessionTtlS = 12 * 3600;                             // a duty shift
  int ackMinutes = 15;
  std::vector<SopConfig> sops;
  SitrepDeadlines sitreps;
};

// What an admitted key is (its `role:` in `admitted:`), and so what it may
// send to each endpoint (docs/security.md, "Who may send what").
enum class PeerRole { Ingest, Console, Client, Child, Parent };
std::string peerRoleName(PeerRole role);  // "ingest node", "console", ...
std::string aPeerRole(PeerRole role);     // "an ingest node", "a console", ...

struct CentreConfig {
  std::string id;
  std::string name;
  wire::Tier tier = wire::TIER_UNSPECIFIED;
  std::string region;
  std::string intakeEndpoint;    // ROUTER: ingest nodes and child centres
  std::string updatesEndpoint;   // PUB: consoles
  std::string snapshotEndpoint;  // ROUTER: console snapshots
  std::string queryEndpoint;     // ROUTER: console queries (map tiles, assets near a point); "" = none
  CurveKeyPair keys;
  std::map<std::string, std::string> admitted;  // public key -> id
  std::map<std::string, PeerRole> roles;        // key id -> its role (every admitted key has one)
  // Key id -> the region subtree of that key (its `region:` in `admitted:`):
  // what a console may see, where an ingest node's sensors may stand, a
  // child centre's jurisdiction (required for children). Keys not listed
  // have the centre's whole region.
  std::map<std::string, std::string> keyRegions;
  std::string conninfo;
  std::vector<std::filesystem::path> importRegions;  // GeoJSON, parents first
  std::vector<std::filesystem::path> importTowns;    // CSV
  // Asset GeoJSON files, agencies first (cameras and sensors refer to them).
  std::vector<std::pair<mapping::AssetKind, std::vector<std::filesystem::path>>> importAssets;
  std::vector<mapping::PartitionPolicy> partitionPolicies;  // from `retention:`; empty keeps the stored one
  std::optional<PeerCentre> parent;  // the tier above: incidents, alerts, summaries go up
  int summaryIntervalS = 60;
  std::vector<PeerCentre> children;  // the tier below: directives go down
  IncidentConfig incidents;
  std::filesystem::path rulesFile;  // alert rules run on every stored reading (optional)
  std::string logLevel = "info";
  int statusIntervalS = 10;
};

// Throws ConfigError naming the file, line and key.
CentreConfig readCentreConfig(const std::filesystem::path &file);

// The region a key works in: its `region:`, else the centre's.
std::string keyRegionOf(const CentreConfig &config, const std::string &keyId);
// Why `keyId` may not `what` (e.g. "use the query endpoint"): only console
// and field-client keys may; nullopt for those.
std::optional<std::string> consoleKeyRefusal(const CentreConfig &config, const std::string &keyId,
                                             const std::string &what);
// A user's jurisdiction `regionCode` at a key held to `keyRegion`: narrowed
// to the key's region when wider; the refusal (one line) when the two do not
// meet, nullopt otherwise.
std::optional<std::string> capToKeyRegion(const std::string &user, std::string &regionCode,
                                          const std::string &keyRegion);

}  // namespace liandong::server
