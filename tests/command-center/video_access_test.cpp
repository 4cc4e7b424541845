// Who may watch (docs/ingest.md): the centre's `video_grant` query with a
// real centre, a real ingest node relaying and recording a simulated camera,
// and real viewers (ffprobe) — a duty officer whose jurisdiction does not
// hold the camera is refused, one whose does gets URLs (live and a recorded
// segment) that play, and the node refuses the same URLs without the grant;
// every grant and refusal is in the centre's and the node's logs, no token is.
#include <chrono>
#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "centre_deployment.h"
#include "liandong.pb.h"
#include "liandong/core/link/query.h"
#include "liandong/core/video_grant.h"
#include "pg_fixture.h"
#include "process.h"

using namespace liandong;
using namespace liandong::testing;

namespace {

const std::string kCamera = "44011300041320000001";  // at 市桥, Panyu (440113)

// centre-t with two cameras at 市桥 (the node relays the first) and node-t
// recording it in 2 s segments from the camera simulator.
struct Deployment : CentreDeployment {
  int simPort = freeTcpPort(), servePort = freeTcpPort();

  explicit Deployment(const std::string &name) : CentreDeployment(name, "ldvideoaccess") {
    writeFile(dir / "cameras.geojson", R"({"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"44011300041320000001","name":"市桥桥","range_m":300},"geometry":{"type":"Point","coordinates":[113.3655,22.9455]}},
{"type":"Feature","properties":{"id":"44011300041320000002","name":"市桥河东","range_m":300},"geometry":{"type":"Point","coordinates":[113.3665,22.9450]}}]})");
    // Streets too: the refused officer is of another Panyu street.
    writeCentreYaml("", "  towns: [" + sourceDir() +
                            "/configs/data/geo/towns-440100.csv]\n  cameras: [cameras.geojson]\n");
    writeFile(dir / "node.yaml", nodeHead() + fmt::format(R"(cameras:
  port: {}
  picture: {{check_s: 0}}
  recording: {{dir: recordings, segment_s: 2}}
  devices:
    - {{id: {}, url: "rtsp://127.0.0.1:{}/cam/1", latitude: 22.9455, longitude: 113.3655}}
)",
                                                          servePort, kCamera, simPort));
  }
  void addUser(const std::string &args) const {
    run("printf '%s\\n' 'correct horse' | " + bin("command-center/server/liandong-admin") + " --db '" + db +
        "' user add " + args);
  }
};

wire::Query grantQuery(const std::string &camera, wire::VideoScope scope = wire::VIDEO_LIVE,
                       std::int64_t segmentStartUs = 0) {
  wire::Query q;
  q.mutable_video_grant()->set_camera_id(camera);
  q.mutable_video_grant()->set_scope(scope);
  q.mutable_video_grant()->set_segment_start_us(segmentStartUs);
  return q;
}

// What ffprobe finds in `url` (RTP over TCP): "h264,640" or "" when it cannot play.
std::string probe(const std::string &url) {
  try {
    auto out =
        run("timeout 30 ffprobe -v error -rtsp_transport tcp -select_streams v:0 -show_entries "
            "stream=codec_name,width -of csv=p=0 '" +
            url + "' 2>/dev/null");
    while (!out.empty() && (out.back() == '\n' || out.back() == ',')) out.pop_back();
    return out;
  } catch (const std::exception &) {
    return "";  // ffprobe failed: the URL did not play (what the caller checks)
  }
}

}  // namespace

