// PostgreSQL intake store (see pg_intake_store.h).
#include "liandong/server/pg_intake_store.h"

#include <algorithm>
#include <regex>

#include <fmt/format.h>

#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>
#include <pqxx/pqxx>

#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "liandong/core/logging.h"
#include "liandong/mapping/ewkb.h"
#include "liandong/server/pg_raw.h"

namespace liandong::server {

namespace {
constexpr const char *kReadingColumns =
    "sender_id, sequence, sensor_id, quantity, value, unit, observed_at, geom, region_code";
}  // namespace

std::string stateKind(const wire::Envelope &env) {
  switch (env.body_case()) {
    case wire::Envelope::kReading: return "reading";
    case wire::Envelope::kAlert: return "alert";
    case wire::Envelope::kCameraStatus: return "camera_status";
    case wire::Envelope::kIncidentReport: return "incident";
    case wire::Envelope::kDirective: return "directive";
    case wire::Envelope::kSummary: return "summary";
    case wire::Envelope::kRecordingSegment: return "recording_segment";
    default: return "event";
  }
}

std::string stateKey(const wire::Envelope &env) {
  switch (env.body_case()) {
    case wire::Envelope::kReading: return "reading/" + env.reading().sensor_id();
    case wire::Envelope::kAlert: return "alert/" + env.alert().alert_id();
    case wire::Envelope::kCameraStatus: return "camera/" + env.camera_status().camera_id();
    case wire::Envelope::kIncidentReport: return "incident/" + env.incident_report().incident_id();
    case wire::Envelope::kDirective: return "directive/" + env.directive().directive_id();
    case wire::Envelope::kSummary: return "summary/" + env.sender_id();
    default: return "";  // events are announced, not kept as state
  }
}

std::vector<wire::StateUpdate> PgIntakeStore::loadState() {
  std::vector<wire::StateUpdate> out;
  pqxx::work tx(connection());
  auto rows = tx.exec(
      "SELECT DISTINCT ON (sensor_id) sender_id, sequence, sensor_id, quantity, value, unit, "
      "  (extract(epoch FROM observed_at) * 1e6)::bigint, coalesce(ST_Y(geom), 0), coalesce(ST_X(geom), 0), "
      "  coalesce(region_code, '') "
      "FROM readings ORDER BY sensor_id, observed_at DESC, sequence DESC");
  for (const auto &row : rows) {
    wire::StateUpdate u;
    auto *env = u.mutable_source();
    env->set_sender_id(row[0].as<std::string>());
    env->set_sequence(row[1].as<std::uint64_t>());
    env->set_kind(wire::KIND_SENSOR_DETECTION);
    auto *r = env->mutable_reading();
    r->set_sensor_id(row[2].as<std::string>());
    r->set_quantity(row[3].as<std::string>());
    r->set_value(row[4].as<double>());
    r->set_unit(row[5].as<std::string>());
    r->set_observed_at_us(row[6].as<std::int64_t>());
    r->set_latitude(row[7].as<double>());
    r->set_longitude(row[8].as<double>());
    u.set_what("reading");
    u.set_key(stateKey(*env));
    u.set_region_code(row[9].as<std::string>());
    out.push_back(std::move(u));
  }
  // Each camera's last status as its node sent it: nodes send one only when
  // the state changes, so without this a restarted centre would show no
  // cameras (and no re-serve URLs) to consoles until the next change.
  auto cameras = tx.exec(
      "SELECT DISTINCT ON (payload->'camera_status'->>'camera_id') payload::text, coalesce(region_code, '') "
      "FROM events WHERE kind = 'camera_status' "
      "ORDER BY payload->'camera_status'->>'camera_id', sent_at DESC, id DESC");
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = true;
  for (const auto &row : cameras) {
    wire::StateUpdate u;
    if (!google::protobuf::util::JsonStringToMessage(row[0].as<std::string>(), u.mutable_source(), parse)
             .ok()) {
      log_->warn("a stored camera status is not a message of this version; skipped");
      continue;
    }
    u.set_what("camera_status");
    u.set_key(stateKey(u.source()));
    u.set_region_code(row[1].as<std::string>());
    out.push_back(std::move(u));
  }
  tx.commit();
  return out;
}

PgIntakeStore::PgIntakeStore(std::string conninfo, StoredCallback onStored)
    : conninfo_(std::move(conninfo)), onStored_(std::move(onStored)), log_(logging::get("center")) {
  connection();
}

PgIntakeStore::~PgIntakeStore() = default;

pqxx::connection &PgIntakeStore::connection() {
  if (conn_ && conn_->is_open()) return *conn_;
  conn_.reset();
  try {
    conn_ = std::make_unique<pqxx::connection>(conninfo_);
  } catch (const std::exception &e) {
    std::string msg = e.what();
    if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    throw StorageError("cannot connect to PostgreSQL (" + redactConninfo(conninfo_) + "): " + msg);
  }
  return *conn_;
}

PgRaw &PgIntakeStore::raw() {
  if (raw_ && raw_->ok()) return *raw_;
  raw_.reset();
  try {
    auto db = std::make_unique<PgRaw>(conninfo_);
    // Readings arrive in batches: COPY them straight into `readings`; when a
    // batch holds one already stored, into this session-local staging table,
    // then over in one INSERT ... SELECT that skips the conflicts.
    db->exec(
        "CREATE TEMP TABLE IF NOT EXISTS intake_readings (sender_id text, sequence bigint, sensor_id text, "
        "quantity text, value float8, unit text, observed_at timestamptz, geom geometry(Point, 4326), "
        "region_code text) ON COMMIT DELETE ROWS");
    db->prepare("move_readings",
                "INSERT INTO readings (" + std::string(kReadingColumns) + ") SELECT " + kReadingColumns +
                    " FROM intake_readings ON CONFLICT (sender_id, sequence, observed_at) DO NOTHING "
                    "RETURNING sender_id, sequence, coalesce(region_code, '')");
    db->prepare("ins_event",
                "INSERT INTO events (sender_id, sequence, kind, sent_at, incident_id, region_code, payload) "
                "VALUES ($1, $2, $3, to_timestamp($4::double precision / 1e6), nullif($5, ''), nullif($6, "
                "''), $7::jsonb) "
                "ON CONFLICT DO NOTHING RETURNING 1");
    // The recording index: a resent segment changes nothing; a removal marks it.
    db->prepare(
        "upsert_segment",
        "INSERT INTO camera_segments (sender_id, camera_id, path, start_at, end_at, bytes, removed_at) "
        "VALUES ($1, $2, $3, to_timestamp($4::double precision / 1e6), "
        "to_timestamp($5::double precision / 1e6), $6, CASE WHEN $7 THEN now() END) "
        "ON CONFLICT (camera_id, path) DO UPDATE SET removed_at = coalesce(camera_segments.removed_at, "
        "EXCLUDED.removed_at)");
    db->prepare("upsert_watermark",
                "INSERT INTO link_watermarks (sender_id, sequence, updated_at) VALUES ($1, $2, now()) "
                "ON CONFLICT (sender_id) DO UPDATE SET sequence = greatest(link_watermarks.sequence, "
                "EXCLUDED.sequence), "
                "updated_at = now()");
    raw_ = std::move(db);
  } catch (const PgRawError &e) {
    throw StorageError("cannot connect to PostgreSQL (" + redactConninfo(conninfo_) + "): " + e.what());
  }
  return *raw_;
}

std::string PgIntakeStore::regionOf(double lon, double lat) const {
  if (lon == 0 && lat == 0) return "";
  auto it = regionCache_.find({lon, lat});
  return it == regionCache_.end() ? "" : it->second;
}

void PgIntakeStore::locate(const std::vector<link::IncomingMessage> &batch) {
  // Sensors stand still: look each new position up once, then serve it from memory.
  std::vector<std::pair<double, double>> missing;
  for (const auto &m : batch) {
    if (!m.envelope.has_reading()) continue;
    const auto &r = m.envelope.reading();
    if (r.longitude() == 0 && r.latitude() == 0) continue;
    std::pair<double, double> key{r.longitude(), r.latitude()};
    if (regionCache_.count(key)) continue;
    if (std::find(missing.begin(), missing.end(), key) == missing.end()) missing.push_back(key);
  }
  if (missing.empty()) return;  // the usual case: no round trip to the database
  if (regionCache_.size() + missing.size() > kRegionCacheMax) regionCache_.clear();
  pqxx::work tx(connection());
  // New positions are placed by the in-memory region index, loaded again
  // when the regions changed since (the layer version in map_layers).
  auto version = tx.exec1("SELECT coalesce((SELECT version FROM map_layers WHERE layer = 'regions'), 0)")[0]
                     .as<std::int64_t>();
  if (!regionIndex_ || regionIndex_->version() != version)
    regionIndex_ = std::make_unique<mapping::RegionIndex>(mapping::RegionIndex::load(tx));
  tx.commit();
  for (const auto &key : missing) regionCache_[key] = regionIndex_->resolveDepth(key.first, key.second, 3);
}

namespace {
// The first string field (by path) that contains a NUL character.
std::optional<std::string> fieldWithNul(const google::protobuf::Message &msg, const std::string &path) {
  const auto *desc = msg.GetDescriptor();
  const auto *refl = msg.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor *> fields;
  refl->ListFields(msg, &fields);
  for (const auto *f : fields) {
    std::string name = path.empty() ? f->name() : path + "." + f->name();
    if (f->type() == google::protobuf::FieldDescriptor::TYPE_BYTES) continue;  // a photo: any byte
    if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING && !f->is_repeated()) {
      if (refl->GetString(msg, f).find('\0') != std::string::npos) return name;
    } else if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE && !f->is_repeated()) {
      if (auto bad = fieldWithNul(refl->GetMessage(msg, f), name)) return bad;
    }
  }
  (void)desc;
  return std::nullopt;
}
}  // namespace

