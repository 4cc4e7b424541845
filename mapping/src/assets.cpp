// Assets: spatial queries, town polygons, GeoJSON import and export (see
// assets.h). Imports stream the file (nlohmann's parser callback drops each
// feature once handled), check every feature in C++, COPY the good ones into
// a staging table and move them over in one INSERT ... ON CONFLICT, so a
// million features take one transaction and bounded memory.
#include "liandong/mapping/assets.h"

#include <fstream>
#include <map>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "liandong/core/errors.h"
#include "liandong/core/text.h"

namespace liandong::mapping {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::set<std::string> kAgencyKinds = {"flood_control", "rental_housing", "public_security",
                                            "fire",          "medical",        "emergency_management",
                                            "water",         "transport",      "other"};
const std::set<std::string> kSensorKinds = {"water_level", "rainfall", "tide", "flow",        "wind",
                                            "smoke",       "gas",      "door", "temperature", "other"};

std::vector<AssetHit> hits(const pqxx::result &rows) {
  std::vector<AssetHit> out;
  out.reserve(rows.size());
  for (const auto &r : rows)
    out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   r[3].is_null() ? std::string() : r[3].as<std::string>(), r[4].as<double>(),
                   r[5].as<double>(), r[6].as<double>()});
  return out;
}

// "id, name, kind, region_code, lon, lat" of each table, as selected by the queries.
std::string hitColumns(AssetKind kind) {
  switch (kind) {
    case AssetKind::Camera: return "id, name, 'camera', region_code, ST_X(geom), ST_Y(geom)";
    case AssetKind::Sensor:
    case AssetKind::Agency: return "id, name, kind, region_code, ST_X(geom), ST_Y(geom)";
  }
  return "";
}

std::optional<std::string> optString(const json &props, const char *key) {
  if (!props.contains(key) || props[key].is_null()) return std::nullopt;
  if (!props[key].is_string()) throw Error(std::string("property \"") + key + "\" is not a string");
  return props[key].get<std::string>();
}
std::optional<double> optNumber(const json &props, const char *key) {
  if (!props.contains(key) || props[key].is_null()) return std::nullopt;
  if (!props[key].is_number()) throw Error(std::string("property \"") + key + "\" is not a number");
  return props[key].get<double>();
}

}  // namespace

AssetKind parseAssetKind(const std::string &s) {
  if (s == "agency" || s == "agencies") return AssetKind::Agency;
  if (s == "camera" || s == "cameras") return AssetKind::Camera;
  if (s == "sensor" || s == "sensors") return AssetKind::Sensor;
  throw Error("unknown asset kind \"" + s + "\" (agency, camera or sensor)");
}

std::string assetTable(AssetKind kind) {
  switch (kind) {
    case AssetKind::Agency: return "agencies";
    case AssetKind::Camera: return "cameras";
    case AssetKind::Sensor: return "sensors";
  }
  return "";
}

std::string makeCameraId(const std::string &county, std::uint32_t serial, const std::string &unit,
                         const std::string &industry, const std::string &type, char network) {
  auto digits = [](const std::string &s, std::size_t n) {
    return s.size() == n && s.find_first_not_of("0123456789") == std::string::npos;
  };
  if (!digits(county, 6) || !digits(unit, 2) || !digits(industry, 2) || !digits(type, 3) || network < '0' ||
      network > '9' || serial > 999999)
    throw Error("cannot build a camera id from county " + county + " and serial " + std::to_string(serial));
  return fmt::format("{}{}{}{}{}{:06d}", county, unit, industry, type, network, serial);
}

bool isCameraId(const std::string &id) {
  return id.size() == 20 && id.find_first_not_of("0123456789") == std::string::npos;
}

