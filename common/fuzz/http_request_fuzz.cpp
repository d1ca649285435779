// libFuzzer target: Boost.Beast's HTTP/1.1 request parser exactly as l1net's metrics/health
// server configures it (8 KiB header limit, 64 KiB body limit), fed the bytes in pieces whose
// sizes come from the input (as a socket delivers them). Never crashes or reads out of bounds; a
// request it accepts respects the limits.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace http = boost::beast::http;
  if (size < 1) {
    return 0;
  }
  const std::size_t piece = 1 + data[0] % 64;  // first byte: how the bytes trickle in
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  http::request_parser<http::string_body> parser;
  parser.header_limit(8 * 1024);
  parser.body_limit(64 * 1024);
  parser.eager(true);
  std::string_view pending;
  std::size_t fed = 0;
  boost::beast::error_code ec;
  std::string buffer;  // what the parser has not consumed yet
  while (!parser.is_done() && fed < bytes.size()) {
    const auto chunk = bytes.substr(fed, piece);
    fed += chunk.size();
    buffer.append(chunk);
    const auto used = parser.put(boost::asio::buffer(buffer), ec);
    if (ec == http::error::need_more) {
      ec = {};
    }
    if (ec) {
      return 0;
    }
    buffer.erase(0, used);
  }
  if (parser.is_done()) {
    const auto& req = parser.get();
    if (req.body().size() > 64 * 1024 || req.target().size() > 8 * 1024) {
      std::abort();
    }
    (void)req.keep_alive();
    (void)req.method_string();
  }
  (void)pending;
  return 0;
}
