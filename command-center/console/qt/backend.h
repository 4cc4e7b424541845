// The Qt Quick console's link to its centre: the console configuration, the
// Clone stream (snapshot + updates) feeding the incident queue, the signed-in
// session, incident queries and actions (act, dispatch, sitrep) and map tiles
// over the query endpoint. Blocking calls run on worker threads; every result
// comes back to the GUI thread as a queued call.
#pragma once

#include <QObject>
#include <QPointer>
#include <QString>
#include <QThread>
#include <QTranslator>
#include <QVariantMap>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <zmq.hpp>

#include "incident_model.h"
#include "liandong/core/link/clone.h"
#include "liandong/core/link/query.h"
#include "liandong/map/map_view.h"

#include <QQmlEngine>

namespace liandong::console {

struct ConsoleSettings {
  std::string id;
  std::string user;
  std::string language = "zh_CN";
  link::CloneClientOptions clone;
  std::string queryEndpoint;
  double longitude = 113.38, latitude = 22.95, zoom = 10;  // the map's first view

  // Reads the console YAML (console: id keys region language user; centre:
  // updates snapshot query public_key; map: longitude latitude zoom). Throws
  // ConfigError naming file, line and key.
  static ConsoleSettings load(const std::filesystem::path &file);
};

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
public:
  Backend(ConsoleSettings settings, std::string password, QObject *parent = nullptr);
  ~Backend() override;

  // Connects: signs in, starts the Clone stream.
  void start();
  void setEngine(QQmlEngine *engine) { engine_ = engine; }

  IncidentModel *incidents() { return &model_; }
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

  // Loads an incident's detail (timeline, tasks with receipts, sitreps).
  Q_INVOKABLE void openIncident(const QString &incidentId);
  Q_INVOKABLE void closeDetail();
  // On the open incident: verify, respond, contain, close (text = reason),
  // reopen, note (text), set_level (level 1..4, text = reason).
  Q_INVOKABLE void act(const QString &action, const QString &text = {}, int level = 0);
  // Tasks agencies (ids separated by commas or spaces).
  Q_INVOKABLE void dispatch(const QString &agencyIds, const QString &title, const QString &detail,
                            int ackMinutes = 0);
  // Situation report: kind first (首报), followup (续报), final (终报).
  Q_INVOKABLE void sitrep(const QString &kind, const QString &body);

signals:
  void linkUpChanged();
  void sessionChanged();
  void languageChanged();
  void statusChanged();
  void busyChanged();
  void detailChanged();
  // One line for each completed action or refusal (also logged).
  void actionDone(const QString &what, bool ok);

private:
  void call(wire::Query query, std::function<void(const wire::QueryReply &)> done, const QString &what);
  void setStatus(const QString &s);
  void showDetail(const wire::IncidentDetail &d);
  void onIncidentItem(const wire::StateUpdate &u);

  ConsoleSettings settings_;
  std::string password_;
  zmq::context_t context_{1};
  QueryWorker work_, tileWork_;
  IncidentModel model_;
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
