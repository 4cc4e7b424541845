// Sign-ins and sessions for the centre's threads (see sessions.h).
#include "sessions.h"

namespace liandong::server {

Sessions::Sessions(const std::string &conninfo, int sessionTtlS)
    : conn_(conninfo), users_(conn_, sessionTtlS) {}

Session Sessions::login(const std::string &user, const std::string &password, const std::string &console,
                        const std::string &keyId, const std::string &keyRegion) {
  std::lock_guard lock(mutex_);
  return users_.login(user, password, console, keyId, keyRegion);
}

Session Sessions::resolve(const std::string &token, const std::string &keyId) {
  std::lock_guard lock(mutex_);
  return users_.resolve(token, keyId);
}

void Sessions::logout(const std::string &token) {
  std::lock_guard lock(mutex_);
  users_.logout(token);
}

}  // namespace liandong::server