std::optional<std::string> readingFieldWithNul(const wire::Envelope &env) {
  // Readings are most of the traffic: their text fields (kReadingTextFields)
  // are checked directly instead of walking the message by reflection.
  auto nul = [](const std::string &s) { return s.find('\0') != std::string::npos; };
  const auto &r = env.reading();
  if (nul(env.distribution_id())) return "distribution_id";
  if (nul(env.sender_id())) return "sender_id";
  if (nul(env.sender_region())) return "sender_region";
  if (nul(env.incident_id())) return "incident_id";
  if (env.has_target_area() && nul(env.target_area().region_code())) return "target_area.region_code";
  if (nul(r.sensor_id())) return "reading.sensor_id";
  if (nul(r.quantity())) return "reading.quantity";
  if (nul(r.unit())) return "reading.unit";
  return std::nullopt;
}

std::optional<std::string> PgIntakeStore::validate(const link::IncomingMessage &message) {
  if (auto bad = wellFormed(message)) return bad;
  if (!gate_) return std::nullopt;
  if (auto why = gate_(message)) return "is refused: " + *why;
  return std::nullopt;
}

std::optional<std::string> PgIntakeStore::wellFormed(const link::IncomingMessage &message) {
  if (message.envelope.has_reading()) {
    if (auto field = readingFieldWithNul(message.envelope))
      return "has a NUL character in " + *field + ", which the database cannot store";
    return std::nullopt;
  }
  if (auto field = fieldWithNul(message.envelope, ""))
    return "has a NUL character in " + *field + ", which the database cannot store";
  if (message.envelope.has_recording_segment()) {
    const auto &seg = message.envelope.recording_segment();
    if (seg.camera_id().empty() || seg.path().empty()) return "is a recording segment without camera or path";
    if (seg.end_us() < seg.start_us()) return "is a recording segment that ends before it starts";
  }
  return std::nullopt;
}

