// The Qt Quick console's link to its centre: the console configuration, the
// Clone stream (snapshot + updates) feeding the incident queue, the signed-in
// session, incident queries and actions (act, dispatch, sitrep) and map tiles
// over the query endpoint. Blocking calls run on worker threads; every result
// comes back to the GUI thread as a queued call.
#pragma once

#include <QMap>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QThread>
#include <QTranslator>
#include <QVariantMap>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "camera_model.h"
#include "incident_filter.h"
#include "incident_model.h"
#include "liandong/console/console_settings.h"
#include "liandong/core/link/clone.h"
#include "liandong/core/link/query.h"
#include "liandong/map/map_view.h"

typedef struct _GstElement GstElement;

#include <QQmlEngine>
#include <QQuickItem>

namespace liandong::console {

// Runs jobs on its own thread with its own QueryClient (one DEALER socket).
class QueryWorker {
public:
  QueryWorker(zmq::context_t &context, std::string endpoint, std::string serverKey, CurveKeyPair keys);
  ~QueryWorker();
  QueryWorker(const QueryWorker &) = delete;
  QueryWorker &operator=(const QueryWorker &) = delete;
  void post(std::function<void(link::QueryClient &)> job);

private:
  zmq::context_t &context_;
  std::string endpoint_, serverKey_;
  CurveKeyPair keys_;
  QThread thread_;
  std::unique_ptr<QObject> anchor_;  // lives in thread_: queued jobs run there
  std::unique_ptr<link::QueryClient> client_;
};

// Map tiles from the centre's query endpoint.
class CentreTiles : public map::TileProvider {
  Q_OBJECT
public:
  CentreTiles(QueryWorker &worker, QObject *parent);
  void requestTile(const QString &layer, int z, int x, int y) override;
  int served() const { return served_; }

private:
  QueryWorker &worker_;
  int served_ = 0;
};

class Backend : public QObject {
  Q_OBJECT
  Q_PROPERTY(liandong::console::IncidentModel *incidents READ incidents CONSTANT)
  // The queue as shown: `incidents` through the duty officer's filters.
  Q_PROPERTY(liandong::console::IncidentFilter *queue READ queue CONSTANT)
  Q_PROPERTY(liandong::map::TileProvider *tiles READ tiles CONSTANT)
  Q_PROPERTY(bool linkUp READ linkUp NOTIFY linkUpChanged)
  Q_PROPERTY(bool signedIn READ signedIn NOTIFY sessionChanged)
  Q_PROPERTY(QString userName READ userName NOTIFY sessionChanged)
  Q_PROPERTY(QString displayName READ displayName NOTIFY sessionChanged)
  Q_PROPERTY(QString role READ role NOTIFY sessionChanged)
  Q_PROPERTY(QString consoleId READ consoleId CONSTANT)
  Q_PROPERTY(QString language READ language WRITE setLanguage NOTIFY languageChanged)
  Q_PROPERTY(QString status READ status NOTIFY statusChanged)
  Q_PROPERTY(bool busy READ busy NOTIFY busyChanged)
  Q_PROPERTY(QVariantMap detail READ detail NOTIFY detailChanged)
  Q_PROPERTY(double startLongitude READ startLongitude CONSTANT)
  Q_PROPERTY(double startLatitude READ startLatitude CONSTANT)
  Q_PROPERTY(double startZoom READ startZoom CONSTANT)
  Q_PROPERTY(liandong::console::CameraModel *cameras READ cameras CONSTANT)
  Q_PROPERTY(int resyncs READ resyncs NOTIFY linkUpChanged)
  Q_PROPERTY(double linkDownSince READ linkDownSince NOTIFY linkUpChanged)
  Q_PROPERTY(QString mode READ mode NOTIFY sessionChanged)  // "duty", "agency", "leader"
  Q_PROPERTY(QString agencyId READ agencyId NOTIFY sessionChanged)
  Q_PROPERTY(QVariantMap summary READ summary NOTIFY summaryChanged)
  Q_PROPERTY(QVariantList tasks READ tasks NOTIFY tasksChanged)
  Q_PROPERTY(QVariantList presets READ presets NOTIFY presetsChanged)
  Q_PROPERTY(int alarmLevel READ alarmLevel CONSTANT)
  Q_PROPERTY(int alarmPopupS READ alarmPopupS CONSTANT)
  Q_PROPERTY(int tourDwellS READ tourDwellS CONSTANT)
  Q_PROPERTY(int videoLatencyMs READ videoLatencyMs CONSTANT)
  // Sensor id -> warning colour of its active alert (the map colours them).
  Q_PROPERTY(QVariantMap sensorStates READ sensorStates NOTIFY sensorStatesChanged)
  // Incidents opened in the last minute (the map makes them pulse).
  Q_PROPERTY(QStringList newIncidents READ newIncidents NOTIFY newIncidentsChanged)
  // The agencies that may be tasked for the open incident: [{id, name, kind,
  // distanceM (-1 unknown), phone, tasked}], nearest first.
  Q_PROPERTY(QVariantList agencies READ agencies NOTIFY agenciesChanged)
  // The alerts linked to the open incident: [{alertId, sourceId, sourceKind
  // ("sensor", "camera", ""), quantity, value (NaN when none), unit, level,
  // levelText, colour, onset (ms), headline, cleared}], oldest first.
  Q_PROPERTY(QVariantList linkedAlerts READ linkedAlerts NOTIFY linkedAlertsChanged)
  // The recording being played in the pane: {cameraId, url, from (ms: the
  // incident time - 30 s), segmentStart, segmentEnd (ms), offsetS (into the
  // first segment), segments (how many cover from .. +10 min)}; empty when
  // none. `error` set when the centre has no segment or refused.
  Q_PROPERTY(QVariantMap recording READ recording NOTIFY recordingChanged)
public:
  Backend(ConsoleSettings settings, std::string password, QObject *parent = nullptr);
  ~Backend() override;

