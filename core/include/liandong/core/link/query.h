// Request/reply queries between a console and a centre (map tiles, assets
// near a point): a CURVE ROUTER served by one worker thread on the centre, a
// CURVE DEALER with a timeout on the console. One `Query` frame in, one
// `QueryReply` frame out, matched by request id; a malformed or oversized
// request gets an error reply, never silence.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "liandong.pb.h"
#include "liandong/core/curve_keys.h"

namespace spdlog {
class logger;
}

namespace liandong::link {

// Answers one query for the peer known by `peerId` (its admitted key's id).
// Exceptions become an error reply with the exception's first line.
using QueryHandler = std::function<void(const std::string &peerId, const wire::Query &, wire::QueryReply &)>;

class QueryServer {
public:
  // Needs a ZapAuthenticator in `context`. Binds now (throws Error on a bad
  // endpoint); serves on its own thread until destroyed.
  QueryServer(zmq::context_t &context, const std::string &endpoint, const CurveKeyPair &keys,
              QueryHandler handler);
  ~QueryServer();
  QueryServer(const QueryServer &) = delete;
  QueryServer &operator=(const QueryServer &) = delete;
  std::uint64_t served() const { return served_.load(); }

private:
  void serve();
  zmq::socket_t socket_;
  QueryHandler handler_;
  std::shared_ptr<spdlog::logger> log_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> served_{0};
  std::thread thread_;
};

class QueryClient {
public:
  QueryClient(zmq::context_t &context, const std::string &endpoint, const std::string &serverPublicZ85,
              const CurveKeyPair &keys);
  // Sends the query and waits for the reply. Its request_id is set here
  // unless the caller gave one; ids start at a random number, so a restarted
  // client does not reuse an earlier run's. Without a reply after a third of
  // the timeout the same request is sent again (twice at most): the centre
  // answers a resent change with its first answer, never applying it twice.
  // Throws Error on a timeout (the server is unreachable or refused the key)
  // or when the reply carries an error.
  wire::QueryReply call(wire::Query query, int timeoutMs = 5000);

private:
  zmq::socket_t socket_;
  std::uint64_t nextId_;
  std::string endpoint_;
};

}  // namespace liandong::link
