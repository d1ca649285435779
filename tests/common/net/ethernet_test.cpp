#include "l1net/net/ethernet.hpp"

#include <cstdint>
#include <optional>
#include <vector>

#include "l1net/testing/doctest.hpp"
#include "l1net/testing/hex.hpp"

#include "golden_frames.hpp"

namespace net = l1net::net;
using l1net::Errc;
using l1net::make_error_code;
using l1net::testing::hex;

TEST_CASE("decodeEthernet") {
  struct Case {
    const char* name;
    std::vector<std::uint8_t> bytes;
    Errc want_err;  // {} = ok
    std::uint16_t want_type;
    std::optional<std::uint16_t> want_tci;
    std::size_t want_payload;
  };
  const auto arp = hex(l1net::golden::kKernelArpRequest);
  const std::vector<Case> cases = {
      {"kernel ARP request", arp, {}, 0x0806, std::nullopt, 28},
      {"802.1Q tag tolerated",
       hex("ffff ffff ffff 0200 0000 000a 8100 2064 0806 0001"),
       {},
       0x0806,
       0x2064,
       2},
      {"header only", hex("ffff ffff ffff 0200 0000 000a 86dd"), {}, 0x86dd, std::nullopt, 0},
      {"stacked 802.1Q tags", hex("ffff ffff ffff 0200 0000 000a 8100 0064 8100 0065 0806"),
       Errc::kUnsupported, 0, std::nullopt, 0},
      {"802.1ad outer tag", hex("ffff ffff ffff 0200 0000 000a 88a8 0064 8100 0065 0806"),
       Errc::kUnsupported, 0, std::nullopt, 0},
      {"inner 802.1ad", hex("ffff ffff ffff 0200 0000 000a 8100 0064 88a8 0806"),
       Errc::kUnsupported, 0, std::nullopt, 0},
      {"802.3 length field", hex("ffff ffff ffff 0200 0000 000a 0040 aaaa 03"), Errc::kUnsupported,
       0, std::nullopt, 0},
      {"13 bytes", hex("ffff ffff ffff 0200 0000 000a 08"), Errc::kTruncated, 0, std::nullopt, 0},
      {"tag cut short", hex("ffff ffff ffff 0200 0000 000a 8100 0064 08"), Errc::kTruncated, 0,
       std::nullopt, 0},
      {"empty", {}, Errc::kTruncated, 0, std::nullopt, 0},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto got = net::decodeEthernet(c.bytes);
      if (c.want_err != Errc{}) {
        REQUIRE_FALSE(got.has_value());
        CHECK(got.error() == make_error_code(c.want_err));
        continue;
      }
      REQUIRE(got.has_value());
      CHECK(got->header.dst.toString() == "ff:ff:ff:ff:ff:ff");
      CHECK(got->header.src.toString() == "02:00:00:00:00:0a");
      CHECK(got->header.ethertype == c.want_type);
      CHECK(got->header.vlan_tci == c.want_tci);
      CHECK(got->payload.size() == c.want_payload);
    }
  }
}

TEST_CASE("encodeEthernetFrame pads to the 60-byte minimum only when needed") {
  const net::EthernetHeader h{.dst = net::kBroadcastMac,
                              .src = {{0x02, 0, 0, 0, 0, 0x0a}},
                              .ethertype = net::kEtherTypeArp,
                              .vlan_tci = 7};  // ignored: encoders never tag
  struct Case {
    const char* name;
    std::size_t payload;
    std::size_t want_size;
  };
  const std::vector<Case> cases = {
      {"empty payload", 0, 60}, {"ARP body", 28, 60}, {"exactly 46", 46, 60}, {"NA", 72, 86}};
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const std::vector<std::uint8_t> payload(c.payload, 0xab);
      const auto f = net::encodeEthernetFrame(h, payload);
      REQUIRE(f.size() == c.want_size);
      CHECK(std::vector<std::uint8_t>(f.begin(), f.begin() + 14) ==
            hex("ffff ffff ffff 0200 0000 000a 0806"));
      for (std::size_t i = 14; i < f.size(); ++i) {
        CHECK(f[i] == (i < 14 + c.payload ? 0xab : 0x00));
      }
    }
  }
}
