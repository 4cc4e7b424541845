// Who may watch (private to the camera library; docs/ingest.md, "Who may
// watch"): the live loop asks the gate before it serves a viewer connection
// a camera at /cam/<id> or hands a /rec/<id>/... connection to recorded
// playback. A viewer must bring a grant from the centre in the URL's query
// (`?grant=<token>`, core/video_grant.h) for that camera and scope, checked
// offline with the key this node shares with its centre. Every grant and
// refusal is logged in one line (peer, camera, user, reason), the token never.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "liandong/core/logging.h"
#include "liandong/core/video_grant.h"

namespace liandong::ingest {

class ViewerGate {
public:
  // Without a key anyone may watch (a camera hub not run by a node, as in
  // the camera library's tests); the node always gives its key.
  explicit ViewerGate(std::optional<VideoGrantKey> key);

  // 0 when the viewer at peer may watch what the request URL names (or it
  // names no camera: nothing to guard); else 401 (no grant) or 403.
  int check(const std::string &peer, const std::string &url) const;

private:
  std::optional<VideoGrantKey> key_;
  std::shared_ptr<spdlog::logger> log_ = logging::get("ingest");
};

// "grant=<token>" in `text` masked as "grant=***" (for a request line in a log).
std::string redactGrant(const std::string &text);

}  // namespace liandong::ingest
