#include "l1net/http/client.hpp"

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

#include "l1net/testing/doctest.hpp"
#include "l1net/testing/http_test_server.hpp"
#include "l1net/testing/run_coro.hpp"
#include "l1net/testing/temp_dir.hpp"

namespace asio = boost::asio;
namespace http = l1net::http;
using l1net::testing::HttpTestServer;
using l1net::testing::TestRequest;
using l1net::testing::TestResponse;
using namespace std::chrono_literals;

namespace {

template <class T>
T runCoro(asio::io_context& ioc, asio::awaitable<T> aw) {
  return l1net::testing::runCoro(ioc, std::move(aw), 15s);
}

TestResponse echo(const TestRequest& r) {
  TestResponse res;
  res.status = r.target.ends_with("/missing") ? 404 : 200;
  res.headers = {{"Content-Type", "text/plain"}, {"X-Seen-Token", r.header("X-Token")}};
  res.body = r.method + " " + r.target + " len=" + r.header("Content-Length") + " " + r.body;
  return res;
}

std::shared_ptr<http::Client> makeClient(asio::io_context& ioc, const std::string& url,
                                         http::ClientOptions opts = {}) {
  auto c = http::Client::create(ioc.get_executor(), url, std::move(opts));
  REQUIRE(c.has_value());
  return *c;
}

}  // namespace

TEST_CASE("http::parseUrl") {
  struct Case {
    const char* name;
    const char* in;
    bool ok;
    bool tls;
    const char* host;
    unsigned port;
    const char* base;
  };
  const Case cases[] = {
      {"http default port", "http://192.0.2.1", true, false, "192.0.2.1", 80, ""},
      {"https default port", "https://pi.hole/", true, true, "pi.hole", 443, ""},
      {"explicit port and prefix", "https://api.example:6443/k8s/c-1/", true, true, "api.example",
       6443, "/k8s/c-1"},
      {"ipv6 literal", "http://[2001:db8::1]:8080", true, false, "2001:db8::1", 8080, ""},
      {"other scheme", "ftp://x", false, false, "", 0, ""},
      {"no scheme", "192.0.2.1:80", false, false, "", 0, ""},
      {"query rejected", "http://x/?a=1", false, false, "", 0, ""},
      {"userinfo rejected", "http://u:p@x/", false, false, "", 0, ""},
      {"port zero", "http://x:0", false, false, "", 0, ""},
      {"port too big", "http://x:70000", false, false, "", 0, ""},
      {"empty host", "http:///a", false, false, "", 0, ""},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto u = http::parseUrl(c.in);
      REQUIRE(u.has_value() == c.ok);
      if (c.ok) {
        CHECK(u->tls == c.tls);
        CHECK(u->host == c.host);
        CHECK(u->port == c.port);
        CHECK(u->base_path == c.base);
      }
    }
  }
  CHECK(http::parseUrl("http://[2001:db8::1]:8080")->hostHeader() == "[2001:db8::1]:8080");
  CHECK(http::parseUrl("https://pi.hole:443")->origin() == "https://pi.hole");
}

TEST_CASE("http::percentEncode and percentDecode") {
  CHECK(http::percentEncode("192.0.2.7 a.example.com") == "192.0.2.7%20a.example.com");
  CHECK(http::percentEncode("a,b/c+d~_-.") == "a%2Cb%2Fc%2Bd~_-.");
  CHECK(http::percentEncode("\xC3\xA9") == "%C3%A9");
  CHECK(http::percentDecode("a%20b+c", true).value() == "a b c");
  CHECK(http::percentDecode("a%20b+c", false).value() == "a b+c");
  CHECK(http::percentDecode("%2c%2C", false).value() == ",,");
  CHECK_FALSE(http::percentDecode("%2", false).has_value());
  CHECK_FALSE(http::percentDecode("%zz", false).has_value());
  const std::string all = "x y,z/\x01\xFF";
  CHECK(http::percentDecode(http::percentEncode(all), false).value() == all);
}

