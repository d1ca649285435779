// libFuzzer target: the bytes of one connection through l1net's own HTTP request handling
// (common/io/src/http_dispatch.hpp, what HttpServer's session runs): requests parsed with the
// server's limits (limitRequestParser), fed in pieces whose size comes from the first byte (as a
// socket trickles them), pipelined requests answered in turn by the server's router (routes as
// serveMetrics mounts them, plus a POST route and a throwing one), a parse error answered as the
// server answers it (parseErrorStatus/parseErrorResponse) and ending the connection. Every
// response is serialised as the session writes it. Never crashes; statuses stay in the set the
// server may send; a request it accepts respects the limits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "http_dispatch.hpp"

namespace {

namespace http = boost::beast::http;
namespace detail = l1net::io::detail;

const detail::HttpRouter& router() {
  static const detail::HttpRouter kRouter = [] {
    detail::HttpRouter r;
    r.route("/metrics",
            [](const l1net::io::HttpRequest&) {
              return l1net::io::HttpResponse{.body = "l1net_up 1\n"};
            },
            {"GET"});
    r.route("/healthz",
            [](const l1net::io::HttpRequest&) {
              return l1net::io::HttpResponse{.status = 503, .body = "unhealthy\n"};
            },
            {"GET"});
    r.route(
        "/echo",
        [](const l1net::io::HttpRequest& req) {
          return l1net::io::HttpResponse{.body = req.method + " " + req.target + " " + req.body};
        },
        {"POST", "PUT"});
    r.route("/boom",
            [](const l1net::io::HttpRequest&) -> l1net::io::HttpResponse {
              throw std::runtime_error("handler failed");
            },
            {"GET"});
    return r;
  }();
  return kRouter;
}

spdlog::logger& quietLogger() {
  static spdlog::logger logger("fuzz", std::make_shared<spdlog::sinks::null_sink_mt>());
  return logger;
}

void serialise(detail::HttpResponseMessage& res) {
  http::serializer<false, http::string_body> sr(res);
  boost::beast::error_code ec;
  while (!sr.is_done()) {
    sr.next(ec, [&sr](boost::beast::error_code&, const auto& buffers) {
      sr.consume(boost::asio::buffer_size(buffers));
    });
    if (ec) {
      std::abort();
    }
  }
}

bool allowedStatus(unsigned s) { return s == 200 || s == 404 || s == 405 || s == 500 || s == 503; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) {
    return 0;
  }
  const std::size_t piece = 1 + data[0] % 64;  // first byte: how the bytes trickle in
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  const l1net::io::HttpServerOptions opts;  // the daemons' limits
  l1net::io::HttpServerStats stats;
  std::string buffer;  // read but not consumed yet: carried over to the next request
  std::size_t fed = 0;
  for (int requests = 0; requests < 64; ++requests) {
    detail::HttpRequestParser parser;
    detail::limitRequestParser(parser, opts);
    parser.eager(true);
    boost::beast::error_code ec;
    while (!parser.is_done()) {
      if (!buffer.empty()) {
        const auto used = parser.put(boost::asio::buffer(buffer), ec);
        buffer.erase(0, used);
        if (ec == http::error::need_more) {
          ec = {};
        } else if (ec) {
          break;
        }
        if (parser.is_done()) {
          break;
        }
      }
      if (fed >= bytes.size()) {
        parser.put_eof(ec);  // the peer closed
        if (!ec && !parser.is_done()) {
          ec = http::error::partial_message;
        }
        break;
      }
      const auto chunk = bytes.substr(fed, piece);
      fed += chunk.size();
      buffer.append(chunk);
    }
    if (ec) {
      if (ec == http::error::end_of_stream ||
          (ec == http::error::partial_message && buffer.empty() && !parser.got_some())) {
        return 0;  // closed between requests
      }
      const unsigned status = detail::parseErrorStatus(ec);
      if (status != 0) {
        if (status != 400 && status != 413 && status != 431) {
          std::abort();
        }
        auto res = detail::parseErrorResponse(status);
        if (res.keep_alive()) {
          std::abort();  // an error ends the connection
        }
        serialise(res);
      }
      return 0;
    }
    const auto req = parser.release();
    if (req.body().size() > opts.max_body_bytes) {
      std::abort();
    }
    auto res = router().handle(req, stats, quietLogger());
    if (!allowedStatus(res.result_int())) {
      std::abort();
    }
    if (req.method() == http::verb::head && !res.body().empty()) {
      std::abort();
    }
    serialise(res);
    if (!res.keep_alive()) {
      return 0;
    }
  }
  return 0;
}
