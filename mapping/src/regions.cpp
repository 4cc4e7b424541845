// Region import and point location (see regions.h).
#include "liandong/mapping/regions.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "liandong/core/errors.h"
#include "liandong/core/logging.h"
#include "liandong/core/text.h"

namespace liandong::mapping {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string readAll(const fs::path &file) {
  std::ifstream in(file);
  if (!in) throw Error(file.string() + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::set<std::string> existingCodes(pqxx::work &tx) {
  std::set<std::string> out;
  for (const auto &row : tx.exec("SELECT code FROM regions")) out.insert(row[0].c_str());
  return out;
}

}  // namespace

std::string jsonString(const json &object, const char *key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool jsonFlag(const json &object, const char *key) {
  if (!object.is_object()) return false;
  auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

// China lies at longitude 73..135, latitude 3..54: a position whose first
// number is a plausible latitude and second is not is swapped.
std::optional<std::string> checkCoordinates(const json &coords, int depth) {
  if (depth == 0) {
    if (!coords.is_array() || coords.size() < 2 || !coords[0].is_number() || !coords[1].is_number())
      return "a position is not [longitude, latitude]";
    double lon = coords[0].get<double>(), lat = coords[1].get<double>();
    if ((lat < -90 || lat > 90) && lon >= -90 && lon <= 90 && lat >= -180 && lat <= 180)
      return "position looks like [latitude, longitude]: swapped axes";
    if (lon < -180 || lon > 180 || lat < -90 || lat > 90)
      return "position [" + std::to_string(lon) + ", " + std::to_string(lat) +
             "] is outside WGS 84 degrees (wrong SRID?)";
    if (lat > 60 && lon < 60 && lon > 0) return "position looks like [latitude, longitude]: swapped axes";
    return std::nullopt;
  }
  if (!coords.is_array() || coords.empty()) return "empty coordinates";
  for (const auto &c : coords)
    if (auto e = checkCoordinates(c, depth - 1)) return e;
  return std::nullopt;
}

ImportReport importRegionsGeoJson(pqxx::connection &conn, const fs::path &file, bool dryRun) {
  json doc;
  try {
    doc = json::parse(readAll(file));
  } catch (const json::parse_error &e) {
    throw Error(file.string() + ": not JSON: " + e.what());
  }
  if (!doc.is_object() || jsonString(doc, "type") != "FeatureCollection" || !doc.contains("features") ||
      !doc["features"].is_array())
    throw Error(file.string() + ": not a GeoJSON FeatureCollection");
  if (doc.contains("crs")) {
    auto crs = doc["crs"].dump();
    if (crs.find("4326") == std::string::npos && crs.find("CRS84") == std::string::npos)
      throw Error(file.string() + ": coordinate system " + crs + " is not WGS 84 (EPSG:4326)");
  }
  ImportReport report;
  pqxx::work tx(conn);
  auto codes = existingCodes(tx);
  std::map<std::string, int> inFile;
  const auto &features = doc["features"];
  for (std::size_t i = 0; i < features.size(); ++i) {
    const auto &f = features[i];
    const auto &props =
        f.contains("properties") && f["properties"].is_object() ? f["properties"] : json::object();
    std::string code =
        props.contains("code") && props["code"].is_string() ? props["code"].get<std::string>() : "";
    std::string where = file.filename().string() + ": feature " + std::to_string(i) + " (id " +
                        (code.empty() ? std::string("?") : code) + "): ";
    auto fail = [&](const std::string &why) { report.errors.push_back(where + why); };
    if (code.empty()) {
      fail("missing property \"code\"");
      continue;
    }
    if (inFile.count(code)) {
      fail("duplicate code " + code + " (also feature " + std::to_string(inFile[code]) + ")");
      continue;
    }
    std::string name = jsonString(props, "name");
    std::string level = jsonString(props, "level");
    std::string parent = props.contains("parent_code") && props["parent_code"].is_string()
                             ? props["parent_code"].get<std::string>()
                             : "";
    if (name.empty()) {
      fail("missing property \"name\"");
      continue;
    }
    if (level != "province" && level != "city" && level != "county" && level != "town") {
      fail("unknown level \"" + level + "\" (province, city, county or town)");
      continue;
    }
    // Prefecture cities without counties (东莞, 中山) appear again in the county
    // file under their own code: the city row already stands for them.
    if (jsonFlag(props, "same_as_parent") || parent == code) continue;
    if (level != "province" && !parent.empty() && !codes.count(parent) && !inFile.count(parent)) {
      fail("parent " + parent + " of " + code + " is not imported yet (import parents first)");
      continue;
    }
    if (!f.contains("geometry") || !f["geometry"].is_object()) {
      fail("no geometry");
      continue;
    }
    const auto &g = f["geometry"];
    std::string type = jsonString(g, "type");
    if (type != "Polygon" && type != "MultiPolygon") {
      fail("geometry is " + type + ", expected Polygon or MultiPolygon");
      continue;
    }
    if (auto e = checkCoordinates(g["coordinates"], type == "Polygon" ? 2 : 3)) {
      fail(*e);
      continue;
    }
    std::optional<double> labelLon, labelLat;
    if (props.contains("label_point") && props["label_point"].is_array() &&
        props["label_point"].size() == 2 && props["label_point"][0].is_number() &&
        props["label_point"][1].is_number()) {
      labelLon = props["label_point"][0].get<double>();
      labelLat = props["label_point"][1].get<double>();
    }
    std::optional<double> area;
    if (props.contains("area_km2") && props["area_km2"].is_number()) area = props["area_km2"].get<double>();
    std::string geojson = g.dump();
    try {
      pqxx::subtransaction sub(tx, "feature");
      auto valid = sub.exec_params1("SELECT ST_IsValid(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326))", geojson)[0]
                       .as<bool>();
      auto r = sub.exec_params(
          "INSERT INTO regions (code, name, tier, parent_code, label_point, geom, area_km2, approximate, "
          "name_en, updated_at) "
          "VALUES ($1, $2, $3, nullif($4, ''), "
          "  CASE WHEN $5::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($5, $6), 4326) END, "
          "  ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON($7), 4326)), 3)), $8, "
          "$9, nullif($10, ''), now()) "
          "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, tier = EXCLUDED.tier, "
          "  parent_code = EXCLUDED.parent_code, label_point = EXCLUDED.label_point, geom = EXCLUDED.geom, "
          "  area_km2 = EXCLUDED.area_km2, approximate = EXCLUDED.approximate, "
          "  name_en = coalesce(EXCLUDED.name_en, regions.name_en), updated_at = now() "
          "RETURNING (xmax = 0)",
          code, name, level, parent, labelLon, labelLat, geojson, area, jsonFlag(props, "approximate"),
          props.contains("name_en") && props["name_en"].is_string() ? props["name_en"].get<std::string>()
                                                                    : "");
      sub.commit();
      if (!valid) {
        ++report.repaired;
        logging::get("mapping")->warn("{}repaired an invalid polygon with ST_MakeValid", where);
      }
      if (r[0][0].as<bool>())
        ++report.inserted;
      else
        ++report.updated;
      inFile[code] = static_cast<int>(i);
    } catch (const pqxx::sql_error &e) {
      fail("rejected by PostGIS: " + firstLine(e.what()));
    }
  }
  if (dryRun)
    tx.abort();
  else
    tx.commit();
  return report;
}

std::vector<std::string> splitCsvLine(const std::string &line) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(field);
      field.clear();
    } else if (c != '\r') {
      field += c;
    }
  }
  if (quoted) throw Error("unterminated quoted field");
  out.push_back(field);
  return out;
}

ImportReport importTownsCsv(pqxx::connection &conn, const fs::path &file, bool dryRun) {
  std::ifstream in(file);
  if (!in) throw Error(file.string() + ": cannot open");
  std::string line;
  if (!std::getline(in, line)) throw Error(file.string() + ": empty file");
  auto header = splitCsvLine(line);
  std::map<std::string, std::size_t> col;
  for (std::size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  for (const char *need : {"code", "name", "county_code"})
    if (!col.count(need))
      throw Error(file.string() + ": line 1: missing column \"" + std::string(need) + "\"");
  ImportReport report;
  pqxx::work tx(conn);
  auto codes = existingCodes(tx);
  int lineNo = 1;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.empty()) continue;
    std::string where = file.filename().string() + ": line " + std::to_string(lineNo) + ": ";
    std::vector<std::string> f;
    try {
      f = splitCsvLine(line);
    } catch (const Error &e) {
      report.errors.push_back(where + e.what());
      continue;
    }
    if (f.size() < header.size()) {
      report.errors.push_back(where + "expected " + std::to_string(header.size()) + " fields, got " +
                              std::to_string(f.size()));
      continue;
    }
    const auto &code = f[col["code"]], &name = f[col["name"]], &county = f[col["county_code"]];
    if (code.size() != 9 || code.find_first_not_of("0123456789") != std::string::npos) {
      report.errors.push_back(where + "code \"" + code + "\" is not a 9-digit town code");
      continue;
    }
    if (!codes.count(county)) {
      report.errors.push_back(where + "county " + county + " of town " + code + " is not imported");
      continue;
    }
    auto r = tx.exec_params(
        "INSERT INTO regions (code, name, tier, parent_code, updated_at) VALUES ($1, $2, 'town', $3, now()) "
        "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, parent_code = EXCLUDED.parent_code, "
        "updated_at = now() "
        "RETURNING (xmax = 0)",
        code, name, county);
    if (r[0][0].as<bool>())
      ++report.inserted;
    else
      ++report.updated;
  }
  if (dryRun)
    tx.abort();
  else
    tx.commit();
  return report;
}

std::vector<Region> regionsContaining(pqxx::connection &conn, double lon, double lat) {
  pqxx::work tx(conn);
  auto rows = tx.exec_params(
      "SELECT code, name, tier, coalesce(parent_code, ''), approximate FROM regions "
      "WHERE geom IS NOT NULL AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) "
      "ORDER BY CASE tier WHEN 'province' THEN 1 WHEN 'city' THEN 2 WHEN 'county' THEN 3 ELSE 4 END, code",
      lon, lat);
  std::vector<Region> out;
  for (const auto &r : rows)
    out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   r[3].as<std::string>(), r[4].as<bool>()});
  return out;
}

std::optional<Region> countyAt(pqxx::connection &conn, double lon, double lat) {
  for (auto &r : regionsContaining(conn, lon, lat))
    if (r.tier == "county") return r;
  return std::nullopt;
}

}  // namespace liandong::mapping
