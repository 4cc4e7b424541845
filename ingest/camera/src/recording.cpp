// Segment files and retention for camera recordings (see recording.h).
#include "liandong/ingest/camera/recording.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <charconv>
#include <chrono>

#include "liandong/core/logging.h"

namespace liandong::ingest {

namespace fs = std::filesystem;

std::string segmentFileName(std::int64_t startUs) {
  return std::to_string(startUs) + ".mp4";
}

namespace {
std::optional<std::int64_t> startOfName(const std::string &name) {
  if (!name.ends_with(".mp4") || name.size() < 5) return std::nullopt;
  std::int64_t v = 0;
  auto stem = name.substr(0, name.size() - 4);
  auto [end, ec] = std::from_chars(stem.data(), stem.data() + stem.size(), v);
  if (ec != std::errc() || end != stem.data() + stem.size() || v <= 0) return std::nullopt;
  return v;
}

std::int64_t toUs(fs::file_time_type t) {
  auto sys = std::chrono::file_clock::to_sys(t);
  return std::chrono::duration_cast<std::chrono::microseconds>(sys.time_since_epoch()).count();
}

void listCamera(const fs::path &dir, const std::string &cameraId, std::vector<SegmentFile> &out) {
  std::error_code ec;
  for (const auto &e : fs::directory_iterator(dir, ec)) {
    auto start = startOfName(e.path().filename().string());
    if (!start || !e.is_regular_file(ec)) continue;
    SegmentFile f;
    f.path = e.path();
    f.cameraId = cameraId;
    f.startUs = *start;
    f.bytes = e.file_size(ec);
    if (ec) continue;  // removed meanwhile
    f.modifiedUs = toUs(e.last_write_time(ec));
    if (ec) continue;
    out.push_back(std::move(f));
  }
}
}  // namespace

std::vector<SegmentFile> listSegments(const fs::path &dir, const std::string &cameraId) {
  std::vector<SegmentFile> out;
  if (!cameraId.empty()) {
    listCamera(dir / cameraId, cameraId, out);
  } else {
    std::error_code ec;
    for (const auto &e : fs::directory_iterator(dir, ec))
      if (e.is_directory(ec)) listCamera(e.path(), e.path().filename().string(), out);
  }
  std::sort(out.begin(), out.end(), [](const SegmentFile &a, const SegmentFile &b) {
    return std::tie(a.startUs, a.cameraId) < std::tie(b.startUs, b.cameraId);
  });
  return out;
}

const char *purgeReasonName(PurgeReason reason) {
  switch (reason) {
    case PurgeReason::Age: return "age";
    case PurgeReason::Quota: return "quota";
    case PurgeReason::HighWater: return "high-water";
  }
  return "?";
}

std::optional<double> filesystemUsedPct(const fs::path &path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0 || st.f_blocks == 0) return std::nullopt;
  // As df counts it: the blocks in use over those a user could have.
  double used = static_cast<double>(st.f_blocks - st.f_bfree);
  double avail = used + static_cast<double>(st.f_bavail);
  if (avail <= 0) return std::nullopt;
  return 100.0 * used / avail;
}

std::vector<Purged> applyRetention(const RecordingOptions &options, std::int64_t nowUs,
                                   const std::set<fs::path> &open,
                                   const std::function<double()> &diskUsedPct) {
  auto log = logging::get("ingest");
  std::vector<Purged> purged;
  auto files = listSegments(options.dir);
  std::erase_if(files, [&](const SegmentFile &f) { return open.count(f.path) > 0; });
  std::uint64_t total = 0;
  for (const auto &f : files) total += f.bytes;
  auto remove = [&](const SegmentFile &f, PurgeReason why) {
    std::error_code ec;
    if (!fs::remove(f.path, ec) || ec) {
      log->warn("recording {}: cannot delete ({}): {}", f.path.string(), purgeReasonName(why),
                ec ? ec.message() : "already gone");
      return false;
    }
    total -= std::min(total, f.bytes);
    purged.push_back({f, why});
    return true;
  };
  std::size_t i = 0;  // files[0..i) are gone (or could not go)
  auto ageLimitUs = static_cast<std::int64_t>(options.keepHours * 3600e6);
  if (options.keepHours > 0)
    for (; i < files.size() && files[i].modifiedUs < nowUs - ageLimitUs; ++i)
      remove(files[i], PurgeReason::Age);
  if (options.quotaBytes > 0)
    for (; i < files.size() && total > options.quotaBytes; ++i) remove(files[i], PurgeReason::Quota);
  if (diskUsedPct && diskUsedPct() > options.highWaterPct) {
    for (; i < files.size() && diskUsedPct() > options.lowWaterPct; ++i)
      remove(files[i], PurgeReason::HighWater);
    if (diskUsedPct() > options.lowWaterPct)
      log->error("recordings: the disk is still {:.1f}% full after purging every finished segment",
                 diskUsedPct());
  }
  return purged;
}

}  // namespace liandong::ingest
