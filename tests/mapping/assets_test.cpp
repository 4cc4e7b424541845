// Tests of assets, spatial queries, approximate town polygons and vector
// tiles against a real PostGIS loaded with the real Guangdong regions and
// Guangzhou's towns: what a camera sees, nearest N checked against a brute
// force, region subtrees, bad features reported with index and id, points
// outside every region kept and flagged, GeoJSON export/import round trip,
// tiles cached and invalidated when the data changes.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "liandong/core/errors.h"
#include "liandong/mapping/assets.h"
#include "liandong/mapping/generator.h"
#include "liandong/mapping/migrations.h"
#include "liandong/mapping/region_index.h"
#include "liandong/mapping/regions.h"
#include "liandong/mapping/tiles.h"
#include "pg_fixture.h"
#include "process.h"

using namespace liandong;
using namespace liandong::mapping;
using liandong::testing::PgEnvironment;
namespace fs = std::filesystem;

namespace {

std::string geo(const std::string &f) {
  return liandong::testing::sourceDir() + "/configs/data/geo/" + f;
}

double scalar(pqxx::connection &c, const std::string &sql) {
  pqxx::work tx(c);
  return tx.exec1(sql)[0].as<double>();
}

// Guangdong's regions and Guangzhou's towns with derived polygons, imported
// once for the whole suite.
const std::string &guangdong() {
  static std::string conninfo = [] {
    auto ci = PgEnvironment::freshDatabase("assets_gd");
    pqxx::connection c(ci);
    MigrationRunner(c).migrate();
    for (auto f : {"province-440000.geojson", "cities-440000.geojson", "counties-440000.geojson"})
      EXPECT_TRUE(importRegionsGeoJson(c, geo(f)).errors.empty()) << f;
    EXPECT_TRUE(importTownsCsv(c, geo("towns-440100.csv")).errors.empty());
    EXPECT_EQ(deriveTownPolygons(c), 178);
    return ci;
  }();
  return conninfo;
}

// A database of its own, with the same regions (copied by template).
std::string copyOfGuangdong(const std::string &name) {
  guangdong();
  {
    pqxx::connection admin(PgEnvironment::conninfo());
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name));
    tx.exec("CREATE DATABASE " + tx.quote_name(name) + " TEMPLATE assets_gd");
  }
  auto ci = PgEnvironment::conninfo();  // "... dbname=liandong ..."
  auto pos = ci.find("dbname=liandong");
  return ci.substr(0, pos) + "dbname=" + name + ci.substr(pos + 15);
}

struct TempFile {
  fs::path path;
  explicit TempFile(const std::string &text) {
    char t[] = "/tmp/ldassetXXXXXX";
    int fd = mkstemp(t);
    close(fd);
    path = t;
    liandong::testing::writeFile(path, text);
  }
  ~TempFile() { fs::remove(path); }
};

std::string point(double lon, double lat) {
  std::ostringstream s;
  s.precision(10);
  s << R"({"type":"Point","coordinates":[)" << lon << "," << lat << "]}";
  return s.str();
}
std::string feature(const std::string &props, const std::string &geometry) {
  return R"({"type":"Feature","properties":{)" + props + R"(},"geometry":)" + geometry + "}";
}
std::string collection(const std::vector<std::string> &features) {
  std::string s = R"({"type":"FeatureCollection","features":[)";
  for (std::size_t i = 0; i < features.size(); ++i) s += (i ? ",\n" : "") + features[i];
  return s + "]}";
}

// Panyu: 市桥 (the district seat) and a point 100 m east of it.
constexpr double kLon = 113.3843, kLat = 22.9377;
double eastBy(double metres) {
  return kLon + metres / (111320.0 * std::cos(kLat * M_PI / 180));
}

