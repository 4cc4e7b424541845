// Fuzz target for the RTSP wire format and the RTP depayloader (rtsp_wire.h,
// rtp_depay.h): any byte stream from a camera or a viewer, fed in pieces as
// TCP would, must give messages, frames or one-line reasons, never a crash, a
// hang or unbounded memory. Built with libFuzzer by `scripts/bench fuzz`; the
// suite replays tests/ingest/camera/corpus/rtsp.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "liandong/core/errors.h"
#include "liandong/ingest/rtsp/rtp_depay.h"
#include "liandong/ingest/rtsp/rtsp_wire.h"

namespace {

using namespace liandong::ingest;

void exercise(const rtsp::Message &m) {
  for (const auto &[name, value] : m.headers) {
    rtsp::parseTransport(value);
    rtsp::parseSession(value);
  }
  m.cseq();
  rtsp::authorization(m, "DESCRIBE", "rtsp://cam/live", "user", "p@ss", "0a4f113b", 1);
  rtsp::format(m);
  try {
    if (!m.isResponse) {
      auto url = rtsp::parseUrl(m.url);
      rtsp::resolveControl(url.withoutCredentials(), "trackID=1");
    }
  } catch (const rtsp::RtspError &) {
    // refused with a reason: fine
  }
  try {
    auto sdp = rtsp::parseSdp(m.body);
    if (sdp.video) rtsp::resolveControl(m.url.empty() ? "rtsp://cam/" : m.url, sdp.video->control);
  } catch (const rtsp::RtspError &) {
    // not SDP: fine
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  rtsp::Reader reader;
  // The first byte picks the piece size and, odd or even, the codec (a seed
  // for H.265 starts with "\r\n", which the reader skips).
  bool h265 = size && (data[0] & 1);
  rtp::Depayloader depay(
      h265 ? rtp::VideoCodec::H265 : rtp::VideoCodec::H264,
      h265 ? std::vector<std::string>{"\x40\x01\x0c\x01", "\x42\x01\x01\x01", "\x44\x01\xc1"}
           : std::vector<std::string>{"\x67\x42\x00\x1e", "\x68\xce\x3c\x80"});
  std::size_t piece = size ? 1 + data[0] % 23 : 1;
  try {
    for (std::size_t at = 0; at < size; at += piece) {
      reader.feed(reinterpret_cast<const char *>(data) + at, std::min(piece, size - at));
      while (auto item = reader.next()) {
        if (item->message) exercise(*item->message);
        if (item->frame) {
          auto payload = item->frame->payload;
          rtsp::parseRtp(payload);
          for (const auto &au : depay.push(payload))
            if (au.data.size() > 17u * 1024 * 1024) __builtin_trap();  // over the documented bound
        }
      }
    }
  } catch (const rtsp::RtspError &) {
    // the connection is refused with a reason: fine
  }
  return 0;
}
