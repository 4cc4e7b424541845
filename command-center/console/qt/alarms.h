// Alarms: a new incident at the alarm level or above (alarm.level; 1 = Ⅰ …
// 4 = Ⅳ) — the tone (a GStreamer pipeline into alarm.sound_sink) and the
// alarm() signal with the incident's cameras (linked, else the nearest
// known) that the banner and the wall's pop-up show for alarm.popup_s.
// Exposed to QML as `alarms`; Backend hands it each incident change.
#pragma once

#include <QObject>
#include <QVariantMap>

#include <memory>
#include <string>

#include "liandong/core/link/query.h"

typedef struct _GstElement GstElement;

namespace liandong::console {

class CameraModel;
class CentreCalls;

class Alarms : public QObject {
  Q_OBJECT
  Q_PROPERTY(int alarmLevel READ alarmLevel CONSTANT)
  Q_PROPERTY(int alarmPopupS READ alarmPopupS CONSTANT)
public:
  struct Options {
    int level = 2, popupS = 60;
    bool sound = true;
    std::string soundSink = "autoaudiosink";
  };
  Alarms(CentreCalls &calls, const CameraModel &cameras, Options options, QObject *parent = nullptr);

  int alarmLevel() const { return options_.level; }
  int alarmPopupS() const { return options_.popupS; }
  // An incident changed from `before` (null: new) to `after`: has it newly
  // reached the alarm level (and is not closed)?
  bool newlyAlarming(const wire::IncidentReport *before, const wire::IncidentReport &after) const;
  // The tone, then alarm() once the incident's cameras are known.
  void raise(const wire::IncidentReport &r);

signals:
  // incidentId, title, level, levelText, colour, latitude, longitude and
  // `cameras` — its linked cameras, else the nearest known ones.
  void alarm(const QVariantMap &incident);

private:
  bool alarming(const wire::IncidentReport &r) const;
  void beep();

  CentreCalls &calls_;
  const CameraModel &cameras_;
  Options options_;
  std::shared_ptr<GstElement> tone_;  // the alarm tone while it plays (stops to NULL when reset)
};

}  // namespace liandong::console