  // Connects: signs in, starts the Clone stream.
  void start();
  void setEngine(QQmlEngine *engine) { engine_ = engine; }
  const ConsoleSettings &settings() const { return settings_; }

  IncidentModel *incidents() { return &model_; }
  IncidentFilter *queue() { return &queue_; }
  map::TileProvider *tiles() { return tiles_; }
  bool linkUp() const { return linkUp_; }
  bool signedIn() const { return !session_.empty(); }
  QString userName() const { return userName_; }
  QString displayName() const { return displayName_; }
  QString role() const { return role_; }
  QString consoleId() const { return QString::fromStdString(settings_.id); }
  QString language() const { return language_; }
  void setLanguage(const QString &language);
  QString status() const { return status_; }
  bool busy() const { return busy_ > 0; }
  QVariantMap detail() const { return detail_; }
  double startLongitude() const { return settings_.longitude; }
  double startLatitude() const { return settings_.latitude; }
  double startZoom() const { return settings_.zoom; }
  int tilesServed() const { return static_cast<CentreTiles *>(tiles_)->served(); }
  CameraModel *cameras() { return &cameras_; }
  int resyncs() const { return resyncs_; }
  double linkDownSince() const { return linkDownSince_; }
  QString mode() const;
  QString agencyId() const { return agencyId_; }
  QVariantMap summary() const;
  QVariantList tasks() const { return tasks_; }
  QVariantList presets() const { return presets_; }
  int alarmLevel() const { return settings_.alarmLevel; }
  int alarmPopupS() const { return settings_.alarmPopupS; }
  int tourDwellS() const { return settings_.tourDwellS; }
  int videoLatencyMs() const { return settings_.videoLatencyMs; }
  QVariantMap sensorStates() const { return sensorStates_; }
  QStringList newIncidents() const { return newIncidents_.keys(); }
  QVariantList agencies() const { return agencies_; }
  QVariantList linkedAlerts() const { return linkedAlerts_; }
  QVariantMap recording() const { return recording_; }
  // Overrides the role's mode ("duty", "agency", "leader"); empty: by role.
  void setModeOverride(const QString &mode) { modeOverride_ = mode; }

  // A line in the console's log (the UI's script steps and video events).
  Q_INVOKABLE void log(const QString &line) const;
  // Where a snapshot of a camera goes: <snapshots>/<camera>-<time>.png (the
  // folder is created).
  Q_INVOKABLE QString snapshotPath(const QString &cameraId) const;
  // Saves what the item shows (a video tile) as a PNG in the snapshots
  // folder; returns the path, empty on failure.
  Q_INVOKABLE QString saveSnapshot(QQuickItem *item, const QString &cameraId);
  // Video pipelines alive in this process.
  Q_INVOKABLE int livePipelines() const;
  // Wall presets: a name, a layout ("1", "4", "9", "16", "1+5") and the
  // cameras of its tiles, kept in the `wall.presets` JSON file.
  Q_INVOKABLE bool savePreset(const QString &name, const QString &layout, const QStringList &cameras);
  // A wall layout ("4", "1+5", "3x4", "4x4+3", …, see wall_layout.h):
  // {valid, error, rows, columns, span, tiles, rects: [{x, y, width,
  // height} in 0..1]}.
  Q_INVOKABLE QVariantMap wallLayout(const QString &layout) const;
  // The agency's tasks (or, for others, those they may see).
  Q_INVOKABLE void loadTasks();
  // acknowledge, progress (text, percent), complete.
  Q_INVOKABLE void taskAction(const QString &taskId, const QString &action, const QString &text = {},
                              int percent = 0);
  // A new incident from the field (an agency) or the duty officer.
  Q_INVOKABLE void raiseIncident(const QString &type, const QString &title, const QString &description,
                                 int level, const QString &colour, double latitude, double longitude);

