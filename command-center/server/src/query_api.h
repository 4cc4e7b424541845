// The centre's query API (protocol.md, "Queries"): one answer per Query the
// query server (link/query.h) hands over, on that server's thread — map tiles
// and assets, sign-in and out, series, recordings, incidents, tasks, reports
// and directives. Every query but tiles, assets and sign-in needs a session.
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
#include "sessions.h"

namespace spdlog {
class logger;
}

namespace liandong::server {

class QueryApi {
public:
  // `changed` takes each incident change a query made, on the query thread.
  // The references must outlive this object.
  QueryApi(const CentreConfig &config, IncidentDesk &desk, Sessions &sessions, Federation &federation,
           std::function<void(IncidentChange)> changed);

  // Fills `r` or throws (Error, IncidentError, AuthError ...: the query
  // server turns the message into the reply's error).
  void answer(const std::string &peer, const wire::Query &q, wire::QueryReply &r);

private:
  // The signed-in user behind a query; throws Error otherwise.
  Actor signedIn(const std::string &peer, const wire::Query &q);
  void tile(const wire::TileRequest &t, wire::QueryReply &r);
  void nearby(const wire::NearbyRequest &n, wire::QueryReply &r);
  void login(const std::string &peer, const wire::Query &q, wire::QueryReply &r);
  void directive(const Actor &who, const wire::Directive &request, wire::QueryReply &r);
  // dispatch, task and sitrep: the incident as `who` may see it.
  void taskChange(const Actor &who, IncidentChange change, wire::QueryReply &r);
  // act and create: the incident as it now stands.
  void incidentChange(const Actor &who, IncidentChange change, wire::QueryReply &r);

  IncidentDesk &desk_;
  Sessions &sessions_;
  Federation &federation_;
  std::function<void(IncidentChange)> changed_;
  std::shared_ptr<spdlog::logger> log_;
  mapping::TileService tiles_;
  pqxx::connection conn_;  // series, segments, linked alerts and assets
  mapping::AssetQueries assets_;
};

}  // namespace liandong::server
