// liandong-camera-sim: a camera simulator for tests and the demo. A real
// RTSP server (gst-rtsp-server) serving N cameras at
// rtsp://HOST:PORT/cam/<n> (n = 1..N), each a videotestsrc with a running
// clock overlay (and the stream time to the millisecond, something that
// moves, as a real scene does), encoded to H.264 (x264enc, or openh264enc where x264 is not
// installed) or with --codec h265 to H.265 (x265enc). With --footage FILE
// the cameras play a real video instead (Debian's opencv-doc ships a street
// scene, examples/data/vtest.avi), looped, with the same clock. With
// --passthrough FILE (an H.264 byte stream, e.g. the benchmark's 1080p clip)
// nothing is encoded at all: the file's access units are read once into
// memory and every camera sends the same ones, looped and paced to the
// clock, each with an SEI (user data unregistered, kSeiUuid) carrying the
// wall-clock µs when it left the camera, so a viewer can measure
// glass-to-glass latency (scripts/bench-video); this is how one machine
// plays 200 cameras. Commands, one a line, on stdin or on a FIFO
// (--control):
//   drop N     stop serving camera N (its sessions are closed, DESCRIBE gets 404)
//   stall N    keep the sessions but send no frames
//   freeze N   frames go on with one still picture
//   black N    frames go on, all black
//   cover N    frames go on, a flat grey picture with the clock (a covered lens)
//   move N     frames go on, the picture turned upside down (the view moved)
//   restore N  back to normal
//   sessions   print the session counts
// Prints "listening on rtsp://..." when ready and one line per RTSP session
// opened or closed with the counts per camera ("cam/1 sessions: active 1,
// total 1"), which the tests read to prove that the node holds exactly one
// upstream connection per camera.
#include <fcntl.h>
#include <glib-unix.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gst/rtsp-server/rtsp-server.h>

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "liandong/core/daemon.h"
#include "liandong/core/errors.h"
#include "liandong/ingest/camera/gst_util.h"

using namespace liandong;
namespace gst = liandong::ingest::gst;

// Under ASan (scripts/build --sanitize), third-party memory kept until exit
// is not ours to fix: GLib's first quark table (dropped by design once
// GStreamer's quarks outgrow it; only the slow unwinder reaches its
// _dl_init frame; later tables it outgrows, from g_intern_string) and
// fontconfig's caches behind clockoverlay. The
// environment's ASAN_OPTIONS and LSAN_OPTIONS still win. Unused otherwise.
extern "C" __attribute__((used, visibility("default"))) const char *__asan_default_options() {
  return "fast_unwind_on_malloc=0";
}
extern "C" __attribute__((used, visibility("default"))) const char *__lsan_default_suppressions() {
  return "leak:_dl_init\nleak:g_intern_string\nleak:g_quark_from_string\nleak:g_quark_from_static_"
         "string\nleak:libfontconfig.so\n";
}

