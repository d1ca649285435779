// ControlServer + controlRequest over a real Unix socket in a temporary directory. The client is
// blocking, so it runs on a second thread while the test thread runs the server's io_context.
#include "l1net/speaker/control.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/json/parse.hpp>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "l1net/testing/doctest.hpp"
#include "l1net/testing/quiet_logger.hpp"
#include "l1net/testing/temp_dir.hpp"

namespace l1net::speaker {
namespace {

namespace fs = std::filesystem;
using l1net::testing::quietLogger;
using l1net::testing::TempDir;

// Runs the io_context until the client future is ready.
Result<boost::json::object> ask(boost::asio::io_context& io, const std::string& path,
                                boost::json::object req) {
  auto fut = std::async(std::launch::async,
                        [path, req] { return controlRequest(path, req, std::chrono::seconds(2)); });
  while (fut.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready) {
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
  return fut.get();
}

TEST_CASE("control socket: commands, errors, file mode") {
  TempDir dir;
  const auto path = (dir.path() / "run" / "speaker.sock").string();  // parent created on listen
  boost::asio::io_context io;
  ControlServer server(io.get_executor(), quietLogger());
  server.handle("status", [](const boost::json::object&) {
    return ControlReply::success(boost::json::object{{"node", "node-a"}});
  });
  server.handle("explain",
                [](const boost::json::object& req) { return ControlReply::success(req.at("ip")); });
  server.handle("boom", [](const boost::json::object&) -> ControlReply {
    throw std::runtime_error("kaput");
  });
  REQUIRE(server.listen(path).has_value());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0660);

  SUBCASE("a command returns its result") {
    const auto r = ask(io, path, {{"command", "status"}});
    REQUIRE(r.has_value());
    CHECK(r->at("ok").as_bool());
    CHECK(r->at("result").as_object().at("node").as_string() == "node-a");
  }
  SUBCASE("arguments reach the handler") {
    const auto r = ask(io, path, {{"command", "explain"}, {"ip", "198.51.100.200"}});
    REQUIRE(r.has_value());
    CHECK(r->at("result").as_string() == "198.51.100.200");
  }
  SUBCASE("unknown command") {
    const auto r = ask(io, path, {{"command", "members"}});
    REQUIRE(r.has_value());
    CHECK_FALSE(r->at("ok").as_bool());
    CHECK(std::string(r->at("error").as_string()).find("unknown command") != std::string::npos);
  }
  SUBCASE("a throwing handler becomes an error reply") {
    const auto r = ask(io, path, {{"command", "boom"}});
    REQUIRE(r.has_value());
    CHECK_FALSE(r->at("ok").as_bool());
    CHECK(server.errors() == 1);
  }
  SUBCASE("a second server refuses to steal a live socket") {
    ControlServer other(io.get_executor(), quietLogger());
    CHECK(other.listen(path).error() == make_error_code(Errc::kConflict));
  }
  SUBCASE("stop unlinks the socket; the client then reports the errno") {
    server.stop();
    CHECK_FALSE(fs::exists(path));
    const auto r = controlRequest(path, {{"command", "status"}});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == boost::system::error_code(ENOENT, boost::system::system_category()));
  }
}

TEST_CASE("control socket: a stale socket file is replaced") {
  TempDir dir;
  const auto path = (dir.path() / "speaker.sock").string();
  {
    // Bind and close without unlinking: what a crashed daemon leaves behind.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0);
    ::close(fd);
  }
  boost::asio::io_context io;
  ControlServer server(io.get_executor(), quietLogger());
  server.handle("status",
                [](const boost::json::object&) { return ControlReply::success(nullptr); });
  REQUIRE(server.listen(path).has_value());
  const auto r = ask(io, path, {{"command", "status"}});
  REQUIRE(r.has_value());
  CHECK(r->at("ok").as_bool());
}

TEST_CASE("control socket: a silent client is dropped and the server keeps serving") {
  TempDir dir;
  const auto path = (dir.path() / "speaker.sock").string();
  boost::asio::io_context io;
  ControlServer server(io.get_executor(), quietLogger());
  server.handle("status",
                [](const boost::json::object&) { return ControlReply::success(nullptr); });
  REQUIRE(server.listen(path).has_value());
  boost::asio::local::stream_protocol::socket idle(io);
  idle.connect(path);  // never sends a line
  const auto r = ask(io, path, {{"command", "status"}});
  REQUIRE(r.has_value());
  CHECK(r->at("ok").as_bool());
}

// A misbehaving daemon on a raw Unix socket, on its own thread: it reads the request line, then
// answers with `reply` in pieces of `piece` bytes, `gap` apart (gap 0 = at once), and closes
// (or keeps the connection open when `hold`).
class FakeDaemon {
 public:
  FakeDaemon(std::string path, std::string reply, std::size_t piece, std::chrono::milliseconds gap,
             bool hold)
      : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::listen(fd_, 4) == 0);
    thread_ = std::thread([this, reply = std::move(reply), piece, gap, hold] {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) {
        return;
      }
      char ch = 0;
      while (::recv(c, &ch, 1, 0) == 1 && ch != '\n') {
      }
      for (std::size_t off = 0; off < reply.size() && !stop_; off += piece) {
        const auto n = std::min(piece, reply.size() - off);
        if (::send(c, reply.data() + off, n, MSG_NOSIGNAL) < 0) {
          break;
        }
        if (gap.count() > 0) {
          std::this_thread::sleep_for(gap);
        }
      }
      while (hold && !stop_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      ::close(c);
    });
  }
  FakeDaemon(const FakeDaemon&) = delete;
  FakeDaemon& operator=(const FakeDaemon&) = delete;
  ~FakeDaemon() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }

 private:
  int fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_CASE("controlRequest: a daemon that stalls, trickles, sends garbage, nothing or too much") {
  using std::chrono::milliseconds;
  const auto sys = [](int e) {
    return boost::system::error_code(e, boost::system::system_category());
  };
  struct Case {
    const char* name;
    std::string reply;
    std::size_t piece;
    milliseconds gap;
    bool hold;
    boost::system::error_code want;  // default = success
  };
  const std::string big(300 * 1024, 'x');
  const std::vector<Case> cases = {
      {"well-formed reply", "{\"ok\":true,\"result\":1}\n", 64, milliseconds(0), false, {}},
      {"stalls without answering", "", 1, milliseconds(0), true, sys(ETIMEDOUT)},
      // Every byte comes before a per-read timeout would fire: only an overall deadline ends it.
      {"trickles a byte every 50 ms", std::string(100, ' '), 1, milliseconds(50), true,
       sys(ETIMEDOUT)},
      {"garbage", "\x01\x02 not json\n", 64, milliseconds(0), false,
       make_error_code(Errc::kMalformed)},
      {"a JSON array, not an object", "[1,2]\n", 64, milliseconds(0), false,
       make_error_code(Errc::kMalformed)},
      {"closes without a byte", "", 1, milliseconds(0), false, make_error_code(Errc::kTruncated)},
      {"too much", big, 64 * 1024, milliseconds(0), true, sys(EMSGSIZE)},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      TempDir dir;
      const auto path = (dir.path() / "fake.sock").string();
      FakeDaemon fake(path, c.reply, c.piece, c.gap, c.hold);
      const auto start = std::chrono::steady_clock::now();
      const auto r = controlRequest(path, {{"command", "status"}}, milliseconds(400), 256 * 1024);
      const auto took = std::chrono::steady_clock::now() - start;
      if (c.want) {
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error() == c.want);
      } else {
        REQUIRE(r.has_value());
      }
      // The deadline covers the whole exchange (generous bound: the machine is shared).
      CHECK(took < std::chrono::seconds(3));
    }
  }
}

