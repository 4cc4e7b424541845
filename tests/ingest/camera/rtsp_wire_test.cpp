// Unit tests of the RTSP wire format (rtsp_wire.h) and the H.264/H.265 RTP
// depayloader (rtp_depay.h) that the node's camera relay is built on: pure
// functions over hand-made bytes, no sockets and no processes.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "liandong/ingest/rtsp/rtp_depay.h"
#include "liandong/ingest/rtsp/rtsp_wire.h"

namespace {

using namespace liandong::ingest;
using rtsp::RtspError;

using namespace std::string_literals;

// Feeds text in pieces and collects every item.
struct Collected {
  std::vector<rtsp::Message> messages;
  std::vector<std::pair<int, std::string>> frames;  // channel, payload
  std::string order;                                // 'm' or 'f' per item
};

void drain(rtsp::Reader &reader, Collected &c) {
  while (auto item = reader.next()) {
    if (item->message) {
      c.messages.push_back(*item->message);
      c.order += 'm';
    } else {
      ASSERT_TRUE(item->frame);
      c.frames.emplace_back(item->frame->channel, std::string(item->frame->payload));
      c.order += 'f';
    }
  }
}

const std::string kDescribe =
    "DESCRIBE rtsp://192.168.1.64:554/Streaming/Channels/101 RTSP/1.0\r\n"
    "CSeq: 2\r\n"
    "User-Agent: liandong\r\n"
    "Accept: application/sdp\r\n"
    "\r\n";

const std::string kH264Sdp =
    "v=0\r\n"
    "o=- 1700000000000000 1 IN IP4 192.168.1.64\r\n"
    "s=Media Presentation\r\n"
    "e=NONE\r\n"
    "b=AS:5100\r\n"
    "t=0 0\r\n"
    "a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/?transportmode=unicast\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "b=AS:5000\r\n"
    "a=recvonly\r\n"
    "a=x-dimensions:1920,1080\r\n"
    "a=control:trackID=1\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 profile-level-id=420029; packetization-mode=1; "
    "sprop-parameter-sets=Z0IAHqtAoC/yAA==,aM48gA==\r\n"
    "m=audio 0 RTP/AVP 8\r\n"
    "a=control:trackID=2\r\n"
    "a=rtpmap:8 PCMA/8000\r\n";

std::string describeResponse() {
  return "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\n"
         "Content-Base: rtsp://192.168.1.64:554/Streaming/Channels/101/\r\n"
         "Content-Length: " +
         std::to_string(kH264Sdp.size()) + "\r\n\r\n" + kH264Sdp;
}

TEST(RtspReader, RequestSplitAtEveryByte) {
  for (std::size_t cut = 0; cut <= kDescribe.size(); ++cut) {
    rtsp::Reader reader;
    Collected c;
    reader.feed(kDescribe.data(), cut);
    drain(reader, c);
    if (cut < kDescribe.size()) {
      EXPECT_TRUE(c.messages.empty()) << cut;
    }
    reader.feed(kDescribe.data() + cut, kDescribe.size() - cut);
    drain(reader, c);
    ASSERT_EQ(c.messages.size(), 1u) << cut;
    const auto &m = c.messages[0];
    EXPECT_FALSE(m.isResponse);
    EXPECT_EQ(m.method, "DESCRIBE");
    EXPECT_EQ(m.url, "rtsp://192.168.1.64:554/Streaming/Channels/101");
    EXPECT_EQ(m.cseq(), 2);
    EXPECT_EQ(m.header("accept"), "application/sdp");
    EXPECT_EQ(reader.buffered(), 0u);
  }
}

TEST(RtspReader, ResponseWithBodyByteByByte) {
  const std::string text = describeResponse();
  rtsp::Reader reader;
  Collected c;
  for (char ch : text) {
    EXPECT_TRUE(c.messages.empty());
    reader.feed(&ch, 1);
    drain(reader, c);
  }
  ASSERT_EQ(c.messages.size(), 1u);
  const auto &m = c.messages[0];
  EXPECT_TRUE(m.isResponse);
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.reason, "OK");
  EXPECT_EQ(m.body, kH264Sdp);
  EXPECT_EQ(m.header("CONTENT-BASE"), "rtsp://192.168.1.64:554/Streaming/Channels/101/");
  EXPECT_EQ(m.header("Session"), std::nullopt);
}

TEST(RtspReader, ResponseSplitAtEveryByte) {
  const std::string text = describeResponse();
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    rtsp::Reader reader;
    Collected c;
    reader.feed(text.data(), cut);
    drain(reader, c);
    reader.feed(text.data() + cut, text.size() - cut);
    drain(reader, c);
    ASSERT_EQ(c.messages.size(), 1u) << cut;
    EXPECT_EQ(c.messages[0].body, kH264Sdp) << cut;
  }
}

TEST(RtspReader, BareLineFeedsAndFoldedHeaders) {
  const std::string text =
      "RTSP/1.0 401 Unauthorized\nCSeq: 3\nWWW-Authenticate: Basic\n realm=\"cam\"\nX-Empty:\n\n";
  rtsp::Reader reader;
  reader.feed(text.data(), text.size());
  auto item = reader.next();
  ASSERT_TRUE(item && item->message);
  EXPECT_EQ(item->message->status, 401);
  EXPECT_EQ(item->message->reason, "Unauthorized");
  EXPECT_EQ(item->message->header("www-authenticate"), "Basic realm=\"cam\"");
  EXPECT_EQ(item->message->header("X-Empty"), "");
  EXPECT_FALSE(reader.next());
}

