// libFuzzer target: planReply on arbitrary frames never reads out of bounds, and every planned
// reply is a well-formed ARP Reply or Neighbor Advertisement from our MAC.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "l1net/net/arp.hpp"
#include "l1net/net/ipv6.hpp"
#include "l1net/net/ndp.hpp"
#include "l1net/speaker/reply.hpp"

namespace {

void checkReply(const l1net::net::Frame& f, const l1net::net::MacAddress& mac) {
  const auto eth = l1net::net::decodeEthernet(f);
  if (!eth || eth->header.src != mac) {
    std::abort();
  }
  if (eth->header.ethertype == l1net::net::kEtherTypeArp) {
    const auto arp = l1net::net::decodeArp(eth->payload);
    if (!arp || arp->op != l1net::net::ArpOp::kReply || arp->sender_mac != mac) {
      std::abort();
    }
    return;
  }
  const auto ip = l1net::net::decodeIpv6(eth->payload);
  if (!ip || ip->header.hop_limit != 255) {
    std::abort();
  }
  const auto na = l1net::net::decodeNdp(ip->header.src, ip->header.dst, ip->payload);
  if (!na || na->type != l1net::net::NdpType::kNeighborAdvertisement || !na->override_flag ||
      na->target_ll != mac) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const l1net::net::MacAddress mac{{0x02, 0, 0, 0, 0, 0x0b}};
  const l1net::speaker::InterfaceView iface{.mac = mac};
  // Own every address: maximises the paths that reach the encoder.
  const l1net::speaker::OwnsIp owns = [](const l1net::net::IpAddress&) { return true; };
  const auto d = l1net::speaker::planReply(std::span<const std::uint8_t>(data, size), iface, owns);
  if (d.reply.has_value() != (d.drop == l1net::speaker::DropReason::kNone)) {
    std::abort();
  }
  if (d.reply) {
    checkReply(*d.reply, mac);
  }
  return 0;
}
