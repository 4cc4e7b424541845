// Fuzz target for the Modbus adapter's untrusted inputs: register contents
// (whatever a device answers) through decodeRegisters for every type and word
// order, and the text as a node configuration through readModbusOptions. Each
// must give a value or a clean Error, never a crash. Built with libFuzzer by
// `scripts/bench fuzz`; the suite replays tests/ingest/sensors/corpus/modbus.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "liandong/core/config.h"
#include "liandong/core/errors.h"
#include "liandong/ingest/sensors/modbus_source.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  using namespace liandong::ingest;
  // The first bytes as registers (big-endian on the wire, as libmodbus gives them).
  std::uint16_t regs[3] = {0, 0, 0};
  std::size_t n = std::min<std::size_t>(3, size / 2);
  for (std::size_t i = 0; i < n; ++i)
    regs[i] = static_cast<std::uint16_t>(data[2 * i] << 8 | data[2 * i + 1]);
  for (auto type :
       {RegisterType::U16, RegisterType::I16, RegisterType::U32, RegisterType::I32, RegisterType::F32})
    for (auto order : {WordOrder::Big, WordOrder::Little})
      for (std::size_t count = 0; count <= n; ++count) {
        try {
          double v = decodeRegisters(std::span<const std::uint16_t>(regs, count), type, order, 0.01, -1);
          if (!std::isfinite(v)) std::abort();  // promised: finite or an Error
        } catch (const liandong::Error &) {
          // refused with a reason: fine
        }
      }
  std::string text(reinterpret_cast<const char *>(data), size);
  try {
    auto cfg = liandong::ConfigNode::loadString(text, "fuzz.yaml");
    auto o = readModbusOptions(cfg);
    cfg.rejectUnknown();
    if (o)
      for (const auto &d : o->devices)
        for (const auto &p : d.points)
          if (p.address + registerCount(p.type) > 65536 || p.scale == 0) std::abort();  // validation promised
  } catch (const liandong::Error &) {
    // refused with a reason: fine
  }
  return 0;
}
