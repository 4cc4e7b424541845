// A centre's links to the centres above and below it (the four tiers), for
// the centre facade (centre.cpp) and, for directives issued on a console,
// the query API (query_api.cpp). Incidents go up to the parent when their
// level is at or above the reporting threshold and back down to the child
// they came from; alerts go up with the incident they joined here; directives
// go down towards the centre they are for; the summary goes up. See
// docs/command-centre.md, "Federation".
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "liandong.pb.h"
#include "liandong/core/link/outbox.h"
#include "liandong/core/link/sender.h"
#include "liandong/server/centre_config.h"
#include "liandong/server/incidents.h"

namespace spdlog {
class logger;
}

namespace liandong::server {

class Federation {
public:
  // Opens the links to the parent and children of `config`. `config`,
  // `context` and `desk` must outlive this object.
  Federation(const CentreConfig &config, zmq::context_t &context, IncidentDesk &desk);
  ~Federation();
  Federation(const Federation &) = delete;
  Federation &operator=(const Federation &) = delete;

  bool hasParent() const { return parent_ != nullptr; }
  // Whether a message came from this centre's parent.
  bool fromParent(const wire::Envelope &src) const;

  // After an incident changed here (main thread): a copy to the parent when
  // its level is at or above the reporting threshold (or `forceUp`), and to
  // the child it came from; never back to `cameFrom`, the peer whose message
  // caused it. Local work (change.shared false) stays here.
  void shareIncident(const IncidentChange &change, const std::string &cameFrom, bool forceUp = false);

  // A stored alert goes up to the parent (unless it came from there) with
  // `joinedIncident`, the incident it joined here, so the parent links it to
  // its copy instead of correlating again; with the incident it came with
  // when it joined none here (main thread).
  void alertUp(const wire::Envelope &src, const std::string &joinedIncident);

  // A stored directive (main thread): one for a centre below goes down
  // towards it; one for this centre about an incident it holds goes on that
  // incident's timeline, and the change is returned for the caller to publish.
  std::optional<IncidentChange> onDirective(const wire::Envelope &src);

  // A directive a user issues on a console (query thread): checked and
  // stamped (id, issuer, time) into the envelope that goes down. Throws Error.
  wire::Envelope prepareDirective(const Actor &who, const wire::Directive &request) const;
  // Queues a prepared directive (any thread); sendQueued() sends it.
  void queueDirective(wire::Envelope env);
  // Sends the queued directives down (main thread).
  void sendQueued();

  // The periodic summary to the parent (main thread; requires hasParent()).
  void sendSummary(std::uint64_t readings, std::uint64_t events,
                   const std::map<std::string, bool> &peerAlive);

private:
  std::unique_ptr<link::Sender> makeSender(const PeerCentre &peer);
  void directiveDown(const wire::Envelope &src);
  std::string viaCentreOf(const std::string &incidentId);

  const CentreConfig &config_;
  zmq::context_t &context_;
  IncidentDesk &desk_;
  std::shared_ptr<spdlog::logger> log_;
  std::vector<std::unique_ptr<link::Outbox>> outboxes_;  // before the senders that use them
  std::unique_ptr<link::Sender> parent_;
  std::map<std::string, std::unique_ptr<link::Sender>> children_;
  std::mutex queuedMutex_;
  std::deque<wire::Envelope> queued_;  // directives issued on the query thread
};

}  // namespace liandong::server
