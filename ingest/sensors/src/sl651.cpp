// SL 651-2014 HEX/BCD framing and decoding (see sl651.h).
#include "liandong/ingest/sensors/sl651.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>

#include <fmt/format.h>

#include "liandong/core/errors.h"

namespace liandong::ingest::sl651 {

namespace {

constexpr std::int64_t kCstOffsetUs = 8LL * 3600 * 1000000;  // stations keep China Standard Time
constexpr std::size_t kHeader = 14;                          // 7E7E .. start char

struct ElementInfo {
  const char *name;
  const char *quantity;
  const char *unit;
};

// Elements of SL 651-2014 Appendix C that Liandong turns into readings.
const std::map<std::uint8_t, ElementInfo> &elements() {
  static const std::map<std::uint8_t, ElementInfo> table = {
      {0x1A, {"P1", "rainfall_1h", "mm"}},
      {0x1F, {"PD", "rainfall_day", "mm"}},
      {0x20, {"PJ", "rainfall_current", "mm"}},
      {0x26, {"PT", "rainfall_total", "mm"}},
      {0x27, {"Q", "flow", "m3/s"}},
      {0x38, {"VT", "battery_voltage", "V"}},
      {0x39, {"Z", "water_level", "m"}},
      {0x3A, {"ZB", "downstream_level", "m"}},
      {0x3B, {"ZU", "reservoir_level", "m"}},
      {0x45, {"ZT", "status_bits", ""}},
      {0xF4, {"DRP", "rainfall", "mm"}},  // 12 five-minute amounts of the hour
      {0xF5, {"DRZ1", "water_level_relative", "m"}},
  };
  return table;
}

int bcdDigit(std::uint8_t nibble, std::size_t offset) {
  if (nibble > 9) throw Error(fmt::format("byte {}: {:X} is not a BCD digit", offset, nibble));
  return nibble;
}

// YYMMDDhh mm [ss] in BCD at `p`, China Standard Time -> UTC µs.
std::int64_t bcdTime(const std::vector<std::uint8_t> &b, std::size_t p, bool seconds) {
  std::size_t n = seconds ? 6 : 5;
  if (p + n > b.size()) throw Error(fmt::format("byte {}: time cut short", p));
  int v[6] = {0, 0, 0, 0, 0, 0};
  for (std::size_t i = 0; i < n; ++i)
    v[i] = bcdDigit(b[p + i] >> 4, p + i) * 10 + bcdDigit(b[p + i] & 15, p + i);
  if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 59)
    throw Error(fmt::format("byte {}: not a valid time {:02}{:02}{:02}{:02}{:02}{:02}", p, v[0], v[1], v[2],
                            v[3], v[4], v[5]));
  std::tm tm{};
  tm.tm_year = 100 + v[0];
  tm.tm_mon = v[1] - 1;
  tm.tm_mday = v[2];
  tm.tm_hour = v[3];
  tm.tm_min = v[4];
  tm.tm_sec = v[5];
  return static_cast<std::int64_t>(timegm(&tm)) * 1000000 - kCstOffsetUs;
}

void putBcdTime(std::vector<std::uint8_t> &out, std::int64_t utcUs, bool seconds) {
  std::time_t t = static_cast<std::time_t>((utcUs + kCstOffsetUs) / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  int v[6] = {tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
  for (int i = 0; i < (seconds ? 6 : 5); ++i)
    out.push_back(static_cast<std::uint8_t>((v[i] / 10) << 4 | v[i] % 10));
}

// A BCD value of `len` bytes with `decimals`; all FF = no data; a first byte
// FF = negative.
std::optional<double> bcdValue(const std::vector<std::uint8_t> &b, std::size_t p, std::size_t len,
                               int decimals) {
  if (std::all_of(b.begin() + static_cast<long>(p), b.begin() + static_cast<long>(p + len),
                  [](std::uint8_t x) { return x == 0xFF; }))
    return std::nullopt;
  bool negative = len > 1 && b[p] == 0xFF;
  double v = 0;
  for (std::size_t i = negative ? 1 : 0; i < len; ++i)
    v = v * 100 + bcdDigit(b[p + i] >> 4, p + i) * 10 + bcdDigit(b[p + i] & 15, p + i);
  v /= std::pow(10.0, decimals);
  return negative ? -v : v;
}

void putBcd(std::vector<std::uint8_t> &out, double value, std::size_t len, int decimals) {
  auto scaled = static_cast<long long>(std::llround(std::fabs(value) * std::pow(10.0, decimals)));
  std::vector<std::uint8_t> bytes(len, 0);
  for (std::size_t i = len; i-- > 0;) {
    bytes[i] = static_cast<std::uint8_t>((scaled % 10) | ((scaled / 10 % 10) << 4));
    scaled /= 100;
  }
  if (value < 0) bytes[0] = 0xFF;
  out.insert(out.end(), bytes.begin(), bytes.end());
}

std::string bcdDigits(const std::vector<std::uint8_t> &b, std::size_t p, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    s += static_cast<char>('0' + bcdDigit(b[p + i] >> 4, p + i));
    s += static_cast<char>('0' + bcdDigit(b[p + i] & 15, p + i));
  }
  return s;
}

void putStation(std::vector<std::uint8_t> &out, const std::string &station) {
  if (station.size() != 10 || station.find_first_not_of("0123456789") != std::string::npos)
    throw Error("station address \"" + station + "\" is not 10 digits");
  for (int i = 0; i < 10; i += 2)
    out.push_back(static_cast<std::uint8_t>((station[static_cast<std::size_t>(i)] - '0') << 4 |
                                            (station[static_cast<std::size_t>(i) + 1] - '0')));
}

bool isEndChar(std::uint8_t c) {
  return c == ETX || c == ETB || c == ENQ || c == EOT || c == ACK || c == NAK || c == ESC;
}

}  // namespace

std::uint16_t crc16(const std::uint8_t *data, std::size_t size) {
  std::uint16_t crc = 0xFFFF;
  for (std::size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int b = 0; b < 8; ++b) crc = (crc & 1) ? static_cast<std::uint16_t>((crc >> 1) ^ 0xA001) : crc >> 1;
  }
  return crc;
}

