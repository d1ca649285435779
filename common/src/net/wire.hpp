// Private big-endian load/store helpers for the packet codecs. Callers check bounds first; these
// helpers use std::span::operator[] on indices the caller has already validated.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "l1net/net/address.hpp"

namespace l1net::net::wire {

inline std::uint16_t load16(std::span<const std::uint8_t> in, std::size_t at) noexcept {
  return static_cast<std::uint16_t>((in[at] << 8U) | in[at + 1]);
}

inline std::uint32_t load32(std::span<const std::uint8_t> in, std::size_t at) noexcept {
  return (std::uint32_t{in[at]} << 24U) | (std::uint32_t{in[at + 1]} << 16U) |
         (std::uint32_t{in[at + 2]} << 8U) | std::uint32_t{in[at + 3]};
}

inline void store16(std::span<std::uint8_t> out, std::size_t at, std::uint16_t v) noexcept {
  out[at] = static_cast<std::uint8_t>(v >> 8U);
  out[at + 1] = static_cast<std::uint8_t>(v & 0xffU);
}

inline void store32(std::span<std::uint8_t> out, std::size_t at, std::uint32_t v) noexcept {
  out[at] = static_cast<std::uint8_t>(v >> 24U);
  out[at + 1] = static_cast<std::uint8_t>((v >> 16U) & 0xffU);
  out[at + 2] = static_cast<std::uint8_t>((v >> 8U) & 0xffU);
  out[at + 3] = static_cast<std::uint8_t>(v & 0xffU);
}

inline MacAddress loadMac(std::span<const std::uint8_t> in, std::size_t at) noexcept {
  MacAddress m;
  for (std::size_t i = 0; i < m.bytes.size(); ++i) {
    m.bytes[i] = in[at + i];
  }
  return m;
}

inline void storeMac(std::span<std::uint8_t> out, std::size_t at, const MacAddress& m) noexcept {
  for (std::size_t i = 0; i < m.bytes.size(); ++i) {
    out[at + i] = m.bytes[i];
  }
}

inline Ipv4Address loadIpv4(std::span<const std::uint8_t> in, std::size_t at) noexcept {
  return Ipv4Address(load32(in, at));
}

inline void storeIpv4(std::span<std::uint8_t> out, std::size_t at, const Ipv4Address& ip) noexcept {
  store32(out, at, ip.to_uint());
}

inline Ipv6Address loadIpv6(std::span<const std::uint8_t> in, std::size_t at) noexcept {
  Ipv6Address::bytes_type b{};
  for (std::size_t i = 0; i < b.size(); ++i) {
    b[i] = in[at + i];
  }
  return Ipv6Address(b);
}

inline void storeIpv6(std::span<std::uint8_t> out, std::size_t at, const Ipv6Address& ip) noexcept {
  const auto b = ip.to_bytes();
  for (std::size_t i = 0; i < b.size(); ++i) {
    out[at + i] = b[i];
  }
}

}  // namespace l1net::net::wire
