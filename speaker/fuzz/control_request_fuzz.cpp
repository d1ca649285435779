// libFuzzer target: one control-socket request line through l1net-speaker's own decoding
// (dispatchControlRequest, what ControlServer runs on every line it reads, with handlers like the
// real ones: one answering, one echoing its request, one throwing), the reply line the server
// sends (encodeControlReply), and speakerctl's reading of that line (decodeControlReply). Never
// crashes; every reply parses back as an object and means what the server decided.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "l1net/speaker/control.hpp"

namespace {

namespace speaker = l1net::speaker;

const speaker::ControlHandlers& handlers() {
  static const speaker::ControlHandlers kHandlers = [] {
    speaker::ControlHandlers h;
    h["status"] = [](const boost::json::object&) {
      return speaker::ControlReply::success(boost::json::object{{"node", "fuzz"}});
    };
    h["explain"] = [](const boost::json::object& req) {  // echoes its argument, as explain does
      const auto* ip = req.if_contains("ip");
      if (ip == nullptr || !ip->is_string()) {
        return speaker::ControlReply::failure("explain needs \"ip\"");
      }
      return speaker::ControlReply::success(boost::json::object{{"ip", *ip}, {"request", req}});
    };
    h["garp"] = [](const boost::json::object&) -> speaker::ControlReply {
      throw std::runtime_error("handler failed");
    };
    return h;
  }();
  return kHandlers;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > speaker::kMaxControlRequestBytes) {
    return 0;  // the server never reads more
  }
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const auto reply = speaker::dispatchControlRequest(line, handlers());
  if (!reply.ok && reply.error.empty()) {
    std::abort();  // a refusal always says why
  }
  const std::string text = speaker::encodeControlReply(reply);
  if (text.empty() || text.back() != '\n' || text.find('\n') != text.size() - 1) {
    std::abort();  // one line
  }
  boost::system::error_code ec;
  const auto back = boost::json::parse(text, ec);
  if (ec || !back.is_object()) {
    std::abort();
  }
  const auto seen = speaker::decodeControlReply(back.as_object());
  if (seen.ok != reply.ok || (seen.ok && seen.result != reply.result)) {
    std::abort();
  }
  return 0;
}
