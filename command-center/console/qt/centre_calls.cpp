// CentreCalls, QueryWorker, CentreTiles: the console's queries to its centre
// (see centre_calls.h).
#include "centre_calls.h"

#include <QMetaObject>
#include <QPointer>

#include <utility>
#include <vector>

#include "liandong/core/logging.h"
#include "liandong/core/text.h"

namespace liandong::console {

QueryWorker::QueryWorker(zmq::context_t &context, std::string endpoint, std::string serverKey,
                         CurveKeyPair keys)
    : context_(context),
      endpoint_(std::move(endpoint)),
      serverKey_(std::move(serverKey)),
      keys_(std::move(keys)),
      anchor_(std::make_unique<QObject>()) {
  anchor_->moveToThread(&thread_);
  thread_.start();
}

QueryWorker::~QueryWorker() {
  thread_.quit();
  thread_.wait();
  client_.reset();  // the thread is gone: closing its socket here is safe
}

void QueryWorker::post(std::function<void(link::QueryClient &)> job) {
  QMetaObject::invokeMethod(
      anchor_.get(),
      [this, job = std::move(job)] {
        if (!client_) client_ = std::make_unique<link::QueryClient>(context_, endpoint_, serverKey_, keys_);
        job(*client_);
      },
      Qt::QueuedConnection);
}

CentreTiles::CentreTiles(QueryWorker &worker, QObject *parent) : map::TileProvider(parent), worker_(worker) {}

void CentreTiles::requestTile(const QString &layer, int z, int x, int y) {
  QPointer<CentreTiles> self(this);
  if (session_.empty() && layer != QLatin1String("regions")) {
    // Not signed in yet: the centre would refuse (and audit) it. An empty
    // tile now; the layer reloads once signed in.
    QMetaObject::invokeMethod(
        this,
        [self, layer, z, x, y] {
          if (self) emit self->tileReady(layer, z, x, y, QByteArray());
        },
        Qt::QueuedConnection);
    return;
  }
  worker_.post([self, layer, z, x, y, session = session_](link::QueryClient &client) {
    wire::Query query;
    query.set_session(session);
    auto *t = query.mutable_tile();
    t->set_layer(layer.toStdString());
    t->set_z(static_cast<std::uint32_t>(z));
    t->set_x(static_cast<std::uint32_t>(x));
    t->set_y(static_cast<std::uint32_t>(y));
    QByteArray mvt;
    QString error;
    try {
      auto reply = client.call(query);
      mvt = QByteArray(reply.tile().mvt().data(), static_cast<qsizetype>(reply.tile().mvt().size()));
    } catch (const std::exception &e) {
      error = QString::fromStdString(firstLine(e.what()));
    }
    if (!self) return;
    QMetaObject::invokeMethod(
        self.data(),
        [self, layer, z, x, y, mvt, error] {
          if (!self) return;
          ++self->served_;
          if (error.isEmpty())
            emit self->tileReady(layer, z, x, y, mvt);
          else
            emit self->tileFailed(layer, z, x, y, error);
        },
        Qt::QueuedConnection);
  });
}

CentreCalls::CentreCalls(zmq::context_t &context, std::string endpoint, std::string serverKey,
                         CurveKeyPair keys, std::string consoleId, QObject *parent)
    : QObject(parent),
      work_(context, std::move(endpoint), std::move(serverKey), std::move(keys)),
      consoleId_(std::move(consoleId)) {}

void CentreCalls::setStatus(const QString &s) {
  status_ = s;
  emit statusChanged();
}

void CentreCalls::call(wire::Query query, std::function<void(const wire::QueryReply &)> done,
                       const QString &what) {
  query.set_session(session_);
  query.set_console(consoleId_);
  ++busy_;
  emit busyChanged();
  QPointer<CentreCalls> self(this);
  work_.post([self, query = std::move(query), done = std::move(done), what](link::QueryClient &client) {
    wire::QueryReply reply;
    std::string error;
    try {
      reply = client.call(query, 10000);
    } catch (const std::exception &e) {
      error = firstLine(e.what());
    }
    if (!self) return;
    QMetaObject::invokeMethod(
        self.data(),
        [self, reply = std::move(reply), error, done, what] {
          if (!self) return;
          --self->busy_;
          emit self->busyChanged();
          if (!error.empty()) {
            logging::get("console")->warn("{}: {}", what.toStdString(), error);
            self->setStatus(tr("%1 failed: %2").arg(callLabel(what), QString::fromStdString(error)));
            emit self->actionDone(what, false);
            return;
          }
          done(reply);
          emit self->actionDone(what, true);
        },
        Qt::QueuedConnection);
  });
}

// What the status bar says of a call (the `what` the log and actionDone use):
// "act verify" -> "Verify", "task acknowledge" -> "Acknowledge task", in the
// user's language; a call with no label of its own is named as it is.
QString CentreCalls::callLabel(const QString &what) {
  static const std::vector<std::pair<const char *, const char *>> labels = {
      {"login", QT_TR_NOOP("Sign-in")},
      {"series", QT_TR_NOOP("Sensor chart")},
      {"incident", QT_TR_NOOP("Incident")},
      {"alerts", QT_TR_NOOP("Linked alerts")},
      {"agencies", QT_TR_NOOP("Agencies")},
      {"segments", QT_TR_NOOP("Recordings")},
      {"alarm cameras", QT_TR_NOOP("Alarm cameras")},
      {"tasks", QT_TR_NOOP("Tasks")},
      {"raise incident", QT_TR_NOOP("Raise incident")},
      {"act verify", QT_TR_NOOP("Verify")},
      {"act respond", QT_TR_NOOP("Respond")},
      {"act contain", QT_TR_NOOP("Contain")},
      {"act close", QT_TR_NOOP("Close")},
      {"act reopen", QT_TR_NOOP("Reopen")},
      {"act note", QT_TR_NOOP("Add note")},
      {"act set_level", QT_TR_NOOP("Set level")},
      {"act sop_done", QT_TR_NOOP("SOP step done")},
      {"dispatch", QT_TR_NOOP("Dispatch")},
      {"sitrep first", QT_TR_NOOP("First report")},
      {"sitrep followup", QT_TR_NOOP("Follow-up report")},
      {"sitrep final", QT_TR_NOOP("Final report")},
      {"task acknowledge", QT_TR_NOOP("Acknowledge task")},
      {"task progress", QT_TR_NOOP("Task progress")},
      {"task complete", QT_TR_NOOP("Complete task")},
      {"task cancel", QT_TR_NOOP("Cancel task")},
  };
  for (const auto &[key, label] : labels)
    if (what == QLatin1String(key)) return tr(label);
  return what;
}

}  // namespace liandong::console
