// Shared executable plumbing (see daemon.h).
#include "liandong/core/daemon.h"

#include <pthread.h>

#include <algorithm>
#include <csignal>
#include <mutex>
#include <thread>

#include "liandong/core/curve_keys.h"
#include "liandong/core/errors.h"

namespace liandong {

namespace {
std::atomic<bool> g_stop{false};
}  // namespace

const std::atomic<bool> &installStopSignals() {
  // Block SIGINT/SIGTERM in this thread and every thread started after it
  // (ZeroMQ's too), and take them on one thread with sigwait: no system call
  // anywhere is interrupted, and the stop flag is set outside a signal handler.
  static std::once_flag once;
  std::call_once(once, [] {
    std::signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread([set] {
      int sig = 0;
      while (sigwait(&set, &sig) == 0) g_stop.store(true);
    }).detach();
  });
  return g_stop;
}

void requestStop() {
  g_stop.store(true);
}

wire::Tier parseTier(const std::string &name) {
  if (name == "province") return wire::TIER_PROVINCE;
  if (name == "city") return wire::TIER_CITY;
  if (name == "county") return wire::TIER_COUNTY;
  if (name == "town") return wire::TIER_TOWN;
  throw Error("unknown tier \"" + name + "\" (province, city, county or town)");
}

std::string tierName(wire::Tier tier, bool chinese) {
  switch (tier) {
    case wire::TIER_PROVINCE: return chinese ? "省" : "province";
    case wire::TIER_CITY: return chinese ? "市" : "city";
    case wire::TIER_COUNTY: return chinese ? "县（区）" : "county";
    case wire::TIER_TOWN: return chinese ? "镇（街）" : "town";
    default: return chinese ? "未知" : "unknown";
  }
}

link::OutboxOptions readOutboxOptions(const ConfigNode &o) {
  link::OutboxOptions opt;
  opt.dir = o.path("dir");
  double quota = o.number("quota_mb", 256);
  if (quota < 0.01) o.fail("quota_mb", "must be at least 0.01");
  opt.quotaBytes = static_cast<std::uint64_t>(quota * 1048576);
  double seg = o.number("segment_mb", std::min(16.0, quota));
  if (seg < 0.001 || seg > quota) o.fail("segment_mb", "must be between 0.001 and quota_mb");
  opt.segmentBytes = static_cast<std::uint64_t>(seg * 1048576);
  auto every = o.integer("fsync_every", 512);
  if (every < 1) o.fail("fsync_every", "must be at least 1");
  opt.fsyncEvery = static_cast<std::uint32_t>(every);
  opt.fsyncIntervalMs = static_cast<int>(o.integer("fsync_interval_ms", 10));
  if (opt.fsyncIntervalMs < 0) o.fail("fsync_interval_ms", "must not be negative");
  opt.policy = o.choice("when_full", {"block", "shed"}, "block") == "block" ? link::FullPolicy::Block
                                                                            : link::FullPolicy::Shed;
  opt.blockTimeoutMs = static_cast<int>(o.integer("block_timeout_ms", 0));
  return opt;
}

std::map<std::string, std::string> readAdmittedKeys(const ConfigNode &parent, const std::string &key) {
  std::map<std::string, std::string> out;
  std::map<std::string, int> ids;
  for (const auto &entry : parent.list(key)) {
    std::string id = entry.str("id");
    std::string pub = entry.literal("public_key");
    if (!isValidCurveKey(pub)) entry.fail("public_key", "not a 40-character Z85 CURVE key");
    if (out.count(pub)) entry.fail("public_key", "the same key is already admitted as \"" + out[pub] + "\"");
    if (ids.count(id))
      entry.fail("id", "\"" + id + "\" is listed twice (first at line " + std::to_string(ids[id]) + ")");
    ids[id] = entry.line();
    out[pub] = id;
  }
  return out;
}

}  // namespace liandong
