// liandong-ingest: an ingest node (ingest::Node, node.h). Reads its YAML
// configuration, collects readings (simulated sensors, SL 651 stations,
// MQTT devices, polled Modbus TCP devices) and relays its cameras, and sends
// what they give to its centre over the reliable CURVE link; see node.h.
// `--probe URL` only prints what a camera sends (codec, resolution, fps,
// bitrate) and exits; `--snapshot URL` writes one JPEG of what it shows now
// and exits. This file is option parsing, those two commands and the exit
// codes.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <CLI/CLI.hpp>

#include "liandong/core/daemon.h"
#include "liandong/core/errors.h"
#include "liandong/core/logging.h"
#include "liandong/ingest/camera/probe.h"
#include "liandong/ingest/camera/snapshot.h"
#include "liandong/ingest/node.h"

using namespace liandong;

// Under ASan (scripts/build --sanitize), memory GLib keeps until exit once a
// node relays cameras is not ours to fix: its first quark table, dropped by
// design when GStreamer's quarks outgrow it (only the slow unwinder reaches
// its _dl_init frame), and each later quark table it outgrows in turn
// (g_intern_string). The environment's ASAN_OPTIONS and LSAN_OPTIONS still
// win. Unused otherwise.
extern "C" __attribute__((used, visibility("default"))) const char *__asan_default_options() {
  return "fast_unwind_on_malloc=0";
}
extern "C" __attribute__((used, visibility("default"))) const char *__lsan_default_suppressions() {
  return "leak:_dl_init\nleak:g_intern_string\nleak:g_quark_from_string\nleak:g_quark_from_static_string\n";
}

namespace {

int probe(const std::string &url, double duration) {
  try {
    for (const auto &stream : ingest::probeStreams(url, 2, duration > 0 ? duration : 10))
      std::printf("%s\n", ingest::describe(stream).c_str());
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "liandong-ingest: %s\n", e.what());
    return kExitFailure;
  }
}

int snapshot(const std::string &url, const std::string &file, double duration) {
  try {
    ingest::SnapshotOptions so;
    if (duration > 0) so.timeoutS = duration;
    auto jpeg = ingest::snapshotJpeg(url, so);
    auto tmp = file + ".part";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out.write(jpeg.data(), static_cast<std::streamsize>(jpeg.size()));
      if (!out.flush()) throw Error("cannot write " + tmp);
    }
    std::error_code ec;
    std::filesystem::rename(tmp, file, ec);
    if (ec) throw Error("cannot write " + file + ": " + ec.message());
    std::printf("%s: %zu bytes\n", file.c_str(), jpeg.size());
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "liandong-ingest: %s\n", e.what());
    return kExitFailure;
  }
}

}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"Liandong ingest node: sensors and cameras to the command centre"};
  std::string configFile, logLevel;
  double duration = 0;
  std::string probeUrl;
  auto *configOpt = app.add_option("-c,--config", configFile, "node configuration (YAML)");
  app.add_option("--probe", probeUrl,
                 "print codec, resolution, fps and bitrate of each stream of a camera URL, then exit")
      ->excludes(configOpt);
  std::string snapshotUrl, snapshotFile = "snapshot.jpg";
  app.add_option("--snapshot", snapshotUrl,
                 "write one JPEG of what a camera URL (or a node's /cam/<id>) shows now to --snapshot-file, "
                 "then exit")
      ->excludes(configOpt);
  app.add_option("--snapshot-file", snapshotFile, "where --snapshot writes its JPEG (default snapshot.jpg)");
  app.add_option("--log-level", logLevel, "trace, debug, info, warn, error (overrides the configuration)");
  app.add_option("--duration", duration,
                 "stop after this many seconds (0 = run until SIGINT/SIGTERM); with --probe, the time limit "
                 "(default 10)");
  CLI11_PARSE(app, argc, argv);

  if (!probeUrl.empty()) return probe(probeUrl, duration);
  if (!snapshotUrl.empty()) return snapshot(snapshotUrl, snapshotFile, duration);
  if (configFile.empty()) {
    std::fprintf(stderr, "liandong-ingest: --config is required (or --probe URL, --snapshot URL)\n");
    return kExitConfig;
  }

  ingest::NodeConfig config;
  try {
    config = ingest::readNodeConfig(configFile);
    logging::setup(logLevel.empty() ? config.logLevel : logLevel, "ingest:" + config.sender.senderId);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "liandong-ingest: %s\n", e.what());
    return kExitConfig;
  }
  const auto &stop = installStopSignals();
  try {
    ingest::Node node(std::move(config));
    node.run(stop, duration);
    return 0;
  } catch (const std::exception &e) {
    logging::get("ingest")->error("{}", e.what());
    std::fprintf(stderr, "liandong-ingest: %s\n", e.what());
    return kExitFailure;
  }
}
