// Camera host names looked up off the live loop's thread (see resolver.h).
#include "resolver.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "liandong/core/errors.h"
#include "liandong/core/fd.h"

namespace liandong::ingest {

std::optional<SocketAddress> numericAddress(const std::string &host, int port) {
  SocketAddress a;
  auto *v4 = reinterpret_cast<sockaddr_in *>(&a.storage);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
    a.length = sizeof(sockaddr_in);
    return a;
  }
  auto *v6 = reinterpret_cast<sockaddr_in6 *>(&a.storage);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
    a.length = sizeof(sockaddr_in6);
    return a;
  }
  return std::nullopt;
}

// Owned together by the resolver and every lookup thread: a thread that
// outlives the resolver still has somewhere to put its result.
struct Resolver::Shared {
  Fd event;
  std::mutex mu;
  std::vector<Result> done;  // under mu
};

namespace {

// On a lookup's own thread: the system's resolver, however long it takes.
Resolver::Result resolve(int stream, std::uint64_t attempt, const std::string &host, int port) {
  Resolver::Result r;
  r.stream = stream;
  r.attempt = attempt;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo *res = nullptr;
  auto service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    r.error = fmt::format("cannot resolve {}: {}", host, gai_strerror(rc));
    return r;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
  if (!res || res->ai_addrlen > sizeof(sockaddr_storage)) {
    r.error = fmt::format("cannot resolve {}: no address", host);
    return r;
  }
  SocketAddress a;
  std::memcpy(&a.storage, res->ai_addr, res->ai_addrlen);
  a.length = res->ai_addrlen;
  r.address = a;
  return r;
}

}  // namespace

Resolver::Resolver() : shared_(std::make_shared<Shared>()) {
  shared_->event = Fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!shared_->event) throw SystemError("camera name lookups: eventfd", errno);
}

Resolver::~Resolver() = default;

int Resolver::fd() const {
  return shared_->event.get();
}

void Resolver::lookup(int stream, std::uint64_t attempt, const std::string &host, int port) {
  // Detached: a lookup may outlast the node's stop by the resolver's
  // timeout, and nobody should wait for that. It catches what it can
  // throw and touches only `shared`.
  std::thread([shared = shared_, stream, attempt, host, port] {
    Result r;
    try {
      r = resolve(stream, attempt, host, port);
    } catch (const std::exception &e) {
      r.stream = stream;
      r.attempt = attempt;
      r.error = fmt::format("cannot resolve {}: {}", host, e.what());
    }
    {
      std::lock_guard lock(shared->mu);
      shared->done.push_back(std::move(r));
    }
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(shared->event.get(), &one, sizeof one);
  }).detach();
}

std::vector<Resolver::Result> Resolver::take() {
  std::uint64_t value;
  [[maybe_unused]] auto n = ::read(shared_->event.get(), &value, sizeof value);
  std::lock_guard lock(shared_->mu);
  return std::exchange(shared_->done, {});
}

}  // namespace liandong::ingest
