// WallControl: what the leaders' video wall keeps beyond its QML — its
// layouts ("4", "1+5", "3x4", "4x4+3", …, wall_layout.h) as tile rectangles,
// the saved presets (the `wall.presets` JSON file) and the tour's dwell
// time. Exposed to QML as `wallControl`; created by Backend.
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <QVariantList>
#include <QVariantMap>

#include <filesystem>

#include "map_list_model.h"

namespace liandong::console {

class CentreCalls;

class WallControl : public QObject {
  Q_OBJECT
  // The saved presets (roles name, layout, cameras: a list of camera ids),
  // in the file's order.
  Q_PROPERTY(liandong::console::MapListModel *presets READ presets CONSTANT)
  Q_PROPERTY(int tourDwellS READ tourDwellS CONSTANT)
public:
  WallControl(CentreCalls &calls, std::filesystem::path presetsFile, int tourDwellS,
              QObject *parent = nullptr);

  MapListModel *presets() { return &presets_; }
  int tourDwellS() const { return tourDwellS_; }

  // Wall presets: a name, a layout and the cameras of its tiles, kept in the
  // `wall.presets` JSON file.
  Q_INVOKABLE bool savePreset(const QString &name, const QString &layout, const QStringList &cameras);
  // A wall layout: {valid, error, rows, columns, span, tiles, rects: [{x, y,
  // width, height} in 0..1]}.
  Q_INVOKABLE QVariantMap wallLayout(const QString &layout) const;

private:
  void loadPresets();

  CentreCalls &calls_;
  std::filesystem::path presetsFile_;
  int tourDwellS_;
  MapListModel presets_;
};

}  // namespace liandong::console
