// Modbus TCP polling through libmodbus (see modbus_source.h). One worker
// thread per device owns that device's modbus_t (never shared between
// threads, as libmodbus requires); readings and statistics cross to the
// node's loop under one mutex.
#include "liandong/ingest/sensors/modbus_source.h"

#include <modbus.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "liandong/core/logging.h"

namespace liandong::ingest {

int registerCount(RegisterType type) {
  return type == RegisterType::U16 || type == RegisterType::I16 ? 1 : 2;
}

const char *registerTypeName(RegisterType type) {
  switch (type) {
    case RegisterType::U16: return "u16";
    case RegisterType::I16: return "i16";
    case RegisterType::U32: return "u32";
    case RegisterType::I32: return "i32";
    case RegisterType::F32: return "f32";
  }
  return "?";
}

const char *registerKindName(RegisterKind kind) {
  return kind == RegisterKind::Holding ? "holding" : "input";
}

double decodeRegisters(std::span<const std::uint16_t> regs, RegisterType type, WordOrder order, double scale,
                       double offset) {
  auto want = static_cast<std::size_t>(registerCount(type));
  if (regs.size() != want)
    throw Error(fmt::format("{} takes {} register{}, got {}", registerTypeName(type), want,
                            want == 1 ? "" : "s", regs.size()));
  double raw = 0;
  if (type == RegisterType::U16) {
    raw = regs[0];
  } else if (type == RegisterType::I16) {
    raw = static_cast<std::int16_t>(regs[0]);
  } else {
    std::uint32_t hi = order == WordOrder::Big ? regs[0] : regs[1];
    std::uint32_t lo = order == WordOrder::Big ? regs[1] : regs[0];
    std::uint32_t u = hi << 16 | lo;
    if (type == RegisterType::U32)
      raw = u;
    else if (type == RegisterType::I32)
      raw = static_cast<std::int32_t>(u);
    else
      raw = std::bit_cast<float>(u);
  }
  double value = raw * scale + offset;
  if (!std::isfinite(value))
    throw Error(fmt::format("{} value {:04x}{} is not a finite number", registerTypeName(type), regs[0],
                            want == 2 ? fmt::format("{:04x}", regs[1]) : ""));
  return value;
}

std::optional<ModbusOptions> readModbusOptions(const ConfigNode &node) {
  auto n = node.optionalChild("modbus");
  if (!n) return std::nullopt;
  ModbusOptions o;
  std::set<std::string> names, sensors;
  for (const auto &d : n->list("devices")) {
    ModbusDevice dev;
    dev.name = d.str("name");
    if (dev.name.empty()) d.fail("name", "must not be empty");
    if (!names.insert(dev.name).second) d.fail("name", "device \"" + dev.name + "\" is listed twice");
    dev.host = d.str("host");
    if (dev.host.empty()) d.fail("host", "must not be empty");
    dev.port = static_cast<int>(d.integer("port", 502));
    if (dev.port < 1 || dev.port > 65535) d.fail("port", "must be 1..65535");
    auto unit = d.integer("unit_id", 1);
    if ((unit < 0 || unit > 247) && unit != 255) d.fail("unit_id", "must be 0..247 or 255");
    dev.unitId = static_cast<int>(unit);
    dev.pollIntervalS = d.number("poll_interval_s", 5);
    if (!(dev.pollIntervalS >= 0.1 && dev.pollIntervalS <= 86400))
      d.fail("poll_interval_s", "must be 0.1..86400");
    auto timeout = d.integer("timeout_ms", 1000);
    if (timeout < 10 || timeout > 60000) d.fail("timeout_ms", "must be 10..60000");
    dev.timeoutMs = static_cast<int>(timeout);
    dev.reconnectMaxS = d.number("reconnect_max_s", 30);
    if (!(dev.reconnectMaxS >= 0.1 && dev.reconnectMaxS <= 3600))
      d.fail("reconnect_max_s", "must be 0.1..3600");
    dev.latitude = d.number("latitude", 0);
    dev.longitude = d.number("longitude", 0);
    if (!(std::abs(dev.latitude) <= 90)) d.fail("latitude", "must be -90..90");
    if (!(std::abs(dev.longitude) <= 180)) d.fail("longitude", "must be -180..180");
    for (const auto &p : d.list("points")) {
      ModbusPoint pt;
      pt.sensorId = p.str("sensor_id");
      if (pt.sensorId.empty() || pt.sensorId.size() > 64) p.fail("sensor_id", "must be 1..64 characters");
      pt.quantity = p.str("quantity");
      if (pt.quantity.empty()) p.fail("quantity", "must not be empty");
      if (!sensors.insert(pt.sensorId + "\n" + pt.quantity).second)
        p.fail("sensor_id",
               "\"" + pt.sensorId + "\" with quantity \"" + pt.quantity + "\" is configured twice");
      pt.unit = p.str("unit", "");
      pt.kind = p.choice("register", {"holding", "input"}, "holding") == "holding" ? RegisterKind::Holding
                                                                                   : RegisterKind::Input;
      auto type = p.choice("type", {"u16", "i16", "u32", "i32", "f32"}, "u16");
      pt.type = type == "u16"   ? RegisterType::U16
                : type == "i16" ? RegisterType::I16
                : type == "u32" ? RegisterType::U32
                : type == "i32" ? RegisterType::I32
                                : RegisterType::F32;
      pt.wordOrder =
          p.choice("word_order", {"big", "little"}, "big") == "big" ? WordOrder::Big : WordOrder::Little;
      auto address = p.integer("address");
      if (address < 0 || address + registerCount(pt.type) - 1 > 65535)
        p.fail("address", fmt::format("must be 0..{} for {}", 65536 - registerCount(pt.type), type));
      pt.address = static_cast<int>(address);
      pt.scale = p.number("scale", 1);
      if (!std::isfinite(pt.scale) || pt.scale == 0) p.fail("scale", "must be a finite number other than 0");
      pt.offset = p.number("offset", 0);
      if (!std::isfinite(pt.offset)) p.fail("offset", "must be a finite number");
      dev.points.push_back(std::move(pt));
    }
    if (dev.points.empty()) d.fail("points", "no point is configured for device \"" + dev.name + "\"");
    o.devices.push_back(std::move(dev));
  }
  if (o.devices.empty()) n->fail("devices", "no device is configured");
  return o;
}

namespace {

struct ModbusFree {
  void operator()(modbus_t *ctx) const {
    modbus_close(ctx);
    modbus_free(ctx);
  }
};
using ModbusPtr = std::unique_ptr<modbus_t, ModbusFree>;

// A Modbus exception answer (illegal address, busy, ...): the device is there
// and the connection stays usable. Anything else (timeout, reset, garbage)
// leaves the stream in doubt, so the connection is dropped.
bool isModbusException(int err) {
  return err >= EMBXILFUN && err <= EMBXGTAR;
}

std::string describe(const ModbusDevice &d) {
  return fmt::format("{}:{} unit {}", d.host, d.port, d.unitId);
}

}  // namespace

struct ModbusSource::Impl {
  ModbusOptions options;
  std::shared_ptr<spdlog::logger> log = logging::get("modbus");
  mutable std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::vector<wire::Reading> queue;
  std::vector<ModbusDeviceStats> stats;
  std::vector<std::thread> threads;

