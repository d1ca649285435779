#include "l1net/net/bpf.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <linux/filter.h>

#include "l1net/testing/doctest.hpp"
#include "l1net/testing/hex.hpp"

#include "golden_frames.hpp"

namespace net = l1net::net;
namespace golden = l1net::golden;
using l1net::testing::hex;

// BpfInsn must be interchangeable with the kernel's struct sock_filter.
static_assert(sizeof(net::BpfInsn) == sizeof(sock_filter));
static_assert(offsetof(net::BpfInsn, code) == offsetof(sock_filter, code));
static_assert(offsetof(net::BpfInsn, jt) == offsetof(sock_filter, jt));
static_assert(offsetof(net::BpfInsn, jf) == offsetof(sock_filter, jf));
static_assert(offsetof(net::BpfInsn, k) == offsetof(sock_filter, k));
static_assert(net::bpf::kLd == BPF_LD && net::bpf::kJmp == BPF_JMP && net::bpf::kRet == BPF_RET);
static_assert(net::bpf::kW == BPF_W && net::bpf::kH == BPF_H && net::bpf::kB == BPF_B);
static_assert(net::bpf::kAbs == BPF_ABS && net::bpf::kJeq == BPF_JEQ && net::bpf::kK == BPF_K);
static_assert(net::bpf::kAncillaryOffset == static_cast<std::uint32_t>(SKF_AD_OFF));
static_assert(net::bpf::kAncillaryVlanTagPresent == SKF_AD_VLAN_TAG_PRESENT);

