// RTSP 1.0 wire format, SDP, Transport/Session headers, authorization and RTP
// headers (see rtsp_wire.h). Used by the camera hub's live loop; fuzzed by
// tests/ingest/camera/fuzz_rtsp.cpp, so every length and index here is checked.
#include "liandong/ingest/rtsp/rtsp_wire.h"

#include <glib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <memory>

namespace liandong::ingest::rtsp {

namespace {

constexpr std::size_t kMaxHeaderBlock = 16 * 1024;
constexpr std::size_t kMaxBody = 64 * 1024;

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

bool istartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto &c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// A whole decimal number in [lo, hi], else nullopt.
std::optional<long> number(std::string_view s, long lo, long hi) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

bool isTokenChar(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 32 || u >= 127) return false;
  return std::string_view("()<>@,;:\\\"/[]?={}").find(c) == std::string_view::npos;
}

bool hasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 32 || u == 127;
  });
}

std::string oneLine(std::string_view s) {
  std::string out(s.substr(0, 60));
  for (auto &c : out)
    if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) >= 127) c = '?';
  return out;
}

// Parses "RTSP/1.0 200 OK" or "DESCRIBE rtsp://h/x RTSP/1.0" into m.
void parseStartLine(std::string_view line, Message &m) {
  if (line.starts_with("RTSP/")) {
    auto sp = line.find(' ');
    if (sp == std::string_view::npos) throw RtspError("rtsp: status line without a status: " + oneLine(line));
    std::string_view version = line.substr(0, sp), rest = line.substr(sp + 1);
    auto sp2 = rest.find(' ');
    std::string_view code = rest.substr(0, sp2);
    auto status = number(code, 100, 999);
    if (!status || code.size() != 3 || version.size() < 6)
      throw RtspError("rtsp: bad status line: " + oneLine(line));
    m.isResponse = true;
    m.status = static_cast<int>(*status);
    m.reason = sp2 == std::string_view::npos ? std::string() : std::string(trim(rest.substr(sp2 + 1)));
    return;
  }
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    throw RtspError("rtsp: bad request line: " + oneLine(line));
  std::string_view method = line.substr(0, sp1), url = line.substr(sp1 + 1, sp2 - sp1 - 1),
                   version = line.substr(sp2 + 1);
  if (method.empty() || !std::all_of(method.begin(), method.end(), isTokenChar) || url.empty() ||
      hasControl(url) || !version.starts_with("RTSP/") || version.size() < 6)
    throw RtspError("rtsp: bad request line: " + oneLine(line));
  m.isResponse = false;
  m.method = method;
  m.url = url;
}

// Parses the header block (start line, headers, without the blank line).
Message parseHead(std::string_view head) {
  Message m;
  bool first = true;
  while (!head.empty()) {
    auto nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    head = nl == std::string_view::npos ? std::string_view() : head.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (first) {
      parseStartLine(line, m);
      first = false;
      continue;
    }
    if (line.empty()) continue;
    if (line.front() == ' ' || line.front() == '\t') {
      // Obsolete line folding (RFC 2326 allows it): continues the previous value.
      if (m.headers.empty()) throw RtspError("rtsp: continuation line before any header");
      auto more = trim(line);
      if (!more.empty()) m.headers.back().second += " " + std::string(more);
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) throw RtspError("rtsp: header line without ':': " + oneLine(line));
    std::string_view name = trim(line.substr(0, colon));
    if (name.empty() || name.size() != colon || !std::all_of(name.begin(), name.end(), isTokenChar))
      throw RtspError("rtsp: bad header name: " + oneLine(line));
    std::string_view value = trim(line.substr(colon + 1));
    if (hasControl(value)) throw RtspError("rtsp: control character in header " + std::string(name));
    m.headers.emplace_back(std::string(name), std::string(value));
  }
  if (first) throw RtspError("rtsp: empty message");
  return m;
}

}  // namespace

std::optional<std::string> Message::header(std::string_view name) const {
  for (const auto &[k, v] : headers)
    if (iequals(k, name)) return std::string(trim(v));
  return std::nullopt;
}

int Message::cseq() const {
  auto v = header("CSeq");
  if (!v) return -1;
  auto n = number(*v, 0, 2147483647);
  return n ? static_cast<int>(*n) : -1;
}

