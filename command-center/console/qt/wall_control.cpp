// WallControl: the wall's layouts, presets and tour (see wall_control.h).
#include "wall_control.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include "centre_calls.h"
#include "liandong/core/logging.h"
#include "wall_layout.h"

namespace liandong::console {

WallControl::WallControl(CentreCalls &calls, std::filesystem::path presetsFile, int tourDwellS,
                         QObject *parent)
    : QObject(parent),
      calls_(calls),
      presetsFile_(std::move(presetsFile)),
      tourDwellS_(tourDwellS),
      presets_({"name", "layout", "cameras"}) {
  loadPresets();
}

void WallControl::loadPresets() {
  QFile file(QString::fromStdString(presetsFile_.string()));
  if (!file.exists()) return;
  if (!file.open(QIODevice::ReadOnly)) {
    logging::get("console")->warn("wall presets {}: cannot read", presetsFile_.string());
    return;
  }
  QJsonParseError error;
  auto doc = QJsonDocument::fromJson(file.readAll(), &error);
  if (doc.isNull() || !doc.isObject() || !doc.object().value("presets").isArray()) {
    logging::get("console")->warn("wall presets {}: not a {{\"presets\": [...]}} JSON file ({}); none loaded",
                                  presetsFile_.string(), error.errorString().toStdString());
    return;
  }
  QVariantList presets;
  for (const auto &p : doc.object().value("presets").toArray()) {
    auto o = p.toObject();
    QString why;
    if (o.value("name").toString().isEmpty() || !WallLayout::parse(o.value("layout").toString(), &why)) {
      logging::get("console")->warn("wall presets {}: a preset without a name or a valid layout is skipped{}",
                                    presetsFile_.string(),
                                    why.isEmpty() ? std::string() : " (" + why.toStdString() + ")");
      continue;
    }
    presets.append(o.toVariantMap());
  }
  presets_.setRows(std::move(presets));
}

QVariantMap WallControl::wallLayout(const QString &layout) const {
  QString error;
  auto l = WallLayout::parse(layout, &error);
  if (!l) return {{"valid", false}, {"error", error}};
  QVariantList rects;
  for (int i = 0; i < l->tiles(); ++i) {
    auto r = l->tileRect(i);
    rects.append(QVariantMap{{"x", r.x()}, {"y", r.y()}, {"width", r.width()}, {"height", r.height()}});
  }
  return {{"valid", true},   {"rows", l->rows},     {"columns", l->columns},
          {"span", l->span}, {"tiles", l->tiles()}, {"rects", rects}};
}

bool WallControl::savePreset(const QString &name, const QString &layout, const QStringList &cameras) {
  if (name.trimmed().isEmpty()) return false;
  QString why;
  if (!WallLayout::parse(layout, &why)) {
    logging::get("console")->warn("wall preset {} not saved: {}", name.toStdString(), why.toStdString());
    calls_.setStatus(why);
    return false;
  }
  QVariantList kept;
  for (const auto &p : presets_.rows())
    if (p.toMap().value("name").toString() != name) kept.append(p);
  kept.append(QVariantMap{{"name", name}, {"layout", layout}, {"cameras", cameras}});
  QJsonObject root{{"presets", QJsonArray::fromVariantList(kept)}};
  QSaveFile file(QString::fromStdString(presetsFile_.string()));
  if (!file.open(QIODevice::WriteOnly) || file.write(QJsonDocument(root).toJson()) < 0 || !file.commit()) {
    logging::get("console")->warn("wall presets {}: cannot write", presetsFile_.string());
    calls_.setStatus(tr("cannot save the preset"));
    return false;
  }
  presets_.setRows(kept);
  logging::get("console")->info("wall preset {} saved: layout {}, {} cameras", name.toStdString(),
                                layout.toStdString(), cameras.size());
  return true;
}

}  // namespace liandong::console
