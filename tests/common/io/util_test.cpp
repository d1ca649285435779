#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <sys/stat.h>

#include "l1net/io/atomic_file.hpp"
#include "l1net/io/host_port.hpp"
#include "l1net/io/signals.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/temp_dir.hpp"

namespace io = l1net::io;
namespace fs = std::filesystem;
using l1net::Errc;
using l1net::make_error_code;
using l1net::testing::readFile;
using l1net::testing::TempDir;

namespace {}  // namespace

TEST_CASE("parseHostPort") {
  struct Case {
    const char* name;
    const char* text;
    const char* want;  // endpoint as "addr|port"; nullptr = error
    Errc err{};
  };
  const std::vector<Case> cases = {
      {"ipv4", "127.0.0.1:7472", "127.0.0.1|7472"},
      {"any v4", "0.0.0.0:7473", "0.0.0.0|7473"},
      {"ipv6", "[::1]:7472", "::1|7472"},
      {"ipv6 any", "[::]:80", "::|80"},
      {"ipv6 zone", "[fe80::1%lo]:80", "fe80::1%lo|80"},
      {"empty host", ":7472", "::|7472"},
      {"port 0", "127.0.0.1:0", "127.0.0.1|0"},
      {"port max", "127.0.0.1:65535", "127.0.0.1|65535"},
      {"port too big", "127.0.0.1:65536", nullptr, Errc::kInvalidArgument},
      {"port not a number", "127.0.0.1:http", nullptr, Errc::kInvalidArgument},
      {"port sign", "127.0.0.1:+80", nullptr, Errc::kInvalidArgument},
      {"port trailing", "127.0.0.1:80x", nullptr, Errc::kInvalidArgument},
      {"no port", "127.0.0.1", nullptr, Errc::kInvalidArgument},
      {"empty port", "127.0.0.1:", nullptr, Errc::kInvalidArgument},
      {"empty", "", nullptr, Errc::kInvalidArgument},
      {"hostname", "localhost:80", nullptr, Errc::kInvalidAddress},
      {"bad ipv4", "300.1.1.1:80", nullptr, Errc::kInvalidAddress},
      {"unbracketed v6", "::1:80", nullptr, Errc::kInvalidAddress},
      {"unclosed bracket", "[::1:80", nullptr, Errc::kInvalidAddress},
      {"bracketed v4", "[127.0.0.1]:80", nullptr, Errc::kInvalidAddress},
      {"bracket without port", "[::1]", nullptr, Errc::kInvalidArgument},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto got = io::parseHostPort(c.text);
      if (c.want != nullptr) {
        REQUIRE(got.has_value());
        CHECK(got->address().to_string() + "|" + std::to_string(got->port()) == c.want);
      } else {
        REQUIRE_FALSE(got.has_value());
        CHECK(got.error() == make_error_code(c.err));
      }
    }
  }
}

TEST_CASE("writeFileAtomically") {
  TempDir dir;
  const auto target = dir.path() / "hosts";
  struct Case {
    const char* name;
    std::string before;  // "" = no file
    std::string contents;
    unsigned mode;
  };
  const std::vector<Case> cases = {
      {"new file", "", "198.51.100.220 web.lan\n", 0644},
      {"replace", "old\n", "new\n", 0600},
      {"empty contents", "old\n", "", 0644},
      {"large", "", std::string(1 << 20, 'x'), 0644},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      if (!c.before.empty()) {
        std::ofstream(target) << c.before;
      }
      REQUIRE(io::writeFileAtomically(target.string(), c.contents, c.mode).has_value());
      CHECK(readFile(target) == c.contents);
      struct stat st {};
      REQUIRE(::stat(target.c_str(), &st) == 0);
      CHECK((st.st_mode & 0777) == c.mode);
      CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
      fs::remove(target);
    }
  }
  SUBCASE("missing directory") {
    const auto got = io::writeFileAtomically((dir.path() / "nope" / "f").string(), "x");
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error() == boost::system::errc::no_such_file_or_directory);
  }
  SUBCASE("in pieces: the file appears at commit, whole") {
    std::ofstream(target) << "old\n";
    auto writer = io::AtomicFileWriter::open(target.string());
    REQUIRE(writer.has_value());
    REQUIRE(writer->append("first ").has_value());
    REQUIRE(writer->append("second\n").has_value());
    CHECK(readFile(target) == "old\n");  // not yet
    REQUIRE(writer->commit().has_value());
    CHECK(readFile(target) == "first second\n");
    CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
  }
  SUBCASE("in pieces, dropped without commit: old file kept, no temp left") {
    std::ofstream(target) << "old\n";
    {
      auto writer = io::AtomicFileWriter::open(target.string());
      REQUIRE(writer.has_value());
      REQUIRE(writer->append("half").has_value());
      CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 2);
    }
    CHECK(readFile(target) == "old\n");
    CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
  }
  SUBCASE("target is a directory: old state kept, no temp left") {
    fs::create_directory(target);
    const auto got = io::writeFileAtomically(target.string(), "x");
    REQUIRE_FALSE(got.has_value());
    CHECK(fs::is_directory(target));
    CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
  }
}

TEST_CASE("awaitStopSignal") {
  struct Case {
    const char* name;
    int signo;
  };
  const std::vector<Case> cases = {{"SIGTERM", SIGTERM}, {"SIGINT", SIGINT}};
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      boost::asio::io_context ioc;
      std::vector<int> got;
      auto stop = io::awaitStopSignal(ioc.get_executor(), [&got](int s) { got.push_back(s); });
      std::raise(c.signo);
      ioc.run();  // returns once the signal is handled: nothing else is pending
      CHECK(got == std::vector<int>{c.signo});
    }
  }
  SUBCASE("cancel: no callback, io_context runs out of work") {
    boost::asio::io_context ioc;
    int calls = 0;
    auto stop = io::awaitStopSignal(ioc.get_executor(), [&calls](int) { ++calls; });
    stop.cancel();
    ioc.run();
    CHECK(calls == 0);
  }
}
