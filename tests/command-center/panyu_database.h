// A PostGIS database for the incident-desk tests: Guangdong's province and
// cities, Guangzhou's counties, Panyu's towns with derived polygons and two
// Panyu agencies, prepared once per test binary; each test gets its own copy
// (CREATE DATABASE ... TEMPLATE). Needs the PgEnvironment of pg_fixture.h.
#pragma once

#include <string>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "liandong/mapping/assets.h"
#include "liandong/mapping/migrations.h"
#include "liandong/mapping/regions.h"
#include "pg_fixture.h"

namespace liandong::testing {

inline void preparePanyuTemplate() {
  static bool done = [] {
    auto geo = [](const std::string &f) { return sourceDir() + "/configs/data/geo/" + f; };
    auto ci = PgEnvironment::freshDatabase("panyu_base");
    pqxx::connection c(ci);
    mapping::MigrationRunner(c).migrate();
    for (auto f : {"province-440000.geojson", "cities-440000.geojson", "counties-440100.geojson"})
      EXPECT_TRUE(mapping::importRegionsGeoJson(c, geo(f)).errors.empty()) << f;
    EXPECT_TRUE(mapping::importTownsCsv(c, geo("towns-440100.csv")).errors.empty());
    EXPECT_GT(mapping::deriveTownPolygons(c, "440113"), 10);
    pqxx::work tx(c);
    tx.exec(
        "INSERT INTO agencies (id, name, kind, region_code) VALUES "
        "('py-rental', '番禺区出租屋管理', 'rental_housing', '440113'), "
        "('py-flood', '番禺区三防办', 'flood_control', '440113')");
    tx.commit();
    return true;
  }();
  (void)done;
}

// A fresh copy of the prepared database named `name`; its connection string.
inline std::string copyOfPanyu(const std::string &name) {
  preparePanyuTemplate();
  {
    pqxx::connection admin(PgEnvironment::conninfo());
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name));
    tx.exec("CREATE DATABASE " + tx.quote_name(name) + " TEMPLATE panyu_base");
  }
  auto ci = PgEnvironment::conninfo();  // "... dbname=liandong ..."
  auto pos = ci.find("dbname=liandong");
  return ci.substr(0, pos) + "dbname=" + name + ci.substr(pos + 15);
}

// The first column of the first row of `sql`, as a number.
inline long scalar(const std::string &db, const std::string &sql) {
  pqxx::connection c(db);
  pqxx::work tx(c);
  return tx.exec1(sql)[0].as<long>();
}

}  // namespace liandong::testing
