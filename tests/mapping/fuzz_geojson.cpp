// Fuzz target for what mapping reads from outside: GeoJSON features of
// assets and regions' coordinates. Any input must end in a parsed feature or
// a clean Error, never a crash, a hang or an uncaught exception. Built with
// libFuzzer by `scripts/bench fuzz` (clang); in the test suite the same
// function replays the seed corpus in tests/mapping/corpus/geojson.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "liandong/core/errors.h"
#include "liandong/mapping/assets.h"
#include "liandong/mapping/regions.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  using namespace liandong;
  auto doc = nlohmann::json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded()) return 0;
  auto one = [](const nlohmann::json &f) {
    for (auto kind : {mapping::AssetKind::Camera, mapping::AssetKind::Sensor, mapping::AssetKind::Agency}) {
      try {
        mapping::parseAssetFeature(kind, f);
      } catch (const Error &) {
        // refused with a reason: fine
      }
    }
    if (f.is_object() && f.contains("geometry") && f["geometry"].is_object() &&
        f["geometry"].contains("coordinates"))
      for (int depth = 0; depth <= 3; ++depth) mapping::checkCoordinates(f["geometry"]["coordinates"], depth);
  };
  if (doc.is_object() && doc.contains("features") && doc["features"].is_array())
    for (const auto &f : doc["features"]) one(f);
  else
    one(doc);
  return 0;
}
