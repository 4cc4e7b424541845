// The camera hub (see camera_hub.h): its set-up and tear-down on the
// worker thread, the live loop's hooks that take each camera's access
// units (on the live loop's I/O thread: health counters, the GOP for
// snapshots, recordings, the event ring, the picture check), recorded
// playback on gst-rtsp-server with connections handed over by the live
// loop, and the public methods. The parts: camera_health.cpp (connections,
// health), recorder.cpp (recordings, retention), picture_check.cpp.
//
// The live path is LiveLoop (live_loop.h): our own RTSP client per camera
// and our own RTSP server for viewers on one epoll thread, forwarding RTP
// packets as they came, with a group-of-pictures cache at the RTP level so
// a new viewer starts on a keyframe at once. It replaced rtspsrc and a
// shared gst-rtsp-server media per camera (appsink -> appsrc -> payloader),
// which cost about twice ffmpeg's CPU a stream (docs/performance.md,
// "video"). The live loop also depayloads each camera's RTP into access
// units (rtp_depay.h); onUnit() here takes them. gst-rtsp-server stays for
// recorded playback (/rec, playback.h).
#include "liandong/ingest/camera/camera_hub.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "camera_hub_impl.h"
#include "liandong/core/clock.h"
#include "liandong/core/errors.h"

