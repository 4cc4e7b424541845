// Clip export by remuxing recording segments with libavformat (see clip.h).
#include "liandong/ingest/camera/clip.h"

#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "av_util.h"
#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "liandong/ingest/camera/recording.h"

namespace liandong::ingest {

namespace fs = std::filesystem;

namespace {

constexpr AVRational kMicros{1, 1000000};

// A packet read from a segment, with its wall-clock times.
struct Timed {
  av::PacketPtr packet;
  std::int64_t ptsUs = 0, dtsUs = 0;
  AVRational timeBase{1, 1};
};

// The output file of one camera, opened with the first packet's stream.
class ClipWriter {
public:
  ClipWriter(fs::path file, std::string cameraId) : file_(std::move(file)), cameraId_(std::move(cameraId)) {}

  void open(const AVCodecParameters *par) {
    AVFormatContext *raw = nullptr;
    int rc = avformat_alloc_output_context2(&raw, nullptr, "mp4", file_.c_str());
    if (rc < 0 || !raw) throw Error(fmt::format("cannot create {}: {}", file_.string(), av::errorText(rc)));
    out_.reset(raw);
    stream_ = avformat_new_stream(out_.get(), nullptr);
    if (!stream_) throw Error("out of memory");
    if ((rc = avcodec_parameters_copy(stream_->codecpar, par)) < 0)
      throw Error(fmt::format("camera {}: cannot copy the stream: {}", cameraId_, av::errorText(rc)));
    stream_->codecpar->codec_tag = 0;  // let the MP4 muxer choose (e.g. avc1)
    stream_->time_base = AVRational{1, 90000};
    if ((rc = avio_open(&out_->pb, file_.c_str(), AVIO_FLAG_WRITE)) < 0)
      throw Error(fmt::format("cannot write {}: {}", file_.string(), av::errorText(rc)));
    av::Dict opts;
    opts.set("movflags", "+faststart");  // the index first: the clip plays while it downloads
    if ((rc = avformat_write_header(out_.get(), opts.get())) < 0)
      throw Error(fmt::format("cannot write {}: {}", file_.string(), av::errorText(rc)));
  }

  bool isOpen() const { return out_ != nullptr; }

  void write(Timed &t, std::int64_t originUs) {
    AVPacket *p = t.packet.get();
    auto tb = stream_->time_base;
    auto pts = av_rescale_q(t.ptsUs - originUs, kMicros, tb);
    auto dts = av_rescale_q(t.dtsUs - originUs, kMicros, tb);
    if (dts > pts) dts = pts;
    if (lastDts_ != AV_NOPTS_VALUE && dts <= lastDts_) dts = lastDts_ + 1;  // strictly increasing
    if (pts < dts) pts = dts;
    lastDts_ = dts;
    p->duration = p->duration > 0 ? av_rescale_q(p->duration, t.timeBase, tb) : 0;
    p->pts = pts;
    p->dts = dts;
    p->stream_index = 0;
    p->pos = -1;
    ++frames_;
    int rc = av_interleaved_write_frame(out_.get(), p);  // takes the packet's data
    if (rc < 0) throw Error(fmt::format("cannot write {}: {}", file_.string(), av::errorText(rc)));
  }

  void finish() {
    int rc = av_write_trailer(out_.get());
    if (rc < 0) throw Error(fmt::format("cannot finish {}: {}", file_.string(), av::errorText(rc)));
    out_.reset();  // closes the file
  }

