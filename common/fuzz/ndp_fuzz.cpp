// libFuzzer target: decodeIpv6 + decodeNdp never read out of bounds; a decoded message re-encodes
// to one that decodes to the same value (the encoder writes canonical options).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "l1net/net/ipv6.hpp"
#include "l1net/net/ndp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  const auto ip = l1net::net::decodeIpv6(in);
  if (!ip) {
    return 0;
  }
  if (ip->payload.size() != ip->header.payload_length) {
    std::abort();
  }
  const auto msg = l1net::net::decodeNdp(ip->header.src, ip->header.dst, ip->payload);
  if (!msg) {
    return 0;
  }
  const auto again = l1net::net::encodeNdp(ip->header.src, ip->header.dst, *msg);
  const auto back = l1net::net::decodeNdp(ip->header.src, ip->header.dst, again);
  if (!back) {
    std::abort();
  }
  auto want = *msg;
  if (want.type == l1net::net::NdpType::kNeighborSolicitation) {
    want.router = want.solicited = want.override_flag = false;
  }
  if (!(*back == want)) {
    std::abort();
  }
  return 0;
}
