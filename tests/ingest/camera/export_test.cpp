// Tests of the FFmpeg-based tools against the real camera simulator:
// `liandong-ingest --probe URL` (one line per stream, credentials never
// shown, a clear one-line error and a non-zero exit for a wrong, refused or
// silent URL or a file that is not media) and liandong-clip (a window across
// segment boundaries of two cameras remuxed into MP4s that ffprobe reads with
// the right duration and stream, a manifest that sha256sum verifies, and
// one-line errors for bad requests).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "camera_sim_fixture.h"
#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "liandong/ingest/camera/camera_hub.h"
#include "liandong/ingest/camera/clip.h"
#include "process.h"

using namespace liandong;
using namespace liandong::ingest;
using liandong::testing::Process;
using liandong::testing::run;
using liandong::testing::Run;
using liandong::testing::Simulator;
using liandong::testing::TempDir;
using liandong::testing::waitUntil;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

namespace fs = std::filesystem;

namespace {

const std::string kBin = LIANDONG_BINARY_DIR;

int lines(const std::string &text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

}  // namespace

TEST(Probe, PrintsEachStreamWithoutCredentials) {
  Simulator sim(1);
  auto url = "rtsp://admin:topsecret@127.0.0.1:" + std::to_string(sim.port) + "/cam/1";
  auto r = run(kBin + "/ingest/liandong-ingest", {"--probe", url});
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(lines(r.output), 1) << r.output;
  EXPECT_THAT(r.output,
              MatchesRegex("stream 0: video h264( \\([A-Za-z ]+\\))? 320x240 1[45]\\.[0-9]+ fps [0-9]+ "
                           "kb/s\n"));
  EXPECT_THAT(r.output, Not(HasSubstr("topsecret")));
  // The bitrate is near what the simulator was asked for (300 kb/s).
  auto kbps = std::stod(r.output.substr(r.output.find("fps ") + 4));
  EXPECT_GT(kbps, 100);
  EXPECT_LT(kbps, 1000);
}

TEST(Probe, WrongUrlsGiveOneClearLineAndFail) {
  Simulator sim(1);
  auto probe = [](const std::string &url, const std::string &limit = "10") {
    return run(kBin + "/ingest/liandong-ingest", {"--probe", url, "--duration", limit});
  };
  auto notFound = probe("rtsp://admin:topsecret@127.0.0.1:" + std::to_string(sim.port) + "/cam/99");
  EXPECT_NE(notFound.code, 0);
  EXPECT_EQ(lines(notFound.output), 1) << notFound.output;
  EXPECT_THAT(notFound.output, HasSubstr("cannot open rtsp://***@127.0.0.1:"));
  EXPECT_THAT(notFound.output, HasSubstr("404"));
  EXPECT_THAT(notFound.output, Not(HasSubstr("topsecret")));

  auto refused =
      probe("rtsp://u:topsecret@127.0.0.1:" + std::to_string(liandong::testing::freeTcpPort()) + "/x");
  EXPECT_NE(refused.code, 0);
  EXPECT_EQ(lines(refused.output), 1) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("refused"));
  EXPECT_THAT(refused.output, Not(HasSubstr("topsecret")));

  // A server that accepts and never answers: the probe gives up on time.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len), 0);
  auto silent = probe("rtsp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/cam/1", "2");
  ::close(fd);
  EXPECT_NE(silent.code, 0);
  EXPECT_EQ(lines(silent.output), 1) << silent.output;
  EXPECT_THAT(silent.output, HasSubstr("within 2 s"));

  TempDir dir;
  std::ofstream(dir.path / "notes.txt") << "this is not a video\n";
  auto garbage = probe((dir.path / "notes.txt").string());
  EXPECT_NE(garbage.code, 0);
  EXPECT_EQ(lines(garbage.output), 1) << garbage.output;
  EXPECT_THAT(garbage.output, HasSubstr("Invalid data"));
}