namespace {

struct Camera {
  int n = 0;
  std::string path;
  gst::GObjectPtr<GstRTSPMediaFactory> factory;  // our reference (the mount points hold another)
  bool mounted = true;
  bool stalled = false, frozen = false, black = false, covered = false, moved = false;
  int active = 0, total = 0;
  std::vector<gst::Ptr<GstElement>> media;  // the pipelines of the current media (normally one: shared)
};

struct Sim {
  gst::GObjectPtr<GstRTSPServer> server;
  gst::GObjectPtr<GstRTSPMountPoints> mounts;
  std::vector<Camera> cameras;
  std::map<GstRTSPClient *, std::set<int>> clientCameras;  // camera numbers each client plays
  GMainLoop *loop = nullptr;
  std::string pending;   // partial command line
  bool footage = false;  // cameras play real footage (--footage), not the test pattern
  // --passthrough: the clip's access units (keyframe first), the next to
  // send, how many went out since the start, and when that was.
  std::vector<gst::MiniPtr<GstBuffer>> clip;
  int fps = 15;
  std::size_t nextFrame = 0;
  std::int64_t sent = 0;
  std::chrono::steady_clock::time_point started;
};

Sim *g_sim = nullptr;

void say(const std::string &line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

void printSessions(const Camera &c) {
  say(fmt::format("{} sessions: active {}, total {}", c.path.substr(1), c.active, c.total));
}

// Applies the camera's stall/freeze/black flags to its live media.
void apply(Camera &c) {
  for (auto &bin : c.media) {
    gst::Ptr<GstElement> src(gst_bin_get_by_name(GST_BIN(bin.get()), "src"));
    gst::Ptr<GstElement> overlay(gst_bin_get_by_name(GST_BIN(bin.get()), "overlay"));
    gst::Ptr<GstElement> valve(gst_bin_get_by_name(GST_BIN(bin.get()), "valve"));
    gst::Ptr<GstElement> flip(gst_bin_get_by_name(GST_BIN(bin.get()), "flip"));
    if (src) {
      g_object_set(src.get(), "foreground-color", 0xff808080u, nullptr);  // grey, for solid-color
      gst_util_set_object_arg(G_OBJECT(src.get()), "pattern",
                              c.black     ? "black"
                              : c.covered ? "solid-color"
                                          : "smpte");
    }
    gst::Ptr<GstElement> balance(gst_bin_get_by_name(GST_BIN(bin.get()), "balance"));
    if (balance)  // footage: black, or a flat grey (contrast 0 flattens, brightness sets the level)
      g_object_set(balance.get(), "contrast", c.black || c.covered ? 0.0 : 1.0, "brightness",
                   c.black     ? -1.0
                   : c.covered ? 0.45
                               : 0.0,
                   "saturation", c.covered ? 0.0 : 1.0, nullptr);
    if (flip) gst_util_set_object_arg(G_OBJECT(flip.get()), "method", c.moved ? "rotate-180" : "none");
    if (overlay) g_object_set(overlay.get(), "silent", c.black || c.frozen ? TRUE : FALSE, nullptr);
    gst::Ptr<GstElement> elapsed(gst_bin_get_by_name(GST_BIN(bin.get()), "elapsed"));
    if (elapsed) g_object_set(elapsed.get(), "silent", c.black || c.frozen ? TRUE : FALSE, nullptr);
    if (valve) g_object_set(valve.get(), "drop", c.stalled ? TRUE : FALSE, nullptr);
  }
}

// The UUID of the simulator's timestamp SEI (user data unregistered); the
// 8 bytes after it are the wall-clock µs since the epoch, big-endian.
constexpr std::uint8_t kSeiUuid[16] = {0x6c, 0x69, 0x61, 0x6e, 0x64, 0x6f, 0x6e, 0x67,
                                       0x2d, 0x67, 0x32, 0x67, 0x2d, 0x74, 0x73, 0x31};  // "liandong-g2g-ts1"

// An SEI NAL (with its start code) carrying `us`, emulation-prevented.
std::vector<std::uint8_t> timestampSei(std::int64_t us) {
  std::vector<std::uint8_t> rbsp = {5, 24};  // payload type 5, size 16 + 8
  rbsp.insert(rbsp.end(), std::begin(kSeiUuid), std::end(kSeiUuid));
  for (int i = 7; i >= 0; --i)
    rbsp.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(us) >> (8 * i)));
  rbsp.push_back(0x80);  // rbsp trailing bits
  std::vector<std::uint8_t> nal = {0, 0, 0, 1, 6};
  int zeros = 0;
  for (auto b : rbsp) {
    if (zeros >= 2 && b <= 3) {
      nal.push_back(3);
      zeros = 0;
    }
    nal.push_back(b);
    zeros = b == 0 ? zeros + 1 : 0;
  }
  return nal;
}

// Where the first coded slice (NAL type 1 or 5) of a byte-stream access
// unit starts, its start code included; the SEI goes just before it.
std::size_t firstSliceOffset(const std::uint8_t *d, std::size_t n) {
  for (std::size_t i = 0; i + 3 < n; ++i) {
    if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1) {
      int type = d[i + 3] & 0x1f;
      if (type == 1 || type == 5) return i > 0 && d[i - 1] == 0 ? i - 1 : i;
    }
  }
  return 0;
}

