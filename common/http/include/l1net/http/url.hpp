// URLs and percent-encoding for the shared HTTP client. Pure: no sockets, no allocation beyond the
// returned strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "l1net/error.hpp"

namespace l1net::http {

struct Url {
  bool tls = false;        // scheme https
  std::string host;        // "pi.hole", "192.0.2.1", "::1" (no brackets)
  std::uint16_t port = 0;  // explicit or the scheme default (80/443)
  std::string base_path;   // path prefix without trailing '/', "" for none: "/k8s/clusters/c-1"

  // "http://host:port" with brackets around an IPv6 host; the default port is omitted.
  [[nodiscard]] std::string origin() const;
  // The value for the Host header (host plus ":port" unless it is the scheme default).
  [[nodiscard]] std::string hostHeader() const;
};

// Parses an absolute http or https URL. Query, fragment and userinfo are rejected
// (Errc::kInvalidArgument), as are other schemes and empty hosts.
[[nodiscard]] Result<Url> parseUrl(std::string_view text);

// Percent-encodes `in` for use as one path segment: unreserved characters (RFC 3986 ALPHA, DIGIT,
// "-._~") stay, everything else, space and '/' included, becomes %XX (upper-case hex).
[[nodiscard]] std::string percentEncode(std::string_view in);

// Decodes %XX escapes; with `plus_is_space` a '+' becomes a space (form/query semantics).
// A malformed escape ('%' not followed by two hex digits) is Errc::kMalformed.
[[nodiscard]] Result<std::string> percentDecode(std::string_view in, bool plus_is_space);

}  // namespace l1net::http
