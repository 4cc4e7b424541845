// One feed of the camera hub (private to the camera library): a camera's
// main stream, or its sub stream, as the hub handles it — its live-loop
// stream, health state, the latest group of pictures for snapshots, its
// recordings (continuous and event, with the event ring for pre-roll) and
// its picture check. Also the small types the hub's parts share. Fields
// marked "worker" are touched only on the hub's worker thread; the others
// under Feed::mu (the live loop's I/O thread writes them through the hooks).
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "liandong.pb.h"
#include "liandong/ingest/camera/camera_config.h"
#include "liandong/ingest/camera/gst_util.h"
#include "liandong/ingest/camera/picture_health.h"

namespace liandong::ingest {

// The elements for one video codec; H.264 and H.265 pass through alike.
struct Codec {
  const char *name;       // as in the caps: video/x-<name>
  const char *parse;      // parser
  const char *decoder;    // for snapshots and the picture check only
  const char *mp4Format;  // the stream-format mp4mux takes
};
const Codec &codecOf(const GstCaps *caps);

inline constexpr std::size_t kMaxRingBytes = 64u << 20;  // whatever the pre-roll, at most this per camera

// One recording of a camera: appsrc ! h26xparse ! splitmuxsink, fed the
// feed's access units (from a keyframe on) while the camera is live, one MP4
// file per fragment under <dir>/<camera>/<start µs>.mp4. Closed (EOS, so the
// last file is finished) when the camera stops being live; a new recording
// starts when it is live again, so an outage is a gap between files.
struct Recorder {
  std::string cameraId;
  std::filesystem::path dir;  // <recordings>/<camera>
  gst::Ptr<GstElement> pipeline;
  gst::Ptr<GstElement> appsrc;
  gst::SourcePtr busWatch;  // worker

  // the live loop's thread (pushes) and splitmuxsink's (names), under mu
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

struct Feed;

// The low-rate decoded sub-sample of a camera for picture health: only
// keyframes (at most one per check interval) are decoded, to a small GRAY8
// picture: appsrc ! avdec_h26x ! videoscale ! appsink. Runs while the
// camera is live; the hub itself never decodes.
struct Inspector {
  Feed *feed = nullptr;
  gst::Ptr<GstElement> pipeline;
  gst::Ptr<GstElement> appsrc;
  gst::SourcePtr busWatch;  // worker
  PictureHealth health;     // the decoder's streaming thread only
};

struct Feed {
  CameraSpec spec;
  bool isSub = false;   // the sub stream of spec.id minus "/sub"
  int live = -1;        // its stream in the live loop
  std::string safeUrl;  // spec.url with the credentials masked: the only form logged

  // worker
  std::int64_t lastWantedMs = 0;  // on demand: when a viewer last watched or asked
  bool connected = false;         // a camera session is being attempted or playing
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

  // the live loop's thread and readers, under mu
  mutable std::mutex mu;
  int attempts = 0;
  std::uint64_t frames = 0, bytes = 0;
  std::int64_t lastFrameSteadyMs = 0, lastFrameUs = 0;
  double fps = 0, kbps = 0;
  gst::MiniPtr<GstCaps> caps;                // video/x-h26x, byte-stream, au: of the current camera session
  std::vector<gst::MiniPtr<GstSample>> gop;  // keyframe first
  std::size_t gopBytes = 0;
  bool wanted = false;                   // on demand: a viewer asked for the camera (the worker connects it)
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
using FeedMap = std::map<std::string, std::shared_ptr<Feed>>;

// recorder.cpp, the live loop's thread: one access unit into a recording,
// and (under f.mu) into the event ring.
void record(Recorder &rec, GstBuffer *buffer, bool keyframe, std::int64_t arrivedUs);
void keepInRing(Feed &f, GstBuffer *buffer, bool keyframe, std::int64_t arrivedUs);
// picture_check.cpp, the live loop's thread, under f.mu: a keyframe to the picture check when due.
void inspect(Feed &f, GstBuffer *buffer);

}  // namespace liandong::ingest