std::pair<int, int> tileOf(double lon, double lat, int z) {
  double n = std::pow(2.0, z);
  int x = static_cast<int>((lon + 180.0) / 360.0 * n);
  double r = lat * M_PI / 180;
  int y = static_cast<int>((1.0 - std::asinh(std::tan(r)) / M_PI) / 2.0 * n);
  return {x, y};
}

}  // namespace

TEST(Towns, ApproximatePolygonsTileEachCountyAndStreetsSitNearTheSeat) {
  pqxx::connection c(guangdong());
  EXPECT_EQ(
      scalar(c, "SELECT count(*) FROM regions WHERE tier = 'town' AND geom IS NOT NULL AND approximate"),
      178);
  // Panyu's 16 towns cover the district and do not overlap.
  double county = scalar(c, "SELECT ST_Area(geom::geography) FROM regions WHERE code = '440113'");
  double unionArea = scalar(c,
                            "SELECT ST_Area(ST_Union(geom)::geography) FROM regions WHERE parent_code = "
                            "'440113' AND tier = 'town'");
  double sum = scalar(c, "SELECT sum(ST_Area(geom::geography)) FROM regions WHERE parent_code = '440113'");
  EXPECT_NEAR(unionArea / county, 1.0, 0.005);
  EXPECT_NEAR(sum / unionArea, 1.0, 0.005);
  // Streets (街道) are the urban core: nearer the seat than towns (镇).
  double streets =
      scalar(c,
             "SELECT avg(ST_Distance(t.label_point, c.label_point)) FROM regions t JOIN regions c "
             "ON c.code = t.parent_code WHERE t.parent_code = '440113' AND substr(t.code, 7) < '100'");
  double towns =
      scalar(c,
             "SELECT avg(ST_Distance(t.label_point, c.label_point)) FROM regions t JOIN regions c "
             "ON c.code = t.parent_code WHERE t.parent_code = '440113' AND substr(t.code, 7) >= '100'");
  EXPECT_LT(streets, towns);
  // Every point is located down to its (approximate) town.
  auto chain = regionsContaining(c, kLon, kLat);
  ASSERT_EQ(chain.size(), 4u);
  EXPECT_EQ(chain[2].code, "440113");
  EXPECT_EQ(chain[3].tier, "town");
  EXPECT_EQ(chain[3].parentCode, "440113");
  EXPECT_TRUE(chain[3].approximate);
}

TEST(Towns, ARealTownPolygonReplacesTheApproximateOneAndTheOthersMakeRoom) {
  pqxx::connection c(copyOfGuangdong("assets_realtown"));
  auto square =
      R"({"type":"Polygon","coordinates":[[[113.37,22.93],[113.40,22.93],[113.40,22.95],[113.37,22.95],)"
      R"([113.37,22.93]]]})";
  TempFile f(collection({feature(
      R"("code":"440113007","name":"市桥街道","name_en":"Shiqiao Subdistrict","level":"town","parent_code":"440113")",
      square)}));
  auto r = importRegionsGeoJson(c, f.path);
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_EQ(deriveTownPolygons(c, "440113"), 15);
  EXPECT_EQ(scalar(c, "SELECT approximate::int FROM regions WHERE code = '440113007'"), 0);
  EXPECT_EQ(
      scalar(c, "SELECT count(*) FROM regions WHERE code = '440113007' AND name_en = 'Shiqiao Subdistrict'"),
      1);
  EXPECT_LT(
      scalar(c,
             "SELECT coalesce(sum(ST_Area(ST_Intersection(t.geom, s.geom)::geography)), 0) FROM regions t, "
             "regions s WHERE s.code = '440113007' AND t.parent_code = '440113' AND t.code <> s.code"),
      1.0);  // m²: none of the other 15 overlaps the real one
}

