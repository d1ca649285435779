// The Internet checksum (RFC 1071) and the ICMPv6 checksum over the IPv6 pseudo-header
// (RFC 8200 §8.1, RFC 4443 §2.3). Pure, allocation-free.
#pragma once

#include <cstdint>
#include <span>

#include "l1net/net/address.hpp"

namespace l1net::net {

// Adds the bytes as big-endian 16-bit words to a running 32-bit one's-complement sum (an odd
// trailing byte is padded with zero). Chain calls only on even-length pieces.
[[nodiscard]] std::uint32_t checksumAdd(std::span<const std::uint8_t> bytes,
                                        std::uint32_t sum = 0) noexcept;
// Folds the carries and complements: the value to store in a checksum field.
[[nodiscard]] std::uint16_t checksumFinish(std::uint32_t sum) noexcept;
[[nodiscard]] std::uint16_t internetChecksum(std::span<const std::uint8_t> bytes) noexcept;

// Checksum of an ICMPv6 message (its bytes as given, checksum field included) with the
// pseudo-header {src, dst, upper-layer length, next header 58}. With the checksum field zeroed
// this is the value to store; over a message whose stored checksum is correct it is 0.
[[nodiscard]] std::uint16_t icmpv6Checksum(const Ipv6Address& src, const Ipv6Address& dst,
                                           std::span<const std::uint8_t> icmp) noexcept;

}  // namespace l1net::net
