#include "l1net/io/host_port.hpp"

#include <charconv>
#include <cstdint>
#include <string>

#include <boost/asio/ip/address.hpp>

namespace l1net::io {

Result<boost::asio::ip::tcp::endpoint> parseHostPort(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      return Errc::kInvalidAddress;
    }
    host = text.substr(1, close - 1);
    const auto rest = text.substr(close + 1);
    if (!rest.starts_with(':')) {
      return Errc::kInvalidArgument;
    }
    port = rest.substr(1);
    if (host.find(':') == std::string_view::npos) {
      return Errc::kInvalidAddress;  // brackets are for IPv6 only
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return Errc::kInvalidArgument;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return Errc::kInvalidAddress;  // IPv6 needs brackets
    }
  }
  std::uint16_t port_num = 0;
  if (port.empty() || port.size() > 5) {
    return Errc::kInvalidArgument;
  }
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), port_num);
  if (ec != std::errc{} || end != port.data() + port.size()) {
    return Errc::kInvalidArgument;
  }
  if (host.empty()) {
    return boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v6::any(), port_num);
  }
  boost::system::error_code aec;
  const auto addr = boost::asio::ip::make_address(std::string(host), aec);
  if (aec) {
    return Errc::kInvalidAddress;
  }
  return boost::asio::ip::tcp::endpoint(addr, port_num);
}

}  // namespace l1net::io
