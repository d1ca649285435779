// Hex text <-> bytes, for golden vectors in tests.
#pragma once

#include <cctype>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace l1net::testing {

// "3333 ff00 ..." -> bytes; anything that is not a hex digit (spaces, newlines) is skipped, and a
// trailing odd digit is dropped.
inline std::vector<std::uint8_t> hex(std::string_view text) {
  std::vector<std::uint8_t> out;
  int hi = -1;
  for (const char ch : text) {
    if (std::isxdigit(static_cast<unsigned char>(ch)) == 0) {
      continue;
    }
    const int v = std::isdigit(static_cast<unsigned char>(ch)) != 0
                      ? ch - '0'
                      : std::tolower(static_cast<unsigned char>(ch)) - 'a' + 10;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>((hi << 4) | v));
      hi = -1;
    }
  }
  return out;
}

// Bytes -> lower-case hex without separators, as sha256sum prints a digest.
inline std::string hexOf(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const auto b : bytes) {
    out.push_back(kDigits[b >> 4U]);
    out.push_back(kDigits[b & 0x0fU]);
  }
  return out;
}

}  // namespace l1net::testing
