// The hash-chained audit log (table audit_log, migration 006): append an entry
// inside the transaction that makes the change, and verify the whole chain.
// Each entry's hash covers its content and the previous entry's hash, so an
// edited, inserted or deleted row breaks the chain; a cut-off tail is found
// by comparing with a head recorded elsewhere (`liandong-audit head`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/connection>
#include <pqxx/transaction>

#include "liandong/server/incident_rules.h"

namespace liandong::server {

// Appends (who, when, from which console, what, on which object, before and
// after) in `tx`; returns the entry's hash.
std::string audit(pqxx::transaction_base &tx, const Actor &who, const std::string &action,
                  const std::string &object, const nlohmann::json &before, const nlohmann::json &after);

struct AuditProblem {
  std::int64_t seq = 0;
  std::string reason;  // "content changed", "previous hash does not match", ...
};

struct AuditReport {
  std::int64_t entries = 0;
  std::string head;  // hash of the last entry (64 zeros when empty)
  std::int64_t headSeq = 0;
  std::vector<AuditProblem> problems;
};

// Recomputes every hash in order. `expectHead`, when given, must be the hash
// of some entry (a head recorded earlier): if it is missing, the log was cut.
AuditReport verifyAudit(pqxx::connection &conn, const std::optional<std::string> &expectHead = {});

}  // namespace liandong::server
