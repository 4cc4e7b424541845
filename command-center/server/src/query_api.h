// The centre's query API (protocol.md, "Queries"): one answer per Query the
// query server (link/query.h) hands over, on that server's thread — map tiles
// and assets, sign-in and out, series, recordings, incidents, tasks, reports
// and directives. Only console and field-client keys may ask; every query
// but sign-in and the regions tile layer needs a session, which works only
// through the key that signed in, and a user's jurisdiction is capped by the
// key's `region:`. Requests that change something are applied once per
// request id (request_log.h); refusals are audited (refusal_audit.h).
// See docs/security.md.
// Changes made here reach the consoles and the other centres through the
// centre's main loop: `changed` for incidents, Federation::queueDirective for
// directives. Created by the centre facade (centre.cpp) when it has a query
// endpoint.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <pqxx/connection>

#include "federation.h"
#include "liandong.pb.h"
#include "liandong/mapping/assets.h"
#include "liandong/mapping/tiles.h"
#include "liandong/server/centre_config.h"
#include "liandong/server/incidents.h"
#include "refusal_audit.h"
#include "request_log.h"
#include "sessions.h"
#include "video_grants.h"

namespace spdlog {
class logger;
}

namespace liandong::server {

class QueryApi {
public:
  // `changed` takes each incident change a query made, on the query thread.
  // The references must outlive this object.
  QueryApi(const CentreConfig &config, IncidentDesk &desk, Sessions &sessions, Federation &federation,
           RefusalAudit &refusals, std::function<void(IncidentChange)> changed);

  // Fills `r` or throws (Error, IncidentError, AuthError ...: the query
  // server turns the message into the reply's error).
  void answer(const std::string &peer, const wire::Query &q, wire::QueryReply &r);

private:
  void dispatch(const std::string &peer, const wire::Query &q, wire::QueryReply &r);
  // The signed-in user behind a query, their jurisdiction capped by the
  // key's region; throws Error otherwise.
  Actor signedIn(const std::string &peer, const wire::Query &q);
  void tile(const std::string &peer, const wire::Query &q, wire::QueryReply &r);
  void nearby(const Actor &who, const wire::NearbyRequest &n, wire::QueryReply &r);
  void login(const std::string &peer, const wire::Query &q, wire::QueryReply &r);
  void directive(const Actor &who, const wire::Directive &request, wire::QueryReply &r);
  // dispatch, task and sitrep: the incident as `who` may see it.
  void taskChange(const Actor &who, IncidentChange change, wire::QueryReply &r);
  // act and create: the incident as it now stands.
  void incidentChange(const Actor &who, IncidentChange change, wire::QueryReply &r);

  const CentreConfig &config_;
  IncidentDesk &desk_;
  Sessions &sessions_;
  RefusalAudit &refusals_;
  RequestLog requests_;
  std::string user_;  // the user of the query being answered, once known (for refusals)
  Federation &federation_;
  std::function<void(IncidentChange)> changed_;
  std::shared_ptr<spdlog::logger> log_;
  mapping::TileService tiles_;
  pqxx::connection conn_;  // series, segments, linked alerts and assets
  mapping::AssetQueries assets_;
  VideoGrants videoGrants_;
};

}  // namespace liandong::server
