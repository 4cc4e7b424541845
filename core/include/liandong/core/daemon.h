// What every Liandong executable shares: a stop flag raised by SIGINT or
// SIGTERM, the tier names, and the link settings read from configuration.
#pragma once

#include <atomic>
#include <map>
#include <string>

#include "liandong.pb.h"
#include "liandong/core/config.h"
#include "liandong/core/link/outbox.h"
#include "liandong/core/link/sender.h"

namespace liandong {

// Installs SIGINT/SIGTERM handlers that set the returned flag (and ignores SIGPIPE).
const std::atomic<bool> &installStopSignals();
// For tests and programmatic stops.
void requestStop();

wire::Tier parseTier(const std::string &name);  // throws Error on an unknown name
std::string tierName(wire::Tier tier, bool chinese = false);

// `outbox:` section: dir, quota_mb, segment_mb, fsync_every, fsync_interval_ms, when_full (block|shed).
link::OutboxOptions readOutboxOptions(const ConfigNode &outbox);
// `admitted:` list of {id, public_key} -> public key -> id. Duplicate ids or keys are errors.
std::map<std::string, std::string> readAdmittedKeys(const ConfigNode &parent, const std::string &key);

// Exit codes: 0 ok, 1 runtime failure, 2 bad configuration or arguments.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitConfig = 2;

}  // namespace liandong
