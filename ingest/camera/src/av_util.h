// RAII owners and checked helpers for FFmpeg's libavformat/libavcodec
// handles, used by the probe (probe.cpp) and the clip exporter (clip.cpp):
// every context we open sits in a unique_ptr that closes exactly it.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
}

#include <memory>
#include <string>

namespace liandong::ingest::av {

struct InputCloser {
  void operator()(AVFormatContext *c) const {
    if (c) avformat_close_input(&c);
  }
};
// An opened input (avformat_open_input).
using InputPtr = std::unique_ptr<AVFormatContext, InputCloser>;

struct OutputCloser {
  void operator()(AVFormatContext *c) const {
    if (!c) return;
    if (c->pb && !(c->oformat->flags & AVFMT_NOFILE)) avio_closep(&c->pb);
    avformat_free_context(c);
  }
};
// An output (avformat_alloc_output_context2) with its file, if opened.
using OutputPtr = std::unique_ptr<AVFormatContext, OutputCloser>;

struct PacketFree {
  void operator()(AVPacket *p) const { av_packet_free(&p); }
};
using PacketPtr = std::unique_ptr<AVPacket, PacketFree>;

// An AVDictionary of options, freed with its owner.
class Dict {
public:
  Dict() = default;
  ~Dict() { av_dict_free(&d_); }
  Dict(const Dict &) = delete;
  Dict &operator=(const Dict &) = delete;
  void set(const char *key, const std::string &value) { av_dict_set(&d_, key, value.c_str(), 0); }
  AVDictionary **get() { return &d_; }

private:
  AVDictionary *d_ = nullptr;
};

// FFmpeg's text for an error code.
inline std::string errorText(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

// FFmpeg's own log lines may quote URLs with their credentials: they stay off.
inline void quiet() {
  av_log_set_level(AV_LOG_QUIET);
}

}  // namespace liandong::ingest::av
