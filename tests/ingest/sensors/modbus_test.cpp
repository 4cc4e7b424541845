// Tests of the Modbus TCP adapter: register decoding (every type, both word
// orders, scale and offset), the `modbus:` configuration and its errors, and
// ModbusSource against the real liandong-modbus-device process — readings,
// a failing point, a wrong unit id, an unreachable device and its recovery.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "liandong/core/config.h"
#include "liandong/core/errors.h"
#include "liandong/ingest/sensors/modbus_source.h"
#include "pg_fixture.h"
#include "process.h"

using namespace liandong;
using namespace liandong::ingest;
using liandong::testing::Process;
using liandong::testing::waitUntil;

namespace {

double decode(std::vector<std::uint16_t> regs, RegisterType type, WordOrder order = WordOrder::Big,
              double scale = 1, double offset = 0) {
  return decodeRegisters(regs, type, order, scale, offset);
}

std::string decodeError(std::vector<std::uint16_t> regs, RegisterType type) {
  try {
    decode(regs, type);
  } catch (const Error &e) {
    return e.what();
  }
  return "(no error)";
}

std::string configError(const std::string &yaml) {
  try {
    auto cfg = ConfigNode::loadString(yaml, "node.yaml");
    readModbusOptions(cfg);
    cfg.rejectUnknown();
  } catch (const ConfigError &e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(ModbusDecode, SixteenBitTypes) {
  EXPECT_EQ(decode({0}, RegisterType::U16), 0);
  EXPECT_EQ(decode({0xFFFF}, RegisterType::U16), 65535);
  EXPECT_EQ(decode({0x8000}, RegisterType::U16), 32768);
  EXPECT_EQ(decode({0xFFFF}, RegisterType::I16), -1);
  EXPECT_EQ(decode({0x8000}, RegisterType::I16), -32768);
  EXPECT_EQ(decode({0x7FFF}, RegisterType::I16), 32767);
  // The word order means nothing for one register.
  EXPECT_EQ(decode({0xFFF6}, RegisterType::I16, WordOrder::Little), -10);
}

TEST(ModbusDecode, ThirtyTwoBitTypesInBothWordOrders) {
  // Big: the high word at the lower address (ABCD); little: low word first (CDAB).
  EXPECT_EQ(decode({0x0001, 0x0002}, RegisterType::U32, WordOrder::Big), 0x00010002);
  EXPECT_EQ(decode({0x0001, 0x0002}, RegisterType::U32, WordOrder::Little), 0x00020001);
  EXPECT_EQ(decode({0xEE6B, 0x2800}, RegisterType::U32, WordOrder::Big), 4'000'000'000.0);
  EXPECT_EQ(decode({0x2800, 0xEE6B}, RegisterType::U32, WordOrder::Little), 4'000'000'000.0);
  EXPECT_EQ(decode({0xFFFF, 0xFFFE}, RegisterType::I32, WordOrder::Big), -2);
  EXPECT_EQ(decode({0xFFFE, 0xFFFF}, RegisterType::I32, WordOrder::Little), -2);
  EXPECT_EQ(decode({0x8000, 0x0000}, RegisterType::I32, WordOrder::Big), -2147483648.0);
  EXPECT_EQ(decode({0x0000, 0x8000}, RegisterType::I32, WordOrder::Little), -2147483648.0);
  EXPECT_EQ(decode({0x0000, 0x8000}, RegisterType::I32, WordOrder::Big), 32768);
  // 1.5f = 0x3FC00000, -2.25f = 0xC0100000.
  EXPECT_EQ(decode({0x3FC0, 0x0000}, RegisterType::F32, WordOrder::Big), 1.5);
  EXPECT_EQ(decode({0x0000, 0x3FC0}, RegisterType::F32, WordOrder::Little), 1.5);
  EXPECT_EQ(decode({0xC010, 0x0000}, RegisterType::F32, WordOrder::Big), -2.25);
  EXPECT_EQ(decode({0x0000, 0xC010}, RegisterType::F32, WordOrder::Little), -2.25);
  // The wrong word order gives a different value, not the same one.
  EXPECT_NE(decode({0x3FC0, 0x0000}, RegisterType::F32, WordOrder::Little), 1.5);
}

TEST(ModbusDecode, ScaleAndOffset) {
  EXPECT_DOUBLE_EQ(decode({250}, RegisterType::U16, WordOrder::Big, 0.01), 2.5);
  EXPECT_DOUBLE_EQ(decode({250}, RegisterType::U16, WordOrder::Big, 0.01, -1), 1.5);
  EXPECT_DOUBLE_EQ(decode({0xFFF6}, RegisterType::I16, WordOrder::Big, 0.01), -0.1);
  EXPECT_DOUBLE_EQ(decode({0xFFFF, 0xFDA8}, RegisterType::I32, WordOrder::Big, 0.001), -0.6);
  EXPECT_DOUBLE_EQ(decode({0x3FC0, 0x0000}, RegisterType::F32, WordOrder::Big, 2, 0.25), 3.25);
  EXPECT_DOUBLE_EQ(decode({3800}, RegisterType::U16, WordOrder::Big, 0.1, 0), 380.0);
}

TEST(ModbusDecode, WrongCountsAndNonFiniteValuesAreErrors) {
  EXPECT_EQ(decodeError({1}, RegisterType::F32), "f32 takes 2 registers, got 1");
  EXPECT_EQ(decodeError({1, 2}, RegisterType::U16), "u16 takes 1 register, got 2");
  EXPECT_EQ(decodeError({}, RegisterType::I32), "i32 takes 2 registers, got 0");
  EXPECT_EQ(decodeError({0x7FC0, 0x0000}, RegisterType::F32), "f32 value 7fc00000 is not a finite number");
  EXPECT_EQ(decodeError({0x7F80, 0x0000}, RegisterType::F32), "f32 value 7f800000 is not a finite number");
  EXPECT_EQ(registerCount(RegisterType::U16), 1);
  EXPECT_EQ(registerCount(RegisterType::F32), 2);
}

TEST(ModbusConfig, ReadsDevicesAndPoints) {
  auto cfg = ConfigNode::loadString(R"(modbus:
  devices:
    - name: shiqiao-sluice
      host: 127.0.0.1
      port: 1502
      unit_id: 3
      poll_interval_s: 2.5
      timeout_ms: 800
      reconnect_max_s: 10
      latitude: 22.94
      longitude: 113.36
      points:
        - {sensor_id: sq-inner, quantity: water_level, unit: m, address: 0, type: f32}
        - {sensor_id: sq-outer, quantity: water_level, unit: m, address: 2, type: f32, word_order: little}
        - {sensor_id: sq-volume, quantity: volume, unit: m3, register: input, address: 0, type: u32,
           scale: 0.5, offset: -3}
    - name: other
      host: 10.0.0.9
      points:
        - {sensor_id: o-gate, quantity: gate_opening, address: 65535}
)",
                                    "node.yaml");
  auto o = readModbusOptions(cfg);
  EXPECT_NO_THROW(cfg.rejectUnknown());
  ASSERT_TRUE(o);
  ASSERT_EQ(o->devices.size(), 2u);
  const auto &d = o->devices[0];
  EXPECT_EQ(d.name, "shiqiao-sluice");
  EXPECT_EQ(d.port, 1502);
  EXPECT_EQ(d.unitId, 3);
  EXPECT_DOUBLE_EQ(d.pollIntervalS, 2.5);
  EXPECT_EQ(d.timeoutMs, 800);
  EXPECT_DOUBLE_EQ(d.reconnectMaxS, 10);
  EXPECT_DOUBLE_EQ(d.latitude, 22.94);
  ASSERT_EQ(d.points.size(), 3u);
  EXPECT_EQ(d.points[0].type, RegisterType::F32);
  EXPECT_EQ(d.points[0].wordOrder, WordOrder::Big);
  EXPECT_EQ(d.points[0].kind, RegisterKind::Holding);
  EXPECT_EQ(d.points[1].wordOrder, WordOrder::Little);
  EXPECT_EQ(d.points[2].kind, RegisterKind::Input);
  EXPECT_EQ(d.points[2].type, RegisterType::U32);
  EXPECT_DOUBLE_EQ(d.points[2].scale, 0.5);
  EXPECT_DOUBLE_EQ(d.points[2].offset, -3);
  EXPECT_EQ(d.points[2].unit, "m3");
  // Defaults.
  const auto &e = o->devices[1];
  EXPECT_EQ(e.port, 502);
  EXPECT_EQ(e.unitId, 1);
  EXPECT_DOUBLE_EQ(e.pollIntervalS, 5);
  EXPECT_EQ(e.points[0].type, RegisterType::U16);
  EXPECT_EQ(e.points[0].address, 65535);
  EXPECT_FALSE(readModbusOptions(ConfigNode::loadString("node: {}\n", "n.yaml")));
}

TEST(ModbusConfig, ErrorsNameFileLineAndKey) {
  const std::string head = "modbus:\n  devices:\n    - name: d1\n      host: 127.0.0.1\n";
  auto point = [&](const std::string &p) { return head + "      points:\n        - " + p + "\n"; };
  EXPECT_EQ(configError(point("{sensor_id: s, quantity: q, address: 0, type: f64}")),
            "node.yaml:6: modbus.devices[0].points[0].type: \"f64\" is not one of: u16, i16, u32, i32, f32");
  EXPECT_EQ(configError(point("{sensor_id: s, quantity: q, address: 0, register: coil}")),
            "node.yaml:6: modbus.devices[0].points[0].register: \"coil\" is not one of: holding, input");
  EXPECT_EQ(configError(point("{sensor_id: s, quantity: q, address: 0, type: u32, word_order: middle}")),
            "node.yaml:6: modbus.devices[0].points[0].word_order: \"middle\" is not one of: big, little");
  EXPECT_EQ(configError(point("{sensor_id: s, quantity: q, address: 65535, type: f32}")),
            "node.yaml:6: modbus.devices[0].points[0].address: must be 0..65534 for f32");
  EXPECT_EQ(configError(point("{sensor_id: s, quantity: q, address: -1}")),
            "node.yaml:6: modbus.devices[0].points[0].address: must be 0..65535 for u16");
  EXPECT_EQ(configError(point("{sensor_id: s, quantity: q, address: 1, scale: 0}")),
            "node.yaml:6: modbus.devices[0].points[0].scale: must be a finite number other than 0");
  EXPECT_EQ(configError(point("{sensor_id: s, quantity: q}")),
            "node.yaml:6: modbus.devices[0].points[0].address: required key is missing");
  EXPECT_EQ(configError(point("{sensor_id: s, quantity: q, address: 1, typo: 1}")),
            "node.yaml:6: modbus.devices[0].points[0].typo: unknown key");
  EXPECT_EQ(
      configError(head + "      points:\n        - {sensor_id: s, quantity: q, address: 1}\n"
                         "        - {sensor_id: s, quantity: q, address: 2}\n"),
      "node.yaml:7: modbus.devices[0].points[1].sensor_id: \"s\" with quantity \"q\" is configured twice");
  EXPECT_EQ(configError(head),
            "node.yaml:3: modbus.devices[0].points: no point is configured for device \"d1\"");
  EXPECT_EQ(configError("modbus:\n  devices:\n    - name: d1\n      host: h\n      port: 70000\n"),
            "node.yaml:5: modbus.devices[0].port: must be 1..65535");
  EXPECT_EQ(configError("modbus:\n  devices:\n    - name: d1\n      host: h\n      unit_id: 248\n"),
            "node.yaml:5: modbus.devices[0].unit_id: must be 0..247 or 255");
  EXPECT_EQ(configError("modbus:\n  devices:\n    - name: d1\n      host: h\n      poll_interval_s: 0\n"),
            "node.yaml:5: modbus.devices[0].poll_interval_s: must be 0.1..86400");
  EXPECT_EQ(configError("modbus:\n  devices:\n    - name: d1\n      host: h\n      timeout_ms: 1\n"),
            "node.yaml:5: modbus.devices[0].timeout_ms: must be 10..60000");
  EXPECT_EQ(configError("modbus:\n  devices:\n    - name: d1\n      hots: h\n"),
            "node.yaml:3: modbus.devices[0].host: required key is missing");
  EXPECT_EQ(configError("modbus:\n  devices: []\n"), "node.yaml:2: modbus.devices: no device is configured");
  EXPECT_EQ(configError("modbus:\n  devices:\n    - {name: a, host: h, points: [{sensor_id: s, quantity: q, "
                        "address: 1}]}\n    - {name: a, host: h}\n"),
            "node.yaml:4: modbus.devices[1].name: device \"a\" is listed twice");
  EXPECT_EQ(configError("modbus:\n  poll: 1\n  devices:\n    - {name: a, host: h, points: [{sensor_id: s, "
                        "quantity: q, address: 1}]}\n"),
            "node.yaml:2: modbus.poll: unknown key");
}

// --- with the real simulator -------------------------------------------------

namespace {

class ModbusDeviceTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("liandong-modbus-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Process> startDevice(int port, std::vector<std::string> extra, const std::string &log) {
    std::vector<std::string> args{"--port", std::to_string(port), "--name", "sluice-sim"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto p = std::make_unique<Process>(liandong::testing::binaryDir() + "/ingest/liandong-modbus-device",
                                       args, (dir_ / log).string());
    EXPECT_TRUE(p->waitForOutput("listening on", 10000)) << p->output();
    return p;
  }

  static ModbusPoint point(const std::string &id, const std::string &quantity, int address,
                           RegisterType type = RegisterType::U16, RegisterKind kind = RegisterKind::Holding,
                           WordOrder order = WordOrder::Big, double scale = 1) {
    ModbusPoint p;
    p.sensorId = id;
    p.quantity = quantity;
    p.address = address;
    p.type = type;
    p.kind = kind;
    p.wordOrder = order;
    p.scale = scale;
    return p;
  }

  static ModbusDevice device(const std::string &name, int port, int unit = 1) {
    ModbusDevice d;
    d.name = name;
    d.host = "127.0.0.1";
    d.port = port;
    d.unitId = unit;
    d.pollIntervalS = 0.2;
    d.timeoutMs = 1000;
    d.reconnectMaxS = 0.5;
    d.latitude = 22.94;
    d.longitude = 113.36;
    return d;
  }

  // Takes readings until `done` holds for the latest reading per sensor id.
  static std::map<std::string, wire::Reading> collect(
      ModbusSource &source, const std::function<bool(const std::map<std::string, wire::Reading> &)> &done,
      int timeoutMs = 15000) {
    std::map<std::string, wire::Reading> latest;
    waitUntil(
        [&] {
          for (auto &r : source.take()) latest[r.sensor_id()] = r;
          return done(latest);
        },
        timeoutMs);
    return latest;
  }

  std::filesystem::path dir_;
};

}  // namespace

TEST_F(ModbusDeviceTest, ReadsEveryTypeFromTheSimulator) {
  int port = liandong::testing::freeTcpPort();
  // Frozen: inner 2.3 m under an outer 2.9 m river, so pumps 1 and 2 run,
  // the gate is shut and the head is negative.
  auto sim =
      startDevice(port, {"--freeze", "--inner-level", "2.3", "--outer-base", "2.9", "--volume", "4000000000"},
                  "frozen.log");
  ModbusOptions o;
  auto d = device("shiqiao-sluice", port);
  d.points = {
      point("sq-inner", "water_level", 0, RegisterType::F32),
      point("sq-outer", "river_level", 2, RegisterType::F32, RegisterKind::Holding, WordOrder::Little),
      point("sq-gate", "gate_opening", 4, RegisterType::U16, RegisterKind::Holding, WordOrder::Big, 0.01),
      point("sq-pump-1", "pump_running", 5),
      point("sq-pump-2", "pump_running", 6),
      point("sq-pump-3", "pump_running", 7),
      point("sq-rate", "water_level_rate", 8, RegisterType::I16, RegisterKind::Holding, WordOrder::Big, 0.01),
      point("sq-volume", "pumped_volume", 0, RegisterType::U32, RegisterKind::Input),
      point("sq-head", "head", 2, RegisterType::I32, RegisterKind::Input, WordOrder::Little, 0.001),
      point("sq-supply", "supply_voltage", 4, RegisterType::U16, RegisterKind::Input, WordOrder::Big, 0.1),
      point("sq-missing", "water_level", 100),  // past the simulator's map: an exception answer
  };
  d.points[6].unit = "m/h";
  d.points[0].unit = "m";
  o.devices.push_back(d);
  // A second device at the same address with a unit id the simulator does not answer.
  auto wrongUnit = device("shiqiao-wrong-unit", port, 9);
  wrongUnit.points = {point("wu-gate", "gate_opening", 4)};
  o.devices.push_back(wrongUnit);

  ModbusSource source(o);
  auto got = collect(source, [](const auto &m) { return m.size() >= 10; });
  ASSERT_EQ(got.size(), 10u) << sim->output();
  EXPECT_FALSE(got.count("sq-missing"));
  EXPECT_FALSE(got.count("wu-gate"));
  EXPECT_NEAR(got["sq-inner"].value(), 2.3, 1e-6);
  EXPECT_EQ(got["sq-inner"].unit(), "m");
  EXPECT_EQ(got["sq-inner"].quantity(), "water_level");
  EXPECT_DOUBLE_EQ(got["sq-inner"].latitude(), 22.94);
  EXPECT_GT(got["sq-inner"].observed_at_us(), 1'700'000'000'000'000);
  EXPECT_NEAR(got["sq-outer"].value(), 2.9, 1e-6);
  EXPECT_EQ(got["sq-gate"].value(), 0);
  EXPECT_EQ(got["sq-pump-1"].value(), 1);
  EXPECT_EQ(got["sq-pump-2"].value(), 1);
  EXPECT_EQ(got["sq-pump-3"].value(), 0);
  // rain 0.4 m/h minus two pumps at 0.25 m/h.
  EXPECT_DOUBLE_EQ(got["sq-rate"].value(), -0.1);
  EXPECT_EQ(got["sq-volume"].value(), 4'000'000'000.0);
  EXPECT_DOUBLE_EQ(got["sq-head"].value(), -0.6);
  EXPECT_DOUBLE_EQ(got["sq-supply"].value(), 380.0);

  // The failing points are named with their devices; the rest goes on.
  ASSERT_TRUE(waitUntil([&] {
    auto st = source.stats();
    return st[0].failedReads > 0 && st[1].failedReads > 0;
  }));
  auto st = source.stats();
  EXPECT_TRUE(st[0].connected);
  EXPECT_EQ(st[0].name, "shiqiao-sluice");
  EXPECT_NE(st[0].lastError.find("Modbus device shiqiao-sluice"), std::string::npos) << st[0].lastError;
  EXPECT_NE(st[0].lastError.find("point sq-missing (holding register 100, u16)"), std::string::npos)
      << st[0].lastError;
  EXPECT_NE(st[0].lastError.find("Illegal data address"), std::string::npos) << st[0].lastError;
  EXPECT_EQ(st[0].lastError.find('\n'), std::string::npos);
  EXPECT_NE(st[1].lastError.find("Modbus device shiqiao-wrong-unit"), std::string::npos) << st[1].lastError;
  EXPECT_NE(st[1].lastError.find("unit 9"), std::string::npos) << st[1].lastError;
  EXPECT_NE(st[1].lastError.find("point wu-gate"), std::string::npos) << st[1].lastError;
  // An exception answer keeps the connection: the good points keep coming.
  EXPECT_TRUE(st[1].connected);
  EXPECT_EQ(st[1].readings, 0u);
  EXPECT_GT(st[0].readings, 0u);
}

TEST_F(ModbusDeviceTest, ValuesChangeOverTime) {
  int port = liandong::testing::freeTcpPort();
  auto sim = startDevice(port, {"--period-s", "3", "--amplitude", "1"}, "tide.log");
  ModbusOptions o;
  auto d = device("tide", port);
  d.points = {point("outer", "river_level", 2, RegisterType::F32, RegisterKind::Holding, WordOrder::Little)};
  o.devices.push_back(d);
  ModbusSource source(o);
  std::vector<double> seen;
  ASSERT_TRUE(waitUntil(
      [&] {
        for (auto &r : source.take()) seen.push_back(r.value());
        return seen.size() >= 2 &&
               std::any_of(seen.begin(), seen.end(), [&](double v) { return v != seen[0]; });
      },
      15000))
      << sim->output();
  for (double v : seen) {
    EXPECT_GE(v, 1.2 - 1 - 1e-6);
    EXPECT_LE(v, 1.2 + 1 + 1e-6);
  }
}

TEST_F(ModbusDeviceTest, UnreachableDeviceIsReportedAndRecovers) {
  int port = liandong::testing::freeTcpPort();
  ModbusOptions o;
  auto d = device("panyu-pump-7", port);
  d.points = {point("p7-inner", "water_level", 0, RegisterType::F32)};
  o.devices.push_back(d);
  ModbusSource source(o);
  ASSERT_TRUE(waitUntil([&] { return source.stats()[0].failedConnects >= 2; }));
  auto st = source.stats()[0];
  EXPECT_FALSE(st.connected);
  EXPECT_NE(st.lastError.find("Modbus device panyu-pump-7 (127.0.0.1:" + std::to_string(port) +
                              " unit 1) unreachable: Connection refused"),
            std::string::npos)
      << st.lastError;
  EXPECT_TRUE(source.take().empty());

  // The device comes up: the source connects by itself and readings flow.
  auto sim = startDevice(port, {"--freeze", "--inner-level", "1.75"}, "late.log");
  auto got = collect(source, [](const auto &m) { return m.count("p7-inner") > 0; });
  ASSERT_TRUE(got.count("p7-inner")) << sim->output();
  EXPECT_NEAR(got["p7-inner"].value(), 1.75, 1e-6);
  EXPECT_TRUE(source.stats()[0].connected);

  // It goes away: the loss is noticed and named; then back again.
  sim->stop();
  ASSERT_TRUE(waitUntil([&] { return !source.stats()[0].connected; }));
  auto failed = source.stats()[0].failedConnects;
  ASSERT_TRUE(waitUntil([&] { return source.stats()[0].failedConnects > failed; }));
  EXPECT_NE(source.stats()[0].lastError.find("panyu-pump-7"), std::string::npos);
  source.take();
  sim = startDevice(port, {"--freeze", "--inner-level", "1.95"}, "again.log");
  auto again = collect(source, [](const auto &m) {
    auto it = m.find("p7-inner");
    return it != m.end() && std::abs(it->second.value() - 1.95) < 1e-6;
  });
  ASSERT_TRUE(again.count("p7-inner"));
  EXPECT_NEAR(again["p7-inner"].value(), 1.95, 1e-6);
}

TEST_F(ModbusDeviceTest, StopsPromptlyWhileADeviceIsUnreachable) {
  // Destruction must not hang on a back-off or a connect in progress.
  ModbusOptions o;
  auto d = device("gone", liandong::testing::freeTcpPort());
  d.reconnectMaxS = 3600;
  d.points = {point("g", "water_level", 0)};
  o.devices.push_back(d);
  auto source = std::make_unique<ModbusSource>(o);
  ASSERT_TRUE(waitUntil([&] { return source->stats()[0].failedConnects >= 1; }));
  source.reset();  // joins the worker; a hang would time the test out
  EXPECT_FALSE(source);
}
