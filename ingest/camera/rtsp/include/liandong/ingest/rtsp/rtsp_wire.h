// RTSP 1.0 on the wire, for the node's own camera client and server (the camera hub's live loop):
// parsing requests and responses as they arrive over TCP, interleaved RTP
// frames ($, channel, length), the parts of SDP a video relay needs, RTP
// headers, and Digest/Basic authorization towards cameras. Pure functions
// over bytes, no I/O: everything here reads outside data (cameras and
// viewers) and is fuzzed (tests/ingest/camera/fuzz_rtsp.cpp). Malformed input gives
// a one-line reason (RtspError), never a crash or unbounded memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "liandong/core/errors.h"

namespace liandong::ingest::rtsp {

struct RtspError : Error {
  using Error::Error;
};

// One RTSP message: a request ("DESCRIBE rtsp://h/x RTSP/1.0") or a
// response ("RTSP/1.0 200 OK"), its headers and its body.
struct Message {
  bool isResponse = false;
  std::string method;                                        // request
  std::string url;                                           // request
  int status = 0;                                            // response
  std::string reason;                                        // response
  std::vector<std::pair<std::string, std::string>> headers;  // in order; names as sent
  std::string body;
  // The first header of that name (case-insensitive), trimmed; nullopt when absent.
  std::optional<std::string> header(std::string_view name) const;
  int cseq() const;  // CSeq, -1 when absent or not a number
};

// What the next bytes of a connection hold.
struct Interleaved {
  std::uint8_t channel = 0;
  std::string_view payload;  // points into the buffer given to Reader::next
};

// Splits a TCP byte stream into RTSP messages and interleaved frames.
// Limits: a header block of at most 16 KiB, a body of at most 64 KiB, an
// interleaved frame of at most 65535 bytes (the format's own limit).
class Reader {
public:
  // Appends received bytes.
  void feed(const char *data, std::size_t size);
  // The next whole item, or nullopt when more bytes are needed. Throws
  // RtspError (the connection is then unusable) on a malformed start line,
  // header or length, or a header block or body over its limit.
  // An Interleaved's payload stays valid until the next call of feed/next.
  struct Item {
    std::optional<Message> message;
    std::optional<Interleaved> frame;
  };
  std::optional<Item> next();
  std::size_t buffered() const;

private:
  std::optional<Item> takeBody();

  std::string buf_;
  std::size_t pos_ = 0;             // consumed bytes at the front of buf_
  std::size_t scanFrom_ = 0;        // where the search for the end of a header block resumes
  std::optional<Message> pending_;  // a parsed head waiting for its body, which starts at pos_
  std::size_t pendingBody_ = 0;
};

// Formats a request or a response; Content-Length is added for a body.
std::string format(const Message &m);

// An rtsp:// URL: [user[:pass]@]host[:port]/path?query.
struct Url {
  std::string user, password;  // percent-decoded
  std::string host;            // without brackets for IPv6
  int port = 554;
  std::string path;  // from the first '/', with the query; "/" when empty
  // rtsp://host:port/path, without the credentials: what is sent on the wire.
  std::string withoutCredentials() const;
};
// Throws RtspError naming what is wrong ("not an rtsp:// URL", "bad port").
Url parseUrl(const std::string &url);

// Resolves a control attribute against a base URL (Content-Base, then
// Content-Location, then the request URL): absolute "rtsp://..." as is, "*"
// is the base itself, otherwise relative (base + "/" + control unless the
// base ends with '/').
std::string resolveControl(const std::string &base, const std::string &control);

// The first video stream of an SDP, as far as a relay needs it.
struct SdpVideo {
  std::string encoding;  // as in a=rtpmap, upper-case: "H264", "H265", "MP4V-ES", ...
  int payloadType = -1;
  int clockRate = 90000;
  std::string control;  // a=control of the media ("" when absent)
  std::string fmtp;     // the a=fmtp parameters after "<pt> " ("" when absent)
  // From fmtp: H.264 sprop-parameter-sets (SPS, PPS); H.265 sprop-vps,
  // sprop-sps, sprop-pps. Base64-decoded NAL units without start codes.
  std::vector<std::string> parameterSets;
};
struct Sdp {
  std::string sessionControl;     // session-level a=control ("" when absent)
  std::optional<SdpVideo> video;  // nullopt: no m=video line
};
// Throws RtspError on text that is not SDP (no "v=0" first line).
Sdp parseSdp(std::string_view text);

// Transport header of a SETUP: what a relay needs from it.
struct Transport {
  bool tcp = false;  // RTP/AVP/TCP
  int interleavedRtp = -1, interleavedRtcp = -1;
  int clientRtpPort = -1, clientRtcpPort = -1;  // UDP
  int serverRtpPort = -1, serverRtcpPort = -1;  // UDP (in a response)
  bool multicast = false;
};
// Parses the first transport spec of the header that is RTP/AVP (or
// RTP/AVP/UDP or RTP/AVP/TCP); nullopt when none is.
std::optional<Transport> parseTransport(std::string_view header);

// "Session: 12345678;timeout=60" -> ("12345678", 60); timeout -1 when absent.
std::pair<std::string, int> parseSession(std::string_view header);

// Authorization for a request after a 401: Digest (RFC 2617, MD5, with or
// without qop=auth; cnonce from the caller) or Basic, chosen from the
// WWW-Authenticate headers of the 401 (Digest preferred). nullopt when none
// is understood.
std::optional<std::string> authorization(const Message &unauthorized, const std::string &method,
                                         const std::string &uri, const std::string &user,
                                         const std::string &password, const std::string &cnonce,
                                         int nonceCount);

// The fixed part of an RTP header (RFC 3550); nullopt when the packet is too
// short for its header (12 bytes + CSRCs + extension) or not version 2.
struct RtpHeader {
  bool marker = false;
  std::uint8_t payloadType = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::size_t headerSize = 0;  // where the payload starts (padding removed from payloadSize)
  std::size_t payloadSize = 0;
};
std::optional<RtpHeader> parseRtp(std::string_view packet);

}  // namespace liandong::ingest::rtsp
