// The coroutine-free half of HttpServer (private to l1net::io): the request parser as the server
// configures it, what it answers to a request that failed to parse, and the routing of a parsed
// request to its handler (404, 405 with Allow, HEAD for GET, 500 for a throwing handler). The
// session in http_server.cpp reads and writes; everything it decides about bytes is here, so
// http_request_fuzz drives the same code with bytes from memory.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "l1net/io/http_server.hpp"

namespace l1net::io::detail {

using HttpResponseMessage = boost::beast::http::response<boost::beast::http::string_body>;
using HttpRequestMessage = boost::beast::http::request<boost::beast::http::string_body>;
using HttpRequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// Sets the server's header and body limits on the parser of the next request.
void limitRequestParser(HttpRequestParser& parser, const HttpServerOptions& opts);

// Status answered to a request that failed to parse: 431 header limit, 413 body limit, 400 other
// HTTP syntax errors; 0 when the peer just went away mid-request (nothing is answered).
[[nodiscard]] unsigned parseErrorStatus(const boost::system::error_code& ec);

// The response to a request that failed to parse with `status` (Connection: close).
[[nodiscard]] HttpResponseMessage parseErrorResponse(unsigned status);

[[nodiscard]] HttpResponseMessage makeHttpResponse(unsigned status, unsigned version,
                                                   std::string content_type, std::string body);

// Routes by exact path (the target up to '?' or '#').
class HttpRouter {
 public:
  void route(std::string path, HttpHandler handler, std::vector<std::string> methods);
  // The answer to one parsed request (keep-alive as the request asks; no body for HEAD whatever
  // the status). Bumps stats.requests, and stats.handler_errors when the handler threw (logged
  // at debug on `log`).
  [[nodiscard]] HttpResponseMessage handle(const HttpRequestMessage& req, HttpServerStats& stats,
                                           spdlog::logger& log) const;

 private:
  [[nodiscard]] HttpResponseMessage answer(const HttpRequestMessage& req, HttpServerStats& stats,
                                           spdlog::logger& log) const;
  struct Route {
    HttpHandler handler;
    std::vector<std::string> methods;
  };
  std::map<std::string, Route, std::less<>> routes_;
};

}  // namespace l1net::io::detail
