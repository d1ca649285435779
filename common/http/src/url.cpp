#include "l1net/http/url.hpp"

#include <array>
#include <charconv>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace l1net::http {

namespace {

bool isUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool isDefaultPort(const Url& u) { return u.port == (u.tls ? 443 : 80); }

std::string bracketed(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

std::string Url::hostHeader() const {
  auto h = bracketed(host);
  if (!isDefaultPort(*this)) {
    h += ":" + std::to_string(port);
  }
  return h;
}

std::string Url::origin() const { return (tls ? "https://" : "http://") + hostHeader(); }

Result<Url> parseUrl(std::string_view text) {
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) {
    return Errc::kInvalidArgument;
  }
  const auto& v = *parsed;
  Url u;
  if (v.scheme() == "https") {
    u.tls = true;
  } else if (v.scheme() != "http") {
    return Errc::kInvalidArgument;
  }
  if (v.has_userinfo() || v.has_query() || v.has_fragment() || !v.has_authority()) {
    return Errc::kInvalidArgument;
  }
  switch (v.host_type()) {
    case boost::urls::host_type::ipv6:
      u.host = std::string(v.encoded_host_address());
      break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::name:
      u.host = std::string(v.host());
      break;
    default:
      return Errc::kInvalidArgument;
  }
  if (u.host.empty()) {
    return Errc::kInvalidArgument;
  }
  if (v.has_port()) {
    const auto p = v.port();
    unsigned value = 0;
    const auto* end = p.data() + p.size();
    const auto [ptr, ec] = std::from_chars(p.data(), end, value);
    if (p.empty() || ec != std::errc{} || ptr != end || value == 0 || value > 65535) {
      return Errc::kInvalidArgument;
    }
    u.port = static_cast<std::uint16_t>(value);
  } else {
    u.port = u.tls ? 443 : 80;
  }
  std::string path(v.encoded_path());
  while (!path.empty() && path.back() == '/') {
    path.pop_back();
  }
  u.base_path = std::move(path);
  return u;
}

std::string percentEncode(std::string_view in) {
  static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
  std::string out;
  out.reserve(in.size());
  for (const char c : in) {
    if (isUnreserved(c)) {
      out.push_back(c);
      continue;
    }
    const auto b = static_cast<unsigned char>(c);
    out.push_back('%');
    out.push_back(kHex[b >> 4U]);
    out.push_back(kHex[b & 0xFU]);
  }
  return out;
}

Result<std::string> percentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) {
        return Errc::kMalformed;
      }
      const int hi = hexValue(in[i + 1]);
      const int lo = hexValue(in[i + 2]);
      if (hi < 0 || lo < 0) {
        return Errc::kMalformed;
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace l1net::http