TEST(RtspReader, InterleavedFramesMixedWithResponses) {
  const std::string response = "RTSP/1.0 200 OK\r\nCSeq: 5\r\nSession: 1234\r\n\r\n";
  std::string big(1000, 'z');
  const std::string text = "$\x00\x00\x04"s + "abcd" + response + "$\x01\x00\x02xy"s + "$\x00\x03\xe8"s +
                           big + "\r\n" + response + "$\x02\x00\x00"s;
  for (std::size_t piece : {1u, 3u, 7u, 1000u}) {
    rtsp::Reader reader;
    Collected c;
    for (std::size_t at = 0; at < text.size(); at += piece) {
      reader.feed(text.data() + at, std::min(piece, text.size() - at));
      drain(reader, c);
    }
    EXPECT_EQ(c.order, "fmffmf") << piece;
    ASSERT_EQ(c.frames.size(), 4u);
    EXPECT_EQ(c.frames[0], std::make_pair(0, "abcd"s));
    EXPECT_EQ(c.frames[1], std::make_pair(1, "xy"s));
    EXPECT_EQ(c.frames[2], std::make_pair(0, big));
    EXPECT_EQ(c.frames[3], std::make_pair(2, ""s));
    ASSERT_EQ(c.messages.size(), 2u);
    EXPECT_EQ(c.messages[1].cseq(), 5);
    EXPECT_EQ(reader.buffered(), 0u);
  }
}

void expectRefused(const std::string &text) {
  rtsp::Reader reader;
  reader.feed(text.data(), text.size());
  EXPECT_THROW(
      {
        while (reader.next()) {
        }
      },
      RtspError)
      << text.substr(0, 80);
}

TEST(RtspReader, MalformedAndOverLimitAreRefused) {
  expectRefused("HELLO\r\n\r\n");
  expectRefused("GET\r\n");                                // refused as soon as the line is whole
  expectRefused("OPTIONS * HTTP/1.1\r\nCSeq: 1\r\n\r\n");  // not RTSP
  expectRefused("RTSP/1.0 abc OK\r\n\r\n");
  expectRefused("RTSP/1.0 20 OK\r\n\r\n");
  expectRefused("OPTIONS * RTSP/1.0\r\nno colon here\r\n\r\n");
  expectRefused("OPTIONS * RTSP/1.0\r\nBad Name: x\r\n\r\n");
  expectRefused("RTSP/1.0 200 OK\r\nContent-Length: twelve\r\n\r\n");
  expectRefused("RTSP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n");
  expectRefused("RTSP/1.0 200 OK\r\nContent-Length: 65537\r\n\r\n");
  expectRefused("RTSP/1.0 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n");
  expectRefused("RTSP/1.0 200 OK\r\nX-Long: " + std::string(17 * 1024, 'a') + "\r\n\r\n");
  // Without the blank line the reader must still give up at the limit, not wait forever.
  expectRefused("RTSP/1.0 200 OK\r\nX-Long: " + std::string(17 * 1024, 'a'));
  // A body of exactly 64 KiB is fine.
  std::string ok = "RTSP/1.0 200 OK\r\nContent-Length: 65536\r\n\r\n" + std::string(65536, 'b');
  rtsp::Reader reader;
  reader.feed(ok.data(), ok.size());
  auto item = reader.next();
  ASSERT_TRUE(item && item->message);
  EXPECT_EQ(item->message->body.size(), 65536u);
}

TEST(RtspMessage, FormatRoundTrips) {
  rtsp::Message m;
  m.method = "SET_PARAMETER";
  m.url = "rtsp://cam/live";
  m.headers = {{"CSeq", "9"}, {"Content-Length", "1"}, {"Content-Type", "text/parameters"}};
  m.body = "barparam: barstuff\r\n";
  std::string text = rtsp::format(m);
  EXPECT_EQ(text.rfind("SET_PARAMETER rtsp://cam/live RTSP/1.0\r\nCSeq: 9\r\n", 0), 0u);
  rtsp::Reader reader;
  reader.feed(text.data(), text.size());
  auto item = reader.next();
  ASSERT_TRUE(item && item->message);
  EXPECT_EQ(item->message->body, m.body);
  EXPECT_EQ(item->message->header("content-length"), std::to_string(m.body.size()));
  EXPECT_EQ(item->message->cseq(), 9);

  rtsp::Message r;
  r.isResponse = true;
  r.status = 454;
  r.reason = "Session Not Found";
  r.headers = {{"CSeq", "x"}};
  EXPECT_EQ(rtsp::format(r), "RTSP/1.0 454 Session Not Found\r\nCSeq: x\r\n\r\n");
  EXPECT_EQ(r.cseq(), -1);
}

