// Mapbox Vector Tile 2.1 decoding with protobuf's CodedInputStream: layers,
// features, geometry commands (MoveTo, LineTo, ClosePath with zigzag deltas)
// and the key/value property tables.
#include "liandong/map/mvt.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <fmt/format.h>

#include "liandong/core/errors.h"

namespace liandong::map {
namespace {

using google::protobuf::io::CodedInputStream;
using WFL = google::protobuf::internal::WireFormatLite;

[[noreturn]] void bad(const std::string &what) {
  throw Error("malformed vector tile: " + what);
}

std::int32_t zigzag(std::uint32_t v) {
  return static_cast<std::int32_t>((v >> 1) ^ (~(v & 1) + 1));
}

// Reads a length-delimited field into `out`.
void readBytes(CodedInputStream &in, std::string &out) {
  std::uint32_t len = 0;
  if (!in.ReadVarint32(&len) || !in.ReadString(&out, static_cast<int>(len))) bad("truncated field");
}

// A repeated uint32: packed (wire type 2) or one varint.
void readUints(CodedInputStream &in, std::uint32_t tag, std::vector<std::uint32_t> &out) {
  if (WFL::GetTagWireType(tag) == WFL::WIRETYPE_LENGTH_DELIMITED) {
    std::uint32_t len = 0;
    if (!in.ReadVarint32(&len)) bad("truncated packed field");
    auto limit = in.PushLimit(static_cast<int>(len));
    while (in.BytesUntilLimit() > 0) {
      std::uint32_t v = 0;
      if (!in.ReadVarint32(&v)) bad("truncated packed varint");
      out.push_back(v);
    }
    in.PopLimit(limit);
  } else {
    std::uint32_t v = 0;
    if (!in.ReadVarint32(&v)) bad("truncated varint");
    out.push_back(v);
  }
}

void skip(CodedInputStream &in, std::uint32_t tag) {
  if (!WFL::SkipField(&in, tag)) bad("cannot skip field " + std::to_string(WFL::GetTagFieldNumber(tag)));
}

MvtValue decodeValue(const std::string &bytes) {
  CodedInputStream in(reinterpret_cast<const std::uint8_t *>(bytes.data()), static_cast<int>(bytes.size()));
  MvtValue value;
  while (std::uint32_t tag = in.ReadTag()) {
    switch (WFL::GetTagFieldNumber(tag)) {
      case 1: {
        std::string s;
        readBytes(in, s);
        value = std::move(s);
        break;
      }
      case 2: {
        std::uint32_t raw = 0;
        if (!in.ReadLittleEndian32(&raw)) bad("truncated float");
        value = static_cast<double>(WFL::DecodeFloat(raw));
        break;
      }
      case 3: {
        std::uint64_t raw = 0;
        if (!in.ReadLittleEndian64(&raw)) bad("truncated double");
        value = WFL::DecodeDouble(raw);
        break;
      }
      case 4:
      case 5:
      case 6:
      case 7: {
        std::uint64_t raw = 0;
        if (!in.ReadVarint64(&raw)) bad("truncated varint value");
        auto field = WFL::GetTagFieldNumber(tag);
        if (field == 4)
          value = static_cast<std::int64_t>(raw);
        else if (field == 5)
          value = raw;
        else if (field == 6)
          value = WFL::ZigZagDecode64(raw);
        else
          value = raw != 0;
        break;
      }
      default: skip(in, tag);
    }
  }
  return value;
}

std::vector<std::vector<MvtPoint>> decodeGeometry(GeomType type, const std::vector<std::uint32_t> &cmds) {
  std::vector<std::vector<MvtPoint>> parts;
  std::int32_t x = 0, y = 0;
  std::size_t i = 0;
  while (i < cmds.size()) {
    std::uint32_t id = cmds[i] & 0x7, count = cmds[i] >> 3;
    ++i;
    if (id == 7) {  // ClosePath: the ring is closed implicitly
      if (parts.empty() || parts.back().empty()) bad("ClosePath before any point");
      continue;
    }
    if (id != 1 && id != 2) bad(fmt::format("unknown geometry command {}", id));
    if (i + 2 * static_cast<std::size_t>(count) > cmds.size()) bad("geometry command runs past its end");
    if (id == 2 && (parts.empty() || parts.back().empty())) bad("LineTo before MoveTo");
    for (std::uint32_t k = 0; k < count; ++k) {
      x += zigzag(cmds[i++]);
      y += zigzag(cmds[i++]);
      if (id == 1 && (type == GeomType::Point || k == 0)) parts.emplace_back();
      parts.back().push_back({x, y});
    }
  }
  return parts;
}

MvtLayer decodeLayer(const std::string &bytes) {
  CodedInputStream in(reinterpret_cast<const std::uint8_t *>(bytes.data()), static_cast<int>(bytes.size()));
  MvtLayer layer;
  std::vector<std::string> keys;
  std::vector<MvtValue> values;
  struct Raw {
    std::uint64_t id = 0;
    std::uint32_t type = 0;
    std::vector<std::uint32_t> tags, geometry;
  };
  std::vector<Raw> raws;
  while (std::uint32_t tag = in.ReadTag()) {
    switch (WFL::GetTagFieldNumber(tag)) {
      case 1: readBytes(in, layer.name); break;
      case 2: {
        std::string fb;
        readBytes(in, fb);
        CodedInputStream fin(reinterpret_cast<const std::uint8_t *>(fb.data()), static_cast<int>(fb.size()));
        Raw raw;
        while (std::uint32_t ftag = fin.ReadTag()) {
          switch (WFL::GetTagFieldNumber(ftag)) {
            case 1:
              if (!fin.ReadVarint64(&raw.id)) bad("truncated feature id");
              break;
            case 2: readUints(fin, ftag, raw.tags); break;
            case 3:
              if (!fin.ReadVarint32(&raw.type)) bad("truncated feature type");
              break;
            case 4: readUints(fin, ftag, raw.geometry); break;
            default: skip(fin, ftag);
          }
        }
        raws.push_back(std::move(raw));
        break;
      }
      case 3: {
        std::string k;
        readBytes(in, k);
        keys.push_back(std::move(k));
        break;
      }
      case 4: {
        std::string vb;
        readBytes(in, vb);
        values.push_back(decodeValue(vb));
        break;
      }
      case 5:
        if (!in.ReadVarint32(&layer.extent)) bad("truncated extent");
        break;
      case 15:
        if (!in.ReadVarint32(&layer.version)) bad("truncated version");
        break;
      default: skip(in, tag);
    }
  }
  if (layer.extent == 0) bad("layer " + layer.name + " has extent 0");
  for (auto &raw : raws) {
    MvtFeature f;
    f.id = raw.id;
    f.type = raw.type <= 3 ? static_cast<GeomType>(raw.type) : GeomType::Unknown;
    if (raw.tags.size() % 2 != 0) bad("odd number of feature tags");
    for (std::size_t t = 0; t + 1 < raw.tags.size(); t += 2) {
      if (raw.tags[t] >= keys.size() || raw.tags[t + 1] >= values.size()) bad("feature tag out of range");
      f.properties[keys[raw.tags[t]]] = values[raw.tags[t + 1]];
    }
    f.parts = decodeGeometry(f.type, raw.geometry);
    layer.features.push_back(std::move(f));
  }
  return layer;
}

}  // namespace

std::string MvtFeature::text(const std::string &key) const {
  auto it = properties.find(key);
  if (it == properties.end()) return "";
  return std::visit(
      [](const auto &v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>)
          return "";
        else if constexpr (std::is_same_v<T, std::string>)
          return v;
        else if constexpr (std::is_same_v<T, bool>)
          return v ? "true" : "false";
        else if constexpr (std::is_same_v<T, double>)
          return fmt::format("{}", v);
        else
          return std::to_string(v);
      },
      it->second);
}

std::vector<MvtLayer> decodeMvt(std::string_view bytes) {
  if (bytes.size() > static_cast<std::size_t>(INT32_MAX)) bad("tile too large");
  CodedInputStream in(reinterpret_cast<const std::uint8_t *>(bytes.data()), static_cast<int>(bytes.size()));
  std::vector<MvtLayer> layers;
  while (std::uint32_t tag = in.ReadTag()) {
    if (WFL::GetTagFieldNumber(tag) == 3 && WFL::GetTagWireType(tag) == WFL::WIRETYPE_LENGTH_DELIMITED) {
      std::string lb;
      readBytes(in, lb);
      layers.push_back(decodeLayer(lb));
    } else {
      skip(in, tag);
    }
  }
  if (in.CurrentPosition() != static_cast<int>(bytes.size())) bad("bad field tag");
  return layers;
}

}  // namespace liandong::map
