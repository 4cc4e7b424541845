// The live loop's group-of-pictures cache (see gop_cache.h).
#include "gop_cache.h"

#include <algorithm>

namespace liandong::ingest {

void GopCache::add(const PacketPtr &packet, std::optional<std::uint32_t> held) {
  if (!valid_) {
    while (!packets_.empty() && packets_.front()->timestamp != packet->timestamp &&
           packets_.front()->timestamp != held) {
      bytes_ -= packets_.front()->bytes.size();
      packets_.pop_front();
    }
  }
  packets_.push_back(packet);
  bytes_ += packet->bytes.size();
  if (bytes_ > kMaxBytes) clear();
}

bool GopCache::keyframeAt(std::uint32_t ts) {
  auto first =
      std::find_if(packets_.begin(), packets_.end(), [ts](const PacketPtr &p) { return p->timestamp == ts; });
  if (first == packets_.end()) return false;
  for (auto it = packets_.begin(); it != first; ++it) bytes_ -= (*it)->bytes.size();
  packets_.erase(packets_.begin(), first);
  valid_ = true;
  return true;
}

void GopCache::clear() {
  packets_.clear();
  bytes_ = 0;
  valid_ = false;
}

}  // namespace liandong::ingest
