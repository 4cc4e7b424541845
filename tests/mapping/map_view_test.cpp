// Tests of the Liandong.Map item (MapView) without a window: tiles from a
// provider in the test, painted into an image, checked pixel by pixel —
// cameras with view cones, sensors and their alert colour, clusters that zoom
// in when clicked, picking, the region under the cursor, the scale bar, and
// images reused while panning.
#include <QGuiApplication>
#include <QImage>
#include <QPainter>
#include <QSignalSpy>

#include <cmath>
#include <numbers>

#include <gtest/gtest.h>

#include "liandong/map/map_view.h"
#include "mvt_writer.h"

using namespace liandong;
using liandong::testing::encodeMvtLayer;
using liandong::testing::MvtSpecFeature;

namespace {

// Serves one tile per layer at a chosen z/x/y; every other tile is empty.
class FakeProvider : public map::TileProvider {
public:
  std::map<QString, QByteArray> tiles;  // "layer/z/x/y" -> MVT
  int requests = 0;
  void requestTile(const QString &layer, int z, int x, int y) override {
    ++requests;
    auto it = tiles.find(QStringLiteral("%1/%2/%3/%4").arg(layer).arg(z).arg(x).arg(y));
    emit tileReady(layer, z, x, y, it == tiles.end() ? QByteArray() : it->second);
  }
};

constexpr int kZ = 16;
constexpr double kTile = 256;
// The tile and the point inside it where the view is centred.
struct Place {
  int x, y;
  double lon, lat;
};
Place placeAt(double lon, double lat) {
  double n = std::pow(2.0, kZ);
  double fx = (lon + 180) / 360 * n;
  double r = lat * std::numbers::pi / 180;
  double fy = (1 - std::log(std::tan(r) + 1 / std::cos(r)) / std::numbers::pi) / 2 * n;
  return {static_cast<int>(fx), static_cast<int>(fy), lon, lat};
}
// Tile-extent coordinates (4096) of a screen offset from the view centre,
// when the view is centred on `lon, lat` at zoom kZ.
std::pair<int, int> local(const Place &p, double dx, double dy) {
  double n = std::pow(2.0, kZ);
  double fx = (p.lon + 180) / 360 * n;
  double r = p.lat * std::numbers::pi / 180;
  double fy = (1 - std::log(std::tan(r) + 1 / std::cos(r)) / std::numbers::pi) / 2 * n;
  return {static_cast<int>(std::lround((fx - p.x + dx / kTile) * 4096)),
          static_cast<int>(std::lround((fy - p.y + dy / kTile) * 4096))};
}

QImage render(map::MapView &view, int w = 400, int h = 300) {
  QImage img(w, h, QImage::Format_ARGB32_Premultiplied);
  img.fill(QColor(0xe8, 0xee, 0xf2));
  {
    QPainter p(&img);
    view.paint(&p);
  }
  // MAPVIEW_SAVE=dir keeps the last picture of each test there, to look at.
  if (auto dir = qEnvironmentVariable("MAPVIEW_SAVE"); !dir.isEmpty())
    img.save(dir + QLatin1Char('/') +
             QString::fromStdString(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
             ".png");
  return img;
}

bool near(QColor a, QColor b, int tolerance = 40) {
  return std::abs(a.red() - b.red()) + std::abs(a.green() - b.green()) + std::abs(a.blue() - b.blue()) <=
         tolerance;
}

class MapViewTest : public ::testing::Test {
protected:
  void SetUp() override {
    place_ = placeAt(113.3655, 22.9455);
    view_.setWidth(400);
    view_.setHeight(300);
    view_.centreOn(place_.lon, place_.lat, kZ);
  }
  void serve(const QString &layer, const std::string &mvt) {
    provider_.tiles[QStringLiteral("%1/%2/%3/%4").arg(layer).arg(kZ).arg(place_.x).arg(place_.y)] =
        QByteArray::fromStdString(mvt);
  }
  Place place_{};
  FakeProvider provider_;
  map::MapView view_;
};

}  // namespace

TEST(ScaleBar, PicksTheLongestRoundLengthThatFits) {
  auto bar = map::scaleBarFor(10, 120);  // 10 m a pixel: 1200 m fit
  EXPECT_EQ(bar.metres, 1000);
  EXPECT_DOUBLE_EQ(bar.pixels, 100);
  EXPECT_EQ(bar.label, QStringLiteral("1 km"));
  EXPECT_EQ(map::scaleBarFor(0.3, 120).label, QStringLiteral("20 m"));
  EXPECT_EQ(map::scaleBarFor(2.5, 120).label, QStringLiteral("200 m"));
  EXPECT_EQ(map::scaleBarFor(0, 120).pixels, 0);
}

TEST_F(MapViewTest, CameraWithItsViewConeAndAClickOnIt) {
  // A camera 60 px left of the centre looking east (90 deg), 60 deg wide, 150 m.
  auto [cx, cy] = local(place_, -60, 0);
  MvtSpecFeature cam{1,
                     {{{cx, cy}}},
                     {{"id", std::string("44011300041320000001")},
                      {"heading_deg", std::int64_t{90}},
                      {"fov_deg", std::int64_t{60}},
                      {"range_m", std::int64_t{150}}}};
  serve("cameras", encodeMvtLayer("cameras", {cam}));
  view_.setLayers({"cameras"});
  view_.setProvider(&provider_);
  render(view_);  // asks for the tiles; they arrive at once
  auto img = render(view_);
  EXPECT_EQ(view_.features(), 1);
  const QColor background(0xe8, 0xee, 0xf2);
  // At z16 here 150 m is ~ 70 px: inside the cone east of the camera, not west of it.
  QColor east = img.pixelColor(200 - 60 + 40, 150), west = img.pixelColor(200 - 60 - 40, 150);
  EXPECT_FALSE(near(east, background, 6)) << "the cone is drawn east of the camera";
  EXPECT_TRUE(near(west, background, 6)) << "nothing west of it";
  EXPECT_TRUE(near(img.pixelColor(200 - 60, 150), QColor(0x28, 0x35, 0x93), 60)) << "the camera marker";
  QSignalSpy clicked(&view_, &map::MapView::cameraClicked);
  view_.clickAt(200 - 60 + 2, 150 + 1);
  ASSERT_EQ(clicked.count(), 1);
  EXPECT_EQ(clicked.at(0).at(0).toString(), QStringLiteral("44011300041320000001"));
  view_.clickAt(200 + 100, 150);
  EXPECT_EQ(clicked.count(), 1) << "a click on empty map picks nothing";
}

TEST_F(MapViewTest, SensorTakesItsAlertColourAndIsPicked) {
  auto [sx, sy] = local(place_, 50, -40);
  serve("sensors", encodeMvtLayer("sensors", {{1, {{{sx, sy}}}, {{"id", std::string("81100001")}}}}));
  view_.setLayers({"sensors"});
  view_.setProvider(&provider_);
  render(view_);
  auto normal = render(view_).pixelColor(250, 110);
  EXPECT_TRUE(near(normal, QColor(0x00, 0x89, 0x7b), 60)) << normal.name().toStdString();
  view_.setSensorStates({{"81100001", "red"}});
  auto alarmed = render(view_).pixelColor(250, 110);
  EXPECT_TRUE(near(alarmed, QColor(0xe5, 0x1c, 0x23), 60)) << alarmed.name().toStdString();
  QSignalSpy clicked(&view_, &map::MapView::sensorClicked);
  view_.clickAt(251, 111);
  ASSERT_EQ(clicked.count(), 1);
  EXPECT_EQ(clicked.at(0).at(0).toString(), QStringLiteral("81100001"));
}

TEST_F(MapViewTest, ClusterShowsItsCountAndZoomsInWhenClicked) {
  auto [kx, ky] = local(place_, 0, 0);
  serve("cameras",
        encodeMvtLayer("cameras",
                       {{1, {{{kx, ky}}}, {{"count", std::int64_t{250}}, {"id", std::string("a")}}}}));
  view_.setLayers({"cameras"});
  view_.setProvider(&provider_);
  render(view_);
  auto img = render(view_);
  int white = 0;  // the count is written in white on the cluster's disc
  for (int y = 140; y < 160; ++y)
    for (int x = 190; x < 210; ++x)
      if (near(img.pixelColor(x, y), Qt::white, 60)) ++white;
  EXPECT_GT(white, 5);
  QSignalSpy clicked(&view_, &map::MapView::cameraClicked);
  double before = view_.zoom();
  view_.clickAt(201, 149);
  EXPECT_EQ(clicked.count(), 0);
  EXPECT_DOUBLE_EQ(view_.zoom(), before + 2) << "a cluster click zooms two levels in";
}

TEST_F(MapViewTest, RegionUnderTheCursorIsTheDeepestContainingIt) {
  // A county over the whole tile and a (dashed, approximate) town in its middle.
  MvtSpecFeature county{
      3,
      {{{-64, -64}, {4160, -64}, {4160, 4160}, {-64, 4160}}},
      {{"code", std::string("440113")}, {"name", std::string("番禺区")}, {"tier", std::string("county")}}};
  auto [ax, ay] = local(place_, -30, -30);
  auto [bx, by] = local(place_, 30, 30);
  MvtSpecFeature town{3,
                      {{{ax, ay}, {bx, ay}, {bx, by}, {ax, by}}},
                      {{"code", std::string("440113007")},
                       {"name", std::string("市桥街道")},
                       {"tier", std::string("town")},
                       {"approximate", std::string("true")}}};
  serve("regions", encodeMvtLayer("regions", {county, town}));
  view_.setLayers({"regions"});
  view_.setProvider(&provider_);
  render(view_);
  render(view_);
  EXPECT_EQ(view_.regionAt(200, 150), QStringLiteral("市桥街道"));
  EXPECT_EQ(view_.regionCodeUnderCursor(), QStringLiteral("440113007"));
  EXPECT_EQ(view_.regionAt(200 + 80, 150), QStringLiteral("番禺区"));
  EXPECT_FALSE(view_.scaleLabel().isEmpty());
}

TEST_F(MapViewTest, PanningReusesTheTileImagesAndAsksForNoTileTwice) {
  std::vector<MvtSpecFeature> many;
  for (int i = 0; i < 2000; ++i)
    many.push_back({1, {{{(i * 37) % 4096, (i * 91) % 4096}}}, {{"id", std::to_string(i)}}});
  serve("sensors", encodeMvtLayer("sensors", many));
  view_.setLayers({"sensors"});
  view_.setProvider(&provider_);
  render(view_);
  render(view_);
  int requests = provider_.requests;
  EXPECT_EQ(view_.features(), 2000);
  for (int i = 0; i < 10; ++i) {
    view_.panBy(3, 2);
    render(view_);
  }
  EXPECT_EQ(provider_.requests, requests) << "a small pan needs no new tile";
  EXPECT_EQ(view_.features(), 2000);
}

TEST_F(MapViewTest, NewIncidentsPulse) {
  auto [ix, iy] = local(place_, 0, 0);
  serve("incidents",
        encodeMvtLayer("incidents",
                       {{1, {{{ix, iy}}}, {{"id", std::string("i1")}, {"colour", std::string("red")}}}}));
  view_.setLayers({"incidents"});
  view_.setProvider(&provider_);
  render(view_);
  auto still = render(view_);
  EXPECT_EQ(view_.incidentMarkers(), 1);
  EXPECT_TRUE(near(still.pixelColor(200, 150), QColor(0xe5, 0x1c, 0x23), 60));
  const QColor background(0xe8, 0xee, 0xf2);
  EXPECT_TRUE(near(still.pixelColor(200 + 17, 150), background, 6)) << "no halo when not new";
  view_.setPulsing({"i1"});
  bool halo = false;
  for (int i = 0; i < 20 && !halo; ++i) halo = !near(render(view_).pixelColor(200 + 17, 150), background, 6);
  EXPECT_TRUE(halo) << "a new incident pulses";
}

int main(int argc, char **argv) {
  qputenv("QT_QPA_PLATFORM", "offscreen");
  QGuiApplication app(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
