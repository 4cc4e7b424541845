// The ingest node's SL 651 listener: telemetry stations connect over TCP (as
// they do to a centre station), send HEX/BCD frames and expect a reply per
// report. Only the stations listed in the configuration are served: a frame
// from an unlisted address is logged with the peer and the connection closed.
// Readings come out of poll(); each report is answered (EOT by default, so
// the station hangs up as in the M2 working mode). Non-blocking, one thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "liandong.pb.h"
#include "liandong/core/config.h"
#include "liandong/core/fd.h"
#include "liandong/ingest/sensors/sl651.h"

namespace spdlog {
class logger;
}

namespace liandong::ingest {

struct Sl651Station {
  std::string address;   // 10 digits
  std::string sensorId;  // the Liandong sensor id of its readings (prefix for several quantities)
  double latitude = 0, longitude = 0;
};

struct Sl651Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::vector<Sl651Station> stations;
  bool keepLink = false;  // reply ESC (keep the connection) instead of EOT
  int idleTimeoutS = 120;
  std::size_t maxConnections = 256;
};

// Reads the `sl651:` section of a node configuration (nullopt when absent).
std::optional<Sl651Options> readSl651Options(const ConfigNode &node);

struct Sl651Stats {
  std::uint64_t frames = 0, readings = 0, refused = 0, badFrames = 0, connections = 0;
};

class Sl651Server {
public:
  explicit Sl651Server(Sl651Options options);  // binds; throws Error naming the address
  ~Sl651Server();
  Sl651Server(const Sl651Server &) = delete;
  Sl651Server &operator=(const Sl651Server &) = delete;
  // Waits up to `timeoutMs` for traffic; returns the readings decoded.
  std::vector<wire::Reading> poll(int timeoutMs);
  int port() const { return port_; }
  const Sl651Stats &stats() const { return stats_; }

private:
  struct Connection {
    Fd fd;
    std::string peer;
    sl651::Framer framer;
    std::int64_t lastActivityMs = 0;
    bool closing = false;
  };
  void accept();
  void serve(Connection &c, std::vector<wire::Reading> &out);

  Sl651Options options_;
  std::map<std::string, const Sl651Station *> byAddress_;
  std::shared_ptr<spdlog::logger> log_;
  Fd listener_;
  int port_ = 0;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::uint16_t serial_ = 1;
  Sl651Stats stats_;
};

}  // namespace liandong::ingest
