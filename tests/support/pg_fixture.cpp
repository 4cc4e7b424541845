// The per-binary PostgreSQL fixture (see pg_fixture.h).
#include "pg_fixture.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include <unistd.h>

namespace liandong::testing {

namespace {
std::string g_dir;
std::string g_conninfo;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}
}  // namespace

std::string sourceDir() {
  return LIANDONG_SOURCE_DIR;
}
std::string binaryDir() {
  return LIANDONG_BINARY_DIR;
}

std::string run(const std::string &command) {
  struct Closer {
    void operator()(FILE *f) const { pclose(f); }
  };
  std::unique_ptr<FILE, Closer> pipe(popen(command.c_str(), "r"));
  if (!pipe) throw std::runtime_error("popen failed: " + command);
  std::string out;
  std::array<char, 4096> buf{};
  while (auto n = fread(buf.data(), 1, buf.size(), pipe.get())) out.append(buf.data(), n);
  int status = pclose(pipe.release());
  if (status != 0) throw std::runtime_error("command failed (" + std::to_string(status) + "): " + command);
  return out;
}

void PgEnvironment::SetUp() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ldpg.XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  g_dir = tmpl;
  // As root the server runs as 'postgres', which must be able to reach the data folder.
  std::filesystem::permissions(g_dir, std::filesystem::perms::owner_all | std::filesystem::perms::group_exec |
                                          std::filesystem::perms::others_exec);
  g_conninfo = trim(run(sourceDir() + "/scripts/pgcluster start " + g_dir + "/data"));
  // A watchdog removes the cluster even if this binary dies without TearDown
  // (a sanitizer abort, a crash): nothing is left running after a test.
  run("(while kill -0 " + std::to_string(getpid()) + " 2>/dev/null; do sleep 1; done; " + sourceDir() +
      "/scripts/pgcluster destroy " + g_dir + "/data; rm -rf " + g_dir + ") >/dev/null 2>&1 </dev/null &");
}

void PgEnvironment::TearDown() {
  if (g_dir.empty()) return;
  run(sourceDir() + "/scripts/pgcluster destroy " + g_dir + "/data");
  std::filesystem::remove_all(g_dir);
  g_dir.clear();
}

const std::string &PgEnvironment::conninfo() {
  return g_conninfo;
}

std::string PgEnvironment::freshDatabase(const std::string &name) {
  // conninfo is "host=... port=... dbname=liandong user=...".
  std::string admin = g_conninfo;
  auto pos = admin.find("dbname=liandong");
  std::string base = admin.substr(0, pos), rest = admin.substr(pos + 15);
  std::string psql =
      "/usr/lib/postgresql/15/bin/psql \"" + base + "dbname=postgres" + rest + "\" -qAtX -v ON_ERROR_STOP=1";
  run(psql + " -c 'DROP DATABASE IF EXISTS " + name + "' -c 'CREATE DATABASE " + name +
      " TEMPLATE template0' >/dev/null");
  std::string conn = base + "dbname=" + name + rest;
  run("/usr/lib/postgresql/15/bin/psql \"" + conn +
      "\" -qAtX -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION postgis' >/dev/null");
  return conn;
}

void PgEnvironment::stop() {
  run(sourceDir() + "/scripts/pgcluster stop " + g_dir + "/data");
}
void PgEnvironment::start() {
  run(sourceDir() + "/scripts/pgcluster start " + g_dir + "/data >/dev/null");
}

}  // namespace liandong::testing
