// The state of the camera hub (private to the camera library): the feeds,
// the live loop, the worker thread with its GLib main context, the
// recorded-playback server and the queues the node takes from. One struct,
// CameraHub::Impl; its functions are grouped by concern in camera_hub.cpp
// (set-up, the live loop's hooks, hand-over, the public methods),
// camera_health.cpp (connecting, the health state machine, on demand),
// recorder.cpp (recordings, the event ring, retention) and
// picture_check.cpp (the picture-health decoder).
//
// Threads: every pipeline state change, bus message, timer and the playback
// server run on the worker thread; fields marked "worker" are touched only
// there. The live loop's hooks (its I/O thread) only touch the fields under
// Feed::mu, or post to the worker. No exception crosses a GStreamer
// callback: they catch, log and carry on.
#pragma once

#include <gst/rtsp-server/rtsp-server.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "feed.h"
#include "liandong/core/logging.h"
#include "liandong/ingest/camera/camera_hub.h"
#include "liandong/ingest/camera/recording.h"
#include "live_loop.h"
#include "playback.h"

namespace liandong::ingest {

struct CameraHub::Impl {
  CameraOptions options;
  std::shared_ptr<FeedMap> feeds = std::make_shared<FeedMap>();
  std::shared_ptr<spdlog::logger> log = logging::get("ingest");

  gst::ContextPtr context;
  gst::LoopPtr loop;
  std::thread worker;

  // worker
  std::unique_ptr<LiveLoop> live;
  gst::GObjectPtr<GstRTSPServer> server;     // recorded playback only (connections from the live loop)
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

  // ---- camera_hub.cpp
  void runOnWorker(std::function<void()> fn);  // runs fn on the worker and waits; rethrows here
  void setUp();
  void tearDown();
  void transferConnection(int fd, const std::string &ip, int port, const std::string &initial);
  std::string serveUrl(const std::string &id) const;

  // ---- camera_health.cpp (worker, but upstreamFailed)
  wire::CameraStatus statusOf(const Feed &f) const;
  void setState(Feed &f, wire::CameraState state, std::string detail);
  void disconnect(Feed &f);
  void upstreamFailed(Feed &f, std::uint64_t attempt, const std::string &reason);  // the live loop's thread
  void fail(Feed &f, const std::string &reason);
  void start(Feed &f);
  void onDemand(Feed &f, std::int64_t now);
  void sleep(Feed &f);
  std::int64_t lingerMs(const Feed &f) const;
  void evaluate();
  void updateRates(Feed &f, std::int64_t now);

  // ---- picture_check.cpp (worker)
  void startInspector(Feed &f);
  void stopInspector(Feed &f);

  // ---- recorder.cpp (worker)
  void startRecorder(Feed &f);
  std::shared_ptr<Recorder> makeRecorder(Feed &f, bool event);
  bool triggerEvent(Feed &f, const std::string &trigger);
  void closeRecorder(Feed &f, bool wait);
  void closeEvent(Feed &f);
  bool recorderMessage(Feed &f, Recorder &rec, GstMessage *msg);
  static gboolean onRecorderBus(GstBus *, GstMessage *msg, gpointer data);
  void segmentClosed(Recorder &rec, const std::string &location, GstClockTime runningTime);
  void retention(std::int64_t now);
  void reportPurged(std::vector<Purged> purged, const std::string &kind);
  void announceLastFiles();
};

}  // namespace liandong::ingest
