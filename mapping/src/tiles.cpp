// Vector tiles with a version-keyed LRU cache (see tiles.h).
#include "liandong/mapping/tiles.h"

#include <algorithm>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "liandong/core/errors.h"

namespace liandong::mapping {

namespace {
constexpr double kWorldMetres = 40075016.685578488;  // Web Mercator extent

// The deepest tier drawn at a zoom: 2 city, 3 county, 4 town.
int deepestTier(int z) {
  return z <= 5 ? 2 : z <= 8 ? 3 : 4;
}
// The simplification band of migrations/004_assets.sql.
int band(int z) {
  return z <= 6 ? 0 : z <= 9 ? 1 : z <= 12 ? 2 : 3;
}
}  // namespace

class TileService::Listener : public pqxx::notification_receiver {
public:
  Listener(pqxx::connection &c, bool &dirty)
      : pqxx::notification_receiver(c, "liandong_map"), dirty_(dirty) {}
  void operator()(const std::string &, int) override { dirty_ = true; }

private:
  bool &dirty_;
};

TileService::TileService(const std::string &conninfo, std::size_t cacheBytes)
    : conn_(conninfo), capacity_(cacheBytes) {
  listener_ = std::make_unique<Listener>(conn_, dirty_);
  conn_.prepare(
      "tile_regions",
      "SELECT ST_AsMVT(t, 'regions', 4096, 'geom') FROM ("
      "  SELECT r.code, r.name, r.tier, r.approximate, ST_AsMVTGeom(m.geom, e.env, 4096, 64, true) AS geom"
      "  FROM ST_TileEnvelope($1, $2, $3) AS e(env)"
      "  JOIN map_region_geoms m ON m.band = $4 AND m.geom && e.env"
      "  JOIN regions r ON r.code = m.code"
      "  WHERE CASE r.tier WHEN 'province' THEN 1 WHEN 'city' THEN 2 WHEN 'county' THEN 3 ELSE 4 END <= $5"
      ") t WHERE geom IS NOT NULL");
  // Zoomed out, points are gathered on a 64 x 64 grid per tile and drawn as
  // one point with a count; zoomed in, each asset with its attributes.
  conn_.prepare("tile_cameras_grid",
                "SELECT ST_AsMVT(t, 'cameras', 4096, 'geom') FROM ("
                "  SELECT count(*)::int AS count, min(c.id) AS id,"
                "    ST_AsMVTGeom(ST_Centroid(ST_Collect(c.merc)), e.env, 4096, 0, true) AS geom"
                "  FROM ST_TileEnvelope($1, $2, $3) AS e(env) JOIN cameras c ON c.merc && e.env"
                "  GROUP BY e.env, ST_SnapToGrid(c.merc, ST_XMin(e.env), ST_YMin(e.env), $4, $4)"
                ") t WHERE geom IS NOT NULL");
  conn_.prepare("tile_cameras",
                "SELECT ST_AsMVT(t, 'cameras', 4096, 'geom') FROM ("
                "  SELECT c.id, c.name, c.region_code, c.heading_deg, c.fov_deg, c.range_m,"
                "    ST_AsMVTGeom(c.merc, e.env, 4096, 0, true) AS geom"
                "  FROM ST_TileEnvelope($1, $2, $3) AS e(env) JOIN cameras c ON c.merc && e.env"
                ") t WHERE geom IS NOT NULL");
  conn_.prepare("tile_sensors_grid",
                "SELECT ST_AsMVT(t, 'sensors', 4096, 'geom') FROM ("
                "  SELECT count(*)::int AS count, min(s.id) AS id,"
                "    ST_AsMVTGeom(ST_Centroid(ST_Collect(s.merc)), e.env, 4096, 0, true) AS geom"
                "  FROM ST_TileEnvelope($1, $2, $3) AS e(env) JOIN sensors s ON s.merc && e.env"
                "  GROUP BY e.env, ST_SnapToGrid(s.merc, ST_XMin(e.env), ST_YMin(e.env), $4, $4)"
                ") t WHERE geom IS NOT NULL");
  conn_.prepare("tile_sensors",
                "SELECT ST_AsMVT(t, 'sensors', 4096, 'geom') FROM ("
                "  SELECT s.id, s.name, s.kind, s.station_code, s.region_code,"
                "    ST_AsMVTGeom(s.merc, e.env, 4096, 0, true) AS geom"
                "  FROM ST_TileEnvelope($1, $2, $3) AS e(env) JOIN sensors s ON s.merc && e.env"
                ") t WHERE geom IS NOT NULL");
  conn_.prepare("tile_incidents",
                "SELECT ST_AsMVT(t, 'incidents', 4096, 'geom') FROM ("
                "  SELECT i.id, i.title, i.type, i.level, i.colour, i.state, i.lead_tier,"
                "    i.county_code AS region_code, ST_AsMVTGeom(ST_Transform(i.geom, 3857), e.env, 4096, 0, "
                "true) AS geom"
                "  FROM ST_TileEnvelope($1, $2, $3) AS e(env)"
                "  JOIN incidents i ON i.geom && ST_Transform(e.env, 4326)"
                "  WHERE (i.state <> 'closed' OR i.closed_at > now() - interval '1 day')"
                "    AND ($4 = '' OR $4 IN (i.province_code, i.city_code, i.county_code, i.town_code))"
                ") t WHERE geom IS NOT NULL");
  refreshVersions();
}

TileService::~TileService() = default;

const std::vector<std::string> &TileService::layers() {
  static const std::vector<std::string> names = {"regions", "cameras", "sensors", "incidents"};
  return names;
}

void TileService::refreshVersions() {
  pqxx::nontransaction tx(conn_);
  for (const auto &r : tx.exec("SELECT layer, version FROM map_layers"))
    versions_[r[0].as<std::string>()] = r[1].as<std::int64_t>();
  dirty_ = false;
}

void TileService::dropStale() {
  for (auto it = lru_.begin(); it != lru_.end();) {
    if (versions_[it->layer] != it->version) {
      stats_.bytes -= it->mvt.size() + it->key.size();
      index_.erase(it->key);
      it = lru_.erase(it);
      ++stats_.invalidations;
    } else {
      ++it;
    }
  }
  stats_.entries = lru_.size();
}

std::string TileService::render(const std::string &layer, int z, int x, int y, const std::string &within) {
  pqxx::nontransaction tx(conn_);
  double cell = kWorldMetres / (1 << z) / 64;
  pqxx::result r;
  if (layer == "regions")
    r = tx.exec_prepared("tile_regions", z, x, y, band(z), deepestTier(z));
  else if (layer == "cameras")
    r = z >= 13 ? tx.exec_prepared("tile_cameras", z, x, y)
                : tx.exec_prepared("tile_cameras_grid", z, x, y, cell);
  else if (layer == "sensors")
    r = z >= 11 ? tx.exec_prepared("tile_sensors", z, x, y)
                : tx.exec_prepared("tile_sensors_grid", z, x, y, cell);
  else
    r = tx.exec_prepared("tile_incidents", z, x, y, within);
  if (r.empty() || r[0][0].is_null()) return {};
  pqxx::binarystring bytes(r[0][0]);
  return bytes.str();
}

Tile TileService::get(const std::string &layer, int z, int x, int y, const std::string &incidentsWithin) {
  if (std::find(layers().begin(), layers().end(), layer) == layers().end())
    throw Error("unknown map layer \"" + layer + "\" (regions, cameras, sensors or incidents)");
  if (z < 0 || z > 22) throw Error(fmt::format("tile {}/{}/{}: zoom must be 0..22", z, x, y));
  const long n = 1L << z;
  if (x < 0 || y < 0 || x >= n || y >= n)
    throw Error(fmt::format("tile {}/{}/{}: x and y must be 0..{} at zoom {}", z, x, y, n - 1, z));
  conn_.get_notifs();  // non-blocking: reads what the socket already has
  if (dirty_) {
    refreshVersions();
    dropStale();
  }
  auto version = versions_[layer];
  const std::string within = layer == "incidents" ? incidentsWithin : std::string();
  auto key = fmt::format("{}/{}/{}/{}@{}:{}", layer, z, x, y, version, within);
  if (auto it = index_.find(key); it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    ++stats_.hits;
    return {it->second->mvt, version, true};
  }
  ++stats_.misses;
  auto mvt = render(layer, z, x, y, within);
  lru_.push_front({key, layer, version, mvt});
  index_[key] = lru_.begin();
  stats_.bytes += mvt.size() + key.size();
  while (stats_.bytes > capacity_ && lru_.size() > 1) {
    auto &last = lru_.back();
    stats_.bytes -= last.mvt.size() + last.key.size();
    index_.erase(last.key);
    lru_.pop_back();
  }
  stats_.entries = lru_.size();
  return {std::move(mvt), version, false};
}

}  // namespace liandong::mapping
