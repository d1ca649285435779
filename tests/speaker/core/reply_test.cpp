#include "l1net/speaker/reply.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "l1net/net/arp.hpp"
#include "l1net/net/ndp.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/hex.hpp"

#include "../../common/net/golden_frames.hpp"

namespace net = l1net::net;
namespace speaker = l1net::speaker;
namespace golden = l1net::golden;
using l1net::testing::hex;
using speaker::DropReason;

namespace {

net::MacAddress mac(std::uint8_t last) { return {{0x02, 0, 0, 0, 0, last}}; }
net::Ipv6Address v6(const char* s) { return boost::asio::ip::make_address_v6(s); }

speaker::OwnsIp owning(std::vector<std::string> ips) {
  return [owned = std::set<std::string>(ips.begin(), ips.end())](const net::IpAddress& a) {
    return owned.contains(a.to_string());
  };
}

std::vector<std::uint8_t> edited(std::string_view frame, std::size_t at, std::uint8_t v) {
  auto f = hex(frame);
  f[at] = v;
  return f;
}

std::vector<std::uint8_t> withEthDst(std::string_view frame, const net::MacAddress& dst) {
  auto f = hex(frame);
  std::copy(dst.bytes.begin(), dst.bytes.end(), f.begin());
  return f;
}

std::vector<std::uint8_t> arpFrame(net::MacAddress eth_dst, net::MacAddress eth_src, net::ArpOp op,
                                   const char* sender_ip, const char* target_ip) {
  return net::encodeArpFrame(eth_dst, eth_src,
                             {.op = op,
                              .sender_mac = eth_src,
                              .sender_ip = boost::asio::ip::make_address_v4(sender_ip),
                              .target_mac = {},
                              .target_ip = boost::asio::ip::make_address_v4(target_ip)});
}

std::vector<std::uint8_t> withTag(std::vector<std::uint8_t> f) {
  const std::vector<std::uint8_t> tag{0x81, 0x00, 0x00, 0x64};
  f.insert(f.begin() + 12, tag.begin(), tag.end());
  return f;
}

// An NS built with the (golden-verified) encoder, optionally with another hop limit.
std::vector<std::uint8_t> nsFrame(net::MacAddress eth_dst, net::MacAddress eth_src, const char* src,
                                  const char* dst, const char* target,
                                  std::optional<net::MacAddress> sll, std::uint8_t hop = 255) {
  auto f = net::encodeNdpFrame(eth_dst, eth_src, v6(src), v6(dst),
                               {.target = v6(target), .source_ll = sll});
  f[21] = hop;  // not covered by the ICMPv6 checksum
  return f;
}

const net::MacAddress kSolicitedB{{0x33, 0x33, 0xff, 0, 0, 0x0b}};
const net::MacAddress kSolicitedC{{0x33, 0x33, 0xff, 0, 0, 0x0c}};

// Checks a decision against a table row: its drop reason, its reply (golden hex; nullopt = no
// reply) and the target it decoded (nullopt = none).
void checkDecision(const speaker::ReplyDecision& d, DropReason want,
                   const std::optional<std::string_view>& want_reply,
                   const std::optional<std::string>& want_target) {
  CHECK(dropReasonName(d.drop) == dropReasonName(want));
  CHECK(d.reply.has_value() == want_reply.has_value());
  if (d.reply && want_reply) {
    CHECK(*d.reply == hex(*want_reply));
  }
  REQUIRE(d.target.has_value() == want_target.has_value());
  if (want_target) {
    CHECK(d.target->to_string() == *want_target);
  }
}

}  // namespace

TEST_CASE("planArpReply") {
  struct Case {
    const char* name;
    std::vector<std::uint8_t> frame;
    DropReason want;
    std::optional<std::string_view> want_reply;
    std::optional<std::string> want_target;
  };
  const auto request = hex(golden::kKernelArpRequest);
  const std::vector<Case> cases = {
      {"kernel request for our VIP", request, DropReason::kNone, golden::kArpReplyToKernel,
       "192.0.2.11"},
      {"padded request",
       [&] {
         auto f = request;
         f.resize(60, 0);
         return f;
       }(),
       DropReason::kNone, golden::kArpReplyToKernel, "192.0.2.11"},
      {"unicast to our MAC", withEthDst(golden::kKernelArpRequest, mac(0x0b)), DropReason::kNone,
       golden::kArpReplyToKernel, "192.0.2.11"},
      {"unicast to another MAC", withEthDst(golden::kKernelArpRequest, mac(0x0c)),
       DropReason::kWrongDestination, std::nullopt, "192.0.2.11"},
      {"multicast destination", edited(golden::kKernelArpRequest, 0, 0x01),
       DropReason::kWrongDestination, std::nullopt, "192.0.2.11"},
      {"reply",
       arpFrame(net::kBroadcastMac, mac(0x0a), net::ArpOp::kReply, "192.0.2.10", "192.0.2.11"),
       DropReason::kNotRequest, std::nullopt, "192.0.2.11"},
      {"target not owned", edited(golden::kKernelArpRequest, 41, 12), DropReason::kNotOwned,
       std::nullopt, "192.0.2.12"},
      {"our own frame",
       arpFrame(net::kBroadcastMac, mac(0x0b), net::ArpOp::kRequest, "192.0.2.11", "192.0.2.11"),
       DropReason::kOwnFrame, std::nullopt, std::nullopt},
      {"ARP body cut short",
       [&] {
         auto f = request;
         f.resize(14 + 20);
         return f;
       }(),
       DropReason::kTruncated, std::nullopt, std::nullopt},
      {"Ethernet header cut short",
       {0xff, 0xff},
       DropReason::kTruncated,
       std::nullopt,
       std::nullopt},
      {"hardware type 6", edited(golden::kKernelArpRequest, 15, 6), DropReason::kUnsupported,
       std::nullopt, std::nullopt},
      {"802.1Q tagged", withTag(request), DropReason::kVlanTagged, std::nullopt, std::nullopt},
      {"IPv6 frame", hex(golden::kKernelNs), DropReason::kUnsupported, std::nullopt, std::nullopt},
  };
  const auto owns = owning({"192.0.2.11", "2001:db8::b"});
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto d = speaker::planArpReply(c.frame, mac(0x0b), owns);
      checkDecision(d, c.want, c.want_reply, c.want_target);
    }
  }
}

