// Tests of the Qt Quick console (liandong-console-qt): the incident queue and
// camera models under QAbstractItemModelTester, Mapbox Vector Tile decoding
// on a tile built here, and end to end under Xvfb — a real centre with
// PostGIS, an incident opened over the query API, the console's screenshot
// checked for the map, a marker in the incident's warning colour and the
// queue row; the verify button pressed through the UI and found in the audit
// log; then live video from the camera simulator through a real ingest node
// (pixels checked, a snapshot), the leaders' wall (layouts, pipelines torn
// down for hidden tiles, maximised main stream, the alarm pop-up) and the
// agency's mode (a task acknowledged, an incident raised), and the link-down
// banner with the resync after a centre restart. The UI is driven by
// liandong-console-qt-driver (command-center/console/driver/), the console
// with its UI scripts; the product has none of them.
#include <QAbstractItemModelTester>
#include <QCoreApplication>
#include <QImage>
#include <QTranslator>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <set>
#include <thread>

#include <unistd.h>

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "camera_model.h"
#include "centre_calls.h"
#include "centre_deployment.h"
#include "incident_filter.h"
#include "incident_model.h"
#include "liandong/core/curve_keys.h"
#include "liandong/core/errors.h"
#include "liandong/core/link/query.h"
#include "liandong/map/map_view.h"
#include "liandong/map/mvt.h"
#include "map_list_model.h"
#include "pg_fixture.h"
#include "process.h"
#include "timeline_text.h"
#include "video_grants.h"
#include "wall_control.h"
#include "wall_layout.h"

using namespace liandong;
using namespace liandong::testing;
namespace fs = std::filesystem;

namespace {

wire::IncidentReport incident(const std::string &id, wire::ResponseLevel level, std::int64_t openedUs,
                              const std::string &state = "reported", std::uint32_t version = 1) {
  wire::IncidentReport r;
  r.set_incident_id(id);
  r.set_title("事件 " + id);
  r.set_level(level);
  r.set_colour(wire::COLOUR_ORANGE);
  r.set_state(state);
  r.set_lead_tier(wire::TIER_COUNTY);
  r.set_version(version);
  r.set_opened_at_us(openedUs);
  return r;
}

std::vector<std::string> order(const console::IncidentModel &m) {
  std::vector<std::string> ids;
  for (int i = 0; i < m.rowCount(); ++i) ids.push_back(m.idAt(i).toStdString());
  return ids;
}

}  // namespace

TEST(IncidentModel, SortsByLevelThenAgeUnderTheModelTester) {
  console::IncidentModel model;
  QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
  model.reset({incident("a", wire::LEVEL_IV, 100), incident("b", wire::LEVEL_II, 300),
               incident("c", wire::LEVEL_IV, 50)});
  EXPECT_EQ(order(model), (std::vector<std::string>{"b", "c", "a"}));
  // A new level I goes first; a raised level moves a row up; an update in place keeps it.
  model.upsert(incident("d", wire::LEVEL_I, 400));
  EXPECT_EQ(order(model), (std::vector<std::string>{"d", "b", "c", "a"}));
  model.upsert(incident("a", wire::LEVEL_II, 100, "verified", 2));
  EXPECT_EQ(order(model), (std::vector<std::string>{"d", "a", "b", "c"}));
  model.upsert(incident("a", wire::LEVEL_II, 100, "responding", 3));
  EXPECT_EQ(order(model), (std::vector<std::string>{"d", "a", "b", "c"}));
  EXPECT_EQ(model.data(model.index(1), console::IncidentModel::StateRole).toString(), "responding");
  // An older version never overwrites a newer one.
  model.upsert(incident("a", wire::LEVEL_IV, 100, "reported", 1));
  EXPECT_EQ(model.data(model.index(1), console::IncidentModel::VersionRole).toInt(), 3);
  // Closed ones sink to the bottom.
  model.upsert(incident("d", wire::LEVEL_I, 400, "closed", 2));
  EXPECT_EQ(order(model), (std::vector<std::string>{"a", "b", "c", "d"}));
  model.remove("b");
  model.remove("nothing");
  EXPECT_EQ(order(model), (std::vector<std::string>{"a", "c", "d"}));
  EXPECT_EQ(model.count(), 3);

  auto roles = model.roleNames();
  for (const char *name : {"incidentId", "title", "levelText", "colour", "state", "leadTier", "openedAt"})
    EXPECT_TRUE(roles.values().contains(QByteArray(name))) << name;
  auto idx = model.index(0);
  EXPECT_EQ(model.data(idx, console::IncidentModel::LevelTextRole).toString(), QStringLiteral("Ⅱ"));
  EXPECT_EQ(model.data(idx, console::IncidentModel::ColourRole).toString(), "orange");
  EXPECT_EQ(model.data(idx, console::IncidentModel::LeadTierRole).toString(), "county");
  EXPECT_EQ(model.rowOf("c"), 1);
  EXPECT_EQ(model.rowOf("zz"), -1);
}

// The duty officer's filters keep the queue's order and follow its changes.
TEST(IncidentFilter, FiltersByLevelTypeStateAndTitleUnderTheModelTester) {
  console::IncidentModel model;
  console::IncidentFilter queue;
  queue.setSourceModel(&model);
  QAbstractItemModelTester tester(&queue, QAbstractItemModelTester::FailureReportingMode::Fatal);
  auto typed = [](wire::IncidentReport r, const std::string &type, const std::string &title) {
    r.set_type(type);
    r.set_title(title);
    return r;
  };
  model.reset({typed(incident("a", wire::LEVEL_IV, 100), "flood", "市桥河水位超警戒"),
               typed(incident("b", wire::LEVEL_II, 300), "fire", "民房火情"),
               typed(incident("c", wire::LEVEL_III, 50, "closed"), "flood", "沙湾水道漫堤")});
  auto ids = [&] {
    std::vector<std::string> out;
    for (int i = 0; i < queue.rowCount(); ++i) out.push_back(queue.idAt(i).toStdString());
    return out;
  };
  EXPECT_EQ(ids(), (std::vector<std::string>{"b", "a", "c"})) << "no filter: the model's order";
  queue.setShowClosed(false);
  EXPECT_EQ(ids(), (std::vector<std::string>{"b", "a"}));
  queue.setMaxLevel(3);
  EXPECT_EQ(ids(), (std::vector<std::string>{"b"})) << "Ⅲ and above";
  queue.setMaxLevel(4);
  queue.setType("flood");
  EXPECT_EQ(ids(), (std::vector<std::string>{"a"}));
  queue.setShowClosed(true);
  queue.setText("沙湾");
  EXPECT_EQ(ids(), (std::vector<std::string>{"c"}));
  EXPECT_EQ(queue.rowOf("c"), 0);
  EXPECT_EQ(queue.rowOf("a"), -1) << "filtered out";
  queue.setText("");
  // A change in the model reaches the filtered list.
  model.upsert(typed(incident("d", wire::LEVEL_I, 400), "flood", "海堤险情"));
  EXPECT_EQ(ids(), (std::vector<std::string>{"d", "a", "c"}));
  EXPECT_EQ(queue.count(), 3);
}

namespace {
wire::Envelope cameraStatus(const std::string &id, wire::CameraState state, double lat = 0, double lon = 0,
                            const std::string &serve = "") {
  wire::Envelope env;
  auto *s = env.mutable_camera_status();
  s->set_camera_id(id);
  s->set_state(state);
  s->set_serve_url(serve);
  env.mutable_target_area()->set_latitude(lat);
  env.mutable_target_area()->set_longitude(lon);
  return env;
}
}  // namespace

TEST(CameraModel, KeepsStatusesByIdWithPlayUrlsUnderTheModelTester) {
  console::CameraModel model(QStringLiteral("rtsp://node:8554/cam/{id}"));
  QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
  int revision = model.revision();
  model.upsert(cameraStatus("b", wire::CAMERA_LIVE, 22.9455, 113.3655));
  model.upsert(cameraStatus("a", wire::CAMERA_CONNECTING, 22.99, 113.40, "rtsp://n2:8554/cam/a"));
  model.upsert(cameraStatus("c", wire::CAMERA_OFFLINE));
  EXPECT_EQ(model.ids(), (QStringList{"a", "b", "c"}));
  EXPECT_GT(model.revision(), revision) << "QML bindings over urlFor/stateOf see the change";
  // The node's re-serve URL wins; without it the configured template.
  EXPECT_EQ(model.urlFor("a", false), "rtsp://n2:8554/cam/a");
  EXPECT_EQ(model.urlFor("a", true), "rtsp://n2:8554/cam/a") << "no sub stream: the main one";
  EXPECT_EQ(model.urlFor("b", true), "rtsp://node:8554/cam/b");
  EXPECT_EQ(model.urlFor("unknown", false), "rtsp://node:8554/cam/unknown");
  EXPECT_EQ(console::CameraModel().urlFor("b", false), "") << "no status URL and no template";
  // A recorded segment comes from the node that serves the camera.
  EXPECT_EQ(model.recordingUrl("a", 1764500000123456), "rtsp://n2:8554/rec/a/1764500000123456");
  EXPECT_EQ(model.recordingUrl("b", 42), "rtsp://node:8554/rec/b/42") << "from the template's node";
  EXPECT_EQ(console::CameraModel().recordingUrl("b", 42), "") << "no node to ask";
  // An update in place keeps the row and the known place.
  model.upsert(cameraStatus("b", wire::CAMERA_STALLED));
  EXPECT_EQ(model.stateOf("b"), "stalled");
  EXPECT_EQ(model.data(model.index(1), console::CameraModel::LatitudeRole).toDouble(), 22.9455);
  EXPECT_EQ(model.data(model.index(0), console::CameraModel::MainUrlRole).toString(), "rtsp://n2:8554/cam/a");
  // Nearest first; cameras without a place last.
  EXPECT_EQ(model.nearest(22.945, 113.366, 2), (QStringList{"b", "a"}));
  EXPECT_EQ(model.nearest(22.945, 113.366, 5), (QStringList{"b", "a", "c"}));
  model.remove("a");
  model.remove("zz");
  EXPECT_EQ(model.ids(), (QStringList{"b", "c"}));
  EXPECT_EQ(model.stateOf("a"), "unknown");
  model.upsert(wire::Envelope());  // not a camera status: ignored
  EXPECT_EQ(model.count(), 2);
  model.clear();
  EXPECT_EQ(model.count(), 0);
  EXPECT_EQ(model.roleNames().value(console::CameraModel::SubUrlRole), "subUrl");
}

