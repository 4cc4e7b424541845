// Camera relay and re-serving (see camera_relay.h).
//
// The live path is LiveRelay (live_relay.h): our own RTSP client per
// camera and our own RTSP server for viewers on one epoll thread, forwarding
// RTP packets as they came, with a group-of-pictures cache at the RTP level
// so a new viewer starts on a keyframe at once. It replaced rtspsrc and a
// shared gst-rtsp-server media per camera (appsink -> appsrc -> payloader),
// which cost about twice ffmpeg's CPU a stream (docs/performance.md,
// "video"). LiveRelay also depayloads each camera's RTP into access units
// (rtp_depay.h); onUnit() here takes them, on LiveRelay's thread, for
// everything that needs whole frames: health (fps, bitrate, last frame),
// the access-unit cache for snapshots, continuous and event recording
// (appsrc ! h26xparse ! splitmuxsink) and the picture check (appsrc !
// avdec_h26x, keyframes only). gst-rtsp-server stays for recorded playback
// (/rec, playback.h): LiveRelay hands it connections for other paths.
//
// Threads: every pipeline state change, bus message, timer and the playback
// server run on the hub's worker thread (its own GMainContext); fields
// marked "worker" are touched only there. LiveRelay's hooks (its I/O
// thread) only touch the fields under Relay::mu, or post to the worker. No
// exception crosses a GStreamer callback: they catch, log and carry on.
#include "liandong/ingest/camera/camera_hub.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "liandong/core/logging.h"
#include "liandong/ingest/camera/gst_util.h"
#include "liandong/ingest/camera/picture_health.h"
#include "live_relay.h"
#include "playback.h"

namespace liandong::ingest {

namespace {

constexpr std::size_t kMaxGopSamples = 600;      // a 20 s GOP at 30 fps
constexpr std::size_t kMaxGopBytes = 32u << 20;  // beyond this the cache waits for the next keyframe
constexpr int kTickMs = 200;                     // health evaluation period
constexpr std::int64_t kRateWindowMs = 2000;     // fps and bitrate over the last 2 s

// The elements for one video codec; H.264 and H.265 pass through alike.
struct Codec {
  const char *name;       // as in the caps: video/x-<name>
  const char *parse;      // parser
  const char *decoder;    // for snapshots and the picture check only
  const char *mp4Format;  // the stream-format mp4mux takes
};
constexpr Codec kH264{"h264", "h264parse", "avdec_h264", "avc"};
constexpr Codec kH265{"h265", "h265parse", "avdec_h265", "hvc1"};

const Codec &codecOf(const GstCaps *caps) {
  const GstStructure *st = caps && gst_caps_get_size(caps) > 0 ? gst_caps_get_structure(caps, 0) : nullptr;
  return st && gst_structure_has_name(st, "video/x-h265") ? kH265 : kH264;
}

std::int64_t nowSteadyMs() {
  return steadyMs();
}

const std::regex &idPattern() {
  static const std::regex re("[A-Za-z0-9_-]{1,64}");
  return re;
}

}  // namespace

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

std::optional<CameraOptions> readCameraOptions(const ConfigNode &node) {
  auto n = node.optionalChild("cameras");
  if (!n) return std::nullopt;
  CameraOptions o;
  o.host = n->str("host", "127.0.0.1");
  if (o.host.empty()) n->fail("host", "must not be empty");
  // Consoles need an address they can reach: a wildcard listen address is not one.
  bool wildcard = o.host == "0.0.0.0" || o.host == "::" || o.host == "[::]";
  o.advertiseHost = n->str("advertise_host", wildcard ? "127.0.0.1" : o.host);
  if (o.advertiseHost.empty() || o.advertiseHost.find_first_of("/@ ") != std::string::npos)
    n->fail("advertise_host", "must be a host name or address");
  auto port = n->integer("port", 8554);
  if (port < 0 || port > 65535) n->fail("port", "must be 0..65535");
  o.port = static_cast<int>(port);
  o.stallAfterS = n->number("stall_after_s", 3);
  if (!(o.stallAfterS >= 0.2 && o.stallAfterS <= 3600)) n->fail("stall_after_s", "must be 0.2..3600");
  o.offlineAfterS = n->number("offline_after_s", 10);
  if (!(o.offlineAfterS > o.stallAfterS && o.offlineAfterS <= 3600))
    n->fail("offline_after_s", "must be more than stall_after_s and at most 3600");
  o.reconnectMinS = n->number("reconnect_min_s", 1);
  if (!(o.reconnectMinS >= 0.1 && o.reconnectMinS <= 3600)) n->fail("reconnect_min_s", "must be 0.1..3600");
  o.reconnectMaxS = n->number("reconnect_max_s", 30);
  if (!(o.reconnectMaxS >= o.reconnectMinS && o.reconnectMaxS <= 3600))
    n->fail("reconnect_max_s", "must be reconnect_min_s..3600");
  auto backlog = n->integer("viewer_backlog_kb", o.viewerBacklogKb);
  if (backlog < 16 || backlog > 1024 * 1024) n->fail("viewer_backlog_kb", "must be 16..1048576");
  o.viewerBacklogKb = static_cast<int>(backlog);
  o.onDemandLingerS = n->number("on_demand_linger_s", o.onDemandLingerS);
  if (!(o.onDemandLingerS >= 0 && o.onDemandLingerS <= 3600))
    n->fail("on_demand_linger_s", "must be 0..3600");
  if (auto pic = n->optionalChild("picture")) {
    o.pictureCheckS = pic->number("check_s", 1);
    if (!(o.pictureCheckS == 0 || (o.pictureCheckS >= 0.2 && o.pictureCheckS <= 600)))
      pic->fail("check_s", "must be 0 (off) or 0.2..600");
    o.picture.frozenAfterS = pic->number("frozen_after_s", 10);
    if (!(o.picture.frozenAfterS >= 1 && o.picture.frozenAfterS <= 86400))
      pic->fail("frozen_after_s", "must be 1..86400");
    o.picture.tamperAfterS = pic->number("tamper_after_s", 5);
    if (!(o.picture.tamperAfterS >= 0 && o.picture.tamperAfterS <= 86400))
      pic->fail("tamper_after_s", "must be 0..86400");
  }
  if (auto rec = n->optionalChild("recording")) {
    RecordingOptions r;
    r.dir = rec->path("dir");
    r.segmentS = rec->number("segment_s", 60);
    if (!(r.segmentS >= 1 && r.segmentS <= 3600)) rec->fail("segment_s", "must be 1..3600");
    r.keepHours = rec->number("keep_hours", 0);
    if (!(r.keepHours >= 0 && r.keepHours <= 24 * 3660))
      rec->fail("keep_hours", "must be 0 (no limit)..87840");
    auto quotaMb = rec->number("quota_mb", 0);
    if (!(quotaMb >= 0 && quotaMb <= 1e9)) rec->fail("quota_mb", "must be 0 (no quota)..1000000000");
    r.quotaBytes = static_cast<std::uint64_t>(quotaMb * 1024 * 1024);
    r.highWaterPct = rec->number("high_water_pct", 95);
    if (!(r.highWaterPct > 0 && r.highWaterPct <= 100)) rec->fail("high_water_pct", "must be 1..100");
    r.lowWaterPct = rec->number("low_water_pct", std::max(1.0, r.highWaterPct - 5));
    if (!(r.lowWaterPct > 0 && r.lowWaterPct < r.highWaterPct))
      rec->fail("low_water_pct", "must be above 0 and below high_water_pct");
    r.eventPreS = rec->number("event_pre_s", 0);
    if (!(r.eventPreS >= 0 && r.eventPreS <= 300)) rec->fail("event_pre_s", "must be 0..300");
    r.eventPostS = rec->number("event_post_s", 0);
    if (!(r.eventPostS >= 0 && r.eventPostS <= 3600)) rec->fail("event_post_s", "must be 0..3600");
    o.recording = std::move(r);
  }
  std::set<std::string> ids;
  for (const auto &d : n->list("devices")) {
    CameraSpec c;
    c.id = d.str("id");
    if (!std::regex_match(c.id, idPattern())) d.fail("id", "must be 1..64 of A-Z a-z 0-9 _ -");
    if (!ids.insert(c.id).second) d.fail("id", "camera \"" + c.id + "\" is listed twice");
    c.url = d.literal("url");
    if (c.url.rfind("rtsp://", 0) != 0 && c.url.rfind("rtsps://", 0) != 0)
      d.fail("url", "\"" + redactCredentials(c.url) + "\" is not an rtsp:// or rtsps:// URL");
    if (d.has("sub_url")) {
      c.subUrl = d.literal("sub_url");
      if (c.subUrl.rfind("rtsp://", 0) != 0 && c.subUrl.rfind("rtsps://", 0) != 0)
        d.fail("sub_url", "\"" + redactCredentials(c.subUrl) + "\" is not an rtsp:// or rtsps:// URL");
    }
    auto t = d.choice("transport", {"tcp", "udp", "auto"}, "tcp");
    c.transport = t == "tcp"   ? CameraTransport::Tcp
                  : t == "udp" ? CameraTransport::Udp
                               : CameraTransport::Auto;
    auto latency = d.integer("latency_ms", 200);
    if (latency < 0 || latency > 10000) d.fail("latency_ms", "must be 0..10000");
    c.latencyMs = static_cast<int>(latency);
    c.latitude = d.number("latitude", 0);
    c.longitude = d.number("longitude", 0);
    if (!(std::abs(c.latitude) <= 90)) d.fail("latitude", "must be -90..90");
    if (!(std::abs(c.longitude) <= 180)) d.fail("longitude", "must be -180..180");
    c.record = d.boolean("record", true);
    c.segmentS = d.number("segment_s", 0);
    if (!(c.segmentS == 0 || (c.segmentS >= 1 && c.segmentS <= 3600))) d.fail("segment_s", "must be 1..3600");
    if ((d.has("record") || d.has("segment_s")) && !o.recording)
      d.fail(d.has("record") ? "record" : "segment_s", "needs cameras.recording (with its dir)");
    c.onDemand = d.boolean("on_demand", false);
    if (c.onDemand && o.recording && c.record)
      d.fail("on_demand", "a recorded camera is pulled all the time; set record: false to pull it on demand");
    o.cameras.push_back(std::move(c));
  }
  if (o.cameras.empty()) n->fail("devices", "no camera is configured");
  return o;
}

namespace {

struct Relay;
using RelayMap = std::map<std::string, std::shared_ptr<Relay>>;

// One recording of a camera: appsrc ! h26xparse ! splitmuxsink, fed the
// relay's access units (from a keyframe on) while the camera is live, one MP4
// file per fragment under <dir>/<camera>/<start µs>.mp4. Closed (EOS, so the
// last file is finished) when the camera stops being live; a new recording
// starts when it is live again, so an outage is a gap between files.
struct Recorder {
  std::string cameraId;
  std::filesystem::path dir;  // <recordings>/<camera>
  gst::Ptr<GstElement> pipeline;
  gst::Ptr<GstElement> appsrc;
  gst::SourcePtr busWatch;  // worker

