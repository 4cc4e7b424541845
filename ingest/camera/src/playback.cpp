// Recorded playback (see playback.h): a GstRTSPMediaFactory subclass whose
// create_element reads the request's URL path, so one factory serves every
// segment file, mounted at each requested path by PlaybackMounts.
#include "playback.h"

#include <algorithm>
#include <regex>

#include <fmt/format.h>

#include "av_util.h"
#include "liandong/core/errors.h"
#include "liandong/core/logging.h"
#include "liandong/ingest/camera/gst_util.h"

namespace liandong::ingest {

namespace {

struct PlaybackFactory {
  GstRTSPMediaFactory parent;
  std::filesystem::path *recordings;  // owned; deleted in finalize
};
struct PlaybackFactoryClass {
  GstRTSPMediaFactoryClass parent_class;
};

GType playbackFactoryType();

// The video codec of a segment file as FFmpeg reads its header (the moov of
// a finished MP4; cheap, no packet is decoded): the parser and payloader to use.
struct PayChain {
  const char *parse;
  const char *pay;
};

std::optional<PayChain> payChainOf(const std::filesystem::path &file, std::string &why) {
  AVFormatContext *raw = nullptr;
  int rc = avformat_open_input(&raw, file.c_str(), nullptr, nullptr);
  av::InputPtr in(raw);
  if (rc < 0) {
    why = "cannot open it: " + av::errorText(rc);
    return std::nullopt;
  }
  for (unsigned i = 0; i < in->nb_streams; ++i) {
    auto id = in->streams[i]->codecpar->codec_id;
    if (id == AV_CODEC_ID_H264) return PayChain{"h264parse", "rtph264pay"};
    if (id == AV_CODEC_ID_HEVC) return PayChain{"h265parse", "rtph265pay"};
  }
  why = "it holds no H.264 or H.265 video";
  return std::nullopt;
}

// An RTSP server thread: the pipeline of one viewer's media.
GstElement *createElement(GstRTSPMediaFactory *factory, const GstRTSPUrl *url) {
  auto *self = reinterpret_cast<PlaybackFactory *>(factory);
  auto log = logging::get("ingest");
  std::string path = url && url->abspath ? url->abspath : "";
  try {
    std::string why;
    auto file = playbackFile(*self->recordings, path, why);
    if (!file) {
      log->warn("recorded playback {}: {}", path, why);
      return nullptr;
    }
    auto chain = payChainOf(*file, why);
    if (!chain) {
      log->warn("recorded playback {}: {}", path, why);
      return nullptr;
    }
    // The file's own timestamps go out: the media is seekable, its duration
    // is announced in the SDP (a=range), and nothing is decoded.
    auto bin = gst::parseLaunch(
        fmt::format("( filesrc name=file ! qtdemux name=demux demux.video_0 ! queue ! {} config-interval=-1 "
                    "! {} name=pay0 pt=96 config-interval=-1 )",
                    chain->parse, chain->pay));
    auto src = gst::byName(bin.get(), "file");
    g_object_set(src.get(), "location", file->c_str(), nullptr);
    // create_element hands out a floating reference (the media sinks it).
    GstElement *element = bin.release();
    g_object_force_floating(G_OBJECT(element));
    return element;
  } catch (const std::exception &e) {
    log->error("recorded playback {}: {}", path, e.what());
    return nullptr;
  }
}

void finalize(GObject *object) {
  auto *self = reinterpret_cast<PlaybackFactory *>(object);
  delete self->recordings;
  self->recordings = nullptr;
  G_OBJECT_CLASS(g_type_class_peek_parent(G_OBJECT_GET_CLASS(object)))->finalize(object);
}

void classInit(gpointer klass, gpointer) {
  G_OBJECT_CLASS(klass)->finalize = finalize;
  GST_RTSP_MEDIA_FACTORY_CLASS(klass)->create_element = createElement;
}

void instanceInit(GTypeInstance *instance, gpointer) {
  reinterpret_cast<PlaybackFactory *>(instance)->recordings = nullptr;
}

GType playbackFactoryType() {
  static const GType type = [] {
    GTypeInfo info{};
    info.class_size = sizeof(PlaybackFactoryClass);
    info.class_init = classInit;
    info.instance_size = sizeof(PlaybackFactory);
    info.instance_init = instanceInit;
    return g_type_register_static(GST_TYPE_RTSP_MEDIA_FACTORY, "LiandongPlaybackFactory", &info,
                                  GTypeFlags(0));
  }();
  return type;
}

}  // namespace

std::optional<std::filesystem::path> playbackFile(const std::filesystem::path &recordings,
                                                  const std::string &path, std::string &why) {
  // Only /rec/<camera id>/[events/]<digits>: no dots, no other slashes, so
  // the file is always <recordings>/<camera>/[events/]<digits>.mp4.
  static const std::regex re(R"(/rec/([A-Za-z0-9_-]{1,64})/(events/)?([0-9]{1,19}))");
  std::smatch m;
  if (!std::regex_match(path, m, re)) {
    why = "not a recording path (/rec/<camera>/[events/]<start µs>)";
    return std::nullopt;
  }
  auto file = recordings / m[1].str() / m[2].str() / (m[3].str() + ".mp4");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    why = "no such segment";
    return std::nullopt;
  }
  return file;
}

PlaybackMounts::PlaybackMounts(std::filesystem::path recordings, GstRTSPMountPoints *mounts)
    : recordings_(std::move(recordings)),
      mounts_(static_cast<GstRTSPMountPoints *>(g_object_ref(mounts))),
      factory_(static_cast<GstRTSPMediaFactory *>(g_object_new(playbackFactoryType(), nullptr))) {
  reinterpret_cast<PlaybackFactory *>(factory_.get())->recordings = new std::filesystem::path(recordings_);
  gst_rtsp_media_factory_set_shared(factory_.get(), FALSE);  // each viewer seeks on its own
}

PlaybackMounts::~PlaybackMounts() {
  std::lock_guard lock(mu_);
  for (const auto &p : mounted_) gst_rtsp_mount_points_remove_factory(mounts_.get(), p.c_str());
}

GstRTSPStatusCode PlaybackMounts::beforeDescribe(const std::string &path) {
  std::string prefix = kPlaybackPrefix;
  if (path != prefix && path.rfind(prefix + "/", 0) != 0) return GST_RTSP_STS_OK;
  std::string why;
  if (!playbackFile(recordings_, path, why)) {
    logging::get("ingest")->warn("recorded playback {}: {} (404)", path, why);
    return GST_RTSP_STS_NOT_FOUND;
  }
  std::lock_guard lock(mu_);
  if (std::find(mounted_.begin(), mounted_.end(), path) != mounted_.end()) return GST_RTSP_STS_OK;
  // The mount points take a reference to the factory per mount.
  gst_rtsp_mount_points_add_factory(mounts_.get(), path.c_str(),
                                    static_cast<GstRTSPMediaFactory *>(g_object_ref(factory_.get())));
  mounted_.push_back(path);
  if (mounted_.size() > kMaxPlaybackMounts) {  // a media already made for a viewer keeps playing
    gst_rtsp_mount_points_remove_factory(mounts_.get(), mounted_.front().c_str());
    mounted_.pop_front();
  }
  return GST_RTSP_STS_OK;
}

}  // namespace liandong::ingest
