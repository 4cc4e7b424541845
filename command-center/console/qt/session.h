// Session: who is signed in at this console — the sign-in (a `login` query
// with console.user and the password), the user's name, role, agency and the
// console's mode by role (duty, agency, leader), and the UI language
// (zh_CN from the embedded translation, or English). Exposed to QML as
// `session`; created by Backend.
#pragma once

#include <QObject>
#include <QPointer>
#include <QQmlEngine>
#include <QString>
#include <QTranslator>

#include <memory>
#include <string>

namespace liandong::console {

class CentreCalls;

class Session : public QObject {
  Q_OBJECT
  Q_PROPERTY(bool signedIn READ signedIn NOTIFY sessionChanged)
  Q_PROPERTY(QString userName READ userName NOTIFY sessionChanged)
  Q_PROPERTY(QString displayName READ displayName NOTIFY sessionChanged)
  Q_PROPERTY(QString role READ role NOTIFY sessionChanged)
  Q_PROPERTY(QString mode READ mode NOTIFY sessionChanged)  // "duty", "agency", "leader"
  Q_PROPERTY(QString agencyId READ agencyId NOTIFY sessionChanged)
  Q_PROPERTY(QString language READ language WRITE setLanguage NOTIFY languageChanged)
public:
  explicit Session(CentreCalls &calls, QObject *parent = nullptr);

  // Signs in (a `login` query); sessionChanged() when the centre agreed.
  void signIn(const std::string &user, const std::string &password);
  void setEngine(QQmlEngine *engine) { engine_ = engine; }
  // Overrides the role's mode ("duty", "agency", "leader"); empty: by role.
  void setModeOverride(const QString &mode) { modeOverride_ = mode; }

  bool signedIn() const;
  QString userName() const { return userName_; }
  QString displayName() const { return displayName_; }
  QString role() const { return role_; }
  QString mode() const;
  QString agencyId() const { return agencyId_; }
  // Duty officers (and admins) tick SOP steps.
  bool mayTickSteps() const {
    return role_ == QLatin1String("duty_officer") || role_ == QLatin1String("admin");
  }
  QString language() const { return language_; }
  // Installs the zh_CN translator (or none for English) and retranslates the UI.
  void setLanguage(const QString &language);

signals:
  void sessionChanged();
  void languageChanged();

private:
  CentreCalls &calls_;
  QString userName_, displayName_, role_, agencyId_, modeOverride_, language_;
  QPointer<QQmlEngine> engine_;
  std::unique_ptr<QTranslator> translator_;
};

}  // namespace liandong::console