// What the console asks the centre for before a tile plays (video_grants.h):
// the camera, live or a recorded segment, from the URL the tile would play.
TEST(VideoGrants, AskForTheCameraAndScopeTheUrlNames) {
  auto live = console::VideoGrants::requestFor("rtsp://n:8554/cam/44011300041320000001");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->camera_id(), "44011300041320000001");
  EXPECT_EQ(live->scope(), wire::VIDEO_LIVE);
  EXPECT_FALSE(live->sub_stream());
  EXPECT_TRUE(console::VideoGrants::requestFor("rtsp://n:8554/cam/c1/sub")->sub_stream());
  auto rec = console::VideoGrants::requestFor("rtsp://n:8554/rec/c1/1764500000123456");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->scope(), wire::VIDEO_RECORDING);
  EXPECT_EQ(rec->segment_start_us(), 1764500000123456);
  EXPECT_FALSE(console::VideoGrants::requestFor("rtsp://n:8554/rec/c1/events/12"));
  EXPECT_FALSE(console::VideoGrants::requestFor("rtsp://n:8554/other"));
  EXPECT_FALSE(console::VideoGrants::requestFor("file:///tmp/x.mp4"));
}

// ---- Mapbox Vector Tile 2.1 encoding, for the decoder's tests ----
// Wall layouts: the named ones as before, custom grids and a spanning main
// tile; tiles cover the wall exactly once; bad ones refused in a line.
// The lists QML shows (linked alerts, agencies, tasks, timeline): rows of
// maps whose keys are the roles, replaced as a whole.
TEST(MapListModel, ShowsRowsByCamelCaseRolesUnderTheModelTester) {
  console::MapListModel m({"alertId", "sourceId", "value"});
  QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::Fatal);
  EXPECT_EQ(m.count(), 0);
  const auto names = m.roleNames();
  EXPECT_EQ(names.value(Qt::UserRole + 1), "alertId");
  EXPECT_EQ(names.value(Qt::UserRole + 3), "value");
  int counts = 0;
  QObject::connect(&m, &console::MapListModel::countChanged, [&] { ++counts; });
  m.setRows({QVariantMap{{"alertId", "a1"}, {"sourceId", "g1"}, {"value", 2.5}},
             QVariantMap{{"alertId", "a2"}, {"sourceId", "g2"}}});
  ASSERT_EQ(m.rowCount(), 2);
  EXPECT_EQ(m.data(m.index(0), Qt::UserRole + 2).toString(), "g1");
  EXPECT_DOUBLE_EQ(m.data(m.index(0), Qt::UserRole + 3).toDouble(), 2.5);
  EXPECT_FALSE(m.data(m.index(1), Qt::UserRole + 3).isValid()) << "a key the row lacks";
  EXPECT_FALSE(m.data(m.index(0), Qt::UserRole + 9).isValid()) << "no such role";
  EXPECT_EQ(m.get(1).value("alertId").toString(), "a2");
  EXPECT_TRUE(m.get(2).isEmpty());
  m.setRows({QVariantMap{{"alertId", "a3"}}});
  m.setRows({QVariantMap{{"alertId", "a4"}}});
  m.setRows({});
  EXPECT_EQ(m.count(), 0);
  EXPECT_EQ(counts, 3) << "2, 1, (1 again: no signal), 0";
}

// The wall's presets: the valid ones of the `wall.presets` file as a list
// model (name, layout, cameras), a saved one added (or replacing one of the
// same name) both in the model and in the file; under the model tester.
TEST(MapListModel, HoldsTheWallPresetsFromTheFileAndSavedOnes) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("liandong-presets-{}", ::getpid());
  fs::create_directories(dir);
  const fs::path file = dir / "presets.json";
  writeFile(file, R"({"presets": [
    {"name": "bridge", "layout": "1+5", "cameras": ["44011300041320000001", "44011300041320000002"]},
    {"name": "", "layout": "4"},
    {"name": "bad", "layout": "9x9"},
    {"name": "tunnel", "layout": "4", "cameras": []}]})");
  zmq::context_t ctx(1);
  const auto centreKeys = generateCurveKeyPair("centre");
  console::CentreCalls calls(ctx, "tcp://127.0.0.1:1", centreKeys.publicZ85, generateCurveKeyPair("console"),
                             "console");
  console::WallControl wall(calls, file, 20);
  auto *presets = wall.presets();
  QAbstractItemModelTester tester(presets, QAbstractItemModelTester::FailureReportingMode::Fatal);
  ASSERT_EQ(presets->count(), 2) << "a preset without a name or with a bad layout is skipped";
  const auto names = presets->roleNames();
  EXPECT_EQ(names.value(Qt::UserRole + 1), "name");
  EXPECT_EQ(names.value(Qt::UserRole + 3), "cameras");
  EXPECT_EQ(presets->data(presets->index(0), Qt::UserRole + 1).toString(), "bridge");
  EXPECT_EQ(presets->data(presets->index(0), Qt::UserRole + 2).toString(), "1+5");
  EXPECT_EQ(presets->get(0).value("cameras").toStringList().size(), 2);
  EXPECT_EQ(presets->get(1).value("name").toString(), "tunnel");
  ASSERT_TRUE(wall.savePreset("night", "3x4", {"44011300041320000001"}));
  ASSERT_EQ(presets->count(), 3);
  EXPECT_EQ(presets->get(2).value("layout").toString(), "3x4");
  ASSERT_TRUE(wall.savePreset("bridge", "4", {}));
  ASSERT_EQ(presets->count(), 3) << "the same name replaces";
  EXPECT_EQ(presets->get(2).value("name").toString(), "bridge");
  EXPECT_EQ(presets->get(2).value("layout").toString(), "4");
  EXPECT_FALSE(wall.savePreset("wide", "9x9", {}));
  EXPECT_EQ(presets->count(), 3);
  console::WallControl again(calls, file, 20);
  ASSERT_EQ(again.presets()->count(), 3) << "saved to the file";
  EXPECT_EQ(again.presets()->get(1).value("name").toString(), "night");
  fs::remove_all(dir);
}

TEST(WallLayout, ParsesNamedAndCustomLayoutsAndTilesTheWallExactly) {
  using console::WallLayout;
  struct Case {
    const char *text;
    int tiles;
  };
  for (auto c : {Case{"1", 1}, Case{"4", 4}, Case{"9", 9}, Case{"16", 16}, Case{"1+5", 6}, Case{"2x3", 6},
                 Case{"3x4+3", 4}, Case{"4x4+3", 8}, Case{"4x4+2", 13}, Case{"8x8", 64}, Case{"1x5", 5}}) {
    auto l = WallLayout::parse(QString::fromLatin1(c.text));
    ASSERT_TRUE(l) << c.text;
    EXPECT_EQ(l->tiles(), c.tiles) << c.text;
    // Every cell of the grid is covered by exactly one tile; the tiles' areas add up to the wall.
    double area = 0;
    for (int i = 0; i < l->tiles(); ++i) area += l->tileRect(i).width() * l->tileRect(i).height();
    EXPECT_NEAR(area, 1.0, 1e-9) << c.text;
    for (int r = 0; r < l->rows; ++r)
      for (int col = 0; col < l->columns; ++col) {
        QPointF centre((col + 0.5) / l->columns, (r + 0.5) / l->rows);
        int covering = 0;
        for (int i = 0; i < l->tiles(); ++i) covering += l->tileRect(i).contains(centre) ? 1 : 0;
        EXPECT_EQ(covering, 1) << c.text << " cell " << r << "," << col;
      }
  }
  auto oneFive = WallLayout::parse("1+5");
  EXPECT_EQ(oneFive->tileRect(0), QRectF(0, 0, 2.0 / 3, 2.0 / 3)) << "the main tile";
  EXPECT_EQ(oneFive->tileRect(1), QRectF(2.0 / 3, 0, 1.0 / 3, 1.0 / 3)) << "then the free cells row by row";
  EXPECT_EQ(oneFive->tileRect(3), QRectF(0, 2.0 / 3, 1.0 / 3, 1.0 / 3));
  EXPECT_TRUE(oneFive->tileRect(6).isEmpty()) << "past the last tile";
  QString why;
  EXPECT_FALSE(WallLayout::parse("9x9", &why));
  EXPECT_EQ(why, "wall layout \"9x9\": rows and columns must be 1..8");
  EXPECT_FALSE(WallLayout::parse("3x3+3", &why)) << "a main tile that leaves nothing else";
  EXPECT_NE(why.indexOf("must span 2..2 cells"), -1) << why.toStdString();
  for (const char *bad : {"", "5", "0x3", "3x", "x3", "3x3+1", "2x3+3", "3x3+", "-1x2", "3 by 3"})
    EXPECT_FALSE(WallLayout::parse(QString::fromLatin1(bad), &why)) << bad;
  EXPECT_NE(why.indexOf("expected 1, 4, 9, 16, 1+5, RxC or RxC+S"), -1) << why.toStdString();
}

