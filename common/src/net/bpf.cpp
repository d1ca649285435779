#include "l1net/net/bpf.hpp"

#include "l1net/net/ethernet.hpp"

namespace l1net::net {

namespace {

constexpr std::uint32_t kOffEtherType = 12;
constexpr std::uint32_t kOffArpOp = 20;        // 14 + 6
constexpr std::uint32_t kOffIpv6NextHdr = 20;  // 14 + 6
constexpr std::uint32_t kOffIcmpv6Type = 54;   // 14 + 40
constexpr std::uint32_t kArpOpRequest = 1;
constexpr std::uint32_t kIcmpv6NeighborSolicitation = 135;
constexpr std::uint32_t kIpProtoIcmpv6 = 58;

constexpr BpfInsn load(std::uint16_t size, std::uint32_t k) {
  return {.code = static_cast<std::uint16_t>(bpf::kLd | size | bpf::kAbs), .k = k};
}
constexpr BpfInsn jeq(std::uint32_t k, std::uint8_t jt, std::uint8_t jf) {
  return {.code = static_cast<std::uint16_t>(bpf::kJmp | bpf::kJeq | bpf::kK),
          .jt = jt,
          .jf = jf,
          .k = k};
}
constexpr BpfInsn ret(std::uint32_t k) {
  return {.code = static_cast<std::uint16_t>(bpf::kRet | bpf::kK), .k = k};
}

}  // namespace

std::vector<BpfInsn> neighborRequestFilter() {
  // Jump offsets are relative to the next instruction; indices are in the comments.
  return {
      /* 0 */ load(bpf::kW, bpf::kAncillaryOffset + bpf::kAncillaryVlanTagPresent),
      /* 1 */ jeq(0, 0, 10),  // tag present -> 12 reject
      /* 2 */ load(bpf::kH, kOffEtherType),
      /* 3 */ jeq(kEtherTypeArp, 0, 2),  // -> 4 : -> 6
      /* 4 */ load(bpf::kH, kOffArpOp),
      /* 5 */ jeq(kArpOpRequest, 5, 6),   // -> 11 accept : -> 12 reject
      /* 6 */ jeq(kEtherTypeIpv6, 0, 5),  // -> 7 : -> 12
      /* 7 */ load(bpf::kB, kOffIpv6NextHdr),
      /* 8 */ jeq(kIpProtoIcmpv6, 0, 3),  // -> 9 : -> 12
      /* 9 */ load(bpf::kB, kOffIcmpv6Type),
      /* 10 */ jeq(kIcmpv6NeighborSolicitation, 0, 1),  // -> 11 : -> 12
      /* 11 */ ret(bpf::kAcceptAll),
      /* 12 */ ret(0),
  };
}

}  // namespace l1net::net
