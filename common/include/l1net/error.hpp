// Error codes shared by every l1net library. Parsers of untrusted bytes, syscalls and I/O return
// l1net::Result<T>; the error is a boost::system::error_code so Asio errors pass through unchanged.
#pragma once

#include <system_error>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

namespace l1net {

enum class Errc {
  kTruncated = 1,    // input ends before the structure does
  kUnsupported,      // well-formed but not a kind we handle (hardware type, opcode, ...)
  kMalformed,        // a field holds an impossible value
  kBadChecksum,      // checksum does not match
  kInvalidAddress,   // not an IPv4/IPv6 address
  kInvalidCidr,      // not a valid prefix
  kInvalidRange,     // not a valid a-b range, or start after end
  kInvalidMac,       // not a MAC address
  kFamilyMismatch,   // address family differs from what is required
  kUnknownPool,      // named pool does not exist
  kPoolExhausted,    // no free address left
  kConflict,         // request conflicts with an existing state
  kNotFound,         // the object does not exist
  kInvalidArgument,  // a caller-supplied value is out of its domain
};

// NOLINTNEXTLINE(readability-identifier-naming): ADL hook, name fixed by <system_error>
std::error_code make_error_code(Errc e) noexcept;
const std::error_category& l1netCategory() noexcept;

template <class T>
using Result = boost::system::result<T>;

}  // namespace l1net

template <>
struct std::is_error_code_enum<l1net::Errc> : std::true_type {};
