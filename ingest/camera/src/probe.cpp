// Stream probing with libavformat (see probe.h).
#include "liandong/ingest/camera/probe.h"

#include <chrono>
#include <map>

#include <fmt/format.h>

#include "av_util.h"
#include "liandong/core/errors.h"
#include "liandong/core/text.h"

namespace liandong::ingest {

namespace {

using Clock = std::chrono::steady_clock;

// libavformat asks this between blocking steps: past the deadline it gives up
// (AVERROR_EXIT), so no URL can hang the probe.
struct Deadline {
  Clock::time_point at;
  static int check(void *p) { return Clock::now() > static_cast<Deadline *>(p)->at ? 1 : 0; }
};

std::string kindOf(AVMediaType t) {
  const char *name = av_get_media_type_string(t);
  return name ? name : "unknown";
}

}  // namespace

std::vector<StreamProbe> probeStreams(const std::string &url, double seconds, double timeoutS) {
  av::quiet();
  auto safe = redactCredentials(url);
  Deadline deadline{Clock::now() + std::chrono::milliseconds(static_cast<std::int64_t>(timeoutS * 1000))};
  AVFormatContext *raw = avformat_alloc_context();
  if (!raw) throw Error("out of memory");
  raw->interrupt_callback.callback = &Deadline::check;
  raw->interrupt_callback.opaque = &deadline;
  av::Dict opts;
  if (url.rfind("rtsp://", 0) == 0 || url.rfind("rtsps://", 0) == 0) {
    opts.set("rtsp_transport", "tcp");
    opts.set("timeout", std::to_string(static_cast<std::int64_t>(timeoutS * 1e6)));  // socket I/O, µs
  }
  // On failure avformat_open_input frees the context itself.
  int rc = avformat_open_input(&raw, url.c_str(), nullptr, opts.get());
  av::InputPtr in(rc == 0 ? raw : nullptr);
  auto timedOut = [&] { return Clock::now() > deadline.at; };
  if (rc < 0)
    throw Error(
        fmt::format("cannot open {}: {}", safe,
                    timedOut() ? fmt::format("no answer within {:g} s", timeoutS) : av::errorText(rc)));
  in->max_analyze_duration = static_cast<std::int64_t>(seconds * AV_TIME_BASE);
  rc = avformat_find_stream_info(in.get(), nullptr);
  if (rc < 0)
    throw Error(fmt::format("cannot read the streams of {}: {}", safe,
                            timedOut() ? fmt::format("no data within {:g} s", timeoutS) : av::errorText(rc)));
  if (in->nb_streams == 0) throw Error(fmt::format("{} has no streams", safe));

  // Measure what the streams do not declare: bytes and frames per stream
  // over `seconds` of packets (by their timestamps, or the wall clock).
  struct Count {
    std::int64_t bytes = 0, packets = 0;
    std::int64_t firstTs = AV_NOPTS_VALUE, lastTs = AV_NOPTS_VALUE;
  };
  std::map<int, Count> counts;
  av::PacketPtr pkt(av_packet_alloc());
  if (!pkt) throw Error("out of memory");
  auto started = Clock::now();
  auto until = started + std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
  while (Clock::now() < until && !timedOut()) {
    rc = av_read_frame(in.get(), pkt.get());
    if (rc < 0) break;  // end of a file, or the camera stopped: what was read is measured
    auto &c = counts[pkt->stream_index];
    c.bytes += pkt->size;
    ++c.packets;
    auto ts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
    if (ts != AV_NOPTS_VALUE) {
      if (c.firstTs == AV_NOPTS_VALUE) c.firstTs = ts;
      c.lastTs = ts;
    }
    av_packet_unref(pkt.get());
  }
  double wallS = std::chrono::duration<double>(Clock::now() - started).count();

  std::vector<StreamProbe> out;
  for (unsigned i = 0; i < in->nb_streams; ++i) {
    const AVStream *st = in->streams[i];
    const AVCodecParameters *par = st->codecpar;
    StreamProbe p;
    p.index = static_cast<int>(i);
    p.kind = kindOf(par->codec_type);
    p.codec = avcodec_get_name(par->codec_id);
    if (const char *profile = avcodec_profile_name(par->codec_id, par->profile))
      p.codec += fmt::format(" ({})", profile);
    p.width = par->width;
    p.height = par->height;
    p.sampleRate = par->sample_rate;
    p.channels = par->ch_layout.nb_channels;
    const auto &c = counts[p.index];
    double spanS = c.firstTs != AV_NOPTS_VALUE && c.lastTs > c.firstTs
                       ? static_cast<double>(c.lastTs - c.firstTs) * av_q2d(st->time_base)
                       : 0;
    if (par->codec_type == AVMEDIA_TYPE_VIDEO) {
      AVRational r = av_guess_frame_rate(in.get(), const_cast<AVStream *>(st), nullptr);
      if (r.num > 0 && r.den > 0 && av_q2d(r) < 1000)
        p.fps = av_q2d(r);
      else if (spanS > 0 && c.packets > 1)
        p.fps = static_cast<double>(c.packets - 1) / spanS;
    }
    if (par->bit_rate > 0)
      p.bitrateKbps = static_cast<double>(par->bit_rate) / 1000.0;
    else if (c.bytes > 0)
      p.bitrateKbps = static_cast<double>(c.bytes) * 8 / 1000.0 / (spanS > 0.5 ? spanS : wallS);
    out.push_back(std::move(p));
  }
  return out;
}

std::string describe(const StreamProbe &s) {
  std::string line = fmt::format("stream {}: {} {}", s.index, s.kind, s.codec);
  if (s.width > 0 && s.height > 0) line += fmt::format(" {}x{}", s.width, s.height);
  if (s.fps > 0) line += fmt::format(" {:.2f} fps", s.fps);
  if (s.sampleRate > 0) line += fmt::format(" {} Hz", s.sampleRate);
  if (s.channels > 0) line += fmt::format(" {} ch", s.channels);
  line += s.bitrateKbps > 0 ? fmt::format(" {:.0f} kb/s", s.bitrateKbps) : " bitrate unknown";
  return line;
}

}  // namespace liandong::ingest
