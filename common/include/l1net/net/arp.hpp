// ARP for Ethernet/IPv4 (RFC 826): htype 1, ptype 0x0800, hlen 6, plen 4. Pure: no I/O, no
// logging; decodeArp never reads past its input and ignores trailing bytes (Ethernet padding).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "l1net/error.hpp"
#include "l1net/net/address.hpp"
#include "l1net/net/ethernet.hpp"

namespace l1net::net {

inline constexpr std::size_t kArpSize = 28;
inline constexpr std::uint16_t kArpHwEthernet = 1;

enum class ArpOp : std::uint16_t { kRequest = 1, kReply = 2 };

struct ArpPacket {
  ArpOp op = ArpOp::kRequest;
  MacAddress sender_mac;
  Ipv4Address sender_ip;
  MacAddress target_mac;
  Ipv4Address target_ip;
  friend bool operator==(const ArpPacket&, const ArpPacket&) = default;
};

// Errors: kTruncated (< 28 bytes), kUnsupported (htype/ptype/hlen/plen not Ethernet/IPv4, or an
// opcode other than Request/Reply, e.g. RARP).
[[nodiscard]] Result<ArpPacket> decodeArp(std::span<const std::uint8_t> in) noexcept;
void encodeArp(const ArpPacket& pkt, std::span<std::uint8_t, kArpSize> out) noexcept;

// A whole Ethernet frame (EtherType 0x0806) carrying pkt, padded to 60 bytes.
[[nodiscard]] Frame encodeArpFrame(const MacAddress& eth_dst, const MacAddress& eth_src,
                                   const ArpPacket& pkt);

}  // namespace l1net::net
