// Real processes for integration tests: spawn an executable with arguments
// and environment, send its output to a file, signal it, wait for it with a
// timeout. The destructor kills what is still running (no orphans).
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace liandong::testing {

class Process {
public:
  Process(std::string program, std::vector<std::string> args, std::string outputFile,
          std::map<std::string, std::string> env = {});
  ~Process();
  Process(const Process &) = delete;
  Process &operator=(const Process &) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int sig);
  // Waits for exit; returns the exit code, 128+signal when killed, or -1 on timeout.
  int wait(int timeoutMs);
  // SIGTERM, then SIGKILL after `graceMs`; returns the exit code.
  int stop(int graceMs = 5000);
  std::string output() const;  // everything written so far
  const std::string &outputFile() const { return outputFile_; }
  // Waits until the output contains `text`; false on timeout or exit.
  bool waitForOutput(const std::string &text, int timeoutMs);

private:
  pid_t pid_ = -1;
  int status_ = -1;
  bool exited_ = false;
  std::string outputFile_;
};

// Polls `cond` every 10 ms until it holds or `timeoutMs` passes; returns its last value.
bool waitUntil(const std::function<bool()> &cond, int timeoutMs = 10000);

// A loopback TCP port that was free a moment ago (bound to port 0, then released).
int freeTcpPort();

std::string readFile(const std::string &path);
void writeFile(const std::string &path, const std::string &text);

}  // namespace liandong::testing