// Reads an H.264 byte stream into access units (h264parse splits it).
std::vector<gst::MiniPtr<GstBuffer>> loadClip(const std::string &file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) throw Error("no clip file " + file);
  auto pipeline = gst::parseLaunch(
      fmt::format("filesrc location=\"{}\" ! h264parse ! video/x-h264,stream-format=byte-stream,alignment=au "
                  "! appsink name=sink sync=false max-buffers=0",
                  file));
  auto sink = gst::byName(pipeline.get(), "sink");
  gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
  std::vector<gst::MiniPtr<GstBuffer>> out;
  for (;;) {
    gst::MiniPtr<GstSample> s(gst_app_sink_try_pull_sample(GST_APP_SINK(sink.get()), 10 * GST_SECOND));
    if (!s) break;
    GstBuffer *b = gst_sample_get_buffer(s.get());
    if (!b) continue;
    bool key = !GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DELTA_UNIT);
    if (out.empty() && !key) continue;  // start on a keyframe
    out.emplace_back(gst_buffer_ref(b));
  }
  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  if (out.empty()) throw Error("no H.264 access unit in " + file);
  return out;
}

// The main loop, every few ms: the access units due by now go to every
// camera that has a media, each with its timestamp SEI.
gboolean sendDue(gpointer) {
  if (!g_sim) return G_SOURCE_REMOVE;
  auto &sim = *g_sim;
  auto elapsed = std::chrono::steady_clock::now() - sim.started;
  auto due = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count() * sim.fps / 1000000;
  for (; sim.sent < due; ++sim.sent) {
    GstBuffer *au = sim.clip[sim.nextFrame].get();
    sim.nextFrame = (sim.nextFrame + 1) % sim.clip.size();
    GstMapInfo map;
    if (!gst_buffer_map(au, &map, GST_MAP_READ)) continue;
    auto at = firstSliceOffset(map.data, map.size);
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    auto sei = timestampSei(us);
    GstBuffer *frame = gst_buffer_new_allocate(nullptr, map.size + sei.size(), nullptr);
    gst_buffer_fill(frame, 0, map.data, at);
    gst_buffer_fill(frame, at, sei.data(), sei.size());
    gst_buffer_fill(frame, at + sei.size(), map.data + at, map.size - at);
    gst_buffer_unmap(au, &map);
    if (GST_BUFFER_FLAG_IS_SET(au, GST_BUFFER_FLAG_DELTA_UNIT))
      GST_BUFFER_FLAG_SET(frame, GST_BUFFER_FLAG_DELTA_UNIT);
    for (auto &c : sim.cameras) {
      if (c.stalled) continue;
      for (auto &bin : c.media) {
        gst::Ptr<GstElement> src(gst_bin_get_by_name(GST_BIN(bin.get()), "src"));
        if (src) gst_app_src_push_buffer(GST_APP_SRC(src.get()), gst_buffer_ref(frame));
      }
    }
    gst_buffer_unref(frame);
  }
  return G_SOURCE_CONTINUE;
}

Camera *cameraOfPath(const char *abspath) {
  if (!abspath) return nullptr;
  for (auto &c : g_sim->cameras)
    if (c.path == abspath) return &c;
  return nullptr;
}

// The RTSP server may still signal while the simulator shuts down: every
// callback checks that the simulator is there.
void onMediaUnprepared(GstRTSPMedia *media, gpointer data) {
  if (!g_sim) return;
  auto &c = g_sim->cameras[GPOINTER_TO_INT(data)];
  gst::Ptr<GstElement> bin(gst_rtsp_media_get_element(media));
  std::erase_if(c.media, [&](const gst::Ptr<GstElement> &e) { return e.get() == bin.get(); });
}

