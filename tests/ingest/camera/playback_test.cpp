// Tests of recorded playback (ingest/camera/src/playback.cpp): a segment recorded
// from the real camera simulator is served by the node's RTSP server at
// /rec/<camera>/<start µs>, read through it by ffprobe (streams and
// duration) and seeked by ffmpeg (RTSP Range); a missing segment and paths
// that try to leave the recordings get 404, and the server keeps serving.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "camera_sim_fixture.h"
#include "liandong/ingest/camera/camera_hub.h"
#include "liandong/ingest/camera/recording.h"
#include "process.h"

using namespace liandong;
using namespace liandong::ingest;
using liandong::testing::Process;
using liandong::testing::recordedCamera;
using liandong::testing::run;
using liandong::testing::Run;
using liandong::testing::Simulator;
using liandong::testing::TempDir;
using liandong::testing::waitUntil;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

namespace {

double number(const std::string &text) {
  try {
    return std::stod(text);
  } catch (const std::exception &) {
    return -1;
  }
}

// "key=value" lines of ffprobe's default writer -> the value of key (the
// last one: ffmpeg's -progress writes a block every half second).
std::string field(const std::string &text, const std::string &key) {
  auto at = text.rfind("\n" + key + "=");
  at = at == std::string::npos ? (text.starts_with(key + "=") ? 0 : at) : at + 1;
  if (at == std::string::npos) return "";
  auto end = text.find('\n', at);
  return text.substr(at + key.size() + 1,
                     end == std::string::npos ? std::string::npos : end - at - key.size() - 1);
}

}  // namespace

TEST(Playback, RecordedSegmentIsServedWithItsDurationAndSeeks_BadPathsAre404) {
  Simulator sim(1, {"--width", "640", "--height", "360"});
  TempDir rec;
  auto o = recordedCamera("gate-1", sim.url(1), rec.path, 4);
  o.pictureCheckS = 0;
  CameraHub hub(o);
  // A whole segment (≥ 3 of its 4 s): the first may be cut short when a
  // loaded machine delays the camera's first frames.
  std::vector<wire::RecordingSegment> segs;
  const wire::RecordingSegment *full = nullptr;
  ASSERT_TRUE(waitUntil(
      [&] {
        for (auto &s : hub.takeSegments()) segs.push_back(std::move(s));
        for (const auto &s : segs)
          if (!s.removed() && s.end_us() - s.start_us() >= 3000000) full = &s;
        return full != nullptr;
      },
      60000))
      << sim.output();
  const auto seg = *full;
  ASSERT_EQ(fs::path(seg.path()), rec.path / "gate-1" / segmentFileName(seg.start_us()));
  auto base = "rtsp://127.0.0.1:" + std::to_string(hub.port()) + "/rec/";
  auto url = base + "gate-1/" + std::to_string(seg.start_us());

  auto local = run("/usr/bin/ffprobe", {"-v", "error", "-show_entries", "format=duration", "-of",
                                        "default=nw=1:nk=1", seg.path()});
  ASSERT_EQ(local.code, 0) << local.output;
  double fileS = number(local.output);
  ASSERT_GT(fileS, 2.5) << local.output;

  // Through the mount: the same stream (H.264, 640x360, not re-encoded) and
  // the file's duration (announced in the SDP's range).
  auto remote =
      run("/usr/bin/ffprobe", {"-v", "error", "-rtsp_transport", "tcp", "-show_entries",
                               "format=duration:stream=codec_name,width,height", "-of", "default=nw=1", url});
  ASSERT_EQ(remote.code, 0) << remote.output;
  EXPECT_EQ(field(remote.output, "codec_name"), "h264") << remote.output;
  EXPECT_EQ(field(remote.output, "width"), "640");
  EXPECT_EQ(field(remote.output, "height"), "360");
  EXPECT_NEAR(number(field(remote.output, "duration")), fileS, 0.3) << remote.output;

  // Seeking: from 2 s in, only the rest of the file comes (RTSP PLAY Range),
  // from the keyframe at or before 2 s (one a second): at most the frames
  // of the last fileS - 2 + 1 seconds, with 0.15 s to spare. Judged by proportion, since a loaded machine
  // makes the simulator send fewer frames a second.
  auto whole = run("/usr/bin/ffprobe",
                   {"-v", "error", "-rtsp_transport", "tcp", "-count_packets", "-select_streams", "v:0",
                    "-show_entries", "stream=nb_read_packets", "-of", "default=nw=1:nk=1", url});
  ASSERT_EQ(whole.code, 0) << whole.output;
  auto seeked = run("/usr/bin/ffmpeg", {"-v", "error", "-rtsp_transport", "tcp", "-ss", "2", "-i", url, "-c",
                                        "copy", "-f", "null", "-", "-progress", "pipe:1"});
  ASSERT_EQ(seeked.code, 0) << seeked.output;
  double wholeFrames = number(whole.output);
  double seekedFrames = number(field(seeked.output, "frame"));
  std::printf("segment %.2f s: %g frames, %g from 2 s\n", fileS, wholeFrames, seekedFrames);
  EXPECT_GT(wholeFrames, 10) << whole.output;
  EXPECT_GT(seekedFrames, 0) << seeked.output;
  EXPECT_LT(seekedFrames, wholeFrames * (fileS - 2 + 1 + 0.15) / fileS)
      << "the seek did not skip the first 2 s of " << fileS << " s: " << seekedFrames << " of "
      << wholeFrames;

  // A missing segment and paths that try to leave the recordings: 404.
  for (const std::string &bad : std::vector<std::string>{
           "gate-1/1", "gate-1/12a", "../gate-1/" + std::to_string(seg.start_us()), "gate-1/..%2F..%2Fetc",
           "nobody/" + std::to_string(seg.start_us()), "gate-1"}) {
    SCOPED_TRACE(bad);
    auto r = run("/usr/bin/ffprobe", {"-v", "error", "-rtsp_transport", "tcp", base + bad});
    EXPECT_NE(r.code, 0);
    EXPECT_THAT(r.output, HasSubstr("404")) << r.output;
  }
  // Deleted after being indexed: 404 too, and live viewing is untouched.
  fs::remove(seg.path());
  auto gone = run("/usr/bin/ffprobe", {"-v", "error", "-rtsp_transport", "tcp", url});
  EXPECT_NE(gone.code, 0);
  EXPECT_THAT(gone.output, HasSubstr("404")) << gone.output;
  auto live =
      run("/usr/bin/ffprobe", {"-v", "error", "-rtsp_transport", "tcp", "-show_entries", "stream=codec_name",
                               "-of", "default=nw=1:nk=1", hub.serveUrl("gate-1")});
  EXPECT_EQ(live.code, 0) << live.output;
  EXPECT_THAT(live.output, HasSubstr("h264"));
}