  // Sleeps until `until` or stop; returns false when stopping.
  bool sleepUntil(std::chrono::steady_clock::time_point until) {
    std::unique_lock lock(mutex);
    return !wake.wait_until(lock, until, [&] { return stopping; });
  }

  ModbusPtr connect(const ModbusDevice &d, std::string &why) {
    ModbusPtr ctx(modbus_new_tcp_pi(d.host.c_str(), std::to_string(d.port).c_str()));
    if (!ctx) {
      why = std::string("cannot create a libmodbus context: ") + modbus_strerror(errno);
      return nullptr;
    }
    auto s = static_cast<std::uint32_t>(d.timeoutMs / 1000),
         us = static_cast<std::uint32_t>(d.timeoutMs % 1000) * 1000;
    if (modbus_set_slave(ctx.get(), d.unitId) != 0 || modbus_set_response_timeout(ctx.get(), s, us) != 0 ||
        modbus_set_byte_timeout(ctx.get(), s, us) != 0) {
      why = std::string("cannot set up the libmodbus context: ") + modbus_strerror(errno);
      return nullptr;
    }
    // libmodbus bounds the TCP connect by the response timeout.
    errno = 0;
    if (modbus_connect(ctx.get()) != 0) {
      // A connect that timed out in libmodbus's select leaves errno at 0.
      why = errno == 0 ? fmt::format("no answer within {} ms", d.timeoutMs) : modbus_strerror(errno);
      return nullptr;
    }
    return ctx;
  }