TEST(Clip, ExportsAWindowAcrossSegmentsOfTwoCamerasWithAManifest) {
  Simulator sim(2);
  TempDir rec, out;
  CameraOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  RecordingOptions ro;
  ro.dir = rec.path;
  ro.segmentS = 2;
  o.recording = ro;
  for (int n : {1, 2}) {
    CameraSpec c;
    c.id = n == 1 ? "gate" : "bridge";
    c.url = sim.url(n);
    c.latencyMs = 100;
    o.cameras.push_back(c);
  }
  std::vector<wire::RecordingSegment> segs;
  auto longSegments = [&](const std::string &camera) {
    std::vector<wire::RecordingSegment> out;
    for (const auto &s : segs)
      if (s.camera_id() == camera && s.end_us() - s.start_us() > 1'000'000) out.push_back(s);
    return out;
  };
  std::int64_t t0 = 0, t1 = 0;
  {
    CameraHub hub(o);
    auto collect = [&] {
      for (auto &s : hub.takeSegments()) segs.push_back(std::move(s));
    };
    // Two finished segments of each camera, then a 3 s window that starts
    // inside the later second one and ends in a later segment.
    ASSERT_TRUE(waitUntil(
        [&] {
          collect();
          return longSegments("gate").size() >= 2 && longSegments("bridge").size() >= 2;
        },
        40000))
        << sim.output();
    t0 = std::max(longSegments("gate")[1].start_us(), longSegments("bridge")[1].start_us()) + 500'000;
    t1 = t0 + 3'000'000;
    // Until both cameras have recorded past the window.
    auto pastWindow = [&](const std::string &camera) {
      for (const auto &s : segs)
        if (s.camera_id() == camera && s.end_us() > t1 + 500'000) return true;
      return false;
    };
    ASSERT_TRUE(waitUntil(
        [&] {
          collect();
          return pastWindow("gate") && pastWindow("bridge");
        },
        40000));
    hub.closeRecordings();
  }
  auto gate = longSegments("gate");
  ASSERT_GT(t1, gate[1].end_us()) << "the window crosses a boundary";
  auto r = run(kBin + "/ingest/liandong-clip",
               {"--recordings", rec.path.string(), "--camera", "gate", "--camera", "bridge", "--from",
                formatIsoUtc(t0), "--to", std::to_string(t1), "--out", out.path.string()});
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(lines(r.output), 2) << r.output;
  for (const std::string cam : {"gate", "bridge"}) {
    SCOPED_TRACE(cam);
    auto file = (out.path / (cam + ".mp4")).string();
    auto probe =
        run("/usr/bin/ffprobe", {"-v", "error", "-show_entries", "stream=codec_name,codec_type,width,height",
                                 "-show_entries", "format=duration,format_name", "-of", "json", file});
    ASSERT_EQ(probe.code, 0) << probe.output;
    auto j = nlohmann::json::parse(probe.output);
    ASSERT_EQ(j["streams"].size(), 1u) << probe.output;
    EXPECT_EQ(j["streams"][0]["codec_name"], "h264");
    EXPECT_EQ(j["streams"][0]["width"], 320);
    EXPECT_THAT(j["format"]["format_name"].get<std::string>(), HasSubstr("mp4"));
    // 3 s asked for; it starts on the keyframe at or before t0 (GOP 1 s).
    auto seconds = std::stod(j["format"]["duration"].get<std::string>());
    EXPECT_GE(seconds, 2.7);
    EXPECT_LE(seconds, 4.2);
  }
  // The manifest checks out with the standard tool, and names the source segments.
  auto check = run("/bin/sh", {"-c", "cd '" + out.path.string() + "' && sha256sum -c manifest.sha256"});
  EXPECT_EQ(check.code, 0) << check.output;
  EXPECT_THAT(check.output, HasSubstr("gate.mp4: OK"));
  EXPECT_THAT(check.output, HasSubstr("manifest.json: OK"));
  std::ifstream mj(out.path / "manifest.json");
  auto manifest = nlohmann::json::parse(mj);
  ASSERT_EQ(manifest["clips"].size(), 2u);
  EXPECT_GE(manifest["clips"][0]["segments"].size(), 2u) << "across a segment boundary";
  EXPECT_EQ(manifest["clips"][0]["sha256"].get<std::string>().size(), 64u);

  // Bad requests: one line, non-zero.
  auto none = run(kBin + "/ingest/liandong-clip",
                  {"--recordings", rec.path.string(), "--camera", "nope", "--from", std::to_string(t0),
                   "--to", std::to_string(t1), "--out", out.path.string()});
  EXPECT_NE(none.code, 0);
  EXPECT_EQ(lines(none.output), 1) << none.output;
  EXPECT_THAT(none.output, HasSubstr("camera nope: no recordings"));
  auto before = run(kBin + "/ingest/liandong-clip",
                    {"--recordings", rec.path.string(), "--camera", "gate", "--from", "2020-01-01T00:00:00Z",
                     "--to", "2020-01-01T00:01:00Z", "--out", out.path.string()});
  EXPECT_NE(before.code, 0);
  EXPECT_THAT(before.output, HasSubstr("nothing recorded between"));
  auto badTime = run(kBin + "/ingest/liandong-clip",
                     {"--recordings", rec.path.string(), "--camera", "gate", "--from", "yesterday", "--to",
                      std::to_string(t1), "--out", out.path.string()});
  EXPECT_NE(badTime.code, 0);
  EXPECT_THAT(badTime.output, HasSubstr("\"yesterday\" is not a time"));
}

TEST(Clip, ParsesTimes) {
  EXPECT_EQ(parseTimeUs("1796040217585436"), 1796040217585436);
  EXPECT_EQ(parseTimeUs("1970-01-01T00:00:01Z"), 1'000'000);
  EXPECT_EQ(parseTimeUs("1970-01-01T08:00:01.25+08:00"), 1'250'000);
  EXPECT_THROW(parseTimeUs("1970-01-01T00:00:01"), Error);  // no zone: not guessed
  EXPECT_THROW(parseTimeUs("1970-13-01T00:00:01Z"), Error);
}
