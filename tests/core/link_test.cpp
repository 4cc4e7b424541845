// Tests of the reliable link over real ZeroMQ sockets with CURVE: delivery
// exactly once, resend after a receiver restart or a failed commit, refusal of
// unknown keys, forged sender ids, malformed and oversized frames.
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "liandong/core/clock.h"
#include "liandong/core/link/receiver.h"
#include "liandong/core/link/security.h"
#include "liandong/core/link/sender.h"
#include "process.h"

using namespace liandong;
using namespace liandong::link;
namespace fs = std::filesystem;

namespace {

// An in-memory IntakeStore that keeps what a database would.
class MemoryStore : public IntakeStore {
public:
  std::map<std::string, std::uint64_t> loadWatermarks() override {
    std::lock_guard lock(mutex);
    return watermarks;
  }
  void commit(const std::vector<IncomingMessage> &batch,
              const std::map<std::string, std::uint64_t> &wm) override {
    std::lock_guard lock(mutex);
    if (failNext > 0) {
      --failNext;
      throw std::runtime_error("simulated database failure");
    }
    for (const auto &m : batch) {
      auto key = std::make_pair(m.envelope.sender_id(), m.envelope.sequence());
      if (m.envelope.has_gap()) {
        gaps.push_back(m.envelope.gap());
        continue;
      }
      if (!stored.insert(key).second)
        ++duplicatesIgnored;
      else
        values.push_back(m.envelope.reading().value());
    }
    watermarks = wm;
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return stored.size();
  }
  std::mutex mutex;
  std::set<std::pair<std::string, std::uint64_t>> stored;
  std::vector<double> values;
  std::vector<wire::Gap> gaps;
  std::map<std::string, std::uint64_t> watermarks;
  int duplicatesIgnored = 0;
  int failNext = 0;
};

int freePort() {
  return liandong::testing::freeTcpPort();
}

class LinkTest : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ldlinkXXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    server_ = generateCurveKeyPair("centre-test");
    node_ = generateCurveKeyPair("node-a");
    endpoint_ = "tcp://127.0.0.1:" + std::to_string(freePort());
  }
  void TearDown() override {
    stopReceiver();
    fs::remove_all(dir_);
  }
  void startReceiver(std::map<std::string, std::string> admitted = {}) {
    if (admitted.empty()) admitted = {{node_.publicZ85, node_.id}};
    zap_ = std::make_unique<ZapAuthenticator>(serverCtx_, admitted);
    ReceiverOptions ro;
    ro.endpoint = endpoint_;
    ro.keys = server_;
    ro.id = server_.id;
    ro.maxMessageBytes = 64 * 1024;
    receiver_ = std::make_unique<Receiver>(serverCtx_, ro, store_);
    stop_ = false;
    thread_ = std::thread([this] { receiver_->run(stop_); });
  }
  void stopReceiver() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    receiver_.reset();
    zap_.reset();
  }
  SenderOptions senderOptions(const CurveKeyPair &keys) {
    SenderOptions so;
    so.senderId = keys.id;
    so.endpoint = endpoint_;
    so.serverPublicZ85 = server_.publicZ85;
    so.keys = keys;
    so.heartbeatIntervalMs = 100;
    so.resendTimeoutMs = 500;
    return so;
  }
  OutboxOptions outboxOptions(const std::string &name) {
    OutboxOptions o;
    o.dir = dir_ / name;
    o.fsyncEvery = 64;
    o.fsyncIntervalMs = 2;
    return o;
  }
  static wire::Envelope reading(double v) {
    wire::Envelope env;
    env.mutable_reading()->set_sensor_id("s1");
    env.mutable_reading()->set_value(v);
    return env;
  }
  static bool waitFor(const std::function<bool()> &cond, int ms = 10000) {
    return liandong::testing::waitUntil(cond, ms);
  }

  fs::path dir_;
  CurveKeyPair server_, node_;
  std::string endpoint_;
  zmq::context_t serverCtx_{1};
  zmq::context_t clientCtx_{1};
  std::unique_ptr<ZapAuthenticator> zap_;
  std::unique_ptr<Receiver> receiver_;
  MemoryStore store_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

