// Durable outbox: segment files, recovery, batched fsync, quota (see outbox.h).
#include "liandong/core/link/outbox.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>

#include <fmt/format.h>
#include <zlib.h>

#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "liandong/core/fd.h"
#include "liandong/core/logging.h"

namespace liandong::link {

namespace fs = std::filesystem;

namespace {
constexpr std::uint32_t kMagic = 0x424F444C;  // "LDOB" little-endian
constexpr std::size_t kHeader = 20;
constexpr std::uint32_t kMaxRecord = 64u << 20;
constexpr std::uint64_t kMaxUnsyncedBatches = 8;

std::uint32_t recordCrc(std::uint64_t seq, const char *payload, std::size_t len) {
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef *>(&seq), sizeof seq);
  crc = crc32(crc, reinterpret_cast<const Bytef *>(payload), static_cast<uInt>(len));
  return static_cast<std::uint32_t>(crc);
}

void writeAll(int fd, const char *data, std::size_t len, const std::string &what) {
  while (len > 0) {
    ssize_t n = ::write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("outbox: write " + what, errno);
    }
    data += n;
    len -= static_cast<std::size_t>(n);
  }
}

bool preadAll(int fd, char *data, std::size_t len, std::uint64_t offset) {
  while (len > 0) {
    ssize_t n = ::pread(fd, data, len, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    len -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return true;
}

enum class ReadStatus { Ok, End, Damaged };

struct ReadResult {
  ReadStatus status;
  std::uint64_t seq = 0;
  std::string payload;
  std::uint64_t next = 0;
  std::string reason;
};

// Reads straight from the file.
struct DirectReader {
  int fd;
  bool read(char *data, std::size_t len, std::uint64_t offset) { return preadAll(fd, data, len, offset); }
};

// Reads through a 256 KiB window, so a sequential scan costs one system call
// per window instead of two per record.
struct ChunkReader {
  int fd;
  std::uint64_t fileSize;
  std::uint64_t start = 0;
  std::string window;
  bool read(char *data, std::size_t len, std::uint64_t offset) {
    if (offset < start || offset + len > start + window.size()) {
      std::size_t want = std::max<std::size_t>(len, 256 * 1024);
      want = static_cast<std::size_t>(std::min<std::uint64_t>(want, fileSize - std::min(offset, fileSize)));
      if (want < len) return false;
      window.resize(want);
      if (!preadAll(fd, window.data(), want, offset)) {
        window.clear();
        return false;
      }
      start = offset;
    }
    std::memcpy(data, window.data() + (offset - start), len);
    return true;
  }
};

// Reads the record at `offset` of a file of `size` bytes.
template <typename Reader>
ReadResult readRecordWith(Reader &reader, std::uint64_t offset, std::uint64_t size) {
  if (offset >= size) return {ReadStatus::End, 0, {}, 0, {}};
  if (size - offset < kHeader) return {ReadStatus::Damaged, 0, {}, 0, "truncated record header"};
  char header[kHeader];
  if (!reader.read(header, kHeader, offset)) return {ReadStatus::Damaged, 0, {}, 0, "read error"};
  std::uint32_t magic, len, crc;
  std::uint64_t seq;
  std::memcpy(&magic, header, 4);
  std::memcpy(&len, header + 4, 4);
  std::memcpy(&seq, header + 8, 8);
  std::memcpy(&crc, header + 16, 4);
  if (magic != kMagic) return {ReadStatus::Damaged, 0, {}, 0, "bad record marker"};
  if (len > kMaxRecord) return {ReadStatus::Damaged, 0, {}, 0, "impossible record length"};
  if (size - offset - kHeader < len) return {ReadStatus::Damaged, seq, {}, 0, "truncated record"};
  std::string payload(len, '\0');
  if (!reader.read(payload.data(), len, offset + kHeader))
    return {ReadStatus::Damaged, 0, {}, 0, "read error"};
  if (recordCrc(seq, payload.data(), len) != crc)
    return {ReadStatus::Damaged, seq, {}, 0, "checksum mismatch"};
  return {ReadStatus::Ok, seq, std::move(payload), offset + kHeader + len, {}};
}

ReadResult readRecord(int fd, std::uint64_t offset, std::uint64_t size) {
  DirectReader reader{fd};
  return readRecordWith(reader, offset, size);
}

// Finds the next offset after `offset` where a whole valid record starts.
std::optional<std::uint64_t> resync(int fd, std::uint64_t offset, std::uint64_t size) {
  std::string buf;
  const std::size_t chunk = 1 << 16;
  for (std::uint64_t pos = offset + 1; pos + kHeader <= size;) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk + 3, size - pos));
    buf.resize(n);
    if (!preadAll(fd, buf.data(), n, pos)) return std::nullopt;
    for (std::size_t i = 0; i + 4 <= n; ++i) {
      std::uint32_t m;
      std::memcpy(&m, buf.data() + i, 4);
      if (m == kMagic && readRecord(fd, pos + i, size).status == ReadStatus::Ok) return pos + i;
    }
    pos += chunk;
  }
  return std::nullopt;
}

