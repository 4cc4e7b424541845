// MapListModel: rows of QVariantMaps as a list model (see map_list_model.h).
#include "map_list_model.h"

namespace liandong::console {

MapListModel::MapListModel(QStringList roles, QObject *parent)
    : QAbstractListModel(parent), roles_(std::move(roles)) {}

int MapListModel::rowCount(const QModelIndex &parent) const {
  return parent.isValid() ? 0 : count();
}

QVariant MapListModel::data(const QModelIndex &index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
  const int key = role - Qt::UserRole - 1;
  if (key < 0 || key >= roles_.size()) return {};
  return rows_.at(index.row()).toMap().value(roles_.at(key));
}

QHash<int, QByteArray> MapListModel::roleNames() const {
  QHash<int, QByteArray> names;
  for (int i = 0; i < roles_.size(); ++i) names[Qt::UserRole + 1 + i] = roles_.at(i).toUtf8();
  return names;
}

QVariantMap MapListModel::get(int row) const {
  return row >= 0 && row < count() ? rows_.at(row).toMap() : QVariantMap();
}

void MapListModel::setRows(QVariantList rows) {
  const int before = count();
  beginResetModel();
  rows_ = std::move(rows);
  endResetModel();
  if (count() != before) emit countChanged();
}

}  // namespace liandong::console