std::vector<StoredItem> PgIntakeStore::copyData(const std::vector<link::IncomingMessage> &batch,
                                                BinaryCopy &copy) const {
  std::vector<StoredItem> rows;
  for (const auto &m : batch) {
    const auto &env = m.envelope;
    if (!env.has_reading()) continue;
    const auto &r = env.reading();
    copy.row(9);
    copy.text(env.sender_id());
    copy.int8(static_cast<std::int64_t>(env.sequence()));
    copy.text(r.sensor_id());
    copy.text(r.quantity());
    copy.float8(r.value());
    copy.text(r.unit());
    copy.timestamptzUnixUs(r.observed_at_us());
    if (r.longitude() != 0 || r.latitude() != 0) {
      auto ewkb = mapping::pointEwkb(r.longitude(), r.latitude());
      copy.bytes(ewkb.data(), ewkb.size());
    } else {
      copy.null();
    }
    auto code = regionOf(r.longitude(), r.latitude());
    if (code.empty())
      copy.null();
    else
      copy.text(code);
    rows.push_back({&m, std::move(code)});
  }
  return rows;
}

std::map<std::string, std::vector<std::uint64_t>> PgIntakeStore::loadSettled() {
  // Rows stored above a sender's watermark (they arrived out of order before a
  // restart): the receiver must know them, or it would offer them again.
  pqxx::work tx(connection());
  std::map<std::string, std::vector<std::uint64_t>> out;
  for (const auto &row :
       tx.exec("SELECT r.sender_id, r.sequence FROM readings r JOIN link_watermarks w "
               "ON w.sender_id = r.sender_id AND r.sequence > w.sequence "
               "UNION ALL SELECT e.sender_id, e.sequence FROM events e JOIN link_watermarks w "
               "ON w.sender_id = e.sender_id AND e.sequence > w.sequence"))
    out[row[0].as<std::string>()].push_back(row[1].as<std::uint64_t>());
  tx.commit();
  return out;
}

