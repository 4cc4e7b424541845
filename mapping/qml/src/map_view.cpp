// MapView: Web Mercator tile arithmetic, the tile cache (per layer/z/x/y,
// marked stale when the provider says a layer changed, evicted when unused),
// per-tile images of the static layers, the live overlays (incidents, sensor
// states, pulsing), picking, the scale bar and the region under the cursor.
#include "liandong/map/map_view.h"

#include <QElapsedTimer>
#include <QFontMetricsF>
#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "liandong/core/logging.h"

namespace liandong::map {
namespace {

constexpr double kTileSize = 256;
constexpr double kMinZoom = 2, kMaxZoom = 18;
constexpr double kPointMargin = 40;  // tile images of points reach this far beyond the tile
constexpr double kEarthCircumference = 40075016.686;

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
  int depth;
};
TierStyle tierStyle(const std::string &tier) {
  if (tier == "province") return {QColor(0x37, 0x47, 0x4f), 2.6, 1};
  if (tier == "city") return {QColor(0x45, 0x5a, 0x64), 2.0, 2};
  if (tier == "county") return {QColor(0x60, 0x7d, 0x8b), 1.3, 3};
  return {QColor(0x90, 0xa4, 0xae), 0.8, 4};
}

const QColor kCamera(0x28, 0x35, 0x93);
const QColor kCone(0x3f, 0x51, 0xb5, 46);
const QColor kSensor(0x00, 0x89, 0x7b);

double number(const MvtFeature &f, const std::string &key, double fallback) {
  auto it = f.properties.find(key);
  if (it == f.properties.end()) return fallback;
  if (auto *d = std::get_if<double>(&it->second)) return *d;
  if (auto *i = std::get_if<std::int64_t>(&it->second)) return static_cast<double>(*i);
  if (auto *u = std::get_if<std::uint64_t>(&it->second)) return static_cast<double>(*u);
  return fallback;
}

void drawCluster(QPainter *p, QPointF at, int count, const QColor &colour) {
  double r = 9 + 3 * std::log10(static_cast<double>(count));
  p->setPen(QPen(QColor(Qt::white), 1.5));
  QColor fill = colour;
  fill.setAlpha(215);
  p->setBrush(fill);
  p->drawEllipse(at, r, r);
  p->setPen(QColor(Qt::white));
  QString text = count >= 10000 ? QStringLiteral("%1k").arg(count / 1000) : QString::number(count);
  p->drawText(QRectF(at.x() - r, at.y() - r, 2 * r, 2 * r), Qt::AlignCenter, text);
}

}  // namespace

QColor warningColour(const QString &name) {
  if (name == QLatin1String("red")) return QColor(0xe5, 0x1c, 0x23);
  if (name == QLatin1String("orange")) return QColor(0xff, 0x8f, 0x00);
  if (name == QLatin1String("yellow")) return QColor(0xfd, 0xd8, 0x35);
  if (name == QLatin1String("blue")) return QColor(0x1e, 0x6f, 0xff);
  return QColor(0x75, 0x75, 0x75);
}

ScaleBar scaleBarFor(double metresPerPixel, double maxPixels) {
  ScaleBar bar;
  if (!(metresPerPixel > 0) || !(maxPixels > 0)) return bar;
  double limit = metresPerPixel * maxPixels;
  double unit = std::pow(10.0, std::floor(std::log10(limit)));
  for (double m : {5.0, 2.0, 1.0})
    if (m * unit <= limit) {
      bar.metres = m * unit;
      break;
    }
  bar.pixels = bar.metres / metresPerPixel;
  bar.label = bar.metres >= 1000 ? QStringLiteral("%1 km").arg(bar.metres / 1000)
                                 : QStringLiteral("%1 m").arg(bar.metres);
  return bar;
}

struct MapView::Geometry {
  int z = 0;
  double world = 0, ox = 0, oy = 0, span = 0;
  int x0 = 0, x1 = -1, y0 = 0, y1 = -1;
};

MapView::MapView(QQuickItem *parent) : QQuickPaintedItem(parent) {
  setAcceptedMouseButtons(Qt::LeftButton);
  setAcceptHoverEvents(true);
  setAcceptTouchEvents(true);
  setAntialiasing(true);
  setFillColor(QColor(0xe8, 0xee, 0xf2));
  settle_.setSingleShot(true);
  settle_.setInterval(150);
  connect(&settle_, &QTimer::timeout, this, [this] { update(); });
  pulse_.setInterval(60);
  connect(&pulse_, &QTimer::timeout, this, [this] { update(); });
}

