// H.264/H.265 RTP depayloading into Annex B access units (see rtp_depay.h).
// Used by the camera hub's live loop; fuzzed by tests/ingest/camera/fuzz_rtsp.cpp, so it never
// throws on packet contents and bounds what it keeps.
#include "liandong/ingest/rtsp/rtp_depay.h"

#include "liandong/ingest/rtsp/rtsp_wire.h"

namespace liandong::ingest::rtp {

namespace {

constexpr std::size_t kMaxUnit = 16 * 1024 * 1024;
constexpr std::string_view kStartCode("\0\0\0\1", 4);

int nalType(VideoCodec codec, std::string_view nal) {
  if (nal.empty()) return -1;
  auto b0 = static_cast<std::uint8_t>(nal[0]);
  return codec == VideoCodec::H264 ? (b0 & 0x1f) : ((b0 >> 1) & 0x3f);
}

bool isKeyframeNal(VideoCodec codec, int type) {
  return codec == VideoCodec::H264 ? type == 5 : (type >= 16 && type <= 21);
}

bool isAud(VideoCodec codec, int type) {
  return codec == VideoCodec::H264 ? type == 9 : type == 35;
}

}  // namespace

Depayloader::Depayloader(VideoCodec codec, std::vector<std::string> parameterSets)
    : codec_(codec), sprop_(std::move(parameterSets)) {
  for (const auto &nal : sprop_) remember(nal);
}

void Depayloader::remember(const std::string &nal) {
  int type = nalType(codec_, nal);
  if (codec_ == VideoCodec::H264) {
    if (type == 7) sps_ = nal;
    if (type == 8) pps_ = nal;
  } else {
    if (type == 32) vps_ = nal;
    if (type == 33) sps_ = nal;
    if (type == 34) pps_ = nal;
  }
}

void Depayloader::addNal(std::string nal) {
  if (nal.empty() || broken_) return;
  unitBytes_ += nal.size() + kStartCode.size();
  if (unitBytes_ > kMaxUnit) {
    overflow();
    return;
  }
  nals_.push_back(std::move(nal));
}

void Depayloader::overflow() {
  ++bad_;
  broken_ = true;
  nals_.clear();
  nals_.shrink_to_fit();
  fragment_.clear();
  fragment_.shrink_to_fit();
  inFragment_ = false;
}

void Depayloader::malformed() {
  ++bad_;
  broken_ = true;
  fragment_.clear();
  inFragment_ = false;
}

void Depayloader::finish(std::vector<AccessUnit> &out) {
  if (!timestamp_) return;
  std::uint32_t timestamp = *timestamp_;
  // Ending inside a fragmented NAL unit is malformed, unless a loss explains it.
  if (inFragment_ && !broken_) malformed();
  bool broken = broken_;
  std::vector<std::string> nals = std::move(nals_);
  timestamp_.reset();
  nals_.clear();
  fragment_.clear();
  inFragment_ = false;
  broken_ = false;
  unitBytes_ = 0;
  if (broken) {
    ++dropped_;
    waitKeyframe_ = true;
    return;
  }
  if (nals.empty()) return;
  bool keyframe = false, hasVps = false, hasSps = false, hasPps = false;
  for (const auto &nal : nals) {
    int type = nalType(codec_, nal);
    keyframe = keyframe || isKeyframeNal(codec_, type);
    if (codec_ == VideoCodec::H264) {
      hasSps = hasSps || type == 7;
      hasPps = hasPps || type == 8;
    } else {
      hasVps = hasVps || type == 32;
      hasSps = hasSps || type == 33;
      hasPps = hasPps || type == 34;
    }
    remember(nal);
  }
  if (waitKeyframe_ && !keyframe) {
    ++dropped_;
    return;
  }
  if (keyframe) waitKeyframe_ = false;
  bool complete = hasSps && hasPps && (codec_ == VideoCodec::H264 || hasVps);
  AccessUnit au;
  au.timestamp = timestamp;
  au.keyframe = keyframe;
  std::size_t i = 0;
  auto put = [&](const std::string &nal) {
    if (nal.empty()) return;
    au.data += kStartCode;
    au.data += nal;
  };
  if (keyframe && !complete) {
    // Parameter sets go after any access unit delimiter, in VPS, SPS, PPS order;
    // the unit's own ones were remembered above, so they are the ones written.
    for (; i < nals.size() && isAud(codec_, nalType(codec_, nals[i])); ++i) put(nals[i]);
    if (codec_ == VideoCodec::H265) put(vps_);
    put(sps_);
    put(pps_);
    for (; i < nals.size(); ++i) {
      int type = nalType(codec_, nals[i]);
      bool parameterSet = codec_ == VideoCodec::H264 ? (type == 7 || type == 8) : (type >= 32 && type <= 34);
      if (!parameterSet) put(nals[i]);
    }
  } else {
    for (const auto &nal : nals) put(nal);
  }
  out.push_back(std::move(au));
}

std::vector<AccessUnit> Depayloader::push(std::string_view packet) {
  std::vector<AccessUnit> out;
  auto header = rtsp::parseRtp(packet);
  if (!header) {
    ++bad_;
    return out;
  }
  bool gap = false;
  if (lastSeq_) {
    auto delta = static_cast<std::uint16_t>(header->sequence - *lastSeq_);
    if (delta == 0) return out;  // a duplicate
    if (delta != 1) {
      gap = true;
      // A jump back (a late packet or a restarted sender) is a discontinuity, not losses.
      if (delta < 0x8000) lost_ += delta - 1u;
    }
  }
  lastSeq_ = header->sequence;
  if (gap && timestamp_) broken_ = true;  // the lost packets may have ended this unit
  if (timestamp_ && *timestamp_ != header->timestamp) finish(out);
  if (!timestamp_) {
    timestamp_ = header->timestamp;
    unitBytes_ = 0;
  }
  if (gap) {
    broken_ = true;  // ... or begun this one
    waitKeyframe_ = true;
  }

  std::string_view payload = packet.substr(header->headerSize, header->payloadSize);
  if (!broken_) {
    if (codec_ == VideoCodec::H264)
      pushH264(payload);
    else
      pushH265(payload);
  }
  if (header->marker) finish(out);
  return out;
}

void Depayloader::fragmentStart(std::string nalHeader, std::string_view data) {
  if (inFragment_) malformed();  // the previous fragmented unit never ended
  if (broken_) return;
  unitBytes_ += nalHeader.size();
  fragment_ = std::move(nalHeader);
  inFragment_ = true;
  fragmentPart(data);
}

void Depayloader::fragmentPart(std::string_view data) {
  if (broken_) return;
  if (!inFragment_) {
    malformed();  // a middle or end without its start
    return;
  }
  unitBytes_ += data.size();
  if (unitBytes_ > kMaxUnit) {
    overflow();
    return;
  }
  fragment_.append(data);
}

void Depayloader::fragmentEnd() {
  if (broken_ || !inFragment_) return;
  inFragment_ = false;
  std::string nal = std::move(fragment_);
  fragment_.clear();
  // Already counted in unitBytes_ as it arrived, save the start code.
  unitBytes_ -= nal.size();
  addNal(std::move(nal));
}

// An aggregation packet (H.264 STAP-A, H.265 AP): after its `header`
// bytes, NAL units of at least `minNal` bytes, each after its 2-byte size.
void Depayloader::aggregate(std::string_view p, std::size_t header, std::size_t minNal) {
  if (inFragment_) malformed();
  std::size_t at = header;
  if (at >= p.size()) return malformed();
  while (at < p.size() && !broken_) {
    if (at + 2 > p.size()) return malformed();
    std::size_t size = (static_cast<std::uint8_t>(p[at]) << 8) | static_cast<std::uint8_t>(p[at + 1]);
    at += 2;
    if (size < minNal || at + size > p.size()) return malformed();
    addNal(std::string(p.substr(at, size)));
    at += size;
  }
}

// Single NAL units, STAP-A and FU-A of RFC 6184 (packetization modes 0 and 1).
void Depayloader::pushH264(std::string_view p) {
  if (p.empty()) {
    malformed();
    return;
  }
  auto b0 = static_cast<std::uint8_t>(p[0]);
  int type = b0 & 0x1f;
  if (type >= 1 && type <= 23) {
    if (inFragment_) malformed();
    addNal(std::string(p));
    return;
  }
  if (type == 24) {  // STAP-A: 2-byte sizes, each followed by a NAL unit
    aggregate(p, 1, 1);
    return;
  }
  if (type == 28) {  // FU-A
    if (p.size() < 3) return malformed();
    auto fu = static_cast<std::uint8_t>(p[1]);
    bool start = fu & 0x80, end = fu & 0x40;
    if (start) {
      char nalHeader = static_cast<char>((b0 & 0xe0) | (fu & 0x1f));
      fragmentStart(std::string(1, nalHeader), p.substr(2));
    } else {
      fragmentPart(p.substr(2));
    }
    if (end) fragmentEnd();
    return;
  }
  malformed();  // 0, STAP-B, MTAP, FU-B (interleaved mode) and reserved types
}

// Single NAL units, AP and FU of RFC 7798 (without DONL: sprop-max-don-diff 0).
void Depayloader::pushH265(std::string_view p) {
  if (p.size() < 2) {
    malformed();
    return;
  }
  auto b0 = static_cast<std::uint8_t>(p[0]);
  int type = (b0 >> 1) & 0x3f;
  if (type < 48) {
    if (inFragment_) malformed();
    addNal(std::string(p));
    return;
  }
  if (type == 48) {  // AP
    aggregate(p, 2, 2);
    return;
  }
  if (type == 49) {  // FU
    if (p.size() < 4) return malformed();
    auto fu = static_cast<std::uint8_t>(p[2]);
    bool start = fu & 0x80, end = fu & 0x40;
    if (start) {
      std::string nalHeader(2, '\0');
      nalHeader[0] = static_cast<char>((b0 & 0x81) | ((fu & 0x3f) << 1));
      nalHeader[1] = p[1];
      fragmentStart(std::move(nalHeader), p.substr(3));
    } else {
      fragmentPart(p.substr(3));
    }
    if (end) fragmentEnd();
    return;
  }
  malformed();  // PACI and reserved types
}

}  // namespace liandong::ingest::rtp