namespace liandong::ingest {

namespace {

constexpr std::size_t kMaxGopSamples = 600;      // a 20 s GOP at 30 fps
constexpr std::size_t kMaxGopBytes = 32u << 20;  // beyond this the cache waits for the next keyframe
constexpr int kTickMs = 200;                     // health evaluation period

constexpr Codec kH264{"h264", "h264parse", "avdec_h264", "avc"};
constexpr Codec kH265{"h265", "h265parse", "avdec_h265", "hvc1"};

// The live loop's thread: the camera's video stream is playing (a new
// camera session): the caps of its access units.
void onPlaying(Feed &r, const rtsp::SdpVideo &video) {
  const char *name = video.encoding == "H265" ? "video/x-h265" : "video/x-h264";
  gst::MiniPtr<GstCaps> caps(gst_caps_new_simple(name, "stream-format", G_TYPE_STRING, "byte-stream",
                                                 "alignment", G_TYPE_STRING, "au", nullptr));
  std::lock_guard lock(r.mu);
  if (!r.caps || !gst_caps_is_equal(caps.get(), r.caps.get())) {
    r.caps = std::move(caps);
    r.gop.clear();
    r.gopBytes = 0;
  }
}

// The live loop's thread: one access unit (a frame) arrived.
void onUnit(Feed &r, const rtp::AccessUnit &unit, std::int64_t ptsNs) {
  auto size = unit.data.size();
  bool keyframe = unit.keyframe;
  gst::MiniPtr<GstBuffer> owned(gst_buffer_new_memdup(unit.data.data(), size));
  GstBuffer *buffer = owned.get();
  GST_BUFFER_PTS(buffer) = GST_BUFFER_DTS(buffer) =
      static_cast<GstClockTime>(std::max<std::int64_t>(0, ptsNs));
  if (!keyframe) GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  std::lock_guard lock(r.mu);
  if (!r.caps) return;
  ++r.frames;
  r.bytes += size;
  r.lastFrameSteadyMs = steadyMs();
  r.lastFrameUs = nowUs();
  if (keyframe) {
    r.gop.clear();
    r.gopBytes = 0;
  }
  if ((keyframe || !r.gop.empty()) && r.gop.size() < kMaxGopSamples && r.gopBytes + size <= kMaxGopBytes) {
    r.gop.emplace_back(gst_sample_new(buffer, r.caps.get(), nullptr, nullptr));
    r.gopBytes += size;
  } else if (!keyframe) {
    r.gop.clear();  // incomplete: a decoder could not start from it
    r.gopBytes = 0;
  }
  if (r.recorder) record(*r.recorder, buffer, keyframe, r.lastFrameUs);
  if (r.eventRecorder) record(*r.eventRecorder, buffer, keyframe, r.lastFrameUs);
  if (r.ringUs >= 0) keepInRing(r, buffer, keyframe, r.lastFrameUs);
  if (keyframe) inspect(r, buffer);  // to the picture check when due
}

// RTSP server thread: before a DESCRIBE, recorded playback mounts the
// segment asked for, or answers 404.
GstRTSPStatusCode onPlaybackDescribe(GstRTSPClient *, GstRTSPContext *ctx, gpointer data) {
  auto playback = static_cast<std::weak_ptr<PlaybackMounts> *>(data)->lock();
  if (!playback || !ctx || !ctx->uri || !ctx->uri->abspath) return GST_RTSP_STS_OK;
  try {
    return playback->beforeDescribe(ctx->uri->abspath);
  } catch (const std::exception &e) {
    logging::get("ingest")->error("recorded playback {}: {}", ctx->uri->abspath, e.what());
    return GST_RTSP_STS_INTERNAL_SERVER_ERROR;
  }
}

void deleteWeakPlayback(gpointer data, GClosure *) {
  delete static_cast<std::weak_ptr<PlaybackMounts> *>(data);
}

void onPlaybackClient(GstRTSPServer *, GstRTSPClient *client, gpointer data) {
  g_signal_connect_data(
      client, "pre-describe-request", G_CALLBACK(onPlaybackDescribe),
      new std::weak_ptr<PlaybackMounts>(*static_cast<std::weak_ptr<PlaybackMounts> *>(data)),
      deleteWeakPlayback, GConnectFlags(0));
}

GstRTSPFilterResult removeClient(GstRTSPServer *, GstRTSPClient *, gpointer) {
  return GST_RTSP_FILTER_REMOVE;
}

}  // namespace

const Codec &codecOf(const GstCaps *caps) {
  const GstStructure *st = caps && gst_caps_get_size(caps) > 0 ? gst_caps_get_structure(caps, 0) : nullptr;
  return st && gst_structure_has_name(st, "video/x-h265") ? kH265 : kH264;
}

const char *cameraStateName(wire::CameraState state) {
  switch (state) {
    case wire::CAMERA_CONNECTING: return "connecting";
    case wire::CAMERA_LIVE: return "live";
    case wire::CAMERA_STALLED: return "stalled";
    case wire::CAMERA_OFFLINE: return "offline";
    case wire::CAMERA_IDLE: return "idle";
    default: return "unknown";
  }
}

void CameraHub::Impl::runOnWorker(std::function<void()> fn) {
  struct Call {
    std::function<void()> fn;
    std::promise<void> done;
  };
  auto *call = new Call{std::move(fn), {}};
  auto result = call->done.get_future();
  g_main_context_invoke_full(
      context.get(), G_PRIORITY_HIGH,
      [](gpointer p) -> gboolean {
        auto *c = static_cast<Call *>(p);
        try {
          c->fn();
          c->done.set_value();
        } catch (...) {
          c->done.set_exception(std::current_exception());
        }
        return G_SOURCE_REMOVE;
      },
      call, [](gpointer p) { delete static_cast<Call *>(p); });
  result.get();
}

// worker: the live loop with a stream per feed, recorded playback, the
// health tick, and every camera connected (or idle, on demand).
void CameraHub::Impl::setUp() {
  // The live path: viewers of /cam/... and the cameras' upstreams.
  live = std::make_unique<LiveLoop>(
      options.host, options.port, static_cast<std::size_t>(options.viewerBacklogKb) * 1024,
      [this](int fd, const std::string &ip, int port, const std::string &initial) {
        transferConnection(fd, ip, port, initial);
      },
      options.grantKey);
  for (auto &[id, feed] : *feeds) {
    Feed *r = feed.get();
    LiveHooks hooks;
    hooks.playing = [r](std::uint64_t, const rtsp::SdpVideo &video) { onPlaying(*r, video); };
    hooks.unit = [r](const rtp::AccessUnit &unit, std::int64_t ptsNs) { onUnit(*r, unit, ptsNs); };
    hooks.failed = [this, r](std::uint64_t attempt, const std::string &reason) {
      upstreamFailed(*r, attempt, reason);
    };
    hooks.wanted = [r] {
      if (!r->spec.onDemand) return false;  // 503: the camera is not live
      std::lock_guard lock(r->mu);
      r->wanted = true;  // the worker connects it on its next tick
      return true;
    };
    r->live = live->add(id, std::move(hooks), r->describeWaitMs);
  }
  if (options.recording) {
    // Recorded playback at /rec/<camera>/<start µs> (playback.h) on
    // gst-rtsp-server, which gets those connections from the live loop.
    server.reset(gst_rtsp_server_new());
    gst::GObjectPtr<GstRTSPMountPoints> mounts(gst_rtsp_server_get_mount_points(server.get()));
    playback = std::make_shared<PlaybackMounts>(options.recording->dir, mounts.get());
    g_signal_connect_data(server.get(), "client-connected", G_CALLBACK(onPlaybackClient),
                          new std::weak_ptr<PlaybackMounts>(playback), deleteWeakPlayback, GConnectFlags(0));
  }
  announceLastFiles();
  boundPort = live->port();
  log->info("re-serving {} camera(s) at rtsp://{}:{}/cam/<id>", feeds->size(), options.host,
            boundPort.load());
  live->start();
  tick.reset(g_timeout_source_new(kTickMs));
  g_source_set_callback(
      tick.get(),
      [](gpointer p) -> gboolean {
        auto *self = static_cast<Impl *>(p);
        try {
          self->evaluate();
        } catch (const std::exception &e) {
          self->log->error("camera health: {}", e.what());
        }
        return G_SOURCE_CONTINUE;
      },
      this, nullptr);
  g_source_attach(tick.get(), context.get());
  for (auto &[id, feed] : *feeds) {
    if (feed->spec.onDemand)
      setState(*feed, wire::CAMERA_IDLE, "on demand: nobody watching");
    else
      start(*feed);
  }
}

// the live loop's thread: a connection for another path than /cam/ (recorded
// playback) goes to gst-rtsp-server on the worker, or gets 404.
void CameraHub::Impl::transferConnection(int fd, const std::string &ip, int port,
                                         const std::string &initial) {
  struct Call {
    Impl *self;
    int fd;
    std::string ip;
    int port;
    std::string initial;
  };
  g_main_context_invoke_full(
      context.get(), G_PRIORITY_DEFAULT,
      [](gpointer p) -> gboolean {
        auto &c = *static_cast<Call *>(p);
        if (!c.self->server) {
          auto cseq = std::string("0");
          if (auto at = c.initial.find("CSeq:"); at != std::string::npos)
            cseq = c.initial.substr(at + 5, c.initial.find_first_of("\r\n", at) - at - 5);
          auto text = "RTSP/1.0 404 Not Found\r\nCSeq:" + cseq + "\r\nServer: Liandong\r\n\r\n";
          [[maybe_unused]] auto n = ::send(c.fd, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
          ::close(c.fd);
          return G_SOURCE_REMOVE;
        }
        GError *raw = nullptr;
        gst::GObjectPtr<GSocket> socket(g_socket_new_from_fd(c.fd, &raw));
        gst::ErrorPtr err(raw);
        if (!socket) {
          ::close(c.fd);
          c.self->log->error("recorded playback: {}", err ? err->message : "bad socket");
          return G_SOURCE_REMOVE;
        }
        if (!gst_rtsp_server_transfer_connection(c.self->server.get(), socket.release(), c.ip.c_str(), c.port,
                                                 c.initial.c_str()))
          c.self->log->warn("recorded playback: the connection from {}:{} could not be served", c.ip, c.port);
        return G_SOURCE_REMOVE;
      },
      new Call{this, fd, ip, port, initial}, [](gpointer p) { delete static_cast<Call *>(p); });
}

// worker
void CameraHub::Impl::tearDown() {
  tick.reset();
  live.reset();  // joins its thread: no hook runs after this
  if (server) gst_rtsp_server_client_filter(server.get(), removeClient, nullptr);
  playback.reset();
  server.reset();
  for (auto &[id, feed] : *feeds) {
    feed->retryTimer.reset();
    feed->connected = false;
    closeRecorder(*feed, true);
    stopInspector(*feed);
  }
}

std::string CameraHub::Impl::serveUrl(const std::string &id) const {
  return fmt::format("rtsp://{}:{}/cam/{}", options.advertiseHost, boundPort.load(), id);
}

CameraHub::CameraHub(CameraOptions options) : impl_(std::make_unique<Impl>()) {
  gst::init();
  impl_->options = std::move(options);
  for (const auto &spec : impl_->options.cameras) {
    auto r = std::make_shared<Feed>();
    r->spec = spec;
    r->safeUrl = redactCredentials(spec.url);
    r->describeWaitMs = static_cast<int>(std::min(impl_->options.offlineAfterS, 30.0) * 1000);
    const auto &rec = impl_->options.recording;
    if (rec && (rec->eventPreS > 0 || rec->eventPostS > 0))
      r->ringUs = static_cast<std::int64_t>(rec->eventPreS * 1e6);
    (*impl_->feeds)[spec.id] = std::move(r);
    if (spec.subUrl.empty()) continue;
    // The sub stream: a feed of its own at /cam/<id>/sub, neither recorded
    // nor judged nor reported (the camera's status is its main stream's).
    auto sub = std::make_shared<Feed>();
    sub->spec = spec;
    sub->spec.id = spec.id + "/sub";
    sub->spec.url = spec.subUrl;
    sub->spec.record = false;
    sub->isSub = true;
    sub->safeUrl = redactCredentials(spec.subUrl);
    sub->describeWaitMs = static_cast<int>(std::min(impl_->options.offlineAfterS, 30.0) * 1000);
    (*impl_->feeds)[sub->spec.id] = std::move(sub);
  }
  impl_->context.reset(g_main_context_new());
  impl_->loop.reset(g_main_loop_new(impl_->context.get(), FALSE));
  impl_->worker = std::thread([impl = impl_.get()] {
    g_main_context_push_thread_default(impl->context.get());
    g_main_loop_run(impl->loop.get());
    g_main_context_pop_thread_default(impl->context.get());
  });
  try {
    impl_->runOnWorker([impl = impl_.get()] { impl->setUp(); });
  } catch (...) {
    impl_->runOnWorker([impl = impl_.get()] { impl->tearDown(); });
    g_main_loop_quit(impl_->loop.get());
    impl_->worker.join();
    throw;
  }
}

CameraHub::~CameraHub() {
  try {
    impl_->runOnWorker([impl = impl_.get()] { impl->tearDown(); });
  } catch (const std::exception &e) {
    impl_->log->error("cameras: stopping: {}", e.what());
  }
  g_main_loop_quit(impl_->loop.get());
  impl_->worker.join();
}

int CameraHub::port() const {
  return impl_->boundPort.load();
}

std::string CameraHub::serveUrl(const std::string &cameraId) const {
  return impl_->serveUrl(cameraId);
}

std::vector<wire::RecordingSegment> CameraHub::takeSegments() {
  std::lock_guard lock(impl_->changesMu);
  return std::exchange(impl_->segments, {});
}

void CameraHub::closeRecordings(bool resume) {
  impl_->runOnWorker([impl = impl_.get(), resume] {
    for (auto &[id, feed] : *impl->feeds) {
      if (!resume) feed->recordRetryMs = std::numeric_limits<std::int64_t>::max();
      impl->closeRecorder(*feed, true);
      if (resume && feed->state == wire::CAMERA_LIVE) impl->startRecorder(*feed);
    }
  });
}

std::vector<wire::CameraStatus> CameraHub::takeChanges() {
  std::lock_guard lock(impl_->changesMu);
  return std::exchange(impl_->changes, {});
}

void CameraHub::onChange(std::function<void(const wire::CameraStatus &)> callback) {
  std::lock_guard lock(impl_->changesMu);
  impl_->callback = std::move(callback);
}

std::vector<wire::CameraStatus> CameraHub::statuses() const {
  std::vector<wire::CameraStatus> out;
  for (auto &[id, r] : *impl_->feeds)
    if (!r->isSub) out.push_back(impl_->statusOf(*r));
  return out;
}

std::optional<wire::CameraStatus> CameraHub::status(const std::string &cameraId) const {
  auto it = impl_->feeds->find(cameraId);
  if (it == impl_->feeds->end()) return std::nullopt;
  return impl_->statusOf(*it->second);
}

bool CameraHub::recordEvent(const std::string &cameraId, const std::string &trigger) {
  auto it = impl_->feeds->find(cameraId);
  if (it == impl_->feeds->end()) return false;
  bool started = false;
  impl_->runOnWorker([&] { started = impl_->triggerEvent(*it->second, trigger); });
  return started;
}

int CameraHub::attempts(const std::string &cameraId) const {
  auto it = impl_->feeds->find(cameraId);
  if (it == impl_->feeds->end()) return 0;
  std::lock_guard lock(it->second->mu);
  return it->second->attempts;
}

std::optional<std::vector<std::uint8_t>> CameraHub::snapshot(const std::string &cameraId,
                                                             int timeoutMs) const {
  auto it = impl_->feeds->find(cameraId);
  if (it == impl_->feeds->end()) return std::nullopt;
  std::vector<gst::MiniPtr<GstSample>> gop;
  gst::MiniPtr<GstCaps> caps;
  {
    std::lock_guard lock(it->second->mu);
    if (it->second->gop.empty() || !it->second->caps) return std::nullopt;
    for (auto &s : it->second->gop) gop.emplace_back(gst_sample_ref(s.get()));
    caps.reset(gst_caps_ref(it->second->caps.get()));
  }
  try {
    // Decoding happens only here, on the caller's thread, for this one picture.
    const Codec &codec = codecOf(caps.get());
    auto pipeline =
        gst::parseLaunch(fmt::format("appsrc name=src format=time max-bytes=0 ! {} ! {} ! videoconvert "
                                     "! jpegenc quality=85 ! appsink name=sink sync=false",
                                     codec.parse, codec.decoder));
    auto src = gst::byName(pipeline.get(), "src");
    auto sink = gst::byName(pipeline.get(), "sink");
    gst_app_src_set_caps(GST_APP_SRC(src.get()), caps.get());
    GstClockTime pts = 0;
    for (auto &s : gop) {
      GstBuffer *copy = gst_buffer_copy(gst_sample_get_buffer(s.get()));
      GST_BUFFER_PTS(copy) = GST_BUFFER_DTS(copy) = pts;
      GST_BUFFER_DURATION(copy) = GST_SECOND / 25;
      pts += GST_SECOND / 25;
      gst_app_src_push_buffer(GST_APP_SRC(src.get()), copy);
    }
    gst_app_src_end_of_stream(GST_APP_SRC(src.get()));
    struct Stopper {
      GstElement *p;
      ~Stopper() { gst_element_set_state(p, GST_STATE_NULL); }
    } stopper{pipeline.get()};
    if (gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
      return std::nullopt;
    gst::MiniPtr<GstSample> last;
    auto deadline = steadyMs() + timeoutMs;
    while (steadyMs() < deadline) {
      gst::MiniPtr<GstSample> s(gst_app_sink_try_pull_sample(GST_APP_SINK(sink.get()), 100 * GST_MSECOND));
      if (s) {
        last = std::move(s);
        continue;
      }
      if (gst_app_sink_is_eos(GST_APP_SINK(sink.get()))) break;
    }
    if (!last) return std::nullopt;
    GstBuffer *jpeg = gst_sample_get_buffer(last.get());
    GstMapInfo map;
    if (!jpeg || !gst_buffer_map(jpeg, &map, GST_MAP_READ)) return std::nullopt;
    std::vector<std::uint8_t> out(map.data, map.data + map.size);
    gst_buffer_unmap(jpeg, &map);
    return out;
  } catch (const Error &e) {
    impl_->log->warn("camera {}: snapshot failed: {}", cameraId, e.what());
    return std::nullopt;
  }
}

}  // namespace liandong::ingest
