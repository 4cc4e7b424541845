// What each console may see of the centre's live state (the Clone fan-out):
// a viewer is a console key, optionally with a signed-in user's session. Its
// view is a region subtree — the user's jurisdiction, within the key's
// `region:` from `admitted:` (the whole centre when the key has none) — and,
// for agency operators, only the incidents they reported or are tasked with.
// Also places state items at the finest tier (a town) so a town's officer
// sees his town's readings and alerts, not the county's.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "liandong.pb.h"
#include "liandong/core/link/clone.h"
#include "liandong/mapping/region_index.h"
#include "liandong/server/centre_config.h"
#include "liandong/server/incidents.h"
#include "sessions.h"

namespace liandong::server {

class ConsoleViews {
public:
  // `desk` and `sessions` must outlive this object.
  ConsoleViews(const CentreConfig &config, IncidentDesk &desk, Sessions &sessions);

  // The CloneServer's admission decision for one snapshot request.
  link::CloneAccess access(const std::string &keyId, const wire::SnapshotRequest &request);

  // Fills update.region_path: from the point (the deepest region that
  // contains it) when there is one, else from update.region_code.
  void place(wire::StateUpdate &update, std::optional<std::pair<double, double>> lonLat = std::nullopt);

  // Reads the regions again (after an import); failures keep the old ones.
  void reloadRegions();

private:
  const CentreConfig &config_;
  IncidentDesk &desk_;
  Sessions &sessions_;
  std::unique_ptr<mapping::RegionIndex> regions_;
  std::map<std::pair<double, double>, std::string> placed_;  // sensors stand still
};

}  // namespace liandong::server
