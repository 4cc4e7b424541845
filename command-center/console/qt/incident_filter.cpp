// The duty officer's filters over the incident queue (see incident_filter.h).
#include "incident_filter.h"

#include <algorithm>

#include "incident_model.h"

namespace liandong::console {

IncidentFilter::IncidentFilter(QObject *parent) : QSortFilterProxyModel(parent) {
  connect(this, &QAbstractItemModel::rowsInserted, this, &IncidentFilter::countChanged);
  connect(this, &QAbstractItemModel::rowsRemoved, this, &IncidentFilter::countChanged);
  connect(this, &QAbstractItemModel::modelReset, this, &IncidentFilter::countChanged);
  connect(this, &QAbstractItemModel::layoutChanged, this, &IncidentFilter::countChanged);
}

void IncidentFilter::refilter() {
  invalidateRowsFilter();
  emit filterChanged();
  emit countChanged();
}

void IncidentFilter::setShowClosed(bool on) {
  if (on == showClosed_) return;
  showClosed_ = on;
  refilter();
}

void IncidentFilter::setMaxLevel(int level) {
  level = std::clamp(level, 1, 4);
  if (level == maxLevel_) return;
  maxLevel_ = level;
  refilter();
}

void IncidentFilter::setType(const QString &type) {
  if (type == type_) return;
  type_ = type;
  refilter();
}

void IncidentFilter::setText(const QString &text) {
  if (text == text_) return;
  text_ = text;
  refilter();
}

bool IncidentFilter::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const {
  auto i = sourceModel()->index(sourceRow, 0, sourceParent);
  if (!showClosed_ && i.data(IncidentModel::StateRole).toString() == QLatin1String("closed")) return false;
  int level = i.data(IncidentModel::LevelRole).toInt();
  if (maxLevel_ < 4 && (level < 1 || level > maxLevel_)) return false;  // Ⅰ is the highest
  if (!type_.isEmpty() && i.data(IncidentModel::TypeRole).toString() != type_) return false;
  if (!text_.isEmpty() && !i.data(IncidentModel::TitleRole).toString().contains(text_, Qt::CaseInsensitive))
    return false;
  return true;
}

int IncidentFilter::rowOf(const QString &incidentId) const {
  for (int r = 0; r < rowCount(); ++r)
    if (index(r, 0).data(IncidentModel::IncidentIdRole).toString() == incidentId) return r;
  return -1;
}

QString IncidentFilter::idAt(int row) const {
  if (row < 0 || row >= rowCount()) return {};
  return index(row, 0).data(IncidentModel::IncidentIdRole).toString();
}

}  // namespace liandong::console
