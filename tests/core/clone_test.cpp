// Tests of the Clone-pattern fan-out: a console gets a snapshot, then every
// update in order, and resynchronises when the centre restarts.
#include <thread>

#include <gtest/gtest.h>

#include "liandong/core/clock.h"
#include "liandong/core/link/clone.h"
#include "liandong/core/link/security.h"
#include "liandong/core/region_code.h"
#include "process.h"

using namespace liandong;
using namespace liandong::link;

namespace {
wire::StateUpdate item(const std::string &key, double value, const std::string &region = "440113") {
  wire::StateUpdate u;
  u.set_what("reading");
  u.set_key(key);
  u.set_region_code(region);
  u.mutable_source()->mutable_reading()->set_value(value);
  return u;
}

using liandong::testing::waitUntil;

class CloneTest : public ::testing::Test {
protected:
  void SetUp() override {
    updates_ = liandong::testing::freeTcpPort();
    snapshots_ = liandong::testing::freeTcpPort();
    server_ = generateCurveKeyPair("centre");
    console_ = generateCurveKeyPair("console-1");
  }
  CloneServerOptions serverOptions() {
    CloneServerOptions o;
    o.id = "centre";
    o.updatesEndpoint = "tcp://127.0.0.1:" + std::to_string(updates_);
    o.snapshotEndpoint = "tcp://127.0.0.1:" + std::to_string(snapshots_);
    o.keys = server_;
    o.heartbeatIntervalMs = 100;
    return o;
  }
  std::unique_ptr<CloneServer> makeServer(zmq::context_t &ctx) {
    return std::make_unique<CloneServer>(ctx, serverOptions());
  }
  CloneClientOptions clientOptions() {
    CloneClientOptions o;
    o.updatesEndpoint = "tcp://127.0.0.1:" + std::to_string(updates_);
    o.snapshotEndpoint = "tcp://127.0.0.1:" + std::to_string(snapshots_);
    o.serverPublicZ85 = server_.publicZ85;
    o.keys = console_;
    o.silenceMs = 600;
    o.snapshotTimeoutMs = 1000;
    return o;
  }
  // Serves the server until `cond` holds.
  bool serveUntil(CloneServer &s, const std::function<bool()> &cond, int ms = 10000) {
    auto end = steadyMs() + ms;
    while (steadyMs() < end) {
      s.poll(10);
      if (cond()) return true;
    }
    return false;
  }
  int updates_ = 0, snapshots_ = 0;
  CurveKeyPair server_, console_;
};
}  // namespace

