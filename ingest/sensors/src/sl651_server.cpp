// The SL 651 TCP listener (see sl651_server.h).
#include "liandong/ingest/sensors/sl651_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "liandong/core/logging.h"

namespace liandong::ingest {

std::optional<Sl651Options> readSl651Options(const ConfigNode &node) {
  auto n = node.optionalChild("sl651");
  if (!n) return std::nullopt;
  Sl651Options o;
  o.host = n->str("host", "127.0.0.1");
  o.port = static_cast<int>(n->integer("port"));
  if (o.port < 1 || o.port > 65535) n->fail("port", "must be 1..65535");
  o.keepLink = n->choice("reply", {"eot", "esc"}, "eot") == "esc";
  o.idleTimeoutS = static_cast<int>(n->integer("idle_timeout_s", 120));
  for (const auto &s : n->list("stations")) {
    Sl651Station st;
    st.address = s.literal("address");
    if (st.address.size() != 10 || st.address.find_first_not_of("0123456789") != std::string::npos)
      s.fail("address", "must be the station's 10-digit address");
    st.sensorId = s.str("sensor_id", st.address);
    st.latitude = s.number("latitude", 0);
    st.longitude = s.number("longitude", 0);
    o.stations.push_back(st);
  }
  if (o.stations.empty()) n->fail("stations", "no station is listed; list every station allowed to report");
  return o;
}

Sl651Server::Sl651Server(Sl651Options options) : options_(std::move(options)), log_(logging::get("sl651")) {
  for (const auto &s : options_.stations) byAddress_[s.address] = &s;
  listener_ = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listener_) throw SystemError("sl651: socket", errno);
  int one = 1;
  ::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(options_.port));
  if (::inet_pton(AF_INET, options_.host.c_str(), &addr.sin_addr) != 1)
    throw Error("sl651: host \"" + options_.host + "\" is not an IPv4 address");
  if (::bind(listener_.get(), reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 ||
      ::listen(listener_.get(), 64) != 0)
    throw SystemError(fmt::format("sl651: cannot listen on {}:{}", options_.host, options_.port), errno);
  socklen_t len = sizeof addr;
  ::getsockname(listener_.get(), reinterpret_cast<sockaddr *>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  log_->info("SL 651 listening on {}:{} for {} stations", options_.host, port_, options_.stations.size());
}

Sl651Server::~Sl651Server() = default;

void Sl651Server::accept() {
  for (;;) {
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    Fd fd(
        ::accept4(listener_.get(), reinterpret_cast<sockaddr *>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) return;
    char ip[INET_ADDRSTRLEN] = "?";
    ::inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
    if (connections_.size() >= options_.maxConnections) {
      log_->warn("SL 651 connection from {} refused: {} connections already", ip, connections_.size());
      continue;
    }
    auto c = std::make_unique<Connection>();
    c->fd = std::move(fd);
    c->peer = fmt::format("{}:{}", ip, ntohs(peer.sin_port));
    c->lastActivityMs = steadyMs();
    connections_.push_back(std::move(c));
    ++stats_.connections;
  }
}

void Sl651Server::serve(Connection &c, std::vector<wire::Reading> &out) {
  std::uint8_t buf[4096];
  for (;;) {
    auto n = ::recv(c.fd.get(), buf, sizeof buf, 0);
    if (n > 0) {
      c.framer.feed(buf, static_cast<std::size_t>(n));
      c.lastActivityMs = steadyMs();
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) c.closing = true;
    break;
  }
  while (auto frame = c.framer.next()) {
    ++stats_.frames;
    auto station = byAddress_.find(frame->station);
    if (station == byAddress_.end() || !frame->up) {
      log_->warn("SL 651 frame from unlisted station {} ({}): connection closed", frame->station, c.peer);
      ++stats_.refused;
      c.closing = true;
      return;
    }
    try {
      auto message = sl651::decode(*frame);
      for (auto &r : sl651::toReadings(message)) {
        r.set_sensor_id(
            station->second->sensorId +
            (r.quantity() == "water_level" || r.quantity() == "rainfall" ? "" : ":" + r.quantity()));
        r.set_latitude(station->second->latitude);
        r.set_longitude(station->second->longitude);
        out.push_back(std::move(r));
        ++stats_.readings;
      }
      // Reports and answers get a reply; a keep-alive (2F) does not.
      if (frame->function != 0x2F) {
        auto reply = sl651::encode(sl651::reply(*frame, serial_++, nowUs(),
                                                frame->multiPacket && frame->packetSeq < frame->packetTotal
                                                    ? sl651::ACK
                                                    : (options_.keepLink ? sl651::ESC : sl651::EOT)));
        if (::send(c.fd.get(), reply.data(), reply.size(), MSG_NOSIGNAL) < 0) c.closing = true;
      }
    } catch (const Error &e) {
      ++stats_.badFrames;
      log_->warn("SL 651 frame {:02X} from station {} ({}) not decoded: {}", frame->function, frame->station,
                 c.peer, e.what());
      auto nak = sl651::encode(sl651::reply(*frame, serial_++, nowUs(), sl651::NAK));
      ::send(c.fd.get(), nak.data(), nak.size(), MSG_NOSIGNAL);
    }
  }
  for (const auto &e : c.framer.takeErrors()) {
    ++stats_.badFrames;
    log_->warn("SL 651 from {}: {}", c.peer, e);
  }
}

std::vector<wire::Reading> Sl651Server::poll(int timeoutMs) {
  std::vector<pollfd> fds;
  fds.push_back({listener_.get(), POLLIN, 0});
  for (const auto &c : connections_) fds.push_back({c->fd.get(), POLLIN, 0});
  ::poll(fds.data(), fds.size(), timeoutMs);
  std::vector<wire::Reading> out;
  if (fds[0].revents & POLLIN) accept();
  for (std::size_t i = 1; i < fds.size(); ++i)
    if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) serve(*connections_[i - 1], out);
  auto now = steadyMs();
  std::erase_if(connections_, [&](const auto &c) {
    return c->closing || now - c->lastActivityMs > static_cast<std::int64_t>(options_.idleTimeoutS) * 1000;
  });
  return out;
}

}  // namespace liandong::ingest
