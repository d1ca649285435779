// Gratuitous announcement frames, sent when this node gains an address and on each refresh
// (see announce_schedule.hpp). Pure builders: no sockets, no clocks.
//
// IPv4 sends two frames, both to Ethernet broadcast from our MAC:
//   * an ARP Request with sender = target = VIP, sender MAC = ours, target MAC 00:00:00:00:00:00;
//   * an ARP Reply with sender = target = VIP and target MAC = OUR OWN MAC. Linux (arp_process)
//     treats a Reply as gratuitous only in that form and then applies it even within locktime;
//     MetalLB's Reply with target MAC ff:ff:ff:ff:ff:ff is ignored for an existing entry.
// IPv6 sends an unsolicited Neighbor Advertisement (Solicited=0, Override=1, Target Link-Layer
// Address = our MAC) to ff02::1 / 33:33:00:00:00:01 with hop limit 255, from the interface's
// link-local address when known, else from the VIP itself.
#pragma once

#include <optional>
#include <vector>

#include "l1net/net/address.hpp"
#include "l1net/net/ethernet.hpp"

namespace l1net::speaker {

inline const net::Ipv6Address kAllNodesAddress{
    net::Ipv6Address::bytes_type{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}};

[[nodiscard]] net::Frame gratuitousArpRequest(const net::Ipv4Address& vip,
                                              const net::MacAddress& mac);
[[nodiscard]] net::Frame gratuitousArpReply(const net::Ipv4Address& vip,
                                            const net::MacAddress& mac);
[[nodiscard]] net::Frame unsolicitedNeighborAdvertisement(
    const net::Ipv6Address& vip, const net::MacAddress& mac,
    const std::optional<net::Ipv6Address>& link_local = std::nullopt);

// One announcement round for vip: {request, reply} for IPv4, {NA} for IPv6.
[[nodiscard]] std::vector<net::Frame> gratuitousFrames(
    const net::IpAddress& vip, const net::MacAddress& mac,
    const std::optional<net::Ipv6Address>& link_local = std::nullopt);

}  // namespace l1net::speaker