AssetQueries::AssetQueries(pqxx::connection &conn) : conn_(conn) {
  // Short indexed queries never gain from JIT compilation; it would cost
  // ~100 ms on the first execution of a costly-looking plan.
  {
    pqxx::nontransaction tx(conn_);
    tx.exec("SET jit = off");
  }
  conn_.prepare("ld_cameras_seeing",
                "SELECT id, name, 'camera', region_code, ST_X(geom), ST_Y(geom), "
                "  ST_Distance(geom::geography, p::geography) AS d "
                "FROM cameras, ST_SetSRID(ST_MakePoint($1, $2), 4326) AS p "
                "WHERE ST_Intersects(view_area, p) ORDER BY d, id LIMIT $3");
  // Index order (<->, planar degrees) picks candidates; the great-circle
  // distance orders them. Four times n candidates cover the distortion of
  // degrees at Guangdong's latitude (about 8 %) with room to spare.
  for (auto kind : {AssetKind::Camera, AssetKind::Sensor, AssetKind::Agency}) {
    auto table = assetTable(kind);
    std::string kindFilter = kind == AssetKind::Camera ? "" : " AND ($4 = '' OR kind = $4)";
    conn_.prepare("ld_nearest_" + table,
                  "SELECT * FROM (SELECT " + hitColumns(kind) +
                      ", ST_Distance(geom::geography, p::geography) AS d "
                      "FROM (SELECT * FROM " +
                      table + ", ST_SetSRID(ST_MakePoint($1, $2), 4326) AS p WHERE geom IS NOT NULL" +
                      (kind == AssetKind::Camera ? std::string(" AND $4 = ''") : kindFilter) +
                      " ORDER BY geom <-> p LIMIT $3 * 4) c) s ORDER BY d, id LIMIT $3");
    conn_.prepare("ld_polygon_" + table,
                  "SELECT " + hitColumns(kind) + ", 0.0 FROM " + table +
                      ", ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS poly "
                      "WHERE geom && poly AND ST_Intersects(geom, poly) ORDER BY id LIMIT $2");
    conn_.prepare("ld_region_" + table, "SELECT " + hitColumns(kind) + ", 0.0 FROM " + table +
                                            " WHERE region_code IN (SELECT liandong_region_subtree($1)) "
                                            "ORDER BY id LIMIT $2");
  }
  // Inline rather than through liandong_region_at(): no function call per point.
  conn_.prepare(
      "ld_resolve",
      "SELECT coalesce((SELECT rp.code FROM region_parts rp WHERE rp.geom && q.pt "
      "  AND ST_Intersects(rp.geom, q.pt) ORDER BY rp.depth DESC, rp.code LIMIT 1), '') "
      "FROM (SELECT ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326) AS pt, p.i "
      "  FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS p(lon, lat, i)) q ORDER BY q.i");
}

std::vector<AssetHit> AssetQueries::camerasSeeing(double lon, double lat, int limit) {
  pqxx::nontransaction tx(conn_);
  return hits(tx.exec_prepared("ld_cameras_seeing", lon, lat, limit));
}

std::vector<AssetHit> AssetQueries::nearest(AssetKind kind, double lon, double lat, int n,
                                            const std::string &ofKind) {
  if (n < 1 || n > 10000) throw Error("nearest: n must be 1..10000");
  if (kind == AssetKind::Camera && !ofKind.empty()) throw Error("nearest: cameras have no kind");
  pqxx::nontransaction tx(conn_);
  return hits(tx.exec_prepared("ld_nearest_" + assetTable(kind), lon, lat, n, ofKind));
}

std::vector<AssetHit> AssetQueries::withinPolygon(AssetKind kind, const std::string &geojson, int limit) {
  json g;
  try {
    g = json::parse(geojson);
  } catch (const json::parse_error &e) {
    throw Error(std::string("polygon is not JSON: ") + e.what());
  }
  auto type = jsonString(g, "type");
  if (type != "Polygon" && type != "MultiPolygon")
    throw Error("polygon: expected a GeoJSON Polygon or MultiPolygon");
  if (!g.contains("coordinates")) throw Error("polygon: no coordinates");
  if (auto e = checkCoordinates(g["coordinates"], type == "Polygon" ? 2 : 3)) throw Error("polygon: " + *e);
  pqxx::nontransaction tx(conn_);
  try {
    return hits(tx.exec_prepared("ld_polygon_" + assetTable(kind), geojson, limit));
  } catch (const pqxx::data_exception &e) {
    throw Error("polygon rejected by PostGIS: " + firstLine(e.what()));
  }
}