void Reader::feed(const char *data, std::size_t size) {
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    scanFrom_ = scanFrom_ > pos_ ? scanFrom_ - pos_ : 0;
    pos_ = 0;
  }
  buf_.append(data, size);
}

std::size_t Reader::buffered() const {
  return buf_.size() - pos_;
}

std::optional<Reader::Item> Reader::next() {
  if (pending_) return takeBody();
  // Tolerate blank lines between messages (some servers end a body with CRLF).
  while (pos_ < buf_.size() && (buf_[pos_] == '\n' || buf_[pos_] == '\r')) {
    if (buf_[pos_] == '\r' && pos_ + 1 >= buf_.size()) return std::nullopt;  // "\r" of an unknown line
    if (buf_[pos_] == '\r' && buf_[pos_ + 1] != '\n') throw RtspError("rtsp: stray carriage return");
    pos_ += buf_[pos_] == '\r' ? 2 : 1;
  }
  if (pos_ >= buf_.size()) return std::nullopt;
  std::string_view rest(buf_.data() + pos_, buf_.size() - pos_);

  if (rest[0] == '$') {
    if (rest.size() < 4) return std::nullopt;
    std::size_t length = (static_cast<unsigned char>(rest[2]) << 8) | static_cast<unsigned char>(rest[3]);
    if (rest.size() < 4 + length) return std::nullopt;
    Interleaved frame;
    frame.channel = static_cast<std::uint8_t>(rest[1]);
    frame.payload = rest.substr(4, length);
    pos_ += 4 + length;
    scanFrom_ = pos_;
    Item item;
    item.frame = frame;
    return item;
  }

  // The header block ends at the first empty line ("\n\n" or "\n\r\n").
  std::size_t i = std::max(scanFrom_, pos_);
  std::size_t headEnd = 0, blockEnd = 0;
  for (; i < buf_.size(); ++i) {
    if (buf_[i] != '\n') continue;
    if (i + 1 >= buf_.size()) break;
    if (buf_[i + 1] == '\n') {
      headEnd = i + 1;
      blockEnd = i + 2;
      break;
    }
    if (buf_[i + 1] == '\r') {
      if (i + 2 >= buf_.size()) break;
      if (buf_[i + 2] == '\n') {
        headEnd = i + 1;
        blockEnd = i + 3;
        break;
      }
    }
  }
  if (blockEnd == 0) {
    scanFrom_ = i;
    if (buf_.size() - pos_ > kMaxHeaderBlock) throw RtspError("rtsp: header block over 16 KiB");
    // Refuse garbage early: once the start line is whole, check it.
    auto nl = rest.find('\n');
    if (nl != std::string_view::npos) {
      Message probe;
      auto line = rest.substr(0, nl);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      parseStartLine(line, probe);
    }
    return std::nullopt;
  }
  if (blockEnd - pos_ > kMaxHeaderBlock) throw RtspError("rtsp: header block over 16 KiB");
  Message m = parseHead(std::string_view(buf_.data() + pos_, headEnd - pos_));
  std::size_t length = 0;
  if (auto cl = m.header("Content-Length")) {
    auto n = number(*cl, 0, 1L << 40);
    if (!n) throw RtspError("rtsp: bad Content-Length: " + oneLine(*cl));
    if (static_cast<std::size_t>(*n) > kMaxBody) throw RtspError("rtsp: body over 64 KiB");
    length = static_cast<std::size_t>(*n);
  }
  // The head is kept parsed while its body arrives, however slowly.
  pending_ = std::move(m);
  pendingBody_ = length;
  pos_ = blockEnd;
  scanFrom_ = pos_;
  return takeBody();
}

std::optional<Reader::Item> Reader::takeBody() {
  if (buf_.size() - pos_ < pendingBody_) return std::nullopt;
  Item item;
  item.message = std::move(pending_);
  pending_.reset();
  item.message->body.assign(buf_, pos_, pendingBody_);
  pos_ += pendingBody_;
  scanFrom_ = pos_;
  pendingBody_ = 0;
  return item;
}

std::string format(const Message &m) {
  std::string out;
  if (m.isResponse)
    out = "RTSP/1.0 " + std::to_string(m.status) + " " + m.reason + "\r\n";
  else
    out = m.method + " " + m.url + " RTSP/1.0\r\n";
  for (const auto &[k, v] : m.headers) {
    if (iequals(k, "Content-Length")) continue;  // written from the body below
    out += k + ": " + v + "\r\n";
  }
  if (!m.body.empty()) out += "Content-Length: " + std::to_string(m.body.size()) + "\r\n";
  out += "\r\n";
  out += m.body;
  return out;
}

