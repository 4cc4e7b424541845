// The centre's video grants (see video_grants.h).
#include "video_grants.h"

#include <chrono>
#include <optional>

#include <fmt/format.h>
#include <pqxx/transaction>

#include "liandong/core/errors.h"
#include "liandong/core/logging.h"
#include "liandong/core/video_grant.h"

namespace liandong::server {

namespace {

// rtsp://host:port of a URL (scheme and authority), or "".
std::string authorityOf(const std::string &url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  auto path = url.find('/', scheme + 3);
  return url.substr(0, path);
}

}  // namespace

VideoGrants::VideoGrants(CurveKeyPair keys, const std::map<std::string, std::string> &admitted, int lifetimeS)
    : keys_(std::move(keys)), lifetimeS_(lifetimeS), log_(logging::get("center")) {
  for (const auto &[key, id] : admitted) nodeKeys_[id] = key;
}

wire::VideoGrant VideoGrants::grant(pqxx::connection &conn, const Actor &who,
                                    const wire::VideoGrantRequest &request) {
  const char *scope = request.scope() == wire::VIDEO_RECORDING ? "rec" : "live";
  std::string node = "?";
  try {
    auto out = issue(conn, who, request, &node);
    log_->info("video grant: {} ({}) may watch camera {} {} on node {} for {} s", who.name, who.console,
               request.camera_id(), scope, node, lifetimeS_);
    return out;
  } catch (const Error &e) {
    log_->warn("video grant refused: {} ({}) camera {} {} on node {}: {}", who.name, who.console,
               request.camera_id().substr(0, 64), scope, node, e.what());
    throw;
  }
}

wire::VideoGrant VideoGrants::issue(pqxx::connection &conn, const Actor &who,
                                    const wire::VideoGrantRequest &request, std::string *node) {
  const auto &camera = request.camera_id();
  if (camera.empty() || camera.size() > 64) throw Error("video_grant: camera_id is required");
  bool rec = request.scope() == wire::VIDEO_RECORDING;
  if (rec && request.segment_start_us() <= 0)
    throw Error("video_grant: segment_start_us is required for a recording");
  const std::string region = who.role == Role::System ? std::string() : who.regionCode;
  pqxx::read_transaction tx(conn);
  // As for segments: the camera's place must lie in the user's region.
  auto inside = tx.exec_params(
      "SELECT 1 FROM cameras c WHERE c.id = $1 AND ($2 = '' OR EXISTS (SELECT 1 FROM regions r "
      "WHERE r.code = $2 AND ST_Covers(r.geom, c.geom)))",
      camera, region);
  if (inside.empty()) throw Error("no camera " + camera + " in your jurisdiction");
  // The node that serves it and where: its latest status (the node sends
  // one at every change of state, with its re-serve URLs).
  auto status = tx.exec_params(
      "SELECT sender_id, coalesce(payload->'camera_status'->>'serve_url', ''), "
      "coalesce(payload->'camera_status'->>'sub_url', '') FROM events "
      "WHERE kind = 'camera_status' AND payload->'camera_status'->>'camera_id' = $1 "
      "ORDER BY sent_at DESC, id DESC LIMIT 1",
      camera);
  if (status.empty() || status[0][1].as<std::string>().empty())
    throw Error("camera " + camera + ": no node has reported serving it");
  *node = status[0][0].as<std::string>();
  std::string url = status[0][1].as<std::string>();
  if (rec) {
    auto seg = tx.exec_params(
        "SELECT sender_id FROM camera_segments WHERE camera_id = $1 AND removed_at IS NULL "
        "AND start_at BETWEEN to_timestamp($2::float8 - 1) AND to_timestamp($2::float8 + 1) "
        "AND (extract(epoch FROM start_at) * 1e6)::bigint = $3 LIMIT 1",
        camera, static_cast<double>(request.segment_start_us()) / 1e6, request.segment_start_us());
    if (seg.empty())
      throw Error(fmt::format("camera {}: no recording starts at {}", camera, request.segment_start_us()));
    if (seg[0][0].as<std::string>() != *node)
      throw Error(fmt::format("camera {}: its recording is on node {}, which no longer serves it", camera,
                              seg[0][0].as<std::string>()));
    url = fmt::format("{}/rec/{}/{}", authorityOf(url), camera, request.segment_start_us());
  } else if (request.sub_stream()) {
    auto sub = status[0][2].as<std::string>();
    if (!sub.empty()) url = sub;
  }
  auto key = nodeKeys_.find(*node);
  if (key == nodeKeys_.end()) throw Error("node " + *node + " is not admitted here");
  auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  VideoGrantClaims claims{camera, rec ? GrantScope::kRecording : GrantScope::kLive, who.name,
                          now.count() + lifetimeS_, 0};
  auto token = issueVideoGrant(VideoGrantKey::forCentre(keys_, key->second), claims);
  wire::VideoGrant out;
  out.set_url(url + "?grant=" + token);
  out.set_expires_at_us(claims.expiresAt * 1000000);
  return out;
}

}  // namespace liandong::server
