// Recorded playback on the node's RTSP server (private to the ingest
// library; the camera hub mounts it, camera_hub.cpp): rtsp://<node>:<port>/rec/<camera>/<start µs>
// serves exactly the segment file <recordings>/<camera>/<start µs>.mp4 (the
// path a RecordingSegment carries) as demux -> parse -> pay, never
// re-encoded, one media per viewer so each one seeks on its own (RTSP Range).
//
// gst-rtsp-server matches a DESCRIBE's path to a mount exactly (only SETUP
// and PLAY match by prefix), so one factory at /rec cannot answer
// /rec/<camera>/<start>: before each DESCRIBE (the client's
// pre-describe-request) PlaybackMounts checks the path and the file and
// mounts the one playback factory at exactly that path, or answers 404. The
// most recent kMaxPlaybackMounts paths stay mounted.
#pragma once

#include <gst/rtsp-server/rtsp-server.h>

#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "liandong/ingest/camera/gst_util.h"

namespace liandong::ingest {

// The URL path prefix of recorded playback.
inline constexpr const char *kPlaybackPrefix = "/rec";

// The segment file a request path names ("/rec/<camera>/<start µs>", or
// "/rec/<camera>/events/<start µs>" for an event recording; the camera as
// in the configuration, the start all digits), or nullopt with
// `why` set when the path is malformed or tries to leave the recordings
// (nothing but that one form is accepted, so ".." and the like never reach
// the filesystem) or the file does not exist.
std::optional<std::filesystem::path> playbackFile(const std::filesystem::path &recordings,
                                                  const std::string &path, std::string &why);

inline constexpr std::size_t kMaxPlaybackMounts = 256;

class PlaybackMounts {
public:
  PlaybackMounts(std::filesystem::path recordings, GstRTSPMountPoints *mounts);
  ~PlaybackMounts();
  PlaybackMounts(const PlaybackMounts &) = delete;
  PlaybackMounts &operator=(const PlaybackMounts &) = delete;

  // An RTSP server thread, before a DESCRIBE of `path`: OK for any path
  // outside /rec and for a segment that exists (now mounted); NOT_FOUND,
  // with one log line naming the path and the cause, for anything else.
  GstRTSPStatusCode beforeDescribe(const std::string &path);

private:
  std::filesystem::path recordings_;
  gst::GObjectPtr<GstRTSPMountPoints> mounts_;
  gst::GObjectPtr<GstRTSPMediaFactory> factory_;
  std::mutex mu_;
  std::deque<std::string> mounted_;  // oldest first, under mu_
};

}  // namespace liandong::ingest
