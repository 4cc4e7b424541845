// The centre's query API (see query_api.h).
#include "query_api.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "console_queries.h"
#include "liandong/core/errors.h"
#include "liandong/core/logging.h"
#include "liandong/core/region_code.h"
#include "liandong/core/text.h"
#include "series_query.h"

namespace liandong::server {

namespace {

std::string consoleOf(const std::string &peer, const wire::Query &q) {
  return q.console().empty() ? peer : peer + "/" + q.console().substr(0, 64);
}

}  // namespace

QueryApi::QueryApi(const CentreConfig &config, IncidentDesk &desk, Sessions &sessions, Federation &federation,
                   RefusalAudit &refusals, std::function<void(IncidentChange)> changed)
    : config_(config),
      desk_(desk),
      sessions_(sessions),
      refusals_(refusals),
      requests_(config.conninfo),
      federation_(federation),
      changed_(std::move(changed)),
      log_(logging::get("center")),
      tiles_(config.conninfo),
      conn_(config.conninfo),
      assets_(conn_),
      videoGrants_(config.keys, config.admitted) {}

// Who may ask at all, once-only requests, and refusals on the record.
void QueryApi::answer(const std::string &peer, const wire::Query &q, wire::QueryReply &r) {
  user_.clear();
  try {
    if (auto no = consoleKeyRefusal(config_, peer, "use the query endpoint")) throw Error(*no);
    if (auto first = requests_.earlier(q)) {
      log_->info("query {} from {} is a resend: the first answer again", q.request_id(), peer);
      r = std::move(*first);
      return;
    }
    dispatch(peer, q, r);
    requests_.keep(q, r);
  } catch (const std::exception &e) {
    // Failed sign-ins are audited by the user store itself (and locked out).
    if (!q.has_login() || !dynamic_cast<const AuthError *>(&e)) {
      const auto *field = q.GetDescriptor()->FindFieldByNumber(static_cast<int>(q.body_case()));
      refusals_.record(peer, user_, "query." + (field ? field->name() : std::string("unknown")),
                       firstLine(e.what()));
    }
    throw;
  }
}

// One case per query type and no default: a query type added to the
// protocol and not handled here does not compile (-Wswitch, -Werror).
void QueryApi::dispatch(const std::string &peer, const wire::Query &q, wire::QueryReply &r) {
  using Body = wire::Query::BodyCase;
  switch (q.body_case()) {
    case Body::kTile: tile(peer, q, r); break;
    case Body::kNearby: nearby(signedIn(peer, q), q.nearby(), r); break;
    case Body::kLogin: login(peer, q, r); break;
    case Body::kLogout: sessions_.logout(q.session()); break;
    case Body::kSeries: *r.mutable_series() = readSeries(conn_, signedIn(peer, q), q.series()); break;
    case Body::kAgencies: *r.mutable_agencies() = desk_.agencies(signedIn(peer, q), q.agencies()); break;
    case Body::kSegments: *r.mutable_segments() = readSegments(conn_, signedIn(peer, q), q.segments()); break;
    case Body::kVideoGrant:
      *r.mutable_video_grant() = videoGrants_.grant(conn_, signedIn(peer, q), q.video_grant());
      break;
    case Body::kIncidentAlerts: {
      const auto &id = q.incident_alerts().incident_id();
      if (!desk_.visibleTo(signedIn(peer, q), id)) throw Error("no incident " + id + " in your jurisdiction");
      *r.mutable_incident_alerts() = readIncidentAlerts(conn_, id);
      break;
    }
    case Body::kIncidents: {
      auto *out = r.mutable_incidents();
      for (auto &inc : desk_.list(signedIn(peer, q), q.incidents().include_closed(),
                                  static_cast<int>(q.incidents().limit())))
        *out->add_incidents() = std::move(inc);
      break;
    }
    case Body::kIncident:
      *r.mutable_incident() = desk_.get(signedIn(peer, q), q.incident().incident_id());
      break;
    case Body::kAct: {
      auto who = signedIn(peer, q);
      incidentChange(who, desk_.act(who, q.act()), r);
      break;
    }
    case Body::kCreate: {
      auto who = signedIn(peer, q);
      incidentChange(who, desk_.create(who, q.create().incident()), r);
      break;
    }
    case Body::kDispatch: {
      auto who = signedIn(peer, q);
      taskChange(who, desk_.dispatch(who, q.dispatch()), r);
      break;
    }
    case Body::kTasks: {
      auto *out = r.mutable_tasks();
      for (auto &t : desk_.tasks(signedIn(peer, q), q.tasks())) *out->add_tasks() = std::move(t);
      break;
    }
    case Body::kTask: {
      auto who = signedIn(peer, q);
      taskChange(who, desk_.updateTask(who, q.task()), r);
      break;
    }
    case Body::kSitrep: {
      auto who = signedIn(peer, q);
      taskChange(who, desk_.submitSitrep(who, q.sitrep()), r);
      break;
    }
    case Body::kDirective: directive(signedIn(peer, q), q.directive(), r); break;
    case Body::BODY_NOT_SET:  // also a query type newer than this centre
      throw Error("unknown query");
  }
  log_->debug("query {} from {} answered", q.request_id(), peer);
}

// A user whose jurisdiction is wider than the key's region works within the
// key's; one outside it is refused.
Actor QueryApi::signedIn(const std::string &peer, const wire::Query &q) {
  if (q.session().empty()) throw Error("not signed in: send a login query first");
  Session s;
  try {
    s = sessions_.resolve(q.session(), peer);
  } catch (const AuthError &e) {
    throw Error(std::string("not signed in: ") + e.what());
  }
  user_ = s.actor.name;
  s.actor.console = consoleOf(peer, q);
  if (auto no = capToKeyRegion(s.actor.name, s.actor.regionCode, keyRegionOf(config_, peer)))
    throw Error(*no);
  return s.actor;
}

// The region boundaries are for anyone admitted to ask; cameras, sensors and
// incidents need a session, and incidents are those in the user's
// jurisdiction (none for an agency operator, who has them in the list).
void QueryApi::tile(const std::string &peer, const wire::Query &q, wire::QueryReply &r) {
  const auto &t = q.tile();
  std::string root;
  const auto &layers = mapping::TileService::layers();
  bool known = std::find(layers.begin(), layers.end(), t.layer()) != layers.end();
  if (known && t.layer() != "regions") {  // an unknown layer gets its own error below
    auto who = signedIn(peer, q);
    root = who.role == Role::AgencyOperator ? "-" : who.regionCode;
  }
  auto tile = tiles_.get(t.layer(), static_cast<int>(t.z()), static_cast<int>(t.x()), static_cast<int>(t.y()),
                         t.layer() == "incidents" ? root : std::string());
  auto *out = r.mutable_tile();
  out->set_layer(t.layer());
  out->set_z(t.z());
  out->set_x(t.x());
  out->set_y(t.y());
  out->set_version(tile.version);
  out->set_mvt(std::move(tile.mvt));
  out->set_cached(tile.cached);
}

void QueryApi::nearby(const Actor &who, const wire::NearbyRequest &n, wire::QueryReply &r) {
  auto kind = mapping::parseAssetKind(n.asset_kind().empty() ? "camera" : n.asset_kind());
  int limit = n.limit() == 0 ? 10 : static_cast<int>(std::min<std::uint32_t>(n.limit(), 1000));
  auto hits = n.seeing() ? assets_.camerasSeeing(n.longitude(), n.latitude(), limit)
                         : assets_.nearest(kind, n.longitude(), n.latitude(), limit, n.of_kind());
  auto *out = r.mutable_nearby();
  for (const auto &h : hits) {
    if (!regionCovers(who.regionCode, h.regionCode)) continue;  // outside the user's jurisdiction
    auto *a = out->add_assets();
    a->set_id(h.id);
    a->set_name(h.name);
    a->set_kind(h.kind);
    a->set_region_code(h.regionCode);
    a->set_longitude(h.lon);
    a->set_latitude(h.lat);
    a->set_distance_m(h.distanceM);
  }
}

void QueryApi::login(const std::string &peer, const wire::Query &q, wire::QueryReply &r) {
  // A user outside the key's region is refused before a session is made (and audited there).
  const auto mine = keyRegionOf(config_, peer);
  auto session = sessions_.login(q.login().user(), q.login().password(), consoleOf(peer, q), peer, mine);
  if (auto no = capToKeyRegion(session.actor.name, session.actor.regionCode, mine)) throw Error(*no);
  auto *out = r.mutable_login();
  out->set_session(session.token);
  out->set_user(session.actor.name);
  out->set_display_name(session.displayName);
  out->set_role(roleName(session.actor.role));
  out->set_region_code(session.actor.regionCode);
  out->set_agency_id(session.actor.agencyId);
  out->set_expires_at_us(session.expiresAtUs);
  log_->info("{} signed in on {} ({})", session.actor.name, consoleOf(peer, q), roleName(session.actor.role));
}

// A directive to a centre below: on its incident's timeline here, then down
// the link from the main loop.
void QueryApi::directive(const Actor &who, const wire::Directive &request, wire::QueryReply &r) {
  auto env = federation_.prepareDirective(who, request);
  const auto &d = env.directive();
  std::optional<IncidentChange> change;
  if (!d.incident_id().empty()) {
    wire::IncidentActionRequest note;
    note.set_incident_id(d.incident_id());
    note.set_action("note");
    note.set_text(fmt::format("指令 {} → {}: {}", d.directive_id(), d.to_centre(), d.text()));
    change = desk_.act(who, note);
    *r.mutable_incident() = desk_.get(who, d.incident_id());
  }
  log_->info("directive {} for {} issued by {} ({})", d.directive_id(), d.to_centre(), who.name, who.console);
  if (change) changed_(std::move(*change));
  federation_.queueDirective(std::move(env));
}

void QueryApi::taskChange(const Actor &who, IncidentChange change, wire::QueryReply &r) {
  log_->info("incident {}: {} by {} ({})", change.incident.incident_id(), change.incident.change(), who.name,
             who.console);
  // The incident as the user may see it (an agency: its own tasks only).
  *r.mutable_incident() = desk_.get(who, change.incident.incident_id());
  changed_(std::move(change));
}

void QueryApi::incidentChange(const Actor &who, IncidentChange change, wire::QueryReply &r) {
  log_->info("incident {} {} by {} ({})", change.incident.incident_id(), change.incident.change(), who.name,
             who.console);
  *r.mutable_incident()->mutable_incident() = change.incident;
  changed_(std::move(change));
}

}  // namespace liandong::server