TEST(RtspUrl, Parses) {
  auto u = rtsp::parseUrl("rtsp://192.168.1.64/Streaming/Channels/101");
  EXPECT_EQ(u.host, "192.168.1.64");
  EXPECT_EQ(u.port, 554);
  EXPECT_EQ(u.path, "/Streaming/Channels/101");
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.withoutCredentials(), "rtsp://192.168.1.64:554/Streaming/Channels/101");

  u = rtsp::parseUrl("RTSP://admin:p%40ss%3Aw0rd@cam.local:8554/live?channel=1&subtype=0");
  EXPECT_EQ(u.user, "admin");
  EXPECT_EQ(u.password, "p@ss:w0rd");
  EXPECT_EQ(u.host, "cam.local");
  EXPECT_EQ(u.port, 8554);
  EXPECT_EQ(u.path, "/live?channel=1&subtype=0");
  EXPECT_EQ(u.withoutCredentials(), "rtsp://cam.local:8554/live?channel=1&subtype=0");

  u = rtsp::parseUrl("rtsp://op:a@b@[fe80::1%25eth0]:10554");
  EXPECT_EQ(u.user, "op");
  EXPECT_EQ(u.password, "a@b");  // an unencoded '@' in a password, as cameras' users write them
  EXPECT_EQ(u.host, "fe80::1%25eth0");
  EXPECT_EQ(u.port, 10554);
  EXPECT_EQ(u.path, "/");
  EXPECT_EQ(u.withoutCredentials(), "rtsp://[fe80::1%25eth0]:10554/");

  u = rtsp::parseUrl("rtsp://[2001:db8::7]/s");
  EXPECT_EQ(u.host, "2001:db8::7");
  EXPECT_EQ(u.port, 554);

  u = rtsp::parseUrl("rtsp://user@h?x=1");
  EXPECT_EQ(u.user, "user");
  EXPECT_EQ(u.password, "");
  EXPECT_EQ(u.path, "/?x=1");
}

TEST(RtspUrl, RefusesWithAReason) {
  for (const char *bad :
       {"http://cam/x", "rtsp:/cam", "rtsp://", "rtsp:///x", "rtsp://cam:0/", "rtsp://cam:65536/",
        "rtsp://cam:12ab/", "rtsp://[::1/x", "rtsp://[::1]x/", "rtsp://fe80::1/x", "rtsp://u:%zz@cam/",
        "rtsp://u:%4@cam/", "rtsp://cam/a b", "rtsp://cam/x\r\nEvil: 1"}) {
    EXPECT_THROW(rtsp::parseUrl(bad), RtspError) << bad;
  }
  try {
    rtsp::parseUrl("rtsp://cam:99999/");
    FAIL();
  } catch (const RtspError &e) {
    EXPECT_NE(std::string(e.what()).find("bad port"), std::string::npos) << e.what();
  }
  try {
    rtsp::parseUrl("file:///etc/passwd");
    FAIL();
  } catch (const RtspError &e) {
    EXPECT_NE(std::string(e.what()).find("not an rtsp:// URL"), std::string::npos) << e.what();
  }
}

TEST(RtspUrl, ResolveControl) {
  EXPECT_EQ(rtsp::resolveControl("rtsp://cam/live", "trackID=1"), "rtsp://cam/live/trackID=1");
  EXPECT_EQ(rtsp::resolveControl("rtsp://cam/live/", "trackID=1"), "rtsp://cam/live/trackID=1");
  EXPECT_EQ(rtsp::resolveControl("rtsp://cam/live", "*"), "rtsp://cam/live");
  EXPECT_EQ(rtsp::resolveControl("rtsp://cam/live", ""), "rtsp://cam/live");
  EXPECT_EQ(rtsp::resolveControl("rtsp://cam/live", "rtsp://other:8554/x/track1"),
            "rtsp://other:8554/x/track1");
  EXPECT_EQ(rtsp::resolveControl("rtsp://cam/live", "RTSP://other/x"), "RTSP://other/x");
  EXPECT_EQ(rtsp::resolveControl("rtsp://cam/live/", "/trackID=1"), "rtsp://cam/live/trackID=1");
}

TEST(Sdp, H264Camera) {
  auto sdp = rtsp::parseSdp(kH264Sdp);
  EXPECT_EQ(sdp.sessionControl, "rtsp://192.168.1.64:554/Streaming/Channels/101/?transportmode=unicast");
  ASSERT_TRUE(sdp.video);
  EXPECT_EQ(sdp.video->encoding, "H264");
  EXPECT_EQ(sdp.video->payloadType, 96);
  EXPECT_EQ(sdp.video->clockRate, 90000);
  EXPECT_EQ(sdp.video->control, "trackID=1");
  EXPECT_EQ(sdp.video->fmtp,
            "profile-level-id=420029; packetization-mode=1; sprop-parameter-sets=Z0IAHqtAoC/yAA==,aM48gA==");
  ASSERT_EQ(sdp.video->parameterSets.size(), 2u);
  EXPECT_EQ(sdp.video->parameterSets[0], "\x67\x42\x00\x1e\xab\x40\xa0\x2f\xf2\x00"s);
  EXPECT_EQ(sdp.video->parameterSets[1], "\x68\xce\x3c\x80"s);
  EXPECT_EQ(rtsp::resolveControl("rtsp://192.168.1.64:554/Streaming/Channels/101/", sdp.video->control),
            "rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1");
}

