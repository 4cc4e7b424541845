// Fuzz target for the CAP 1.2 decoder and validators: any bytes must give an
// alert or a clean Error, and never an external load. Built with libFuzzer by
// `scripts/bench fuzz`; the suite replays tests/alerts/corpus/cap.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "liandong/alerts/cap.h"
#include "liandong/core/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  using namespace liandong::alerts;
  std::string_view xml(reinterpret_cast<const char *>(data), size);
  try {
    auto alert = cap::decode(xml);
    cap::validateRules(alert);
    cap::decode(cap::encode(alert));
  } catch (const liandong::Error &) {
    // refused with a reason: fine
  }
  cap::validateXsd(xml);
  if (cap::externalLoadsRefused() != 0) std::abort();  // something tried to reach outside
  return 0;
}