  // Reads every point once; false when the connection must be dropped.
  bool pollDevice(std::size_t index, modbus_t *ctx, std::vector<std::string> &pointErrors) {
    const auto &d = options.devices[index];
    std::vector<wire::Reading> got;
    std::vector<std::string> failures;
    bool linkLost = false;
    for (std::size_t k = 0; k < d.points.size() && !linkLost; ++k) {
      const auto &p = d.points[k];
      std::uint16_t regs[2] = {0, 0};
      int count = registerCount(p.type);
      int rc = p.kind == RegisterKind::Holding ? modbus_read_registers(ctx, p.address, count, regs)
                                               : modbus_read_input_registers(ctx, p.address, count, regs);
      int err = errno;
      std::string why;
      double value = 0;
      if (rc == -1) {
        why = modbus_strerror(err);
        linkLost = !isModbusException(err);
      } else if (rc != count) {
        why = fmt::format("{} registers answered instead of {}", rc, count);
      } else {
        try {
          value = decodeRegisters(std::span<const std::uint16_t>(regs, static_cast<std::size_t>(count)),
                                  p.type, p.wordOrder, p.scale, p.offset);
        } catch (const Error &e) {
          why = e.what();
        }
      }
      if (!why.empty()) {
        auto line = fmt::format("Modbus device {} ({}) point {} ({} register {}, {}): read failed: {}",
                                d.name, describe(d), p.sensorId, registerKindName(p.kind), p.address,
                                registerTypeName(p.type), why);
        // One line per new failure, not one per poll.
        if (pointErrors[k] != why) log->warn("{}", line);
        pointErrors[k] = why;
        failures.push_back(std::move(line));
        continue;
      }
      if (!pointErrors[k].empty()) {
        log->info("Modbus device {} point {} reads again", d.name, p.sensorId);
        pointErrors[k].clear();
      }
      wire::Reading r;
      r.set_sensor_id(p.sensorId);
      r.set_quantity(p.quantity);
      r.set_unit(p.unit);
      r.set_value(value);
      r.set_observed_at_us(nowUs());
      r.set_latitude(d.latitude);
      r.set_longitude(d.longitude);
      got.push_back(std::move(r));
    }
    std::lock_guard lock(mutex);
    auto &st = stats[index];
    ++st.polls;
    st.readings += got.size();
    st.failedReads += failures.size();
    if (!failures.empty()) st.lastError = failures.back();
    if (linkLost) st.connected = false;
    for (auto &r : got)
      if (queue.size() < 100000) queue.push_back(std::move(r));
    return !linkLost;
  }

  void run(std::size_t index) {
    using namespace std::chrono;
    const auto &d = options.devices[index];
    const auto interval = duration_cast<steady_clock::duration>(duration<double>(d.pollIntervalS));
    const double firstBackoff = std::min(1.0, d.reconnectMaxS);
    double backoffS = firstBackoff;
    bool reportedDown = false;
    std::vector<std::string> pointErrors(d.points.size());
    ModbusPtr ctx;
    auto nextPoll = steady_clock::now();
    for (;;) {
      if (!ctx) {
        std::string why;
        ctx = connect(d, why);
        if (!ctx) {
          auto line = fmt::format("Modbus device {} ({}) unreachable: {}; retrying in {:g} s", d.name,
                                  describe(d), why, backoffS);
          if (!reportedDown)
            log->warn("{}", line);
          else
            log->debug("{}", line);
          reportedDown = true;
          {
            std::lock_guard lock(mutex);
            ++stats[index].failedConnects;
            stats[index].lastError = line;
          }
          auto wait = duration_cast<steady_clock::duration>(duration<double>(backoffS));
          backoffS = std::min(backoffS * 2, d.reconnectMaxS);
          if (!sleepUntil(steady_clock::now() + wait)) return;
          continue;
        }
        log->info("Modbus device {} connected ({}, {} points every {:g} s)", d.name, describe(d),
                  d.points.size(), d.pollIntervalS);
        backoffS = firstBackoff;
        reportedDown = false;
        {
          std::lock_guard lock(mutex);
          stats[index].connected = true;
        }
        nextPoll = steady_clock::now();
      }
      if (steady_clock::now() >= nextPoll) {
        if (!pollDevice(index, ctx.get(), pointErrors)) {
          log->warn("Modbus device {} ({}): connection dropped after a failed read; reconnecting", d.name,
                    describe(d));
          ctx.reset();
          continue;
        }
        nextPoll += interval;
        // Behind schedule (a slow device): skip the missed polls rather than bursting.
        if (nextPoll < steady_clock::now()) nextPoll = steady_clock::now() + interval;
      }
      if (!sleepUntil(nextPoll)) return;
    }
  }
};

ModbusSource::ModbusSource(ModbusOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  for (const auto &d : impl_->options.devices) {
    ModbusDeviceStats st;
    st.name = d.name;
    impl_->stats.push_back(st);
  }
  try {
    for (std::size_t i = 0; i < impl_->options.devices.size(); ++i) {
      impl_->threads.emplace_back([impl = impl_.get(), i] {
        try {
          impl->run(i);
        } catch (const std::exception &e) {
          // Only a programming error gets here; the device stops, the node goes on.
          impl->log->error("Modbus device {} stopped: {}", impl->options.devices[i].name, e.what());
        }
      });
    }
  } catch (const std::system_error &e) {
    {
      std::lock_guard lock(impl_->mutex);
      impl_->stopping = true;
    }
    impl_->wake.notify_all();
    for (auto &t : impl_->threads) t.join();
    throw SystemError("modbus: cannot start a polling thread", e.code().value());
  }
  impl_->log->info("Modbus polling {} devices", impl_->options.devices.size());
}

ModbusSource::~ModbusSource() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  for (auto &t : impl_->threads) t.join();
}

std::vector<wire::Reading> ModbusSource::take() {
  std::lock_guard lock(impl_->mutex);
  std::vector<wire::Reading> out;
  out.swap(impl_->queue);
  return out;
}

std::vector<ModbusDeviceStats> ModbusSource::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->stats;
}

}  // namespace liandong::ingest
