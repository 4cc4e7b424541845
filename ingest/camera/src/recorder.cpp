// The camera hub's recordings (see camera_hub.h): continuous recording in
// segments and event recordings with pre-roll from the event ring
// (appsrc ! h26xparse ! splitmuxsink, no re-encode), the RecordingSegment
// of each finished file, retention (recording.h) and the files announced
// again at start. The pipelines change state on the hub's worker thread;
// access units come in on the live loop's thread (record, keepInRing).
#include <gst/app/gstappsrc.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "camera_hub_impl.h"
#include "liandong/core/clock.h"
#include "liandong/core/errors.h"

namespace liandong::ingest {

namespace {

// splitmuxsink's streaming thread: the name of the next file, from the
// wall-clock time of its first frame.
gchar *onFormatLocation(GstElement *, guint, GstSample *first, gpointer data) {
  auto &rec = *static_cast<Recorder *>(data);
  std::lock_guard lock(rec.mu);
  GstBuffer *b = first ? gst_sample_get_buffer(first) : nullptr;
  auto start = rec.baseUs;
  if (b && GST_BUFFER_PTS_IS_VALID(b)) start += static_cast<std::int64_t>(GST_BUFFER_PTS(b) / 1000);
  auto path = (rec.dir / segmentFileName(start)).string();
  rec.open[path] = start;
  return g_strdup(path.c_str());
}

struct RecorderBus {
  CameraHub::Impl *self;
  Feed *feed;
  Recorder *rec;
};

}  // namespace

// Times are the camera's (its RTP clock placed on ours), made to start at 0
// at the recording's first keyframe.
void record(Recorder &rec, GstBuffer *buffer, bool keyframe, std::int64_t arrivedUs) {
  std::lock_guard lock(rec.mu);
  if (!rec.started) {
    if (!keyframe) return;  // a file must start with a keyframe
    rec.started = true;
    rec.basePts = GST_BUFFER_PTS(buffer);
    rec.baseUs = arrivedUs;
  }
  GstBuffer *copy = gst_buffer_copy(buffer);
  auto pts = GST_BUFFER_PTS(buffer), dts = GST_BUFFER_DTS(buffer);
  if (GST_CLOCK_TIME_IS_VALID(rec.basePts) && GST_CLOCK_TIME_IS_VALID(pts) && pts >= rec.basePts) {
    GST_BUFFER_PTS(copy) = pts - rec.basePts;
    GST_BUFFER_DTS(copy) =
        GST_CLOCK_TIME_IS_VALID(dts) && dts >= rec.basePts ? dts - rec.basePts : GST_CLOCK_TIME_NONE;
  } else if (!GST_CLOCK_TIME_IS_VALID(pts) && GST_CLOCK_TIME_IS_VALID(rec.lastPts)) {
    // The rest of a frame that came in more than one buffer (slices that
    // repeat SPS/PPS): just after its frame, so the muxer's times still rise.
    GST_BUFFER_PTS(copy) = rec.lastPts + 1;
    GST_BUFFER_DTS(copy) = GST_CLOCK_TIME_NONE;
  } else {  // no usable upstream time: the arrival time
    GST_BUFFER_PTS(copy) =
        static_cast<GstClockTime>(std::max<std::int64_t>(0, arrivedUs - rec.baseUs)) * 1000;
    GST_BUFFER_DTS(copy) = GST_CLOCK_TIME_NONE;
  }
  rec.lastPts = GST_BUFFER_PTS(copy);
  gst_app_src_push_buffer(GST_APP_SRC(rec.appsrc.get()), copy);  // takes the copy
}

// Under f.mu: the event ring then starts at the last keyframe at or before ringUs ago.
void keepInRing(Feed &f, GstBuffer *buffer, bool keyframe, std::int64_t arrivedUs) {
  if (f.ring.empty() && !keyframe) return;
  f.ring.push_back({gst::MiniPtr<GstBuffer>(gst_buffer_ref(buffer)), arrivedUs, keyframe});
  f.ringBytes += gst_buffer_get_size(buffer);
  auto cutoff = arrivedUs - f.ringUs;
  for (;;) {
    auto next = std::find_if(f.ring.begin() + 1, f.ring.end(), [](const RingEntry &e) { return e.keyframe; });
    if (next == f.ring.end() || (next->arrivedUs > cutoff && f.ringBytes <= kMaxRingBytes)) break;
    for (auto it = f.ring.begin(); it != next; ++it) f.ringBytes -= gst_buffer_get_size(it->buffer.get());
    f.ring.erase(f.ring.begin(), next);
  }
}

void CameraHub::Impl::startRecorder(Feed &f) {
  if (!options.recording || !f.spec.record || f.recorder || steadyMs() < f.recordRetryMs) return;
  try {
    auto rec = makeRecorder(f, false);
    if (!rec) return;  // no stream yet: the next tick tries again
    std::lock_guard lock(f.mu);
    f.recorder = std::move(rec);
  } catch (const Error &e) {
    log->error("camera {}: cannot record: {}", f.spec.id, e.what());
    f.recordRetryMs = steadyMs() + 10000;
  }
}

// A recording pipeline for one camera, playing and waiting for its first
// keyframe: segments of the camera's length under <dir>/<camera>, or one
// file under <dir>/<camera>/events (`event`). nullptr while the camera has
// sent no video; throws Error when it cannot start.
std::shared_ptr<Recorder> CameraHub::Impl::makeRecorder(Feed &f, bool event) {
  gst::MiniPtr<GstCaps> caps;
  {
    std::lock_guard lock(f.mu);
    if (!f.caps) return nullptr;
    caps.reset(gst_caps_ref(f.caps.get()));
  }
  auto rec = std::make_shared<Recorder>();
  rec->cameraId = f.spec.id;
  rec->dir = options.recording->dir / f.spec.id;
  if (event) rec->dir /= "events";
  rec->event = event;
  std::error_code ec;
  std::filesystem::create_directories(rec->dir, ec);
  if (ec) throw Error("cannot create " + rec->dir.string() + ": " + ec.message());
  const Codec &codec = codecOf(caps.get());
  auto pipeline = gst::parseLaunch(
      fmt::format("appsrc name=src is-live=true format=time max-bytes={} "
                  "! {} ! video/x-{},stream-format={},alignment=au ! splitmuxsink name=mux",
                  event ? kMaxRingBytes + 16000000 : 16000000, codec.parse, codec.name, codec.mp4Format));
  auto mux = gst::byName(pipeline.get(), "mux");
  double segmentS = event ? 0 : f.spec.segmentS > 0 ? f.spec.segmentS : options.recording->segmentS;
  // Robust muxing: mp4mux rewrites its index every second into space
  // reserved up front, so a file cut short by a crash or power loss
  // still plays up to the last second.
  auto muxer = gst::sinkRef(gst_element_factory_make("mp4mux", nullptr));
  if (!muxer) throw Error("mp4mux is not installed");
  g_object_set(muxer.get(), "reserved-moov-update-period", static_cast<guint64>(GST_SECOND), nullptr);
  g_object_set(mux.get(), "max-size-time", static_cast<guint64>(segmentS * GST_SECOND), "muxer", muxer.get(),
               "use-robust-muxing", TRUE, nullptr);
  if (event)  // one file, however long: reserve index space for an hour
    g_object_set(muxer.get(), "reserved-max-duration", static_cast<guint64>(3600 * GST_SECOND), nullptr);
  g_signal_connect(mux.get(), "format-location-full", G_CALLBACK(onFormatLocation), rec.get());
  rec->appsrc = gst::byName(pipeline.get(), "src");
  // A disk that cannot keep up loses old frames rather than growing memory.
  gst_util_set_object_arg(G_OBJECT(rec->appsrc.get()), "leaky-type", "downstream");
  gst_app_src_set_caps(GST_APP_SRC(rec->appsrc.get()), caps.get());
  gst::Ptr<GstBus> bus(gst_element_get_bus(pipeline.get()));
  rec->busWatch.reset(gst_bus_create_watch(bus.get()));
  g_source_set_callback(
      rec->busWatch.get(), reinterpret_cast<GSourceFunc>(reinterpret_cast<void (*)()>(onRecorderBus)),
      new RecorderBus{this, &f, rec.get()}, [](gpointer p) { delete static_cast<RecorderBus *>(p); });
  g_source_attach(rec->busWatch.get(), context.get());
  rec->pipeline = std::move(pipeline);
  if (gst_element_set_state(rec->pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    gst_element_set_state(rec->pipeline.get(), GST_STATE_NULL);
    throw Error("the recording pipeline did not start");
  }
  return rec;
}

// Starts an event recording with the ring as pre-roll, or extends the one
// being written to `eventPostS` from now.
bool CameraHub::Impl::triggerEvent(Feed &f, const std::string &trigger) {
  if (f.ringUs < 0 || f.isSub) return false;
  f.eventUntilUs =
      std::max(f.eventUntilUs, nowUs() + static_cast<std::int64_t>(options.recording->eventPostS * 1e6));
  {
    std::lock_guard lock(f.mu);
    if (f.eventRecorder) {
      log->info("camera {}: event recording extended ({})", f.spec.id, trigger);
      return true;
    }
  }
  try {
    auto rec = makeRecorder(f, true);
    if (!rec) return false;
    rec->trigger = trigger;
    std::lock_guard lock(f.mu);
    std::int64_t from = f.ring.empty() ? 0 : f.ring.front().arrivedUs;
    for (auto &e : f.ring) record(*rec, e.buffer.get(), e.keyframe, e.arrivedUs);
    f.eventRecorder = std::move(rec);
    log->info("camera {}: event recording ({}), pre-roll {:.1f} s", f.spec.id, trigger,
              from ? (f.lastFrameUs - from) / 1e6 : 0.0);
    return true;
  } catch (const Error &e) {
    log->error("camera {}: cannot record the event: {}", f.spec.id, e.what());
    return false;
  }
}

// Ends the recording being fed: EOS finishes its last file. With `wait`,
// here and now (bounded); otherwise its bus watch finishes it.
void CameraHub::Impl::closeRecorder(Feed &f, bool wait) {
  std::shared_ptr<Recorder> rec;
  {
    std::lock_guard lock(f.mu);
    rec = std::move(f.recorder);
    f.recorder.reset();
  }
  if (rec) {
    gst_app_src_end_of_stream(GST_APP_SRC(rec->appsrc.get()));
    f.closing.push_back(std::move(rec));
  }
  closeEvent(f);
  if (!wait) return;
  for (auto &c : std::exchange(f.closing, {})) {
    c->busWatch.reset();
    gst::Ptr<GstBus> bus(gst_element_get_bus(c->pipeline.get()));
    auto deadline = steadyMs() + 10000;
    while (steadyMs() < deadline) {
      gst::MiniPtr<GstMessage> msg(gst_bus_timed_pop(bus.get(), 100 * GST_MSECOND));
      if (msg && recorderMessage(f, *c, msg.get())) break;
    }
    gst_element_set_state(c->pipeline.get(), GST_STATE_NULL);
  }
}

// Ends the event recording being fed (its bus watch finishes the file).
void CameraHub::Impl::closeEvent(Feed &f) {
  std::shared_ptr<Recorder> rec;
  {
    std::lock_guard lock(f.mu);
    rec = std::exchange(f.eventRecorder, nullptr);
  }
  f.eventUntilUs = 0;
  if (!rec) return;
  gst_app_src_end_of_stream(GST_APP_SRC(rec->appsrc.get()));
  f.closing.push_back(std::move(rec));
}

// A message of a recording; true when the recording is over (EOS or error).
bool CameraHub::Impl::recorderMessage(Feed &f, Recorder &rec, GstMessage *msg) {
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ELEMENT: {
      const GstStructure *st = gst_message_get_structure(msg);
      if (!st || !gst_structure_has_name(st, "splitmuxsink-fragment-closed")) return false;
      const char *location = gst_structure_get_string(st, "location");
      GstClockTime rt = GST_CLOCK_TIME_NONE;
      gst_structure_get_clock_time(st, "running-time", &rt);
      if (location) segmentClosed(rec, location, rt);
      return false;
    }
    case GST_MESSAGE_EOS: return true;
    case GST_MESSAGE_ERROR: {
      GError *raw = nullptr;
      gst_message_parse_error(msg, &raw, nullptr);
      gst::ErrorPtr err(raw);
      log->error("camera {}: recording failed: {}", rec.cameraId, err ? err->message : "error");
      f.recordRetryMs = steadyMs() + 5000;
      return true;
    }
    default: return false;
  }
}

gboolean CameraHub::Impl::onRecorderBus(GstBus *, GstMessage *msg, gpointer data) {
  auto d = *static_cast<RecorderBus *>(data);  // a copy: finishing destroys this watch
  try {
    if (!d.self->recorderMessage(*d.feed, *d.rec, msg)) return G_SOURCE_CONTINUE;
    gst_element_set_state(d.rec->pipeline.get(), GST_STATE_NULL);
    std::shared_ptr<Recorder> keep;  // destroyed last, after it left the lists
    {
      std::lock_guard lock(d.feed->mu);
      if (d.feed->recorder.get() == d.rec) keep = std::exchange(d.feed->recorder, nullptr);
      if (d.feed->eventRecorder.get() == d.rec) keep = std::exchange(d.feed->eventRecorder, nullptr);
    }
    auto &closing = d.feed->closing;
    for (auto it = closing.begin(); it != closing.end(); ++it)
      if (it->get() == d.rec) {
        keep = std::move(*it);
        closing.erase(it);
        break;
      }
  } catch (const std::exception &e) {
    d.self->log->error("camera {}: recording: {}", d.feed->spec.id, e.what());
  }
  return G_SOURCE_REMOVE;
}

void CameraHub::Impl::segmentClosed(Recorder &rec, const std::string &location, GstClockTime runningTime) {
  wire::RecordingSegment seg;
  {
    std::lock_guard lock(rec.mu);
    auto it = rec.open.find(location);
    seg.set_start_us(it != rec.open.end() ? it->second : rec.baseUs);
    if (it != rec.open.end()) rec.open.erase(it);
    auto end = GST_CLOCK_TIME_IS_VALID(runningTime)
                   ? rec.baseUs + static_cast<std::int64_t>(runningTime / 1000)
                   : nowUs();
    seg.set_end_us(std::max(end, seg.start_us()));
  }
  std::error_code ec;
  auto bytes = std::filesystem::file_size(location, ec);
  seg.set_camera_id(rec.cameraId);
  seg.set_path(location);
  if (rec.event) {
    seg.set_kind("event");
    seg.set_trigger(rec.trigger);
  }
  seg.set_bytes(ec ? 0 : bytes);
  log->info("camera {}: recorded {} ({:.1f} s, {} bytes)", rec.cameraId, location,
            (seg.end_us() - seg.start_us()) / 1e6, seg.bytes());
  std::lock_guard lock(changesMu);
  segments.push_back(std::move(seg));
  retentionDue = true;
}

// From evaluate(): retention when due.
void CameraHub::Impl::retention(std::int64_t now) {
  if (!options.recording) return;
  const auto &ro = *options.recording;
  bool due = (retentionDue && now - lastRetentionMs >= 2000) || now - lastRetentionMs >= 60000;
  if (!due && now - lastDiskCheckMs >= 5000) {
    lastDiskCheckMs = now;
    auto used = filesystemUsedPct(ro.dir);
    due = used && *used > ro.highWaterPct;
  }
  if (!due) return;
  retentionDue = false;
  lastRetentionMs = now;
  std::set<std::filesystem::path> open;
  auto collect = [&](Recorder &rec) {
    std::lock_guard lock(rec.mu);
    for (auto &[path, start] : rec.open) open.insert(path);
  };
  for (auto &[id, f] : *feeds) {
    std::shared_ptr<Recorder> active;
    {
      std::lock_guard lock(f->mu);
      active = f->recorder;
    }
    if (active) collect(*active);
    {
      std::lock_guard lock(f->mu);
      active = f->eventRecorder;
    }
    if (active) collect(*active);
    for (auto &c : f->closing) collect(*c);
  }
  auto used = [&] { return filesystemUsedPct(ro.dir).value_or(0); };
  reportPurged(applyRetention(ro, nowUs(), open, used), "");
  // Event recordings (<dir>/<camera>/events/) after the segments: by age
  // and by the high-water purge, not counted in the quota.
  auto eo = ro;
  eo.quotaBytes = 0;
  for (auto &[id, f] : *feeds) {
    if (f->isSub || f->ringUs < 0) continue;
    eo.dir = ro.dir / id;
    std::error_code ec;
    if (!std::filesystem::is_directory(eo.dir / "events", ec)) continue;
    auto purged = applyRetention(eo, nowUs(), open, used);
    for (auto &p : purged) p.file.cameraId = id;  // listed as a "camera" named events
    reportPurged(std::move(purged), "event");
  }
}

// The files retention deleted, logged and sent as removed segments.
void CameraHub::Impl::reportPurged(std::vector<Purged> purged, const std::string &kind) {
  if (purged.empty()) return;
  std::uint64_t bytes = 0;
  std::map<PurgeReason, int> byReason;
  for (const auto &p : purged) {
    bytes += p.file.bytes;
    ++byReason[p.reason];
  }
  const char *what = kind.empty() ? "segment(s)" : "event recording(s)";
  for (auto &[why, n] : byReason)
    (why == PurgeReason::HighWater
         ? log->warn("recordings: {} {} deleted by the {} rule", n, what, purgeReasonName(why))
         : log->info("recordings: {} {} deleted by the {} rule", n, what, purgeReasonName(why)));
  std::lock_guard lock(changesMu);
  for (const auto &p : purged) {
    wire::RecordingSegment seg;
    seg.set_camera_id(p.file.cameraId);
    seg.set_start_us(p.file.startUs);
    seg.set_end_us(std::max(p.file.startUs, p.file.modifiedUs));
    seg.set_path(p.file.path.string());
    seg.set_bytes(p.file.bytes);
    seg.set_removed(true);
    seg.set_kind(kind);
    segments.push_back(std::move(seg));
  }
}

// At start: the last two files of each camera's segments and event
// recordings are sent to the index again. Only they can have been left
// unannounced by a node that was killed (the file being written, and one
// just closed whose segment had not reached the outbox); the index takes a
// file it has already as a no-op (unique camera and path).
void CameraHub::Impl::announceLastFiles() {
  if (!options.recording) return;
  auto announce = [this](std::vector<SegmentFile> files, const std::string &cameraId,
                         const std::string &kind) {
    auto from = files.size() > 2 ? files.end() - 2 : files.begin();
    std::lock_guard lock(changesMu);
    for (auto it = from; it != files.end(); ++it) {
      wire::RecordingSegment seg;
      seg.set_camera_id(cameraId);
      seg.set_start_us(it->startUs);
      seg.set_end_us(std::max(it->startUs, it->modifiedUs));
      seg.set_path(it->path.string());
      seg.set_bytes(it->bytes);
      seg.set_kind(kind);
      segments.push_back(std::move(seg));
    }
  };
  for (auto &[id, f] : *feeds) {
    if (f->isSub) continue;
    announce(listSegments(options.recording->dir, id), id, "");
    announce(listSegments(options.recording->dir / id, "events"), id, "event");
  }
}

}  // namespace liandong::ingest
