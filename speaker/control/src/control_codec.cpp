// The pure half of the control protocol: the server's decoding of a request line and encoding of
// its reply, and the client's reading of a reply (see control.hpp). No sockets; fuzzed.
#include <exception>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "l1net/speaker/control.hpp"

namespace l1net::speaker {

ControlReply dispatchControlRequest(std::string_view line, const ControlHandlers& handlers) {
  boost::system::error_code ec;
  auto v = boost::json::parse(line, ec);
  if (ec || !v.is_object()) {
    return ControlReply::failure("request is not a JSON object");
  }
  const auto& req = v.as_object();
  const auto* cmd = req.if_contains("command");
  if (cmd == nullptr || !cmd->is_string()) {
    return ControlReply::failure("request has no \"command\"");
  }
  const std::string name(cmd->as_string());
  const auto it = handlers.find(name);
  if (it == handlers.end()) {
    return ControlReply::failure("unknown command \"" + name + "\"");
  }
  try {
    return it->second(req);
  } catch (const std::exception& e) {
    return ControlReply::failure(std::string("internal error: ") + e.what());
  }
}

std::string encodeControlReply(const ControlReply& reply) {
  boost::json::object o;
  o["ok"] = reply.ok;
  if (reply.ok) {
    o["result"] = reply.result;
  } else {
    o["error"] = reply.error;
  }
  return boost::json::serialize(o) + "\n";
}

ControlReply decodeControlReply(const boost::json::object& reply) {
  const auto* ok = reply.if_contains("ok");
  if (ok == nullptr || !ok->is_bool()) {
    return ControlReply::failure("malformed reply: no boolean \"ok\" field");
  }
  if (ok->as_bool()) {
    const auto* result = reply.if_contains("result");
    if (result == nullptr) {
      return ControlReply::failure("malformed reply: \"ok\" without a \"result\"");
    }
    return ControlReply::success(*result);
  }
  const auto* error = reply.if_contains("error");
  if (error == nullptr || !error->is_string() || error->as_string().empty()) {
    return ControlReply::failure("the daemon refused the request without saying why");
  }
  std::string text(error->as_string());
  for (auto& c : text) {  // one line, printable: the daemon's text goes to a terminal
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = ' ';
    }
  }
  return ControlReply::failure(std::move(text));
}

}  // namespace l1net::speaker
