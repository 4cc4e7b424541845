// Grants to watch, asked of the centre before a player starts (see video_grants.h).
#include "video_grants.h"

#include <QPointer>
#include <QStringList>
#include <QUrl>

#include "centre_calls.h"

namespace liandong::console {

VideoGrants::VideoGrants(CentreCalls &calls, QObject *parent) : QObject(parent), calls_(calls) {}

std::optional<wire::VideoGrantRequest> VideoGrants::requestFor(const QString &url) {
  QUrl u(url);
  if (!u.isValid() || u.scheme() != QLatin1String("rtsp")) return std::nullopt;
  auto parts = u.path().split(QLatin1Char('/'), Qt::SkipEmptyParts);
  wire::VideoGrantRequest r;
  if (parts.size() >= 2 && parts[0] == QLatin1String("cam")) {
    r.set_camera_id(parts[1].toStdString());
    r.set_scope(wire::VIDEO_LIVE);
    r.set_sub_stream(parts.size() >= 3 && parts[2] == QLatin1String("sub"));
    return r;
  }
  if (parts.size() == 3 && parts[0] == QLatin1String("rec")) {
    bool ok = false;
    auto start = parts[2].toLongLong(&ok);
    if (!ok) return std::nullopt;
    r.set_camera_id(parts[1].toStdString());
    r.set_scope(wire::VIDEO_RECORDING);
    r.set_segment_start_us(start);
    return r;
  }
  return std::nullopt;
}

void VideoGrants::grant(const QString &url, QObject *context, std::function<void(const QString &)> done) {
  auto request = requestFor(url);
  if (!request) return done(url);
  wire::Query q;
  *q.mutable_video_grant() = std::move(*request);
  QPointer<QObject> alive(context);
  calls_.call(
      std::move(q),
      [alive, done = std::move(done)](const wire::QueryReply &reply) {
        if (alive) done(QString::fromStdString(reply.video_grant().url()));
      },
      QStringLiteral("video_grant"));
}

}  // namespace liandong::console
