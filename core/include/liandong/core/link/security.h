// CURVE on every ZeroMQ socket, and the ZAP handler that admits only the
// public keys listed in the deployment configuration. A refused key is
// logged with its fingerprint and the peer's address, never in full.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "liandong/core/curve_keys.h"

namespace spdlog {
class logger;
}

namespace liandong::link {

// The ZAP domain every Liandong server socket uses.
inline constexpr const char *kZapDomain = "liandong";

// Makes `socket` a CURVE server with `keys` (the secret is required).
void makeCurveServer(zmq::socket_t &socket, const CurveKeyPair &keys);
// Makes `socket` a CURVE client of the server with public key `serverPublicZ85`.
void makeCurveClient(zmq::socket_t &socket, const CurveKeyPair &keys, const std::string &serverPublicZ85);

// Binds, turning "address in use" and friends into a one-line Error naming the endpoint.
void bindOrThrow(zmq::socket_t &socket, const std::string &endpoint, const std::string &purpose);

// The ZAP handler of one context. Construct it before binding any server
// socket in that context; it serves until destroyed.
class ZapAuthenticator {
public:
  // admitted: public key (Z85) -> the id the peer is known by.
  ZapAuthenticator(zmq::context_t &context, std::map<std::string, std::string> admitted);
  ~ZapAuthenticator();
  ZapAuthenticator(const ZapAuthenticator &) = delete;
  ZapAuthenticator &operator=(const ZapAuthenticator &) = delete;

  // Replaces the admitted keys (configuration reload). Thread-safe.
  void setAdmitted(std::map<std::string, std::string> admitted);
  std::uint64_t refusedCount() const { return refused_.load(); }
  std::uint64_t admittedCount() const { return admittedCount_.load(); }

private:
  void serve();

  zmq::socket_t socket_;
  std::shared_ptr<spdlog::logger> log_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> admitted_;  // binary key (32 bytes) -> id
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint64_t> admittedCount_{0};
  std::thread thread_;
};

}  // namespace liandong::link