  // the relay's streaming thread (pushes) and splitmuxsink's (names), under mu
  std::mutex mu;
  bool started = false;                        // a keyframe has been pushed
  GstClockTime basePts = GST_CLOCK_TIME_NONE;  // upstream PTS of that keyframe: running time 0
  std::int64_t baseUs = 0;                     // wall clock of running time 0
  std::map<std::string, std::int64_t> open;    // files being written -> start µs
  GstClockTime lastPts = GST_CLOCK_TIME_NONE;  // of the last buffer pushed
  bool event = false;                          // an event recording (one file), not segments
  std::string trigger;                         // what started it
};

// One access unit kept for event pre-roll.
struct RingEntry {
  gst::MiniPtr<GstBuffer> buffer;
  std::int64_t arrivedUs = 0;
  bool keyframe = false;  // a whole keyframe starts here (not the rest of one)
};
constexpr std::size_t kMaxRingBytes = 64u << 20;  // whatever the pre-roll, at most this per camera

struct Relay;

// The low-rate decoded sub-sample of a camera for picture health: only
// keyframes (at most one per check interval) are decoded, to a small GRAY8
// picture: appsrc ! avdec_h26x ! videoscale ! appsink. Runs while
// the camera is live; the relay itself never decodes.
struct Inspector {
  Relay *relay = nullptr;
  gst::Ptr<GstElement> pipeline;
  gst::Ptr<GstElement> appsrc;
  gst::SourcePtr busWatch;  // worker
  PictureHealth health;     // the decoder's streaming thread only
};

struct Relay {
  CameraSpec spec;
  bool isSub = false;   // the sub stream of spec.id minus "/sub"
  int live = -1;        // its stream in LiveRelay
  std::string safeUrl;  // spec.url with the credentials masked: the only form logged

  // worker
  std::int64_t lastWantedMs = 0;  // on demand: when a viewer last watched or asked
  bool connected = false;         // an upstream attempt is under way or playing
  gst::SourcePtr retryTimer;
  std::vector<std::shared_ptr<Recorder>> closing;  // recordings finishing their last file
  std::int64_t recordRetryMs = 0;                  // after a recording failed, not before this
  std::int64_t inspectRetryMs = 0;                 // the same for the picture-health decoder
  std::int64_t eventUntilUs = 0;                   // the event recording ends then (wall clock)
  int failures = 0;                                // consecutive failed attempts (the back-off exponent)
  std::int64_t attemptStartedMs = 0;
  wire::CameraState state = wire::CAMERA_UNKNOWN;
  std::string detail;
  std::deque<std::tuple<std::int64_t, std::uint64_t, std::uint64_t>> window;  // (ms, frames, bytes)

