// Recording segments and an incident's linked alerts for the consoles (see
// console_queries.h).
#include "console_queries.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include <pqxx/pqxx>

#include "liandong/core/clock.h"
#include "liandong/core/errors.h"

namespace liandong::server {

wire::SegmentList readSegments(pqxx::connection &conn, const Actor &who,
                               const wire::SegmentListRequest &request) {
  if (request.camera_ids().empty()) throw Error("segments: at least one camera_id is required");
  if (request.camera_ids_size() > 16) throw Error("segments: at most 16 cameras at once");
  std::int64_t to = request.to_us() > 0 ? request.to_us() : nowUs();
  std::int64_t from = request.from_us();
  if (from <= 0) throw Error("segments: from_us is required");
  if (from >= to) throw Error("segments: from_us must be before to_us");
  if (to - from > 31LL * 24 * 3600 * 1000000) throw Error("segments: at most 31 days at once");
  const std::string region = who.role == Role::System ? std::string() : who.regionCode;
  pqxx::read_transaction tx(conn);
  wire::SegmentList out;
  for (const auto &camera : request.camera_ids()) {
    // The camera's place must lie in the user's region (as for sensors).
    auto rows = tx.exec_params(
        "SELECT s.camera_id, (extract(epoch FROM s.start_at) * 1e6)::bigint, "
        "(extract(epoch FROM s.end_at) * 1e6)::bigint, s.path, s.bytes, s.sender_id "
        "FROM camera_segments s WHERE s.camera_id = $1 AND s.removed_at IS NULL "
        "AND s.end_at > to_timestamp($2::float8) AND s.start_at < to_timestamp($3::float8) "
        "AND ($4 = '' OR EXISTS (SELECT 1 FROM cameras c JOIN regions r ON r.code = $4 "
        "  WHERE c.id = s.camera_id AND ST_Covers(r.geom, c.geom))) "
        "ORDER BY s.start_at LIMIT 2000",
        camera, static_cast<double>(from) / 1e6, static_cast<double>(to) / 1e6, region);
    for (const auto &r : rows) {
      auto *s = out.add_segments();
      s->set_camera_id(r[0].as<std::string>());
      s->set_start_us(r[1].as<std::int64_t>());
      s->set_end_us(r[2].as<std::int64_t>());
      s->set_path(r[3].as<std::string>());
      s->set_bytes(r[4].as<std::uint64_t>());
      s->set_node_id(r[5].as<std::string>());
    }
  }
  return out;
}

wire::IncidentAlerts readIncidentAlerts(pqxx::connection &conn, const std::string &incidentId) {
  pqxx::read_transaction tx(conn);
  // The alert's latest stored message (its level may have been raised since
  // the onset); events are partitioned by sent_at, so bound it from below.
  auto rows = tx.exec_params(
      "SELECT ia.alert_id, ia.cleared, (SELECT e.payload -> 'alert' FROM events e WHERE e.kind = 'alert' "
      "  AND e.sent_at >= ia.linked_at - interval '7 days' AND e.payload -> 'alert' ->> 'alert_id' = "
      "ia.alert_id ORDER BY e.sent_at DESC, e.id DESC LIMIT 1)::text "
      "FROM incident_alerts ia WHERE ia.incident_id = $1 ORDER BY ia.linked_at",
      incidentId);
  wire::IncidentAlerts out;
  for (const auto &r : rows) {
    wire::LinkedAlert a;
    a.set_alert_id(r[0].as<std::string>());
    wire::Alert stored;
    if (!r[2].is_null()) {
      google::protobuf::util::JsonParseOptions opts;
      opts.ignore_unknown_fields = true;
      if (!google::protobuf::util::JsonStringToMessage(r[2].as<std::string>(), &stored, opts).ok())
        throw Error("incident_alerts: the stored alert " + a.alert_id() + " is not readable");
    }
    a.set_source_id(stored.source_id());
    a.set_quantity(stored.quantity());
    a.set_level(stored.suggested_level());
    a.set_colour(stored.colour());
    a.set_onset_at_us(stored.onset_at_us());
    a.set_headline(stored.headline());
    a.set_cleared(r[1].as<bool>() || stored.cleared());
    if (!stored.source_id().empty()) {
      auto kind = tx.exec_params(
          "SELECT CASE WHEN EXISTS (SELECT 1 FROM sensors WHERE id = $1) THEN 'sensor' "
          "WHEN EXISTS (SELECT 1 FROM cameras WHERE id = $1) THEN 'camera' ELSE '' END",
          stored.source_id());
      a.set_source_kind(kind[0][0].as<std::string>());
      // The reading that raised it: the source's latest at the onset.
      auto reading = tx.exec_params(
          "SELECT value, unit FROM readings WHERE sensor_id = $1 AND ($2 = '' OR quantity = $2) "
          "AND observed_at <= to_timestamp($3::float8) + interval '1 second' "
          "AND observed_at >= to_timestamp($3::float8) - interval '1 hour' "
          "ORDER BY observed_at DESC LIMIT 1",
          stored.source_id(), stored.quantity(), static_cast<double>(stored.onset_at_us()) / 1e6);
      if (!reading.empty()) {
        a.set_has_value(true);
        a.set_value(reading[0][0].as<double>());
        a.set_unit(reading[0][1].as<std::string>());
        if (a.source_kind().empty()) a.set_source_kind("sensor");  // not imported here, but it reads
      }
    }
    *out.add_alerts() = std::move(a);
  }
  std::stable_sort(out.mutable_alerts()->begin(), out.mutable_alerts()->end(),
                   [](const auto &x, const auto &y) { return x.onset_at_us() < y.onset_at_us(); });
  return out;
}

}  // namespace liandong::server