  std::int64_t frames() const { return frames_; }

private:
  fs::path file_;
  std::string cameraId_;
  av::OutputPtr out_;
  AVStream *stream_ = nullptr;  // owned by out_
  std::int64_t lastDts_ = AV_NOPTS_VALUE;
  std::int64_t frames_ = 0;
};

av::InputPtr openSegment(const fs::path &file) {
  AVFormatContext *raw = nullptr;
  int rc = avformat_open_input(&raw, file.c_str(), nullptr, nullptr);
  if (rc < 0) throw Error(fmt::format("cannot read the segment {}: {}", file.string(), av::errorText(rc)));
  av::InputPtr in(raw);
  if ((rc = avformat_find_stream_info(in.get(), nullptr)) < 0)
    throw Error(fmt::format("cannot read the segment {}: {}", file.string(), av::errorText(rc)));
  return in;
}

Clip exportCamera(const ClipRequest &req, const std::string &camera) {
  auto all = listSegments(req.recordings, camera);
  if (all.empty())
    throw Error(fmt::format("camera {}: no recordings under {}", camera, (req.recordings / camera).string()));
  // From the last segment that starts at or before t0 (it may hold t0) on.
  std::size_t first = 0;
  for (std::size_t i = 0; i < all.size(); ++i)
    if (all[i].startUs <= req.fromUs) first = i;
  Clip clip;
  clip.cameraId = camera;
  clip.file = req.outDir / (camera + ".mp4");
  ClipWriter writer(clip.file, camera);
  std::vector<Timed> gop;  // before t0: the packets since the last keyframe
  bool started = false, done = false;
  std::int64_t originUs = 0, lastUs = 0;
  for (std::size_t i = first; i < all.size() && !done && all[i].startUs < req.toUs; ++i) {
    const auto &seg = all[i];
    auto in = openSegment(seg.path);
    int video = av_find_best_stream(in.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (video < 0) throw Error(fmt::format("the segment {} has no video", seg.path.string()));
    const AVStream *st = in->streams[video];
    std::int64_t base = st->start_time != AV_NOPTS_VALUE ? st->start_time : AV_NOPTS_VALUE;
    bool used = false;
    av::PacketPtr pkt(av_packet_alloc());
    if (!pkt) throw Error("out of memory");
    while (!done) {
      int rc = av_read_frame(in.get(), pkt.get());
      if (rc == AVERROR_EOF) break;
      if (rc < 0)
        throw Error(fmt::format("cannot read the segment {}: {}", seg.path.string(), av::errorText(rc)));
      if (pkt->stream_index != video || pkt->pts == AV_NOPTS_VALUE) {
        av_packet_unref(pkt.get());
        continue;
      }
      if (base == AV_NOPTS_VALUE) base = pkt->dts != AV_NOPTS_VALUE ? std::min(pkt->dts, pkt->pts) : pkt->pts;
      Timed t;
      t.timeBase = st->time_base;
      t.ptsUs = seg.startUs + av_rescale_q(pkt->pts - base, st->time_base, kMicros);
      t.dtsUs = pkt->dts != AV_NOPTS_VALUE
                    ? seg.startUs + av_rescale_q(pkt->dts - base, st->time_base, kMicros)
                    : t.ptsUs;
      bool key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
      if (t.ptsUs >= req.toUs) {
        done = true;
        av_packet_unref(pkt.get());
        break;
      }
      t.packet.reset(av_packet_alloc());
      if (!t.packet) throw Error("out of memory");
      av_packet_move_ref(t.packet.get(), pkt.get());
      if (!started) {
        if (key) gop.clear();
        if (gop.empty() && !key) continue;  // a clip starts on a keyframe
        gop.push_back(std::move(t));
        if (gop.back().ptsUs < req.fromUs) continue;
        started = true;
        originUs = gop.front().ptsUs;
        clip.fromUs = originUs;
        if (!writer.isOpen()) writer.open(st->codecpar);
        for (auto &g : gop) writer.write(g, originUs);
        lastUs = gop.back().ptsUs;
        gop.clear();
        used = true;
        continue;
      }
      lastUs = t.ptsUs;
      writer.write(t, originUs);
      used = true;
    }
    if (used) clip.sources.push_back({seg.path, sha256File(seg.path)});
  }
  if (!started)
    throw Error(fmt::format("camera {}: nothing recorded between {} and {}", camera, formatIsoUtc(req.fromUs),
                            formatIsoUtc(req.toUs)));
  writer.finish();
  clip.toUs = lastUs;
  clip.frames = writer.frames();
  clip.bytes = fs::file_size(clip.file);
  clip.sha256 = sha256File(clip.file);
  return clip;
}

}  // namespace

std::string sha256File(const fs::path &file) {
  if (sodium_init() < 0) throw Error("libsodium failed to initialise");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("cannot read " + file.string());
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto n = in.gcount();
    if (n > 0)
      crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char *>(buf.data()),
                                static_cast<unsigned long long>(n));
  }
  if (in.bad()) throw Error("cannot read " + file.string());
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  std::string hex;
  for (auto b : digest) hex += fmt::format("{:02x}", b);
  return hex;
}

