#include "l1net/io/logging.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <utility>

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/value_semantic.hpp>
#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>
#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace l1net::io {
namespace {

void appendLogEscaped(std::string_view s, std::string& out);

constexpr std::string_view kTextPattern = "%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %n: %v";

struct LevelName {
  std::string_view name;
  spdlog::level::level_enum level;
};
constexpr std::array<LevelName, 6> kLevels = {{
    {"trace", spdlog::level::trace},
    {"debug", spdlog::level::debug},
    {"info", spdlog::level::info},
    {"warn", spdlog::level::warn},
    {"error", spdlog::level::err},
    {"off", spdlog::level::off},
}};

std::string_view jsonLevelName(spdlog::level::level_enum l) noexcept {
  switch (l) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

// Length of the valid UTF-8 sequence starting at s[i], 0 when invalid (overlongs, surrogates and
// code points above U+10FFFF are invalid).
std::size_t utf8SequenceLength(std::string_view s, std::size_t i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) {
      lo = 0xA0;
    } else if (b0 == 0xED) {
      hi = 0x9F;
    }
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) {
      lo = 0x90;
    } else if (b0 == 0xF4) {
      hi = 0x8F;
    }
  } else {
    return 0;
  }
  if (i + len > s.size()) {
    return 0;
  }
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    const unsigned char min = k == 1 ? lo : 0x80;
    const unsigned char max = k == 1 ? hi : 0xBF;
    if (b < min || b > max) {
      return 0;
    }
  }
  return len;
}

void appendJsonEscaped(std::string_view s, auto& out) {
  constexpr std::string_view kHex = "0123456789abcdef";
  auto put = [&out](std::string_view v) { out.append(v.data(), v.data() + v.size()); };
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t len = utf8SequenceLength(s, i);
      if (len == 0) {
        put("\\ufffd");
        ++i;
      } else {
        put(s.substr(i, len));
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        put("\\\"");
        break;
      case '\\':
        put("\\\\");
        break;
      case '\n':
        put("\\n");
        break;
      case '\r':
        put("\\r");
        break;
      case '\t':
        put("\\t");
        break;
      case '\b':
        put("\\b");
        break;
      case '\f':
        put("\\f");
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          const std::array<char, 6> esc = {'\\', 'u', '0', '0', kHex[c >> 4U], kHex[c & 0xFU]};
          put(std::string_view(esc.data(), esc.size()));
        } else {
          const char ch = static_cast<char>(c);
          put(std::string_view(&ch, 1));
        }
    }
    ++i;
  }
}

void appendLogEscaped(std::string_view s, std::string& out) {
  constexpr std::string_view kHex = "0123456789abcdef";
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t len = utf8SequenceLength(s, i);
      if (len == 0) {
        out += "\\x";
        out += kHex[c >> 4U];
        out += kHex[c & 0xFU];
        ++i;
      } else {
        out.append(s.substr(i, len));
        i += len;
      }
      continue;
    }
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\x";
          out += kHex[c >> 4U];
          out += kHex[c & 0xFU];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
}

// The text pattern with the message (and logger name) escaped by escapeForLog: one log record is
// always exactly one line, whatever bytes a value echoed from a file or packet holds.
class TextFormatter final : public spdlog::formatter {
 public:
  TextFormatter() : inner_(std::string(kTextPattern), spdlog::pattern_time_type::utc) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    const std::string_view name(msg.logger_name.data(), msg.logger_name.size());
    if (!needsEscape(payload) && !needsEscape(name)) {
      inner_.format(msg, dest);
      return;
    }
    const std::string esc_payload = escapeForLog(payload);
    const std::string esc_name = escapeForLog(name);
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(esc_payload.data(), esc_payload.size());
    copy.logger_name = spdlog::string_view_t(esc_name.data(), esc_name.size());
    inner_.format(copy, dest);
    msg.color_range_start = copy.color_range_start;  // mutable: where the level's colour goes
    msg.color_range_end = copy.color_range_end;
  }
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<TextFormatter>();
  }

 private:
  static bool needsEscape(std::string_view s) noexcept {
    for (const char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (c < 0x20 || c >= 0x7F) {
        return true;
      }
    }
    return false;
  }
  spdlog::pattern_formatter inner_;
};

