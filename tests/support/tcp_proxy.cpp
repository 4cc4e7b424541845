// The fault-injecting TCP proxy (see tcp_proxy.h).
#include "tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace liandong::testing {

namespace {
bool writeAll(int fd, const char *data, ssize_t len) {
  while (len > 0) {
    ssize_t n = ::send(fd, data, static_cast<size_t>(len), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    len -= n;
  }
  return true;
}
}  // namespace

TcpProxy::TcpProxy(int listenPort, int targetPort) : targetPort_(targetPort) {
  listenFd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(listenPort));
  if (::bind(listenFd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 ||
      ::listen(listenFd_, 16) != 0)
    throw std::runtime_error("proxy cannot listen on " + std::to_string(listenPort));
  thread_ = std::thread([this] { run(); });
}

TcpProxy::~TcpProxy() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(listenFd_);
}

void TcpProxy::settle() {
  auto start = rounds_.load();
  while (rounds_.load() < start + 2 && !stop_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}
void TcpProxy::blackhole() {
  mode_ = Mode::Blackhole;
  settle();  // a round already polling for data must not forward what arrives next
}
void TcpProxy::reset() {
  mode_ = Mode::Refuse;
  resetRequested_ = true;
  settle();
}
void TcpProxy::restore() {
  mode_ = Mode::Forward;
}

void TcpProxy::run() {
  struct Pair {
    int client, server;
  };
  std::vector<Pair> pairs;
  auto closeAll = [&] {
    for (auto &p : pairs) {
      ::close(p.client);
      ::close(p.server);
    }
    pairs.clear();
  };
  char buf[65536];
  for (; !stop_; ++rounds_) {
    if (resetRequested_.exchange(false)) closeAll();
    std::vector<pollfd> fds{{listenFd_, POLLIN, 0}};
    bool forwarding = mode_ == Mode::Forward;
    for (auto &p : pairs) {
      fds.push_back({p.client, static_cast<short>(forwarding ? POLLIN : 0), 0});
      fds.push_back({p.server, static_cast<short>(forwarding ? POLLIN : 0), 0});
    }
    if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
    const std::size_t polled = pairs.size();  // pairs accepted below were not polled this round
    if (fds[0].revents & POLLIN) {
      int c = ::accept(listenFd_, nullptr, nullptr);
      if (c >= 0) {
        if (mode_ == Mode::Refuse) {
          ::close(c);
        } else {
          int s = ::socket(AF_INET, SOCK_STREAM, 0);
          sockaddr_in addr{};
          addr.sin_family = AF_INET;
          addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
          addr.sin_port = htons(static_cast<uint16_t>(targetPort_));
          if (::connect(s, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0) {
            pairs.push_back({c, s});
            ++accepted_;
          } else {
            ::close(s);
            ::close(c);
          }
        }
      }
    }
    std::vector<std::size_t> dead;
    for (std::size_t i = 0; i < polled; ++i) {
      auto &p = pairs[i];
      auto &cf = fds[1 + 2 * i], &sf = fds[2 + 2 * i];
      bool ok = true;
      if (cf.revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = ::recv(p.client, buf, sizeof buf, 0);
        ok = n > 0 && writeAll(p.server, buf, n);
      }
      if (ok && (sf.revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = ::recv(p.server, buf, sizeof buf, 0);
        ok = n > 0 && writeAll(p.client, buf, n);
      }
      if (!ok) dead.push_back(i);
    }
    for (auto it = dead.rbegin(); it != dead.rend(); ++it) {
      ::close(pairs[*it].client);
      ::close(pairs[*it].server);
      pairs.erase(pairs.begin() + static_cast<std::ptrdiff_t>(*it));
    }
  }
  closeAll();
}

}  // namespace liandong::testing
