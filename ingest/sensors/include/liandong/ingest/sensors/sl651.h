// SL 651-2014 hydrological telemetry, HEX/BCD encoding: a streaming framer
// (7E7E header, addresses, password, function code, direction and 12-bit
// length, STX or SYN with packet numbers, end char, CRC-16/MODBUS sent high
// byte first), the body decoder for reports and answers (serial, send time,
// station, observation times, elements with their data-definition byte,
// 5-minute series, "no data", negative values), the conversion to Liandong
// readings, and the centre's replies (ACK/EOT) and a station's frames (for
// the simulator). Bad bytes never throw out of the framer: they are skipped
// and reported, and the framer finds the next header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "liandong.pb.h"

namespace liandong::ingest::sl651 {

enum EndChar : std::uint8_t {
  STX = 0x02,
  ETX = 0x03,
  EOT = 0x04,
  ENQ = 0x05,
  ACK = 0x06,
  SYN = 0x16,
  ETB = 0x17,
  NAK = 0x15,
  ESC = 0x1B
};

struct Frame {
  bool up = true;           // station -> centre
  std::uint8_t centre = 0;  // centre address
  std::string station;      // 10 BCD digits
  std::uint16_t password = 0;
  std::uint8_t function = 0;
  bool multiPacket = false;  // SYN
  std::uint16_t packetTotal = 0, packetSeq = 0;
  std::vector<std::uint8_t> body;  // after STX (and the 3 packet bytes), before the end char
  std::uint8_t end = ETX;
};

std::uint16_t crc16(const std::uint8_t *data, std::size_t size);  // CRC-16/MODBUS
// The whole frame, CRC included.
std::vector<std::uint8_t> encode(const Frame &frame);

class Framer {
public:
  // Appends bytes; complete frames are returned by next().
  void feed(const std::uint8_t *data, std::size_t size);
  // The next complete, CRC-checked frame, or nullopt when more bytes are
  // needed. Garbage and frames with a bad CRC or end char are skipped; each
  // skip adds a one-line reason to errors().
  std::optional<Frame> next();
  std::vector<std::string> takeErrors();
  std::size_t buffered() const { return buffer_.size(); }

private:
  std::vector<std::uint8_t> buffer_;
  std::vector<std::string> errors_;
  std::size_t maxBuffer_ = 8192;
};

struct Element {
  std::uint8_t id = 0;
  std::string name;      // PJ, PT, Z, VT, DRP, ...
  std::string quantity;  // Liandong quantity ("rainfall", "water_level", ...); "" when not a reading
  std::string unit;
  std::int64_t observedAtUs = 0;
  std::vector<std::optional<double>> values;  // one, or a series; nullopt = "no data"
  std::int64_t stepUs = 0;                    // between series values
};

struct Message {
  std::uint16_t serial = 0;
  std::int64_t sentAtUs = 0;
  std::string station;
  char stationType = 0;  // 'H' river, 'P' rain, ...
  std::vector<Element> elements;
  std::string text;  // manual entry (35), software version (45)
};

// Decodes the body of an uplink frame (functions 2F-3A: reports and data
// answers; others: serial, time and station only). Times are China Standard
// Time (UTC+8), as stations send them. Throws Error naming the byte offset.
Message decode(const Frame &frame);

// The readings of a message (series values spaced by their step).
std::vector<wire::Reading> toReadings(const Message &message, const std::string &sensorPrefix = "");

// The centre's reply to an uplink frame: same function, serial and a send
// time; `end` EOT (done, hang up) or ESC (keep the link), ACK for a packet.
Frame reply(const Frame &received, std::uint16_t serial, std::int64_t nowUs, std::uint8_t end = EOT);

// A station's report (for the simulator and tests): function 32 timed or 33
// added report with the given element values (id, value) at one time.
Frame report(std::uint8_t function, const std::string &station, std::uint8_t centre, std::uint16_t serial,
             std::int64_t sentAtUs, std::int64_t observedAtUs, char stationType,
             const std::vector<std::pair<std::uint8_t, double>> &values);

std::string hex(const std::vector<std::uint8_t> &bytes);
std::vector<std::uint8_t> unhex(const std::string &text);  // throws Error on a bad digit

}  // namespace liandong::ingest::sl651
