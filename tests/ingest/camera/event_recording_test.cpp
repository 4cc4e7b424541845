// Tests of event recording (the camera hub, recorder.cpp): the recording.event_pre_s and
// event_post_s keys, and real event files from the real camera simulator —
// a trigger through the API writes one MP4 from a keyframe at least the
// pre-roll before it to the post-roll after the last trigger (a second
// trigger extends it), announced as a RecordingSegment of kind "event" that
// ffprobe agrees with; the camera's own picture going black triggers one too;
// old event files go by age.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
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

TEST(EventRecordingConfig, ReadsPreAndPostRoll) {
  auto cfg = ConfigNode::loadString(R"(cameras:
  recording: {dir: /var/rec, event_pre_s: 10, event_post_s: 20}
  devices:
    - {id: a, url: "rtsp://h/x"}
)",
                                    "node.yaml");
  auto o = readCameraOptions(cfg);
  cfg.rejectUnknown();
  ASSERT_TRUE(o && o->recording);
  EXPECT_EQ(o->recording->eventPreS, 10);
  EXPECT_EQ(o->recording->eventPostS, 20);
  EXPECT_THAT(
      cameraConfigError("cameras:\n  recording: {dir: /r, event_pre_s: 301}\n  devices:\n    - {id: a, url: "
                        "\"rtsp://h/x\"}\n"),
      HasSubstr("node.yaml:2: cameras.recording.event_pre_s: must be 0..300"));
  EXPECT_THAT(
      cameraConfigError("cameras:\n  recording: {dir: /r, event_post_s: -1}\n  devices:\n    - {id: a, url: "
                        "\"rtsp://h/x\"}\n"),
      HasSubstr("cameras.recording.event_post_s"));
}

TEST(EventRecording, PreRollToPostRollAfterTheLastTriggerAndOnBlackPicture) {
  // 15 fps with a keyframe every second (the simulator's GOP is its fps).
  Simulator sim(1, {"--width", "640", "--height", "360"});
  TempDir rec;
  auto o = recordedCamera("gate", sim.url(1), rec.path);
  o.pictureCheckS = 0.5;
  o.picture.tamperAfterS = 1;
  o.recording->eventPreS = 3;
  o.recording->eventPostS = 2;
  o.cameras[0].record = false;  // events only: no continuous segments
  CameraHub hub(o);
  std::vector<wire::RecordingSegment> segs;
  auto eventWith = [&](const std::string &trigger) -> std::optional<wire::RecordingSegment> {
    for (auto &s : hub.takeSegments()) segs.push_back(std::move(s));
    for (auto &s : segs)
      if (s.kind() == "event" && s.trigger() == trigger) return s;
    return std::nullopt;
  };
  EXPECT_FALSE(hub.recordEvent("nobody", "api: test"));
  ASSERT_TRUE(waitUntil([&] { return hub.status("gate")->state() == wire::CAMERA_LIVE; }, 20000))
      << sim.output();
  std::this_thread::sleep_for(std::chrono::seconds(5));  // more than the pre-roll in the ring

  auto first = nowUs();
  ASSERT_TRUE(hub.recordEvent("gate", "api: test"));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto last = nowUs();
  ASSERT_TRUE(hub.recordEvent("gate", "api: test"));  // during the post-roll: extends it
  std::optional<wire::RecordingSegment> ev;
  ASSERT_TRUE(waitUntil([&] { return (ev = eventWith("api: test")).has_value(); }, 20000));
  EXPECT_EQ(fs::path(ev->path()).parent_path(), rec.path / "gate" / "events");
  ASSERT_TRUE(fs::exists(ev->path()));
  EXPECT_EQ(ev->bytes(), fs::file_size(ev->path()));
  // From a keyframe at least the pre-roll before the first trigger (at most
  // a GOP more), to the post-roll after the last one.
  double preS = (first - ev->start_us()) / 1e6;
  EXPECT_GE(preS, 3.0 - 0.15);
  EXPECT_LE(preS, 3.0 + 1.2);
  double postS = (ev->end_us() - last) / 1e6;
  EXPECT_NEAR(postS, 2.0, 0.6);
  // The file says as much: pre + 1 s between the triggers + post, within a GOP.
  double seconds = probeDuration(ev->path());
  EXPECT_NEAR(seconds, (ev->end_us() - ev->start_us()) / 1e6, 0.6);
  EXPECT_NEAR(seconds, 3 + 1 + 2, 1.4);
  // Played back by the node like a segment, at /rec/<camera>/events/<start µs>.
  {
    TempDir dir;
    Process p("/usr/bin/ffprobe",
              {"-v", "error", "-rtsp_transport", "tcp", "-show_entries", "format=duration", "-of",
               "default=nw=1:nk=1",
               "rtsp://127.0.0.1:" + std::to_string(hub.port()) + "/rec/gate/events/" +
                   std::to_string(ev->start_us())},
              (dir.path / "out").string());
    ASSERT_EQ(p.wait(30000), 0) << p.output();
    EXPECT_NEAR(std::stod(p.output()), seconds, 0.3) << p.output();
  }
  EXPECT_EQ(std::count_if(segs.begin(), segs.end(), [](auto &s) { return s.kind() == "event"; }), 1)
      << "two triggers, one file";
  EXPECT_EQ(std::count_if(segs.begin(), segs.end(), [](auto &s) { return s.kind().empty(); }), 0)
      << "record: false records no segments";

  // The camera's own health: a black picture is an event.
  sim.send("black 1");
  std::optional<wire::RecordingSegment> black;
  ASSERT_TRUE(waitUntil([&] { return (black = eventWith("black")).has_value(); }, 30000));
  double blackS = probeDuration(black->path());
  EXPECT_GT(blackS, 2.0) << "pre-roll and post-roll of the black picture";
  EXPECT_NEAR(blackS, (black->end_us() - black->start_us()) / 1e6, 0.6);
}