MapView::~MapView() = default;

QString MapView::key(const QString &layer, int z, int x, int y) {
  return QStringLiteral("%1/%2/%3/%4").arg(layer).arg(z).arg(x).arg(y);
}

MapView::Geometry MapView::geometry() const {
  Geometry g;
  const double w = width(), h = height();
  g.z = std::clamp(static_cast<int>(std::floor(zoom_)), 0, static_cast<int>(kMaxZoom));
  g.world = kTileSize * std::pow(2.0, zoom_);
  g.ox = lonToX(lon_, g.world) - w / 2;
  g.oy = latToY(lat_, g.world) - h / 2;
  g.span = kTileSize * std::pow(2.0, zoom_ - g.z);
  const int n = 1 << g.z;
  g.x0 = std::max(0, static_cast<int>(std::floor(g.ox / g.span)));
  g.x1 = std::min(n - 1, static_cast<int>(std::floor((g.ox + w) / g.span)));
  g.y0 = std::max(0, static_cast<int>(std::floor(g.oy / g.span)));
  g.y1 = std::min(n - 1, static_cast<int>(std::floor((g.oy + h) / g.span)));
  return g;
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
  settle_.start();
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

void MapView::setPulsing(const QStringList &ids) {
  if (ids == pulsing_) return;
  pulsing_ = ids;
  if (pulsing_.isEmpty())
    pulse_.stop();
  else if (!pulse_.isActive())
    pulse_.start();
  emit pulsingChanged();
  update();
}

void MapView::setSensorStates(const QVariantMap &states) {
  if (states == sensorStates_) return;
  sensorStates_ = states;
  emit sensorStatesChanged();
  update();
}

void MapView::setCacheTiles(bool on) {
  if (on == cacheTiles_) return;
  cacheTiles_ = on;
  emit viewChanged();
  update();
}

QString MapView::scaleLabel() const {
  double mpp =
      kEarthCircumference * std::cos(lat_ * std::numbers::pi / 180.0) / (kTileSize * std::pow(2.0, zoom_));
  return scaleBarFor(mpp, 120).label;
}

void MapView::centreOn(double longitude, double latitude, double z) {
  lon_ = std::clamp(longitude, -180.0, 180.0);
  lat_ = std::clamp(latitude, -85.0, 85.0);
  if (z > 0 && std::clamp(z, kMinZoom, kMaxZoom) != zoom_) {
    zoom_ = std::clamp(z, kMinZoom, kMaxZoom);
    settle_.start();
  }
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
  t.imageSpan = 0;  // draw again
  t.shapes.clear();
  try {
    t.layers = std::make_shared<const std::vector<MvtLayer>>(
        decodeMvt(std::string_view(mvt.constData(), static_cast<std::size_t>(mvt.size()))));
  } catch (const std::exception &e) {
    t.failed = true;
    logging::get("map")->warn("tile {}/{}/{}/{}: {}", layer.toStdString(), z, x, y, e.what());
  }
  if (t.layers && layer == QLatin1String("regions")) {
    for (const auto &l : *t.layers)
      for (const auto &f : l.features) {
        if (f.type != GeomType::Polygon) continue;
        RegionShape shape;
        shape.path.setFillRule(Qt::OddEvenFill);
        for (const auto &ring : f.parts) {
          if (ring.size() < 3) continue;
          shape.path.moveTo(ring[0].x, ring[0].y);
          for (std::size_t i = 1; i < ring.size(); ++i) shape.path.lineTo(ring[i].x, ring[i].y);
          shape.path.closeSubpath();
        }
        shape.depth = tierStyle(f.text("tier")).depth;
        shape.code = QString::fromStdString(f.text("code"));
        shape.name = QString::fromStdString(f.text("name"));
        t.shapes.push_back(std::move(shape));
      }
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

// The static drawing of one tile of one layer, at `span` pixels a tile.
void MapView::drawTileImage(Tile &t, const QString &layerName, double span) {
  const bool regions = layerName == QLatin1String("regions");
  const double margin = regions ? 0 : kPointMargin;
  t.imageSpan = span;
  t.hits.clear();
  t.features = 0;
  std::size_t total = 0;
  for (const auto &layer : *t.layers) total += layer.features.size();
  if (total == 0) {  // nothing here: no image
    t.image = QImage();
    return;
  }
  const int side = static_cast<int>(std::ceil(span + 2 * margin));
  t.image = QImage(side, side, QImage::Format_ARGB32_Premultiplied);
  t.image.fill(Qt::transparent);
  QPainter p(&t.image);
  p.setRenderHint(QPainter::Antialiasing, true);
  p.translate(margin, margin);
  if (regions) p.setClipRect(QRectF(0, 0, span, span));  // polygons carry a buffer beyond the tile
  // Metres to pixels here, for view cones (a tile is small enough for one scale).
  const double mpp =
      kEarthCircumference * std::cos(lat_ * std::numbers::pi / 180.0) / (kTileSize * std::pow(2.0, zoom_));
  for (const auto &layer : *t.layers) {
    const double s = span / layer.extent;
    auto at = [&](const MvtPoint &pt) { return QPointF(pt.x * s, pt.y * s); };
    for (const auto &f : layer.features) {
      ++t.features;
      if (regions && f.type == GeomType::Polygon) {
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
        p.setPen(pen);
        p.setBrush(QColor(0xcf, 0xdc, 0xe6, 70));
        p.drawPath(path);
        continue;
      }
      if (f.type != GeomType::Point) continue;
      const bool camera = layerName == QLatin1String("cameras");
      const int count = static_cast<int>(number(f, "count", 1));
      const QString id = QString::fromStdString(f.text("id"));
      for (const auto &part : f.parts)
        for (const auto &pt : part) {
          QPointF c = at(pt);
          if (count > 1) {
            drawCluster(&p, c, count, camera ? kCamera : kSensor);
            t.hits.push_back({c, id, HitKind::Cluster, count});
            continue;
          }
          if (camera) {
            double range = number(f, "range_m", 0), fov = number(f, "fov_deg", 0);
            double heading = number(f, "heading_deg", -1);
            double r = range / mpp;
            if (r >= 12 && fov > 0 && heading >= 0) {
              QPainterPath cone;
              cone.moveTo(c);
              // Qt counts degrees anticlockwise from east; headings run clockwise from north.
              cone.arcTo(QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r), 90 - heading - fov / 2, fov);
              cone.closeSubpath();
              p.setPen(QPen(QColor(0x3f, 0x51, 0xb5, 120), 1));
              p.setBrush(kCone);
              p.drawPath(cone);
            }
            p.setPen(QPen(QColor(Qt::white), 1.2));
            p.setBrush(kCamera);
            p.drawRoundedRect(QRectF(c.x() - 5, c.y() - 4, 10, 8), 2, 2);
            t.hits.push_back({c, id, HitKind::Camera, 1});
          } else {
            p.setPen(QPen(QColor(Qt::white), 1.2));
            p.setBrush(kSensor);
            QPointF d[4] = {c + QPointF(0, -6), c + QPointF(6, 0), c + QPointF(0, 6), c + QPointF(-6, 0)};
            p.drawPolygon(d, 4);
            t.hits.push_back({c, id, HitKind::Sensor, 1});
          }
        }
    }
  }
}

void MapView::paint(QPainter *p) {
  QElapsedTimer timer;
  timer.start();
  ++frame_;
  p->setRenderHint(QPainter::Antialiasing, true);
  p->setRenderHint(QPainter::SmoothPixmapTransform, true);  // for images scaled while zooming
  const auto g = geometry();
  int loaded = 0, features = 0;
  const bool zooming = settle_.isActive();  // a zoom changed in the last 150 ms
  struct Pending {
    QPointF at;
    QColor colour;
    QString id;
  };
  std::vector<Pending> incidents;
  std::vector<std::pair<QPointF, QColor>> alarmed;  // sensors with a live alert
  for (const auto &layerName : layers_) {
    const bool live = layerName == QLatin1String("incidents");
    for (int ty = g.y0; ty <= g.y1; ++ty)
      for (int tx = g.x0; tx <= g.x1; ++tx) {
        auto &t = tiles_[key(layerName, g.z, tx, ty)];
        t.used = frame_;
        if (provider_ && !t.pending && !t.failed && (!t.layers || t.stale)) {
          t.pending = true;
          provider_->requestTile(layerName, g.z, tx, ty);
        }
        if (!t.layers) continue;
        ++loaded;
        const double bx = tx * g.span - g.ox, by = ty * g.span - g.oy;
        if (live) {
          for (const auto &layer : *t.layers) {
            const double s = g.span / layer.extent;
            for (const auto &f : layer.features) {
              if (f.type != GeomType::Point) continue;
              ++features;
              for (const auto &part : f.parts)
                for (const auto &pt : part)
                  incidents.push_back({QPointF(bx + pt.x * s, by + pt.y * s),
                                       warningColour(QString::fromStdString(f.text("colour"))),
                                       QString::fromStdString(f.text("id"))});
            }
          }
          continue;
        }
        // The tile's image: drawn again at the new scale once zooming settles,
        // meanwhile the old one scaled (when not too far off).
        double ratio = t.imageSpan > 0 ? g.span / t.imageSpan : 0;
        const bool exact = t.imageSpan > 0 && std::abs(ratio - 1) < 1e-9;
        if (!cacheTiles_ || (!exact && !(zooming && ratio >= 0.5 && ratio <= 2))) {
          drawTileImage(t, layerName, g.span);
          ratio = 1;
        }
        const double margin = layerName == QLatin1String("regions") ? 0 : kPointMargin;
        if (t.image.isNull()) {
          // nothing in this tile
        } else if (ratio == 1) {
          // At its own scale: a plain copy to whole pixels (no filtering), the cheap case while panning.
          p->drawImage(QPointF(std::round(bx - margin), std::round(by - margin)), t.image);
        } else {
          p->drawImage(QRectF(bx - margin * ratio, by - margin * ratio, t.image.width() * ratio,
                              t.image.height() * ratio),
                       t.image);
        }
        features += t.features;
        if (layerName == QLatin1String("sensors") && !sensorStates_.isEmpty())
          for (const auto &h : t.hits) {
            if (h.kind != HitKind::Sensor) continue;
            auto it = sensorStates_.constFind(h.id);
            if (it != sensorStates_.constEnd())
              alarmed.emplace_back(QPointF(bx, by) + h.at * ratio, warningColour(it->toString()));
          }
      }
  }
  for (const auto &[at, colour] : alarmed) {
    p->setPen(QPen(QColor(Qt::white), 1.5));
    p->setBrush(colour);
    QPointF d[4] = {at + QPointF(0, -8), at + QPointF(8, 0), at + QPointF(0, 8), at + QPointF(-8, 0)};
    p->drawPolygon(d, 4);
  }
  // Incidents last, above everything; new ones pulse.
  std::vector<Marker> markers;
  const double phase = static_cast<double>(frame_ % 20) / 20.0;
  for (const auto &m : incidents) {
    bool selected = !selected_.isEmpty() && m.id == selected_;
    double r = selected ? 13 : 10;
    if (pulsing_.contains(m.id)) {
      QColor halo = m.colour;
      halo.setAlphaF(0.45 * (1 - phase));
      p->setPen(Qt::NoPen);
      p->setBrush(halo);
      double hr = r + 4 + 18 * phase;
      p->drawEllipse(m.at, hr, hr);
    }
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
  // Scale bar, bottom left.
  const double mpp = kEarthCircumference * std::cos(lat_ * std::numbers::pi / 180.0) / g.world;
  auto bar = scaleBarFor(mpp, 120);
  if (bar.pixels > 0) {
    const double x = 12, y = height() - 14;
    p->setPen(QPen(QColor(0x26, 0x32, 0x38), 2));
    p->drawLine(QPointF(x, y), QPointF(x + bar.pixels, y));
    p->drawLine(QPointF(x, y - 5), QPointF(x, y));
    p->drawLine(QPointF(x + bar.pixels, y - 5), QPointF(x + bar.pixels, y));
    p->drawText(QPointF(x + 4, y - 6), bar.label);
  }
  if (loaded != loaded_ || static_cast<int>(lastMarkers_.size()) != markers_ || features != features_) {
    loaded_ = loaded;
    markers_ = static_cast<int>(lastMarkers_.size());
    features_ = features;
    emit tilesLoadedChanged();
  }
  // Images only for what is on screen: a tile scrolled away keeps its data, not its pixels.
  for (auto &t : tiles_)
    if (t.used != frame_ && t.imageSpan > 0) {
      t.image = QImage();
      t.imageSpan = 0;
    }
  evict();
  lastPaintMs_ = static_cast<double>(timer.nsecsElapsed()) / 1e6;
  emit painted();
}

QString MapView::regionAt(double x, double y) {
  const auto g = geometry();
  const double px = g.ox + x, py = g.oy + y;
  const int tx = static_cast<int>(std::floor(px / g.span)), ty = static_cast<int>(std::floor(py / g.span));
  auto it = tiles_.find(key(QStringLiteral("regions"), g.z, tx, ty));
  if (it == tiles_.end() || !it->layers || it->layers->empty()) return {};
  const double extent = it->layers->front().extent;
  QPointF local((px - tx * g.span) / g.span * extent, (py - ty * g.span) / g.span * extent);
  const RegionShape *best = nullptr;
  for (const auto &s : it->shapes)
    if ((!best || s.depth > best->depth) && s.path.contains(local)) best = &s;
  if (!best) return {};
  regionCode_ = best->code;
  return best->name;
}

void MapView::updateRegionUnderCursor(QPointF at) {
  QString code = regionCode_;
  QString name = regionAt(at.x(), at.y());
  if (name.isEmpty()) regionCode_.clear();
  if (name != regionName_ || code != regionCode_) {
    regionName_ = name;
    emit regionUnderCursorChanged();
  }
}

void MapView::pick(QPointF at) {
  for (const auto &m : lastMarkers_)
    if (QLineF(m.at, at).length() <= 14 && !m.id.isEmpty()) {
      emit incidentClicked(m.id);
      return;
    }
  const auto g = geometry();
  const Hit *best = nullptr;
  double bestDistance = 12;
  for (const auto &layerName : layers_) {
    if (layerName == QLatin1String("incidents") || layerName == QLatin1String("regions")) continue;
    for (int ty = g.y0; ty <= g.y1; ++ty)
      for (int tx = g.x0; tx <= g.x1; ++tx) {
        auto it = tiles_.find(key(layerName, g.z, tx, ty));
        if (it == tiles_.end() || !it->layers || it->imageSpan <= 0) continue;
        const double ratio = g.span / it->imageSpan;
        const QPointF corner(tx * g.span - g.ox, ty * g.span - g.oy);
        for (const auto &h : it->hits) {
          double reach = h.kind == HitKind::Cluster ? 14 : 9;
          double d = QLineF(corner + h.at * ratio, at).length();
          if (d <= reach && d < bestDistance + (h.kind == HitKind::Cluster ? 4 : 0)) {
            best = &h;
            bestDistance = d;
          }
        }
      }
  }
  if (!best) return;
  if (best->kind == HitKind::Cluster) {
    zoomAbout(at.x(), at.y(), 4);  // two zoom levels in, about the cluster
  } else if (best->kind == HitKind::Camera) {
    emit cameraClicked(best->id);
  } else {
    emit sensorClicked(best->id);
  }
}

void MapView::clickAt(double x, double y) {
  pick(QPointF(x, y));
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
  if (!dragged_) pick(e->position());
  e->accept();
}

void MapView::wheelEvent(QWheelEvent *e) {
  zoomAbout(e->position().x(), e->position().y(), e->angleDelta().y() / 120.0);
  e->accept();
}

void MapView::hoverMoveEvent(QHoverEvent *e) {
  updateRegionUnderCursor(e->position());
  e->accept();
}

// One finger pans, two pinch to zoom about their middle.
void MapView::touchEvent(QTouchEvent *e) {
  const auto &points = e->points();
  if (points.size() == 1) {
    const auto &pt = points.front();
    if (pt.state() == QEventPoint::Pressed) {
      pressAt_ = lastAt_ = pt.position();
      dragged_ = false;
    } else if (pt.state() == QEventPoint::Updated) {
      QPointF d = pt.position() - lastAt_;
      lastAt_ = pt.position();
      if ((pt.position() - pressAt_).manhattanLength() > 4) dragged_ = true;
      if (dragged_) panBy(d.x(), d.y());
    } else if (pt.state() == QEventPoint::Released && !dragged_) {
      pick(pt.position());
    }
  } else if (points.size() >= 2) {
    const double d = QLineF(points[0].position(), points[1].position()).length();
    const QPointF mid = (points[0].position() + points[1].position()) / 2;
    if (pinchStart_ <= 0 || points[0].state() == QEventPoint::Pressed ||
        points[1].state() == QEventPoint::Pressed) {
      pinchStart_ = d;
    } else if (d > 0 && pinchStart_ > 0) {
      double steps = 2 * std::log2(d / pinchStart_);  // zoomAbout: half a level a step
      if (std::abs(steps) >= 0.1) {
        zoomAbout(mid.x(), mid.y(), steps);
        pinchStart_ = d;
      }
    }
    dragged_ = true;
  }
  if (e->type() == QEvent::TouchEnd || e->type() == QEvent::TouchCancel) pinchStart_ = 0;
  e->accept();
}

}  // namespace liandong::map
