// The incident queue as the duty officer filters it: a proxy over the
// IncidentModel (its order kept) that hides closed incidents unless asked,
// keeps levels at or above a chosen one, one type, and titles containing a
// text. Rows and ids are those of the filtered list, for the QML queue.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QSortFilterProxyModel>
#include <QString>

namespace liandong::console {

class IncidentFilter : public QSortFilterProxyModel {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("owned by the console backend")
  Q_PROPERTY(bool showClosed READ showClosed WRITE setShowClosed NOTIFY filterChanged)
  Q_PROPERTY(int maxLevel READ maxLevel WRITE setMaxLevel NOTIFY filterChanged)  // 4 = all, 1 = level I only
  Q_PROPERTY(QString type READ type WRITE setType NOTIFY filterChanged)          // "" = every type
  Q_PROPERTY(QString text READ text WRITE setText NOTIFY filterChanged)          // in the title
  Q_PROPERTY(int count READ count NOTIFY countChanged)
public:
  explicit IncidentFilter(QObject *parent = nullptr);

  bool showClosed() const { return showClosed_; }
  void setShowClosed(bool on);
  int maxLevel() const { return maxLevel_; }
  void setMaxLevel(int level);
  QString type() const { return type_; }
  void setType(const QString &type);
  QString text() const { return text_; }
  void setText(const QString &text);
  int count() const { return rowCount(); }

  Q_INVOKABLE int rowOf(const QString &incidentId) const;
  Q_INVOKABLE QString idAt(int row) const;

signals:
  void filterChanged();
  void countChanged();

protected:
  bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
  void refilter();
  bool showClosed_ = true;
  int maxLevel_ = 4;
  QString type_, text_;
};

}  // namespace liandong::console
