// Tests of the durable outbox: sequencing, reopen, acknowledgement, segment
// removal, torn tails, corruption in the middle, and the disk quota.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "liandong/core/clock.h"
#include "liandong/core/link/outbox.h"

using namespace liandong;
using namespace liandong::link;
namespace fs = std::filesystem;

namespace {
class OutboxTest : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ldoutboxXXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  OutboxOptions options() {
    OutboxOptions o;
    o.dir = dir_;
    o.fsyncEvery = 1;
    return o;
  }
  static wire::Envelope reading(double v, std::size_t pad = 0) {
    wire::Envelope env;
    env.set_sender_id("node-a");
    env.mutable_reading()->set_sensor_id("s1");
    env.mutable_reading()->set_value(v);
    env.mutable_reading()->set_quantity(std::string(pad, 'x'));
    return env;
  }
  std::vector<fs::path> segments() {
    std::vector<fs::path> out;
    for (auto &e : fs::directory_iterator(dir_))
      if (e.path().filename().string().starts_with("seg-")) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }
  fs::path dir_;
};

double valueOf(const OutboxRecord &r) {
  wire::Envelope env;
  EXPECT_TRUE(env.ParseFromString(r.payload));
  return env.reading().value();
}
}  // namespace

TEST_F(OutboxTest, SequencesStartAtCreationTimeAndIncrease) {
  auto before = static_cast<std::uint64_t>(nowUs());
  Outbox box(options());
  auto env = reading(1);
  auto s1 = box.append(env);
  ASSERT_TRUE(s1);
  EXPECT_GE(*s1, before);
  EXPECT_EQ(env.distribution_id(), "node-a:" + std::to_string(*s1));
  auto e2 = reading(2);
  EXPECT_EQ(*box.append(e2), *s1 + 1);
  auto recs = box.read(*s1, 10);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(valueOf(recs[0]), 1);
  EXPECT_EQ(valueOf(recs[1]), 2);
  EXPECT_EQ(box.read(*s1 + 1, 10).size(), 1u);
}

TEST_F(OutboxTest, UnsyncedRecordsAreNotHandedOut) {
  auto o = options();
  o.fsyncEvery = 1000;
  o.fsyncIntervalMs = 100000;
  Outbox box(o);
  auto env = reading(1);
  auto s = *box.append(env);
  EXPECT_TRUE(box.read(s, 10).empty());
  box.sync();
  EXPECT_EQ(box.read(s, 10).size(), 1u);
}

