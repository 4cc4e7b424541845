// The live loop's RTSP client to the cameras (see live_loop.h): one
// session per stream — connect, DESCRIBE, SETUP (RTP interleaved over TCP,
// or over UDP from the camera's ports only), PLAY, Digest or Basic
// authentication when the URL has a user, OPTIONS as keep-alive — and the
// RTP that comes in: renumbered for the viewers, kept in the GOP cache,
// depayloaded into access units for the hub. Runs on the I/O thread.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include <fmt/format.h>

#include "liandong/core/clock.h"
#include "liandong/core/text.h"
#include "live_loop_impl.h"

namespace liandong::ingest {

using namespace live;
using Phase = CameraSession::Phase;

namespace {

// An access unit joined from several (Annex B, 4-byte start codes as the
// depayloader writes them) without what the parts repeated: a parameter set
// or SEI identical to one before it, an access-unit delimiter but the first.
// Parsers downstream (h264parse) would otherwise take a parameter set after
// a slice as the start of the next picture and split the frame in two.
std::string joinedUnit(const std::string &au, bool h265) {
  std::vector<std::string_view> nals;
  static constexpr std::string_view start("\0\0\0\1", 4);
  std::size_t at = au.find(start);
  while (at != std::string::npos) {
    auto next = au.find(start, at + 4);
    nals.emplace_back(au.data() + at + 4, (next == std::string::npos ? au.size() : next) - at - 4);
    at = next;
  }
  std::string out;
  out.reserve(au.size());
  std::vector<std::string_view> kept;
  for (auto nal : nals) {
    if (nal.empty()) continue;
    int type =
        h265 ? (static_cast<std::uint8_t>(nal[0]) >> 1) & 0x3f : static_cast<std::uint8_t>(nal[0]) & 0x1f;
    bool aud = h265 ? type == 35 : type == 9;
    bool repeatable = h265 ? (type >= 32 && type <= 34) || type == 39 : type == 7 || type == 8 || type == 6;
    if (aud && !out.empty()) continue;
    if (repeatable && std::find(kept.begin(), kept.end(), nal) != kept.end()) continue;
    if (repeatable) kept.push_back(nal);
    out += start;
    out += nal;
  }
  return out;
}

// A URL the camera wrote (a control or base URL) without any credentials in it.
std::string withoutCredentials(std::string url) {
  if (url.rfind("rtsp://", 0) == 0) try {
      url = rtsp::parseUrl(url).withoutCredentials();
    } catch (const rtsp::RtspError &) {
    }
  return url;
}

}  // namespace

void LiveLoop::Impl::openCamera(Stream &s, const Command &c) {
  auto &u = s.up;
  u = CameraSession{};
  u.attempt = c.attempt;
  u.tcp = c.tcp;
  u.deadlineMs = steadyMs() + c.timeoutMs;
  u.cnonce = randomHex(rng, 16);
  try {
    u.url = rtsp::parseUrl(c.url);
  } catch (const rtsp::RtspError &e) {
    return cameraFailed(s, e.what());
  }
  u.requestUrl = u.url.withoutCredentials();
  if (auto address = numericAddress(u.url.host, u.url.port)) return connectTo(s, *address);
  // A name is looked up on a thread of its own (resolver.h): a name server
  // that does not answer holds up this camera only, never the loop.
  u.phase = Phase::Resolving;
  u.lastMethod = "resolve";
  try {
    resolver.lookup(s.index, u.attempt, u.url.host, u.url.port);
  } catch (const std::system_error &e) {  // no thread for it
    cameraFailed(s, fmt::format("cannot resolve {}: {}", u.url.host, e.what()));
  }
}

// Lookups that finished: each camera still waiting for its own connects.
void LiveLoop::Impl::resolved() {
  for (auto &r : resolver.take()) {
    if (r.stream < 0 || static_cast<std::size_t>(r.stream) >= streams.size()) continue;
    auto &s = *streams[static_cast<std::size_t>(r.stream)];
    if (s.up.phase != Phase::Resolving || s.up.attempt != r.attempt) continue;  // closed, or a newer attempt
    if (r.address)
      connectTo(s, *r.address);
    else
      cameraFailed(s, r.error);
  }
}

void LiveLoop::Impl::connectTo(Stream &s, const SocketAddress &address) {
  auto &u = s.up;
  u.fd = Fd(socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!u.fd) return cameraFailed(s, "socket: " + errnoText(errno));
  int one = 1;
  setsockopt(u.fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  u.phase = Phase::Connecting;
  u.lastMethod = "connect";
  if (::connect(u.fd.get(), reinterpret_cast<const sockaddr *>(&address.storage), address.length) != 0 &&
      errno != EINPROGRESS)
    return cameraFailed(s,
                        fmt::format("cannot connect to {}:{}: {}", u.url.host, u.url.port, errnoText(errno)));
  watch(u.fd.get(), token(kCamera, index(s)), EPOLLIN | EPOLLOUT);
}

void LiveLoop::Impl::closeCamera(Stream &s) {
  auto &u = s.up;
  unwatch(u.fd.get());
  unwatch(u.rtpFd.get());
  unwatch(u.rtcpFd.get());
  if (u.phase == Phase::Playing && u.fd) {
    // A polite TEARDOWN, written if the socket takes it now; never waited for.
    auto text = teardownText(s);
    [[maybe_unused]] auto n = ::send(u.fd.get(), text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  u.fd.reset();
  u.rtpFd.reset();
  u.rtcpFd.reset();
  u.phase = Phase::Idle;
  u.depay.reset();
  s.gop.clear();
}

std::string LiveLoop::Impl::teardownText(Stream &s) {
  auto &u = s.up;
  rtsp::Message m;
  m.method = "TEARDOWN";
  m.url = u.requestUrl;
  m.headers = {{"CSeq", std::to_string(++u.cseq)}, {"User-Agent", "Liandong"}};
  if (!u.session.empty()) m.headers.emplace_back("Session", u.session);
  addAuth(u, m);
  return rtsp::format(m);
}

void LiveLoop::Impl::cameraFailed(Stream &s, const std::string &reason) {
  auto attempt = s.up.attempt;
  closeCamera(s);
  if (s.hooks.failed) s.hooks.failed(attempt, redactCredentials(reason));  // a camera's text may quote a URL
}

void LiveLoop::Impl::addAuth(CameraSession &u, rtsp::Message &m) {
  if (!u.unauthorized) return;
  if (auto a = rtsp::authorization(*u.unauthorized, m.method, m.url, u.url.user, u.url.password, u.cnonce,
                                   ++u.nonceCount))
    m.headers.emplace_back("Authorization", *a);
}

void LiveLoop::Impl::request(Stream &s, const std::string &method, const std::string &url, Headers headers) {
  auto &u = s.up;
  rtsp::Message m;
  m.method = method;
  m.url = url;
  m.headers = {{"CSeq", std::to_string(++u.cseq)}, {"User-Agent", "Liandong"}};
  if (method != u.lastMethod) u.authTries = 0;
  u.lastMethod = method;
  u.lastUrl = url;
  u.lastHeaders = headers;
  for (auto &h : headers) m.headers.push_back(std::move(h));
  if (!u.session.empty() && method != "DESCRIBE") m.headers.emplace_back("Session", u.session);
  addAuth(u, m);
  u.out += rtsp::format(m);
  writeCamera(s);
}

void LiveLoop::Impl::writeCamera(Stream &s) {
  auto &u = s.up;
  while (!u.out.empty()) {
    auto n = ::send(u.fd.get(), u.out.data(), u.out.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return cameraFailed(s, "sending to the camera: " + errnoText(errno));
    }
    u.out.erase(0, static_cast<std::size_t>(n));
  }
  if (u.fd) watch(u.fd.get(), token(kCamera, index(s)), u.out.empty() ? EPOLLIN : (EPOLLIN | EPOLLOUT));
}

void LiveLoop::Impl::cameraReady(int i, std::uint32_t events) {
  auto &s = *streams.at(static_cast<std::size_t>(i));
  auto &u = s.up;
  if (!u.fd) return;
  if (u.phase == Phase::Connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(u.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0)
      return cameraFailed(s,
                          fmt::format("cannot connect to {}:{}: {}", u.url.host, u.url.port, errnoText(err)));
    if (!(events & (EPOLLOUT | EPOLLIN))) return;
    u.phase = Phase::Describe;
    request(s, "DESCRIBE", u.requestUrl, {{"Accept", "application/sdp"}});
    return;
  }
  if (events & EPOLLOUT) writeCamera(s);
  if (!u.fd || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
  char buf[65536];
  for (int reads = 0; reads < 16; ++reads) {
    auto n = ::recv(u.fd.get(), buf, sizeof buf, 0);
    if (n == 0) return cameraFailed(s, "the camera closed the connection");
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return cameraFailed(s, "reading from the camera: " + errnoText(errno));
    }
    u.reader.feed(buf, static_cast<std::size_t>(n));
    try {
      while (auto item = u.reader.next()) {
        if (item->frame) {
          if (item->frame->channel == u.rtpChannel) rtpFromCamera(s, item->frame->payload);
        } else if (item->message) {
          if (!responseFromCamera(s, *item->message)) return;
        }
        if (!u.fd) return;  // failed meanwhile
      }
    } catch (const rtsp::RtspError &e) {
      return cameraFailed(s, std::string("the camera sent something that is not RTSP: ") + e.what());
    }
    if (static_cast<std::size_t>(n) < sizeof buf) break;
  }
}

// false when the session failed (and is closed)
bool LiveLoop::Impl::responseFromCamera(Stream &s, const rtsp::Message &m) {
  auto &u = s.up;
  if (!m.isResponse) return true;              // a request from the camera (rare): ignored
  if (u.phase == Phase::Playing) return true;  // keep-alive answers
  // A 401 is answered once per request (some cameras challenge SETUP
  // and PLAY again, with a new nonce); a second one is a wrong password.
  if (m.status == 401 && u.authTries == 0 && !u.url.user.empty()) {
    u.authTries = 1;
    u.unauthorized = m;
    u.nonceCount = 0;
    auto method = u.lastMethod;
    request(s, method, u.lastUrl, u.lastHeaders);
    u.authTries = 1;
    return true;
  }
  if (m.status != 200) {
    cameraFailed(s, fmt::format("{}: {} {}", u.lastMethod, m.status, m.reason));
    return false;
  }
  switch (u.phase) {
    case Phase::Describe: return described(s, m);
    case Phase::Setup: return setUp(s, m);
    case Phase::Play: playing(s); return true;
    default: return true;
  }
}

// The DESCRIBE's answer: the video stream, then SETUP.
bool LiveLoop::Impl::described(Stream &s, const rtsp::Message &m) {
  auto &u = s.up;
  rtsp::Sdp sdp;
  try {
    sdp = rtsp::parseSdp(m.body);
  } catch (const rtsp::RtspError &e) {
    cameraFailed(s, std::string("DESCRIBE: ") + e.what());
    return false;
  }
  if (!sdp.video) {
    cameraFailed(s, "the camera offers no video stream");
    return false;
  }
  if (sdp.video->encoding != "H264" && sdp.video->encoding != "H265") {
    cameraFailed(s, fmt::format("the camera sends {} video, not H.264 or H.265", sdp.video->encoding));
    return false;
  }
  u.video = *sdp.video;
  u.base = m.header("Content-Base").value_or(m.header("Content-Location").value_or(u.requestUrl));
  auto control =
      u.video.control.empty() ? (sdp.sessionControl.empty() ? "*" : sdp.sessionControl) : u.video.control;
  // A control URL the camera wrote with credentials in it is sent without them.
  auto setupUrl = withoutCredentials(rtsp::resolveControl(u.base, control));
  std::string transport;
  if (u.tcp) {
    transport = "RTP/AVP/TCP;unicast;interleaved=0-1";
  } else {
    int port = openUdpPair(s);
    if (port < 0) return false;
    transport = fmt::format("RTP/AVP;unicast;client_port={}-{}", port, port + 1);
  }
  u.phase = Phase::Setup;
  request(s, "SETUP", setupUrl, {{"Transport", transport}});
  return true;
}

// The SETUP's answer: the session (and the camera's ports over UDP), then PLAY.
bool LiveLoop::Impl::setUp(Stream &s, const rtsp::Message &m) {
  auto &u = s.up;
  auto session = m.header("Session");
  if (!session) {
    cameraFailed(s, "SETUP: the camera gave no session");
    return false;
  }
  auto [id, timeout] = rtsp::parseSession(*session);
  u.session = id;
  if (timeout > 0) u.timeoutS = timeout;
  if (auto t = m.header("Transport"); t && u.tcp) {
    auto tr = rtsp::parseTransport(*t);
    if (tr && tr->interleavedRtp >= 0) u.rtpChannel = tr->interleavedRtp;
  } else if (!u.tcp) {
    auto tr = t ? rtsp::parseTransport(*t) : std::nullopt;
    if (!tr || tr->serverRtpPort <= 0) {
      cameraFailed(s, "SETUP: the camera gave no server_port for RTP over UDP");
      return false;
    }
    acceptOnlyFromCamera(s, *tr);
  }
  u.phase = Phase::Play;
  request(s, "PLAY", withoutCredentials(u.base.empty() ? u.requestUrl : u.base), {{"Range", "npt=0.000-"}});
  return true;
}

// The PLAY's answer: RTP flows.
void LiveLoop::Impl::playing(Stream &s) {
  auto &u = s.up;
  u.phase = Phase::Playing;
  u.lastKeepaliveMs = steadyMs();
  auto codec = u.video.encoding == "H265" ? rtp::VideoCodec::H265 : rtp::VideoCodec::H264;
  u.depay = std::make_unique<rtp::Depayloader>(codec, u.video.parameterSets);
  u.firstPacket = true;
  s.video = u.video;
  s.clockRate = u.video.clockRate > 0 ? u.video.clockRate : 90000;
  if (s.hooks.playing) s.hooks.playing(u.attempt, u.video);
}

// RTP over UDP: the sockets take datagrams from the camera's ports only
// (connected to them), so nobody else on the network can inject video.
void LiveLoop::Impl::acceptOnlyFromCamera(Stream &s, const rtsp::Transport &tr) {
  auto &u = s.up;
  sockaddr_storage peer{};
  socklen_t len = sizeof peer;
  if (getpeername(u.fd.get(), reinterpret_cast<sockaddr *>(&peer), &len) != 0 || peer.ss_family != AF_INET)
    return;
  auto *a = reinterpret_cast<sockaddr_in *>(&peer);
  a->sin_port = htons(static_cast<std::uint16_t>(tr.serverRtpPort));
  ::connect(u.rtpFd.get(), reinterpret_cast<sockaddr *>(a), sizeof *a);
  if (tr.serverRtcpPort > 0) {
    a->sin_port = htons(static_cast<std::uint16_t>(tr.serverRtcpPort));
    ::connect(u.rtcpFd.get(), reinterpret_cast<sockaddr *>(a), sizeof *a);
  }
}

int LiveLoop::Impl::openUdpPair(Stream &s) {
  auto &u = s.up;
  for (int tries = 0; tries < 50; ++tries) {
    Fd rtpFd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    if (!rtpFd || bind(rtpFd.get(), reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) break;
    socklen_t len = sizeof a;
    getsockname(rtpFd.get(), reinterpret_cast<sockaddr *>(&a), &len);
    int port = ntohs(a.sin_port);
    if (port % 2 != 0 || port >= 65535) continue;
    Fd rtcpFd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    a.sin_port = htons(static_cast<std::uint16_t>(port + 1));
    if (!rtcpFd || bind(rtcpFd.get(), reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) continue;
    int size = 4 << 20;
    setsockopt(rtpFd.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    u.rtpFd = std::move(rtpFd);
    u.rtcpFd = std::move(rtcpFd);
    watch(u.rtpFd.get(), token(kUdpRtp, index(s)), EPOLLIN);
    watch(u.rtcpFd.get(), token(kUdpRtcp, index(s)), EPOLLIN);
    return port;
  }
  cameraFailed(s, "no free UDP port pair for RTP");
  return -1;
}

void LiveLoop::Impl::udpReadable(int i, bool rtp) {
  auto &s = *streams.at(static_cast<std::size_t>(i));
  auto &fd = rtp ? s.up.rtpFd : s.up.rtcpFd;
  char buf[65536];
  for (int reads = 0; reads < 256 && fd; ++reads) {
    auto n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0) break;
    if (rtp && s.up.phase == Phase::Playing)
      rtpFromCamera(s, std::string_view(buf, static_cast<std::size_t>(n)));
  }
}

// One RTP packet with the viewers' numbering: sequence numbers, timestamps
// and SSRC continue where the last camera session left off.
PacketPtr LiveLoop::Impl::renumbered(Stream &s, std::string_view data, const rtsp::RtpHeader &h,
                                     std::int64_t nowNs) {
  auto &u = s.up;
  if (u.firstPacket) {
    u.firstPacket = false;
    std::uint16_t nextSeq = s.anyOut ? static_cast<std::uint16_t>(s.lastSeqOut + 1) : h.sequence;
    std::uint32_t nextTs = s.anyOut
                               ? s.lastTsOut + static_cast<std::uint32_t>(std::max<std::int64_t>(
                                                   1, (nowNs - s.lastOutNs) * s.clockRate / 1'000'000'000))
                               : h.timestamp;
    if (!s.anyOut) s.ssrc = static_cast<std::uint32_t>(rng());
    s.seqDelta = static_cast<std::int32_t>(nextSeq) - static_cast<std::int32_t>(h.sequence);
    s.tsDelta = nextTs - h.timestamp;
    s.anyOut = true;
    u.timed = false;
  }
  // The camera's clock on ours: its first packet's arrival is its time 0.
  if (!u.timed) {
    u.timed = true;
    u.lastTs = h.timestamp;
    u.extTs = 0;
    u.startNs = nowNs;
  } else {
    u.extTs += static_cast<std::int32_t>(h.timestamp - u.lastTs);
    u.lastTs = h.timestamp;
  }
  auto pkt = std::make_shared<Packet>();
  pkt->bytes.assign(data.data(), data.size());
  pkt->sequence = static_cast<std::uint16_t>(h.sequence + s.seqDelta);
  pkt->timestamp = h.timestamp + s.tsDelta;
  wr16(pkt->bytes.data() + 2, pkt->sequence);
  wr32(pkt->bytes.data() + 4, pkt->timestamp);
  wr32(pkt->bytes.data() + 8, s.ssrc);
  s.lastSeqOut = pkt->sequence;
  s.lastTsOut = pkt->timestamp;
  s.lastOutNs = nowNs;
  return pkt;
}

// One RTP packet from the camera: renumbered, kept for new viewers,
// depayloaded for the owner, queued to every viewer.
void LiveLoop::Impl::rtpFromCamera(Stream &s, std::string_view data) {
  auto &u = s.up;
  if (u.phase != Phase::Playing || !u.depay) return;
  auto h = rtsp::parseRtp(data);
  if (!h) return;
  auto packet = renumbered(s, data, *h, steadyNs());
  // (the unit held back in u.pending may still turn out a keyframe)
  std::optional<std::uint32_t> held;
  if (u.pending) held = u.pending->timestamp + s.tsDelta;
  s.gop.add(packet, held);
  for (auto id : s.watchers) {
    auto it = viewers.find(id);
    if (it != viewers.end() && !it->second->skipping) enqueuePacket(*it->second, packet);
  }

  for (auto &unit : u.depay->push(data)) {
    // A picture whose slices came with the marker bit set more than once
    // (x264's sliced threads) is one access unit: units with the same
    // timestamp are joined, and one goes out when the next one begins.
    if (u.pending && u.pending->timestamp == unit.timestamp) {
      u.pending->data += unit.data;
      u.pending->keyframe = u.pending->keyframe || unit.keyframe;
      u.pendingParts++;
      continue;
    }
    if (u.pending && (u.pendingParts > 1 || u.pending->keyframe))
      u.pending->data = joinedUnit(u.pending->data, u.video.encoding == "H265");
    if (u.pending) emitUnit(s, *u.pending, h->timestamp);
    u.pendingParts = 1;
    u.pending = std::move(unit);
  }
}

// A whole access unit for the owner (and the cache), with its time on our
// clock; `packetTs` is the RTP timestamp of the packet being handled.
void LiveLoop::Impl::emitUnit(Stream &s, const rtp::AccessUnit &unit, std::uint32_t packetTs) {
  auto &u = s.up;
  if (unit.keyframe) keyframeCompleted(s, unit.timestamp + s.tsDelta);
  auto ptsNs =
      u.startNs + static_cast<std::int64_t>((u.extTs - static_cast<std::int32_t>(packetTs - unit.timestamp)) *
                                            1'000'000'000 / s.clockRate);
  if (ptsNs <= u.lastPtsNs) ptsNs = u.lastPtsNs + 1'000'000;  // never backwards for the muxer
  u.lastPtsNs = ptsNs;
  if (s.hooks.unit) s.hooks.unit(unit, ptsNs);
}

// A whole keyframe (output timestamp ts) arrived: the cache now starts
// at its first packet, and viewers that fell behind resume there.
void LiveLoop::Impl::keyframeCompleted(Stream &s, std::uint32_t ts) {
  if (!s.gop.keyframeAt(ts)) return;
  for (auto id : s.watchers) {
    auto it = viewers.find(id);
    if (it == viewers.end() || !it->second->skipping) continue;
    auto &v = *it->second;
    v.skipping = false;
    for (auto &p : s.gop.packets()) enqueuePacket(v, p);
  }
  // Viewers waiting for the first keyframe (on demand) are answered.
  for (auto &[id, v] : viewers)
    if (v->parked && v->stream == s.index) answerDescribe(*v, *std::exchange(v->parked, std::nullopt));
}

}  // namespace liandong::ingest