// Event files are subject to retention too (by age and the high-water
// purge; the quota counts segments only), reported as removed segments of
// kind "event", and a recent one stays.
TEST(EventRecording, OldEventFilesAreRemovedByAge) {
  TempDir rec;
  auto make = [&](std::int64_t startUs, double ageS) {
    fs::create_directories(rec.path / "gate" / "events");
    auto path = rec.path / "gate" / "events" / (std::to_string(startUs) + ".mp4");
    std::ofstream(path) << std::string(1000, 'x');
    auto when =
        std::chrono::system_clock::now() - std::chrono::milliseconds(static_cast<std::int64_t>(ageS * 1000));
    fs::last_write_time(path, std::chrono::file_clock::from_sys(when));
    return path;
  };
  auto old = make(nowUs() - 7200'000'000, 7200);
  auto recent = make(nowUs() - 60'000'000, 60);
  CameraOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.reconnectMinS = 5;
  RecordingOptions ro;
  ro.dir = rec.path;
  ro.keepHours = 1;
  ro.eventPostS = 5;
  o.recording = ro;
  CameraSpec c;
  c.id = "gate";
  c.url = "rtsp://127.0.0.1:1/nothing";  // never live: retention runs all the same
  o.cameras = {c};
  CameraHub hub(o);
  // At start both files are announced again (the last two of the camera);
  // then retention removes the old one.
  std::vector<wire::RecordingSegment> segs;
  ASSERT_TRUE(waitUntil(
      [&] {
        for (auto &s : hub.takeSegments())
          if (s.removed()) segs.push_back(std::move(s));
        return !segs.empty();
      },
      10000));
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_TRUE(segs[0].removed());
  EXPECT_EQ(segs[0].kind(), "event");
  EXPECT_EQ(segs[0].camera_id(), "gate");
  EXPECT_EQ(fs::path(segs[0].path()), old);
  EXPECT_FALSE(fs::exists(old));
  EXPECT_TRUE(fs::exists(recent));
}
