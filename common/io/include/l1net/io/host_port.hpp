// Listen-address parsing for --metrics-addr style flags.
#pragma once

#include <string_view>

#include <boost/asio/ip/tcp.hpp>

#include "l1net/error.hpp"

namespace l1net::io {

// Parses "HOST:PORT" with a numeric host: "127.0.0.1:7472", "0.0.0.0:7473", "[::1]:7472",
// "[fe80::1%eth0]:80". An empty host (":7472") means every address and yields "[::]:PORT";
// HttpServer::listen() opens that dual-stack and falls back to 0.0.0.0 without IPv6.
// Port 0..65535 (0 = ephemeral). Pure; no name resolution.
// Errors: Errc::kInvalidAddress (host is not an IP literal, or an IPv6 literal without
// brackets), Errc::kInvalidArgument (missing or bad port, trailing text).
[[nodiscard]] Result<boost::asio::ip::tcp::endpoint> parseHostPort(std::string_view text);

}  // namespace l1net::io