TEST(Sdp, H265CameraWithBareLineFeeds) {
  const std::string text =
      "v=0\n"
      "o=- 38990265062388 38990265062388 IN IP4 10.0.0.9\n"
      "s=RTSP Session\n"
      "t=0 0\n"
      "a=range:npt=now-\n"
      "m=video 0 RTP/AVP 98 99\n"
      "a=rtpmap:99 H264/90000\n"
      "a=rtpmap:98 h265/90000\n"
      "a=fmtp:98 profile-id=1;sprop-sps=QgEBAWAAAAMAkAAAAwAAAwBdoAKAgC0WWVmkkyvAQEAAAAMAQAAABkI=;"
      "sprop-pps=RAHBc9CJ;sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwBdlZgJ\n"
      "a=control:rtsp://10.0.0.9/h265/track1\n";
  auto sdp = rtsp::parseSdp(text);
  EXPECT_EQ(sdp.sessionControl, "");
  ASSERT_TRUE(sdp.video);
  EXPECT_EQ(sdp.video->encoding, "H265");
  EXPECT_EQ(sdp.video->payloadType, 98);
  EXPECT_EQ(sdp.video->control, "rtsp://10.0.0.9/h265/track1");
  ASSERT_EQ(sdp.video->parameterSets.size(), 3u);
  // VPS, SPS, PPS whatever the order in fmtp.
  EXPECT_EQ((static_cast<unsigned char>(sdp.video->parameterSets[0][0]) >> 1) & 0x3f, 32u);
  EXPECT_EQ((static_cast<unsigned char>(sdp.video->parameterSets[1][0]) >> 1) & 0x3f, 33u);
  EXPECT_EQ((static_cast<unsigned char>(sdp.video->parameterSets[2][0]) >> 1) & 0x3f, 34u);
  EXPECT_EQ(sdp.video->parameterSets[2], "\x44\x01\xc1\x73\xd0\x89"s);
}

TEST(Sdp, AudioOnlyAndNotSdp) {
  auto sdp = rtsp::parseSdp("v=0\r\ns=x\r\nm=audio 0 RTP/AVP 0\r\na=control:a\r\n");
  EXPECT_FALSE(sdp.video);
  EXPECT_THROW(rtsp::parseSdp(""), RtspError);
  EXPECT_THROW(rtsp::parseSdp("<html>401</html>"), RtspError);
  EXPECT_THROW(rtsp::parseSdp("s=x\r\nv=0\r\n"), RtspError);
  // Tolerated oddities: bad numbers are ignored, not fatal.
  sdp = rtsp::parseSdp("v=0\nm=video 0 RTP/AVP x\na=rtpmap:x H264/abc\n");
  ASSERT_TRUE(sdp.video);
  EXPECT_EQ(sdp.video->payloadType, -1);
  EXPECT_EQ(sdp.video->encoding, "");
}

TEST(Transport, Parses) {
  auto t = rtsp::parseTransport("RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=1A2B3C4D;mode=\"PLAY\"");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->tcp);
  EXPECT_EQ(t->interleavedRtp, 0);
  EXPECT_EQ(t->interleavedRtcp, 1);
  EXPECT_FALSE(t->multicast);

  t = rtsp::parseTransport("RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971");
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->tcp);
  EXPECT_EQ(t->clientRtpPort, 5000);
  EXPECT_EQ(t->clientRtcpPort, 5001);
  EXPECT_EQ(t->serverRtpPort, 6970);
  EXPECT_EQ(t->serverRtcpPort, 6971);

  t = rtsp::parseTransport(
      "RTP/SAVP;unicast;client_port=1-2, rtp/avp/udp;multicast;destination=232.0.0.1;port=5000-5001");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->multicast);
  EXPECT_EQ(t->clientRtpPort, -1);

  t = rtsp::parseTransport("RTP/AVP/TCP;interleaved=4");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->interleavedRtp, 4);
  EXPECT_EQ(t->interleavedRtcp, -1);

  t = rtsp::parseTransport("RTP/AVP/TCP;interleaved=300-301");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->interleavedRtp, -1);

  EXPECT_FALSE(rtsp::parseTransport("RAW/RAW/UDP;unicast"));
  EXPECT_FALSE(rtsp::parseTransport(""));
}

TEST(Session, Parses) {
  EXPECT_EQ(rtsp::parseSession("12345678;timeout=60"), std::make_pair("12345678"s, 60));
  EXPECT_EQ(rtsp::parseSession("Session: 12345678;timeout=60"), std::make_pair("12345678"s, 60));
  EXPECT_EQ(rtsp::parseSession(" 8A7F3B ; Timeout = 30 "), std::make_pair("8A7F3B"s, 30));
  EXPECT_EQ(rtsp::parseSession("abc"), std::make_pair("abc"s, -1));
  EXPECT_EQ(rtsp::parseSession("abc;timeout=soon"), std::make_pair("abc"s, -1));
  EXPECT_EQ(rtsp::parseSession(""), std::make_pair(""s, -1));
}

rtsp::Message unauthorized(std::vector<std::string> challenges) {
  rtsp::Message m;
  m.isResponse = true;
  m.status = 401;
  m.headers.emplace_back("CSeq", "2");
  for (auto &c : challenges) m.headers.emplace_back("WWW-Authenticate", c);
  return m;
}

