// Test helpers for the camera tests (camera_test.cpp, recording_test.cpp):
// a temporary folder and the real liandong-camera-sim process with its
// control FIFO.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "liandong/core/errors.h"
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
  // --height) replaces the default 320x240.
  explicit Simulator(int cameras, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--port",         std::to_string(port),
                                  "--cameras",      std::to_string(cameras),
                                  "--fps",          "15",
                                  "--bitrate-kbps", "300",
                                  "--control",      (dir.path / "control").string()};
    if (std::find(extra.begin(), extra.end(), "--width") == extra.end())
      args.insert(args.end(), {"--width", "320", "--height", "240"});
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

}  // namespace liandong::testing
