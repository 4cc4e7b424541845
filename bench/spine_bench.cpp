// liandong-bench-spine: durable events per second end to end (committed in
// PostGIS) and latency, for Liandong's reliable link and, in the same run and
// into the same table through the same store code, for raw COPY (the limit),
// mosquitto (MQTT QoS 1, persistence on) and RabbitMQ (durable queue,
// publisher confirms, consumer acks after commit). Run by `scripts/bench spine`,
// which starts the database and the two brokers on loopback.
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <mosquitto.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "liandong/core/link/receiver.h"
#include "liandong/core/link/security.h"
#include "liandong/core/link/sender.h"
#include "liandong/core/logging.h"
#include "liandong/mapping/ewkb.h"
#include "liandong/mapping/migrations.h"
#include "liandong/server/pg_intake_store.h"
#include "liandong/server/pg_raw.h"

using namespace liandong;
namespace fs = std::filesystem;

namespace {

wire::Envelope makeReading(const std::string &sender, std::uint64_t i) {
  wire::Envelope env;
  env.set_sender_id(sender);
  env.set_kind(wire::KIND_SENSOR_DETECTION);
  env.set_sent_at_us(nowUs());
  auto *r = env.mutable_reading();
  r->set_sensor_id(fmt::format("8110{:04}", i % 500));
  r->set_quantity("water_level");
  r->set_value(1.0 + static_cast<double>(i % 1000) / 1000.0);
  r->set_unit("m");
  r->set_observed_at_us(env.sent_at_us());
  // Spread over Panyu so every reading is located in a county.
  r->set_latitude(22.90 + static_cast<double>(i % 97) * 0.001);
  r->set_longitude(113.33 + static_cast<double>(i % 89) * 0.002);
  return env;
}

long countReadings(const std::string &db) {
  pqxx::connection c(db);
  pqxx::work tx(c);
  return tx.exec1("SELECT count(*) FROM readings")[0].as<long>();
}

void truncateReadings(const std::string &db) {
  pqxx::connection c(db);
  pqxx::work tx(c);
  tx.exec("TRUNCATE readings; TRUNCATE link_watermarks");
  tx.commit();
}

// CPU seconds (user + system) used so far by this process and by every
// process of the database cluster (backends and background workers, listed
// by pg_stat_activity). Their sum over a run, per event, is a figure that
// the other load on a shared machine hardly moves, unlike events/s.
double cpuSeconds(const std::string &db) {
  double total = 0;
  auto ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  auto procCpu = [&](long pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return 0.0;
    auto close = line.rfind(')');
    if (close == std::string::npos) return 0.0;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stod(field);
      if (i == 15) stime = std::stod(field);
    }
    return (utime + stime) / ticks;
  };
  total += procCpu(getpid());
  pqxx::connection c(db);
  pqxx::work tx(c);
  for (const auto &row : tx.exec("SELECT pid FROM pg_stat_activity")) total += procCpu(row[0].as<long>());
  return total;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  return v[idx];
}

// (a) The limit: one COPY of N rows into a table shaped like readings, in
// PostgreSQL's binary format (the cheapest way in, as the intake uses).
double copyRate(const std::string &db, std::uint64_t n) {
  {
    pqxx::connection c(db);
    pqxx::work tx(c);
    tx.exec("DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (LIKE readings INCLUDING ALL)");
    tx.commit();
  }
  std::vector<wire::Envelope> rows;
  rows.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) rows.push_back(makeReading("copy", i + 1));
  server::PgRaw raw(db);
  auto t0 = steadyMs();
  server::BinaryCopy copy;
  for (std::uint64_t i = 0; i < n; ++i) {
    const auto &r = rows[i].reading();
    copy.row(9);
    copy.text(rows[i].sender_id());
    copy.int8(static_cast<std::int64_t>(i + 1));
    copy.text(r.sensor_id());
    copy.text(r.quantity());
    copy.float8(r.value());
    copy.text(r.unit());
    copy.timestamptzUnixUs(r.observed_at_us());
    auto ewkb = mapping::pointEwkb(r.longitude(), r.latitude());
    copy.bytes(ewkb.data(), ewkb.size());
    copy.text("440113");
  }
  raw.exec("BEGIN");
  raw.copyIn(
      "COPY bench_copy (sender_id, sequence, sensor_id, quantity, value, unit, observed_at, geom, "
      "region_code) FROM STDIN (FORMAT binary)",
      copy.finish());
  raw.exec("COMMIT");
  double secs = static_cast<double>(steadyMs() - t0) / 1000.0;
  return static_cast<double>(n) / secs;
}

