// MapView: Web Mercator tile arithmetic, tile cache (per layer/z/x/y, marked
// stale when the provider says a layer changed, evicted when unused), and the
// QPainter drawing of region outlines and incident markers.
#include "liandong/map/map_view.h"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "liandong/core/logging.h"

namespace liandong::map {
namespace {

constexpr double kTileSize = 256;
constexpr double kMinZoom = 2, kMaxZoom = 18;

double lonToX(double lon, double world) {
  return (lon + 180.0) / 360.0 * world;
}
double latToY(double lat, double world) {
  double r = std::clamp(lat, -85.0511, 85.0511) * std::numbers::pi / 180.0;
  return (1.0 - std::log(std::tan(r) + 1.0 / std::cos(r)) / std::numbers::pi) / 2.0 * world;
}
double xToLon(double x, double world) {
  return x / world * 360.0 - 180.0;
}
double yToLat(double y, double world) {
  return std::atan(std::sinh(std::numbers::pi * (1.0 - 2.0 * y / world))) * 180.0 / std::numbers::pi;
}

struct TierStyle {
  QColor line;
  double width;
};
TierStyle tierStyle(const std::string &tier) {
  if (tier == "province") return {QColor(0x37, 0x47, 0x4f), 2.6};
  if (tier == "city") return {QColor(0x45, 0x5a, 0x64), 2.0};
  if (tier == "county") return {QColor(0x60, 0x7d, 0x8b), 1.3};
  return {QColor(0x90, 0xa4, 0xae), 0.8};
}

}  // namespace

QColor warningColour(const QString &name) {
  if (name == QLatin1String("red")) return QColor(0xe5, 0x1c, 0x23);
  if (name == QLatin1String("orange")) return QColor(0xff, 0x8f, 0x00);
  if (name == QLatin1String("yellow")) return QColor(0xfd, 0xd8, 0x35);
  if (name == QLatin1String("blue")) return QColor(0x1e, 0x6f, 0xff);
  return QColor(0x75, 0x75, 0x75);
}

MapView::MapView(QQuickItem *parent) : QQuickPaintedItem(parent) {
  setAcceptedMouseButtons(Qt::LeftButton);
  setAntialiasing(true);
  setFillColor(QColor(0xe8, 0xee, 0xf2));
}

MapView::~MapView() = default;

QString MapView::key(const QString &layer, int z, int x, int y) {
  return QStringLiteral("%1/%2/%3/%4").arg(layer).arg(z).arg(x).arg(y);
}

void MapView::setLongitude(double v) {
  v = std::clamp(v, -180.0, 180.0);
  if (v == lon_) return;
  lon_ = v;
  emit viewChanged();
  update();
}
void MapView::setLatitude(double v) {
  v = std::clamp(v, -85.0, 85.0);
  if (v == lat_) return;
  lat_ = v;
  emit viewChanged();
  update();
}
void MapView::setZoom(double v) {
  v = std::clamp(v, kMinZoom, kMaxZoom);
  if (v == zoom_) return;
  zoom_ = v;
  emit viewChanged();
  update();
}

void MapView::setProvider(TileProvider *p) {
  if (p == provider_) return;
  if (provider_) disconnect(provider_, nullptr, this, nullptr);
  provider_ = p;
  tiles_.clear();
  if (p) {
    connect(p, &TileProvider::tileReady, this, &MapView::onTile);
    connect(p, &TileProvider::tileFailed, this, &MapView::onFailed);
    connect(p, &TileProvider::layerChanged, this, &MapView::onLayerChanged);
  }
  emit providerChanged();
  update();
}

void MapView::setLayers(const QStringList &l) {
  if (l == layers_) return;
  layers_ = l;
  emit layersChanged();
  update();
}

void MapView::setSelectedIncident(const QString &id) {
  if (id == selected_) return;
  selected_ = id;
  emit selectedIncidentChanged();
  update();
}

void MapView::centreOn(double longitude, double latitude, double z) {
  lon_ = std::clamp(longitude, -180.0, 180.0);
  lat_ = std::clamp(latitude, -85.0, 85.0);
  if (z > 0) zoom_ = std::clamp(z, kMinZoom, kMaxZoom);
  emit viewChanged();
  update();
}

void MapView::panBy(double dx, double dy) {
  double world = kTileSize * std::pow(2.0, zoom_);
  double cx = lonToX(lon_, world) - dx, cy = latToY(lat_, world) - dy;
  centreOn(xToLon(std::clamp(cx, 0.0, world), world), yToLat(std::clamp(cy, 0.0, world), world));
}

void MapView::zoomAbout(double x, double y, double steps) {
  double z2 = std::clamp(zoom_ + steps * 0.5, kMinZoom, kMaxZoom);
  if (z2 == zoom_) return;
  double world = kTileSize * std::pow(2.0, zoom_);
  double px = lonToX(lon_, world) - width() / 2 + x, py = latToY(lat_, world) - height() / 2 + y;
  double f = std::pow(2.0, z2 - zoom_), world2 = world * f;
  double cx = px * f - (x - width() / 2), cy = py * f - (y - height() / 2);
  centreOn(xToLon(std::clamp(cx, 0.0, world2), world2), yToLat(std::clamp(cy, 0.0, world2), world2), z2);
}

void MapView::onTile(const QString &layer, int z, int x, int y, const QByteArray &mvt) {
  auto &t = tiles_[key(layer, z, x, y)];
  t.pending = false;
  t.failed = false;
  t.stale = false;
  try {
    t.layers = std::make_shared<const std::vector<MvtLayer>>(
        decodeMvt(std::string_view(mvt.constData(), static_cast<std::size_t>(mvt.size()))));
  } catch (const std::exception &e) {
    t.failed = true;
    logging::get("map")->warn("tile {}/{}/{}/{}: {}", layer.toStdString(), z, x, y, e.what());
  }
  update();
}

void MapView::onFailed(const QString &layer, int z, int x, int y, const QString &error) {
  auto &t = tiles_[key(layer, z, x, y)];
  t.pending = false;
  t.failed = true;
  logging::get("map")->warn("tile {}/{}/{}/{}: {}", layer.toStdString(), z, x, y, error.toStdString());
}

void MapView::onLayerChanged(const QString &layer) {
  QString prefix = layer + QLatin1Char('/');
  for (auto it = tiles_.begin(); it != tiles_.end(); ++it)
    if (it.key().startsWith(prefix)) {
      it->stale = true;
      it->failed = false;
    }
  update();
}

void MapView::evict() {
  if (tiles_.size() < 600) return;
  for (auto it = tiles_.begin(); it != tiles_.end();)
    if (!it->pending && it->used + 30 < frame_)
      it = tiles_.erase(it);
    else
      ++it;
}

void MapView::paint(QPainter *p) {
  ++frame_;
  p->setRenderHint(QPainter::Antialiasing, true);
  const double w = width(), h = height();
  const int z = std::clamp(static_cast<int>(std::floor(zoom_)), 0, static_cast<int>(kMaxZoom));
  const double world = kTileSize * std::pow(2.0, zoom_);
  const double ox = lonToX(lon_, world) - w / 2, oy = latToY(lat_, world) - h / 2;
  const double span = kTileSize * std::pow(2.0, zoom_ - z);
  const int n = 1 << z;
  const int x0 = std::max(0, static_cast<int>(std::floor(ox / span)));
  const int x1 = std::min(n - 1, static_cast<int>(std::floor((ox + w) / span)));
  const int y0 = std::max(0, static_cast<int>(std::floor(oy / span)));
  const int y1 = std::min(n - 1, static_cast<int>(std::floor((oy + h) / span)));

  int loaded = 0;
  std::vector<Marker> markers;
  struct Pending {
    QPointF at;
    QColor colour;
    QString id;
  };
  std::vector<Pending> incidents;
  for (const auto &layerName : layers_) {
    for (int ty = y0; ty <= y1; ++ty)
      for (int tx = x0; tx <= x1; ++tx) {
        auto &t = tiles_[key(layerName, z, tx, ty)];
        t.used = frame_;
        if (provider_ && !t.pending && !t.failed && (!t.layers || t.stale)) {
          t.pending = true;
          provider_->requestTile(layerName, z, tx, ty);
        }
        if (!t.layers) continue;
        ++loaded;
        const double bx = tx * span - ox, by = ty * span - oy;
        // Polygons are clipped with a buffer around the tile: draw the tile's square only.
        p->save();
        p->setClipRect(QRectF(bx, by, span, span));
        for (const auto &layer : *t.layers) {
          const double s = span / layer.extent;
          auto at = [&](const MvtPoint &pt) { return QPointF(bx + pt.x * s, by + pt.y * s); };
          for (const auto &f : layer.features) {
            if (layer.name == "regions" && f.type == GeomType::Polygon) {
              QPainterPath path;
              path.setFillRule(Qt::OddEvenFill);
              for (const auto &ring : f.parts) {
                if (ring.size() < 3) continue;
                path.moveTo(at(ring[0]));
                for (std::size_t i = 1; i < ring.size(); ++i) path.lineTo(at(ring[i]));
                path.closeSubpath();
              }
              auto style = tierStyle(f.text("tier"));
              QPen pen(style.line, style.width);
              if (f.text("approximate") == "true") pen.setStyle(Qt::DashLine);
              p->setPen(pen);
              p->setBrush(QColor(0xcf, 0xdc, 0xe6, 70));
              p->drawPath(path);
            } else if (f.type == GeomType::Point) {
              for (const auto &part : f.parts)
                for (const auto &pt : part)
                  incidents.push_back({at(pt), warningColour(QString::fromStdString(f.text("colour"))),
                                       QString::fromStdString(f.text("id"))});
            }
          }
        }
        p->restore();
      }
  }
  // Markers last, above every outline.
  for (const auto &m : incidents) {
    bool selected = !selected_.isEmpty() && m.id == selected_;
    double r = selected ? 13 : 10;
    p->setPen(QPen(QColor(Qt::white), 2.5));
    p->setBrush(m.colour);
    p->drawEllipse(m.at, r, r);
    if (selected) {
      p->setPen(QPen(QColor(0x21, 0x21, 0x21), 2));
      p->setBrush(Qt::NoBrush);
      p->drawEllipse(m.at, r + 4, r + 4);
    }
    markers.push_back({m.at, m.id});
  }
  lastMarkers_ = std::move(markers);
  if (loaded != loaded_ || static_cast<int>(lastMarkers_.size()) != markers_) {
    loaded_ = loaded;
    markers_ = static_cast<int>(lastMarkers_.size());
    emit tilesLoadedChanged();
  }
  evict();
}

void MapView::mousePressEvent(QMouseEvent *e) {
  pressAt_ = lastAt_ = e->position();
  dragged_ = false;
  e->accept();
}

void MapView::mouseMoveEvent(QMouseEvent *e) {
  QPointF d = e->position() - lastAt_;
  lastAt_ = e->position();
  if ((e->position() - pressAt_).manhattanLength() > 4) dragged_ = true;
  if (dragged_) panBy(d.x(), d.y());
  e->accept();
}

void MapView::mouseReleaseEvent(QMouseEvent *e) {
  if (!dragged_) {
    for (const auto &m : lastMarkers_)
      if (QLineF(m.at, e->position()).length() <= 14 && !m.id.isEmpty()) {
        emit incidentClicked(m.id);
        break;
      }
  }
  e->accept();
}

void MapView::wheelEvent(QWheelEvent *e) {
  zoomAbout(e->position().x(), e->position().y(), e->angleDelta().y() / 120.0);
  e->accept();
}

}  // namespace liandong::map
