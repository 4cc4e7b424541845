// Tests of the PostgreSQL intake store: readings go in by COPY, a batch that
// repeats stored rows falls back to the conflict-skipping path and stores
// nothing twice, positions are located in their county, and the watermark is
// written in the same transaction; recording segments are indexed once
// (resends harmless) and their gaps listed by camera_recording_gaps().
#include <algorithm>

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "liandong/core/logging.h"
#include "liandong/mapping/migrations.h"
#include "liandong/mapping/regions.h"
#include "liandong/server/pg_intake_store.h"
#include "pg_fixture.h"

using namespace liandong;
using liandong::testing::PgEnvironment;

namespace {
link::IncomingMessage reading(std::uint64_t seq, double lon = 113.365, double lat = 22.945) {
  link::IncomingMessage m;
  m.peerId = "node";
  m.envelope.set_sender_id("node");
  m.envelope.set_sequence(seq);
  auto *r = m.envelope.mutable_reading();
  r->set_sensor_id("g1");
  r->set_quantity("water_level");
  r->set_value(static_cast<double>(seq));
  r->set_unit("m");
  r->set_observed_at_us(1'763'800'000'000'000 + static_cast<std::int64_t>(seq));
  r->set_longitude(lon);
  r->set_latitude(lat);
  return m;
}

// A finished recording segment of camera "gate" from t0 + a s to t0 + b s.
constexpr std::int64_t kT0 = 1'763'800'000'000'000;
link::IncomingMessage segment(std::uint64_t seq, int a, int b, bool removed = false) {
  link::IncomingMessage m;
  m.peerId = "node";
  m.envelope.set_sender_id("node");
  m.envelope.set_sequence(seq);
  m.envelope.set_kind(wire::KIND_UPDATE);
  auto *s = m.envelope.mutable_recording_segment();
  s->set_camera_id("gate");
  s->set_start_us(kT0 + a * 1'000'000LL);
  s->set_end_us(kT0 + b * 1'000'000LL);
  s->set_path("/rec/gate/" + std::to_string(kT0 + a * 1'000'000LL) + ".mp4");
  s->set_bytes(1000);
  s->set_removed(removed);
  return m;
}

long scalar(const std::string &db, const std::string &sql) {
  pqxx::connection c(db);
  pqxx::work tx(c);
  return tx.exec1(sql)[0].as<long>();
}

std::string preparedDatabase(const std::string &name) {
  auto db = PgEnvironment::freshDatabase(name);
  pqxx::connection c(db);
  mapping::MigrationRunner(c).migrate();
  mapping::importRegionsGeoJson(c,
                                liandong::testing::sourceDir() + "/configs/data/geo/province-440000.geojson");
  mapping::importRegionsGeoJson(c,
                                liandong::testing::sourceDir() + "/configs/data/geo/cities-440000.geojson");
  mapping::importRegionsGeoJson(c,
                                liandong::testing::sourceDir() + "/configs/data/geo/counties-440100.geojson");
  return db;
}
}  // namespace

TEST(IntakeStore, CopiesLocatesAndRecordsTheWatermark) {
  auto db = preparedDatabase("store1");
  std::vector<std::string> regions;
  server::PgIntakeStore store(db, [&](const server::StoredItem &i) { regions.push_back(i.regionCode); });
  std::vector<link::IncomingMessage> batch{reading(1), reading(2), reading(3, 0, 0), reading(4, 116.4, 39.9)};
  store.commit(batch, {{"node", 4}});
  store.afterCommit(batch);
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM readings"), 4);
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM readings WHERE region_code = '440113'"), 2);
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM readings WHERE geom IS NULL"), 1) << "0/0 means no position";
  EXPECT_EQ(scalar(db,
                   "SELECT count(*) FROM readings WHERE ST_SRID(geom) = 4326 AND ST_X(geom) = 116.4 AND "
                   "ST_Y(geom) = 39.9 AND sequence = 4"),
            1)
      << "the position arrives bit for bit (EWKB)";
  // Every column of the binary COPY, exactly: text, bigint, float8, timestamptz to the microsecond.
  EXPECT_EQ(scalar(db,
                   "SELECT count(*) FROM readings WHERE sender_id = 'node' AND sensor_id = 'g1' AND "
                   "quantity = 'water_level' AND unit = 'm' AND value = sequence::float8 AND "
                   "(extract(epoch FROM observed_at) * 1000000)::bigint = 1763800000000000 + sequence"),
            4);
  EXPECT_EQ(scalar(db, "SELECT sequence FROM link_watermarks WHERE sender_id = 'node'"), 4);
  ASSERT_EQ(regions.size(), 4u);
  EXPECT_EQ(regions[0], "440113");
  EXPECT_EQ(regions[3], "") << "Beijing is outside the regions held";
  EXPECT_EQ(store.loadWatermarks().at("node"), 4u);
}

TEST(IntakeStore, RedeliveredRowsAreSkippedNotDoubled) {
  auto db = preparedDatabase("store2");
  int callbacks = 0;
  server::PgIntakeStore store(db, [&](const server::StoredItem &) { ++callbacks; });
  std::vector<link::IncomingMessage> first{reading(1), reading(2)};
  store.commit(first, {{"node", 2}});
  store.afterCommit(first);
  // A batch repeating 2 with a new 3 (as after a restart that lost track of 2).
  std::vector<link::IncomingMessage> second{reading(2), reading(3)};
  store.commit(second, {{"node", 3}});
  store.afterCommit(second);
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM readings"), 3);
  EXPECT_EQ(callbacks, 3) << "only newly stored rows are announced";
  EXPECT_EQ(store.readingsStored(), 3u);
}

TEST(IntakeStore, RowsAboveTheWatermarkAreReportedAsSettled) {
  auto db = preparedDatabase("store3");
  server::PgIntakeStore store(db, {});
  std::vector<link::IncomingMessage> batch{reading(1), reading(5)};  // 5 arrived early
  store.commit(batch, {{"node", 1}});
  auto settled = store.loadSettled();
  ASSERT_EQ(settled["node"].size(), 1u);
  EXPECT_EQ(settled["node"][0], 5u);
}

TEST(IntakeStore, NulCharactersAreRefusedBeforeBatching) {
  auto db = preparedDatabase("store5");
  server::PgIntakeStore store(db, {});
  auto bad = reading(1);
  bad.envelope.mutable_reading()->set_sensor_id(std::string("g\0x", 3));
  auto reason = store.validate(bad);
  ASSERT_TRUE(reason.has_value());
  EXPECT_NE(reason->find("reading.sensor_id"), std::string::npos) << *reason;
  EXPECT_FALSE(store.validate(reading(2)).has_value());
}

// The fast NUL check of readings covers every text field a reading envelope
// can carry: a field added to the schema without it fails here.
TEST(IntakeStore, ReadingNulCheckCoversEveryTextField) {
  std::vector<std::string> schema;
  auto strings = [&](const google::protobuf::Descriptor *d, const std::string &prefix, bool skipOneof) {
    for (int i = 0; i < d->field_count(); ++i) {
      const auto *f = d->field(i);
      if (skipOneof && f->containing_oneof()) continue;
      if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING)
        schema.push_back(prefix + f->name());
    }
  };
  strings(wire::Envelope::descriptor(), "", true);
  strings(wire::TargetArea::descriptor(), "target_area.", false);
  strings(wire::Reading::descriptor(), "reading.", false);
  for (int i = 0; i < wire::Envelope::descriptor()->field_count(); ++i) {
    const auto *f = wire::Envelope::descriptor()->field(i);
    if (!f->containing_oneof() && f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      EXPECT_EQ(f->name(), "target_area") << "a new message field outside the body needs checking too";
    }
  }
  std::sort(schema.begin(), schema.end());
  auto listed = server::kReadingTextFields;
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(schema, listed);
  for (const auto &field : server::kReadingTextFields) {
    auto m = reading(1);
    std::string bad("a\0b", 3);
    auto &env = m.envelope;
    if (field == "distribution_id") env.set_distribution_id(bad);
    if (field == "sender_id") env.set_sender_id(bad);
    if (field == "sender_region") env.set_sender_region(bad);
    if (field == "incident_id") env.set_incident_id(bad);
    if (field == "target_area.region_code") env.mutable_target_area()->set_region_code(bad);
    if (field == "reading.sensor_id") env.mutable_reading()->set_sensor_id(bad);
    if (field == "reading.quantity") env.mutable_reading()->set_quantity(bad);
    if (field == "reading.unit") env.mutable_reading()->set_unit(bad);
    EXPECT_EQ(server::readingFieldWithNul(env).value_or("(none)"), field);
  }
  EXPECT_FALSE(server::readingFieldWithNul(reading(2).envelope));
}

