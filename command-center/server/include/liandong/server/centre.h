// A command centre: the facade liandong-center runs. On construction it
// brings the database schema up to date, imports the deployment's regions on
// first start, and opens its sockets (intake, console fan-out, links to the
// parent and children centres); run() then serves until asked to stop.
#pragma once

#include <atomic>
#include <memory>

#include "liandong/server/centre_config.h"

namespace liandong::server {

class Centre final {
public:
  // Throws Error (StorageError, ...) with a one-line message when the centre
  // cannot start: database unreachable, a port in use, a bad migration.
  explicit Centre(CentreConfig config);
  ~Centre();
  Centre(const Centre &) = delete;
  Centre &operator=(const Centre &) = delete;

  // Serves until `stop` is set (or for `durationS` seconds when > 0).
  void run(const std::atomic<bool> &stop, double durationS = 0);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace liandong::server
