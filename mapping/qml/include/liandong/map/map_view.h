// The map item of the Liandong.Map QML module: draws the centre's vector
// tiles (Web Mercator, XYZ) with QPainter, fully offline — region outlines by
// tier (approximate towns dashed), cameras with their view cones, sensors,
// clusters with counts when zoomed out, incidents by warning colour (pulsing
// while new) — with a scale bar and the name of the region under the cursor.
// Drag to pan, wheel or pinch to zoom, click a marker to pick it, click a
// cluster to zoom into it. Tiles come from a TileProvider the application
// supplies (the console fetches them over the centre's query endpoint).
//
// Speed: each tile's static layers are drawn once into an image and reused
// while panning (and, scaled, while zooming until the view settles), so a
// frame costs a few image blits and the live overlays, not every feature.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QByteArray>
#include <QHash>
#include <QImage>
#include <QObject>
#include <QPainterPath>
#include <QPointF>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QTimer>
#include <QVariantMap>
#include <QtQuick/QQuickPaintedItem>

#include <memory>
#include <vector>

#include "liandong/map/mvt.h"

namespace liandong::map {

// Supplies tiles asynchronously: requestTile() is answered (maybe later) by
// tileReady() with the MVT bytes (empty: nothing there), or tileFailed().
// layerChanged() tells the map that its tiles of a layer are stale.
class TileProvider : public QObject {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("supplied by the application")
public:
  using QObject::QObject;
  virtual void requestTile(const QString &layer, int z, int x, int y) = 0;
signals:
  void tileReady(const QString &layer, int z, int x, int y, const QByteArray &mvt);
  void tileFailed(const QString &layer, int z, int x, int y, const QString &error);
  void layerChanged(const QString &layer);
};

// The colour the console draws a warning colour name ("red", "orange", ...) in.
QColor warningColour(const QString &name);

// A scale bar length: the longest 1/2/5 x 10^k metres that fits in maxPixels
// at `metresPerPixel`, and its label ("500 m", "2 km").
struct ScaleBar {
  double metres = 0;
  double pixels = 0;
  QString label;
};
ScaleBar scaleBarFor(double metresPerPixel, double maxPixels);

class MapView : public QQuickPaintedItem {
  Q_OBJECT
  QML_ELEMENT
  Q_PROPERTY(double longitude READ longitude WRITE setLongitude NOTIFY viewChanged)
  Q_PROPERTY(double latitude READ latitude WRITE setLatitude NOTIFY viewChanged)
  Q_PROPERTY(double zoom READ zoom WRITE setZoom NOTIFY viewChanged)
  Q_PROPERTY(TileProvider *provider READ provider WRITE setProvider NOTIFY providerChanged)
  Q_PROPERTY(QStringList layers READ layers WRITE setLayers NOTIFY layersChanged)
  Q_PROPERTY(
      QString selectedIncident READ selectedIncident WRITE setSelectedIncident NOTIFY selectedIncidentChanged)
  // Incident ids drawn pulsing (new ones, say); empty stops the animation.
  Q_PROPERTY(QStringList pulsing READ pulsing WRITE setPulsing NOTIFY pulsingChanged)
  // Sensor id -> warning colour name of its current alert; others are drawn in the normal colour.
  Q_PROPERTY(QVariantMap sensorStates READ sensorStates WRITE setSensorStates NOTIFY sensorStatesChanged)
  Q_PROPERTY(int tilesLoaded READ tilesLoaded NOTIFY tilesLoadedChanged)
  Q_PROPERTY(int incidentMarkers READ incidentMarkers NOTIFY tilesLoadedChanged)
  Q_PROPERTY(int features READ features NOTIFY tilesLoadedChanged)  // points and polygons in view
  Q_PROPERTY(QString regionUnderCursor READ regionUnderCursor NOTIFY regionUnderCursorChanged)
  Q_PROPERTY(QString regionCodeUnderCursor READ regionCodeUnderCursor NOTIFY regionUnderCursorChanged)
  Q_PROPERTY(QString scaleLabel READ scaleLabel NOTIFY viewChanged)
  Q_PROPERTY(double lastPaintMs READ lastPaintMs NOTIFY painted)
  // Reuse each tile's drawing between frames (true); false draws every
  // feature every frame, the naive way — the benchmark's baseline.
  Q_PROPERTY(bool cacheTiles READ cacheTiles WRITE setCacheTiles NOTIFY viewChanged)
public:
  explicit MapView(QQuickItem *parent = nullptr);
  ~MapView() override;

