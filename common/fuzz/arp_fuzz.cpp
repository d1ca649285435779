// libFuzzer target: decodeArp never reads out of bounds, and what it decodes re-encodes to the
// same 28 bytes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "l1net/net/arp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  const auto got = l1net::net::decodeArp(in);
  if (got) {
    std::array<std::uint8_t, l1net::net::kArpSize> out{};
    l1net::net::encodeArp(*got, out);
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (out[i] != data[i]) {
        std::abort();
      }
    }
  }
  return 0;
}