std::vector<AssetHit> AssetQueries::withinRegion(AssetKind kind, const std::string &regionCode, int limit) {
  pqxx::nontransaction tx(conn_);
  return hits(tx.exec_prepared("ld_region_" + assetTable(kind), regionCode, limit));
}

std::vector<std::string> AssetQueries::resolve(const std::vector<std::pair<double, double>> &points) {
  // PostgreSQL array literals: libpqxx 6 has no array parameters.
  std::string lons = "{", lats = "{";
  for (const auto &[lon, lat] : points) {
    fmt::format_to(std::back_inserter(lons), "{}{:.17g}", lons.size() > 1 ? "," : "", lon);
    fmt::format_to(std::back_inserter(lats), "{}{:.17g}", lats.size() > 1 ? "," : "", lat);
  }
  lons += "}";
  lats += "}";
  pqxx::nontransaction tx(conn_);
  auto rows = tx.exec_prepared("ld_resolve", lons, lats);
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const auto &r : rows) out.push_back(r[0].as<std::string>());
  return out;
}

int deriveTownPolygons(pqxx::connection &conn, const std::string &county) {
  pqxx::work tx(conn);
  auto n = tx.exec_params1(
                 "SELECT coalesce(sum(liandong_derive_town_polygons(code)), 0)::int FROM regions c "
                 "WHERE c.tier = 'county' AND ($1 = '' OR c.code = $1) AND EXISTS (SELECT 1 FROM regions t "
                 "WHERE t.parent_code = c.code "
                 "AND t.tier = 'town' AND (t.geom IS NULL OR t.approximate))",
                 county)[0]
               .as<int>();
  tx.commit();
  return n;
}

AssetRecord parseAssetFeature(AssetKind kind, const json &f) {
  if (!f.is_object() || jsonString(f, "type") != "Feature") throw Error("not a GeoJSON Feature");
  const json &props =
      f.contains("properties") && f["properties"].is_object() ? f["properties"] : json::object();
  AssetRecord a;
  if (props.contains("id") && props["id"].is_string())
    a.id = props["id"].get<std::string>();
  else if (f.contains("id") && f["id"].is_string())
    a.id = f["id"].get<std::string>();
  if (a.id.empty()) throw Error("missing \"id\"");
  a.name = optString(props, "name").value_or("");
  if (a.name.empty()) throw Error("missing property \"name\"");
  a.regionCode = optString(props, "region_code");
  a.agencyId = optString(props, "agency_id");
  bool hasGeometry = f.contains("geometry") && !f["geometry"].is_null();
  if (hasGeometry) {
    const auto &g = f["geometry"];
    if (!g.is_object() || jsonString(g, "type") != "Point")
      throw Error("geometry is " +
                  (jsonString(g, "type").empty() ? std::string("?") : jsonString(g, "type")) +
                  ", expected Point");
    if (!g.contains("coordinates")) throw Error("no coordinates");
    if (auto e = checkCoordinates(g["coordinates"], 0)) throw Error(*e);
    a.lon = g["coordinates"][0].get<double>();
    a.lat = g["coordinates"][1].get<double>();
  } else if (kind != AssetKind::Agency) {
    throw Error("no geometry (a Point is required)");
  }
  switch (kind) {
    case AssetKind::Camera: {
      if (!isCameraId(a.id)) throw Error("id is not a 20-digit GB/T 28181 code");
      a.heading = optNumber(props, "heading_deg");
      a.fov = optNumber(props, "fov_deg");
      a.range = optNumber(props, "range_m");
      if (a.heading && (*a.heading < 0 || *a.heading >= 360)) throw Error("heading_deg must be 0..360");
      if (a.fov && (*a.fov <= 0 || *a.fov > 360)) throw Error("fov_deg must be in (0, 360]");
      if (a.range && (*a.range <= 0 || *a.range > 5000)) throw Error("range_m must be in (0, 5000]");
      a.mainUrl = optString(props, "main_url");
      a.subUrl = optString(props, "sub_url");
      break;
    }
    case AssetKind::Sensor: {
      a.kind = optString(props, "kind");
      if (!a.kind || !kSensorKinds.count(*a.kind))
        throw Error("kind \"" + a.kind.value_or("") + "\" is not a sensor kind (water_level, rainfall, ...)");
      a.stationCode = optString(props, "station_code");
      if (props.contains("thresholds") && !props["thresholds"].is_null()) {
        if (!props["thresholds"].is_object()) throw Error("thresholds is not an object");
        a.thresholds = props["thresholds"].dump();
      }
      break;
    }
    case AssetKind::Agency: {
      a.kind = optString(props, "kind");
      if (!a.kind || !kAgencyKinds.count(*a.kind))
        throw Error("kind \"" + a.kind.value_or("") + "\" is not an agency kind (flood_control, ...)");
      if (!a.regionCode) throw Error("missing property \"region_code\" (the jurisdiction)");
      a.phone = optString(props, "phone");
      break;
    }
  }
  return a;
}

