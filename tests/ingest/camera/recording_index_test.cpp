// The recording index end to end below the link: a camera of the real
// simulator recorded by a CameraHub, dropped for a few seconds and restored;
// the RecordingSegment messages the node would send are committed by the
// centre's real intake store into a throwaway PostgreSQL, and
// camera_recording_gaps() shows exactly one gap — the outage — over the
// recorded time. (The link itself is tested in tests/core and
// tests/command-center.)
#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "camera_sim_fixture.h"
#include "liandong/core/logging.h"
#include "liandong/ingest/camera/camera_hub.h"
#include "liandong/mapping/migrations.h"
#include "liandong/server/pg_intake_store.h"
#include "pg_fixture.h"
#include "process.h"

using namespace liandong;
using namespace liandong::ingest;
using liandong::testing::PgEnvironment;
using liandong::testing::Simulator;
using liandong::testing::TempDir;
using liandong::testing::waitUntil;

// Under ASan+UBSan: GLib's quark tables, dropped by design as GStreamer
// outgrows them, are not ours to fix (as in camera_test.cpp). The
// environment's ASAN_OPTIONS and LSAN_OPTIONS still win.
extern "C" __attribute__((used, visibility("default"))) const char *__asan_default_options() {
  return "fast_unwind_on_malloc=0";
}
extern "C" __attribute__((used, visibility("default"))) const char *__lsan_default_suppressions() {
  return "leak:_dl_init\nleak:g_intern_string\nleak:g_quark_from_string\nleak:g_quark_from_static_string\n";
}

TEST(RecordingIndex, AnOutageIsAGapInTheIndex) {
  Simulator sim(1);
  TempDir rec;
  auto o = liandong::testing::recordedCamera("gate", sim.url(1), rec.path, 2);
  o.stallAfterS = 2;
  o.offlineAfterS = 8;
  o.reconnectMinS = 0.2;
  o.reconnectMaxS = 0.5;
  o.pictureCheckS = 0;
  std::vector<wire::RecordingSegment> segs;
  {
    CameraHub hub(o);
    auto collect = [&] {
      for (auto &s : hub.takeSegments()) segs.push_back(std::move(s));
      return segs.size();
    };
    ASSERT_TRUE(waitUntil([&] { return collect() >= 2; }, 30000)) << sim.output();
    sim.send("drop 1");
    ASSERT_TRUE(waitUntil([&] { return hub.status("gate")->state() == wire::CAMERA_OFFLINE; }, 20000));
    std::this_thread::sleep_for(std::chrono::seconds(3));
    sim.send("restore 1");
    ASSERT_TRUE(waitUntil([&] { return hub.status("gate")->state() == wire::CAMERA_LIVE; }, 30000));
    auto n = collect();
    ASSERT_TRUE(waitUntil([&] { return collect() > n; }, 30000));
    hub.closeRecordings();
    collect();
  }

  // The node's messages, as the intake receives them (each one twice: resends are harmless).
  auto db = PgEnvironment::freshDatabase("recindex");
  {
    pqxx::connection conn(db);
    mapping::MigrationRunner(conn).migrate();
  }
  server::PgIntakeStore store(db, {});
  std::vector<link::IncomingMessage> batch;
  std::uint64_t seq = 0;
  for (int pass = 0; pass < 2; ++pass)
    for (const auto &s : segs) {
      link::IncomingMessage m;
      m.peerId = "node";
      m.envelope.set_sender_id("node");
      m.envelope.set_sequence(++seq);
      *m.envelope.mutable_recording_segment() = s;
      ASSERT_FALSE(store.validate(m).has_value());
      batch.push_back(std::move(m));
    }
  store.commit(batch, {{"node", seq}});

  pqxx::connection conn(db);
  pqxx::work tx(conn);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM camera_segments WHERE camera_id = 'gate'")[0].as<std::size_t>(),
            segs.size());
  auto t0 = std::min_element(segs.begin(), segs.end(), [](auto &a, auto &b) {
              return a.start_us() < b.start_us();
            })->start_us();
  auto t1 = std::max_element(segs.begin(), segs.end(), [](auto &a, auto &b) {
              return a.end_us() < b.end_us();
            })->end_us();
  auto gaps = tx.exec_params(
      "SELECT (extract(epoch FROM gap_end - gap_start) * 1e6)::bigint FROM camera_recording_gaps('gate', "
      "to_timestamp($1::double precision / 1e6), to_timestamp($2::double precision / 1e6))",
      static_cast<double>(t0), static_cast<double>(t1));
  ASSERT_EQ(gaps.size(), 1u) << "one gap: the outage, none at the splits";
  EXPECT_GE(gaps[0][0].as<std::int64_t>(), 3'000'000) << "at least the 3 s the camera was away";
  EXPECT_LT(gaps[0][0].as<std::int64_t>(), 60'000'000);
}

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new PgEnvironment);
  liandong::logging::setup("warn", "test");
  return RUN_ALL_TESTS();
}
