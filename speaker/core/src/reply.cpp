#include "l1net/speaker/reply.hpp"

#include "l1net/net/arp.hpp"
#include "l1net/net/ipv6.hpp"
#include "l1net/net/ndp.hpp"
#include "l1net/speaker/gratuitous.hpp"

namespace l1net::speaker {

namespace {

DropReason fromError(const boost::system::error_code& ec) noexcept {
  if (ec == make_error_code(Errc::kTruncated)) {
    return DropReason::kTruncated;
  }
  if (ec == make_error_code(Errc::kBadChecksum)) {
    return DropReason::kBadChecksum;
  }
  if (ec == make_error_code(Errc::kUnsupported)) {
    return DropReason::kUnsupported;
  }
  return DropReason::kMalformed;
}

ReplyDecision drop(DropReason r, std::optional<net::IpAddress> target = std::nullopt) {
  return {.reply = std::nullopt, .drop = r, .target = std::move(target)};
}

// Decodes the Ethernet header and applies the checks common to ARP and NDP.
Result<net::EthernetFrame> checkEthernet(std::span<const std::uint8_t> frame,
                                         std::uint16_t ethertype, const net::MacAddress& our_mac,
                                         DropReason& why) {
  auto eth = net::decodeEthernet(frame);
  if (!eth) {
    why = fromError(eth.error());
    return eth.error();
  }
  if (eth->header.vlan_tci) {
    why = DropReason::kVlanTagged;
    return Errc::kUnsupported;
  }
  if (eth->header.ethertype != ethertype) {
    why = DropReason::kUnsupported;
    return Errc::kUnsupported;
  }
  if (eth->header.src == our_mac) {
    why = DropReason::kOwnFrame;
    return Errc::kUnsupported;
  }
  return eth;
}

}  // namespace

std::string_view dropReasonName(DropReason r) noexcept {
  switch (r) {
    case DropReason::kNone:
      return "none";
    case DropReason::kTruncated:
      return "truncated";
    case DropReason::kMalformed:
      return "malformed";
    case DropReason::kUnsupported:
      return "unsupported";
    case DropReason::kVlanTagged:
      return "vlan_tagged";
    case DropReason::kOwnFrame:
      return "own_frame";
    case DropReason::kNotRequest:
      return "not_request";
    case DropReason::kWrongDestination:
      return "wrong_destination";
    case DropReason::kBadHopLimit:
      return "bad_hop_limit";
    case DropReason::kBadChecksum:
      return "bad_checksum";
    case DropReason::kNotOwned:
      return "not_owned";
  }
  return "unknown";
}

ReplyDecision planArpReply(std::span<const std::uint8_t> frame, const net::MacAddress& our_mac,
                           const OwnsIp& owns) {
  DropReason why = DropReason::kNone;
  const auto eth = checkEthernet(frame, net::kEtherTypeArp, our_mac, why);
  if (!eth) {
    return drop(why);
  }
  const auto arp = net::decodeArp(eth->payload);
  if (!arp) {
    return drop(fromError(arp.error()));
  }
  const net::IpAddress target{arp->target_ip};
  if (arp->op != net::ArpOp::kRequest) {
    return drop(DropReason::kNotRequest, target);
  }
  if (eth->header.dst != net::kBroadcastMac && eth->header.dst != our_mac) {
    return drop(DropReason::kWrongDestination, target);
  }
  if (!owns(target)) {
    return drop(DropReason::kNotOwned, target);
  }
  const net::ArpPacket reply{.op = net::ArpOp::kReply,
                             .sender_mac = our_mac,
                             .sender_ip = arp->target_ip,
                             .target_mac = arp->sender_mac,
                             .target_ip = arp->sender_ip};
  return {.reply = net::encodeArpFrame(arp->sender_mac, our_mac, reply),
          .drop = DropReason::kNone,
          .target = target};
}

ReplyDecision planNdpReply(std::span<const std::uint8_t> frame, const InterfaceView& iface,
                           const OwnsIp& owns) {
  DropReason why = DropReason::kNone;
  const auto eth = checkEthernet(frame, net::kEtherTypeIpv6, iface.mac, why);
  if (!eth) {
    return drop(why);
  }
  const auto ip = net::decodeIpv6(eth->payload);
  if (!ip) {
    return drop(fromError(ip.error()));
  }
  if (ip->header.hop_limit != net::kNdpHopLimit) {
    return drop(DropReason::kBadHopLimit);
  }
  const auto ndp = net::decodeNdp(ip->header.src, ip->header.dst, ip->payload);
  if (!ndp) {
    return drop(fromError(ndp.error()));
  }
  const net::IpAddress target{ndp->target};
  if (ndp->type != net::NdpType::kNeighborSolicitation) {
    return drop(DropReason::kNotRequest, target);
  }
  const bool dad = ip->header.src.is_unspecified();
  const auto solicited_node = net::solicitedNodeAddress(ndp->target);
  if (ip->header.src.is_multicast() ||
      (dad && (ip->header.dst != solicited_node || ndp->source_ll))) {
    return drop(DropReason::kMalformed, target);  // RFC 4861 §7.1.1
  }
  const auto& ip_dst = ip->header.dst;
  if (ip_dst != ndp->target && ip_dst != solicited_node) {
    return drop(DropReason::kWrongDestination, target);
  }
  const auto want_mac = ip_dst.is_multicast() ? net::multicastMac(ip_dst) : iface.mac;
  if (eth->header.dst != want_mac) {
    return drop(DropReason::kWrongDestination, target);
  }
  if (!owns(target)) {
    return drop(DropReason::kNotOwned, target);
  }
  const net::NdpMessage na{.type = net::NdpType::kNeighborAdvertisement,
                           .solicited = !dad,
                           .override_flag = true,
                           .target = ndp->target,
                           .target_ll = iface.mac};
  const auto src = iface.link_local.value_or(ndp->target);
  net::Frame reply = dad ? net::encodeNdpFrame(net::multicastMac(kAllNodesAddress), iface.mac, src,
                                               kAllNodesAddress, na)
                         : net::encodeNdpFrame(ndp->source_ll.value_or(eth->header.src), iface.mac,
                                               src, ip->header.src, na);
  return {.reply = std::move(reply), .drop = DropReason::kNone, .target = target};
}

ReplyDecision planReply(std::span<const std::uint8_t> frame, const InterfaceView& iface,
                        const OwnsIp& owns) {
  const auto eth = net::decodeEthernet(frame);
  if (!eth) {
    return drop(fromError(eth.error()));
  }
  switch (eth->header.ethertype) {
    case net::kEtherTypeArp:
      return planArpReply(frame, iface.mac, owns);
    case net::kEtherTypeIpv6:
      return planNdpReply(frame, iface, owns);
    default:
      return drop(eth->header.vlan_tci ? DropReason::kVlanTagged : DropReason::kUnsupported);
  }
}

}  // namespace l1net::speaker
