// The group of pictures since the last keyframe at the RTP level, one per
// live stream (private to the camera library; the live loop keeps it, see
// live_loop.h): the packets as they were forwarded (header rewritten), so a
// new viewer, or one that fell behind, starts on a keyframe at once. Until a
// keyframe came it holds only the packets of the access units not yet
// judged; beyond kMaxGopBytes it empties and waits for the next keyframe.
// Touched on the live loop's I/O thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace liandong::ingest {

// One forwarded RTP packet (header rewritten), shared by the cache and every viewer queue.
struct Packet {
  std::string bytes;
  std::uint32_t timestamp = 0;  // as rewritten
  std::uint16_t sequence = 0;   // as rewritten
};
using PacketPtr = std::shared_ptr<const Packet>;

class GopCache {
public:
  static constexpr std::size_t kMaxBytes = 16u << 20;

  // A packet just forwarded. Before the first keyframe, packets of access
  // units already judged (neither this packet's timestamp nor `held`, the
  // one the depayloader still holds back) are dropped first.
  void add(const PacketPtr &packet, std::optional<std::uint32_t> held);
  // A whole keyframe with (rewritten) timestamp `ts` was depayloaded: the
  // cache now starts at its first packet. False when none of its packets
  // is here (the cache stays as it was).
  bool keyframeAt(std::uint32_t ts);
  void clear();

  bool valid() const { return valid_; }  // starts at a keyframe
  bool empty() const { return packets_.empty(); }
  const std::deque<PacketPtr> &packets() const { return packets_; }

private:
  std::deque<PacketPtr> packets_;
  std::size_t bytes_ = 0;
  bool valid_ = false;
};

}  // namespace liandong::ingest
