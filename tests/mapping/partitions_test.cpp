// Tests of the time partitions of readings and events against a real
// PostgreSQL: created ahead, rows of a missing day kept in the DEFAULT
// partition and moved when the day is created, retention drops old days and
// only them, duplicates still refused across the partitioned key.
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "liandong/core/errors.h"
#include "liandong/mapping/migrations.h"
#include "liandong/mapping/partitions.h"
#include "pg_fixture.h"

using namespace liandong;
using namespace liandong::mapping;
using liandong::testing::PgEnvironment;

namespace {
long count(pqxx::connection &c, const std::string &sql) {
  pqxx::work tx(c);
  return tx.exec1(sql)[0].as<long>();
}
void insertReading(pqxx::connection &c, long seq, const std::string &at) {
  pqxx::work tx(c);
  tx.exec_params(
      "INSERT INTO readings (sender_id, sequence, sensor_id, quantity, value, unit, observed_at) "
      "VALUES ('node', $1, 's1', 'water_level', 1.5, 'm', $2::timestamptz)",
      seq, at);
  tx.commit();
}
bool contains(const std::vector<std::string> &v, const std::string &s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}
}  // namespace

TEST(Partitions, CreatedAheadAndOldOnesDroppedByRetention) {
  pqxx::connection c(PgEnvironment::freshDatabase("part1"));
  MigrationRunner(c).migrate();
  setPartitionPolicy(c, {"readings", 30, 5});
  setPartitionPolicy(c, {"events", std::nullopt, 3});
  auto r = maintainPartitions(c, std::string("2030-01-10"));
  // Yesterday .. today + ahead: 2030-01-09 .. 2030-01-15 for readings.
  EXPECT_TRUE(contains(r.created, "readings_20300109"));
  EXPECT_TRUE(contains(r.created, "readings_20300115"));
  EXPECT_FALSE(contains(r.created, "readings_20300116"));
  EXPECT_TRUE(contains(r.created, "events_20300113"));
  EXPECT_FALSE(contains(r.created, "events_20300114"));
  // A second run the same day has nothing to do.
  auto again = maintainPartitions(c, std::string("2030-01-10"));
  EXPECT_TRUE(again.created.empty());
  EXPECT_TRUE(again.dropped.empty());

  insertReading(c, 1, "2030-01-09T12:00:00Z");
  insertReading(c, 2, "2030-01-12T12:00:00Z");
  EXPECT_EQ(count(c, "SELECT count(*) FROM readings_20300109"), 1);
  // 31 days later the 9th is past retention (30 days), the 12th is not.
  auto later = maintainPartitions(c, std::string("2030-02-10"));
  EXPECT_TRUE(contains(later.dropped, "readings_20300109"));
  EXPECT_FALSE(contains(later.dropped, "readings_20300112"));
  EXPECT_TRUE(later.dropped.end() ==
              std::find_if(later.dropped.begin(), later.dropped.end(),
                           [](const std::string &s) { return s.rfind("events_", 0) == 0; }))
      << "events keep everything";
  EXPECT_EQ(count(c, "SELECT count(*) FROM readings WHERE sequence = 1"), 0);
  EXPECT_EQ(count(c, "SELECT count(*) FROM readings WHERE sequence = 2"), 1);
  auto parts = dayPartitions(c, "readings");
  ASSERT_FALSE(parts.empty());
  EXPECT_EQ(parts.front(), "readings_20300111");  // 2030-02-10 - 30 days
}

TEST(Partitions, RowsOfAMissingDayWaitInTheDefaultPartitionAndMoveWhenTheDayIsCreated) {
  pqxx::connection c(PgEnvironment::freshDatabase("part2"));
  MigrationRunner(c).migrate();
  insertReading(c, 7, "2031-05-05T03:00:00Z");  // no partition for that day yet
  EXPECT_EQ(count(c, "SELECT count(*) FROM readings_default"), 1);
  auto r = maintainPartitions(c, std::string("2031-05-04"));
  EXPECT_TRUE(contains(r.created, "readings_20310505"));
  EXPECT_EQ(count(c, "SELECT count(*) FROM readings_default"), 0);
  EXPECT_EQ(count(c, "SELECT count(*) FROM readings_20310505 WHERE sequence = 7"), 1);
}

TEST(Partitions, ARedeliveredReadingIsStillADuplicate) {
  pqxx::connection c(PgEnvironment::freshDatabase("part3"));
  MigrationRunner(c).migrate();
  maintainPartitions(c);
  pqxx::work tx(c);
  tx.exec(
      "INSERT INTO readings (sender_id, sequence, sensor_id, quantity, value, unit, observed_at) "
      "VALUES ('n', 1, 's', 'q', 1, 'm', now())");
  tx.commit();
  pqxx::work tx2(c);
  auto res = tx2.exec(
      "INSERT INTO readings (sender_id, sequence, sensor_id, quantity, value, unit, observed_at) "
      "SELECT sender_id, sequence, sensor_id, quantity, value, unit, observed_at FROM readings "
      "ON CONFLICT (sender_id, sequence, observed_at) DO NOTHING RETURNING 1");
  EXPECT_EQ(res.size(), 0u);
}

TEST(Partitions, BadPolicyIsRefusedWithTheReason) {
  pqxx::connection c(PgEnvironment::freshDatabase("part4"));
  MigrationRunner(c).migrate();
  EXPECT_THROW(setPartitionPolicy(c, {"cameras", 3, 3}), Error);
  try {
    setPartitionPolicy(c, {"readings", 0, 3});
    FAIL();
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("retention_days"), std::string::npos);
  }
}