namespace {
using google::protobuf::io::CodedOutputStream;
using google::protobuf::io::StringOutputStream;

std::uint32_t zz(std::int32_t v) {
  return (static_cast<std::uint32_t>(v) << 1) ^ static_cast<std::uint32_t>(v >> 31);
}
std::string field(std::uint32_t number, const std::string &bytes) {
  std::string out;
  {
    StringOutputStream s(&out);
    CodedOutputStream o(&s);
    o.WriteTag(number << 3 | 2);
    o.WriteVarint32(static_cast<std::uint32_t>(bytes.size()));
    o.WriteString(bytes);
  }
  return out;
}
std::string varintField(std::uint32_t number, std::uint64_t v) {
  std::string out;
  {
    StringOutputStream s(&out);
    CodedOutputStream o(&s);
    o.WriteTag(number << 3);
    o.WriteVarint64(v);
  }
  return out;
}
std::string packed(const std::vector<std::uint32_t> &vs) {
  std::string out;
  {
    StringOutputStream s(&out);
    CodedOutputStream o(&s);
    for (auto v : vs) o.WriteVarint32(v);
  }
  return out;
}
std::uint32_t cmd(std::uint32_t id, std::uint32_t count) {
  return id | count << 3;
}

// A tile with a `regions` layer (a square with a square hole, tier county)
// and an `incidents` layer (two points: red and blue).
std::string sampleTile() {
  std::string regions = varintField(15, 2) + field(1, "regions") + varintField(5, 4096);
  std::string polygon =
      varintField(1, 7) + field(2, packed({0, 0, 1, 1})) + varintField(3, 3) +
      field(4, packed({cmd(1, 1), zz(100), zz(100),   cmd(2, 3), zz(1000), zz(0),    zz(0),     zz(1000),
                       zz(-1000), zz(0),   cmd(7, 1), cmd(1, 1), zz(400),  zz(-600), cmd(2, 3), zz(0),
                       zz(200),   zz(200), zz(0),     zz(0),     zz(-200), cmd(7, 1)}));
  regions += field(2, polygon) + field(3, "tier") + field(3, "approximate") + field(4, field(1, "county")) +
             field(4, varintField(7, 1));
  std::string incidents = varintField(15, 2) + field(1, "incidents") + varintField(5, 4096);
  std::string points = varintField(3, 1) + field(2, packed({0, 0, 1, 1})) +
                       field(4, packed({cmd(1, 2), zz(2048), zz(2048), zz(-48), zz(100)}));
  std::string blue =
      varintField(3, 1) + field(2, packed({0, 2, 1, 3})) + field(4, packed({cmd(1, 1), zz(10), zz(4000)}));
  incidents += field(2, points) + field(2, blue) + field(3, "colour") + field(3, "level") +
               field(4, field(1, "red")) + field(4, varintField(4, 3)) + field(4, field(1, "blue")) +
               field(4, varintField(6, zz(-4)));
  return field(3, regions) + field(3, incidents);
}
}  // namespace

TEST(TimelineText, KnownActionsReadAsSentencesUnknownOnesAsTheyCame) {
  using liandong::console::timelineText;
  EXPECT_EQ(timelineText("opened", R"({"title":"市桥水位","type":"flood","level":"IV","lead_tier":"county",)"
                                   R"("cameras":2,"photo":true,"how":"alert"})"),
            "opened: 市桥水位 (flood, level IV, led by the county centre), 2 camera(s) linked, with a photo");
  EXPECT_EQ(timelineText("tasked", R"({"agencies":["fire","police"],"tasks":["T-1","T-2"],"title":"排涝",)"
                                   R"("ack_minutes":15})"),
            "tasked fire, police: 排涝 (acknowledge within 15 min)");
  EXPECT_EQ(timelineText("task_progress", R"({"task":"T-1","agency":"fire","from":"acknowledged",)"
                                          R"("to":"in_progress","percent":40,"text":"pumps on site"})"),
            "task T-1 (fire): acknowledged → in progress, 40%: pumps on site");
  EXPECT_EQ(timelineText("close", R"({"from":"contained","to":"closed","text":"water receded"})"),
            "contained → closed: water receded");
  EXPECT_EQ(timelineText("reopen", R"({"from":"closed","to":"responding"})"), "closed → responding");
  EXPECT_EQ(timelineText("set_level", R"({"from":"IV","to":"III","lead_tier":"city","reason":"spreading"})"),
            "level IV → III, led by the city centre: spreading");
  EXPECT_EQ(timelineText("sitrep", R"({"kind":"first","seq":1,"body":"两处积水"})"),
            "first report #1 submitted: 两处积水");
  EXPECT_EQ(timelineText("sop_done", R"({"step":2,"text":"通知社区"})"), "plan step 2 done: 通知社区");
  EXPECT_EQ(timelineText("note", R"({"text":"已联系业主"})"), "note: 已联系业主");
  EXPECT_EQ(timelineText("alert_linked", R"({"alert":"a1","headline":"g1 water_level 2 m"})"),
            "alert linked: g1 water_level 2 m");
  // What this console does not know yet, and what is not JSON, still shows.
  EXPECT_EQ(timelineText("future_action", R"({"x":1})"), R"(future_action  {"x":1})");
  EXPECT_EQ(timelineText("odd", "not json"), "odd  not json");
  EXPECT_EQ(timelineText("odd", ""), "odd");

  // In Chinese (the console's default) with the translations the console is built with.
  QTranslator zh;
  ASSERT_TRUE(
      zh.load(QString::fromStdString(binaryDir() + "/command-center/console/liandong_console_zh_CN.qm")));
  QCoreApplication::installTranslator(&zh);
  EXPECT_EQ(timelineText("task_acknowledge", R"({"task":"T-1","agency":"fire","from":"dispatched",)"
                                             R"("to":"acknowledged"})"),
            "任务 T-1（fire）：已派发 → 已签收");
  EXPECT_EQ(timelineText("opened", R"({"title":"市桥水位","type":"flood","level":"IV","lead_tier":"county",)"
                                   R"("cameras":2,"photo":false})"),
            "立案：市桥水位（洪涝，IV级，由县级中心牵头），关联摄像机 2 路");
  QCoreApplication::removeTranslator(&zh);
}

TEST(MvtDecoder, DecodesPolygonsPointsAndProperties) {
  auto layers = map::decodeMvt(sampleTile());
  ASSERT_EQ(layers.size(), 2u);
  const auto &regions = layers[0];
  EXPECT_EQ(regions.name, "regions");
  EXPECT_EQ(regions.extent, 4096u);
  EXPECT_EQ(regions.version, 2u);
  ASSERT_EQ(regions.features.size(), 1u);
  const auto &poly = regions.features[0];
  EXPECT_EQ(poly.id, 7u);
  EXPECT_EQ(poly.type, map::GeomType::Polygon);
  ASSERT_EQ(poly.parts.size(), 2u) << "outer ring and hole";
  EXPECT_EQ(poly.parts[0], (std::vector<map::MvtPoint>{{100, 100}, {1100, 100}, {1100, 1100}, {100, 1100}}));
  EXPECT_EQ(poly.parts[1], (std::vector<map::MvtPoint>{{500, 500}, {500, 700}, {700, 700}, {700, 500}}));
  EXPECT_EQ(poly.text("tier"), "county");
  EXPECT_EQ(poly.text("approximate"), "true");
  EXPECT_EQ(poly.text("missing"), "");

  const auto &incidents = layers[1];
  ASSERT_EQ(incidents.features.size(), 2u);
  const auto &pts = incidents.features[0];
  EXPECT_EQ(pts.type, map::GeomType::Point);
  ASSERT_EQ(pts.parts.size(), 2u) << "a multipoint: one part a point";
  EXPECT_EQ(pts.parts[0][0], (map::MvtPoint{2048, 2048}));
  EXPECT_EQ(pts.parts[1][0], (map::MvtPoint{2000, 2148}));
  EXPECT_EQ(pts.text("colour"), "red");
  EXPECT_EQ(std::get<std::int64_t>(pts.properties.at("level")), 3);
  EXPECT_EQ(incidents.features[1].text("colour"), "blue");
  EXPECT_EQ(std::get<std::int64_t>(incidents.features[1].properties.at("level")), -4);
  EXPECT_EQ(map::warningColour("red"), QColor(0xe5, 0x1c, 0x23));
}

TEST(MvtDecoder, RefusesMalformedTilesWithAnError) {
  EXPECT_TRUE(map::decodeMvt("").empty());
  auto tile = sampleTile();
  for (std::size_t cut : {tile.size() - 1, tile.size() / 2, std::size_t{3}})
    EXPECT_THROW(map::decodeMvt(tile.substr(0, cut)), Error) << "cut at " << cut;
  // LineTo before any MoveTo; a tag index out of range; an unknown command.
  auto layerWith = [](const std::string &feature) {
    return field(
        3, varintField(15, 2) + field(1, "x") + field(2, feature) + field(3, "k") + field(4, field(1, "v")));
  };
  EXPECT_THROW(map::decodeMvt(layerWith(varintField(3, 2) + field(4, packed({cmd(2, 1), 2, 2})))), Error);
  EXPECT_THROW(map::decodeMvt(layerWith(varintField(3, 1) + field(2, packed({0, 5})) +
                                        field(4, packed({cmd(1, 1), 2, 2})))),
               Error);
  EXPECT_THROW(map::decodeMvt(layerWith(varintField(3, 1) + field(4, packed({cmd(3, 1), 2, 2})))), Error);
  EXPECT_THROW(map::decodeMvt(layerWith(varintField(3, 1) + field(4, packed({cmd(1, 5), 2, 2})))), Error);
}

