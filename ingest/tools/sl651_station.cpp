// liandong-sl651-station: a simulated SL 651-2014 telemetry station for the
// demo and the tests. Connects to a centre (or an ingest node) over TCP,
// sends a report every interval — function 32 (timed) with the river level
// (Z, tide-affected, with an optional storm surge), current rainfall (PJ) and
// supply voltage (VT) — waits for the reply, and hangs up on EOT as an M2
// station does. Reconnects when the link is down.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <random>
#include <thread>

#include <CLI/CLI.hpp>

#include "liandong/core/clock.h"
#include "liandong/core/daemon.h"
#include "liandong/core/errors.h"
#include "liandong/core/fd.h"
#include "liandong/ingest/sensors/sl651.h"

using namespace liandong;
using namespace liandong::ingest;

namespace {

Fd connectTo(const std::string &host, int port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fd;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) throw Error("not an IPv4 address: " + host);
  if (::connect(fd.get(), reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) return Fd();
  return fd;
}

// Waits for one complete frame (the centre's reply) for up to `timeoutMs`.
std::optional<sl651::Frame> awaitReply(int fd, int timeoutMs) {
  sl651::Framer framer;
  auto deadline = steadyMs() + timeoutMs;
  std::uint8_t buf[1024];
  while (steadyMs() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(deadline - steadyMs())) <= 0) continue;
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return std::nullopt;
    framer.feed(buf, static_cast<std::size_t>(n));
    if (auto f = framer.next()) return f;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"Simulated SL 651-2014 telemetry station"};
  std::string host = "127.0.0.1", station;
  int port = 0, count = 0, centre = 1;
  double interval = 5, base = 1.2, amplitude = 0.9, period = 600, surgeAt = -1, surge = 0, rain = 0;
  app.add_option("--host", host)->default_val("127.0.0.1");
  app.add_option("--port", port, "the centre's SL 651 port")->required();
  app.add_option("--station", station, "10-digit station address")->required();
  app.add_option("--centre", centre, "centre address (1 byte)")->default_val(1);
  app.add_option("--interval-s", interval, "seconds between reports")->default_val(5);
  app.add_option("--count", count, "reports to send, then exit (0 = until stopped)")->default_val(0);
  app.add_option("--base", base, "mean river level (m)")->default_val(1.2);
  app.add_option("--amplitude", amplitude, "tide amplitude (m)")->default_val(0.9);
  app.add_option("--period-s", period, "tide period (s)")->default_val(600);
  app.add_option("--surge-after-s", surgeAt, "a storm surge starts this many seconds in (-1: none)")
      ->default_val(-1);
  app.add_option("--surge", surge, "storm surge height (m)")->default_val(0);
  app.add_option("--rain", rain, "rain rate (mm/h)")->default_val(0);
  CLI11_PARSE(app, argc, argv);
  if (station.size() != 10 || station.find_first_not_of("0123456789") != std::string::npos) {
    std::fprintf(stderr, "liandong-sl651-station: --station must be 10 digits\n");
    return kExitConfig;
  }
  const auto &stop = installStopSignals();
  std::mt19937 rng(std::hash<std::string>{}(station));
  std::normal_distribution<double> noise(0, 0.005);
  auto start = nowUs();
  std::uint16_t serial = 1;
  int sent = 0, acknowledged = 0;
  while (!stop && (count == 0 || sent < count)) {
    auto now = nowUs();
    double t = static_cast<double>(now - start) / 1e6;
    double level = base + amplitude * std::sin(2 * M_PI * t / period) + noise(rng);
    if (surgeAt >= 0 && t >= surgeAt) level += surge * std::min(1.0, (t - surgeAt) / 60.0);
    double pj = rain * interval / 3600.0;
    auto frame = sl651::report(0x32, station, static_cast<std::uint8_t>(centre), serial++, now, now, 'H',
                               {{0x39, level}, {0x20, pj}, {0x38, 12.6 - t / 86400.0}});
    auto bytes = sl651::encode(frame);
    ++sent;
    try {
      auto fd = connectTo(host, port);
      if (!fd) {
        std::fprintf(stderr, "station %s: centre %s:%d unreachable, report %d kept for later\n",
                     station.c_str(), host.c_str(), port, sent);
      } else if (::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                 static_cast<ssize_t>(bytes.size())) {
        auto reply = awaitReply(fd.get(), 5000);
        if (reply && !reply->up && reply->function == 0x32) {
          ++acknowledged;
          std::printf("station %s: report %d (level %.3f m) acknowledged (%s)\n", station.c_str(), sent,
                      level, reply->end == sl651::EOT ? "EOT" : "ESC");
          std::fflush(stdout);
        } else {
          std::fprintf(stderr, "station %s: no reply to report %d\n", station.c_str(), sent);
        }
      }
    } catch (const Error &e) {
      std::fprintf(stderr, "liandong-sl651-station: %s\n", e.what());
      return kExitConfig;
    }
    auto until = steadyMs() + static_cast<std::int64_t>(interval * 1000);
    while (!stop && steadyMs() < until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::printf("station %s: %d reports sent, %d acknowledged\n", station.c_str(), sent, acknowledged);
  return acknowledged == sent ? 0 : 1;
}
