// VideoPlayer: plays one RTSP URL (an ingest node's re-serve of a camera)
// into a GstGLQt6VideoItem through qml6glsink. One per video tile; the tile
// sets `target` to its video item, `url`, and `active` — an inactive player
// (hidden tile, closed pane) has no pipeline at all, so nothing is decoded.
// Pipeline: rtspsrc (small latency, no second jitterbuffer) ! rtph264depay !
// h264parse ! avdec_h264 ! glupload ! glcolorconvert ! qml6glsink. Errors
// (camera offline, 503 from the node) show in `error` and the player tries
// again every few seconds while active. With `grants` (the backend's
// VideoGrants) each start first asks the centre for a grant to watch and
// plays the URL it gives (docs/ingest.md, "Who may watch"); that URL goes to
// rtspsrc only, the logs name `url`.
//
// Threads: every property is written on the GUI thread. The bus sync
// handler and the pad probe run on GStreamer's threads and only post queued
// calls to the GUI thread or bump an atomic counter.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QObject>
#include <QPointer>
#include <QQuickItem>
#include <QString>
#include <QTimer>

#include <atomic>
#include <memory>

typedef struct _GstElement GstElement;

namespace liandong::console {

class VideoPlayer : public QObject {
  Q_OBJECT
  QML_ELEMENT
  Q_PROPERTY(QString url READ url WRITE setUrl NOTIFY urlChanged)
  Q_PROPERTY(QQuickItem *target READ target WRITE setTarget NOTIFY targetChanged)
  Q_PROPERTY(bool active READ active WRITE setActive NOTIFY activeChanged)
  Q_PROPERTY(bool playing READ playing NOTIFY playingChanged)  // a frame reached the sink
  Q_PROPERTY(QString error READ error NOTIFY errorChanged)
  Q_PROPERTY(QObject *grants READ grants WRITE setGrants NOTIFY urlChanged)
  Q_PROPERTY(int latencyMs READ latencyMs WRITE setLatencyMs NOTIFY urlChanged)
  // Live streams start again after they end; a recording (false) emits
  // ended() instead.
  Q_PROPERTY(bool retryOnEnd MEMBER retryOnEnd_ NOTIFY urlChanged)
public:
  explicit VideoPlayer(QObject *parent = nullptr);
  ~VideoPlayer() override;

  QString url() const { return url_; }
  void setUrl(const QString &url);
  QObject *grants() const { return grants_; }
  void setGrants(QObject *grants);
  QQuickItem *target() const { return target_; }
  void setTarget(QQuickItem *item);
  bool active() const { return active_; }
  void setActive(bool active);
  bool playing() const { return playing_; }
  QString error() const { return error_; }
  int latencyMs() const { return latencyMs_; }
  void setLatencyMs(int ms);
  // Frames that reached the sink since the pipeline started.
  Q_INVOKABLE int frames() const { return frames_->load(); }

  // Pipelines alive in this process (the wall's "nothing decoded when hidden").
  static int livePipelines();
  // Loads the qml6glsink plugin so that GstGLQt6VideoItem is a QML type;
  // call after gst_init and the QGuiApplication, before loading QML. False
  // (with a log line) when gstreamer1.0-qt6 is not installed.
  static bool registerVideoItem();
  // From now on no player starts a pipeline (the application is quitting:
  // tearing the window down must not start the tiles again).
  static void shutDown();

signals:
  void urlChanged();
  void targetChanged();
  void activeChanged();
  void playingChanged();
  void errorChanged();
  void ended();

private:
  void restart();
  void start();
  void startPipeline(const QString &location);
  void stop();
  void onBusError(const QString &message, bool eos = false);
  void setError(const QString &e);

  QString url_, error_;
  QPointer<QQuickItem> target_;
  QPointer<QObject> grants_;  // a VideoGrants, or none: play url_ as it is
  bool active_ = false, playing_ = false, retryOnEnd_ = true;
  int latencyMs_ = 100;
  static constexpr int kStopWaitMs = 3000;
  static constexpr int kGrantWaitMs = 12000;
  struct PipelineStop {  // NULL state (joins the streaming threads), then unref; see video_player.cpp
    void operator()(GstElement *pipeline) const;
  };
  std::unique_ptr<GstElement, PipelineStop> pipeline_;
  // Set by stop(): a start job the render thread has not run yet does nothing.
  std::shared_ptr<std::atomic<bool>> startCancelled_ = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<std::atomic<int>> frames_ = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<bool>> attached_ = std::make_shared<std::atomic<bool>>(false);
  QTimer retry_;
  unsigned generation_ = 0;  // a late bus message of an old pipeline is ignored
};

}  // namespace liandong::console
