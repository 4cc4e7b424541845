// The node's live video path at the RTP level: our own RTSP client to the
// cameras and our own RTSP server to the viewers on one epoll thread (see
// live_relay.h for what and why).
#include "live_relay.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "liandong/core/fd.h"
#include "liandong/core/logging.h"
#include "liandong/ingest/camera/camera_hub.h"

namespace liandong::ingest {

namespace {

constexpr std::size_t kMaxGopBytes = 16u << 20;  // beyond this the cache waits for the next keyframe
constexpr std::int64_t kStuckViewerMs = 30000;   // nothing written for this long: the viewer is gone
constexpr std::size_t kMaxViewers = 4096;
constexpr int kIovBatch = 128;  // packets per writev (two iovecs each)

std::int64_t steadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string errnoText(int e) {
  return std::strerror(e);
}

void wr16(char *p, std::uint16_t v) {
  p[0] = static_cast<char>(v >> 8);
  p[1] = static_cast<char>(v);
}
void wr32(char *p, std::uint32_t v) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}

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

// One forwarded RTP packet (header rewritten), shared by every viewer queue.
struct Packet {
  std::string bytes;
  std::uint32_t timestamp = 0;  // as rewritten
  std::uint16_t sequence = 0;   // as rewritten
};
using PacketPtr = std::shared_ptr<const Packet>;

// epoll tokens: kind in the top byte, an index below.
enum Kind : std::uint64_t { kListen = 1, kWake, kUpstream, kUdpRtp, kUdpRtcp, kViewer };
std::uint64_t token(Kind k, std::uint64_t index) {
  return (std::uint64_t(k) << 56) | index;
}

std::string randomHex(std::mt19937_64 &rng, int digits) {
  std::string s;
  while (static_cast<int>(s.size()) < digits) s += fmt::format("{:016x}", rng());
  return s.substr(0, static_cast<std::size_t>(digits));
}

}  // namespace

// ---------------------------------------------------------------------------

struct LiveRelay::Impl {
  std::shared_ptr<spdlog::logger> log = logging::get("ingest");
  Transfer transfer;
  std::size_t backlogBytes = 4u << 20;  // a viewer further behind skips to the next keyframe
  Fd listenFd, epollFd, wakeFd;
  int boundPort = 0;
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::mt19937_64 rng{std::random_device{}()};

  // Commands from other threads, under mu.
  struct Command {
    int stream;
    bool connect;
    std::uint64_t attempt;
    std::string url;
    bool tcp;
    int timeoutMs;
  };
  std::mutex mu;
  std::vector<Command> commands;

  // ---- upstream: our RTSP client to the camera ----
  enum class Phase { Idle, Connecting, Describe, Setup, Play, Playing };
  struct Upstream {
    Phase phase = Phase::Idle;
    std::uint64_t attempt = 0;
    rtsp::Url url;
    std::string requestUrl;  // the URL without credentials
    bool tcp = true;
    Fd fd, rtpFd, rtcpFd;  // TCP; UDP sockets when tcp is false
    rtsp::Reader reader;
    std::string out;  // bytes not yet written
    int cseq = 0;
    std::int64_t deadlineMs = 0;  // of the handshake
    std::optional<rtsp::Message> unauthorized;
    int nonceCount = 0;
    int authTries = 0;  // 401s answered in this phase
    // the last request, to send again with credentials after a 401
    std::string lastUrl;
    std::vector<std::pair<std::string, std::string>> lastHeaders;
    std::string cnonce;
    std::string base;  // for the control URLs
    std::string session;
    int timeoutS = 60;
    std::int64_t lastKeepaliveMs = 0;
    rtsp::SdpVideo video;
    std::string lastMethod;
    int rtpChannel = 0;
    std::unique_ptr<rtp::Depayloader> depay;
    std::optional<rtp::AccessUnit> pending;  // the last unit, until the next one shows it is whole
    int pendingParts = 0;                    // units joined into it
    // the camera's RTP clock on ours
    bool timed = false;
    std::uint32_t lastTs = 0;
    std::int64_t extTs = 0, startNs = 0, lastPtsNs = 0;
    bool firstPacket = true;
  };

  // ---- what viewers get ----
  struct Stream {
    int index = 0;     // in streams
    std::string path;  // after /cam/
    LiveHooks hooks;
    int describeWaitMs = 10000;
    Upstream up;
    std::atomic<int> viewerCount{0};
    // output numbering, continuous across upstream sessions
    std::uint32_t ssrc = 0;
    std::int32_t seqDelta = 0;
    std::uint32_t tsDelta = 0;
    bool anyOut = false;
    std::uint16_t lastSeqOut = 0;
    std::uint32_t lastTsOut = 0;
    std::int64_t lastOutNs = 0;
    int clockRate = 90000;
    // SDP for viewers (from the upstream's)
    std::optional<rtsp::SdpVideo> video;
    // the group of pictures since the last keyframe, as forwarded
    std::deque<PacketPtr> gop;
    std::size_t gopBytes = 0;
    bool gopValid = false;                // gop starts at a keyframe
    std::vector<std::uint64_t> watchers;  // viewers playing it
  };
  std::vector<std::unique_ptr<Stream>> streams;
  std::map<std::string, int> byPath;

