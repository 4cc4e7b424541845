// Console queries the centre answers from its own tables (Query.segments,
// Query.incident_alerts): the recording index of cameras over a time range,
// for playing a recording around an incident, and the alerts linked to an
// incident with their source, level and the reading that raised them. Called
// on the query server's thread with its own connection; only what the asking
// user's jurisdiction covers.
#pragma once

#include <pqxx/connection>

#include "liandong.pb.h"
#include "liandong/server/incident_rules.h"

namespace liandong::server {

// The kept segments of each camera overlapping [from_us, to_us), by camera
// then start. Cameras outside the user's jurisdiction (or unknown to the
// centre's asset tables) give no rows. Throws Error naming the cause (no
// camera, more than 16, a range that ends before it starts).
wire::SegmentList readSegments(pqxx::connection &conn, const Actor &who,
                               const wire::SegmentListRequest &request);

// The alerts linked to an incident the caller has already checked `who` may
// see, oldest onset first.
wire::IncidentAlerts readIncidentAlerts(pqxx::connection &conn, const std::string &incidentId);

}  // namespace liandong::server