TEST(Authorization, DigestRfc2617Example) {
  auto m = unauthorized(
      {"Basic realm=\"testrealm@host.com\"",
       "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
       "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""});
  auto a = rtsp::authorization(m, "GET", "/dir/index.html", "Mufasa", "Circle Of Life", "0a4f113b", 1);
  ASSERT_TRUE(a);
  EXPECT_EQ(*a,
            "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
            "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
            "uri=\"/dir/index.html\", response=\"6629fae49393a05397450978507c4ef1\", qop=auth, nc=00000001, "
            "cnonce=\"0a4f113b\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
}

TEST(Authorization, DigestWithoutQopAndBothInOneHeader) {
  // RFC 2069 style (no qop), as most cameras send it; both challenges in one header.
  auto m =
      unauthorized({"Basic realm=\"IP Camera\", Digest realm=\"IP Camera(21388)\", "
                    "nonce=\"8a0c3cd0a1b7ee4d\", stale=\"FALSE\""});
  auto a = rtsp::authorization(m, "DESCRIBE", "rtsp://10.0.0.5:554/live", "admin", "12345", "ignored", 1);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->rfind("Digest username=\"admin\", realm=\"IP Camera(21388)\", nonce=\"8a0c3cd0a1b7ee4d\", "
                     "uri=\"rtsp://10.0.0.5:554/live\", response=\"",
                     0),
            0u)
      << *a;
  EXPECT_EQ(a->find("qop"), std::string::npos);
  EXPECT_EQ(a->find("cnonce"), std::string::npos);
  // The response is 32 hex digits and depends on the password.
  auto b = rtsp::authorization(m, "DESCRIBE", "rtsp://10.0.0.5:554/live", "admin", "54321", "ignored", 1);
  ASSERT_TRUE(b);
  EXPECT_NE(*a, *b);
}

TEST(Authorization, Basic) {
  auto m = unauthorized({"Basic realm=\"WallyWorld\""});
  EXPECT_EQ(rtsp::authorization(m, "DESCRIBE", "rtsp://h/", "Aladdin", "open sesame", "c", 1),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST(Authorization, NothingUnderstood) {
  EXPECT_FALSE(rtsp::authorization(unauthorized({}), "DESCRIBE", "/", "u", "p", "c", 1));
  EXPECT_FALSE(rtsp::authorization(unauthorized({"Negotiate abc=="}), "DESCRIBE", "/", "u", "p", "c", 1));
  EXPECT_FALSE(rtsp::authorization(unauthorized({"Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256"}),
                                   "DESCRIBE", "/", "u", "p", "c", 1));
  EXPECT_FALSE(rtsp::authorization(unauthorized({"Digest realm=\"r\""}), "DESCRIBE", "/", "u", "p", "c", 1));
  EXPECT_FALSE(rtsp::authorization(unauthorized({"Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\""}),
                                   "DESCRIBE", "/", "u", "p", "c", 1));
  EXPECT_FALSE(rtsp::authorization(unauthorized({"= garbage"}), "DESCRIBE", "/", "u", "p", "c", 1));
}

// ---- RTP ----

std::string rtpPacket(std::uint16_t seq, std::uint32_t ts, bool marker, const std::string &payload,
                      std::uint8_t pt = 96) {
  std::string p(12, '\0');
  p[0] = '\x80';
  p[1] = static_cast<char>((marker ? 0x80 : 0) | pt);
  p[2] = static_cast<char>(seq >> 8);
  p[3] = static_cast<char>(seq);
  for (int i = 0; i < 4; ++i) p[4 + i] = static_cast<char>(ts >> (24 - 8 * i));
  p[8] = '\x11';
  p[9] = '\x22';
  p[10] = '\x33';
  p[11] = '\x44';
  return p + payload;
}

TEST(RtpHeader, Parses) {
  auto h = rtsp::parseRtp(rtpPacket(0xfffe, 0x01020304, true, "abc", 97));
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->marker);
  EXPECT_EQ(h->payloadType, 97);
  EXPECT_EQ(h->sequence, 0xfffe);
  EXPECT_EQ(h->timestamp, 0x01020304u);
  EXPECT_EQ(h->ssrc, 0x11223344u);
  EXPECT_EQ(h->headerSize, 12u);
  EXPECT_EQ(h->payloadSize, 3u);
}

TEST(RtpHeader, CsrcExtensionPadding) {
  std::string p = rtpPacket(1, 2, false, "");
  p[0] = static_cast<char>(0x80 | 0x20 | 0x10 | 2);  // padding, extension, 2 CSRCs
  p += std::string(8, 'c');                          // CSRCs
  p += "\xbe\xde\x00\x01"s + "eeee";                 // extension of one word
  p += "payload";
  p += "\0\0\x03"s;  // 3 bytes of padding
  auto h = rtsp::parseRtp(p);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->headerSize, 12u + 8 + 8);
  EXPECT_EQ(h->payloadSize, 7u);
  EXPECT_EQ(p.substr(h->headerSize, h->payloadSize), "payload");
}

TEST(RtpHeader, RefusesShortOrWrong) {
  EXPECT_FALSE(rtsp::parseRtp(""));
  EXPECT_FALSE(rtsp::parseRtp(rtpPacket(1, 2, false, "").substr(0, 11)));
  std::string p = rtpPacket(1, 2, false, "xyz");
  p[0] = '\x40';  // version 1
  EXPECT_FALSE(rtsp::parseRtp(p));
  p[0] = '\x83';  // 3 CSRCs, but only 3 bytes follow
  EXPECT_FALSE(rtsp::parseRtp(p));
  p = rtpPacket(1, 2, false, "\x00\x00\x00\x05"s + "abcd");
  p[0] = '\x90';  // extension of 5 words, 4 bytes there
  EXPECT_FALSE(rtsp::parseRtp(p));
  p = rtpPacket(1, 2, false, "ab\x09"s);
  p[0] = '\xa0';  // padding of 9 with 3 payload bytes
  EXPECT_FALSE(rtsp::parseRtp(p));
  p = rtpPacket(1, 2, false, "ab\x00"s);
  p[0] = '\xa0';  // padding count 0
  EXPECT_FALSE(rtsp::parseRtp(p));
  p = rtpPacket(1, 2, false, "ab\x03"s);
  p[0] = '\xa0';  // the whole payload is padding: an empty payload
  auto h = rtsp::parseRtp(p);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->payloadSize, 0u);
}

// ---- Depayloader ----

const std::string kSps = "\x67\x42\x00\x1e\xab\x40\xa0\x2f\xf2\x00"s;
const std::string kPps = "\x68\xce\x3c\x80"s;
const std::string kSps2 = "\x67\x4d\x00\x28\x95"s;
const std::string kPps2 = "\x68\xee\x3c\x80\x01"s;

std::string annexB(std::vector<std::string> nals) {
  std::string out;
  for (auto &n : nals) out += "\0\0\0\1"s + n;
  return out;
}

std::string idr(std::size_t size, char fill = 'I') {
  return "\x65"s + std::string(size - 1, fill);
}
std::string pslice(char fill) {
  return "\x41"s + std::string(20, fill);
}

std::string stap(std::vector<std::string> nals) {
  std::string out = "\x18"s;  // STAP-A, NRI 0
  for (auto &n : nals) out += std::string{static_cast<char>(n.size() >> 8), static_cast<char>(n.size())} + n;
  return out;
}

// FU-A packets of one NAL unit in `parts` fragments.
std::vector<std::string> fuA(const std::string &nal, int parts) {
  std::vector<std::string> out;
  std::string body = nal.substr(1);
  std::size_t step = (body.size() + parts - 1) / parts;
  for (int i = 0; i < parts; ++i) {
    char indicator = static_cast<char>((nal[0] & 0xe0) | 28);
    char header = static_cast<char>((i == 0 ? 0x80 : 0) | (i == parts - 1 ? 0x40 : 0) | (nal[0] & 0x1f));
    out.push_back(std::string{indicator, header} + body.substr(i * step, step));
  }
  return out;
}

TEST(Depayloader, SingleNalUnits) {
  rtp::Depayloader d(rtp::VideoCodec::H264, {});
  auto out = d.push(rtpPacket(10, 1000, true, pslice('a')));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, annexB({pslice('a')}));
  EXPECT_EQ(out[0].timestamp, 1000u);
  EXPECT_FALSE(out[0].keyframe);
  // Two slices of one picture, then a marker.
  EXPECT_TRUE(d.push(rtpPacket(11, 4000, false, pslice('b'))).empty());
  out = d.push(rtpPacket(12, 4000, true, pslice('c')));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, annexB({pslice('b'), pslice('c')}));
  EXPECT_EQ(d.lostPackets() + d.badPackets() + d.droppedUnits(), 0u);
}

