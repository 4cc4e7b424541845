// Reading an ingest node's configuration (see node.h): the node, its centre,
// the outbox, each source's section and the edge rule file.
#include "liandong/alerts/rules.h"
#include "liandong/core/config.h"
#include "liandong/core/daemon.h"
#include "liandong/core/errors.h"
#include "liandong/core/peer_config.h"
#include "liandong/core/video_grant.h"
#include "liandong/ingest/node.h"

namespace liandong::ingest {

NodeConfig readNodeConfig(const std::filesystem::path &file) {
  auto cfg = ConfigNode::loadFile(file);
  NodeConfig out;
  auto node = cfg.child("node");
  out.sender.senderId = node.str("id");
  out.sender.region = node.str("region");
  try {
    out.sender.tier = parseTier(node.str("tier"));
  } catch (const Error &e) {
    node.fail("tier", e.what());
  }
  out.sender.keys = readOwnKeys(node, out.sender.senderId);
  auto centre = cfg.child("centre");
  out.sender.endpoint = centre.str("endpoint");
  out.sender.serverPublicZ85 = readPublicKey(centre);
  out.sender.heartbeatIntervalMs = static_cast<int>(centre.integer("heartbeat_ms", 1000));
  out.sender.missedBeatsLost = static_cast<int>(centre.integer("missed_beats_lost", 3));
  auto drain = centre.integer("drain_on_stop_ms", 2000);
  if (drain < 0 || drain > 600000) centre.fail("drain_on_stop_ms", "must be 0 .. 600000");
  out.drainOnStopMs = static_cast<int>(drain);
  out.outbox = readOutboxOptions(cfg.child("outbox"));
  out.sensors = readSimulatedSensors(cfg);
  out.sl651 = readSl651Options(cfg);
  out.mqtt = readMqttOptions(cfg, out.sender.senderId);
  out.modbus = readModbusOptions(cfg);
  out.cameras = readCameraOptions(cfg);
  // Viewers need a grant from our centre: always on, with no key of its own.
  if (out.cameras)
    out.cameras->grantKey = VideoGrantKey::forNode(out.sender.keys, out.sender.serverPublicZ85);
  if (cfg.has("rules")) {
    out.rulesFile = cfg.path("rules");
    try {
      alerts::loadRules(out.rulesFile);
    } catch (const Error &e) {
      cfg.fail("rules", e.what());
    }
  }
  out.logLevel = cfg.optionalChild("logging") ? cfg.child("logging").str("level", "info") : "info";
  cfg.rejectUnknown();
  return out;
}

}  // namespace liandong::ingest
