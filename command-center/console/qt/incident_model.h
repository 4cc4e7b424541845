// The Qt Quick console's incident queue: a list model of the incidents the
// centre shares (`incident/<id>` clone items), sorted open before closed, then
// by response level (I first), then by age (oldest first), with camelCase
// roles for QML.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QAbstractListModel>
#include <QString>

#include <map>
#include <string>
#include <vector>

#include "liandong.pb.h"

namespace liandong::console {

class IncidentModel : public QAbstractListModel {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("owned by the console backend")
  Q_PROPERTY(int count READ count NOTIFY countChanged)
public:
  enum Role {
    IncidentIdRole = Qt::UserRole + 1,
    TitleRole,
    TypeRole,
    LevelRole,      // 1..4 (I..IV), 0 none
    LevelTextRole,  // "Ⅰ".."Ⅳ"
    ColourRole,     // "red", "orange", "yellow", "blue", "none"
    StateRole,      // "reported", "verified", ...
    LeadTierRole,   // "province", "city", "county", "town", "state"
    ChangeRole,
    VersionRole,
    OpenedAtRole,  // ms since the epoch
    UpdatedAtRole,
    LatitudeRole,
    LongitudeRole,
  };
  explicit IncidentModel(QObject *parent = nullptr);

  int rowCount(const QModelIndex &parent = QModelIndex()) const override;
  QVariant data(const QModelIndex &index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;
  int count() const { return static_cast<int>(rows_.size()); }

  // Replaces everything (a snapshot).
  void reset(const std::vector<wire::IncidentReport> &incidents);
  // Inserts or updates one incident, keeping the order; an older version is ignored.
  void upsert(const wire::IncidentReport &incident);
  void remove(const std::string &incidentId);
  // The row of an incident, -1 when absent.
  Q_INVOKABLE int rowOf(const QString &incidentId) const;
  Q_INVOKABLE QString idAt(int row) const;
  const wire::IncidentReport *find(const std::string &incidentId) const;

  static QString levelText(int level);
  static QString colourName(int colour);
  static QString tierName(int tier, int level);

signals:
  void countChanged();

private:
  static bool before(const wire::IncidentReport &a, const wire::IncidentReport &b);
  std::size_t positionFor(const wire::IncidentReport &r) const;
  std::vector<wire::IncidentReport> rows_;
};

}  // namespace liandong::console
