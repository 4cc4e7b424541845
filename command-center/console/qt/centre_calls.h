// The console's calls to its centre's query endpoint: QueryWorker (a thread
// with its own QueryClient), CentreTiles (map tiles on a worker of their
// own) and CentreCalls — one call with its session, the busy count, the
// status bar line and its labels — shared by the session, the incident
// detail, the recordings, the wall, the alarms and the agency's tasks.
// Blocking calls run on the worker; every result comes back to the GUI
// thread as a queued call.
#pragma once

#include <QObject>
#include <QString>
#include <QThread>

#include <functional>
#include <memory>
#include <string>

#include <zmq.hpp>

#include "liandong/core/curve_keys.h"
#include "liandong/core/link/query.h"
#include "liandong/map/map_view.h"

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

// Map tiles from the centre's query endpoint: the region boundaries for any
// console; cameras, sensors and incidents with the signed-in user's session.
class CentreTiles : public map::TileProvider {
  Q_OBJECT
public:
  CentreTiles(QueryWorker &worker, QObject *parent);
  void requestTile(const QString &layer, int z, int x, int y) override;
  int served() const { return served_; }
  // GUI thread; later requests carry it.
  void setSession(std::string session) { session_ = std::move(session); }

private:
  QueryWorker &worker_;
  std::string session_;
  int served_ = 0;
};

class CentreCalls : public QObject {
  Q_OBJECT
public:
  CentreCalls(zmq::context_t &context, std::string endpoint, std::string serverKey, CurveKeyPair keys,
              std::string consoleId, QObject *parent = nullptr);

  // Sends `query` with the session; `done` runs on the GUI thread with the
  // reply. A failure (refusal, timeout) goes to the log and the status bar
  // ("<label> failed: <first line>"). `what` names the call in both.
  void call(wire::Query query, std::function<void(const wire::QueryReply &)> done, const QString &what);
  void setSession(std::string session) { session_ = std::move(session); }
  bool hasSession() const { return !session_.empty(); }
  const std::string &session() const { return session_; }

  QString status() const { return status_; }
  void setStatus(const QString &s);
  // "<label of what> ✓" in the status bar.
  void confirm(const QString &what) { setStatus(callLabel(what) + QStringLiteral(" ✓")); }
  bool busy() const { return busy_ > 0; }
  // What the status bar calls a call: "act verify" -> "Verify", in the
  // user's language; a call with no label of its own is named as it is.
  static QString callLabel(const QString &what);

signals:
  void statusChanged();
  void busyChanged();
  // One for each completed call or refusal (also logged).
  void actionDone(const QString &what, bool ok);

private:
  QueryWorker work_;
  std::string consoleId_, session_;
  QString status_;
  int busy_ = 0;
};

}  // namespace liandong::console
