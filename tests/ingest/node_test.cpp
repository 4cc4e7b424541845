// Tests of the ingest node in-process (ingest::Node, node.h): a node with a
// simulated gauge and an edge rule sends its readings and the alert the
// rule raises through a real CURVE link to a receiver in the test, and a
// rule file that changes while the node runs is reloaded (the alert of the
// rule that went away is cancelled).
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "liandong/core/link/receiver.h"
#include "liandong/core/link/security.h"
#include "liandong/ingest/node.h"
#include "process.h"

using namespace liandong;
namespace fs = std::filesystem;

namespace {

// What the centre would store, kept in memory.
class MemoryStore : public link::IntakeStore {
public:
  std::map<std::string, std::uint64_t> loadWatermarks() override {
    std::lock_guard lock(mutex);
    return watermarks;
  }
  void commit(const std::vector<link::IncomingMessage> &batch,
              const std::map<std::string, std::uint64_t> &wm) override {
    std::lock_guard lock(mutex);
    for (const auto &m : batch) envelopes.push_back(m.envelope);
    watermarks = wm;
  }
  std::vector<wire::Envelope> taken() {
    std::lock_guard lock(mutex);
    return envelopes;
  }
  std::mutex mutex;
  std::vector<wire::Envelope> envelopes;
  std::map<std::string, std::uint64_t> watermarks;
};

class NodeTest : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ldnodeXXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    endpoint_ = "tcp://127.0.0.1:" + std::to_string(liandong::testing::freeTcpPort());
    zap_ = std::make_unique<link::ZapAuthenticator>(
        serverCtx_, std::map<std::string, std::string>{{node_.publicZ85, node_.id}});
    link::ReceiverOptions ro;
    ro.endpoint = endpoint_;
    ro.keys = server_;
    ro.id = server_.id;
    receiver_ = std::make_unique<link::Receiver>(serverCtx_, ro, store_);
    receiverThread_ = std::thread([this] { receiver_->run(stopReceiver_); });
  }
  void TearDown() override {
    stopReceiver_ = true;
    if (receiverThread_.joinable()) receiverThread_.join();
    receiver_.reset();
    zap_.reset();
    fs::remove_all(dir_);
  }

  // A node with one constant gauge at `level` every 100 ms and the rules in `rules`.
  ingest::NodeConfig nodeConfig(double level, const std::string &rules) {
    ingest::NodeConfig c;
    c.sender.senderId = node_.id;
    c.sender.region = "440113";
    c.sender.tier = wire::TIER_COUNTY;
    c.sender.keys = node_;
    c.sender.endpoint = endpoint_;
    c.sender.serverPublicZ85 = server_.publicZ85;
    c.sender.heartbeatIntervalMs = 100;
    c.outbox.dir = dir_ / "outbox";
    ingest::SimulatedSensorSpec s;
    s.id = "gauge-1";
    s.name = "gauge";
    s.quantity = "water_level";
    s.unit = "m";
    s.model = "constant";
    s.base = level;
    s.intervalMs = 100;
    s.latitude = 22.94;
    s.longitude = 113.38;
    c.sensors = {s};
    c.rulesFile = dir_ / "rules.yaml";
    writeRules(rules);
    c.drainOnStopMs = 5000;
    return c;
  }
  void writeRules(const std::string &text) {
    auto tmp = dir_ / "rules.yaml.part";
    std::ofstream(tmp) << text;
    fs::rename(tmp, dir_ / "rules.yaml");
  }
  std::vector<wire::Envelope> of(wire::DistributionKind kind) {
    std::vector<wire::Envelope> out;
    for (auto &e : store_.taken())
      if (e.kind() == kind) out.push_back(e);
    return out;
  }

  fs::path dir_;
  CurveKeyPair server_ = generateCurveKeyPair("centre-test");
  CurveKeyPair node_ = generateCurveKeyPair("node-t");
  std::string endpoint_;
  zmq::context_t serverCtx_{1};
  std::unique_ptr<link::ZapAuthenticator> zap_;
  std::unique_ptr<link::Receiver> receiver_;
  MemoryStore store_;
  std::atomic<bool> stopReceiver_{false};
  std::thread receiverThread_;
};

const char *kLevelRule = R"(rules:
  - id: gauge-level
    name: gauge level
    quantity: water_level
    sensors: ["gauge-1"]
    levels: {blue: 1.0, yellow: 2.0}
)";

}  // namespace

TEST_F(NodeTest, ReadingsAndTheAlertOfAnEdgeRuleReachTheCentreOverTheLink) {
  std::atomic<bool> stop{false};
  {
    ingest::Node node(nodeConfig(1.5, kLevelRule));
    node.run(stop, 2.0);  // then drains: everything is acknowledged
  }
  auto readings = of(wire::KIND_SENSOR_DETECTION);
  ASSERT_GE(readings.size(), 5u);
  EXPECT_EQ(readings.front().reading().sensor_id(), "gauge-1");
  EXPECT_EQ(readings.front().reading().quantity(), "water_level");
  EXPECT_DOUBLE_EQ(readings.front().reading().value(), 1.5);
  EXPECT_NEAR(readings.front().target_area().latitude(), 22.94, 1e-9);
  auto alerts = of(wire::KIND_REPORT);
  ASSERT_EQ(alerts.size(), 1u) << "one alert raised, not one per reading";
  EXPECT_EQ(alerts[0].alert().source_id(), "gauge-1");
  EXPECT_NEAR(alerts[0].target_area().longitude(), 113.38, 1e-9);
  // Stored before the node stopped: it drained its outbox to the last sequence.
  std::uint64_t last = 0;
  for (auto &e : store_.taken()) last = std::max(last, e.sequence());
  std::lock_guard lock(store_.mutex);
  EXPECT_EQ(store_.watermarks["node-t"], last);
}

TEST_F(NodeTest, ARuleFileThatChangesIsReloadedAndTheAlertOfARemovedRuleIsCancelled) {
  std::atomic<bool> stop{false};
  ingest::Node node(nodeConfig(1.5, kLevelRule));
  std::thread runner([&] { node.run(stop); });
  bool raised = liandong::testing::waitUntil([&] { return !of(wire::KIND_REPORT).empty(); }, 10000);
  writeRules("rules: []\n");
  bool cancelled =
      raised && liandong::testing::waitUntil([&] { return !of(wire::KIND_CANCEL).empty(); }, 10000);
  stop = true;
  runner.join();
  ASSERT_TRUE(raised);
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(of(wire::KIND_CANCEL)[0].alert().alert_id(), of(wire::KIND_REPORT)[0].alert().alert_id());
}
