// A small HTTP/1.1 server for /metrics and /healthz (Boost.Beast, C++20 coroutines).
//
// Contract:
//  - Runs on the executor it is given; route(), listen(), stop() and the handlers all run on that
//    executor's thread (daemons run one io_context thread). Not thread-safe otherwise.
//  - Handlers are plain functions from HttpRequest to HttpResponse; an exception from a handler
//    becomes a 500. Handlers are never called after stop().
//  - Keep-alive per HTTP/1.1 rules; 404 for unknown paths; 405 (with Allow) for a method the
//    route does not accept (a GET route also answers HEAD); 400 for unparsable bytes, 431/413
//    for oversized headers/bodies, each followed by closing the connection.
//  - Slowloris: a new connection must start its request within request_timeout, and once a
//    request has started all of it must arrive within request_timeout (a few seconds), else the
//    connection is closed; a kept-alive connection may wait idle_timeout for its next request.
//    A new connection beyond max_connections_per_client (same peer address) or max_connections
//    evicts the oldest idle one (of that peer, else of all) instead of being refused, so a normal
//    scrape is always served; it is refused only when every connection is busy answering.
//  - Every handled error bumps a counter in stats() and logs one debug line (a port scanner must
//    not flood the journal).
//  - stop() (also run by the destructor) closes the listeners and every open connection.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "l1net/error.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace l1net::metrics {
class Registry;
}  // namespace l1net::metrics

namespace l1net::io {

struct HttpRequest {
  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // origin-form, query included: "/metrics?x=1"
  std::string body;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 64 * 1024;
  std::chrono::milliseconds idle_timeout{30'000};    // kept-alive wait for the next request
  std::chrono::milliseconds request_timeout{5'000};  // first byte, then the whole request
  std::size_t max_connections = 64;
  std::size_t max_connections_per_client = 16;
};

struct HttpServerStats {
  std::uint64_t connections = 0;     // accepted and served
  std::uint64_t requests = 0;        // well-formed requests answered (any status)
  std::uint64_t bad_requests = 0;    // unparsable or oversized: answered 400/413/431, closed
  std::uint64_t timeouts = 0;        // closed by idle_timeout or request_timeout
  std::uint64_t rejected = 0;        // closed on accept: full and every connection busy
  std::uint64_t evicted = 0;         // idle connections closed to make room for a new one
  std::uint64_t io_errors = 0;       // accept/read/write failures other than the above
  std::uint64_t handler_errors = 0;  // handler threw: answered 500
};

class HttpServer {
 public:
  HttpServer(boost::asio::any_io_executor ex, std::shared_ptr<spdlog::logger> logger,
             HttpServerOptions opts = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Serves `path` (exact match on the path part of the target) for `methods`.
  // Registering a path again replaces its handler.
  void route(std::string path, HttpHandler handler, std::vector<std::string> methods = {"GET"});

  // Starts accepting on `addr` (see parseHostPort: "127.0.0.1:7472", "[::1]:0", ":7472").
  // Returns the bound endpoint (with the real port when 0 was asked). May be called more than
  // once to listen on several addresses. Errors: parse errors from parseHostPort, or the
  // open/bind/listen error from the OS (e.g. address in use).
  [[nodiscard]] Result<boost::asio::ip::tcp::endpoint> listen(std::string_view addr);

  void stop();

  [[nodiscard]] const HttpServerStats& stats() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Mounts GET /metrics (registry.encode(), Content-Type "text/plain; version=0.0.4;
// charset=utf-8") and GET /healthz (200 "ok" when healthy() returns true, else 503 "unhealthy";
// an empty healthy means always healthy). When `problem` is set and returns a non-empty line
// (e.g. FileObjectSource::healthProblem), /healthz is 503 "unhealthy: <line>" whatever healthy()
// says. `registry` must outlive the server's use of it.
void serveMetrics(HttpServer& server, const metrics::Registry& registry,
                  std::function<bool()> healthy = {}, std::function<std::string()> problem = {});

}  // namespace l1net::io
