// liandong-mqtt-devices: simulated rental-housing (出租屋) and public-security
// (公安) IoT devices publishing JSON to an MQTT broker, as the buildings'
// gateways would, for the demo and the tests:
//   panyu/rental/<building>/door/<flat>    {"card": N, "ts": s}  door access, one card per opening
//   panyu/rental/<building>/smoke/<flat>   {"alarm": bool, "ts": s}
//   panyu/rental/<building>/tenants/<flat> {"count": n, "event": "register"|"depart"|"list", "ts": s}
//                                          the flat's registered tenants (登记人数), on each change
//   panyu/security/<site>/panic/<button>   {"pressed": bool, "ts": s}
//   panyu/security/<site>/intrusion/<zone> {"alarm": 0|1, "ts": s}
// Each flat's registered tenants come and go; after --overcrowd-after-s one
// flat starts seeing many more distinct cards (a 群租 pattern); after
// --smoke-after-s one smoke detector alarms; after --panic-after-s a panic
// button is pressed. Prints "connected to HOST:PORT" once the broker accepts.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <mosquitto.h>
#include <CLI/CLI.hpp>

#include "liandong/core/daemon.h"

using namespace liandong;

namespace {

struct Mosquitto {
  Mosquitto() { mosquitto_lib_init(); }
  ~Mosquitto() { mosquitto_lib_cleanup(); }
};

struct ClientDeleter {
  void operator()(mosquitto *m) const { mosquitto_destroy(m); }
};

struct Flat {
  std::string building, id;
  std::vector<int> tenants;  // their card numbers
};

}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"Liandong simulated rental-housing and public-security MQTT devices"};
  std::string host = "127.0.0.1", prefix = "panyu";
  int port = 1883, buildings = 3, flats = 6, intervalMs = 1000;
  double overcrowdAfterS = 30, smokeAfterS = 45, panicAfterS = 60, durationS = 0;
  app.add_option("--host", host, "broker address");
  app.add_option("--port", port, "broker port");
  app.add_option("--prefix", prefix, "first topic level");
  app.add_option("--buildings", buildings, "rental buildings")->check(CLI::Range(1, 100));
  app.add_option("--flats", flats, "flats per building")->check(CLI::Range(1, 200));
  app.add_option("--interval-ms", intervalMs, "time between door openings")->check(CLI::Range(10, 600000));
  app.add_option("--overcrowd-after-s", overcrowdAfterS, "seconds until one flat is overcrowded (<0: never)");
  app.add_option("--smoke-after-s", smokeAfterS, "seconds until a smoke alarm (<0: never)");
  app.add_option("--panic-after-s", panicAfterS, "seconds until a panic button is pressed (<0: never)");
  app.add_option("--duration", durationS, "stop after this many seconds (0: until SIGINT/SIGTERM)");
  CLI11_PARSE(app, argc, argv);

  const auto &stop = installStopSignals();
  Mosquitto lib;
  std::unique_ptr<mosquitto, ClientDeleter> client(mosquitto_new("liandong-mqtt-devices", true, nullptr));
  if (!client) {
    std::fprintf(stderr, "liandong-mqtt-devices: cannot create an MQTT client\n");
    return kExitFailure;
  }
  // The broker may start after us: retry for a while, then give up with the reason.
  int rc = MOSQ_ERR_NO_CONN;
  for (int attempt = 0; attempt < 100 && !stop; ++attempt) {
    rc = mosquitto_connect(client.get(), host.c_str(), port, 30);
    if (rc == MOSQ_ERR_SUCCESS) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (rc != MOSQ_ERR_SUCCESS) {
    std::fprintf(stderr, "liandong-mqtt-devices: cannot connect to %s:%d: %s\n", host.c_str(), port,
                 mosquitto_strerror(rc));
    return kExitFailure;
  }
  if (mosquitto_loop_start(client.get()) != MOSQ_ERR_SUCCESS) {
    std::fprintf(stderr, "liandong-mqtt-devices: cannot start the MQTT network thread\n");
    return kExitFailure;
  }
  std::printf("connected to %s:%d\n", host.c_str(), port);
  std::fflush(stdout);

  std::mt19937 rng(651);
  std::vector<Flat> all;
  int card = 100000;
  for (int b = 1; b <= buildings; ++b)
    for (int f = 1; f <= flats; ++f) {
      Flat flat{
          fmt::format("b{:02}", b), fmt::format("b{:02}-{}{:02}", b, 1 + (f - 1) / 4, 1 + (f - 1) % 4), {}};
      int tenants = 1 + static_cast<int>(rng() % 3);
      for (int t = 0; t < tenants; ++t) flat.tenants.push_back(++card);
      all.push_back(std::move(flat));
    }
  auto publish = [&](const std::string &topic, const std::string &payload) {
    int r = mosquitto_publish(client.get(), nullptr, topic.c_str(), static_cast<int>(payload.size()),
                              payload.data(), 1, false);
    if (r != MOSQ_ERR_SUCCESS)
      std::fprintf(stderr, "liandong-mqtt-devices: publish on %s failed: %s\n", topic.c_str(),
                   mosquitto_strerror(r));
  };
  auto seconds = [] { return static_cast<long long>(std::time(nullptr)); };
  auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  bool smoked = false, panicked = false;
  long long published = 0;
  // The tenant register: every flat's count once, then registrations and departures.
  auto tenants = [&](const Flat &f, const char *event) {
    publish(fmt::format("{}/rental/{}/tenants/{}", prefix, f.building, f.id),
            fmt::format(R"({{"count": {}, "event": "{}", "ts": {}}})", f.tenants.size(), event, seconds()));
  };
  for (const auto &f : all) tenants(f, "list");
  auto lastRegisterChange = std::chrono::steady_clock::now();
  // Smoke detectors and intrusion zones report their quiet state once.
  for (const auto &f : all) {
    publish(fmt::format("{}/rental/{}/smoke/{}", prefix, f.building, f.id),
            fmt::format(R"({{"alarm": false, "ts": {}}})", seconds()));
    ++published;
  }
  publish(fmt::format("{}/security/shiqiao-market/intrusion/zone-1", prefix),
          fmt::format(R"({{"alarm": 0, "ts": {}}})", seconds()));
  int crowd = 900000;  // cards of the overcrowded flat's many occupants
  while (!stop && (durationS <= 0 || elapsed() < durationS)) {
    // One door opens: a tenant's card, or, once overcrowded, one of many strangers at flat 0.
    const auto &f = all[rng() % all.size()];
    bool crowded = overcrowdAfterS >= 0 && elapsed() >= overcrowdAfterS;
    if (crowded && rng() % 2 == 0) {
      const auto &c = all.front();
      publish(fmt::format("{}/rental/{}/door/{}", prefix, c.building, c.id),
              fmt::format(R"({{"card": {}, "ts": {}}})", ++crowd, seconds()));
    } else {
      publish(fmt::format("{}/rental/{}/door/{}", prefix, f.building, f.id),
              fmt::format(R"({{"card": {}, "ts": {}}})", f.tenants[rng() % f.tenants.size()], seconds()));
    }
    ++published;
    if (!smoked && smokeAfterS >= 0 && elapsed() >= smokeAfterS) {
      const auto &s = all.back();
      publish(fmt::format("{}/rental/{}/smoke/{}", prefix, s.building, s.id),
              fmt::format(R"({{"alarm": true, "ts": {}}})", seconds()));
      std::printf("smoke alarm at %s\n", s.id.c_str());
      std::fflush(stdout);
      smoked = true;
    }
    if (!panicked && panicAfterS >= 0 && elapsed() >= panicAfterS) {
      publish(fmt::format("{}/security/shiqiao-market/panic/button-3", prefix),
              fmt::format(R"({{"pressed": true, "ts": {}}})", seconds()));
      std::printf("panic button pressed at shiqiao-market\n");
      std::fflush(stdout);
      panicked = true;
    }
    // Now and then someone registers at or leaves a flat (never the overcrowded one).
    if (all.size() > 1 && std::chrono::steady_clock::now() - lastRegisterChange > std::chrono::seconds(15)) {
      auto &f = all[1 + rng() % (all.size() - 1)];
      if (f.tenants.size() < 4 && rng() % 2 == 0) {
        f.tenants.push_back(++card);
        tenants(f, "register");
      } else if (f.tenants.size() > 1) {
        f.tenants.pop_back();
        tenants(f, "depart");
      }
      lastRegisterChange = std::chrono::steady_clock::now();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(intervalMs));
  }
  mosquitto_disconnect(client.get());
  mosquitto_loop_stop(client.get(), false);
  std::printf("stopped: %lld messages published\n", published);
  return 0;
}
