#include "l1net/speaker/gratuitous.hpp"

#include "l1net/net/arp.hpp"
#include "l1net/net/ndp.hpp"

namespace l1net::speaker {

net::Frame gratuitousArpRequest(const net::Ipv4Address& vip, const net::MacAddress& mac) {
  return net::encodeArpFrame(net::kBroadcastMac, mac,
                             {.op = net::ArpOp::kRequest,
                              .sender_mac = mac,
                              .sender_ip = vip,
                              .target_mac = {},
                              .target_ip = vip});
}

net::Frame gratuitousArpReply(const net::Ipv4Address& vip, const net::MacAddress& mac) {
  return net::encodeArpFrame(net::kBroadcastMac, mac,
                             {.op = net::ArpOp::kReply,
                              .sender_mac = mac,
                              .sender_ip = vip,
                              .target_mac = mac,
                              .target_ip = vip});
}

net::Frame unsolicitedNeighborAdvertisement(const net::Ipv6Address& vip, const net::MacAddress& mac,
                                            const std::optional<net::Ipv6Address>& link_local) {
  const net::NdpMessage na{.type = net::NdpType::kNeighborAdvertisement,
                           .solicited = false,
                           .override_flag = true,
                           .target = vip,
                           .target_ll = mac};
  return net::encodeNdpFrame(net::multicastMac(kAllNodesAddress), mac, link_local.value_or(vip),
                             kAllNodesAddress, na);
}

std::vector<net::Frame> gratuitousFrames(const net::IpAddress& vip, const net::MacAddress& mac,
                                         const std::optional<net::Ipv6Address>& link_local) {
  if (vip.is_v4()) {
    return {gratuitousArpRequest(vip.to_v4(), mac), gratuitousArpReply(vip.to_v4(), mac)};
  }
  return {unsolicitedNeighborAdvertisement(vip.to_v6(), mac, link_local)};
}

}  // namespace l1net::speaker
