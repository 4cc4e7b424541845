// The camera hub's connections and health (see camera_hub.h): one
// connection attempt at a time per feed through the live loop, a bounded
// exponential back-off with jitter after a failure, on-demand cameras
// connected while watched, and the health state machine (connecting / live
// / stalled / offline / idle, fps and bitrate) evaluated every tick, each
// change of state a CameraStatus. The worker thread only (but
// upstreamFailed, which posts to it).
#include <algorithm>
#include <cmath>
#include <random>

#include <fmt/format.h>

#include "camera_hub_impl.h"
#include "liandong/core/clock.h"

namespace liandong::ingest {

namespace {
constexpr std::int64_t kRateWindowMs = 2000;  // fps and bitrate over the last 2 s
constexpr int kHandshakeLeadMs = 500;         // see start()
}  // namespace

wire::CameraStatus CameraHub::Impl::statusOf(const Feed &f) const {
  wire::CameraStatus s;
  s.set_camera_id(f.spec.id);
  std::lock_guard lock(f.mu);
  s.set_state(f.publishedState);
  s.set_detail(f.publishedDetail);
  s.set_last_frame_at_us(f.lastFrameUs);
  s.set_fps(f.fps);
  s.set_bitrate_kbps(f.kbps);
  s.set_serve_url(serveUrl(f.spec.id));
  if (!f.spec.subUrl.empty() && !f.isSub) s.set_sub_url(serveUrl(f.spec.id + "/sub"));
  return s;
}

// A change of state (or of its reason) is an event.
void CameraHub::Impl::setState(Feed &f, wire::CameraState state, std::string detail) {
  if (f.state == state && f.detail == detail) return;
  f.state = state;
  f.detail = std::move(detail);
  // Recorded and its picture checked while live only: an outage is a gap
  // between two files, and a reconnected camera is judged afresh.
  if (state == wire::CAMERA_LIVE) {
    startRecorder(f);
    if (!f.isSub) startInspector(f);
    // The picture going black or being tampered with is an event to record.
    if (f.detail.rfind("black", 0) == 0 || f.detail.rfind("tamper", 0) == 0) triggerEvent(f, f.detail);
  } else {
    closeRecorder(f, false);
    stopInspector(f);
    std::lock_guard lock(f.mu);  // a pre-roll never spans an outage
    f.ring.clear();
    f.ringBytes = 0;
  }
  auto status = statusOf(f);
  status.set_state(state);
  status.set_detail(f.detail);
  if (state == wire::CAMERA_OFFLINE || state == wire::CAMERA_STALLED)
    log->warn("camera {} ({}): {}{}{}", f.spec.id, f.safeUrl, cameraStateName(state),
              f.detail.empty() ? "" : ": ", f.detail);
  else
    log->info("camera {} ({}): {}{}{}", f.spec.id, f.safeUrl, cameraStateName(state),
              f.detail.empty() ? "" : ": ", f.detail);
  std::function<void(const wire::CameraStatus &)> cb;
  if (!f.isSub) {  // a camera's status is that of its main stream
    std::lock_guard lock(changesMu);
    changes.push_back(status);
    cb = callback;
  }
  // Published after it is queued: whoever sees the new state through
  // status() finds its change in takeChanges() too.
  {
    std::lock_guard lock(f.mu);
    f.publishedState = f.state;
    f.publishedDetail = f.detail;
  }
  if (cb) cb(status);
}

void CameraHub::Impl::disconnect(Feed &f) {
  if (f.connected) live->disconnect(f.live);
  f.connected = false;
}

// The live loop's thread: an attempt failed; the worker handles it unless a
// newer attempt has begun meanwhile.
void CameraHub::Impl::upstreamFailed(Feed &f, std::uint64_t attempt, const std::string &reason) {
  struct Call {
    Impl *self;
    Feed *feed;
    std::uint64_t attempt;
    std::string reason;
  };
  g_main_context_invoke_full(
      context.get(), G_PRIORITY_DEFAULT,
      [](gpointer p) -> gboolean {
        auto &c = *static_cast<Call *>(p);
        try {
          int current;
          {
            std::lock_guard lock(c.feed->mu);
            current = c.feed->attempts;
          }
          if (c.feed->connected && static_cast<std::uint64_t>(current) == c.attempt)
            c.self->fail(*c.feed, c.reason);
        } catch (const std::exception &e) {
          c.self->log->error("camera {}: {}", c.feed->spec.id, e.what());
        }
        return G_SOURCE_REMOVE;
      },
      new Call{this, &f, attempt, reason}, [](gpointer p) { delete static_cast<Call *>(p); });
}

// The attempt failed or the camera went away; reconnect later.
void CameraHub::Impl::fail(Feed &f, const std::string &reason) {
  disconnect(f);
  setState(f, wire::CAMERA_OFFLINE, reason);
  ++f.failures;
  // Bounded exponential back-off with jitter in [delay/2, delay]: 200
  // cameras behind a switch that comes back do not reconnect in step.
  double delay =
      std::min(options.reconnectMaxS, options.reconnectMinS * std::pow(2.0, std::min(f.failures - 1, 20)));
  delay *= std::uniform_real_distribution<double>(0.5, 1.0)(rng);
  auto ms = static_cast<guint>(std::max(50.0, delay * 1000));
  log->info("camera {}: reconnecting in {:.1f} s", f.spec.id, ms / 1000.0);
  f.retryTimer.reset(g_timeout_source_new(ms));
  g_source_set_callback(
      f.retryTimer.get(),
      [](gpointer p) -> gboolean {
        auto [self, feed] = *static_cast<std::pair<Impl *, Feed *> *>(p);
        self->start(*feed);
        return G_SOURCE_REMOVE;
      },
      new std::pair<Impl *, Feed *>(this, &f),
      [](gpointer p) { delete static_cast<std::pair<Impl *, Feed *> *>(p); });
  g_source_attach(f.retryTimer.get(), context.get());
}

// One connection attempt.
void CameraHub::Impl::start(Feed &f) {
  f.retryTimer.reset();
  disconnect(f);
  int attempt;
  {
    std::lock_guard lock(f.mu);
    attempt = ++f.attempts;
  }
  f.attemptStartedMs = steadyMs();
  // An offline camera stays offline while it is retried: one event per
  // outage (and one per new reason), not two per attempt.
  if (f.state != wire::CAMERA_OFFLINE) setState(f, wire::CAMERA_CONNECTING, "");
  bool tcp = f.spec.transport == CameraTransport::Tcp ||
             (f.spec.transport == CameraTransport::Auto && attempt % 2 == 1);
  f.connected = true;
  // The live loop gives up on the lookup and the handshake a little before
  // evaluate() would call the attempt "no video within ...": its reason
  // names the step that did not answer (the name, the connection, SETUP).
  auto offlineMs = static_cast<int>(options.offlineAfterS * 1000);
  live->connect(f.live, static_cast<std::uint64_t>(attempt), f.spec.url, tcp,
                std::max(offlineMs / 2, offlineMs - kHandshakeLeadMs));
}

// Every tick, for an on-demand camera: connect it when a viewer asked,
// disconnect it `onDemandLingerS` after the last viewer left.
void CameraHub::Impl::onDemand(Feed &f, std::int64_t now) {
  bool wanted, watched;
  {
    std::lock_guard lock(f.mu);
    wanted = std::exchange(f.wanted, false);
    watched = live->viewers(f.live) > 0;
  }
  if (wanted || watched) f.lastWantedMs = now;
  if (wanted && !f.connected) {
    log->info("camera {}: a viewer asked; connecting (on demand)", f.spec.id);
    start(f);
  } else if (!watched && (f.connected || f.retryTimer) && now - f.lastWantedMs >= lingerMs(f)) {
    sleep(f);
  }
}

// How long an on-demand camera stays connected after it was last watched or
// asked for. Until it is live, the viewer that asked is still waiting in its
// DESCRIBE (up to describeWaitMs) and is not counted as watching yet: a
// linger shorter than that wait would close the camera under it while it
// connects (a camera slower to answer than the linger was never seen).
std::int64_t CameraHub::Impl::lingerMs(const Feed &f) const {
  auto linger = static_cast<std::int64_t>(options.onDemandLingerS * 1000);
  if (f.state != wire::CAMERA_LIVE) linger = std::max<std::int64_t>(linger, f.describeWaitMs);
  return linger;
}

// An on-demand camera nobody watches is disconnected, on purpose.
void CameraHub::Impl::sleep(Feed &f) {
  f.retryTimer.reset();
  disconnect(f);
  f.failures = 0;
  {
    std::lock_guard lock(f.mu);  // the next viewer starts from a fresh keyframe
    f.gop.clear();
    f.gopBytes = 0;
  }
  setState(f, wire::CAMERA_IDLE, "on demand: nobody watching");
}

// fps and bitrate over the last kRateWindowMs.
void CameraHub::Impl::updateRates(Feed &f, std::int64_t now) {
  std::lock_guard lock(f.mu);
  f.window.emplace_back(now, f.frames, f.bytes);
  while (f.window.size() > 2 && std::get<0>(f.window.front()) < now - kRateWindowMs) f.window.pop_front();
  auto &[t0, f0, b0] = f.window.front();
  double dt = (now - t0) / 1000.0;
  if (dt >= 0.5) {
    f.fps = (f.frames - f0) / dt;
    f.kbps = (f.bytes - b0) * 8.0 / 1000.0 / dt;
  }
}

// Every tick: rates and the health state machine.
void CameraHub::Impl::evaluate() {
  auto now = steadyMs();
  auto stallMs = static_cast<std::int64_t>(options.stallAfterS * 1000);
  auto offlineMs = static_cast<std::int64_t>(options.offlineAfterS * 1000);
  for (auto &[id, fp] : *feeds) {
    auto &f = *fp;
    updateRates(f, now);
    std::int64_t lastFrame;
    {
      std::lock_guard lock(f.mu);
      lastFrame = f.lastFrameSteadyMs;
    }
    if (f.spec.onDemand) onDemand(f, now);
    if (!f.connected) continue;
    bool frameThisAttempt = lastFrame >= f.attemptStartedMs;
    auto sinceFrame = now - lastFrame;
    switch (f.state) {
      case wire::CAMERA_CONNECTING:
      case wire::CAMERA_OFFLINE:  // being retried
        if (frameThisAttempt && sinceFrame < stallMs) {
          f.failures = 0;
          setState(f, wire::CAMERA_LIVE, "");
        } else if (now - f.attemptStartedMs > offlineMs) {
          fail(f, fmt::format("no video within {:g} s", options.offlineAfterS));
        }
        break;
      case wire::CAMERA_LIVE:
        if (sinceFrame >= stallMs) {
          setState(f, wire::CAMERA_STALLED, fmt::format("no frame for {:g} s", options.stallAfterS));
        } else {
          std::string picture;
          {
            std::lock_guard lock(f.mu);
            picture = f.picture;
          }
          setState(f, wire::CAMERA_LIVE, picture);  // frozen, black, tamper: a change is an event
        }
        break;
      case wire::CAMERA_STALLED:
        if (sinceFrame < stallMs)
          setState(f, wire::CAMERA_LIVE, "");
        else if (sinceFrame >= offlineMs)
          fail(f, fmt::format("no frame for {:g} s", options.offlineAfterS));
        break;
      default: break;
    }
    if (f.state == wire::CAMERA_LIVE) {  // after a failed recording or picture check
      startRecorder(f);
      startInspector(f);
    }
  }
  auto wall = nowUs();
  for (auto &[id, f] : *feeds)
    if (f->eventUntilUs && wall >= f->eventUntilUs) closeEvent(*f);
  retention(now);
}

}  // namespace liandong::ingest