  struct Entry {
    PacketPtr packet;                         // RTP, sent after hdr
    std::shared_ptr<const std::string> text;  // or an RTSP response
    char hdr[4] = {'$', 0, 0, 0};
    std::size_t off = 0;  // bytes of this entry already written
    std::size_t size() const { return packet ? 4 + packet->bytes.size() : text->size(); }
  };
  struct Viewer {
    std::uint64_t id = 0;
    Fd fd;
    std::string peerIp;
    int peerPort = 0;
    rtsp::Reader reader;
    int stream = -1;  // the stream of its session
    std::string session;
    int rtpChannel = 0;
    bool playing = false;
    bool skipping = false;  // fell behind: nothing until the next keyframe
    std::deque<Entry> queue;
    std::size_t queuedBytes = 0;
    bool wantWrite = false;  // EPOLLOUT registered
    std::int64_t lastProgressMs = 0;
    std::optional<rtsp::Message> parked;  // a DESCRIBE waiting for the stream
    std::int64_t parkedUntilMs = 0;
    bool dirty = false;  // listed in Impl::dirty
  };
  std::unordered_map<std::uint64_t, std::unique_ptr<Viewer>> viewers;
  std::uint64_t nextViewer = 1;
  std::vector<std::uint64_t> dirty;  // viewers with queued bytes to flush
  std::int64_t lastTimersMs = 0;

  // ------------------------------------------------------------------ set-up

