// The node's live video path at the RTP level (private to the camera
// library; the camera hub drives it, camera_hub.cpp): one I/O thread with
// epoll carries every camera's session (our own RTSP client, RTP
// interleaved over TCP or over UDP; camera_session.cpp) and every viewer's
// RTSP session at /cam/<id> (our own server, RTP interleaved over TCP;
// viewer_session.cpp). RTP packets are forwarded as they came (no
// depayload and re-payload per viewer): each packet is kept once, with its
// sequence number, timestamp and SSRC rewritten so a viewer sees one
// continuous stream across reconnects of the camera, and written to every
// viewer with writev in batches. The group of pictures since the last
// keyframe is kept at the RTP level (gop_cache.h), so a new viewer starts
// on a keyframe at once. A viewer that cannot keep up loses packets up to
// the next keyframe (bounded memory) and never holds back the others.
// Camera host names are looked up off the I/O thread (resolver.h).
//
// Why not rtspsrc and gst-rtsp-server (used before, GStreamer 1.22): they
// cost about twice ffmpeg's CPU per stream, a third of it in handing every
// packet between threads (docs/performance.md, "video").
//
// Connections whose first request names another path (recorded playback at
// /rec/...) are handed over with what was read to `Transfer`
// (gst-rtsp-server takes them, gst_rtsp_server_transfer_connection).
//
// Who may watch (viewer_gate.h): the first DESCRIBE, SETUP or PLAY naming a
// camera, and a /rec/ connection before it is handed over, must carry a
// grant (`?grant=`); the connection is then authorised for that stream, and
// the query is dropped from what is echoed (Content-Base, RTP-Info) and from
// what gst-rtsp-server gets.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "liandong/core/video_grant.h"
#include "liandong/ingest/rtsp/rtp_depay.h"
#include "liandong/ingest/rtsp/rtsp_wire.h"

namespace liandong::ingest {

// What one stream (a camera's main or sub stream) tells its owner. All are
// called on the I/O thread, must not block and must not throw.
struct LiveHooks {
  // The camera session is playing: its video stream as the camera described it.
  std::function<void(std::uint64_t attempt, const rtsp::SdpVideo &video)> playing;
  // One whole access unit; ptsNs on the steady clock (the camera's RTP
  // clock placed on ours at the session's first packet).
  std::function<void(const rtp::AccessUnit &unit, std::int64_t ptsNs)> unit;
  // The attempt failed or the session ended; the reason is one line with
  // no credentials in it.
  std::function<void(std::uint64_t attempt, const std::string &reason)> failed;
  // A viewer asked for the stream while it has no keyframe: true to keep
  // the request waiting (up to the stream's describe wait), false for 503.
  std::function<bool()> wanted;
};

class LiveLoop {
public:
  using Transfer =
      std::function<void(int fd, const std::string &peerIp, int peerPort, const std::string &initial)>;
  // Listens on host:port (0 = any free port); a viewer with more than
  // `backlogBytes` waiting to be sent skips to the next keyframe; viewers
  // must bring a grant checked with `grants` (viewer_gate.h; none: anyone
  // may watch). Throws Error when it cannot listen.
  LiveLoop(const std::string &host, int port, std::size_t backlogBytes, Transfer transfer,
           std::optional<VideoGrantKey> grants);
  ~LiveLoop();  // closes every session and joins the I/O thread
  LiveLoop(const LiveLoop &) = delete;
  LiveLoop &operator=(const LiveLoop &) = delete;

  int port() const;
  // Before start(): a stream served at /cam/<path>; returns its handle.
  int add(const std::string &path, LiveHooks hooks, int describeWaitMs);
  void start();  // the I/O thread
  // From any thread: (re)connects the stream's camera session for
  // `attempt` (tcp: interleaved; otherwise RTP over UDP); name lookup and
  // handshake bounded by timeoutMs. Failures come back through
  // hooks.failed with that attempt.
  void connect(int stream, std::uint64_t attempt, const std::string &url, bool tcp, int timeoutMs);
  // From any thread: closes the camera session (no hook is called);
  // viewers stay and get pictures again when it is connected again.
  void disconnect(int stream);
  // Viewers with a session on the stream (any thread).
  int viewers(int stream) const;

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace liandong::ingest
