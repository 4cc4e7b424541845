// Point -> region in memory: the subdivided region polygons (region_parts)
// loaded into an R-tree (Boost.Geometry), so the centre resolves a point to
// its deepest region (town where town polygons exist, else county, ...) in
// about a microsecond without a database round trip. Load it again when the
// `regions` map layer's version changes (see tiles.h); `version()` says which
// version it holds. Thread-safe for concurrent lookups once loaded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/connection>
#include <pqxx/transaction_base>

namespace liandong::mapping {

class RegionIndex {
public:
  RegionIndex();
  ~RegionIndex();
  RegionIndex(RegionIndex &&) noexcept;
  RegionIndex &operator=(RegionIndex &&) noexcept;

  // Reads region_parts and the regions layer version. Throws StorageError.
  static RegionIndex load(pqxx::connection &conn);
  static RegionIndex load(pqxx::transaction_base &tx);  // inside a transaction of the caller

  // The deepest region containing the point; "" outside every region.
  std::string resolve(double lon, double lat) const;
  // The region of one tier (1 province .. 4 town) containing the point; "".
  std::string resolveDepth(double lon, double lat, int depth) const;
  std::vector<std::string> resolve(const std::vector<std::pair<double, double>> &points) const;

  std::int64_t version() const;
  std::size_t parts() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace liandong::mapping
