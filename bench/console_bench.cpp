// liandong-bench-console: the console map's frame time under Xvfb with Mesa's
// software renderer, with 5,000 and 50,000 sensors in view (Panyu at zoom
// 11.5, where each sensor is drawn on its own), panning continuously — the
// map as it ships (each tile's drawing reused between frames) against the
// same map drawing every feature every frame, in the same run; and the time
// from showing the window to the first frame with the map's features drawn.
// Tiles come from the real TileService (PostGIS ST_AsMVT) on a database this
// program fills. Run by `scripts/bench console`.
#include <QGuiApplication>
#include <QQuickItem>
#include <QQuickWindow>
#include <QTimer>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "liandong/core/logging.h"
#include "liandong/map/map_view.h"
#include "liandong/mapping/generator.h"
#include "liandong/mapping/migrations.h"
#include "liandong/mapping/regions.h"
#include "liandong/mapping/tiles.h"

using namespace liandong;
using Clock = std::chrono::steady_clock;

namespace {

// Tiles from PostGIS, answered on the next turn of the event loop (as the
// console's provider answers from its query thread).
class ServiceProvider : public map::TileProvider {
public:
  explicit ServiceProvider(const std::string &db) : service_(db) {}
  void requestTile(const QString &layer, int z, int x, int y) override {
    QTimer::singleShot(0, this, [this, layer, z, x, y] {
      auto tile = service_.get(layer.toStdString(), z, x, y);
      emit tileReady(layer, z, x, y, QByteArray::fromStdString(tile.mvt));
    });
  }

private:
  mapping::TileService service_;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

struct Run {
  double startToMapMs = 0;
  std::vector<double> frames;  // ms of work per frame (sync + render)
  int features = 0;
};

// One window, one map: wait for the features, then pan for `seconds`.
Run measure(const std::string &db, bool cacheTiles, int wantFeatures, double seconds, int width, int height) {
  Run run;
  ServiceProvider provider(db);
  QQuickWindow window;
  window.resize(width, height);
  auto *view = new map::MapView(window.contentItem());
  view->setWidth(width);
  view->setHeight(height);
  view->setLayers({"regions", "sensors", "incidents"});
  view->setCacheTiles(cacheTiles);
  view->centreOn(113.42, 22.95, 11.5);
  view->setProvider(&provider);
  Clock::time_point frameStart;
  bool inFrame = false, mapShown = false, panning = false;
  Clock::time_point shown, panUntil;
  QObject::connect(&window, &QQuickWindow::beforeFrameBegin, [&] {
    frameStart = Clock::now();
    inFrame = true;
  });
  QObject::connect(&window, &QQuickWindow::afterFrameEnd, [&] {
    if (!inFrame) return;
    inFrame = false;
    auto now = Clock::now();
    if (!mapShown && view->features() >= wantFeatures) {
      mapShown = true;
      run.startToMapMs = std::chrono::duration<double, std::milli>(now - shown).count();
      run.features = view->features();
      panning = true;
      panUntil = now + std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    } else if (panning) {
      run.frames.push_back(std::chrono::duration<double, std::milli>(now - frameStart).count());
    }
  });
  QTimer pan;
  pan.setInterval(0);
  int step = 0;
  QObject::connect(&pan, &QTimer::timeout, [&] {
    if (!panning) return;
    if (Clock::now() >= panUntil) {
      QGuiApplication::exit(0);
      return;
    }
    // Back and forth so the same tiles stay in view.
    double dx = (step++ / 60) % 2 == 0 ? 3 : -3;
    view->panBy(dx, dx / 2);
  });
  pan.start();
  QTimer limit;
  limit.setSingleShot(true);
  QObject::connect(&limit, &QTimer::timeout, [&] {
    std::cerr << "bench console: the map did not show " << wantFeatures << " features in 120 s (it showed "
              << view->features() << ")\n";
    QGuiApplication::exit(1);
  });
  limit.start(120000 + static_cast<int>(seconds * 1000));
  shown = Clock::now();
  window.show();
  if (QGuiApplication::exec() != 0) throw std::runtime_error("map never complete");
  run.features = std::max(run.features, view->features());
  return run;
}

}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"liandong-bench-console: map frame time against drawing every feature every frame"};
  std::string db, out, geo;
  double seconds = 4;
  int width = 1280, height = 800;
  app.add_option("--db", db, "libpq connection string")->required();
  app.add_option("--geo", geo, "folder of the region files (configs/data/geo)")->required();
  app.add_option("--seconds", seconds, "panning time per run");
  app.add_option("--json", out, "write results here");
  CLI11_PARSE(app, argc, argv);
  qputenv("QSG_RENDER_LOOP", "basic");  // sync and render on this thread: frames are timed whole
  QGuiApplication qapp(argc, argv);
  logging::setup("warn", "bench-console");
  try {
    {
      pqxx::connection c(db);
      mapping::MigrationRunner(c).migrate();
      for (const char *f : {"province-440000.geojson", "cities-440000.geojson", "counties-440100.geojson"})
        mapping::importRegionsGeoJson(c, geo + "/" + f);
    }
    nlohmann::json j;
    std::uint64_t have = 0;
    for (int n : {5000, 50000}) {
      {
        pqxx::connection c(db);
        mapping::GeneratorOptions g;
        g.sensors = static_cast<std::uint64_t>(n) - have;
        g.within = "440113";
        g.seed = n;
        mapping::generateAssets(c, g);
        pqxx::nontransaction(c).exec("VACUUM ANALYZE sensors");
        have = static_cast<std::uint64_t>(n);
      }
      // Sensors just outside the view are in the tiles too: count what the map holds.
      int want = n * 9 / 10;
      auto cached = measure(db, true, want, seconds, width, height);
      auto naive = measure(db, false, want, seconds, width, height);
      std::string k = n == 5000 ? "5k" : "50k";
      j["frame_ms_p50_" + k] = percentile(cached.frames, 0.5);
      j["frame_ms_p99_" + k] = percentile(cached.frames, 0.99);
      j["frames_" + k] = cached.frames.size();
      j["features_in_view_" + k] = cached.features;
      j["naive_frame_ms_p50_" + k] = percentile(naive.frames, 0.5);
      j["naive_frame_ms_p99_" + k] = percentile(naive.frames, 0.99);
      j["speedup_p99_" + k] =
          percentile(naive.frames, 0.99) / std::max(1e-6, percentile(cached.frames, 0.99));
      j["start_to_map_ms_" + k] = cached.startToMapMs;
      if (n == 5000) j["start_to_map_ms"] = cached.startToMapMs;
      std::cerr << fmt::format(
          "{} sensors: {} in view, frame p50 {:.2f} ms p99 {:.2f} ms; drawing everything "
          "every frame p50 {:.2f} p99 {:.2f}; first map {:.0f} ms\n",
          n, cached.features, percentile(cached.frames, 0.5), percentile(cached.frames, 0.99),
          percentile(naive.frames, 0.5), percentile(naive.frames, 0.99), cached.startToMapMs);
    }
    j["width"] = width;
    j["height"] = height;
    j["platform"] = QGuiApplication::platformName().toStdString();
    j["renderer"] =
        "QSG_RENDER_LOOP=basic; " + qEnvironmentVariable("QT_QUICK_BACKEND", "default").toStdString();
    if (!out.empty()) std::ofstream(out) << j.dump(2) << "\n";
    std::cout << j.dump(2) << "\n";
  } catch (const std::exception &e) {
    std::cerr << "bench console: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
