// Picture health from small grey pictures (see picture_health.h).
//
// The measures, chosen to hold for real cameras with a burnt-in clock (OSD)
// as well as for the simulator:
// - flat: more than 75% of the pixels within 10 grey levels of the median
//   (a covered lens or a black signal; the OSD text is a small part).
//   Black when that median is below 30, else a covered lens.
// - unchanged: at most 3 of the 4x4 blocks' means differ by more than 16
//   levels from the previous picture (the coding noise of a still scene
//   stays below that; the seconds of a burnt-in clock or anything moving do
//   not).
// - moved: the mean absolute difference from the learned view (a running
//   average of healthy pictures) is above 35 levels.
#include "liandong/ingest/camera/picture_health.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>

namespace liandong::ingest {

namespace {
constexpr int kFlatBand = 10;
constexpr double kFlatShare = 0.75;
constexpr int kBlackLevel = 30;
constexpr int kBlock = 4;          // frozen: compared by blocks of 4x4 pixels ...
constexpr int kChangeLevel = 16;   // ... whose mean changes by more than this ...
constexpr int kChangedBlocks = 3;  // ... in no more than this many blocks
constexpr double kMovedLevel = 35;
constexpr int kLearnPictures = 5;
constexpr float kLearnRate = 0.05f;
const std::string kNone, kBlack = "black", kCovered = "tamper: lens covered", kFrozen = "frozen",
                         kMoved = "tamper: view moved";
}  // namespace

void PictureHealth::reset() {
  last_.clear();
  reference_.clear();
  learned_ = 0;
  width_ = height_ = 0;
  candidate_.clear();
  candidateSinceUs_ = 0;
  unchangedSinceUs_ = -1;
  condition_.clear();
}

const std::string &PictureHealth::onPicture(const std::uint8_t *gray, int width, int height, int stride,
                                            std::int64_t tUs) {
  if (width <= 0 || height <= 0 || !gray) return condition_;
  if (width != width_ || height != height_) {
    reset();
    width_ = width;
    height_ = height;
  }
  auto n = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
  std::vector<std::uint8_t> cur(n);
  for (int y = 0; y < height; ++y)
    std::copy_n(gray + static_cast<std::ptrdiff_t>(y) * stride, width,
                cur.begin() + static_cast<std::ptrdiff_t>(y) * width);

  std::array<std::size_t, 256> histogram{};
  for (auto p : cur) ++histogram[p];
  int median = 0;
  for (std::size_t seen = 0; median < 256; ++median)
    if ((seen += histogram[static_cast<std::size_t>(median)]) * 2 >= n) break;
  std::size_t nearMedian = 0;
  for (int v = std::max(0, median - kFlatBand); v <= std::min(255, median + kFlatBand); ++v)
    nearMedian += histogram[static_cast<std::size_t>(v)];
  bool flat = static_cast<double>(nearMedian) > kFlatShare * static_cast<double>(n);

  // Compared by 4x4 block means: coding noise (keyframes of a still scene
  // differ a little from one to the next) averages out, a changed digit of
  // a clock or anything moving does not.
  bool unchanged = false;
  if (last_.size() == n) {
    int changed = 0;
    for (int by = 0; by + kBlock <= height; by += kBlock)
      for (int bx = 0; bx + kBlock <= width; bx += kBlock) {
        int diff = 0;
        for (int y = by; y < by + kBlock; ++y)
          for (int x = bx; x < bx + kBlock; ++x) {
            auto i =
                static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x);
            diff += int(cur[i]) - int(last_[i]);
          }
        changed += std::abs(diff) > kChangeLevel * kBlock * kBlock;
      }
    unchanged = changed <= kChangedBlocks;
  }
  if (!unchanged) unchangedSinceUs_ = tUs;
  last_ = cur;

  bool moved = false;
  if (learned_ >= kLearnPictures) {
    double diff = 0;
    for (std::size_t i = 0; i < n; ++i) diff += std::fabs(float(cur[i]) - reference_[i]);
    moved = diff / static_cast<double>(n) > kMovedLevel;
  }
  if (!flat && !moved) {  // learn the view from healthy pictures only
    if (reference_.size() != n) reference_.assign(cur.begin(), cur.end());
    float rate = learned_ < kLearnPictures ? 1.0f / float(learned_ + 1) : kLearnRate;
    for (std::size_t i = 0; i < n; ++i) reference_[i] += rate * (float(cur[i]) - reference_[i]);
    ++learned_;
  }

  const std::string &now = flat ? (median < kBlackLevel ? kBlack : kCovered) : moved ? kMoved : kNone;
  if (now != candidate_) {
    candidate_ = now;
    candidateSinceUs_ = tUs;
  }
  auto heldS = static_cast<double>(tUs - candidateSinceUs_) / 1e6;
  if (!candidate_.empty()) {
    if (heldS >= options_.tamperAfterS) condition_ = candidate_;
    if (candidate_ == kMoved && heldS >= options_.relearnAfterS) {
      // Someone moved the camera on purpose long ago: this is its view now.
      reference_.assign(cur.begin(), cur.end());
      learned_ = kLearnPictures;
      candidate_.clear();
      condition_.clear();
    }
  } else {
    bool frozen = static_cast<double>(tUs - unchangedSinceUs_) / 1e6 >= options_.frozenAfterS;
    condition_ = frozen ? kFrozen : kNone;
  }
  return condition_;
}

}  // namespace liandong::ingest
