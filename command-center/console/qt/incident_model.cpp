// IncidentModel: ordered insert/update/remove with the begin/end signals of
// QAbstractItemModel around every change.
#include "incident_model.h"

#include <algorithm>

namespace liandong::console {

IncidentModel::IncidentModel(QObject *parent) : QAbstractListModel(parent) {}

int IncidentModel::rowCount(const QModelIndex &parent) const {
  return parent.isValid() ? 0 : count();
}

QString IncidentModel::levelText(int level) {
  switch (level) {
    case 1: return QStringLiteral("Ⅰ");
    case 2: return QStringLiteral("Ⅱ");
    case 3: return QStringLiteral("Ⅲ");
    case 4: return QStringLiteral("Ⅳ");
    default: return QStringLiteral("-");
  }
}

QString IncidentModel::colourName(int colour) {
  switch (colour) {
    case wire::COLOUR_BLUE: return QStringLiteral("blue");
    case wire::COLOUR_YELLOW: return QStringLiteral("yellow");
    case wire::COLOUR_ORANGE: return QStringLiteral("orange");
    case wire::COLOUR_RED: return QStringLiteral("red");
    default: return QStringLiteral("none");
  }
}

QString IncidentModel::tierName(int tier, int level) {
  switch (tier) {
    case wire::TIER_PROVINCE: return QStringLiteral("province");
    case wire::TIER_CITY: return QStringLiteral("city");
    case wire::TIER_COUNTY: return QStringLiteral("county");
    case wire::TIER_TOWN: return QStringLiteral("town");
    default: return level == wire::LEVEL_I ? QStringLiteral("state") : QString();
  }
}

QVariant IncidentModel::data(const QModelIndex &index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
  const auto &r = rows_[static_cast<std::size_t>(index.row())];
  switch (role) {
    case Qt::DisplayRole:
    case TitleRole: return QString::fromStdString(r.title());
    case IncidentIdRole: return QString::fromStdString(r.incident_id());
    case TypeRole: return QString::fromStdString(r.type());
    case LevelRole: return static_cast<int>(r.level());
    case LevelTextRole: return levelText(r.level());
    case ColourRole: return colourName(r.colour());
    case StateRole: return QString::fromStdString(r.state());
    case LeadTierRole: return tierName(r.lead_tier(), r.level());
    case ChangeRole: return QString::fromStdString(r.change());
    case VersionRole: return static_cast<int>(r.version());
    case OpenedAtRole: return static_cast<double>(r.opened_at_us() / 1000);
    case UpdatedAtRole: return static_cast<double>(r.updated_at_us() / 1000);
    case LatitudeRole: return r.latitude();
    case LongitudeRole: return r.longitude();
    default: return {};
  }
}

QHash<int, QByteArray> IncidentModel::roleNames() const {
  return {{IncidentIdRole, "incidentId"}, {TitleRole, "title"},         {TypeRole, "type"},
          {LevelRole, "level"},           {LevelTextRole, "levelText"}, {ColourRole, "colour"},
          {StateRole, "state"},           {LeadTierRole, "leadTier"},   {ChangeRole, "change"},
          {VersionRole, "version"},       {OpenedAtRole, "openedAt"},   {UpdatedAtRole, "updatedAt"},
          {LatitudeRole, "latitude"},     {LongitudeRole, "longitude"}};
}

bool IncidentModel::before(const wire::IncidentReport &a, const wire::IncidentReport &b) {
  auto key = [](const wire::IncidentReport &r) {
    int closed = r.state() == "closed" ? 1 : 0;
    int level = r.level() == wire::LEVEL_NONE ? 9 : static_cast<int>(r.level());
    return std::tuple(closed, level, r.opened_at_us(), r.incident_id());
  };
  return key(a) < key(b);
}

std::size_t IncidentModel::positionFor(const wire::IncidentReport &r) const {
  return static_cast<std::size_t>(std::lower_bound(rows_.begin(), rows_.end(), r, before) - rows_.begin());
}

void IncidentModel::reset(const std::vector<wire::IncidentReport> &incidents) {
  beginResetModel();
  rows_ = incidents;
  std::sort(rows_.begin(), rows_.end(), before);
  endResetModel();
  emit countChanged();
}

void IncidentModel::upsert(const wire::IncidentReport &incident) {
  int old = rowOf(QString::fromStdString(incident.incident_id()));
  if (old >= 0) {
    const auto &current = rows_[static_cast<std::size_t>(old)];
    if (incident.version() != 0 && incident.version() < current.version()) return;
    auto o = static_cast<std::size_t>(old);
    bool stays = (o == 0 || before(rows_[o - 1], incident)) &&
                 (o + 1 == rows_.size() || before(incident, rows_[o + 1]));
    if (stays) {
      rows_[o] = incident;
      emit dataChanged(index(old), index(old));
      return;
    }
    beginRemoveRows({}, old, old);
    rows_.erase(rows_.begin() + old);
    endRemoveRows();
  }
  auto pos = positionFor(incident);
  beginInsertRows({}, static_cast<int>(pos), static_cast<int>(pos));
  rows_.insert(rows_.begin() + static_cast<std::ptrdiff_t>(pos), incident);
  endInsertRows();
  if (old < 0) emit countChanged();
}

void IncidentModel::remove(const std::string &incidentId) {
  int row = rowOf(QString::fromStdString(incidentId));
  if (row < 0) return;
  beginRemoveRows({}, row, row);
  rows_.erase(rows_.begin() + row);
  endRemoveRows();
  emit countChanged();
}

int IncidentModel::rowOf(const QString &incidentId) const {
  auto id = incidentId.toStdString();
  for (std::size_t i = 0; i < rows_.size(); ++i)
    if (rows_[i].incident_id() == id) return static_cast<int>(i);
  return -1;
}

QString IncidentModel::idAt(int row) const {
  if (row < 0 || row >= count()) return {};
  return QString::fromStdString(rows_[static_cast<std::size_t>(row)].incident_id());
}

const wire::IncidentReport *IncidentModel::find(const std::string &incidentId) const {
  int row = rowOf(QString::fromStdString(incidentId));
  return row < 0 ? nullptr : &rows_[static_cast<std::size_t>(row)];
}

}  // namespace liandong::console
