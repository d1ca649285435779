// Logging setup shared by every l1net daemon (spdlog).
//
// One process-wide sink; one named logger per component ("controller.alloc", "speaker.arp"),
// created with makeLogger() and injected into the component. Formats:
//  - text: "2024-05-01T12:00:00.123Z info controller.alloc: message" (UTC); the message and the
//          logger name pass through escapeForLog, so a record is always exactly one line
//  - json: one object per line, {"ts":"2024-05-01T12:00:00.123Z","level":"info",
//          "logger":"controller.alloc","msg":"..."}; the message is JSON-escaped (quotes,
//          backslashes, control characters) and invalid UTF-8 is replaced by U+FFFD.
// Levels: trace|debug|info|warn|error|off.
//
// Thread-safety: setupLogging() and makeLogger() are meant for start-up on the main thread;
// logging itself is thread-safe (the shared sink is a *_mt sink).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
namespace sinks {
class sink;
}  // namespace sinks
}  // namespace spdlog

namespace boost::program_options {
class options_description;
}  // namespace boost::program_options

namespace l1net::io {

struct LogOptions {
  std::string level = "info";
  std::string format = "text";
};

// Validates opts and (re)configures the shared sink, its formatter and the level of every logger
// made by makeLogger() (before or after this call), and of spdlog's default logger. `sink`
// replaces the default stderr sink (tests pass an ostream sink).
// Throws std::invalid_argument with a message naming the bad value (start-up configuration).
void setupLogging(const LogOptions& opts, std::shared_ptr<spdlog::sinks::sink> sink = {});

// The logger named `name`, created on first use; all share one sink. Never returns nullptr.
[[nodiscard]] std::shared_ptr<spdlog::logger> makeLogger(std::string_view name);

// Adds --log-level and --log-format to `desc`, stored into `opts` (its current values are the
// defaults shown in --help). Validation happens in setupLogging().
void addLogOptions(boost::program_options::options_description& desc, LogOptions& opts);

// Escapes what could forge or garble a text log line: control bytes (\n \r \t as such, others
// and DEL as \xHH) and bytes that are not valid UTF-8 (\xHH); printable text and valid UTF-8
// pass unchanged. Applied centrally by the text format to every message.
[[nodiscard]] std::string escapeForLog(std::string_view s);

// JSON string-body escaping as used by the json format (no surrounding quotes).
[[nodiscard]] std::string jsonEscape(std::string_view s);

}  // namespace l1net::io
