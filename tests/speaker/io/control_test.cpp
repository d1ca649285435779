// ControlServer + controlRequest over a real Unix socket in a temporary directory. The client is
// blocking, so it runs on a second thread while the test thread runs the server's io_context.
#include "l1net/speaker/io/control.hpp"

#include <chrono>
#include <filesystem>
#include <future>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
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

}  // namespace
}  // namespace l1net::speaker
