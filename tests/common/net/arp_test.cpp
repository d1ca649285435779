#include "l1net/net/arp.hpp"

#include <cstdint>
#include <vector>

#include "l1net/testing/doctest.hpp"
#include "l1net/testing/hex.hpp"

#include "golden_frames.hpp"

namespace net = l1net::net;
using l1net::Errc;
using l1net::make_error_code;
using l1net::testing::hex;

namespace {

std::vector<std::uint8_t> kernelArpBody() {
  const auto f = hex(l1net::golden::kKernelArpRequest);
  return {f.begin() + 14, f.end()};
}

}  // namespace

TEST_CASE("decodeArp: kernel request") {
  const auto body = kernelArpBody();
  const auto got = net::decodeArp(body);
  REQUIRE(got.has_value());
  CHECK(got->op == net::ArpOp::kRequest);
  CHECK(got->sender_mac.toString() == "02:00:00:00:00:0a");
  CHECK(got->sender_ip.to_string() == "192.0.2.10");
  CHECK(got->target_mac.isZero());
  CHECK(got->target_ip.to_string() == "192.0.2.11");
}

TEST_CASE("decodeArp: errors") {
  struct Case {
    const char* name;
    std::size_t at;  // byte to overwrite; SIZE_MAX = truncate to 27
    std::uint8_t value;
    Errc want;  // {} = ok
  };
  const std::vector<Case> cases = {
      {"27 bytes", SIZE_MAX, 0, Errc::kTruncated},
      {"htype 6 (IEEE 802)", 1, 6, Errc::kUnsupported},
      {"ptype IPv6", 2, 0x86, Errc::kUnsupported},
      {"hlen 8", 4, 8, Errc::kUnsupported},
      {"plen 16", 5, 16, Errc::kUnsupported},
      {"opcode 0", 7, 0, Errc::kUnsupported},
      {"RARP request (3)", 7, 3, Errc::kUnsupported},
      {"reply decodes", 7, 2, {}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      auto body = kernelArpBody();
      if (c.at == SIZE_MAX) {
        body.resize(27);
      } else {
        body[c.at] = c.value;
      }
      const auto got = net::decodeArp(body);
      if (c.want == Errc{}) {
        REQUIRE(got.has_value());
        CHECK(got->op == net::ArpOp::kReply);
      } else {
        REQUIRE_FALSE(got.has_value());
        CHECK(got.error() == make_error_code(c.want));
      }
    }
  }
}

TEST_CASE("decodeArp ignores Ethernet padding") {
  auto body = kernelArpBody();
  body.resize(46, 0);
  CHECK(net::decodeArp(body).has_value());
}

TEST_CASE("encodeArpFrame: golden reply, padded to 60 bytes") {
  const net::MacAddress a{{0x02, 0, 0, 0, 0, 0x0a}};
  const net::MacAddress b{{0x02, 0, 0, 0, 0, 0x0b}};
  const net::ArpPacket reply{.op = net::ArpOp::kReply,
                             .sender_mac = b,
                             .sender_ip = net::Ipv4Address({192, 0, 2, 11}),
                             .target_mac = a,
                             .target_ip = net::Ipv4Address({192, 0, 2, 10})};
  const auto f = net::encodeArpFrame(a, b, reply);
  CHECK(f == hex(l1net::golden::kArpReplyToKernel));
  const auto back = net::decodeArp(std::span(f).subspan(14));
  REQUIRE(back.has_value());
  CHECK(*back == reply);
}
