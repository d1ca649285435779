#include "l1net/io/logging.hpp"

#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/program_options/options_description.hpp>
#include <boost/program_options/parsers.hpp>
#include <boost/program_options/variables_map.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "l1net/testing/doctest.hpp"

namespace io = l1net::io;
namespace json = boost::json;
namespace po = boost::program_options;

namespace {

// Routes every l1net logger into a string for the test's lifetime, then back to stderr.
struct Capture {
  explicit Capture(const io::LogOptions& opts) {
    io::setupLogging(opts, std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  }
  ~Capture() { io::setupLogging({"info", "text"}); }
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

  std::vector<std::string> lines() const {
    std::vector<std::string> v;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) {
      v.push_back(line);
    }
    return v;
  }

  std::ostringstream out;
};

}  // namespace

TEST_CASE("json log lines") {
  struct Case {
    const char* name;
    std::string msg;
    std::string want_msg;  // after JSON decoding
  };
  const std::vector<Case> cases = {
      {"plain", "pool lan: assigned 198.51.100.220", "pool lan: assigned 198.51.100.220"},
      {"quotes and backslash", R"(name "a\b")", R"(name "a\b")"},
      {"newline and tab", "line1\nline2\tx", "line1\nline2\tx"},
      {"control bytes", std::string("a\x01\x1f\x7f", 4), std::string("a\x01\x1f\x7f", 4)},
      {"utf-8 kept", "caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac"},
      {"invalid utf-8 replaced", "bad \xff\xc3 end", "bad \xef\xbf\xbd\xef\xbf\xbd end"},
      {"surrogate rejected", "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
      {"braces are not format specs", "{} {:x}", "{} {:x}"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      Capture cap({"info", "json"});
      io::makeLogger("controller.alloc")->info("{}", c.msg);
      const auto lines = cap.lines();
      REQUIRE(lines.size() == 1);
      const auto v = json::parse(lines[0]).as_object();
      CHECK(v.size() == 4);
      CHECK(v.at("level").as_string() == "info");
      CHECK(v.at("logger").as_string() == "controller.alloc");
      CHECK(std::string(v.at("msg").as_string()) == c.want_msg);
      const std::string ts(v.at("ts").as_string());
      CHECK(ts.size() == 24);  // 2024-05-01T12:00:00.123Z
      CHECK(ts.ends_with("Z"));
      CHECK(ts[10] == 'T');
    }
  }
}

TEST_CASE("level filtering") {
  struct Case {
    const char* name;
    const char* level;
    std::vector<std::string> want_levels;  // json "level" of the lines that pass
  };
  const std::vector<Case> cases = {
      {"trace", "trace", {"trace", "debug", "info", "warn", "error"}},
      {"info", "info", {"info", "warn", "error"}},
      {"warn", "warn", {"warn", "error"}},
      {"error", "error", {"error"}},
      {"off", "off", {}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      Capture cap({c.level, "json"});
      auto log = io::makeLogger("speaker.arp");
      log->trace("t");
      log->debug("d");
      log->info("i");
      log->warn("w");
      log->error("e");
      std::vector<std::string> got;
      for (const auto& line : cap.lines()) {
        got.emplace_back(json::parse(line).as_object().at("level").as_string());
      }
      CHECK(got == c.want_levels);
    }
  }
}

TEST_CASE("text format and shared sink") {
  auto before = io::makeLogger("dnsd.plan");  // created before setup: follows the new sink
  Capture cap({"debug", "text"});
  before->debug("planned {} changes", 3);
  io::makeLogger("dnsd.pihole")->warn("pihole down");
  spdlog::info("via default logger");
  const auto lines = cap.lines();
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].ends_with(" debug dnsd.plan: planned 3 changes"));
  CHECK(lines[1].ends_with(" warning dnsd.pihole: pihole down"));
  CHECK(lines[2].ends_with(" info l1net: via default logger"));
  CHECK(lines[0].substr(10, 1) == "T");
  CHECK(io::makeLogger("dnsd.plan") == before);
}

