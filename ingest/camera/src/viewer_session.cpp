// The live loop's RTSP server for viewers (see live_loop.h): accepting
// connections, one RTSP session per viewer at /cam/<id> (OPTIONS,
// DESCRIBE, SETUP over TCP only, PLAY, PAUSE, TEARDOWN), recorded-playback
// connections handed over, and RTP out: each viewer's queue written with
// sendmsg in batches, a viewer that falls behind skipping to the next
// keyframe. Runs on the I/O thread.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include <fmt/format.h>

#include "liandong/core/clock.h"
#include "live_loop_impl.h"

namespace liandong::ingest {

using namespace live;

namespace {
constexpr std::size_t kMaxViewers = 4096;
constexpr int kIovBatch = 128;  // packets per writev (two iovecs each)
}  // namespace

void LiveLoop::Impl::accept() {
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
    auto v = std::make_unique<ViewerSession>();
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

void LiveLoop::Impl::dropViewer(std::uint64_t id) {
  auto it = viewers.find(id);
  if (it == viewers.end()) return;
  auto &v = *it->second;
  unwatch(v.fd.get());
  leaveStream(v);
  viewers.erase(it);
}

void LiveLoop::Impl::leaveStream(ViewerSession &v) {
  if (v.stream >= 0 && !v.session.empty()) {
    auto &s = *streams[static_cast<std::size_t>(v.stream)];
    std::erase(s.watchers, v.id);
    s.viewerCount.fetch_sub(1);
  }
  v.session.clear();
  v.playing = false;
}

void LiveLoop::Impl::viewerReady(std::uint64_t id, std::uint32_t events) {
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
      log->info("camera viewer {}:{}: {}; closed", v.peerIp, v.peerPort, redactGrant(e.what()));
      return dropViewer(id);
    }
    if (static_cast<std::size_t>(n) < sizeof buf) break;
  }
}

void LiveLoop::Impl::respond(ViewerSession &v, const rtsp::Message &req, int status,
                             const std::string &reason, Headers headers, std::string body) {
  rtsp::Message m;
  m.isResponse = true;
  m.status = status;
  m.reason = reason;
  m.headers.emplace_back("CSeq", std::to_string(std::max(0, req.cseq())));
  m.headers.emplace_back("Server", "Liandong");
  for (auto &h : headers) m.headers.push_back(std::move(h));
  m.body = std::move(body);
  ViewerSession::Entry e;
  e.text = std::make_shared<const std::string>(rtsp::format(m));
  v.queuedBytes += e.size();
  v.queue.push_back(std::move(e));
  markDirty(v);
}

