#include "l1net/net/ndp.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "l1net/net/checksum.hpp"
#include "l1net/net/ipv6.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/hex.hpp"

#include "golden_frames.hpp"

namespace net = l1net::net;
namespace golden = l1net::golden;
using l1net::Errc;
using l1net::make_error_code;
using l1net::testing::hex;

namespace {

net::Ipv6Address v6(const char* s) { return boost::asio::ip::make_address_v6(s); }
net::MacAddress mac(std::uint8_t last) { return {{0x02, 0, 0, 0, 0, last}}; }

// The IPv6 packet of a golden Ethernet frame.
std::vector<std::uint8_t> ipv6Of(std::string_view frame) {
  const auto f = hex(frame);
  return {f.begin() + 14, f.end()};
}

// Rewrites the ICMPv6 checksum of a packet (after a deliberate edit).
void fixChecksum(std::vector<std::uint8_t>& pkt) {
  auto ip = net::decodeIpv6(pkt);
  REQUIRE(ip.has_value());
  pkt[42] = 0;
  pkt[43] = 0;
  const auto c = net::icmpv6Checksum(ip->header.src, ip->header.dst,
                                     std::span<const std::uint8_t>(pkt).subspan(40));
  pkt[42] = static_cast<std::uint8_t>(c >> 8U);
  pkt[43] = static_cast<std::uint8_t>(c & 0xffU);
}

void setPayloadLength(std::vector<std::uint8_t>& pkt) {
  const auto len = pkt.size() - 40;
  pkt[4] = static_cast<std::uint8_t>(len >> 8U);
  pkt[5] = static_cast<std::uint8_t>(len & 0xffU);
}

}  // namespace

TEST_CASE("decodeIpv6") {
  struct Case {
    const char* name;
    std::function<void(std::vector<std::uint8_t>&)> edit;
    Errc want;  // {} = ok
  };
  const std::vector<Case> cases = {
      {"kernel NS", [](auto&) {}, {}},
      {"Ethernet padding after the payload is cut off",
       [](auto& p) { p.resize(p.size() + 6); },
       {}},
      {"39 bytes", [](auto& p) { p.resize(39); }, Errc::kTruncated},
      {"payload length past the end", [](auto& p) { p[5] = 33; }, Errc::kTruncated},
      {"version 4", [](auto& p) { p[0] = 0x45; }, Errc::kMalformed},
      {"hop-by-hop extension header", [](auto& p) { p[6] = 0; }, Errc::kUnsupported},
      {"UDP", [](auto& p) { p[6] = 17; }, Errc::kUnsupported},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      auto pkt = ipv6Of(golden::kKernelNs);
      c.edit(pkt);
      const auto got = net::decodeIpv6(pkt);
      if (c.want != Errc{}) {
        REQUIRE_FALSE(got.has_value());
        CHECK(got.error() == make_error_code(c.want));
        continue;
      }
      REQUIRE(got.has_value());
      CHECK(got->header.hop_limit == 255);
      CHECK(got->header.payload_length == 32);
      CHECK(got->header.next_header == 58);
      CHECK(got->header.src == v6("fe80::ff:fe00:a"));
      CHECK(got->header.dst == v6("ff02::1:ff00:b"));
      CHECK(got->payload.size() == 32);
    }
  }
}

TEST_CASE("encodeIpv6Header round-trips the kernel header") {
  const auto pkt = ipv6Of(golden::kKernelNs);
  const auto ip = net::decodeIpv6(pkt);
  REQUIRE(ip.has_value());
  std::array<std::uint8_t, net::kIpv6HeaderSize> out{};
  encodeIpv6Header(ip->header, out);
  CHECK(std::equal(out.begin(), out.end(), pkt.begin()));
  net::Ipv6Header h = ip->header;
  h.traffic_class = 0xb8;
  h.flow_label = 0xabcde;
  encodeIpv6Header(h, out);
  const auto back = net::decodeIpv6([&] {
    std::vector<std::uint8_t> v(out.begin(), out.end());
    v.insert(v.end(), pkt.begin() + 40, pkt.end());
    return v;
  }());
  REQUIRE(back.has_value());
  CHECK(back->header == h);
}

TEST_CASE("decodeNdp: golden messages") {
  struct Case {
    const char* name;
    std::string_view frame;
    net::NdpType type;
    bool solicited;
    bool override_flag;
    const char* target;
    std::optional<net::MacAddress> source_ll;
    std::optional<net::MacAddress> target_ll;
  };
  const std::vector<Case> cases = {
      {"kernel NS with SLLA", golden::kKernelNs, net::NdpType::kNeighborSolicitation, false, false,
       "2001:db8::b", mac(0x0a), std::nullopt},
      {"kernel NA S=1 O=1", golden::kKernelNa, net::NdpType::kNeighborAdvertisement, true, true,
       "2001:db8::b", std::nullopt, mac(0x0b)},
      {"kernel DAD NS: nonce option skipped", golden::kKernelDadNs,
       net::NdpType::kNeighborSolicitation, false, false, "2001:db8::c", std::nullopt,
       std::nullopt},
      {"NUD NS without options", golden::kNudNsNoOptions, net::NdpType::kNeighborSolicitation,
       false, false, "2001:db8::b", std::nullopt, std::nullopt},
      {"unsolicited NA", golden::kUnsolicitedNaFromVip, net::NdpType::kNeighborAdvertisement, false,
       true, "2001:db8::b", std::nullopt, mac(0x0b)},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto pkt = ipv6Of(c.frame);
      const auto ip = net::decodeIpv6(pkt);
      REQUIRE(ip.has_value());
      const auto got = net::decodeNdp(ip->header.src, ip->header.dst, ip->payload);
      REQUIRE(got.has_value());
      CHECK(got->type == c.type);
      CHECK_FALSE(got->router);
      CHECK(got->solicited == c.solicited);
      CHECK(got->override_flag == c.override_flag);
      CHECK(got->target == v6(c.target));
      CHECK(got->source_ll == c.source_ll);
      CHECK(got->target_ll == c.target_ll);
    }
  }
}

