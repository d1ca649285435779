// The classic BPF filter the speaker attaches to its AF_PACKET socket (SO_ATTACH_FILTER), so the
// kernel only wakes it for frames it may answer. BpfInsn has the layout of Linux's struct
// sock_filter (u16 code, u8 jt, u8 jf, u32 k); the I/O shell static_asserts that and reinterprets
// the vector as a sock_fprog. This header needs no Linux headers.
//
// The program accepts exactly:
//   * untagged ARP (EtherType 0x0806 at offset 12) with opcode 1 (Request);
//   * untagged IPv6 (0x86dd) whose next header is 58 and whose ICMPv6 type (the first byte after
//     the fixed 40-byte header) is 135 (Neighbor Solicitation). Extension headers are rejected.
// and rejects frames carrying an 802.1Q tag, both in-band and as the kernel's stripped-tag
// metadata (ancillary load SKF_AD_VLAN_TAG_PRESENT): on the parent interface such frames belong to
// a VLAN sub-interface. Short frames are rejected by cBPF semantics (a load past the end returns
// 0). Everything else the planners still re-check in user space.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "l1net/net/address.hpp"

namespace l1net::net {

struct BpfInsn {
  std::uint16_t code = 0;
  std::uint8_t jt = 0;
  std::uint8_t jf = 0;
  std::uint32_t k = 0;
  friend bool operator==(const BpfInsn&, const BpfInsn&) = default;
};

// Instruction classes and fields (values of <linux/bpf_common.h>).
namespace bpf {
inline constexpr std::uint16_t kLd = 0x00;
inline constexpr std::uint16_t kJmp = 0x05;
inline constexpr std::uint16_t kRet = 0x06;
inline constexpr std::uint16_t kW = 0x00;
inline constexpr std::uint16_t kH = 0x08;
inline constexpr std::uint16_t kB = 0x10;
inline constexpr std::uint16_t kAbs = 0x20;
inline constexpr std::uint16_t kJeq = 0x10;
inline constexpr std::uint16_t kJgt = 0x20;
inline constexpr std::uint16_t kJge = 0x30;
inline constexpr std::uint16_t kK = 0x00;
// Ancillary data offsets (<linux/filter.h> SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT).
inline constexpr std::uint32_t kAncillaryOffset = 0xfffff000U;  // SKF_AD_OFF = -0x1000
inline constexpr std::uint32_t kAncillaryVlanTagPresent = 48;
// Snap length returned on accept: the whole frame.
inline constexpr std::uint32_t kAcceptAll = 0x40000;
}  // namespace bpf

// The filter described above; stable, built fresh on each call.
[[nodiscard]] std::vector<BpfInsn> neighborRequestFilter();

// An inclusive range of IPv4 addresses in host order.
struct Ipv4Range {
  std::uint32_t first = 0;
  std::uint32_t last = 0;
  friend bool operator==(const Ipv4Range&, const Ipv4Range&) = default;
};

// The addresses merged into sorted, disjoint ranges (adjacent ones joined).
[[nodiscard]] std::vector<Ipv4Range> ipv4Ranges(std::vector<Ipv4Address> addresses);

// The most ranges a targeted filter holds: 3 instructions each, under the kernel's 4096
// (BPF_MAXINSNS) with room for the fixed part.
inline constexpr std::size_t kMaxFilterRanges = 1300;

// The same filter, except that an ARP Request is accepted only when its target protocol address
// (offset 38) lies in one of `arp_targets` (no range = no ARP at all): requests for other hosts
// are dropped in the kernel and never wake the speaker. NS are accepted as above (the socket only
// receives the solicited-node groups it joined). nullopt when there are more than
// kMaxFilterRanges ranges: the caller keeps the untargeted filter.
[[nodiscard]] std::optional<std::vector<BpfInsn>> neighborRequestFilter(
    const std::vector<Ipv4Range>& arp_targets);

}  // namespace l1net::net
