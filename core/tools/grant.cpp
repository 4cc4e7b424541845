// liandong-grant: issues a video grant by hand on the centre's machine, with
// the centre's key file (docs/ingest.md, "Who may watch") — for a viewer
// that does not ask the centre (a third-party video system, a benchmark such
// as scripts/bench-video). Prints the token to stdout only; a console asks
// the centre instead (the video_grant query).
#include <chrono>
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "liandong/core/curve_keys.h"
#include "liandong/core/errors.h"
#include "liandong/core/video_grant.h"

int main(int argc, char **argv) {
  CLI::App app{"Issue a grant to watch one camera on one ingest node"};
  std::string keyFile, nodeKey, camera, scope = "live", user;
  int ttlS = 300;
  app.add_option("--centre-keys", keyFile, "the centre's key file (with its secret key)")->required();
  app.add_option("--node-key", nodeKey, "the node's public key (40 Z85 characters, as in admitted:)")
      ->required();
  app.add_option("--camera", camera, "camera id")->required();
  app.add_option("--scope", scope, "live or rec")->check(CLI::IsMember({"live", "rec"}));
  app.add_option("--user", user, "who will watch (logged by the node)")->required();
  app.add_option("--ttl-s", ttlS, "seconds within which to start playing")->check(CLI::Range(1, 86400));
  CLI11_PARSE(app, argc, argv);
  try {
    auto centre = liandong::loadCurveKeyFile(keyFile);
    if (centre.secretZ85.empty()) throw liandong::Error(keyFile + " has no secret key");
    auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    liandong::VideoGrantClaims claims{
        camera, scope == "rec" ? liandong::GrantScope::kRecording : liandong::GrantScope::kLive, user,
        now.count() + ttlS, 0};
    std::cout << liandong::issueVideoGrant(liandong::VideoGrantKey::forCentre(centre, nodeKey), claims)
              << "\n";
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "liandong-grant: %s\n", e.what());
    return 1;
  }
}
