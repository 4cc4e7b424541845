// The hash-chained audit log: append and verify (see audit.h).
#include "liandong/server/audit.h"

#include <pqxx/pqxx>

namespace liandong::server {

namespace {
std::optional<std::string> jsonOrNull(const nlohmann::json &j) {
  if (j.is_null()) return std::nullopt;
  return j.dump();
}
}  // namespace

std::string audit(pqxx::transaction_base &tx, const Actor &who, const std::string &action,
                  const std::string &object, const nlohmann::json &before, const nlohmann::json &after) {
  auto r = tx.exec_params1("SELECT liandong_audit($1, $2, $3, $4, $5::jsonb, $6::jsonb)", who.name,
                           who.console.empty() ? std::string("centre") : who.console, action, object,
                           jsonOrNull(before), jsonOrNull(after));
  return r[0].as<std::string>();
}

AuditReport verifyAudit(pqxx::connection &conn, const std::optional<std::string> &expectHead) {
  AuditReport report;
  std::string previous(64, '0');
  std::int64_t after = 0;
  bool headSeen = !expectHead.has_value();
  constexpr int kPage = 5000;
  while (true) {
    pqxx::read_transaction tx(conn);
    auto rows = tx.exec_params(
        "SELECT seq, prev_hash, hash, liandong_audit_hash(prev_hash, at_us, actor, console, action, object, "
        "before, after) FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        after, kPage);
    for (const auto &row : rows) {
      auto seq = row[0].as<std::int64_t>();
      auto prev = row[1].as<std::string>();
      auto hash = row[2].as<std::string>();
      auto recomputed = row[3].as<std::string>();
      if (prev != previous)
        report.problems.push_back({seq,
                                   "its previous hash does not match the entry before it (an entry was "
                                   "removed, inserted or changed)"});
      if (recomputed != hash)
        report.problems.push_back({seq, "its content does not match its hash (edited)"});
      if (expectHead && hash == *expectHead) headSeen = true;
      previous = hash;
      after = seq;
      ++report.entries;
    }
    if (rows.size() < static_cast<std::size_t>(kPage)) break;
  }
  report.head = previous;
  report.headSeq = after;
  if (!headSeen)
    report.problems.push_back(
        {after, "the recorded head " + *expectHead + " is not in the log (entries were cut off the end)"});
  return report;
}

}  // namespace liandong::server
