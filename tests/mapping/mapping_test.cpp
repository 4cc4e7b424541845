// Tests of mapping against a real PostGIS: migrations (apply, no-op re-run,
// rollback of a failing one, checksum mismatch), import of the real
// Guangdong data, point location, and bad input reported per feature.
#include <filesystem>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "liandong/core/errors.h"
#include "liandong/core/logging.h"
#include "liandong/mapping/migrations.h"
#include "liandong/mapping/regions.h"
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

long scalar(pqxx::connection &c, const std::string &sql) {
  pqxx::work tx(c);
  return tx.exec1(sql)[0].as<long>();
}

struct TempDir {
  fs::path path;
  TempDir() {
    char t[] = "/tmp/ldmapXXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { fs::remove_all(path); }
};

void importGuangdong(pqxx::connection &c) {
  MigrationRunner(c).migrate();
  for (auto f : {"province-440000.geojson", "cities-440000.geojson", "counties-440000.geojson"}) {
    auto r = importRegionsGeoJson(c, geo(f));
    EXPECT_TRUE(r.errors.empty()) << f << ": " << r.errors.front();
  }
}

std::string featureCollection(const std::string &features) {
  return R"({"type":"FeatureCollection","features":[)" + features + "]}";
}
std::string square(const std::string &code, const std::string &parent, double x, double y,
                   const std::string &level = "county") {
  auto p = [&](double a, double b) { return "[" + std::to_string(a) + "," + std::to_string(b) + "]"; };
  return R"({"type":"Feature","properties":{"code":")" + code + R"(","name":"测试)" + code +
         R"(","level":")" + level + R"(","parent_code":")" + parent +
         R"("},"geometry":{"type":"Polygon","coordinates":[[)" + p(x, y) + "," + p(x + 0.1, y) + "," +
         p(x + 0.1, y + 0.1) + "," + p(x, y + 0.1) + "," + p(x, y) + "]]}}";
}
}  // namespace

TEST(Migrations, ApplyOnceThenNoOp) {
  pqxx::connection c(PgEnvironment::freshDatabase("mig1"));
  MigrationRunner runner(c);
  EXPECT_EQ(runner.migrate(), static_cast<int>(embeddedMigrations().size()));
  EXPECT_EQ(runner.migrate(), 0);
  EXPECT_EQ(runner.applied().size(), embeddedMigrations().size());
  EXPECT_EQ(scalar(c, "SELECT count(*) FROM pg_indexes WHERE indexname = 'regions_geom_idx'"), 1);
}

TEST(Migrations, FailedMigrationLeavesDatabaseAsItWasAndNamesTheFile) {
  pqxx::connection c(PgEnvironment::freshDatabase("mig2"));
  TempDir dir;
  liandong::testing::writeFile(dir.path / "001_ok.sql", "CREATE TABLE a (x int);");
  liandong::testing::writeFile(dir.path / "002_bad.sql", "CREATE TABLE b (y int); SELECT * FROM nowhere;");
  MigrationRunner runner(c, migrationsFromDirectory(dir.path));
  try {
    runner.migrate();
    FAIL() << "expected a failure";
  } catch (const StorageError &e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("002_bad.sql"), std::string::npos) << msg;
    EXPECT_NE(msg.find("nowhere"), std::string::npos) << msg;
  }
  EXPECT_EQ(scalar(c, "SELECT count(*) FROM schema_migrations"), 1);
  EXPECT_EQ(scalar(c, "SELECT count(*) FROM pg_tables WHERE tablename = 'b'"), 0) << "002 rolled back whole";
}

TEST(Migrations, EditedAppliedMigrationIsDetected) {
  pqxx::connection c(PgEnvironment::freshDatabase("mig3"));
  TempDir dir;
  liandong::testing::writeFile(dir.path / "001_a.sql", "CREATE TABLE a (x int);");
  MigrationRunner(c, migrationsFromDirectory(dir.path)).migrate();
  liandong::testing::writeFile(dir.path / "001_a.sql", "CREATE TABLE a (x int, y int);");
  try {
    MigrationRunner(c, migrationsFromDirectory(dir.path)).migrate();
    FAIL() << "expected a checksum error";
  } catch (const StorageError &e) {
    EXPECT_NE(std::string(e.what()).find("001_a.sql was changed"), std::string::npos) << e.what();
  }
}

