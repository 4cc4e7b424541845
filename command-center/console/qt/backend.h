// Backend: the Qt Quick console's live picture of its centre — the Clone
// stream (snapshot + updates) feeding the incident queue, the cameras, the
// sensors' alert colours and the new incidents' pulse; the link state and
// resyncs; map tiles and sensor charts over the query endpoint; video
// snapshots. It creates and wires the console's other QML-facing objects,
// one per job: Session (sign-in, user, role, language), IncidentDetail (the
// open incident and its actions), Recordings, WallControl, Alarms and
// AgencyTasks, which ConsoleApp exposes to QML next to `backend`.
#pragma once

#include <QMap>
#include <QObject>
#include <QQuickItem>
#include <QString>
#include <QStringList>
#include <QVariantMap>

#include <map>
#include <memory>
#include <string>

#include <zmq.hpp>

#include "agency_tasks.h"
#include "alarms.h"
#include "camera_model.h"
#include "centre_calls.h"
#include "incident_detail.h"
#include "incident_filter.h"
#include "incident_model.h"
#include "liandong/console/console_settings.h"
#include "liandong/core/link/clone.h"
#include "liandong/map/map_view.h"
#include "recordings.h"
#include "session.h"
#include "video_grants.h"
#include "wall_control.h"

namespace liandong::console {

class Backend : public QObject {
  Q_OBJECT
  Q_PROPERTY(liandong::console::IncidentModel *incidents READ incidents CONSTANT)
  // The queue as shown: `incidents` through the duty officer's filters.
  Q_PROPERTY(liandong::console::IncidentFilter *queue READ queue CONSTANT)
  Q_PROPERTY(liandong::map::TileProvider *tiles READ tiles CONSTANT)
  Q_PROPERTY(liandong::console::CameraModel *cameras READ cameras CONSTANT)
  // Grants to watch, asked of the centre before each video tile plays (video_grants.h).
  Q_PROPERTY(QObject *videoGrants READ videoGrants CONSTANT)
  Q_PROPERTY(bool linkUp READ linkUp NOTIFY linkUpChanged)
  Q_PROPERTY(int resyncs READ resyncs NOTIFY linkUpChanged)
  Q_PROPERTY(double linkDownSince READ linkDownSince NOTIFY linkUpChanged)
  Q_PROPERTY(QString consoleId READ consoleId CONSTANT)
  // The status bar: the last call's confirmation or refusal, and whether calls are under way.
  Q_PROPERTY(QString status READ status NOTIFY statusChanged)
  Q_PROPERTY(bool busy READ busy NOTIFY busyChanged)
  Q_PROPERTY(double startLongitude READ startLongitude CONSTANT)
  Q_PROPERTY(double startLatitude READ startLatitude CONSTANT)
  Q_PROPERTY(double startZoom READ startZoom CONSTANT)
  Q_PROPERTY(int videoLatencyMs READ videoLatencyMs CONSTANT)
  Q_PROPERTY(QVariantMap summary READ summary NOTIFY summaryChanged)
  // Sensor id -> warning colour of its active alert (the map colours them).
  Q_PROPERTY(QVariantMap sensorStates READ sensorStates NOTIFY sensorStatesChanged)
  // Incidents opened in the last minute (the map makes them pulse).
  Q_PROPERTY(QStringList newIncidents READ newIncidents NOTIFY newIncidentsChanged)
public:
  Backend(ConsoleSettings settings, std::string password, QObject *parent = nullptr);
  ~Backend() override;

  // Connects: signs in, starts the Clone stream.
  void start();
  const ConsoleSettings &settings() const { return settings_; }

  Session &session() { return session_; }
  IncidentDetail &incident() { return incident_; }
  Recordings &recordings() { return recordings_; }
  WallControl &wall() { return wall_; }
  Alarms &alarms() { return alarms_; }
  AgencyTasks &agencyTasks() { return tasks_; }

  IncidentModel *incidents() { return &model_; }
  IncidentFilter *queue() { return &queue_; }
  map::TileProvider *tiles() { return tiles_; }
  CameraModel *cameras() { return &cameras_; }
  QObject *videoGrants() { return &videoGrants_; }
  bool linkUp() const { return linkUp_; }
  int resyncs() const { return resyncs_; }
  double linkDownSince() const { return linkDownSince_; }
  QString consoleId() const { return QString::fromStdString(settings_.id); }
  QString status() const { return calls_.status(); }
  bool busy() const { return calls_.busy(); }
  double startLongitude() const { return settings_.longitude; }
  double startLatitude() const { return settings_.latitude; }
  double startZoom() const { return settings_.zoom; }
  int videoLatencyMs() const { return settings_.videoLatencyMs; }
  int tilesServed() const { return tiles_->served(); }
  QVariantMap summary() const;
  QVariantMap sensorStates() const { return sensorStates_; }
  QStringList newIncidents() const { return newIncidents_.keys(); }

  // A line in the console's log (the UI's video and wall events).
  Q_INVOKABLE void log(const QString &line) const;
  // Where a snapshot of a camera goes: <snapshots>/<camera>-<time>.png (the
  // folder is created).
  Q_INVOKABLE QString snapshotPath(const QString &cameraId) const;
  // Saves what the item shows (a video tile) as a PNG in the snapshots
  // folder; returns the path, empty on failure.
  Q_INVOKABLE QString saveSnapshot(QQuickItem *item, const QString &cameraId);
  // Video pipelines alive in this process.
  Q_INVOKABLE int livePipelines() const;
  // A sensor's readings over the last `hours` for its chart: answered by
  // seriesLoaded({sensorId, name, quantity, unit, points: [{t (ms), v}],
  // warningLevel, guaranteedLevel (NaN when none), rain1h, rain3h, rain24h}).
  Q_INVOKABLE void loadSeries(const QString &sensorId, double hours = 24);

signals:
  void linkUpChanged();
  void statusChanged();
  void busyChanged();
  void summaryChanged();
  void sensorStatesChanged();
  void newIncidentsChanged();
  void seriesLoaded(const QVariantMap &series);

private:
  link::CloneClient::Callbacks cloneCallbacks();
  void onSnapshot(const std::vector<wire::IncidentReport> &incidents,
                  const std::vector<wire::Envelope> &cameras, const std::vector<wire::StateUpdate> &alerts);
  void onIncidentItem(const wire::StateUpdate &u);
  void onAlertItem(const wire::StateUpdate &u);
  void expireNewIncidents();

  ConsoleSettings settings_;
  std::string password_;
  zmq::context_t context_{1};
  QueryWorker tileWork_;
  CentreCalls calls_;
  IncidentModel model_;
  IncidentFilter queue_;
  CameraModel cameras_;
  VideoGrants videoGrants_{calls_};
  Session session_;
  IncidentDetail incident_;
  Recordings recordings_;
  WallControl wall_;
  Alarms alarms_;
  AgencyTasks tasks_;
  CentreTiles *tiles_;
  QVariantMap sensorStates_;
  std::map<std::string, std::pair<std::string, QString>> activeAlerts_;  // alert id -> (sensor, colour)
  QMap<QString, qint64> newIncidents_;                                   // id -> when it opened (ms)
  int resyncs_ = 0;
  double linkDownSince_ = 0;  // ms since the epoch while the link is down (until the resync), else 0
  bool snapshotLoaded_ = false;
  bool linkUp_ = false;
  std::unique_ptr<link::CloneClient> clone_;
};

}  // namespace liandong::console
