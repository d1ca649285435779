#include "l1net/net/bpf.hpp"

#include <algorithm>

#include "l1net/net/ethernet.hpp"

namespace l1net::net {

namespace {

constexpr std::uint32_t kOffEtherType = 12;
constexpr std::uint32_t kOffArpOp = 20;        // 14 + 6
constexpr std::uint32_t kOffIpv6NextHdr = 20;  // 14 + 6
constexpr std::uint32_t kOffIcmpv6Type = 54;   // 14 + 40
constexpr std::uint32_t kOffArpTargetIp = 38;  // 14 + 24
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
constexpr BpfInsn jump(std::uint16_t op, std::uint32_t k, std::uint8_t jt, std::uint8_t jf) {
  return {.code = static_cast<std::uint16_t>(bpf::kJmp | op | bpf::kK), .jt = jt, .jf = jf, .k = k};
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

std::vector<Ipv4Range> ipv4Ranges(std::vector<Ipv4Address> addresses) {
  std::vector<std::uint32_t> v;
  v.reserve(addresses.size());
  for (const auto& a : addresses) {
    v.push_back(a.to_uint());
  }
  std::sort(v.begin(), v.end());
  std::vector<Ipv4Range> out;
  for (const auto x : v) {
    if (!out.empty() && (x <= out.back().last || x == out.back().last + 1)) {
      out.back().last = std::max(out.back().last, x);
    } else {
      out.push_back({x, x});
    }
  }
  return out;
}

std::optional<std::vector<BpfInsn>> neighborRequestFilter(
    const std::vector<Ipv4Range>& arp_targets) {
  if (arp_targets.size() > kMaxFilterRanges) {
    return std::nullopt;
  }
  // cBPF jumps only forward, at most 255 instructions: every reject is a nearby `ret 0`.
  std::vector<BpfInsn> p = {
      /* 0 */ load(bpf::kW, bpf::kAncillaryOffset + bpf::kAncillaryVlanTagPresent),
      /* 1 */ jeq(0, 1, 0),  // -> 3 : -> 2
      /* 2 */ ret(0),
      /* 3 */ load(bpf::kH, kOffEtherType),
      /* 4 */ jeq(kEtherTypeIpv6, 0, 6),  // -> 5 : -> 11
      /* 5 */ load(bpf::kB, kOffIpv6NextHdr),
      /* 6 */ jeq(kIpProtoIcmpv6, 0, 3),  // -> 7 : -> 10
      /* 7 */ load(bpf::kB, kOffIcmpv6Type),
      /* 8 */ jeq(kIcmpv6NeighborSolicitation, 0, 1),  // -> 9 : -> 10
      /* 9 */ ret(bpf::kAcceptAll),
      /* 10 */ ret(0),
      /* 11 */ jeq(kEtherTypeArp, 1, 0),  // -> 13 : -> 12
      /* 12 */ ret(0),
      /* 13 */ load(bpf::kH, kOffArpOp),
      /* 14 */ jeq(kArpOpRequest, 1, 0),  // -> 16 : -> 15
      /* 15 */ ret(0),
      /* 16 */ load(bpf::kW, kOffArpTargetIp),
  };
  for (const auto& r : arp_targets) {
    p.push_back(jump(bpf::kJgt, r.last, 2, 0));   // above: next range
    p.push_back(jump(bpf::kJge, r.first, 0, 1));  // inside: accept; below: next range
    p.push_back(ret(bpf::kAcceptAll));
  }
  p.push_back(ret(0));
  return p;
}

}  // namespace l1net::net
