// Ethernet II framing for the L2 responders. Pure: no I/O, no logging; decoders never read past
// the span they are given.
//
// 802.1Q: decodeEthernet tolerates exactly one 802.1Q tag (TPID 0x8100) and reports its TCI in
// EthernetHeader::vlan_tci; the payload then starts after the tag. A second tag, or an 802.1ad
// outer tag (TPID 0x88a8), is kUnsupported. The reply planners in speaker core drop tagged frames
// (DropReason::kVlanTagged): a tagged frame belongs to a VLAN sub-interface, and answering it
// untagged on the parent would advertise the VIP on the wrong broadcast domain. Encoders never
// write tags.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "l1net/error.hpp"
#include "l1net/net/address.hpp"

namespace l1net::net {

// A whole frame as written to an AF_PACKET socket (no preamble, no FCS).
using Frame = std::vector<std::uint8_t>;

inline constexpr std::size_t kEthernetHeaderSize = 14;
inline constexpr std::size_t kVlanTagSize = 4;
inline constexpr std::size_t kEthernetMinFrameSize = 60;  // 64-byte minimum minus the 4-byte FCS

inline constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr std::uint16_t kEtherTypeArp = 0x0806;
inline constexpr std::uint16_t kEtherTypeVlan = 0x8100;  // 802.1Q
inline constexpr std::uint16_t kEtherTypeQinQ = 0x88a8;  // 802.1ad
inline constexpr std::uint16_t kEtherTypeIpv6 = 0x86dd;

struct EthernetHeader {
  MacAddress dst;
  MacAddress src;
  std::uint16_t ethertype = 0;            // inner type when a tag is present
  std::optional<std::uint16_t> vlan_tci;  // set when one 802.1Q tag was present
  friend bool operator==(const EthernetHeader&, const EthernetHeader&) = default;
};

struct EthernetFrame {
  EthernetHeader header;
  std::span<const std::uint8_t> payload;  // views the input; includes any trailing padding
};

// Errors: kTruncated (shorter than the header or the tag), kUnsupported (802.1ad or stacked tags,
// or an 802.3 length field < 0x0600 instead of an EtherType).
[[nodiscard]] Result<EthernetFrame> decodeEthernet(std::span<const std::uint8_t> in) noexcept;

// Writes the 14-byte untagged header (vlan_tci is ignored).
void encodeEthernet(const EthernetHeader& h,
                    std::span<std::uint8_t, kEthernetHeaderSize> out) noexcept;

// Header + payload, zero-padded to kEthernetMinFrameSize.
[[nodiscard]] Frame encodeEthernetFrame(const EthernetHeader& h,
                                        std::span<const std::uint8_t> payload);

}  // namespace l1net::net