std::uint64_t fileSize(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw SystemError("outbox: fstat", errno);
  return static_cast<std::uint64_t>(st.st_size);
}
}  // namespace

struct Outbox::Segment {
  fs::path path;
  Fd fd;
  std::uint64_t firstSeq = 0;  // from the file name
  std::uint64_t lastSeq = 0;   // highest valid record (0 when none)
  std::uint64_t bytes = 0;
};

Outbox::Outbox(OutboxOptions options) : options_(std::move(options)), log_(logging::get("link")) {
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  if (ec) throw Error("outbox: cannot create " + options_.dir.string() + ": " + ec.message());
  openExisting();
  syncer_ = std::thread([this] { syncLoop(); });
}

Outbox::~Outbox() {
  {
    std::lock_guard lock(mutex_);
    stopSyncer_ = true;
  }
  syncWanted_.notify_all();
  syncer_.join();
  std::lock_guard lock(mutex_);
  try {
    syncLocked();
  } catch (const std::exception &e) {
    log_->error("outbox: final fsync failed: {}", e.what());
  }
}

void Outbox::syncLoop() {
  // Group commit: fdatasync runs here, outside the lock, while append() goes
  // on writing the next records; a flush takes every record written before it
  // started. The disk's flush latency (milliseconds) so no longer caps the
  // rate at which records can be accepted.
  std::unique_lock lock(mutex_);
  while (true) {
    auto due = [&] {
      return last_ > synced_ && (last_ - synced_ >= options_.fsyncEvery ||
                                 steadyMs() - firstUnsyncedMs_ >= options_.fsyncIntervalMs);
    };
    if (!stopSyncer_ && !due()) {
      if (last_ > synced_)
        syncWanted_.wait_for(lock, std::chrono::milliseconds(std::max<std::int64_t>(
                                       1, firstUnsyncedMs_ + options_.fsyncIntervalMs - steadyMs())));
      else
        syncWanted_.wait(lock);
      continue;
    }
    if (stopSyncer_) return;  // the destructor syncs what is left
    std::uint64_t target = last_;
    // Duplicated so that a segment dropped meanwhile cannot close the
    // descriptor under us.
    std::vector<Fd> fds;
    for (int fd : unsyncedSegmentFds()) fds.emplace_back(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    lock.unlock();
    int err = 0;
    for (const auto &fd : fds)
      if (!fd || ::fdatasync(fd.get()) != 0) err = fd ? errno : EBADF;
    lock.lock();
    if (err != 0) {
      // The kernel may have dropped the dirty pages: nothing written since the
      // last good flush can be called durable. append() and sync() report it.
      if (!syncError_)
        log_->error("outbox: fdatasync in {} failed: {}", options_.dir.string(), std::strerror(err));
      syncError_ = err;
      syncedCv_.notify_all();
      syncWanted_.wait_for(lock, std::chrono::milliseconds(options_.fsyncIntervalMs + 100));
      continue;
    }
    if (target > synced_) synced_ = target;
    if (last_ > synced_) firstUnsyncedMs_ = steadyMs();
    syncedCv_.notify_all();
  }
}

void Outbox::openExisting() {
  fs::path ackedPath = options_.dir / "acked";
  bool haveAcked = false;
  if (std::ifstream in(ackedPath); in) {
    std::string text;
    in >> text;
    try {
      acked_ = std::stoull(text);
      haveAcked = true;
    } catch (const std::exception &) {
      throw Error("outbox: " + ackedPath.string() + ": not a sequence number: \"" + text + "\"");
    }
  }
  std::vector<std::pair<std::uint64_t, fs::path>> files;
  for (const auto &entry : fs::directory_iterator(options_.dir)) {
    auto name = entry.path().filename().string();
    if (name.starts_with("seg-") && name.ends_with(".log")) {
      try {
        files.emplace_back(std::stoull(name.substr(4, name.size() - 8)), entry.path());
      } catch (const std::exception &) {
        log_->warn("outbox: ignoring {}: not a segment name", entry.path().string());
      }
    }
  }
  std::sort(files.begin(), files.end());
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto seg = std::make_shared<Segment>();
    seg->path = files[i].second;
    seg->firstSeq = files[i].first;
    seg->fd = Fd(::open(seg->path.c_str(), O_RDWR | O_CLOEXEC));
    if (!seg->fd) throw SystemError("outbox: open " + seg->path.string(), errno);
    std::uint64_t size = fileSize(seg->fd.get());
    std::uint64_t offset = 0;
    std::uint64_t goodEnd = 0;
    std::uint64_t prevSeq = seg->firstSeq - 1;
    bool isLast = i + 1 == files.size();
    while (true) {
      auto r = readRecord(seg->fd.get(), offset, size);
      if (r.status == ReadStatus::End) break;
      if (r.status == ReadStatus::Ok) {
        seg->lastSeq = r.seq;
        prevSeq = r.seq;
        offset = goodEnd = r.next;
        continue;
      }
      auto next = resync(seg->fd.get(), offset, size);
      OutboxDamage d{seg->path.string(), offset, r.reason, 0, 0};
      if (!next) {
        if (isLast) {
          // A torn tail from a crash in mid-write: cut it off.
          d.reason += " at the end (torn write), truncated";
          if (::ftruncate(seg->fd.get(), static_cast<off_t>(goodEnd)) != 0)
            throw SystemError("outbox: truncate " + seg->path.string(), errno);
          size = goodEnd;
        } else {
          d.firstLost = prevSeq + 1;
          auto nextSeg = files[i + 1].first;
          d.lastLost = nextSeg > 0 ? nextSeg - 1 : 0;
          d.reason += ", rest of segment unreadable";
        }
        recovery_.push_back(d);
        log_->error("outbox: {}: offset {}: {}", d.file, d.offset, d.reason);
        break;
      }
      auto r2 = readRecord(seg->fd.get(), *next, size);
      d.firstLost = prevSeq + 1;
      d.lastLost = r2.seq - 1;
      recovery_.push_back(d);
      log_->error("outbox: {}: offset {}: {}; sequences {}..{} lost, later records kept", d.file, d.offset,
                  d.reason, d.firstLost, d.lastLost);
      offset = *next;
    }
    seg->bytes = size;
    bytes_ += size;
    last_ = std::max(last_, seg->lastSeq);
    segments_[seg->firstSeq] = seg;
  }
  if (!haveAcked) {
    // A new outbox: number from the current microsecond (see the header).
    acked_ = std::max<std::uint64_t>(last_, static_cast<std::uint64_t>(nowUs()) - 1);
    writeAcked(acked_);
  }
  last_ = std::max(last_, acked_);
  synced_ = last_;
  dropAckedSegments();
  if (!segments_.empty()) {
    auto &tail = segments_.rbegin()->second;
    if (::lseek(tail->fd.get(), 0, SEEK_END) < 0) throw SystemError("outbox: seek", errno);
  }
}