TEST(Regions, RealGuangdongDataAndLocation) {
  pqxx::connection c(PgEnvironment::freshDatabase("regions1"));
  importGuangdong(c);
  EXPECT_EQ(scalar(c, "SELECT count(*) FROM regions WHERE tier = 'province'"), 1);
  EXPECT_EQ(scalar(c, "SELECT count(*) FROM regions WHERE tier = 'city'"), 21);
  EXPECT_GE(scalar(c, "SELECT count(*) FROM regions WHERE tier = 'county'"), 120);
  EXPECT_EQ(scalar(c, "SELECT count(*) FROM regions WHERE NOT ST_IsValid(geom)"), 0);
  auto chain = regionsContaining(c, 113.384, 22.937);
  ASSERT_EQ(chain.size(), 3u);
  EXPECT_EQ(chain[0].code, "440000");
  EXPECT_EQ(chain[1].name, "广州市");
  EXPECT_EQ(chain[2].code, "440113");
  EXPECT_EQ(chain[2].name, "番禺区");
  EXPECT_EQ(chain[2].parentCode, "440100");
  EXPECT_TRUE(regionsContaining(c, 114.5, 21.0).empty()) << "the South China Sea is in no region we hold";
  EXPECT_EQ(countyAt(c, 113.33, 23.13)->code, "440106") << "Tianhe";

  auto towns = importTownsCsv(c, geo("towns-440100.csv"));
  EXPECT_TRUE(towns.errors.empty());
  EXPECT_EQ(towns.inserted, 178);
  EXPECT_EQ(scalar(c, "SELECT count(*) FROM regions WHERE tier = 'town' AND parent_code = '440113'"), 16);
  auto again = importTownsCsv(c, geo("towns-440100.csv"));
  EXPECT_EQ(again.updated, 178) << "re-import updates, never duplicates";
}

TEST(Regions, BadFeaturesAreReportedWithIndexAndId) {
  pqxx::connection c(PgEnvironment::freshDatabase("regions2"));
  MigrationRunner(c).migrate();
  TempDir dir;
  std::string swapped = square("990002", "", 23.0, 113.0, "province");  // [lat, lon]
  auto missing =
      R"({"type":"Feature","properties":{"name":"无码"},"geometry":{"type":"Polygon","coordinates":[[[1,1],[2,1],[2,2],[1,1]]]}})";
  auto orphan = square("990104", "990100", 113.0, 23.0);
  auto good = square("990000", "", 113.0, 23.0, "province");
  liandong::testing::writeFile(dir.path / "bad.geojson",
                               featureCollection(good + "," + swapped + "," + missing + "," + orphan));
  auto r = importRegionsGeoJson(c, dir.path / "bad.geojson");
  EXPECT_EQ(r.inserted, 1);
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_NE(r.errors[0].find("feature 1 (id 990002): position looks like [latitude, longitude]"),
            std::string::npos)
      << r.errors[0];
  EXPECT_NE(r.errors[1].find("feature 2 (id ?): missing property \"code\""), std::string::npos)
      << r.errors[1];
  EXPECT_NE(r.errors[2].find("feature 3 (id 990104): parent 990100 of 990104"), std::string::npos)
      << r.errors[2];
}

TEST(Regions, SelfIntersectingPolygonIsRepairedAndCounted) {
  pqxx::connection c(PgEnvironment::freshDatabase("regions3"));
  MigrationRunner(c).migrate();
  TempDir dir;
  auto bowtie =
      R"({"type":"Feature","properties":{"code":"990000","name":"蝴蝶结","level":"province"},"geometry":{"type":"Polygon","coordinates":[[[113,23],[113.1,23.1],[113.1,23],[113,23.1],[113,23]]]}})";
  liandong::testing::writeFile(dir.path / "bowtie.geojson", featureCollection(bowtie));
  auto r = importRegionsGeoJson(c, dir.path / "bowtie.geojson");
  EXPECT_EQ(r.repaired, 1);
  EXPECT_EQ(r.inserted, 1);
  EXPECT_EQ(scalar(c,
                   "SELECT count(*) FROM regions WHERE ST_IsValid(geom) AND ST_GeometryType(geom) = "
                   "'ST_MultiPolygon'"),
            1);
}

TEST(Regions, DryRunWritesNothing) {
  pqxx::connection c(PgEnvironment::freshDatabase("regions4"));
  MigrationRunner(c).migrate();
  auto r = importRegionsGeoJson(c, geo("province-440000.geojson"), true);
  EXPECT_EQ(r.inserted, 1);
  EXPECT_EQ(scalar(c, "SELECT count(*) FROM regions"), 0);
}

TEST(Regions, NotAFeatureCollection) {
  pqxx::connection c(PgEnvironment::freshDatabase("regions5"));
  MigrationRunner(c).migrate();
  TempDir dir;
  liandong::testing::writeFile(dir.path / "x.geojson", R"({"type":"Feature"})");
  EXPECT_THROW(importRegionsGeoJson(c, dir.path / "x.geojson"), Error);
  liandong::testing::writeFile(dir.path / "y.geojson", "not json");
  EXPECT_THROW(importRegionsGeoJson(c, dir.path / "y.geojson"), Error);
}

TEST(Csv, QuotedFields) {
  auto f = splitCsvLine(R"(a,"b,c","d ""e""",)");
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[1], "b,c");
  EXPECT_EQ(f[2], "d \"e\"");
  EXPECT_EQ(f[3], "");
  EXPECT_THROW(splitCsvLine("\"open"), Error);
}

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new PgEnvironment);
  liandong::logging::setup("off", "test");
  return RUN_ALL_TESTS();
}
