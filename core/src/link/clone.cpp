// Clone-pattern fan-out: server and client (see clone.h).
#include "liandong/core/link/clone.h"

#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "liandong/core/link/security.h"
#include "liandong/core/logging.h"

namespace liandong::link {

CloneServer::CloneServer(zmq::context_t &context, CloneServerOptions options)
    : options_(std::move(options)),
      log_(logging::get("link")),
      pub_(context, zmq::socket_type::pub),
      router_(context, zmq::socket_type::router),
      run_(static_cast<std::uint64_t>(nowUs())) {
  pub_.set(zmq::sockopt::linger, 0);
  pub_.set(zmq::sockopt::sndhwm, 100000);
  router_.set(zmq::sockopt::linger, 0);
  router_.set(zmq::sockopt::maxmsgsize, std::int64_t{65536});
  router_.set(zmq::sockopt::sndhwm, 0);  // a snapshot may be large; never drop part of it
  makeCurveServer(pub_, options_.keys);
  makeCurveServer(router_, options_.keys);
  bindOrThrow(pub_, options_.updatesEndpoint, "console updates");
  bindOrThrow(router_, options_.snapshotEndpoint, "console snapshots");
}

wire::Envelope CloneServer::wrap(wire::StateUpdate update) const {
  wire::Envelope env;
  env.set_sender_id(options_.id);
  env.set_sent_at_us(nowUs());
  env.set_kind(wire::KIND_UPDATE);
  update.set_centre_id(options_.id);
  update.set_centre_run(run_);
  *env.mutable_state_update() = std::move(update);
  return env;
}

void CloneServer::send(zmq::socket_t &socket, wire::Envelope &env, const std::string *routing) {
  std::string bytes = env.SerializeAsString();
  if (routing) socket.send(zmq::buffer(*routing), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
}

void CloneServer::publish(wire::StateUpdate update) {
  update.set_update_sequence(++sequence_);
  if (update.removed()) {
    state_.erase(update.key());
  } else if (!update.key().empty()) {
    state_[update.key()] = update;
  }
  auto env = wrap(std::move(update));
  send(pub_, env, nullptr);
}

void CloneServer::poll(int waitMs) {
  zmq::pollitem_t items[] = {{router_.handle(), 0, ZMQ_POLLIN, 0}};
  try {
    zmq::poll(items, 1, std::chrono::milliseconds(waitMs));
  } catch (const zmq::error_t &e) {
    if (e.num() != EINTR) throw;
    return;
  }
  while (true) {
    zmq::message_t routing, payload;
    if (!router_.recv(routing, zmq::recv_flags::dontwait)) break;
    if (!routing.more() || !router_.recv(payload)) continue;
    while (payload.more()) {
      zmq::message_t extra;
      if (!router_.recv(extra)) break;
    }
    std::string rid = routing.to_string();
    const char *uid = payload.gets("User-Id");
    wire::Envelope req;
    if (!req.ParseFromArray(payload.data(), static_cast<int>(payload.size())) ||
        !req.has_snapshot_request()) {
      log_->warn("refused a malformed snapshot request from {}", uid ? uid : "?");
      continue;
    }
    const std::string &region = req.snapshot_request().region_code();
    std::uint64_t count = 0;
    for (const auto &[key, item] : state_) {
      if (!region.empty() &&
          !item.region_code().starts_with(region.substr(0, region.find_last_not_of('0') + 1)))
        continue;
      wire::StateUpdate copy = item;
      copy.set_update_sequence(0);
      auto env = wrap(std::move(copy));
      send(router_, env, &rid);
      ++count;
    }
    wire::Envelope end;
    end.set_sender_id(options_.id);
    end.set_sent_at_us(nowUs());
    end.set_kind(wire::KIND_RESPONSE);
    end.mutable_snapshot_end()->set_update_sequence(sequence_);
    end.mutable_snapshot_end()->set_centre_run(run_);
    end.mutable_snapshot_end()->set_items(count);
    send(router_, end, &rid);
    log_->debug("snapshot of {} items to {}", count, uid ? uid : "?");
  }
  auto now = steadyMs();
  if (now - lastBeatMs_ >= options_.heartbeatIntervalMs) {
    wire::StateUpdate beat;
    beat.set_what("heartbeat");
    beat.set_update_sequence(sequence_);  // not a new update: tells clients where we are
    auto env = wrap(std::move(beat));
    send(pub_, env, nullptr);
    lastBeatMs_ = now;
  }
}

CloneClient::CloneClient(zmq::context_t &context, CloneClientOptions options, Callbacks callbacks)
    : options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      context_(context),
      log_(logging::get("link")) {
  if (!isValidCurveKey(options_.serverPublicZ85))
    throw Error("centre public key is not a 40-character Z85 CURVE key");
  thread_ = std::thread([this] { run(); });
}

CloneClient::~CloneClient() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::map<std::string, wire::StateUpdate> CloneClient::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

bool CloneClient::snapshot(zmq::socket_t &sub, std::vector<wire::StateUpdate> &pending) {
  zmq::socket_t req(context_, zmq::socket_type::dealer);
  req.set(zmq::sockopt::linger, 0);
  makeCurveClient(req, options_.keys, options_.serverPublicZ85);
  req.connect(options_.snapshotEndpoint);
  wire::Envelope env;
  env.set_sender_id(options_.keys.id);
  env.set_sent_at_us(nowUs());
  env.set_kind(wire::KIND_REQUEST);
  env.mutable_snapshot_request()->set_region_code(options_.regionFilter);
  req.send(zmq::buffer(env.SerializeAsString()), zmq::send_flags::none);
  std::map<std::string, wire::StateUpdate> fresh;
  auto deadline = steadyMs() + options_.snapshotTimeoutMs;
  while (!stop_ && steadyMs() < deadline) {
    zmq::pollitem_t items[] = {{req.handle(), 0, ZMQ_POLLIN, 0}, {sub.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 2, std::chrono::milliseconds(50));
    zmq::message_t m;
    // Keep the updates that arrive meanwhile; they are applied after the snapshot.
    while (sub.recv(m, zmq::recv_flags::dontwait)) {
      wire::Envelope u;
      if (u.ParseFromArray(m.data(), static_cast<int>(m.size())) && u.has_state_update())
        pending.push_back(u.state_update());
    }
    while (req.recv(m, zmq::recv_flags::dontwait)) {
      wire::Envelope r;
      if (!r.ParseFromArray(m.data(), static_cast<int>(m.size()))) continue;
      if (r.has_state_update()) {
        fresh[r.state_update().key()] = r.state_update();
      } else if (r.has_snapshot_end()) {
        const auto &end = r.snapshot_end();
        std::uint64_t last = end.update_sequence();
        // Apply what came meanwhile, in order, if it belongs to this run and follows on.
        std::sort(pending.begin(), pending.end(),
                  [](const auto &a, const auto &b) { return a.update_sequence() < b.update_sequence(); });
        for (const auto &u : pending) {
          if (u.centre_run() != end.centre_run() || u.what() == "heartbeat" || u.update_sequence() <= last)
            continue;
          if (u.update_sequence() != last + 1) break;  // a gap already: the caller resyncs on the next update
          if (u.removed())
            fresh.erase(u.key());
          else
            fresh[u.key()] = u;
          last = u.update_sequence();
        }
        pending.clear();
        {
          std::lock_guard lock(mutex_);
          state_ = fresh;
        }
        last_ = last;
        run_ = end.centre_run();
        if (callbacks_.onSnapshot) callbacks_.onSnapshot(fresh);
        return true;
      }
    }
  }
  return false;
}

void CloneClient::run() {
  try {
    zmq::socket_t sub(context_, zmq::socket_type::sub);
    sub.set(zmq::sockopt::linger, 0);
    makeCurveClient(sub, options_.keys, options_.serverPublicZ85);
    sub.set(zmq::sockopt::subscribe, "");
    sub.connect(options_.updatesEndpoint);
    bool synced = false;
    std::int64_t lastHeard = steadyMs();
    std::vector<wire::StateUpdate> pending;
    while (!stop_) {
      if (!synced) {
        if (snapshot(sub, pending)) {
          synced = true;
          lastHeard = steadyMs();
          if (!up_) {
            up_ = true;
            if (callbacks_.onLink) callbacks_.onLink(true);
          }
        } else {
          continue;  // retry until the centre answers
        }
      }
      zmq::pollitem_t items[] = {{sub.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 1, std::chrono::milliseconds(100));
      zmq::message_t m;
      while (synced && sub.recv(m, zmq::recv_flags::dontwait)) {
        wire::Envelope env;
        if (!env.ParseFromArray(m.data(), static_cast<int>(m.size())) || !env.has_state_update()) continue;
        const auto &u = env.state_update();
        lastHeard = steadyMs();
        if (u.centre_run() != run_) {
          log_->info("centre restarted; resynchronising");
          synced = false;
        } else if (u.what() == "heartbeat") {
          if (u.update_sequence() > last_) {
            log_->info("missed updates {}..{}; resynchronising", last_ + 1, u.update_sequence());
            synced = false;
          }
        } else if (u.update_sequence() <= last_) {
          continue;
        } else if (u.update_sequence() != last_ + 1) {
          log_->info("gap: expected update {}, got {}; resynchronising", last_ + 1, u.update_sequence());
          synced = false;
        } else {
          {
            std::lock_guard lock(mutex_);
            if (u.removed())
              state_.erase(u.key());
            else
              state_[u.key()] = u;
          }
          last_ = u.update_sequence();
          if (callbacks_.onUpdate) callbacks_.onUpdate(u);
        }
        if (!synced) {
          ++resyncs_;
          pending.clear();
        }
      }
      if (synced && steadyMs() - lastHeard > options_.silenceMs) {
        log_->warn("no word from the centre for {} ms; link down", steadyMs() - lastHeard);
        up_ = false;
        if (callbacks_.onLink) callbacks_.onLink(false);
        synced = false;
        ++resyncs_;
      }
    }
  } catch (const zmq::error_t &e) {
    if (e.num() != ETERM) log_->error("console link: {}", e.what());
  }
}

}  // namespace liandong::link
