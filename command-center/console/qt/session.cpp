// Session: sign-in, user, role and mode, language (see session.h).
#include "session.h"

#include <QCoreApplication>

#include "centre_calls.h"
#include "liandong/core/logging.h"

namespace liandong::console {

Session::Session(CentreCalls &calls, QObject *parent) : QObject(parent), calls_(calls) {}

void Session::signIn(const std::string &user, const std::string &password) {
  wire::Query login;
  login.mutable_login()->set_user(user);
  login.mutable_login()->set_password(password);
  calls_.call(
      std::move(login),
      [this](const wire::QueryReply &r) {
        auto log = logging::get("console");
        calls_.setSession(r.login().session());
        userName_ = QString::fromStdString(r.login().user());
        displayName_ = QString::fromStdString(r.login().display_name());
        role_ = QString::fromStdString(r.login().role());
        agencyId_ = QString::fromStdString(r.login().agency_id());
        log->info("signed in as {} ({}, region {})", r.login().user(), r.login().role(),
                  r.login().region_code());
        emit sessionChanged();
        log->info("mode {}", mode().toStdString());
      },
      QStringLiteral("login"));
}

bool Session::signedIn() const {
  return calls_.hasSession();
}

QString Session::mode() const {
  if (!modeOverride_.isEmpty()) return modeOverride_;
  if (role_ == QLatin1String("leader")) return QStringLiteral("leader");
  if (role_ == QLatin1String("agency_operator")) return QStringLiteral("agency");
  return QStringLiteral("duty");
}

void Session::setLanguage(const QString &language) {
  if (translator_) {
    QCoreApplication::removeTranslator(translator_.get());
    translator_.reset();
  }
  if (language == QLatin1String("zh_CN")) {
    auto t = std::make_unique<QTranslator>();
    if (t->load(QStringLiteral(":/i18n/liandong_console_zh_CN.qm"))) {
      QCoreApplication::installTranslator(t.get());
      translator_ = std::move(t);
    } else {
      logging::get("console")->warn("no zh_CN translation in the resources");
    }
  }
  language_ = language;
  logging::get("console")->info("language {}{}", language.toStdString(),
                                translator_ ? " (translation loaded)" : "");
  if (engine_) engine_->retranslate();
  emit languageChanged();
}

}  // namespace liandong::console
