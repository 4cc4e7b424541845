// liandong-geo: the geography tool — apply migrations; import regions
// (GeoJSON), towns (CSV) and assets (GeoJSON) with per-feature errors, a
// progress bar and --dry-run; export regions and assets as GeoJSON; derive
// approximate town polygons; generate a province-scale asset set; answer
// spatial questions (locate, nearest, seeing) and render a vector tile.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <pqxx/pqxx>

#include "liandong/core/errors.h"
#include "liandong/core/logging.h"
#include "liandong/mapping/assets.h"
#include "liandong/mapping/generator.h"
#include "liandong/mapping/migrations.h"
#include "liandong/mapping/partitions.h"
#include "liandong/mapping/regions.h"
#include "liandong/mapping/tiles.h"

using namespace liandong;

namespace {

void print(const std::string &file, const mapping::ImportReport &r, bool dryRun) {
  std::cout << file << ": " << r.inserted << " inserted, " << r.updated << " updated, " << r.repaired
            << " repaired, " << r.outside << " outside every region, " << r.errors.size() << " errors"
            << (dryRun ? " (dry run: nothing written)" : "") << "\n";
  for (const auto &w : r.warnings) std::cerr << "  warning: " << w << "\n";
  for (const auto &e : r.errors) std::cerr << "  " << e << "\n";
}

// A progress bar on a terminal; a line every 10 % otherwise (logs).
mapping::Progress progressBar(const std::string &label) {
  bool tty = isatty(STDERR_FILENO);
  auto lastTenth = std::make_shared<int>(-1);
  return [tty, label, lastTenth](std::uint64_t done, std::uint64_t total) {
    double f = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
    if (f > 1) f = 1;
    if (tty) {
      int bar = static_cast<int>(f * 30);
      std::cerr << fmt::format("\r{} [{}{}] {:3.0f}% {}/{}", label, std::string(bar, '#'),
                               std::string(30 - bar, '.'), f * 100, done, total)
                << (done >= total ? "\n" : "") << std::flush;
    } else if (int tenth = static_cast<int>(f * 10); tenth != *lastTenth) {
      *lastTenth = tenth;
      std::cerr << fmt::format("{}: {:.0f}% ({}/{})\n", label, f * 100, done, total);
    }
  };
}

void printHits(const std::vector<mapping::AssetHit> &hits) {
  for (const auto &h : hits)
    std::cout << fmt::format("{}\t{}\t{}\t{}\t{:.6f},{:.6f}\t{:.1f} m\n", h.id, h.name, h.kind, h.regionCode,
                             h.lon, h.lat, h.distanceM);
}

}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"Liandong geography tool"};
  app.require_subcommand(1);
  std::string db;
  app.add_option("--db", db, "libpq connection string")->required();
  auto *migrate =
      app.add_subcommand("migrate", "apply the database migrations and create the time partitions");
  std::vector<std::string> files;
  bool dryRun = false;
  auto *regions = app.add_subcommand("import-regions", "import regions from GeoJSON files (parents first)");
  regions->add_option("files", files, "GeoJSON FeatureCollections")->required()->check(CLI::ExistingFile);
  regions->add_flag("--dry-run", dryRun, "check and report, write nothing");
  auto *towns = app.add_subcommand("import-towns", "import town-level units from the NBS CSV list");
  towns->add_option("files", files, "CSV files")->required()->check(CLI::ExistingFile);
  towns->add_flag("--dry-run", dryRun, "check and report, write nothing");
  std::string kind;
  auto *assets = app.add_subcommand("import-assets", "import agencies, cameras or sensors from GeoJSON");
  assets->add_option("kind", kind, "agency, camera or sensor")->required();
  assets->add_option("files", files, "GeoJSON FeatureCollections of Points")
      ->required()
      ->check(CLI::ExistingFile);
  assets->add_flag("--dry-run", dryRun, "check and report, write nothing");
  std::string what, output, region;
  auto *exportCmd = app.add_subcommand("export", "export regions or assets as GeoJSON");
  exportCmd->add_option("what", what, "regions, agencies, cameras or sensors")->required();
  exportCmd->add_option("-o,--output", output, "file to write (default: standard output)");
  exportCmd->add_option("--region", region, "only this region and what is below it (a code)");
  auto *derive = app.add_subcommand("derive-towns", "give towns without a real polygon an approximate one");
  derive->add_option("--county", region, "only this county");
  mapping::GeneratorOptions gen;
  auto *generate =
      app.add_subcommand("generate", "add generated cameras and sensors inside the imported regions");
  generate->add_option("--cameras", gen.cameras, "how many cameras")->default_val(0);
  generate->add_option("--sensors", gen.sensors, "how many sensors")->default_val(0);
  generate->add_option("--seed", gen.seed, "random seed (same seed, same set)")->default_val(1);
  generate->add_option("--within", gen.within, "only inside this region (a code)");
  double lon = 0, lat = 0;
  int count = 10;
  auto *locate = app.add_subcommand("locate", "print the regions containing a point");
  auto *nearest = app.add_subcommand("nearest", "the nearest assets of a kind to a point");
  auto *seeing = app.add_subcommand("seeing", "the cameras that can see a point");
  for (auto *cmd : {locate, nearest, seeing}) {
    if (cmd == nearest) cmd->add_option("kind", kind, "agency, camera or sensor")->required();
    cmd->add_option("lon", lon, "longitude (WGS 84)")->required();
    cmd->add_option("lat", lat, "latitude (WGS 84)")->required();
  }
  std::string ofKind;
  nearest->add_option("-n", count, "how many")->default_val(10);
  nearest->add_option("--of-kind", ofKind, "only sensors or agencies of this kind");
  std::string layer;
  int z = 0, x = 0, y = 0;
  auto *tile = app.add_subcommand("tile", "render one vector tile (MVT) to a file or standard output");
  tile->add_option("layer", layer, "regions, cameras, sensors or incidents")->required();
  tile->add_option("z", z)->required();
  tile->add_option("x", x)->required();
  tile->add_option("y", y)->required();
  tile->add_option("-o,--output", output, "file to write");
  CLI11_PARSE(app, argc, argv);
  logging::setup("warn", "geo");
  try {
    pqxx::connection conn(db);
    int errors = 0;
    if (*migrate) {
      std::cout << mapping::MigrationRunner(conn).migrate() << " migrations applied\n";
      auto r = mapping::maintainPartitions(conn);
      std::cout << r.created.size() << " partitions created, " << r.dropped.size() << " dropped\n";
    } else if (*regions || *towns || *assets) {
      mapping::MigrationRunner(conn).migrate();
      auto assetKind = *assets ? mapping::parseAssetKind(kind) : mapping::AssetKind::Camera;
      for (std::size_t i = 0; i < files.size(); ++i) {
        auto label = fmt::format("[{}/{}] {}", i + 1, files.size(), files[i]);
        mapping::ImportReport r;
        if (*regions)
          r = mapping::importRegionsGeoJson(conn, files[i], dryRun);
        else if (*towns)
          r = mapping::importTownsCsv(conn, files[i], dryRun);
        else
          r = mapping::importAssetsGeoJson(conn, assetKind, files[i], dryRun, progressBar(label));
        print(files[i], r, dryRun);
        errors += static_cast<int>(r.errors.size());
      }
    } else if (*exportCmd) {
      std::uint64_t n = 0;
      if (output.empty()) {
        n = mapping::exportGeoJson(conn, what, std::cout, region);
      } else {
        std::ofstream out(output);
        if (!out) throw Error(output + ": cannot write");
        n = mapping::exportGeoJson(conn, what, out, region, progressBar("export " + what));
      }
      std::cerr << n << " features exported\n";
    } else if (*derive) {
      std::cout << mapping::deriveTownPolygons(conn, region) << " towns got an approximate polygon\n";
    } else if (*generate) {
      auto r = mapping::generateAssets(conn, gen, progressBar("generate"));
      std::cout << r.regions << " regions: " << r.cameras << " cameras and " << r.sensors
                << " sensors in the database\n";
    } else if (*locate) {
      auto chain = mapping::regionsContaining(conn, lon, lat);
      if (chain.empty()) {
        std::cout << "outside every region\n";
        return 1;
      }
      std::string line;
      for (const auto &r : chain)
        line += (line.empty() ? "" : " / ") + r.code + " " + r.name + (r.approximate ? " (approximate)" : "");
      std::cout << line << "\n";
    } else if (*nearest) {
      mapping::AssetQueries q(conn);
      printHits(q.nearest(mapping::parseAssetKind(kind), lon, lat, count, ofKind));
    } else if (*seeing) {
      mapping::AssetQueries q(conn);
      auto hits = q.camerasSeeing(lon, lat);
      if (hits.empty()) std::cerr << "no camera sees this point\n";
      printHits(hits);
    } else if (*tile) {
      mapping::TileService tiles(db);
      auto t = tiles.get(layer, z, x, y);
      if (output.empty()) {
        std::cout.write(t.mvt.data(), static_cast<std::streamsize>(t.mvt.size()));
      } else {
        std::ofstream out(output, std::ios::binary);
        out.write(t.mvt.data(), static_cast<std::streamsize>(t.mvt.size()));
        if (!out) throw Error(output + ": cannot write");
      }
      std::cerr << layer << " " << z << "/" << x << "/" << y << ": " << t.mvt.size() << " bytes, version "
                << t.version << "\n";
    }
    return errors ? 1 : 0;
  } catch (const std::exception &e) {
    std::string msg = e.what();
    if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    std::fprintf(stderr, "liandong-geo: %s\n", msg.c_str());
    return 1;
  }
}