namespace {

std::string percentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      c = lower(c);
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    if (i + 2 >= s.size()) throw RtspError("rtsp: bad percent-encoding in URL");
    int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) throw RtspError("rtsp: bad percent-encoding in URL");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

}  // namespace

std::string Url::withoutCredentials() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return "rtsp://" + h + ":" + std::to_string(port) + path;
}

Url parseUrl(const std::string &url) {
  std::string_view s(url);
  if (!istartsWith(s, "rtsp://")) throw RtspError("rtsp: not an rtsp:// URL");
  if (hasControl(s) || s.find(' ') != std::string_view::npos)
    throw RtspError("rtsp: URL with spaces or control characters");
  s.remove_prefix(7);
  auto authEnd = s.find_first_of("/?");
  std::string_view authority = s.substr(0, authEnd);
  std::string_view rest = authEnd == std::string_view::npos ? std::string_view() : s.substr(authEnd);
  Url u;
  // Userinfo ends at the last '@': cameras' passwords often hold an unencoded '@'.
  auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view info = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    auto colon = info.find(':');
    u.user = percentDecode(info.substr(0, colon));
    if (colon != std::string_view::npos) u.password = percentDecode(info.substr(colon + 1));
  }
  std::string_view portText;
  bool hasPort = false;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) throw RtspError("rtsp: IPv6 address without ']'");
    u.host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw RtspError("rtsp: bad host");
      hasPort = true;
      portText = after.substr(1);
    }
    // Hex, ':' and '.', and a zone ("%25eth0") of letters and digits.
    if (u.host.empty() || u.host.find(':') == std::string::npos ||
        !std::all_of(u.host.begin(), u.host.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == ':' || c == '.' || c == '%';
        }))
      throw RtspError("rtsp: bad IPv6 address");
  } else {
    auto colon = authority.find(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      hasPort = true;
      portText = authority.substr(colon + 1);
      if (portText.find(':') != std::string_view::npos)
        throw RtspError("rtsp: IPv6 address without brackets");
    }
    if (u.host.find_first_of("[]@") != std::string::npos) throw RtspError("rtsp: bad host");
  }
  if (u.host.empty()) throw RtspError("rtsp: URL without a host");
  if (hasPort && !portText.empty()) {
    auto p = number(portText, 1, 65535);
    if (!p) throw RtspError("rtsp: bad port");
    u.port = static_cast<int>(*p);
  }
  if (rest.empty())
    u.path = "/";
  else if (rest.front() == '?')
    u.path = "/" + std::string(rest);
  else
    u.path = rest;
  return u;
}

std::string resolveControl(const std::string &base, const std::string &control) {
  std::string_view c = trim(control);
  if (istartsWith(c, "rtsp://") || istartsWith(c, "rtsps://")) return std::string(c);
  if (c.empty() || c == "*") return base;
  if (!base.empty() && base.back() == '/') {
    if (c.front() == '/') c.remove_prefix(1);
    return base + std::string(c);
  }
  if (c.front() == '/') return base + std::string(c);
  return base + "/" + std::string(c);
}

