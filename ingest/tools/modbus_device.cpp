// liandong-modbus-device: a simulated pump-station and sluice-gate PLC (a
// drainage station on a river in Panyu, 排涝站/水闸) for the demo and the
// tests. A real Modbus TCP server (libmodbus: listen, receive, reply from a
// register mapping) serving several clients at once. The plant changes over
// time: the outer river level follows a tide (with an optional storm surge),
// rain raises the inner level, pumps start and stop on level thresholds with
// hysteresis, and the gate opens for gravity drainage while the river is
// lower. --freeze keeps the initial state, so tests know every value.
//
// Register map (addresses 0-based as on the wire; docs/ingest.md has it too):
//   holding 0-1  inner water level, f32 big word order (ABCD), m
//   holding 2-3  outer river level, f32 little word order (CDAB), m
//   holding 4    gate opening, u16, 0.01 m
//   holding 5-7  pumps 1-3 running, u16 0/1
//   holding 8    inner level rate of change, i16, cm/h
//   input   0-1  volume pumped since commissioning, u32 big, m3
//   input   2-3  head (inner - outer), i32 little, mm
//   input   4    supply voltage, u16, 0.1 V
#include <poll.h>
#include <sys/socket.h>

#include <modbus.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "liandong/core/clock.h"
#include "liandong/core/daemon.h"
#include "liandong/core/fd.h"

using namespace liandong;

namespace {

// The server context only borrows client sockets (modbus_set_socket); they
// are owned by Fd, so the context must not close them.
struct ServerContextFree {
  void operator()(modbus_t *ctx) const {
    modbus_set_socket(ctx, -1);
    modbus_free(ctx);
  }
};
struct MappingFree {
  void operator()(modbus_mapping_t *m) const { modbus_mapping_free(m); }
};

struct PlantOptions {
  double innerLevel = 1.8, outerBase = 1.2, amplitude = 0.8, periodS = 600;
  double rainRise = 0.4;  // m/h that rain adds to the inner level
  double surgeAtS = -1, surge = 0;
  std::uint32_t volume = 1'250'000;
};

constexpr double kPumpStart[3] = {2.0, 2.2, 2.4};  // m, inner level
constexpr double kPumpStop = 1.6;
constexpr double kPumpLowering = 0.25;  // m/h of inner level per pump
constexpr double kPumpFlow = 4.0;       // m3/s per pump
constexpr double kGateFull = 2.5;       // m
constexpr double kGateSpeed = 0.05;     // m/s

struct Plant {
  PlantOptions o;
  double inner = 0, outer = 0, gate = 0, rate = 0, voltage = 380, volume = 0;
  bool pump[3] = {false, false, false};

  explicit Plant(const PlantOptions &options)
      : o(options), inner(options.innerLevel), volume(options.volume) {
    outer = outerAt(0);
    control();
    gate = gateTarget();
    rate = rateOfChange();
  }
  double outerAt(double t) const {
    double level = o.outerBase + o.amplitude * std::sin(2 * M_PI * t / o.periodS);
    if (o.surgeAtS >= 0 && t >= o.surgeAtS) level += o.surge * std::min(1.0, (t - o.surgeAtS) / 60.0);
    return level;
  }
  int pumpsRunning() const { return pump[0] + pump[1] + pump[2]; }
  double gateTarget() const { return inner > outer + 0.05 ? kGateFull : 0; }
  void control() {
    for (int k = 0; k < 3; ++k) {
      if (inner > kPumpStart[k]) pump[k] = true;
      if (inner < kPumpStop) pump[k] = false;
    }
  }
  double rateOfChange() const {  // m/h
    double gateDrain = inner > outer ? gate / kGateFull * 0.8 * std::min(1.0, (inner - outer) / 0.5) : 0;
    return o.rainRise - kPumpLowering * pumpsRunning() - gateDrain;
  }
  void step(double t, double dt) {
    outer = outerAt(t);
    control();
    double target = gateTarget();
    gate += std::clamp(target - gate, -kGateSpeed * dt, kGateSpeed * dt);
    rate = rateOfChange();
    inner = std::max(0.3, inner + rate * dt / 3600);
    volume += kPumpFlow * pumpsRunning() * dt;
    voltage = 380 + 3 * std::sin(2 * M_PI * t / 900);
  }

