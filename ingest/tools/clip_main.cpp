// liandong-clip: exports [t0, t1] of one or several cameras from an ingest
// node's recordings as one MP4 per camera, remuxed without re-encoding
// across segment boundaries, with a SHA-256 manifest for evidence
// (manifest.sha256 in sha256sum's format, and manifest.json with the source
// segments and their hashes). Run on the node that holds the recordings.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "liandong/core/clock.h"
#include "liandong/core/daemon.h"
#include "liandong/ingest/camera/clip.h"

using namespace liandong;

int main(int argc, char **argv) {
  CLI::App app{
      "Liandong clip export: [t0, t1] of cameras from the node's recordings, with a SHA-256 manifest"};
  ingest::ClipRequest req;
  std::string from, to, recordings, out;
  app.add_option("--recordings", recordings, "the node's recordings folder (cameras.recording.dir)")
      ->required();
  app.add_option("--camera", req.cameras, "camera id (repeat for several)")->required();
  app.add_option("--from", from, "start: 2026-11-30T12:00:00Z, with +08:00, or microseconds")->required();
  app.add_option("--to", to, "end, the same forms")->required();
  app.add_option("--out", out, "folder for <camera>.mp4, manifest.sha256 and manifest.json")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    req.recordings = recordings;
    req.outDir = out;
    req.fromUs = ingest::parseTimeUs(from);
    req.toUs = ingest::parseTimeUs(to);
    for (const auto &c : ingest::exportClips(req))
      std::printf("%s: %s, %s .. %s, %lld frames, %llu bytes, sha256 %s (%zu segments)\n", c.cameraId.c_str(),
                  c.file.string().c_str(), formatIsoUtc(c.fromUs).c_str(), formatIsoUtc(c.toUs).c_str(),
                  static_cast<long long>(c.frames), static_cast<unsigned long long>(c.bytes),
                  c.sha256.c_str(), c.sources.size());
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "liandong-clip: %s\n", e.what());
    return kExitFailure;
  }
}