void onMediaConfigure(GstRTSPMediaFactory *, GstRTSPMedia *media, gpointer data) {
  if (!g_sim) return;
  auto &c = g_sim->cameras[GPOINTER_TO_INT(data)];
  c.media.emplace_back(gst_rtsp_media_get_element(media));
  g_signal_connect(media, "unprepared", G_CALLBACK(onMediaUnprepared), data);
  apply(c);
}

void onPlay(GstRTSPClient *client, GstRTSPContext *ctx, gpointer) {
  if (!g_sim) return;
  auto *c = cameraOfPath(ctx && ctx->uri ? ctx->uri->abspath : nullptr);
  if (!c) return;
  if (!g_sim->clientCameras[client].insert(c->n).second) return;  // a repeated PLAY of one session
  ++c->active;
  ++c->total;
  printSessions(*c);
}

void forgetClient(GstRTSPClient *client) {
  if (!g_sim) return;
  auto it = g_sim->clientCameras.find(client);
  if (it == g_sim->clientCameras.end()) return;
  for (int n : it->second) {
    auto &c = g_sim->cameras[n - 1];
    --c.active;
    printSessions(c);
  }
  g_sim->clientCameras.erase(it);
}

void onClosed(GstRTSPClient *client, gpointer) {
  forgetClient(client);
}

void onClientConnected(GstRTSPServer *, GstRTSPClient *client, gpointer) {
  g_signal_connect(client, "play-request", G_CALLBACK(onPlay), nullptr);
  g_signal_connect(client, "closed", G_CALLBACK(onClosed), nullptr);
}

GstRTSPFilterResult dropClientsOf(GstRTSPServer *, GstRTSPClient *client, gpointer data) {
  int n = GPOINTER_TO_INT(data);
  auto it = g_sim->clientCameras.find(client);
  if (it == g_sim->clientCameras.end() || !it->second.count(n)) return GST_RTSP_FILTER_KEEP;
  return GST_RTSP_FILTER_REMOVE;
}

void command(const std::string &line) {
  std::istringstream in(line);
  std::string verb;
  int n = 0;
  in >> verb >> n;
  if (verb.empty()) return;
  if (verb == "sessions") {
    for (auto &c : g_sim->cameras) printSessions(c);
    return;
  }
  if (verb == "quit") {
    g_main_loop_quit(g_sim->loop);
    return;
  }
  if (n < 1 || n > static_cast<int>(g_sim->cameras.size())) {
    say(fmt::format("error: no camera {} (in \"{}\")", n, line));
    return;
  }
  auto &c = g_sim->cameras[n - 1];
  if (verb == "drop") {
    if (c.mounted) {
      gst_rtsp_mount_points_remove_factory(g_sim->mounts.get(), c.path.c_str());
      c.mounted = false;
    }
    gst_rtsp_server_client_filter(g_sim->server.get(), dropClientsOf, GINT_TO_POINTER(n));
  } else if (!g_sim->clip.empty() && verb != "stall" && verb != "restore") {
    say("error: " + verb + " needs the test pattern (the simulator passes a clip through)");
    return;
  } else if (verb == "stall") {
    c.stalled = true;
  } else if (verb == "freeze") {
    if (g_sim->footage) {
      say("error: freeze needs the test pattern (the simulator plays footage)");
      return;
    }
    c.frozen = true;
  } else if (verb == "black") {
    c.black = true;
  } else if (verb == "cover") {
    c.covered = true;
  } else if (verb == "move") {
    c.moved = true;
  } else if (verb == "restore") {
    c.stalled = c.frozen = c.black = c.covered = c.moved = false;
    if (!c.mounted) {
      gst_rtsp_mount_points_add_factory(g_sim->mounts.get(), c.path.c_str(),
                                        GST_RTSP_MEDIA_FACTORY(g_object_ref(c.factory.get())));
      c.mounted = true;
    }
  } else {
    say(fmt::format(
        "error: unknown command \"{}\" (drop, stall, freeze, black, cover, move, restore N; sessions; quit)",
        verb));
    return;
  }
  apply(c);
  say(fmt::format("cam/{} {}", n, verb == "restore" ? "restored" : verb == "drop" ? "dropped" : verb));
}

