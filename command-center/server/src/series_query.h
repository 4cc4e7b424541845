// A sensor's readings over time for the console's charts (Query.series): the
// readings table bucketed in PostgreSQL to at most max_points, the station's
// 警戒/保证 levels from its thresholds, rainfall accumulations; only sensors
// inside the asking user's jurisdiction.
#pragma once

#include <pqxx/connection>

#include "liandong.pb.h"
#include "liandong/server/incident_rules.h"

namespace liandong::server {

// Throws Error naming the cause (unknown sensor, outside the jurisdiction,
// a range that ends before it starts).
wire::Series readSeries(pqxx::connection &conn, const Actor &who, const wire::SeriesRequest &request);

}  // namespace liandong::server
