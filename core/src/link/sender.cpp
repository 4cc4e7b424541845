// Reliable sender: pump from the outbox, acks, resend, heartbeats (see sender.h).
#include "liandong/core/link/sender.h"

#include <algorithm>
#include <chrono>

#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "liandong/core/link/security.h"
#include "liandong/core/logging.h"

namespace liandong::link {

Sender::Sender(zmq::context_t &context, SenderOptions options, Outbox &outbox,
               std::function<void(bool)> onPeer)
    : options_(std::move(options)),
      outbox_(outbox),
      onPeer_(std::move(onPeer)),
      log_(logging::get("link")),
      socket_(context, zmq::socket_type::dealer) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::sndhwm, static_cast<int>(options_.window * 2 + 16));
  socket_.set(zmq::sockopt::reconnect_ivl, 100);
  // Retry at least once a second: a centre that restarts (or a WAN link that
  // returns) must not wait behind a long exponential back-off.
  socket_.set(zmq::sockopt::reconnect_ivl_max, 1000);
  socket_.set(zmq::sockopt::immediate, 1);
  socket_.set(zmq::sockopt::routing_id, options_.senderId);
  // ZMTP heartbeats close a connection that went silent (a cut WAN link), so
  // ZeroMQ reconnects instead of queueing behind a dead TCP connection.
  socket_.set(zmq::sockopt::heartbeat_ivl, options_.heartbeatIntervalMs);
  // Never below 5 s: a busy machine must not tear down a healthy connection.
  socket_.set(zmq::sockopt::heartbeat_timeout,
              std::max(options_.heartbeatIntervalMs * options_.missedBeatsLost, 5000));
  makeCurveClient(socket_, options_.keys, options_.serverPublicZ85);
  try {
    socket_.connect(options_.endpoint);
  } catch (const zmq::error_t &e) {
    throw Error("cannot connect to " + options_.endpoint + ": " + e.what());
  }
  thread_ = std::thread([this] { run(); });
}

Sender::~Sender() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::optional<std::uint64_t> Sender::publish(wire::Envelope env) {
  env.set_sender_id(options_.senderId);
  env.set_sender_tier(options_.tier);
  env.set_sender_region(options_.region);
  if (env.sent_at_us() == 0) env.set_sent_at_us(nowUs());
  return outbox_.append(env);
}

SenderStats Sender::stats() const {
  return {sent_.load(), resent_.load(), refused_.load(), gaps_.load()};
}