TEST_CASE("decodeControlReply: every reply means ok+result or a non-empty reason") {
  struct Case {
    const char* name;
    const char* reply;
    bool ok;
    const char* error;  // substring when !ok
  };
  const std::vector<Case> cases = {
      {"ok with a result", R"({"ok":true,"result":{"node":"a"}})", true, ""},
      {"ok with a null result", R"({"ok":true,"result":null})", true, ""},
      {"refused with a reason", R"({"ok":false,"error":"unknown command"})", false,
       "unknown command"},
      {"empty object", "{}", false, "no boolean \"ok\""},
      {"ok is a string", R"({"ok":"yes","result":1})", false, "no boolean \"ok\""},
      {"ok without result", R"({"ok":true})", false, "without a \"result\""},
      {"refused without a reason", R"({"ok":false})", false, "without saying why"},
      {"refused with an empty reason", R"({"ok":false,"error":""})", false, "without saying why"},
      {"refused with a non-string reason", R"({"ok":false,"error":7})", false,
       "without saying why"},
      {"reason with a newline stays one line", "{\"ok\":false,\"error\":\"a\\nb\"}", false, "a b"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto r = decodeControlReply(boost::json::parse(c.reply).as_object());
      CHECK(r.ok == c.ok);
      if (!c.ok) {
        CHECK_FALSE(r.error.empty());
        CHECK(r.error.find(c.error) != std::string::npos);
      }
    }
  }
}

TEST_CASE("dispatchControlRequest: the server's decoding of one request line") {
  ControlHandlers handlers;
  handlers["status"] = [](const boost::json::object&) {
    return ControlReply::success(boost::json::object{{"node", "a"}});
  };
  handlers["boom"] = [](const boost::json::object&) -> ControlReply {
    throw std::runtime_error("kaput");
  };
  struct Case {
    const char* name;
    std::string line;
    bool ok;
    const char* error;  // substring when !ok
  };
  const std::vector<Case> cases = {
      {"known command", R"({"command":"status"})", true, ""},
      {"known command, trailing newline", "{\"command\":\"status\"}\n", true, ""},
      {"not JSON", "status", false, "not a JSON object"},
      {"empty line", "", false, "not a JSON object"},
      {"JSON array", "[1]", false, "not a JSON object"},
      {"no command", R"({"cmd":"status"})", false, "has no \"command\""},
      {"command not a string", R"({"command":7})", false, "has no \"command\""},
      {"unknown command", R"({"command":"nope"})", false, "unknown command \"nope\""},
      {"handler throws", R"({"command":"boom"})", false, "internal error: kaput"},
      {"raw NUL inside a string (invalid JSON)", std::string("{\"command\":\"st\0atus\"}", 20),
       false, "not a JSON object"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto r = dispatchControlRequest(c.line, handlers);
      CHECK(r.ok == c.ok);
      if (!c.ok) {
        CHECK(r.error.find(c.error) != std::string::npos);
      }
      const auto text = encodeControlReply(r);
      REQUIRE(text.back() == '\n');
      CHECK(decodeControlReply(boost::json::parse(text).as_object()).ok == c.ok);
    }
  }
}

}  // namespace
}  // namespace l1net::speaker