TEST(Depayloader, StapWithParameterSetsAndIdr) {
  rtp::Depayloader d(rtp::VideoCodec::H264, {kSps, kPps});
  auto out = d.push(rtpPacket(1, 0, true, stap({kSps2, kPps2, idr(30)})));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].keyframe);
  EXPECT_EQ(out[0].data, annexB({kSps2, kPps2, idr(30)}));
  // The next keyframe lacks them: the in-band ones (not the SDP's) are put first.
  out = d.push(rtpPacket(2, 3000, true, idr(40)));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].keyframe);
  EXPECT_EQ(out[0].data, annexB({kSps2, kPps2, idr(40)}));
  // Non-keyframes are left alone.
  out = d.push(rtpPacket(3, 6000, true, pslice('p')));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, annexB({pslice('p')}));
}

TEST(Depayloader, FuAIdrGetsSdpParameterSetsAfterTheDelimiter) {
  rtp::Depayloader d(rtp::VideoCodec::H264, {kSps, kPps});
  const std::string aud = "\x09\xf0"s;
  const std::string nal = idr(3000);
  auto parts = fuA(nal, 3);
  EXPECT_TRUE(d.push(rtpPacket(100, 9000, false, aud)).empty());
  EXPECT_TRUE(d.push(rtpPacket(101, 9000, false, parts[0])).empty());
  EXPECT_TRUE(d.push(rtpPacket(102, 9000, false, parts[1])).empty());
  auto out = d.push(rtpPacket(103, 9000, true, parts[2]));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].keyframe);
  EXPECT_EQ(out[0].timestamp, 9000u);
  EXPECT_EQ(out[0].data, annexB({aud, kSps, kPps, nal}));
  EXPECT_EQ(d.badPackets(), 0u);
}

TEST(Depayloader, LostFragmentDropsUntilNextKeyframe) {
  rtp::Depayloader d(rtp::VideoCodec::H264, {kSps, kPps});
  auto parts = fuA(idr(3000), 3);
  EXPECT_TRUE(d.push(rtpPacket(200, 0, false, parts[0])).empty());
  // 201 is lost.
  EXPECT_TRUE(d.push(rtpPacket(202, 0, true, parts[2])).empty());
  EXPECT_EQ(d.lostPackets(), 1u);
  EXPECT_EQ(d.droppedUnits(), 1u);
  EXPECT_EQ(d.badPackets(), 0u);  // a loss, not a malformed payload
  // P frames that follow cannot be decoded: dropped.
  EXPECT_TRUE(d.push(rtpPacket(203, 3000, true, pslice('1'))).empty());
  EXPECT_TRUE(d.push(rtpPacket(204, 6000, true, pslice('2'))).empty());
  EXPECT_EQ(d.droppedUnits(), 3u);
  // The next IDR, whole, restarts the output.
  auto next = fuA(idr(2000, 'J'), 3);
  EXPECT_TRUE(d.push(rtpPacket(205, 9000, false, next[0])).empty());
  EXPECT_TRUE(d.push(rtpPacket(206, 9000, false, next[1])).empty());
  auto out = d.push(rtpPacket(207, 9000, true, next[2]));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].keyframe);
  EXPECT_EQ(out[0].data, annexB({kSps, kPps, idr(2000, 'J')}));
  out = d.push(rtpPacket(208, 12000, true, pslice('3')));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(d.droppedUnits(), 3u);
  EXPECT_EQ(d.lostPackets(), 1u);
}

