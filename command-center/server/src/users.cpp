// Accounts, Argon2id passwords and sessions (see users.h).
#include "liandong/server/users.h"

#include <array>
#include <mutex>

#include <sodium.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "liandong/core/text.h"
#include "liandong/server/audit.h"
#include "liandong/server/centre_config.h"

namespace liandong::server {

namespace {

void initSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) throw Error("libsodium could not be initialised");
  });
}

Session sessionFrom(const pqxx::row &row) {
  Session s;
  s.actor.name = row["name"].as<std::string>();
  s.displayName = row["display_name"].as<std::string>();
  auto role = parseRole(row["role"].as<std::string>());
  s.actor.role = role.value_or(Role::AgencyOperator);
  s.actor.regionCode = row["region_code"].as<std::string>();
  s.actor.agencyId = row["agency_id"].is_null() ? "" : row["agency_id"].as<std::string>();
  return s;
}

}  // namespace

std::string hashPassword(const std::string &password) {
  initSodium();
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw Error("out of memory while hashing a password");
  return out.data();
}

bool verifyPassword(const std::string &hash, const std::string &password) {
  initSodium();
  if (hash.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

UserStore::UserStore(pqxx::connection &conn, int sessionTtlS) : conn_(conn), ttlS_(sessionTtlS) {}

void UserStore::upsert(const NewUser &user, const Actor &by) {
  if (user.password.size() < 8) throw Error("user " + user.name + ": password: at least 8 characters");
  if (user.role == Role::System) throw Error("user " + user.name + ": role: not a user role");
  if (user.role == Role::AgencyOperator && user.agencyId.empty())
    throw Error("user " + user.name + ": agency: an agency operator needs an agency");
  pqxx::work tx(conn_);
  if (tx.exec_params("SELECT 1 FROM regions WHERE code = $1", user.regionCode).empty())
    throw Error("user " + user.name + ": region: unknown region code " + user.regionCode);
  if (!user.agencyId.empty() && tx.exec_params("SELECT 1 FROM agencies WHERE id = $1", user.agencyId).empty())
    throw Error("user " + user.name + ": agency: unknown agency " + user.agencyId);
  nlohmann::json before = nullptr;
  auto old = tx.exec_params(
      "SELECT display_name, role, region_code, coalesce(agency_id, '') FROM users "
      "WHERE name = $1",
      user.name);
  if (!old.empty())
    before = {{"display_name", old[0][0].as<std::string>()},
              {"role", old[0][1].as<std::string>()},
              {"region", old[0][2].as<std::string>()},
              {"agency", old[0][3].as<std::string>()}};
  std::optional<std::string> agency;
  if (!user.agencyId.empty()) agency = user.agencyId;
  tx.exec_params(
      "INSERT INTO users (name, display_name, role, region_code, agency_id, password_hash) "
      "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO UPDATE SET display_name = "
      "EXCLUDED.display_name, "
      "role = EXCLUDED.role, region_code = EXCLUDED.region_code, agency_id = EXCLUDED.agency_id, "
      "password_hash = EXCLUDED.password_hash, disabled = false",
      user.name, user.displayName, roleName(user.role), user.regionCode, agency, hashPassword(user.password));
  nlohmann::json after = {{"display_name", user.displayName},
                          {"role", roleName(user.role)},
                          {"region", user.regionCode},
                          {"agency", user.agencyId},
                          {"password", "changed"}};
  audit(tx, by, "user.upsert", "user/" + user.name, before, after);
  tx.commit();
}

void UserStore::disable(const std::string &name, const Actor &by) {
  pqxx::work tx(conn_);
  auto r = tx.exec_params("UPDATE users SET disabled = true WHERE name = $1 AND NOT disabled", name);
  if (r.affected_rows() == 0) throw Error("user " + name + ": no such active user");
  tx.exec_params("DELETE FROM sessions WHERE user_name = $1", name);
  audit(tx, by, "user.disable", "user/" + name, {{"disabled", false}}, {{"disabled", true}});
  tx.commit();
}

Session UserStore::login(const std::string &user, const std::string &password, const std::string &console,
                         const std::string &keyId, const std::string &keyRegion) {
  pqxx::work tx(conn_);
  const std::string window = std::to_string(kLockMinutes) + " minutes";
  auto failures = tx.exec_params1(
                        "SELECT count(*) FROM login_failures WHERE user_name = $1 AND "
                        "at > now() - $2::interval",
                        user, window)[0]
                      .as<int>();
  if (failures >= kMaxFailures) {
    tx.commit();
    throw AuthError("too many failed sign-ins for this user name; try again in " +
                    std::to_string(kLockMinutes) + " minutes or ask an administrator to unlock it");
  }
  auto rows = tx.exec_params(
      "SELECT name, display_name, role, region_code, agency_id, password_hash, disabled FROM users "
      "WHERE name = $1",
      user);
  // Hash even for an unknown user, so the time taken does not tell who exists.
  static const std::string dummy = hashPassword("liandong-no-such-user");
  bool ok = verifyPassword(rows.empty() ? dummy : rows[0]["password_hash"].as<std::string>(), password);
  Actor who{user, Role::System, "", "", console};
  if (rows.empty() || !ok) {
    audit(tx, who, "login.refused", "user/" + user, nullptr,
          {{"reason", "wrong user name or password"}, {"key", keyId}});
    tx.exec_params("INSERT INTO login_failures (user_name) VALUES ($1)", user);
    tx.exec_params("DELETE FROM login_failures WHERE at < now() - $1::interval", window);
    if (failures + 1 >= kMaxFailures)
      audit(tx, who, "login.locked", "user/" + user, nullptr,
            {{"failures", failures + 1}, {"minutes", kLockMinutes}, {"key", keyId}});
    tx.commit();
    throw AuthError("wrong user name or password");
  }
  if (rows[0]["disabled"].as<bool>()) {
    audit(tx, who, "login.refused", "user/" + user, nullptr, {{"reason", "user disabled"}, {"key", keyId}});
    tx.commit();
    throw AuthError("user disabled");
  }
  std::string region = rows[0]["region_code"].as<std::string>();
  if (auto no = keyRegion.empty() ? std::nullopt : capToKeyRegion(user, region, keyRegion)) {
    audit(tx, who, "login.refused", "user/" + user, nullptr, {{"reason", *no}, {"key", keyId}});
    tx.commit();
    throw AuthError(*no);
  }
  initSodium();
  std::array<unsigned char, 32> raw{};
  randombytes_buf(raw.data(), raw.size());
  std::array<char, 65> hex{};
  sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
  Session s = sessionFrom(rows[0]);
  s.token = hex.data();
  s.actor.console = console;
  s.expiresAtUs = nowUs() + static_cast<std::int64_t>(ttlS_) * 1000000;
  tx.exec_params("DELETE FROM sessions WHERE expires_at < now()");
  tx.exec_params(
      "INSERT INTO sessions (token_hash, user_name, console, expires_at, key_id) "
      "VALUES ($1, $2, $3, to_timestamp($4::double precision / 1e6), $5)",
      sha256Hex(s.token), user, console, static_cast<double>(s.expiresAtUs), keyId);
  tx.exec_params("DELETE FROM login_failures WHERE user_name = $1", user);
  audit(tx, s.actor, "login", "user/" + user, nullptr, {{"console", console}, {"key", keyId}});
  tx.commit();
  return s;
}

Session UserStore::resolve(const std::string &token, const std::string &keyId) {
  pqxx::work tx(conn_);
  auto rows = tx.exec_params(
      "SELECT u.name, u.display_name, u.role, u.region_code, u.agency_id, s.console, "
      "(extract(epoch FROM s.expires_at) * 1e6)::bigint AS expires "
      "FROM sessions s JOIN users u ON u.name = s.user_name "
      "WHERE s.token_hash = $1 AND s.key_id = $2 AND s.expires_at > now() AND NOT u.disabled",
      sha256Hex(token), keyId);
  tx.commit();
  if (rows.empty()) throw AuthError("session expired or unknown; sign in again");
  Session s = sessionFrom(rows[0]);
  s.actor.console = rows[0]["console"].as<std::string>();
  s.expiresAtUs = rows[0]["expires"].as<std::int64_t>();
  return s;
}

void UserStore::unlock(const std::string &name, const Actor &by) {
  pqxx::work tx(conn_);
  auto r = tx.exec_params("DELETE FROM login_failures WHERE user_name = $1", name);
  audit(tx, by, "user.unlock", "user/" + name, {{"failures", r.affected_rows()}}, {{"failures", 0}});
  tx.commit();
}

void UserStore::logout(const std::string &token) {
  pqxx::work tx(conn_);
  auto rows = tx.exec_params("DELETE FROM sessions WHERE token_hash = $1 RETURNING user_name, console",
                             sha256Hex(token));
  if (!rows.empty()) {
    Actor who{rows[0][0].as<std::string>(), Role::System, "", "", rows[0][1].as<std::string>()};
    audit(tx, who, "logout", "user/" + who.name, nullptr, nullptr);
  }
  tx.commit();
}

}  // namespace liandong::server