TEST_CASE("decodeNdp: errors and option parsing") {
  struct Case {
    const char* name;
    std::function<void(std::vector<std::uint8_t>&)> edit;  // on the IPv6 packet of kKernelNs
    bool fix_checksum;
    Errc want;  // {} = ok
  };
  const std::vector<Case> cases = {
      {"23 bytes", [](auto& p) { p.resize(40 + 23); }, false, Errc::kTruncated},
      {"echo request", [](auto& p) { p[40] = 128; }, true, Errc::kUnsupported},
      {"router solicitation", [](auto& p) { p[40] = 133; }, true, Errc::kUnsupported},
      {"flipped target byte", [](auto& p) { p[63] ^= 0x01; }, false, Errc::kBadChecksum},
      {"zero checksum", [](auto& p) { p[42] = p[43] = 0; }, false, Errc::kBadChecksum},
      {"code 1", [](auto& p) { p[41] = 1; }, true, Errc::kMalformed},
      {"multicast target", [](auto& p) { p[48] = 0xff; }, true, Errc::kMalformed},
      {"option length 0", [](auto& p) { p[65] = 0; }, true, Errc::kMalformed},
      {"option runs past the end", [](auto& p) { p[65] = 2; }, true, Errc::kMalformed},
      {"one stray byte after the options", [](auto& p) { p.push_back(1); }, true, Errc::kMalformed},
      {"unknown option skipped",
       [](auto& p) {
         const std::vector<std::uint8_t> opt{0x0e, 0x01, 1, 2, 3, 4, 5, 6};
         p.insert(p.begin() + 64, opt.begin(), opt.end());
       },
       true,
       {}},
      {"16-byte option skipped",
       [](auto& p) {
         std::vector<std::uint8_t> opt(16, 0);
         opt[0] = 0x1f;
         opt[1] = 2;
         p.insert(p.end(), opt.begin(), opt.end());
       },
       true,
       {}},
      {"repeated SLLA: first wins",
       [](auto& p) {
         const std::vector<std::uint8_t> opt{0x01, 0x01, 0x02, 0, 0, 0, 0, 0x99};
         p.insert(p.end(), opt.begin(), opt.end());
       },
       true,
       {}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      auto pkt = ipv6Of(golden::kKernelNs);
      c.edit(pkt);
      setPayloadLength(pkt);
      if (c.fix_checksum) {
        fixChecksum(pkt);
      }
      const auto ip = net::decodeIpv6(pkt);
      REQUIRE(ip.has_value());
      const auto got = net::decodeNdp(ip->header.src, ip->header.dst, ip->payload);
      if (c.want != Errc{}) {
        REQUIRE_FALSE(got.has_value());
        CHECK(got.error() == make_error_code(c.want));
        continue;
      }
      REQUIRE(got.has_value());
      CHECK(got->source_ll == mac(0x0a));
    }
  }
}

TEST_CASE("encodeNdpFrame reproduces golden frames") {
  struct Case {
    const char* name;
    net::MacAddress eth_dst;
    net::MacAddress eth_src;
    const char* src;
    const char* dst;
    net::NdpMessage msg;
    std::string_view want;
  };
  const auto na = [](const char* target, bool solicited, std::uint8_t ll) {
    return net::NdpMessage{.type = net::NdpType::kNeighborAdvertisement,
                           .solicited = solicited,
                           .override_flag = true,
                           .target = v6(target),
                           .target_ll = mac(ll)};
  };
  const std::vector<Case> cases = {
      {"kernel's solicited NA", mac(0x0a), mac(0x0b), "2001:db8::b", "fe80::ff:fe00:a",
       na("2001:db8::b", true, 0x0b), golden::kKernelNa},
      {"kernel's NS",
       {{0x33, 0x33, 0xff, 0, 0, 0x0b}},
       mac(0x0a),
       "fe80::ff:fe00:a",
       "ff02::1:ff00:b",
       net::NdpMessage{.target = v6("2001:db8::b"), .source_ll = mac(0x0a)},
       golden::kKernelNs},
      {"NS without options", mac(0x0b), mac(0x0a), "2001:db8::a", "2001:db8::b",
       net::NdpMessage{.target = v6("2001:db8::b")}, golden::kNudNsNoOptions},
      {"unsolicited NA",
       {{0x33, 0x33, 0, 0, 0, 1}},
       mac(0x0b),
       "2001:db8::b",
       "ff02::1",
       na("2001:db8::b", false, 0x0b),
       golden::kUnsolicitedNaFromVip},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      CHECK(net::encodeNdpFrame(c.eth_dst, c.eth_src, v6(c.src), v6(c.dst), c.msg) == hex(c.want));
    }
  }
}