std::vector<std::uint8_t> encode(const Frame &f) {
  std::vector<std::uint8_t> out = {0x7E, 0x7E};
  if (f.up) {
    out.push_back(f.centre);
    putStation(out, f.station);
  } else {
    putStation(out, f.station);
    out.push_back(f.centre);
  }
  out.push_back(static_cast<std::uint8_t>(f.password >> 8));
  out.push_back(static_cast<std::uint8_t>(f.password & 0xFF));
  out.push_back(f.function);
  std::size_t len = f.body.size() + (f.multiPacket ? 3 : 0);
  if (len > 0xFFF) throw Error("SL 651 body of " + std::to_string(len) + " bytes is longer than 4095");
  out.push_back(static_cast<std::uint8_t>((f.up ? 0x00 : 0x80) | (len >> 8)));
  out.push_back(static_cast<std::uint8_t>(len & 0xFF));
  out.push_back(f.multiPacket ? SYN : STX);
  if (f.multiPacket) {
    std::uint32_t packed = static_cast<std::uint32_t>(f.packetTotal & 0xFFF) << 12 | (f.packetSeq & 0xFFF);
    out.push_back(static_cast<std::uint8_t>(packed >> 16));
    out.push_back(static_cast<std::uint8_t>(packed >> 8));
    out.push_back(static_cast<std::uint8_t>(packed));
  }
  out.insert(out.end(), f.body.begin(), f.body.end());
  out.push_back(f.end);
  auto crc = crc16(out.data(), out.size());
  out.push_back(static_cast<std::uint8_t>(crc >> 8));
  out.push_back(static_cast<std::uint8_t>(crc & 0xFF));
  return out;
}

