// Who may send what on the intake (see intake_gate.h).
#include "intake_gate.h"

#include <regex>

#include <pqxx/pqxx>

#include "liandong/core/region_code.h"

namespace liandong::server {

namespace {

const std::regex kIncidentId("^[A-Za-z0-9_.:/-]{1,96}$");

// The message kind as the refusal names it.
std::string kindName(const wire::Envelope &env) {
  const auto *field = env.GetDescriptor()->FindFieldByNumber(static_cast<int>(env.body_case()));
  return field ? field->name() : "an empty message";
}

}  // namespace

IntakeGate::IntakeGate(const CentreConfig &config) : config_(config), conn_(config.conninfo) {
  pqxx::work tx(conn_);
  for (const auto &row : tx.exec("SELECT source_id, sender_id FROM source_owners"))
    owners_[row[0].as<std::string>()] = row[1].as<std::string>();
  tx.commit();
}

std::optional<std::string> IntakeGate::check(const std::string &peer, const wire::Envelope &env) {
  auto it = config_.roles.find(peer);
  if (it == config_.roles.end()) return "key \"" + peer + "\" has no role here";
  const PeerRole role = it->second;
  using Body = wire::Envelope::BodyCase;
  const Body body = env.body_case();
  if (body == Body::kHeartbeat || body == Body::kGap) return std::nullopt;  // the link itself
  auto refused = [&] {
    return aPeerRole(role) + " may not send " + kindName(env) + " here" +
           (role == PeerRole::Console || role == PeerRole::Client
                ? " (sign in on the query endpoint and use its requests)"
                : "");
  };
  switch (role) {
    case PeerRole::Ingest: return checkIngest(peer, env);
    case PeerRole::Child:
      if (body == Body::kIncidentReport) return checkCopy(peer, role, env.incident_report());
      if (body == Body::kAlert) return checkLinkedIncident(peer, env.incident_id());
      if (body == Body::kSummary) {
        const auto &mine = config_.keyRegions.at(peer);
        if (env.summary().region_code() != mine)
          return "a summary from " + peer + " must be for its region " + mine + ", not \"" +
                 env.summary().region_code() + "\"";
        return std::nullopt;
      }
      return refused();
    case PeerRole::Parent:
      if (body == Body::kIncidentReport) return checkCopy(peer, role, env.incident_report());
      if (body == Body::kDirective) return std::nullopt;  // routed down or noted by the federation
      return refused();
    case PeerRole::Console:
    case PeerRole::Client: return refused();
  }
  return refused();
}

// Readings, alerts, camera states and recorded segments, each for a source
// this node speaks for, at a place inside its region.
std::optional<std::string> IntakeGate::checkIngest(const std::string &peer, const wire::Envelope &env) {
  using Body = wire::Envelope::BodyCase;
  switch (env.body_case()) {
    case Body::kReading: {
      const auto &r = env.reading();
      if (auto no = claim(peer, r.sensor_id())) return no;
      return inRegion(peer, r.longitude(), r.latitude());
    }
    case Body::kAlert: {
      const auto &a = env.alert();
      if (!env.incident_id().empty()) return "an ingest node's alert may not name an incident";
      if (auto no = claim(peer, a.source_id())) return no;
      return inRegion(peer, a.longitude(), a.latitude());
    }
    case Body::kCameraStatus: return claim(peer, env.camera_status().camera_id());
    case Body::kRecordingSegment: return claim(peer, env.recording_segment().camera_id());
    default: return "an ingest node may not send " + kindName(env) + " here";
  }
}

// The first node to name a source speaks for it from then on.
std::optional<std::string> IntakeGate::claim(const std::string &peer, const std::string &source) {
  if (source.empty()) return std::nullopt;  // malformed; the store refuses or keeps it as sent
  auto it = owners_.find(source);
  if (it != owners_.end()) {
    if (it->second == peer) return std::nullopt;
    return "\"" + source + "\" is reported by ingest node " + it->second + ", not " + peer;
  }
  pqxx::work tx(conn_);
  auto row = tx.exec_params1(
      "INSERT INTO source_owners (source_id, sender_id) VALUES ($1, $2) "
      "ON CONFLICT (source_id) DO UPDATE SET source_id = EXCLUDED.source_id RETURNING sender_id",
      source, peer);
  tx.commit();
  auto owner = row[0].as<std::string>();
  owners_[source] = owner;
  if (owner != peer) return "\"" + source + "\" is reported by ingest node " + owner + ", not " + peer;
  return std::nullopt;
}

std::optional<std::string> IntakeGate::inRegion(const std::string &peer, double lon, double lat) {
  auto it = config_.keyRegions.find(peer);
  if (it == config_.keyRegions.end() || (lon == 0 && lat == 0)) return std::nullopt;
  if (!regions_) regions_ = std::make_unique<mapping::RegionIndex>(mapping::RegionIndex::load(conn_));
  auto key = std::pair{lon, lat};
  auto found = placed_.find(key);
  if (found == placed_.end()) {
    if (placed_.size() > 100000) placed_.clear();
    found = placed_.emplace(key, regions_->resolve(lon, lat)).first;
  }
  if (!found->second.empty() && regionCovers(it->second, found->second)) return std::nullopt;
  return "the place (" + std::to_string(lat) + ", " + std::to_string(lon) + ") is outside " + peer +
         "'s region " + it->second;
}

// The child an incident held here came through ("" when none), or nullopt
// when this centre does not hold it.
std::optional<std::string> IntakeGate::viaCentreOf(const std::string &incidentId) {
  pqxx::work tx(conn_);
  auto rows = tx.exec_params("SELECT coalesce(via_centre, '') FROM incidents WHERE id = $1", incidentId);
  tx.commit();
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

// A centre's copy of an incident: a child's must lie in its jurisdiction and
// be one it holds (or new); the parent's must be one this centre holds.
std::optional<std::string> IntakeGate::checkCopy(const std::string &peer, PeerRole role,
                                                 const wire::IncidentReport &r) {
  if (!std::regex_match(r.incident_id(), kIncidentId))
    return "an incident report needs incident_id ([A-Za-z0-9_.:/-]{1,96})";
  if (r.version() == 0) return "an incident copy from a centre needs its version (1 or more)";
  auto via = viaCentreOf(r.incident_id());
  if (role == PeerRole::Parent) {
    if (!via) return "incident " + r.incident_id() + " is not held here; the parent may only update ours";
    return std::nullopt;
  }
  if (via && *via != peer)
    return "incident " + r.incident_id() + " is not one child centre " + peer + " reported here";
  const auto &mine = config_.keyRegions.at(peer);
  const auto &codes = r.region_codes();
  if (codes.empty() || !regionCovers(mine, codes[codes.size() - 1]))
    return "incident " + r.incident_id() + " is outside child centre " + peer + "'s jurisdiction " + mine;
  return std::nullopt;
}

// An alert a child correlated names the incident it joined there: one the
// child reported here (or has not yet).
std::optional<std::string> IntakeGate::checkLinkedIncident(const std::string &peer,
                                                           const std::string &incidentId) {
  if (incidentId.empty()) return std::nullopt;
  auto via = viaCentreOf(incidentId);
  if (!via || *via == peer) return std::nullopt;
  return "incident " + incidentId + " is not one child centre " + peer + " reported here";
}

}  // namespace liandong::server
