#include "l1net/net/ndp.hpp"

#include <array>

#include "l1net/net/checksum.hpp"
#include "l1net/net/ipv6.hpp"

#include "wire.hpp"

namespace l1net::net {

namespace {

constexpr std::uint8_t kFlagRouter = 0x80;
constexpr std::uint8_t kFlagSolicited = 0x40;
constexpr std::uint8_t kFlagOverride = 0x20;
constexpr std::size_t kOptionUnit = 8;

void putLinkLayerOption(std::vector<std::uint8_t>& out, NdpOptionType type, const MacAddress& m) {
  out.push_back(static_cast<std::uint8_t>(type));
  out.push_back(1);  // length in units of 8 bytes
  out.insert(out.end(), m.bytes.begin(), m.bytes.end());
}

}  // namespace

Result<NdpMessage> decodeNdp(const Ipv6Address& src, const Ipv6Address& dst,
                             std::span<const std::uint8_t> icmp) noexcept {
  if (icmp.size() < kNdpMinSize) {
    return Errc::kTruncated;
  }
  if (icmp[0] != static_cast<std::uint8_t>(NdpType::kNeighborSolicitation) &&
      icmp[0] != static_cast<std::uint8_t>(NdpType::kNeighborAdvertisement)) {
    return Errc::kUnsupported;
  }
  if (icmpv6Checksum(src, dst, icmp) != 0) {
    return Errc::kBadChecksum;
  }
  if (icmp[1] != 0) {
    return Errc::kMalformed;
  }
  NdpMessage m;
  m.type = static_cast<NdpType>(icmp[0]);
  if (m.type == NdpType::kNeighborAdvertisement) {
    m.router = (icmp[4] & kFlagRouter) != 0;
    m.solicited = (icmp[4] & kFlagSolicited) != 0;
    m.override_flag = (icmp[4] & kFlagOverride) != 0;
  }
  m.target = wire::loadIpv6(icmp, 8);
  if (m.target.is_multicast()) {
    return Errc::kMalformed;
  }
  std::size_t at = kNdpMinSize;
  while (at < icmp.size()) {
    if (icmp.size() - at < 2) {
      return Errc::kMalformed;
    }
    const std::uint8_t type = icmp[at];
    const std::size_t len = std::size_t{icmp[at + 1]} * kOptionUnit;
    if (len == 0 || len > icmp.size() - at) {
      return Errc::kMalformed;
    }
    // len >= 8 here, so the 6 address bytes at +2 are inside the option.
    if (type == static_cast<std::uint8_t>(NdpOptionType::kSourceLinkLayer) && !m.source_ll) {
      m.source_ll = wire::loadMac(icmp, at + 2);
    } else if (type == static_cast<std::uint8_t>(NdpOptionType::kTargetLinkLayer) && !m.target_ll) {
      m.target_ll = wire::loadMac(icmp, at + 2);
    }
    at += len;
  }
  return m;
}

std::vector<std::uint8_t> encodeNdp(const Ipv6Address& src, const Ipv6Address& dst,
                                    const NdpMessage& msg) {
  std::vector<std::uint8_t> out(kNdpMinSize, 0);
  out[0] = static_cast<std::uint8_t>(msg.type);
  if (msg.type == NdpType::kNeighborAdvertisement) {
    out[4] = static_cast<std::uint8_t>((msg.router ? kFlagRouter : 0U) |
                                       (msg.solicited ? kFlagSolicited : 0U) |
                                       (msg.override_flag ? kFlagOverride : 0U));
  }
  wire::storeIpv6(out, 8, msg.target);
  if (msg.source_ll) {
    putLinkLayerOption(out, NdpOptionType::kSourceLinkLayer, *msg.source_ll);
  }
  if (msg.target_ll) {
    putLinkLayerOption(out, NdpOptionType::kTargetLinkLayer, *msg.target_ll);
  }
  wire::store16(out, 2, icmpv6Checksum(src, dst, out));
  return out;
}

Frame encodeNdpFrame(const MacAddress& eth_dst, const MacAddress& eth_src,
                     const Ipv6Address& ip_src, const Ipv6Address& ip_dst, const NdpMessage& msg) {
  const auto icmp = encodeNdp(ip_src, ip_dst, msg);
  std::vector<std::uint8_t> packet(kIpv6HeaderSize, 0);
  encodeIpv6Header({.payload_length = static_cast<std::uint16_t>(icmp.size()),
                    .next_header = kIpProtoIcmpv6,
                    .hop_limit = kNdpHopLimit,
                    .src = ip_src,
                    .dst = ip_dst},
                   std::span<std::uint8_t, kIpv6HeaderSize>(packet.data(), kIpv6HeaderSize));
  packet.insert(packet.end(), icmp.begin(), icmp.end());
  return encodeEthernetFrame({.dst = eth_dst, .src = eth_src, .ethertype = kEtherTypeIpv6}, packet);
}

}  // namespace l1net::net
