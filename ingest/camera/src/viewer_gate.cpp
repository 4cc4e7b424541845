// Who may watch (see viewer_gate.h). Called on the live loop's I/O thread.
#include "viewer_gate.h"

#include <regex>

#include "liandong/core/clock.h"
#include "liandong/ingest/rtsp/rtsp_wire.h"

namespace liandong::ingest {

namespace {

struct Target {
  std::string camera;
  GrantScope scope;
};

// The camera a path names: /cam/<id>[/...] (live) or /rec/<id>/... (recordings).
std::optional<Target> targetOf(const std::string &url) {
  std::string path;
  try {
    path = rtsp::parseUrl(url).path;
  } catch (const rtsp::RtspError &) {
    path = url;
  }
  path = withoutQuery(path);
  GrantScope scope;
  if (path.rfind("/cam/", 0) == 0)
    scope = GrantScope::kLive;
  else if (path.rfind("/rec/", 0) == 0)
    scope = GrantScope::kRecording;
  else
    return std::nullopt;
  auto id =
      path.substr(5, path.find('/', 5) == std::string::npos ? std::string::npos : path.find('/', 5) - 5);
  return Target{id, scope};
}

}  // namespace

ViewerGate::ViewerGate(std::optional<VideoGrantKey> key) : key_(std::move(key)) {
  if (!key_) log_->warn("camera relay: no grant key: anyone who reaches this port may watch");
}

int ViewerGate::check(const std::string &peer, const std::string &url) const {
  if (!key_) return 0;
  auto target = targetOf(url);
  if (!target) return 0;
  // Printable only, bounded: the id goes into the log.
  std::string camera = target->camera.substr(0, 64);
  for (auto &c : camera)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  auto token = videoGrantOfUrl(url);
  auto nowS = nowUs() / 1000000;
  auto r = verifyVideoGrant(*key_, token.value_or(""), target->camera, target->scope, nowS);
  auto user = r.claims ? r.claims->user : std::string("unknown");
  const char *scope = grantScopeName(target->scope);
  if (r.granted) {
    log_->info("camera viewer {}: {} may watch {} {} (grant {}, {} s left)", peer, user, camera, scope,
               videoGrantTag(*token), r.claims->expiresAt - nowS);
    return 0;
  }
  log_->warn("camera viewer {}: refused {} {} to {}: {}", peer, camera, scope, user, r.reason);
  return token && !token->empty() ? 403 : 401;
}

std::string redactGrant(const std::string &text) {
  static const std::regex re(R"(grant=[^&\s/]*)");
  return std::regex_replace(text, re, "grant=***");
}

}  // namespace liandong::ingest
