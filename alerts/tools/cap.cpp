// liandong-cap: checks CAP 1.2 files (`validate FILE...`): the schema, then
// the rules of the CAP text; one line per problem, exit 1 when any file has
// one. `show FILE` prints what was decoded.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "liandong/alerts/cap.h"
#include "liandong/core/errors.h"

using namespace liandong;

int main(int argc, char **argv) {
  CLI::App app{"Liandong CAP 1.2 tool"};
  app.require_subcommand(1);
  std::vector<std::string> files;
  auto *validate = app.add_subcommand("validate", "check CAP 1.2 files against the schema and the CAP rules");
  validate->add_option("files", files)->required();
  auto *show = app.add_subcommand("show", "print the decoded alert");
  show->add_option("files", files)->required();
  CLI11_PARSE(app, argc, argv);
  int status = 0;
  for (const auto &f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "liandong-cap: %s: cannot open\n", f.c_str());
      status = 1;
      continue;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    auto xml = ss.str();
    try {
      auto alert = alerts::cap::decode(xml);
      std::vector<std::string> problems = alerts::cap::validateXsd(xml);
      for (auto &p : alerts::cap::validateRules(alert)) problems.push_back(p);
      if (*show) {
        std::cout << f << ": " << alert.msgType << " " << alert.identifier << " from " << alert.sender
                  << " sent " << alert.sent << ", " << alert.infos.size() << " info\n";
        for (const auto &i : alert.infos)
          std::cout << "  [" << i.language << "] " << i.severity << " " << i.event << ": " << i.headline
                    << "\n";
      }
      for (const auto &p : problems) std::cerr << f << ": " << p << "\n";
      if (!problems.empty()) status = 1;
      if (*validate && problems.empty()) std::cout << f << ": valid CAP 1.2\n";
    } catch (const Error &e) {
      std::cerr << f << ": " << e.what() << "\n";
      status = 1;
    }
  }
  return status;
}