// ---- End to end: a real centre, the console under Xvfb ----
namespace {

// The centre of these tests (centre_deployment.h) with two cameras at 市桥
// (the ingest node relays them under these ids) and one agency.
struct Deployment : CentreDeployment {
  explicit Deployment(const std::string &name) : CentreDeployment(name, "ldconsoleqt") {
    writeFile(dir / "cameras.geojson", R"({"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"44011300041320000001","name":"市桥桥","range_m":300},"geometry":{"type":"Point","coordinates":[113.3655,22.9455]}},
{"type":"Feature","properties":{"id":"44011300041320000002","name":"市桥河东","range_m":300},"geometry":{"type":"Point","coordinates":[113.3665,22.9450]}}]})");
    writeFile(dir / "agencies.geojson", R"({"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"py-sanfang","name":"番禺区三防办","kind":"flood_control","region_code":"440113"},"geometry":{"type":"Point","coordinates":[113.3843,22.9377]}}]})");
    writeCentreYaml("", "  agencies: [agencies.geojson]\n  cameras: [cameras.geojson]\n");
  }

  // The centre (started; wait for "ready:") and the camera simulator with
  // `cameras` 640x360 cameras at 15 fps on `port` (wait for "listening on").
  Process centreProcess() const {
    return Process(bin("command-center/server/liandong-center"), {"-c", (dir / "centre.yaml").string()},
                   (dir / "centre.log").string());
  }
  Process cameraSimulator(int port, int cameras) const {
    return Process(bin("ingest/liandong-camera-sim"),
                   {"--port", std::to_string(port), "--cameras", std::to_string(cameras), "--width", "640",
                    "--height", "360", "--fps", "15", "--bitrate-kbps", "600"},
                   (dir / "sim.log").string());
  }
  // A user with the password "correct horse": `args` = "<name> --role … --region …".
  void addUser(const std::string &args) const {
    run("printf '%s\\n' 'correct horse' | " + bin("command-center/server/liandong-admin") + " --db '" + db +
        "' user add " + args);
  }

  // rules.yaml (g1 above -100 m: always a blue alert) and node.yaml with
  // gauge g1 (2 m) and camera 44011300041320000001 from the simulator at
  // simPort, re-served at servePort; `recordSegmentS` > 0 records it in
  // segments of that length.
  void writeGaugeNode(int servePort, int simPort, int recordSegmentS = 0) const {
    writeFile(
        dir / "rules.yaml",
        "rules:\n  - {id: g1-level, name: 市桥水位, quantity: water_level, sensors: [g1], levels: {blue: "
        "-100}}\n");
    writeFile(dir / "node.yaml",
              nodeHead() + fmt::format(R"(rules: rules.yaml
simulated_sensors:
  - {{id: "g1", quantity: water_level, unit: m, model: constant, latitude: 22.9453, longitude: 113.3660, interval_ms: 500, base: 2}}
cameras:
  port: {}
{}  devices:
    - {{id: 44011300041320000001, url: "rtsp://127.0.0.1:{}/cam/1", latitude: 22.9455, longitude: 113.3655}}
)",
                                       servePort,
                                       recordSegmentS > 0
                                           ? fmt::format("  recording: {{dir: recordings, segment_s: {}}}\n",
                                                         recordSegmentS)
                                           : "",
                                       simPort));
  }
  void writeConsoleConfig(double lon, double lat, const std::string &user = "zhang",
                          const std::string &extra = "") const {
    writeFile(dir / "console.yaml", fmt::format(R"(console:
  id: console-t
  keys: {}
  user: {}
centre:
  updates: tcp://127.0.0.1:{}
  snapshot: tcp://127.0.0.1:{}
  query: tcp://127.0.0.1:{}
  public_key: '{}'
map: {{longitude: {}, latitude: {}, zoom: 10}}
{})",
                                                (dir / "console.key").string(), user, updates, snapshot,
                                                queries, centre.publicZ85, lon, lat, extra));
  }
};

// Pixels within `tolerance` (per channel) of `colour` in `area`.
int countNear(const QImage &img, QRect area, QColor colour, int tolerance = 24) {
  int n = 0;
  area = area.intersected(img.rect());
  for (int y = area.top(); y <= area.bottom(); ++y)
    for (int x = area.left(); x <= area.right(); ++x) {
      QColor c = img.pixelColor(x, y);
      if (std::abs(c.red() - colour.red()) <= tolerance &&
          std::abs(c.green() - colour.green()) <= tolerance &&
          std::abs(c.blue() - colour.blue()) <= tolerance)
        ++n;
    }
  return n;
}

// Live video in `area`: the share of pixels that are not dark, and how many
// coarse colours (4 levels a channel) appear — the simulator's test pattern
// has many, a black or single-colour tile one or two.
struct VideoPixels {
  double bright = 0;
  int colours = 0;
};
VideoPixels videoPixels(const QImage &img, QRect area) {
  area = area.intersected(img.rect());
  VideoPixels v;
  if (area.isEmpty()) return v;
  std::set<int> colours;
  long bright = 0;
  for (int y = area.top(); y <= area.bottom(); ++y)
    for (int x = area.left(); x <= area.right(); ++x) {
      QColor c = img.pixelColor(x, y);
      if (std::max({c.red(), c.green(), c.blue()}) > 60) ++bright;
      colours.insert((c.red() / 64) * 16 + (c.green() / 64) * 4 + c.blue() / 64);
    }
  v.bright = static_cast<double>(bright) / (area.width() * area.height());
  v.colours = static_cast<int>(colours.size());
  return v;
}

// "x,y,w,h" after `prefix` in a log line.
QRect rectAfter(const std::string &out, const std::string &prefix) {
  auto at = out.find(prefix);
  if (at == std::string::npos) return {};
  int x = 0, y = 0, w = 0, h = 0;
  if (std::sscanf(out.c_str() + at + prefix.size(), "%d,%d,%d,%d", &x, &y, &w, &h) != 4) return {};
  return {x, y, w, h};
}

// The console, signed in, on `display` (an X display such as ":91"), or under
// xvfb-run with `xvfbScreens` when `display` is empty.
std::unique_ptr<Process> startConsoleOn(const Deployment &d, const std::string &display,
                                        const std::string &xvfbScreens, const std::string &shot,
                                        int quitAfterMs, std::vector<std::string> extra) {
  std::vector<std::string> args{d.bin("command-center/console/driver/liandong-console-qt-driver"),
                                "-c",
                                (d.dir / "console.yaml").string(),
                                "--screenshot",
                                shot,
                                "--quit-after-ms",
                                std::to_string(quitAfterMs)};
  args.insert(args.end(), extra.begin(), extra.end());
  std::map<std::string, std::string> env{
      {"LIANDONG_PASSWORD", "correct horse"},
      {"QT_QPA_PLATFORM", "xcb"},
      // In the sanitizer build: libdbus (through Qt) and Mesa's llvmpipe (dlopen'ed and unloaded
      // at exit, so LSan cannot name it) leak a few hundred bytes at exit. Leak checking is off
      // for this child only; address and UB errors still abort it.
      {"ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1"}};
  std::string program = args.front();
  if (display.empty()) {
    args.insert(args.begin(), {"-a", "-s", xvfbScreens});
    program = "/usr/bin/xvfb-run";
  } else {
    args.erase(args.begin());
    env["DISPLAY"] = display;
  }
  return std::make_unique<Process>(program, args,
                                   (d.dir / (fs::path(shot).stem().string() + ".log")).string(), env);
}

std::unique_ptr<Process> startConsole(const Deployment &d, const std::string &shot, int quitAfterMs,
                                      std::vector<std::string> extra = {},
                                      const std::string &xvfbScreens = "-screen 0 1920x1080x24") {
  return startConsoleOn(d, "", xvfbScreens, shot, quitAfterMs, std::move(extra));
}

// A real X server — Xorg with the dummy video driver — whose one X screen
// (3200x1080) is two RandR monitors side by side, "left" 1920x1080 and
// "right" 1280x720: what a desktop with two outputs is, where each output is
// a Qt screen. Xvfb cannot do this (one monitor per X screen; setmonitor is
// refused), and with two Xvfb screens GStreamer's GL cannot draw on the
// second. `why` says what failed when there is no display.
struct TwoMonitorDisplay {
  std::unique_ptr<Process> xorg;
  std::string display, why;

  explicit TwoMonitorDisplay(const fs::path &dir) {
    if (!fs::exists("/usr/lib/xorg/modules/drivers/dummy_drv.so") || !fs::exists("/usr/bin/xrandr")) {
      why = "xserver-xorg-video-dummy or x11-xserver-utils is missing (scripts/setup installs them)";
      return;
    }
    writeFile(dir / "xorg.conf", R"(Section "Device"
  Identifier "dummy"
  Driver "dummy"
  VideoRam 256000
EndSection
Section "Screen"
  Identifier "screen"
  Device "dummy"
  DefaultDepth 24
  SubSection "Display"
    Depth 24
    Virtual 3200 1080
  EndSubSection
EndSection
)");
    fs::create_directories(dir / "xorg.conf.d");
    // Xorg picks a free display itself (-displayfd: it skips the lock files
    // that killed servers left) and writes its number on a line of its own.
    xorg = std::make_unique<Process>(
        "/usr/lib/xorg/Xorg",
        std::vector<std::string>{"-displayfd", "1", "-config", (dir / "xorg.conf").string(), "-configdir",
                                 (dir / "xorg.conf.d").string(), "-noreset", "-nolisten", "tcp", "-logfile",
                                 (dir / "xorg.log").string()},
        (dir / "xorg.out").string());
    static const std::regex number(R"((?:^|\n)(\d+)\n)");
    std::string n;
    if (!waitUntil(
            [&] {
              auto out = xorg->output();
              std::smatch m;
              if (std::regex_search(out, m, number)) n = m[1].str();
              return !n.empty() && fs::exists("/tmp/.X11-unix/X" + n);
            },
            15000)) {
      why = "Xorg did not start (it needs root here): " + xorg->output();
      return;
    }
    display = ":" + n;
    const std::string x = "DISPLAY=" + display + " /usr/bin/xrandr ";
    std::string monitors;
    try {
      monitors = run(x + "--fb 3200x1080 && " + x + "--setmonitor left 1920/508x1080/286+0+0 DUMMY0 && " + x +
                     "--setmonitor right 1280/339x720/190+1920+0 none && " + x + "--listmonitors 2>&1");
    } catch (const std::exception &e) {
      monitors = e.what();
    }
    if (monitors.find("Monitors: 2") == std::string::npos) {
      why = "xrandr could not make two monitors: " + monitors;
      display.clear();
    }
  }
  // Stopped, not killed: Xorg removes its lock file and socket.
  ~TwoMonitorDisplay() {
    if (!xorg) return;
    xorg->signal(SIGTERM);
    xorg->wait(5000);
  }
  TwoMonitorDisplay(const TwoMonitorDisplay &) = delete;
  TwoMonitorDisplay &operator=(const TwoMonitorDisplay &) = delete;
};
}  // namespace

