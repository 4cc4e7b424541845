// Cameras on an ingest node (`cameras:` in its configuration): per camera
// exactly one upstream RTSP connection (our own RTSP client, RTP passed
// through without decoding), re-served by the node's own RTSP server at
// rtsp://<node>:<port>/cam/<id> (and its sub stream at /cam/<id>/sub) to any
// number of viewers (live_relay.h: RTP forwarded as it came, one I/O
// thread), with a health state per camera (connecting / live / stalled /
// offline, last-frame time, fps and bitrate measured from the access units)
// reported as wire::CameraStatus on every change of state, continuous
// recording in segments (splitmuxsink, no re-encode) with retention and a
// RecordingSegment per finished file, event recordings with pre- and
// post-roll from an in-memory ring, recorded segments played back at
// /rec/<id>/<start µs> on the same port (playback.h, gst-rtsp-server), and a
// JPEG snapshot of the latest frame on demand.
// liandong-ingest owns one CameraHub; the tests drive it against the real
// camera simulator (tools/camera_sim.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "liandong.pb.h"
#include "liandong/core/config.h"
#include "liandong/core/text.h"
#include "liandong/ingest/camera/picture_health.h"
#include "liandong/ingest/camera/recording.h"

namespace liandong::ingest {

// How the node's RTSP client reaches the camera: interleaved over the RTSP TCP connection
// (default; survives NAT and firewalls), RTP over UDP, or alternating TCP
// and UDP from one connection attempt to the next.
enum class CameraTransport { Tcp, Udp, Auto };

struct CameraSpec {
  std::string id;      // [A-Za-z0-9_-]{1,64}; the path /cam/<id> on the node
  std::string url;     // rtsp://[user:pass@]host[:port]/path; never logged unredacted
  std::string subUrl;  // the camera's sub stream (optional), re-served at /cam/<id>/sub
  CameraTransport transport = CameraTransport::Tcp;
  int latencyMs = 200;  // accepted for older configurations; no effect (the relay has no jitterbuffer)
  double latitude = 0, longitude = 0;
  bool record = true;     // recorded when the node records (`recording:`)
  double segmentS = 0;    // segment length; 0 = the node's recording.segment_s
  bool onDemand = false;  // upstream only while someone watches (not recorded)
};

struct CameraOptions {
  std::string host = "127.0.0.1";           // where the node re-serves its cameras
  std::string advertiseHost = "127.0.0.1";  // the host in the re-serve URLs given to consoles
  int port = 8554;                          // 0 = any free port (tests); see CameraHub::port()
  double stallAfterS = 3;                   // live -> stalled after this long without a frame
  double offlineAfterS = 10;                // stalled (or connecting) this long -> offline, reconnect
  double reconnectMinS = 1;                 // back-off: min * 2^n, capped at max, with jitter
  double reconnectMaxS = 30;
  int viewerBacklogKb = 4096;   // a viewer further behind than this loses frames up to the next keyframe
  double onDemandLingerS = 10;  // an on-demand camera disconnects this long after its last viewer left
  double pictureCheckS = 1;     // decode a keyframe this often for picture health (0 = off)
  PictureOptions picture;       // when a picture is frozen, black or tampered with
  std::optional<RecordingOptions> recording;  // continuous recording (off when absent)
  std::vector<CameraSpec> cameras;
};

// Reads the `cameras:` section of a node configuration (nullopt when absent).
// Throws ConfigError naming file, line and key.
std::optional<CameraOptions> readCameraOptions(const ConfigNode &node);

const char *cameraStateName(wire::CameraState state);

class CameraHub {
public:
  // Starts the RTSP server and one relay per camera (live_relay.h), with a
  // worker thread for health, recording and playback (all pipeline state
  // changes happen there). Throws Error when the server cannot start (e.g.
  // the port is taken).
  explicit CameraHub(CameraOptions options);
  ~CameraHub();  // stops the server, every relay and the worker thread
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
  // Upstream connection attempts so far (1 + reconnects) for one camera.
  int attempts(const std::string &cameraId) const;
  // A JPEG of the latest frame: the cached group of pictures (keyframe and
  // what followed) is decoded in a short-lived pipeline and the last picture
  // encoded. nullopt when the camera has no picture yet or decoding fails
  // within timeoutMs. Blocks the caller, never the relay.
  std::optional<std::vector<std::uint8_t>> snapshot(const std::string &cameraId, int timeoutMs = 5000) const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace liandong::ingest
