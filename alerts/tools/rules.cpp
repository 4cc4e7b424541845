// liandong-rules: checks rule files (`check FILE...`): one line per file with
// what it holds, or the first mistake as file:line: key: reason and exit 2.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "liandong/alerts/rules.h"
#include "liandong/core/daemon.h"
#include "liandong/core/errors.h"

using namespace liandong;

int main(int argc, char **argv) {
  CLI::App app{"Liandong alert rules"};
  app.require_subcommand(1);
  std::vector<std::string> files;
  auto *check = app.add_subcommand("check", "load rule files and report the first mistake in each");
  check->add_option("files", files, "YAML rule files")->required();
  CLI11_PARSE(app, argc, argv);
  int status = 0;
  for (const auto &f : files) {
    try {
      auto rules = alerts::loadRules(f);
      int kinds[5] = {0, 0, 0, 0, 0};
      for (const auto &r : rules) ++kinds[static_cast<int>(r.kind)];
      std::cout << f << ": " << rules.size() << " rules (" << kinds[0] << " threshold, " << kinds[1]
                << " rate of rise, " << kinds[2] << " accumulation";
      if (kinds[3]) std::cout << ", " << kinds[3] << " distinct count";
      if (kinds[4]) std::cout << ", " << kinds[4] << " correlation";
      std::cout << ") OK\n";
    } catch (const Error &e) {
      std::fprintf(stderr, "liandong-rules: %s\n", e.what());
      status = kExitConfig;
    }
  }
  return status;
}
