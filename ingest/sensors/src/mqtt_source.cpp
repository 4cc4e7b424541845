// MQTT devices through libmosquitto (see mqtt_source.h). libmosquitto runs
// its own network thread (loop_start); messages are mapped there and queued
// under a mutex for the node's loop.
#include "liandong/ingest/sensors/mqtt_source.h"

#include <mosquitto.h>

#include <cmath>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "liandong/core/logging.h"

namespace liandong::ingest {

using nlohmann::json;

std::optional<MqttOptions> readMqttOptions(const ConfigNode &node, const std::string &defaultClientId) {
  auto n = node.optionalChild("mqtt");
  if (!n) return std::nullopt;
  MqttOptions o;
  o.host = n->str("host", "127.0.0.1");
  o.port = static_cast<int>(n->integer("port", 1883));
  if (o.port < 1 || o.port > 65535) n->fail("port", "must be 1..65535");
  o.clientId = n->str("client_id", defaultClientId);
  o.username = n->str("username", "");
  o.password = n->literal("password", "");
  for (const auto &d : n->list("devices")) {
    DeviceSchema s;
    s.kind = d.str("kind");
    s.topic = d.str("topic");
    if (s.topic.empty() ||
        (s.topic.find('#') != std::string::npos && s.topic.find('#') != s.topic.size() - 1))
      d.fail("topic", "not an MQTT subscription ('#' only at the end)");
    s.quantity = d.str("quantity", s.kind);
    s.unit = d.str("unit", "");
    s.idPointer = d.str("id_pointer", "/device");
    s.valuePointer = d.str("value_pointer", "/value");
    s.timePointer = d.str("time_pointer", "");
    s.idPrefix = d.str("id_prefix", "");
    s.latitude = d.number("latitude", 0);
    s.longitude = d.number("longitude", 0);
    for (const auto *p : {&s.idPointer, &s.valuePointer, &s.timePointer})
      if (!p->empty() && (*p)[0] != '/') d.fail("value_pointer", "JSON pointers start with '/' (RFC 6901)");
    o.devices.push_back(s);
  }
  if (o.devices.empty()) n->fail("devices", "no device kind is configured");
  return o;
}

bool topicMatches(const std::string &filter, const std::string &topic) {
  std::size_t f = 0, t = 0;
  while (f < filter.size()) {
    auto fe = filter.find('/', f);
    auto level = filter.substr(f, fe == std::string::npos ? std::string::npos : fe - f);
    if (level == "#") return true;
    if (t > topic.size()) return false;
    auto te = topic.find('/', t);
    auto tlevel = topic.substr(t, te == std::string::npos ? std::string::npos : te - t);
    if (level != "+" && level != tlevel) return false;
    // "a/#" also matches "a" itself.
    if (fe != std::string::npos && te == std::string::npos) return filter.substr(fe + 1) == "#";
    if (fe == std::string::npos && te != std::string::npos) return false;
    if (fe == std::string::npos) return true;
    f = fe + 1;
    t = te + 1;
  }
  return false;
}

wire::Reading parsePayload(const DeviceSchema &schema, const std::string &topic, const std::string &payload,
                           std::int64_t arrivedAtUs) {
  auto doc = json::parse(payload, nullptr, false);
  if (doc.is_discarded()) throw Error("payload is not JSON");
  auto at = [&](const std::string &pointer, const char *what) -> const json & {
    try {
      const json &v = doc.at(json::json_pointer(pointer));
      return v;
    } catch (const json::exception &) {
      throw Error(fmt::format("no {} at {}", what, pointer));
    }
  };
  wire::Reading r;
  std::string id;
  if (schema.idPointer.empty()) {
    auto slash = topic.rfind('/');
    id = slash == std::string::npos ? topic : topic.substr(slash + 1);
  } else {
    const auto &v = at(schema.idPointer, "device id");
    if (v.is_string())
      id = v.get<std::string>();
    else if (v.is_number_integer())
      id = std::to_string(v.get<std::int64_t>());
    else
      throw Error("device id at " + schema.idPointer + " is neither a string nor an integer");
  }
  if (id.empty() || id.size() > 64) throw Error("device id is empty or longer than 64 characters");
  r.set_sensor_id(schema.idPrefix + id);
  const auto &v = at(schema.valuePointer, "value");
  double value = 0;
  if (v.is_boolean())
    value = v.get<bool>() ? 1 : 0;
  else if (v.is_number())
    value = v.get<double>();
  else
    throw Error("value at " + schema.valuePointer + " is neither a number nor a boolean");
  if (!std::isfinite(value)) throw Error("value is not finite");
  r.set_value(value);
  std::int64_t when = arrivedAtUs;
  if (!schema.timePointer.empty()) {
    const auto &t = at(schema.timePointer, "time");
    if (!t.is_number())
      throw Error("time at " + schema.timePointer + " is not a number (epoch seconds or ms)");
    double s = t.get<double>();
    if (!std::isfinite(s) || s < 0 || s > 4.1e12)
      throw Error("time at " + schema.timePointer + " is out of range");
    if (s > 1e11) s /= 1000;  // milliseconds
    when = static_cast<std::int64_t>(s * 1e6);
  }
  r.set_observed_at_us(when);
  r.set_quantity(schema.quantity);
  r.set_unit(schema.unit);
  r.set_latitude(schema.latitude);
  r.set_longitude(schema.longitude);
  return r;
}

struct MosquittoDestroy {
  void operator()(mosquitto *m) const { mosquitto_destroy(m); }
};

struct MqttSource::Impl {
  MqttOptions options;
  std::shared_ptr<spdlog::logger> log = logging::get("mqtt");
  std::unique_ptr<mosquitto, MosquittoDestroy> client;
  bool looping = false;
  mutable std::mutex mutex;
  std::vector<wire::Reading> queue;
  MqttStats stats;

