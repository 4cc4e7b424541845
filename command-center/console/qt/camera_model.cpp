// CameraModel: camera statuses kept sorted by id, with begin/end signals
// around every change, and the play URLs (re-serve URL or template).
#include "camera_model.h"

#include <QUrl>

#include <algorithm>
#include <cmath>

namespace liandong::console {

CameraModel::CameraModel(QString mainTemplate, QString subTemplate, QObject *parent)
    : QAbstractListModel(parent),
      mainTemplate_(std::move(mainTemplate)),
      subTemplate_(std::move(subTemplate)) {
  auto bump = [this] {
    ++revision_;
    emit revisionChanged();
  };
  connect(this, &QAbstractItemModel::dataChanged, this, bump);
  connect(this, &QAbstractItemModel::rowsInserted, this, bump);
  connect(this, &QAbstractItemModel::rowsRemoved, this, bump);
  connect(this, &QAbstractItemModel::modelReset, this, bump);
}

int CameraModel::rowCount(const QModelIndex &parent) const {
  return parent.isValid() ? 0 : count();
}

QString CameraModel::stateName(int state) {
  switch (state) {
    case wire::CAMERA_CONNECTING: return QStringLiteral("connecting");
    case wire::CAMERA_LIVE: return QStringLiteral("live");
    case wire::CAMERA_STALLED: return QStringLiteral("stalled");
    case wire::CAMERA_OFFLINE: return QStringLiteral("offline");
    case wire::CAMERA_IDLE: return QStringLiteral("idle");
    default: return QStringLiteral("unknown");
  }
}

QString CameraModel::templated(const QString &t, const std::string &id) const {
  if (t.isEmpty()) return {};
  QString out = t;
  return out.replace(QStringLiteral("{id}"), QString::fromStdString(id));
}

QString CameraModel::urlFor(const QString &cameraId, bool sub) const {
  int row = rowOf(cameraId);
  std::string id = cameraId.toStdString();
  if (row >= 0) {
    const auto &s = rows_[static_cast<std::size_t>(row)].status;
    if (sub && !s.sub_url().empty()) return QString::fromStdString(s.sub_url());
    if (!s.serve_url().empty()) return QString::fromStdString(s.serve_url());
  }
  if (sub && !subTemplate_.isEmpty()) return templated(subTemplate_, id);
  return templated(mainTemplate_, id);
}

QString CameraModel::recordingUrl(const QString &cameraId, qint64 segmentStartUs) const {
  QUrl live(urlFor(cameraId, false));
  if (!live.isValid() || live.scheme() != QLatin1String("rtsp") || live.host().isEmpty()) return {};
  QUrl rec;
  rec.setScheme(live.scheme());
  rec.setUserInfo(live.userInfo());  // the node's credentials, if its URL carries them
  rec.setHost(live.host());
  rec.setPort(live.port());
  rec.setPath(QStringLiteral("/rec/%1/%2").arg(cameraId).arg(segmentStartUs));
  return rec.toString();
}

QVariant CameraModel::data(const QModelIndex &index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
  const auto &r = rows_[static_cast<std::size_t>(index.row())];
  const auto &s = r.status;
  QString id = QString::fromStdString(s.camera_id());
  switch (role) {
    case Qt::DisplayRole:
    case CameraIdRole: return id;
    case StateRole: return stateName(s.state());
    case MainUrlRole: return urlFor(id, false);
    case SubUrlRole: return urlFor(id, true);
    case FpsRole: return s.fps();
    case LastFrameAtRole: return static_cast<double>(s.last_frame_at_us() / 1000);
    case DetailRole: return QString::fromStdString(s.detail());
    case LatitudeRole: return r.latitude;
    case LongitudeRole: return r.longitude;
    default: return {};
  }
}

QHash<int, QByteArray> CameraModel::roleNames() const {
  return {{CameraIdRole, "cameraId"}, {StateRole, "state"},       {MainUrlRole, "mainUrl"},
          {SubUrlRole, "subUrl"},     {FpsRole, "fps"},           {LastFrameAtRole, "lastFrameAt"},
          {DetailRole, "detail"},     {LatitudeRole, "latitude"}, {LongitudeRole, "longitude"}};
}

void CameraModel::upsert(const wire::Envelope &source) {
  if (!source.has_camera_status() || source.camera_status().camera_id().empty()) return;
  Row row{source.camera_status(), source.target_area().latitude(), source.target_area().longitude()};
  auto it = std::lower_bound(rows_.begin(), rows_.end(), row.status.camera_id(),
                             [](const Row &r, const std::string &id) { return r.status.camera_id() < id; });
  int at = static_cast<int>(it - rows_.begin());
  if (it != rows_.end() && it->status.camera_id() == row.status.camera_id()) {
    if (row.latitude == 0 && row.longitude == 0) {  // a status without its place keeps the known one
      row.latitude = it->latitude;
      row.longitude = it->longitude;
    }
    *it = std::move(row);
    emit dataChanged(index(at), index(at));
    return;
  }
  beginInsertRows({}, at, at);
  rows_.insert(it, std::move(row));
  endInsertRows();
  emit countChanged();
}

void CameraModel::remove(const std::string &cameraId) {
  int row = rowOf(QString::fromStdString(cameraId));
  if (row < 0) return;
  beginRemoveRows({}, row, row);
  rows_.erase(rows_.begin() + row);
  endRemoveRows();
  emit countChanged();
}

void CameraModel::clear() {
  if (rows_.empty()) return;
  beginResetModel();
  rows_.clear();
  endResetModel();
  emit countChanged();
}

int CameraModel::rowOf(const QString &cameraId) const {
  std::string id = cameraId.toStdString();
  auto it = std::lower_bound(rows_.begin(), rows_.end(), id,
                             [](const Row &r, const std::string &x) { return r.status.camera_id() < x; });
  return it != rows_.end() && it->status.camera_id() == id ? static_cast<int>(it - rows_.begin()) : -1;
}

QString CameraModel::idAt(int row) const {
  if (row < 0 || row >= count()) return {};
  return QString::fromStdString(rows_[static_cast<std::size_t>(row)].status.camera_id());
}

QString CameraModel::stateOf(const QString &cameraId) const {
  int row = rowOf(cameraId);
  return row < 0 ? QStringLiteral("unknown") : stateName(rows_[static_cast<std::size_t>(row)].status.state());
}

QStringList CameraModel::ids() const {
  QStringList out;
  for (const auto &r : rows_) out << QString::fromStdString(r.status.camera_id());
  return out;
}

QStringList CameraModel::nearest(double latitude, double longitude, int limit) const {
  std::vector<std::pair<double, QString>> byDistance;
  for (const auto &r : rows_) {
    bool placed = r.latitude != 0 || r.longitude != 0;
    double dLat = r.latitude - latitude;
    double dLon = (r.longitude - longitude) * std::cos(latitude * M_PI / 180);
    byDistance.emplace_back(placed ? std::hypot(dLat, dLon) : 1e9,
                            QString::fromStdString(r.status.camera_id()));
  }
  std::stable_sort(byDistance.begin(), byDistance.end(),
                   [](const auto &a, const auto &b) { return a.first < b.first; });
  QStringList out;
  for (const auto &[d, id] : byDistance) {
    if (static_cast<int>(out.size()) >= limit) break;
    out << id;
  }
  return out;
}

std::vector<std::pair<QString, double>> CameraModel::nearestPlaced(double latitude, double longitude,
                                                                   int limit) const {
  constexpr double kMetresPerDegree = 111320;
  std::vector<std::pair<QString, double>> out;
  for (const auto &id : nearest(latitude, longitude, limit)) {
    const auto &r = rows_[static_cast<std::size_t>(rowOf(id))];
    if (r.latitude == 0 && r.longitude == 0) continue;
    double dLat = r.latitude - latitude;
    double dLon = (r.longitude - longitude) * std::cos(latitude * M_PI / 180);
    out.emplace_back(id, std::hypot(dLat, dLon) * kMetresPerDegree);
  }
  return out;
}

}  // namespace liandong::console