// {"ts":"...Z","level":"info","logger":"name","msg":"..."}\n
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto put = [&dest](std::string_view v) { dest.append(v.data(), v.data() + v.size()); };
    put(R"({"ts":")");
    put(timestamp(msg.time));
    put(R"(","level":")");
    put(jsonLevelName(msg.level));
    put(R"(","logger":")");
    appendJsonEscaped(std::string_view(msg.logger_name.data(), msg.logger_name.size()), dest);
    put(R"(","msg":")");
    appendJsonEscaped(std::string_view(msg.payload.data(), msg.payload.size()), dest);
    put("\"}\n");
  }
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }

 private:
  static std::string timestamp(spdlog::log_clock::time_point tp) {
    const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(tp);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(tp - secs).count();
    const std::time_t t = spdlog::log_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::array<char, 32> buf{};
    const std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
    return fmt::format("{}.{:03}Z", std::string_view(buf.data(), n), ms);
  }
};

struct State {
  std::mutex mu;
  std::shared_ptr<spdlog::sinks::dist_sink_mt> shared = [] {
    auto s = std::make_shared<spdlog::sinks::dist_sink_mt>();
    auto err = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    err->set_formatter(std::make_unique<TextFormatter>());
    s->set_sinks({err});
    return s;
  }();
  spdlog::level::level_enum level = spdlog::level::info;
};

State& state() {
  static State s;
  return s;
}

spdlog::level::level_enum parseLevel(std::string_view text) {
  for (const auto& l : kLevels) {
    if (l.name == text) {
      return l.level;
    }
  }
  throw std::invalid_argument("invalid log level '" + std::string(text) +
                              "' (want trace|debug|info|warn|error|off)");
}

std::shared_ptr<spdlog::logger> makeLoggerLocked(State& st, std::string name) {
  if (auto existing = spdlog::get(name)) {
    return existing;
  }
  auto logger = std::make_shared<spdlog::logger>(std::move(name), st.shared);
  logger->set_level(st.level);
  logger->flush_on(spdlog::level::warn);
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace

std::string escapeForLog(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  appendLogEscaped(s, out);
  return out;
}

std::string jsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  appendJsonEscaped(s, out);
  return out;
}

void setupLogging(const LogOptions& opts, std::shared_ptr<spdlog::sinks::sink> sink) {
  const auto level = parseLevel(opts.level);
  std::unique_ptr<spdlog::formatter> formatter;
  if (opts.format == "text") {
    formatter = std::make_unique<TextFormatter>();
  } else if (opts.format == "json") {
    formatter = std::make_unique<JsonFormatter>();
  } else {
    throw std::invalid_argument("invalid log format '" + opts.format + "' (want text|json)");
  }
  if (!sink) {
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  }
  sink->set_level(spdlog::level::trace);
  sink->set_formatter(std::move(formatter));

  auto& st = state();
  const std::lock_guard lock(st.mu);
  st.level = level;
  st.shared->set_sinks({std::move(sink)});
  spdlog::set_level(level);  // every registered logger, ours included
  auto def = makeLoggerLocked(st, "l1net");
  spdlog::set_default_logger(def);
}

std::shared_ptr<spdlog::logger> makeLogger(std::string_view name) {
  auto& st = state();
  const std::lock_guard lock(st.mu);
  return makeLoggerLocked(st, std::string(name));
}

void addLogOptions(boost::program_options::options_description& desc, LogOptions& opts) {
  namespace po = boost::program_options;
  desc.add_options()("log-level", po::value<std::string>(&opts.level)->default_value(opts.level),
                     "log level: trace|debug|info|warn|error|off")(
      "log-format", po::value<std::string>(&opts.format)->default_value(opts.format),
      "log format: text|json (one JSON object per line)");
}

}  // namespace l1net::io
