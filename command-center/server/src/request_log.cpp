// Once-only requests (see request_log.h).
#include "request_log.h"

#include <pqxx/pqxx>

#include "liandong/core/errors.h"
#include "liandong/core/text.h"

namespace liandong::server {

namespace {

// The request without its id, session and console: what must match on a resend.
std::string bodyHash(const wire::Query &q) {
  wire::Query body = q;
  body.clear_request_id();
  body.clear_session();
  body.clear_console();
  std::string bytes;
  body.SerializeToString(&bytes);
  return sha256Hex(bytes);
}

}  // namespace

RequestLog::RequestLog(const std::string &conninfo) : conn_(conninfo) {}

bool RequestLog::changes(const wire::Query &q) {
  using Body = wire::Query::BodyCase;
  switch (q.body_case()) {
    case Body::kAct:
    case Body::kCreate:
    case Body::kDispatch:
    case Body::kTask:
    case Body::kSitrep:
    case Body::kDirective: return q.request_id() != 0 && !q.session().empty();
    default: return false;
  }
}

std::optional<wire::QueryReply> RequestLog::earlier(const wire::Query &q) {
  if (!changes(q)) return std::nullopt;
  pqxx::work tx(conn_);
  auto rows = tx.exec_params(
      "SELECT body_hash, reply FROM query_requests WHERE session_hash = $1 AND "
      "request_id = $2",
      sha256Hex(q.session()), static_cast<std::int64_t>(q.request_id()));
  tx.commit();
  if (rows.empty()) return std::nullopt;
  if (rows[0][0].as<std::string>() != bodyHash(q))
    throw Error("request_id " + std::to_string(q.request_id()) +
                " was already used for another request in this session; send a new id");
  pqxx::binarystring bytes(rows[0][1]);
  wire::QueryReply r;
  if (!r.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    throw Error("the stored answer to request_id " + std::to_string(q.request_id()) + " is unreadable");
  return r;
}

void RequestLog::keep(const wire::Query &q, const wire::QueryReply &r) {
  if (!changes(q)) return;
  std::string bytes;
  r.SerializeToString(&bytes);
  pqxx::work tx(conn_);
  tx.exec_params(
      "INSERT INTO query_requests (session_hash, request_id, body_hash, reply) "
      "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
      sha256Hex(q.session()), static_cast<std::int64_t>(q.request_id()), bodyHash(q),
      pqxx::binarystring(bytes));
  if (++kept_ % 500 == 1) tx.exec("DELETE FROM query_requests WHERE created_at < now() - interval '1 day'");
  tx.commit();
}

}  // namespace liandong::server