TEST(Assets, ImportReportsEveryBadFeatureAndKeepsPointsOutsideFlagged) {
  pqxx::connection c(copyOfGuangdong("assets_import"));
  TempFile agencies(collection({
      feature(R"("id":"py-sanfang","name":"番禺区三防办","kind":"flood_control","region_code":"440113")",
              point(kLon, kLat)),
      feature(R"("id":"py-police","name":"番禺分局","kind":"public_security","region_code":"440113")",
              "null"),
      feature(R"("id":"bad-kind","name":"x","kind":"circus","region_code":"440113")", "null"),
  }));
  auto ra = importAssetsGeoJson(c, AssetKind::Agency, agencies.path);
  EXPECT_EQ(ra.inserted, 2);
  ASSERT_EQ(ra.errors.size(), 1u);
  EXPECT_NE(ra.errors[0].find("feature 2 (id bad-kind)"), std::string::npos) << ra.errors[0];

  auto cam = [](const std::string &id, const std::string &extra) {
    return R"("id":")" + id + R"(","name":"摄像机)" + id.substr(id.size() > 14 ? 14 : 0) + "\"" + extra;
  };
  TempFile cameras(collection({
      feature(cam(makeCameraId("440113", 1), R"(,"agency_id":"py-police","heading_deg":90,"fov_deg":60)"),
              point(kLon, kLat)),
      feature(cam(makeCameraId("440113", 2), ""), point(113.5, 20.0)),  // 1: at sea, outside
      feature(cam("12345", ""), point(kLon, kLat)),                     // 2: bad id
      feature(cam(makeCameraId("440113", 3), ""), point(kLat, kLon)),   // 3: swapped axes
      feature(cam(makeCameraId("440113", 1), ""), point(kLon, kLat)),   // 4: duplicate
      feature(cam(makeCameraId("440113", 5), R"(,"agency_id":"nobody")"), point(kLon, kLat)),  // 5
      feature(cam(makeCameraId("990000", 6), ""), point(kLon, kLat)),  // 6: unknown county
      feature(cam(makeCameraId("440113", 7), R"(,"heading_deg":400)"), point(kLon, kLat)),  // 7
      feature(cam(makeCameraId("440113", 8), ""), R"({"type":"LineString","coordinates":[[1,2],[3,4]]})"),
  }));
  auto rc = importAssetsGeoJson(c, AssetKind::Camera, cameras.path);
  EXPECT_EQ(rc.inserted, 2);
  EXPECT_EQ(rc.outside, 1);
  ASSERT_EQ(rc.errors.size(), 7u);
  std::string all;
  for (const auto &e : rc.errors) all += e + "\n";
  for (auto expect :
       {"feature 2 (id 12345): id is not a 20-digit",
        "feature 3 (id 44011300041320000003): position "
        "looks like [latitude, longitude]",
        "feature 4 (id 44011300041320000001): duplicate id 44011300041320000001 (also feature 0)",
        "feature 5 (id 44011300041320000005): agency nobody does not exist",
        "feature 6 (id 99000000041320000006): id does not start with a known county code",
        "feature 7 (id 44011300041320000007): heading_deg",
        "feature 8 (id 44011300041320000008): "
        "geometry is LineString"})
    EXPECT_NE(all.find(expect), std::string::npos) << "missing: " << expect << "\nin:\n" << all;
  ASSERT_EQ(rc.warnings.size(), 1u);
  EXPECT_NE(rc.warnings[0].find("44011300041320000002"), std::string::npos);
  EXPECT_EQ(scalar(c, "SELECT count(*) FROM cameras WHERE outside AND region_code IS NULL"), 1);
  // The camera found its town by itself.
  EXPECT_EQ(scalar(c,
                   "SELECT count(*) FROM cameras WHERE id = '44011300041320000001' AND region_code LIKE "
                   "'440113___'"),
            1);
  // Importing the same file again updates, it does not duplicate.
  auto again = importAssetsGeoJson(c, AssetKind::Camera, cameras.path);
  EXPECT_EQ(again.inserted, 0);
  EXPECT_EQ(again.updated, 2);
  // A dry run writes nothing.
  TempFile one(collection({feature(cam(makeCameraId("440113", 9), ""), point(kLon, kLat))}));
  EXPECT_EQ(importAssetsGeoJson(c, AssetKind::Camera, one.path, true).inserted, 1);
  EXPECT_EQ(scalar(c, "SELECT count(*) FROM cameras"), 2);
}