std::int64_t parseTimeUs(const std::string &text) {
  auto bad = [&] {
    return Error("\"" + text +
                 "\" is not a time (2026-11-30T12:00:00Z, 2026-11-30T20:00:00.5+08:00 or microseconds)");
  };
  if (!text.empty() && std::all_of(text.begin(), text.end(), ::isdigit)) {
    try {
      return std::stoll(text);
    } catch (const std::exception &) {
      throw bad();
    }
  }
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6)
    throw bad();
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::string rest = text.substr(static_cast<std::size_t>(consumed));
  std::int64_t fracUs = 0;
  if (!rest.empty() && rest[0] == '.') {
    std::size_t n = 1;
    std::int64_t scale = 100000;
    for (; n < rest.size() && std::isdigit(static_cast<unsigned char>(rest[n])); ++n, scale /= 10)
      if (scale > 0) fracUs += (rest[n] - '0') * scale;
    if (n == 1) throw bad();
    rest = rest.substr(n);
  }
  std::int64_t offsetS = 0;
  if (rest == "Z") {
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    int h = 0, m = 0;
    if (std::sscanf(rest.c_str() + 1, "%2d:%2d", &h, &m) != 2 || h > 23 || m > 59) throw bad();
    offsetS = (rest[0] == '+' ? 1 : -1) * (h * 3600 + m * 60);
  } else {
    throw bad();  // no zone: refused rather than guessed
  }
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60)
    throw bad();
  auto seconds = static_cast<std::int64_t>(timegm(&tm)) - offsetS;
  return seconds * 1'000'000 + fracUs;
}

std::vector<Clip> exportClips(const ClipRequest &req) {
  av::quiet();
  if (req.cameras.empty()) throw Error("no camera given");
  if (req.toUs <= req.fromUs) throw Error("the end of the clip must come after its start");
  std::error_code ec;
  fs::create_directories(req.outDir, ec);
  if (ec) throw Error("cannot create " + req.outDir.string() + ": " + ec.message());
  std::vector<Clip> clips;
  for (const auto &camera : req.cameras) clips.push_back(exportCamera(req, camera));

  nlohmann::json manifest;
  manifest["requested"] = {{"from", formatIsoUtc(req.fromUs)}, {"to", formatIsoUtc(req.toUs)}};
  manifest["created_at"] = formatIsoUtc(nowUs());
  manifest["remuxed"] = "no re-encode: the cameras' own frames, from the keyframe at or before the start";
  for (const auto &c : clips) {
    nlohmann::json sources = nlohmann::json::array();
    for (const auto &s : c.sources) sources.push_back({{"path", s.path.string()}, {"sha256", s.sha256}});
    manifest["clips"].push_back({{"camera", c.cameraId},
                                 {"file", c.file.filename().string()},
                                 {"from", formatIsoUtc(c.fromUs)},
                                 {"to", formatIsoUtc(c.toUs)},
                                 {"frames", c.frames},
                                 {"bytes", c.bytes},
                                 {"sha256", c.sha256},
                                 {"segments", sources}});
  }
  auto jsonPath = req.outDir / "manifest.json";
  {
    std::ofstream out(jsonPath);
    out << manifest.dump(2) << "\n";
    if (!out) throw Error("cannot write " + jsonPath.string());
  }
  // sha256sum's format: `sha256sum -c manifest.sha256` checks the clips.
  auto sumPath = req.outDir / "manifest.sha256";
  std::ofstream sums(sumPath);
  for (const auto &c : clips) sums << c.sha256 << "  " << c.file.filename().string() << "\n";
  sums << sha256File(jsonPath) << "  manifest.json\n";
  if (!sums) throw Error("cannot write " + sumPath.string());
  return clips;
}

}  // namespace liandong::ingest