// The product takes a user's options only: the scripts, screenshots and
// timed quitting are the driver's.
TEST(ConsoleQt, TheProductHasNoScriptOptionsTheDriverHasThem) {
  const std::string dir = binaryDir() + "/command-center/console/";
  // Without leak detection: GLib's library constructor (dl-init -> g_malloc,
  // 16 KiB) is reported as a leak by LeakSanitizer whenever a program that
  // loads GStreamer exits before its main loop, as --help does (a two-line
  // gst_init program shows the same); the question here is which options
  // each binary offers, and the console's full runs below keep leak checks.
  const std::string env = "QT_QPA_PLATFORM=offscreen ASAN_OPTIONS=detect_leaks=0 ";
  const auto product = run(env + dir + "liandong-console-qt --help");
  EXPECT_NE(product.find("--wall-screens"), std::string::npos) << product;
  for (const char *option : {"--script", "--shots", "--screenshot", "--quit-after-ms", "--sensor"})
    EXPECT_EQ(product.find(option), std::string::npos) << option << " in " << product;
  const auto driver = run(env + dir + "driver/liandong-console-qt-driver --help");
  EXPECT_NE(driver.find("--script"), std::string::npos) << driver;
}

TEST(ConsoleQt, ShowsTheMapTheIncidentMarkerAndTheQueueThenVerifiesThroughTheUi) {
  if (!fs::exists("/usr/bin/xvfb-run")) GTEST_SKIP() << "xvfb-run is missing (apt-get install xvfb xauth)";
  Deployment d("consoleqt");
  Process centre = d.centreProcess();
  ASSERT_TRUE(centre.waitForOutput("ready:", 60000)) << centre.output();
  d.addUser("zhang --role duty_officer --region 440113");

  // The duty officer opens a red incident in Panyu over the query API.
  zmq::context_t ctx(1);
  link::QueryClient client(ctx, "tcp://127.0.0.1:" + std::to_string(d.queries), d.centre.publicZ85,
                           d.console);
  auto session = signIn(client, "zhang");
  wire::Query create;
  auto *in = create.mutable_create()->mutable_incident();
  in->set_type("flood");
  in->set_title("市桥河水位超警戒");
  in->set_latitude(22.9455);
  in->set_longitude(113.3665);
  in->set_level(wire::LEVEL_IV);
  in->set_colour(wire::COLOUR_RED);
  auto opened = ask(client, session, create).incident().incident();
  ASSERT_EQ(opened.state(), "reported");
  const QColor markerColour = map::warningColour(console::IncidentModel::colourName(opened.colour()));
  d.writeConsoleConfig(113.3665, 22.9455);

  // 1. Map, marker, queue.
  const std::string shot = (d.dir / "console.png").string();
  auto console = startConsole(d, shot, 9000);
  ASSERT_EQ(console->wait(60000), 0) << console->output();
  auto out = console->output();
  EXPECT_NE(out.find("signed in as zhang"), std::string::npos) << out;
  EXPECT_NE(out.find("quitting: queue 1 incidents"), std::string::npos) << out;
  EXPECT_NE(out.find("language zh_CN (translation loaded)"), std::string::npos) << out;
  QImage img(QString::fromStdString(shot));
  ASSERT_FALSE(img.isNull()) << out;
  ASSERT_GE(img.width(), 1200);
  // The map is the area right of the 420 px queue, below the tool bar.
  const QRect mapArea(430, 60, img.width() - 440, img.height() - 120);
  const QColor background(0xe8, 0xee, 0xf2);
  int drawn = mapArea.width() * mapArea.height() - countNear(img, mapArea, background, 3);
  EXPECT_GT(drawn, mapArea.width() * mapArea.height() / 20) << "region outlines and fills on the map";
  // The incident is at the map's centre: a marker of its warning colour there.
  int marker =
      countNear(img, QRect(mapArea.center().x() - 40, mapArea.center().y() - 40, 80, 80), markerColour);
  EXPECT_GT(marker, 100) << "a " << markerColour.name().toStdString() << " marker at the incident's place";
  // The queue row: its colour bar and level badge in the warning colour.
  EXPECT_GT(countNear(img, QRect(0, 60, 420, 120), markerColour), 200) << "the incident in the queue";
  img.save(QString::fromStdString(binaryDir() + "/console-qt-map.png"));

  // 2. Verify through the UI: the script selects the row and presses the button.
  const std::string shot2 = (d.dir / "console-verify.png").string();
  auto verify = startConsole(d, shot2, 12000, {"--script", "verify"});
  ASSERT_EQ(verify->wait(60000), 0) << verify->output();
  out = verify->output();
  EXPECT_NE(out.find("script: pressed verify"), std::string::npos) << out;
  EXPECT_NE(out.find("script: verify done"), std::string::npos) << out;
  // The status bar confirms in the user's language (zh_CN by default).
  EXPECT_NE(out.find("script: status bar: 核实 ✓"), std::string::npos) << out;
  EXPECT_EQ(d.query("SELECT count(*) FROM incidents WHERE id = '" + opened.incident_id() +
                    "' AND state = 'verified'"),
            1);
  const std::string audit = d.text(
      "SELECT string_agg(actor || ' ' || console || ' ' || action || ' ' || object, '; ' ORDER BY seq) "
      "FROM audit_log WHERE actor = 'zhang'");
  EXPECT_EQ(d.query("SELECT count(*) FROM audit_log WHERE actor = 'zhang' AND action = 'incident.verify' AND "
                    "object = 'incident/" +
                    opened.incident_id() + "'"),
            1)
      << "the audit log records the console's verify: " << audit;
  EXPECT_NE(audit.find("console-t incident.verify"), std::string::npos)
      << "named after the console: " << audit;
  QImage img2(QString::fromStdString(shot2));
  ASSERT_FALSE(img2.isNull());
  img2.save(QString::fromStdString(binaryDir() + "/console-qt-detail.png"));

  // 3. A gauge's chart (Qt Charts): ten hours of readings against its 警戒 and 保证 lines.
  {
    pqxx::connection c(d.db);
    pqxx::work tx(c);
    tx.exec(
        "INSERT INTO sensors (id, name, kind, thresholds, geom) VALUES ('g1', '市桥水位站', 'water_level', "
        "'{\"water_level\": {\"yellow\": 2.5, \"red\": 3.0}}', ST_SetSRID(ST_MakePoint(113.3665, 22.9455), "
        "4326))");
    tx.exec(
        "INSERT INTO readings (sender_id, sequence, sensor_id, quantity, value, unit, observed_at) "
        "SELECT 'node-t', g, 'g1', 'water_level', 2 + sin(g / 40.0), 'm', now() - g * interval '1 minute' "
        "FROM generate_series(1, 600) g");
    tx.commit();
  }
  const std::string shot3 = (d.dir / "console-chart.png").string();
  auto chart = startConsole(d, shot3, 15000, {"--script", "chart", "--sensor", "g1"});
  ASSERT_EQ(chart->wait(60000), 0) << chart->output();
  out = chart->output();
  EXPECT_NE(out.find("script: chart of g1 shows"), std::string::npos) << out;
  EXPECT_NE(out.find("chart of g1 (water_level): "), std::string::npos) << out;
  QImage img3(QString::fromStdString(shot3));
  ASSERT_FALSE(img3.isNull());
  // The chart sits at the map's bottom right: its 警戒 (amber) and 保证 (red) lines are drawn.
  const QRect chartArea(img3.width() - 900, img3.height() - 400, 900, 400);
  EXPECT_GT(countNear(img3, chartArea, QColor(0xf9, 0xa8, 0x25), 60), 100) << "the warning line";
  EXPECT_GT(countNear(img3, chartArea, QColor(0xe5, 0x1c, 0x23), 60), 100) << "the guaranteed line";
  EXPECT_GT(countNear(img3, chartArea, QColor(0x00, 0x89, 0x7b), 60), 100) << "the readings";
  img3.save(QString::fromStdString(binaryDir() + "/console-qt-chart.png"));

  // 4. English on request: the source strings, no translator.
  auto english = startConsole(d, (d.dir / "console-en.png").string(), 3000, {"--lang", "en"});
  ASSERT_EQ(english->wait(60000), 0) << english->output();
  out = english->output();
  EXPECT_NE(out.find("language en"), std::string::npos) << out;
  EXPECT_EQ(out.find("translation loaded"), std::string::npos) << out;
  EXPECT_EQ(centre.stop(), 0) << centre.output();
}

