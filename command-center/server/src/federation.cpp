// A centre's links to the centres above and below it (see federation.h).
#include "federation.h"

#include <fmt/format.h>

#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "liandong/core/logging.h"
#include "liandong/core/text.h"

namespace liandong::server {

Federation::Federation(const CentreConfig &config, zmq::context_t &context, IncidentDesk &desk)
    : config_(config), context_(context), desk_(desk), log_(logging::get("center")) {
  if (config_.parent) parent_ = makeSender(*config_.parent);
  for (const auto &child : config_.children) children_[child.id] = makeSender(child);
}

Federation::~Federation() = default;

std::unique_ptr<link::Sender> Federation::makeSender(const PeerCentre &peer) {
  outboxes_.push_back(std::make_unique<link::Outbox>(peer.outbox));
  link::SenderOptions so;
  so.senderId = config_.id;
  so.tier = config_.tier;
  so.region = config_.region;
  so.endpoint = peer.endpoint;
  so.serverPublicZ85 = peer.publicKey;
  so.keys = config_.keys;
  return std::make_unique<link::Sender>(context_, so, *outboxes_.back(), [log = log_, id = peer.id](bool up) {
    log->info("link to centre {} {}", id, up ? "up" : "lost");
  });
}

bool Federation::fromParent(const wire::Envelope &src) const {
  return config_.parent && src.sender_id() == config_.parent->id;
}

void Federation::shareIncident(const IncidentChange &change, const std::string &cameFrom, bool forceUp) {
  if (!change.shared) return;  // local work: this centre's consoles only
  const auto &inc = change.incident;
  auto copy = [&] {
    wire::Envelope env;
    env.set_kind(change.opened ? wire::KIND_REPORT : wire::KIND_UPDATE);
    env.set_incident_id(inc.incident_id());
    *env.mutable_incident_report() = inc;
    env.mutable_incident_report()->clear_photo();
    env.mutable_target_area()->set_latitude(inc.latitude());
    env.mutable_target_area()->set_longitude(inc.longitude());
    if (inc.region_codes_size() > 0)
      env.mutable_target_area()->set_region_code(inc.region_codes(inc.region_codes_size() - 1));
    return env;
  };
  if (parent_ && cameFrom != config_.parent->id &&
      (forceUp ||
       (static_cast<int>(inc.level()) <= config_.incidents.reportUpLevel && inc.level() != wire::LEVEL_NONE)))
    parent_->publish(copy());
  if (!change.viaCentre.empty() && change.viaCentre != cameFrom) {
    if (auto it = children_.find(change.viaCentre); it != children_.end()) it->second->publish(copy());
  }
}

void Federation::alertUp(const wire::Envelope &src, const std::string &joinedIncident) {
  if (!src.has_alert() || !parent_ || fromParent(src)) return;
  wire::Envelope up;
  up.set_kind(src.kind());
  up.set_status(src.status());
  up.set_incident_id(joinedIncident.empty() ? src.incident_id() : joinedIncident);
  *up.mutable_target_area() = src.target_area();
  *up.mutable_alert() = src.alert();
  parent_->publish(std::move(up));
}

std::optional<IncidentChange> Federation::onDirective(const wire::Envelope &src) {
  if (!src.has_directive()) return std::nullopt;
  const auto &d = src.directive();
  if (d.to_centre() != config_.id) {
    directiveDown(src);
    return std::nullopt;
  }
  // For this centre: on the incident's timeline, so the duty officer sees it
  // with the rest.
  if (src.incident_id().empty()) return std::nullopt;
  try {
    wire::IncidentActionRequest note;
    note.set_incident_id(src.incident_id());
    note.set_action("note");
    note.set_text(
        fmt::format("上级指令 {} ({}@{}): {}", d.directive_id(), d.issued_by(), src.sender_id(), d.text()));
    return desk_.act(Actor::system("centre:" + src.sender_id()), note);
  } catch (const std::exception &e) {
    log_->warn("directive {}: not on the timeline of incident {}: {}", d.directive_id(), src.incident_id(),
               firstLine(e.what()));
    return std::nullopt;
  }
}

void Federation::directiveDown(const wire::Envelope &src) {
  auto it = children_.find(src.directive().to_centre());
  // Not a child: follow the incident down the path its copies came up.
  if (it == children_.end() && !src.incident_id().empty())
    it = children_.find(viaCentreOf(src.incident_id()));
  if (it == children_.end()) {
    log_->warn(
        "directive {} is for {}, which is neither a child of this centre nor below one on its "
        "incident's path; not forwarded",
        src.directive().directive_id(), src.directive().to_centre());
    return;
  }
  wire::Envelope down;
  down.set_kind(wire::KIND_DISPATCH);
  down.set_incident_id(src.incident_id());
  *down.mutable_directive() = src.directive();
  it->second->publish(std::move(down));
  log_->info("directive {} forwarded to {}", src.directive().directive_id(), it->first);
}

std::string Federation::viaCentreOf(const std::string &incidentId) {
  try {
    return desk_.viaCentre(incidentId);
  } catch (const std::exception &e) {
    log_->warn("incident {}: cannot look up where it came from: {}", incidentId, firstLine(e.what()));
    return {};
  }
}

wire::Envelope Federation::prepareDirective(const Actor &who, const wire::Directive &request) const {
  wire::Envelope env;
  env.set_kind(wire::KIND_DISPATCH);
  env.set_sender_id(config_.id);
  env.set_incident_id(request.incident_id());
  auto *d = env.mutable_directive();
  *d = request;
  if (d->to_centre().empty() || d->text().empty() || d->text().size() > 20000)
    throw Error("directive: to_centre and text (at most 20000 bytes) are required");
  if (!mayDo(who.role, "directive"))
    throw Error("permission denied: role " + roleName(who.role) + " may not issue directives");
  if (d->directive_id().empty()) d->set_directive_id(fmt::format("{}-d{}", config_.id, nowUs()));
  d->set_issued_by(who.name);
  d->set_issued_at_us(nowUs());
  return env;
}

void Federation::queueDirective(wire::Envelope env) {
  std::lock_guard lock(queuedMutex_);
  queued_.push_back(std::move(env));
}

void Federation::sendQueued() {
  std::deque<wire::Envelope> directives;
  {
    std::lock_guard lock(queuedMutex_);
    directives.swap(queued_);
  }
  // One issued for this centre itself has nowhere to go.
  for (const auto &d : directives)
    if (d.directive().to_centre() != config_.id) directiveDown(d);
}

void Federation::sendSummary(std::uint64_t readings, std::uint64_t events,
                             const std::map<std::string, bool> &peerAlive) {
  wire::Envelope env;
  env.set_kind(wire::KIND_REPORT);
  auto *sum = env.mutable_summary();
  sum->set_region_code(config_.region);
  sum->set_interval_s(config_.summaryIntervalS);
  sum->set_readings(readings);
  sum->set_events(events);
  for (const auto &[id, alive] : peerAlive) {
    if (alive)
      sum->set_peers_alive(sum->peers_alive() + 1);
    else
      sum->set_peers_lost(sum->peers_lost() + 1);
  }
  parent_->publish(std::move(env));
}

}  // namespace liandong::server
