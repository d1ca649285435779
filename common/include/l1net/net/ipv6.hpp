// The fixed IPv6 header (RFC 8200 §3), as far as the NDP responder needs it. Pure; the decoder
// never reads past its input. Extension headers are not walked: only next header 58 (ICMPv6)
// directly after the fixed header is accepted, which is all RFC 4861 NS/NA traffic in practice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "l1net/error.hpp"
#include "l1net/net/address.hpp"

namespace l1net::net {

inline constexpr std::size_t kIpv6HeaderSize = 40;
inline constexpr std::uint8_t kIpProtoIcmpv6 = 58;

struct Ipv6Header {
  std::uint8_t traffic_class = 0;
  std::uint32_t flow_label = 0;      // 20 bits
  std::uint16_t payload_length = 0;  // bytes after the fixed header
  std::uint8_t next_header = kIpProtoIcmpv6;
  std::uint8_t hop_limit = 0;
  Ipv6Address src;
  Ipv6Address dst;
  friend bool operator==(const Ipv6Header&, const Ipv6Header&) = default;
};

struct Ipv6Packet {
  Ipv6Header header;
  std::span<const std::uint8_t> payload;  // exactly payload_length bytes; padding is cut off
};

// Errors: kTruncated (< 40 bytes, or payload_length larger than what follows), kMalformed
// (version != 6), kUnsupported (next header != 58: extension headers or another protocol).
[[nodiscard]] Result<Ipv6Packet> decodeIpv6(std::span<const std::uint8_t> in) noexcept;
void encodeIpv6Header(const Ipv6Header& h, std::span<std::uint8_t, kIpv6HeaderSize> out) noexcept;

}  // namespace l1net::net
