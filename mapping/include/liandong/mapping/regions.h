// The region hierarchy (province -> city -> county -> town): import from
// GeoJSON (RFC 7946, properties code/name/level/parent_code/label_point/
// area_km2) and from the NBS town list (CSV), and locating a point.
// Every statement is parameterised; one bad feature is reported with its
// index and id and does not stop the others.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <pqxx/connection>

namespace liandong::mapping {

struct ImportReport {
  int inserted = 0;
  int updated = 0;
  int repaired = 0;                   // invalid polygons made valid by ST_MakeValid
  int outside = 0;                    // points outside every region: kept and flagged
  std::vector<std::string> errors;    // "file: feature N (id X): reason" (not imported)
  std::vector<std::string> warnings;  // imported, but worth a look (outside, repaired)
};

// A member of a JSON object as a string ("" when absent or not a string) or a
// flag (false when absent or not a boolean): outside data must never make
// the reader throw a type error.
std::string jsonString(const nlohmann::json &object, const char *key);
bool jsonFlag(const nlohmann::json &object, const char *key);

// Checks a GeoJSON coordinates array nested `depth` deep (0: a position):
// in WGS 84 degrees, not obviously latitude/longitude swapped. Returns the
// reason when it is not.
std::optional<std::string> checkCoordinates(const nlohmann::json &coords, int depth);

struct Region {
  std::string code;
  std::string name;
  std::string tier;
  std::string parentCode;
  bool approximate = false;
};

// Imports a FeatureCollection of regions in one transaction (nothing is
// written with dryRun). Parents must already exist or come earlier in the
// file. Throws Error if the file cannot be read or is not a FeatureCollection.
ImportReport importRegionsGeoJson(pqxx::connection &conn, const std::filesystem::path &file,
                                  bool dryRun = false);

// Imports town-level units (code, code12, name, kind, county_code, ...) as
// tier 'town' rows without geometry.
ImportReport importTownsCsv(pqxx::connection &conn, const std::filesystem::path &file, bool dryRun = false);

// The regions containing the point, from the province down (empty outside all).
std::vector<Region> regionsContaining(pqxx::connection &conn, double lon, double lat);
std::optional<Region> countyAt(pqxx::connection &conn, double lon, double lat);

// Splits one CSV line (RFC 4180 quoting). Throws Error on an unterminated quote.
std::vector<std::string> splitCsvLine(const std::string &line);

}  // namespace liandong::mapping