namespace {

const char *stagingTable(AssetKind kind) {
  switch (kind) {
    case AssetKind::Camera:
      return "CREATE TEMP TABLE stage_assets (idx int, id text, name text, region_code text, agency_id text, "
             "heading float8, fov float8, range float8, main_url text, sub_url text, lon float8, lat float8) "
             "ON COMMIT DROP";
    case AssetKind::Sensor:
      return "CREATE TEMP TABLE stage_assets (idx int, id text, name text, kind text, station_code text, "
             "region_code text, agency_id text, thresholds text, lon float8, lat float8) ON COMMIT DROP";
    case AssetKind::Agency:
      return "CREATE TEMP TABLE stage_assets (idx int, id text, name text, kind text, region_code text, "
             "phone text, lon float8, lat float8) ON COMMIT DROP";
  }
  return "";
}

std::vector<std::string> stagingColumns(AssetKind kind) {
  switch (kind) {
    case AssetKind::Camera:
      return {"idx", "id",    "name",     "region_code", "agency_id", "heading",
              "fov", "range", "main_url", "sub_url",     "lon",       "lat"};
    case AssetKind::Sensor:
      return {"idx",         "id",        "name",       "kind", "station_code",
              "region_code", "agency_id", "thresholds", "lon",  "lat"};
    case AssetKind::Agency: return {"idx", "id", "name", "kind", "region_code", "phone", "lon", "lat"};
  }
  return {};
}

void stage(pqxx::stream_to &copy, AssetKind kind, const AssetRecord &a) {
  switch (kind) {
    case AssetKind::Camera:
      copy << std::make_tuple(a.index, a.id, a.name, a.regionCode, a.agencyId, a.heading, a.fov, a.range,
                              a.mainUrl, a.subUrl, a.lon, a.lat);
      break;
    case AssetKind::Sensor:
      copy << std::make_tuple(a.index, a.id, a.name, a.kind, a.stationCode, a.regionCode, a.agencyId,
                              a.thresholds, a.lon, a.lat);
      break;
    case AssetKind::Agency:
      copy << std::make_tuple(a.index, a.id, a.name, a.kind, a.regionCode, a.phone, a.lon, a.lat);
      break;
  }
}

// Rows of the staging table that refer to something missing: (idx, id, reason).
std::vector<std::string> referenceChecks(AssetKind kind) {
  std::vector<std::string> out = {
      "SELECT idx, id, 'region ' || region_code || ' does not exist' FROM stage_assets s "
      "WHERE region_code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM regions r WHERE r.code = s.region_code)"};
  if (kind != AssetKind::Agency)
    out.push_back(
        "SELECT idx, id, 'agency ' || agency_id || ' does not exist' FROM stage_assets s "
        "WHERE agency_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM agencies a WHERE a.id = s.agency_id)");
  if (kind == AssetKind::Camera)
    out.push_back(
        "SELECT idx, id, 'id does not start with a known county code (' || left(id, 6) || ')' FROM "
        "stage_assets s "
        "WHERE NOT EXISTS (SELECT 1 FROM regions r WHERE r.code = left(s.id, 6))");
  if (kind == AssetKind::Sensor)
    out.push_back(
        "SELECT s.idx, s.id, 'station_code ' || s.station_code || ' already belongs to sensor ' || x.id "
        "FROM stage_assets s JOIN sensors x ON x.station_code = s.station_code AND x.id <> s.id");
  return out;
}

std::string upsert(AssetKind kind) {
  switch (kind) {
    case AssetKind::Camera:
      return "INSERT INTO cameras (id, name, region_code, agency_id, heading_deg, fov_deg, range_m, "
             "main_url, "
             "sub_url, geom) SELECT id, name, region_code, agency_id, heading, fov, coalesce(range, 100), "
             "main_url, "
             "sub_url, ST_SetSRID(ST_MakePoint(lon, lat), 4326) FROM stage_assets ORDER BY idx "
             "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, region_code = EXCLUDED.region_code, "
             "agency_id = EXCLUDED.agency_id, heading_deg = EXCLUDED.heading_deg, fov_deg = "
             "EXCLUDED.fov_deg, "
             "range_m = EXCLUDED.range_m, main_url = EXCLUDED.main_url, sub_url = EXCLUDED.sub_url, "
             "geom = EXCLUDED.geom RETURNING (xmax = 0) AS inserted, outside, id";
    case AssetKind::Sensor:
      return "INSERT INTO sensors (id, name, kind, station_code, region_code, agency_id, thresholds, geom) "
             "SELECT id, name, kind, station_code, region_code, agency_id, coalesce(thresholds, "
             "'{}')::jsonb, "
             "ST_SetSRID(ST_MakePoint(lon, lat), 4326) FROM stage_assets ORDER BY idx "
             "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, "
             "station_code = EXCLUDED.station_code, region_code = EXCLUDED.region_code, "
             "agency_id = EXCLUDED.agency_id, thresholds = EXCLUDED.thresholds, geom = EXCLUDED.geom "
             "RETURNING (xmax = 0) AS inserted, outside, id";
    case AssetKind::Agency:
      return "INSERT INTO agencies (id, name, kind, region_code, phone, geom) "
             "SELECT id, name, kind, region_code, phone, "
             "CASE WHEN lon IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(lon, lat), 4326) END "
             "FROM stage_assets ORDER BY idx "
             "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, "
             "region_code = EXCLUDED.region_code, phone = EXCLUDED.phone, geom = EXCLUDED.geom, updated_at = "
             "now() "
             "RETURNING (xmax = 0) AS inserted, false AS outside, id";
  }
  return "";
}

}  // namespace

