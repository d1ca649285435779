#include "l1net/speaker/gratuitous.hpp"

#include <cstdint>
#include <optional>
#include <vector>

#include "l1net/net/arp.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/hex.hpp"

#include "../../common/net/golden_frames.hpp"

namespace net = l1net::net;
namespace speaker = l1net::speaker;
namespace golden = l1net::golden;
using l1net::testing::hex;

namespace {
const net::MacAddress kMac{{0x02, 0, 0, 0, 0, 0x0b}};
}  // namespace

TEST_CASE("gratuitous frames are golden") {
  struct Case {
    const char* name;
    const char* vip;
    std::optional<const char*> link_local;
    std::vector<std::string_view> want;
  };
  const std::vector<Case> cases = {
      {"IPv4: Request (tha 0) then Reply (tha = own MAC)",
       "198.51.100.220",
       std::nullopt,
       {golden::kGratuitousArpRequest, golden::kGratuitousArpReply}},
      {"IPv4 ignores the link-local",
       "198.51.100.220",
       "fe80::ff:fe00:b",
       {golden::kGratuitousArpRequest, golden::kGratuitousArpReply}},
      {"IPv6 from the VIP", "2001:db8::b", std::nullopt, {golden::kUnsolicitedNaFromVip}},
      {"IPv6 from the link-local",
       "2001:db8::b",
       "fe80::ff:fe00:b",
       {golden::kUnsolicitedNaFromLinkLocal}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      std::optional<net::Ipv6Address> ll;
      if (c.link_local) {
        ll = boost::asio::ip::make_address_v6(*c.link_local);
      }
      const auto frames = speaker::gratuitousFrames(boost::asio::ip::make_address(c.vip), kMac, ll);
      REQUIRE(frames.size() == c.want.size());
      for (std::size_t i = 0; i < frames.size(); ++i) {
        CHECK(frames[i] == hex(c.want[i]));
      }
    }
  }
}

// The properties Linux's arp_process needs to treat the frames as gratuitous.
TEST_CASE("gratuitous ARP has the form Linux applies within locktime") {
  const auto vip = boost::asio::ip::make_address_v4("198.51.100.220");
  for (const auto& f :
       {speaker::gratuitousArpRequest(vip, kMac), speaker::gratuitousArpReply(vip, kMac)}) {
    CHECK(f.size() == 60);
    const auto eth = net::decodeEthernet(f);
    REQUIRE(eth.has_value());
    CHECK(eth->header.dst == net::kBroadcastMac);
    CHECK(eth->header.src == kMac);
    const auto arp = net::decodeArp(eth->payload);
    REQUIRE(arp.has_value());
    CHECK(arp->sender_ip == arp->target_ip);
    CHECK(arp->sender_mac == kMac);
    if (arp->op == net::ArpOp::kReply) {
      CHECK(arp->target_mac == kMac);  // not ff:ff:ff:ff:ff:ff (MetalLB's ignored form)
    } else {
      CHECK(arp->target_mac.isZero());
    }
  }
}
