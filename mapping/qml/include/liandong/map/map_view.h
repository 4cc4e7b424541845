// The map item of the Liandong.Map QML module: draws the centre's vector
// tiles (layers `regions` and `incidents`, Web Mercator, XYZ) with QPainter,
// fully offline; drag to pan, wheel to zoom, click an incident marker to pick
// it. Tiles come from a TileProvider the application supplies (the console
// fetches them over the centre's query endpoint).
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QPointF>
#include <QPointer>
#include <QString>
#include <QStringList>
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
  Q_PROPERTY(int tilesLoaded READ tilesLoaded NOTIFY tilesLoadedChanged)
  Q_PROPERTY(int incidentMarkers READ incidentMarkers NOTIFY tilesLoadedChanged)
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
  int tilesLoaded() const { return loaded_; }
  int incidentMarkers() const { return markers_; }

  // Centres the view on a place (and zoom, when > 0).
  Q_INVOKABLE void centreOn(double longitude, double latitude, double zoom = -1);
  // Pans by a screen distance; zooms by `steps` (wheel notches) about a point.
  Q_INVOKABLE void panBy(double dx, double dy);
  Q_INVOKABLE void zoomAbout(double x, double y, double steps);

  void paint(QPainter *painter) override;

signals:
  void viewChanged();
  void providerChanged();
  void layersChanged();
  void selectedIncidentChanged();
  void tilesLoadedChanged();
  void incidentClicked(const QString &incidentId);

protected:
  void mousePressEvent(QMouseEvent *e) override;
  void mouseMoveEvent(QMouseEvent *e) override;
  void mouseReleaseEvent(QMouseEvent *e) override;
  void wheelEvent(QWheelEvent *e) override;

private:
  struct Tile {
    std::shared_ptr<const std::vector<MvtLayer>> layers;
    bool pending = false;
    bool stale = false;
    bool failed = false;
    std::uint64_t used = 0;
  };
  struct Marker {
    QPointF at;
    QString id;
  };
  static QString key(const QString &layer, int z, int x, int y);
  void onTile(const QString &layer, int z, int x, int y, const QByteArray &mvt);
  void onFailed(const QString &layer, int z, int x, int y, const QString &error);
  void onLayerChanged(const QString &layer);
  void evict();

  double lon_ = 113.38, lat_ = 22.95, zoom_ = 10;
  QPointer<TileProvider> provider_;
  QStringList layers_{QStringLiteral("regions"), QStringLiteral("incidents")};
  QString selected_;
  QHash<QString, Tile> tiles_;
  std::uint64_t frame_ = 0;
  int loaded_ = 0, markers_ = 0;
  std::vector<Marker> lastMarkers_;
  QPointF pressAt_, lastAt_;
  bool dragged_ = false;
};

}  // namespace liandong::map