// Live video, the wall and the roles, against the camera simulator relayed
// by a real ingest node (the node's re-serve URL comes from the console's
// `video.url` template until nodes fill CameraStatus.serve_url).
TEST(ConsoleQt, PlaysLiveVideoRunsTheWallAndTheAgencyModeAndResyncsAfterTheLinkReturns) {
  if (!fs::exists("/usr/bin/xvfb-run")) GTEST_SKIP() << "xvfb-run is missing (apt-get install xvfb xauth)";
  Deployment d("consolevideo");
  const int simPort = freeTcpPort(), servePort = freeTcpPort();
  Process sim = d.cameraSimulator(simPort, 2);
  ASSERT_TRUE(sim.waitForOutput("listening on", 30000)) << sim.output();
  Process centre = d.centreProcess();
  ASSERT_TRUE(centre.waitForOutput("ready:", 60000)) << centre.output();
  writeFile(d.dir / "node.yaml", d.nodeHead() + fmt::format(R"(cameras:
  port: {}
  devices:
    - {{id: 44011300041320000001, url: "rtsp://127.0.0.1:{}/cam/1", latitude: 22.9455, longitude: 113.3655}}
    - {{id: 44011300041320000002, url: "rtsp://127.0.0.1:{}/cam/2", latitude: 22.9450, longitude: 113.3665}}
)",
                                                            servePort, simPort, simPort));
  Process node(d.bin("ingest/liandong-ingest"), {"-c", (d.dir / "node.yaml").string()},
               (d.dir / "node.log").string());
  ASSERT_TRUE(waitUntil(
      [&] {
        return d.query(
                   "SELECT count(DISTINCT payload->'camera_status'->>'camera_id') FROM events WHERE kind = "
                   "'camera_status' AND payload->'camera_status'->>'state' = 'CAMERA_LIVE'") == 2;
      },
      60000))
      << node.output() << centre.output();
  d.addUser("zhang --role duty_officer --region 440113");
  d.addUser("li --role leader --region 440113");
  d.addUser("wang --role agency_operator --region 440113 --agency py-sanfang");

  zmq::context_t ctx(1);
  link::QueryClient client(ctx, "tcp://127.0.0.1:" + std::to_string(d.queries), d.centre.publicZ85,
                           d.console);
  auto session = signIn(client, "zhang");
  auto create = [&](const std::string &title, wire::ResponseLevel level) {
    wire::Query q;
    auto *in = q.mutable_create()->mutable_incident();
    in->set_type("flood");
    in->set_title(title);
    in->set_latitude(22.9453);
    in->set_longitude(113.3660);
    in->set_level(level);
    in->set_colour(wire::COLOUR_ORANGE);
    return ask(client, session, q).incident();
  };
  auto first = create("市桥河水位上涨", wire::LEVEL_IV);
  wire::Query get;
  get.mutable_incident()->set_incident_id(first.incident().incident_id());
  ASSERT_EQ(ask(client, session, get).incident().cameras_size(), 2) << "both cameras see the place";
  const fs::path shots = d.dir / "shots", snapshots = d.dir / "snapshots";
  const std::string extra = fmt::format(R"(video:
  url: "rtsp://127.0.0.1:{}/cam/{{id}}"
  snapshots: {}
wall:
  presets: {}
  tour_dwell_s: 5
alarm:
  level: 2
  popup_s: 4
  sound_sink: "audio/x-raw,format=S16LE,channels=1 ! wavenc ! filesink location={}"
)",
                                        servePort, snapshots.string(), (d.dir / "presets.json").string(),
                                        (d.dir / "alarm.wav").string());

  // 1. The duty officer: the incident's first camera plays in the video pane; snapshot.
  d.writeConsoleConfig(113.3660, 22.9453, "zhang", extra);
  auto duty =
      startConsole(d, (d.dir / "duty.png").string(), 45000, {"--script", "video", "--shots", shots.string()});
  ASSERT_EQ(duty->wait(90000), 0) << duty->output();
  auto out = duty->output();
  EXPECT_NE(out.find("mode duty"), std::string::npos) << out;
  EXPECT_NE(out.find("script: pressed play on camera 44011300041320000001 (live)"), std::string::npos) << out;
  EXPECT_NE(
      out.find("video: playing rtsp://127.0.0.1:" + std::to_string(servePort) + "/cam/44011300041320000001"),
      std::string::npos)
      << out;
  ASSERT_NE(out.find("script: video playing"), std::string::npos) << out;
  QImage shot(QString::fromStdString((shots / "incident.png").string()));
  ASSERT_FALSE(shot.isNull()) << out;
  QRect pane = rectAfter(out, "; pane ");
  ASSERT_GT(pane.width(), 300) << out;
  auto live = videoPixels(shot, pane.adjusted(8, 8, -8, -30));
  EXPECT_GT(live.bright, 0.3) << "the pane shows the simulator's picture, not black";
  EXPECT_GE(live.colours, 6) << "the test pattern's colours";
  EXPECT_NE(out.find("snapshot of 44011300041320000001 saved to"), std::string::npos) << out;
  int pngs = 0;
  for (const auto &f : fs::directory_iterator(snapshots)) {
    QImage snap(QString::fromStdString(f.path().string()));
    EXPECT_GT(videoPixels(snap, snap.rect()).bright, 0.3) << f.path();
    ++pngs;
  }
  EXPECT_EQ(pngs, 1);
  shot.save(QString::fromStdString(binaryDir() + "/console-qt-video.png"));

  // 2. The leader: the wall (full screen), layouts, hidden tiles torn down,
  // the main stream when maximised, then the alarm pop-up of a new level II.
  d.writeConsoleConfig(113.3660, 22.9453, "li", extra);
  auto leader = startConsole(d, (d.dir / "leader.png").string(), 80000,
                             {"--script", "wall", "--shots", shots.string()});
  ASSERT_TRUE(leader->waitForOutput("script: wall ready", 60000)) << leader->output();
  auto alarmed = create("市桥河堤决口", wire::LEVEL_II);
  ASSERT_EQ(leader->wait(60000), 0) << leader->output();
  out = leader->output();
  EXPECT_NE(out.find("mode leader"), std::string::npos) << out;
  EXPECT_NE(out.find("script: layout 1: 1 tiles, 1 pipelines"), std::string::npos) << out;
  EXPECT_NE(out.find("script: layout 16: 16 tiles, 2 pipelines"), std::string::npos)
      << "16 tiles, two cameras: two pipelines" << out;
  EXPECT_NE(out.find("script: layout 1+5: 6 tiles, 2 pipelines"), std::string::npos) << out;
  EXPECT_NE(out.find("script: layout 2x3: 6 tiles, 2 pipelines"), std::string::npos)
      << "a custom grid from the rows x columns controls: " << out;
  EXPECT_NE(out.find("script: layout 4x4+3: 8 tiles, 2 pipelines"), std::string::npos)
      << "a main tile spanning 3 x 3 cells and 7 others: " << out;
  EXPECT_NE(out.find("wall: wall layout \"9x9\": rows and columns must be 1..8"), std::string::npos) << out;
  EXPECT_NE(out.find("script: layout 9x9 refused: true, still 4"), std::string::npos) << out;
  EXPECT_NE(readFile(d.dir / "presets.json").find("\"4x4+3\""), std::string::npos)
      << "saved with the presets";
  EXPECT_NE(out.find("script: maximised tile 0 plays rtsp://"), std::string::npos) << out;
  EXPECT_NE(out.find("wall preset script saved: layout 4, 2 cameras"), std::string::npos) << out;
  EXPECT_NE(readFile(d.dir / "presets.json").find("44011300041320000002"), std::string::npos);
  EXPECT_NE(out.find("alarm: incident " + alarmed.incident().incident_id()), std::string::npos) << out;
  EXPECT_NE(out.find("wall: alarm pop-up for " + alarmed.incident().incident_id() +
                     " in tile 0 with camera 4401130004132000000"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("script: alarm shown in tile 0"), std::string::npos) << out;
  EXPECT_NE(out.find("script: alarm reverted, layout 4"), std::string::npos) << out;
  EXPECT_EQ(out.find("alarm: incident " + first.incident().incident_id()), std::string::npos)
      << "a level IV incident is below the alarm level" << out;
  // The tone went through a real pipeline into the configured sink: a WAV
  // of an 880 Hz sine (not silence) — the machine has no sound card.
  {
    auto wav = readFile(d.dir / "alarm.wav");
    ASSERT_GT(wav.size(), 44u + 8000u) << out;
    EXPECT_EQ(wav.substr(0, 4), "RIFF");
    int loud = 0;
    for (std::size_t i = 44; i + 1 < wav.size(); i += 2) {
      auto sample = static_cast<std::int16_t>(static_cast<unsigned char>(wav[i]) |
                                              (static_cast<unsigned char>(wav[i + 1]) << 8));
      loud += std::abs(sample) > 8000;
    }
    EXPECT_GT(loud, 1000) << "an audible tone, not silence";
    EXPECT_NE(out.find("alarm: tone played"), std::string::npos) << out;
  }
  QImage wall(QString::fromStdString((shots / "wall.png").string()));
  ASSERT_FALSE(wall.isNull()) << out;
  auto at = out.find("script: wall 4 playing");
  ASSERT_NE(at, std::string::npos) << out;
  auto tiles = out.substr(out.find("tiles ", at) + 6);
  for (int i = 0; i < 2; ++i) {
    QRect r = rectAfter(tiles, "");
    ASSERT_GT(r.width(), 100) << tiles;
    auto v = videoPixels(wall, r.adjusted(6, 6, -6, -26));
    EXPECT_GT(v.bright, 0.3) << "tile " << i;
    EXPECT_GE(v.colours, 6) << "tile " << i;
    tiles = tiles.substr(tiles.find(' ') + 1);
  }
  QImage(QString::fromStdString((shots / "wall-alarm.png").string()))
      .save(QString::fromStdString(binaryDir() + "/console-qt-wall.png"));

  // Several monitors. wall.screens names the screens that get a wall window
  // of their own (by number: Xvfb calls every screen "screen"); one that is
  // not there is skipped in a line. The window plays on the screen named.
  std::string screensExtra = extra;
  screensExtra.replace(screensExtra.find("  tour_dwell_s: 5\n"), 18,
                       "  tour_dwell_s: 5\n  screens: [\"1\", \"HDMI-9\"]\n");
  d.writeConsoleConfig(113.3660, 22.9453, "li", screensExtra);
  auto monitors = startConsole(d, (d.dir / "monitors.png").string(), 12000);
  ASSERT_EQ(monitors->wait(60000), 0) << monitors->output();
  out = monitors->output();
  EXPECT_NE(out.find("wall.screens: no screen named \"HDMI-9\" (screens: screen)"), std::string::npos) << out;
  EXPECT_NE(out.find("wall window 1 on screen 1 \"screen\" (1920x1080 at 0,0)"), std::string::npos) << out;
  EXPECT_EQ(out.find("wall window 2 on"), std::string::npos) << "one window: HDMI-9 is not there" << out;
  EXPECT_NE(out.find("wall window 1: on screen 1 (1920x1080), window 1920x1080, 4 tiles, 2 playing"),
            std::string::npos)
      << "full screen, both cameras playing: " << out;
  QImage ownWall(QString::fromStdString((d.dir / "monitors-wall1.png").string()));
  ASSERT_EQ(ownWall.size(), QSize(1920, 1080)) << out;
  auto ownTile = videoPixels(ownWall, QRect(20, 80, 900, 400));
  EXPECT_GT(ownTile.bright, 0.3) << "the wall window's first tile plays";
  EXPECT_GE(ownTile.colours, 6);
  // Two X screens and --wall-screens 3: a window full screen on each screen
  // there is (on the second X screen GStreamer's GL cannot draw under Xvfb,
  // so only the windows' screens are checked there).
  auto twoScreens = startConsole(d, (d.dir / "twoscreens.png").string(), 8000, {"--wall-screens", "3"},
                                 "-screen 0 1920x1080x24 -screen 1 1280x720x24");
  ASSERT_EQ(twoScreens->wait(60000), 0) << twoScreens->output();
  out = twoScreens->output();
  EXPECT_NE(
      out.find("--wall-screens 3: this display has 2 screens (screen, screen); wall window 3 not opened"),
      std::string::npos)
      << out;
  EXPECT_NE(out.find("wall window 2: on screen 2 (1280x720), window 1280x720, 4 tiles"), std::string::npos)
      << out;
  EXPECT_NE(out.find("wall window 1: on screen 1 (1920x1080), window 1920x1080, 4 tiles"), std::string::npos)
      << out;
  // One X screen with two monitors (a real Xorg, see TwoMonitorDisplay):
  // Qt sees two screens, and the wall window on the second one plays.
  {
    TwoMonitorDisplay two(d.dir);
    if (two.display.empty()) {
      ADD_FAILURE() << "no two-monitor display: " << two.why;
    } else {
      auto twoMonitors = startConsoleOn(d, two.display, "", (d.dir / "twomonitors.png").string(), 15000,
                                        {"--wall-screens", "2"});
      ASSERT_EQ(twoMonitors->wait(60000), 0) << twoMonitors->output();
      out = twoMonitors->output();
      EXPECT_NE(out.find("wall window 2 on screen 2 \"right\" (1280x720 at 1920,0)"), std::string::npos)
          << out;
      EXPECT_NE(out.find("wall window 2: on screen 2 (1280x720), window 1280x720, 4 tiles, 2 playing"),
                std::string::npos)
          << "both cameras play on the second monitor: " << out;
      QImage second(QString::fromStdString((d.dir / "twomonitors-wall2.png").string()));
      ASSERT_EQ(second.size(), QSize(1280, 720)) << out;
      auto tile = videoPixels(second, QRect(12, 50, 600, 260));
      EXPECT_GT(tile.bright, 0.3) << "the second monitor's first tile shows the camera";
      EXPECT_GE(tile.colours, 6);
      second.save(QString::fromStdString(binaryDir() + "/console-qt-wall-second-monitor.png"));
    }
  }

  // 3. The agency: acknowledges its task, raises an incident; then the
  // centre restarts under it: the banner shows the link down, and the console
  // resyncs by itself when it returns.
  wire::Query dispatch;
  dispatch.mutable_dispatch()->set_incident_id(first.incident().incident_id());
  dispatch.mutable_dispatch()->add_agency_ids("py-sanfang");
  dispatch.mutable_dispatch()->set_title("巡查市桥河堤");
  ask(client, session, dispatch);
  d.writeConsoleConfig(113.3660, 22.9453, "wang", extra);
  auto agency = startConsole(d, (d.dir / "agency.png").string(), 60000,
                             {"--script", "agency", "--shots", shots.string()});
  ASSERT_TRUE(agency->waitForOutput("script: incident raised", 40000)) << agency->output();
  EXPECT_EQ(d.query("SELECT count(*) FROM tasks WHERE agency_id = 'py-sanfang' AND state = 'acknowledged'"),
            1);
  EXPECT_EQ(d.query("SELECT count(*) FROM incidents WHERE title = '河堤渗漏'"), 1);
  EXPECT_EQ(d.query("SELECT count(*) FROM audit_log WHERE actor = 'wang' AND console = 'console-t/console-t' "
                    "AND action "
                    "IN ('task.acknowledge', 'incident.open')"),
            2)
      << "the acknowledgement and the new incident, each audited: "
      << d.text(
             "SELECT string_agg(actor || ' ' || console || ' ' || action, '; ' ORDER BY seq) FROM audit_log");
  EXPECT_EQ(centre.stop(), 0);
  ASSERT_TRUE(agency->waitForOutput("link to the centre down", 20000)) << agency->output();
  Process again(d.bin("command-center/server/liandong-center"), {"-c", (d.dir / "centre.yaml").string()},
                (d.dir / "centre2.log").string());
  ASSERT_TRUE(again.waitForOutput("ready:", 60000)) << again.output();
  EXPECT_TRUE(agency->waitForOutput("(resync 1)", 30000)) << agency->output();
  EXPECT_NE(agency->output().find("incidents, 2 cameras (resync 1)"), std::string::npos)
      << "the restarted centre still knows the cameras' last statuses: " << agency->output();
  EXPECT_TRUE(waitUntil(
      [&] {
        auto text = agency->output();
        auto down = text.find("link to the centre down");
        return down != std::string::npos && text.find("link to the centre up", down) != std::string::npos;
      },
      30000))
      << "up again after it was down: " << agency->output();
  agency->stop();
  EXPECT_EQ(node.stop(), 0);
  EXPECT_EQ(again.stop(), 0);
}

