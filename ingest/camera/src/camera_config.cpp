// Reading the `cameras:` section of a node configuration (see camera_config.h).
#include "liandong/ingest/camera/camera_config.h"

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

#include "liandong/core/text.h"

namespace liandong::ingest {

namespace {

const std::regex &idPattern() {
  static const std::regex re("[A-Za-z0-9_-]{1,64}");
  return re;
}

// A camera URL our RTSP client can play. It speaks no TLS: an rtsps://
// camera would pass here and then fail every attempt, so it is refused now.
void checkUrl(const ConfigNode &d, const std::string &key, const std::string &url) {
  if (url.rfind("rtsps://", 0) == 0) d.fail(key, "rtsps:// (RTSP over TLS) is not supported; use rtsp://");
  if (url.rfind("rtsp://", 0) != 0) d.fail(key, "\"" + redactCredentials(url) + "\" is not an rtsp:// URL");
}

}  // namespace

std::optional<CameraOptions> readCameraOptions(const ConfigNode &node) {
  auto n = node.optionalChild("cameras");
  if (!n) return std::nullopt;
  CameraOptions o;
  o.host = n->str("host", "127.0.0.1");
  if (o.host.empty()) n->fail("host", "must not be empty");
  // Consoles need an address they can reach: a wildcard listen address is not one.
  bool wildcard = o.host == "0.0.0.0" || o.host == "::" || o.host == "[::]";
  o.advertiseHost = n->str("advertise_host", wildcard ? "127.0.0.1" : o.host);
  if (o.advertiseHost.empty() || o.advertiseHost.find_first_of("/@ ") != std::string::npos)
    n->fail("advertise_host", "must be a host name or address");
  auto port = n->integer("port", 8554);
  if (port < 0 || port > 65535) n->fail("port", "must be 0..65535");
  o.port = static_cast<int>(port);
  o.stallAfterS = n->number("stall_after_s", 3);
  if (!(o.stallAfterS >= 0.2 && o.stallAfterS <= 3600)) n->fail("stall_after_s", "must be 0.2..3600");
  o.offlineAfterS = n->number("offline_after_s", 10);
  if (!(o.offlineAfterS > o.stallAfterS && o.offlineAfterS <= 3600))
    n->fail("offline_after_s", "must be more than stall_after_s and at most 3600");
  o.reconnectMinS = n->number("reconnect_min_s", 1);
  if (!(o.reconnectMinS >= 0.1 && o.reconnectMinS <= 3600)) n->fail("reconnect_min_s", "must be 0.1..3600");
  o.reconnectMaxS = n->number("reconnect_max_s", 30);
  if (!(o.reconnectMaxS >= o.reconnectMinS && o.reconnectMaxS <= 3600))
    n->fail("reconnect_max_s", "must be reconnect_min_s..3600");
  auto backlog = n->integer("viewer_backlog_kb", o.viewerBacklogKb);
  if (backlog < 16 || backlog > 1024 * 1024) n->fail("viewer_backlog_kb", "must be 16..1048576");
  o.viewerBacklogKb = static_cast<int>(backlog);
  o.onDemandLingerS = n->number("on_demand_linger_s", o.onDemandLingerS);
  if (!(o.onDemandLingerS >= 0 && o.onDemandLingerS <= 3600))
    n->fail("on_demand_linger_s", "must be 0..3600");
  if (auto pic = n->optionalChild("picture")) {
    o.pictureCheckS = pic->number("check_s", 1);
    if (!(o.pictureCheckS == 0 || (o.pictureCheckS >= 0.2 && o.pictureCheckS <= 600)))
      pic->fail("check_s", "must be 0 (off) or 0.2..600");
    o.picture.frozenAfterS = pic->number("frozen_after_s", 10);
    if (!(o.picture.frozenAfterS >= 1 && o.picture.frozenAfterS <= 86400))
      pic->fail("frozen_after_s", "must be 1..86400");
    o.picture.tamperAfterS = pic->number("tamper_after_s", 5);
    if (!(o.picture.tamperAfterS >= 0 && o.picture.tamperAfterS <= 86400))
      pic->fail("tamper_after_s", "must be 0..86400");
  }
  if (auto rec = n->optionalChild("recording")) {
    RecordingOptions r;
    r.dir = rec->path("dir");
    r.segmentS = rec->number("segment_s", 60);
    if (!(r.segmentS >= 1 && r.segmentS <= 3600)) rec->fail("segment_s", "must be 1..3600");
    r.keepHours = rec->number("keep_hours", 0);
    if (!(r.keepHours >= 0 && r.keepHours <= 24 * 3660))
      rec->fail("keep_hours", "must be 0 (no limit)..87840");
    auto quotaMb = rec->number("quota_mb", 0);
    if (!(quotaMb >= 0 && quotaMb <= 1e9)) rec->fail("quota_mb", "must be 0 (no quota)..1000000000");
    r.quotaBytes = static_cast<std::uint64_t>(quotaMb * 1024 * 1024);
    r.highWaterPct = rec->number("high_water_pct", 95);
    if (!(r.highWaterPct > 0 && r.highWaterPct <= 100)) rec->fail("high_water_pct", "must be 1..100");
    r.lowWaterPct = rec->number("low_water_pct", std::max(1.0, r.highWaterPct - 5));
    if (!(r.lowWaterPct > 0 && r.lowWaterPct < r.highWaterPct))
      rec->fail("low_water_pct", "must be above 0 and below high_water_pct");
    r.eventPreS = rec->number("event_pre_s", 0);
    if (!(r.eventPreS >= 0 && r.eventPreS <= 300)) rec->fail("event_pre_s", "must be 0..300");
    r.eventPostS = rec->number("event_post_s", 0);
    if (!(r.eventPostS >= 0 && r.eventPostS <= 3600)) rec->fail("event_post_s", "must be 0..3600");
    o.recording = std::move(r);
  }
  std::set<std::string> ids;
  for (const auto &d : n->list("devices")) {
    CameraSpec c;
    c.id = d.str("id");
    if (!std::regex_match(c.id, idPattern())) d.fail("id", "must be 1..64 of A-Z a-z 0-9 _ -");
    if (!ids.insert(c.id).second) d.fail("id", "camera \"" + c.id + "\" is listed twice");
    c.url = d.literal("url");
    checkUrl(d, "url", c.url);
    if (d.has("sub_url")) {
      c.subUrl = d.literal("sub_url");
      checkUrl(d, "sub_url", c.subUrl);
    }
    auto t = d.choice("transport", {"tcp", "udp", "auto"}, "tcp");
    c.transport = t == "tcp"   ? CameraTransport::Tcp
                  : t == "udp" ? CameraTransport::Udp
                               : CameraTransport::Auto;
    auto latency = d.integer("latency_ms", 200);
    if (latency < 0 || latency > 10000) d.fail("latency_ms", "must be 0..10000");
    c.latencyMs = static_cast<int>(latency);
    c.latitude = d.number("latitude", 0);
    c.longitude = d.number("longitude", 0);
    if (!(std::abs(c.latitude) <= 90)) d.fail("latitude", "must be -90..90");
    if (!(std::abs(c.longitude) <= 180)) d.fail("longitude", "must be -180..180");
    c.record = d.boolean("record", true);
    c.segmentS = d.number("segment_s", 0);
    if (!(c.segmentS == 0 || (c.segmentS >= 1 && c.segmentS <= 3600))) d.fail("segment_s", "must be 1..3600");
    if ((d.has("record") || d.has("segment_s")) && !o.recording)
      d.fail(d.has("record") ? "record" : "segment_s", "needs cameras.recording (with its dir)");
    c.onDemand = d.boolean("on_demand", false);
    if (c.onDemand && o.recording && c.record)
      d.fail("on_demand", "a recorded camera is pulled all the time; set record: false to pull it on demand");
    o.cameras.push_back(std::move(c));
  }
  if (o.cameras.empty()) n->fail("devices", "no camera is configured");
  return o;
}

}  // namespace liandong::ingest
