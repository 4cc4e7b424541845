// The in-memory region index (see region_index.h): WKT from PostGIS read by
// Boost.Geometry, an R-tree of the parts' boxes, covered_by for the exact
// test (a point on a shared border belongs to a region, as ST_Intersects).
#include "liandong/mapping/region_index.h"

#include <algorithm>

#include <boost/geometry.hpp>
#include <boost/geometry/geometries/box.hpp>
#include <boost/geometry/geometries/point_xy.hpp>
#include <boost/geometry/geometries/polygon.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <pqxx/pqxx>

#include "liandong/core/errors.h"

namespace liandong::mapping {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
using Point = bg::model::d2::point_xy<double>;
using Polygon = bg::model::polygon<Point, false>;  // counter-clockwise exteriors (RFC 7946)
using Box = bg::model::box<Point>;

struct RegionIndex::Impl {
  struct Part {
    std::string code;
    int depth;
    Polygon polygon;
  };
  std::vector<Part> parts;
  bgi::rtree<std::pair<Box, std::size_t>, bgi::quadratic<16>> tree;
  std::int64_t version = 0;
};

RegionIndex::RegionIndex() : impl_(std::make_unique<Impl>()) {}
RegionIndex::~RegionIndex() = default;
RegionIndex::RegionIndex(RegionIndex &&) noexcept = default;
RegionIndex &RegionIndex::operator=(RegionIndex &&) noexcept = default;

RegionIndex RegionIndex::load(pqxx::connection &conn) {
  pqxx::work tx(conn);
  auto index = load(tx);
  tx.commit();
  return index;
}

RegionIndex RegionIndex::load(pqxx::transaction_base &tx) {
  RegionIndex index;
  auto &d = *index.impl_;
  try {
    d.version = tx.exec1("SELECT coalesce((SELECT version FROM map_layers WHERE layer = 'regions'), 0)")[0]
                    .as<std::int64_t>();
    std::vector<std::pair<Box, std::size_t>> boxes;
    for (const auto &r : tx.exec("SELECT code, depth, ST_AsText(geom) FROM region_parts")) {
      Impl::Part part{r[0].as<std::string>(), r[1].as<int>(), {}};
      bg::read_wkt(r[2].c_str(), part.polygon);
      bg::correct(part.polygon);
      // The box of the outer ring (bg::envelope trips gcc 12's
      // maybe-uninitialized warning inside Boost 1.74).
      double minX = 1e9, minY = 1e9, maxX = -1e9, maxY = -1e9;
      for (const auto &pt : part.polygon.outer()) {
        minX = std::min(minX, pt.x());
        minY = std::min(minY, pt.y());
        maxX = std::max(maxX, pt.x());
        maxY = std::max(maxY, pt.y());
      }
      boxes.emplace_back(Box(Point(minX, minY), Point(maxX, maxY)), d.parts.size());
      d.parts.push_back(std::move(part));
    }
    d.tree = decltype(d.tree)(boxes.begin(), boxes.end());  // bulk loading (packing)
  } catch (const pqxx::sql_error &e) {
    std::string msg = e.what();
    if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    throw StorageError("cannot load the region index: " + msg);
  }
  return index;
}

std::string RegionIndex::resolveDepth(double lon, double lat, int depth) const {
  Point p(lon, lat);
  const Impl::Part *best = nullptr;
  for (auto it = impl_->tree.qbegin(bgi::intersects(p)); it != impl_->tree.qend(); ++it) {
    const auto &part = impl_->parts[it->second];
    if (depth > 0 && part.depth != depth) continue;
    if (best && (part.depth < best->depth || (part.depth == best->depth && part.code >= best->code)))
      continue;
    if (bg::covered_by(p, part.polygon)) best = &part;
  }
  return best ? best->code : std::string();
}

std::string RegionIndex::resolve(double lon, double lat) const {
  return resolveDepth(lon, lat, 0);
}

std::vector<std::string> RegionIndex::resolve(const std::vector<std::pair<double, double>> &points) const {
  std::vector<std::string> out;
  out.reserve(points.size());
  for (const auto &[lon, lat] : points) out.push_back(resolve(lon, lat));
  return out;
}

std::int64_t RegionIndex::version() const {
  return impl_->version;
}
std::size_t RegionIndex::parts() const {
  return impl_->parts.size();
}

}  // namespace liandong::mapping
