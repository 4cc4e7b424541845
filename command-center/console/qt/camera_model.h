// The console's cameras: a list model of the `camera/<id>` Clone items
// (CameraStatus from the ingest nodes, through the centre) with the URL to
// play each one — the node's re-serve URL from the status, or, while nodes
// do not fill it, the console's `video.url` template — and its health for
// the badges (live, connecting, stalled, offline). Used by the incident's
// camera list, the video pane and the video wall.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QAbstractListModel>
#include <QString>
#include <QStringList>

#include <string>
#include <vector>

#include "liandong.pb.h"

namespace liandong::console {

class CameraModel : public QAbstractListModel {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("owned by the console backend")
  Q_PROPERTY(int count READ count NOTIFY countChanged)
  // Bumped by every change: QML bindings over urlFor()/stateOf() depend on it.
  Q_PROPERTY(int revision READ revision NOTIFY revisionChanged)
public:
  enum Role {
    CameraIdRole = Qt::UserRole + 1,
    StateRole,  // "live", "connecting", "stalled", "offline", "unknown"
    MainUrlRole,
    SubUrlRole,  // the sub stream, or the main stream when the camera has none
    FpsRole,
    LastFrameAtRole,  // ms since the epoch
    DetailRole,
    LatitudeRole,
    LongitudeRole,
  };
  // Templates with {id} for cameras whose status carries no URL (empty: none).
  explicit CameraModel(QString mainTemplate = {}, QString subTemplate = {}, QObject *parent = nullptr);

  int rowCount(const QModelIndex &parent = QModelIndex()) const override;
  QVariant data(const QModelIndex &index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;
  int count() const { return static_cast<int>(rows_.size()); }
  int revision() const { return revision_; }

  // From a camera/<id> Clone item: the status and the envelope's place.
  void upsert(const wire::Envelope &source);
  void remove(const std::string &cameraId);
  void clear();

  Q_INVOKABLE int rowOf(const QString &cameraId) const;
  Q_INVOKABLE QString idAt(int row) const;
  // The URL to play: the sub stream for tiles (sub = true), the main stream
  // for a single or maximised view. Empty when the camera is unknown and no
  // template is configured.
  Q_INVOKABLE QString urlFor(const QString &cameraId, bool sub) const;
  // A recorded segment on the node that serves the camera:
  // rtsp://<authority of the main stream's URL>/rec/<camera>/<start µs>.
  // Empty when the camera has no URL to take the node from.
  Q_INVOKABLE QString recordingUrl(const QString &cameraId, qint64 segmentStartUs) const;
  Q_INVOKABLE QString stateOf(const QString &cameraId) const;
  // Camera ids sorted by id, for the wall's tour.
  Q_INVOKABLE QStringList ids() const;
  // The `limit` cameras nearest to a place (those without a place last).
  QStringList nearest(double latitude, double longitude, int limit) const;
  // The same with their distances in metres (cameras without a place left out).
  std::vector<std::pair<QString, double>> nearestPlaced(double latitude, double longitude, int limit) const;

  static QString stateName(int state);

signals:
  void countChanged();
  void revisionChanged();

private:
  struct Row {
    wire::CameraStatus status;
    double latitude = 0, longitude = 0;
  };
  QString templated(const QString &t, const std::string &id) const;
  std::vector<Row> rows_;  // sorted by camera id
  QString mainTemplate_, subTemplate_;
  int revision_ = 0;
};

}  // namespace liandong::console
