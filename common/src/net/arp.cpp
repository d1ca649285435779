#include "l1net/net/arp.hpp"

#include <array>

#include "wire.hpp"

namespace l1net::net {

namespace {
constexpr std::uint8_t kHwLen = 6;
constexpr std::uint8_t kProtoLen = 4;
}  // namespace

Result<ArpPacket> decodeArp(std::span<const std::uint8_t> in) noexcept {
  if (in.size() < kArpSize) {
    return Errc::kTruncated;
  }
  if (wire::load16(in, 0) != kArpHwEthernet || wire::load16(in, 2) != kEtherTypeIpv4 ||
      in[4] != kHwLen || in[5] != kProtoLen) {
    return Errc::kUnsupported;
  }
  const std::uint16_t op = wire::load16(in, 6);
  if (op != static_cast<std::uint16_t>(ArpOp::kRequest) &&
      op != static_cast<std::uint16_t>(ArpOp::kReply)) {
    return Errc::kUnsupported;
  }
  ArpPacket p;
  p.op = static_cast<ArpOp>(op);
  p.sender_mac = wire::loadMac(in, 8);
  p.sender_ip = wire::loadIpv4(in, 14);
  p.target_mac = wire::loadMac(in, 18);
  p.target_ip = wire::loadIpv4(in, 24);
  return p;
}

void encodeArp(const ArpPacket& pkt, std::span<std::uint8_t, kArpSize> out) noexcept {
  wire::store16(out, 0, kArpHwEthernet);
  wire::store16(out, 2, kEtherTypeIpv4);
  out[4] = kHwLen;
  out[5] = kProtoLen;
  wire::store16(out, 6, static_cast<std::uint16_t>(pkt.op));
  wire::storeMac(out, 8, pkt.sender_mac);
  wire::storeIpv4(out, 14, pkt.sender_ip);
  wire::storeMac(out, 18, pkt.target_mac);
  wire::storeIpv4(out, 24, pkt.target_ip);
}

Frame encodeArpFrame(const MacAddress& eth_dst, const MacAddress& eth_src, const ArpPacket& pkt) {
  std::array<std::uint8_t, kArpSize> body{};
  encodeArp(pkt, body);
  return encodeEthernetFrame({.dst = eth_dst, .src = eth_src, .ethertype = kEtherTypeArp}, body);
}

}  // namespace l1net::net
