// Test helpers shared by the camera tests (tests/ingest/camera/*_test.cpp): a
// temporary folder, the real liandong-camera-sim process with its control
// FIFO, running a program (ffprobe, liandong-clip...) to its output, a media
// file's duration by ffprobe, and the one-line error a camera configuration
// gives.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "liandong/core/config.h"
#include "liandong/core/errors.h"
#include "liandong/ingest/camera/camera_hub.h"
#include "liandong/ingest/camera/recording.h"
#include "process.h"

namespace liandong::testing {

// A temporary folder removed with the test.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("liandong-camera-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  static int &counter() {
    static int n = 0;
    return n;
  }
};

// The simulator process with its control FIFO.
struct Simulator {
  TempDir dir;
  int port = liandong::testing::freeTcpPort();
  std::unique_ptr<Process> process;
  // `extra` options follow the defaults; a size given there (--width and
  // --height) replaces the default 320x240, a --bitrate-kbps the default 300.
  explicit Simulator(int cameras, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--port",         std::to_string(port),
                                  "--cameras",      std::to_string(cameras),
                                  "--fps",          "15",
                                  "--bitrate-kbps", "300",
                                  "--control",      (dir.path / "control").string()};
    if (std::find(extra.begin(), extra.end(), "--width") == extra.end())
      args.insert(args.end(), {"--width", "320", "--height", "240"});
    if (auto rate = std::find(extra.begin(), extra.end(), "--bitrate-kbps");
        rate != extra.end() && rate + 1 != extra.end()) {
      *(std::find(args.begin(), args.end(), "--bitrate-kbps") + 1) = *(rate + 1);
      extra.erase(rate, rate + 2);
    }
    args.insert(args.end(), extra.begin(), extra.end());
    process = std::make_unique<Process>(std::string(LIANDONG_BINARY_DIR) + "/ingest/liandong-camera-sim",
                                        args, (dir.path / "sim.log").string());
    if (!process->waitForOutput("listening on", 20000))
      throw Error("the camera simulator did not start: " + process->output());
  }
  std::string url(int n) const {
    return "rtsp://127.0.0.1:" + std::to_string(port) + "/cam/" + std::to_string(n);
  }
  void send(const std::string &line) const {
    int fd = ::open((dir.path / "control").c_str(), O_WRONLY | O_NONBLOCK);
    if (fd < 0) throw SystemError("open the simulator's control FIFO", errno);
    auto text = line + "\n";
    auto n = ::write(fd, text.data(), text.size());
    ::close(fd);
    if (n != static_cast<ssize_t>(text.size())) throw Error("short write to the control FIFO");
  }
  std::string output() const { return process->output(); }
};

// A node's camera options for one camera `id` at `url` (rtspsrc latency
// 100 ms), served on loopback at a free port, recorded under `dir` in
// segments of `segmentS` seconds; tests change what they exercise.
inline ingest::CameraOptions recordedCamera(const std::string &id, const std::string &url,
                                            const std::filesystem::path &dir, int segmentS = 60) {
  ingest::CameraOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  ingest::RecordingOptions ro;
  ro.dir = dir;
  ro.segmentS = segmentS;
  o.recording = ro;
  ingest::CameraSpec c;
  c.id = id;
  c.url = url;
  c.latencyMs = 100;
  o.cameras = {c};
  return o;
}

// A program run to its end: exit code and output (stdout and stderr).
struct Run {
  int code;
  std::string output;
};

inline Run run(const std::string &program, const std::vector<std::string> &args, int timeoutMs = 30000) {
  TempDir dir;
  Process p(program, args, (dir.path / "out").string());
  int code = p.wait(timeoutMs);
  return {code, p.output()};
}

// ffprobe's duration of a media file (or URL) in seconds (-1 when it cannot read it).
inline double probeDuration(const std::string &file) {
  auto r = run("/usr/bin/ffprobe",
               {"-v", "error", "-show_entries", "format=duration", "-of", "default=nw=1:nk=1", file}, 20000);
  if (r.code != 0) return -1;
  try {
    return std::stod(r.output);
  } catch (const std::exception &) {
    return -1;
  }
}

// The ConfigError a node YAML's camera section gives, or "(no error)".
inline std::string cameraConfigError(const std::string &yaml) {
  try {
    auto cfg = ConfigNode::loadString(yaml, "node.yaml");
    ingest::readCameraOptions(cfg);
    cfg.rejectUnknown();
  } catch (const ConfigError &e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace liandong::testing