TEST(Assets, NotGeoJsonIsOneClearError) {
  pqxx::connection c(copyOfGuangdong("assets_notjson"));
  TempFile f("{\"type\":\"FeatureCollection\",\"features\":[{\"type\":");
  try {
    importAssetsGeoJson(c, AssetKind::Camera, f.path);
    FAIL();
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("not valid GeoJSON"), std::string::npos) << e.what();
  }
  TempFile g(
      R"({"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:3857"}},"features":[]})");
  EXPECT_THROW(importAssetsGeoJson(c, AssetKind::Camera, g.path), Error);
}

TEST(Assets, ViewConeNearestAndSubtreeQueries) {
  pqxx::connection c(copyOfGuangdong("assets_query"));
  // East-facing 60° camera, 200 m; a dome camera without a direction, 170 m.
  TempFile cameras(collection({
      feature(R"("id":"44011300041320000001","name":"东向","heading_deg":90,"fov_deg":60,"range_m":200)",
              point(kLon, kLat)),
      feature(R"("id":"44011300041320000002","name":"球机","range_m":170)", point(eastBy(-50), kLat)),
      feature(R"("id":"44010600041320000003","name":"天河","range_m":100)", point(113.36, 23.12)),
  }));
  ASSERT_TRUE(importAssetsGeoJson(c, AssetKind::Camera, cameras.path).errors.empty());
  AssetQueries q(c);
  auto east = q.camerasSeeing(eastBy(100), kLat);
  ASSERT_EQ(east.size(), 2u);  // the dome is 150 m away, in its range
  EXPECT_EQ(east[0].id, "44011300041320000001");
  EXPECT_NEAR(east[0].distanceM, 100, 2);
  auto west = q.camerasSeeing(eastBy(-100), kLat);
  ASSERT_EQ(west.size(), 1u);  // behind the east-facing camera
  EXPECT_EQ(west[0].id, "44011300041320000002");
  EXPECT_TRUE(q.camerasSeeing(eastBy(300), kLat).empty());

  auto near = q.nearest(AssetKind::Camera, eastBy(10), kLat, 2);
  ASSERT_EQ(near.size(), 2u);
  EXPECT_EQ(near[0].id, "44011300041320000001");
  EXPECT_EQ(near[1].id, "44011300041320000002");
  EXPECT_LE(near[0].distanceM, near[1].distanceM);

  auto panyu = q.withinRegion(AssetKind::Camera, "440113");
  EXPECT_EQ(panyu.size(), 2u);
  EXPECT_EQ(q.withinRegion(AssetKind::Camera, "440100").size(), 3u);
  EXPECT_EQ(q.withinRegion(AssetKind::Camera, "440000").size(), 3u);
  auto box = q.withinPolygon(
      AssetKind::Camera,
      R"({"type":"Polygon","coordinates":[[[113.3,23.0],[113.4,23.0],[113.4,23.2],[113.3,23.2],)"
      R"([113.3,23.0]]]})");
  ASSERT_EQ(box.size(), 1u);
  EXPECT_EQ(box[0].id, "44010600041320000003");
  EXPECT_THROW(q.withinPolygon(AssetKind::Camera, R"({"type":"Point","coordinates":[1,2]})"), Error);

  auto where = q.resolve({{kLon, kLat}, {113.5, 20.0}, {113.36, 23.12}});
  ASSERT_EQ(where.size(), 3u);
  EXPECT_EQ(where[0].substr(0, 6), "440113");
  EXPECT_EQ(where[0].size(), 9u);
  EXPECT_EQ(where[1], "");
  EXPECT_EQ(where[2].substr(0, 6), "440106");
}

