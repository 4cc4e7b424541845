// The centre's answer to the `video_grant` query (query_api.cpp): leave for a
// signed-in user to watch one camera, live or a recorded segment, as a URL on
// the ingest node that serves it with a grant only that node can check
// (core/video_grant.h). Refused unless the camera lies in the user's
// jurisdiction and its node is admitted here; every grant and refusal is
// logged (user, camera, node; never the token).
#pragma once

#include <map>
#include <memory>
#include <string>

#include <pqxx/connection>

#include "liandong.pb.h"
#include "liandong/core/curve_keys.h"
#include "liandong/server/incident_rules.h"

namespace spdlog {
class logger;
}

namespace liandong::server {

class VideoGrants {
public:
  // `admitted`: public key -> id, as in CentreConfig; nodes are found by id.
  VideoGrants(CurveKeyPair keys, const std::map<std::string, std::string> &admitted, int lifetimeS = 300);

  // The URL to play, or throws Error with the reason (logged here).
  wire::VideoGrant grant(pqxx::connection &conn, const Actor &who, const wire::VideoGrantRequest &request);

private:
  wire::VideoGrant issue(pqxx::connection &conn, const Actor &who, const wire::VideoGrantRequest &request,
                         std::string *node);

  CurveKeyPair keys_;
  std::map<std::string, std::string> nodeKeys_;  // id -> public key
  int lifetimeS_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace liandong::server