TEST(VideoAccess, TheCentreGrantsOnlyInsideTheJurisdictionAndTheGrantedUrlsPlay) {
  Deployment d("videogrant");
  Process sim(d.bin("ingest/liandong-camera-sim"),
              {"--port", std::to_string(d.simPort), "--cameras", "1", "--width", "640", "--height", "360",
               "--fps", "15", "--bitrate-kbps", "600"},
              (d.dir / "sim.log").string());
  ASSERT_TRUE(sim.waitForOutput("listening on", 30000)) << sim.output();
  Process centre(d.bin("command-center/server/liandong-center"), {"-c", (d.dir / "centre.yaml").string()},
                 (d.dir / "centre.log").string());
  ASSERT_TRUE(centre.waitForOutput("ready:", 60000)) << centre.output();
  d.addUser("zhang --role duty_officer --region 440113");
  const auto otherStreet = d.text(
      "SELECT code FROM regions WHERE tier = 'town' AND parent_code = '440113' AND code <> "
      "(SELECT region_code FROM cameras WHERE id = '" +
      kCamera + "') ORDER BY code LIMIT 1");
  d.addUser("li --role duty_officer --region " + otherStreet);
  Process node(d.bin("ingest/liandong-ingest"), {"-c", (d.dir / "node.yaml").string()},
               (d.dir / "node.log").string());
  ASSERT_TRUE(waitUntil(
      [&] {
        return d.query("SELECT count(*) FROM camera_segments WHERE camera_id = '" + kCamera + "'") >= 1 &&
               d.query(
                   "SELECT count(*) FROM events WHERE kind = 'camera_status' AND "
                   "payload->'camera_status'->>'state' = 'CAMERA_LIVE'") >= 1;
      },
      90000))
      << node.output() << centre.output();

  zmq::context_t ctx(1);
  link::QueryClient client(ctx, "tcp://127.0.0.1:" + std::to_string(d.queries), d.centre.publicZ85,
                           d.console);
  const auto zhang = signIn(client, "zhang"), li = signIn(client, "li");
  // Refusals, each in a line.
  EXPECT_EQ(refusal(client, "", grantQuery(kCamera)), "not signed in: send a login query first");
  EXPECT_EQ(refusal(client, li, grantQuery(kCamera)), "no camera " + kCamera + " in your jurisdiction");
  EXPECT_EQ(refusal(client, zhang, grantQuery("44011300041320000009")),
            "no camera 44011300041320000009 in your jurisdiction");
  EXPECT_EQ(refusal(client, zhang, grantQuery("44011300041320000002")),
            "camera 44011300041320000002: no node has reported serving it");
  EXPECT_EQ(refusal(client, zhang, grantQuery(kCamera, wire::VIDEO_RECORDING, 0)),
            "video_grant: segment_start_us is required for a recording");
  EXPECT_EQ(refusal(client, zhang, grantQuery(kCamera, wire::VIDEO_RECORDING, 12345)),
            "camera " + kCamera + ": no recording starts at 12345");

  // Live: the node's re-serve URL with a grant for node-t, zhang, 5 minutes.
  auto live = ask(client, zhang, grantQuery(kCamera)).video_grant();
  const auto base = fmt::format("rtsp://127.0.0.1:{}/cam/{}?grant=", d.servePort, kCamera);
  ASSERT_EQ(live.url().substr(0, base.size()), base) << live.url();
  const auto token = live.url().substr(base.size());
  auto nodeKey = VideoGrantKey::forNode(d.node, d.centre.publicZ85);
  auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  auto check = verifyVideoGrant(nodeKey, token, kCamera, GrantScope::kLive, now.count());
  ASSERT_TRUE(check.granted) << check.reason;
  EXPECT_EQ(check.claims->user, "zhang");
  EXPECT_NEAR(static_cast<double>(check.claims->expiresAt), static_cast<double>(now.count() + 300), 5);
  EXPECT_EQ(live.expires_at_us(), check.claims->expiresAt * 1000000);
  EXPECT_EQ(probe(live.url()), "h264,640");
  EXPECT_EQ(probe(base.substr(0, base.find('?'))), "") << "the node refuses a viewer without a grant";

  // A recorded segment: /rec/<camera>/<start µs> on the same node.
  auto start = d.query("SELECT (extract(epoch FROM min(start_at)) * 1e6)::bigint FROM camera_segments");
  auto rec = ask(client, zhang, grantQuery(kCamera, wire::VIDEO_RECORDING, start)).video_grant();
  const auto recBase = fmt::format("rtsp://127.0.0.1:{}/rec/{}/{}?grant=", d.servePort, kCamera, start);
  ASSERT_EQ(rec.url().substr(0, recBase.size()), recBase) << rec.url();
  EXPECT_TRUE(verifyVideoGrant(nodeKey, rec.url().substr(recBase.size()), kCamera, GrantScope::kRecording,
                               now.count())
                  .granted);
  EXPECT_EQ(probe(rec.url()), "h264,640");
  EXPECT_EQ(probe(recBase.substr(0, recBase.find('?'))), "");

  EXPECT_EQ(node.stop(), 0) << node.output();
  EXPECT_EQ(centre.stop(), 0);
  auto log = centre.output();
  EXPECT_NE(log.find("video grant: zhang (console-t/test-console)"), std::string::npos) << log;
  EXPECT_NE(log.find("may watch camera " + kCamera + " live on node node-t"), std::string::npos) << log;
  EXPECT_NE(log.find("video grant refused: li ("), std::string::npos) << log;
  EXPECT_EQ(log.find(token), std::string::npos) << "a grant is never logged";
  auto nodeLog = node.output();
  EXPECT_EQ(nodeLog.find(token), std::string::npos) << "a grant is never logged";
  EXPECT_NE(nodeLog.find(": zhang may watch " + kCamera + " live (grant "), std::string::npos) << nodeLog;
  EXPECT_NE(nodeLog.find(": zhang may watch " + kCamera + " rec (grant "), std::string::npos) << nodeLog;
  EXPECT_NE(nodeLog.find(": refused " + kCamera + " live to unknown: no grant"), std::string::npos)
      << nodeLog;
}

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new PgEnvironment);
  return RUN_ALL_TESTS();
}
