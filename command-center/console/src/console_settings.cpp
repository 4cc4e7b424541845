// ConsoleSettings::load: the console YAML for both consoles (see
// liandong/console/console_settings.h).
#include "liandong/console/console_settings.h"

#include "liandong/core/config.h"
#include "liandong/core/peer_config.h"

namespace liandong::console {

ConsoleSettings ConsoleSettings::load(const std::filesystem::path &file) {
  ConsoleSettings s;
  auto cfg = ConfigNode::loadFile(file);
  auto console = cfg.child("console");
  s.id = console.str("id");
  s.clone.keys = readOwnKeys(console, s.id);
  s.clone.regionFilter = console.str("region", "");
  s.language = console.choice("language", {"zh_CN", "en"}, "zh_CN");
  s.user = console.str("user", "");
  auto centre = cfg.child("centre");
  s.clone.updatesEndpoint = centre.str("updates");
  s.clone.snapshotEndpoint = centre.str("snapshot");
  s.queryEndpoint = centre.str("query", "");
  s.clone.serverPublicZ85 = readPublicKey(centre);
  if (auto m = cfg.optionalChild("map")) {
    s.longitude = m->number("longitude", s.longitude);
    s.latitude = m->number("latitude", s.latitude);
    s.zoom = m->number("zoom", s.zoom);
  }
  if (auto v = cfg.optionalChild("video")) {
    s.videoUrl = v->str("url", "");
    s.videoSubUrl = v->str("sub_url", "");
    for (const char *key : {"url", "sub_url"}) {
      auto url = v->str(key, "");
      if (!url.empty() && url.rfind("rtsp://", 0) != 0) v->fail(key, "not an rtsp:// URL");
    }
    s.snapshots = v->path("snapshots", s.snapshots);
    s.videoLatencyMs = static_cast<int>(v->integer("latency_ms", s.videoLatencyMs));
    if (s.videoLatencyMs < 0 || s.videoLatencyMs > 5000) v->fail("latency_ms", "must be 0..5000");
  }
  if (auto w = cfg.optionalChild("wall")) {
    s.wallPresets = w->path("presets", s.wallPresets);
    s.tourDwellS = static_cast<int>(w->integer("tour_dwell_s", s.tourDwellS));
    if (s.tourDwellS < 2 || s.tourDwellS > 3600) w->fail("tour_dwell_s", "must be 2..3600 seconds");
    s.wallScreens = w->strings("screens");
  }
  if (auto a = cfg.optionalChild("alarm")) {
    s.alarmLevel = static_cast<int>(a->integer("level", s.alarmLevel));
    if (s.alarmLevel < 1 || s.alarmLevel > 4) a->fail("level", "must be 1 (Ⅰ) .. 4 (Ⅳ)");
    s.alarmPopupS = static_cast<int>(a->integer("popup_s", s.alarmPopupS));
    if (s.alarmPopupS < 1 || s.alarmPopupS > 3600) a->fail("popup_s", "must be 1..3600 seconds");
    s.alarmSound = a->boolean("sound", s.alarmSound);
    s.alarmSoundSink = a->str("sound_sink", s.alarmSoundSink);
    if (s.alarmSoundSink.empty()) a->fail("sound_sink", "must name a GStreamer sink (default autoaudiosink)");
  }
  cfg.rejectUnknown();
  return s;
}

}  // namespace liandong::console
