// libFuzzer target: decodeEthernet must never read out of bounds, and a decoded payload must lie
// inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "l1net/net/ethernet.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  const auto got = l1net::net::decodeEthernet(in);
  if (got) {
    const auto* begin = got->payload.data();
    if (begin < data || begin + got->payload.size() != data + size) {
      std::abort();
    }
    const auto frame = l1net::net::encodeEthernetFrame(got->header, got->payload);
    if (frame.size() < l1net::net::kEthernetMinFrameSize) {
      std::abort();
    }
  }
  return 0;
}