TEST_F(LinkTest, DeliversEverythingExactlyOnceInOrder) {
  startReceiver();
  Outbox outbox(outboxOptions("a"));
  Sender sender(clientCtx_, senderOptions(node_), outbox);
  std::uint64_t last = 0;
  for (int i = 0; i < 2000; ++i) last = *sender.publish(reading(i));
  ASSERT_TRUE(sender.waitAcked(last, 15000)) << "acked " << outbox.ackedSequence() << " of " << last;
  EXPECT_EQ(store_.count(), 2000u);
  ASSERT_EQ(store_.values.size(), 2000u);
  for (int i = 0; i < 2000; ++i) EXPECT_EQ(store_.values[static_cast<std::size_t>(i)], i);
  EXPECT_EQ(store_.watermarks["node-a"], last);
  EXPECT_TRUE(sender.peerAlive());
}

TEST_F(LinkTest, ReceiverRestartLosesNothingAndStoresNothingTwice) {
  startReceiver();
  Outbox outbox(outboxOptions("a"));
  Sender sender(clientCtx_, senderOptions(node_), outbox);
  std::uint64_t last = 0;
  for (int i = 0; i < 500; ++i) last = *sender.publish(reading(i));
  stopReceiver();  // in the middle of the flow
  for (int i = 500; i < 1000; ++i) last = *sender.publish(reading(i));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  startReceiver();
  ASSERT_TRUE(sender.waitAcked(last, 15000));
  EXPECT_EQ(store_.count(), 1000u);
}

TEST_F(LinkTest, FailedCommitIsNotAcknowledgedAndIsResent) {
  store_.failNext = 1;
  startReceiver();
  Outbox outbox(outboxOptions("a"));
  Sender sender(clientCtx_, senderOptions(node_), outbox);
  std::uint64_t last = 0;
  for (int i = 0; i < 100; ++i) last = *sender.publish(reading(i));
  ASSERT_TRUE(sender.waitAcked(last, 15000));
  EXPECT_EQ(store_.count(), 100u);
  EXPECT_EQ(receiver_->stats().commitFailures, 1u);
}

TEST_F(LinkTest, SenderRestartContinuesFromItsOutbox) {
  startReceiver();
  std::uint64_t last = 0;
  {
    Outbox outbox(outboxOptions("a"));
    Sender sender(clientCtx_, senderOptions(node_), outbox);
    for (int i = 0; i < 300; ++i) last = *sender.publish(reading(i));
    // destroyed without waiting: some records are still unacknowledged
  }
  Outbox outbox(outboxOptions("a"));
  Sender sender(clientCtx_, senderOptions(node_), outbox);
  for (int i = 300; i < 400; ++i) last = *sender.publish(reading(i));
  ASSERT_TRUE(sender.waitAcked(last, 15000));
  EXPECT_EQ(store_.count(), 400u);
}

TEST_F(LinkTest, UnknownKeyIsRefusedAndOthersAreServed) {
  startReceiver();
  auto stranger = generateCurveKeyPair("node-a");  // claims a known id with an unlisted key
  Outbox strangerBox(outboxOptions("s"));
  Sender strangerSender(clientCtx_, senderOptions(stranger), strangerBox);
  strangerSender.publish(reading(-1));
  Outbox outbox(outboxOptions("a"));
  Sender sender(clientCtx_, senderOptions(node_), outbox);
  auto last = *sender.publish(reading(1));
  ASSERT_TRUE(sender.waitAcked(last, 10000));
  EXPECT_TRUE(waitFor([&] { return zap_->refusedCount() > 0; }));
  EXPECT_FALSE(strangerSender.peerAlive());
  EXPECT_EQ(store_.count(), 1u);
  EXPECT_EQ(store_.values.at(0), 1);
}

TEST_F(LinkTest, ForgedSenderIdIsRefused) {
  auto other = generateCurveKeyPair("node-b");
  startReceiver({{node_.publicZ85, node_.id}, {other.publicZ85, other.id}});
  auto opts = senderOptions(other);
  opts.senderId = "node-a";  // node-b's key, pretending to be node-a
  Outbox outbox(outboxOptions("f"));
  Sender forger(clientCtx_, opts, outbox);
  forger.publish(reading(666));
  EXPECT_TRUE(waitFor([&] { return receiver_->stats().refused > 0; }));
  EXPECT_EQ(store_.count(), 0u);
}

