// Reliable receiver: batches, commit-then-ack, watermarks, liveness (see receiver.h).
#include "liandong/core/link/receiver.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>

#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "liandong/core/link/security.h"
#include "liandong/core/logging.h"

namespace liandong::link {

Receiver::Receiver(zmq::context_t &context, ReceiverOptions options, IntakeStore &store, PeerCallback onPeer)
    : options_(std::move(options)),
      store_(store),
      onPeer_(std::move(onPeer)),
      log_(logging::get("link")),
      socket_(context, zmq::socket_type::router) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(options_.maxMessageBytes));
  socket_.set(zmq::sockopt::rcvhwm, 100000);
  // A restarted sender reconnects under the same routing id (its sender id)
  // before the old connection is noticed dead: the new connection takes over.
  socket_.set(zmq::sockopt::router_handover, 1);
  socket_.set(zmq::sockopt::heartbeat_ivl, options_.heartbeatIntervalMs);
  // Never below 5 s: a busy machine must not tear down a healthy connection.
  socket_.set(zmq::sockopt::heartbeat_timeout,
              std::max(options_.heartbeatIntervalMs * options_.missedBeatsLost, 5000));
  makeCurveServer(socket_, options_.keys);
  watermark_ = store_.loadWatermarks();
  for (const auto &[peerId, seqs] : store_.loadSettled())
    for (auto seq : seqs) peers_[peerId].settled[seq] = seq;
  bindOrThrow(socket_, options_.endpoint, "intake");
  wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakeFd_ < 0) throw SystemError("eventfd", errno);
  committer_ = std::thread([this] { commitLoop(); });
  log_->info("intake listening on {} ({} senders known)", options_.endpoint, watermark_.size());
}

Receiver::~Receiver() {
  {
    std::lock_guard lock(jobMutex_);
    stopCommitter_ = true;
  }
  jobReady_.notify_all();
  if (committer_.joinable()) committer_.join();
  if (wakeFd_ >= 0) ::close(wakeFd_);
}

void Receiver::commitLoop() {
  std::unique_lock lock(jobMutex_);
  while (true) {
    jobReady_.wait(lock, [&] { return stopCommitter_ || (job_ && !jobDone_); });
    if (!job_ || jobDone_) return;  // stopping with nothing to do
    Job *job = job_.get();
    lock.unlock();
    try {
      store_.commit(job->toStore, job->watermarks);
    } catch (const std::exception &) {
      job->error = std::current_exception();
    }
    lock.lock();
    jobDone_ = true;
    std::uint64_t one = 1;
    if (::write(wakeFd_, &one, sizeof one) < 0) log_->error("eventfd write: {}", std::strerror(errno));
  }
}

void Receiver::waitIdle() {
  while (inFlight_) {
    pollfd p{wakeFd_, POLLIN, 0};
    ::poll(&p, 1, 100);
    finishCommit();
  }
}

void Receiver::run(const std::atomic<bool> &stop) {
  while (!stop) poll(50);
  // Store what has arrived before stopping.
  waitIdle();
  flush();
  waitIdle();
}

void Receiver::poll(int waitMs) {
  std::int64_t now = steadyMs();
  int wait = waitMs;
  if (!batch_.empty() && !inFlight_)
    wait = static_cast<int>(std::max<std::int64_t>(0, batchStartMs_ + options_.maxBatchDelayMs - now));
  zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, wakeFd_, ZMQ_POLLIN, 0}};
  try {
    zmq::poll(items, 2, std::chrono::milliseconds(wait));
  } catch (const zmq::error_t &e) {
    if (e.num() != EINTR) throw;  // a signal (the caller's stop request): just return
    return;
  }
  finishCommit();
  while (batch_.size() < options_.maxBatch) {
    zmq::message_t routing, payload;
    if (!socket_.recv(routing, zmq::recv_flags::dontwait)) break;
    if (!routing.more()) continue;  // cannot happen on a ROUTER; be safe
    if (!socket_.recv(payload, zmq::recv_flags::none)) break;
    while (payload.more()) {  // extra frames are not part of the protocol
      zmq::message_t extra;
      if (!socket_.recv(extra, zmq::recv_flags::none)) break;
      payload.swap(extra);
    }
    handle(routing, payload);
  }
  now = steadyMs();
  if (!batch_.empty() && !inFlight_ &&
      (batch_.size() >= options_.maxBatch || now - batchStartMs_ >= options_.maxBatchDelayMs))
    flush();
  if (now - lastCheckMs_ >= 100) {
    checkPeers();
    lastCheckMs_ = now;
  }
}

