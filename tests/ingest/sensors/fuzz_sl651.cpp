// Fuzz target for the SL 651 framer and decoder: any byte stream, fed in
// pieces as TCP would, must give frames or one-line reasons, never a crash, a
// hang or unbounded memory. Built with libFuzzer by `scripts/bench fuzz`; the
// suite replays tests/ingest/sensors/corpus/sl651 (the golden frames).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "liandong/core/errors.h"
#include "liandong/ingest/sensors/sl651.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  using namespace liandong::ingest::sl651;
  Framer framer;
  std::size_t piece = size ? 1 + data[0] % 17 : 1;
  for (std::size_t at = 0; at < size; at += piece) {
    framer.feed(data + at, std::min(piece, size - at));
    while (auto frame = framer.next()) {
      try {
        auto message = decode(*frame);
        toReadings(message, "fuzz-");
        encode(*frame);
        encode(reply(*frame, message.serial, 1'700'000'000'000'000, EOT));
      } catch (const liandong::Error &) {
        // refused with a reason: fine
      }
    }
    framer.takeErrors();
  }
  return 0;
}
