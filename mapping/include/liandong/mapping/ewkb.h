// A point as EWKB, raw (what the intake's binary COPY sends for each
// reading's position) or hex-encoded (PostGIS's own text form of a geometry). PostGIS reads it
// without its WKT parser and the client writes it without formatting
// floats; both ends are several times cheaper than "SRID=4326;POINT(x y)",
// and the coordinates arrive bit for bit.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

namespace liandong::mapping {

// The 25 bytes of a point's EWKB (what a binary COPY sends for a geometry).
inline std::array<unsigned char, 25> pointEwkb(double lon, double lat, std::uint32_t srid = 4326) {
  static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big);
  std::array<unsigned char, 25> bytes{};
  bytes[0] = std::endian::native == std::endian::little ? 1 : 0;  // NDR or XDR, as the host stores them
  std::uint32_t type = 0x20000001;                                // Point, with an SRID
  std::memcpy(bytes.data() + 1, &type, 4);
  std::memcpy(bytes.data() + 5, &srid, 4);
  std::memcpy(bytes.data() + 9, &lon, 8);
  std::memcpy(bytes.data() + 17, &lat, 8);
  return bytes;
}

inline std::string pointHexEwkb(double lon, double lat, std::uint32_t srid = 4326) {
  auto bytes = pointEwkb(lon, lat, srid);
  static const char *hex = "0123456789ABCDEF";
  std::string out(50, '0');
  for (int i = 0; i < 25; ++i) {
    out[2 * i] = hex[bytes[i] >> 4];
    out[2 * i + 1] = hex[bytes[i] & 15];
  }
  return out;
}

}  // namespace liandong::mapping