// The stream a request URL names: /cam/<path>[/stream=0][/], or -1.
int LiveLoop::Impl::streamOf(const std::string &url, bool *cam) const {
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

// Not a live camera (recorded playback): gst-rtsp-server takes the
// connection, with the request already read. The viewer is gone after this.
void LiveLoop::Impl::handOver(ViewerSession &v, const rtsp::Message &req) {
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
}

// false when the viewer is gone (handed over or dropped)
bool LiveLoop::Impl::viewerRequest(ViewerSession &v, rtsp::Message req) {
  const auto &method = req.method;
  bool cam = false;
  int stream = method == "OPTIONS" && req.url == "*" ? v.stream : streamOf(req.url, &cam);
  if (req.url != "*" && !cam && v.session.empty() && v.queue.empty() && transfer) {
    if (!admitted(v, req, -1)) return true;
    req.url = withoutQuery(req.url);  // the grant stays here: gst-rtsp-server never sees or echoes it
    handOver(v, req);
    return false;
  }
  if (method == "OPTIONS") {
    respond(v, req, 200, "OK",
            {{"Public", "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER"}});
    return true;
  }
  if (method == "GET_PARAMETER" || method == "SET_PARAMETER") {
    Headers h;
    if (!v.session.empty()) h.emplace_back("Session", v.session);
    respond(v, req, 200, "OK", std::move(h));
    return true;
  }
  static const std::set<std::string> known{"DESCRIBE", "SETUP", "PLAY", "PAUSE", "TEARDOWN"};
  if (!known.contains(method)) {
    respond(v, req, 501, "Not Implemented");
    return true;
  }
  // Who may watch: before anything about the camera, even whether it exists.
  bool names = method == "DESCRIBE" || method == "SETUP" || method == "PLAY";
  if (cam && names && (stream < 0 || v.granted != stream) && !admitted(v, req, stream)) return true;
  if (stream < 0) {
    respond(v, req, 404, "Not Found");
    return true;
  }
  auto &s = *streams[static_cast<std::size_t>(stream)];
  if (method == "DESCRIBE") {
    v.stream = v.session.empty() ? stream : v.stream;
    if (streamReady(s)) {
      answerDescribe(v, req);
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
    setUpViewer(v, req, s, stream);
    return true;
  }
  if (v.session.empty() || req.header("Session").value_or("").substr(0, v.session.size()) != v.session) {
    respond(v, req, 454, "Session Not Found");
    return true;
  }
  if (method == "PLAY") {
    play(v, req, s);
  } else if (method == "PAUSE") {
    v.playing = false;
    respond(v, req, 200, "OK", {{"Session", v.session}});
  } else if (method == "TEARDOWN") {
    auto session = v.session;
    leaveStream(v);
    respond(v, req, 200, "OK", {{"Session", session}});
  } else {
    respond(v, req, 501, "Not Implemented");
  }
  return true;
}

bool LiveLoop::Impl::admitted(ViewerSession &v, const rtsp::Message &req, int stream) {
  int status = gate->check(fmt::format("{}:{}", v.peerIp, v.peerPort), req.url);
  if (status == 401) {
    respond(v, req, 401, "Unauthorized");
    return false;
  }
  if (status != 0) {
    respond(v, req, 403, "Forbidden");
    return false;
  }
  v.granted = stream;
  return true;
}

// SETUP: RTP interleaved over the RTSP connection only.
void LiveLoop::Impl::setUpViewer(ViewerSession &v, const rtsp::Message &req, Stream &s, int stream) {
  auto th = req.header("Transport");
  auto tr = th ? rtsp::parseTransport(*th) : std::nullopt;
  if (!tr || !tr->tcp || tr->multicast)
    return respond(v, req, 461, "Unsupported Transport");  // clients then ask for RTP over TCP
  if (!v.session.empty() && v.stream != stream)
    return respond(v, req, 459, "Aggregate Operation Not Allowed");
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
}

// PLAY: the cached group of pictures first (a keyframe at once), then live.
void LiveLoop::Impl::play(ViewerSession &v, const rtsp::Message &req, Stream &s) {
  Headers h{{"Session", v.session}, {"Range", "npt=now-"}};
  bool start = !v.playing;
  if (start && s.gop.valid() && !s.gop.empty()) {
    auto base = withoutQuery(req.url);  // never echo a grant
    if (!base.empty() && base.back() != '/') base += '/';
    const auto &first = *s.gop.packets().front();
    h.emplace_back("RTP-Info",
                   fmt::format("url={}stream=0;seq={};rtptime={}", base, first.sequence, first.timestamp));
  }
  respond(v, req, 200, "OK", std::move(h));
  if (start) {
    v.playing = true;
    v.skipping = !s.gop.valid();  // nothing until a keyframe
    if (s.gop.valid())
      for (auto &p : s.gop.packets()) enqueuePacket(v, p, true);
  }
}

void LiveLoop::Impl::answerDescribe(ViewerSession &v, const rtsp::Message &req) {
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
  // Without the query: the viewer's later requests on this connection are
  // authorised by it, and the grant is not echoed.
  auto base = withoutQuery(req.url);
  if (!base.empty() && base.back() != '/') base += '/';
  respond(v, req, 200, "OK", {{"Content-Base", base}, {"Content-Type", "application/sdp"}}, std::move(sdp));
}

void LiveLoop::Impl::enqueuePacket(ViewerSession &v, const PacketPtr &p, bool start) {
  if (!v.playing) return;
  if (!start && v.queuedBytes > backlogBytes) {
    // Behind by more than it may be: drop the RTP that waits and resume at
    // the next keyframe. Kept: the entry being written (half a frame would
    // break the stream) and every RTSP response — the PLAY response sits in
    // front of the cached GOP, and a GOP larger than the backlog used to drop
    // it with the packets, leaving the viewer waiting for an answer for ever.
    std::erase_if(v.queue, [&v](const ViewerSession::Entry &e) {
      if (e.off > 0 || e.text) return false;
      v.queuedBytes -= e.size();
      return true;
    });
    v.skipping = true;
    return;
  }
  ViewerSession::Entry e;
  e.packet = p;
  e.hdr[1] = static_cast<char>(v.rtpChannel);
  wr16(e.hdr + 2, static_cast<std::uint16_t>(p->bytes.size()));
  v.queuedBytes += e.size();
  v.queue.push_back(std::move(e));
  markDirty(v);
}

void LiveLoop::Impl::markDirty(ViewerSession &v) {
  if (v.wantWrite || v.dirty) return;  // EPOLLOUT will flush it, or it is listed already
  v.dirty = true;
  dirty.push_back(v.id);
}

void LiveLoop::Impl::flushDirty() {
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
bool LiveLoop::Impl::flush(ViewerSession &v) {
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

}  // namespace liandong::ingest
