// The live loop (see live_loop.h): set-up, the epoll loop on the I/O
// thread, commands from other threads, timers, and LiveLoop's own methods.
// The camera sessions are in camera_session.cpp, the viewers' in
// viewer_session.cpp.
#include "live_loop.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "live_loop_impl.h"

namespace liandong::ingest {

namespace live {

std::int64_t steadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string errnoText(int e) {
  return std::strerror(e);
}

std::string randomHex(std::mt19937_64 &rng, int digits) {
  std::string s;
  while (static_cast<int>(s.size()) < digits) s += fmt::format("{:016x}", rng());
  return s.substr(0, static_cast<std::size_t>(digits));
}

void wr16(char *p, std::uint16_t v) {
  p[0] = static_cast<char>(v >> 8);
  p[1] = static_cast<char>(v);
}

void wr32(char *p, std::uint32_t v) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}

}  // namespace live

using namespace live;

namespace {
constexpr std::int64_t kStuckViewerMs = 30000;  // nothing written for this long: the viewer is gone
}  // namespace

void LiveLoop::Impl::listen(const std::string &host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo *res = nullptr;
  auto service = std::to_string(port);
  // Before the I/O thread starts (the only lookup on this side of the
  // loop): the node's own listen address.
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0)
    throw Error(fmt::format("cannot serve cameras on {}:{}: {}", host, port, gai_strerror(rc)));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
  Fd fd(socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) throw Error(fmt::format("cannot serve cameras: socket: {}", errnoText(errno)));
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd.get(), res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd.get(), 256) != 0)
    throw Error(fmt::format("cannot serve cameras on {}:{}: {}", host, port, errnoText(errno)));
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd.get(), reinterpret_cast<sockaddr *>(&ss), &len);
  boundPort = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6 *>(&ss)->sin6_port
                                             : reinterpret_cast<sockaddr_in *>(&ss)->sin_port);
  listenFd = std::move(fd);
  epollFd = Fd(epoll_create1(EPOLL_CLOEXEC));
  wakeFd = Fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!epollFd || !wakeFd) throw Error("cannot serve cameras: epoll: " + errnoText(errno));
  watch(listenFd.get(), token(kListen, 0), EPOLLIN);
  watch(wakeFd.get(), token(kWake, 0), EPOLLIN);
  watch(resolver.fd(), token(kResolved, 0), EPOLLIN);
}

void LiveLoop::Impl::watch(int fd, std::uint64_t tok, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tok;
  if (epoll_ctl(epollFd.get(), EPOLL_CTL_ADD, fd, &ev) != 0) epoll_ctl(epollFd.get(), EPOLL_CTL_MOD, fd, &ev);
}

