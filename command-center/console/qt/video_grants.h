// Grants to watch (docs/ingest.md, "Who may watch"): an ingest node serves
// a camera (/cam/<id>) or a recording (/rec/<id>/<start µs>) only to a
// viewer with a short-lived grant from the centre. VideoGrants asks the
// centre for one (the `video_grant` query, through CentreCalls, off the GUI
// thread) right before a VideoPlayer starts, and hands back the URL to play.
// Owned by the backend; each video tile's player points to it (`grants`).
// Granted URLs are credentials: they go to rtspsrc only, never to a log.
#pragma once

#include <QObject>
#include <QString>

#include <functional>
#include <optional>

#include "liandong.pb.h"

namespace liandong::console {

class CentreCalls;

class VideoGrants : public QObject {
  Q_OBJECT
public:
  explicit VideoGrants(CentreCalls &calls, QObject *parent = nullptr);

  // `done` runs on the GUI thread with the URL to play `url` now (with its
  // grant), unless the centre refuses (logged and in the status bar by
  // CentreCalls; the player tries again later). A URL naming no camera of a
  // node is played as it is.
  void grant(const QString &url, QObject *context, std::function<void(const QString &granted)> done);

  // The query for `url` (rtsp://node/cam/<id>[/sub] or /rec/<id>/<start µs>), or nullopt.
  static std::optional<wire::VideoGrantRequest> requestFor(const QString &url);

private:
  CentreCalls &calls_;
};

}  // namespace liandong::console
