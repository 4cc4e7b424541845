// Map tiles for the console: Mapbox Vector Tiles (ST_AsMVT) per layer and
// z/x/y — region outlines of every tier simplified for the zoom, cameras and
// sensors (clustered with a count when zoomed out), incidents of the last 30
// days — cached in memory by (layer, z, x, y, layer version). A change to a
// layer bumps its version in the database and notifies (LISTEN liandong_map),
// so a cached tile costs no database round trip and is never stale for
// longer than the notification takes.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <pqxx/connection>

namespace liandong::mapping {

struct Tile {
  std::string mvt;  // the encoded tile; empty when nothing is in it
  std::int64_t version = 0;
  bool cached = false;  // served from memory
};

struct TileStats {
  std::uint64_t hits = 0, misses = 0, invalidations = 0, bytes = 0, entries = 0;
};

// Not thread-safe: one per serving thread (it owns its connection).
class TileService {
public:
  explicit TileService(const std::string &conninfo, std::size_t cacheBytes = 256u << 20);
  ~TileService();
  TileService(const TileService &) = delete;
  TileService &operator=(const TileService &) = delete;

  // Throws Error on an unknown layer or a tile outside the zoom's grid.
  // `incidentsWithin`, for the incidents layer: only incidents inside that
  // region code ("" all of them; a code no region has, none).
  Tile get(const std::string &layer, int z, int x, int y, const std::string &incidentsWithin = "");
  static const std::vector<std::string> &layers();
  TileStats stats() const { return stats_; }

private:
  struct Entry {
    std::string key;
    std::string layer;
    std::int64_t version;
    std::string mvt;
  };
  class Listener;
  void refreshVersions();
  void dropStale();
  std::string render(const std::string &layer, int z, int x, int y, const std::string &within);

  pqxx::connection conn_;
  std::unique_ptr<Listener> listener_;
  bool dirty_ = false;
  std::map<std::string, std::int64_t> versions_;
  std::size_t capacity_;
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  TileStats stats_;
};

}  // namespace liandong::mapping
