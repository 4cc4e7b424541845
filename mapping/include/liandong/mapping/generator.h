// A province-scale asset generator for benchmarks and scale tests: cameras
// and sensors placed inside the real county polygons already imported, with
// a realistic density — denser in small units (the urban cores: density goes
// as area^-0.6), three times more in districts (区) and the prefecture cities
// without counties (东莞, 中山) than in rural counties, and most points
// gathered around each county seat. Deterministic for a given seed.
#pragma once

#include <cstdint>

#include <pqxx/connection>

#include "liandong/mapping/assets.h"

namespace liandong::mapping {

struct GeneratorOptions {
  std::uint64_t cameras = 0;
  std::uint64_t sensors = 0;
  int seed = 1;
  std::string within = "";  // only inside this region's subtree ("" = every leaf region)
};

struct GeneratorReport {
  std::uint64_t cameras = 0, sensors = 0;
  int regions = 0;  // leaf regions (counties, cities without counties) that got assets
};

// Adds the assets (ids continue after what each county already has). Throws
// Error when no region polygon is there to place them in.
GeneratorReport generateAssets(pqxx::connection &conn, const GeneratorOptions &options,
                               const Progress &progress = {});

}  // namespace liandong::mapping