void LiveLoop::Impl::unwatch(int fd) {
  if (fd >= 0) epoll_ctl(epollFd.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void LiveLoop::Impl::wake() {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wakeFd.get(), &one, sizeof one);
}

void LiveLoop::Impl::run() {
  std::vector<epoll_event> events(256);
  while (!stopping.load()) {
    int n = epoll_wait(epollFd.get(), events.data(), static_cast<int>(events.size()), 100);
    if (n < 0 && errno != EINTR) {
      log->error("camera relay: epoll: {}", errnoText(errno));
      break;
    }
    for (int i = 0; i < n; ++i) {
      auto tok = events[i].data.u64;
      auto kind = static_cast<Kind>(tok >> 56);
      auto index = tok & ((std::uint64_t(1) << 56) - 1);
      try {
        switch (kind) {
          case kListen: accept(); break;
          case kWake: commandsArrived(); break;
          case kResolved: resolved(); break;
          case kCamera: cameraReady(static_cast<int>(index), events[i].events); break;
          case kUdpRtp: udpReadable(static_cast<int>(index), true); break;
          case kUdpRtcp: udpReadable(static_cast<int>(index), false); break;
          case kViewer: viewerReady(index, events[i].events); break;
        }
      } catch (const std::exception &e) {
        log->error("camera relay: {}", e.what());
      }
    }
    flushDirty();
    if (auto now = steadyMs(); now - lastTimersMs >= 50) {
      lastTimersMs = now;
      timers();
      flushDirty();
    }
  }
  for (auto &s : streams) closeCamera(*s);
  viewers.clear();
}

void LiveLoop::Impl::commandsArrived() {
  std::uint64_t value;
  [[maybe_unused]] auto n = ::read(wakeFd.get(), &value, sizeof value);
  std::vector<Command> todo;
  {
    std::lock_guard lock(mu);
    todo.swap(commands);
  }
  for (auto &c : todo) {
    auto &s = *streams.at(static_cast<std::size_t>(c.stream));
    closeCamera(s);
    if (c.connect) openCamera(s, c);
  }
}

void LiveLoop::Impl::timers() {
  auto now = steadyMs();
  for (auto &sp : streams) {
    auto &s = *sp;
    auto &u = s.up;
    using Phase = CameraSession::Phase;
    if (u.phase == Phase::Idle) continue;
    if (u.phase != Phase::Playing && now > u.deadlineMs) {
      cameraFailed(
          s, u.phase == Phase::Resolving    ? fmt::format("cannot resolve {}: no answer in time", u.url.host)
             : u.phase == Phase::Connecting ? "no answer from the camera (connection timed out)"
                                            : fmt::format("no answer from the camera to {}", u.lastMethod));
    } else if (u.phase == Phase::Playing && now - u.lastKeepaliveMs >= std::max(5, u.timeoutS / 2) * 1000) {
      u.lastKeepaliveMs = now;
      request(s, "OPTIONS", u.requestUrl, {});  // keeps the camera's session alive
    }
  }
  std::vector<std::uint64_t> gone;
  for (auto &[id, v] : viewers) {
    if (v->parked && (now >= v->parkedUntilMs || streamReady(*streams[static_cast<std::size_t>(v->stream)])))
      answerDescribe(*v, *std::exchange(v->parked, std::nullopt));
    if (!v->queue.empty() && now - v->lastProgressMs > kStuckViewerMs) gone.push_back(id);
  }
  for (auto id : gone) {
    log->warn("camera viewer {}:{} took nothing for {} s; closed", viewers[id]->peerIp, viewers[id]->peerPort,
              kStuckViewerMs / 1000);
    dropViewer(id);
  }
}

// ---------------------------------------------------------------------------

LiveLoop::LiveLoop(const std::string &host, int port, std::size_t backlogBytes, Transfer transfer,
                   std::optional<VideoGrantKey> grants)
    : impl_(std::make_unique<Impl>()) {
  impl_->transfer = std::move(transfer);
  impl_->gate = std::make_unique<ViewerGate>(std::move(grants));
  impl_->backlogBytes = backlogBytes;
  impl_->listen(host, port);
}

LiveLoop::~LiveLoop() {
  impl_->stopping = true;
  impl_->wake();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int LiveLoop::port() const {
  return impl_->boundPort;
}

int LiveLoop::add(const std::string &path, LiveHooks hooks, int describeWaitMs) {
  auto s = std::make_unique<Impl::Stream>();
  s->path = path;
  s->hooks = std::move(hooks);
  s->describeWaitMs = describeWaitMs;
  s->index = static_cast<int>(impl_->streams.size());
  s->ssrc = static_cast<std::uint32_t>(impl_->rng());
  int index = static_cast<int>(impl_->streams.size());
  impl_->byPath[path] = index;
  impl_->streams.push_back(std::move(s));
  return index;
}

void LiveLoop::start() {
  impl_->thread = std::thread([impl = impl_.get()] {
    try {
      impl->run();
    } catch (const std::exception &e) {
      impl->log->critical("camera relay stopped: {}", e.what());
    }
  });
}

void LiveLoop::connect(int stream, std::uint64_t attempt, const std::string &url, bool tcp, int timeoutMs) {
  {
    std::lock_guard lock(impl_->mu);
    impl_->commands.push_back({stream, true, attempt, url, tcp, timeoutMs});
  }
  impl_->wake();
}

void LiveLoop::disconnect(int stream) {
  {
    std::lock_guard lock(impl_->mu);
    impl_->commands.push_back({stream, false, 0, {}, true, 0});
  }
  impl_->wake();
}

int LiveLoop::viewers(int stream) const {
  return impl_->streams.at(static_cast<std::size_t>(stream))->viewerCount.load();
}

}  // namespace liandong::ingest