void Outbox::startSegment(std::uint64_t firstSeq) {
  auto seg = std::make_shared<Segment>();
  seg->firstSeq = firstSeq;
  seg->path = options_.dir / fmt::format("seg-{:020}.log", firstSeq);
  seg->fd = Fd(::open(seg->path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!seg->fd) throw SystemError("outbox: create " + seg->path.string(), errno);
  // Make the new file's name durable too.
  Fd dir(::open(options_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir) ::fsync(dir.get());
  segments_[firstSeq] = seg;
}

std::optional<std::uint64_t> Outbox::append(wire::Envelope &env) {
  std::unique_lock lock(mutex_);
  // At most kMaxUnsyncedBatches batches wait for their flush: what a power
  // failure could take stays bounded even when the disk is slow.
  syncedCv_.wait(
      lock, [&] { return syncError_ != 0 || last_ - synced_ < options_.fsyncEvery * kMaxUnsyncedBatches; });
  if (syncError_) throw SystemError("outbox: fdatasync in " + options_.dir.string(), syncError_);
  std::uint64_t seq = last_ + 1;
  env.set_sequence(seq);
  env.set_distribution_id(env.sender_id() + ":" + std::to_string(seq));
  std::string payload = env.SerializeAsString();
  std::uint64_t need = kHeader + payload.size();
  if (payload.size() > kMaxRecord)
    throw Error("outbox: record of " + std::to_string(payload.size()) + " bytes is too large");
  if (bytes_ + need > options_.quotaBytes) {
    if (!fullLogged_) {
      log_->error("outbox: disk quota of {:.2f} MiB reached in {}; {} new records",
                  static_cast<double>(options_.quotaBytes) / 1048576.0, options_.dir.string(),
                  options_.policy == FullPolicy::Block ? "blocking" : "shedding");
      fullLogged_ = true;
    }
    if (options_.policy == FullPolicy::Block) {
      auto fits = [&] { return bytes_ + need <= options_.quotaBytes; };
      if (options_.blockTimeoutMs > 0) {
        if (!spaceFreed_.wait_for(lock, std::chrono::milliseconds(options_.blockTimeoutMs), fits)) {
          ++shed_;
          return std::nullopt;
        }
      } else {
        spaceFreed_.wait(lock, fits);
      }
      // The sequence may have moved on while we waited.
      seq = last_ + 1;
      env.set_sequence(seq);
      env.set_distribution_id(env.sender_id() + ":" + std::to_string(seq));
      payload = env.SerializeAsString();
    } else {
      ++shed_;
      if (shed_ % 1000 == 1) log_->warn("outbox: quota full, {} records shed so far", shed_);
      return std::nullopt;
    }
  }
  if (segments_.empty() || segments_.rbegin()->second->bytes >= options_.segmentBytes) startSegment(seq);
  auto &seg = *segments_.rbegin()->second;
  std::string record(kHeader, '\0');
  std::uint32_t magic = kMagic, len = static_cast<std::uint32_t>(payload.size());
  std::uint32_t crc = recordCrc(seq, payload.data(), payload.size());
  std::memcpy(record.data(), &magic, 4);
  std::memcpy(record.data() + 4, &len, 4);
  std::memcpy(record.data() + 8, &seq, 8);
  std::memcpy(record.data() + 16, &crc, 4);
  record += payload;
  writeAll(seg.fd.get(), record.data(), record.size(), seg.path.string());
  seg.bytes += record.size();
  seg.lastSeq = seq;
  bytes_ += record.size();
  last_ = seq;
  bool firstUnsynced = seq == synced_ + 1;
  if (firstUnsynced) firstUnsyncedMs_ = steadyMs();
  if (options_.fsyncEvery <= 1)
    syncLocked();  // every record flushed before append() returns (the strictest setting)
  else if (firstUnsynced || last_ - synced_ >= options_.fsyncEvery)
    syncWanted_.notify_one();  // the syncer starts its interval, or flushes a full batch
  return seq;
}

std::vector<int> Outbox::unsyncedSegmentFds() const {
  // Every segment holding a record above synced_, tail first: usually the
  // tail alone; after a rollover inside one batch, the ones before it too.
  std::vector<int> fds;
  for (auto it = segments_.rbegin(); it != segments_.rend(); ++it) {
    fds.push_back(it->second->fd.get());
    if (it->second->firstSeq <= synced_ + 1) break;
  }
  return fds;
}

void Outbox::syncLocked() {
  if (last_ <= synced_) return;
  for (int fd : unsyncedSegmentFds())
    if (::fdatasync(fd) != 0) throw SystemError("outbox: fdatasync", errno);
  synced_ = last_;
  syncedCv_.notify_all();
}

void Outbox::sync() {
  std::lock_guard lock(mutex_);
  syncLocked();
}

void Outbox::maybeSync() {
  // The syncer keeps its own time; this only wakes it early.
  syncWanted_.notify_one();
}

void Outbox::writeAcked(std::uint64_t seq) {
  fs::path tmp = options_.dir / "acked.tmp";
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) throw SystemError("outbox: create " + tmp.string(), errno);
    std::string text = std::to_string(seq) + "\n";
    writeAll(fd.get(), text.data(), text.size(), tmp.string());
    if (::fdatasync(fd.get()) != 0) throw SystemError("outbox: fdatasync " + tmp.string(), errno);
  }
  if (::rename(tmp.c_str(), (options_.dir / "acked").c_str()) != 0)
    throw SystemError("outbox: rename " + tmp.string(), errno);
}