namespace {

std::string base64Decode(std::string_view text) {
  std::string s(trim(text));
  if (s.empty()) return {};
  gsize len = 0;
  std::unique_ptr<guchar, decltype(&g_free)> bytes(g_base64_decode(s.c_str(), &len), &g_free);
  if (!bytes) return {};
  return std::string(reinterpret_cast<const char *>(bytes.get()), len);
}

// "a=b; c=d" -> value of key (case-insensitive), nullopt when absent.
std::optional<std::string_view> fmtpParam(std::string_view fmtp, std::string_view key) {
  while (!fmtp.empty()) {
    auto semi = fmtp.find(';');
    auto item = trim(fmtp.substr(0, semi));
    fmtp = semi == std::string_view::npos ? std::string_view() : fmtp.substr(semi + 1);
    auto eq = item.find('=');
    if (eq != std::string_view::npos && iequals(trim(item.substr(0, eq)), key))
      return trim(item.substr(eq + 1));
  }
  return std::nullopt;
}

void appendSets(std::vector<std::string> &out, std::string_view list) {
  while (!list.empty()) {
    auto comma = list.find(',');
    auto one = base64Decode(list.substr(0, comma));
    if (!one.empty()) out.push_back(std::move(one));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
}

}  // namespace

Sdp parseSdp(std::string_view text) {
  Sdp sdp;
  bool first = true, inMedia = false, inVideo = false, sawVideo = false;
  SdpVideo video;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    line = trim(line);
    if (line.empty()) continue;
    if (first) {
      if (line != "v=0") throw RtspError("sdp: does not start with v=0");
      first = false;
      continue;
    }
    if (line.starts_with("m=")) {
      inMedia = true;
      inVideo = false;
      if (!sawVideo && line.starts_with("m=video ")) {
        inVideo = sawVideo = true;
        // m=video <port> <proto> <fmt> ...
        std::vector<std::string_view> parts;
        std::string_view rest = line.substr(2);
        while (!rest.empty()) {
          auto sp = rest.find(' ');
          if (sp != 0) parts.push_back(rest.substr(0, sp));
          rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
        }
        if (parts.size() >= 4)
          if (auto pt = number(parts[3], 0, 127)) video.payloadType = static_cast<int>(*pt);
        if (video.payloadType == 26) video.encoding = "JPEG";
        if (video.payloadType == 32) video.encoding = "MPV";
        if (video.payloadType == 34) video.encoding = "H263";
      }
      continue;
    }
    if (!line.starts_with("a=")) continue;
    std::string_view attr = line.substr(2);
    if (attr.starts_with("control:")) {
      std::string value(trim(attr.substr(8)));
      if (!inMedia)
        sdp.sessionControl = value;
      else if (inVideo)
        video.control = value;
      continue;
    }
    if (!inVideo || video.payloadType < 0) continue;
    // a=rtpmap:<pt> <enc>/<clock>[/<params>], a=fmtp:<pt> <params>: only for our payload type.
    bool rtpmap = attr.starts_with("rtpmap:"), fmtp = attr.starts_with("fmtp:");
    if (!rtpmap && !fmtp) continue;
    attr.remove_prefix(rtpmap ? 7 : 5);
    auto sp = attr.find_first_of(" \t");
    if (sp == std::string_view::npos) continue;
    auto pt = number(attr.substr(0, sp), 0, 127);
    if (!pt || *pt != video.payloadType) continue;
    auto value = trim(attr.substr(sp + 1));
    if (rtpmap) {
      auto slash = value.find('/');
      video.encoding = upper(trim(value.substr(0, slash)));
      if (slash != std::string_view::npos) {
        auto clock = value.substr(slash + 1);
        clock = clock.substr(0, clock.find('/'));
        if (auto c = number(trim(clock), 1, 100'000'000)) video.clockRate = static_cast<int>(*c);
      }
    } else {
      video.fmtp = value;
    }
  }
  if (first) throw RtspError("sdp: empty");
  if (sawVideo) {
    if (auto sets = fmtpParam(video.fmtp, "sprop-parameter-sets")) appendSets(video.parameterSets, *sets);
    for (auto key : {"sprop-vps", "sprop-sps", "sprop-pps"})
      if (auto sets = fmtpParam(video.fmtp, key)) appendSets(video.parameterSets, *sets);
    sdp.video = std::move(video);
  }
  return sdp;
}

namespace {

// Each "key[=value]" of a ';'-separated parameter list (a Transport spec's,
// a Session header's), trimmed; value empty when there is no '='.
template <typename Fn>
void forEachParam(std::string_view params, Fn fn) {
  while (!params.empty()) {
    auto next = params.find(';');
    auto param = trim(params.substr(0, next));
    params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
    auto eq = param.find('=');
    fn(trim(param.substr(0, eq)),
       eq == std::string_view::npos ? std::string_view() : trim(param.substr(eq + 1)));
  }
}

// "a-b" or "a" into (a, b / -1); false when not numbers within [0, max].
bool parseRange(std::string_view v, long max, int &a, int &b) {
  auto dash = v.find('-');
  auto x = number(trim(v.substr(0, dash)), 0, max);
  if (!x) return false;
  std::optional<long> y;
  if (dash != std::string_view::npos) {
    y = number(trim(v.substr(dash + 1)), 0, max);
    if (!y) return false;
  }
  a = static_cast<int>(*x);
  b = y ? static_cast<int>(*y) : -1;
  return true;
}

}  // namespace