TEST(Assets, NearestMatchesABruteForceScan) {
  pqxx::connection c(copyOfGuangdong("assets_knn"));
  {
    pqxx::work tx(c);
    tx.exec(
        "INSERT INTO cameras (id, name, geom) SELECT '4401130004132' || lpad(i::text, 7, '0'), 'c' || i, "
        "ST_SetSRID(ST_MakePoint(113.2 + random() * 0.4, 22.8 + random() * 0.3), 4326) "
        "FROM generate_series(1, 3000) i");
    tx.commit();
  }
  AssetQueries q(c);
  for (auto [lon, lat] :
       std::vector<std::pair<double, double>>{{113.3, 22.9}, {113.55, 22.85}, {113.2, 23.1}}) {
    auto fast = q.nearest(AssetKind::Camera, lon, lat, 10);
    pqxx::work tx(c);
    auto brute = tx.exec_params(
        "SELECT id FROM cameras ORDER BY ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($1, $2), "
        "4326)::geography), id LIMIT 10",
        lon, lat);
    ASSERT_EQ(fast.size(), 10u);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(fast[i].id, brute[i][0].as<std::string>()) << i;
  }
}

TEST(Assets, ExportThenImportElsewhereGivesTheSameAssets) {
  pqxx::connection a(copyOfGuangdong("assets_exp_a"));
  TempFile sensors(collection({
      feature(R"("id":"py-wl-01","name":"市桥水位站","kind":"water_level","station_code":"0044011301",)"
              R"("thresholds":{"water_level":{"blue":2.5,"red":4.0}})",
              point(kLon, kLat)),
      feature(R"("id":"py-rain-01","name":"雨量站","kind":"rainfall")", point(113.42, 22.95)),
      feature(R"("id":"py-wl-02","name":"重复站码","kind":"water_level","station_code":"0044011301")",
              point(113.4, 22.9)),
  }));
  auto r = importAssetsGeoJson(a, AssetKind::Sensor, sensors.path);
  EXPECT_EQ(r.inserted, 2);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("duplicate station_code 0044011301 (also feature 0)"), std::string::npos);
  std::ostringstream out;
  EXPECT_EQ(exportGeoJson(a, "sensors", out, "440113"), 2u);
  std::ostringstream none;
  EXPECT_EQ(exportGeoJson(a, "sensors", none, "440106"), 0u);
  TempFile exported(out.str());
  pqxx::connection b(copyOfGuangdong("assets_exp_b"));
  auto rb = importAssetsGeoJson(b, AssetKind::Sensor, exported.path);
  EXPECT_EQ(rb.inserted, 2);
  EXPECT_TRUE(rb.errors.empty());
  auto rows = [](pqxx::connection &c) {
    pqxx::work tx(c);
    std::string s;
    for (const auto &r : tx.exec("SELECT id, name, kind, station_code, region_code, thresholds::text, "
                                 "ST_AsText(geom) FROM sensors ORDER BY id"))
      for (const auto &f : r) s += std::string(f.is_null() ? "NULL" : f.c_str()) + "|";
    return s;
  };
  EXPECT_EQ(rows(a), rows(b));
  // Regions round-trip too, the approximate mark included.
  std::ostringstream regions;
  EXPECT_EQ(exportGeoJson(a, "regions", regions, "440113"), 17u);
  EXPECT_NE(regions.str().find("\"approximate\":true"), std::string::npos);
}

