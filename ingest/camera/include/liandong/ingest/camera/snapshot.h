// Snapshot on demand: one JPEG of what a camera shows now. Opens the URL
// (a camera's RTSP stream, or the node's re-serve at /cam/<id>, which starts
// a new viewer on a cached keyframe at once), decodes the first complete
// picture, encodes it as JPEG and closes — `liandong-ingest --snapshot URL`
// and anything else that needs a still (evidence, an incident's photo).
#pragma once

#include <string>

namespace liandong::ingest {

struct SnapshotOptions {
  double timeoutS = 10;  // the whole attempt, connecting included
  int quality = 85;      // JPEG quality 1..100
};

// The JPEG bytes of the first decoded picture. Throws Error with one line
// naming the redacted URL and the cause (refused, not found, no video,
// timed out); never waits longer than the timeout.
std::string snapshotJpeg(const std::string &url, const SnapshotOptions &options = {});

}  // namespace liandong::ingest
