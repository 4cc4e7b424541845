// The state of the live loop (private to the camera library): the camera
// sessions, the streams viewers see, the viewer sessions, and the loop's
// own sockets. One struct, LiveLoop::Impl, touched on the I/O thread only
// (but `commands`, under `mu`, and Stream::viewerCount, atomic); its
// functions are grouped by concern in live_loop.cpp (set-up, the epoll
// loop, commands, timers), camera_session.cpp (our RTSP client to the
// camera, RTP in) and viewer_session.cpp (our RTSP server, RTP out).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gop_cache.h"
#include "liandong/core/fd.h"
#include "liandong/core/logging.h"
#include "live_loop.h"
#include "resolver.h"
#include "viewer_gate.h"

namespace liandong::ingest {

namespace live {

// epoll tokens: kind in the top byte, an index below.
enum Kind : std::uint64_t { kListen = 1, kWake, kResolved, kCamera, kUdpRtp, kUdpRtcp, kViewer };
inline std::uint64_t token(Kind k, std::uint64_t index) {
  return (std::uint64_t(k) << 56) | index;
}

std::int64_t steadyNs();
std::string errnoText(int e);
std::string randomHex(std::mt19937_64 &rng, int digits);
void wr16(char *p, std::uint16_t v);
void wr32(char *p, std::uint32_t v);

}  // namespace live

// Our RTSP client's session with one camera (one attempt).
struct CameraSession {
  enum class Phase { Idle, Resolving, Connecting, Describe, Setup, Play, Playing };
  Phase phase = Phase::Idle;
  std::uint64_t attempt = 0;
  rtsp::Url url;
  std::string requestUrl;  // the URL without credentials
  bool tcp = true;
  Fd fd, rtpFd, rtcpFd;  // TCP; UDP sockets when tcp is false
  rtsp::Reader reader;
  std::string out;  // bytes not yet written
  int cseq = 0;
  std::int64_t deadlineMs = 0;  // of the name lookup and the handshake
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

// One viewer connection and its RTSP session (at most one stream).
struct ViewerSession {
  struct Entry {
    PacketPtr packet;                         // RTP, sent after hdr
    std::shared_ptr<const std::string> text;  // or an RTSP response
    char hdr[4] = {'$', 0, 0, 0};
    std::size_t off = 0;  // bytes of this entry already written
    std::size_t size() const { return packet ? 4 + packet->bytes.size() : text->size(); }
  };
  std::uint64_t id = 0;
  Fd fd;
  std::string peerIp;
  int peerPort = 0;
  rtsp::Reader reader;
  int stream = -1;   // the stream of its session
  int granted = -1;  // the stream a grant on this connection allows (viewer_gate.h)
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
  bool dirty = false;  // listed in LiveLoop::Impl::dirty
};

struct LiveLoop::Impl {
  // What viewers get of one camera stream, and its camera session.
  struct Stream {
    int index = 0;     // in streams
    std::string path;  // after /cam/
    LiveHooks hooks;
    int describeWaitMs = 10000;
    CameraSession up;
    std::atomic<int> viewerCount{0};
    // output numbering, continuous across camera sessions
    std::uint32_t ssrc = 0;
    std::int32_t seqDelta = 0;
    std::uint32_t tsDelta = 0;
    bool anyOut = false;
    std::uint16_t lastSeqOut = 0;
    std::uint32_t lastTsOut = 0;
    std::int64_t lastOutNs = 0;
    int clockRate = 90000;
    std::optional<rtsp::SdpVideo> video;  // SDP for viewers (from the camera's)
    GopCache gop;
    std::vector<std::uint64_t> watchers;  // viewers playing it
  };
  // Commands from other threads, under mu.
  struct Command {
    int stream;
    bool connect;
    std::uint64_t attempt;
    std::string url;
    bool tcp;
    int timeoutMs;
  };
  using Headers = std::vector<std::pair<std::string, std::string>>;