// Liandong's link, in one process: Sender + Outbox (fsync on) -> CURVE/TCP ->
// Receiver -> PgIntakeStore (one transaction per batch, ack after commit).
struct LiandongRun {
  double eps = 0;
  double cpuUsPerEvent = 0;  // this process and the database cluster
  double p50 = 0, p99 = 0;
};

// A store that keeps nothing: measures the link alone.
class NullStore : public link::IntakeStore {
public:
  explicit NullStore(std::function<void(const server::StoredItem &)> cb) : cb_(std::move(cb)) {}
  std::map<std::string, std::uint64_t> loadWatermarks() override { return {}; }
  void commit(const std::vector<link::IncomingMessage> &batch,
              const std::map<std::string, std::uint64_t> &) override {
    for (const auto &m : batch) cb_({&m, ""});
  }

private:
  std::function<void(const server::StoredItem &)> cb_;
};

LiandongRun liandongRun(const std::string &db, std::uint64_t n, double rate, double seconds,
                        const fs::path &tmp, int port, bool linkOnly = false) {
  truncateReadings(db);
  auto serverKeys = generateCurveKeyPair("centre-bench");
  auto nodeKeys = generateCurveKeyPair("node-bench");
  zmq::context_t ctx(1);
  link::ZapAuthenticator zap(ctx, {{nodeKeys.publicZ85, nodeKeys.id}});
  std::mutex m;
  std::vector<double> latencies;
  std::atomic<std::uint64_t> stored{0};
  auto onStored = [&](const server::StoredItem &item) {
    double ms = static_cast<double>(nowUs() - item.message->envelope.sent_at_us()) / 1000.0;
    std::lock_guard lock(m);
    latencies.push_back(ms);
    ++stored;
  };
  std::unique_ptr<link::IntakeStore> storePtr;
  if (linkOnly)
    storePtr = std::make_unique<NullStore>(onStored);
  else
    storePtr = std::make_unique<server::PgIntakeStore>(db, onStored);
  auto &store = *storePtr;
  link::ReceiverOptions ro;
  ro.endpoint = fmt::format("tcp://127.0.0.1:{}", port);
  ro.keys = serverKeys;
  ro.id = serverKeys.id;
  link::Receiver receiver(ctx, ro, store);
  std::atomic<bool> stop{false};
  std::thread rt([&] { receiver.run(stop); });

  fs::remove_all(tmp / "outbox");
  link::OutboxOptions oo;
  oo.dir = tmp / "outbox";
  oo.quotaBytes = 2048ull << 20;
  link::Outbox outbox(oo);
  zmq::context_t cctx(1);
  link::SenderOptions so;
  so.senderId = nodeKeys.id;
  so.endpoint = ro.endpoint;
  so.serverPublicZ85 = serverKeys.publicZ85;
  so.keys = nodeKeys;
  link::Sender sender(cctx, so, outbox);
  while (!sender.peerAlive()) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  LiandongRun out;
  std::uint64_t total = n;
  double cpu0 = cpuSeconds(db);
  auto t0 = steadyMs();
  if (rate <= 0) {
    for (std::uint64_t i = 0; i < n; ++i) sender.publish(makeReading(nodeKeys.id, i));
  } else {
    total = static_cast<std::uint64_t>(rate * seconds);
    auto start = nowUs();
    for (std::uint64_t i = 0; i < total; ++i) {
      auto due = start + static_cast<std::int64_t>(static_cast<double>(i) * 1e6 / rate);
      auto now = nowUs();
      if (due > now) std::this_thread::sleep_for(std::chrono::microseconds(due - now));
      sender.publish(makeReading(nodeKeys.id, i));
    }
  }
  while (stored.load() < total && steadyMs() - t0 < 600000)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  double secs = static_cast<double>(steadyMs() - t0) / 1000.0;
  out.eps = static_cast<double>(stored.load()) / secs;
  out.cpuUsPerEvent = (cpuSeconds(db) - cpu0) * 1e6 / static_cast<double>(std::max<std::uint64_t>(1, total));
  stop = true;
  rt.join();
  std::lock_guard lock(m);
  // Skip the first second of a paced run (connection warm-up).
  std::vector<double> steady(
      latencies.begin() +
          std::min<std::size_t>(latencies.size(), rate > 0 ? static_cast<std::size_t>(rate) : 0),
      latencies.end());
  out.p50 = percentile(steady, 0.50);
  out.p99 = percentile(steady, 0.99);
  if (!linkOnly && countReadings(db) != static_cast<long>(total))
    throw Error("liandong: stored count differs from sent count");
  return out;
}