ImportReport importAssetsGeoJson(pqxx::connection &conn, AssetKind kind, const fs::path &file, bool dryRun,
                                 const Progress &progress) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": cannot open");
  std::uint64_t total = fs::file_size(file);
  auto name = file.filename().string();
  ImportReport report;
  pqxx::work tx(conn);
  tx.exec(stagingTable(kind));
  pqxx::stream_to copy(tx, "stage_assets", stagingColumns(kind));
  std::unordered_map<std::string, int> seen;         // id -> feature index
  std::unordered_map<std::string, int> seenStation;  // station code -> feature index
  int index = -1;
  bool inFeatures = false, sawFeatures = false;
  std::string lastTopKey;
  auto handle = [&](const json &f) {
    ++index;
    std::string id = "?";
    if (f.is_object() && f.contains("properties") && f["properties"].is_object() &&
        f["properties"].contains("id") && f["properties"]["id"].is_string())
      id = f["properties"]["id"].get<std::string>();
    else if (f.is_object() && f.contains("id") && f["id"].is_string())
      id = f["id"].get<std::string>();
    auto where = name + ": feature " + std::to_string(index) + " (id " + id + "): ";
    try {
      auto a = parseAssetFeature(kind, f);
      a.index = index;
      if (auto it = seen.find(a.id); it != seen.end())
        throw Error("duplicate id " + a.id + " (also feature " + std::to_string(it->second) + ")");
      if (a.stationCode) {
        if (auto it = seenStation.find(*a.stationCode); it != seenStation.end())
          throw Error("duplicate station_code " + *a.stationCode + " (also feature " +
                      std::to_string(it->second) + ")");
        seenStation[*a.stationCode] = index;
      }
      seen[a.id] = index;
      stage(copy, kind, a);
    } catch (const Error &e) {
      report.errors.push_back(where + e.what());
    }
    if (progress && index % 4096 == 0)
      progress(static_cast<std::uint64_t>(in.rdbuf()->pubseekoff(0, std::ios::cur, std::ios::in)), total);
  };
  json::parser_callback_t callback = [&](int depth, json::parse_event_t event, json &parsed) {
    if (event == json::parse_event_t::key && depth == 1) {
      lastTopKey = parsed.get<std::string>();
      inFeatures = lastTopKey == "features";
      sawFeatures = sawFeatures || inFeatures;
    }
    if (event == json::parse_event_t::object_end && depth == 2 && inFeatures) {
      handle(parsed);
      return false;  // handled: do not keep it in memory
    }
    if (event == json::parse_event_t::object_end && depth == 1 && lastTopKey == "crs") {
      auto crs = parsed.dump();
      if (crs.find("4326") == std::string::npos && crs.find("CRS84") == std::string::npos)
        throw Error(file.string() + ": coordinate system " + crs + " is not WGS 84 (EPSG:4326)");
    }
    return true;
  };
  json doc;
  try {
    doc = json::parse(in, callback);
  } catch (const json::exception &e) {
    throw Error(file.string() + ": not valid GeoJSON: " + e.what());
  }
  if (!doc.is_object() || jsonString(doc, "type") != "FeatureCollection" || !sawFeatures)
    throw Error(file.string() + ": not a GeoJSON FeatureCollection");
  copy.complete();
  if (progress) progress(total, total);
  // What refers to something missing is reported and left out.
  std::set<int> bad;
  for (const auto &sql : referenceChecks(kind))
    for (const auto &r : tx.exec(sql + " ORDER BY 1")) {
      bad.insert(r[0].as<int>());
      report.errors.push_back(name + ": feature " + r[0].as<std::string>() + " (id " +
                              r[1].as<std::string>() + "): " + r[2].as<std::string>());
    }
  if (!bad.empty())
    tx.exec("DELETE FROM stage_assets WHERE idx IN (" + [&] {
      std::string list;
      for (int i : bad) list += (list.empty() ? "" : ",") + std::to_string(i);
      return list;
    }() + ")");
  try {
    auto row = tx.exec1("WITH up AS (" + upsert(kind) +
                        ") SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted), "
                        "count(*) FILTER (WHERE outside), coalesce(string_agg(id, ' ' ORDER BY id) FILTER "
                        "(WHERE outside), '') "
                        "FROM up");
    report.inserted = row[0].as<int>();
    report.updated = row[1].as<int>();
    report.outside = row[2].as<int>();
    if (report.outside > 0) {
      std::string ids = row[3].as<std::string>();
      if (ids.size() > 400) ids = ids.substr(0, 400) + " ...";
      report.warnings.push_back(name + ": " + std::to_string(report.outside) +
                                " outside every region (kept, flagged outside): " + ids);
    }
  } catch (const pqxx::sql_error &e) {
    throw StorageError(file.string() + ": rejected by the database: " + firstLine(e.what()));
  }
  if (dryRun)
    tx.abort();
  else
    tx.commit();
  return report;
}

