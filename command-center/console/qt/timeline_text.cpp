// Readable timeline entries (see timeline_text.h).
#include "timeline_text.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>

namespace liandong::console {

namespace {
// The translation context "Timeline" (lupdate reads Timeline::tr calls).
struct Timeline {
  Q_DECLARE_TR_FUNCTIONS(Timeline)
};

// States, report kinds, tiers and incident types by their names in the console's language.
QString stateName(const QString &s) {
  static const char *const names[][2] = {
      {"reported", QT_TRANSLATE_NOOP("Timeline", "reported")},
      {"verified", QT_TRANSLATE_NOOP("Timeline", "verified")},
      {"responding", QT_TRANSLATE_NOOP("Timeline", "responding")},
      {"contained", QT_TRANSLATE_NOOP("Timeline", "contained")},
      {"closed", QT_TRANSLATE_NOOP("Timeline", "closed")},
      {"dispatched", QT_TRANSLATE_NOOP("Timeline", "dispatched")},
      {"acknowledged", QT_TRANSLATE_NOOP("Timeline", "acknowledged")},
      {"in_progress", QT_TRANSLATE_NOOP("Timeline", "in progress")},
      {"completed", QT_TRANSLATE_NOOP("Timeline", "completed")},
      {"cancelled", QT_TRANSLATE_NOOP("Timeline", "cancelled")},
      {"first", QT_TRANSLATE_NOOP("Timeline", "first report")},
      {"followup", QT_TRANSLATE_NOOP("Timeline", "follow-up report")},
      {"final", QT_TRANSLATE_NOOP("Timeline", "final report")},
      {"province", QT_TRANSLATE_NOOP("Timeline", "province")},
      {"city", QT_TRANSLATE_NOOP("Timeline", "city")},
      {"county", QT_TRANSLATE_NOOP("Timeline", "county")},
      {"town", QT_TRANSLATE_NOOP("Timeline", "town")},
      {"flood", QT_TRANSLATE_NOOP("Timeline", "flood")},
      {"typhoon", QT_TRANSLATE_NOOP("Timeline", "typhoon")},
      {"fire", QT_TRANSLATE_NOOP("Timeline", "fire")},
      {"public_security", QT_TRANSLATE_NOOP("Timeline", "public security")},
      {"rental_housing", QT_TRANSLATE_NOOP("Timeline", "rental housing")},
      {"equipment", QT_TRANSLATE_NOOP("Timeline", "equipment")}};
  for (const auto &n : names)
    if (s == QLatin1String(n[0])) return Timeline::tr(n[1]);
  return s;
}

QString str(const QJsonObject &d, const char *key) {
  auto v = d.value(QLatin1String(key));
  if (v.isString()) return v.toString();
  if (v.isDouble()) return QString::number(v.toDouble());
  if (v.isBool()) return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
  if (v.isArray()) {
    QStringList parts;
    for (const auto &e : v.toArray()) parts << (e.isString() ? e.toString() : QString::number(e.toDouble()));
    return parts.join(QStringLiteral(", "));
  }
  return {};
}

// ": text" when the entry carries a text, else nothing.
QString withText(const QJsonObject &d, const char *key = "text") {
  auto text = str(d, key);
  return text.isEmpty() ? QString() : QStringLiteral(": ") + text;
}
}  // namespace

QString timelineText(const QString &action, const QString &detailJson) {
  auto doc = QJsonDocument::fromJson(detailJson.toUtf8());
  if (!doc.isObject()) return action + (detailJson.isEmpty() ? QString() : QStringLiteral("  ") + detailJson);
  const auto d = doc.object();
  if (action == QLatin1String("opened")) {
    auto s = Timeline::tr("opened: %1 (%2, level %3, led by the %4 centre), %5 camera(s) linked")
                 .arg(str(d, "title"), stateName(str(d, "type")), str(d, "level"),
                      stateName(str(d, "lead_tier")), str(d, "cameras"));
    if (d.value(QLatin1String("photo")).toBool()) s += Timeline::tr(", with a photo");
    return s;
  }
  if (action == QLatin1String("sop_applied"))
    return Timeline::tr("plan for %1 applied: %2 step(s), %3 task(s)")
        .arg(str(d, "type"), str(d, "steps"), str(d, "tasks"));
  if (action == QLatin1String("tasked"))
    return Timeline::tr("tasked %1: %2 (acknowledge within %3 min)")
        .arg(str(d, "agencies"), str(d, "title"), str(d, "ack_minutes"));
  if (action == QLatin1String("task_overdue"))
    return Timeline::tr("task %1 (%2) not acknowledged in time; escalated to %3")
        .arg(str(d, "task"), str(d, "agency"), str(d, "escalated_to"));
  if (action.startsWith(QLatin1String("task_"))) {
    auto s = Timeline::tr("task %1 (%2): %3 → %4")
                 .arg(str(d, "task"), str(d, "agency"), stateName(str(d, "from")), stateName(str(d, "to")));
    if (d.contains(QLatin1String("percent")))
      s += QStringLiteral(", ") + str(d, "percent") + QStringLiteral("%");
    return s + withText(d);
  }
  if (action == QLatin1String("sitrep"))
    return Timeline::tr("%1 #%2 submitted: %3").arg(stateName(str(d, "kind")), str(d, "seq"), str(d, "body"));
  if (action == QLatin1String("sitrep_overdue"))
    return Timeline::tr("%1 #%2 overdue").arg(stateName(str(d, "kind")), str(d, "seq"));
  if (action == QLatin1String("alert_linked"))
    return Timeline::tr("alert linked: %1").arg(str(d, "headline"));
  if (action == QLatin1String("alert_cleared"))
    return Timeline::tr("alert cleared: %1").arg(str(d, "headline"));
  if (action == QLatin1String("escalated"))
    return Timeline::tr("alert escalated (%1): %2").arg(str(d, "change"), str(d, "headline"));
  if (action == QLatin1String("copy_received") || action == QLatin1String("copy_updated"))
    return Timeline::tr("from the %1 centre: %2 (version %3)")
        .arg(stateName(str(d, "from")), str(d, "change"), str(d, "version"));
  if (action == QLatin1String("note")) return Timeline::tr("note: %1").arg(str(d, "text"));
  if (action == QLatin1String("set_level"))
    return Timeline::tr("level %1 → %2, led by the %3 centre: %4")
        .arg(str(d, "from"), str(d, "to"), stateName(str(d, "lead_tier")), str(d, "reason"));
  if (action == QLatin1String("sop_done"))
    return Timeline::tr("plan step %1 done: %2").arg(str(d, "step"), str(d, "text"));
  if (d.contains(QLatin1String("from")) &&
      d.contains(QLatin1String("to")))  // verify, respond, contain, close, reopen
    return Timeline::tr("%1 → %2").arg(stateName(str(d, "from")), stateName(str(d, "to"))) + withText(d);
  return action + QStringLiteral("  ") + QString::fromUtf8(doc.toJson(QJsonDocument::Compact));
}

}  // namespace liandong::console
