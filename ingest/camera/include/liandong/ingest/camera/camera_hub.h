// The camera hub: everything an ingest node does with its cameras
// (`cameras:` in its configuration, camera_config.h), one per node. Per
// camera exactly one connection to the camera (our own RTSP client, RTP
// passed through without decoding), re-served by the node's own RTSP
// server at rtsp://<node>:<port>/cam/<id> (and its sub stream at
// /cam/<id>/sub) to any number of viewers (the live loop, live_loop.h: RTP
// forwarded as it came, one I/O thread), with a health state per camera
// (connecting / live / stalled / offline / idle, last-frame time, fps and
// bitrate measured from the access units) reported as wire::CameraStatus
// on every change of state, continuous recording in segments (splitmuxsink,
// no re-encode) with retention and a RecordingSegment per finished file,
// event recordings with pre- and post-roll from an in-memory ring, a
// picture check (black, frozen, tampered with), recorded segments played
// back at /rec/<id>/<start µs> on the same port (playback.h,
// gst-rtsp-server), and a JPEG snapshot of the latest frame on demand.
// The node (node.h) owns one CameraHub; the tests drive it against the
// real camera simulator (tools/camera_sim.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "liandong.pb.h"
#include "liandong/core/text.h"
#include "liandong/ingest/camera/camera_config.h"

namespace liandong::ingest {

const char *cameraStateName(wire::CameraState state);

class CameraHub {
public:
  // Starts the RTSP server and one feed per camera stream (the live loop),
  // with a worker thread for health, recording and playback (all pipeline
  // state changes happen there). Throws Error when the server cannot start
  // (e.g. the port is taken).
  explicit CameraHub(CameraOptions options);
  ~CameraHub();  // stops the server, every camera session and the worker thread
  CameraHub(const CameraHub &) = delete;
  CameraHub &operator=(const CameraHub &) = delete;

  // The port the node's RTSP server listens on (the bound one when port 0).
  int port() const;
  // rtsp://<advertise host>:port/cam/<id> for a configured camera.
  std::string serveUrl(const std::string &cameraId) const;
  // The status changes since the last call, oldest first (what the node publishes).
  std::vector<wire::CameraStatus> takeChanges();
  // Optional: called on the worker thread at each change, besides the queue.
  // Must not block and must not throw.
  void onChange(std::function<void(const wire::CameraStatus &)> callback);
  // Every camera's current status, with fps and bitrate of the last seconds.
  std::vector<wire::CameraStatus> statuses() const;
  std::optional<wire::CameraStatus> status(const std::string &cameraId) const;
  // The recording segments closed (or deleted by retention, `removed`)
  // since the last call, oldest first: what the node sends to the centre's index.
  std::vector<wire::RecordingSegment> takeSegments();
  // Closes every open segment now (each is finished and its segment queued
  // for takeSegments()); recording resumes while cameras are live unless
  // `resume` is false (the node is stopping).
  void closeRecordings(bool resume = false);
  // Starts an event recording of one camera (pre-roll from its in-memory
  // ring, then live until recording.eventPostS after the last trigger), or
  // extends the one being written. `trigger` names the cause in the
  // RecordingSegment (kind "event") sent when the file is finished. The
  // camera's own health triggers it too (black, tamper). False when event
  // recording is off, the camera is unknown or has sent no video yet.
  bool recordEvent(const std::string &cameraId, const std::string &trigger);
  // Connection attempts to the camera so far (1 + reconnects) for one camera.
  int attempts(const std::string &cameraId) const;
  // A JPEG of the latest frame: the cached group of pictures (keyframe and
  // what followed) is decoded in a short-lived pipeline and the last picture
  // encoded. nullopt when the camera has no picture yet or decoding fails
  // within timeoutMs. Blocks the caller, never the live loop.
  std::optional<std::vector<std::uint8_t>> snapshot(const std::string &cameraId, int timeoutMs = 5000) const;

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace liandong::ingest
