// Query server and client (see query.h).
#include "liandong/core/link/query.h"

#include <algorithm>
#include <random>

#include "liandong/core/clock.h"
#include "liandong/core/errors.h"
#include "liandong/core/link/security.h"
#include "liandong/core/logging.h"

namespace liandong::link {

QueryServer::QueryServer(zmq::context_t &context, const std::string &endpoint, const CurveKeyPair &keys,
                         QueryHandler handler)
    : socket_(context, zmq::socket_type::router), handler_(std::move(handler)), log_(logging::get("query")) {
  socket_.set(zmq::sockopt::linger, 0);
  // A field report may carry a photo of up to 4 MiB; anything larger is
  // dropped by ZeroMQ before it is read (clients check the size first).
  socket_.set(zmq::sockopt::maxmsgsize, std::int64_t{5} << 20);
  socket_.set(zmq::sockopt::router_mandatory, false);
  makeCurveServer(socket_, keys);
  bindOrThrow(socket_, endpoint, "console queries");
  thread_ = std::thread([this] { serve(); });
}

QueryServer::~QueryServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void QueryServer::serve() {
  while (!stop_) {
    zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 1, std::chrono::milliseconds(100));
    if (!(items[0].revents & ZMQ_POLLIN)) continue;
    zmq::message_t routing, payload;
    if (!socket_.recv(routing, zmq::recv_flags::dontwait)) continue;
    if (!routing.more() || !socket_.recv(payload)) continue;
    while (payload.more()) {  // a request is one frame: drop the rest
      zmq::message_t extra;
      if (!socket_.recv(extra)) break;
    }
    const char *uid = payload.gets("User-Id");
    std::string peer = uid ? uid : "?";
    wire::Query query;
    wire::QueryReply reply;
    if (!query.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
      reply.set_error("malformed query: not a liandong.wire.Query message");
      log_->warn("malformed query from {}", peer);
    } else {
      reply.set_request_id(query.request_id());
      try {
        handler_(peer, query, reply);
      } catch (const std::exception &e) {
        std::string msg = e.what();
        if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
        reply.clear_body();
        reply.set_error(msg);
        log_->info("query from {} refused: {}", peer, msg);
      }
    }
    std::string out;
    reply.SerializeToString(&out);
    socket_.send(routing, zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(out), zmq::send_flags::dontwait);
    ++served_;
  }
}

namespace {
// 48 random bits: request ids of two runs of a client do not meet.
std::uint64_t randomStartId() {
  std::random_device rd;
  return (((static_cast<std::uint64_t>(rd()) << 16) ^ rd()) & ((std::uint64_t{1} << 48) - 1)) | 1;
}
}  // namespace

QueryClient::QueryClient(zmq::context_t &context, const std::string &endpoint,
                         const std::string &serverPublicZ85, const CurveKeyPair &keys)
    : socket_(context, zmq::socket_type::dealer), nextId_(randomStartId()), endpoint_(endpoint) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::maxmsgsize, std::int64_t{64} << 20);
  makeCurveClient(socket_, keys, serverPublicZ85);
  socket_.connect(endpoint);
}

wire::QueryReply QueryClient::call(wire::Query query, int timeoutMs) {
  if (query.request_id() == 0) query.set_request_id(nextId_++);
  std::string out;
  query.SerializeToString(&out);
  if (!socket_.send(zmq::buffer(out), zmq::send_flags::dontwait))
    throw Error("query to " + endpoint_ + ": cannot send (not connected)");
  auto deadline = steadyMs() + timeoutMs;
  auto resendAt = steadyMs() + timeoutMs / 3;
  int resends = query.has_login() ? 2 : 0;  // a sign-in is not resent: a failure would count twice
  for (;;) {
    auto now = steadyMs();
    auto left = deadline - now;
    if (left <= 0)
      throw Error("query to " + endpoint_ + ": no reply within " + std::to_string(timeoutMs) + " ms");
    if (resends < 2 && now >= resendAt) {
      socket_.send(zmq::buffer(out), zmq::send_flags::dontwait);  // the same request again
      ++resends;
      resendAt += timeoutMs / 3;
    }
    auto wait = resends < 2 ? std::min(left, resendAt - now) : left;
    zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 1, std::chrono::milliseconds(std::max<std::int64_t>(1, wait)));
    if (!(items[0].revents & ZMQ_POLLIN)) continue;
    zmq::message_t msg;
    if (!socket_.recv(msg, zmq::recv_flags::dontwait)) continue;
    wire::QueryReply reply;
    if (!reply.ParseFromArray(msg.data(), static_cast<int>(msg.size())))
      throw Error("query to " + endpoint_ + ": malformed reply");
    if (reply.request_id() != query.request_id()) continue;  // a late reply to an earlier call
    if (!reply.error().empty()) throw Error(reply.error());
    return reply;
  }
}

}  // namespace liandong::link
