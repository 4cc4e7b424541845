// liandong-keygen: writes a CURVE key pair file for a node, centre or
// console, and prints the public key to list in the peer's configuration.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>

#include "liandong/core/curve_keys.h"
#include "liandong/core/errors.h"

int main(int argc, char **argv) {
  CLI::App app{"Generate a ZeroMQ CURVE key pair for a Liandong party"};
  std::string id, out;
  bool force = false;
  app.add_option("id", id, "id of the party (node, centre or console), e.g. ingest-panyu-1")->required();
  app.add_option("-o,--out", out, "key file to write (default: <id>.key)");
  app.add_flag("-f,--force", force, "overwrite an existing key file");
  CLI11_PARSE(app, argc, argv);
  if (out.empty()) out = id + ".key";
  try {
    if (std::filesystem::exists(out) && !force)
      throw liandong::Error(out + " exists; pass --force to replace it");
    auto keys = liandong::generateCurveKeyPair(id);
    liandong::writeCurveKeyFile(out, keys);
    std::cout << "id: " << keys.id << "\npublic: '" << keys.publicZ85
              << "'\nfingerprint: " << liandong::curveFingerprint(keys.publicZ85) << "\n";
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "liandong-keygen: %s\n", e.what());
    return 1;
  }
}
