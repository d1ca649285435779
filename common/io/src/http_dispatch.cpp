#include "http_dispatch.hpp"

#include <algorithm>
#include <exception>
#include <string_view>
#include <utility>

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>
#include <spdlog/spdlog.h>

namespace l1net::io::detail {

namespace http = boost::beast::http;

namespace {

constexpr std::string_view kServerName = "l1net";

std::string_view pathOf(std::string_view target) {
  const auto q = target.find_first_of("?#");
  return q == std::string_view::npos ? target : target.substr(0, q);
}

}  // namespace

void limitRequestParser(HttpRequestParser& parser, const HttpServerOptions& opts) {
  parser.header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));
  parser.body_limit(opts.max_body_bytes);
}

unsigned parseErrorStatus(const boost::system::error_code& ec) {
  if (ec == http::error::header_limit) {
    return 431;
  }
  if (ec == http::error::body_limit || ec == http::error::buffer_overflow) {
    return 413;
  }
  if (ec == http::error::partial_message) {
    return 0;
  }
  if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
    return 400;
  }
  return 0;
}

HttpResponseMessage makeHttpResponse(unsigned status, unsigned version, std::string content_type,
                                     std::string body) {
  HttpResponseMessage res;
  res.result(status);
  res.version(version);
  res.set(http::field::server, kServerName);
  res.set(http::field::content_type, std::move(content_type));
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

HttpResponseMessage parseErrorResponse(unsigned status) {
  auto res = makeHttpResponse(
      status, 11, "text/plain; charset=utf-8",
      std::string(http::obsolete_reason(static_cast<http::status>(status))) + "\n");
  res.keep_alive(false);
  return res;
}

void HttpRouter::route(std::string path, HttpHandler handler, std::vector<std::string> methods) {
  routes_.insert_or_assign(std::move(path), Route{std::move(handler), std::move(methods)});
}

HttpResponseMessage HttpRouter::handle(const HttpRequestMessage& req, HttpServerStats& stats,
                                       spdlog::logger& log) const {
  auto res = answer(req, stats, log);
  res.keep_alive(req.keep_alive());
  if (req.method() == http::verb::head) {
    res.body().clear();  // whatever the status; Content-Length stays that of the GET body
  }
  return res;
}

HttpResponseMessage HttpRouter::answer(const HttpRequestMessage& req, HttpServerStats& stats,
                                       spdlog::logger& log) const {
  ++stats.requests;
  const auto method = std::string(req.method_string());
  const auto path = pathOf(req.target());
  const auto it = routes_.find(path);
  if (it == routes_.end()) {
    return makeHttpResponse(404, req.version(), "text/plain; charset=utf-8", "not found\n");
  }
  const auto& methods = it->second.methods;
  auto allows = [&methods](std::string_view m) {
    return std::find(methods.begin(), methods.end(), m) != methods.end();
  };
  if (!allows(method) && !(method == "HEAD" && allows("GET"))) {
    std::string allow;
    for (const auto& m : methods) {
      allow += allow.empty() ? m : ", " + m;
    }
    if (allows("GET") && !allows("HEAD")) {
      allow += ", HEAD";
    }
    auto res =
        makeHttpResponse(405, req.version(), "text/plain; charset=utf-8", "method not allowed\n");
    res.set(http::field::allow, allow);
    return res;
  }
  HttpResponse out;
  try {
    out = it->second.handler(HttpRequest{method, std::string(req.target()), req.body()});
  } catch (const std::exception& e) {
    ++stats.handler_errors;
    log.debug("http handler for {} failed: {}", path, e.what());
    return makeHttpResponse(500, req.version(), "text/plain; charset=utf-8",
                            "internal server error\n");
  }
  return makeHttpResponse(out.status, req.version(), std::move(out.content_type),
                          std::move(out.body));
}

}  // namespace l1net::io::detail
