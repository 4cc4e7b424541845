// Modbus TCP devices (pump-station and sluice-gate PLCs, RTUs, meters): the
// node polls each device listed under `modbus:` in its configuration with
// libmodbus and turns each point of the device's register map (address,
// holding or input register, u16/i16/u32/i32/f32 with a word order, scale,
// offset) into a Reading. Each device has its own worker thread, so a slow or
// unreachable device never delays another or the node's loop; readings are
// collected with take(), like MqttSource. An unreachable device is retried
// with a growing back-off; a failed read is logged in one line naming the
// device and the point. decodeRegisters() is the pure part (tested, fuzzed).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "liandong.pb.h"
#include "liandong/core/config.h"

namespace liandong::ingest {

enum class RegisterKind { Holding, Input };
enum class RegisterType { U16, I16, U32, I32, F32 };
// For 32-bit types: Big = the high word at the lower address ("ABCD", the
// Modbus convention); Little = the low word first ("CDAB", many PLCs).
// Bytes within a register are always big-endian, as the protocol says.
enum class WordOrder { Big, Little };

// Registers one value of `type` takes (1 or 2).
int registerCount(RegisterType type);
const char *registerTypeName(RegisterType type);
const char *registerKindName(RegisterKind kind);

// raw value of `regs` as `type` (in `order`), times `scale`, plus `offset`.
// Throws Error when `regs` does not hold exactly registerCount(type)
// registers or when the result is not a finite number (an f32 NaN).
double decodeRegisters(std::span<const std::uint16_t> regs, RegisterType type, WordOrder order, double scale,
                       double offset);

struct ModbusPoint {
  std::string sensorId;
  std::string quantity;  // water_level, pump_running, gate_opening, ...
  std::string unit;
  int address = 0;  // register address, 0-based as on the wire
  RegisterKind kind = RegisterKind::Holding;
  RegisterType type = RegisterType::U16;
  WordOrder wordOrder = WordOrder::Big;
  double scale = 1, offset = 0;
};

struct ModbusDevice {
  std::string name;  // names the device in logs and errors
  std::string host;
  int port = 502;
  int unitId = 1;
  double pollIntervalS = 5;
  int timeoutMs = 1000;       // connect and response timeout of every request
  double reconnectMaxS = 30;  // the back-off grows 1 s, 2 s, 4 s, ... up to this
  double latitude = 0, longitude = 0;
  std::vector<ModbusPoint> points;
};

struct ModbusOptions {
  std::vector<ModbusDevice> devices;
};

// Reads the `modbus:` section of a node configuration (nullopt when absent).
// Throws ConfigError naming file, line and key.
std::optional<ModbusOptions> readModbusOptions(const ConfigNode &node);

struct ModbusDeviceStats {
  std::string name;
  bool connected = false;
  std::uint64_t polls = 0, readings = 0, failedReads = 0, failedConnects = 0;
  std::string lastError;  // the latest one-line error ("" when none yet)
};

class ModbusSource {
public:
  explicit ModbusSource(ModbusOptions options);  // starts one polling thread per device
  ~ModbusSource();                               // stops and joins them
  ModbusSource(const ModbusSource &) = delete;
  ModbusSource &operator=(const ModbusSource &) = delete;
  // The readings polled since the last call.
  std::vector<wire::Reading> take();
  std::vector<ModbusDeviceStats> stats() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace liandong::ingest
