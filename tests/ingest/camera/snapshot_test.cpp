// Tests of snapshot on demand against the real camera simulator: the JPEG
// decodes to the camera's size and shows its picture (a blacked-out camera
// gives a dark one), and a wrong path, a closed port or a non-URL each end
// in one line naming the (redacted) URL and the cause, within the timeout.
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "camera_sim_fixture.h"
#include "liandong/core/errors.h"
#include "liandong/ingest/camera/gst_util.h"
#include "liandong/ingest/camera/snapshot.h"

using namespace liandong;
using namespace liandong::ingest;
using liandong::testing::Simulator;

namespace {

struct Grey {
  int width = 0, height = 0;
  double mean = 0;
};

// Decodes a JPEG with GStreamer's jpegdec and measures its mean grey level.
Grey decode(const std::string &jpeg) {
  auto p = gst::parseLaunch(
      "appsrc name=src caps=image/jpeg ! jpegdec ! videoconvert ! video/x-raw,format=GRAY8 ! appsink "
      "name=sink "
      "sync=false");
  auto src = gst::byName(p.get(), "src");
  auto sink = gst::byName(p.get(), "sink");
  gst_element_set_state(p.get(), GST_STATE_PLAYING);
  GstBuffer *buffer = gst_buffer_new_memdup(jpeg.data(), jpeg.size());
  gst_app_src_push_buffer(GST_APP_SRC(src.get()), buffer);
  gst_app_src_end_of_stream(GST_APP_SRC(src.get()));
  gst::MiniPtr<GstSample> sample(gst_app_sink_try_pull_sample(GST_APP_SINK(sink.get()), 5 * GST_SECOND));
  Grey g;
  if (sample) {
    GstStructure *s = gst_caps_get_structure(gst_sample_get_caps(sample.get()), 0);
    gst_structure_get_int(s, "width", &g.width);
    gst_structure_get_int(s, "height", &g.height);
    GstMapInfo map;
    GstBuffer *b = gst_sample_get_buffer(sample.get());
    if (gst_buffer_map(b, &map, GST_MAP_READ)) {
      double sum = 0;
      int stride = (g.width + 3) / 4 * 4;  // GRAY8 rows are 4-byte aligned
      for (int y = 0; y < g.height; ++y)
        for (int x = 0; x < g.width; ++x) sum += map.data[y * stride + x];
      g.mean = sum / (g.width * g.height);
      gst_buffer_unmap(b, &map);
    }
  }
  gst_element_set_state(p.get(), GST_STATE_NULL);
  return g;
}

}  // namespace

TEST(Snapshot, AJpegOfWhatTheCameraShowsNow) {
  Simulator sim(2);
  auto jpeg = snapshotJpeg(sim.url(1));
  ASSERT_GT(jpeg.size(), 4u);
  EXPECT_EQ(static_cast<unsigned char>(jpeg[0]), 0xFF);
  EXPECT_EQ(static_cast<unsigned char>(jpeg[1]), 0xD8) << "a JPEG starts with SOI";
  auto g = decode(jpeg);
  EXPECT_EQ(g.width, 320);
  EXPECT_EQ(g.height, 240);
  EXPECT_GT(g.mean, 40) << "the test picture, not a black one";

  // Blacked out (the clock is still burnt in): a dark picture.
  sim.send("black 2");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto dark = decode(snapshotJpeg(sim.url(2)));
  EXPECT_EQ(dark.width, 320);
  EXPECT_LT(dark.mean, 30) << "what camera 2 shows now";
}

TEST(Snapshot, BadUrlsEndInOneLineNamingTheCause) {
  Simulator sim(1);
  SnapshotOptions o;
  o.timeoutS = 5;
  auto message = [&](const std::string &url) -> std::string {
    try {
      snapshotJpeg(url, o);
    } catch (const Error &e) {
      return e.what();
    }
    return "no error";
  };
  auto notFound = message("rtsp://admin:secret@127.0.0.1:" + std::to_string(sim.port) + "/cam/9");
  EXPECT_NE(notFound.find("rtsp://***@127.0.0.1"), std::string::npos) << notFound;
  EXPECT_EQ(notFound.find("secret"), std::string::npos) << "credentials never shown";
  EXPECT_NE(notFound.find("Not found"), std::string::npos) << notFound;
  auto refused = message("rtsp://127.0.0.1:" + std::to_string(liandong::testing::freeTcpPort()) + "/cam/1");
  EXPECT_NE(refused.find("snapshot of rtsp://127.0.0.1:"), std::string::npos) << refused;
  EXPECT_EQ(message("not a url"), "snapshot of not a url: not a URL");
  for (const auto &m : {notFound, refused}) EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}
