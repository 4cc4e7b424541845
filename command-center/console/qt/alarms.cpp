// Alarms: the alarm level's tone and pop-up (see alarms.h).
#include "alarms.h"

#include <gst/gst.h>

#include <QStringList>
#include <QTimer>

#include "camera_model.h"
#include "centre_calls.h"
#include "incident_model.h"
#include "liandong/core/logging.h"
#include "qt_text.h"

namespace liandong::console {
Alarms::Alarms(CentreCalls &calls, const CameraModel &cameras, Options options, QObject *parent)
    : QObject(parent), calls_(calls), cameras_(cameras), options_(std::move(options)) {}

bool Alarms::alarming(const wire::IncidentReport &r) const {
  return r.level() >= 1 && r.level() <= options_.level && r.state() != "closed";
}

bool Alarms::newlyAlarming(const wire::IncidentReport *before, const wire::IncidentReport &after) const {
  return alarming(after) && (!before || !alarming(*before)) &&
         (!before || before->version() < after.version());
}

void Alarms::raise(const wire::IncidentReport &r) {
  auto log = logging::get("console");
  QVariantMap m{{"incidentId", q(r.incident_id())},
                {"title", q(r.title())},
                {"level", static_cast<int>(r.level())},
                {"levelText", IncidentModel::levelText(r.level())},
                {"colour", IncidentModel::colourName(r.colour())},
                {"latitude", r.latitude()},
                {"longitude", r.longitude()}};
  log->info("alarm: incident {} level {} ({})", r.incident_id(), static_cast<int>(r.level()), r.title());
  if (options_.sound) beep();
  auto finish = [this, m, lat = r.latitude(), lon = r.longitude()](QStringList linked) mutable {
    if (linked.isEmpty()) linked = cameras_.nearest(lat, lon, 4);
    m["cameras"] = linked;
    logging::get("console")->info("alarm cameras: {}", linked.join(QStringLiteral(", ")).toStdString());
    emit alarm(m);
  };
  if (!calls_.hasSession()) {
    finish({});
    return;
  }
  wire::Query query;
  query.mutable_incident()->set_incident_id(r.incident_id());
  calls_.call(
      std::move(query),
      [finish](const wire::QueryReply &reply) mutable {
        QStringList linked;
        for (const auto &c : reply.incident().cameras()) linked << q(c.camera_id());
        finish(linked);
      },
      QStringLiteral("alarm cameras"));
}

void Alarms::beep() {
  auto log = logging::get("console");
  GError *raw = nullptr;
  auto description =
      "audiotestsrc wave=sine freq=880 volume=0.6 num-buffers=40 ! audioconvert ! audioresample ! " +
      options_.soundSink;
  GstElement *p = gst_parse_launch(description.c_str(), &raw);
  if (raw) {
    log->warn("alarm: no sound ({}); the banner flashes instead", raw->message);
    g_error_free(raw);
    if (p) gst_object_unref(gst_object_ref_sink(p));
    return;
  }
  if (!p) {
    log->warn("alarm: no sound (no tone pipeline); the banner flashes instead");
    return;
  }
  std::shared_ptr<GstElement> tone(GST_ELEMENT(gst_object_ref_sink(p)), [](GstElement *e) {
    gst_element_set_state(e, GST_STATE_NULL);
    gst_object_unref(e);
  });
  if (gst_element_set_state(tone.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    log->warn("alarm: no sound output on this machine; the banner flashes instead");
    return;
  }
  tone_ = tone;
  // The sink may fail only once it runs (no sound card): look at the bus then.
  QTimer::singleShot(1500, this, [this, tone] {
    auto log = logging::get("console");
    GstBus *bus = gst_element_get_bus(tone.get());
    GstMessage *error = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    if (error) {
      GError *e = nullptr;
      gst_message_parse_error(error, &e, nullptr);
      log->warn("alarm: no sound output on this machine ({}); the banner flashes instead",
                e ? e->message : "?");
      if (e) g_error_free(e);
      gst_message_unref(error);
    } else {
      log->info("alarm: tone played");
    }
    gst_object_unref(bus);
    if (tone_ == tone) tone_.reset();
  });
}

}  // namespace liandong::console