gboolean onInput(gint fd, GIOCondition, gpointer) {
  char buf[512];
  auto got = ::read(fd, buf, sizeof buf);
  if (got <= 0) return G_SOURCE_REMOVE;  // stdin closed: keep serving, stop listening to it
  g_sim->pending.append(buf, static_cast<std::size_t>(got));
  std::size_t nl;
  while ((nl = g_sim->pending.find('\n')) != std::string::npos) {
    auto line = g_sim->pending.substr(0, nl);
    g_sim->pending.erase(0, nl + 1);
    command(line);
  }
  if (g_sim->pending.size() > 4096) g_sim->pending.clear();
  return G_SOURCE_CONTINUE;
}

// The camera source for --footage: the file transcoded once (cached next to
// the system's temporary files by name, size and rate) to H.264 at the
// cameras' size and rate, then decoded in a loop and paced to the clock.
std::string footageSource(const std::string &file, int width, int height, int fps) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) throw Error("no footage file " + file);
  auto cache = std::filesystem::temp_directory_path() /
               fmt::format("liandong-footage-{}-{}x{}-{}fps.h264",
                           std::filesystem::path(file).stem().string(), width, height, fps);
  if (!std::filesystem::exists(cache, ec) ||
      std::filesystem::last_write_time(cache, ec) < std::filesystem::last_write_time(file, ec)) {
    auto part = cache.string() + fmt::format(".{}.part", ::getpid());
    auto pipeline = gst::parseLaunch(
        fmt::format("filesrc location=\"{}\" ! decodebin ! videoconvert ! videoscale ! videorate "
                    "! video/x-raw,format=I420,width={},height={},framerate={}/1,pixel-aspect-ratio=1/1 "
                    "! x264enc speed-preset=ultrafast bitrate=8000 key-int-max={} ! h264parse "
                    "! video/x-h264,stream-format=byte-stream,alignment=au ! filesink location=\"{}\"",
                    file, width, height, fps, fps, part));
    gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
    gst::Ptr<GstBus> bus(gst_element_get_bus(pipeline.get()));
    gst::MiniPtr<GstMessage> msg(gst_bus_timed_pop_filtered(
        bus.get(), 600 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR)));
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    if (!msg || GST_MESSAGE_TYPE(msg.get()) != GST_MESSAGE_EOS) {
      std::string why = "it took too long";
      if (msg) {
        GError *raw = nullptr;
        gst_message_parse_error(msg.get(), &raw, nullptr);
        gst::ErrorPtr err(raw);
        why = err ? err->message : "error";
      }
      std::filesystem::remove(part, ec);
      throw Error("cannot transcode the footage " + file + ": " + why);
    }
    std::filesystem::rename(part, cache);  // whole or not at all, even with several simulators
  }
  return fmt::format(
      "multifilesrc name=file location=\"{}\" loop=true "
      "caps=\"video/x-h264,stream-format=byte-stream,alignment=au,framerate={}/1\" "
      "! h264parse ! avdec_h264 ! clocksync ! videoconvert ! videobalance name=balance",
      cache.string(), fps);
}