TEST_CASE("planArpReply answers an RFC 5227 probe (sender IP 0.0.0.0) like MetalLB") {
  const auto probe =
      arpFrame(net::kBroadcastMac, mac(0x0a), net::ArpOp::kRequest, "0.0.0.0", "192.0.2.11");
  const auto d = speaker::planArpReply(probe, mac(0x0b), owning({"192.0.2.11"}));
  REQUIRE(d.reply.has_value());
  const auto reply = net::decodeArp(std::span(*d.reply).subspan(14));
  REQUIRE(reply.has_value());
  CHECK(reply->op == net::ArpOp::kReply);
  CHECK(reply->sender_mac == mac(0x0b));
  CHECK(reply->sender_ip.to_string() == "192.0.2.11");
  CHECK(reply->target_mac == mac(0x0a));
  CHECK(reply->target_ip.to_string() == "0.0.0.0");
}

TEST_CASE("planNdpReply") {
  struct Case {
    const char* name;
    std::vector<std::uint8_t> frame;
    net::MacAddress our_mac;
    std::optional<net::Ipv6Address> link_local;
    DropReason want;
    std::optional<std::string_view> want_reply;
    std::optional<std::string> want_target;
  };
  const auto kernel_ns = hex(golden::kKernelNs);
  const std::vector<Case> cases = {
      {"kernel NS: same NA as the kernel", kernel_ns, mac(0x0b), std::nullopt, DropReason::kNone,
       golden::kKernelNa, "2001:db8::b"},
      {"kernel NS with a known link-local", kernel_ns, mac(0x0b), v6("fe80::ff:fe00:b"),
       DropReason::kNone, golden::kNaFromLinkLocal, "2001:db8::b"},
      {"NUD probe without SLLA (MetalLB #2920)", hex(golden::kNudNsNoOptions), mac(0x0b),
       std::nullopt, DropReason::kNone, golden::kNaForNud, "2001:db8::b"},
      {"DAD probe for our VIP -> NA to all-nodes", hex(golden::kKernelDadNs), mac(0x0a),
       std::nullopt, DropReason::kNone, golden::kNaForDad, "2001:db8::c"},
      {"hop limit 254",
       nsFrame(kSolicitedB, mac(0x0a), "fe80::ff:fe00:a", "ff02::1:ff00:b", "2001:db8::b",
               mac(0x0a), 254),
       mac(0x0b), std::nullopt, DropReason::kBadHopLimit, std::nullopt, std::nullopt},
      {"hop limit 1",
       nsFrame(kSolicitedB, mac(0x0a), "fe80::ff:fe00:a", "ff02::1:ff00:b", "2001:db8::b",
               mac(0x0a), 1),
       mac(0x0b), std::nullopt, DropReason::kBadHopLimit, std::nullopt, std::nullopt},
      {"bad checksum", edited(golden::kKernelNs, 57, 0x3c), mac(0x0b), std::nullopt,
       DropReason::kBadChecksum, std::nullopt, std::nullopt},
      {"advertisement", hex(golden::kUnsolicitedNaFromVip), mac(0x0a), std::nullopt,
       DropReason::kNotRequest, std::nullopt, "2001:db8::b"},
      {"target not owned",
       nsFrame(kSolicitedC, mac(0x0a), "fe80::ff:fe00:a", "ff02::1:ff00:c", "2001:db8::c",
               mac(0x0a)),
       mac(0x0b), std::nullopt, DropReason::kNotOwned, std::nullopt, "2001:db8::c"},
      {"multicast NS sent to our unicast MAC", withEthDst(golden::kKernelNs, mac(0x0b)), mac(0x0b),
       std::nullopt, DropReason::kWrongDestination, std::nullopt, "2001:db8::b"},
      {"unicast NS to another MAC", withEthDst(golden::kNudNsNoOptions, mac(0x0c)), mac(0x0b),
       std::nullopt, DropReason::kWrongDestination, std::nullopt, "2001:db8::b"},
      {"NS to all-nodes",
       nsFrame({{0x33, 0x33, 0, 0, 0, 1}}, mac(0x0a), "fe80::ff:fe00:a", "ff02::1", "2001:db8::b",
               mac(0x0a)),
       mac(0x0b), std::nullopt, DropReason::kWrongDestination, std::nullopt, "2001:db8::b"},
      {"NS to another solicited-node group",
       nsFrame({{0x33, 0x33, 0xff, 0, 0, 0x0c}}, mac(0x0a), "fe80::ff:fe00:a", "ff02::1:ff00:c",
               "2001:db8::b", mac(0x0a)),
       mac(0x0b), std::nullopt, DropReason::kWrongDestination, std::nullopt, "2001:db8::b"},
      {"DAD probe carrying SLLA",
       nsFrame(kSolicitedB, mac(0x0a), "::", "ff02::1:ff00:b", "2001:db8::b", mac(0x0a)), mac(0x0b),
       std::nullopt, DropReason::kMalformed, std::nullopt, "2001:db8::b"},
      {"DAD probe sent unicast",
       nsFrame(mac(0x0b), mac(0x0a), "::", "2001:db8::b", "2001:db8::b", std::nullopt), mac(0x0b),
       std::nullopt, DropReason::kMalformed, std::nullopt, "2001:db8::b"},
      {"multicast source",
       nsFrame(kSolicitedB, mac(0x0a), "ff02::2", "ff02::1:ff00:b", "2001:db8::b", mac(0x0a)),
       mac(0x0b), std::nullopt, DropReason::kMalformed, std::nullopt, "2001:db8::b"},
      {"our own NS", kernel_ns, mac(0x0a), std::nullopt, DropReason::kOwnFrame, std::nullopt,
       std::nullopt},
      {"hop-by-hop extension header", edited(golden::kKernelNs, 20, 0), mac(0x0b), std::nullopt,
       DropReason::kUnsupported, std::nullopt, std::nullopt},
      {"IPv6 header cut short",
       [&] {
         auto f = kernel_ns;
         f.resize(50);
         return f;
       }(),
       mac(0x0b), std::nullopt, DropReason::kTruncated, std::nullopt, std::nullopt},
      {"version 4 in an IPv6 frame", edited(golden::kKernelNs, 14, 0x45), mac(0x0b), std::nullopt,
       DropReason::kMalformed, std::nullopt, std::nullopt},
      {"802.1Q tagged", withTag(kernel_ns), mac(0x0b), std::nullopt, DropReason::kVlanTagged,
       std::nullopt, std::nullopt},
      {"ARP frame", hex(golden::kKernelArpRequest), mac(0x0b), std::nullopt,
       DropReason::kUnsupported, std::nullopt, std::nullopt},
  };
  const auto owns = owning({"192.0.2.11", "2001:db8::b"});
  const auto owns_c = owning({"2001:db8::c"});
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const speaker::InterfaceView iface{.mac = c.our_mac, .link_local = c.link_local};
      const auto d = speaker::planNdpReply(c.frame, iface, c.our_mac == mac(0x0a) ? owns_c : owns);
      checkDecision(d, c.want, c.want_reply, c.want_target);
    }
  }
}

