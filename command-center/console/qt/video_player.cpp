// VideoPlayer: the qml6glsink pipeline of one tile, started on the render
// thread (the sink needs Qt's GL context), stopped (NULL state, unreffed)
// whenever the tile is hidden, the URL changes or an error arrives.
#include "video_player.h"

#include <gst/gst.h>

#include <QQuickWindow>
#include <QRegularExpression>
#include <QRunnable>

#include <chrono>
#include <future>
#include <thread>

#include "liandong/core/logging.h"
#include "liandong/core/text.h"
#include "video_grants.h"

namespace liandong::console {
namespace {

std::atomic<int> gLivePipelines{0};
bool gShutDown = false;  // GUI thread only

struct GErrorFree {
  void operator()(GError *e) const { g_error_free(e); }
};
struct GstObjectUnref {
  void operator()(gpointer o) const { gst_object_unref(o); }
};
template <typename T>
using GstPtr = std::unique_ptr<T, GstObjectUnref>;

// What the streaming threads may touch: the frame counter and a way home.
struct ProbeData {
  std::shared_ptr<std::atomic<int>> frames;
  VideoPlayer *player;
  unsigned generation;
  // False once the player let go of the pipeline: nothing is posted home
  // from then on (the teardown may outlive the player, see PipelineStop).
  std::shared_ptr<std::atomic<bool>> attached;
};

}  // namespace

VideoPlayer::VideoPlayer(QObject *parent) : QObject(parent) {
  retry_.setSingleShot(true);
  retry_.setInterval(3000);
  connect(&retry_, &QTimer::timeout, this, [this] { restart(); });
}

VideoPlayer::~VideoPlayer() {
  stop();
}

void VideoPlayer::shutDown() {
  gShutDown = true;
}

int VideoPlayer::livePipelines() {
  return gLivePipelines.load();
}

bool VideoPlayer::registerVideoItem() {
  GstElement *sink = gst_element_factory_make("qml6glsink", nullptr);
  if (!sink) {
    logging::get("console")->warn("no qml6glsink (install gstreamer1.0-qt6): no live video");
    return false;
  }
  gst_object_unref(gst_object_ref_sink(sink));
  return true;
}

void VideoPlayer::setUrl(const QString &url) {
  if (url == url_) return;
  url_ = url;
  emit urlChanged();
  restart();
}

void VideoPlayer::setGrants(QObject *grants) {
  if (grants == grants_) return;
  grants_ = grants;
  emit urlChanged();
  restart();
}

void VideoPlayer::setLatencyMs(int ms) {
  if (ms == latencyMs_) return;
  latencyMs_ = ms;
  emit urlChanged();
  restart();
}

void VideoPlayer::setTarget(QQuickItem *item) {
  if (item == target_) return;
  if (target_) disconnect(target_, nullptr, this, nullptr);
  target_ = item;
  if (item) connect(item, &QQuickItem::windowChanged, this, [this] { restart(); });
  emit targetChanged();
  restart();
}

void VideoPlayer::setActive(bool active) {
  if (active == active_) return;
  active_ = active;
  emit activeChanged();
  restart();
}

void VideoPlayer::setError(const QString &e) {
  if (e == error_) return;
  error_ = e;
  emit errorChanged();
}

void VideoPlayer::restart() {
  stop();
  retry_.stop();
  if (active_ && !gShutDown && !url_.isEmpty() && target_ && target_->window()) start();
}

// A grant first when there is someone to ask: the tile's URL names the
// camera, the centre's answer is what rtspsrc may open (for a few minutes).
void VideoPlayer::start() {
  auto *grants = qobject_cast<VideoGrants *>(grants_.data());
  if (!grants) return startPipeline(url_);
  unsigned gen = generation_;
  // Asked again when no grant came (a refusal, the centre away): after the
  // call's own timeout (10 s, CentreCalls), so a slow answer is not lost.
  QTimer::singleShot(kGrantWaitMs, this, [this, gen] {
    if (gen == generation_ && !pipeline_ && active_) restart();
  });
  grants->grant(url_, this, [this, gen](const QString &granted) {
    if (gen != generation_ || pipeline_ || !active_ || gShutDown || !target_ || !target_->window()) return;
    startPipeline(granted);
  });
}

void VideoPlayer::startPipeline(const QString &location) {
  auto log = logging::get("console");
  GError *rawError = nullptr;
  GstElement *parsed = gst_parse_launch(
      "rtspsrc name=src protocols=tcp ! rtph264depay ! h264parse ! avdec_h264 output-corrupt=false ! "
      "glupload ! glcolorconvert ! qml6glsink name=sink",
      &rawError);
  std::unique_ptr<GError, GErrorFree> error(rawError);
  if (!parsed || error) {
    if (parsed) gst_object_unref(gst_object_ref_sink(parsed));
    setError(tr("no video pipeline: %1").arg(error ? QString::fromUtf8(error->message) : QString()));
    log->error("video: no pipeline: {}", error ? error->message : "?");
    return;
  }
  GstPtr<GstElement> pipeline(GST_ELEMENT(gst_object_ref_sink(parsed)));
  GstPtr<GstElement> src(gst_bin_get_by_name(GST_BIN(pipeline.get()), "src"));
  GstPtr<GstElement> sink(gst_bin_get_by_name(GST_BIN(pipeline.get()), "sink"));
  g_object_set(src.get(), "location", location.toUtf8().constData(), "latency",
               static_cast<guint>(latencyMs_), nullptr);
  g_object_set(sink.get(), "widget", static_cast<gpointer>(target_.data()), nullptr);

  frames_ = std::make_shared<std::atomic<int>>(0);
  attached_ = std::make_shared<std::atomic<bool>>(true);
  ++generation_;
  GstPtr<GstPad> pad(gst_element_get_static_pad(sink.get(), "sink"));
  gst_pad_add_probe(
      pad.get(), GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad *, GstPadProbeInfo *, gpointer data) -> GstPadProbeReturn {
        auto *d = static_cast<ProbeData *>(data);
        if (d->frames->fetch_add(1) == 0 && d->attached->load()) {
          auto *player = d->player;
          unsigned gen = d->generation;
          QMetaObject::invokeMethod(
              player,
              [player, gen] {
                if (gen != player->generation_ || player->playing_) return;
                player->playing_ = true;
                player->setError({});
                logging::get("console")->info("video: playing {}",
                                              redactCredentials(player->url_.toStdString()));
                emit player->playingChanged();
              },
              Qt::QueuedConnection);
        }
        return GST_PAD_PROBE_OK;
      },
      new ProbeData{frames_, this, generation_, attached_},
      [](gpointer data) { delete static_cast<ProbeData *>(data); });