TEST_CASE("http::Client request, status, headers, body and connection reuse") {
  asio::io_context ioc;
  HttpTestServer server(ioc.get_executor(), echo);
  auto client = makeClient(ioc, server.url() + "/base/");

  auto res = runCoro(ioc, client->request({.method = "POST",
                                           .target = "/api/auth",
                                           .headers = {{"X-Token", "t1"}},
                                           .body = R"({"password":"x"})"}));
  REQUIRE(res.has_value());
  CHECK(res->status == 200);
  CHECK(res->body == R"(POST /base/api/auth len=16 {"password":"x"})");
  CHECK(http::findHeader(res->headers, "x-seen-token").value() == "t1");
  CHECK(http::findHeader(res->headers, "CONTENT-TYPE").value() == "text/plain");
  CHECK_FALSE(http::findHeader(res->headers, "X-Absent").has_value());

  SUBCASE("a non-2xx status is a response, not an error") {
    auto nf = runCoro(ioc, client->request({.target = "/missing"}));
    REQUIRE(nf.has_value());
    CHECK(nf->status == 404);
  }
  SUBCASE("a body-less DELETE carries no Content-Length") {
    auto del = runCoro(ioc, client->request({.method = "DELETE", .target = "/x"}));
    REQUIRE(del.has_value());
    CHECK(del->body == "DELETE /base/x len= ");
  }
  SUBCASE("keep-alive: many requests, one connection") {
    for (int i = 0; i < 5; ++i) {
      REQUIRE(runCoro(ioc, client->request({.target = "/n"})).has_value());
    }
    CHECK(server.connections() == 1);
    CHECK(client->stats().connections_opened == 1);
  }
  SUBCASE("Connection: close from the server opens a new connection next time") {
    server.setHandler(
        [](const TestRequest&) { return TestResponse{.body = "bye", .close = true}; });
    REQUIRE(runCoro(ioc, client->request({})).has_value());
    REQUIRE(runCoro(ioc, client->request({})).has_value());
    CHECK(server.connections() == 2);
    CHECK(client->stats().retries == 0);
  }
  SUBCASE("an idle connection closed by the server is retried once, transparently") {
    server.closeConnections();
    ioc.run_for(20ms);
    auto again = runCoro(ioc, client->request({.target = "/again"}));
    REQUIRE(again.has_value());
    CHECK(again->body == "GET /base/again len= ");
    CHECK(server.connections() == 2);
  }
}

TEST_CASE("http::Client reads chunked bodies whole") {
  asio::io_context ioc;
  HttpTestServer server(ioc.get_executor(), [](const TestRequest&) {
    return TestResponse{.chunks = {"{\"a\":", "1}", "\n"}, .chunk_delay = 5ms};
  });
  auto client = makeClient(ioc, server.url());
  auto res = runCoro(ioc, client->request({}));
  REQUIRE(res.has_value());
  CHECK(res->body == "{\"a\":1}\n");
  CHECK(http::findHeader(res->headers, "Transfer-Encoding").value() == "chunked");
}

