// Mapbox Vector Tile 2.1 decoding (https://github.com/mapbox/vector-tile-spec):
// a tile's layers, their features with tile-local integer geometry (extent
// 4096 by default) and properties. Read with protobuf's wire-format reader, so
// no generated code; malformed input throws liandong::Error, never crashes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace liandong::map {

enum class GeomType { Unknown = 0, Point = 1, LineString = 2, Polygon = 3 };

struct MvtPoint {
  std::int32_t x = 0, y = 0;
  bool operator==(const MvtPoint &) const = default;
};

// string, float/double, int/sint, uint, bool
using MvtValue = std::variant<std::monostate, std::string, double, std::int64_t, std::uint64_t, bool>;

struct MvtFeature {
  std::uint64_t id = 0;
  GeomType type = GeomType::Unknown;
  // Points: one part per point. Lines: one part per line. Polygons: one part
  // per ring (closed: the first point is not repeated at the end).
  std::vector<std::vector<MvtPoint>> parts;
  std::map<std::string, MvtValue> properties;

  // The property as text ("" when missing); numbers are formatted.
  std::string text(const std::string &key) const;
};

struct MvtLayer {
  std::string name;
  std::uint32_t version = 1;
  std::uint32_t extent = 4096;
  std::vector<MvtFeature> features;
};

std::vector<MvtLayer> decodeMvt(std::string_view bytes);

}  // namespace liandong::map
