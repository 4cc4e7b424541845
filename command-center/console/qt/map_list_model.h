// MapListModel: a list that QML shows (linked alerts, agencies, the open
// incident's tasks and timeline, the agency's tasks) as a
// QAbstractListModel whose roles are the camelCase keys of its rows — so a
// delegate reads `model.alertId` — replaced as a whole when the centre
// answers (begin/end reset around it). `count` for the section titles.
// Used by IncidentDetail and AgencyTasks.
#pragma once

#include <QAbstractListModel>
#include <QStringList>
#include <QVariantList>
#include <QVariantMap>

namespace liandong::console {

class MapListModel : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(int count READ count NOTIFY countChanged)
public:
  // `roles`: the keys of a row, in role order (Qt::UserRole + 1 …).
  explicit MapListModel(QStringList roles, QObject *parent = nullptr);

  int rowCount(const QModelIndex &parent = {}) const override;
  QVariant data(const QModelIndex &index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;
  int count() const { return static_cast<int>(rows_.size()); }
  // Row `row` as a map (empty when out of range), e.g. for the UI driver.
  Q_INVOKABLE QVariantMap get(int row) const;
  const QVariantList &rows() const { return rows_; }
  // Replaces every row (each a QVariantMap with the roles' keys).
  void setRows(QVariantList rows);

signals:
  void countChanged();

private:
  QStringList roles_;
  QVariantList rows_;
};

}  // namespace liandong::console