// The duty officer's round through the UI: a gauge's alert opens an
// incident at the cameras' place, the console plays its camera, dispatches a
// task that the agency acknowledges, and closes the incident; the audit log
// holds every step.
TEST(ConsoleQt, DutyOfficerGoesFromAnAlertThroughVideoAndATaskToClosedInTheUi) {
  if (!fs::exists("/usr/bin/xvfb-run")) GTEST_SKIP() << "xvfb-run is missing (apt-get install xvfb xauth)";
  Deployment d("consoleflow");
  const int simPort = freeTcpPort(), servePort = freeTcpPort();
  Process sim = d.cameraSimulator(simPort, 1);
  ASSERT_TRUE(sim.waitForOutput("listening on", 30000)) << sim.output();
  Process centre = d.centreProcess();
  ASSERT_TRUE(centre.waitForOutput("ready:", 60000)) << centre.output();
  d.addUser("zhang --role duty_officer --region 440113");
  d.addUser("wang --role agency_operator --region 440113 --agency py-sanfang");
  d.writeGaugeNode(servePort, simPort);
  Process node(d.bin("ingest/liandong-ingest"), {"-c", (d.dir / "node.yaml").string()},
               (d.dir / "node.log").string());
  ASSERT_TRUE(waitUntil(
      [&] { return d.query("SELECT count(*) FROM incidents WHERE reported_by = 'alert:g1-level'") == 1; },
      60000))
      << node.output() << centre.output();
  d.writeConsoleConfig(113.3660, 22.9453, "zhang",
                       fmt::format("video:\n  url: \"rtsp://127.0.0.1:{}/cam/{{id}}\"\n", servePort));
  auto duty = startConsole(d, (d.dir / "flow.png").string(), 60000, {"--script", "flow"});
  ASSERT_TRUE(duty->waitForOutput("script: dispatched task", 40000)) << duty->output();
  // The agency acknowledges (as liandong-report or its own console would).
  zmq::context_t ctx(1);
  link::QueryClient client(ctx, "tcp://127.0.0.1:" + std::to_string(d.queries), d.centre.publicZ85,
                           d.console);
  auto session = signIn(client, "wang");
  wire::Query list;
  list.mutable_tasks();
  auto tasks = ask(client, session, list).tasks();
  ASSERT_EQ(tasks.tasks_size(), 1);
  wire::Query ack;
  ack.mutable_task()->set_task_id(tasks.tasks(0).task_id());
  ack.mutable_task()->set_action("acknowledge");
  ask(client, session, ack);
  ASSERT_EQ(duty->wait(60000), 0) << duty->output();
  auto out = duty->output();
  EXPECT_NE(out.find("script: camera playing"), std::string::npos) << out;
  EXPECT_NE(out.find("script: the agency acknowledged"), std::string::npos) << out;
  EXPECT_NE(out.find("script: incident closed"), std::string::npos) << out;
  const std::string id = d.text("SELECT id FROM incidents WHERE reported_by = 'alert:g1-level'");
  EXPECT_EQ(d.text("SELECT state FROM incidents WHERE id = '" + id + "'"), "closed");
  EXPECT_EQ(
      d.text("SELECT string_agg(actor || ' ' || action, ', ' ORDER BY seq) FROM audit_log WHERE object = "
             "'incident/" +
             id + "' OR object LIKE 'task/" + id + "/%'"),
      "alert:g1-level incident.open, zhang task.dispatch, wang task.acknowledge, zhang incident.close")
      << "every step in the audit log";
  EXPECT_EQ(node.stop(), 0);
  EXPECT_EQ(centre.stop(), 0);
}

