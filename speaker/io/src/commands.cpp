#include "l1net/speaker/io/commands.hpp"

#include <string>

namespace l1net::speaker {
namespace {

Result<net::IpAddress> ipArgument(const boost::json::object& req) {
  const auto* v = req.if_contains("ip");
  if (v == nullptr || !v->is_string()) {
    return Errc::kInvalidArgument;
  }
  return net::parseIp(std::string(v->as_string()));
}

}  // namespace

void registerSpeakerCommands(ControlServer& server, Speaker& speaker) {
  server.handle("status", [&speaker](const boost::json::object& /*req*/) {
    return ControlReply::success(speaker.status());
  });
  server.handle("stats", [&speaker](const boost::json::object& /*req*/) {
    speaker.collectCounters();
    speaker.dropPerIpSeries();
    return ControlReply::success(speaker.statsJson());
  });
  server.handle("explain", [&speaker](const boost::json::object& req) {
    const auto ip = ipArgument(req);
    if (!ip) {
      return ControlReply::failure("explain needs a valid \"ip\"");
    }
    return ControlReply::success(speaker.explain(*ip));
  });
  server.handle("garp", [&speaker](const boost::json::object& req) {
    const auto ip = ipArgument(req);
    if (!ip) {
      return ControlReply::failure("garp needs a valid \"ip\"");
    }
    auto sent = speaker.garp(*ip);
    if (!sent) {
      return ControlReply::failure(ip->to_string() +
                                   " is not announced by this node (see speakerctl explain)");
    }
    return ControlReply::success(std::move(*sent));
  });
}

}  // namespace l1net::speaker
