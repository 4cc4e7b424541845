// ConsoleSettings: the console YAML, read in one place for both consoles —
// the text console (src/console_main.cpp) and the Qt Quick console
// (qt/console_app.cpp) — so that they accept the same file and refuse the
// same mistakes in the same words. No Qt here.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "liandong/core/link/clone.h"

namespace liandong::console {

struct ConsoleSettings {
  std::string id;
  std::string user;
  std::string language = "zh_CN";
  link::CloneClientOptions clone;
  std::string queryEndpoint;
  double longitude = 113.38, latitude = 22.95, zoom = 10;  // the map's first view
  // video: where to play a camera whose status carries no re-serve URL
  // ({id} is the camera id), snapshots folder, rtspsrc latency.
  std::string videoUrl, videoSubUrl;
  std::filesystem::path snapshots = "snapshots";
  int videoLatencyMs = 100;
  // wall: presets file (JSON), tour dwell time.
  std::filesystem::path wallPresets = "wall-presets.json";
  int tourDwellS = 20;
  // wall.screens: the screens (by name, as Qt names them) that each get a
  // wall window of their own; --wall-screens N takes the first N instead.
  std::vector<std::string> wallScreens;
  // alarm: incidents at this level or above (1 = Ⅰ … 4 = Ⅳ) raise the
  // banner, the sound and the wall's pop-up for popup_s seconds.
  int alarmLevel = 2;
  int alarmPopupS = 60;
  bool alarmSound = true;
  // Where the alarm tone goes: a GStreamer sink description (the machine's
  // sound output by default; a file sink to record it, as the tests do).
  std::string alarmSoundSink = "autoaudiosink";

  // Reads the console YAML (console: id keys region language user; centre:
  // updates snapshot query public_key; map: longitude latitude zoom; video:
  // url sub_url snapshots latency_ms; wall: presets tour_dwell_s
  // screens; alarm: level popup_s sound sound_sink). The keys come from
  // core's readOwnKeys/readPublicKey. Throws ConfigError naming file, line
  // and key.
  static ConsoleSettings load(const std::filesystem::path &file);
};

}  // namespace liandong::console
