#include "l1net/net/ethernet.hpp"

#include <algorithm>

#include "wire.hpp"

namespace l1net::net {

namespace {
constexpr std::uint16_t kMinEtherType = 0x0600;  // below: an 802.3 length field
}  // namespace

Result<EthernetFrame> decodeEthernet(std::span<const std::uint8_t> in) noexcept {
  if (in.size() < kEthernetHeaderSize) {
    return Errc::kTruncated;
  }
  EthernetFrame f;
  f.header.dst = wire::loadMac(in, 0);
  f.header.src = wire::loadMac(in, 6);
  std::size_t offset = 12;
  std::uint16_t type = wire::load16(in, offset);
  if (type == kEtherTypeQinQ) {
    return Errc::kUnsupported;
  }
  if (type == kEtherTypeVlan) {
    if (in.size() < kEthernetHeaderSize + kVlanTagSize) {
      return Errc::kTruncated;
    }
    f.header.vlan_tci = wire::load16(in, offset + 2);
    offset += kVlanTagSize;
    type = wire::load16(in, offset);
    if (type == kEtherTypeVlan || type == kEtherTypeQinQ) {
      return Errc::kUnsupported;
    }
  }
  if (type < kMinEtherType) {
    return Errc::kUnsupported;
  }
  f.header.ethertype = type;
  f.payload = in.subspan(offset + 2);
  return f;
}

void encodeEthernet(const EthernetHeader& h,
                    std::span<std::uint8_t, kEthernetHeaderSize> out) noexcept {
  wire::storeMac(out, 0, h.dst);
  wire::storeMac(out, 6, h.src);
  wire::store16(out, 12, h.ethertype);
}

Frame encodeEthernetFrame(const EthernetHeader& h, std::span<const std::uint8_t> payload) {
  Frame f(std::max(kEthernetHeaderSize + payload.size(), kEthernetMinFrameSize), 0);
  encodeEthernet(h, std::span<std::uint8_t, kEthernetHeaderSize>(f.data(), kEthernetHeaderSize));
  std::copy(payload.begin(), payload.end(),
            f.begin() + static_cast<std::ptrdiff_t>(kEthernetHeaderSize));
  return f;
}

}  // namespace l1net::net
