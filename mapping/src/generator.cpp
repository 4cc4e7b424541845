// The province-scale asset generator (see generator.h). Each leaf region gets
// its share by weight: area^0.4 (density falls with the size of the unit, the
// small ones being urban cores), times 3 for districts; 60 % of its points fall around the seat (a
// normal spread of a fifth of the region's size, points outside the polygon
// rejected) and the rest uniformly over the polygon (ST_GeneratePoints).
#include "liandong/mapping/generator.h"

#include <cmath>

#include <pqxx/pqxx>

#include "liandong/core/errors.h"

namespace liandong::mapping {

namespace {

struct Leaf {
  std::string code;
  double weight;
  double sigmaDeg;
};

// `n` points inside the region, into a temporary table `gen_points(i, p)`.
const char *kPoints =
    "INSERT INTO gen_points (p) "
    "SELECT p FROM ("
    "  SELECT g.p FROM regions r, LATERAL ("
    "    SELECT ST_SetSRID(ST_MakePoint(ST_X(coalesce(r.label_point, ST_PointOnSurface(r.geom))) + "
    "        $3 * z.rho * cos(z.theta) / cos(radians(ST_Y(coalesce(r.label_point, "
    "ST_PointOnSurface(r.geom))))), "
    "      ST_Y(coalesce(r.label_point, ST_PointOnSurface(r.geom))) + $3 * z.rho * sin(z.theta)), 4326) AS p "
    "    FROM (SELECT sqrt(-2 * ln(1 - random())) AS rho, 2 * pi() * random() AS theta "
    "          FROM generate_series(1, $2 * 4)) z) g "
    "  WHERE r.code = $1 AND ST_Intersects(r.geom, g.p) LIMIT $2) c";
const char *kUniform =
    "INSERT INTO gen_points (p) SELECT (ST_Dump(ST_GeneratePoints(geom, $2, $3))).geom FROM regions WHERE "
    "code = $1";

}  // namespace

GeneratorReport generateAssets(pqxx::connection &conn, const GeneratorOptions &options,
                               const Progress &progress) {
  GeneratorReport report;
  pqxx::work tx(conn);
  // Leaf regions with a polygon: counties, and cities without counties.
  auto rows = tx.exec_params(
      "SELECT code, power(area_km2, 0.4) * CASE WHEN name LIKE '%区' OR tier = 'city' THEN 3 ELSE 1 END, "
      "  sqrt(area_km2) / 5 / 111.32 "
      "FROM regions r WHERE geom IS NOT NULL AND area_km2 > 0 AND tier IN ('county', 'city') "
      "AND NOT EXISTS (SELECT 1 FROM regions c WHERE c.parent_code = r.code AND c.tier = 'county') "
      "AND ($1 = '' OR code IN (SELECT liandong_region_subtree($1))) ORDER BY code",
      options.within);
  std::vector<Leaf> leaves;
  double total = 0;
  for (const auto &r : rows) {
    leaves.push_back({r[0].as<std::string>(), r[1].as<double>(), r[2].as<double>()});
    total += leaves.back().weight;
  }
  if (leaves.empty() || total <= 0)
    throw Error("generate: no county polygons" +
                (options.within.empty() ? std::string() : " inside " + options.within) +
                " (import regions first)");
  tx.exec("CREATE TEMP TABLE gen_points (i serial, p geometry(Point, 4326)) ON COMMIT DROP");
  tx.exec_params("SELECT setseed($1)", std::fmod(options.seed * 0.0001234567, 1.0));
  std::uint64_t done = 0, want = options.cameras + options.sensors;
  double camCarry = 0, senCarry = 0;
  for (std::size_t li = 0; li < leaves.size(); ++li) {
    const auto &leaf = leaves[li];
    // Shares by largest remainder, so the totals come out exact.
    camCarry += options.cameras * leaf.weight / total;
    senCarry += options.sensors * leaf.weight / total;
    auto cams =
        static_cast<std::int64_t>(li + 1 == leaves.size() ? std::llround(camCarry) : std::floor(camCarry));
    auto sens =
        static_cast<std::int64_t>(li + 1 == leaves.size() ? std::llround(senCarry) : std::floor(senCarry));
    camCarry -= cams;
    senCarry -= sens;
    auto n = cams + sens;
    if (n == 0) continue;
    tx.exec("TRUNCATE gen_points");
    tx.exec("ALTER SEQUENCE gen_points_i_seq RESTART");
    auto clustered = static_cast<std::int64_t>(n * 0.6);
    tx.exec_params(kPoints, leaf.code, clustered, leaf.sigmaDeg);
    // The rest uniformly. ST_GeneratePoints shares points among the parts of
    // a MultiPolygon with rounding, so it may give a few more or fewer: top
    // up, and use only the first n.
    for (int attempt = 0; attempt < 5; ++attempt) {
      auto have = tx.exec1("SELECT count(*) FROM gen_points")[0].as<std::int64_t>();
      if (have >= n) break;
      tx.exec_params(kUniform, leaf.code, n - have, options.seed + static_cast<int>(li) * 7 + attempt);
    }
    // The first `cams` points become cameras, the rest sensors.
    if (cams > 0)
      tx.exec_params(
          "INSERT INTO cameras (id, name, region_code, heading_deg, fov_deg, range_m, main_url, sub_url, "
          "geom) "
          "SELECT $1 || '0004' || CASE WHEN i % 3 = 0 THEN '131' ELSE '132' END || '0' || "
          "  lpad((base.n + i)::text, 6, '0'), "
          "  (SELECT name FROM regions WHERE code = $1) || '监控点' || (base.n + i), $1, "
          "  CASE WHEN i % 10 < 7 THEN (i * 137) % 360 END, CASE WHEN i % 10 < 7 THEN 55 + (i * 7) % 40 END, "
          "  50 + (i * 13) % 250, "
          "  'rtsp://nvr-' || $1 || '.lan/' || $1 || (base.n + i) || '/main', "
          "  'rtsp://nvr-' || $1 || '.lan/' || $1 || (base.n + i) || '/sub', p "
          "FROM gen_points, (SELECT count(*) AS n FROM cameras WHERE id BETWEEN $1 || '00000000000000' AND "
          "$1 || '99999999999999') base "
          "WHERE i <= $2 ON CONFLICT (id) DO NOTHING",
          leaf.code, cams);
    if (sens > 0)
      tx.exec_params(
          "INSERT INTO sensors (id, name, kind, station_code, region_code, thresholds, geom) "
          "SELECT $1 || '-' || k.kind || '-' || (base.n + i), "
          "  (SELECT name FROM regions WHERE code = $1) || k.label || (base.n + i), k.kind, "
          "  CASE WHEN k.kind IN ('water_level', 'rainfall') AND base.n + i < 10000 "
          "THEN $1 || lpad((base.n + i)::text, 4, '0') END, "  // SL 651 addresses: 4 digits a county
          "  $1, CASE k.kind WHEN 'water_level' THEN jsonb_build_object('water_level', jsonb_build_object("
          "    'blue', 2.0 + (i % 10) / 10.0, 'yellow', 2.5 + (i % 10) / 10.0, 'orange', 3.0 + (i % 10) / "
          "10.0, "
          "    'red', 3.5 + (i % 10) / 10.0)) "
          "  WHEN 'rainfall' THEN '{\"rainfall_1h\": {\"blue\": 20, \"yellow\": 30, \"orange\": 50, \"red\": "
          "80}}' "
          "  ELSE '{}' END::jsonb, p "
          "FROM (SELECT i - $2 AS i, p FROM gen_points WHERE i > $2 AND i <= $3) g, "
          "  (SELECT count(*) AS n FROM sensors WHERE left(id, 7) = $1 || '-') base, "
          "  LATERAL (SELECT CASE WHEN g.i % 20 < 6 THEN 'water_level' WHEN g.i % 20 < 12 THEN 'rainfall' "
          "    WHEN g.i % 20 < 15 THEN 'smoke' WHEN g.i % 20 < 17 THEN 'door' WHEN g.i % 20 < 18 THEN 'gas' "
          "    WHEN g.i % 20 < 19 THEN 'tide' ELSE 'temperature' END AS kind) k0, "
          "  LATERAL (SELECT k0.kind, CASE k0.kind WHEN 'water_level' THEN '水位站' WHEN 'rainfall' THEN "
          "'雨量站' "
          "    WHEN 'smoke' THEN '烟感' WHEN 'door' THEN '门磁' WHEN 'gas' THEN '燃气' WHEN 'tide' THEN "
          "'潮位站' "
          "    ELSE '温度' END AS label) k "
          "ON CONFLICT DO NOTHING",
          leaf.code, cams, n);
    ++report.regions;
    done += static_cast<std::uint64_t>(n);
    if (progress) progress(done, want);
  }
  // Where town polygons exist, the assets find their town.
  tx.exec(
      "UPDATE cameras c SET region_code = t.code FROM regions t "
      "WHERE t.tier = 'town' AND t.parent_code = c.region_code AND t.geom && c.geom AND "
      "ST_Intersects(t.geom, c.geom)");
  tx.exec(
      "UPDATE sensors s SET region_code = t.code FROM regions t "
      "WHERE t.tier = 'town' AND t.parent_code = s.region_code AND t.geom && s.geom AND "
      "ST_Intersects(t.geom, s.geom)");
  report.cameras = tx.exec1("SELECT count(*) FROM cameras")[0].as<std::uint64_t>();
  report.sensors = tx.exec1("SELECT count(*) FROM sensors")[0].as<std::uint64_t>();
  tx.commit();
  return report;
}

}  // namespace liandong::mapping
