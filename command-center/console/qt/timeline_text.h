// One line of an incident's timeline as a duty officer reads it: the
// centre stores each entry as an action name and a JSON detail
// ("task_acknowledge", {"task": "T-3", "agency": "fire", "from": ...}); this
// turns the known actions into a sentence in the console's language
// (context "Timeline" in the .ts file) and shows an unknown one as it came.
#pragma once

#include <QString>

namespace liandong::console {

QString timelineText(const QString &action, const QString &detailJson);

}  // namespace liandong::console
