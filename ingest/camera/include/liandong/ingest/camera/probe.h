// `liandong-ingest --probe URL`: what a camera (or any URL or file
// libavformat opens) sends — codec, resolution, frame rate and bitrate of
// each stream — read with FFmpeg's libavformat in a few seconds, never
// waiting longer than the timeout. Credentials in the URL never appear in
// the result or in errors.
#pragma once

#include <string>
#include <vector>

namespace liandong::ingest {

struct StreamProbe {
  int index = 0;
  std::string kind;   // "video", "audio", "data", ...
  std::string codec;  // "h264", "hevc", "aac", ... with the profile when known: "h264 (High)"
  int width = 0, height = 0;
  double fps = 0;          // declared, or counted over the probe when not declared
  double bitrateKbps = 0;  // declared, or measured over the probe
  int sampleRate = 0, channels = 0;
};

// Opens url (RTSP over TCP), reads its streams for about `seconds` to
// measure rates, and returns them. Throws Error with one line naming the
// redacted URL and the cause (refused, not found, timed out, not a media
// stream...).
std::vector<StreamProbe> probeStreams(const std::string &url, double seconds = 2, double timeoutS = 10);

// "stream 0: video h264 (High) 1280x720 25.00 fps 2011 kb/s"
std::string describe(const StreamProbe &stream);

}  // namespace liandong::ingest
