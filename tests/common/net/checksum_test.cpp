#include "l1net/net/checksum.hpp"

#include <cstdint>
#include <vector>

#include "l1net/testing/doctest.hpp"
#include "l1net/testing/hex.hpp"

#include "golden_frames.hpp"

namespace net = l1net::net;
using l1net::testing::hex;

TEST_CASE("internetChecksum") {
  struct Case {
    const char* name;
    std::vector<std::uint8_t> bytes;
    std::uint16_t want;
  };
  const std::vector<Case> cases = {
      // RFC 1071 §3: words 0001 f203 f4f5 f6f7 sum to ddf2 (with end-around carry).
      {"RFC 1071 example", hex("0001 f203 f4f5 f6f7"), 0x220d},
      {"empty", {}, 0xffff},
      {"odd length pads with zero", hex("01"), 0xfeff},
      {"all ones sums to negative zero", hex("ffff ffff"), 0x0000},
      {"carry folding", hex("ff00 ff00 0200"), 0xfffd},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) { CHECK(net::internetChecksum(c.bytes) == c.want); }
  }
}

TEST_CASE("icmpv6Checksum on kernel-captured frames") {
  struct Case {
    const char* name;
    std::string_view frame;
    std::uint16_t stored;
  };
  const std::vector<Case> cases = {
      {"NS", l1net::golden::kKernelNs, 0x4c3b},
      {"NA", l1net::golden::kKernelNa, 0xba85},
      {"DAD NS from ::", l1net::golden::kKernelDadNs, 0x7e8d},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      auto f = hex(c.frame);
      const std::span<const std::uint8_t> all(f);
      const net::Ipv6Address::bytes_type src = [&] {
        net::Ipv6Address::bytes_type b{};
        std::copy(all.begin() + 22, all.begin() + 38, b.begin());
        return b;
      }();
      const net::Ipv6Address::bytes_type dst = [&] {
        net::Ipv6Address::bytes_type b{};
        std::copy(all.begin() + 38, all.begin() + 54, b.begin());
        return b;
      }();
      // Verifying a correct message yields 0.
      CHECK(net::icmpv6Checksum(net::Ipv6Address(src), net::Ipv6Address(dst), all.subspan(54)) ==
            0);
      // With the field zeroed it yields the stored value.
      f[56] = 0;
      f[57] = 0;
      CHECK(net::icmpv6Checksum(net::Ipv6Address(src), net::Ipv6Address(dst),
                                std::span<const std::uint8_t>(f).subspan(54)) == c.stored);
    }
  }
}