// The incident detail through the UI: a gauge's alert opens a flood
// incident whose SOP has an agency step and a step to tick; the console shows
// the linked alert (source, value, level), ticks the step, adds a note,
// closes and reopens the incident — each audited at the centre — and asks
// for the recording of its camera around the incident time. The centre's
// `segments` query is checked on its own: the recorded rows of the camera,
// nothing for a user whose jurisdiction does not hold it, refusals in a line.
TEST(ConsoleQt, DetailShowsLinkedAlertsTicksSopNotesReopensAndFindsTheRecording) {
  if (!fs::exists("/usr/bin/xvfb-run")) GTEST_SKIP() << "xvfb-run is missing (apt-get install xvfb xauth)";
  Deployment d("consoledetail");
  {
    std::string centre = readFile(d.dir / "centre.yaml");
    writeFile(d.dir / "centre.yaml", centre + R"(incidents:
  sops:
    - type: flood
      steps:
        - {text: 三防办派员到场, agency: flood_control}
        - {text: 调取周边视频核实灾情}
)");
  }
  const int simPort = freeTcpPort(), servePort = freeTcpPort();
  Process sim = d.cameraSimulator(simPort, 1);
  ASSERT_TRUE(sim.waitForOutput("listening on", 30000)) << sim.output();
  Process centre = d.centreProcess();
  ASSERT_TRUE(centre.waitForOutput("ready:", 60000)) << centre.output();
  d.addUser("zhang --role duty_officer --region 440113");
  d.addUser("li --role duty_officer --region 440106");
  const std::string camera = "44011300041320000001";
  d.writeGaugeNode(servePort, simPort, 4);  // segments long enough to seek in
  Process node(d.bin("ingest/liandong-ingest"), {"-c", (d.dir / "node.yaml").string()},
               (d.dir / "node.log").string());
  ASSERT_TRUE(waitUntil(
      [&] {
        return d.query("SELECT count(*) FROM incidents WHERE reported_by = 'alert:g1-level'") == 1 &&
               d.query("SELECT count(*) FROM camera_segments WHERE camera_id = '" + camera + "'") >= 2;
      },
      90000))
      << node.output() << centre.output();
  const std::string id = d.text("SELECT id FROM incidents WHERE reported_by = 'alert:g1-level'");

  // The segments query on its own.
  zmq::context_t ctx(1);
  link::QueryClient client(ctx, "tcp://127.0.0.1:" + std::to_string(d.queries), d.centre.publicZ85,
                           d.console);
  const auto zhang = signIn(client, "zhang");
  wire::Query liLogin;  // another county's officer cannot sign in at this console, so sees no segments
  liLogin.mutable_login()->set_user("li");
  liLogin.mutable_login()->set_password("correct horse");
  EXPECT_NE(refusal(client, "", liLogin).find("outside this console's region 440113"), std::string::npos);
  wire::Query segs;
  segs.mutable_segments()->add_camera_ids(camera);
  segs.mutable_segments()->add_camera_ids("44011300041320000009");  // known to nobody: no rows
  segs.mutable_segments()->set_from_us(
      d.query("SELECT (extract(epoch FROM min(start_at)) * 1e6)::bigint - 1000000 FROM camera_segments"));
  auto found = ask(client, zhang, segs).segments();
  ASSERT_EQ(found.segments_size(),
            d.query("SELECT count(*) FROM camera_segments WHERE removed_at IS NULL AND camera_id = '" +
                    camera + "'"));
  EXPECT_EQ(found.segments(0).camera_id(), camera);
  EXPECT_EQ(found.segments(0).start_us(),
            d.query("SELECT (extract(epoch FROM min(start_at)) * 1e6)::bigint FROM camera_segments"));
  EXPECT_GT(found.segments(0).end_us(), found.segments(0).start_us());
  EXPECT_GT(found.segments(0).bytes(), 1000u);
  EXPECT_NE(found.segments(0).path().find(std::to_string(found.segments(0).start_us()) + ".mp4"),
            std::string::npos)
      << found.segments(0).path();
  EXPECT_EQ(found.segments(0).node_id(), "node-t");
  for (int i = 1; i < found.segments_size(); ++i)
    EXPECT_GE(found.segments(i).start_us(), found.segments(i - 1).start_us()) << "oldest first";
  wire::Query bad = segs;
  bad.mutable_segments()->set_to_us(bad.segments().from_us() - 1);
  EXPECT_EQ(refusal(client, zhang, bad), "segments: from_us must be before to_us");
  bad.mutable_segments()->clear_camera_ids();
  EXPECT_EQ(refusal(client, zhang, bad), "segments: at least one camera_id is required");
  wire::Query alertsOf;
  alertsOf.mutable_incident_alerts()->set_incident_id(id);
  EXPECT_EQ(refusal(client, "", alertsOf), "not signed in: send a login query first");

  // The console, through its detail pane.
  d.writeConsoleConfig(113.3660, 22.9453, "zhang",
                       fmt::format("video:\n  url: \"rtsp://127.0.0.1:{}/cam/{{id}}\"\n", servePort));
  const fs::path shots = d.dir / "shots";
  auto duty = startConsole(d, (d.dir / "detail.png").string(), 60000,
                           {"--script", "detail", "--shots", shots.string()});
  ASSERT_EQ(duty->wait(90000), 0) << duty->output();
  auto out = duty->output();
  EXPECT_NE(out.find("script: linked alerts 1: "), std::string::npos) << out;
  EXPECT_NE(out.find(" from sensor g1 (water_level) value 2 m level "), std::string::npos)
      << "the alert's source, quantity and the reading that raised it: " << out;
  EXPECT_NE(out.find("script: ticked SOP step 2 of 2"), std::string::npos)
      << "step 1 is the agency's, step 2 the duty officer's: " << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("script: ticked SOP step 2 of 2; [1-9][0-9]* cameras, ")))
      << "the SOP steps and cameras models are filled from the incident's detail: " << out;
  EXPECT_NE(out.find("script: SOP step 2 done by zhang"), std::string::npos) << out;
  EXPECT_NE(out.find("script: note added"), std::string::npos) << out;
  EXPECT_NE(out.find("script: incident reopened, now responding"), std::string::npos) << out;
  const long first = d.query("SELECT (extract(epoch FROM min(start_at)) * 1e6)::bigint FROM camera_segments");
  const auto firstUrl = fmt::format("rtsp://127.0.0.1:{}/rec/{}/{}", servePort, camera, first);
  EXPECT_NE(out.find("url " + firstUrl), std::string::npos)
      << "the first segment on the camera's node: " << out;
  EXPECT_NE(out.find("video: playing " + firstUrl), std::string::npos)
      << "the node's /rec mount served it and a frame reached the pane: " << out;
  EXPECT_NE(out.find("video: " + firstUrl + " ended"), std::string::npos) << out;
  EXPECT_NE(out.find("recording: camera " + camera + ": segment 2/"), std::string::npos)
      << "then the next segment by itself: " << out;
  EXPECT_NE(out.find("script: recording pane: 录像"), std::string::npos) << "zh_CN: " << out;
  // Asked for a time half a second before the end of the second segment (as
  // ⏪/⏩ 30 s ask for one): that segment plays, and the title says how far
  // into it the time is (the player does not seek, docs/console.md).
  const long second = d.query(
      "SELECT (extract(epoch FROM start_at) * 1e6)::bigint FROM camera_segments ORDER BY start_at OFFSET 1 "
      "LIMIT 1");
  const auto secondUrl = fmt::format("rtsp://127.0.0.1:{}/rec/{}/{}", servePort, camera, second);
  const std::string from = "script: recording from ";
  auto at = out.find(from);
  ASSERT_NE(at, std::string::npos) << out;
  const double offsetS = std::atof(out.c_str() + at + from.size());
  EXPECT_NE(out.find(" s into " + secondUrl, at), std::string::npos) << out;
  EXPECT_GE(offsetS, 1.5) << "4 s segments, 0.5 s before the end: " << out;
  EXPECT_TRUE(out.find(fmt::format("，第 {} 秒", std::floor(offsetS)), at) != std::string::npos ||
              out.find(fmt::format("，第 {} 秒", std::ceil(offsetS)), at) != std::string::npos)
      << "the pane's title gives the offset (whole seconds): " << out;
  EXPECT_EQ(d.text("SELECT done_by FROM sop_steps WHERE incident_id = '" + id + "' AND step = 2"), "zhang");
  EXPECT_EQ(d.text("SELECT state FROM incidents WHERE id = '" + id + "'"), "responding");
  EXPECT_EQ(
      d.text("SELECT string_agg(actor || ' ' || action, ', ' ORDER BY seq) FROM audit_log WHERE object = "
             "'incident/" +
             id + "' AND actor = 'zhang'"),
      "zhang incident.sop_done, zhang incident.note, zhang incident.close, zhang incident.reopen")
      << "each action audited";
  EXPECT_EQ(d.text("SELECT detail ->> 'text' FROM incident_timeline WHERE incident_id = '" + id +
                   "' AND action = 'note'"),
            "堤段巡查中，水位仍在上涨");
  QImage shot(QString::fromStdString((shots / "detail.png").string()));
  EXPECT_FALSE(shot.isNull()) << out;
  shot.save(QString::fromStdString(binaryDir() + "/console-qt-incident-detail.png"));
  EXPECT_EQ(node.stop(), 0);
  EXPECT_EQ(centre.stop(), 0);
}

int main(int argc, char **argv) {
  QCoreApplication app(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new PgEnvironment);
  return RUN_ALL_TESTS();
}
