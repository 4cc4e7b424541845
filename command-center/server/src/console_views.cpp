// What each console may see of the centre's live state (see console_views.h).
#include "console_views.h"

#include <pqxx/pqxx>

#include "liandong/core/logging.h"
#include "liandong/core/region_code.h"

namespace liandong::server {

ConsoleViews::ConsoleViews(const CentreConfig &config, IncidentDesk &desk, Sessions &sessions)
    : config_(config), desk_(desk), sessions_(sessions) {
  reloadRegions();
}

void ConsoleViews::reloadRegions() {
  try {
    pqxx::connection conn(config_.conninfo);
    regions_ = std::make_unique<mapping::RegionIndex>(mapping::RegionIndex::load(conn));
    placed_.clear();
  } catch (const std::exception &e) {
    std::string msg = e.what();
    logging::get("center")->warn("regions for console views not loaded: {}", msg.substr(0, msg.find('\n')));
  }
}

void ConsoleViews::place(wire::StateUpdate &u, std::optional<std::pair<double, double>> lonLat) {
  if (u.region_path_size() > 0) return;
  std::string code;
  if (lonLat && (lonLat->first != 0 || lonLat->second != 0) && regions_) {
    auto it = placed_.find(*lonLat);
    if (it == placed_.end()) {
      if (placed_.size() > 100000) placed_.clear();
      it = placed_.emplace(*lonLat, regions_->resolve(lonLat->first, lonLat->second)).first;
    }
    code = it->second;
  }
  // The point may lie in a town the stored (county) code does not name; keep
  // the finer of the two when they agree.
  if (code.empty() || (!u.region_code().empty() && !regionCovers(u.region_code(), code)))
    code = u.region_code();
  for (auto &c : regionPath(code)) u.add_region_path(std::move(c));
}

link::CloneAccess ConsoleViews::access(const std::string &keyId, const wire::SnapshotRequest &request) {
  link::CloneAccess a;
  if (auto no = consoleKeyRefusal(config_, keyId, "take the consoles' live state")) {
    a.refused = *no;
    return a;
  }
  const std::string keyRegion = keyRegionOf(config_, keyId);
  std::string region = keyRegion;
  Actor who;
  bool signedIn = !request.session().empty();
  if (signedIn) {
    try {
      who = sessions_.resolve(request.session(), keyId).actor;
    } catch (const AuthError &e) {
      a.refused = std::string("not signed in: ") + e.what();
      return a;
    }
    region = who.regionCode;
    if (auto no = capToKeyRegion(who.name, region, keyRegion)) {
      a.refused = *no;
      return a;
    }
    a.who = "user " + who.name + " (" + roleName(who.role) + ", " + region + ") at " + keyId;
  } else {
    a.who = keyId + " (" + region + ")";
  }
  // Items of the whole centre (peers, links) go to consoles that see all of it.
  bool whole = regionCovers(region, config_.region) || region == config_.region;
  bool agency = signedIn && who.role == Role::AgencyOperator;
  IncidentDesk *desk = &desk_;
  a.sees = [region, whole, agency, who, desk](const wire::StateUpdate &u) {
    const std::string *place = u.region_path_size() > 0  ? &u.region_path(u.region_path_size() - 1)
                               : u.region_code().empty() ? nullptr
                                                         : &u.region_code();
    if (!place) return whole;
    if (*place != region && !regionCovers(region, *place)) return false;
    if (agency && u.what() == "incident")
      return desk->visibleTo(who, u.source().incident_report().incident_id());
    return true;
  };
  return a;
}

}  // namespace liandong::server
