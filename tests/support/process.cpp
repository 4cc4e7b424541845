// Process handling for integration tests (see process.h).
#include "process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char **environ;

namespace liandong::testing {

bool waitUntil(const std::function<bool()> &cond, int timeoutMs) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

int anyFreePort();

int freeTcpPort() {
  static std::set<int> given;  // never hand out the same port twice in one test binary
  for (int attempt = 0; attempt < 100; ++attempt) {
    int port = anyFreePort();
    if (given.insert(port).second) return port;
  }
  throw std::runtime_error("cannot find a fresh free port");
}

int anyFreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string readFile(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeFile(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

Process::Process(std::string program, std::vector<std::string> args, std::string outputFile,
                 std::map<std::string, std::string> env)
    : outputFile_(std::move(outputFile)) {
  std::vector<std::string> envStrings;
  for (char **e = environ; *e; ++e) {
    std::string s = *e;
    auto eq = s.find('=');
    if (eq != std::string::npos && env.count(s.substr(0, eq))) continue;
    envStrings.push_back(s);
  }
  for (const auto &[k, v] : env) envStrings.push_back(k + "=" + v);
  std::vector<char *> envp, argv;
  for (auto &s : envStrings) envp.push_back(s.data());
  envp.push_back(nullptr);
  argv.push_back(program.data());
  for (auto &a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  // fork + exec rather than posix_spawn: the child asks to be killed when the
  // test binary dies, so an aborted test (a sanitizer report, a crash) leaves
  // no daemon running behind it.
  pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("cannot fork for " + program);
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    // A process group of its own, so the destructor also ends what it
    // started (xvfb-run's Xvfb, a shell's children).
    ::setpgid(0, 0);
    int out = ::open(outputFile_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || in < 0) ::_exit(127);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execve(program.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
}

Process::~Process() {
  if (pid_ <= 0) return;
  if (!exited_) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    wait(5000);
  } else {
    ::kill(-pid_, SIGKILL);  // what it left behind, if anything (ESRCH otherwise)
  }
}

bool Process::running() {
  if (exited_) return false;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    exited_ = true;
    status_ = st;
    return false;
  }
  return true;
}

void Process::signal(int sig) {
  if (!exited_) ::kill(pid_, sig);
}

int Process::wait(int timeoutMs) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  while (running()) {
    if (std::chrono::steady_clock::now() >= end) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return -1;
}

int Process::stop(int graceMs) {
  signal(SIGTERM);
  int code = wait(graceMs);
  if (code == -1) {
    signal(SIGKILL);
    code = wait(5000);
  }
  return code;
}

std::string Process::output() const {
  return readFile(outputFile_);
}

bool Process::waitForOutput(const std::string &text, int timeoutMs) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  while (std::chrono::steady_clock::now() < end) {
    if (output().find(text) != std::string::npos) return true;
    if (!running()) return output().find(text) != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace liandong::testing
