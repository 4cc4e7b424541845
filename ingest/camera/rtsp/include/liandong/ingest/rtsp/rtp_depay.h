// H.264 (RFC 6184) and H.265 (RFC 7798) RTP payloads back into access units,
// for the node's camera hub: what recording, the event ring, the
// picture check and snapshots take. Single NAL units, STAP-A / AP and FU-A /
// FU are understood (not interleaved modes: packetization-mode 2). An access
// unit ends at the marker bit or when the timestamp changes. Output is
// Annex B (00 00 00 01 before each NAL unit) with the parameter sets (from
// the SDP or the last ones seen in band) put before every keyframe that
// lacks them, like h264parse config-interval=-1. A lost packet (a gap in
// sequence numbers) drops the access unit it hit and, for the decoder's
// sake, what follows until the next keyframe. Reads outside data: fuzzed
// (tests/ingest/camera/fuzz_rtsp.cpp); never throws on bad payloads, counts them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace liandong::ingest::rtp {

enum class VideoCodec { H264, H265 };

struct AccessUnit {
  std::string data;         // Annex B
  std::uint32_t timestamp;  // RTP timestamp (90 kHz)
  bool keyframe = false;    // holds an IDR (H.264 type 5; H.265 types 16-21)
};

class Depayloader {
public:
  // parameterSets: NAL units without start codes (SdpVideo::parameterSets).
  Depayloader(VideoCodec codec, std::vector<std::string> parameterSets);
  // One RTP packet (the whole packet, header included). Returns the access
  // units it completed (zero, one, or two when a timestamp change ends one
  // without a marker and the packet itself carries the marker).
  std::vector<AccessUnit> push(std::string_view packet);
  // Counters for logs and tests.
  std::uint64_t lostPackets() const { return lost_; }
  std::uint64_t badPackets() const { return bad_; }  // malformed payloads skipped
  std::uint64_t droppedUnits() const { return dropped_; }

private:
  void remember(const std::string &nal);  // keeps a parameter set as the latest of its kind
  void addNal(std::string nal);
  void aggregate(std::string_view packet, std::size_t header, std::size_t minNal);
  void fragmentStart(std::string nalHeader, std::string_view data);
  void fragmentPart(std::string_view data);
  void fragmentEnd();
  void pushH264(std::string_view payload);
  void pushH265(std::string_view payload);
  void malformed();  // counts a bad payload and breaks the unit being built
  void overflow();   // the unit went over its size limit: free it, break it
  void finish(std::vector<AccessUnit> &out);

  VideoCodec codec_;
  std::vector<std::string> sprop_;          // from the SDP
  std::string vps_, sps_, pps_;             // the latest seen (in band or SDP)
  std::vector<std::string> nals_;           // of the access unit being built
  std::optional<std::uint32_t> timestamp_;  // of the access unit being built
  std::optional<std::uint16_t> lastSeq_;
  std::string fragment_;  // FU being reassembled (with its NAL header)
  bool inFragment_ = false;
  bool broken_ = false;        // the unit being built lost a packet
  bool waitKeyframe_ = false;  // after a loss, until the next keyframe
  std::uint64_t lost_ = 0, bad_ = 0, dropped_ = 0;
  std::size_t unitBytes_ = 0;  // Annex B size of the unit being built, fragment included
};

}  // namespace liandong::ingest::rtp