std::optional<Transport> parseTransport(std::string_view header) {
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view spec = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    auto semi = spec.find(';');
    auto proto = trim(spec.substr(0, semi));
    Transport t;
    if (iequals(proto, "RTP/AVP/TCP"))
      t.tcp = true;
    else if (!iequals(proto, "RTP/AVP") && !iequals(proto, "RTP/AVP/UDP"))
      continue;
    forEachParam(semi == std::string_view::npos ? std::string_view() : spec.substr(semi + 1),
                 [&t](std::string_view key, std::string_view value) {
                   int a = -1, b = -1;
                   if (iequals(key, "multicast")) {
                     t.multicast = true;
                   } else if (iequals(key, "interleaved")) {
                     if (parseRange(value, 255, a, b)) t.interleavedRtp = a, t.interleavedRtcp = b;
                   } else if (iequals(key, "client_port")) {
                     if (parseRange(value, 65535, a, b)) t.clientRtpPort = a, t.clientRtcpPort = b;
                   } else if (iequals(key, "server_port")) {
                     if (parseRange(value, 65535, a, b)) t.serverRtpPort = a, t.serverRtcpPort = b;
                   }
                 });
    return t;
  }
  return std::nullopt;
}

std::pair<std::string, int> parseSession(std::string_view header) {
  header = trim(header);
  if (istartsWith(header, "Session:")) header = trim(header.substr(8));
  auto semi = header.find(';');
  std::string id(trim(header.substr(0, semi)));
  int timeout = -1;
  forEachParam(semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1),
               [&timeout](std::string_view key, std::string_view value) {
                 if (iequals(key, "timeout"))
                   if (auto n = number(value, 0, 2147483647)) timeout = static_cast<int>(*n);
               });
  return {id, timeout};
}

namespace {

struct Challenge {
  std::string scheme;
  std::vector<std::pair<std::string, std::string>> params;
  std::optional<std::string> param(std::string_view name) const {
    for (const auto &[k, v] : params)
      if (iequals(k, name)) return v;
    return std::nullopt;
  }
};

// RFC 7235 challenges: one header may hold several ("Digest a=b, Basic c=d").
std::vector<Challenge> parseChallenges(std::string_view s) {
  std::vector<Challenge> out;
  std::size_t i = 0;
  auto skipSpace = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  };
  auto token = [&] {
    std::size_t start = i;
    while (i < s.size() && isTokenChar(s[i])) ++i;
    return s.substr(start, i - start);
  };
  while (i < s.size()) {
    skipSpace();
    if (i < s.size() && s[i] == ',') {
      ++i;
      continue;
    }
    auto name = token();
    if (name.empty()) break;  // not a challenge: stop here
    skipSpace();
    if (i < s.size() && s[i] == '=') {
      if (out.empty()) break;  // a parameter before any scheme
      ++i;
      skipSpace();
      std::string value;
      if (i < s.size() && s[i] == '"') {
        ++i;
        while (i < s.size() && s[i] != '"') {
          if (s[i] == '\\' && i + 1 < s.size()) ++i;
          value += s[i++];
        }
        if (i < s.size()) ++i;
      } else {
        // token68 values may end in '=' (Basic/Negotiate blobs).
        while (i < s.size() && s[i] != ',' && s[i] != ' ' && s[i] != '\t') value += s[i++];
      }
      out.back().params.emplace_back(std::string(name), std::move(value));
    } else {
      out.push_back(Challenge{std::string(name), {}});
    }
  }
  return out;
}

std::string md5(const std::string &text) {
  std::unique_ptr<gchar, decltype(&g_free)> sum(
      g_compute_checksum_for_string(G_CHECKSUM_MD5, text.c_str(), static_cast<gssize>(text.size())), &g_free);
  if (!sum) throw RtspError("rtsp: MD5 unavailable");
  return sum.get();
}

