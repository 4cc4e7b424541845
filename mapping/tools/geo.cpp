// liandong-geo: the geography tool — apply migrations, import regions
// (GeoJSON) and towns (CSV) with per-feature errors and --dry-run, and locate
// a point in the region hierarchy.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <pqxx/pqxx>

#include "liandong/core/errors.h"
#include "liandong/core/logging.h"
#include "liandong/mapping/migrations.h"
#include "liandong/mapping/regions.h"

using namespace liandong;

namespace {
void print(const std::string &file, const mapping::ImportReport &r, bool dryRun) {
  std::cout << file << ": " << r.inserted << " inserted, " << r.updated << " updated, " << r.repaired
            << " repaired, " << r.errors.size() << " errors" << (dryRun ? " (dry run: nothing written)" : "")
            << "\n";
  for (const auto &e : r.errors) std::cerr << "  " << e << "\n";
}
}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"Liandong geography tool"};
  app.require_subcommand(1);
  std::string db;
  app.add_option("--db", db, "libpq connection string")->required();
  auto *migrate = app.add_subcommand("migrate", "apply the database migrations");
  std::vector<std::string> files;
  bool dryRun = false;
  auto *regions = app.add_subcommand("import-regions", "import regions from GeoJSON files (parents first)");
  regions->add_option("files", files, "GeoJSON FeatureCollections")->required()->check(CLI::ExistingFile);
  regions->add_flag("--dry-run", dryRun, "check and report, write nothing");
  auto *towns = app.add_subcommand("import-towns", "import town-level units from the NBS CSV list");
  towns->add_option("files", files, "CSV files")->required()->check(CLI::ExistingFile);
  towns->add_flag("--dry-run", dryRun, "check and report, write nothing");
  double lon = 0, lat = 0;
  auto *locate = app.add_subcommand("locate", "print the regions containing a point");
  locate->add_option("lon", lon, "longitude (WGS 84)")->required();
  locate->add_option("lat", lat, "latitude (WGS 84)")->required();
  CLI11_PARSE(app, argc, argv);
  logging::setup("warn", "geo");
  try {
    pqxx::connection conn(db);
    int errors = 0;
    if (*migrate) {
      std::cout << mapping::MigrationRunner(conn).migrate() << " migrations applied\n";
    } else if (*regions || *towns) {
      mapping::MigrationRunner(conn).migrate();
      for (std::size_t i = 0; i < files.size(); ++i) {
        std::cerr << "[" << i + 1 << "/" << files.size() << "] " << files[i] << "\n";
        auto r = *regions ? mapping::importRegionsGeoJson(conn, files[i], dryRun)
                          : mapping::importTownsCsv(conn, files[i], dryRun);
        print(files[i], r, dryRun);
        errors += static_cast<int>(r.errors.size());
      }
    } else if (*locate) {
      auto chain = mapping::regionsContaining(conn, lon, lat);
      if (chain.empty()) {
        std::cout << "outside every region\n";
        return 1;
      }
      std::string line;
      for (const auto &r : chain) line += (line.empty() ? "" : " / ") + r.code + " " + r.name;
      std::cout << line << "\n";
    }
    return errors ? 1 : 0;
  } catch (const std::exception &e) {
    std::string msg = e.what();
    if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    std::fprintf(stderr, "liandong-geo: %s\n", msg.c_str());
    return 1;
  }
}