TEST(Tiles, RegionTileHasPanyuAndIsCachedUntilTheLayerChanges) {
  auto ci = copyOfGuangdong("assets_tiles");
  TileService tiles(ci);
  auto [x, y] = tileOf(kLon, kLat, 10);
  auto first = tiles.get("regions", 10, x, y);
  EXPECT_FALSE(first.cached);
  EXPECT_NE(first.mvt.find("番禺区"), std::string::npos);
  EXPECT_NE(first.mvt.find("440113"), std::string::npos);
  auto second = tiles.get("regions", 10, x, y);
  EXPECT_TRUE(second.cached);
  EXPECT_EQ(second.mvt, first.mvt);
  // Open sea, far from Guangdong: an empty tile.
  auto [sx, sy] = tileOf(150.0, -30.0, 10);
  EXPECT_TRUE(tiles.get("regions", 10, sx, sy).mvt.empty());
  // Zoomed out, towns are not drawn; zoomed in they are.
  auto [x6, y6] = tileOf(kLon, kLat, 6);
  EXPECT_EQ(tiles.get("regions", 6, x6, y6).mvt.find("市桥街道"), std::string::npos);
  EXPECT_NE(first.mvt.find("市桥街道"), std::string::npos);

  auto [cx, cy] = tileOf(kLon, kLat, 15);
  auto before = tiles.get("cameras", 15, cx, cy);
  EXPECT_EQ(before.mvt.find("44011300041320000001"), std::string::npos);
  {
    pqxx::connection c(ci);
    pqxx::work tx(c);
    tx.exec_params(
        "INSERT INTO cameras (id, name, geom) VALUES ('44011300041320000001', '新摄像机', "
        "ST_SetSRID(ST_MakePoint($1, $2), 4326))",
        kLon, kLat);
    tx.commit();
  }
  // The notification arrives asynchronously; the next requests see it.
  Tile after;
  for (int i = 0; i < 100; ++i) {
    after = tiles.get("cameras", 15, cx, cy);
    if (after.version != before.version) break;
    usleep(20000);
  }
  EXPECT_GT(after.version, before.version);
  EXPECT_FALSE(after.cached);
  EXPECT_NE(after.mvt.find("44011300041320000001"), std::string::npos);
  EXPECT_GE(tiles.stats().invalidations, 1u);
  // The region tile was not touched by a camera change.
  EXPECT_TRUE(tiles.get("regions", 10, x, y).cached);
  // Zoomed out, cameras come as counted clusters.
  auto [gx, gy] = tileOf(kLon, kLat, 8);
  auto grid = tiles.get("cameras", 8, gx, gy);
  EXPECT_NE(grid.mvt.find("count"), std::string::npos);

  // Incidents (from the incident desk's table) show on their layer once opened.
  auto [ix, iy] = tileOf(kLon, kLat, 12);
  auto noIncident = tiles.get("incidents", 12, ix, iy);
  EXPECT_EQ(noIncident.mvt.find("INC-1"), std::string::npos);
  {
    pqxx::connection c(ci);
    pqxx::work tx(c);
    tx.exec_params(
        "INSERT INTO incidents (id, type, title, level, colour, state, lead_tier, geom, county_code, "
        "origin_centre, "
        "reported_by) VALUES ('INC-1', 'flood', '市桥内涝', 4, 'blue', 'reported', 'county', "
        "ST_SetSRID(ST_MakePoint($1, $2), 4326), '440113', 'centre-t', 'test')",
        kLon, kLat);
    tx.commit();
  }
  Tile withIncident;
  for (int i = 0; i < 100; ++i) {
    withIncident = tiles.get("incidents", 12, ix, iy);
    if (withIncident.version != noIncident.version) break;
    usleep(20000);
  }
  EXPECT_NE(withIncident.mvt.find("INC-1"), std::string::npos);
  EXPECT_NE(withIncident.mvt.find("市桥内涝"), std::string::npos);

  EXPECT_THROW(tiles.get("roads", 1, 0, 0), Error);
  EXPECT_THROW(tiles.get("regions", 3, 8, 0), Error);
  EXPECT_THROW(tiles.get("regions", 30, 0, 0), Error);
}

