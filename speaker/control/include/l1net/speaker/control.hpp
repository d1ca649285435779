// The speaker's local control channel (speakerctl <-> l1net-speaker) over a Unix stream socket.
//
// Protocol (one request per connection, both directions one JSON object on one line):
//   -> {"command":"status"}                     {"command":"explain","ip":"198.51.100.200"}
//   <- {"ok":true,"result":{...}}               {"ok":false,"error":"one line"}
// Commands are registered by name (status, explain, stats, garp; members comes with failover),
// so adding one touches neither the transport nor speakerctl's plumbing.
//
// ControlServer contract: binds PATH (creating its parent directory 0750 when missing, replacing a
// stale socket file but refusing to steal a live one), chmods it 0660, serves on the executor's
// thread; handlers run there too. A client has 5 s to send its line (64 KiB max). A handler that
// throws becomes {"ok":false}. stop() closes the listener and unlinks the path.
// controlRequest is blocking (speakerctl is a one-shot CLI) with one deadline for the whole
// exchange and a cap on the reply size.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "l1net/error.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace l1net::speaker {

inline constexpr const char* kDefaultControlSocket = "/run/l1net/speaker.sock";

struct ControlReply {
  bool ok = true;
  boost::json::value result;
  std::string error;  // one line, when !ok

  static ControlReply success(boost::json::value v) { return {.ok = true, .result = std::move(v)}; }
  static ControlReply failure(std::string message) {
    return {.ok = false, .result = nullptr, .error = std::move(message)};
  }
};

using ControlHandler = std::function<ControlReply(const boost::json::object& request)>;
using ControlHandlers = std::map<std::string, ControlHandler, std::less<>>;

// Limit of one request line (the server reads at most this many bytes).
inline constexpr std::size_t kMaxControlRequestBytes = 64 * 1024;

// The server's decoding of one request line (pure apart from what the chosen handler does): a line
// that is not a JSON object, has no string "command" or names no registered command is a failure
// reply saying so; a handler that throws becomes {"ok":false,"error":"internal error: ..."}.
[[nodiscard]] ControlReply dispatchControlRequest(std::string_view line,
                                                  const ControlHandlers& handlers);
// The reply line the server sends back (one JSON object and '\n').
[[nodiscard]] std::string encodeControlReply(const ControlReply& reply);

class ControlServer {
 public:
  ControlServer(boost::asio::any_io_executor ex, std::shared_ptr<spdlog::logger> logger);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  void handle(std::string command, ControlHandler handler);
  // Errors: the failing syscall's errno; kConflict when a live daemon already serves `path`.
  [[nodiscard]] Result<void> listen(const std::string& path);
  void stop();

  [[nodiscard]] std::uint64_t requests() const noexcept;
  [[nodiscard]] std::uint64_t errors() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

inline constexpr std::size_t kMaxControlReplyBytes = 16 * 1024 * 1024;

// Sends one request and returns the whole reply object ({"ok":..., ...}). `timeout` bounds the
// whole exchange (connect, send, every read), so a daemon that trickles bytes cannot hold the
// caller past it. Errors: the connect/read/write errno (ENOENT, ECONNREFUSED, EACCES ...);
// ETIMEDOUT when the deadline passed; EMSGSIZE when the reply grew beyond `max_reply_bytes`;
// Errc::kTruncated when the daemon closed the connection without sending anything;
// Errc::kMalformed when the reply is not a JSON object.
[[nodiscard]] Result<boost::json::object> controlRequest(
    const std::string& path, const boost::json::object& request,
    std::chrono::milliseconds timeout = std::chrono::seconds(5),
    std::size_t max_reply_bytes = kMaxControlReplyBytes);

// What a reply object means (pure): ok with its result, or not ok with a non-empty one-line
// reason, also for replies that break the protocol ({} , "ok" not a boolean, ok without a
// result, a refusal without an error text).
[[nodiscard]] ControlReply decodeControlReply(const boost::json::object& reply);

}  // namespace l1net::speaker
