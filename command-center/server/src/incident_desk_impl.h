// Private to the incident desk's sources (incidents.cpp, incident_tasks.cpp,
// alert_correlation.cpp):
// the desk's state, its SQL column list and row conversions, and the
// timeline, jurisdiction and region helpers both files use.
#pragma once

#include <array>
#include <cmath>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "liandong/alerts/warning.h"
#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "liandong/mapping/assets.h"
#include "liandong/server/audit.h"
#include "liandong/server/incidents.h"

namespace liandong::server {

namespace desk {

using json = nlohmann::json;

inline constexpr const char *kColumns =
    "id, type, title, description, level, colour, state, lead_tier, ST_X(geom) AS lon, ST_Y(geom) AS lat, "
    "province_code, city_code, county_code, town_code, origin_centre, reported_by, "
    "(extract(epoch FROM opened_at) * 1e6)::bigint AS opened_us, "
    "(extract(epoch FROM updated_at) * 1e6)::bigint AS updated_us, version, coalesce(via_centre, '') AS via";

inline const std::regex kIdPattern("^[A-Za-z0-9_.:/-]{1,96}$");
inline const std::regex kTypePattern("^[a-z_]{1,32}$");

inline std::string text(const pqxx::field &f) {
  return f.is_null() ? std::string() : f.as<std::string>();
}

inline wire::IncidentReport toReport(const pqxx::row &row) {
  wire::IncidentReport r;
  r.set_incident_id(row["id"].as<std::string>());
  r.set_type(row["type"].as<std::string>());
  r.set_title(row["title"].as<std::string>());
  r.set_description(row["description"].as<std::string>());
  r.set_level(static_cast<wire::ResponseLevel>(row["level"].as<int>()));
  r.set_colour(parseColourKey(row["colour"].as<std::string>()));
  r.set_state(row["state"].as<std::string>());
  r.set_lead_tier(tierOf(row["lead_tier"].as<std::string>()));
  r.set_longitude(row["lon"].as<double>());
  r.set_latitude(row["lat"].as<double>());
  for (const char *tier : {"province_code", "city_code", "county_code", "town_code"})
    if (!row[tier].is_null()) r.add_region_codes(row[tier].as<std::string>());
  r.set_origin_centre(row["origin_centre"].as<std::string>());
  r.set_reported_by(row["reported_by"].as<std::string>());
  r.set_opened_at_us(row["opened_us"].as<std::int64_t>());
  r.set_updated_at_us(row["updated_us"].as<std::int64_t>());
  r.set_version(row["version"].as<std::uint32_t>());
  return r;
}

inline json snapshotOf(const pqxx::row &row) {
  return {{"state", row["state"].as<std::string>()},
          {"level", row["level"].as<int>()},
          {"colour", row["colour"].as<std::string>()},
          {"lead_tier", row["lead_tier"].as<std::string>()},
          {"version", row["version"].as<int>()}};
}

inline std::string levelText(int level) {
  return alerts::levelName(static_cast<wire::ResponseLevel>(level), false);
}

inline bool validLevel(int level) {
  return level >= 1 && level <= 4;
}

}  // namespace desk

using namespace desk;

struct IncidentDesk::Impl {
  Impl(const std::string &conninfo, IncidentOptions o)
      : options(std::move(o)), conn(conninfo), assetConn(conninfo), assets(assetConn) {}

  IncidentOptions options;
  pqxx::connection conn;
  pqxx::connection assetConn;
  mapping::AssetQueries assets;

  // May `who` see this incident? System sees all; users see their region
  // subtree; agency operators what they reported or their agency is tasked with.
  bool visible(pqxx::work &tx, const Actor &who, const pqxx::row &row) const {
    if (who.role == Role::System) return true;
    bool inRegion = false;
    for (const char *tier : {"province_code", "city_code", "county_code", "town_code"})
      if (text(row[tier]) == who.regionCode) inRegion = true;
    if (!inRegion) return false;
    if (who.role == Role::AgencyOperator)
      return row["reported_by"].as<std::string>() == who.name ||
             !tx.exec_params("SELECT 1 FROM tasks WHERE incident_id = $1 AND agency_id = $2",
                             row["id"].as<std::string>(), who.agencyId)
                  .empty();
    return true;
  }