std::string quoted(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::optional<std::string> digest(const Challenge &c, const std::string &method, const std::string &uri,
                                  const std::string &user, const std::string &password,
                                  const std::string &cnonce, int nonceCount) {
  auto realm = c.param("realm"), nonce = c.param("nonce");
  if (!realm || !nonce) return std::nullopt;
  auto algorithm = c.param("algorithm");
  bool sess = false;
  if (algorithm) {
    if (iequals(*algorithm, "MD5-sess"))
      sess = true;
    else if (!iequals(*algorithm, "MD5"))
      return std::nullopt;
  }
  bool qopAuth = false;
  if (auto qop = c.param("qop")) {
    std::string_view list(*qop);
    while (!list.empty()) {
      auto comma = list.find(',');
      if (iequals(trim(list.substr(0, comma)), "auth")) qopAuth = true;
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
    if (!qopAuth) return std::nullopt;  // only auth-int offered
  }
  if (sess && !qopAuth) return std::nullopt;  // MD5-sess needs a cnonce
  char nc[16];
  std::snprintf(nc, sizeof nc, "%08x", static_cast<unsigned>(nonceCount));
  std::string ha1 = md5(user + ":" + *realm + ":" + password);
  if (sess) ha1 = md5(ha1 + ":" + *nonce + ":" + cnonce);
  std::string ha2 = md5(method + ":" + uri);
  std::string response = qopAuth ? md5(ha1 + ":" + *nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2)
                                 : md5(ha1 + ":" + *nonce + ":" + ha2);
  std::string out = "Digest username=" + quoted(user) + ", realm=" + quoted(*realm) +
                    ", nonce=" + quoted(*nonce) + ", uri=" + quoted(uri) + ", response=" + quoted(response);
  if (algorithm) out += ", algorithm=" + *algorithm;
  if (qopAuth) out += ", qop=auth, nc=" + std::string(nc) + ", cnonce=" + quoted(cnonce);
  if (auto opaque = c.param("opaque")) out += ", opaque=" + quoted(*opaque);
  if (hasControl(out)) return std::nullopt;  // would break the header line
  return out;
}

}  // namespace

std::optional<std::string> authorization(const Message &unauthorized, const std::string &method,
                                         const std::string &uri, const std::string &user,
                                         const std::string &password, const std::string &cnonce,
                                         int nonceCount) {
  std::vector<Challenge> challenges;
  for (const auto &[k, v] : unauthorized.headers)
    if (iequals(k, "WWW-Authenticate"))
      for (auto &c : parseChallenges(v)) challenges.push_back(std::move(c));
  for (const auto &c : challenges)
    if (iequals(c.scheme, "Digest"))
      if (auto a = digest(c, method, uri, user, password, cnonce, nonceCount)) return a;
  for (const auto &c : challenges)
    if (iequals(c.scheme, "Basic")) {
      std::string plain = user + ":" + password;
      std::unique_ptr<gchar, decltype(&g_free)> b64(
          g_base64_encode(reinterpret_cast<const guchar *>(plain.data()), plain.size()), &g_free);
      if (!b64) return std::nullopt;
      return "Basic " + std::string(b64.get());
    }
  return std::nullopt;
}

std::optional<RtpHeader> parseRtp(std::string_view packet) {
  auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(packet[i]); };
  if (packet.size() < 12 || (byte(0) >> 6) != 2) return std::nullopt;
  std::size_t header = 12 + 4 * static_cast<std::size_t>(byte(0) & 0x0f);
  if (packet.size() < header) return std::nullopt;
  if (byte(0) & 0x10) {
    if (packet.size() < header + 4) return std::nullopt;
    std::size_t words = (byte(header + 2) << 8) | byte(header + 3);
    header += 4 + 4 * words;
    if (packet.size() < header) return std::nullopt;
  }
  std::size_t padding = 0;
  if (byte(0) & 0x20) {
    padding = byte(packet.size() - 1);
    if (padding == 0 || padding > packet.size() - header) return std::nullopt;
  }
  RtpHeader h;
  h.marker = (byte(1) & 0x80) != 0;
  h.payloadType = byte(1) & 0x7f;
  h.sequence = static_cast<std::uint16_t>((byte(2) << 8) | byte(3));
  h.timestamp = (std::uint32_t{byte(4)} << 24) | (std::uint32_t{byte(5)} << 16) |
                (std::uint32_t{byte(6)} << 8) | byte(7);
  h.ssrc = (std::uint32_t{byte(8)} << 24) | (std::uint32_t{byte(9)} << 16) | (std::uint32_t{byte(10)} << 8) |
           byte(11);
  h.headerSize = header;
  h.payloadSize = packet.size() - header - padding;
  return h;
}

}  // namespace liandong::ingest::rtsp
