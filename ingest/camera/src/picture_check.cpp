// The camera hub's picture check (see camera_hub.h, picture_health.h): a
// low-rate decoder per live camera (appsrc ! avdec_h26x ! videoscale !
// appsink, keyframes only, at most one per check interval) whose small grey
// pictures PictureHealth judges; the health state machine reads the
// finding (camera_health.cpp). Started and stopped on the hub's worker
// thread; keyframes come in on the live loop's thread (inspect).
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include <utility>

#include <fmt/format.h>

#include "camera_hub_impl.h"
#include "liandong/core/clock.h"
#include "liandong/core/errors.h"

namespace liandong::ingest {

namespace {

// The decoder's streaming thread: one small grey picture to judge.
GstFlowReturn onInspected(GstAppSink *sink, gpointer data) {
  auto &in = *static_cast<Inspector *>(data);
  gst::MiniPtr<GstSample> sample(gst_app_sink_pull_sample(sink));
  if (!sample) return GST_FLOW_EOS;
  GstBuffer *buffer = gst_sample_get_buffer(sample.get());
  GstStructure *st = gst_caps_get_structure(gst_sample_get_caps(sample.get()), 0);
  int width = 0, height = 0;
  if (!buffer || !st || !gst_structure_get_int(st, "width", &width) ||
      !gst_structure_get_int(st, "height", &height))
    return GST_FLOW_OK;
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return GST_FLOW_OK;
  int stride = (width + 3) & ~3;  // GRAY8 rows are 4-byte aligned in GStreamer
  std::string finding;
  if (map.size >= static_cast<gsize>(stride) * static_cast<gsize>(height))
    finding = in.health.onPicture(map.data, width, height, stride, nowUs());
  gst_buffer_unmap(buffer, &map);
  std::lock_guard lock(in.feed->mu);
  in.feed->picture = finding;
  return GST_FLOW_OK;
}

// The decoder's bus, on the worker: an error stops the check for a while.
gboolean onInspectorBus(GstBus *, GstMessage *msg, gpointer p) {
  auto [self, feed] = *static_cast<std::pair<CameraHub::Impl *, Feed *> *>(p);
  if (GST_MESSAGE_TYPE(msg) != GST_MESSAGE_ERROR) return G_SOURCE_CONTINUE;
  GError *raw = nullptr;
  gst_message_parse_error(msg, &raw, nullptr);
  gst::ErrorPtr err(raw);
  self->log->warn("camera {}: picture check stopped: {}", feed->spec.id, err ? err->message : "error");
  feed->inspectRetryMs = steadyMs() + 10000;
  self->stopInspector(*feed);  // destroys this watch: nothing after it
  return G_SOURCE_REMOVE;
}

}  // namespace

// Access units come whole from the depayloader: a keyframe goes to the
// picture check at once.
void inspect(Feed &f, GstBuffer *buffer) {
  if (!f.inspector || f.lastFrameUs - f.lastInspectedUs < f.inspectEveryUs) return;
  f.lastInspectedUs = f.lastFrameUs;
  GstBuffer *copy = gst_buffer_copy(buffer);
  GST_BUFFER_PTS(copy) = GST_BUFFER_DTS(copy) = GST_BUFFER_DURATION(copy) = GST_CLOCK_TIME_NONE;
  gst_app_src_push_buffer(GST_APP_SRC(f.inspector->appsrc.get()), copy);
}

void CameraHub::Impl::startInspector(Feed &f) {
  if (options.pictureCheckS <= 0 || f.inspector || steadyMs() < f.inspectRetryMs) return;
  gst::MiniPtr<GstCaps> caps;
  {
    std::lock_guard lock(f.mu);
    if (!f.caps) return;
    caps.reset(gst_caps_ref(f.caps.get()));
  }
  auto in = std::make_shared<Inspector>();
  in->feed = &f;
  in->health = PictureHealth(options.picture);
  try {
    // One thread, no frame threading: a keyframe comes out as it goes in.
    // No parser: it would split a keyframe whose slices each repeat the
    // SPS and PPS into two pictures (the decoder takes it whole).
    const Codec &codec = codecOf(caps.get());
    auto pipeline = gst::parseLaunch(
        fmt::format("appsrc name=src is-live=true format=time do-timestamp=true max-bytes=4000000 "
                    "! {} max-threads=1 ! videoconvert ! videoscale "
                    "! video/x-raw,format=GRAY8,width=160,height=120 ! appsink name=sink sync=false "
                    "max-buffers=2 drop=true",
                    codec.decoder));
    in->appsrc = gst::byName(pipeline.get(), "src");
    gst_util_set_object_arg(G_OBJECT(in->appsrc.get()), "leaky-type", "downstream");
    gst_app_src_set_caps(GST_APP_SRC(in->appsrc.get()), caps.get());
    auto sink = gst::byName(pipeline.get(), "sink");
    GstAppSinkCallbacks callbacks{};
    callbacks.new_sample = onInspected;
    gst_app_sink_set_callbacks(GST_APP_SINK(sink.get()), &callbacks, in.get(), nullptr);
    gst::Ptr<GstBus> bus(gst_element_get_bus(pipeline.get()));
    in->busWatch.reset(gst_bus_create_watch(bus.get()));
    g_source_set_callback(in->busWatch.get(),
                          reinterpret_cast<GSourceFunc>(reinterpret_cast<void (*)()>(onInspectorBus)),
                          new std::pair<Impl *, Feed *>(this, &f),
                          [](gpointer p) { delete static_cast<std::pair<Impl *, Feed *> *>(p); });
    g_source_attach(in->busWatch.get(), context.get());
    in->pipeline = std::move(pipeline);
    if (gst_element_set_state(in->pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
      gst_element_set_state(in->pipeline.get(), GST_STATE_NULL);
      throw Error("the picture-check pipeline did not start");
    }
    std::lock_guard lock(f.mu);
    f.inspector = std::move(in);
    f.lastInspectedUs = 0;
    f.inspectEveryUs = static_cast<std::int64_t>(options.pictureCheckS * 1e6);
    f.picture.clear();
  } catch (const Error &e) {
    log->error("camera {}: no picture check: {}", f.spec.id, e.what());
    f.inspectRetryMs = steadyMs() + 10000;
  }
}

void CameraHub::Impl::stopInspector(Feed &f) {
  std::shared_ptr<Inspector> in;
  {
    std::lock_guard lock(f.mu);
    in = std::exchange(f.inspector, nullptr);
    f.picture.clear();
  }
  if (!in) return;
  in->busWatch.reset();
  gst_element_set_state(in->pipeline.get(), GST_STATE_NULL);  // joins its streaming thread
}

}  // namespace liandong::ingest