void Framer::feed(const std::uint8_t *data, std::size_t size) {
  buffer_.insert(buffer_.end(), data, data + size);
  // A peer that never sends a header must not grow the buffer without end.
  if (buffer_.size() > maxBuffer_ * 2) {
    errors_.push_back(fmt::format("{} bytes without a complete frame: dropped", buffer_.size() - maxBuffer_));
    buffer_.erase(buffer_.begin(), buffer_.end() - static_cast<long>(maxBuffer_));
  }
}

std::vector<std::string> Framer::takeErrors() {
  std::vector<std::string> out;
  out.swap(errors_);
  return out;
}

std::optional<Frame> Framer::next() {
  for (;;) {
    // Find the header.
    std::size_t start = 0;
    while (start + 1 < buffer_.size() && !(buffer_[start] == 0x7E && buffer_[start + 1] == 0x7E)) ++start;
    if (start > 0) {
      if (start + 1 >= buffer_.size() && buffer_.back() == 0x7E) --start;  // keep a lone 7E: half a header
      if (start > 0) {
        errors_.push_back(fmt::format("{} bytes before a 7E7E header skipped", start));
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<long>(start));
      }
    }
    if (buffer_.size() < kHeader) return std::nullopt;
    std::size_t len = static_cast<std::size_t>(buffer_[11] & 0x0F) << 8 | buffer_[12];
    std::uint8_t dir = buffer_[11] >> 4;
    std::uint8_t startChar = buffer_[13];
    auto drop = [&](const std::string &why) {
      errors_.push_back(why);
      buffer_.erase(buffer_.begin(), buffer_.begin() + 2);  // look for the next header after this one
    };
    if ((dir != 0x0 && dir != 0x8) || (startChar != STX && startChar != SYN) ||
        (startChar == SYN && len < 3)) {
      drop(fmt::format("not an SL 651 frame header (direction {:X}, start char {:02X})", dir, startChar));
      continue;
    }
    std::size_t total = kHeader + len + 1 + 2;
    if (buffer_.size() < total) return std::nullopt;
    std::uint8_t end = buffer_[kHeader + len];
    if (!isEndChar(end)) {
      drop(fmt::format("no end char after a {}-byte body (found {:02X})", len, end));
      continue;
    }
    auto crc = crc16(buffer_.data(), kHeader + len + 1);
    std::uint16_t sent =
        static_cast<std::uint16_t>(buffer_[kHeader + len + 1] << 8 | buffer_[kHeader + len + 2]);
    if (crc != sent) {
      drop(fmt::format("CRC mismatch: frame says {:04X}, bytes give {:04X}", sent, crc));
      continue;
    }
    Frame f;
    f.up = dir == 0;
    std::size_t stationAt = f.up ? 3 : 2;
    f.centre = f.up ? buffer_[2] : buffer_[7];
    try {
      f.station = bcdDigits(buffer_, stationAt, 5);
    } catch (const Error &e) {
      drop(std::string("station address: ") + e.what());
      continue;
    }
    f.password = static_cast<std::uint16_t>(buffer_[8] << 8 | buffer_[9]);
    f.function = buffer_[10];
    f.multiPacket = startChar == SYN;
    std::size_t bodyAt = kHeader;
    if (f.multiPacket) {
      std::uint32_t packed = static_cast<std::uint32_t>(buffer_[14]) << 16 | buffer_[15] << 8 | buffer_[16];
      f.packetTotal = static_cast<std::uint16_t>(packed >> 12);
      f.packetSeq = static_cast<std::uint16_t>(packed & 0xFFF);
      bodyAt += 3;
    }
    f.body.assign(buffer_.begin() + static_cast<long>(bodyAt),
                  buffer_.begin() + static_cast<long>(kHeader + len));
    f.end = end;
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<long>(total));
    return f;
  }
}