TEST_CASE("planReply dispatches on the EtherType") {
  struct Case {
    const char* name;
    std::vector<std::uint8_t> frame;
    DropReason want;
  };
  const std::vector<Case> cases = {
      {"ARP", hex(golden::kKernelArpRequest), DropReason::kNone},
      {"NDP", hex(golden::kKernelNs), DropReason::kNone},
      {"IPv4", edited(golden::kKernelArpRequest, 13, 0x00), DropReason::kUnsupported},
      {"tagged IPv4", withTag(edited(golden::kKernelArpRequest, 13, 0x00)),
       DropReason::kVlanTagged},
      {"tagged ARP", withTag(hex(golden::kKernelArpRequest)), DropReason::kVlanTagged},
      {"runt", {0x01, 0x02, 0x03}, DropReason::kTruncated},
  };
  const speaker::InterfaceView iface{.mac = mac(0x0b)};
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto d = speaker::planReply(c.frame, iface, owning({"192.0.2.11", "2001:db8::b"}));
      CHECK(dropReasonName(d.drop) == dropReasonName(c.want));
      CHECK(d.reply.has_value() == (c.want == DropReason::kNone));
    }
  }
}

TEST_CASE("dropReasonName is unique per reason") {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < speaker::kDropReasonCount; ++i) {
    names.insert(speaker::dropReasonName(static_cast<DropReason>(i)));
  }
  CHECK(names.size() == speaker::kDropReasonCount);
  CHECK_FALSE(names.contains("unknown"));
  CHECK(speaker::dropReasonName(DropReason::kNotOwned) == "not_owned");
}