bool Sender::waitAcked(std::uint64_t seq, int timeoutMs) const {
  auto deadline = steadyMs() + timeoutMs;
  while (outbox_.ackedSequence() < seq) {
    if (steadyMs() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

namespace {
constexpr std::size_t kBatchRecords = 256;
constexpr std::size_t kBatchBytes = 256 * 1024;  // well under the receiver's 1 MiB frame limit
}  // namespace

bool Sender::sendEnvelope(const std::string &payload) {
  // With ZMQ_IMMEDIATE and no connection, or at the high-water mark, a send
  // would block: never block the loop; the caller tries again next round.
  return socket_.send(zmq::buffer(payload), zmq::send_flags::dontwait).has_value();
}

void Sender::sendHeartbeat() {
  wire::Envelope env;
  env.set_sender_id(options_.senderId);
  env.set_sender_tier(options_.tier);
  env.set_sender_region(options_.region);
  env.set_sent_at_us(nowUs());
  env.set_kind(wire::KIND_SENSOR_STATUS);
  auto *hb = env.mutable_heartbeat();
  hb->set_interval_ms(options_.heartbeatIntervalMs);
  hb->set_last_sequence(outbox_.lastSequence());
  hb->set_first_pending(outbox_.ackedSequence() + 1);
  sendEnvelope(env.SerializeAsString());
}

void Sender::run() {
  std::uint64_t nextToSend = outbox_.ackedSequence() + 1;  // lowest not yet sent on this connection
  std::int64_t lastHeard = 0;
  std::int64_t lastBeat = 0;
  std::int64_t lastProgress = steadyMs();
  std::uint64_t lastAcked = outbox_.ackedSequence();
  const std::int64_t lostAfter =
      static_cast<std::int64_t>(options_.heartbeatIntervalMs) * options_.missedBeatsLost;

  while (!stop_) {
    try {
      zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 1, std::chrono::milliseconds(2));
      std::int64_t now = steadyMs();
      // Acks and heartbeats from the receiver.
      while (true) {
        zmq::message_t msg;
        if (!socket_.recv(msg, zmq::recv_flags::dontwait)) break;
        wire::Envelope env;
        if (!env.ParseFromArray(msg.data(), static_cast<int>(msg.size()))) {
          log_->warn("malformed reply of {} bytes from {}", msg.size(), options_.endpoint);
          continue;
        }
        if (!alive_) {
          alive_ = true;
          log_->info("connected to {} ({})", env.sender_id(), options_.endpoint);
          // Whatever was in flight on a previous connection may be gone.
          nextToSend = outbox_.ackedSequence() + 1;
          if (onPeer_) onPeer_(true);
        }
        lastHeard = now;
        if (env.has_ack()) {
          const auto &ack = env.ack();
          if (!ack.error().empty()) {
            ++refused_;
            log_->error("receiver refused sequence {}: {}", ack.refused_sequence(), ack.error());
          }
          outbox_.acknowledge(ack.up_to_sequence());
        }
      }
      if (alive_ && lastHeard > 0 && now - lastHeard > lostAfter) {
        alive_ = false;
        log_->warn("lost {}: no heartbeat for {} ms", options_.endpoint, now - lastHeard);
        if (onPeer_) onPeer_(false);
      }
      outbox_.maybeSync();
      std::uint64_t acked = outbox_.ackedSequence();
      if (acked != lastAcked) {
        lastAcked = acked;
        lastProgress = now;
      }
      if (nextToSend <= acked) nextToSend = acked + 1;
      if (alive_) {
        // Stalled: resend everything unacknowledged.
        if (nextToSend > acked + 1 && now - lastProgress > options_.resendTimeoutMs) {
          log_->info("no ack progress for {} ms; resending from {}", now - lastProgress, acked + 1);
          resent_ += nextToSend - acked - 1;
          nextToSend = acked + 1;
          lastProgress = now;
        }
        std::size_t inFlight = static_cast<std::size_t>(nextToSend - acked - 1);
        if (inFlight < options_.window) {
          std::vector<OutboxDamage> damage;
          auto records = outbox_.read(nextToSend, options_.window - inFlight, &damage);
          for (const auto &d : damage) {
            wire::Envelope env;
            env.set_sender_id(options_.senderId);
            env.set_sent_at_us(nowUs());
            env.set_kind(wire::KIND_ERROR);
            auto *gap = env.mutable_gap();
            gap->set_first(d.firstLost);
            gap->set_last(d.lastLost);
            gap->set_reason(d.file + " offset " + std::to_string(d.offset) + ": " + d.reason);
            sendEnvelope(env.SerializeAsString());
            ++gaps_;
            log_->error("reporting lost records {}..{} to the receiver ({})", d.firstLost, d.lastLost,
                        d.reason);
            if (d.lastLost >= nextToSend) nextToSend = d.lastLost + 1;
          }
          // Consecutive records travel together, up to kBatchRecords or
          // kBatchBytes a frame: one frame, one CURVE box, one wake-up for many.
          for (std::size_t i = 0; i < records.size();) {
            std::size_t n = 0, bytes = 0;
            while (i + n < records.size() && n < kBatchRecords &&
                   (n == 0 || bytes + records[i + n].payload.size() <= kBatchBytes))
              bytes += records[i + n++].payload.size();
            bool ok;
            if (n == 1) {
              ok = sendEnvelope(records[i].payload);
            } else {
              wire::Envelope batch;
              batch.set_sender_id(options_.senderId);
              batch.set_sent_at_us(nowUs());
              auto *b = batch.mutable_batch();
              for (std::size_t k = 0; k < n; ++k) b->add_envelopes(std::move(records[i + k].payload));
              ok = sendEnvelope(batch.SerializeAsString());
            }
            if (!ok) break;
            nextToSend = records[i + n - 1].sequence + 1;
            sent_ += n;
            i += n;
          }
        }
      }
      // Until the receiver answers, knock more often so the first data goes out soon.
      int beat = alive_ ? options_.heartbeatIntervalMs : std::min(options_.heartbeatIntervalMs, 200);
      if (now - lastBeat >= beat) {
        sendHeartbeat();
        lastBeat = now;
      }
    } catch (const zmq::error_t &e) {
      if (e.num() == ETERM) return;
      log_->error("link to {}: {}", options_.endpoint, e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } catch (const std::exception &e) {
      // Outbox I/O failures: keep the link alive, say so, and retry.
      log_->error("link to {}: {}", options_.endpoint, e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
}

}  // namespace liandong::link
