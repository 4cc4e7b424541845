// The `cameras:` section of an ingest node's configuration: where the node
// re-serves its cameras, the health timings, picture check, recording and
// retention, and one CameraSpec per camera. Read by the node (node.h) and
// the tests; the camera hub (camera_hub.h) runs what it describes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "liandong/core/config.h"
#include "liandong/core/video_grant.h"
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
  // Who may watch (docs/ingest.md): the key this node shares with its
  // centre for video grants; the node always sets it (not from YAML).
  // Absent: anyone who reaches the port may watch (the camera tests).
  std::optional<VideoGrantKey> grantKey;
};

// Reads the `cameras:` section of a node configuration (nullopt when absent).
// Throws ConfigError naming file, line and key.
std::optional<CameraOptions> readCameraOptions(const ConfigNode &node);

}  // namespace liandong::ingest