TEST(Depayloader, LossBetweenUnitsDropsTheNextOne) {
  rtp::Depayloader d(rtp::VideoCodec::H264, {kSps, kPps});
  ASSERT_EQ(d.push(rtpPacket(1, 0, true, idr(50))).size(), 1u);
  // 2 and 3 lost: the unit at 6000 may have lost its first slices.
  EXPECT_TRUE(d.push(rtpPacket(4, 6000, true, pslice('x'))).empty());
  EXPECT_EQ(d.lostPackets(), 2u);
  EXPECT_EQ(d.droppedUnits(), 1u);
}

TEST(Depayloader, TimestampChangeEndsAUnitWithoutMarker) {
  rtp::Depayloader d(rtp::VideoCodec::H264, {kSps, kPps});
  EXPECT_TRUE(d.push(rtpPacket(1, 1000, false, pslice('a'))).empty());
  // The next packet, of a new picture and with its own marker, completes both.
  auto out = d.push(rtpPacket(2, 4000, true, pslice('b')));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].timestamp, 1000u);
  EXPECT_EQ(out[0].data, annexB({pslice('a')}));
  EXPECT_EQ(out[1].timestamp, 4000u);
  EXPECT_EQ(out[1].data, annexB({pslice('b')}));
  // Without a marker at all: each unit comes out when the next begins.
  EXPECT_TRUE(d.push(rtpPacket(3, 7000, false, pslice('c'))).empty());
  out = d.push(rtpPacket(4, 10000, false, pslice('d')));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].timestamp, 7000u);
}

TEST(Depayloader, SequenceWrapsAndDuplicates) {
  rtp::Depayloader d(rtp::VideoCodec::H264, {});
  EXPECT_EQ(d.push(rtpPacket(0xffff, 0, true, pslice('a'))).size(), 1u);
  EXPECT_EQ(d.push(rtpPacket(0x0000, 3000, true, pslice('b'))).size(), 1u);
  EXPECT_TRUE(d.push(rtpPacket(0x0000, 3000, true, pslice('b'))).empty());  // duplicate ignored
  EXPECT_EQ(d.push(rtpPacket(0x0001, 6000, true, pslice('c'))).size(), 1u);
  EXPECT_EQ(d.lostPackets(), 0u);
}

TEST(Depayloader, BadPayloadsAreCountedNotThrown) {
  rtp::Depayloader d(rtp::VideoCodec::H264, {});
  EXPECT_TRUE(d.push("short").empty());
  EXPECT_EQ(d.badPackets(), 1u);
  EXPECT_TRUE(d.push(rtpPacket(1, 0, true, "\x18\x00\x09\x65"s)).empty());  // STAP-A size past the end
  EXPECT_EQ(d.badPackets(), 2u);
  EXPECT_TRUE(d.push(rtpPacket(2, 3000, true, "\x1d\x85xx"s)).empty());  // FU-B
  EXPECT_TRUE(d.push(rtpPacket(3, 6000, true, "\x7c\x05xx"s)).empty());  // FU-A middle without start
  EXPECT_EQ(d.badPackets(), 4u);
  EXPECT_EQ(d.lostPackets(), 0u);
  // A keyframe recovers.
  auto out = d.push(rtpPacket(4, 9000, true, idr(10)));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, annexB({idr(10)}));  // no parameter sets known: none added
}

TEST(Depayloader, OversizedUnitIsDropped) {
  rtp::Depayloader d(rtp::VideoCodec::H264, {kSps, kPps});
  const std::string chunk(60000, 'z');
  std::uint16_t seq = 0;
  // An FU-A that never ends, over 16 MiB.
  EXPECT_TRUE(d.push(rtpPacket(seq++, 0, false, "\x7c\x85"s + chunk)).empty());
  for (int i = 0; i < 17 * 1024 * 1024 / 60000 + 1; ++i)
    EXPECT_TRUE(d.push(rtpPacket(seq++, 0, false, "\x7c\x05"s + chunk)).empty());
  EXPECT_TRUE(d.push(rtpPacket(seq++, 0, true, "\x7c\x45"s + chunk)).empty());
  EXPECT_EQ(d.badPackets(), 1u);
  EXPECT_EQ(d.droppedUnits(), 1u);
  auto out = d.push(rtpPacket(seq++, 3000, true, idr(100)));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].keyframe);
}

// H.265: 2-byte NAL headers, type in bits 1-6 of the first byte.
std::string h265Nal(int type, std::size_t size, char fill) {
  return std::string{static_cast<char>(type << 1), '\x01'} + std::string(size - 2, fill);
}

