// The incident desk of a centre: incidents opened from alerts (correlated by
// type, place and time), by a duty officer, by a field agency, or copied from
// a child centre; their lifecycle, response level and lead tier, linked
// alerts and cameras, and a timeline. Every change is checked against the
// actor's role and jurisdiction here, in the server, and written with its
// audit entry in one transaction. Thread-safe (its connections, one mutex);
// users and sessions are not here (users.h, and the centre's sessions.h).
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/connection>

#include "liandong.pb.h"
#include "liandong/server/incident_rules.h"
#include "liandong/server/users.h"

namespace liandong::server {

// A refusal the user should read: not allowed, not found, not possible now.
struct IncidentError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What a change produced: the incident as it now stands, and whether it is new.
struct IncidentChange {
  wire::IncidentReport incident;
  bool opened = false;
  std::string viaCentre;  // the child centre the incident came from, if any
  // A change of what every tier holds (state, level, colour, lead): it bumps
  // the version and goes up and down. Local work (notes, tasks, reports, SOP
  // steps, a linked alert) is shown on this centre's consoles only.
  bool shared = true;
};

// What a batch of alerts changed: each incident once, as it stands after the
// batch (in the order they were first changed), and for each alert the
// incident it belongs to ("" when it belongs to none).
struct AlertBatchResult {
  std::vector<IncidentChange> changes;
  std::vector<std::string> incidentOf;
};

// A standard operating procedure for one incident type: the checklist, and
// for steps that name an agency kind, a task for each such agency whose
// jurisdiction covers the place.
struct SopStepConfig {
  std::string text;
  std::string agencyKind;  // "" for a step the centre does itself
};
struct SopConfig {
  std::string type;
  std::vector<SopStepConfig> steps;
};

// Situation report deadlines by response level (index 1..4 = I..IV), minutes:
// the first report after opening, each follow-up after the previous report,
// the final report after closing.
struct SitrepDeadlines {
  std::array<int, 5> firstMin{0, 30, 60, 120, 240};
  std::array<int, 5> followupMin{0, 60, 120, 240, 480};
  std::array<int, 5> finalMin{0, 1440, 1440, 1440, 1440};
};

// Something a deadline check found: a task not acknowledged in time, or a
// situation report overdue. The centre publishes the change, and sends it to
// the parent when `toParent`.
struct DeadlineEvent {
  IncidentChange change;
  bool toParent = false;
  std::optional<wire::Alert> alert;  // an overdue situation report raises one
};

struct IncidentOptions {
  std::string centreId;
  std::string centreRegion;           // used when a place is outside every region held
  std::string centreTier = "county";  // "province", "city", "county", "town"
  LeadTierPolicy lead;
  TypeMap types;
  double correlateRadiusM = 2000;   // an alert joins an open incident of its type this near...
  int correlateWindowS = 6 * 3600;  // ...that changed this recently
  int camerasLinked = 5;            // cameras seeing the place, linked when it opens
  int ackMinutes = 15;              // default deadline for an agency to acknowledge a task
  int sessionTtlS = 12 * 3600;      // how long a sign-in lasts
  std::vector<SopConfig> sops;
  SitrepDeadlines sitreps;
};

class IncidentDesk {
public:
  IncidentDesk(const std::string &conninfo, IncidentOptions options);
  ~IncidentDesk();

  // An alert stored by the intake. One a child centre already correlated
  // (`linkedIncident`) is only linked to our copy of that incident, which the
  // child's copies keep up to date. Otherwise it joins an open incident of its
  // type nearby, or opens one. Returns the change, or nothing when the alert
  // changed nothing visible (a repeat, or a child's alert).
  std::optional<IncidentChange> onAlert(const wire::Alert &alert, const std::string &linkedIncident = {});

  // Many alerts in one transaction (an alarm storm; alert_correlation.cpp):
  // each is correlated as onAlert() says, in order, but each incident they
  // change is written, versioned and audited once per batch, so a storm costs
  // a few statements per alert instead of a dozen and one commit per batch.
  // onAlert() is this with a batch of one.
  // `linkedIncidents`, when given, holds one entry per alert (see onAlert()).
  AlertBatchResult onAlerts(const std::vector<wire::Alert> &alerts,
                            const std::vector<std::string> &linkedIncidents = {});

  // An incident report over the spine: a first report from the field (version
  // 0) opens an incident; a centre's copy (version > 0) replaces ours when newer.
  // A copy from the parent never makes the parent the incident's child source.
  std::optional<IncidentChange> onReport(const wire::IncidentReport &report, const std::string &fromPeer,
                                         bool fromParent = false);

  // Requests from signed-in users (the query API). Throw IncidentError.
  IncidentChange create(const Actor &who, wire::IncidentReport incident);
  IncidentChange act(const Actor &who, const wire::IncidentActionRequest &request);
  std::vector<wire::IncidentReport> list(const Actor &who, bool includeClosed, int limit);
  wire::IncidentDetail get(const Actor &who, const std::string &incidentId);

  // Tasking: a duty officer dispatches; agencies acknowledge, report
  // progress, complete; receipts record who saw what when.
  IncidentChange dispatch(const Actor &who, const wire::TaskDispatchRequest &request);
  std::vector<wire::Task> tasks(const Actor &who, const wire::TaskListRequest &request);
  // The agencies whose jurisdiction covers the incident's place (nearest
  // office first), for dispatch; the incident must be visible to `who`.
  wire::AgencyList agencies(const Actor &who, const wire::AgencyListRequest &request);
  IncidentChange updateTask(const Actor &who, const wire::TaskUpdateRequest &request);
  // Situation reports 首报 / 续报 / 终报.
  IncidentChange submitSitrep(const Actor &who, const wire::SitrepSubmitRequest &request);
  // Missed acknowledgement deadlines and overdue situation reports, as of now
  // (the centre calls this every few seconds). Each is reported once per stage.
  std::vector<DeadlineEvent> checkDeadlines();

  // The child centre an incident's copies came from ("" when opened here or
  // unknown): directives for centres further down follow it.
  std::string viaCentre(const std::string &incidentId);

  // Whether `who` may see the incident (jurisdiction; agencies: reported or
  // tasked). False for an unknown incident.
  bool visibleTo(const Actor &who, const std::string &incidentId);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::mutex mutex_;  // guards impl_ (its connections)
};

}  // namespace liandong::server
