// GStreamer start-up and small checked helpers behind gst_util.h.
#include "liandong/ingest/camera/gst_util.h"

#include <mutex>

#include "liandong/core/errors.h"

namespace liandong::ingest::gst {

void init() {
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] {
    GError *raw = nullptr;
    if (!gst_init_check(nullptr, nullptr, &raw)) {
      ErrorPtr err(raw);
      failure = std::string("GStreamer cannot start: ") + (err ? err->message : "unknown error");
    }
  });
  if (!failure.empty()) throw Error(failure);
}

bool hasElement(const char *factory) {
  init();
  Ptr<GstElementFactory> f(gst_element_factory_find(factory));
  return f != nullptr;
}

Ptr<GstElement> parseLaunch(const std::string &description) {
  init();
  GError *raw = nullptr;
  // Fatal errors only: a missing element must fail here, not later.
  auto *element = gst_parse_launch_full(description.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &raw);
  ErrorPtr err(raw);
  auto pipeline = sinkRef(element);
  if (err || !pipeline)
    throw Error("cannot build the GStreamer pipeline \"" + description +
                "\": " + (err ? err->message : "unknown error"));
  return pipeline;
}

Ptr<GstElement> byName(GstElement *bin, const char *name) {
  Ptr<GstElement> e(gst_bin_get_by_name(GST_BIN(bin), name));
  if (!e) throw Error(std::string("GStreamer pipeline has no element named ") + name);
  return e;
}

}  // namespace liandong::ingest::gst
