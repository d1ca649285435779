#include "l1net/net/ipv6.hpp"

#include "wire.hpp"

namespace l1net::net {

Result<Ipv6Packet> decodeIpv6(std::span<const std::uint8_t> in) noexcept {
  if (in.size() < kIpv6HeaderSize) {
    return Errc::kTruncated;
  }
  const std::uint32_t first = wire::load32(in, 0);
  if ((first >> 28U) != 6) {
    return Errc::kMalformed;
  }
  Ipv6Packet p;
  p.header.traffic_class = static_cast<std::uint8_t>((first >> 20U) & 0xffU);
  p.header.flow_label = first & 0xfffffU;
  p.header.payload_length = wire::load16(in, 4);
  p.header.next_header = in[6];
  p.header.hop_limit = in[7];
  p.header.src = wire::loadIpv6(in, 8);
  p.header.dst = wire::loadIpv6(in, 24);
  if (p.header.payload_length > in.size() - kIpv6HeaderSize) {
    return Errc::kTruncated;
  }
  if (p.header.next_header != kIpProtoIcmpv6) {
    return Errc::kUnsupported;
  }
  p.payload = in.subspan(kIpv6HeaderSize, p.header.payload_length);
  return p;
}

void encodeIpv6Header(const Ipv6Header& h, std::span<std::uint8_t, kIpv6HeaderSize> out) noexcept {
  const std::uint32_t first =
      (6U << 28U) | (std::uint32_t{h.traffic_class} << 20U) | (h.flow_label & 0xfffffU);
  wire::store32(out, 0, first);
  wire::store16(out, 4, h.payload_length);
  out[6] = h.next_header;
  out[7] = h.hop_limit;
  wire::storeIpv6(out, 8, h.src);
  wire::storeIpv6(out, 24, h.dst);
}

}  // namespace l1net::net
