// Reply planning for the L2 responders: given one received frame, decide whether to answer and
// build the answer. Pure: no sockets, no logging, no clocks; safe to call from any thread as long
// as the injected predicate is. The I/O shell sends `reply` when set and counts `drop` otherwise.
//
// Design note. The shell reads frames from an AF_PACKET socket (filtered by
// net::neighborRequestFilter) and hands each one to planReply. Ownership is asked through an
// injected predicate, as MetalLB's ARP/NDP handlers do, so this code does not know about services
// or failover. Differences from MetalLB (internal/layer2/{arp,ndp}.go), all deliberate:
//   * NDP answers Neighbor Solicitations that carry no Source Link-Layer Address option (unicast
//     NUD probes, MetalLB #2920): the NA goes to the Ethernet source of the NS.
//   * NDP answers DAD probes (NS from ::) for an owned target with an NA to ff02::1, Solicited=0,
//     as RFC 4861 §7.2.4 requires, so a host probing our VIP learns it is in use.
//   * Solicited NAs carry Override=1 (RFC 4861 §7.2.4 for a non-anycast address; MetalLB sends 0),
//     so a neighbour cache still pointing at a previous owner is replaced.
//   * The NA source address is the interface's link-local address when known, else the target.
//   * Frames carrying an 802.1Q tag are dropped (kVlanTagged), see net/ethernet.hpp.
// ARP behaviour matches MetalLB: only Requests, Ethernet destination broadcast or our MAC, target
// owned; a unicast Reply from our MAC (sender = VIP/our MAC, target = requester).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include "l1net/net/address.hpp"
#include "l1net/net/ethernet.hpp"

namespace l1net::speaker {

enum class DropReason : std::uint8_t {
  kNone,              // a reply was planned
  kTruncated,         // a header or the message ends early
  kMalformed,         // impossible field values (bad version, option length 0, DAD with SLLA, ...)
  kUnsupported,       // not ARP/IPv6-ICMPv6 NDP, or an ARP/NDP form we do not handle
  kVlanTagged,        // carries an 802.1Q tag: belongs to a VLAN sub-interface
  kOwnFrame,          // Ethernet source is our own MAC (looped back)
  kNotRequest,        // ARP Reply / NDP Advertisement
  kWrongDestination,  // not addressed to us (Ethernet or IPv6 destination)
  kBadHopLimit,       // NDP with hop limit != 255 (RFC 4861 §7.1.1)
  kBadChecksum,       // ICMPv6 checksum mismatch
  kNotOwned,          // target address is not ours to announce on this interface
};
inline constexpr std::size_t kDropReasonCount = 11;
static_assert(static_cast<std::size_t>(DropReason::kNotOwned) + 1 == kDropReasonCount);

[[nodiscard]] std::string_view dropReasonName(DropReason r) noexcept;  // "not_owned", ...

// Whether this node owns the address and may announce it on the interface the frame came from.
using OwnsIp = std::function<bool(const net::IpAddress&)>;

// The interface a frame was received on.
struct InterfaceView {
  net::MacAddress mac;
  std::optional<net::Ipv6Address> link_local;  // source of our NAs when known
};

struct ReplyDecision {
  std::optional<net::Frame> reply;
  DropReason drop = DropReason::kNone;
  // The address asked for, once the request decoded far enough to know it (for per-IP metrics).
  std::optional<net::IpAddress> target;
};

// ARP frame (EtherType 0x0806) -> unicast ARP Reply.
[[nodiscard]] ReplyDecision planArpReply(std::span<const std::uint8_t> frame,
                                         const net::MacAddress& our_mac, const OwnsIp& owns);
// IPv6 frame carrying an NS -> NA (solicited unicast, or to all-nodes for DAD).
[[nodiscard]] ReplyDecision planNdpReply(std::span<const std::uint8_t> frame,
                                         const InterfaceView& iface, const OwnsIp& owns);
// Dispatches on the EtherType; anything but ARP/IPv6 is kUnsupported.
[[nodiscard]] ReplyDecision planReply(std::span<const std::uint8_t> frame,
                                      const InterfaceView& iface, const OwnsIp& owns);

}  // namespace l1net::speaker
