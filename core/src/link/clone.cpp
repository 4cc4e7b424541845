// Clone-pattern fan-out: server and client (see clone.h).
#include "liandong/core/link/clone.h"

#include <random>

#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "liandong/core/link/security.h"
#include "liandong/core/logging.h"
#include "liandong/core/region_code.h"

namespace liandong::link {

CloneServer::CloneServer(zmq::context_t &context, CloneServerOptions options)
    : options_(std::move(options)),
      log_(logging::get("link")),
      pub_(context, zmq::socket_type::xpub),
      router_(context, zmq::socket_type::router),
      run_(static_cast<std::uint64_t>(nowUs())) {
  pub_.set(zmq::sockopt::linger, 0);
  pub_.set(zmq::sockopt::sndhwm, 100000);
  pub_.set(zmq::sockopt::xpub_manual, 1);  // a subscriber gets only the topic the centre grants it
  pub_.set(zmq::sockopt::maxmsgsize, std::int64_t{4096});  // subscriptions only; the CURVE handshake fits
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

namespace {
bool inRegion(const wire::StateUpdate &u, const std::string &region) {
  if (region.empty()) return true;
  if (u.region_path_size() > 0) return regionCovers(region, u.region_path(u.region_path_size() - 1));
  return regionCovers(region, u.region_code());
}

// The serialised tail that sets one viewer's update sequence: appended to
// the update serialised once, it overrides the field (Protobuf merges
// concatenated messages), so each viewer costs a few bytes, not a copy.
std::string sequenceTail(std::uint64_t sequence) {
  wire::Envelope env;
  env.mutable_state_update()->set_update_sequence(sequence);
  return env.SerializeAsString();
}

bool validTopic(std::string_view topic) {
  if (topic.size() != 34 || topic.substr(0, 2) != "v/") return false;
  for (char c : topic.substr(2))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}
}  // namespace

// One update frame to one viewer: [topic][envelope].
void CloneServer::sendOnTopic(const std::string &topic, const std::string &bytes) {
  pub_.send(zmq::buffer(topic), zmq::send_flags::sndmore);
  pub_.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
}

void CloneServer::sendTo(Viewer &viewer, const std::string &base) {
  std::string bytes = base + sequenceTail(++viewer.sequence);
  sendOnTopic(viewer.topic, bytes);
}

void CloneServer::publish(wire::StateUpdate update) {
  update.set_update_sequence(++sequence_);
  if (update.removed()) {
    state_.erase(update.key());
  } else if (!update.key().empty()) {
    state_[update.key()] = update;
  }
  if (viewers_.empty()) return;
  std::string base;
  for (auto &[topic, viewer] : viewers_) {
    if (!viewer.subscribed || !inRegion(update, viewer.request.region_code())) continue;
    if (viewer.access.sees && !viewer.access.sees(update)) continue;
    if (base.empty()) {
      wire::StateUpdate copy = update;
      copy.clear_update_sequence();
      auto env = wrap(std::move(copy));
      base = env.SerializeAsString();
    }
    sendTo(viewer, base);
  }
}

CloneAccess CloneServer::decide(const std::string &keyId, const wire::SnapshotRequest &request) {
  if (!options_.admit) return {"", keyId, {}};
  try {
    return options_.admit(keyId, request);
  } catch (const std::exception &e) {
    return {std::string("not admitted: ") + e.what(), keyId, {}};
  }
}

void CloneServer::refuse(const std::string &routing, const std::string *topic, const std::string &why) {
  ++refusals_;
  wire::Envelope end;
  end.set_sender_id(options_.id);
  end.set_sent_at_us(nowUs());
  end.set_kind(wire::KIND_RESPONSE);
  end.mutable_snapshot_end()->set_centre_run(run_);
  end.mutable_snapshot_end()->set_refused(why);
  if (topic) {
    sendOnTopic(*topic, end.SerializeAsString());
  } else {
    send(router_, end, &routing);
  }
}

void CloneServer::serveSnapshots() {
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
    std::string keyId = uid ? uid : "";
    wire::Envelope req;
    if (!req.ParseFromArray(payload.data(), static_cast<int>(payload.size())) ||
        !req.has_snapshot_request()) {
      log_->warn("refused a malformed snapshot request from {}", keyId.empty() ? "?" : keyId);
      continue;
    }
    const auto &request = req.snapshot_request();
    std::string topic = request.viewer().empty() ? "" : "v/" + request.viewer();
    if (!topic.empty() && !validTopic(topic)) {
      log_->warn("refused a snapshot request from {}: viewer is not 32 hex characters", keyId);
      refuse(rid, nullptr, "viewer must be 32 lowercase hex characters");
      continue;
    }
    auto access = decide(keyId, request);
    if (!access.refused.empty()) {
      log_->warn("refused console {}: {}", keyId, access.refused);
      viewers_.erase(topic);
      refuse(rid, nullptr, access.refused);
      continue;
    }
    Viewer *viewer = nullptr;
    if (!topic.empty()) {
      auto it = viewers_.find(topic);
      if (it == viewers_.end()) {
        if (viewers_.size() >= options_.maxViewers) {
          log_->warn("refused console {}: {} viewers already", keyId, viewers_.size());
          refuse(rid, nullptr, "too many consoles on this centre");
          continue;
        }
        it = viewers_.emplace(topic, Viewer{}).first;
        it->second.topic = topic;
        auto g = granted_.find(topic);
        it->second.subscribed = g != granted_.end() && g->second == keyId;
      } else if (it->second.keyId != keyId) {
        refuse(rid, nullptr, "viewer topic in use by another console");
        continue;
      }
      viewer = &it->second;
      viewer->keyId = keyId;
      viewer->request = request;
      viewer->access = access;
      viewer->requested = true;
      viewer->checkedMs = steadyMs();
    }
    std::uint64_t count = 0;
    for (const auto &[key, item] : state_) {
      if (!inRegion(item, request.region_code())) continue;
      if (access.sees && !access.sees(item)) continue;
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
    // The viewer's own sequence: updates after this one follow the snapshot.
    end.mutable_snapshot_end()->set_update_sequence(viewer ? viewer->sequence : sequence_);
    end.mutable_snapshot_end()->set_centre_run(run_);
    end.mutable_snapshot_end()->set_items(count);
    send(router_, end, &rid);
    log_->debug("snapshot of {} items to {}", count, access.who.empty() ? keyId : access.who);
  }
}

void CloneServer::serveSubscriptions() {
  while (true) {
    zmq::message_t sub;
    if (!pub_.recv(sub, zmq::recv_flags::dontwait)) break;
    if (sub.size() < 1) continue;
    auto *data = static_cast<const char *>(sub.data());
    std::string topic(data + 1, sub.size() - 1);
    bool subscribe = data[0] == 1;
    log_->debug("{} of {} bytes", subscribe ? "subscription" : "unsubscription", topic.size());
    if (!validTopic(topic)) {
      if (subscribe) {
        const char *uid = sub.gets("User-Id");
        log_->warn("console {} asked for updates topic of {} bytes; only its own viewer topic is granted",
                   uid ? uid : "?", topic.size());
      }
      continue;
    }
    if (subscribe) {
      pub_.set(zmq::sockopt::subscribe, topic);  // to the subscriber this message came from
      const char *subscriber = sub.gets("User-Id");
      granted_[topic] = subscriber ? subscriber : "";
      if (auto it = viewers_.find(topic); it != viewers_.end())
        it->second.subscribed = true;
      else {
        // The subscription may arrive before the snapshot request: keep a
        // placeholder until the request says who it is and what it sees.
        if (viewers_.size() >= options_.maxViewers) continue;
        Viewer v;
        v.topic = topic;
        v.subscribed = true;
        const char *uid = sub.gets("User-Id");
        v.keyId = uid ? uid : "";
        v.access.sees = [](const wire::StateUpdate &) {
          return false;
        };  // nothing until the snapshot request
        v.checkedMs = steadyMs();
        viewers_.emplace(topic, std::move(v));
      }
    } else {
      pub_.set(zmq::sockopt::unsubscribe, topic);
      viewers_.erase(topic);
      granted_.erase(topic);
    }
  }
}

void CloneServer::recheck() {
  auto now = steadyMs();
  for (auto it = viewers_.begin(); it != viewers_.end();) {
    auto &v = it->second;
    if (now - v.checkedMs < options_.recheckIntervalMs) {
      ++it;
      continue;
    }
    v.checkedMs = now;
    if (!v.requested) {  // subscribed but never asked for a snapshot
      it = viewers_.erase(it);
      continue;
    }
    auto access = decide(v.keyId, v.request);
    if (access.refused.empty()) {
      v.access = access;
      ++it;
      continue;
    }
    log_->warn("console {} no longer admitted: {}", v.keyId, access.refused);
    refuse("", &v.topic, access.refused);
    it = viewers_.erase(it);
  }
}

void CloneServer::poll(int waitMs) {
  zmq::pollitem_t items[] = {{router_.handle(), 0, ZMQ_POLLIN, 0}, {pub_.handle(), 0, ZMQ_POLLIN, 0}};
  try {
    zmq::poll(items, 2, std::chrono::milliseconds(waitMs));
  } catch (const zmq::error_t &e) {
    if (e.num() != EINTR) throw;
    return;
  }
  serveSubscriptions();
  serveSnapshots();
  auto now = steadyMs();
  if (now - lastRecheckMs_ >= 1000) {
    recheck();
    lastRecheckMs_ = now;
  }
  if (now - lastBeatMs_ >= options_.heartbeatIntervalMs) {
    // Each viewer hears where its own sequence stands.
    for (auto &[topic, viewer] : viewers_) {
      if (!viewer.subscribed) continue;
      wire::StateUpdate beat;
      beat.set_what("heartbeat");
      beat.set_update_sequence(viewer.sequence);  // not a new update
      auto env = wrap(std::move(beat));
      sendOnTopic(topic, env.SerializeAsString());
    }
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
  std::random_device random;  // getrandom(2): the topic must not be guessable
  static const char *hex = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) viewer_ += hex[random() & 15];
  session_ = options_.session;
  thread_ = std::thread([this] { run(); });
}

CloneClient::~CloneClient() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void CloneClient::setSession(const std::string &session) {
  {
    std::lock_guard lock(mutex_);
    session_ = session;
  }
  sessionChanged_ = true;
}

std::map<std::string, wire::StateUpdate> CloneClient::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

bool CloneClient::receiveUpdate(zmq::socket_t &sub, wire::Envelope &env) {
  // [topic][envelope]; anything else is skipped.
  while (true) {
    zmq::message_t topic, body;
    if (!sub.recv(topic, zmq::recv_flags::dontwait)) return false;
    if (!topic.more()) continue;
    if (!sub.recv(body)) return false;
    bool extra = body.more();
    while (body.more()) {
      zmq::message_t more;
      if (!sub.recv(more)) break;
      body.swap(more);
    }
    if (!extra && env.ParseFromArray(body.data(), static_cast<int>(body.size()))) return true;
  }
}

void CloneClient::refused(const std::string &why) {
  if (refusedAtMs_ == 0) log_->warn("the centre refused this console: {}", why);
  refusedAtMs_ = steadyMs();
  if (up_) {
    up_ = false;
    if (callbacks_.onLink) callbacks_.onLink(false);
  }
  if (callbacks_.onRefused) callbacks_.onRefused(why);
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
  env.mutable_snapshot_request()->set_viewer(viewer_);
  {
    std::lock_guard lock(mutex_);
    env.mutable_snapshot_request()->set_session(session_);
  }
  sessionChanged_ = false;
  req.send(zmq::buffer(env.SerializeAsString()), zmq::send_flags::none);
  std::map<std::string, wire::StateUpdate> fresh;
  auto deadline = steadyMs() + options_.snapshotTimeoutMs;
  while (!stop_ && steadyMs() < deadline) {
    zmq::pollitem_t items[] = {{req.handle(), 0, ZMQ_POLLIN, 0}, {sub.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 2, std::chrono::milliseconds(50));
    zmq::message_t m;
    // Keep the updates that arrive meanwhile; they are applied after the snapshot.
    wire::Envelope u;
    while (receiveUpdate(sub, u)) {
      if (u.has_state_update()) pending.push_back(u.state_update());
    }
    while (req.recv(m, zmq::recv_flags::dontwait)) {
      wire::Envelope r;
      if (!r.ParseFromArray(m.data(), static_cast<int>(m.size()))) continue;
      if (r.has_state_update()) {
        fresh[r.state_update().key()] = r.state_update();
      } else if (r.has_snapshot_end() && !r.snapshot_end().refused().empty()) {
        refused(r.snapshot_end().refused());
        return false;
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
    sub.set(zmq::sockopt::subscribe, "v/" + viewer_);
    sub.connect(options_.updatesEndpoint);
    bool synced = false;
    std::int64_t lastHeard = steadyMs();
    std::vector<wire::StateUpdate> pending;
    while (!stop_) {
      if (!synced) {
        if (refusedAtMs_ != 0 && steadyMs() - refusedAtMs_ < 2000 && !sessionChanged_) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));  // refused: ask again in a while
          continue;
        }
        if (snapshot(sub, pending)) {
          refusedAtMs_ = 0;
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
      wire::Envelope env;
      if (sessionChanged_) {
        synced = false;
        ++resyncs_;
        pending.clear();
      }
      while (synced && receiveUpdate(sub, env)) {
        if (env.has_snapshot_end() && !env.snapshot_end().refused().empty()) {
          refused(env.snapshot_end().refused());
          synced = false;
          break;
        }
        if (!env.has_state_update()) continue;
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