TEST_F(CloneTest, SnapshotThenOrderedUpdates) {
  zmq::context_t sctx(1), cctx(1);
  ZapAuthenticator zap(sctx, {{console_.publicZ85, console_.id}});
  auto server = makeServer(sctx);
  server->publish(item("reading/a", 1));
  server->publish(item("reading/b", 2));
  std::atomic<int> snapshots{0};
  std::vector<double> seen;
  std::mutex m;
  CloneClient::Callbacks cb;
  cb.onSnapshot = [&](const auto &) { ++snapshots; };
  cb.onUpdate = [&](const wire::StateUpdate &u) {
    std::lock_guard lock(m);
    seen.push_back(u.source().reading().value());
  };
  auto quiet = clientOptions();
  quiet.silenceMs = 5000;  // no resync from a slow test machine's pauses: only a real gap counts here
  CloneClient client(cctx, quiet, cb);
  ASSERT_TRUE(serveUntil(*server, [&] { return snapshots > 0; }));
  EXPECT_EQ(client.state().size(), 2u);
  EXPECT_EQ(client.state().at("reading/b").source().reading().value(), 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the subscription settle
  for (int i = 0; i < 100; ++i) server->publish(item("reading/a", 10 + i));
  auto removed = item("reading/b", 0);
  removed.set_removed(true);
  server->publish(removed);
  ASSERT_TRUE(serveUntil(*server, [&] { return client.state().count("reading/b") == 0; }))
      << client.lastSequence() << " of " << server->updateSequence();
  EXPECT_EQ(client.lastSequence(), 101u) << "the viewer's own sequence: every update it was sent";
  EXPECT_EQ(client.resyncs(), 0u);
  auto state = client.state();
  EXPECT_EQ(state.size(), 1u);
  EXPECT_EQ(state.at("reading/a").source().reading().value(), 109);
  std::lock_guard lock(m);
  for (std::size_t i = 1; i < seen.size(); ++i) {
    if (seen[i] != 0) {
      EXPECT_LT(seen[i - 1], seen[i]) << "updates arrive in order";
    }
  }
}

TEST_F(CloneTest, CentreRestartTriggersResync) {
  zmq::context_t sctx(1), cctx(1);
  auto zap = std::make_unique<ZapAuthenticator>(
      sctx, std::map<std::string, std::string>{{console_.publicZ85, console_.id}});
  auto server = makeServer(sctx);
  server->publish(item("reading/a", 1));
  std::atomic<bool> up{false};
  CloneClient::Callbacks cb;
  cb.onLink = [&](bool u) { up = u; };
  CloneClient client(cctx, clientOptions(), cb);
  ASSERT_TRUE(serveUntil(*server, [&] { return client.state().size() == 1; }));
  auto before = client.resyncs();
  server.reset();  // the centre goes away...
  EXPECT_TRUE(waitUntil([&] { return !client.linkUp(); }, 5000)) << "silence is noticed";
  EXPECT_FALSE(up.load());
  server = makeServer(sctx);  // ...and comes back with different state
  server->publish(item("reading/x", 5));
  server->publish(item("reading/y", 6));
  ASSERT_TRUE(serveUntil(*server, [&] { return client.state().count("reading/y") == 1; }));
  EXPECT_EQ(client.state().count("reading/a"), 0u) << "the old state is replaced, not merged";
  EXPECT_GT(client.resyncs(), before);
  EXPECT_TRUE(client.linkUp());
}

TEST_F(CloneTest, RegionFilterLimitsTheSnapshot) {
  zmq::context_t sctx(1), cctx(1);
  ZapAuthenticator zap(sctx, {{console_.publicZ85, console_.id}});
  auto server = makeServer(sctx);
  server->publish(item("reading/panyu", 1, "440113"));
  server->publish(item("reading/tianhe", 2, "440106"));
  auto o = clientOptions();
  o.regionFilter = "440113";
  CloneClient client(cctx, o, {});
  ASSERT_TRUE(serveUntil(*server, [&] { return client.linkUp(); }));
  auto state = client.state();
  EXPECT_EQ(state.count("reading/panyu"), 1u);
  EXPECT_EQ(state.count("reading/tianhe"), 0u);
}

TEST(RegionCode, ContainmentFollowsTheTiersNotTheTrailingZeros) {
  EXPECT_TRUE(regionCovers("440000", "440113007"));
  EXPECT_TRUE(regionCovers("440100", "440113"));
  EXPECT_TRUE(regionCovers("440113", "440113007"));
  EXPECT_TRUE(regionCovers("440113007", "440113007"));
  EXPECT_FALSE(regionCovers("440113007", "440113"));
  EXPECT_FALSE(regionCovers("440110", "440115")) << "a county is not a prefix of its neighbours";
  EXPECT_FALSE(regionCovers("440113100", "440113101"));
  EXPECT_FALSE(regionCovers("440100", "440200"));
  EXPECT_FALSE(regionCovers("", "440113"));
  EXPECT_FALSE(regionCovers("44x113", "440113"));
  EXPECT_EQ(regionPath("440113007"), (std::vector<std::string>{"440000", "440100", "440113", "440113007"}));
  EXPECT_EQ(regionPath("441900003"), (std::vector<std::string>{"440000", "441900", "441900003"}));
  EXPECT_EQ(regionPath("440000"), (std::vector<std::string>{"440000"}));
  EXPECT_TRUE(regionPath("4401").empty());
}

// Two consoles with different jurisdictions: each gets only what it may see,
// and its own sequence has no holes for what it may not (no resyncs).
TEST_F(CloneTest, EachViewerGetsOnlyItsJurisdictionWithoutGaps) {
  zmq::context_t sctx(1), cctx(1);
  auto town = generateCurveKeyPair("console-town");
  ZapAuthenticator zap(sctx, {{console_.publicZ85, console_.id}, {town.publicZ85, town.id}});
  auto o = serverOptions();
  std::vector<std::string> asked;
  o.admit = [&](const std::string &keyId, const wire::SnapshotRequest &r) {
    asked.push_back(keyId + ":" + r.session());
    CloneAccess a;
    a.who = keyId;
    if (keyId == "console-town")
      a.sees = [](const wire::StateUpdate &u) {
        return u.region_path_size() > 0 && regionCovers("440113007", u.region_path(u.region_path_size() - 1));
      };
    return a;
  };
  CloneServer server(sctx, o);
  auto placed = [](const std::string &key, double v, const std::string &code) {
    auto u = item(key, v, code.substr(0, 6));
    for (auto &c : regionPath(code)) u.add_region_path(c);
    return u;
  };
  server.publish(placed("reading/shiqiao", 1, "440113007"));
  server.publish(placed("reading/shawan", 2, "440113008"));
  auto allOptions = clientOptions();
  allOptions.silenceMs = 5000;  // as above: only a real gap may cause a resync here
  auto townOptions = allOptions;
  townOptions.keys = town;
  townOptions.session = "token-of-wang";
  CloneClient all(cctx, allOptions, {});
  CloneClient mine(cctx, townOptions, {});
  ASSERT_TRUE(serveUntil(server, [&] { return all.linkUp() && mine.linkUp(); }));
  EXPECT_EQ(all.state().size(), 2u);
  ASSERT_EQ(mine.state().size(), 1u);
  EXPECT_EQ(mine.state().count("reading/shiqiao"), 1u);
  EXPECT_NE(std::find(asked.begin(), asked.end(), "console-town:token-of-wang"), asked.end())
      << "the session reaches the admit decision";
  EXPECT_NE(all.viewer(), mine.viewer());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the subscriptions settle
  for (int i = 0; i < 50; ++i) {
    server.publish(placed("reading/shawan", 10 + i, "440113008"));
    server.publish(placed("reading/shiqiao", 10 + i, "440113007"));
    server.publish(placed("reading/tianhe", 10 + i, "440106"));
  }
  ASSERT_TRUE(serveUntil(server, [&] {
    auto a = all.state(), m = mine.state();
    return a.count("reading/tianhe") && a.at("reading/tianhe").source().reading().value() == 59 &&
           m.at("reading/shiqiao").source().reading().value() == 59;
  }));
  serveUntil(
      server, [] { return false; }, 400);  // heartbeats pass: no gap is claimed
  EXPECT_EQ(mine.state().size(), 1u) << "other towns and counties never reach the town console";
  EXPECT_EQ(mine.lastSequence(), 50u);
  EXPECT_EQ(all.lastSequence(), 150u);
  EXPECT_EQ(mine.resyncs(), 0u);
  EXPECT_EQ(all.resyncs(), 0u);
  EXPECT_EQ(server.viewers(), 2u);
}

// A refused viewer is told why, gets nothing, and is let in once admitted;
// losing admission later (an expired session) cuts it off.
TEST_F(CloneTest, RefusedViewerIsToldWhyAndRecheckCutsItOff) {
  zmq::context_t sctx(1), cctx(1);
  ZapAuthenticator zap(sctx, {{console_.publicZ85, console_.id}});
  auto o = serverOptions();
  o.recheckIntervalMs = 300;
  std::atomic<bool> admitted{false};
  o.admit = [&](const std::string &, const wire::SnapshotRequest &r) {
    CloneAccess a;
    if (!admitted || r.session() != "good") a.refused = "session expired or unknown";
    return a;
  };
  CloneServer server(sctx, o);
  server.publish(item("reading/a", 1));
  std::mutex m;
  std::vector<std::string> reasons;
  CloneClient::Callbacks cb;
  cb.onRefused = [&](const std::string &why) {
    std::lock_guard lock(m);
    reasons.push_back(why);
  };
  auto opts = clientOptions();
  opts.session = "good";
  CloneClient client(cctx, opts, cb);
  ASSERT_TRUE(serveUntil(server, [&] {
    std::lock_guard lock(m);
    return !reasons.empty();
  }));
  {
    std::lock_guard lock(m);
    EXPECT_EQ(reasons.front(), "session expired or unknown");
  }
  EXPECT_TRUE(client.state().empty());
  EXPECT_FALSE(client.linkUp());
  admitted = true;
  ASSERT_TRUE(serveUntil(server, [&] { return client.linkUp(); })) << "asks again and is let in";
  EXPECT_EQ(client.state().size(), 1u);
  auto refusedBefore = server.refusals();
  admitted = false;  // e.g. the user was disabled
  // Cut off by the re-check (or, on a slow machine, by a resync that is refused).
  ASSERT_TRUE(serveUntil(server, [&] { return server.refusals() > refusedBefore && !client.linkUp(); }));
  server.publish(item("reading/a", 2));
  serveUntil(
      server, [] { return false; }, 300);
  EXPECT_EQ(server.viewers(), 0u) << "a refused viewer is dropped";
  // Signed in again (same viewer id, its subscription still standing): the
  // updates flow again, not only the snapshot.
  admitted = true;
  ASSERT_TRUE(serveUntil(server, [&] { return client.linkUp(); }));
  bool stayedUp = true;  // without its updates and heartbeats the link would drop after 3.5 s
  serveUntil(
      server,
      [&] {
        stayedUp = stayedUp && client.linkUp();
        return false;
      },
      5000);
  EXPECT_TRUE(stayedUp) << "the viewer admitted again hears its heartbeats";
  server.publish(item("reading/a", 3));
  ASSERT_TRUE(serveUntil(server, [&] {
    auto st = client.state();
    auto it = st.find("reading/a");
    return it != st.end() && it->second.source().reading().value() == 3;
  })) << "a viewer admitted again gets its updates";
}

// A subscriber that asks for everything (or another console's topic it
// cannot know) is granted nothing.
TEST_F(CloneTest, SubscribingToEverythingIsNotGranted) {
  zmq::context_t sctx(1), cctx(1);
  ZapAuthenticator zap(sctx, {{console_.publicZ85, console_.id}});
  auto server = makeServer(sctx);
  CloneClient honest(cctx, clientOptions(), {});
  zmq::socket_t sneak(cctx, zmq::socket_type::sub);
  sneak.set(zmq::sockopt::linger, 0);
  makeCurveClient(sneak, console_, server_.publicZ85);
  sneak.set(zmq::sockopt::subscribe, "");
  sneak.set(zmq::sockopt::subscribe, "v/");
  sneak.connect("tcp://127.0.0.1:" + std::to_string(updates_));
  ASSERT_TRUE(serveUntil(*server, [&] { return honest.linkUp(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (int i = 0; i < 20; ++i) server->publish(item("reading/a", i));
  ASSERT_TRUE(serveUntil(*server, [&] {
    auto s = honest.state();
    return s.count("reading/a") && s.at("reading/a").source().reading().value() == 19;
  }));
  zmq::message_t m;
  int got = 0;
  while (sneak.recv(m, zmq::recv_flags::dontwait)) ++got;
  EXPECT_EQ(got, 0) << "the sneak received the honest console's updates";
}

TEST_F(CloneTest, UnlistedConsoleGetsNothing) {
  zmq::context_t sctx(1), cctx(1);
  ZapAuthenticator zap(sctx, {{generateCurveKeyPair("other").publicZ85, "other"}});
  auto server = makeServer(sctx);
  server->publish(item("reading/a", 1));
  CloneClient client(cctx, clientOptions(), {});
  serveUntil(
      *server, [] { return false; }, 1500);
  EXPECT_TRUE(client.state().empty());
  EXPECT_GT(zap.refusedCount(), 0u);
}