  double longitude() const { return lon_; }
  double latitude() const { return lat_; }
  double zoom() const { return zoom_; }
  void setLongitude(double v);
  void setLatitude(double v);
  void setZoom(double v);
  TileProvider *provider() const { return provider_; }
  void setProvider(TileProvider *p);
  QStringList layers() const { return layers_; }
  void setLayers(const QStringList &l);
  QString selectedIncident() const { return selected_; }
  void setSelectedIncident(const QString &id);
  QStringList pulsing() const { return pulsing_; }
  void setPulsing(const QStringList &ids);
  QVariantMap sensorStates() const { return sensorStates_; }
  void setSensorStates(const QVariantMap &states);
  int tilesLoaded() const { return loaded_; }
  int incidentMarkers() const { return markers_; }
  int features() const { return features_; }
  QString regionUnderCursor() const { return regionName_; }
  QString regionCodeUnderCursor() const { return regionCode_; }
  QString scaleLabel() const;
  double lastPaintMs() const { return lastPaintMs_; }
  bool cacheTiles() const { return cacheTiles_; }
  void setCacheTiles(bool on);

  // Centres the view on a place (and zoom, when > 0).
  Q_INVOKABLE void centreOn(double longitude, double latitude, double zoom = -1);
  // Pans by a screen distance; zooms by `steps` (wheel notches) about a point.
  Q_INVOKABLE void panBy(double dx, double dy);
  Q_INVOKABLE void zoomAbout(double x, double y, double steps);
  // The region (name) at a point of the item, deepest tier first; "" when none is loaded there.
  Q_INVOKABLE QString regionAt(double x, double y);
  // Clicks at a point of the item as a mouse would (for tests and scripted flows).
  Q_INVOKABLE void clickAt(double x, double y);

  void paint(QPainter *painter) override;

signals:
  void viewChanged();
  void providerChanged();
  void layersChanged();
  void selectedIncidentChanged();
  void pulsingChanged();
  void sensorStatesChanged();
  void tilesLoadedChanged();
  void regionUnderCursorChanged();
  void painted();
  void incidentClicked(const QString &incidentId);
  void cameraClicked(const QString &cameraId);
  void sensorClicked(const QString &sensorId);

protected:
  void mousePressEvent(QMouseEvent *e) override;
  void mouseMoveEvent(QMouseEvent *e) override;
  void mouseReleaseEvent(QMouseEvent *e) override;
  void wheelEvent(QWheelEvent *e) override;
  void hoverMoveEvent(QHoverEvent *e) override;
  void touchEvent(QTouchEvent *e) override;

private:
  enum class HitKind { Camera, Sensor, Cluster };
  struct Hit {
    QPointF at;  // tile pixels at the span the image was drawn for, from the tile's corner
    QString id;
    HitKind kind;
    int count = 1;
  };
  struct RegionShape {
    QPainterPath path;  // tile extent coordinates
    int depth = 0;      // 1 province .. 4 town
    QString code, name;
  };
  struct Tile {
    std::shared_ptr<const std::vector<MvtLayer>> layers;
    bool pending = false;
    bool stale = false;
    bool failed = false;
    std::uint64_t used = 0;
    QImage image;          // the static drawing (regions, cameras, sensors)
    double imageSpan = 0;  // the tile size in pixels it was drawn for
    std::vector<Hit> hits;
    std::vector<RegionShape> shapes;
    int features = 0;
  };
  struct Geometry;  // where tiles fall on the item this frame
  static QString key(const QString &layer, int z, int x, int y);
  Geometry geometry() const;
  void onTile(const QString &layer, int z, int x, int y, const QByteArray &mvt);
  void onFailed(const QString &layer, int z, int x, int y, const QString &error);
  void onLayerChanged(const QString &layer);
  void drawTileImage(Tile &t, const QString &layer, double span);
  void evict();
  void pick(QPointF at);
  void updateRegionUnderCursor(QPointF at);

  double lon_ = 113.38, lat_ = 22.95, zoom_ = 10;
  QPointer<TileProvider> provider_;
  QStringList layers_{QStringLiteral("regions"), QStringLiteral("sensors"), QStringLiteral("cameras"),
                      QStringLiteral("incidents")};
  QString selected_;
  QStringList pulsing_;
  QVariantMap sensorStates_;
  QHash<QString, Tile> tiles_;
  std::uint64_t frame_ = 0;
  int loaded_ = 0, markers_ = 0, features_ = 0;
  struct Marker {
    QPointF at;
    QString id;
  };
  std::vector<Marker> lastMarkers_;
  QString regionName_, regionCode_;
  QPointF pressAt_, lastAt_;
  bool dragged_ = false;
  double pinchStart_ = 0;
  double lastPaintMs_ = 0;
  bool cacheTiles_ = true;
  QTimer settle_;  // redraws tile images at the new scale once zooming stops
  QTimer pulse_;   // animates pulsing incidents
};

}  // namespace liandong::map
