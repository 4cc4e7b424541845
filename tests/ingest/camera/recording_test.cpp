// Tests of camera recording (ingest/recording.h and the recorder in
// recorder.cpp): the `recording:` keys, retention by age, quota and
// high-water mark (oldest first, open files spared), and real segments
// recorded from the real camera simulator — contiguous while the camera is
// live, a gap after an outage, each file read back by ffprobe.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "camera_sim_fixture.h"
#include "liandong/core/clock.h"
#include "liandong/core/config.h"
#include "liandong/core/errors.h"
#include "liandong/ingest/camera/camera_hub.h"
#include "liandong/ingest/camera/recording.h"
#include "process.h"

using namespace liandong;
using namespace liandong::ingest;
using liandong::testing::cameraConfigError;
using liandong::testing::probeDuration;
using liandong::testing::Process;
using liandong::testing::recordedCamera;
using liandong::testing::Simulator;
using liandong::testing::TempDir;
using liandong::testing::waitUntil;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

namespace {

// A fake segment file of `bytes` bytes, last written `ageS` seconds ago.
fs::path fakeSegment(const fs::path &root, const std::string &camera, std::int64_t startUs, int bytes,
                     double ageS) {
  fs::create_directories(root / camera);
  auto path = root / camera / segmentFileName(startUs);
  std::ofstream(path) << std::string(static_cast<std::size_t>(bytes), 'x');
  auto when =
      std::chrono::system_clock::now() - std::chrono::milliseconds(static_cast<std::int64_t>(ageS * 1000));
  fs::last_write_time(path, std::chrono::file_clock::from_sys(when));
  return path;
}

}  // namespace

TEST(RecordingConfig, ReadsRecordingAndAdvertiseKeys) {
  auto cfg = ConfigNode::loadString(R"(cameras:
  host: 0.0.0.0
  recording: {dir: /var/rec, segment_s: 30, keep_hours: 48, quota_mb: 2048, high_water_pct: 90}
  devices:
    - {id: a, url: "rtsp://h/x", segment_s: 10}
    - {id: b, url: "rtsp://h/y", record: false}
)",
                                    "node.yaml");
  auto o = readCameraOptions(cfg);
  cfg.rejectUnknown();
  ASSERT_TRUE(o && o->recording);
  EXPECT_EQ(o->advertiseHost, "127.0.0.1") << "a wildcard listen address is not advertised";
  EXPECT_EQ(o->recording->dir, "/var/rec");
  EXPECT_EQ(o->recording->segmentS, 30);
  EXPECT_EQ(o->recording->keepHours, 48);
  EXPECT_EQ(o->recording->quotaBytes, 2048ull << 20);
  EXPECT_EQ(o->recording->highWaterPct, 90);
  EXPECT_EQ(o->recording->lowWaterPct, 85);
  EXPECT_EQ(o->cameras[0].segmentS, 10);
  EXPECT_TRUE(o->cameras[0].record);
  EXPECT_FALSE(o->cameras[1].record);

  auto plain = ConfigNode::loadString(
      "cameras:\n  host: 192.0.2.5\n  devices:\n    - {id: a, url: \"rtsp://h/x\"}\n", "node.yaml");
  EXPECT_EQ(readCameraOptions(plain)->advertiseHost, "192.0.2.5");
  EXPECT_FALSE(readCameraOptions(plain)->recording);

  EXPECT_THAT(
      cameraConfigError("cameras:\n  recording: {dir: /r, segment_s: 0}\n  devices:\n    - {id: a, url: "
                        "\"rtsp://h/x\"}\n"),
      HasSubstr("node.yaml:2: cameras.recording.segment_s:"));
  EXPECT_THAT(cameraConfigError(
                  "cameras:\n  recording: {segment_s: 10}\n  devices:\n    - {id: a, url: \"rtsp://h/x\"}\n"),
              HasSubstr("cameras.recording.dir"));
  EXPECT_THAT(cameraConfigError(
                  "cameras:\n  recording: {dir: /r, high_water_pct: 80, low_water_pct: 90}\n  devices:\n"
                  "    - {id: a, url: \"rtsp://h/x\"}\n"),
              HasSubstr("cameras.recording.low_water_pct"));
  EXPECT_THAT(cameraConfigError("cameras:\n  devices:\n    - {id: a, url: \"rtsp://h/x\", segment_s: 10}\n"),
              HasSubstr("needs cameras.recording"));
}