  // streaming threads and readers, under mu
  mutable std::mutex mu;
  int attempts = 0;
  std::uint64_t frames = 0, bytes = 0;
  std::int64_t lastFrameSteadyMs = 0, lastFrameUs = 0;
  double fps = 0, kbps = 0;
  gst::MiniPtr<GstCaps> caps;                // video/x-h26x, byte-stream, au: of the current upstream
  std::vector<gst::MiniPtr<GstSample>> gop;  // keyframe first
  std::size_t gopBytes = 0;
  bool wanted = false;                   // on demand: a viewer asked for the upstream (the worker starts it)
  int describeWaitMs = 10000;            // on demand: how long a DESCRIBE waits for the first keyframe
  std::shared_ptr<Recorder> recorder;    // the one being fed (worker sets it)
  std::shared_ptr<Inspector> inspector;  // the picture-health decoder being fed (worker sets it)
  std::int64_t lastInspectedUs = 0;      // when a keyframe last went to it
  std::int64_t inspectEveryUs = 1'000'000;
  std::string picture;         // its latest finding ("", "frozen", "black", ...)
  std::int64_t ringUs = -1;    // event pre-roll kept (-1: no event recording)
  std::deque<RingEntry> ring;  // the last ringUs and more, from a keyframe
  std::size_t ringBytes = 0;
  std::shared_ptr<Recorder> eventRecorder;  // the event recording being fed (worker sets it)
  wire::CameraState publishedState = wire::CAMERA_UNKNOWN;
  std::string publishedDetail;
};

// LiveRelay's thread: one access unit into a recording. Times are the
// upstream's (the camera's RTP clock placed on ours), made to start at 0 at
// the recording's first keyframe.
void record(Recorder &rec, GstBuffer *buffer, bool keyframe, std::int64_t arrivedUs) {
  std::lock_guard lock(rec.mu);
  if (!rec.started) {
    if (!keyframe) return;  // a file must start with a keyframe
    rec.started = true;
    rec.basePts = GST_BUFFER_PTS(buffer);
    rec.baseUs = arrivedUs;
  }
  GstBuffer *copy = gst_buffer_copy(buffer);
  auto pts = GST_BUFFER_PTS(buffer), dts = GST_BUFFER_DTS(buffer);
  if (GST_CLOCK_TIME_IS_VALID(rec.basePts) && GST_CLOCK_TIME_IS_VALID(pts) && pts >= rec.basePts) {
    GST_BUFFER_PTS(copy) = pts - rec.basePts;
    GST_BUFFER_DTS(copy) =
        GST_CLOCK_TIME_IS_VALID(dts) && dts >= rec.basePts ? dts - rec.basePts : GST_CLOCK_TIME_NONE;
  } else if (!GST_CLOCK_TIME_IS_VALID(pts) && GST_CLOCK_TIME_IS_VALID(rec.lastPts)) {
    // The rest of a frame that came in more than one buffer (slices that
    // repeat SPS/PPS): just after its frame, so the muxer's times still rise.
    GST_BUFFER_PTS(copy) = rec.lastPts + 1;
    GST_BUFFER_DTS(copy) = GST_CLOCK_TIME_NONE;
  } else {  // no usable upstream time: the arrival time
    GST_BUFFER_PTS(copy) =
        static_cast<GstClockTime>(std::max<std::int64_t>(0, arrivedUs - rec.baseUs)) * 1000;
    GST_BUFFER_DTS(copy) = GST_CLOCK_TIME_NONE;
  }
  rec.lastPts = GST_BUFFER_PTS(copy);
  gst_app_src_push_buffer(GST_APP_SRC(rec.appsrc.get()), copy);  // takes the copy
}

// splitmuxsink's streaming thread: the name of the next file, from the
// wall-clock time of its first frame.
gchar *onFormatLocation(GstElement *, guint, GstSample *first, gpointer data) {
  auto &rec = *static_cast<Recorder *>(data);
  std::lock_guard lock(rec.mu);
  GstBuffer *b = first ? gst_sample_get_buffer(first) : nullptr;
  auto start = rec.baseUs;
  if (b && GST_BUFFER_PTS_IS_VALID(b)) start += static_cast<std::int64_t>(GST_BUFFER_PTS(b) / 1000);
  auto path = (rec.dir / segmentFileName(start)).string();
  rec.open[path] = start;
  return g_strdup(path.c_str());
}

// LiveRelay's thread, under r.mu: one access unit into the event
// ring, which then starts at the last keyframe at or before ringUs ago.
void keep(Relay &r, GstBuffer *buffer, bool keyframe, std::int64_t arrivedUs) {
  if (r.ring.empty() && !keyframe) return;
  r.ring.push_back({gst::MiniPtr<GstBuffer>(gst_buffer_ref(buffer)), arrivedUs, keyframe});
  r.ringBytes += gst_buffer_get_size(buffer);
  auto cutoff = arrivedUs - r.ringUs;
  for (;;) {
    auto next = std::find_if(r.ring.begin() + 1, r.ring.end(), [](const RingEntry &e) { return e.keyframe; });
    if (next == r.ring.end() || (next->arrivedUs > cutoff && r.ringBytes <= kMaxRingBytes)) break;
    for (auto it = r.ring.begin(); it != next; ++it) r.ringBytes -= gst_buffer_get_size(it->buffer.get());
    r.ring.erase(r.ring.begin(), next);
  }
}

// LiveRelay's thread: the camera's video stream is playing (a new upstream
// session): the caps of its access units.
void onPlaying(Relay &r, const rtsp::SdpVideo &video) {
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

// LiveRelay's thread: one access unit (a frame) arrived.
void onUnit(Relay &r, const rtp::AccessUnit &unit, std::int64_t ptsNs) {
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
  r.lastFrameSteadyMs = nowSteadyMs();
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
  if (r.ringUs >= 0) keep(r, buffer, keyframe, r.lastFrameUs);
  // Access units come whole from the depayloader: a keyframe goes to the
  // picture check at once.
  if (r.inspector && keyframe && r.lastFrameUs - r.lastInspectedUs >= r.inspectEveryUs) {
    r.lastInspectedUs = r.lastFrameUs;
    GstBuffer *copy = gst_buffer_copy(buffer);
    GST_BUFFER_PTS(copy) = GST_BUFFER_DTS(copy) = GST_BUFFER_DURATION(copy) = GST_CLOCK_TIME_NONE;
    gst_app_src_push_buffer(GST_APP_SRC(r.inspector->appsrc.get()), copy);
  }
}

// The decoder's streaming thread: one small grey picture to judge.
GstFlowReturn onInspected(GstAppSink *sink, gpointer data) {
  auto &in = *static_cast<Inspector *>(data);
  gst::MiniPtr<GstSample> sample(gst_app_sink_pull_sample(sink));
  if (!sample) return GST_FLOW_EOS;
  GstBuffer *buffer = gst_sample_get_buffer(sample.get());
  GstStructure *st = gst_caps_get_structure(gst_sample_get_caps(sample.get()), 0);
  int width = 0, height = 0;
  if (!buffer || !st || !gst_structure_get_int(st, "width", &width) ||
      !gst_structure_get_int(st, "height", &height))
    return GST_FLOW_OK;
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return GST_FLOW_OK;
  int stride = (width + 3) & ~3;  // GRAY8 rows are 4-byte aligned in GStreamer
  std::string finding;
  if (map.size >= static_cast<gsize>(stride) * static_cast<gsize>(height))
    finding = in.health.onPicture(map.data, width, height, stride, nowUs());
  gst_buffer_unmap(buffer, &map);
  std::lock_guard lock(in.relay->mu);
  in.relay->picture = finding;
  return GST_FLOW_OK;
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

struct CameraHub::Impl {
  CameraOptions options;
  std::shared_ptr<RelayMap> relays = std::make_shared<RelayMap>();
  std::shared_ptr<spdlog::logger> log = logging::get("ingest");

  gst::ContextPtr context;
  gst::LoopPtr loop;
  std::thread worker;

  // worker
  std::unique_ptr<LiveRelay> live;
  gst::GObjectPtr<GstRTSPServer> server;     // recorded playback only (connections from LiveRelay)
  std::shared_ptr<PlaybackMounts> playback;  // when recording
  gst::SourcePtr tick;
  std::mt19937 rng{std::random_device{}()};

  std::atomic<int> boundPort{0};
  mutable std::mutex changesMu;
  std::vector<wire::CameraStatus> changes;
  std::vector<wire::RecordingSegment> segments;  // closed or removed files, under changesMu
  std::function<void(const wire::CameraStatus &)> callback;

  // worker: retention runs when files were added (at most every 2 s), every
  // minute (age), and when the filesystem passes the high-water mark.
  bool retentionDue = false;
  std::int64_t lastRetentionMs = 0, lastDiskCheckMs = 0;

  // Runs fn on the worker thread and waits; its exception comes back here.
  void runOnWorker(std::function<void()> fn) {
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

  // ---- picture health (worker) ----

  void startInspector(Relay &r) {
    if (options.pictureCheckS <= 0 || r.inspector || nowSteadyMs() < r.inspectRetryMs) return;
    gst::MiniPtr<GstCaps> caps;
    {
      std::lock_guard lock(r.mu);
      if (!r.caps) return;
      caps.reset(gst_caps_ref(r.caps.get()));
    }
    auto in = std::make_shared<Inspector>();
    in->relay = &r;
    in->health = PictureHealth(options.picture);
    try {
      // One thread, no frame threading: a keyframe comes out as it goes in.
      // No parser: it would split a keyframe whose slices each repeat the
      // SPS and PPS into two pictures (the decoder takes it whole).
      const Codec &codec = codecOf(caps.get());
      auto pipeline = gst::parseLaunch(
          fmt::format("appsrc name=src is-live=true format=time do-timestamp=true max-bytes=4000000 "
                      "! {} max-threads=1 ! videoconvert ! videoscale "
                      "! video/x-raw,format=GRAY8,width=160,height=120 ! appsink name=sink sync=false "
                      "max-buffers=2 drop=true",
                      codec.decoder));
      in->appsrc = gst::byName(pipeline.get(), "src");
      gst_util_set_object_arg(G_OBJECT(in->appsrc.get()), "leaky-type", "downstream");
      gst_app_src_set_caps(GST_APP_SRC(in->appsrc.get()), caps.get());
      auto sink = gst::byName(pipeline.get(), "sink");
      GstAppSinkCallbacks callbacks{};
      callbacks.new_sample = onInspected;
      gst_app_sink_set_callbacks(GST_APP_SINK(sink.get()), &callbacks, in.get(), nullptr);
      gst::Ptr<GstBus> bus(gst_element_get_bus(pipeline.get()));
      in->busWatch.reset(gst_bus_create_watch(bus.get()));
      g_source_set_callback(in->busWatch.get(),
                            reinterpret_cast<GSourceFunc>(
                                reinterpret_cast<void (*)()>(+[](GstBus *, GstMessage *msg, gpointer p) {
                                  auto [self, relay] = *static_cast<std::pair<Impl *, Relay *> *>(p);
                                  if (GST_MESSAGE_TYPE(msg) != GST_MESSAGE_ERROR)
                                    return gboolean(G_SOURCE_CONTINUE);
                                  GError *raw = nullptr;
                                  gst_message_parse_error(msg, &raw, nullptr);
                                  gst::ErrorPtr err(raw);
                                  self->log->warn("camera {}: picture check stopped: {}", relay->spec.id,
                                                  err ? err->message : "error");
                                  relay->inspectRetryMs = nowSteadyMs() + 10000;
                                  self->stopInspector(*relay);  // destroys this watch: nothing after it
                                  return gboolean(G_SOURCE_REMOVE);
                                })),
                            new std::pair<Impl *, Relay *>(this, &r),
                            [](gpointer p) { delete static_cast<std::pair<Impl *, Relay *> *>(p); });
      g_source_attach(in->busWatch.get(), context.get());
      in->pipeline = std::move(pipeline);
      if (gst_element_set_state(in->pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        gst_element_set_state(in->pipeline.get(), GST_STATE_NULL);
        throw Error("the picture-check pipeline did not start");
      }
      std::lock_guard lock(r.mu);
      r.inspector = std::move(in);
      r.lastInspectedUs = 0;
      r.inspectEveryUs = static_cast<std::int64_t>(options.pictureCheckS * 1e6);
      r.picture.clear();
    } catch (const Error &e) {
      log->error("camera {}: no picture check: {}", r.spec.id, e.what());
      r.inspectRetryMs = nowSteadyMs() + 10000;
    }
  }

  void stopInspector(Relay &r) {
    std::shared_ptr<Inspector> in;
    {
      std::lock_guard lock(r.mu);
      in = std::exchange(r.inspector, nullptr);
      r.picture.clear();
    }
    if (!in) return;
    in->busWatch.reset();
    gst_element_set_state(in->pipeline.get(), GST_STATE_NULL);  // joins its streaming thread
  }

  // ---- recording (worker) ----

  struct RecorderBus {
    Impl *self;
    Relay *relay;
    Recorder *rec;
  };

  void startRecorder(Relay &r) {
    if (!options.recording || !r.spec.record || r.recorder || nowSteadyMs() < r.recordRetryMs) return;
    try {
      auto rec = makeRecorder(r, false);
      if (!rec) return;  // no stream yet: the next tick tries again
      std::lock_guard lock(r.mu);
      r.recorder = std::move(rec);
    } catch (const Error &e) {
      log->error("camera {}: cannot record: {}", r.spec.id, e.what());
      r.recordRetryMs = nowSteadyMs() + 10000;
    }
  }

  // A recording pipeline for one camera, playing and waiting for its first
  // keyframe: segments of the camera's length under <dir>/<camera>, or one
  // file under <dir>/<camera>/events (`event`). nullptr while the camera has
  // sent no video; throws Error when it cannot start.
  std::shared_ptr<Recorder> makeRecorder(Relay &r, bool event) {
    gst::MiniPtr<GstCaps> caps;
    {
      std::lock_guard lock(r.mu);
      if (!r.caps) return nullptr;
      caps.reset(gst_caps_ref(r.caps.get()));
    }
    auto rec = std::make_shared<Recorder>();
    rec->cameraId = r.spec.id;
    rec->dir = options.recording->dir / r.spec.id;
    if (event) rec->dir /= "events";
    rec->event = event;
    std::error_code ec;
    std::filesystem::create_directories(rec->dir, ec);
    if (ec) throw Error("cannot create " + rec->dir.string() + ": " + ec.message());
    const Codec &codec = codecOf(caps.get());
    auto pipeline = gst::parseLaunch(
        fmt::format("appsrc name=src is-live=true format=time max-bytes={} "
                    "! {} ! video/x-{},stream-format={},alignment=au ! splitmuxsink name=mux",
                    event ? kMaxRingBytes + 16000000 : 16000000, codec.parse, codec.name, codec.mp4Format));
    auto mux = gst::byName(pipeline.get(), "mux");
    double segmentS = event ? 0 : r.spec.segmentS > 0 ? r.spec.segmentS : options.recording->segmentS;
    // Robust muxing: mp4mux rewrites its index every second into space
    // reserved up front, so a file cut short by a crash or power loss
    // still plays up to the last second.
    auto muxer = gst::sinkRef(gst_element_factory_make("mp4mux", nullptr));
    if (!muxer) throw Error("mp4mux is not installed");
    g_object_set(muxer.get(), "reserved-moov-update-period", static_cast<guint64>(GST_SECOND), nullptr);
    g_object_set(mux.get(), "max-size-time", static_cast<guint64>(segmentS * GST_SECOND), "muxer",
                 muxer.get(), "use-robust-muxing", TRUE, nullptr);
    if (event)  // one file, however long: reserve index space for an hour
      g_object_set(muxer.get(), "reserved-max-duration", static_cast<guint64>(3600 * GST_SECOND), nullptr);
    g_signal_connect(mux.get(), "format-location-full", G_CALLBACK(onFormatLocation), rec.get());
    rec->appsrc = gst::byName(pipeline.get(), "src");
    // A disk that cannot keep up loses old frames rather than growing memory.
    gst_util_set_object_arg(G_OBJECT(rec->appsrc.get()), "leaky-type", "downstream");
    gst_app_src_set_caps(GST_APP_SRC(rec->appsrc.get()), caps.get());
    gst::Ptr<GstBus> bus(gst_element_get_bus(pipeline.get()));
    rec->busWatch.reset(gst_bus_create_watch(bus.get()));
    g_source_set_callback(
        rec->busWatch.get(), reinterpret_cast<GSourceFunc>(reinterpret_cast<void (*)()>(onRecorderBus)),
        new RecorderBus{this, &r, rec.get()}, [](gpointer p) { delete static_cast<RecorderBus *>(p); });
    g_source_attach(rec->busWatch.get(), context.get());
    rec->pipeline = std::move(pipeline);
    if (gst_element_set_state(rec->pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
      gst_element_set_state(rec->pipeline.get(), GST_STATE_NULL);
      throw Error("the recording pipeline did not start");
    }
    return rec;
  }

  // worker: starts an event recording with the ring as pre-roll, or extends
  // the one being written to `postS` from now.
  bool triggerEvent(Relay &r, const std::string &trigger) {
    if (r.ringUs < 0 || r.isSub) return false;
    r.eventUntilUs =
        std::max(r.eventUntilUs, nowUs() + static_cast<std::int64_t>(options.recording->eventPostS * 1e6));
    {
      std::lock_guard lock(r.mu);
      if (r.eventRecorder) {
        log->info("camera {}: event recording extended ({})", r.spec.id, trigger);
        return true;
      }
    }
    try {
      auto rec = makeRecorder(r, true);
      if (!rec) return false;
      rec->trigger = trigger;
      std::lock_guard lock(r.mu);
      std::int64_t from = r.ring.empty() ? 0 : r.ring.front().arrivedUs;
      for (auto &e : r.ring) record(*rec, e.buffer.get(), e.keyframe, e.arrivedUs);
      r.eventRecorder = std::move(rec);
      log->info("camera {}: event recording ({}), pre-roll {:.1f} s", r.spec.id, trigger,
                from ? (r.lastFrameUs - from) / 1e6 : 0.0);
      return true;
    } catch (const Error &e) {
      log->error("camera {}: cannot record the event: {}", r.spec.id, e.what());
      return false;
    }
  }

  // Ends the recording being fed: EOS finishes its last file. With `wait`,
  // here and now (bounded); otherwise its bus watch finishes it.
  void closeRecorder(Relay &r, bool wait) {
    std::shared_ptr<Recorder> rec;
    {
      std::lock_guard lock(r.mu);
      rec = std::move(r.recorder);
      r.recorder.reset();
    }
    if (rec) {
      gst_app_src_end_of_stream(GST_APP_SRC(rec->appsrc.get()));
      r.closing.push_back(std::move(rec));
    }
    closeEvent(r);
    if (!wait) return;
    for (auto &c : std::exchange(r.closing, {})) {
      c->busWatch.reset();
      gst::Ptr<GstBus> bus(gst_element_get_bus(c->pipeline.get()));
      auto deadline = nowSteadyMs() + 10000;
      while (nowSteadyMs() < deadline) {
        gst::MiniPtr<GstMessage> msg(gst_bus_timed_pop(bus.get(), 100 * GST_MSECOND));
        if (msg && recorderMessage(r, *c, msg.get())) break;
      }
      gst_element_set_state(c->pipeline.get(), GST_STATE_NULL);
    }
  }

  // Ends the event recording being fed (its bus watch finishes the file).
  void closeEvent(Relay &r) {
    std::shared_ptr<Recorder> rec;
    {
      std::lock_guard lock(r.mu);
      rec = std::exchange(r.eventRecorder, nullptr);
    }
    r.eventUntilUs = 0;
    if (!rec) return;
    gst_app_src_end_of_stream(GST_APP_SRC(rec->appsrc.get()));
    r.closing.push_back(std::move(rec));
  }

  // A message of a recording; true when the recording is over (EOS or error).
  bool recorderMessage(Relay &r, Recorder &rec, GstMessage *msg) {
    switch (GST_MESSAGE_TYPE(msg)) {
      case GST_MESSAGE_ELEMENT: {
        const GstStructure *st = gst_message_get_structure(msg);
        if (!st || !gst_structure_has_name(st, "splitmuxsink-fragment-closed")) return false;
        const char *location = gst_structure_get_string(st, "location");
        GstClockTime rt = GST_CLOCK_TIME_NONE;
        gst_structure_get_clock_time(st, "running-time", &rt);
        if (location) segmentClosed(rec, location, rt);
        return false;
      }
      case GST_MESSAGE_EOS: return true;
      case GST_MESSAGE_ERROR: {
        GError *raw = nullptr;
        gst_message_parse_error(msg, &raw, nullptr);
        gst::ErrorPtr err(raw);
        log->error("camera {}: recording failed: {}", rec.cameraId, err ? err->message : "error");
        r.recordRetryMs = nowSteadyMs() + 5000;
        return true;
      }
      default: return false;
    }
  }

  static gboolean onRecorderBus(GstBus *, GstMessage *msg, gpointer data) {
    auto d = *static_cast<RecorderBus *>(data);  // a copy: finishing destroys this watch
    try {
      if (!d.self->recorderMessage(*d.relay, *d.rec, msg)) return G_SOURCE_CONTINUE;
      gst_element_set_state(d.rec->pipeline.get(), GST_STATE_NULL);
      std::shared_ptr<Recorder> keep;  // destroyed last, after it left the lists
      {
        std::lock_guard lock(d.relay->mu);
        if (d.relay->recorder.get() == d.rec) keep = std::exchange(d.relay->recorder, nullptr);
        if (d.relay->eventRecorder.get() == d.rec) keep = std::exchange(d.relay->eventRecorder, nullptr);
      }
      auto &closing = d.relay->closing;
      for (auto it = closing.begin(); it != closing.end(); ++it)
        if (it->get() == d.rec) {
          keep = std::move(*it);
          closing.erase(it);
          break;
        }
    } catch (const std::exception &e) {
      d.self->log->error("camera {}: recording: {}", d.relay->spec.id, e.what());
    }
    return G_SOURCE_REMOVE;
  }

  void segmentClosed(Recorder &rec, const std::string &location, GstClockTime runningTime) {
    wire::RecordingSegment seg;
    {
      std::lock_guard lock(rec.mu);
      auto it = rec.open.find(location);
      seg.set_start_us(it != rec.open.end() ? it->second : rec.baseUs);
      if (it != rec.open.end()) rec.open.erase(it);
      auto end = GST_CLOCK_TIME_IS_VALID(runningTime)
                     ? rec.baseUs + static_cast<std::int64_t>(runningTime / 1000)
                     : nowUs();
      seg.set_end_us(std::max(end, seg.start_us()));
    }
    std::error_code ec;
    auto bytes = std::filesystem::file_size(location, ec);
    seg.set_camera_id(rec.cameraId);
    seg.set_path(location);
    if (rec.event) {
      seg.set_kind("event");
      seg.set_trigger(rec.trigger);
    }
    seg.set_bytes(ec ? 0 : bytes);
    log->info("camera {}: recorded {} ({:.1f} s, {} bytes)", rec.cameraId, location,
              (seg.end_us() - seg.start_us()) / 1e6, seg.bytes());
    std::lock_guard lock(changesMu);
    segments.push_back(std::move(seg));
    retentionDue = true;
  }

  // worker, from evaluate(): retention when due.
  void retention(std::int64_t now) {
    if (!options.recording) return;
    const auto &ro = *options.recording;
    bool due = (retentionDue && now - lastRetentionMs >= 2000) || now - lastRetentionMs >= 60000;
    if (!due && now - lastDiskCheckMs >= 5000) {
      lastDiskCheckMs = now;
      auto used = filesystemUsedPct(ro.dir);
      due = used && *used > ro.highWaterPct;
    }
    if (!due) return;
    retentionDue = false;
    lastRetentionMs = now;
    std::set<std::filesystem::path> open;
    auto collect = [&](Recorder &rec) {
      std::lock_guard lock(rec.mu);
      for (auto &[path, start] : rec.open) open.insert(path);
    };
    for (auto &[id, r] : *relays) {
      std::shared_ptr<Recorder> active;
      {
        std::lock_guard lock(r->mu);
        active = r->recorder;
      }
      if (active) collect(*active);
      {
        std::lock_guard lock(r->mu);
        active = r->eventRecorder;
      }
      if (active) collect(*active);
      for (auto &c : r->closing) collect(*c);
    }
    auto used = [&] { return filesystemUsedPct(ro.dir).value_or(0); };
    reportPurged(applyRetention(ro, nowUs(), open, used), "");
    // Event recordings (<dir>/<camera>/events/) after the segments: by age
    // and by the high-water purge, not counted in the quota.
    auto eo = ro;
    eo.quotaBytes = 0;
    for (auto &[id, r] : *relays) {
      if (r->isSub || r->ringUs < 0) continue;
      eo.dir = ro.dir / id;
      std::error_code ec;
      if (!std::filesystem::is_directory(eo.dir / "events", ec)) continue;
      auto purged = applyRetention(eo, nowUs(), open, used);
      for (auto &p : purged) p.file.cameraId = id;  // listed as a "camera" named events
      reportPurged(std::move(purged), "event");
    }
  }

  // worker: the files retention deleted, logged and sent as removed segments.
  void reportPurged(std::vector<Purged> purged, const std::string &kind) {
    if (purged.empty()) return;
    std::uint64_t bytes = 0;
    std::map<PurgeReason, int> byReason;
    for (const auto &p : purged) {
      bytes += p.file.bytes;
      ++byReason[p.reason];
    }
    const char *what = kind.empty() ? "segment(s)" : "event recording(s)";
    for (auto &[why, n] : byReason)
      (why == PurgeReason::HighWater
           ? log->warn("recordings: {} {} deleted by the {} rule", n, what, purgeReasonName(why))
           : log->info("recordings: {} {} deleted by the {} rule", n, what, purgeReasonName(why)));
    std::lock_guard lock(changesMu);
    for (const auto &p : purged) {
      wire::RecordingSegment seg;
      seg.set_camera_id(p.file.cameraId);
      seg.set_start_us(p.file.startUs);
      seg.set_end_us(std::max(p.file.startUs, p.file.modifiedUs));
      seg.set_path(p.file.path.string());
      seg.set_bytes(p.file.bytes);
      seg.set_removed(true);
      seg.set_kind(kind);
      segments.push_back(std::move(seg));
    }
  }

  std::string serveUrl(const std::string &id) const {
    return fmt::format("rtsp://{}:{}/cam/{}", options.advertiseHost, boundPort.load(), id);
  }

  wire::CameraStatus statusOf(const Relay &r) const {
    wire::CameraStatus s;
    s.set_camera_id(r.spec.id);
    std::lock_guard lock(r.mu);
    s.set_state(r.publishedState);
    s.set_detail(r.publishedDetail);
    s.set_last_frame_at_us(r.lastFrameUs);
    s.set_fps(r.fps);
    s.set_bitrate_kbps(r.kbps);
    s.set_serve_url(serveUrl(r.spec.id));
    if (!r.spec.subUrl.empty() && !r.isSub) s.set_sub_url(serveUrl(r.spec.id + "/sub"));
    return s;
  }

  // worker: a change of state (or of its reason) is an event.
  void setState(Relay &r, wire::CameraState state, std::string detail) {
    if (r.state == state && r.detail == detail) return;
    r.state = state;
    r.detail = std::move(detail);
    // Recorded and its picture checked while live only: an outage is a gap
    // between two files, and a reconnected camera is judged afresh.
    if (state == wire::CAMERA_LIVE) {
      startRecorder(r);
      if (!r.isSub) startInspector(r);
      // The picture going black or being tampered with is an event to record.
      if (r.detail.rfind("black", 0) == 0 || r.detail.rfind("tamper", 0) == 0) triggerEvent(r, r.detail);
    } else {
      closeRecorder(r, false);
      stopInspector(r);
      std::lock_guard lock(r.mu);  // a pre-roll never spans an outage
      r.ring.clear();
      r.ringBytes = 0;
    }
    auto status = statusOf(r);
    status.set_state(state);
    status.set_detail(r.detail);
    if (state == wire::CAMERA_OFFLINE || state == wire::CAMERA_STALLED)
      log->warn("camera {} ({}): {}{}{}", r.spec.id, r.safeUrl, cameraStateName(state),
                r.detail.empty() ? "" : ": ", r.detail);
    else
      log->info("camera {} ({}): {}{}{}", r.spec.id, r.safeUrl, cameraStateName(state),
                r.detail.empty() ? "" : ": ", r.detail);
    std::function<void(const wire::CameraStatus &)> cb;
    if (!r.isSub) {  // a camera's status is that of its main stream
      std::lock_guard lock(changesMu);
      changes.push_back(status);
      cb = callback;
    }
    // Published after it is queued: whoever sees the new state through
    // status() finds its change in takeChanges() too.
    {
      std::lock_guard lock(r.mu);
      r.publishedState = r.state;
      r.publishedDetail = r.detail;
    }
    if (cb) cb(status);
  }

  // worker
  void stopPipeline(Relay &r) {
    if (r.connected) live->disconnect(r.live);
    r.connected = false;
  }

  // LiveRelay's thread: an attempt failed; the worker handles it unless a
  // newer attempt has begun meanwhile.
  void upstreamFailed(Relay &r, std::uint64_t attempt, const std::string &reason) {
    struct Call {
      Impl *self;
      Relay *relay;
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
              std::lock_guard lock(c.relay->mu);
              current = c.relay->attempts;
            }
            if (c.relay->connected && static_cast<std::uint64_t>(current) == c.attempt)
              c.self->fail(*c.relay, c.reason);
          } catch (const std::exception &e) {
            c.self->log->error("camera {}: {}", c.relay->spec.id, e.what());
          }
          return G_SOURCE_REMOVE;
        },
        new Call{this, &r, attempt, reason}, [](gpointer p) { delete static_cast<Call *>(p); });
  }

  // worker: the attempt failed or the camera went away; reconnect later.
  void fail(Relay &r, const std::string &reason) {
    stopPipeline(r);
    setState(r, wire::CAMERA_OFFLINE, reason);
    ++r.failures;
    // Bounded exponential back-off with jitter in [delay/2, delay]: 200
    // cameras behind a switch that comes back do not reconnect in step.
    double delay =
        std::min(options.reconnectMaxS, options.reconnectMinS * std::pow(2.0, std::min(r.failures - 1, 20)));
    delay *= std::uniform_real_distribution<double>(0.5, 1.0)(rng);
    auto ms = static_cast<guint>(std::max(50.0, delay * 1000));
    log->info("camera {}: reconnecting in {:.1f} s", r.spec.id, ms / 1000.0);
    r.retryTimer.reset(g_timeout_source_new(ms));
    auto *pair = new std::pair<Impl *, Relay *>(this, &r);
    g_source_set_callback(
        r.retryTimer.get(),
        [](gpointer p) -> gboolean {
          auto [self, relay] = *static_cast<std::pair<Impl *, Relay *> *>(p);
          self->start(*relay);
          return G_SOURCE_REMOVE;
        },
        pair, [](gpointer p) { delete static_cast<std::pair<Impl *, Relay *> *>(p); });
    g_source_attach(r.retryTimer.get(), context.get());
  }

  // worker: one connection attempt.
  void start(Relay &r) {
    r.retryTimer.reset();
    stopPipeline(r);
    int attempt;
    {
      std::lock_guard lock(r.mu);
      attempt = ++r.attempts;
    }
    r.attemptStartedMs = nowSteadyMs();
    // An offline camera stays offline while it is retried: one event per
    // outage (and one per new reason), not two per attempt.
    if (r.state != wire::CAMERA_OFFLINE) setState(r, wire::CAMERA_CONNECTING, "");
    bool tcp = r.spec.transport == CameraTransport::Tcp ||
               (r.spec.transport == CameraTransport::Auto && attempt % 2 == 1);
    r.connected = true;
    live->connect(r.live, static_cast<std::uint64_t>(attempt), r.spec.url, tcp,
                  static_cast<int>(options.offlineAfterS * 1000));
  }

  // worker, every tick, for an on-demand camera: connect it when a viewer
  // asked, disconnect it `onDemandLingerS` after the last viewer left.
  void onDemand(Relay &r, std::int64_t now) {
    bool wanted, watched;
    {
      std::lock_guard lock(r.mu);
      wanted = std::exchange(r.wanted, false);
      watched = live->viewers(r.live) > 0;
    }
    if (wanted || watched) r.lastWantedMs = now;
    if (wanted && !r.connected) {
      log->info("camera {}: a viewer asked; connecting (on demand)", r.spec.id);
      start(r);
    } else if (!watched && (r.connected || r.retryTimer) &&
               now - r.lastWantedMs >= static_cast<std::int64_t>(options.onDemandLingerS * 1000)) {
      sleep(r);
    }
  }

  // worker: an on-demand camera nobody watches is disconnected, on purpose.
  void sleep(Relay &r) {
    r.retryTimer.reset();
    stopPipeline(r);
    r.failures = 0;
    {
      std::lock_guard lock(r.mu);  // the next viewer starts from a fresh keyframe
      r.gop.clear();
      r.gopBytes = 0;
    }
    setState(r, wire::CAMERA_IDLE, "on demand: nobody watching");
  }

  // worker, every kTickMs: rates and the health state machine.
  void evaluate() {
    auto now = nowSteadyMs();
    auto stallMs = static_cast<std::int64_t>(options.stallAfterS * 1000);
    auto offlineMs = static_cast<std::int64_t>(options.offlineAfterS * 1000);
    for (auto &[id, rp] : *relays) {
      auto &r = *rp;
      std::int64_t lastFrame;
      {
        std::lock_guard lock(r.mu);
        lastFrame = r.lastFrameSteadyMs;
        r.window.emplace_back(now, r.frames, r.bytes);
        while (r.window.size() > 2 && std::get<0>(r.window.front()) < now - kRateWindowMs)
          r.window.pop_front();
        auto &[t0, f0, b0] = r.window.front();
        double dt = (now - t0) / 1000.0;
        if (dt >= 0.5) {
          r.fps = (r.frames - f0) / dt;
          r.kbps = (r.bytes - b0) * 8.0 / 1000.0 / dt;
        }
      }
      if (r.spec.onDemand) onDemand(r, now);
      if (!r.connected) continue;
      bool frameThisAttempt = lastFrame >= r.attemptStartedMs;
      auto sinceFrame = now - lastFrame;
      switch (r.state) {
        case wire::CAMERA_CONNECTING:
        case wire::CAMERA_OFFLINE:  // being retried
          if (frameThisAttempt && sinceFrame < stallMs) {
            r.failures = 0;
            setState(r, wire::CAMERA_LIVE, "");
          } else if (now - r.attemptStartedMs > offlineMs) {
            fail(r, fmt::format("no video within {:g} s", options.offlineAfterS));
          }
          break;
        case wire::CAMERA_LIVE:
          if (sinceFrame >= stallMs) {
            setState(r, wire::CAMERA_STALLED, fmt::format("no frame for {:g} s", options.stallAfterS));
          } else {
            std::string picture;
            {
              std::lock_guard lock(r.mu);
              picture = r.picture;
            }
            setState(r, wire::CAMERA_LIVE, picture);  // frozen, black, tamper: a change is an event
          }
          break;
        case wire::CAMERA_STALLED:
          if (sinceFrame < stallMs)
            setState(r, wire::CAMERA_LIVE, "");
          else if (sinceFrame >= offlineMs)
            fail(r, fmt::format("no frame for {:g} s", options.offlineAfterS));
          break;
        default: break;
      }
      if (r.state == wire::CAMERA_LIVE) {  // after a failed recording or picture check
        startRecorder(r);
        startInspector(r);
      }
    }
    auto wall = nowUs();
    for (auto &[id, r] : *relays)
      if (r->eventUntilUs && wall >= r->eventUntilUs) closeEvent(*r);
    retention(now);
  }

  // worker
  void setUp() {
    // The live path: viewers of /cam/... and the cameras' upstreams.
    live = std::make_unique<LiveRelay>(
        options.host, options.port, static_cast<std::size_t>(options.viewerBacklogKb) * 1024,
        [this](int fd, const std::string &ip, int port, const std::string &initial) {
          transferConnection(fd, ip, port, initial);
        });
    for (auto &[id, relay] : *relays) {
      Relay *r = relay.get();
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
      // gst-rtsp-server, which gets those connections from LiveRelay.
      server.reset(gst_rtsp_server_new());
      gst::GObjectPtr<GstRTSPMountPoints> mounts(gst_rtsp_server_get_mount_points(server.get()));
      playback = std::make_shared<PlaybackMounts>(options.recording->dir, mounts.get());
      g_signal_connect_data(server.get(), "client-connected", G_CALLBACK(onPlaybackClient),
                            new std::weak_ptr<PlaybackMounts>(playback), deleteWeakPlayback,
                            GConnectFlags(0));
    }
    announceLastFiles();
    boundPort = live->port();
    log->info("re-serving {} camera(s) at rtsp://{}:{}/cam/<id>", relays->size(), options.host,
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
    for (auto &[id, relay] : *relays) {
      if (relay->spec.onDemand)
        setState(*relay, wire::CAMERA_IDLE, "on demand: nobody watching");
      else
        start(*relay);
    }
  }

  // worker, at start: the last two files of each camera's segments and
  // event recordings are sent to the index again. Only they can have been
  // left unannounced by a node that was killed (the file being written, and
  // one just closed whose segment had not reached the outbox); the index
  // takes a file it has already as a no-op (unique camera and path).
  void announceLastFiles() {
    if (!options.recording) return;
    auto announce = [this](std::vector<SegmentFile> files, const std::string &cameraId,
                           const std::string &kind) {
      auto from = files.size() > 2 ? files.end() - 2 : files.begin();
      std::lock_guard lock(changesMu);
      for (auto it = from; it != files.end(); ++it) {
        wire::RecordingSegment seg;
        seg.set_camera_id(cameraId);
        seg.set_start_us(it->startUs);
        seg.set_end_us(std::max(it->startUs, it->modifiedUs));
        seg.set_path(it->path.string());
        seg.set_bytes(it->bytes);
        seg.set_kind(kind);
        segments.push_back(std::move(seg));
      }
    };
    for (auto &[id, r] : *relays) {
      if (r->isSub) continue;
      announce(listSegments(options.recording->dir, id), id, "");
      announce(listSegments(options.recording->dir / id, "events"), id, "event");
    }
  }

  // LiveRelay's thread: a connection for another path than /cam/ (recorded
  // playback) goes to gst-rtsp-server on the worker, or gets 404.
  void transferConnection(int fd, const std::string &ip, int port, const std::string &initial) {
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
          if (!gst_rtsp_server_transfer_connection(c.self->server.get(), socket.release(), c.ip.c_str(),
                                                   c.port, c.initial.c_str()))
            c.self->log->warn("recorded playback: the connection from {}:{} could not be served", c.ip,
                              c.port);
          return G_SOURCE_REMOVE;
        },
        new Call{this, fd, ip, port, initial}, [](gpointer p) { delete static_cast<Call *>(p); });
  }

  // worker
  void tearDown() {
    tick.reset();
    live.reset();  // joins its thread: no hook runs after this
    if (server) gst_rtsp_server_client_filter(server.get(), removeClient, nullptr);
    playback.reset();
    server.reset();
    for (auto &[id, relay] : *relays) {
      relay->retryTimer.reset();
      relay->connected = false;
      closeRecorder(*relay, true);
      stopInspector(*relay);
    }
  }
};

CameraHub::CameraHub(CameraOptions options) : impl_(std::make_unique<Impl>()) {
  gst::init();
  impl_->options = std::move(options);
  for (const auto &spec : impl_->options.cameras) {
    auto r = std::make_shared<Relay>();
    r->spec = spec;
    r->safeUrl = redactCredentials(spec.url);
    r->describeWaitMs = static_cast<int>(std::min(impl_->options.offlineAfterS, 30.0) * 1000);
    const auto &rec = impl_->options.recording;
    if (rec && (rec->eventPreS > 0 || rec->eventPostS > 0))
      r->ringUs = static_cast<std::int64_t>(rec->eventPreS * 1e6);
    (*impl_->relays)[spec.id] = std::move(r);
    if (spec.subUrl.empty()) continue;
    // The sub stream: a relay of its own at /cam/<id>/sub, neither recorded
    // nor judged nor reported (the camera's status is its main stream's).
    auto sub = std::make_shared<Relay>();
    sub->spec = spec;
    sub->spec.id = spec.id + "/sub";
    sub->spec.url = spec.subUrl;
    sub->spec.record = false;
    sub->isSub = true;
    sub->safeUrl = redactCredentials(spec.subUrl);
    sub->describeWaitMs = static_cast<int>(std::min(impl_->options.offlineAfterS, 30.0) * 1000);
    (*impl_->relays)[sub->spec.id] = std::move(sub);
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
    for (auto &[id, relay] : *impl->relays) {
      if (!resume) relay->recordRetryMs = std::numeric_limits<std::int64_t>::max();
      impl->closeRecorder(*relay, true);
      if (resume && relay->state == wire::CAMERA_LIVE) impl->startRecorder(*relay);
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
  for (auto &[id, r] : *impl_->relays)
    if (!r->isSub) out.push_back(impl_->statusOf(*r));
  return out;
}

std::optional<wire::CameraStatus> CameraHub::status(const std::string &cameraId) const {
  auto it = impl_->relays->find(cameraId);
  if (it == impl_->relays->end()) return std::nullopt;
  return impl_->statusOf(*it->second);
}

bool CameraHub::recordEvent(const std::string &cameraId, const std::string &trigger) {
  auto it = impl_->relays->find(cameraId);
  if (it == impl_->relays->end()) return false;
  bool started = false;
  impl_->runOnWorker([&] { started = impl_->triggerEvent(*it->second, trigger); });
  return started;
}

int CameraHub::attempts(const std::string &cameraId) const {
  auto it = impl_->relays->find(cameraId);
  if (it == impl_->relays->end()) return 0;
  std::lock_guard lock(it->second->mu);
  return it->second->attempts;
}

std::optional<std::vector<std::uint8_t>> CameraHub::snapshot(const std::string &cameraId,
                                                             int timeoutMs) const {
  auto it = impl_->relays->find(cameraId);
  if (it == impl_->relays->end()) return std::nullopt;
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
    auto deadline = nowSteadyMs() + timeoutMs;
    while (nowSteadyMs() < deadline) {
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
