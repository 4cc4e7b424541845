// Recordings: the recording of a camera of the open incident that the video
// pane plays — the segments the centre has of it (Query.segments) from the
// incident's time - 30 s (or a given time, the pane's ⏪/⏩), one after the
// other on the camera's node. Exposed to QML as `recordings`; created by
// Backend.
#pragma once

#include <QObject>
#include <QString>
#include <QVariantMap>

namespace liandong::console {

class CameraModel;
class CentreCalls;
class IncidentDetail;

class Recordings : public QObject {
  Q_OBJECT
  // The recording being played in the pane: {cameraId, url, from (ms: the
  // incident time - 30 s), segmentStart, segmentEnd (ms), offsetS (into the
  // first segment), segments (how many cover from .. +10 min), index,
  // starts, ends (µs)}; empty when none. `error` set when the centre has no
  // segment or refused; no `url` at the end of the recording.
  Q_PROPERTY(QVariantMap recording READ recording NOTIFY recordingChanged)
public:
  Recordings(CentreCalls &calls, const IncidentDetail &incident, const CameraModel &cameras,
             QObject *parent = nullptr);

  QVariantMap recording() const { return recording_; }

  // Plays the recording of a camera of the open incident from the incident's
  // time - 30 s: asks the centre for the segments and sets `recording`.
  Q_INVOKABLE void playRecording(const QString &cameraId);
  // The same from a given time (ms since the epoch): the pane's ⏪/⏩ 30 s.
  Q_INVOKABLE void playRecordingFrom(const QString &cameraId, double fromMs);
  Q_INVOKABLE void stopRecording();
  // The pane's segment ended: the next one of `recording`, or the end.
  Q_INVOKABLE void nextRecordingSegment();

signals:
  void recordingChanged();

private:
  CentreCalls &calls_;
  const IncidentDetail &incident_;
  const CameraModel &cameras_;
  QVariantMap recording_;
};

}  // namespace liandong::console
