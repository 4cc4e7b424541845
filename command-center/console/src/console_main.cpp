// liandong-console (text mode): keeps the state its centre shares with it by
// the Clone protocol (snapshot, then sequenced updates, resync on a gap or a
// centre restart) and prints each stored reading, alert and status change on
// stdout, in Chinese by default (--lang en for English). The Qt Quick console
// replaces this as the default when it exists; the text mode stays for terminals.
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <zmq.hpp>

#include "liandong/alerts/warning.h"
#include "liandong/console/console_settings.h"
#include "liandong/core/clock.h"
#include "liandong/core/curve_keys.h"
#include "liandong/core/daemon.h"
#include "liandong/core/errors.h"
#include "liandong/core/link/clone.h"
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

std::string stateName(const std::string &state, bool zh) {
  if (!zh) return state;
  if (state == "reported") return "已上报";
  if (state == "verified") return "已核实";
  if (state == "responding") return "处置中";
  if (state == "contained") return "已控制";
  if (state == "closed") return "已关闭";
  return state;
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
                       zh ? "读数已入库" : "reading stored", r.sensor_id(), quantityName(r.quantity(), zh),
                       r.value(), r.unit(), where.empty() ? (zh ? "辖区外" : "outside") : where);
  }
  if (u.what() == "peer") {
    auto id = u.key().substr(5);
    bool alive = u.peer_state() == "alive";
    return zh ? fmt::format("链路 {} {}", id, alive ? "已连接" : "已断开")
              : fmt::format("link {} {}", id, alive ? "connected" : "lost");
  }
  if (src.has_incident_report()) {
    const auto &i = src.incident_report();
    if (i.state().empty())  // a raw report, not yet through an incident desk
      return fmt::format("{} {} {} {} {} [{}]", localTime(src.sent_at_us()), zh ? "事件上报" : "incident",
                         alerts::levelName(i.level(), zh), i.title(), src.sender_id(), where);
    return fmt::format("{} {} {} {} {} {} ({}) [{}]", localTime(src.sent_at_us()), zh ? "事件" : "incident",
                       i.incident_id(), alerts::levelName(i.level(), zh), i.title(), stateName(i.state(), zh),
                       i.change(), where);
  }
  if (src.has_directive()) {
    const auto &d = src.directive();
    return fmt::format("{} {} {} → {}: {}", localTime(src.sent_at_us()), zh ? "上级指令" : "directive",
                       src.sender_id(), d.to_centre(), d.text());
  }
  if (src.has_summary()) {
    const auto &m = src.summary();
    if (zh)
      return fmt::format("{} 下级汇总 {}：{} 秒内 {} 条读数、{} 个事件，链路正常 {} 断开 {}",
                         localTime(src.sent_at_us()), src.sender_id(), m.interval_s(), m.readings(),
                         m.events(), m.peers_alive(), m.peers_lost());
    return fmt::format("{} summary from {}: {} readings and {} events in {} s, links up {} lost {}",
                       localTime(src.sent_at_us()), src.sender_id(), m.readings(), m.events(), m.interval_s(),
                       m.peers_alive(), m.peers_lost());
  }
  if (src.has_alert()) {
    const auto &a = src.alert();
    return fmt::format("{} {} {} {} {}", localTime(a.onset_at_us()), zh ? "预警" : "alert",
                       alerts::colourName(a.colour(), zh), alerts::levelName(a.suggested_level(), zh),
                       a.headline());
  }
  return fmt::format("{} {} {} {}", localTime(src.sent_at_us()), zh ? "事件" : "event", u.what(),
                     src.sender_id());
}
}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"Liandong console (text mode)"};
  std::string configFile, lang;
  double duration = 0;
  app.add_option("-c,--config", configFile, "console configuration (YAML)")->required();
  app.add_option("--lang", lang, "zh_CN or en (default: console.language, else zh_CN)")
      ->check(CLI::IsMember({"zh_CN", "en"}));
  app.add_option("--duration", duration, "stop after this many seconds (0 = until SIGINT/SIGTERM)");
  CLI11_PARSE(app, argc, argv);

  link::CloneClientOptions options;
  try {
    // The same reader as the Qt console: one console YAML for both.
    auto settings = console::ConsoleSettings::load(configFile);
    options = settings.clone;
    if (lang.empty()) lang = settings.language;
    logging::setup("info", "console:" + options.keys.id);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "liandong-console: %s\n", e.what());
    return kExitConfig;
  }
  bool zh = lang == "zh_CN";
  auto log = logging::get("console");
  const auto &stop = installStopSignals();
  try {
    zmq::context_t context(1);
    std::mutex outMutex;
    std::uint64_t shown = 0;
    auto print = [&](const std::string &line) {
      std::lock_guard lock(outMutex);
      std::cout << line << std::endl;
    };
    link::CloneClient::Callbacks callbacks;
    callbacks.onSnapshot = [&](const std::map<std::string, wire::StateUpdate> &state) {
      print(fmt::format(
          fmt::runtime(zh ? "快照：{} 项（已与中心同步）" : "snapshot: {} items (in step with the centre)"),
          state.size()));
      for (const auto &[key, item] : state)
        if (item.what() == "reading" || item.what() == "peer") print("  " + describe(item, zh));
    };
    callbacks.onUpdate = [&](const wire::StateUpdate &u) {
      print(describe(u, zh));
      ++shown;
    };
    callbacks.onLink = [&](bool up) {
      print(up ? (zh ? "与中心的连接正常" : "link to the centre is up")
               : (zh ? "与中心的连接中断，恢复后自动重新同步"
                     : "link to the centre is DOWN; will resync when it returns"));
    };
    link::CloneClient client(context, options, callbacks);
    print(std::string(zh ? "联动控制台（文本模式）连接 " : "Liandong console (text mode) connecting to ") +
          options.updatesEndpoint);
    auto endAt = duration > 0 ? steadyMs() + static_cast<std::int64_t>(duration * 1000) : 0;
    while (!stop && (endAt == 0 || steadyMs() < endAt))
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::cout << (zh ? "控制台退出，共显示 " : "console stopping, shown ") << shown
              << (zh ? " 条更新" : " updates") << std::endl;
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "liandong-console: %s\n", e.what());
    return kExitFailure;
  }
}