std::uint64_t exportGeoJson(pqxx::connection &conn, const std::string &what, std::ostream &out,
                            const std::string &regionCode, const Progress &progress) {
  std::string table, key = "id", feature;
  if (what == "regions") {
    table = "regions";
    key = "code";
    feature =
        "json_build_object('type', 'Feature', 'id', code, 'geometry', ST_AsGeoJSON(geom, 6)::json, "
        "'properties', json_strip_nulls(json_build_object('code', code, 'name', name, 'name_en', name_en, "
        "'level', tier, 'parent_code', parent_code, 'approximate', approximate, 'area_km2', "
        "round(area_km2::numeric, "
        "3), 'label_point', CASE WHEN label_point IS NULL THEN NULL ELSE "
        "json_build_array(round(ST_X(label_point)::"
        "numeric, 6), round(ST_Y(label_point)::numeric, 6)) END)))";
  } else {
    auto kind = parseAssetKind(what);
    table = assetTable(kind);
    std::string props;
    switch (kind) {
      case AssetKind::Camera:
        props =
            "'id', id, 'name', name, 'region_code', region_code, 'outside', outside, 'agency_id', agency_id, "
            "'heading_deg', heading_deg, 'fov_deg', fov_deg, 'range_m', range_m, 'main_url', main_url, "
            "'sub_url', sub_url";
        break;
      case AssetKind::Sensor:
        props =
            "'id', id, 'name', name, 'kind', kind, 'station_code', station_code, 'region_code', region_code, "
            "'outside', outside, 'agency_id', agency_id, 'thresholds', thresholds";
        break;
      case AssetKind::Agency:
        props = "'id', id, 'name', name, 'kind', kind, 'region_code', region_code, 'phone', phone";
        break;
    }
    feature =
        "json_build_object('type', 'Feature', 'id', id, 'geometry', ST_AsGeoJSON(geom, 7)::json, "
        "'properties', json_strip_nulls(json_build_object(" +
        props + ")))";
  }
  // The region filter, with its parameter number.
  auto filter = [&](int param) {
    if (regionCode.empty()) return std::string("true");
    return std::string(what == "regions" ? "code" : "region_code") + " IN (SELECT liandong_region_subtree($" +
           std::to_string(param) + "))";
  };
  pqxx::work tx(conn);
  std::uint64_t total =
      (regionCode.empty()
           ? tx.exec1("SELECT count(*) FROM " + table)
           : tx.exec_params1("SELECT count(*) FROM " + table + " WHERE " + filter(1), regionCode))[0]
          .as<std::uint64_t>();
  out << "{\"type\":\"FeatureCollection\",\"features\":[\n";
  std::string last;
  std::uint64_t n = 0;
  // Keyset pages: memory stays bounded however large the table.
  const std::string sql = "SELECT " + key + ", " + feature + "::text FROM " + table + " WHERE " + key +
                          " > $1 AND " + filter(2) + " ORDER BY " + key + " LIMIT 5000";
  for (;;) {
    auto rows = regionCode.empty() ? tx.exec_params(sql, last) : tx.exec_params(sql, last, regionCode);
    if (rows.empty()) break;
    for (const auto &r : rows) {
      out << (n ? ",\n" : "") << r[1].c_str();
      ++n;
    }
    last = rows.back()[0].as<std::string>();
    if (progress) progress(n, total);
  }
  out << "\n]}\n";
  if (!out) throw Error("export: write failed");
  tx.commit();
  return n;
}

}  // namespace liandong::mapping