TEST_F(OutboxTest, BatchesAreFlushedInTheBackgroundWhileAppendsGoOn) {
  // Group commit: a full batch, and a partial one once its interval is over,
  // become readable (flushed) without append() or sync() being called again.
  auto o = options();
  o.fsyncEvery = 64;
  o.fsyncIntervalMs = 20;
  Outbox box(o);
  std::uint64_t first = 0, last = 0;
  for (int i = 0; i < 64 * 3 + 5; ++i) {
    auto env = reading(i);
    last = *box.append(env);
    if (i == 0) first = last;
  }
  auto deadline = steadyMs() + 5000;
  while (box.syncedSequence() < last && steadyMs() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(box.syncedSequence(), last);
  EXPECT_EQ(box.read(first, 1000).size(), 64u * 3 + 5);
  // A lone record on a quiet outbox (nobody calls maybeSync) is flushed
  // once its interval is over.
  auto lone = reading(1000);
  last = *box.append(lone);
  deadline = steadyMs() + 5000;
  while (box.syncedSequence() < last && steadyMs() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(box.syncedSequence(), last);
}

TEST_F(OutboxTest, ReopenKeepsRecordsAndWatermark) {
  std::uint64_t first = 0;
  {
    Outbox box(options());
    auto e = reading(1);
    first = *box.append(e);
    for (int i = 2; i <= 5; ++i) {
      auto x = reading(i);
      box.append(x);
    }
    box.acknowledge(first + 1);
  }
  Outbox box(options());
  EXPECT_EQ(box.ackedSequence(), first + 1);
  EXPECT_EQ(box.lastSequence(), first + 4);
  auto recs = box.read(box.ackedSequence() + 1, 100);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(valueOf(recs[0]), 3);
  auto e = reading(6);
  EXPECT_EQ(*box.append(e), first + 5);
}

TEST_F(OutboxTest, AcknowledgedSegmentsAreRemoved) {
  auto o = options();
  o.segmentBytes = 4096;
  Outbox box(o);
  std::uint64_t last = 0;
  for (int i = 0; i < 200; ++i) {
    auto e = reading(i, 100);
    last = *box.append(e);
  }
  auto before = segments().size();
  EXPECT_GT(before, 3u);
  auto bytesBefore = box.diskBytes();
  box.acknowledge(last - 10);
  EXPECT_LT(segments().size(), before);
  EXPECT_LT(box.diskBytes(), bytesBefore);
  EXPECT_EQ(box.read(last - 9, 100).size(), 10u);
}

TEST_F(OutboxTest, TornTailIsCutOffAndReported) {
  std::uint64_t first = 0;
  {
    Outbox box(options());
    auto e = reading(1);
    first = *box.append(e);
    auto e2 = reading(2);
    box.append(e2);
  }
  auto seg = segments().at(0);
  auto size = fs::file_size(seg);
  fs::resize_file(seg, size - 5);  // a crash in mid-write
  Outbox box(options());
  auto damage = box.recoveryDamage();
  ASSERT_EQ(damage.size(), 1u);
  EXPECT_EQ(damage[0].file, seg.string());
  EXPECT_NE(damage[0].reason.find("truncated"), std::string::npos);
  auto recs = box.read(first, 10);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(valueOf(recs[0]), 1);
  auto e3 = reading(3);
  EXPECT_EQ(*box.append(e3), first + 1) << "the lost tail's number is reused: it was never sent";
}

TEST_F(OutboxTest, CorruptRecordIsReportedAndLaterRecordsKept) {
  std::uint64_t first = 0;
  {
    Outbox box(options());
    for (int i = 1; i <= 5; ++i) {
      auto e = reading(i);
      auto s = *box.append(e);
      if (i == 1) first = s;
    }
  }
  auto seg = segments().at(0);
  // Flip a byte inside the payload of the third record.
  auto size = fs::file_size(seg);
  auto recordSize = size / 5;
  int fd = ::open(seg.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  char c;
  off_t at = static_cast<off_t>(recordSize * 2 + 24);
  ASSERT_EQ(pread(fd, &c, 1, at), 1);
  c ^= 0x5a;
  ASSERT_EQ(pwrite(fd, &c, 1, at), 1);
  ::close(fd);

  Outbox box(options());
  auto damage = box.recoveryDamage();
  ASSERT_EQ(damage.size(), 1u);
  EXPECT_EQ(damage[0].offset, recordSize * 2);
  EXPECT_EQ(damage[0].firstLost, first + 2);
  EXPECT_EQ(damage[0].lastLost, first + 2);
  std::vector<OutboxDamage> readDamage;
  auto recs = box.read(first, 10, &readDamage);
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(valueOf(recs[2]), 4);
  ASSERT_EQ(readDamage.size(), 1u);
  EXPECT_EQ(readDamage[0].firstLost, first + 2);
}

TEST_F(OutboxTest, QuotaShedsWhenFullAndRecoversAfterAck) {
  auto o = options();
  o.quotaBytes = 8192;
  o.segmentBytes = 1024;
  o.policy = FullPolicy::Shed;
  Outbox box(o);
  std::uint64_t last = 0;
  int accepted = 0;
  for (int i = 0; i < 200; ++i) {
    auto e = reading(i, 200);
    if (auto s = box.append(e)) {
      last = *s;
      ++accepted;
    }
  }
  EXPECT_LT(accepted, 200);
  EXPECT_EQ(box.shedCount(), static_cast<std::uint64_t>(200 - accepted));
  EXPECT_LE(box.diskBytes(), o.quotaBytes);
  box.acknowledge(last);
  auto e = reading(1000, 200);
  EXPECT_TRUE(box.append(e).has_value());
}

TEST_F(OutboxTest, QuotaBlocksUntilSpaceReturns) {
  auto o = options();
  o.quotaBytes = 4096;
  o.segmentBytes = 1024;
  o.policy = FullPolicy::Block;
  o.blockTimeoutMs = 5000;
  Outbox box(o);
  std::uint64_t last = 0;
  while (box.diskBytes() + 300 <= o.quotaBytes) {
    auto e = reading(1, 200);
    last = *box.append(e);
  }
  std::thread acker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    box.acknowledge(last);
  });
  auto e = reading(2, 200);
  auto s = box.append(e);
  acker.join();
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(*s, last + 1);

  auto o2 = o;
  o2.blockTimeoutMs = 50;
  o2.dir = dir_ / "second";
  Outbox full(o2);
  while (full.diskBytes() + 300 <= o2.quotaBytes) {
    auto x = reading(1, 200);
    full.append(x);
  }
  auto y = reading(3, 200);
  EXPECT_FALSE(full.append(y).has_value()) << "a blocked append gives up after block_timeout_ms";
}