TEST(IntakeStore, FailedCommitWritesNothing) {
  auto db = preparedDatabase("store4");
  server::PgIntakeStore store(db, {});
  auto bad = reading(1);
  bad.envelope.mutable_reading()->set_quantity(std::string("\0x", 2));  // PostgreSQL text cannot hold NUL
  std::vector<link::IncomingMessage> batch{reading(2), bad};
  EXPECT_THROW(store.commit(batch, {{"node", 2}}), std::exception);
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM readings"), 0);
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM link_watermarks"), 0);
}

TEST(IntakeStore, RecordingSegmentsAreIndexedWithTheirGaps) {
  auto db = preparedDatabase("store6");
  server::PgIntakeStore store(db, {});
  // 0-60 and 60-120 s (continuous within a tolerance), an outage, 150-210 s.
  std::vector<link::IncomingMessage> batch{segment(1, 0, 60), segment(2, 60, 120), segment(3, 150, 210)};
  store.commit(batch, {{"node", 3}});
  // The node announces a segment again (e.g. after a restart): harmless.
  std::vector<link::IncomingMessage> again{segment(4, 60, 120)};
  store.commit(again, {{"node", 4}});
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM camera_segments"), 3);
  EXPECT_EQ(scalar(db, "SELECT sum(bytes) FROM camera_segments WHERE camera_id = 'gate'"), 3000);
  auto gaps = [&](int from, int to) {
    pqxx::connection c(db);
    pqxx::work tx(c);
    std::vector<std::pair<long, long>> out;
    for (const auto &row : tx.exec_params(
             "SELECT (extract(epoch FROM gap_start) * 1e6)::bigint - $2, (extract(epoch FROM gap_end) * "
             "1e6)::bigint "
             "- $2 FROM camera_recording_gaps('gate', to_timestamp($1::double precision / 1e6), "
             "to_timestamp($3::double precision / 1e6))",
             static_cast<double>(kT0 + from * 1'000'000LL), kT0, static_cast<double>(kT0 + to * 1'000'000LL)))
      out.emplace_back(row[0].as<long>() / 1'000'000, row[1].as<long>() / 1'000'000);
    return out;
  };
  using Gaps = std::vector<std::pair<long, long>>;
  EXPECT_EQ(gaps(10, 200), (Gaps{{120, 150}})) << "the outage, and nothing at the split at 60 s";
  EXPECT_EQ(gaps(-30, 240), (Gaps{{-30, 0}, {120, 150}, {210, 240}}));
  EXPECT_EQ(gaps(20, 50), Gaps{});
  // Retention deleted the first file on the node: its time is a gap now.
  std::vector<link::IncomingMessage> removed{segment(5, 0, 60, true)};
  store.commit(removed, {{"node", 5}});
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM camera_segments WHERE removed_at IS NOT NULL"), 1);
  EXPECT_EQ(gaps(10, 200), (Gaps{{10, 60}, {120, 150}}));
  // A segment that ends before it starts is refused on its own.
  auto bad = segment(6, 10, 5);
  ASSERT_TRUE(store.validate(bad).has_value());
  EXPECT_FALSE(store.validate(segment(7, 5, 10)).has_value());
}

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new PgEnvironment);
  liandong::logging::setup("off", "test");
  return RUN_ALL_TESTS();
}