std::map<std::string, std::uint64_t> PgIntakeStore::loadWatermarks() {
  pqxx::work tx(connection());
  std::map<std::string, std::uint64_t> out;
  for (const auto &row : tx.exec("SELECT sender_id, sequence FROM link_watermarks"))
    out[row[0].as<std::string>()] = row[1].as<std::uint64_t>();
  tx.commit();
  writtenWatermarks_ = out;
  return out;
}

namespace {
// The `kind` column of `events`.
std::string kindOf(const wire::Envelope &env) {
  return env.has_gap() ? "gap" : stateKind(env);
}
}  // namespace

void PgIntakeStore::commit(const std::vector<link::IncomingMessage> &batch,
                           const std::map<std::string, std::uint64_t> &watermarks) {
  std::vector<StoredItem> stored;
  std::uint64_t readings = 0, events = 0;
  bool open = false;  // a transaction is open on raw_
  try {
    locate(batch);  // new positions are placed first (reads only)
    auto &db = raw();
    db.exec("BEGIN");
    open = true;
    BinaryCopy copy;
    copy.reserve(batch.size() * 128);
    auto rows = copyData(batch, copy);
    if (!rows.empty()) {
      const auto &data = copy.finish();
      static const std::string kCopyReadings =
          "COPY readings (" + std::string(kReadingColumns) + ") FROM STDIN (FORMAT binary)";
      static const std::string kCopyStaging =
          "COPY intake_readings (" + std::string(kReadingColumns) + ") FROM STDIN (FORMAT binary)";
      db.exec("SAVEPOINT copy_readings");
      bool copied = false;
      try {
        db.copyIn(kCopyReadings, data);
        db.exec("RELEASE SAVEPOINT copy_readings");
        copied = true;
      } catch (const PgRawError &e) {
        // Some reading is already stored (a redelivery the receiver could not
        // tell): stage the batch and skip the conflicts row by row.
        if (!e.uniqueViolation()) throw;
        db.exec("ROLLBACK TO SAVEPOINT copy_readings");
      }
      if (copied) {
        readings += rows.size();
        stored.insert(stored.end(), std::make_move_iterator(rows.begin()),
                      std::make_move_iterator(rows.end()));
      } else {
        std::map<std::pair<std::string, std::int64_t>, const link::IncomingMessage *> byKey;
        for (const auto &row : rows)
          byKey[{row.message->envelope.sender_id(),
                 static_cast<std::int64_t>(row.message->envelope.sequence())}] = row.message;
        db.copyIn(kCopyStaging, data);
        auto moved = db.execPrepared("move_readings", {});
        for (int i = 0; i < PQntuples(moved.get()); ++i) {
          auto it = byKey.find({PQgetvalue(moved.get(), i, 0), std::stoll(PQgetvalue(moved.get(), i, 1))});
          if (it == byKey.end()) continue;
          ++readings;
          stored.push_back({it->second, PQgetvalue(moved.get(), i, 2)});
        }
      }
    }
    for (const auto &m : batch) {
      const auto &env = m.envelope;
      if (env.has_reading()) continue;
      std::string json;
      google::protobuf::util::JsonPrintOptions opts;
      opts.preserve_proto_field_names = true;
      if (!google::protobuf::util::MessageToJsonString(env, &json, opts).ok())
        throw ProtocolError("cannot render message " + env.distribution_id() + " as JSON");
      auto res = db.execPrepared("ins_event", {env.sender_id(), std::to_string(env.sequence()), kindOf(env),
                                               std::to_string(env.sent_at_us()), env.incident_id(),
                                               env.target_area().region_code(), std::move(json)});
      bool inserted = PQntuples(res.get()) > 0;
      if (inserted && env.has_recording_segment()) {
        const auto &seg = env.recording_segment();
        db.execPrepared("upsert_segment",
                        {env.sender_id(), seg.camera_id(), seg.path(), std::to_string(seg.start_us()),
                         std::to_string(seg.end_us()), std::to_string(seg.bytes()),
                         std::string(seg.removed() ? "true" : "false")});
      }
      if (inserted) {
        ++events;
        stored.push_back({&m, env.target_area().region_code()});
      }
    }
    for (const auto &[sender, seq] : watermarks) {
      auto it = writtenWatermarks_.find(sender);
      if (it != writtenWatermarks_.end() && it->second == seq) continue;
      db.execPrepared("upsert_watermark", {sender, std::to_string(seq)});
    }
    open = false;  // COMMIT ends the transaction whatever it answers
    db.exec("COMMIT");
  } catch (const PgRawError &e) {
    abandon(open, e.connectionLost());
    if (e.connectionLost()) throw StorageError(std::string("database connection lost: ") + e.what());
    throw StorageError(std::string("database error: ") + e.what());
  } catch (const pqxx::broken_connection &e) {
    abandon(open, false);
    conn_.reset();
    throw StorageError(std::string("database connection lost: ") + e.what());
  } catch (const pqxx::sql_error &e) {
    abandon(open, false);
    std::string msg = e.what();
    if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    throw StorageError("database error: " + msg);
  } catch (const std::exception &) {
    abandon(open, false);
    throw;
  }
  for (const auto &[sender, seq] : watermarks) writtenWatermarks_[sender] = seq;
  readings_ += readings;
  events_ += events;
  lastStored_ = std::move(stored);
}