TEST_F(LinkTest, MalformedAndOversizedFramesAreRefused) {
  startReceiver();
  zmq::socket_t raw(clientCtx_, zmq::socket_type::dealer);
  raw.set(zmq::sockopt::linger, 0);
  makeCurveClient(raw, node_, server_.publicZ85);
  raw.connect(endpoint_);
  raw.send(zmq::buffer(std::string("\xff\xff\xff garbage")), zmq::send_flags::none);
  zmq::message_t reply;
  raw.set(zmq::sockopt::rcvtimeo, 5000);
  ASSERT_TRUE(raw.recv(reply));
  wire::Envelope env;
  ASSERT_TRUE(env.ParseFromArray(reply.data(), static_cast<int>(reply.size())));
  EXPECT_NE(env.ack().error().find("malformed"), std::string::npos) << env.ack().error();
  // Larger than maxMessageBytes: the receiver drops the connection, not the service.
  raw.send(zmq::buffer(std::string(200 * 1024, 'x')), zmq::send_flags::none);

  Outbox outbox(outboxOptions("a"));
  Sender sender(clientCtx_, senderOptions(node_), outbox);
  auto last = *sender.publish(reading(7));
  ASSERT_TRUE(sender.waitAcked(last, 10000));
  EXPECT_EQ(store_.count(), 1u);
}

// A batch frame: each element is handled as if it had come alone — the good
// ones stored, a malformed one and one with a forged sender id refused —
// and a batch under another sender's name is refused whole.
TEST_F(LinkTest, BatchElementsAreHandledOneByOne) {
  startReceiver();
  zmq::socket_t raw(clientCtx_, zmq::socket_type::dealer);
  raw.set(zmq::sockopt::linger, 0);
  raw.set(zmq::sockopt::rcvtimeo, 5000);
  makeCurveClient(raw, node_, server_.publicZ85);
  raw.connect(endpoint_);
  auto sequenced = [](double v, std::uint64_t seq, const std::string &sender) {
    auto env = reading(v);
    env.set_sender_id(sender);
    env.set_sequence(seq);
    return env.SerializeAsString();
  };
  wire::Envelope batch;
  batch.set_sender_id("node-a");
  batch.mutable_batch()->add_envelopes(sequenced(1, 1, "node-a"));
  batch.mutable_batch()->add_envelopes("\xff\xff garbage");
  batch.mutable_batch()->add_envelopes(sequenced(2, 2, "someone-else"));
  batch.mutable_batch()->add_envelopes(sequenced(3, 3, "node-a"));
  raw.send(zmq::buffer(batch.SerializeAsString()), zmq::send_flags::none);
  std::vector<std::string> errors;
  ASSERT_TRUE(waitFor([&] {
    zmq::message_t reply;
    while (raw.recv(reply, zmq::recv_flags::dontwait)) {
      wire::Envelope env;
      if (env.ParseFromArray(reply.data(), static_cast<int>(reply.size())) && !env.ack().error().empty())
        errors.push_back(env.ack().error());
    }
    return store_.count() == 2 && errors.size() >= 2;
  }));
  EXPECT_NE(errors[0].find("malformed message"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("does not match the key's id"), std::string::npos) << errors[1];
  wire::Envelope forged;
  forged.set_sender_id("someone-else");
  forged.mutable_batch()->add_envelopes(sequenced(4, 4, "node-a"));
  raw.send(zmq::buffer(forged.SerializeAsString()), zmq::send_flags::none);
  zmq::message_t reply;
  ASSERT_TRUE(raw.recv(reply));
  wire::Envelope env;
  ASSERT_TRUE(env.ParseFromArray(reply.data(), static_cast<int>(reply.size())));
  EXPECT_NE(env.ack().error().find("does not match"), std::string::npos) << env.ack().error();
  EXPECT_EQ(store_.count(), 2u) << "nothing of a forged batch is stored";
}

TEST_F(LinkTest, ReplayedOldSequenceIsNotStoredAgain) {
  startReceiver();
  Outbox outbox(outboxOptions("a"));
  Sender sender(clientCtx_, senderOptions(node_), outbox);
  auto last = *sender.publish(reading(1));
  ASSERT_TRUE(sender.waitAcked(last, 10000));
  // Replay the same envelope through a raw socket with the node's key.
  zmq::socket_t raw(clientCtx_, zmq::socket_type::dealer);
  raw.set(zmq::sockopt::linger, 0);
  makeCurveClient(raw, node_, server_.publicZ85);
  raw.connect(endpoint_);
  wire::Envelope env = reading(1);
  env.set_sender_id("node-a");
  env.set_sequence(last);
  raw.send(zmq::buffer(env.SerializeAsString()), zmq::send_flags::none);
  zmq::message_t reply;
  raw.set(zmq::sockopt::rcvtimeo, 5000);
  ASSERT_TRUE(raw.recv(reply));
  EXPECT_EQ(store_.count(), 1u);
  EXPECT_GE(receiver_->stats().duplicates, 1u);
}
