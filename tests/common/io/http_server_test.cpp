#include "l1net/io/http_server.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <sys/socket.h>
#include <sys/time.h>

#include "l1net/io/logging.hpp"
#include "l1net/metrics/registry.hpp"
#include "l1net/testing/doctest.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace io = l1net::io;
using tcp = asio::ip::tcp;
using l1net::Errc;
using l1net::make_error_code;

namespace {

// The server runs on its own io_context thread; the test thread is a blocking client.
class ServerFixture {
 public:
  explicit ServerFixture(io::HttpServerOptions opts = {})
      : server_(ioc_.get_executor(), io::makeLogger("test.http"), opts) {
    auto& requests = registry_.counter("l1net_test_requests_total", "Requests \"seen\".");
    requests.set({{"path", "/a"}}, 3);
    registry_.gauge("l1net_test_up", "Up.");
    io::serveMetrics(server_, registry_, [this] { return healthy_.load(); });
    server_.route("/boom", [](const io::HttpRequest&) -> io::HttpResponse {
      throw std::runtime_error("boom");
    });
    server_.route(
        "/echo",
        [](const io::HttpRequest& r) {
          return io::HttpResponse{201, "text/plain", r.method + " " + r.target + " " + r.body};
        },
        {"POST"});
    endpoint_ = server_.listen("127.0.0.1:0").value();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~ServerFixture() {
    onIo([this] { server_.stop(); });
    guard_.reset();
    thread_.join();
  }
  ServerFixture(const ServerFixture&) = delete;
  ServerFixture& operator=(const ServerFixture&) = delete;

  template <class F>
  auto onIo(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto done = task.get_future();
    asio::post(ioc_, [&task] { task(); });
    return done.get();
  }

  void stopServer() {
    onIo([this] { server_.stop(); });
  }

  io::HttpServerStats stats() {
    return onIo([this] { return server_.stats(); });
  }

  [[nodiscard]] const tcp::endpoint& endpoint() const { return endpoint_; }
  [[nodiscard]] const l1net::metrics::Registry& registry() const { return registry_; }
  void setHealthy(bool h) { healthy_ = h; }

 private:
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_{ioc_.get_executor()};
  l1net::metrics::Registry registry_;
  std::atomic<bool> healthy_{true};
  io::HttpServer server_;
  tcp::endpoint endpoint_;
  std::thread thread_;
};

void setRecvTimeout(tcp::socket& s, int ms) {
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

struct Client {
  explicit Client(const tcp::endpoint& ep) : socket(ioc) {
    socket.connect(ep);
    setRecvTimeout(socket, 5000);
  }
  asio::io_context ioc;
  tcp::socket socket;
  beast::flat_buffer buffer;
};

struct Reply {
  unsigned status = 0;
  std::string content_type;
  std::string allow;
  std::string content_length;
  std::string body;
  bool keep_alive = false;
};

Reply exchange(Client& c, http::verb verb, const std::string& target, std::string body = {},
               unsigned version = 11) {
  http::request<http::string_body> req{verb, target, version};
  req.set(http::field::host, "localhost");
  req.body() = std::move(body);
  req.prepare_payload();
  http::write(c.socket, req);
  http::response_parser<http::string_body> parser;
  parser.skip(verb == http::verb::head);
  http::read(c.socket, c.buffer, parser);
  const auto& res = parser.get();
  return {res.result_int(),
          std::string(res[http::field::content_type]),
          std::string(res[http::field::allow]),
          std::string(res[http::field::content_length]),
          res.body(),
          res.keep_alive()};
}

// Sends raw bytes and returns everything the server writes until it closes.
std::string rawExchange(const tcp::endpoint& ep, const std::string& bytes, bool half_close) {
  Client c(ep);
  asio::write(c.socket, asio::buffer(bytes));
  if (half_close) {
    c.socket.shutdown(tcp::socket::shutdown_send);
  }
  std::string out;
  std::array<char, 4096> buf{};
  for (;;) {
    boost::system::error_code ec;
    const auto n = c.socket.read_some(asio::buffer(buf), ec);
    out.append(buf.data(), n);
    if (ec) {
      break;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("HttpServer answers routes") {
  ServerFixture f;
  const std::string metrics_ct = "text/plain; version=0.0.4; charset=utf-8";
  const std::string metrics_body = f.registry().encode();
  struct Case {
    const char* name;
    http::verb verb;
    std::string target;
    std::string body;
    unsigned want_status;
    std::string want_body;  // exact
    std::string want_content_type;
    std::string want_allow;
  };
  const std::vector<Case> cases = {
      {"metrics", http::verb::get, "/metrics", "", 200, metrics_body, metrics_ct, ""},
      {"metrics with query", http::verb::get, "/metrics?x=1", "", 200, metrics_body, metrics_ct,
       ""},
      {"healthz", http::verb::get, "/healthz", "", 200, "ok\n", "text/plain; charset=utf-8", ""},
      {"unknown path", http::verb::get, "/nope", "", 404, "not found\n",
       "text/plain; charset=utf-8", ""},
      {"POST on metrics", http::verb::post, "/metrics", "x", 405, "method not allowed\n",
       "text/plain; charset=utf-8", "GET, HEAD"},
      {"DELETE on healthz", http::verb::delete_, "/healthz", "", 405, "method not allowed\n",
       "text/plain; charset=utf-8", "GET, HEAD"},
      {"GET on POST-only route", http::verb::get, "/echo", "", 405, "method not allowed\n",
       "text/plain; charset=utf-8", "POST"},
      {"POST route gets method, target and body", http::verb::post, "/echo?q", "hi", 201,
       "POST /echo?q hi", "text/plain", ""},
      {"handler throws", http::verb::get, "/boom", "", 500, "internal server error\n",
       "text/plain; charset=utf-8", ""},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      Client client(f.endpoint());
      const auto got = exchange(client, c.verb, c.target, c.body);
      CHECK(got.status == c.want_status);
      CHECK(got.body == c.want_body);
      CHECK(got.content_type == c.want_content_type);
      CHECK(got.allow == c.want_allow);
    }
  }
}

TEST_CASE("HttpServer HEAD and health toggle on one keep-alive connection") {
  ServerFixture f;
  Client client(f.endpoint());
  const auto head = exchange(client, http::verb::head, "/metrics");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.content_length == std::to_string(f.registry().encode().size()));

  f.setHealthy(false);
  const auto sick = exchange(client, http::verb::get, "/healthz");
  CHECK(sick.status == 503);
  CHECK(sick.body == "unhealthy\n");
  f.setHealthy(true);
  CHECK(exchange(client, http::verb::get, "/healthz").status == 200);
  CHECK(exchange(client, http::verb::get, "/nope").keep_alive);

  const auto stats = f.stats();
  CHECK(stats.connections == 1);  // four requests on one connection
  CHECK(stats.requests == 4);
}

// Found by http_request_fuzz: a HEAD answered 404/405/500 carried its body, which a keep-alive
// client then reads as the start of the next response.
TEST_CASE(
    "HttpServer: no body in any answer to HEAD, so the next response on the connection is intact") {
  ServerFixture f;
  struct Case {
    const char* name;
    const char* target;
    const char* status_line;
  };
  const std::vector<Case> cases = {
      {"404", "/nope", "HTTP/1.1 404 Not Found\r\n"},
      {"200", "/metrics", "HTTP/1.1 200 OK\r\n"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto out = rawExchange(f.endpoint(),
                                   std::string("HEAD ") + c.target +
                                       " HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\n"
                                       "Host: x\r\nConnection: close\r\n\r\n",
                                   false);
      INFO(out);
      CHECK(out.starts_with(c.status_line));
      const auto end_of_head = out.find("\r\n\r\n");
      REQUIRE(end_of_head != std::string::npos);
      CHECK(out.substr(end_of_head + 4).starts_with("HTTP/1.1 200 OK\r\n"));
      CHECK(out.ends_with("\r\n\r\nok\n"));
    }
  }
}

TEST_CASE("HttpServer HTTP/1.0 closes after the response") {
  ServerFixture f;
  const auto out = rawExchange(f.endpoint(), "GET /healthz HTTP/1.0\r\n\r\n", false);
  CHECK(out.starts_with("HTTP/1.0 200 OK\r\n"));
  CHECK(out.ends_with("\r\n\r\nok\n"));
}

TEST_CASE("HttpServer survives garbage") {
  ServerFixture f;
  struct Case {
    const char* name;
    std::string bytes;
    bool half_close;
    std::string want_prefix;  // "" = closed without a response
  };
  const std::vector<Case> cases = {
      {"binary (TLS ClientHello)", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),
       false, "HTTP/1.1 400 Bad Request\r\n"},
      {"nul bytes", std::string("\0\0\0\0\r\n\r\n", 8), false, "HTTP/1.1 400 Bad Request\r\n"},
      {"bad version", "GET / HTTP/9\r\n\r\n", false, "HTTP/1.1 400 Bad Request\r\n"},
      {"bad header line", "GET / HTTP/1.1\r\nno colon here\r\n\r\n", false,
       "HTTP/1.1 400 Bad Request\r\n"},
      {"header too large", "GET / HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n",
       false, "HTTP/1.1 431 "},
      {"body too large", "POST /echo HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n", false,
       "HTTP/1.1 413 Payload Too Large\r\n"},
      {"bad content length", "POST /echo HTTP/1.1\r\nContent-Length: -5\r\n\r\n", false,
       "HTTP/1.1 400 Bad Request\r\n"},
      {"partial request then close", "GET /metr", true, ""},
      {"immediate close", "", true, ""},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto out = rawExchange(f.endpoint(), c.bytes, c.half_close);
      CHECK(f.stats().bad_requests == (c.want_prefix.empty() ? 0U : 1U));
      if (c.want_prefix.empty()) {
        CHECK(out.empty());
      } else {
        CHECK(out.substr(0, c.want_prefix.size()) == c.want_prefix);
        CHECK(out.find("Connection: close") != std::string::npos);
      }
      Client after(f.endpoint());  // still serving
      CHECK(exchange(after, http::verb::get, "/healthz").status == 200);
    }
  }
}

TEST_CASE("HttpServer closes idle connections") {
  io::HttpServerOptions opts;
  opts.idle_timeout = std::chrono::milliseconds(150);
  ServerFixture f(opts);
  const auto start = std::chrono::steady_clock::now();
  const auto out = rawExchange(f.endpoint(), "", false);  // connect, say nothing
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(out.empty());
  CHECK(waited >= std::chrono::milliseconds(100));
  CHECK(waited < std::chrono::milliseconds(3000));
  CHECK(f.stats().timeouts == 1);
}

TEST_CASE("HttpServer limits connections: a new one evicts the oldest idle one") {
  io::HttpServerOptions opts;
  opts.max_connections = 1;
  ServerFixture f(opts);
  Client first(f.endpoint());
  CHECK(exchange(first, http::verb::get, "/healthz").status == 200);
  const auto out =
      rawExchange(f.endpoint(), "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", false);
  CHECK(out.starts_with("HTTP/1.1 200"));
  CHECK(f.stats().evicted == 1);
  CHECK(f.stats().rejected == 0);
  // The evicted keep-alive connection was closed by the server.
  boost::system::error_code ec;
  std::array<char, 16> buf{};
  first.socket.read_some(asio::buffer(buf), ec);
  CHECK(ec);
}

TEST_CASE("HttpServer: a request trickled byte by byte is cut at request_timeout (slowloris)") {
  io::HttpServerOptions opts;
  opts.request_timeout = std::chrono::milliseconds(300);
  ServerFixture f(opts);
  Client c(f.endpoint());
  asio::write(c.socket, asio::buffer(std::string("GET /metrics HTTP/1.1\r\nX-Slow: ")));
  const auto start = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  while (!ec && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    asio::write(c.socket, asio::buffer(std::string("a")), ec);  // the peer still sends
  }
  const auto held = std::chrono::steady_clock::now() - start;
  CHECK(ec);  // the server closed it although bytes kept coming
  CHECK(held < std::chrono::seconds(2));
  CHECK(f.stats().timeouts == 1);
}

TEST_CASE("HttpServer: 200 slow connections, every scrape served (issue 8 #11)") {
  ServerFixture f;  // defaults: 64 connections, 16 per client, 5 s request deadline
  std::atomic<bool> done{false};
  std::atomic<int> slow_open{0};
  std::atomic<int> reconnects{0};
  // The attacker: 200 connections from 127.0.0.1, each trickling one header byte in turn.
  std::thread attacker([&] {
    asio::io_context ioc;
    std::vector<std::unique_ptr<tcp::socket>> socks;
    const auto open_one = [&] {
      auto s = std::make_unique<tcp::socket>(ioc);
      boost::system::error_code ec;
      s->connect(f.endpoint(), ec);
      if (!ec) {
        asio::write(*s, asio::buffer(std::string("GET /metrics HTTP/1.1\r\nX-Slow: ")), ec);
      }
      return s;
    };
    for (int i = 0; i < 200; ++i) {
      socks.push_back(open_one());
    }
    slow_open = 200;
    while (!done) {
      for (auto& s : socks) {
        if (done) {
          break;
        }
        boost::system::error_code ec;
        asio::write(*s, asio::buffer(std::string("a")), ec);
        if (ec) {  // evicted or cut: come back at once, as an attacker would
          s = open_one();
          ++reconnects;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
  });
  while (slow_open < 200) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  int served = 0;
  int failed = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  while (std::chrono::steady_clock::now() < until) {
    const auto out =
        rawExchange(f.endpoint(), "GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n", false);
    if (out.starts_with("HTTP/1.1 200") && out.find("l1net_test_up") != std::string::npos) {
      ++served;
    } else {
      ++failed;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  done = true;
  attacker.join();
  MESSAGE("scrapes served " << served << ", failed " << failed << ", attacker reconnects "
                            << reconnects.load() << ", evicted " << f.stats().evicted);
  CHECK(failed == 0);
  CHECK(served > 50);
  CHECK(f.stats().evicted > 0);
}

TEST_CASE("HttpServer::stop closes open connections") {
  ServerFixture f;
  Client client(f.endpoint());
  CHECK(exchange(client, http::verb::get, "/healthz").status == 200);
  f.stopServer();
  std::array<char, 16> buf{};
  boost::system::error_code ec;
  client.socket.read_some(asio::buffer(buf), ec);
  CHECK(ec == asio::error::eof);
  asio::io_context cio;
  tcp::socket late(cio);
  boost::system::error_code connect_ec;
  late.connect(f.endpoint(), connect_ec);
  CHECK(connect_ec == asio::error::connection_refused);
}

TEST_CASE("HttpServer::listen") {
  asio::io_context ioc;
  io::HttpServer server(ioc.get_executor(), io::makeLogger("test.http"));
  struct Case {
    const char* name;
    const char* addr;
    Errc want;
  };
  const std::vector<Case> cases = {
      {"hostname", "localhost:7472", Errc::kInvalidAddress},
      {"no port", "127.0.0.1", Errc::kInvalidArgument},
      {"port too big", "127.0.0.1:70000", Errc::kInvalidArgument},
      {"unbracketed v6", "::1:7472", Errc::kInvalidAddress},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto got = server.listen(c.addr);
      REQUIRE_FALSE(got.has_value());
      CHECK(got.error() == make_error_code(c.want));
    }
  }
  SUBCASE("ephemeral port and address in use") {
    const auto first = server.listen("127.0.0.1:0");
    REQUIRE(first.has_value());
    CHECK(first->port() != 0);
    const auto again = server.listen("127.0.0.1:" + std::to_string(first->port()));
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error() == asio::error::address_in_use);
  }
  SUBCASE("any address") {
    const auto got = server.listen(":0");
    REQUIRE(got.has_value());
    CHECK(got->address().is_unspecified());
  }
  server.stop();
  ioc.run();  // accept loops finish
}