  GstPtr<GstBus> bus(gst_element_get_bus(pipeline.get()));
  gst_bus_set_sync_handler(
      bus.get(),
      [](GstBus *, GstMessage *message, gpointer data) -> GstBusSyncReply {
        auto *d = static_cast<ProbeData *>(data);
        if (d->attached->load() && (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR ||
                                    GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS)) {
          const bool eos = GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS;
          QString text = QStringLiteral("the stream ended");
          if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
            GError *raw = nullptr;
            gst_message_parse_error(message, &raw, nullptr);
            std::unique_ptr<GError, GErrorFree> e(raw);
            text = e ? QString::fromUtf8(e->message) : QStringLiteral("error");
          }
          auto *player = d->player;
          unsigned gen = d->generation;
          QMetaObject::invokeMethod(
              player,
              [player, gen, text, eos] {
                if (gen == player->generation_) player->onBusError(text, eos);
              },
              Qt::QueuedConnection);
        }
        return GST_BUS_DROP;  // nobody pops this bus: keep it empty
      },
      new ProbeData{frames_, this, generation_, attached_},
      [](gpointer data) { delete static_cast<ProbeData *>(data); });

  pipeline_.reset(pipeline.release());
  ++gLivePipelines;
  log->info("video: starting {} ({} pipelines)", redactCredentials(url_.toStdString()),
            gLivePipelines.load());
  // qml6glsink needs the scene graph's GL context: go to PLAYING on the
  // render thread, before it synchronises (the GUI thread waits meanwhile,
  // so stop() cannot run in between).
  GstElement *p = GST_ELEMENT(gst_object_ref(pipeline_.get()));
  startCancelled_ = std::make_shared<std::atomic<bool>>(false);
  auto *window = target_->window();
  window->scheduleRenderJob(QRunnable::create([p, cancelled = startCancelled_] {
                              GstPtr<GstElement> owned(p);
                              if (!cancelled->load()) gst_element_set_state(p, GST_STATE_PLAYING);
                            }),
                            QQuickWindow::BeforeSynchronizingStage);
  window->update();
}

void VideoPlayer::PipelineStop::operator()(GstElement *pipeline) const {
  // NULL on a thread of its own, waited for a while: rtspsrc (GStreamer
  // 1.22) can deadlock tearing down a recorded, not live, stream (its
  // command thread waits for the jitterbuffer's stream lock while the
  // jitterbuffer waits to be unblocked). The GUI must not hang with it: after
  // kStopWaitMs the pipeline is left to its thread and the console goes on.
  auto stopped = std::make_shared<std::promise<void>>();
  auto future = stopped->get_future();
  std::thread([pipeline, stopped] {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
    stopped->set_value();
  }).detach();
  if (future.wait_for(std::chrono::milliseconds(kStopWaitMs)) == std::future_status::timeout)
    logging::get("console")->warn(
        "video: a pipeline did not stop within {} ms (a GStreamer teardown deadlock); left behind",
        kStopWaitMs);
}

void VideoPlayer::stop() {
  ++generation_;
  startCancelled_->store(true);
  attached_->store(false);
  if (pipeline_) {
    pipeline_.reset();
    --gLivePipelines;
  }
  if (playing_) {
    playing_ = false;
    emit playingChanged();
  }
}

void VideoPlayer::onBusError(const QString &message, bool eos) {
  if (eos && !retryOnEnd_) {  // a recording: its end is no error
    logging::get("console")->info("video: {} ended after {} frames", redactCredentials(url_.toStdString()),
                                  frames_->load());
    stop();
    emit ended();
    return;
  }
  logging::get("console")->warn("video: {}: {}", redactCredentials(url_.toStdString()),
                                message.toStdString());
  stop();
  setError(message);
  if (active_) retry_.start();
}

}  // namespace liandong::console
