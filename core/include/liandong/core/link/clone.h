// Console fan-out by the "Clone" pattern of the ZeroMQ Guide: a console asks
// for a snapshot of the state it may see, applies the sequenced updates that
// come after it, and asks again on a gap, on a centre restart (a new
// centre_run) or after silence. Both sockets use CURVE with the centre's
// admitted keys.
//
// Each console is a "viewer" with its own random topic and its own update
// sequence: the centre sends an item only to the viewers allowed to see it
// (jurisdiction, role — decided by the `admit` callback), so a console's
// sequence has no holes for items it may not see and a real gap is always a
// loss. The updates socket is an XPUB in manual mode: a subscriber is granted
// its own "v/<viewer>" topic and nothing else.
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

// What one viewer may see, decided when it asks for a snapshot.
struct CloneAccess {
  std::string refused;  // non-empty: refused, and why (sent to the console)
  std::string who;      // for the log: "user wang (440113) at console-panyu-duty"
  std::function<bool(const wire::StateUpdate &)> sees;  // empty: everything
};

struct CloneServerOptions {
  std::string id;                // the centre's id
  std::string updatesEndpoint;   // XPUB (manual subscriptions)
  std::string snapshotEndpoint;  // ROUTER
  CurveKeyPair keys;
  int heartbeatIntervalMs = 1000;
  // Called for each snapshot request with the console's key id (ZAP
  // User-Id) and again every `recheckIntervalMs` for each viewer (a session
  // may expire or its user be disabled). Unset: every admitted console sees
  // everything (narrowed by the request's region_code).
  std::function<CloneAccess(const std::string &keyId, const wire::SnapshotRequest &)> admit;
  int recheckIntervalMs = 30000;
  std::size_t maxViewers = 1024;
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

  std::uint64_t updateSequence() const { return sequence_; }  // changes of the whole state
  std::uint64_t run() const { return run_; }
  std::size_t items() const { return state_.size(); }
  std::size_t viewers() const { return viewers_.size(); }
  std::uint64_t refusals() const { return refusals_; }

private:
  struct Viewer {
    std::string topic;  // "v/<viewer>"
    std::string keyId;
    wire::SnapshotRequest request;
    CloneAccess access;
    std::uint64_t sequence = 0;  // of the updates sent to this viewer
    bool subscribed = false;
    bool requested = false;  // a snapshot request said who it is
    std::int64_t checkedMs = 0;
  };
  void send(zmq::socket_t &socket, wire::Envelope &env, const std::string *routing);
  wire::Envelope wrap(wire::StateUpdate update) const;
  void serveSnapshots();
  void serveSubscriptions();
  void recheck();
  void sendTo(Viewer &viewer, const std::string &base);
  void sendOnTopic(const std::string &topic, const std::string &bytes);
  void refuse(const std::string &routing, const std::string *topic, const std::string &why);
  CloneAccess decide(const std::string &keyId, const wire::SnapshotRequest &request);

  CloneServerOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  zmq::socket_t pub_;
  zmq::socket_t router_;
  std::map<std::string, wire::StateUpdate> state_;
  std::map<std::string, Viewer> viewers_;  // by topic
  // Topics granted on the updates socket and not unsubscribed, with the key
  // that subscribed: a viewer refused (an expired session) and admitted again
  // under the same topic gets its updates without subscribing anew.
  std::map<std::string, std::string> granted_;
  std::uint64_t sequence_ = 0;
  std::uint64_t run_;
  std::uint64_t refusals_ = 0;
  std::int64_t lastBeatMs_ = 0;
  std::int64_t lastRecheckMs_ = 0;
};

struct CloneClientOptions {
  std::string updatesEndpoint;
  std::string snapshotEndpoint;
  std::string serverPublicZ85;
  CurveKeyPair keys;
  std::string regionFilter;
  std::string session;   // a signed-in user's session: see what that user may see
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
    std::function<void(const std::string &why)> onRefused;  // the centre refused this viewer
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
  // A new session (after signing in again): resynchronise with it.
  void setSession(const std::string &session);
  const std::string &viewer() const { return viewer_; }

private:
  void run();
  bool snapshot(zmq::socket_t &sub, std::vector<wire::StateUpdate> &pending);
  bool receiveUpdate(zmq::socket_t &sub, wire::Envelope &env);
  void refused(const std::string &why);

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
  std::string viewer_;   // random, for this client's lifetime
  std::string session_;  // guarded by mutex_
  std::atomic<bool> sessionChanged_{false};
  std::int64_t refusedAtMs_ = 0;  // client thread only
  std::uint64_t run_ = 0;         // centre run of the current snapshot (client thread only)
  std::thread thread_;
};

}  // namespace liandong::link
