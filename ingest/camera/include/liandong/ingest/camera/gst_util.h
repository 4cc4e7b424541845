// RAII owners for GStreamer and GLib handles, used by the camera hub
// (camera_hub.cpp and its parts), the camera simulator (tools/camera_sim.cpp) and the
// camera tests: every reference we own sits in a unique_ptr whose deleter
// drops exactly that reference, so no error path leaks one.
#pragma once

#include <gst/gst.h>

#include <memory>
#include <string>

namespace liandong::ingest::gst {

struct ObjectUnref {
  void operator()(gpointer p) const {
    if (p) gst_object_unref(p);
  }
};
struct MiniObjectUnref {
  void operator()(GstMiniObject *p) const {
    if (p) gst_mini_object_unref(p);
  }
  template <typename T>
  void operator()(T *p) const {
    (*this)(GST_MINI_OBJECT_CAST(p));
  }
};
struct GFree {
  void operator()(gpointer p) const { g_free(p); }
};
struct GErrorFree {
  void operator()(GError *e) const {
    if (e) g_error_free(e);
  }
};
struct GSourceUnref {
  void operator()(GSource *s) const {
    if (s) {
      g_source_destroy(s);
      g_source_unref(s);
    }
  }
};
struct GMainContextUnref {
  void operator()(GMainContext *c) const {
    if (c) g_main_context_unref(c);
  }
};
struct GMainLoopUnref {
  void operator()(GMainLoop *l) const {
    if (l) g_main_loop_unref(l);
  }
};
struct GObjectUnref {
  void operator()(gpointer p) const {
    if (p) g_object_unref(p);
  }
};

// A GstObject (element, pad, bus, RTSP server object...) we hold one reference to.
template <typename T>
using Ptr = std::unique_ptr<T, ObjectUnref>;
// Caps, buffers, samples, messages, queries.
template <typename T>
using MiniPtr = std::unique_ptr<T, MiniObjectUnref>;
using CharPtr = std::unique_ptr<gchar, GFree>;
using ErrorPtr = std::unique_ptr<GError, GErrorFree>;
using SourcePtr = std::unique_ptr<GSource, GSourceUnref>;  // destroyed (detached) and unreferenced
using ContextPtr = std::unique_ptr<GMainContext, GMainContextUnref>;
using LoopPtr = std::unique_ptr<GMainLoop, GMainLoopUnref>;
template <typename T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref>;

// Takes ownership of a reference the caller was given (transfer full).
template <typename T>
Ptr<T> adopt(T *p) {
  return Ptr<T>(p);
}
// Sinks a floating reference (a freshly made element) or adds one.
template <typename T>
Ptr<T> sinkRef(T *p) {
  return Ptr<T>(p ? static_cast<T *>(gst_object_ref_sink(p)) : nullptr);
}

// gst_init once per process; throws Error when GStreamer cannot start.
void init();
// Whether an element factory is installed (plugins differ between machines).
bool hasElement(const char *factory);
// Builds a pipeline from a gst-launch description; throws Error naming what failed.
Ptr<GstElement> parseLaunch(const std::string &description);
// Element `name` inside `bin` (a new reference), or throws Error.
Ptr<GstElement> byName(GstElement *bin, const char *name);

}  // namespace liandong::ingest::gst
