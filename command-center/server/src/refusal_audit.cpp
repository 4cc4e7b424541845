// Refusals in the log and the audit chain, rate-limited per key (see refusal_audit.h).
#include "refusal_audit.h"

#include <pqxx/pqxx>

#include "liandong/core/clock.h"
#include "liandong/core/logging.h"
#include "liandong/core/text.h"
#include "liandong/server/audit.h"

namespace liandong::server {

RefusalAudit::RefusalAudit(const std::string &conninfo, int perMinute)
    : conninfo_(conninfo), perMinute_(perMinute), log_(logging::get("center")) {}

void RefusalAudit::record(const std::string &keyId, const std::string &user, const std::string &kind,
                          const std::string &reason) {
  log_->warn("refused {} from key {}{}: {}", kind, keyId, user.empty() ? "" : " (user " + user + ")", reason);
  std::lock_guard lock(mutex_);
  const std::int64_t minute = nowUs() / 60000000;
  auto &w = windows_[keyId];
  if (w.minute != minute) {
    if (w.left > 0)
      write("key:" + keyId, keyId, "refused.more", "key/" + keyId,
            "further refusals in the minute before were not audited one by one", w.left);
    w = Window{minute, 0, 0};
  }
  if (w.audited >= perMinute_) {
    ++w.left;
    return;
  }
  ++w.audited;
  write(user.empty() ? "key:" + keyId : user, keyId, "refused." + kind, kind, reason, 0);
}

void RefusalAudit::write(const std::string &actor, const std::string &keyId, const std::string &action,
                         const std::string &object, const std::string &reason, std::uint64_t leftOut) {
  try {
    if (!conn_) conn_ = std::make_unique<pqxx::connection>(conninfo_);
    pqxx::work tx(*conn_);
    nlohmann::json after = {{"key", keyId}, {"reason", reason}};
    if (leftOut > 0) after["count"] = leftOut;
    audit(tx, Actor{actor, Role::System, "", "", keyId}, action, object, nullptr, after);
    tx.commit();
  } catch (const std::exception &e) {
    conn_.reset();
    log_->error("a refusal by key {} could not be audited: {}", keyId, firstLine(e.what()));
  }
}

}  // namespace liandong::server