// A consumer-side batcher shared by the broker runs: batches of up to 2000
// messages or 5 ms, stored through the same PgIntakeStore as Liandong's.
class BatchWriter {
public:
  explicit BatchWriter(const std::string &db) : store_(db, {}) {
    thread_ = std::thread([this] { loop(); });
  }
  ~BatchWriter() {
    {
      std::lock_guard lock(m_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  // `onCommitted` runs after the batch holding this message is committed.
  void push(link::IncomingMessage msg, std::function<void()> onCommitted = {}) {
    std::lock_guard lock(m_);
    queue_.push_back({std::move(msg), std::move(onCommitted)});
    cv_.notify_all();
  }
  std::uint64_t committed() const { return committed_.load(); }

private:
  struct Item {
    link::IncomingMessage msg;
    std::function<void()> done;
  };
  void loop() {
    while (true) {
      std::vector<Item> batch;
      {
        std::unique_lock lock(m_);
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (stop_ && queue_.empty()) return;
        lock.unlock();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        lock.lock();
        while (!queue_.empty() && batch.size() < 2000) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      std::vector<link::IncomingMessage> msgs;
      for (auto &i : batch) msgs.push_back(i.msg);
      store_.commit(msgs, {});
      committed_ += batch.size();
      for (auto &i : batch)
        if (i.done) i.done();
    }
  }
  server::PgIntakeStore store_;
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stop_ = false;
  std::atomic<std::uint64_t> committed_{0};
  std::thread thread_;
};

// (b) mosquitto, QoS 1, persistence on in the broker's configuration.
double mosquittoRun(const std::string &db, std::uint64_t n, int port) {
  truncateReadings(db);
  mosquitto_lib_init();
  BatchWriter writer(db);
  struct Ctx {
    BatchWriter *writer;
  } subCtx{&writer};
  mosquitto *sub = mosquitto_new("liandong-bench-sub", false, &subCtx);
  mosquitto *pub = mosquitto_new("liandong-bench-pub", true, nullptr);
  if (!sub || !pub) throw Error("mosquitto_new failed");
  mosquitto_message_callback_set(sub, [](mosquitto *, void *ud, const mosquitto_message *msg) {
    link::IncomingMessage in;
    in.peerId = "mqtt";
    if (!in.envelope.ParseFromArray(msg->payload, msg->payloadlen)) return;
    static_cast<Ctx *>(ud)->writer->push(std::move(in));
  });
  if (mosquitto_connect(sub, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS)
    throw Error("mosquitto: subscriber cannot connect");
  mosquitto_subscribe(sub, nullptr, "liandong/readings", 1);
  mosquitto_loop_start(sub);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  if (mosquitto_connect(pub, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS)
    throw Error("mosquitto: publisher cannot connect");
  mosquitto_max_inflight_messages_set(pub, 1000);
  mosquitto_loop_start(pub);
  auto t0 = steadyMs();
  for (std::uint64_t i = 0; i < n; ++i) {
    auto env = makeReading("mqtt", i);
    env.set_sequence(i + 1);
    auto bytes = env.SerializeAsString();
    while (mosquitto_publish(pub, nullptr, "liandong/readings", static_cast<int>(bytes.size()), bytes.data(),
                             1, false) == MOSQ_ERR_NOMEM)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  while (writer.committed() < n && steadyMs() - t0 < 600000)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  double secs = static_cast<double>(steadyMs() - t0) / 1000.0;
  auto got = writer.committed();
  mosquitto_disconnect(pub);
  mosquitto_disconnect(sub);
  mosquitto_loop_stop(pub, true);
  mosquitto_loop_stop(sub, true);
  mosquitto_destroy(pub);
  mosquitto_destroy(sub);
  mosquitto_lib_cleanup();
  return static_cast<double>(got) / secs;
}

// (c) RabbitMQ: durable queue, persistent messages, publisher confirms,
// consumer acks only after the database commit.
void amqpCheck(amqp_rpc_reply_t r, const char *what) {
  if (r.reply_type != AMQP_RESPONSE_NORMAL) throw Error(std::string("rabbitmq: ") + what + " failed");
}

amqp_connection_state_t amqpOpen(int port) {
  auto conn = amqp_new_connection();
  auto *sock = amqp_tcp_socket_new(conn);
  if (!sock || amqp_socket_open(sock, "127.0.0.1", port) != AMQP_STATUS_OK)
    throw Error("rabbitmq: cannot connect");
  amqpCheck(amqp_login(conn, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest"), "login");
  amqp_channel_open(conn, 1);
  amqpCheck(amqp_get_rpc_reply(conn), "channel.open");
  return conn;
}

double rabbitRun(const std::string &db, std::uint64_t n, int port) {
  truncateReadings(db);
  auto queue = amqp_cstring_bytes("liandong.readings");
  auto pub = amqpOpen(port);
  amqp_queue_delete(pub, 1, queue, 0, 0);
  amqp_get_rpc_reply(pub);
  amqp_queue_declare(pub, 1, queue, 0, 1, 0, 0, amqp_empty_table);
  amqpCheck(amqp_get_rpc_reply(pub), "queue.declare");
  amqp_confirm_select(pub, 1);
  amqpCheck(amqp_get_rpc_reply(pub), "confirm.select");

  BatchWriter writer(db);
  std::atomic<bool> stop{false};
  std::thread consumer([&] {
    auto conn = amqpOpen(port);
    amqp_basic_qos(conn, 1, 0, 5000, 0);
    amqp_basic_consume(conn, 1, queue, amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
    amqpCheck(amqp_get_rpc_reply(conn), "basic.consume");
    std::mutex ackMutex;
    std::vector<std::uint64_t> toAck;
    while (!stop) {
      {
        std::lock_guard lock(ackMutex);
        if (!toAck.empty()) {
          amqp_basic_ack(conn, 1, *std::max_element(toAck.begin(), toAck.end()), 1);
          toAck.clear();
        }
      }
      amqp_envelope_t env;
      amqp_maybe_release_buffers(conn);
      timeval tv{0, 2000};
      auto r = amqp_consume_message(conn, &env, &tv, 0);
      if (r.reply_type != AMQP_RESPONSE_NORMAL) continue;
      link::IncomingMessage in;
      in.peerId = "amqp";
      if (in.envelope.ParseFromArray(env.message.body.bytes, static_cast<int>(env.message.body.len))) {
        auto tag = env.delivery_tag;
        writer.push(std::move(in), [&, tag] {
          std::lock_guard lock(ackMutex);
          toAck.push_back(tag);
        });
      }
      amqp_destroy_envelope(&env);
    }
    amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn);
  });

  auto t0 = steadyMs();
  amqp_basic_properties_t props;
  props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
  props.delivery_mode = 2;
  std::uint64_t confirmed = 0, published = 0;
  const std::uint64_t window = 2000;
  auto drainConfirms = [&](bool block) {
    while (true) {
      amqp_frame_t frame;
      timeval tv{0, block ? 100000 : 0};
      int rc = amqp_simple_wait_frame_noblock(pub, &frame, &tv);
      if (rc != AMQP_STATUS_OK) return;
      if (frame.frame_type == AMQP_FRAME_METHOD && frame.payload.method.id == AMQP_BASIC_ACK_METHOD) {
        auto *ack = static_cast<amqp_basic_ack_t *>(frame.payload.method.decoded);
        confirmed = ack->multiple ? ack->delivery_tag : std::max(confirmed, ack->delivery_tag);
      }
      block = false;
    }
  };
  for (std::uint64_t i = 0; i < n; ++i) {
    auto env = makeReading("amqp", i);
    env.set_sequence(i + 1);
    auto bytes = env.SerializeAsString();
    amqp_bytes_t body{bytes.size(), bytes.data()};
    if (amqp_basic_publish(pub, 1, amqp_empty_bytes, queue, 0, 0, &props, body) != AMQP_STATUS_OK)
      throw Error("rabbitmq: publish failed");
    ++published;
    while (published - confirmed > window) drainConfirms(true);
  }
  while (confirmed < published && steadyMs() - t0 < 600000) drainConfirms(true);
  while (writer.committed() < n && steadyMs() - t0 < 600000)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  double secs = static_cast<double>(steadyMs() - t0) / 1000.0;
  auto got = writer.committed();
  stop = true;
  consumer.join();
  amqp_channel_close(pub, 1, AMQP_REPLY_SUCCESS);
  amqp_connection_close(pub, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(pub);
  return static_cast<double>(got) / secs;
}

}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"Liandong spine benchmark"};
  std::string db, out;
  std::uint64_t events = 100000;
  double seconds = 10;
  int mqttPort = 0, amqpPort = 0, port = 27501, repeats = 3;
  std::string tmp = "/tmp/liandong-bench-spine";
  app.add_option("--db", db, "libpq connection string")->required();
  app.add_option("--events", events, "events per throughput run");
  app.add_option("--seconds", seconds, "length of each paced latency run");
  app.add_option("--mqtt-port", mqttPort, "mosquitto port (0 = skip)");
  app.add_option("--amqp-port", amqpPort, "RabbitMQ port (0 = skip)");
  app.add_option("--port", port, "loopback port for Liandong's link");
  app.add_option("--tmp", tmp, "scratch folder for the outbox");
  app.add_option("--json", out, "write results here");
  app.add_option("--repeats", repeats, "rounds of every phase; medians are reported")
      ->check(CLI::Range(1, 20));
  std::set<std::string> only;
  app.add_option("--only", only, "run only these phases (copy, liandong, link, latency), e.g. to profile one")
      ->check(CLI::IsMember({"copy", "liandong", "link", "latency"}));
  CLI11_PARSE(app, argc, argv);
  logging::setup("warn", "bench");
  try {
    {
      pqxx::connection c(db);
      mapping::MigrationRunner(c).migrate();
    }
    nlohmann::json j;
    j["events"] = events;
    j["repeats"] = repeats;
    // Every phase runs `repeats` times, interleaved, and the median is kept:
    // this machine is shared and noisy.
    std::map<std::string, std::vector<double>> runs;
    for (int r = 0; r < repeats; ++r) {
      std::cerr << "spine: round " << r + 1 << " of " << repeats << ": COPY, Liandong, link alone, latency";
      auto phase = [&](const char *name) { return only.empty() || only.count(name); };
      if (phase("copy")) runs["copy_rows_per_s"].push_back(copyRate(db, events));
      if (phase("liandong")) {
        auto run = liandongRun(db, events, 0, 0, tmp, port);
        runs["liandong_eps"].push_back(run.eps);
        runs["liandong_cpu_us_per_event"].push_back(run.cpuUsPerEvent);
      }
      if (phase("link")) runs["link_only_eps"].push_back(liandongRun(db, events, 0, 0, tmp, port, true).eps);
      if (phase("latency")) {
        auto l1 = liandongRun(db, 0, 1000, seconds, tmp, port);
        auto l10 = liandongRun(db, 0, 10000, seconds, tmp, port);
        runs["p50_ms_1k"].push_back(l1.p50);
        runs["p99_ms_1k"].push_back(l1.p99);
        runs["p50_ms_10k"].push_back(l10.p50);
        runs["p99_ms_10k"].push_back(l10.p99);
        runs["achieved_eps_10k"].push_back(l10.eps);
      }
      if (mqttPort) {
        std::cerr << ", mosquitto";
        runs["mosquitto_eps"].push_back(mosquittoRun(db, events, mqttPort));
      }
      if (amqpPort) {
        std::cerr << ", RabbitMQ";
        runs["rabbitmq_eps"].push_back(rabbitRun(db, events, amqpPort));
      }
      std::cerr << "\n";
    }
    for (auto &[key, values] : runs) {
      j[key] = percentile(values, 0.5);
      j["runs"][key] = values;
    }
    if (j.contains("liandong_eps")) {
      double le = j["liandong_eps"].get<double>();
      if (j.contains("copy_rows_per_s")) j["ratio_vs_copy"] = le / j["copy_rows_per_s"].get<double>();
      if (j.contains("mosquitto_eps")) j["ratio_vs_mosquitto"] = le / j["mosquitto_eps"].get<double>();
      if (j.contains("rabbitmq_eps")) j["ratio_vs_rabbitmq"] = le / j["rabbitmq_eps"].get<double>();
    }
    if (!out.empty()) std::ofstream(out) << j.dump(2) << "\n";
    std::cout << j.dump(2) << std::endl;
    return 0;
  } catch (const std::exception &e) {
    std::cerr << "liandong-bench-spine: " << e.what() << "\n";
    return 1;
  }
}
