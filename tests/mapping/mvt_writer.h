// A small Mapbox Vector Tile 2.1 writer for tests: layers of point and
// polygon features with string and number properties, encoded by hand with
// protobuf's wire-format writer (the map item's decoder reads them back).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace liandong::testing {

struct MvtSpecFeature {
  int type = 1;                                         // 1 point, 3 polygon
  std::vector<std::vector<std::pair<int, int>>> parts;  // points: one part per point
  std::vector<std::pair<std::string, std::variant<std::string, std::int64_t>>> properties;
};

inline std::string encodeMvtLayer(const std::string &name, const std::vector<MvtSpecFeature> &features,
                                  std::uint32_t extent = 4096) {
  using google::protobuf::io::CodedOutputStream;
  using google::protobuf::io::StringOutputStream;
  auto write = [](auto &&body) {
    std::string out;
    {
      StringOutputStream s(&out);
      CodedOutputStream o(&s);
      body(o);
    }
    return out;
  };
  auto bytesField = [&](std::uint32_t number, const std::string &bytes) {
    return write([&](CodedOutputStream &o) {
      o.WriteTag(number << 3 | 2);
      o.WriteVarint32(static_cast<std::uint32_t>(bytes.size()));
      o.WriteString(bytes);
    });
  };
  auto varintField = [&](std::uint32_t number, std::uint64_t v) {
    return write([&](CodedOutputStream &o) {
      o.WriteTag(number << 3);
      o.WriteVarint64(v);
    });
  };
  auto packed = [&](const std::vector<std::uint32_t> &vs) {
    return write([&](CodedOutputStream &o) {
      for (auto v : vs) o.WriteVarint32(v);
    });
  };
  auto zz = [](std::int32_t v) {
    return (static_cast<std::uint32_t>(v) << 1) ^ static_cast<std::uint32_t>(v >> 31);
  };
  auto cmd = [](std::uint32_t id, std::uint32_t count) { return id | count << 3; };
  std::vector<std::string> keys;
  std::vector<std::string> values;  // encoded Value messages
  auto indexOf = [](std::vector<std::string> &list, const std::string &v) {
    for (std::size_t i = 0; i < list.size(); ++i)
      if (list[i] == v) return static_cast<std::uint32_t>(i);
    list.push_back(v);
    return static_cast<std::uint32_t>(list.size() - 1);
  };
  std::string layer = varintField(15, 2) + bytesField(1, name) + varintField(5, extent);
  for (const auto &f : features) {
    std::vector<std::uint32_t> tags, geometry;
    for (const auto &[k, v] : f.properties) {
      tags.push_back(indexOf(keys, k));
      std::string value = std::holds_alternative<std::string>(v)
                              ? bytesField(1, std::get<std::string>(v))
                              : varintField(4, static_cast<std::uint64_t>(std::get<std::int64_t>(v)));
      tags.push_back(indexOf(values, value));
    }
    std::int32_t cx = 0, cy = 0;
    for (const auto &part : f.parts) {
      if (part.empty()) continue;
      geometry.push_back(cmd(1, 1));
      geometry.push_back(zz(part[0].first - cx));
      geometry.push_back(zz(part[0].second - cy));
      cx = part[0].first;
      cy = part[0].second;
      if (f.type == 3 && part.size() > 1) {
        geometry.push_back(cmd(2, static_cast<std::uint32_t>(part.size() - 1)));
        for (std::size_t i = 1; i < part.size(); ++i) {
          geometry.push_back(zz(part[i].first - cx));
          geometry.push_back(zz(part[i].second - cy));
          cx = part[i].first;
          cy = part[i].second;
        }
        geometry.push_back(cmd(7, 1));
      }
    }
    layer += bytesField(2, varintField(3, static_cast<std::uint64_t>(f.type)) + bytesField(2, packed(tags)) +
                               bytesField(4, packed(geometry)));
  }
  for (const auto &k : keys) layer += bytesField(3, k);
  for (const auto &v : values) layer += bytesField(4, v);
  return bytesField(3, layer);
}

}  // namespace liandong::testing
