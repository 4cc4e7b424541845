// Assets on the map — agencies, cameras, sensors — and the spatial questions
// the centre asks about them: which cameras see this point, the nearest N of
// a kind, everything inside a polygon or a region subtree. Also their
// import from and export to GeoJSON (streamed: a million features fit in
// bounded memory) and the approximate town polygons.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/connection>

#include "liandong/mapping/regions.h"

namespace liandong::mapping {

enum class AssetKind { Agency, Camera, Sensor };
AssetKind parseAssetKind(
    const std::string &s);               // "agency"/"agencies", "camera(s)", "sensor(s)"; throws Error
std::string assetTable(AssetKind kind);  // "agencies", "cameras", "sensors"

// A 20-digit GB/T 28181 device code: county (6) + base unit (2) + industry (2)
// + device type (3, 131 camera, 132 IP camera) + network (1) + serial (6).
std::string makeCameraId(const std::string &county, std::uint32_t serial, const std::string &unit = "00",
                         const std::string &industry = "04", const std::string &type = "132",
                         char network = '0');
bool isCameraId(const std::string &id);

struct AssetHit {
  std::string id;
  std::string name;
  std::string kind;  // sensor or agency kind; "camera" for cameras
  std::string regionCode;
  double lon = 0, lat = 0;
  double distanceM = 0;  // from the query point (0 when not asked from a point)
};

// Prepared spatial queries on one connection (not thread-safe; one per thread).
class AssetQueries {
public:
  explicit AssetQueries(pqxx::connection &conn);
  // Cameras whose view area contains the point, nearest first.
  std::vector<AssetHit> camerasSeeing(double lon, double lat, int limit = 20);
  // The nearest `n` assets (great-circle distance), optionally of one sensor or agency kind.
  std::vector<AssetHit> nearest(AssetKind kind, double lon, double lat, int n,
                                const std::string &ofKind = "");
  // Assets inside a GeoJSON Polygon/MultiPolygon (WGS 84). Throws Error on bad geometry.
  std::vector<AssetHit> withinPolygon(AssetKind kind, const std::string &geojson, int limit = 10000);
  // Assets in a region and every region below it.
  std::vector<AssetHit> withinRegion(AssetKind kind, const std::string &regionCode, int limit = 10000);
  // The deepest region (town where it has a polygon) at each point; "" outside all.
  std::vector<std::string> resolve(const std::vector<std::pair<double, double>> &points);

private:
  pqxx::connection &conn_;
};

// Gives every town without a real polygon an approximate one (see
// migrations/004_assets.sql), in every county or in one. Approximate ones
// are derived again (so they make room for real ones imported since).
// Returns how many towns got a polygon.
int deriveTownPolygons(pqxx::connection &conn, const std::string &county = "");

// One asset feature, checked. Throws Error with the reason (missing id or
// name, bad id, kind or value, a geometry that is not a valid WGS 84 Point).
// The fuzz target tests/mapping/fuzz_geojson.cpp feeds it arbitrary JSON.
struct AssetRecord {
  int index = 0;
  std::string id, name;
  std::optional<std::string> kind, regionCode, agencyId, stationCode, phone, mainUrl, subUrl, thresholds;
  std::optional<double> heading, fov, range, lon, lat;
};
AssetRecord parseAssetFeature(AssetKind kind, const nlohmann::json &feature);

// Progress of a long import or export: bytes (or rows) done of total.
using Progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

// Imports a FeatureCollection of Point features of one kind in one
// transaction. Bad features are reported (file: feature N (id X): reason) and
// skipped; points outside every region are kept and flagged (`outside`).
ImportReport importAssetsGeoJson(pqxx::connection &conn, AssetKind kind, const std::filesystem::path &file,
                                 bool dryRun = false, const Progress &progress = {});

// Writes regions ("regions") or assets as a FeatureCollection, one feature per
// line, optionally only inside a region subtree. Returns the feature count.
std::uint64_t exportGeoJson(pqxx::connection &conn, const std::string &what, std::ostream &out,
                            const std::string &regionCode = "", const Progress &progress = {});

}  // namespace liandong::mapping