namespace {

// A tiny classic-BPF interpreter covering what the filter uses (absolute loads, the VLAN-present
// ancillary load, jeq/jgt/jge/jset/ja with K, ret K), with the kernel's rules: a load past the end
// of the packet returns 0, an unknown instruction or running off the end is a test failure.
std::optional<std::uint32_t> runBpf(const std::vector<net::BpfInsn>& prog,
                                    std::span<const std::uint8_t> pkt, bool vlan_present) {
  std::uint32_t a = 0;
  std::size_t pc = 0;
  while (pc < prog.size()) {
    const auto& in = prog[pc++];
    const auto cls = static_cast<std::uint16_t>(in.code & 0x07U);
    if (cls == BPF_LD && (in.code & 0xe0U) == BPF_ABS) {
      if (in.k >= net::bpf::kAncillaryOffset) {
        if (in.k != net::bpf::kAncillaryOffset + net::bpf::kAncillaryVlanTagPresent) {
          return std::nullopt;
        }
        a = vlan_present ? 1 : 0;
        continue;
      }
      const std::size_t size = (in.code & 0x18U) == BPF_W ? 4 : (in.code & 0x18U) == BPF_H ? 2 : 1;
      if (std::size_t{in.k} + size > pkt.size()) {
        return 0;
      }
      a = 0;
      for (std::size_t i = 0; i < size; ++i) {
        a = (a << 8U) | pkt[in.k + i];
      }
    } else if (cls == BPF_JMP) {
      bool taken = false;
      switch (in.code & 0xf0U) {
        case BPF_JA:
          pc += in.k;
          continue;
        case BPF_JEQ:
          taken = a == in.k;
          break;
        case BPF_JGT:
          taken = a > in.k;
          break;
        case BPF_JGE:
          taken = a >= in.k;
          break;
        case BPF_JSET:
          taken = (a & in.k) != 0;
          break;
        default:
          return std::nullopt;
      }
      pc += taken ? in.jt : in.jf;
    } else if (cls == BPF_RET && (in.code & 0x18U) == BPF_K) {
      return in.k;
    } else {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::vector<std::uint8_t> edited(std::string_view frame, std::size_t at, std::uint8_t v) {
  auto f = hex(frame);
  f[at] = v;
  return f;
}

}  // namespace

TEST_CASE("neighborRequestFilter accepts only ARP requests and NS") {
  struct Case {
    const char* name;
    std::vector<std::uint8_t> frame;
    bool vlan_present;
    bool accept;
  };
  const std::vector<Case> cases = {
      {"kernel ARP request", hex(golden::kKernelArpRequest), false, true},
      {"gratuitous ARP request", hex(golden::kGratuitousArpRequest), false, true},
      {"ARP reply", hex(golden::kArpReplyToKernel), false, false},
      {"gratuitous ARP reply", hex(golden::kGratuitousArpReply), false, false},
      {"RARP opcode 3", edited(golden::kKernelArpRequest, 21, 3), false, false},
      {"kernel NS", hex(golden::kKernelNs), false, true},
      {"kernel DAD NS", hex(golden::kKernelDadNs), false, true},
      {"NUD NS without options", hex(golden::kNudNsNoOptions), false, true},
      {"NA", hex(golden::kKernelNa), false, false},
      {"ICMPv6 echo", edited(golden::kKernelNs, 54, 128), false, false},
      {"router solicitation", edited(golden::kKernelNs, 54, 133), false, false},
      {"hop-by-hop header before ICMPv6", edited(golden::kKernelNs, 20, 0), false, false},
      {"IPv4", edited(golden::kKernelArpRequest, 13, 0x00), false, false},
      {"ARP with stripped VLAN tag", hex(golden::kKernelArpRequest), true, false},
      {"NS with stripped VLAN tag", hex(golden::kKernelNs), true, false},
      {"in-band 802.1Q tag",
       hex("ffff ffff ffff 0200 0000 000a 8100 0064 0806 0001 0800 0604 0001 0200 0000 000a"
           "c000 020a 0000 0000 0000 c000 020b"),
       false, false},
      {"ARP cut before the opcode", hex("ffff ffff ffff 0200 0000 000a 0806 0001 0800 06"), false,
       false},
      {"IPv6 cut before the ICMPv6 type",
       [] {
         auto f = hex(golden::kKernelNs);
         f.resize(54);
         return f;
       }(),
       false, false},
      {"empty", {}, false, false},
  };
  const auto prog = net::neighborRequestFilter();
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto got = runBpf(prog, c.frame, c.vlan_present);
      REQUIRE(got.has_value());
      CHECK((*got != 0) == c.accept);
      if (c.accept) {
        CHECK(*got >= 1514);  // the whole frame is kept
      }
    }
  }
}

TEST_CASE("neighborRequestFilter jumps stay inside the program") {
  const auto prog = net::neighborRequestFilter();
  for (std::size_t i = 0; i < prog.size(); ++i) {
    if ((prog[i].code & 0x07U) == BPF_JMP) {
      CHECK(i + 1 + prog[i].jt < prog.size());
      CHECK(i + 1 + prog[i].jf < prog.size());
    }
  }
  CHECK((prog.back().code & 0x07U) == BPF_RET);
}

TEST_CASE("ipv4Ranges merges sorted, adjacent and duplicate addresses") {
  const auto a = [](const char* t) { return boost::asio::ip::make_address_v4(t); };
  const auto r = net::ipv4Ranges(
      {a("192.0.2.9"), a("192.0.2.7"), a("192.0.2.8"), a("192.0.2.8"), a("203.0.113.1")});
  REQUIRE(r.size() == 2);
  CHECK(r[0] == net::Ipv4Range{a("192.0.2.7").to_uint(), a("192.0.2.9").to_uint()});
  CHECK(r[1] == net::Ipv4Range{a("203.0.113.1").to_uint(), a("203.0.113.1").to_uint()});
  CHECK(net::ipv4Ranges({}).empty());
}

TEST_CASE("targeted neighborRequestFilter: ARP only for owned targets, NS as before") {
  const auto a = [](const char* t) { return boost::asio::ip::make_address_v4(t); };
  const auto prog = net::neighborRequestFilter(
                        net::ipv4Ranges({a("192.0.2.10"), a("192.0.2.11"), a("203.0.113.5")}))
                        .value();
  const auto request_for = [](std::uint32_t target) {
    auto f = hex(golden::kKernelArpRequest);
    f[38] = static_cast<std::uint8_t>(target >> 24U);
    f[39] = static_cast<std::uint8_t>(target >> 16U);
    f[40] = static_cast<std::uint8_t>(target >> 8U);
    f[41] = static_cast<std::uint8_t>(target);
    return f;
  };
  struct Case {
    const char* name;
    const char* target;
    bool accept;
  };
  const std::vector<Case> cases = {
      {"first of a range", "192.0.2.10", true},
      {"last of a range", "192.0.2.11", true},
      {"single address", "203.0.113.5", true},
      {"just below", "192.0.2.9", false},
      {"between ranges", "192.0.2.12", false},
      {"above every range", "203.0.113.6", false},
      {"zero", "0.0.0.0", false},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto got = runBpf(prog, request_for(a(c.target).to_uint()), false);
      REQUIRE(got.has_value());
      CHECK((*got != 0) == c.accept);
    }
  }
  // NS still admitted, tagged frames still rejected, the untargeted verdicts otherwise agree.
  CHECK(runBpf(prog, hex(golden::kKernelNs), false).value() != 0);
  CHECK(runBpf(prog, hex(golden::kKernelNs), true).value() == 0);
  CHECK(runBpf(prog, request_for(a("192.0.2.10").to_uint()), true).value() == 0);
  auto reply = request_for(a("192.0.2.10").to_uint());
  reply[21] = 2;
  CHECK(runBpf(prog, reply, false).value() == 0);
  for (std::size_t i = 0; i < prog.size(); ++i) {
    if ((prog[i].code & 0x07U) == BPF_JMP) {
      CHECK(i + 1 + prog[i].jt < prog.size());
      CHECK(i + 1 + prog[i].jf < prog.size());
    }
  }
  CHECK_FALSE(net::neighborRequestFilter(std::vector<net::Ipv4Range>(net::kMaxFilterRanges + 1))
                  .has_value());
  CHECK(net::neighborRequestFilter(std::vector<net::Ipv4Range>(net::kMaxFilterRanges))->size() <
        4096);
}