TEST(Retention, AgeThenQuotaThenHighWaterOldestFirstSparingOpenFiles) {
  TempDir dir;
  RecordingOptions o;
  o.dir = dir.path;
  auto t = nowUs();
  // Oldest first: a1 (3 h old), b1 (2 h), a2, b2, a3 (open), 1000 bytes each.
  auto a1 = fakeSegment(dir.path, "a", t - 10'000'000'000, 1000, 3 * 3600);
  auto b1 = fakeSegment(dir.path, "b", t - 7'000'000'000, 1000, 2 * 3600);
  auto a2 = fakeSegment(dir.path, "a", t - 300'000'000, 1000, 200);
  auto b2 = fakeSegment(dir.path, "b", t - 200'000'000, 1000, 100);
  auto a3 = fakeSegment(dir.path, "a", t - 100'000'000, 1000, 0);
  std::ofstream(dir.path / "a" / "notes.txt") << "not a segment";
  auto listed = listSegments(dir.path);
  ASSERT_EQ(listed.size(), 5u);
  EXPECT_EQ(listed[0].path, a1);
  EXPECT_EQ(listed[0].cameraId, "a");
  EXPECT_EQ(listed[1].path, b1);
  EXPECT_EQ(listSegments(dir.path, "b").size(), 2u);

  // Nothing configured: nothing removed.
  EXPECT_TRUE(applyRetention(o, nowUs(), {}, {}).empty());
  // Age: older than 2.5 h.
  o.keepHours = 2.5;
  auto purged = applyRetention(o, nowUs(), {a3}, {});
  ASSERT_EQ(purged.size(), 1u);
  EXPECT_EQ(purged[0].file.path, a1);
  EXPECT_EQ(purged[0].reason, PurgeReason::Age);
  EXPECT_FALSE(fs::exists(a1));
  // Quota: 3 finished files of 1000 bytes (the open one aside), at most 2500 kept.
  o.quotaBytes = 2500;
  purged = applyRetention(o, nowUs(), {a3}, {});
  ASSERT_EQ(purged.size(), 1u);
  EXPECT_EQ(purged[0].file.path, b1);
  EXPECT_EQ(purged[0].reason, PurgeReason::Quota);
  // High-water: the disk is "full" until two more files are gone; never the open one.
  o.quotaBytes = 0;
  o.highWaterPct = 95;
  o.lowWaterPct = 90;
  auto usage = [&] {
    return 84.0 + 5.0 * static_cast<double>(fs::exists(a2) + fs::exists(b2) + fs::exists(a3));
  };
  purged = applyRetention(o, nowUs(), {a3}, usage);
  ASSERT_EQ(purged.size(), 2u);
  EXPECT_EQ(purged[0].file.path, a2);
  EXPECT_EQ(purged[1].file.path, b2);
  EXPECT_EQ(purged[1].reason, PurgeReason::HighWater);
  EXPECT_TRUE(fs::exists(a3));
  // Below the high-water mark nothing more goes.
  EXPECT_TRUE(applyRetention(o, nowUs(), {}, [] { return 50.0; }).empty());
  EXPECT_TRUE(fs::exists(a3));
}

TEST(Recording, AtStartTheLastFilesOfEachCameraAreSentToTheIndexAgain) {
  // What a node killed while recording leaves: files whose segments may
  // never have reached the outbox (the open one, one just closed).
  TempDir dir;
  auto t = nowUs();
  fakeSegment(dir.path, "gate", t - 300'000'000, 1000, 240);
  auto second = fakeSegment(dir.path, "gate", t - 200'000'000, 2000, 140);
  auto last = fakeSegment(dir.path, "gate", t - 100'000'000, 3000, 40);
  auto event = fakeSegment(dir.path / "gate", "events", t - 150'000'000, 500, 100);
  fakeSegment(dir.path, "retired", t - 100'000'000, 100, 40);  // not configured: not announced
  auto o = liandong::testing::recordedCamera(
      "gate", "rtsp://127.0.0.1:" + std::to_string(liandong::testing::freeTcpPort()) + "/x", dir.path);
  CameraHub hub(o);
  auto segs = hub.takeSegments();
  ASSERT_EQ(segs.size(), 3u);
  EXPECT_EQ(segs[0].path(), second.string());
  EXPECT_EQ(segs[0].bytes(), 2000u);
  EXPECT_EQ(segs[0].start_us(), t - 200'000'000);
  EXPECT_GT(segs[0].end_us(), segs[0].start_us());  // from the file's last write
  EXPECT_EQ(segs[1].path(), last.string());
  EXPECT_EQ(segs[1].camera_id(), "gate");
  EXPECT_EQ(segs[2].path(), event.string());
  EXPECT_EQ(segs[2].kind(), "event");
  for (const auto &s : segs) EXPECT_FALSE(s.removed());
}

TEST(Recording, SegmentsAreContiguousWhileLiveWithAGapAfterAnOutage) {
  // 640x360: x264 cuts each frame in slices that repeat SPS/PPS, so every
  // keyframe reaches the recorder in two buffers; the files must still be
  // contiguous and readable.
  Simulator sim(1, {"--width", "640", "--height", "360"});
  TempDir rec;
  auto o = recordedCamera("gate", sim.url(1), rec.path, 2);
  o.stallAfterS = 2;
  o.offlineAfterS = 8;
  o.reconnectMinS = 0.2;
  o.reconnectMaxS = 0.5;
  CameraHub hub(o);
  std::vector<wire::RecordingSegment> segs;
  auto collect = [&] {
    for (auto &s : hub.takeSegments()) segs.push_back(std::move(s));
    return segs.size();
  };
  ASSERT_TRUE(waitUntil([&] { return collect() >= 2; }, 30000)) << sim.output();
  auto beforeOutage = segs.size();
  sim.send("drop 1");
  ASSERT_TRUE(waitUntil([&] { return hub.status("gate")->state() == wire::CAMERA_OFFLINE; }, 20000));
  // Dropping the camera closed the file being written.
  ASSERT_TRUE(waitUntil([&] { return collect() > beforeOutage; }, 20000));
  auto lastBefore = segs.back();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  sim.send("restore 1");
  ASSERT_TRUE(waitUntil([&] { return hub.status("gate")->state() == wire::CAMERA_LIVE; }, 30000));
  auto afterOutage = segs.size();
  ASSERT_TRUE(waitUntil([&] { return collect() > afterOutage; }, 30000));
  hub.closeRecordings();
  collect();

  for (const auto &s : segs) {
    SCOPED_TRACE(s.path());
    EXPECT_EQ(s.camera_id(), "gate");
    EXPECT_FALSE(s.removed());
    EXPECT_EQ(fs::path(s.path()).parent_path(), rec.path / "gate");
    ASSERT_TRUE(fs::exists(s.path()));
    EXPECT_EQ(s.bytes(), fs::file_size(s.path()));
    EXPECT_GT(s.bytes(), 1000u);
    EXPECT_GT(s.end_us(), s.start_us());
    // The file plays, and says as much time as the index (within a GOP of 1 s).
    auto seconds = probeDuration(s.path());
    EXPECT_GE(seconds, 0) << "ffprobe cannot read it";
    EXPECT_NEAR(seconds, (s.end_us() - s.start_us()) / 1e6, 1.2);
  }
  // While live, each file starts where the last one ended (no gap in the index).
  for (std::size_t i = 1; i < beforeOutage; ++i)
    EXPECT_NEAR((segs[i].start_us() - segs[i - 1].end_us()) / 1e6, 0, 0.5) << i;
  // The outage is a gap of at least the 2 s the camera was away.
  auto firstAfter = std::find_if(segs.begin(), segs.end(),
                                 [&](const auto &s) { return s.start_us() > lastBefore.end_us(); });
  ASSERT_NE(firstAfter, segs.end());
  EXPECT_GE((firstAfter->start_us() - lastBefore.end_us()) / 1e6, 2.0);
  EXPECT_EQ(listSegments(rec.path, "gate").size(), segs.size()) << "one file per indexed segment";
}

// An H.265 camera passes through like an H.264 one: relayed without
// decoding (a viewer decodes H.265 from the node), recorded as HEVC in MP4,
// and its snapshot and picture check decode H.265.
TEST(Recording, H265CameraIsRelayedAndRecordedAsIs) {
  Simulator sim(1, {"--codec", "h265"});
  TempDir rec;
  auto o = recordedCamera("hevc", sim.url(1), rec.path, 1);
  CameraHub hub(o);
  ASSERT_TRUE(waitUntil([&] { return hub.status("hevc")->state() == wire::CAMERA_LIVE; }, 20000))
      << sim.output();
  TempDir dir;
  Process viewer("/usr/bin/gst-launch-1.0",
                 {"rtspsrc", "location=" + hub.serveUrl("hevc"), "protocols=tcp", "!", "rtph265depay", "!",
                  "avdec_h265", "!", "fakesink", "num-buffers=15"},
                 (dir.path / "viewer.log").string());
  // It decoded its 15 frames (EOS); not its exit code: rtspsrc 1.22 may
  // report its own PAUSE as failed when EOS comes at once (camera_test.cpp).
  viewer.wait(30000);
  EXPECT_THAT(viewer.output(), HasSubstr("Got EOS from element"));
  std::vector<wire::RecordingSegment> segs;
  ASSERT_TRUE(waitUntil(
      [&] {
        for (auto &s : hub.takeSegments()) segs.push_back(std::move(s));
        return !segs.empty();
      },
      30000));
  Process probe(
      "/usr/bin/ffprobe",
      {"-v", "error", "-show_entries", "stream=codec_name", "-of", "default=nw=1:nk=1", segs[0].path()},
      (dir.path / "probe.log").string());
  EXPECT_EQ(probe.wait(20000), 0);
  EXPECT_EQ(probe.output(), "hevc\n");
  auto jpeg = hub.snapshot("hevc");
  ASSERT_TRUE(jpeg);
  EXPECT_EQ((*jpeg)[0], 0xFF);
  EXPECT_EQ((*jpeg)[1], 0xD8);
  EXPECT_EQ(hub.status("hevc")->detail(), "") << "the picture check decodes H.265 too";
}
