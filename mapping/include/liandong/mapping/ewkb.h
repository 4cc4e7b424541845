// A point as hex-encoded EWKB (PostGIS's own text form of a geometry): what
// the intake writes into COPY for each reading's position. PostGIS reads it
// without its WKT parser and the client writes it without formatting
// floats; both ends are several times cheaper than "SRID=4326;POINT(x y)",
// and the coordinates arrive bit for bit.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

namespace liandong::mapping {

inline std::string pointHexEwkb(double lon, double lat, std::uint32_t srid = 4326) {
  static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big);
  unsigned char bytes[25];
  bytes[0] = std::endian::native == std::endian::little ? 1 : 0;  // NDR or XDR, as the host stores them
  std::uint32_t type = 0x20000001;                                // Point, with an SRID
  std::memcpy(bytes + 1, &type, 4);
  std::memcpy(bytes + 5, &srid, 4);
  std::memcpy(bytes + 9, &lon, 8);
  std::memcpy(bytes + 17, &lat, 8);
  static const char *hex = "0123456789ABCDEF";
  std::string out(50, '0');
  for (int i = 0; i < 25; ++i) {
    out[2 * i] = hex[bytes[i] >> 4];
    out[2 * i + 1] = hex[bytes[i] & 15];
  }
  return out;
}

}  // namespace liandong::mapping