  std::optional<pqxx::row> fetch(pqxx::work &tx, const std::string &id, bool forUpdate) {
    auto rows = tx.exec_params(
        fmt::format("SELECT {} FROM incidents WHERE id = $1{}", kColumns, forUpdate ? " FOR UPDATE" : ""),
        id);
    if (rows.empty()) return std::nullopt;
    return rows[0];
  }

  pqxx::row fetchVisible(pqxx::work &tx, const Actor &who, const std::string &id, bool forUpdate) {
    auto row = fetch(tx, id, forUpdate);
    // Same answer for "absent" and "not yours": existence is not disclosed.
    if (!row || !visible(tx, who, *row)) throw IncidentError("no incident " + id + " in your jurisdiction");
    return *row;
  }

  void timeline(pqxx::work &tx, const std::string &id, const std::string &actor, const std::string &action,
                const json &detail) {
    tx.exec_params(
        "INSERT INTO incident_timeline (incident_id, actor, action, detail) VALUES ($1, $2, $3, $4)", id,
        actor, action, detail.dump());
  }

  // Marks a change (the version moves only for a shared one); returns the new state.
  wire::IncidentReport touch(pqxx::work &tx, const std::string &id, const std::string &change,
                             bool shared = true) {
    tx.exec_params("UPDATE incidents SET version = version + $2, updated_at = now() WHERE id = $1", id,
                   shared ? 1 : 0);
    auto r = toReport(*fetch(tx, id, false));
    r.set_change(change);
    return r;
  }

  // Region codes at every tier of a point (the centre's region when it is
  // outside everything held).
  std::array<std::optional<std::string>, 4> regionsAt(pqxx::work &tx, double lon, double lat) {
    auto row = tx.exec_params1(
        "WITH RECURSIVE up(code, tier, parent_code) AS ("
        "  SELECT code, tier, parent_code FROM regions"
        "  WHERE code = coalesce(liandong_region_at(ST_SetSRID(ST_MakePoint($1, $2), 4326)), $3)"
        "  UNION ALL SELECT r.code, r.tier, r.parent_code FROM regions r JOIN up ON r.code = up.parent_code) "
        "SELECT max(code) FILTER (WHERE tier = 'province'), max(code) FILTER (WHERE tier = 'city'), "
        "max(code) FILTER (WHERE tier = 'county'), max(code) FILTER (WHERE tier = 'town') FROM up",
        lon, lat, options.centreRegion);
    std::array<std::optional<std::string>, 4> out;
    for (int i = 0; i < 4; ++i)
      if (!row[i].is_null()) out[static_cast<std::size_t>(i)] = row[i].as<std::string>();
    return out;
  }

  std::string newId(pqxx::work &tx) {
    auto serial =
        tx.exec1("SELECT nextval('incident_serial'), to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD')");
    return fmt::format("{}-{}-{:04}", options.centreId, serial[1].as<std::string>(), serial[0].as<long>());
  }

