// The part of a test deployment that every end-to-end test of a county
// centre shares (the centre process tests and the Qt console tests): a
// temporary folder, a fresh database, four free ports, CURVE keys for the
// centre, an ingest node (node-t) and a console (console-t), centre.yaml for
// centre-t at Panyu (440113) with the real Guangdong → Guangzhou boundaries,
// the head of node-t's YAML, and one-value SQL queries. Each test file
// derives its own Deployment and writes the rest (cameras, rules, nodes).
// Also the query helpers these tests share (ask, signIn, refusal).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "liandong.pb.h"
#include "liandong/core/curve_keys.h"
#include "liandong/core/link/query.h"
#include "pg_fixture.h"
#include "process.h"

namespace liandong::testing {

struct CentreDeployment {
  std::filesystem::path dir;
  std::string db;
  int intake = freeTcpPort(), updates = freeTcpPort(), snapshot = freeTcpPort(), queries = freeTcpPort();
  CurveKeyPair centre = generateCurveKeyPair("centre-t"), node = generateCurveKeyPair("node-t"),
               console = generateCurveKeyPair("console-t");

  // `name` names the database; the folder is /tmp/<dirPrefix>XXXXXX.
  CentreDeployment(const std::string &name, const std::string &dirPrefix) {
    std::string tmpl = "/tmp/" + dirPrefix + "XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp " + tmpl);
    dir = tmpl;
    db = PgEnvironment::freshDatabase(name);
    writeCurveKeyFile(dir / "centre.key", centre);
    writeCurveKeyFile(dir / "node.key", node);
    writeCurveKeyFile(dir / "console.key", console);
  }
  ~CentreDeployment() {
    if (!std::getenv("LIANDONG_KEEP_TEST_DIR")) std::filesystem::remove_all(dir);  // kept on request
  }
  CentreDeployment(const CentreDeployment &) = delete;
  CentreDeployment &operator=(const CentreDeployment &) = delete;

  std::string bin(const std::string &rel) const { return binaryDir() + "/" + rel; }

  // centre.yaml: centre-t admits node-t (ingest), console-t (console) and
  // `moreAdmitted` (id, key, role); `centreExtra` adds lines to the centre: section, `importExtra`
  // lines to import: (after the regions).
  void writeCentreYaml(const std::string &centreExtra = "", const std::string &importExtra = "",
                       const std::vector<std::tuple<std::string, const CurveKeyPair *, std::string>>
                           &moreAdmitted = {}) const {
    std::string admitted;
    for (const auto &[id, key, role] : moreAdmitted)
      admitted += fmt::format("  - {{id: {}, public_key: '{}', role: {}}}\n", id, key->publicZ85, role);
    const std::string geo = sourceDir() + "/configs/data/geo/";
    writeFile(dir / "centre.yaml",
              fmt::format(R"(centre:
  id: centre-t
  tier: county
  region: "440113"
  intake: tcp://127.0.0.1:{}
  updates: tcp://127.0.0.1:{}
  snapshot: tcp://127.0.0.1:{}
  query: tcp://127.0.0.1:{}
  keys: centre.key
{}database:
  conninfo: "{}"
admitted:
  - {{id: node-t, public_key: '{}', role: ingest}}
  - {{id: console-t, public_key: '{}', role: console}}
{}import:
  regions: [{}province-440000.geojson, {}cities-440000.geojson, {}counties-440100.geojson]
{})",
                          intake, updates, snapshot, queries, centreExtra, db, node.publicZ85,
                          console.publicZ85, admitted, geo, geo, geo, importExtra));
  }

  // The head of node-t's YAML: identity, this centre, an outbox in
  // `outboxDir`; `centreExtra` adds lines to its centre: section.
  std::string nodeHead(const std::string &outboxDir = "outbox", const std::string &centreExtra = "") const {
    return fmt::format(R"(node:
  id: node-t
  tier: county
  region: "440113"
  keys: node.key
centre:
  endpoint: tcp://127.0.0.1:{}
  public_key: '{}'
  heartbeat_ms: 200
{}outbox:
  dir: {}
)",
                       intake, centre.publicZ85, centreExtra, outboxDir);
  }

  long query(const std::string &sql) const {
    pqxx::connection c(db);
    pqxx::work tx(c);
    return tx.exec1(sql)[0].as<long>();
  }
  std::string text(const std::string &sql) const {
    pqxx::connection c(db);
    pqxx::work tx(c);
    return tx.exec1(sql)[0].as<std::string>("");
  }
};

// `q` with `session`, from "test-console"; throws Error on a refusal.
inline wire::QueryReply ask(link::QueryClient &client, const std::string &session, wire::Query q) {
  q.set_session(session);
  q.set_console("test-console");
  return client.call(std::move(q));
}

// A session of `user` (liandong-admin gave the password).
inline std::string signIn(link::QueryClient &client, const std::string &user,
                          const std::string &password = "correct horse") {
  wire::Query login;
  login.mutable_login()->set_user(user);
  login.mutable_login()->set_password(password);
  return ask(client, "", login).login().session();
}

// The centre's one-line refusal of a query, or "" when it answered.
inline std::string refusal(link::QueryClient &client, const std::string &session, const wire::Query &q) {
  try {
    ask(client, session, q);
  } catch (const std::exception &e) {
    return e.what();
  }
  return "";
}

}  // namespace liandong::testing