Message decode(const Frame &frame) {
  const auto &b = frame.body;
  Message m;
  if (b.size() < 8)
    throw Error(
        fmt::format("function {:02X}: body of {} bytes has no serial and time", frame.function, b.size()));
  m.serial = static_cast<std::uint16_t>(b[0] << 8 | b[1]);
  m.sentAtUs = bcdTime(b, 2, true);
  std::size_t p = 8;
  std::int64_t observedAt = m.sentAtUs, stepUs = 0;
  bool seriesMode = frame.function == 0x31 || frame.function == 0x38;
  bool elementsAllowed = frame.function >= 0x2F && frame.function <= 0x3A;
  while (p < b.size()) {
    std::uint8_t id = b[p];
    if (p + 1 < b.size() && id == b[p + 1] && (id == 0xF0 || id == 0xF1 || id == 0xF2 || id == 0xF3)) {
      std::size_t at = p;
      p += 2;
      switch (id) {
        case 0xF0:
          observedAt = bcdTime(b, p, false);
          p += 5;
          break;
        case 0xF1:
          if (p + 5 > b.size()) throw Error(fmt::format("byte {}: station address cut short", at));
          m.station = bcdDigits(b, p, 5);
          p += 5;
          if (p < b.size() && frame.function != 0x45 && frame.function < 0x40)
            m.stationType = static_cast<char>(b[p++]);
          break;
        case 0xF2:
          m.text.assign(b.begin() + static_cast<long>(p), b.end());
          p = b.size();
          break;
        case 0xF3:  // a picture: not a reading; the bytes are left to a picture store
          p = b.size();
          break;
      }
      continue;
    }
    if (!elementsAllowed) {
      // Configuration and other answers: a different identifier table.
      if (frame.function == 0x45 && p + 1 <= b.size()) {
        std::size_t n = b[p];
        m.text.assign(b.begin() + static_cast<long>(std::min(b.size(), p + 1)),
                      b.begin() + static_cast<long>(std::min(b.size(), p + 1 + n)));
      }
      break;
    }
    if (p + 2 > b.size())
      throw Error(fmt::format("byte {}: element {:02X} without its data definition", p, id));
    std::uint8_t def = b[p + 1];
    std::size_t len = def >> 3;
    int decimals = def & 7;
    if (id == 0xF4) len = 12;
    if (id >= 0xF5 && id <= 0xFC) len = 24;
    std::size_t at = p;
    p += 2;
    if (id == 0x04) {  // time step: DDHHMM
      if (p + 3 > b.size()) throw Error(fmt::format("byte {}: time step cut short", at));
      auto d = bcdValue(b, p, 1, 0), h = bcdValue(b, p + 1, 1, 0), mi = bcdValue(b, p + 2, 1, 0);
      stepUs = static_cast<std::int64_t>(((d.value_or(0) * 24 + h.value_or(0)) * 60 + mi.value_or(0)) * 60e6);
      p += 3;
      continue;
    }
    if (len == 0)
      throw Error(fmt::format("byte {}: element {:02X} has a zero-length data definition", at, id));
    if (p + len > b.size())
      throw Error(fmt::format("byte {}: element {:02X} needs {} bytes, {} left", at, id, len, b.size() - p));
    Element e;
    e.id = id;
    auto info = elements().find(id);
    e.name = info != elements().end() ? info->second.name : fmt::format("{:02X}", id);
    e.quantity = info != elements().end() ? info->second.quantity : "";
    e.unit = info != elements().end() ? info->second.unit : "";
    e.observedAtUs = observedAt;
    if (id == 0xF4) {  // 12 x 1 byte HEX, 0.1 mm
      for (std::size_t i = 0; i < 12; ++i)
        e.values.push_back(b[p + i] == 0xFF ? std::nullopt : std::optional<double>(b[p + i] / 10.0));
      e.stepUs = 5 * 60 * 1000000LL;
    } else if (id >= 0xF5 && id <= 0xFC) {  // 12 x 2 bytes HEX, 0.01 m
      for (std::size_t i = 0; i < 12; ++i) {
        int v = b[p + 2 * i] << 8 | b[p + 2 * i + 1];
        e.values.push_back(v == 0xFFFF ? std::nullopt : std::optional<double>(v / 100.0));
      }
      e.stepUs = 5 * 60 * 1000000LL;
    } else if (id == 0x45) {  // status and alarm bits, HEX
      double v = 0;
      for (std::size_t i = 0; i < len; ++i) v = v * 256 + b[p + i];
      e.values.push_back(v);
    } else if (seriesMode && stepUs > 0) {
      // Equal-interval data: this element's values follow one another to the end.
      std::size_t n = (b.size() - p) / len;
      for (std::size_t i = 0; i < n; ++i) e.values.push_back(bcdValue(b, p + i * len, len, decimals));
      e.stepUs = stepUs;
      len = n * len;
    } else {
      e.values.push_back(bcdValue(b, p, len, decimals));
    }
    p += len;
    m.elements.push_back(std::move(e));
  }
  return m;
}

