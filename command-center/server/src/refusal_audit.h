// Refusals on the record: every request the centre refuses (an intake
// message a peer's role does not allow, a query a user may not make) goes to
// the log and into the hash-chained audit log with the key, the user, the
// kind of request and the reason. A flood must not bloat the chain: each key
// gets at most `perMinute` audited refusals a minute; the rest are counted
// and one entry per key and minute says how many were left out. Its own
// database connection and lock; any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <pqxx/connection>

namespace spdlog {
class logger;
}

namespace liandong::server {

class RefusalAudit {
public:
  RefusalAudit(const std::string &conninfo, int perMinute = 20);

  // `user` may be empty (a key with no signed-in user). Never throws: a
  // database failure is logged and the refusal stays in the log file.
  void record(const std::string &keyId, const std::string &user, const std::string &kind,
              const std::string &reason);

private:
  struct Window {
    std::int64_t minute = 0;
    int audited = 0;
    std::uint64_t left = 0;
  };
  void write(const std::string &actor, const std::string &keyId, const std::string &action,
             const std::string &object, const std::string &reason, std::uint64_t leftOut);

  std::mutex mutex_;
  std::string conninfo_;
  std::unique_ptr<pqxx::connection> conn_;
  int perMinute_;
  std::map<std::string, Window> windows_;  // by key
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace liandong::server
