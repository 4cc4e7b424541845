// Camera host names looked up off the live loop's I/O thread (private to the
// camera library; live_loop.h): a lookup (getaddrinfo, which can block for
// the system resolver's whole timeout when a name server does not answer)
// runs on a thread of its own, and its result waits here until the loop,
// woken through fd(), takes it. So a slow or dead name server delays only
// the camera whose name it is asked about, never the other cameras or the
// viewers. Numeric addresses never come here (numericAddress()).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace liandong::ingest {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

// An IPv4 or IPv6 address written as numbers (no lookup), or nullopt.
std::optional<SocketAddress> numericAddress(const std::string &host, int port);

class Resolver {
public:
  struct Result {
    int stream = -1;
    std::uint64_t attempt = 0;
    std::optional<SocketAddress> address;  // the first one the system gave
    std::string error;                     // when there is none: one line
  };

  Resolver();  // throws Error when it cannot make its eventfd
  // Lookups still running finish on their own threads, which own what they
  // touch (nothing of this object); their results are dropped.
  ~Resolver();
  Resolver(const Resolver &) = delete;
  Resolver &operator=(const Resolver &) = delete;

  // Readable (EPOLLIN) when results wait.
  int fd() const;
  // Starts looking `host` up for the stream's attempt (any thread).
  void lookup(int stream, std::uint64_t attempt, const std::string &host, int port);
  // The finished lookups, oldest first; clears fd()'s readiness.
  std::vector<Result> take();

private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
};

}  // namespace liandong::ingest