gboolean onStopSignal(gpointer loop) {
  g_main_loop_quit(static_cast<GMainLoop *>(loop));
  return G_SOURCE_CONTINUE;
}

}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"Liandong camera simulator: N RTSP cameras with a running clock"};
  std::string host = "127.0.0.1", control, encoder = "auto", codec = "h264";
  int port = 8554, count = 1, width = 640, height = 360, fps = 15, bitrateKbps = 1000;
  app.add_option("--host", host, "address to listen on");
  app.add_option("--port", port, "RTSP port (0 = any free port)");
  app.add_option("--cameras", count, "number of cameras")->check(CLI::Range(1, 1000));
  app.add_option("--width", width)->check(CLI::Range(16, 7680));
  app.add_option("--height", height)->check(CLI::Range(16, 4320));
  app.add_option("--fps", fps)->check(CLI::Range(1, 120));
  app.add_option("--bitrate-kbps", bitrateKbps)->check(CLI::Range(16, 100000));
  app.add_option("--encoder", encoder, "x264, openh264 or auto")
      ->check(CLI::IsMember({"auto", "x264", "openh264"}));
  app.add_option("--codec", codec, "h264 (default) or h265 (x265enc)")
      ->check(CLI::IsMember({"h264", "h265"}));
  app.add_option("--control", control, "also read commands from this FIFO (created if absent)");
  std::string passthrough;
  app.add_option("--passthrough", passthrough,
                 "send this H.264 byte stream (access units, keyframe first) to every camera, looped, "
                 "without encoding; each frame carries its send time in an SEI")
      ->excludes("--codec");
  std::string footage;
  app.add_option(
      "--footage", footage,
      "play this video file (e.g. /usr/share/doc/opencv-doc/examples/data/vtest.avi), looped, instead of "
      "the test pattern");
  std::string user, password;
  app.add_option("--user", user, "require RTSP Digest authentication as this user (like a real camera)");
  app.add_option("--password", password, "the password for --user")->needs("--user");
  CLI11_PARSE(app, argc, argv);

  try {
    gst::init();
    if (encoder == "auto") encoder = gst::hasElement("x264enc") ? "x264" : "openh264";
    std::string enc =
        encoder == "x264"
            ? fmt::format("x264enc tune=zerolatency speed-preset=ultrafast bitrate={} key-int-max={}",
                          bitrateKbps, fps)
            : fmt::format("openh264enc bitrate={} gop-size={}", bitrateKbps * 1000, fps);
    if (!gst::hasElement(encoder == "x264" ? "x264enc" : "openh264enc"))
      throw Error("the " + encoder + " encoder is not installed");
    if (codec == "h265") {
      if (!gst::hasElement("x265enc")) throw Error("the x265enc encoder (H.265) is not installed");
      encoder = "x265";
      enc = fmt::format("x265enc tune=zerolatency speed-preset=ultrafast bitrate={} key-int-max={}",
                        bitrateKbps, fps);
    }
    // Footage is transcoded once to an H.264 elementary stream at the
    // cameras' size and rate (kept in the temporary folder for the next
    // run); each camera decodes that, loops it, and encodes it again with
    // its clock, so every command but freeze works on it too.
    std::string source = fmt::format(
        "videotestsrc name=src is-live=true pattern=smpte ! video/x-raw,width={},height={},framerate={}/1",
        width, height, fps);
    if (!footage.empty()) source = footageSource(footage, width, height, fps);
    Sim sim;
    sim.footage = !footage.empty();
    sim.fps = fps;
    if (!passthrough.empty()) {
      sim.clip = loadClip(passthrough);
      encoder = fmt::format("passthrough of {} access units", sim.clip.size());
    }
    g_sim = &sim;
    gst::LoopPtr loop(g_main_loop_new(nullptr, FALSE));
    sim.loop = loop.get();
    sim.server.reset(gst_rtsp_server_new());
    auto service = std::to_string(port);
    g_object_set(sim.server.get(), "address", host.c_str(), "service", service.c_str(), nullptr);
    sim.mounts.reset(gst_rtsp_server_get_mount_points(sim.server.get()));
    sim.cameras.resize(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
      auto &c = sim.cameras[static_cast<std::size_t>(i)];
      c.n = i + 1;
      c.path = fmt::format("/cam/{}", c.n);
      auto launch = fmt::format(
          "( {} ! videoflip name=flip method=none "
          "! clockoverlay name=overlay text=\"cam {}\" time-format=\"%H:%M:%S\" halignment=left "
          "auto-resize=false font-desc=\"Sans Bold 14\" "
          "valignment=top shaded-background=true "
          "! timeoverlay name=elapsed halignment=right valignment=bottom auto-resize=false "
          "font-desc=\"Sans Bold 14\" shaded-background=true ! videoconvert ! {} ! {}parse ! valve "
          "name=valve "
          "! rtp{}pay name=pay0 pt=96 config-interval=-1 )",
          source, c.n, enc, codec, codec);
      if (!sim.clip.empty())  // the same access units for all; only payloading per camera
        launch =
            "( appsrc name=src is-live=true format=time do-timestamp=true max-bytes=8000000 "
            "leaky-type=downstream "
            "caps=\"video/x-h264,stream-format=byte-stream,alignment=au\" "
            "! rtph264pay name=pay0 pt=96 config-interval=-1 )";
      c.factory.reset(gst_rtsp_media_factory_new());
      gst_rtsp_media_factory_set_launch(c.factory.get(), launch.c_str());
      gst_rtsp_media_factory_set_shared(c.factory.get(), TRUE);
      if (!user.empty())  // only the one user may watch
        gst_rtsp_media_factory_add_role(c.factory.get(), "camera-user", GST_RTSP_PERM_MEDIA_FACTORY_ACCESS,
                                        G_TYPE_BOOLEAN, TRUE, GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT,
                                        G_TYPE_BOOLEAN, TRUE, nullptr);
      g_signal_connect(c.factory.get(), "media-configure", G_CALLBACK(onMediaConfigure), GINT_TO_POINTER(i));
      gst_rtsp_mount_points_add_factory(sim.mounts.get(), c.path.c_str(),
                                        GST_RTSP_MEDIA_FACTORY(g_object_ref(c.factory.get())));
    }
    if (!user.empty()) {
      // RTSP Digest (RFC 2617), as cameras ask for it.
      gst::GObjectPtr<GstRTSPAuth> auth(gst_rtsp_auth_new());
      gst_rtsp_auth_set_supported_methods(auth.get(), GST_RTSP_AUTH_DIGEST);
      GstRTSPToken *token =
          gst_rtsp_token_new(GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, "camera-user", nullptr);
      gst_rtsp_auth_add_digest(auth.get(), user.c_str(), password.c_str(), token);
      gst_rtsp_token_unref(token);
      gst_rtsp_server_set_auth(sim.server.get(), auth.get());
    }
    g_signal_connect(sim.server.get(), "client-connected", G_CALLBACK(onClientConnected), nullptr);
    auto id = gst_rtsp_server_attach(sim.server.get(), nullptr);
    if (id == 0) throw Error(fmt::format("cannot listen on {}:{}", host, port));
    g_unix_fd_add(0, G_IO_IN, onInput, nullptr);
    if (!sim.clip.empty()) {
      sim.started = std::chrono::steady_clock::now();
      g_timeout_add(5, sendDue, nullptr);
    }
    int controlFd = -1;
    if (!control.empty()) {
      if (::mkfifo(control.c_str(), 0600) != 0 && errno != EEXIST)
        throw SystemError("mkfifo " + control, errno);
      // O_RDWR: the open never waits for a writer, and the FIFO never reads
      // end-of-file when a writer closes.
      controlFd = ::open(control.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
      if (controlFd < 0) throw SystemError("open " + control, errno);
      g_unix_fd_add(controlFd, G_IO_IN, onInput, nullptr);
    }
    g_unix_signal_add(SIGINT, onStopSignal, loop.get());
    g_unix_signal_add(SIGTERM, onStopSignal, loop.get());
    say(fmt::format("listening on rtsp://{}:{}/cam/1..{} ({}x{} {} fps, {} kb/s, {})", host,
                    gst_rtsp_server_get_bound_port(sim.server.get()), count, width, height, fps, bitrateKbps,
                    encoder));
    g_main_loop_run(loop.get());
    gst_rtsp_server_client_filter(
        sim.server.get(), [](GstRTSPServer *, GstRTSPClient *, gpointer) { return GST_RTSP_FILTER_REMOVE; },
        nullptr);
    g_source_remove(id);
    while (g_main_context_iteration(nullptr, FALSE)) {
    }  // let the closed clients report
    if (controlFd >= 0) ::close(controlFd);
    for (auto &c : sim.cameras) c.media.clear();
    g_sim = nullptr;
    say("stopped");
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "liandong-camera-sim: %s\n", e.what());
    return kExitFailure;
  }
}