  std::shared_ptr<spdlog::logger> log = logging::get("ingest");
  Transfer transfer;
  std::unique_ptr<ViewerGate> gate;     // who may watch
  std::size_t backlogBytes = 4u << 20;  // a viewer further behind skips to the next keyframe
  Fd listenFd, epollFd, wakeFd;
  int boundPort = 0;
  std::thread thread;
  std::atomic<bool> stopping{false};
  Resolver resolver;  // camera host names, looked up off this thread
  std::mt19937_64 rng{std::random_device{}()};
  std::mutex mu;
  std::vector<Command> commands;
  std::vector<std::unique_ptr<Stream>> streams;
  std::map<std::string, int> byPath;
  std::unordered_map<std::uint64_t, std::unique_ptr<ViewerSession>> viewers;
  std::uint64_t nextViewer = 1;
  std::vector<std::uint64_t> dirty;  // viewers with queued bytes to flush
  std::int64_t lastTimersMs = 0;

  // ---- live_loop.cpp: set-up, the loop, commands, timers
  void listen(const std::string &host, int port);
  void watch(int fd, std::uint64_t tok, std::uint32_t events);
  void unwatch(int fd);
  void wake();
  void run();
  void commandsArrived();
  void timers();
  bool streamReady(const Stream &s) const { return s.gop.valid() && s.video.has_value(); }
  static std::uint64_t index(const Stream &s) { return static_cast<std::uint64_t>(s.index); }

  // ---- camera_session.cpp: our RTSP client to the camera, RTP in
  void openCamera(Stream &s, const Command &c);
  void resolved();
  void connectTo(Stream &s, const SocketAddress &address);
  void closeCamera(Stream &s);
  std::string teardownText(Stream &s);
  void cameraFailed(Stream &s, const std::string &reason);
  void addAuth(CameraSession &u, rtsp::Message &m);
  void request(Stream &s, const std::string &method, const std::string &url, Headers headers);
  void writeCamera(Stream &s);
  void cameraReady(int i, std::uint32_t events);
  bool responseFromCamera(Stream &s, const rtsp::Message &m);
  bool described(Stream &s, const rtsp::Message &m);
  bool setUp(Stream &s, const rtsp::Message &m);
  void playing(Stream &s);
  void acceptOnlyFromCamera(Stream &s, const rtsp::Transport &tr);
  int openUdpPair(Stream &s);
  void udpReadable(int i, bool rtp);
  void rtpFromCamera(Stream &s, std::string_view data);
  PacketPtr renumbered(Stream &s, std::string_view data, const rtsp::RtpHeader &h, std::int64_t nowNs);
  void emitUnit(Stream &s, const rtp::AccessUnit &unit, std::uint32_t packetTs);
  void keyframeCompleted(Stream &s, std::uint32_t ts);

  // ---- viewer_session.cpp: our RTSP server, RTP out
  void accept();
  void dropViewer(std::uint64_t id);
  void leaveStream(ViewerSession &v);
  void viewerReady(std::uint64_t id, std::uint32_t events);
  void respond(ViewerSession &v, const rtsp::Message &req, int status, const std::string &reason,
               Headers headers = {}, std::string body = {});
  int streamOf(const std::string &url, bool *cam) const;
  bool viewerRequest(ViewerSession &v, rtsp::Message req);
  // false (answered 401 or 403) when the viewer may not have `stream` / what req names
  bool admitted(ViewerSession &v, const rtsp::Message &req, int stream);
  void handOver(ViewerSession &v, const rtsp::Message &req);
  void setUpViewer(ViewerSession &v, const rtsp::Message &req, Stream &s, int stream);
  void play(ViewerSession &v, const rtsp::Message &req, Stream &s);
  void answerDescribe(ViewerSession &v, const rtsp::Message &req);
  // Queues an RTP packet for a playing viewer; one over its backlog skips to
  // the next keyframe instead. `start`: the cached GOP a new viewer gets at
  // PLAY, queued whole (that start on a keyframe is what the cache is for).
  void enqueuePacket(ViewerSession &v, const PacketPtr &p, bool start = false);
  void markDirty(ViewerSession &v);
  void flushDirty();
  bool flush(ViewerSession &v);
};

}  // namespace liandong::ingest