void Receiver::reply(const std::string &routingId, const std::string &peerId, const std::string &error,
                     std::uint64_t refusedSeq) {
  wire::Envelope env;
  env.set_sender_id(options_.id);
  env.set_sent_at_us(nowUs());
  env.set_kind(wire::KIND_ACK);
  auto *ack = env.mutable_ack();
  ack->set_sender_id(peerId);
  auto it = watermark_.find(peerId);
  ack->set_up_to_sequence(it == watermark_.end() ? 0 : it->second);
  if (!error.empty()) {
    ack->set_error(error);
    ack->set_refused_sequence(refusedSeq);
  }
  std::string bytes = env.SerializeAsString();
  socket_.send(zmq::buffer(routingId), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
  socket_.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
}

void Receiver::refuse(const std::string &routingId, const std::string &peerId, std::uint64_t seq,
                      const std::string &reason) {
  ++stats_.refused;
  log_->warn("refused a message from {}: {}", peerId.empty() ? "(unknown)" : peerId, reason);
  reply(routingId, peerId, reason, seq);
}

void Receiver::handle(zmq::message_t &routing, zmq::message_t &payload) {
  std::string routingId = routing.to_string();
  const char *uid = payload.gets("User-Id");
  const char *addr = payload.gets("Peer-Address");
  std::string peerId = uid ? uid : "";
  std::string address = addr ? addr : "";
  IncomingMessage in;
  in.peerId = peerId;
  in.peerAddress = address;
  in.bytes = payload.size();
  if (!in.envelope.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    ++stats_.received;
    refuse(routingId, peerId, 0,
           "malformed frame of " + std::to_string(payload.size()) + " bytes from " + address);
    return;
  }
  if (in.envelope.has_batch()) {
    if (in.envelope.sender_id() != peerId) {
      refuse(routingId, peerId, 0,
             "sender_id \"" + in.envelope.sender_id() + "\" does not match the key's id \"" + peerId + "\"");
      return;
    }
    // Each element exactly as if it had come alone.
    auto batch = std::move(*in.envelope.mutable_batch());
    for (auto &bytes : *batch.mutable_envelopes()) {
      IncomingMessage one;
      one.peerId = peerId;
      one.peerAddress = address;
      one.bytes = bytes.size();
      if (!one.envelope.ParseFromString(bytes) || one.envelope.has_batch()) {
        ++stats_.received;
        refuse(routingId, peerId, 0,
               "malformed message of " + std::to_string(bytes.size()) + " bytes in a batch from " + address);
        continue;
      }
      handleEnvelope(routingId, peerId, std::move(one));
    }
    return;
  }
  handleEnvelope(routingId, peerId, std::move(in));
}

void Receiver::handleEnvelope(const std::string &routingId, const std::string &peerId, IncomingMessage in) {
  ++stats_.received;
  const std::string address = in.peerAddress;
  const auto &env = in.envelope;
  if (env.sender_id() != peerId) {
    refuse(routingId, peerId, env.sequence(),
           "sender_id \"" + env.sender_id() + "\" does not match the key's id \"" + peerId + "\"");
    return;
  }
  auto &peer = peers_[peerId];
  peer.routingId = routingId;
  peer.lastHeardMs = steadyMs();
  if (!peer.alive) {
    peer.alive = true;
    log_->info("peer {} connected from {}", peerId, address);
    if (onPeer_) onPeer_(peerId, PeerState::Alive);
  }
  std::uint64_t wm = watermark_[peerId];
  if (env.has_heartbeat()) {
    // Everything below first_pending is settled on the sender's side.
    auto first = env.heartbeat().first_pending();
    if (first > 0 && first - 1 > wm) {
      log_->info("peer {} has settled everything below sequence {} (watermark was {})", peerId, first, wm);
      batch_.push_back(std::move(in));  // applied and recorded by flush()
      if (batch_.size() == 1) batchStartMs_ = steadyMs();
      return;
    }
    reply(routingId, peerId);
    return;
  }
  if (env.has_gap()) {
    const auto &gap = env.gap();
    log_->error("peer {} reports records {}..{} lost on its side: {}", peerId, gap.first(), gap.last(),
                gap.reason());
    batch_.push_back(std::move(in));  // stored as an event, so the loss is on record
    if (batch_.size() == 1) batchStartMs_ = steadyMs();
    return;
  }
  if (env.sequence() == 0) {
    refuse(routingId, peerId, 0, "a message that is not a heartbeat needs a sequence number");
    return;
  }
  if (env.sequence() <= wm || peer.settled.count(env.sequence())) {
    ++stats_.duplicates;
    reply(routingId, peerId);
    return;
  }
  std::optional<std::string> reason;
  if (env.body_case() == wire::Envelope::BODY_NOT_SET)
    reason = "has no body";
  else
    reason = store_.validate(in);
  if (reason) {
    refuse(routingId, peerId, env.sequence(), "message " + std::to_string(env.sequence()) + " " + *reason);
    // Step over it, so the sender is not stuck behind it: the next commit
    // moves the watermark past it (and stores that), and the ack says so.
    peer.settled[env.sequence()] = env.sequence();
    in.envelope.clear_body();
    batch_.push_back(std::move(in));
    if (batch_.size() == 1) batchStartMs_ = steadyMs();
    return;
  }
  batch_.push_back(std::move(in));
  if (batch_.size() == 1) batchStartMs_ = steadyMs();
}

namespace {
// Moves `wm` up over every settled range that touches it.
void advance(std::uint64_t &wm, std::map<std::uint64_t, std::uint64_t> &settled) {
  while (!settled.empty() && settled.begin()->first <= wm + 1) {
    wm = std::max(wm, settled.begin()->second);
    settled.erase(settled.begin());
  }
}
}  // namespace

void Receiver::flush() {
  if (batch_.empty() || inFlight_) return;
  // Work out the watermarks this batch gives, applying nothing until it is stored.
  auto job = std::make_unique<Job>();
  job->watermarks = watermark_;
  job->toStore.reserve(batch_.size());
  for (auto &m : batch_) {
    auto &settled = job->settled.try_emplace(m.peerId, peers_[m.peerId].settled).first->second;
    auto &wm = job->watermarks[m.peerId];
    const auto &env = m.envelope;
    if (env.has_heartbeat()) {
      wm = std::max(wm, env.heartbeat().first_pending() - 1);
    } else if (env.has_gap()) {
      if (env.gap().last() >= env.gap().first()) {
        auto &last = settled[env.gap().first()];
        last = std::max(last, env.gap().last());
      }
      job->toStore.push_back(std::move(m));
    } else if (env.sequence() > wm && !settled.count(env.sequence())) {
      settled[env.sequence()] = env.sequence();
      job->toStore.push_back(std::move(m));  // moved, not copied: batch_ keeps only what is not stored
    }
  }
  for (auto &[peerId, settled] : job->settled) advance(job->watermarks[peerId], settled);
  job->batch = std::move(batch_);
  batch_.clear();
  {
    std::lock_guard lock(jobMutex_);
    job_ = std::move(job);
    jobDone_ = false;
    inFlight_ = true;
  }
  jobReady_.notify_all();
}

void Receiver::finishCommit() {
  std::unique_ptr<Job> job;
  {
    std::lock_guard lock(jobMutex_);
    if (!inFlight_ || !jobDone_) return;
    job = std::move(job_);
    inFlight_ = false;
    jobDone_ = false;
  }
  std::uint64_t drained;
  if (::read(wakeFd_, &drained, sizeof drained) < 0 && errno != EAGAIN)
    log_->error("eventfd read: {}", std::strerror(errno));
  if (job->error) {
    ++stats_.commitFailures;
    try {
      std::rethrow_exception(job->error);
    } catch (const std::exception &e) {
      log_->error("storing a batch of {} failed, not acknowledged: {}", job->batch.size(), e.what());
    }
    return;
  }
  ++stats_.batches;
  stats_.stored += job->toStore.size();
  store_.afterCommit(job->toStore);
  for (auto &[peerId, wm] : job->watermarks) watermark_[peerId] = std::max(watermark_[peerId], wm);
  for (auto &[peerId, settled] : job->settled) {
    auto &mine = peers_[peerId].settled;
    for (auto &[first, last] : settled) mine[first] = std::max(mine[first], last);
    advance(watermark_[peerId], mine);
  }
  for (auto &[peerId, _] : job->settled) reply(peers_[peerId].routingId, peerId);
}

void Receiver::checkPeers() {
  std::int64_t now = steadyMs();
  const std::int64_t lostAfter =
      static_cast<std::int64_t>(options_.heartbeatIntervalMs) * options_.missedBeatsLost;
  for (auto &[peerId, peer] : peers_) {
    if (peer.alive && now - peer.lastHeardMs > lostAfter) {
      peer.alive = false;
      log_->warn("peer {} lost: nothing heard for {} ms", peerId, now - peer.lastHeardMs);
      if (onPeer_) onPeer_(peerId, PeerState::Lost);
    }
  }
}

}  // namespace liandong::link
