// The durable outbox of a sender: every envelope is appended to segment files
// before it is sent, and stays there until the receiver acknowledges it, so a
// crash, a restart or a cut link loses nothing.
//
// Format: append-only files "seg-<first sequence>.log" of records
//   [u32 magic "LDOB"][u32 payload length][u64 sequence][u32 crc32][payload]
// with the CRC over sequence and payload. The acknowledged watermark lives in
// the file "acked" (replaced atomically).
//
// Durability: records are written to the kernel at once (a killed process
// loses nothing) and fsync'ed in batches of `fsyncEvery` records or after
// `fsyncIntervalMs`, whichever comes first; only fsync'ed records are handed
// to the link, so a power failure can lose at most the unsent tail of the last
// batch and never a record the receiver has seen. The flush runs on a thread
// of the outbox (group commit: append() goes on writing meanwhile); when more
// than 8 batches wait for it (a slow disk), append() waits too. With
// `fsyncEvery` 1, append() itself flushes and returns a durable record.
//
// Sequences start at the wall-clock microsecond of the outbox's creation, so a
// sender whose outbox was wiped never reuses numbers a receiver already holds.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "liandong.pb.h"

namespace spdlog {
class logger;
}

namespace liandong::link {

enum class FullPolicy { Block, Shed };

struct OutboxOptions {
  std::filesystem::path dir;
  std::uint64_t segmentBytes = 16ull << 20;
  std::uint64_t quotaBytes = 256ull << 20;  // disk quota for all segments
  std::uint32_t fsyncEvery = 512;
  int fsyncIntervalMs = 10;
  FullPolicy policy = FullPolicy::Block;
  int blockTimeoutMs = 0;  // Block only: 0 waits for ever, else give up (and count as shed)
};

// One record read back from the outbox.
struct OutboxRecord {
  std::uint64_t sequence = 0;
  std::string payload;  // a serialised wire::Envelope
};

// A damaged stretch found while reading: the file, the byte offset and why.
struct OutboxDamage {
  std::string file;
  std::uint64_t offset = 0;
  std::string reason;
  std::uint64_t firstLost = 0;  // sequences lost, when they can be told (else 0)
  std::uint64_t lastLost = 0;
};

class Outbox {
public:
  explicit Outbox(OutboxOptions options);
  ~Outbox();
  Outbox(const Outbox &) = delete;
  Outbox &operator=(const Outbox &) = delete;

  // Assigns the next sequence, fills env.sequence and env.distribution_id,
  // serialises and appends it. Returns the sequence, or nullopt when the
  // record was shed because the quota is full (policy Shed, or Block timed out).
  std::optional<std::uint64_t> append(wire::Envelope &env);

  // fsync now / when the batch is due. Thread-safe.
  void sync();
  void maybeSync();

  // Marks everything up to `upTo` acknowledged; deletes segments that are
  // wholly acknowledged and wakes producers blocked on the quota.
  void acknowledge(std::uint64_t upTo);

  // Reads up to `max` records with sequence >= `from` that are fsync'ed.
  // Damage met on the way is appended to `damage` and skipped.
  std::vector<OutboxRecord> read(std::uint64_t from, std::size_t max,
                                 std::vector<OutboxDamage> *damage = nullptr);

  std::uint64_t lastSequence() const;    // highest assigned (0 when none)
  std::uint64_t syncedSequence() const;  // highest fsync'ed
  // Everything up to here is settled: acknowledged, or (for a new outbox)
  // before the first sequence it assigns. Heartbeats announce it + 1.
  std::uint64_t ackedSequence() const;
  std::uint64_t diskBytes() const;
  std::uint64_t shedCount() const;
  // Damage found when the outbox was opened (torn tails are repaired, others skipped).
  std::vector<OutboxDamage> recoveryDamage() const;

private:
  struct Segment;
  void openExisting();
  void startSegment(std::uint64_t firstSeq);
  void syncLocked();
  void syncLoop();
  std::vector<int> unsyncedSegmentFds() const;  // under mutex_
  void writeAcked(std::uint64_t seq);
  void dropAckedSegments();

  OutboxOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  mutable std::mutex mutex_;
  std::condition_variable spaceFreed_;
  std::map<std::uint64_t, std::shared_ptr<Segment>> segments_;  // by first sequence
  std::uint64_t last_ = 0;
  std::uint64_t synced_ = 0;
  std::uint64_t acked_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t shed_ = 0;
  std::int64_t firstUnsyncedMs_ = 0;  // when the oldest record not yet flushed was written
  int syncError_ = 0;                 // errno of a failed background flush (sticky)
  bool stopSyncer_ = false;
  std::condition_variable syncWanted_;  // wakes the syncer
  std::condition_variable syncedCv_;    // synced_ moved (or a flush failed)
  std::thread syncer_;
  bool fullLogged_ = false;
  std::vector<OutboxDamage> recovery_;
  // Where the last read() stopped: segment (by first sequence), next sequence, byte offset.
  std::uint64_t hintSegment_ = 0;
  std::uint64_t hintSeq_ = 0;
  std::uint64_t hintOffset_ = 0;
};

}  // namespace liandong::link