void PgIntakeStore::abandon(bool open, bool lost) {
  // Rolls back what a failed commit left open; a connection that cannot is dropped.
  if (lost || !raw_) {
    raw_.reset();
    return;
  }
  if (!open) return;
  try {
    raw_->exec("ROLLBACK");
  } catch (const PgRawError &e) {
    log_->warn("intake: rollback after a failed batch failed ({}); reconnecting", e.what());
    raw_.reset();
  }
}

void PgIntakeStore::afterCommit(const std::vector<link::IncomingMessage> &) {
  if (onStored_)
    for (const auto &item : lastStored_) onStored_(item);
  lastStored_.clear();
}

void PgIntakeStore::storeOwn(const wire::Envelope &env, const std::string &regionCode) {
  std::string json;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(env, &json, opts).ok())
    throw ProtocolError("cannot render the centre's own message as JSON");
  try {
    if (!peerConn_ || !peerConn_->is_open()) peerConn_ = std::make_unique<pqxx::connection>(conninfo_);
    pqxx::work tx(*peerConn_);
    tx.exec_params(
        "INSERT INTO events (sender_id, sequence, kind, sent_at, incident_id, region_code, payload) "
        "VALUES ($1, 0, $2, to_timestamp($3::double precision / 1e6), nullif($4, ''), nullif($5, ''), "
        "$6::jsonb)",
        env.sender_id(), kindOf(env), static_cast<double>(env.sent_at_us()), env.incident_id(), regionCode,
        json);
    tx.commit();
    ++events_;
  } catch (const std::exception &) {
    peerConn_.reset();
    throw;
  }
}

void PgIntakeStore::setPeerState(const std::string &peerId, const std::string &state) {
  // Called on the receiver's thread while a commit may be running on the
  // committer's: use a connection of its own.
  try {
    if (!peerConn_ || !peerConn_->is_open()) peerConn_ = std::make_unique<pqxx::connection>(conninfo_);
    pqxx::work tx(*peerConn_);
    tx.exec_params(
        "INSERT INTO link_peers (peer_id, state, changed_at) VALUES ($1, $2, now()) "
        "ON CONFLICT (peer_id) DO UPDATE SET state = EXCLUDED.state, changed_at = now()",
        peerId, state);
    tx.commit();
  } catch (const std::exception &e) {
    peerConn_.reset();
    log_->warn("cannot record peer {} as {}: {}", peerId, state, e.what());
  }
}

}  // namespace liandong::server