  // Inserts a new incident (already validated); links the cameras that see it.
  wire::IncidentReport insert(pqxx::work &tx, const Actor &who, wire::IncidentReport in,
                              const std::vector<mapping::AssetHit> &cameras, const std::string &how) {
    auto regions = regionsAt(tx, in.longitude(), in.latitude());
    if (who.role != Role::System) {
      auto located =
          tx.exec_params1("SELECT liandong_region_at(ST_SetSRID(ST_MakePoint($1, $2), 4326)) IS NOT NULL",
                          in.longitude(), in.latitude());
      if (!located[0].as<bool>())
        throw IncidentError(
            fmt::format("the place ({:.5f}, {:.5f}) is outside every region this centre holds", in.latitude(),
                        in.longitude()));
      bool mine = false;
      for (const auto &r : regions)
        if (r && *r == who.regionCode) mine = true;
      if (!mine)
        throw IncidentError(fmt::format("the place ({:.5f}, {:.5f}) is outside your jurisdiction {}",
                                        in.latitude(), in.longitude(), who.regionCode));
    }
    int level = in.level() == wire::LEVEL_NONE ? 4 : static_cast<int>(in.level());
    auto lead = options.lead.tierName(static_cast<wire::ResponseLevel>(level));
    tx.exec_params(
        "INSERT INTO incidents (id, type, title, description, level, colour, state, lead_tier, geom, "
        "province_code, city_code, county_code, town_code, origin_centre, reported_by) "
        "VALUES ($1, $2, $3, $4, $5, $6, 'reported', $7, ST_SetSRID(ST_MakePoint($8, $9), 4326), "
        "$10, $11, $12, $13, $14, $15)",
        in.incident_id(), in.type(), in.title(), in.description(), level, colourKey(in.colour()), lead,
        in.longitude(), in.latitude(), regions[0], regions[1], regions[2], regions[3], options.centreId,
        in.reported_by());
    for (const auto &c : cameras)
      tx.exec_params(
          "INSERT INTO incident_cameras (incident_id, camera_id, distance_m) VALUES ($1, $2, $3) "
          "ON CONFLICT DO NOTHING",
          in.incident_id(), c.id, c.distanceM);
    if (!in.photo().empty())
      tx.exec_params(
          "INSERT INTO incident_attachments (incident_id, media_type, data, added_by) "
          "VALUES ($1, 'image/jpeg', $2, $3)",
          in.incident_id(), pqxx::binarystring(in.photo()), who.name);
    json detail = {{"type", in.type()},  {"level", levelText(level)}, {"lead_tier", lead},
                   {"how", how},         {"cameras", cameras.size()}, {"photo", !in.photo().empty()},
                   {"title", in.title()}};
    timeline(tx, in.incident_id(), who.name, "opened", detail);
    scheduleSitrep(tx, in.incident_id(), "first", 1,
                   options.sitreps.firstMin[static_cast<std::size_t>(level)]);
    applySop(tx, in.incident_id(), in.type(), regions, who);
    auto out = toReport(*fetch(tx, in.incident_id(), false));
    audit(tx, who, "incident.open", "incident/" + in.incident_id(), nullptr,
          snapshotOf(*fetch(tx, out.incident_id(), false)));
    out.set_change("opened");
    return out;
  }

  // Tasking, situation reports and SOPs (incident_tasks.cpp).
  void scheduleSitrep(pqxx::work &tx, const std::string &id, const std::string &kind, int seq, int minutes);
  void applySop(pqxx::work &tx, const std::string &id, const std::string &type,
                const std::array<std::optional<std::string>, 4> &regions, const Actor &who);
  // Creates a task for each agency; returns their ids.
  std::vector<std::string> createTasks(pqxx::work &tx, const std::string &incidentId,
                                       const std::vector<std::string> &agencies, const std::string &title,
                                       const std::string &detail, int ackMinutes, std::optional<int> sopStep,
                                       const Actor &who);
  // After close / reopen: the final report becomes due, or follow-ups resume.
  void sitrepsAfter(pqxx::work &tx, const std::string &id, const std::string &newState, int level);
  std::vector<wire::Task> readTasks(pqxx::work &tx, const std::string &where, const std::string &a,
                                    const std::string &b);

  std::vector<mapping::AssetHit> camerasFor(double lon, double lat) {
    if (options.camerasLinked <= 0) return {};
    try {
      return assets.camerasSeeing(lon, lat, options.camerasLinked);
    } catch (const std::exception &e) {
      throw StorageError(std::string("cameras seeing the place: ") + e.what());
    }
  }

  // Correlates a batch of alerts in one transaction (alert_correlation.cpp).
  class AlertBatch;
};

}  // namespace liandong::server
