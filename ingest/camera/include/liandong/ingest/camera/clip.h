// Clip export for evidence: [t0, t1] of one or several cameras out of the
// node's recording segments (recording.h layout), across segment
// boundaries, remuxed with libavformat into one MP4 per camera — no
// re-encode, so every frame is the camera's own — with a SHA-256 manifest
// (libsodium) of the clips and of the segments they came from. Used by
// liandong-clip (tools/clip_main.cpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace liandong::ingest {

struct ClipRequest {
  std::filesystem::path recordings;  // the node's recordings root (cameras.recording.dir)
  std::vector<std::string> cameras;
  std::int64_t fromUs = 0, toUs = 0;  // wall clock, microseconds since the epoch (UTC)
  std::filesystem::path outDir;       // gets <camera>.mp4, manifest.sha256 and manifest.json
};

struct ClipSource {
  std::filesystem::path path;
  std::string sha256;
};

struct Clip {
  std::string cameraId;
  std::filesystem::path file;
  std::int64_t fromUs = 0, toUs = 0;  // what it holds: from the keyframe at or before t0
  std::int64_t frames = 0;
  std::uint64_t bytes = 0;
  std::string sha256;
  std::vector<ClipSource> sources;  // the segments it was cut from
};

// Writes the clips and the manifests; throws Error with one line (no such
// camera, nothing recorded in [t0, t1], a segment that cannot be read, ...).
std::vector<Clip> exportClips(const ClipRequest &request);

// SHA-256 of a file, lowercase hex (libsodium, streamed).
std::string sha256File(const std::filesystem::path &file);

// "2026-11-30T12:00:00Z", "...T12:00:00.250+00:00", "...+08:00" or plain
// microseconds since the epoch; throws Error naming the text otherwise.
std::int64_t parseTimeUs(const std::string &text);

}  // namespace liandong::ingest
