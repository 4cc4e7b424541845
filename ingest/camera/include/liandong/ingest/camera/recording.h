// Camera recordings on an ingest node: where the segment files live
// (<dir>/<camera id>/<start µs since the epoch>.mp4, one file per
// splitmuxsink fragment, written by the camera hub in recorder.cpp),
// listing them, and retention — by age, by disk quota (oldest first), and an
// emergency purge when the filesystem passes a high-water mark. The clip
// exporter (tools/clip_main.cpp) reads the same layout.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace liandong::ingest {

struct RecordingOptions {
  std::filesystem::path dir;     // recordings root; one folder per camera below it
  double segmentS = 60;          // default segment length (a camera may override it)
  double keepHours = 0;          // delete segments older than this (0 = no age limit)
  std::uint64_t quotaBytes = 0;  // keep the recordings below this size (0 = no quota)
  double highWaterPct = 95;      // filesystem fuller than this: emergency purge ...
  double lowWaterPct = 90;       // ... oldest first, down to this
  // Event recording (off when both are 0): each camera keeps the last
  // eventPreS seconds (from a keyframe) in memory; a trigger writes one file
  // <dir>/<camera>/events/<start µs>.mp4 from there to eventPostS after the
  // last trigger (triggers meanwhile extend it).
  double eventPreS = 0;
  double eventPostS = 0;
};

struct SegmentFile {
  std::filesystem::path path;
  std::string cameraId;
  std::int64_t startUs = 0;  // from the file name
  std::uint64_t bytes = 0;
  std::int64_t modifiedUs = 0;  // last write: the end of the segment, near enough
};

// The file name of a segment that starts at startUs.
std::string segmentFileName(std::int64_t startUs);
// Every finished or open segment under dir (or only one camera's), oldest first.
std::vector<SegmentFile> listSegments(const std::filesystem::path &dir, const std::string &cameraId = "");

// Why retention removed a file.
enum class PurgeReason { Age, Quota, HighWater };
const char *purgeReasonName(PurgeReason reason);

struct Purged {
  SegmentFile file;
  PurgeReason reason;
};

// Applies the retention rules once, oldest first across all cameras, never
// touching the files in `open` (segments still being written). diskUsedPct
// reports how full the filesystem that holds the recordings is (percent); it
// is asked again after each removal during an emergency purge. Files that
// cannot be removed are skipped (and logged). Blocking file I/O: call it off
// any streaming thread.
std::vector<Purged> applyRetention(const RecordingOptions &options, std::int64_t nowUs,
                                   const std::set<std::filesystem::path> &open,
                                   const std::function<double()> &diskUsedPct);
// How full the filesystem that holds `path` is, in percent (statvfs); nullopt when unknown.
std::optional<double> filesystemUsedPct(const std::filesystem::path &path);

}  // namespace liandong::ingest
