// Tests of the Clone-pattern fan-out: a console gets a snapshot, then every
// update in order, and resynchronises when the centre restarts.
#include <thread>

#include <gtest/gtest.h>

#include "liandong/core/clock.h"
#include "liandong/core/link/clone.h"
#include "liandong/core/link/security.h"
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
  std::unique_ptr<CloneServer> makeServer(zmq::context_t &ctx) {
    CloneServerOptions o;
    o.id = "centre";
    o.updatesEndpoint = "tcp://127.0.0.1:" + std::to_string(updates_);
    o.snapshotEndpoint = "tcp://127.0.0.1:" + std::to_string(snapshots_);
    o.keys = server_;
    o.heartbeatIntervalMs = 100;
    return std::make_unique<CloneServer>(ctx, o);
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
  CloneClient client(cctx, clientOptions(), cb);
  ASSERT_TRUE(serveUntil(*server, [&] { return snapshots > 0; }));
  EXPECT_EQ(client.state().size(), 2u);
  EXPECT_EQ(client.state().at("reading/b").source().reading().value(), 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the subscription settle
  for (int i = 0; i < 100; ++i) server->publish(item("reading/a", 10 + i));
  auto removed = item("reading/b", 0);
  removed.set_removed(true);
  server->publish(removed);
  ASSERT_TRUE(serveUntil(*server, [&] { return client.lastSequence() == server->updateSequence(); }))
      << client.lastSequence() << " of " << server->updateSequence();
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
  ASSERT_TRUE(serveUntil(*server, [&] { return client.lastSequence() == 2; }));
  auto state = client.state();
  EXPECT_EQ(state.count("reading/panyu"), 1u);
  EXPECT_EQ(state.count("reading/tianhe"), 0u);
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
