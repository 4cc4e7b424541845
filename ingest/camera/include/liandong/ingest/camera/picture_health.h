// Picture health of a camera from a low-rate decoded sub-sample (small
// GRAY8 pictures, about one a second, decoded from keyframes only by the
// camera hub in picture_check.cpp): a black picture, a covered lens, a
// frozen picture and a moved view. Pure computation on pixels, so it is
// tested without GStreamer; the relay turns each change of the result into
// a CameraStatus event (detail "black", "frozen", "tamper: lens covered",
// "tamper: view moved").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace liandong::ingest {

struct PictureOptions {
  double frozenAfterS = 10;    // the picture has not changed for this long
  double tamperAfterS = 5;     // black, covered or moved for this long
  double relearnAfterS = 300;  // a moved view this long becomes the new reference (a PTZ move)
};

class PictureHealth {
public:
  explicit PictureHealth(PictureOptions options = {}) : options_(options) {}

  // One grey picture (width x height bytes, rows `stride` apart) taken at
  // tUs. Returns the condition now: "" (healthy), "black", "tamper: lens
  // covered", "frozen" or "tamper: view moved".
  const std::string &onPicture(const std::uint8_t *gray, int width, int height, int stride, std::int64_t tUs);
  // Forget everything (after a reconnect, the camera may have changed).
  void reset();
  const std::string &condition() const { return condition_; }

private:
  PictureOptions options_;
  std::vector<std::uint8_t> last_;  // previous picture
  std::vector<float> reference_;    // the learned view (running average of healthy pictures)
  int width_ = 0, height_ = 0, learned_ = 0;
  std::string candidate_;  // what the last pictures show
  std::int64_t candidateSinceUs_ = 0;
  std::int64_t unchangedSinceUs_ = -1;
  std::string condition_;
};

}  // namespace liandong::ingest