  void listen(const std::string &host, int port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo *res = nullptr;
    auto service = std::to_string(port);
    if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0)
      throw Error(fmt::format("cannot serve cameras on {}:{}: {}", host, port, gai_strerror(rc)));
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
    Fd fd(socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) throw Error(fmt::format("cannot serve cameras: socket: {}", errnoText(errno)));
    int one = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd.get(), res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd.get(), 256) != 0)
      throw Error(fmt::format("cannot serve cameras on {}:{}: {}", host, port, errnoText(errno)));
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(fd.get(), reinterpret_cast<sockaddr *>(&ss), &len);
    boundPort = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6 *>(&ss)->sin6_port
                                               : reinterpret_cast<sockaddr_in *>(&ss)->sin_port);
    listenFd = std::move(fd);
    epollFd = Fd(epoll_create1(EPOLL_CLOEXEC));
    wakeFd = Fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!epollFd || !wakeFd) throw Error("cannot serve cameras: epoll: " + errnoText(errno));
    watch(listenFd.get(), token(kListen, 0), EPOLLIN);
    watch(wakeFd.get(), token(kWake, 0), EPOLLIN);
  }

  void watch(int fd, std::uint64_t tok, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tok;
    if (epoll_ctl(epollFd.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
      epoll_ctl(epollFd.get(), EPOLL_CTL_MOD, fd, &ev);
  }
  void unwatch(int fd) {
    if (fd >= 0) epoll_ctl(epollFd.get(), EPOLL_CTL_DEL, fd, nullptr);
  }

  void wake() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wakeFd.get(), &one, sizeof one);
  }

  // ------------------------------------------------------------------ loop

  void run() {
    std::vector<epoll_event> events(256);
    while (!stopping.load()) {
      int n = epoll_wait(epollFd.get(), events.data(), static_cast<int>(events.size()), 100);
      if (n < 0 && errno != EINTR) {
        log->error("camera relay: epoll: {}", errnoText(errno));
        break;
      }
      for (int i = 0; i < n; ++i) {
        auto tok = events[i].data.u64;
        auto kind = static_cast<Kind>(tok >> 56);
        auto index = tok & ((std::uint64_t(1) << 56) - 1);
        try {
          switch (kind) {
            case kListen: accept(); break;
            case kWake: commandsArrived(); break;
            case kUpstream: upstreamReady(static_cast<int>(index), events[i].events); break;
            case kUdpRtp: udpReadable(static_cast<int>(index), true); break;
            case kUdpRtcp: udpReadable(static_cast<int>(index), false); break;
            case kViewer: viewerReady(index, events[i].events); break;
          }
        } catch (const std::exception &e) {
          log->error("camera relay: {}", e.what());
        }
      }
      flushDirty();
      if (auto now = steadyMs(); now - lastTimersMs >= 50) {
        lastTimersMs = now;
        timers();
        flushDirty();
      }
    }
    for (auto &s : streams) closeUpstream(*s);
    viewers.clear();
  }

  void commandsArrived() {
    std::uint64_t value;
    [[maybe_unused]] auto n = ::read(wakeFd.get(), &value, sizeof value);
    std::vector<Command> todo;
    {
      std::lock_guard lock(mu);
      todo.swap(commands);
    }
    for (auto &c : todo) {
      auto &s = *streams.at(static_cast<std::size_t>(c.stream));
      closeUpstream(s);
      if (c.connect) openUpstream(s, c);
    }
  }

  void timers() {
    auto now = steadyMs();
    for (std::size_t i = 0; i < streams.size(); ++i) {
      auto &s = *streams[i];
      auto &u = s.up;
      if (u.phase == Phase::Idle) continue;
      if (u.phase != Phase::Playing && now > u.deadlineMs) {
        upstreamFailed(s, u.phase == Phase::Connecting
                              ? "no answer from the camera (connection timed out)"
                              : fmt::format("no answer from the camera to {}", u.lastMethod));
      } else if (u.phase == Phase::Playing && now - u.lastKeepaliveMs >= std::max(5, u.timeoutS / 2) * 1000) {
        u.lastKeepaliveMs = now;
        request(s, "OPTIONS", u.requestUrl, {});  // keeps the camera's session alive
      }
    }
    std::vector<std::uint64_t> gone;
    for (auto &[id, v] : viewers) {
      if (v->parked &&
          (now >= v->parkedUntilMs || streamReady(*streams[static_cast<std::size_t>(v->stream)])))
        answerDescribe(*v, *std::exchange(v->parked, std::nullopt), false);
      if (!v->queue.empty() && now - v->lastProgressMs > kStuckViewerMs) gone.push_back(id);
    }
    for (auto id : gone) {
      log->warn("camera viewer {}:{} took nothing for {} s; closed", viewers[id]->peerIp,
                viewers[id]->peerPort, kStuckViewerMs / 1000);
      dropViewer(id);
    }
  }

  // ------------------------------------------------------------------ upstream

  void openUpstream(Stream &s, const Command &c) {
    auto &u = s.up;
    u = Upstream{};
    u.attempt = c.attempt;
    u.tcp = c.tcp;
    u.deadlineMs = steadyMs() + c.timeoutMs;
    u.cnonce = randomHex(rng, 16);
    try {
      u.url = rtsp::parseUrl(c.url);
    } catch (const rtsp::RtspError &e) {
      return upstreamFailed(s, e.what());
    }
    u.requestUrl = u.url.withoutCredentials();
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo *res = nullptr;
    auto service = std::to_string(u.url.port);
    // Cameras are configured by address on an air-gapped network; a name is
    // looked up here (the system's resolver, a short wait at most).
    if (int rc = getaddrinfo(u.url.host.c_str(), service.c_str(), &hints, &res); rc != 0)
      return upstreamFailed(s, fmt::format("cannot resolve {}: {}", u.url.host, gai_strerror(rc)));
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
    u.fd = Fd(socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!u.fd) return upstreamFailed(s, "socket: " + errnoText(errno));
    int one = 1;
    setsockopt(u.fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    u.phase = Phase::Connecting;
    u.lastMethod = "connect";
    if (::connect(u.fd.get(), res->ai_addr, res->ai_addrlen) != 0 && errno != EINPROGRESS)
      return upstreamFailed(
          s, fmt::format("cannot connect to {}:{}: {}", u.url.host, u.url.port, errnoText(errno)));
    watch(u.fd.get(), token(kUpstream, index(s)), EPOLLIN | EPOLLOUT);
  }

  static std::uint64_t index(const Stream &s) { return static_cast<std::uint64_t>(s.index); }

  void closeUpstream(Stream &s) {
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
    s.gopBytes = 0;
    s.gopValid = false;
  }

  std::string teardownText(Stream &s) {
    auto &u = s.up;
    rtsp::Message m;
    m.method = "TEARDOWN";
    m.url = u.requestUrl;
    m.headers = {{"CSeq", std::to_string(++u.cseq)}, {"User-Agent", "Liandong"}};
    if (!u.session.empty()) m.headers.emplace_back("Session", u.session);
    addAuth(u, m);
    return rtsp::format(m);
  }

  void upstreamFailed(Stream &s, const std::string &reason) {
    auto attempt = s.up.attempt;
    closeUpstream(s);
    if (s.hooks.failed)
      s.hooks.failed(attempt, redactCredentials(reason));  // a camera's text may quote a URL
  }

  void addAuth(Upstream &u, rtsp::Message &m) {
    if (!u.unauthorized) return;
    if (auto a = rtsp::authorization(*u.unauthorized, m.method, m.url, u.url.user, u.url.password, u.cnonce,
                                     ++u.nonceCount))
      m.headers.emplace_back("Authorization", *a);
  }

  void request(Stream &s, const std::string &method, const std::string &url,
               std::vector<std::pair<std::string, std::string>> headers) {
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
    writeUpstream(s);
  }

  void writeUpstream(Stream &s) {
    auto &u = s.up;
    while (!u.out.empty()) {
      auto n = ::send(u.fd.get(), u.out.data(), u.out.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return upstreamFailed(s, "sending to the camera: " + errnoText(errno));
      }
      u.out.erase(0, static_cast<std::size_t>(n));
    }
    if (u.fd) watch(u.fd.get(), token(kUpstream, index(s)), u.out.empty() ? EPOLLIN : (EPOLLIN | EPOLLOUT));
  }

  void upstreamReady(int i, std::uint32_t events) {
    auto &s = *streams.at(static_cast<std::size_t>(i));
    auto &u = s.up;
    if (!u.fd) return;
    if (u.phase == Phase::Connecting) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(u.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0)
        return upstreamFailed(
            s, fmt::format("cannot connect to {}:{}: {}", u.url.host, u.url.port, errnoText(err)));
      if (!(events & (EPOLLOUT | EPOLLIN))) return;
      u.phase = Phase::Describe;
      request(s, "DESCRIBE", u.requestUrl, {{"Accept", "application/sdp"}});
      return;
    }
    if (events & EPOLLOUT) writeUpstream(s);
    if (!u.fd || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
    char buf[65536];
    for (int reads = 0; reads < 16; ++reads) {
      auto n = ::recv(u.fd.get(), buf, sizeof buf, 0);
      if (n == 0) return upstreamFailed(s, "the camera closed the connection");
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return upstreamFailed(s, "reading from the camera: " + errnoText(errno));
      }
      u.reader.feed(buf, static_cast<std::size_t>(n));
      try {
        while (auto item = u.reader.next()) {
          if (item->frame) {
            if (item->frame->channel == u.rtpChannel) rtpFromUpstream(s, item->frame->payload);
          } else if (item->message) {
            if (!responseFromUpstream(s, *item->message)) return;
          }
          if (!u.fd) return;  // failed meanwhile
        }
      } catch (const rtsp::RtspError &e) {
        return upstreamFailed(s, std::string("the camera sent something that is not RTSP: ") + e.what());
      }
      if (static_cast<std::size_t>(n) < sizeof buf) break;
    }
  }

  // false when the upstream failed (and is closed)
  bool responseFromUpstream(Stream &s, const rtsp::Message &m) {
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
      upstreamFailed(s, fmt::format("{}: {} {}", u.lastMethod, m.status, m.reason));
      return false;
    }
    switch (u.phase) {
      case Phase::Describe: {
        rtsp::Sdp sdp;
        try {
          sdp = rtsp::parseSdp(m.body);
        } catch (const rtsp::RtspError &e) {
          upstreamFailed(s, std::string("DESCRIBE: ") + e.what());
          return false;
        }
        if (!sdp.video) {
          upstreamFailed(s, "the camera offers no video stream");
          return false;
        }
        if (sdp.video->encoding != "H264" && sdp.video->encoding != "H265") {
          upstreamFailed(s,
                         fmt::format("the camera sends {} video, not H.264 or H.265", sdp.video->encoding));
          return false;
        }
        u.video = *sdp.video;
        u.base = m.header("Content-Base").value_or(m.header("Content-Location").value_or(u.requestUrl));
        auto control = u.video.control.empty() ? (sdp.sessionControl.empty() ? "*" : sdp.sessionControl)
                                               : u.video.control;
        auto setupUrl = rtsp::resolveControl(u.base, control);
        if (setupUrl.rfind("rtsp://", 0) == 0) {
          // A control URL the camera wrote with credentials in it is sent without them.
          try {
            setupUrl = rtsp::parseUrl(setupUrl).withoutCredentials();
          } catch (const rtsp::RtspError &) {
          }
        }
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
      case Phase::Setup: {
        auto session = m.header("Session");
        if (!session) {
          upstreamFailed(s, "SETUP: the camera gave no session");
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
            upstreamFailed(s, "SETUP: the camera gave no server_port for RTP over UDP");
            return false;
          }
          acceptOnlyFromCamera(s, *tr);
        }
        u.phase = Phase::Play;
        auto playUrl = u.base.empty() ? u.requestUrl : u.base;
        if (playUrl.rfind("rtsp://", 0) == 0) try {
            playUrl = rtsp::parseUrl(playUrl).withoutCredentials();
          } catch (const rtsp::RtspError &) {
          }
        request(s, "PLAY", playUrl, {{"Range", "npt=0.000-"}});
        return true;
      }
      case Phase::Play: {
        u.phase = Phase::Playing;
        u.lastKeepaliveMs = steadyMs();
        auto codec = u.video.encoding == "H265" ? rtp::VideoCodec::H265 : rtp::VideoCodec::H264;
        u.depay = std::make_unique<rtp::Depayloader>(codec, u.video.parameterSets);
        u.firstPacket = true;
        s.video = u.video;
        s.clockRate = u.video.clockRate > 0 ? u.video.clockRate : 90000;
        if (s.hooks.playing) s.hooks.playing(u.attempt, u.video);
        return true;
      }
      default: return true;
    }
  }

  // RTP over UDP: the sockets take datagrams from the camera's ports only
  // (connected to them), so nobody else on the network can inject video.
  void acceptOnlyFromCamera(Stream &s, const rtsp::Transport &tr) {
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

  int openUdpPair(Stream &s) {
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
    upstreamFailed(s, "no free UDP port pair for RTP");
    return -1;
  }

  void udpReadable(int i, bool rtp) {
    auto &s = *streams.at(static_cast<std::size_t>(i));
    auto &fd = rtp ? s.up.rtpFd : s.up.rtcpFd;
    char buf[65536];
    for (int reads = 0; reads < 256 && fd; ++reads) {
      auto n = ::recv(fd.get(), buf, sizeof buf, 0);
      if (n < 0) break;
      if (rtp && s.up.phase == Phase::Playing)
        rtpFromUpstream(s, std::string_view(buf, static_cast<std::size_t>(n)));
    }
  }

  // One RTP packet from the camera: renumbered, kept for new viewers,
  // depayloaded for the owner, queued to every viewer.
  void rtpFromUpstream(Stream &s, std::string_view data) {
    auto &u = s.up;
    if (u.phase != Phase::Playing || !u.depay) return;
    auto h = rtsp::parseRtp(data);
    if (!h) return;
    auto nowNs = steadyNs();
    if (u.firstPacket) {
      u.firstPacket = false;
      // Continue the viewers' numbering where the last session left off.
      std::uint16_t nextSeq = s.anyOut ? static_cast<std::uint16_t>(s.lastSeqOut + 1) : h->sequence;
      std::uint32_t nextTs = s.anyOut
                                 ? s.lastTsOut + static_cast<std::uint32_t>(std::max<std::int64_t>(
                                                     1, (nowNs - s.lastOutNs) * s.clockRate / 1'000'000'000))
                                 : h->timestamp;
      if (!s.anyOut) s.ssrc = static_cast<std::uint32_t>(rng());
      s.seqDelta = static_cast<std::int32_t>(nextSeq) - static_cast<std::int32_t>(h->sequence);
      s.tsDelta = nextTs - h->timestamp;
      s.anyOut = true;
      u.timed = false;
    }
    // The camera's clock on ours: its first packet's arrival is its time 0.
    if (!u.timed) {
      u.timed = true;
      u.lastTs = h->timestamp;
      u.extTs = 0;
      u.startNs = nowNs;
    } else {
      u.extTs += static_cast<std::int32_t>(h->timestamp - u.lastTs);
      u.lastTs = h->timestamp;
    }
    auto pkt = std::make_shared<Packet>();
    pkt->bytes.assign(data.data(), data.size());
    pkt->sequence = static_cast<std::uint16_t>(h->sequence + s.seqDelta);
    pkt->timestamp = h->timestamp + s.tsDelta;
    wr16(pkt->bytes.data() + 2, pkt->sequence);
    wr32(pkt->bytes.data() + 4, pkt->timestamp);
    wr32(pkt->bytes.data() + 8, s.ssrc);
    s.lastSeqOut = pkt->sequence;
    s.lastTsOut = pkt->timestamp;
    s.lastOutNs = nowNs;
    PacketPtr packet = std::move(pkt);

    // The cache holds the packets since the start of the last keyframe;
    // until one came, only those of the access units not yet judged.
    if (!s.gopValid) {
      // (the unit held back in u.pending may still turn out a keyframe)
      std::optional<std::uint32_t> held;
      if (u.pending) held = u.pending->timestamp + s.tsDelta;
      while (!s.gop.empty() && s.gop.front()->timestamp != packet->timestamp &&
             s.gop.front()->timestamp != held) {
        s.gopBytes -= s.gop.front()->bytes.size();
        s.gop.pop_front();
      }
    }
    s.gop.push_back(packet);
    s.gopBytes += packet->bytes.size();
    if (s.gopBytes > kMaxGopBytes) {
      s.gop.clear();
      s.gopBytes = 0;
      s.gopValid = false;
    }
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
  void emitUnit(Stream &s, const rtp::AccessUnit &unit, std::uint32_t packetTs) {
    auto &u = s.up;
    if (unit.keyframe) keyframeCompleted(s, unit.timestamp + s.tsDelta);
    auto ptsNs = u.startNs +
                 static_cast<std::int64_t>((u.extTs - static_cast<std::int32_t>(packetTs - unit.timestamp)) *
                                           1'000'000'000 / s.clockRate);
    if (ptsNs <= u.lastPtsNs) ptsNs = u.lastPtsNs + 1'000'000;  // never backwards for the muxer
    u.lastPtsNs = ptsNs;
    if (s.hooks.unit) s.hooks.unit(unit, ptsNs);
  }

  // A whole keyframe (output timestamp ts) arrived: the cache now starts
  // at its first packet, and viewers that fell behind resume there.
  void keyframeCompleted(Stream &s, std::uint32_t ts) {
    auto first =
        std::find_if(s.gop.begin(), s.gop.end(), [ts](const PacketPtr &p) { return p->timestamp == ts; });
    if (first == s.gop.end()) return;
    for (auto it = s.gop.begin(); it != first; ++it) s.gopBytes -= (*it)->bytes.size();
    s.gop.erase(s.gop.begin(), first);
    s.gopValid = true;
    for (auto id : s.watchers) {
      auto it = viewers.find(id);
      if (it == viewers.end() || !it->second->skipping) continue;
      auto &v = *it->second;
      v.skipping = false;
      for (auto &p : s.gop) enqueuePacket(v, p);
    }
    // Viewers waiting for the first keyframe (on demand) are answered.
    for (auto &[id, v] : viewers)
      if (v->parked && v->stream == s.index)
        answerDescribe(*v, *std::exchange(v->parked, std::nullopt), false);
  }

  bool streamReady(const Stream &s) const { return s.gopValid && s.video.has_value(); }

  // ------------------------------------------------------------------ viewers

  void accept() {
    for (;;) {
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      Fd fd(accept4(listenFd.get(), reinterpret_cast<sockaddr *>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (!fd) return;
      if (viewers.size() >= kMaxViewers) {
        log->warn("camera relay: {} viewers already; a new connection refused", kMaxViewers);
        continue;
      }
      int one = 1;
      setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      // A fixed send buffer (no autotuning up to megabytes): how far a
      // viewer may fall behind is then the backlog here, not the kernel's.
      int sendBuffer = static_cast<int>(std::min<std::size_t>(backlogBytes, 1u << 20));
      setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &sendBuffer, sizeof sendBuffer);
      auto v = std::make_unique<Viewer>();
      v->id = nextViewer++;
      char host[INET6_ADDRSTRLEN] = "?";
      if (ss.ss_family == AF_INET) {
        auto *a = reinterpret_cast<sockaddr_in *>(&ss);
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        v->peerPort = ntohs(a->sin_port);
      } else if (ss.ss_family == AF_INET6) {
        auto *a = reinterpret_cast<sockaddr_in6 *>(&ss);
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        v->peerPort = ntohs(a->sin6_port);
      }
      v->peerIp = host;
      v->fd = std::move(fd);
      v->lastProgressMs = steadyMs();
      watch(v->fd.get(), token(kViewer, v->id), EPOLLIN);
      viewers[v->id] = std::move(v);
    }
  }

  void dropViewer(std::uint64_t id) {
    auto it = viewers.find(id);
    if (it == viewers.end()) return;
    auto &v = *it->second;
    unwatch(v.fd.get());
    leaveStream(v);
    viewers.erase(it);
  }

  void leaveStream(Viewer &v) {
    if (v.stream >= 0 && !v.session.empty()) {
      auto &s = *streams[static_cast<std::size_t>(v.stream)];
      std::erase(s.watchers, v.id);
      s.viewerCount.fetch_sub(1);
    }
    v.session.clear();
    v.playing = false;
  }

  void viewerReady(std::uint64_t id, std::uint32_t events) {
    auto it = viewers.find(id);
    if (it == viewers.end()) return;
    auto &v = *it->second;
    if (events & EPOLLOUT) {
      if (!flush(v)) return dropViewer(id);
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
    char buf[16384];
    for (;;) {
      auto n = ::recv(v.fd.get(), buf, sizeof buf, 0);
      if (n == 0) return dropViewer(id);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return dropViewer(id);
      }
      v.reader.feed(buf, static_cast<std::size_t>(n));
      try {
        while (auto item = v.reader.next()) {
          if (item->message && !item->message->isResponse) {
            if (!viewerRequest(v, std::move(*item->message))) return;  // handed over or dropped
          }
        }
      } catch (const rtsp::RtspError &e) {
        log->info("camera viewer {}:{}: {}; closed", v.peerIp, v.peerPort, e.what());
        return dropViewer(id);
      }
      if (static_cast<std::size_t>(n) < sizeof buf) break;
    }
  }

  void respond(Viewer &v, const rtsp::Message &req, int status, const std::string &reason,
               std::vector<std::pair<std::string, std::string>> headers = {}, std::string body = {}) {
    rtsp::Message m;
    m.isResponse = true;
    m.status = status;
    m.reason = reason;
    m.headers.emplace_back("CSeq", std::to_string(std::max(0, req.cseq())));
    m.headers.emplace_back("Server", "Liandong");
    for (auto &h : headers) m.headers.push_back(std::move(h));
    m.body = std::move(body);
    Entry e;
    e.text = std::make_shared<const std::string>(rtsp::format(m));
    v.queuedBytes += e.size();
    v.queue.push_back(std::move(e));
    markDirty(v);
  }

  // The stream a request URL names: /cam/<path>[/stream=0][/], or -1.
  int streamOf(const std::string &url, bool *cam) const {
    std::string path;
    try {
      path = rtsp::parseUrl(url).path;
    } catch (const rtsp::RtspError &) {
      path = url;
    }
    if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
    *cam = path.rfind("/cam/", 0) == 0;
    if (!*cam) return -1;
    path = path.substr(5);
    while (!path.empty() && path.back() == '/') path.pop_back();
    auto it = byPath.find(path);
    if (it == byPath.end() && path.size() > 9 && path.ends_with("/stream=0"))
      it = byPath.find(path.substr(0, path.size() - 9));
    return it == byPath.end() ? -1 : it->second;
  }

  // false when the viewer is gone (handed over or dropped)
  bool viewerRequest(Viewer &v, rtsp::Message req) {
    const auto &method = req.method;
    bool cam = false;
    int stream = method == "OPTIONS" && req.url == "*" ? v.stream : streamOf(req.url, &cam);
    if (req.url != "*" && !cam && v.session.empty() && v.queue.empty() && transfer) {
      // Not a live camera (recorded playback): gst-rtsp-server takes it.
      auto initial = rtsp::format(req);
      auto id = v.id;
      unwatch(v.fd.get());
      int fd = v.fd.get();
      auto ip = v.peerIp;
      int port = v.peerPort;
      auto it = viewers.find(id);
      auto owned = std::move(it->second);
      viewers.erase(it);
      int kept = fcntl(fd, F_DUPFD_CLOEXEC, 0);  // the Fd closes its copy
      owned.reset();
      if (kept >= 0) transfer(kept, ip, port, initial);
      return false;
    }
    if (method == "OPTIONS") {
      respond(v, req, 200, "OK",
              {{"Public", "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER"}});
      return true;
    }
    if (method == "GET_PARAMETER" || method == "SET_PARAMETER") {
      std::vector<std::pair<std::string, std::string>> h;
      if (!v.session.empty()) h.emplace_back("Session", v.session);
      respond(v, req, 200, "OK", std::move(h));
      return true;
    }
    static const std::set<std::string> known{"DESCRIBE", "SETUP", "PLAY", "PAUSE", "TEARDOWN"};
    if (!known.contains(method)) {
      respond(v, req, 501, "Not Implemented");
      return true;
    }
    if (stream < 0) {
      respond(v, req, 404, "Not Found");
      return true;
    }
    auto &s = *streams[static_cast<std::size_t>(stream)];
    if (method == "DESCRIBE") {
      v.stream = v.session.empty() ? stream : v.stream;
      if (streamReady(s)) {
        answerDescribe(v, req, true);
      } else if (s.hooks.wanted && s.hooks.wanted()) {
        v.stream = stream;
        v.parkedUntilMs = steadyMs() + s.describeWaitMs;
        v.parked = std::move(req);
      } else {
        respond(v, req, 503, "Service Unavailable");
      }
      return true;
    }
    if (method == "SETUP") {
      auto th = req.header("Transport");
      auto tr = th ? rtsp::parseTransport(*th) : std::nullopt;
      if (!tr || !tr->tcp || tr->multicast) {
        respond(v, req, 461, "Unsupported Transport");  // clients then ask for RTP over TCP
        return true;
      }
      if (!v.session.empty() && v.stream != stream) {
        respond(v, req, 459, "Aggregate Operation Not Allowed");
        return true;
      }
      if (v.session.empty()) {
        v.session = randomHex(rng, 16);
        v.stream = stream;
        s.viewerCount.fetch_add(1);
        s.watchers.push_back(v.id);
      }
      v.rtpChannel = tr->interleavedRtp >= 0 ? tr->interleavedRtp : 0;
      int rtcp = tr->interleavedRtcp >= 0 ? tr->interleavedRtcp : v.rtpChannel + 1;
      respond(v, req, 200, "OK",
              {{"Transport", fmt::format("RTP/AVP/TCP;unicast;interleaved={}-{};ssrc={:08X};mode=\"PLAY\"",
                                         v.rtpChannel, rtcp, s.ssrc)},
               {"Session", v.session + ";timeout=60"}});
      return true;
    }
    if (v.session.empty() || req.header("Session").value_or("").substr(0, v.session.size()) != v.session) {
      respond(v, req, 454, "Session Not Found");
      return true;
    }
    if (method == "PLAY") {
      std::vector<std::pair<std::string, std::string>> h{{"Session", v.session}, {"Range", "npt=now-"}};
      bool start = !v.playing;
      if (start && s.gopValid && !s.gop.empty()) {
        auto base = req.url;
        if (!base.empty() && base.back() != '/') base += '/';
        h.emplace_back("RTP-Info", fmt::format("url={}stream=0;seq={};rtptime={}", base,
                                               s.gop.front()->sequence, s.gop.front()->timestamp));
      }
      respond(v, req, 200, "OK", std::move(h));
      if (start) {
        v.playing = true;
        v.skipping = !s.gopValid;  // nothing until a keyframe
        if (s.gopValid)
          for (auto &p : s.gop) enqueuePacket(v, p);
      }
      return true;
    }
    if (method == "PAUSE") {
      v.playing = false;
      respond(v, req, 200, "OK", {{"Session", v.session}});
      return true;
    }
    if (method == "TEARDOWN") {
      auto session = v.session;
      leaveStream(v);
      respond(v, req, 200, "OK", {{"Session", session}});
      return true;
    }
    respond(v, req, 501, "Not Implemented");
    return true;
  }

  void answerDescribe(Viewer &v, const rtsp::Message &req, bool) {
    if (v.stream < 0) return respond(v, req, 404, "Not Found");
    auto &s = *streams[static_cast<std::size_t>(v.stream)];
    if (!streamReady(s)) return respond(v, req, 503, "Service Unavailable");
    const auto &video = *s.video;
    std::string sdp = fmt::format(
        "v=0\r\no=- {} 1 IN IP4 0.0.0.0\r\ns=Liandong camera {}\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
        "a=tool:Liandong\r\na=type:broadcast\r\na=range:npt=now-\r\na=control:*\r\n"
        "m=video 0 RTP/AVP {}\r\na=rtpmap:{} {}/{}\r\n",
        s.ssrc, s.path, video.payloadType, video.payloadType, video.encoding, s.clockRate);
    if (!video.fmtp.empty()) sdp += fmt::format("a=fmtp:{} {}\r\n", video.payloadType, video.fmtp);
    sdp += "a=control:stream=0\r\n";
    auto base = req.url;
    if (!base.empty() && base.back() != '/') base += '/';
    respond(v, req, 200, "OK", {{"Content-Base", base}, {"Content-Type", "application/sdp"}}, std::move(sdp));
  }

  void enqueuePacket(Viewer &v, const PacketPtr &p) {
    if (!v.playing) return;
    if (v.queuedBytes > backlogBytes) {
      // Behind by more than it may be: drop what waits (but the entry being
      // written) and resume at the next keyframe.
      while (v.queue.size() > 1) {
        v.queuedBytes -= v.queue.back().size() - v.queue.back().off;
        v.queue.pop_back();
      }
      if (!v.queue.empty() && v.queue.front().off == 0) {
        v.queuedBytes -= v.queue.front().size();
        v.queue.pop_front();
      }
      v.skipping = true;
      return;
    }
    Entry e;
    e.packet = p;
    e.hdr[1] = static_cast<char>(v.rtpChannel);
    wr16(e.hdr + 2, static_cast<std::uint16_t>(p->bytes.size()));
    v.queuedBytes += e.size();
    v.queue.push_back(std::move(e));
    markDirty(v);
  }

  void markDirty(Viewer &v) {
    if (v.wantWrite || v.dirty) return;  // EPOLLOUT will flush it, or it is listed already
    v.dirty = true;
    dirty.push_back(v.id);
  }

  void flushDirty() {
    auto ids = std::move(dirty);
    dirty.clear();
    for (auto id : ids) {
      auto it = viewers.find(id);
      if (it == viewers.end()) continue;
      it->second->dirty = false;
      if (it->second->wantWrite) continue;
      if (!flush(*it->second)) dropViewer(id);
    }
  }

  // Writes what the viewer's queue holds; false when the connection failed.
  bool flush(Viewer &v) {
    while (!v.queue.empty()) {
      iovec iov[kIovBatch * 2];
      int n = 0;
      for (auto it = v.queue.begin(); it != v.queue.end() && n < kIovBatch * 2 - 1; ++it) {
        auto &e = *it;
        std::size_t off = e.off;
        if (e.packet) {
          if (off < 4) iov[n++] = {e.hdr + off, 4 - off};
          std::size_t poff = off > 4 ? off - 4 : 0;
          iov[n++] = {const_cast<char *>(e.packet->bytes.data()) + poff, e.packet->bytes.size() - poff};
        } else {
          iov[n++] = {const_cast<char *>(e.text->data()) + off, e.text->size() - off};
        }
      }
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = static_cast<std::size_t>(n);
      auto written = ::sendmsg(v.fd.get(), &msg, MSG_NOSIGNAL);
      if (written < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return false;
      }
      v.lastProgressMs = steadyMs();
      auto left = static_cast<std::size_t>(written);
      while (left > 0 && !v.queue.empty()) {
        auto &e = v.queue.front();
        auto rest = e.size() - e.off;
        if (left >= rest) {
          left -= rest;
          v.queuedBytes -= rest;
          v.queue.pop_front();
        } else {
          e.off += left;
          v.queuedBytes -= left;
          left = 0;
        }
      }
    }
    bool want = !v.queue.empty();
    if (want != v.wantWrite) {
      v.wantWrite = want;
      watch(v.fd.get(), token(kViewer, v.id), want ? (EPOLLIN | EPOLLOUT) : EPOLLIN);
    }
    if (!want) v.lastProgressMs = steadyMs();
    return true;
  }
};

// ---------------------------------------------------------------------------

LiveRelay::LiveRelay(const std::string &host, int port, std::size_t backlogBytes, Transfer transfer)
    : impl_(std::make_unique<Impl>()) {
  impl_->transfer = std::move(transfer);
  impl_->backlogBytes = backlogBytes;
  impl_->listen(host, port);
}

LiveRelay::~LiveRelay() {
  impl_->stopping = true;
  impl_->wake();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int LiveRelay::port() const {
  return impl_->boundPort;
}

int LiveRelay::add(const std::string &path, LiveHooks hooks, int describeWaitMs) {
  auto s = std::make_unique<Impl::Stream>();
  s->path = path;
  s->hooks = std::move(hooks);
  s->describeWaitMs = describeWaitMs;
  s->index = static_cast<int>(impl_->streams.size());
  s->ssrc = static_cast<std::uint32_t>(impl_->rng());
  int index = static_cast<int>(impl_->streams.size());
  impl_->byPath[path] = index;
  impl_->streams.push_back(std::move(s));
  return index;
}

void LiveRelay::start() {
  impl_->thread = std::thread([impl = impl_.get()] {
    try {
      impl->run();
    } catch (const std::exception &e) {
      impl->log->critical("camera relay stopped: {}", e.what());
    }
  });
}

void LiveRelay::connect(int stream, std::uint64_t attempt, const std::string &url, bool tcp, int timeoutMs) {
  {
    std::lock_guard lock(impl_->mu);
    impl_->commands.push_back({stream, true, attempt, url, tcp, timeoutMs});
  }
  impl_->wake();
}

void LiveRelay::disconnect(int stream) {
  {
    std::lock_guard lock(impl_->mu);
    impl_->commands.push_back({stream, false, 0, {}, true, 0});
  }
  impl_->wake();
}

int LiveRelay::viewers(int stream) const {
  return impl_->streams.at(static_cast<std::size_t>(stream))->viewerCount.load();
}

}  // namespace liandong::ingest
