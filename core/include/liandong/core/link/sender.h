// The sending end of a reliable link (ingest -> centre, child -> parent
// centre): a CURVE DEALER socket fed from a durable Outbox. Everything not yet
// acknowledged is resent after a reconnect or when acks stall; heartbeats go
// both ways and a peer silent for `missedBeatsLost` intervals is declared
// lost. All socket work happens on the sender's own thread.
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
#include "liandong/core/link/outbox.h"

namespace spdlog {
class logger;
}

namespace liandong::link {

struct SenderOptions {
  std::string senderId;  // must be the id the receiver admits our key under
  wire::Tier tier = wire::TIER_UNSPECIFIED;
  std::string region;    // sender's region code
  std::string endpoint;  // e.g. tcp://127.0.0.1:7101
  std::string serverPublicZ85;
  CurveKeyPair keys;
  int heartbeatIntervalMs = 1000;
  int missedBeatsLost = 3;
  int resendTimeoutMs = 3000;  // no ack progress for this long -> resend from the watermark
  std::size_t window = 8192;   // records in flight at most
};

struct SenderStats {
  std::uint64_t sent = 0;
  std::uint64_t resent = 0;
  std::uint64_t refused = 0;
  std::uint64_t gapsReported = 0;
};

class Sender {
public:
  // onPeer(true/false) is called on the sender's thread when the receiver is
  // heard from after silence, or declared lost.
  Sender(zmq::context_t &context, SenderOptions options, Outbox &outbox,
         std::function<void(bool)> onPeer = {});
  ~Sender();
  Sender(const Sender &) = delete;
  Sender &operator=(const Sender &) = delete;

  // Fills the envelope's header (sender, tier, region, sent time) and appends
  // it to the outbox. Thread-safe. Returns the sequence, or nullopt if shed.
  std::optional<std::uint64_t> publish(wire::Envelope env);

  bool peerAlive() const { return alive_.load(); }
  std::uint64_t ackedSequence() const { return outbox_.ackedSequence(); }
  SenderStats stats() const;
  // Waits until `seq` is acknowledged; false on timeout.
  bool waitAcked(std::uint64_t seq, int timeoutMs) const;

private:
  void run();
  bool sendEnvelope(const std::string &payload);
  void sendHeartbeat();

  SenderOptions options_;
  Outbox &outbox_;
  std::function<void(bool)> onPeer_;
  std::shared_ptr<spdlog::logger> log_;
  zmq::socket_t socket_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> alive_{false};
  std::atomic<std::uint64_t> sent_{0}, resent_{0}, refused_{0}, gaps_{0};
  std::thread thread_;
};

}  // namespace liandong::link
