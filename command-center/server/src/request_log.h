// Requests that change something are applied once: the first answer to each
// (session, request id) is kept for a day in `query_requests`, and a resend —
// a client on a weak link that heard nothing back — gets that answer again
// instead of a second incident, a second dispatch or a second report. A
// request id reused with a different request is refused. Requests without an
// id (0) are not remembered. Query thread only (its own connection).
#pragma once

#include <optional>
#include <string>

#include <pqxx/connection>

#include "liandong.pb.h"

namespace liandong::server {

class RequestLog {
public:
  explicit RequestLog(const std::string &conninfo);

  // Whether `q` is a request that changes something (and so is remembered).
  static bool changes(const wire::Query &q);

  // The first answer to this request when it was answered before; throws
  // Error when its id was used for another request.
  std::optional<wire::QueryReply> earlier(const wire::Query &q);
  // Keeps the answer to `q` (a request that changes something, answered without error).
  void keep(const wire::Query &q, const wire::QueryReply &r);

private:
  pqxx::connection conn_;
  unsigned kept_ = 0;
};

}  // namespace liandong::server
