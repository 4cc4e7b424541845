// liandong-bench-geo: the spatial side of the centre on a province-scale set
// (scripts/bench geo loads the real Guangdong regions, derives the towns and
// generates 1,000,000 cameras and 100,000 sensors): nearest-10 cameras,
// point -> deepest region resolution (the
// centre's in-memory index, and PostGIS with its index), vector tiles cold and cached per zoom.
// Each is measured side by side with a brute-force scan of the same data in
// the same run (the same SQL with index scans switched off, or the exact
// great-circle sort of every row), and the ratio reported.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <random>
#include <set>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "liandong/core/clock.h"
#include "liandong/core/logging.h"
#include "liandong/mapping/assets.h"
#include "liandong/mapping/region_index.h"
#include "liandong/mapping/tiles.h"

using namespace liandong;

namespace {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

double msSince(std::int64_t startUs) {
  return static_cast<double>(nowUs() - startUs) / 1000.0;
}

// Query points where people are: generated camera positions, jittered by up
// to ~500 m, plus a share of uniform points over the province's box.
std::vector<std::pair<double, double>> samplePoints(pqxx::connection &c, int n, std::mt19937 &rng) {
  pqxx::work tx(c);
  auto rows = tx.exec_params(
      "SELECT ST_X(geom), ST_Y(geom) FROM cameras TABLESAMPLE SYSTEM (1) REPEATABLE (7) LIMIT $1", n);
  std::uniform_real_distribution<double> jitter(-0.005, 0.005), lon(109.7, 117.3), lat(20.2, 25.5);
  std::vector<std::pair<double, double>> out;
  for (const auto &r : rows)
    out.emplace_back(r[0].as<double>() + jitter(rng), r[1].as<double>() + jitter(rng));
  while (static_cast<int>(out.size()) < n) out.emplace_back(lon(rng), lat(rng));
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

std::pair<int, int> tileOf(double lon, double lat, int z) {
  double n = std::pow(2.0, z);
  int x = static_cast<int>((lon + 180.0) / 360.0 * n);
  double r = lat * M_PI / 180;
  int y = static_cast<int>((1.0 - std::asinh(std::tan(r)) / M_PI) / 2.0 * n);
  return {x, y};
}

}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"Liandong geography benchmark"};
  std::string db, jsonOut;
  int knnQueries = 2000, bruteQueries = 20, resolvePoints = 100000, bruteResolve = 2000, tilesPerZoom = 40;
  app.add_option("--db", db, "libpq connection string of the loaded database")->required();
  app.add_option("--json", jsonOut, "where to write the results")->required();
  app.add_option("--knn-queries", knnQueries)->default_val(2000);
  app.add_option("--brute-queries", bruteQueries)->default_val(20);
  app.add_option("--resolve-points", resolvePoints)->default_val(100000);
  app.add_option("--tiles-per-zoom", tilesPerZoom)->default_val(40);
  CLI11_PARSE(app, argc, argv);
  logging::setup("warn", "bench");
  std::mt19937 rng(20261122);
  nlohmann::json out;
  pqxx::connection conn(db);
  {
    pqxx::work tx(conn);
    out["cameras"] = tx.exec1("SELECT count(*) FROM cameras")[0].as<long>();
    out["sensors"] = tx.exec1("SELECT count(*) FROM sensors")[0].as<long>();
    out["towns_with_polygon"] =
        tx.exec1("SELECT count(*) FROM regions WHERE tier = 'town' AND geom IS NOT NULL")[0].as<long>();
  }
  mapping::AssetQueries queries(conn);
  auto points = samplePoints(conn, std::max(knnQueries, 1000), rng);

  // Nearest 10 cameras: the index (GiST <-> then exact re-rank) against an
  // exact great-circle sort of every camera.
  std::vector<double> knn, brute;
  for (int i = 0; i < 50; ++i)
    queries.nearest(mapping::AssetKind::Camera, points[i].first, points[i].second, 10);
  int mismatches = 0;
  for (int i = 0; i < knnQueries; ++i) {
    auto t0 = nowUs();
    queries.nearest(mapping::AssetKind::Camera, points[i].first, points[i].second, 10);
    knn.push_back(msSince(t0));
  }
  conn.prepare(
      "brute_knn",
      "SELECT id FROM cameras ORDER BY ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($1, $2), "
      "4326)::geography), id LIMIT 10");
  for (int i = 0; i < bruteQueries; ++i) {
    pqxx::result rows;
    {
      pqxx::nontransaction tx(conn);
      auto t0 = nowUs();
      rows = tx.exec_prepared("brute_knn", points[i].first, points[i].second);
      brute.push_back(msSince(t0));
    }
    auto fast = queries.nearest(mapping::AssetKind::Camera, points[i].first, points[i].second, 10);
    for (std::size_t k = 0; k < rows.size() && k < fast.size(); ++k)
      if (rows[k][0].as<std::string>() != fast[k].id) ++mismatches;
  }
  out["knn10_queries"] = knnQueries;
  out["knn10_p50_ms"] = percentile(knn, 50);
  out["knn10_p99_ms"] = percentile(knn, 99);
  out["knn10_bruteforce_queries"] = bruteQueries;
  out["knn10_bruteforce_p50_ms"] = percentile(brute, 50);
  out["knn10_bruteforce_p99_ms"] = percentile(brute, 99);
  out["knn10_speedup_p99"] = percentile(brute, 99) / std::max(percentile(knn, 99), 1e-9);
  out["knn10_mismatches_vs_bruteforce"] = mismatches;

  // Point -> deepest region, in batches of 1000 (as the intake does).
  std::vector<std::pair<double, double>> many;
  while (static_cast<int>(many.size()) < resolvePoints)
    many.insert(many.end(), points.begin(),
                points.begin() + std::min<std::size_t>(points.size(), resolvePoints - many.size()));
  auto resolveRate = [&](pqxx::connection &c, int n) {
    mapping::AssetQueries q(c);
    int outside = 0;
    auto t0 = nowUs();
    for (int i = 0; i < n; i += 1000) {
      std::vector<std::pair<double, double>> batch(many.begin() + i, many.begin() + std::min(n, i + 1000));
      for (const auto &code : q.resolve(batch)) outside += code.empty();
    }
    return std::make_pair(n / (msSince(t0) / 1000.0), outside);
  };
  // The centre's path: the in-memory index of the subdivided polygons.
  auto t0 = nowUs();
  auto index = mapping::RegionIndex::load(conn);
  out["region_index_load_ms"] = msSince(t0);
  out["region_index_parts"] = index.parts();
  t0 = nowUs();
  std::size_t outside = 0;
  for (int i = 0; i < resolvePoints; ++i) outside += index.resolve(many[i].first, many[i].second).empty();
  double rate = resolvePoints / (msSince(t0) / 1000.0);
  // The same in PostGIS with its index, and without (brute force).
  auto [pgRate, pgOutside] = resolveRate(conn, resolvePoints / 4);
  (void)pgOutside;
  pqxx::connection noIndex(db + " options='-c enable_indexscan=off -c enable_bitmapscan=off'");
  auto [bruteRate, bruteOutside] = resolveRate(noIndex, bruteResolve);
  (void)bruteOutside;
  out["resolve_points"] = resolvePoints;
  out["resolve_points_per_s"] = rate;
  out["resolve_outside_share"] = static_cast<double>(outside) / resolvePoints;
  out["resolve_postgis_points_per_s"] = pgRate;
  out["resolve_bruteforce_points_per_s"] = bruteRate;
  out["resolve_speedup"] = rate / std::max(bruteRate, 1e-9);
  out["resolve_speedup_vs_postgis_index"] = rate / std::max(pgRate, 1e-9);

  // Tiles: per zoom, tiles around sample points; cold (first request after a
  // fresh start, nothing cached) then cached (the same tile again).
  mapping::TileService tiles(db);
  mapping::TileService bruteTiles(db + " options='-c enable_indexscan=off -c enable_bitmapscan=off'");
  std::vector<double> coldAll, cachedAll, bruteAll;
  nlohmann::json perZoom = nlohmann::json::object();
  for (int z : {6, 8, 10, 12, 14, 16}) {
    std::vector<double> cold, cached, bytes;
    std::set<std::pair<int, int>> done;
    for (const auto &p : points) {
      if (static_cast<int>(done.size()) >= tilesPerZoom) break;
      auto xy = tileOf(p.first, p.second, z);
      if (!done.insert(xy).second) continue;
      double size = 0;
      for (const auto &layer : mapping::TileService::layers()) {
        auto t0 = nowUs();
        auto t = tiles.get(layer, z, xy.first, xy.second);
        cold.push_back(msSince(t0));  // one layer's tile
        size += static_cast<double>(t.mvt.size());
      }
      bytes.push_back(size);  // all layers of the tile
      for (const auto &layer : mapping::TileService::layers()) {
        auto t0 = nowUs();
        tiles.get(layer, z, xy.first, xy.second);
        cached.push_back(msSince(t0));
      }
    }
    // The same tiles without index scans, a few of them (slow).
    std::vector<double> bruteZ;
    int k = 0;
    for (const auto &xy : done) {
      if (k++ >= 3) break;
      for (const auto &layer : mapping::TileService::layers()) {
        auto t0 = nowUs();
        bruteTiles.get(layer, z, xy.first, xy.second);
        bruteZ.push_back(msSince(t0));
      }
    }
    perZoom[std::to_string(z)] = {{"tiles", cold.size()},
                                  {"cold_p50_ms", percentile(cold, 50)},
                                  {"cold_p99_ms", percentile(cold, 99)},
                                  {"cached_p99_ms", percentile(cached, 99)},
                                  {"bruteforce_cold_p50_ms", percentile(bruteZ, 50)},
                                  {"bytes_p50", percentile(bytes, 50)}};
    coldAll.insert(coldAll.end(), cold.begin(), cold.end());
    cachedAll.insert(cachedAll.end(), cached.begin(), cached.end());
    bruteAll.insert(bruteAll.end(), bruteZ.begin(), bruteZ.end());
  }
  out["tiles_per_zoom"] = perZoom;
  out["tile_layers"] = mapping::TileService::layers();
  out["tile_cold_p50_ms"] = percentile(coldAll, 50);
  out["tile_cold_p99_ms"] = percentile(coldAll, 99);
  out["tile_cached_p99_ms"] = percentile(cachedAll, 99);
  out["tile_bruteforce_cold_p50_ms"] = percentile(bruteAll, 50);
  out["tile_cold_speedup_p50"] = percentile(bruteAll, 50) / std::max(percentile(coldAll, 50), 1e-9);
  out["targets"] = {{"knn10_p99_ms", 2.0}, {"resolve_points_per_s", 50000}, {"tile_cached_p99_ms", 1.0}};
  std::ofstream(jsonOut) << out.dump(2) << "\n";
  std::cout << out.dump(2) << "\n";
  return 0;
}
