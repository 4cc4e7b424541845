// Accounts, passwords and sessions of the people who use a centre. Passwords
// are hashed with Argon2id (libsodium crypto_pwhash_str); a session token is
// 32 random bytes shown once to the console, and only its SHA-256 is stored.
// Sessions expire; a disabled user's sessions stop working at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <pqxx/connection>

#include "liandong/server/incident_rules.h"

namespace liandong::server {

// Argon2id, libsodium's interactive limits unless `moderate` (slower, for admins).
std::string hashPassword(const std::string &password);
bool verifyPassword(const std::string &hash, const std::string &password);

struct NewUser {
  std::string name;
  std::string displayName;
  Role role = Role::DutyOfficer;
  std::string regionCode;
  std::string agencyId;  // required for agency operators
  std::string password;
};

struct Session {
  std::string token;  // only returned by login()
  Actor actor;
  std::string displayName;
  std::int64_t expiresAtUs = 0;
};

// Thrown when a login or a session is refused; the message names the cause
// without saying whether the user exists.
struct AuthError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class UserStore {
public:
  // Uses `conn` (not owned) from one thread at a time.
  explicit UserStore(pqxx::connection &conn, int sessionTtlS = 12 * 3600);

  // Adds or replaces a user (audited as `by`). Throws Error naming the field
  // when the region or agency is unknown or the password is too short.
  void upsert(const NewUser &user, const Actor &by);
  void disable(const std::string &name, const Actor &by);

  // Signs in through the console key `keyId`; the session works only
  // through that key. Throws AuthError("wrong user name or password"),
  // ("user disabled") or, after kMaxFailures failed sign-ins for the name
  // within kLockMinutes, ("too many failed sign-ins ...") without checking
  // the password until the lock runs out (or an administrator unlocks it).
  // With `keyRegion`, a user whose jurisdiction does not meet it is refused
  // ("user X's jurisdiction R is outside this console's region K") before a
  // session is made.
  Session login(const std::string &user, const std::string &password, const std::string &console,
                const std::string &keyId, const std::string &keyRegion = "");
  // The session's actor; throws AuthError("session expired or unknown") —
  // also when `keyId` is not the key that signed in.
  Session resolve(const std::string &token, const std::string &keyId);
  // Forgets the failed sign-ins of `name` (audited as `by`).
  void unlock(const std::string &name, const Actor &by);

  static constexpr int kMaxFailures = 5;
  static constexpr int kLockMinutes = 15;
  void logout(const std::string &token);

private:
  pqxx::connection &conn_;
  int ttlS_;
};

}  // namespace liandong::server