  void store(modbus_mapping_t *m) const {
    auto put32 = [](std::uint16_t *regs, int at, std::uint32_t u, bool bigWordOrder) {
      auto hi = static_cast<std::uint16_t>(u >> 16), lo = static_cast<std::uint16_t>(u & 0xFFFF);
      regs[at] = bigWordOrder ? hi : lo;
      regs[at + 1] = bigWordOrder ? lo : hi;
    };
    auto *hr = m->tab_registers;
    auto *ir = m->tab_input_registers;
    put32(hr, 0, std::bit_cast<std::uint32_t>(static_cast<float>(inner)), true);
    put32(hr, 2, std::bit_cast<std::uint32_t>(static_cast<float>(outer)), false);
    hr[4] = static_cast<std::uint16_t>(std::lround(gate * 100));
    for (int k = 0; k < 3; ++k) hr[5 + k] = pump[k] ? 1 : 0;
    hr[8] = static_cast<std::uint16_t>(static_cast<std::int16_t>(std::lround(rate * 100)));
    put32(ir, 0, static_cast<std::uint32_t>(volume), true);
    put32(ir, 2, static_cast<std::uint32_t>(static_cast<std::int32_t>(std::lround((inner - outer) * 1000))),
          false);
    ir[4] = static_cast<std::uint16_t>(std::lround(voltage * 10));
  }
};

}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"Simulated Modbus TCP pump-station and sluice-gate PLC"};
  std::string host = "127.0.0.1", name = "panyu-shiqiao-sluice";
  int port = 0, unit = 1;
  bool freeze = false, debug = false;
  PlantOptions o;
  app.add_option("--host", host, "IPv4 address to listen on")->default_val("127.0.0.1");
  app.add_option("--port", port, "TCP port to listen on (502 is the standard one)")->required();
  app.add_option("--unit", unit, "the unit id it answers (255 and 0 are always answered)")->default_val(1);
  app.add_option("--name", name, "shown in its output")->default_val(name);
  app.add_option("--inner-level", o.innerLevel, "initial inner water level (m)")->default_val(o.innerLevel);
  app.add_option("--outer-base", o.outerBase, "mean outer river level (m)")->default_val(o.outerBase);
  app.add_option("--amplitude", o.amplitude, "tide amplitude of the river (m)")->default_val(o.amplitude);
  app.add_option("--period-s", o.periodS, "tide period (s)")->default_val(o.periodS);
  app.add_option("--rain-rise", o.rainRise, "rise of the inner level from rain (m/h)")
      ->default_val(o.rainRise);
  app.add_option("--surge-after-s", o.surgeAtS, "a storm surge starts this many seconds in (-1: none)")
      ->default_val(-1);
  app.add_option("--surge", o.surge, "storm surge height (m)")->default_val(0);
  app.add_option("--volume", o.volume, "volume pumped before start (m3)")->default_val(o.volume);
  app.add_flag("--freeze", freeze, "keep the initial state (for tests)");
  app.add_flag("--debug", debug, "libmodbus prints every frame");
  CLI11_PARSE(app, argc, argv);
  if (port < 1 || port > 65535 || unit < 0 || unit > 255 || !(o.periodS > 0)) {
    std::fprintf(stderr, "liandong-modbus-device: --port must be 1..65535, --unit 0..255, --period-s > 0\n");
    return kExitConfig;
  }
  const auto &stop = installStopSignals();

  std::unique_ptr<modbus_t, ServerContextFree> ctx(modbus_new_tcp(host.c_str(), port));
  if (!ctx) {
    std::fprintf(stderr, "liandong-modbus-device: %s\n", modbus_strerror(errno));
    return kExitConfig;
  }
  modbus_set_debug(ctx.get(), debug ? TRUE : FALSE);
  std::unique_ptr<modbus_mapping_t, MappingFree> map(modbus_mapping_new(0, 0, 16, 8));
  if (!map) {
    std::fprintf(stderr, "liandong-modbus-device: cannot allocate the registers: %s\n",
                 modbus_strerror(errno));
    return kExitFailure;
  }
  Fd listener(modbus_tcp_listen(ctx.get(), 16));
  if (!listener) {
    std::fprintf(stderr, "liandong-modbus-device: cannot listen on %s:%d: %s\n", host.c_str(), port,
                 modbus_strerror(errno));
    return kExitFailure;
  }
  Plant plant(o);
  plant.store(map.get());
  std::printf("modbus device %s listening on %s:%d (unit %d)%s\n", name.c_str(), host.c_str(), port, unit,
              freeze ? ", frozen" : "");
  std::fflush(stdout);

  std::vector<Fd> clients;
  auto start = steadyMs(), last = start, lastReport = start;
  std::uint64_t requests = 0;
  std::vector<std::uint8_t> query(MODBUS_TCP_MAX_ADU_LENGTH);
  while (!stop) {
    auto now = steadyMs();
    if (!freeze) {
      plant.step(static_cast<double>(now - start) / 1000, static_cast<double>(now - last) / 1000);
      plant.store(map.get());
    }
    last = now;
    if (now - lastReport >= 10000) {
      std::printf(
          "modbus device %s: inner %.2f m, outer %.2f m, gate %.2f m, %d pumps, %zu clients, %llu "
          "requests\n",
          name.c_str(), plant.inner, plant.outer, plant.gate, plant.pumpsRunning(), clients.size(),
          static_cast<unsigned long long>(requests));
      std::fflush(stdout);
      lastReport = now;
    }
    std::vector<pollfd> fds{{listener.get(), POLLIN, 0}};
    for (const auto &c : clients) fds.push_back({c.get(), POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      Fd c(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (c) clients.push_back(std::move(c));
    }
    std::vector<int> closed;
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      modbus_set_socket(ctx.get(), fds[i].fd);
      int rc = modbus_receive(ctx.get(), query.data());
      if (rc > 0) {
        ++requests;
        // The unit id is the last byte of the MBAP header; a gateway answers
        // "target failed to respond" for a unit that is not behind it.
        int header = modbus_get_header_length(ctx.get());
        int asked = query[static_cast<std::size_t>(header - 1)];
        rc = asked == unit || asked == 0 || asked == 255
                 ? modbus_reply(ctx.get(), query.data(), rc, map.get())
                 : modbus_reply_exception(ctx.get(), query.data(), MODBUS_EXCEPTION_GATEWAY_TARGET);
      }
      if (rc == -1) closed.push_back(fds[i].fd);
    }
    modbus_set_socket(ctx.get(), -1);
    std::erase_if(clients, [&](const Fd &c) {
      return std::find(closed.begin(), closed.end(), c.get()) != closed.end();
    });
  }
  std::printf("modbus device %s stopping after %llu requests\n", name.c_str(),
              static_cast<unsigned long long>(requests));
  return 0;
}