TEST(Depayloader, H265ApAndFu) {
  const std::string vps = h265Nal(32, 10, 'v'), sps = h265Nal(33, 20, 's'), pps = h265Nal(34, 6, 'p');
  rtp::Depayloader d(rtp::VideoCodec::H265, {vps, sps, pps});
  // AP with VPS/SPS/PPS, then an IDR_W_RADL (19) in FU packets.
  std::string ap = "\x60\x01"s;  // type 48
  for (const auto &n : {vps, sps, pps})
    ap += std::string{static_cast<char>(n.size() >> 8), static_cast<char>(n.size())} + n;
  EXPECT_TRUE(d.push(rtpPacket(1, 0, false, ap)).empty());
  const std::string idrNal = h265Nal(19, 2500, 'i');
  auto fu = [&](int flags, std::string_view body) {
    return "\x62\x01"s + std::string{static_cast<char>(flags | 19)} + std::string(body);
  };
  std::string body = idrNal.substr(2);
  EXPECT_TRUE(d.push(rtpPacket(2, 0, false, fu(0x80, body.substr(0, 1000)))).empty());
  EXPECT_TRUE(d.push(rtpPacket(3, 0, false, fu(0x00, body.substr(1000, 1000)))).empty());
  auto out = d.push(rtpPacket(4, 0, true, fu(0x40, body.substr(2000))));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].keyframe);
  EXPECT_EQ(out[0].data, annexB({vps, sps, pps, idrNal}));
  EXPECT_EQ(d.badPackets(), 0u);

  // A CRA (21) alone gets the parameter sets; a TRAIL_R (1) does not.
  const std::string cra = h265Nal(21, 40, 'c');
  out = d.push(rtpPacket(5, 3000, true, cra));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].keyframe);
  EXPECT_EQ(out[0].data, annexB({vps, sps, pps, cra}));
  const std::string trail = h265Nal(1, 40, 't');
  out = d.push(rtpPacket(6, 6000, true, trail));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].keyframe);
  EXPECT_EQ(out[0].data, annexB({trail}));

  // A lost FU fragment: dropped until the next keyframe.
  EXPECT_TRUE(d.push(rtpPacket(7, 9000, false, fu(0x80, body.substr(0, 1000)))).empty());
  EXPECT_TRUE(d.push(rtpPacket(9, 9000, true, fu(0x40, body.substr(2000)))).empty());
  EXPECT_TRUE(d.push(rtpPacket(10, 12000, true, trail)).empty());
  EXPECT_EQ(d.droppedUnits(), 2u);
  EXPECT_EQ(d.lostPackets(), 1u);
  EXPECT_EQ(d.push(rtpPacket(11, 15000, true, cra)).size(), 1u);
}

TEST(Depayloader, H265Malformed) {
  rtp::Depayloader d(rtp::VideoCodec::H265, {});
  EXPECT_TRUE(d.push(rtpPacket(1, 0, true, "\x60"s)).empty());              // one byte
  EXPECT_TRUE(d.push(rtpPacket(2, 1, true, "\x60\x01\x00\x01"s)).empty());  // AP size 1
  EXPECT_TRUE(d.push(rtpPacket(3, 2, true, "\x64\x01xx"s)).empty());        // PACI (50)
  EXPECT_EQ(d.badPackets(), 3u);
}

// The fuzz seeds that carry a PLAY response and interleaved RTP: what a
// camera sends over TCP, read and depayloaded as the relay does.
struct StreamResult {
  std::vector<rtp::AccessUnit> units;
  std::uint64_t lost = 0, dropped = 0, bad = 0;
  int messages = 0;
};

StreamResult replaySeed(const std::string &name, rtp::VideoCodec codec, std::vector<std::string> sprop) {
  std::ifstream in(std::string(LIANDONG_SOURCE_DIR) + "/tests/ingest/camera/corpus/rtsp/" + name,
                   std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(bytes.empty()) << name;
  rtsp::Reader reader;
  rtp::Depayloader depay(codec, std::move(sprop));
  StreamResult r;
  for (std::size_t at = 0; at < bytes.size(); at += 5) {
    reader.feed(bytes.data() + at, std::min<std::size_t>(5, bytes.size() - at));
    while (auto item = reader.next()) {
      if (item->message) ++r.messages;
      if (item->frame && item->frame->channel == 0)
        for (auto &au : depay.push(item->frame->payload)) r.units.push_back(std::move(au));
    }
  }
  r.lost = depay.lostPackets();
  r.dropped = depay.droppedUnits();
  r.bad = depay.badPackets();
  return r;
}

TEST(Depayloader, H264SeedStream) {
  auto r = replaySeed("interleaved_h264.bin", rtp::VideoCodec::H264, {kSps, kPps});
  EXPECT_EQ(r.messages, 1);
  // STAP-A keyframe, P, FU-A keyframe; a keyframe and a P lost to packet 106; a last keyframe.
  ASSERT_EQ(r.units.size(), 4u);
  EXPECT_TRUE(r.units[0].keyframe);
  EXPECT_FALSE(r.units[1].keyframe);
  EXPECT_TRUE(r.units[2].keyframe);
  EXPECT_TRUE(r.units[3].keyframe);
  EXPECT_EQ(r.units[3].timestamp, 15000u);
  EXPECT_EQ(r.units[2].data.substr(0, 4 + kSps.size()), "\0\0\0\1"s + kSps);
  EXPECT_EQ(r.lost, 1u);
  EXPECT_EQ(r.dropped, 2u);
  EXPECT_EQ(r.bad, 0u);
}

TEST(Depayloader, H265SeedStream) {
  auto r = replaySeed("interleaved_h265.bin", rtp::VideoCodec::H265, {});
  EXPECT_EQ(r.messages, 1);
  ASSERT_EQ(r.units.size(), 3u);
  EXPECT_TRUE(r.units[0].keyframe);
  EXPECT_FALSE(r.units[1].keyframe);
  EXPECT_TRUE(r.units[2].keyframe);
  // The CRA alone got the VPS/SPS/PPS seen in the first unit's AP.
  EXPECT_EQ(r.units[2].data.substr(0, 6), "\0\0\0\1\x40\x01"s);
  EXPECT_EQ(r.lost + r.dropped + r.bad, 0u);
}

}  // namespace
