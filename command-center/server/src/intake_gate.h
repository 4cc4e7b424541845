// Who may send what on the centre's intake: each admitted key's role
// (centre_config.h, PeerRole) allows some message kinds and refuses the rest,
// and within a kind the peer's own scope — an ingest node speaks only for its
// own sensors and cameras and, with a `region:`, only for places inside it;
// a child centre only for incidents in its jurisdiction that it holds; the
// parent only about incidents this centre holds. The receiver asks before a
// message is batched (PgIntakeStore's gate); a refusal goes back to the
// sender as an error ack naming the reason, and the sender's sequence moves
// past it. The matrix is in docs/security.md, "Who may send what".
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include <pqxx/connection>

#include "liandong.pb.h"
#include "liandong/mapping/region_index.h"
#include "liandong/server/centre_config.h"

namespace liandong::server {

class IntakeGate {
public:
  // Loads the claimed sources; `config` must outlive this object.
  explicit IntakeGate(const CentreConfig &config);

  // Nullopt when `peer` may send `env`; else the reason, one line. Claims a
  // sensor or camera the first time an ingest node names it. Receiver thread.
  std::optional<std::string> check(const std::string &peer, const wire::Envelope &env);

private:
  std::optional<std::string> checkIngest(const std::string &peer, const wire::Envelope &env);
  std::optional<std::string> claim(const std::string &peer, const std::string &source);
  std::optional<std::string> inRegion(const std::string &peer, double lon, double lat);
  std::optional<std::string> checkCopy(const std::string &peer, PeerRole role, const wire::IncidentReport &r);
  std::optional<std::string> checkLinkedIncident(const std::string &peer, const std::string &incidentId);
  std::optional<std::string> viaCentreOf(const std::string &incidentId);

  const CentreConfig &config_;
  pqxx::connection conn_;
  std::map<std::string, std::string> owners_;      // source id -> the node that speaks for it
  std::unique_ptr<mapping::RegionIndex> regions_;  // loaded when a key with region: first sends a place
  std::map<std::pair<double, double>, std::string> placed_;  // sensors stand still
};

}  // namespace liandong::server