std::vector<wire::Reading> toReadings(const Message &message, const std::string &sensorPrefix) {
  std::vector<wire::Reading> out;
  for (const auto &e : message.elements) {
    if (e.quantity.empty()) continue;
    for (std::size_t i = 0; i < e.values.size(); ++i) {
      if (!e.values[i]) continue;
      wire::Reading r;
      r.set_sensor_id(sensorPrefix + message.station);
      r.set_quantity(e.quantity);
      r.set_value(*e.values[i]);
      r.set_unit(e.unit);
      r.set_observed_at_us(e.observedAtUs + static_cast<std::int64_t>(i) * e.stepUs);
      out.push_back(std::move(r));
    }
  }
  return out;
}

Frame reply(const Frame &received, std::uint16_t serial, std::int64_t nowUs, std::uint8_t end) {
  Frame f;
  f.up = false;
  f.centre = received.centre;
  f.station = received.station;
  f.password = received.password;
  f.function = received.function;
  f.body = {static_cast<std::uint8_t>(serial >> 8), static_cast<std::uint8_t>(serial & 0xFF)};
  putBcdTime(f.body, nowUs, true);
  if (received.multiPacket) {
    f.multiPacket = true;
    f.packetTotal = received.packetTotal;
    f.packetSeq = received.packetSeq;
  }
  f.end = end;
  return f;
}

Frame report(std::uint8_t function, const std::string &station, std::uint8_t centre, std::uint16_t serial,
             std::int64_t sentAtUs, std::int64_t observedAtUs, char stationType,
             const std::vector<std::pair<std::uint8_t, double>> &values) {
  Frame f;
  f.up = true;
  f.centre = centre;
  f.station = station;
  f.function = function;
  auto &b = f.body;
  b = {static_cast<std::uint8_t>(serial >> 8), static_cast<std::uint8_t>(serial & 0xFF)};
  putBcdTime(b, sentAtUs, true);
  b.push_back(0xF1);
  b.push_back(0xF1);
  putStation(b, station);
  b.push_back(static_cast<std::uint8_t>(stationType));
  b.push_back(0xF0);
  b.push_back(0xF0);
  putBcdTime(b, observedAtUs, false);
  for (const auto &[id, value] : values) {
    // The usual data definitions: levels 4 bytes / 3 decimals, rainfall 3 / 1, voltage 2 / 2, flow 5 / 3.
    std::size_t len = 4;
    int dec = 3;
    if (id == 0x20 || id == 0x26 || id == 0x1A || id == 0x1F) len = 3, dec = 1;
    if (id == 0x38) len = 2, dec = 2;
    if (id == 0x27) len = 5, dec = 3;
    b.push_back(id);
    b.push_back(static_cast<std::uint8_t>(len << 3 | static_cast<std::size_t>(dec)));
    putBcd(b, value, len, dec);
  }
  f.end = ETX;
  return f;
}

std::string hex(const std::vector<std::uint8_t> &bytes) {
  std::string s;
  for (auto x : bytes) s += fmt::format("{:02X}", x);
  return s;
}

std::vector<std::uint8_t> unhex(const std::string &text) {
  std::vector<std::uint8_t> out;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (text.size() % 2) throw Error("odd number of hex digits");
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int hi = digit(text[i]), lo = digit(text[i + 1]);
    if (hi < 0 || lo < 0) throw Error(fmt::format("position {}: not a hex digit", i));
    out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  return out;
}

}  // namespace liandong::ingest::sl651
