// CURVE socket set-up and the ZAP handler (see security.h). The ZAP protocol
// is RFC 27 of the ZeroMQ project: a REP socket at inproc://zeromq.zap.01.
#include "liandong/core/link/security.h"

#include <array>
#include <vector>

#include "liandong/core/errors.h"
#include "liandong/core/logging.h"

namespace liandong::link {

namespace {
std::string z85ToBinary(const std::string &z85) {
  std::array<std::uint8_t, 32> bin{};
  if (z85.size() != 40 || !zmq_z85_decode(bin.data(), z85.c_str()))
    throw Error("not a 40-character Z85 CURVE key");
  return std::string(reinterpret_cast<const char *>(bin.data()), bin.size());
}

std::map<std::string, std::string> toBinary(const std::map<std::string, std::string> &admitted) {
  std::map<std::string, std::string> out;
  for (const auto &[key, id] : admitted) {
    try {
      out[z85ToBinary(key)] = id;
    } catch (const Error &) {
      throw Error("admitted key of \"" + id + "\" is not a 40-character Z85 CURVE key");
    }
  }
  return out;
}
}  // namespace

void makeCurveServer(zmq::socket_t &socket, const CurveKeyPair &keys) {
  if (keys.secretZ85.empty()) throw Error("CURVE server \"" + keys.id + "\" has no secret key");
  socket.set(zmq::sockopt::curve_server, 1);
  socket.set(zmq::sockopt::curve_secretkey, keys.secretZ85);
  socket.set(zmq::sockopt::zap_domain, kZapDomain);
}

void makeCurveClient(zmq::socket_t &socket, const CurveKeyPair &keys, const std::string &serverPublicZ85) {
  if (keys.secretZ85.empty()) throw Error("CURVE client \"" + keys.id + "\" has no secret key");
  if (!isValidCurveKey(serverPublicZ85)) throw Error("server public key is not a 40-character Z85 CURVE key");
  socket.set(zmq::sockopt::curve_serverkey, serverPublicZ85);
  socket.set(zmq::sockopt::curve_publickey, keys.publicZ85);
  socket.set(zmq::sockopt::curve_secretkey, keys.secretZ85);
}

void bindOrThrow(zmq::socket_t &socket, const std::string &endpoint, const std::string &purpose) {
  try {
    socket.bind(endpoint);
  } catch (const zmq::error_t &e) {
    throw Error("cannot listen on " + endpoint + " (" + purpose + "): " + e.what());
  }
}

ZapAuthenticator::ZapAuthenticator(zmq::context_t &context, std::map<std::string, std::string> admitted)
    : socket_(context, zmq::socket_type::rep), log_(logging::get("link")), admitted_(toBinary(admitted)) {
  socket_.set(zmq::sockopt::linger, 0);
  try {
    socket_.bind("inproc://zeromq.zap.01");
  } catch (const zmq::error_t &e) {
    throw Error(std::string("cannot start the ZAP handler: ") + e.what());
  }
  thread_ = std::thread([this] { serve(); });
}

ZapAuthenticator::~ZapAuthenticator() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void ZapAuthenticator::setAdmitted(std::map<std::string, std::string> admitted) {
  auto bin = toBinary(admitted);
  std::lock_guard lock(mutex_);
  admitted_ = std::move(bin);
}

void ZapAuthenticator::serve() {
  while (!stop_) {
    zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 1, std::chrono::milliseconds(100));
      if (!(items[0].revents & ZMQ_POLLIN)) continue;
      std::vector<std::string> frames;
      bool more = true;
      while (more) {
        zmq::message_t m;
        if (!socket_.recv(m)) break;
        frames.push_back(m.to_string());
        more = m.more();
      }
      // version, request id, domain, address, identity, mechanism, credentials...
      std::string status = "400", text = "refused", userId;
      if (frames.size() >= 6 && frames[0] == "1.0") {
        const std::string &address = frames[3];
        const std::string &mechanism = frames[5];
        if (frames[2] != kZapDomain) {
          text = "wrong domain";
        } else if (mechanism != "CURVE" || frames.size() < 7 || frames[6].size() != 32) {
          text = "CURVE required";
          ++refused_;
          log_->warn("refused a {} connection from {}: CURVE required", mechanism, address);
        } else {
          std::lock_guard lock(mutex_);
          auto it = admitted_.find(frames[6]);
          if (it != admitted_.end()) {
            status = "200";
            text = "OK";
            userId = it->second;
            ++admittedCount_;
            log_->debug("admitted {} from {}", userId, address);
          } else {
            ++refused_;
            log_->warn("refused unknown key {} from {}", curveFingerprintBinary(frames[6]), address);
          }
        }
      }
      std::string requestId = frames.size() > 1 ? frames[1] : "";
      socket_.send(zmq::buffer(std::string("1.0")), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(requestId), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(status), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(text), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(userId), zmq::send_flags::sndmore);
      socket_.send(zmq::message_t(), zmq::send_flags::none);
    } catch (const zmq::error_t &e) {
      if (e.num() == ETERM) return;
      log_->error("ZAP handler: {}", e.what());
    }
  }
}

}  // namespace liandong::link
