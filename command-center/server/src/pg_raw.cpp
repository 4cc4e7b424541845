// libpq connection for the intake's hot path (see pg_raw.h).
#include "liandong/server/pg_raw.h"

#include "liandong/core/text.h"

namespace liandong::server {

namespace {
// libpq's messages, up to their first line ("" for none).
std::string messageOf(const char *msg) {
  return firstLine(msg ? msg : "");
}
}  // namespace

PgRaw::PgRaw(const std::string &conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
  if (!conn_) throw PgRawError("out of memory", "", true);
  if (PQstatus(conn_.get()) != CONNECTION_OK)
    throw PgRawError(messageOf(PQerrorMessage(conn_.get())), "", true);
}

PgResult PgRaw::check(PGresult *raw, ExecStatusType want, const std::string &what) {
  PgResult r(raw);
  if (r && PQresultStatus(r.get()) == want) return r;
  bool lost = PQstatus(conn_.get()) != CONNECTION_OK;
  const char *code = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
  std::string state = code ? code : "";
  std::string msg = r ? messageOf(PQresultErrorMessage(r.get())) : "";
  if (msg.empty()) msg = messageOf(PQerrorMessage(conn_.get()));
  throw PgRawError(what + ": " + msg, state, lost);
}

PgResult PgRaw::done(PGresult *raw, const std::string &what) {
  // A command answers COMMAND_OK, a query (or INSERT ... RETURNING) TUPLES_OK.
  if (raw && PQresultStatus(raw) == PGRES_COMMAND_OK) return PgResult(raw);
  return check(raw, PGRES_TUPLES_OK, what);
}

void PgRaw::exec(const std::string &sql) {
  done(PQexec(conn_.get(), sql.c_str()), "statement");  // several statements: the last one's status
}

void PgRaw::prepare(const std::string &name, const std::string &sql) {
  done(PQprepare(conn_.get(), name.c_str(), sql.c_str(), 0, nullptr), "prepare " + name);
}

PgResult PgRaw::execPrepared(const std::string &name, const std::vector<std::optional<std::string>> &params) {
  std::vector<const char *> values;
  values.reserve(params.size());
  for (const auto &p : params) values.push_back(p ? p->c_str() : nullptr);
  auto *raw = PQexecPrepared(conn_.get(), name.c_str(), static_cast<int>(values.size()), values.data(),
                             nullptr, nullptr, 0);
  return done(raw, name);
}

void PgRaw::copyIn(const std::string &copySql, const std::string &data) {
  check(PQexec(conn_.get(), copySql.c_str()), PGRES_COPY_IN, "COPY");
  if (PQputCopyData(conn_.get(), data.data(), static_cast<int>(data.size())) != 1 ||
      PQputCopyEnd(conn_.get(), nullptr) != 1) {
    // Drain whatever result the server still sends before reporting.
    while (PGresult *r = PQgetResult(conn_.get())) PQclear(r);
    throw PgRawError("COPY: " + firstLine(PQerrorMessage(conn_.get())), "",
                     PQstatus(conn_.get()) != CONNECTION_OK);
  }
  PgResult result(PQgetResult(conn_.get()));
  // Read the results to the end so the connection is ready for the next command.
  while (PGresult *more = PQgetResult(conn_.get())) PQclear(more);
  check(result.release(), PGRES_COMMAND_OK, "COPY");
}

}  // namespace liandong::server
