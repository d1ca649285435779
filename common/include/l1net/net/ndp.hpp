// ICMPv6 Neighbor Solicitation / Advertisement (RFC 4861 §4.3, §4.4) with the Source and Target
// Link-Layer Address options (§4.6.1). Pure; decoders never read past their input.
//
// Decoding follows the message checks of RFC 4861 §7.1.1 that need only the ICMPv6 bytes:
// checksum, code 0, length >= 24, target not multicast, every option length > 0 and inside the
// message. The IP-level checks (hop limit 255, the rules for an unspecified source) are the
// caller's, because they are drop reasons rather than decode errors. Unknown options are skipped;
// of repeated link-layer options the first wins (as Linux's ndisc_parse_options).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "l1net/error.hpp"
#include "l1net/net/address.hpp"
#include "l1net/net/ethernet.hpp"

namespace l1net::net {

inline constexpr std::size_t kNdpMinSize = 24;  // type, code, checksum, 4 bytes, target
inline constexpr std::size_t kNdpLinkLayerOptionSize = 8;
inline constexpr std::uint8_t kNdpHopLimit = 255;

enum class NdpType : std::uint8_t { kNeighborSolicitation = 135, kNeighborAdvertisement = 136 };
enum class NdpOptionType : std::uint8_t { kSourceLinkLayer = 1, kTargetLinkLayer = 2 };

struct NdpMessage {
  NdpType type = NdpType::kNeighborSolicitation;
  bool router = false;  // NA flags; always false for an NS
  bool solicited = false;
  bool override_flag = false;
  Ipv6Address target;
  std::optional<MacAddress> source_ll;  // option 1
  std::optional<MacAddress> target_ll;  // option 2
  friend bool operator==(const NdpMessage&, const NdpMessage&) = default;
};

// src/dst are the IPv6 addresses the message travelled with (for the pseudo-header checksum).
// Errors: kTruncated (< 24 bytes), kUnsupported (ICMPv6 type not 135/136), kBadChecksum,
// kMalformed (code != 0, multicast target, option length 0 or running past the end).
[[nodiscard]] Result<NdpMessage> decodeNdp(const Ipv6Address& src, const Ipv6Address& dst,
                                           std::span<const std::uint8_t> icmp) noexcept;

// The ICMPv6 bytes with the checksum filled in; link-layer options are written when set
// (source first). Reserved bits are zero.
[[nodiscard]] std::vector<std::uint8_t> encodeNdp(const Ipv6Address& src, const Ipv6Address& dst,
                                                  const NdpMessage& msg);

// A whole Ethernet + IPv6 (hop limit 255, next header 58) + ICMPv6 frame.
[[nodiscard]] Frame encodeNdpFrame(const MacAddress& eth_dst, const MacAddress& eth_src,
                                   const Ipv6Address& ip_src, const Ipv6Address& ip_dst,
                                   const NdpMessage& msg);

}  // namespace l1net::net
