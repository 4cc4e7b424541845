// liandong-console (text mode): subscribes to its centre's updates over CURVE
// and prints each stored reading, alert and status change on stdout, in
// Chinese by default (--lang en for English). The Qt Quick console replaces
// this as the default when it exists; the text mode stays for terminals.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <zmq.hpp>

#include "liandong/alerts/warning.h"
#include "liandong/core/clock.h"
#include "liandong/core/config.h"
#include "liandong/core/curve_keys.h"
#include "liandong/core/daemon.h"
#include "liandong/core/errors.h"
#include "liandong/core/link/security.h"
#include "liandong/core/logging.h"

using namespace liandong;

namespace {
std::string quantityName(const std::string &q, bool zh) {
  if (!zh) return q;
  if (q == "water_level") return "水位";
  if (q == "rainfall") return "降雨量";
  if (q == "battery_voltage") return "电池电压";
  if (q == "flow") return "流量";
  return q;
}

std::string localTime(std::int64_t us) {
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  return fmt::format("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string describe(const wire::StateUpdate &u, bool zh) {
  const auto &src = u.source();
  std::string where = u.region_name().empty() ? u.region_code() : u.region_name();
  if (src.has_reading()) {
    const auto &r = src.reading();
    return fmt::format("{} {} {} {} {:.3f} {} [{}]", localTime(r.observed_at_us()),
                       zh ? "读数已入库" : "reading stored", r.sensor_id(), quantityName(r.quantity(), zh), r.value(),
                       r.unit(), where.empty() ? (zh ? "辖区外" : "outside") : where);
  }
  if (src.has_alert()) {
    const auto &a = src.alert();
    return fmt::format("{} {} {} {} {}", localTime(a.onset_at_us()), zh ? "预警" : "alert",
                       alerts::colourName(a.colour(), zh), alerts::levelName(a.suggested_level(), zh), a.headline());
  }
  return fmt::format("{} {} {} {}", localTime(src.sent_at_us()), zh ? "事件" : "event", u.what(), src.sender_id());
}
}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"Liandong console (text mode)"};
  std::string configFile, lang = "zh_CN";
  double duration = 0;
  app.add_option("-c,--config", configFile, "console configuration (YAML)")->required();
  app.add_option("--lang", lang, "zh_CN (default) or en")->check(CLI::IsMember({"zh_CN", "en"}));
  app.add_option("--duration", duration, "stop after this many seconds (0 = until SIGINT/SIGTERM)");
  CLI11_PARSE(app, argc, argv);

  CurveKeyPair keys;
  std::string endpoint, serverKey;
  try {
    auto cfg = ConfigNode::loadFile(configFile);
    auto console = cfg.child("console");
    keys = loadCurveKeyFile(console.path("keys"));
    if (keys.id != console.str("id")) console.fail("keys", "key file is for \"" + keys.id + "\"");
    if (console.has("language")) lang = console.choice("language", {"zh_CN", "en"}, "zh_CN");
    auto centre = cfg.child("centre");
    endpoint = centre.str("updates");
    serverKey = centre.str("public_key");
    if (!isValidCurveKey(serverKey)) centre.fail("public_key", "not a 40-character Z85 CURVE key");
    cfg.rejectUnknown();
    logging::setup("info", "console:" + keys.id);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "liandong-console: %s\n", e.what());
    return kExitConfig;
  }
  bool zh = lang == "zh_CN";
  auto log = logging::get("console");
  const auto &stop = installStopSignals();
  try {
    zmq::context_t context(1);
    zmq::socket_t sub(context, zmq::socket_type::sub);
    sub.set(zmq::sockopt::linger, 0);
    link::makeCurveClient(sub, keys, serverKey);
    sub.set(zmq::sockopt::subscribe, "");
    sub.connect(endpoint);
    std::cout << (zh ? "联动控制台（文本模式）已连接 " : "Liandong console (text mode) connected to ") << endpoint
              << std::endl;
    auto endAt = duration > 0 ? steadyMs() + static_cast<std::int64_t>(duration * 1000) : 0;
    std::uint64_t lastSeq = 0, shown = 0;
    while (!stop && (endAt == 0 || steadyMs() < endAt)) {
      zmq::pollitem_t items[] = {{sub.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 1, std::chrono::milliseconds(100));
      zmq::message_t msg;
      while (sub.recv(msg, zmq::recv_flags::dontwait)) {
        wire::Envelope env;
        if (!env.ParseFromArray(msg.data(), static_cast<int>(msg.size())) || !env.has_state_update()) {
          log->warn("ignored a malformed update of {} bytes", msg.size());
          continue;
        }
        const auto &u = env.state_update();
        if (lastSeq != 0 && u.update_sequence() != lastSeq + 1)
          log->warn("missed {} updates (resync comes with the Clone protocol)", u.update_sequence() - lastSeq - 1);
        lastSeq = u.update_sequence();
        std::cout << describe(u, zh) << std::endl;
        ++shown;
      }
    }
    std::cout << (zh ? "控制台退出，共显示 " : "console stopping, shown ") << shown << (zh ? " 条更新" : " updates")
              << std::endl;
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "liandong-console: %s\n", e.what());
    return kExitFailure;
  }
}
