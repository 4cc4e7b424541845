// liandong-report: the field agency's command line over the centre's
// documented query API (docs/protocol.md): raise an incident (with a photo),
// list the incidents and tasks the agency may see, acknowledge a task,
// report progress and complete it. It signs in as the configured user (the
// password from $LIANDONG_PASSWORD or the first line of stdin) over CURVE with
// the agency's key, which the centre must admit. Exit 0 done, 1 refused by the
// centre or unreachable (the reason on stderr), 2 bad command line or config.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <zmq.hpp>

#include "liandong/alerts/warning.h"
#include "liandong/core/config.h"
#include "liandong/core/curve_keys.h"
#include "liandong/core/daemon.h"
#include "liandong/core/errors.h"
#include "liandong/core/link/query.h"
#include "liandong/core/logging.h"
#include "liandong/core/peer_config.h"

using namespace liandong;

namespace {

struct Usage : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string readFileBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Usage("--photo: cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string clock(std::int64_t us) {
  if (us == 0) return "-";
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min);
}

}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"Liandong field report: raise incidents, work tasks"};
  app.require_subcommand(1);
  std::string configFile;
  app.add_option("-c,--config", configFile, "report configuration (YAML)")->required();

  auto *raise = app.add_subcommand("raise", "raise an incident at the centre");
  std::string type, title, description, level, photo;
  double lat = 0, lon = 0;
  raise
      ->add_option("--type", type, "flood, waterlogging, typhoon, fire, public_security, rental_housing, ...")
      ->required();
  raise->add_option("--title", title, "what is happening, in a line")->required();
  raise->add_option("--description", description, "details");
  raise->add_option("--lat", lat, "latitude (WGS 84)")->required();
  raise->add_option("--lon", lon, "longitude (WGS 84)")->required();
  raise->add_option("--level", level, "suggested response level I..IV");
  raise->add_option("--photo", photo, "a JPEG photo of the scene (at most 4 MiB)");

  auto *incidents = app.add_subcommand("incidents", "list the incidents you may see");
  bool all = false;
  incidents->add_flag("--all", all, "closed ones too");
  auto *tasks = app.add_subcommand("tasks", "list your agency's open tasks");
  tasks->add_flag("--all", all, "done ones too");
  std::string taskId, text;
  unsigned percent = 0;
  auto *ack = app.add_subcommand("ack", "acknowledge a task");
  ack->add_option("task", taskId)->required();
  auto *progress = app.add_subcommand("progress", "report progress on a task");
  progress->add_option("task", taskId)->required();
  progress->add_option("--percent", percent, "0..100")->required();
  progress->add_option("--text", text, "what was done")->required();
  auto *complete = app.add_subcommand("complete", "report a task done");
  complete->add_option("task", taskId)->required();
  complete->add_option("--text", text, "the outcome");
  CLI11_PARSE(app, argc, argv);

  std::string endpoint, serverKey, user, id;
  CurveKeyPair keys;
  try {
    auto cfg = ConfigNode::loadFile(configFile);
    auto me = cfg.child("report");
    id = me.str("id");
    user = me.str("user");
    keys = readOwnKeys(me, id);
    auto centre = cfg.child("centre");
    endpoint = centre.str("query");
    serverKey = readPublicKey(centre);
    cfg.rejectUnknown();
    logging::setup("warn", "report:" + id);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "liandong-report: %s\n", e.what());
    return kExitConfig;
  }

  try {
    std::string password;
    if (const char *env = std::getenv("LIANDONG_PASSWORD")) {
      password = env;
    } else if (!std::getline(std::cin, password)) {
      throw Usage("no password: set LIANDONG_PASSWORD or give it on stdin");
    }
    zmq::context_t ctx(1);
    link::QueryClient client(ctx, endpoint, serverKey, keys);
    auto call = [&](wire::Query q, const std::string &session) {
      q.set_session(session);
      q.set_console("liandong-report");
      return client.call(std::move(q), 10000);
    };
    wire::Query login;
    login.mutable_login()->set_user(user);
    login.mutable_login()->set_password(password);
    auto session = call(login, "").login().session();

    if (*raise) {
      wire::Query q;
      auto *in = q.mutable_create()->mutable_incident();
      in->set_type(type);
      in->set_title(title);
      in->set_description(description);
      in->set_latitude(lat);
      in->set_longitude(lon);
      if (!level.empty()) {
        auto l = alerts::parseLevel(level);
        if (!l) throw Usage("--level: expected I, II, III or IV");
        in->set_level(*l);
      }
      if (!photo.empty()) {
        in->set_photo(readFileBytes(photo));
        if (in->photo().size() > 4 * 1024 * 1024) throw Usage("--photo: " + photo + " is larger than 4 MiB");
      }
      auto r = call(q, session).incident().incident();
      std::printf("incident %s raised: %s, level %s, state %s\n", r.incident_id().c_str(), r.title().c_str(),
                  alerts::levelName(r.level(), false).c_str(), r.state().c_str());
    } else if (*incidents) {
      wire::Query q;
      q.mutable_incidents()->set_include_closed(all);
      auto list = call(q, session).incidents();
      for (const auto &i : list.incidents())
        std::printf("%s\t%s\t%s\t%s\t%s\n", i.incident_id().c_str(), i.state().c_str(),
                    alerts::levelName(i.level(), false).c_str(), i.type().c_str(), i.title().c_str());
      std::printf("%d incident(s)\n", list.incidents_size());
    } else if (*tasks) {
      wire::Query q;
      q.mutable_tasks()->set_include_done(all);
      auto list = call(q, session).tasks();
      for (const auto &t : list.tasks())
        std::printf("%s\t%s\tack by %s\t%u%%\t%s\t(%s)\n", t.task_id().c_str(), t.state().c_str(),
                    clock(t.ack_deadline_us()).c_str(), t.progress(), t.title().c_str(),
                    t.incident_title().c_str());
      std::printf("%d task(s)\n", list.tasks_size());
    } else {
      wire::Query q;
      auto *t = q.mutable_task();
      t->set_task_id(taskId);
      t->set_action(*ack ? "acknowledge" : *progress ? "progress" : "complete");
      t->set_text(text);
      t->set_percent(percent);
      auto detail = call(q, session).incident();
      for (const auto &task : detail.tasks())
        if (task.task_id() == taskId)
          std::printf("task %s %s (%u%%)\n", taskId.c_str(), task.state().c_str(), task.progress());
    }
    return 0;
  } catch (const Usage &e) {
    std::fprintf(stderr, "liandong-report: %s\n", e.what());
    return kExitConfig;
  } catch (const std::exception &e) {
    std::string msg = e.what();
    std::fprintf(stderr, "liandong-report: %s\n", msg.substr(0, msg.find('\n')).c_str());
    return kExitFailure;
  }
}