  void onMessage(const mosquitto_message *m) {
    std::string topic = m->topic ? m->topic : "";
    std::string payload(static_cast<const char *>(m->payload),
                        static_cast<std::size_t>(std::max(0, m->payloadlen)));
    std::lock_guard lock(mutex);
    ++stats.messages;
    for (const auto &s : options.devices) {
      if (!topicMatches(s.topic, topic)) continue;
      try {
        auto r = parsePayload(s, topic, payload, nowUs());
        if (queue.size() < 100000) queue.push_back(std::move(r));
        ++stats.readings;
      } catch (const Error &e) {
        ++stats.refused;
        log->warn("MQTT payload on {} refused ({}): {}", topic, s.kind, e.what());
      }
      return;
    }
  }
};

namespace {
struct LibInit {
  LibInit() { mosquitto_lib_init(); }
};
}  // namespace

MqttSource::MqttSource(MqttOptions options) : impl_(std::make_unique<Impl>()) {
  static LibInit init;
  impl_->options = std::move(options);
  auto &o = impl_->options;
  impl_->client.reset(mosquitto_new(o.clientId.c_str(), true, impl_.get()));
  if (!impl_->client) throw Error("mqtt: cannot create a client");
  auto *client = impl_->client.get();
  if (!o.username.empty()) mosquitto_username_pw_set(client, o.username.c_str(), o.password.c_str());
  mosquitto_connect_callback_set(client, [](mosquitto *c, void *self, int rc) {
    auto *d = static_cast<Impl *>(self);
    {
      std::lock_guard lock(d->mutex);
      d->stats.connected = rc == 0;
    }
    if (rc != 0) {
      d->log->warn("MQTT broker refused the connection: {}", mosquitto_connack_string(rc));
      return;
    }
    for (const auto &s : d->options.devices) mosquitto_subscribe(c, nullptr, s.topic.c_str(), 1);
    d->log->info("MQTT connected to {}:{}, {} device kinds subscribed", d->options.host, d->options.port,
                 d->options.devices.size());
  });
  mosquitto_disconnect_callback_set(client, [](mosquitto *, void *self, int) {
    auto *d = static_cast<Impl *>(self);
    std::lock_guard lock(d->mutex);
    d->stats.connected = false;
  });
  mosquitto_message_callback_set(client, [](mosquitto *, void *self, const mosquitto_message *m) {
    static_cast<Impl *>(self)->onMessage(m);
  });
  mosquitto_reconnect_delay_set(client, 1, 10, true);
  // connect_async + loop_start: an absent broker is retried, never fatal.
  int rc = mosquitto_connect_async(client, o.host.c_str(), o.port, 30);
  if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_ERRNO)
    throw Error(fmt::format("mqtt: cannot connect to {}:{}: {}", o.host, o.port, mosquitto_strerror(rc)));
  if (mosquitto_loop_start(client) != MOSQ_ERR_SUCCESS) throw Error("mqtt: cannot start the network thread");
  impl_->looping = true;
}

MqttSource::~MqttSource() {
  if (impl_->looping) {
    mosquitto_disconnect(impl_->client.get());
    mosquitto_loop_stop(impl_->client.get(), true);
  }
}

std::vector<wire::Reading> MqttSource::take() {
  std::lock_guard lock(impl_->mutex);
  std::vector<wire::Reading> out;
  out.swap(impl_->queue);
  return out;
}

MqttStats MqttSource::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->stats;
}

}  // namespace liandong::ingest
