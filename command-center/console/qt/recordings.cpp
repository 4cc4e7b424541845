// Recordings: the open incident's camera recordings in the pane (see
// recordings.h).
#include "recordings.h"

#include <QDateTime>
#include <QVariantList>

#include <algorithm>

#include "camera_model.h"
#include "centre_calls.h"
#include "incident_detail.h"
#include "liandong/core/logging.h"
#include "liandong/core/text.h"
#include "qt_text.h"

namespace liandong::console {
Recordings::Recordings(CentreCalls &calls, const IncidentDetail &incident, const CameraModel &cameras,
                       QObject *parent)
    : QObject(parent), calls_(calls), incident_(incident), cameras_(cameras) {
  connect(&incident, &IncidentDetail::closed, this, &Recordings::stopRecording);
}

void Recordings::playRecording(const QString &cameraId) {
  // The incident's time, 30 s before it, and the next ten minutes.
  playRecordingFrom(cameraId, incident_.detail().value("openedAt").toDouble() - 30'000);
}

void Recordings::playRecordingFrom(const QString &cameraId, double fromMs) {
  if (incident_.openId().isEmpty() || cameraId.isEmpty()) return;
  const qint64 fromUs = static_cast<qint64>(fromMs) * 1000;
  const qint64 toUs = fromUs + 600'000'000;
  wire::Query query;
  auto *s = query.mutable_segments();
  s->add_camera_ids(cameraId.toStdString());
  s->set_from_us(fromUs);
  s->set_to_us(toUs);
  QString id = incident_.openId();
  calls_.call(
      std::move(query),
      [this, id, cameraId, fromUs](const wire::QueryReply &r) {
        if (id != incident_.openId()) return;
        auto log = logging::get("console");
        QVariantMap m{{"cameraId", cameraId}, {"from", static_cast<double>(fromUs / 1000)}};
        const auto &segs = r.segments().segments();
        QString url = segs.empty() ? QString() : cameras_.recordingUrl(cameraId, segs[0].start_us());
        if (segs.empty()) {
          m["error"] =
              tr("no recording of this camera from %1")
                  .arg(QDateTime::fromMSecsSinceEpoch(fromUs / 1000).toString(QStringLiteral("hh:mm:ss")));
          log->info("recording: camera {} has no segment from {} µs", cameraId.toStdString(), fromUs);
        } else if (url.isEmpty()) {
          m["error"] = tr("no node address for camera %1").arg(cameraId);
          log->info("recording: camera {}: no node address (no serve_url and no video.url)",
                    cameraId.toStdString());
        } else {
          const auto &first = segs[0];
          double offsetS = static_cast<double>(std::max<std::int64_t>(0, fromUs - first.start_us())) / 1e6;
          m["url"] = url;
          m["segmentStart"] = ms(first.start_us());
          m["segmentEnd"] = ms(first.end_us());
          m["offsetS"] = offsetS;
          m["segments"] = segs.size();
          m["index"] = 0;
          QVariantList starts, ends;  // µs (exact in a double until 2255)
          for (const auto &x : segs) {
            starts.append(static_cast<double>(x.start_us()));
            ends.append(static_cast<double>(x.end_us()));
          }
          m["starts"] = starts;
          m["ends"] = ends;
          log->info(
              "recording: camera {} from {} µs: {} segments, first {}..{} µs ({} on {}), offset {:.1f} s, "
              "url {}",
              cameraId.toStdString(), fromUs, segs.size(), first.start_us(), first.end_us(), first.path(),
              first.node_id(), offsetS, redactCredentials(url.toStdString()));
        }
        recording_ = m;
        emit recordingChanged();
      },
      QStringLiteral("segments"));
}

void Recordings::nextRecordingSegment() {
  if (!recording_.contains("url")) return;
  const auto starts = recording_.value("starts").toList(), ends = recording_.value("ends").toList();
  const int i = recording_.value("index").toInt() + 1;
  const auto camera = recording_.value("cameraId").toString();
  auto log = logging::get("console");
  if (i >= starts.size()) {
    recording_.remove("url");
    log->info("recording: camera {}: end of the recording ({} segments)", camera.toStdString(),
              starts.size());
  } else {
    const auto start = static_cast<qint64>(starts[i].toDouble());
    recording_["index"] = i;
    recording_["url"] = cameras_.recordingUrl(camera, start);
    recording_["segmentStart"] = ms(start);
    recording_["segmentEnd"] = ms(static_cast<qint64>(ends[i].toDouble()));
    recording_["offsetS"] = 0.0;
    log->info("recording: camera {}: segment {}/{}, url {}", camera.toStdString(), i + 1, starts.size(),
              redactCredentials(recording_["url"].toString().toStdString()));
  }
  emit recordingChanged();
}

void Recordings::stopRecording() {
  if (recording_.isEmpty()) return;
  recording_.clear();
  emit recordingChanged();
}

}  // namespace liandong::console