TEST_CASE("http::Client errors") {
  asio::io_context ioc;
  SUBCASE("timeout: the server answers too late") {
    HttpTestServer server(ioc.get_executor(),
                          [](const TestRequest&) { return TestResponse{.delay = 400ms}; });
    auto client = makeClient(ioc, server.url(), {.request_timeout = 100ms});
    const auto start = std::chrono::steady_clock::now();
    auto res = runCoro(ioc, client->request({}));
    REQUIRE_FALSE(res.has_value());
    CHECK(res.error() == boost::beast::error::timeout);
    CHECK(std::chrono::steady_clock::now() - start < 390ms);
    CHECK(client->stats().errors == 1);
    // A per-request timeout overrides the client's.
    auto slow_ok = runCoro(ioc, client->request({.timeout = 2s}));
    CHECK(slow_ok.has_value());
  }
  SUBCASE("connection refused") {
    asio::ip::tcp::acceptor probe(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = probe.local_endpoint().port();
    probe.close();
    auto client = makeClient(ioc, "http://127.0.0.1:" + std::to_string(port));
    auto res = runCoro(ioc, client->request({}));
    REQUIRE_FALSE(res.has_value());
    CHECK(res.error() == asio::error::connection_refused);
  }
  SUBCASE("a fresh connection dropped without an answer is not retried") {
    HttpTestServer server(ioc.get_executor(),
                          [](const TestRequest&) { return TestResponse{.drop = true}; });
    auto client = makeClient(ioc, server.url());
    auto res = runCoro(ioc, client->request({}));
    REQUIRE_FALSE(res.has_value());
    CHECK(server.requests() == 1);
    CHECK(client->stats().retries == 0);
  }
  SUBCASE("a body over max_body_bytes") {
    HttpTestServer server(ioc.get_executor(), [](const TestRequest&) {
      return TestResponse{.body = std::string(100, 'x')};
    });
    auto client = makeClient(ioc, server.url(), {.max_body_bytes = 10});
    auto res = runCoro(ioc, client->request({}));
    REQUIRE_FALSE(res.has_value());
    CHECK(res.error() == boost::beast::http::error::body_limit);
  }
  SUBCASE("bad URL") {
    CHECK_FALSE(http::Client::create(ioc.get_executor(), "gopher://x").has_value());
  }
  SUBCASE("unreadable CA file") {
    CHECK_FALSE(http::Client::create(ioc.get_executor(), "https://127.0.0.1:1",
                                     {.tls = {.ca_file = "/nonexistent/ca.pem"}})
                    .has_value());
  }
}

TEST_CASE("http::Client TLS") {
  asio::io_context ioc;
  const auto id = l1net::testing::makeSelfSignedIdentity("pi.hole");
  HttpTestServer server(ioc.get_executor(), echo, id);
  REQUIRE(server.url().rfind("https://", 0) == 0);
  l1net::testing::TempDir dir;
  const auto ca_file = dir.write("ca.pem", id.cert_pem);

  struct Case {
    const char* name;
    std::string url;
    http::TlsOptions tls;
    bool ok;
  };
  const std::string port = std::to_string(server.port());
  const Case cases[] = {
      {"verified against the CA file (IP SAN)", server.url(), {.ca_file = ca_file}, true},
      {"verified against in-memory PEM", server.url(), {.ca_pem = id.cert_pem}, true},
      {"verified by DNS SAN", "https://localhost:" + port, {.ca_file = ca_file}, true},
      {"verification on by default: unknown issuer fails", server.url(), {}, false},
      {"name mismatch fails",
       server.url(),
       {.ca_file = ca_file, .server_name = "pi.example"},
       false},
      {"skip-verify accepts the unknown certificate", server.url(), {.verify = false}, true},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      auto client = makeClient(ioc, c.url, {.tls = c.tls});
      auto res = runCoro(ioc, client->request({.target = "/tls"}));
      CHECK(res.has_value() == c.ok);
      if (res) {
        CHECK(res->body == "GET /tls len= ");
      }
    }
  }
}

TEST_CASE("http::Client::stream delivers body bytes as they arrive") {
  asio::io_context ioc;
  HttpTestServer server(ioc.get_executor(), [](const TestRequest& r) {
    TestResponse res{.chunks = {"{\"type\":\"ADDED\"}\n", "{\"type\":", "\"MODIFIED\"}\n"},
                     .chunk_delay = 30ms};
    res.hold_open = r.target == "/hold";
    return res;
  });
  auto client = makeClient(ioc, server.url());

  SUBCASE("pieces in order, then end of body") {
    auto st = runCoro(ioc, client->stream({.target = "/watch"}));
    REQUIRE(st.has_value());
    auto& s = **st;
    CHECK(s.status() == 200);
    std::string all;
    int pieces = 0;
    for (;;) {
      auto piece = runCoro(ioc, s.readSome(2s));
      REQUIRE(piece.has_value());
      if (piece->empty()) {
        break;
      }
      ++pieces;
      all += *piece;
    }
    CHECK(all == "{\"type\":\"ADDED\"}\n{\"type\":\"MODIFIED\"}\n");
    CHECK(pieces >= 2);  // chunks 30 ms apart cannot arrive as one piece
    CHECK(runCoro(ioc, s.readSome(1s)).value().empty());
  }
  SUBCASE("idle timeout while the server holds the stream open") {
    auto st = runCoro(ioc, client->stream({.target = "/hold"}));
    REQUIRE(st.has_value());
    std::string all;
    l1net::Result<std::string> piece = std::string();
    for (;;) {
      piece = runCoro(ioc, (*st)->readSome(200ms));
      if (!piece || piece->empty()) {
        break;
      }
      all += *piece;
    }
    CHECK(all.size() == std::string("{\"type\":\"ADDED\"}\n{\"type\":\"MODIFIED\"}\n").size());
    REQUIRE_FALSE(piece.has_value());
    CHECK(piece.error() == boost::beast::error::timeout);
    // Sticky: the next call reports the same error.
    CHECK(runCoro(ioc, (*st)->readSome(200ms)).error() == boost::beast::error::timeout);
  }
  SUBCASE("cancel ends a pending read") {
    auto st = runCoro(ioc, client->stream({.target = "/hold"}));
    REQUIRE(st.has_value());
    (*st)->cancel();
    auto piece = runCoro(ioc, (*st)->readSome(5s));
    CHECK_FALSE(piece.has_value());
  }
}