TEST(Generator, ExactCountsInsideTheRegionsDenserInTheCity) {
  pqxx::connection c(copyOfGuangdong("assets_gen"));
  auto r = generateAssets(c, {5000, 500, 7, "440100"});
  EXPECT_EQ(r.regions, 11);  // Guangzhou's districts
  EXPECT_EQ(r.cameras, 5000u);
  EXPECT_EQ(r.sensors, 500u);
  // Every asset lies inside the region it names, and that region is in Guangzhou.
  EXPECT_EQ(scalar(c,
                   "SELECT count(*) FROM cameras c JOIN regions r ON r.code = c.region_code "
                   "WHERE ST_Intersects(r.geom, c.geom) AND left(c.region_code, 4) = '4401'"),
            5000);
  EXPECT_EQ(
      scalar(c, "SELECT count(*) FROM cameras WHERE NOT id ~ ('^' || left(region_code, 6) || '[0-9]{14}$')"),
      0);
  // Towns were resolved where town polygons exist (all of Guangzhou).
  EXPECT_EQ(scalar(c, "SELECT count(*) FROM cameras WHERE length(region_code) = 9"), 5000);
  // Urban 越秀 (440104) is far denser per km² than rural 从化 (440117).
  auto density = [&](const std::string &county) {
    return scalar(c, "SELECT count(*) / (SELECT area_km2 FROM regions WHERE code = '" + county +
                         "') FROM cameras WHERE left(region_code, 6) = '" + county + "'");
  };
  EXPECT_GT(density("440104"), 4 * density("440117"));
  // The same seed gives the same set.
  pqxx::connection d(copyOfGuangdong("assets_gen2"));
  generateAssets(d, {5000, 500, 7, "440100"});
  auto digest = [](pqxx::connection &k) {
    pqxx::work tx(k);
    return tx.exec1("SELECT md5(string_agg(id || ST_AsText(geom), ',' ORDER BY id)) FROM cameras")[0]
        .as<std::string>();
  };
  EXPECT_EQ(digest(c), digest(d));
  pqxx::connection e(PgEnvironment::freshDatabase("assets_gen_empty"));
  MigrationRunner(e).migrate();
  EXPECT_THROW(generateAssets(e, {10, 0, 1, ""}), Error);
}

TEST(RegionIndex, AgreesWithPostgisEverywhere) {
  {
    // It says which version of the regions it holds; a change bumps it.
    pqxx::connection other(copyOfGuangdong("assets_index"));
    auto before = RegionIndex::load(other).version();
    {
      pqxx::work tx(other);
      tx.exec("UPDATE regions SET name = name WHERE code = '440113'");
      tx.commit();
    }
    EXPECT_GT(RegionIndex::load(other).version(), before);
  }
  pqxx::connection c(guangdong());
  auto index = RegionIndex::load(c);
  EXPECT_GT(index.parts(), 1000u);
  std::vector<std::pair<double, double>> points;
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> lon(109.5, 117.5), lat(20.0, 25.7), glon(112.9, 114.1),
      glat(22.5, 23.95);
  for (int i = 0; i < 1500; ++i) points.emplace_back(lon(rng), lat(rng));    // the province and the sea
  for (int i = 0; i < 1500; ++i) points.emplace_back(glon(rng), glat(rng));  // Guangzhou: towns
  AssetQueries q(c);
  auto expected = q.resolve(points);
  auto got = index.resolve(points);
  int towns = 0, outside = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    EXPECT_EQ(got[i], expected[i]) << points[i].first << "," << points[i].second;
    towns += got[i].size() == 9;
    outside += got[i].empty();
  }
  EXPECT_GT(towns, 500);
  EXPECT_GT(outside, 100);
  EXPECT_EQ(index.resolveDepth(kLon, kLat, 3), "440113");
  EXPECT_EQ(index.resolveDepth(kLon, kLat, 1), "440000");
  EXPECT_EQ(index.resolve(150.0, -30.0), "");
}
