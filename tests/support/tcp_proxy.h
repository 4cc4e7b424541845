// A loopback TCP proxy for fault tests: forwards listenPort -> targetPort and
// can black-hole the traffic (a WAN link that silently stops), reset every
// connection (a link that comes back after the peers' TCP gave up), and restore.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace liandong::testing {

class TcpProxy {
public:
  TcpProxy(int listenPort, int targetPort);
  ~TcpProxy();
  TcpProxy(const TcpProxy &) = delete;
  TcpProxy &operator=(const TcpProxy &) = delete;

  void blackhole();  // stop forwarding (connections stay open, bytes wait)
  void reset();      // close every connection; refuse new ones until restore()
  void restore();    // forward again
  int connectionsAccepted() const { return accepted_.load(); }

private:
  void run();
  enum class Mode { Forward, Blackhole, Refuse };
  int listenFd_ = -1;
  int targetPort_;
  std::atomic<Mode> mode_{Mode::Forward};
  std::atomic<bool> resetRequested_{false};
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::atomic<std::uint64_t> rounds_{0};  // loop rounds completed by the proxy thread
  // Returns once a round that began after the last mode change has finished,
  // so nothing more is forwarded under the old mode.
  void settle();
  std::thread thread_;
};

}  // namespace liandong::testing
