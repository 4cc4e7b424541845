// Signing in and out and resolving sessions for the centre's threads: the
// query API (its thread) and the console views (the main thread, when a
// console asks for a snapshot). A UserStore with its own connection and its
// own lock, so a sign-in (Argon2id, tens of milliseconds) never waits for the
// incident desk nor holds it up. Nothing needs both locks: a session resolves
// to an Actor (a copy) before the desk is asked anything.
#pragma once

#include <mutex>
#include <string>

#include <pqxx/connection>

#include "liandong/server/users.h"

namespace liandong::server {

class Sessions {
public:
  Sessions(const std::string &conninfo, int sessionTtlS);

  // As UserStore::login, resolve and logout; thread-safe.
  Session login(const std::string &user, const std::string &password, const std::string &console,
                const std::string &keyId, const std::string &keyRegion);
  Session resolve(const std::string &token, const std::string &keyId);
  void logout(const std::string &token);

private:
  std::mutex mutex_;  // guards conn_ and users_
  pqxx::connection conn_;
  UserStore users_;
};

}  // namespace liandong::server
