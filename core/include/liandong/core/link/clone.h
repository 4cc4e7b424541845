// Console fan-out by the "Clone" pattern of the ZeroMQ Guide: a console
// subscribes to sequenced updates, asks for a snapshot of the state, applies
// the updates that come after it, and asks again on a gap, on a centre
// restart (a new centre_run) or after silence. Both sockets use CURVE with
// the centre's admitted keys.
//
// CloneServer lives in the centre (one thread: call poll() from its loop);
// CloneClient runs its own thread and is used by consoles and tests.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "liandong.pb.h"
#include "liandong/core/curve_keys.h"

namespace spdlog {
class logger;
}

namespace liandong::link {

struct CloneServerOptions {
  std::string id;                // the centre's id
  std::string updatesEndpoint;   // PUB
  std::string snapshotEndpoint;  // ROUTER
  CurveKeyPair keys;
  int heartbeatIntervalMs = 1000;
};

class CloneServer {
public:
  // Needs a ZapAuthenticator running in `context`.
  CloneServer(zmq::context_t &context, CloneServerOptions options);

  // Sets (or, with update.removed(), deletes) the item update.key() and
  // publishes the change with the next update sequence.
  void publish(wire::StateUpdate update);
  // Serves snapshot requests and sends heartbeats; call often.
  void poll(int waitMs);

  std::uint64_t updateSequence() const { return sequence_; }
  std::uint64_t run() const { return run_; }
  std::size_t items() const { return state_.size(); }

private:
  void send(zmq::socket_t &socket, wire::Envelope &env, const std::string *routing);
  wire::Envelope wrap(wire::StateUpdate update) const;

  CloneServerOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  zmq::socket_t pub_;
  zmq::socket_t router_;
  std::map<std::string, wire::StateUpdate> state_;
  std::uint64_t sequence_ = 0;
  std::uint64_t run_;
  std::int64_t lastBeatMs_ = 0;
};

struct CloneClientOptions {
  std::string updatesEndpoint;
  std::string snapshotEndpoint;
  std::string serverPublicZ85;
  CurveKeyPair keys;
  std::string regionFilter;
  int silenceMs = 3500;  // no message for this long: link down, resync on return
  int snapshotTimeoutMs = 5000;
};

// What a console holds: the items by key, and how fresh they are.
class CloneClient {
public:
  struct Callbacks {
    std::function<void(const std::map<std::string, wire::StateUpdate> &)> onSnapshot;
    std::function<void(const wire::StateUpdate &)> onUpdate;
    std::function<void(bool up)> onLink;
  };
  CloneClient(zmq::context_t &context, CloneClientOptions options, Callbacks callbacks);
  ~CloneClient();
  CloneClient(const CloneClient &) = delete;
  CloneClient &operator=(const CloneClient &) = delete;

  // Thread-safe copies.
  std::map<std::string, wire::StateUpdate> state() const;
  std::uint64_t lastSequence() const { return last_.load(); }
  std::uint64_t resyncs() const { return resyncs_.load(); }
  bool linkUp() const { return up_.load(); }

private:
  void run();
  bool snapshot(zmq::socket_t &sub, std::vector<wire::StateUpdate> &pending);

  CloneClientOptions options_;
  Callbacks callbacks_;
  zmq::context_t &context_;
  std::shared_ptr<spdlog::logger> log_;
  mutable std::mutex mutex_;
  std::map<std::string, wire::StateUpdate> state_;
  std::atomic<std::uint64_t> last_{0};
  std::atomic<std::uint64_t> resyncs_{0};
  std::atomic<bool> up_{false};
  std::atomic<bool> stop_{false};
  std::uint64_t run_ = 0;  // centre run of the current snapshot (client thread only)
  std::thread thread_;
};

}  // namespace liandong::link