void Outbox::dropAckedSegments() {
  // Keep the tail segment open for appending; drop whole segments below the watermark.
  while (segments_.size() > 1) {
    auto it = segments_.begin();
    auto next = std::next(it);
    if (next->second->firstSeq - 1 > acked_) break;
    bytes_ -= it->second->bytes;
    if (hintSegment_ == it->first) hintSegment_ = 0;
    std::error_code ec;
    fs::remove(it->second->path, ec);
    if (ec) log_->warn("outbox: cannot remove {}: {}", it->second->path.string(), ec.message());
    segments_.erase(it);
  }
  if (segments_.size() == 1) {
    auto &tail = *segments_.begin()->second;
    if (tail.lastSeq != 0 && tail.lastSeq <= acked_ && tail.bytes >= options_.segmentBytes / 4) {
      // Everything acked: start afresh so the space is returned.
      bytes_ -= tail.bytes;
      hintSegment_ = 0;
      std::error_code ec;
      fs::remove(tail.path, ec);
      segments_.clear();
    }
  }
}

void Outbox::acknowledge(std::uint64_t upTo) {
  std::lock_guard lock(mutex_);
  upTo = std::min(upTo, last_);
  if (upTo <= acked_) return;
  acked_ = upTo;
  writeAcked(acked_);
  auto before = bytes_;
  dropAckedSegments();
  if (bytes_ < before) {
    if (fullLogged_ && bytes_ < options_.quotaBytes) {
      log_->info("outbox: space returned ({} MiB in use); accepting records again", bytes_ >> 20);
      fullLogged_ = false;
    }
    spaceFreed_.notify_all();
  }
}