TEST_CASE("text format escapes non-printable bytes: one record, one line (issue 8 #10)") {
  Capture cap({"info", "text"});
  const std::string forged = "web\n2026-01-01T00:00:00.000Z info controller: forged";
  io::makeLogger("controller")->warn("service {}: deleted", forged);
  io::makeLogger("controller")
      ->warn("bad file: {}", std::string("\x1b[31mred\x00\xff\x7f caf\xc3\xa9", 17));
  const auto lines = cap.lines();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].ends_with(
      " warning controller: service web\\n2026-01-01T00:00:00.000Z info controller: forged: "
      "deleted"));
  CHECK(
      lines[1].ends_with(" warning controller: bad file: \\x1b[31mred\\x00\\xff\\x7f caf\xc3\xa9"));
}

TEST_CASE("escapeForLog") {
  struct Case {
    const char* name;
    std::string in;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"printable unchanged", "pools.yaml:3: ok \\ \"x\"", "pools.yaml:3: ok \\ \"x\""},
      {"newline, CR, tab", "a\nb\rc\td", "a\\nb\\rc\\td"},
      {"NUL, ESC, DEL", std::string("\0\x1b\x7f", 3), "\\x00\\x1b\\x7f"},
      {"valid UTF-8 kept", "\xe2\x82\xac", "\xe2\x82\xac"},
      {"invalid UTF-8 escaped", "\xc3(\xff", "\\xc3(\\xff"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) { CHECK(io::escapeForLog(c.in) == c.want); }
  }
}

TEST_CASE("setupLogging rejects bad options") {
  struct Case {
    const char* name;
    io::LogOptions opts;
    const char* want_in_message;
  };
  const std::vector<Case> cases = {
      {"unknown level", {"verbose", "text"}, "'verbose'"},
      {"warning is spelled warn", {"warning", "text"}, "'warning'"},
      {"empty level", {"", "text"}, "log level"},
      {"unknown format", {"info", "xml"}, "'xml'"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      try {
        io::setupLogging(c.opts);
        FAIL("no exception");
      } catch (const std::invalid_argument& e) {
        CHECK(std::string(e.what()).find(c.want_in_message) != std::string::npos);
      }
    }
  }
}

TEST_CASE("jsonEscape") {
  struct Case {
    const char* name;
    std::string in;
    const char* want;
  };
  const std::vector<Case> cases = {
      {"empty", "", ""},
      {"quote", "\"", R"(\")"},
      {"backslash", "\\", R"(\\)"},
      {"controls", std::string("\b\f\n\r\t\x01", 6), R"(\b\f\n\r\t\u0001)"},
      {"del", "\x7f", R"(\u007f)"},
      {"truncated utf-8", "\xe2\x82", R"(\ufffd\ufffd)"},
      {"overlong", "\xc0\xaf", R"(\ufffd\ufffd)"},
      {"4-byte ok", "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},
      {"beyond U+10FFFF", "\xf4\x90\x80\x80", R"(\ufffd\ufffd\ufffd\ufffd)"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) { CHECK(io::jsonEscape(c.in) == c.want); }
  }
}

TEST_CASE("addLogOptions") {
  struct Case {
    const char* name;
    std::vector<const char*> argv;
    const char* want_level;
    const char* want_format;
  };
  const std::vector<Case> cases = {
      {"defaults", {"prog"}, "info", "text"},
      {"both", {"prog", "--log-level", "debug", "--log-format=json"}, "debug", "json"},
      {"level only", {"prog", "--log-level=warn"}, "warn", "text"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      io::LogOptions opts;
      po::options_description desc("options");
      io::addLogOptions(desc, opts);
      po::variables_map vm;
      po::store(po::parse_command_line(static_cast<int>(c.argv.size()), c.argv.data(), desc), vm);
      po::notify(vm);
      CHECK(opts.level == c.want_level);
      CHECK(opts.format == c.want_format);
    }
  }
}
