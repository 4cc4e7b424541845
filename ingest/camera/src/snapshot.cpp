// Snapshot on demand (see snapshot.h): uridecodebin → videoconvert → jpegenc
// → appsink, first picture only; audio and other streams go to a fakesink.
#include "liandong/ingest/camera/snapshot.h"

#include <gst/app/gstappsink.h>

#include <chrono>

#include "liandong/core/errors.h"
#include "liandong/core/text.h"
#include "liandong/ingest/camera/gst_util.h"

namespace liandong::ingest {

namespace {
struct Links {
  GstElement *pipeline;
  GstElement *convert;
};

void onPadAdded(GstElement *, GstPad *pad, gpointer data) {
  auto *links = static_cast<Links *>(data);
  gst::MiniPtr<GstCaps> caps(gst_pad_get_current_caps(pad));
  if (!caps) caps.reset(gst_pad_query_caps(pad, nullptr));
  bool video = caps && gst_caps_get_size(caps.get()) > 0 &&
               g_str_has_prefix(gst_structure_get_name(gst_caps_get_structure(caps.get(), 0)), "video/");
  gst::Ptr<GstPad> sinkPad;
  if (video) {
    sinkPad.reset(gst_element_get_static_pad(links->convert, "sink"));
    if (gst_pad_is_linked(sinkPad.get())) video = false;  // a second video stream: only the first
  }
  if (!video) {
    GstElement *drop = gst_element_factory_make("fakesink", nullptr);
    if (!drop) return;
    g_object_set(drop, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add(GST_BIN(links->pipeline), drop);
    gst_element_sync_state_with_parent(drop);
    sinkPad.reset(gst_element_get_static_pad(drop, "sink"));
  }
  gst_pad_link(pad, sinkPad.get());
}

void onSourceSetup(GstElement *, GstElement *source, gpointer) {
  // RTSP over TCP (as the relay pulls), no jitter buffer wait.
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(source), "protocols"))
    gst_util_set_object_arg(G_OBJECT(source), "protocols", "tcp");
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(source), "latency"))
    g_object_set(source, "latency", 0u, nullptr);
}
}  // namespace

std::string snapshotJpeg(const std::string &url, const SnapshotOptions &options) {
  gst::init();
  const std::string shown = redactCredentials(url);
  auto fail = [&](const std::string &why) { return Error("snapshot of " + shown + ": " + why); };
  if (options.quality < 1 || options.quality > 100) throw fail("quality must be 1..100");
  auto pipeline = gst::sinkRef(gst_pipeline_new("snapshot"));
  GstElement *src = gst_element_factory_make("uridecodebin", nullptr);
  GstElement *convert = gst_element_factory_make("videoconvert", nullptr);
  GstElement *encode = gst_element_factory_make("jpegenc", nullptr);
  GstElement *appsink = gst_element_factory_make("appsink", nullptr);
  if (!pipeline || !src || !convert || !encode || !appsink) {
    for (GstElement *e : {src, convert, encode, appsink})
      if (e) gst_object_unref(gst_object_ref_sink(e));
    throw fail("GStreamer elements missing (uridecodebin, videoconvert, jpegenc, appsink)");
  }
  gst_bin_add_many(GST_BIN(pipeline.get()), src, convert, encode, appsink, nullptr);
  if (!gst_element_link_many(convert, encode, appsink, nullptr)) throw fail("cannot link the encoder");
  if (!gst_uri_is_valid(url.c_str())) throw fail("not a URL");
  g_object_set(src, "uri", url.c_str(), nullptr);
  g_object_set(encode, "quality", options.quality, nullptr);
  g_object_set(appsink, "sync", FALSE, "max-buffers", 1u, "drop", FALSE, nullptr);
  Links links{pipeline.get(), convert};
  g_signal_connect(src, "pad-added", G_CALLBACK(onPadAdded), &links);
  g_signal_connect(src, "source-setup", G_CALLBACK(onSourceSetup), nullptr);

  struct Stop {
    GstElement *p;
    ~Stop() { gst_element_set_state(p, GST_STATE_NULL); }
  } stop{pipeline.get()};
  if (gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    throw fail("cannot start");
  gst::Ptr<GstBus> bus(gst_element_get_bus(pipeline.get()));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(options.timeoutS);
  while (std::chrono::steady_clock::now() < deadline) {
    gst::MiniPtr<GstSample> sample(gst_app_sink_try_pull_sample(GST_APP_SINK(appsink), 100 * GST_MSECOND));
    if (sample) {
      GstBuffer *buffer = gst_sample_get_buffer(sample.get());
      GstMapInfo map;
      if (!buffer || !gst_buffer_map(buffer, &map, GST_MAP_READ)) throw fail("empty picture");
      std::string jpeg(reinterpret_cast<const char *>(map.data), map.size);
      gst_buffer_unmap(buffer, &map);
      return jpeg;
    }
    while (gst::MiniPtr<GstMessage> msg{
        gst_bus_pop_filtered(bus.get(), static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS))}) {
      if (GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_EOS) throw fail("the stream ended before a picture");
      GError *raw = nullptr;
      gst_message_parse_error(msg.get(), &raw, nullptr);
      gst::ErrorPtr err(raw);
      throw fail(redactCredentials(err ? err->message : "error"));
    }
  }
  throw fail("no picture within " + std::to_string(static_cast<int>(options.timeoutS)) + " s");
}

}  // namespace liandong::ingest
