// A sensor's readings over time for the console's charts (see series_query.h).
#include "series_query.h"

#include <algorithm>

#include <pqxx/pqxx>

#include "liandong/core/clock.h"
#include "liandong/core/errors.h"

namespace liandong::server {

wire::Series readSeries(pqxx::connection &conn, const Actor &who, const wire::SeriesRequest &request) {
  if (request.sensor_id().empty()) throw Error("series: sensor_id is required");
  std::int64_t to = request.to_us() > 0 ? request.to_us() : nowUs();
  std::int64_t from = request.from_us() > 0 ? request.from_us() : to - 24LL * 3600 * 1000000;
  if (from >= to) throw Error("series: from_us must be before to_us");
  if (to - from > 400LL * 24 * 3600 * 1000000) throw Error("series: at most 400 days at once");
  int points =
      request.max_points() == 0 ? 300 : static_cast<int>(std::min<std::uint32_t>(request.max_points(), 2000));
  pqxx::read_transaction tx(conn);
  // The sensor, if this user may see it: its position inside the user's region.
  auto sensor = tx.exec_params(
      "SELECT s.name, s.thresholds::text FROM sensors s WHERE s.id = $1 AND ($2 = '' OR EXISTS ("
      "  SELECT 1 FROM regions r WHERE r.code = $2 AND ST_Covers(r.geom, s.geom)))",
      request.sensor_id(), who.role == Role::System ? std::string() : who.regionCode);
  if (sensor.empty()) throw Error("series: no sensor " + request.sensor_id() + " in your jurisdiction");
  wire::Series out;
  out.set_sensor_id(request.sensor_id());
  out.set_name(sensor[0][0].as<std::string>());
  std::string quantity = request.quantity();
  if (quantity.empty()) {
    auto q =
        tx.exec_params("SELECT quantity FROM readings WHERE sensor_id = $1 ORDER BY observed_at DESC LIMIT 1",
                       request.sensor_id());
    if (q.empty()) return out;  // no readings yet: an empty chart
    quantity = q[0][0].as<std::string>();
  }
  out.set_quantity(quantity);
  const bool rain = quantity.rfind("rainfall", 0) == 0;
  const double fromS = static_cast<double>(from) / 1e6, toS = static_cast<double>(to) / 1e6;
  auto rows = tx.exec_params("SELECT (extract(epoch FROM min(observed_at)) * 1e6)::bigint, " +
                                 std::string(rain ? "sum(value)" : "avg(value)") +
                                 ", count(*), max(unit) FROM readings "
                                 "WHERE sensor_id = $1 AND quantity = $2 AND observed_at >= "
                                 "to_timestamp($3::float8) AND observed_at < "
                                 "to_timestamp($4::float8) GROUP BY width_bucket(extract(epoch FROM "
                                 "observed_at), $3::float8, $4::float8, $5::int) ORDER BY 1",
                             request.sensor_id(), quantity, fromS, toS, points);
  std::uint64_t readings = 0;
  for (const auto &r : rows) {
    auto *p = out.add_points();
    p->set_at_us(r[0].as<std::int64_t>());
    p->set_value(r[1].as<double>());
    readings += r[2].as<std::uint64_t>();
    if (out.unit().empty() && !r[3].is_null()) out.set_unit(r[3].as<std::string>());
  }
  out.set_readings(readings);
  // The station's levels for this quantity: 警戒 = yellow, 保证 = red (as the rule engine reads them).
  auto levels =
      tx.exec_params("SELECT ($1::jsonb -> $2 ->> 'yellow')::float8, ($1::jsonb -> $2 ->> 'red')::float8",
                     sensor[0][1].as<std::string>(), quantity);
  if (!levels[0][0].is_null()) {
    out.set_has_warning_level(true);
    out.set_warning_level(levels[0][0].as<double>());
  }
  if (!levels[0][1].is_null()) {
    out.set_has_guaranteed_level(true);
    out.set_guaranteed_level(levels[0][1].as<double>());
  }
  if (rain) {
    auto sums = tx.exec_params(
        "SELECT coalesce(sum(value) FILTER (WHERE observed_at >= to_timestamp($3::float8 - 3600)), 0), "
        "coalesce(sum(value) FILTER (WHERE observed_at >= to_timestamp($3::float8 - 3 * 3600)), 0), "
        "coalesce(sum(value), 0) FROM readings WHERE sensor_id = $1 AND quantity = $2 AND "
        "observed_at >= to_timestamp($3::float8 - 24 * 3600) AND observed_at < to_timestamp($3::float8)",
        request.sensor_id(), quantity, toS);
    out.set_rain_1h(sums[0][0].as<double>());
    out.set_rain_3h(sums[0][1].as<double>());
    out.set_rain_24h(sums[0][2].as<double>());
  }
  return out;
}

}  // namespace liandong::server