std::vector<OutboxRecord> Outbox::read(std::uint64_t from, std::size_t max,
                                       std::vector<OutboxDamage> *damage) {
  std::lock_guard lock(mutex_);
  std::vector<OutboxRecord> out;
  if (from > synced_ || segments_.empty()) return out;
  auto it = segments_.upper_bound(from);
  if (it != segments_.begin()) --it;
  for (; it != segments_.end() && out.size() < max; ++it) {
    auto &seg = *it->second;
    if (seg.lastSeq != 0 && seg.lastSeq < from) continue;
    std::uint64_t offset = 0;
    std::uint64_t prev = seg.firstSeq - 1;
    // Sequential readers (the sender's pump) resume where the last read ended.
    if (hintSegment_ == seg.firstSeq && hintSeq_ <= from && hintSeq_ > seg.firstSeq) {
      offset = hintOffset_;
      prev = hintSeq_ - 1;
    }
    ChunkReader reader{seg.fd.get(), seg.bytes, 0, {}};
    while (out.size() < max) {
      auto r = readRecordWith(reader, offset, seg.bytes);
      if (r.status == ReadStatus::End) break;
      if (r.status == ReadStatus::Damaged) {
        auto next = resync(seg.fd.get(), offset, seg.bytes);
        OutboxDamage d{seg.path.string(), offset, r.reason, prev + 1, 0};
        if (next) {
          d.lastLost = readRecord(seg.fd.get(), *next, seg.bytes).seq - 1;
        } else {
          auto n = std::next(it);
          d.lastLost = n != segments_.end() ? n->first - 1 : seg.lastSeq;
        }
        if (damage && d.lastLost >= from && d.lastLost >= d.firstLost) damage->push_back(d);
        if (!next) break;
        offset = *next;
        continue;
      }
      if (r.seq > synced_) return out;
      prev = r.seq;
      offset = r.next;
      hintSegment_ = seg.firstSeq;
      hintSeq_ = r.seq + 1;
      hintOffset_ = r.next;
      if (r.seq >= from) out.push_back({r.seq, std::move(r.payload)});
    }
  }
  return out;
}

std::uint64_t Outbox::lastSequence() const {
  std::lock_guard lock(mutex_);
  return last_;
}
std::uint64_t Outbox::syncedSequence() const {
  std::lock_guard lock(mutex_);
  return synced_;
}
std::uint64_t Outbox::ackedSequence() const {
  std::lock_guard lock(mutex_);
  return acked_;
}
std::uint64_t Outbox::diskBytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}
std::uint64_t Outbox::shedCount() const {
  std::lock_guard lock(mutex_);
  return shed_;
}
std::vector<OutboxDamage> Outbox::recoveryDamage() const {
  std::lock_guard lock(mutex_);
  return recovery_;
}

}  // namespace liandong::link
