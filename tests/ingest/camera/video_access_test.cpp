// Who may watch (docs/ingest.md): the node's camera relay with a grant key,
// a simulated camera and real viewers — a raw RTSP viewer without a grant
// gets 401; with a grant for another camera, expired, MACed for another node
// or altered, 403; with a valid grant it plays live (its later requests on
// the connection authorised by it, the grant never echoed), and ffprobe
// plays /cam/ and /rec/ with a grant and not without.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "camera_sim_fixture.h"
#include "liandong/core/clock.h"
#include "liandong/core/curve_keys.h"
#include "liandong/core/video_grant.h"
#include "liandong/ingest/camera/camera_hub.h"
#include "liandong/ingest/rtsp/rtsp_wire.h"

using namespace liandong;
using namespace liandong::ingest;
using namespace liandong::testing;

namespace {

// RTSP requests and their responses on one connection (blocking socket).
struct Connection {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int cseq = 0;
  rtsp::Reader reader;
  explicit Connection(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) throw SystemError("connect", errno);
  }
  ~Connection() { ::close(fd); }
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;
  // The response (RTP before it skipped); throws when none comes in 10 s.
  rtsp::Message request(const std::string &method, const std::string &url, const std::string &headers = "") {
    auto text =
        method + " " + url + " RTSP/1.0\r\nCSeq: " + std::to_string(++cseq) + "\r\n" + headers + "\r\n";
    if (::send(fd, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size()))
      throw Error("send failed");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      while (auto item = reader.next())
        if (item->message) return *item->message;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 1000) <= 0) continue;
      char buf[65536];
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      reader.feed(buf, static_cast<std::size_t>(n));
    }
    throw Error(method + ": no response");
  }
};

std::int64_t nowS() {
  return nowUs() / 1000000;
}

class VideoAccess : public ::testing::Test {
protected:
  CurveKeyPair centre_ = generateCurveKeyPair("centre-t"), node_ = generateCurveKeyPair("node-t"),
               other_ = generateCurveKeyPair("node-o");

  std::string grant(const std::string &camera, GrantScope scope = GrantScope::kLive, std::int64_t ttlS = 300,
                    const CurveKeyPair *node = nullptr) const {
    return issueVideoGrant(VideoGrantKey::forCentre(centre_, (node ? *node : node_).publicZ85),
                           {camera, scope, "zhang", nowS() + ttlS, 0});
  }
  CameraOptions options(const std::string &url, const std::filesystem::path &rec) const {
    auto o = recordedCamera("gate", url, rec, 2);
    o.pictureCheckS = 0;
    o.grantKey = VideoGrantKey::forNode(node_, centre_.publicZ85);
    return o;
  }
};

// What ffprobe finds in `url`: "h264" or "" when it cannot play it.
std::string probe(const std::string &url) {
  auto r = run("/usr/bin/ffprobe", {"-v", "error", "-rtsp_transport", "tcp", "-select_streams", "v:0",
                                    "-show_entries", "stream=codec_name", "-of", "default=nw=1:nk=1", url});
  if (r.code != 0) return "";
  auto out = r.output;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace

TEST_F(VideoAccess, ViewersWithoutAGoodGrantAreRefusedAndWithOneTheyPlay) {
  Simulator sim(1);
  TempDir rec;
  CameraHub hub(options(sim.url(1), rec.path));
  ASSERT_TRUE(waitUntil(
      [&] { return hub.status("gate") && hub.status("gate")->state() == wire::CAMERA_LIVE; }, 30000))
      << sim.output();
  const auto url = hub.serveUrl("gate");

  // Refusals first: each on a connection of its own, at DESCRIBE.
  auto describe = [&](const std::string &target) {
    Connection c(hub.port());
    return c.request("DESCRIBE", target, "Accept: application/sdp\r\n").status;
  };
  EXPECT_EQ(describe(url), 401) << "no grant";
  EXPECT_EQ(describe(url + "?grant="), 401) << "an empty grant";
  EXPECT_EQ(describe(url + "?grant=" + grant("bridge")), 403) << "a grant for another camera";
  EXPECT_EQ(describe(url + "?grant=" + grant("gate", GrantScope::kLive, -1)), 403) << "expired";
  EXPECT_EQ(describe(url + "?grant=" + grant("gate", GrantScope::kRecording)), 403) << "for recordings";
  EXPECT_EQ(describe(url + "?grant=" + grant("gate", GrantScope::kLive, 300, &other_)), 403)
      << "MACed for another node";
  auto tampered = grant("gate");
  tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(describe(url + "?grant=" + tampered), 403) << "altered";
  EXPECT_EQ(describe(hub.serveUrl("gate") + "-unknown"), 401) << "no grant: not even whether it exists";
  {
    Connection c(hub.port());  // SETUP and PLAY without a DESCRIBE are checked too
    EXPECT_EQ(
        c.request("SETUP", url + "/stream=0", "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n").status,
        401);
    EXPECT_EQ(c.request("PLAY", url).status, 401);
  }

  // A valid grant: DESCRIBE with it, then SETUP and PLAY at the Content-Base
  // (no grant) on the same connection, as rtspsrc, FFmpeg and VLC do.
  {
    Connection c(hub.port());
    auto d = c.request("DESCRIBE", url + "?grant=" + grant("gate"), "Accept: application/sdp\r\n");
    ASSERT_EQ(d.status, 200);
    auto base = d.header("Content-Base").value_or("");
    EXPECT_EQ(base, url + "/") << "the grant is never echoed";
    auto s = c.request("SETUP", base + "stream=0", "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n");
    ASSERT_EQ(s.status, 200);
    auto session = rtsp::parseSession(s.header("Session").value_or("")).first;
    auto p = c.request("PLAY", base, "Session: " + session + "\r\n");
    EXPECT_EQ(p.status, 200);
    EXPECT_EQ(p.header("RTP-Info").value_or("").find("grant"), std::string::npos);
  }
  // Real viewers: ffprobe (FFmpeg) with and without.
  EXPECT_EQ(probe(url + "?grant=" + grant("gate")), "h264");
  EXPECT_EQ(probe(url), "");

  // Recordings: /rec/<camera>/<start µs> with a recordings grant only.
  std::vector<wire::RecordingSegment> segs;
  ASSERT_TRUE(waitUntil(
      [&] {
        for (auto &s : hub.takeSegments())
          if (!s.removed()) segs.push_back(std::move(s));
        return !segs.empty();
      },
      60000));
  const auto recUrl =
      "rtsp://127.0.0.1:" + std::to_string(hub.port()) + "/rec/gate/" + std::to_string(segs[0].start_us());
  EXPECT_EQ(describe(recUrl), 401);
  EXPECT_EQ(describe(recUrl + "?grant=" + grant("gate")), 403) << "a live grant is not for recordings";
  EXPECT_EQ(probe(recUrl), "");
  EXPECT_EQ(probe(recUrl + "?grant=" + grant("gate", GrantScope::kRecording)), "h264");
}
