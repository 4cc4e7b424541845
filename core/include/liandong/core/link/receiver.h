// The receiving end of a reliable link (the centre's intake, or a parent
// centre's link from its children): a CURVE ROUTER socket. Messages are
// collected into batches, handed to an IntakeStore that commits them in one
// transaction, and only then acknowledged cumulatively: the ack to a sender
// names the highest sequence below which everything of that sender is stored.
// Commits run on a committer thread while the next batch gathers ("group
// commit"): an idle receiver commits each message at once, a busy one commits
// whatever arrived during the previous commit.
// Duplicates (sequence at or below the watermark) are acknowledged again and
// not stored twice. Each message's sender_id must equal the id its CURVE key
// was admitted under.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
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

struct IncomingMessage {
  std::string peerId;  // authenticated id (from ZAP)
  std::string peerAddress;
  wire::Envelope envelope;
  std::size_t bytes = 0;
};

// Where the receiver stores what it accepts. Both calls run on the receiver's thread.
class IntakeStore {
public:
  virtual ~IntakeStore() = default;
  // The stored watermark of every sender known (sender id -> sequence).
  virtual std::map<std::string, std::uint64_t> loadWatermarks() = 0;
  // Sequences stored above a sender's watermark (out-of-order arrivals before
  // a restart), so they are not offered to commit() again.
  virtual std::map<std::string, std::vector<std::uint64_t>> loadSettled() { return {}; }
  // Stores `batch` (sequenced messages, possibly with duplicates already stored
  // earlier: ignore those) and the new watermarks, atomically. Throws on failure;
  // nothing of the batch is then acknowledged and the senders will resend.
  // Runs on the receiver's committer thread, one call at a time.
  virtual void commit(const std::vector<IncomingMessage> &batch,
                      const std::map<std::string, std::uint64_t> &watermarks) = 0;
  // A reason to refuse `message` before it is batched (it could never be
  // stored, and would fail every batch it joins), or nullopt to accept it.
  virtual std::optional<std::string> validate(const IncomingMessage &message) {
    (void)message;
    return std::nullopt;
  }
  // Called on the receiver's own thread after a successful commit, before the
  // acks go out, while `batch` is still alive (publish to consoles here).
  virtual void afterCommit(const std::vector<IncomingMessage> &batch) { (void)batch; }
};

struct ReceiverOptions {
  std::string endpoint;  // e.g. tcp://127.0.0.1:7101
  CurveKeyPair keys;     // the receiver's own key pair
  std::string id;        // the receiver's id, put in its acks and heartbeats
  std::size_t maxBatch = 8000;
  int maxBatchDelayMs = 0;  // extra wait to fill a batch when no commit is running
  std::size_t maxMessageBytes = 1 << 20;
  int heartbeatIntervalMs = 1000;
  int missedBeatsLost = 3;
};

enum class PeerState { Alive, Lost };

struct ReceiverStats {
  std::uint64_t received = 0;
  std::uint64_t stored = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t refused = 0;
  std::uint64_t batches = 0;
  std::uint64_t commitFailures = 0;
};

class Receiver {
public:
  using PeerCallback = std::function<void(const std::string &peerId, PeerState)>;
  Receiver(zmq::context_t &context, ReceiverOptions options, IntakeStore &store, PeerCallback onPeer = {});
  ~Receiver();
  Receiver(const Receiver &) = delete;
  Receiver &operator=(const Receiver &) = delete;

  // Serves until `stop` becomes true. Call on one thread only.
  void run(const std::atomic<bool> &stop);
  // One round of polling (at most `waitMs`); for callers with their own loop.
  void poll(int waitMs);

  ReceiverStats stats() const { return stats_; }
  std::map<std::string, std::uint64_t> watermarks() const { return watermark_; }

private:
  struct Peer {
    std::string routingId;
    std::int64_t lastHeardMs = 0;
    bool alive = false;
    // Ranges above the watermark already stored or given up (first -> last).
    std::map<std::uint64_t, std::uint64_t> settled;
  };
  // One batch on its way to the store.
  struct Job {
    std::vector<IncomingMessage> batch;  // everything received (heartbeats included)
    std::vector<IncomingMessage> toStore;
    std::map<std::string, std::uint64_t> watermarks;
    std::map<std::string, std::map<std::uint64_t, std::uint64_t>> settled;
    std::exception_ptr error;
  };
  void handle(zmq::message_t &routing, zmq::message_t &payload);
  // One envelope (alone, or out of a batch) from an identified peer.
  void handleEnvelope(const std::string &routingId, const std::string &peerId, IncomingMessage in);
  void flush();         // starts a commit of batch_ if none is running
  void finishCommit();  // applies a finished commit: watermarks, acks
  void commitLoop();
  void waitIdle();
  void refuse(const std::string &routingId, const std::string &peerId, std::uint64_t seq,
              const std::string &reason);
  void reply(const std::string &routingId, const std::string &peerId, const std::string &error = {},
             std::uint64_t refusedSeq = 0);
  void checkPeers();

  ReceiverOptions options_;
  IntakeStore &store_;
  PeerCallback onPeer_;
  std::shared_ptr<spdlog::logger> log_;
  zmq::socket_t socket_;
  std::map<std::string, std::uint64_t> watermark_;
  std::map<std::string, Peer> peers_;
  std::vector<IncomingMessage> batch_;
  std::int64_t batchStartMs_ = 0;
  std::int64_t lastCheckMs_ = 0;
  ReceiverStats stats_;

  // Committer thread; `job_` passes between the threads under `jobMutex_`.
  int wakeFd_ = -1;  // eventfd: the committer tells the receiver a job is done
  std::thread committer_;
  std::mutex jobMutex_;
  std::condition_variable jobReady_;
  std::unique_ptr<Job> job_;
  bool jobDone_ = false;
  bool inFlight_ = false;
  bool stopCommitter_ = false;
};

}  // namespace liandong::link
