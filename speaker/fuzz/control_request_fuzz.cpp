// libFuzzer target: one control-socket request line as l1net-speaker's ControlServer decodes it
// (boost::json::parse of at most 64 KiB, then "must be an object with a string \"command\""),
// and a reply built from any decoded value serialises and parses back. Never crashes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/json.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) {
    return 0;  // the server's read limit (kMaxRequestBytes)
  }
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  boost::system::error_code ec;
  auto v = boost::json::parse(line, ec);
  if (ec || !v.is_object()) {
    return 0;
  }
  const auto& req = v.as_object();
  const auto* cmd = req.if_contains("command");
  if (cmd == nullptr || !cmd->is_string()) {
    return 0;
  }
  // The reply echoes the command name and the request (as "explain" echoes its argument).
  boost::json::object reply{{"ok", false},
                            {"error", "unknown command \"" + std::string(cmd->as_string()) + "\""},
                            {"request", req}};
  const std::string text = boost::json::serialize(reply);
  const auto back = boost::json::parse(text, ec);
  if (ec || back != boost::json::value(reply)) {
    std::abort();
  }
  return 0;
}