  // Loads an incident's detail (timeline, tasks with receipts, sitreps).
  Q_INVOKABLE void openIncident(const QString &incidentId);
  Q_INVOKABLE void closeDetail();
  // On the open incident: verify, respond, contain, close (text = reason),
  // reopen, note (text), set_level (level 1..4, text = reason).
  Q_INVOKABLE void act(const QString &action, const QString &text = {}, int level = 0, int step = 0);
  // Ticks SOP step `step` of the open incident as done (act sop_done).
  Q_INVOKABLE void tickStep(int step) { act(QStringLiteral("sop_done"), {}, 0, step); }
  // Plays the recording of a camera of the open incident from the incident's
  // time - 30 s: asks the centre for the segments (Query.segments) and sets
  // `recording`. stopRecording() clears it.
  Q_INVOKABLE void playRecording(const QString &cameraId);
  // The same from a given time (ms since the epoch): the pane's ⏪/⏩ 30 s.
  Q_INVOKABLE void playRecordingFrom(const QString &cameraId, double fromMs);
  Q_INVOKABLE void stopRecording();
  // The pane's segment ended: the next one of `recording`, or the end.
  Q_INVOKABLE void nextRecordingSegment();
  // Tasks agencies (ids separated by commas or spaces).
  Q_INVOKABLE void dispatch(const QString &agencyIds, const QString &title, const QString &detail,
                            int ackMinutes = 0);
  // Situation report: kind first (首报), followup (续报), final (终报).
  Q_INVOKABLE void sitrep(const QString &kind, const QString &body);
  // A sensor's readings over the last `hours` for its chart: answered by
  // seriesLoaded({sensorId, name, quantity, unit, points: [{t (ms), v}],
  // warningLevel, guaranteedLevel (NaN when none), rain1h, rain3h, rain24h}).
  Q_INVOKABLE void loadSeries(const QString &sensorId, double hours = 24);

signals:
  void linkUpChanged();
  void sessionChanged();
  void languageChanged();
  void statusChanged();
  void busyChanged();
  void detailChanged();
  // One line for each completed action or refusal (also logged).
  void actionDone(const QString &what, bool ok);
  void summaryChanged();
  void tasksChanged();
  void presetsChanged();
  // A new incident (or one raised) at the alarm level or above: incidentId,
  // title, level, levelText, colour, and `cameras` — its linked cameras,
  // else the nearest known ones.
  void alarm(const QVariantMap &incident);
  void sensorStatesChanged();
  void newIncidentsChanged();
  void seriesLoaded(const QVariantMap &series);
  void agenciesChanged();
  void linkedAlertsChanged();
  void recordingChanged();

private:
  void call(wire::Query query, std::function<void(const wire::QueryReply &)> done, const QString &what);
  void setStatus(const QString &s);
  QString callLabel(const QString &what) const;
  void showDetail(const wire::IncidentDetail &d);
  void onIncidentItem(const wire::StateUpdate &u);
  void onAlertItem(const wire::StateUpdate &u);
  void expireNewIncidents();
  void raiseAlarm(const wire::IncidentReport &r);
  void beep();
  void loadPresets();

  ConsoleSettings settings_;
  std::string password_;
  zmq::context_t context_{1};
  QueryWorker work_, tileWork_;
  IncidentModel model_;
  IncidentFilter queue_;
  CameraModel cameras_;
  QVariantMap sensorStates_;
  QVariantList agencies_;
  void loadAgencies(const QString &incidentId);
  void loadLinkedAlerts(const QString &incidentId);
  QVariantList linkedAlerts_;
  QVariantMap recording_;
  std::map<std::string, std::pair<std::string, QString>> activeAlerts_;  // alert id -> (sensor, colour)
  QMap<QString, qint64> newIncidents_;                                   // id -> when it opened (ms)
  int resyncs_ = 0;
  double linkDownSince_ = 0;  // ms since the epoch while the link is down (until the resync), else 0
  bool snapshotLoaded_ = false;
  QString agencyId_, modeOverride_;
  QVariantList tasks_, presets_;
  std::shared_ptr<GstElement> tone_;  // the alarm tone while it plays (stops to NULL when reset)
  map::TileProvider *tiles_;
  std::unique_ptr<link::CloneClient> clone_;
  std::string session_;
  QString userName_, displayName_, role_, status_, language_;
  QString openId_;
  QVariantMap detail_;
  bool linkUp_ = false;
  int busy_ = 0;
  QPointer<QQmlEngine> engine_;
  std::unique_ptr<QTranslator> translator_;
};

}  // namespace liandong::console
