#include "l1net/speaker/interfaces.hpp"

#include <string>
#include <vector>

#include "l1net/testing/doctest.hpp"
#include "l1net/testing/make_link.hpp"

namespace l1net::speaker {
namespace {

using testing::makeLink;

TEST_CASE("InterfaceFilter::classify") {
  struct Case {
    const char* name;
    Link link;
    std::vector<std::string> patterns;
    LinkUsability want;
  };
  auto down = makeLink(2, "eth0", "02:00:00:00:00:01");
  down.up = false;
  down.running = false;
  auto nocarrier = makeLink(2, "eth0", "02:00:00:00:00:01");
  nocarrier.running = false;
  auto enslaved = makeLink(3, "eth1", "02:00:00:00:00:02");
  enslaved.master = 7;
  auto noarp = makeLink(4, "wg0", "02:00:00:00:00:03");
  noarp.noarp = true;
  auto p2p = makeLink(5, "ppp0", "02:00:00:00:00:04");
  p2p.broadcast = false;
  auto lo = makeLink(1, "lo", "00:00:00:00:00:00");
  lo.loopback = true;
  const auto defaults = InterfaceFilter::defaultExcludes();
  const std::vector<Case> cases = {
      {"plain ethernet", makeLink(2, "eth0", "02:00:00:00:00:01"), defaults,
       LinkUsability::kUsable},
      {"admin down", down, defaults, LinkUsability::kDown},
      {"no carrier", nocarrier, defaults, LinkUsability::kNoCarrier},
      {"bridge member", enslaved, defaults, LinkUsability::kEnslaved},
      {"noarp", noarp, defaults, LinkUsability::kNoArp},
      {"point to point", p2p, defaults, LinkUsability::kNotBroadcast},
      {"lo excluded by default", lo, defaults, LinkUsability::kExcluded},
      {"lo without defaults is loopback", lo, {}, LinkUsability::kLoopback},
      {"veth excluded by default", makeLink(6, "veth1234", "02:00:00:00:00:05"), defaults,
       LinkUsability::kExcluded},
      {"veth usable without defaults",
       makeLink(6, "veth1234", "02:00:00:00:00:05"),
       {},
       LinkUsability::kUsable},
      {"docker0", makeLink(7, "docker0", "02:00:00:00:00:06"), defaults, LinkUsability::kExcluded},
      {"cali interface", makeLink(8, "cali12ab", "02:00:00:00:00:07"), defaults,
       LinkUsability::kExcluded},
      {"kube-ipvs0", makeLink(9, "kube-ipvs0", "02:00:00:00:00:08"), defaults,
       LinkUsability::kExcluded},
      {"cni0", makeLink(10, "cni0", "02:00:00:00:00:09"), defaults, LinkUsability::kExcluded},
      {"lo$ anchors: lo1 is fine", makeLink(11, "lo1", "02:00:00:00:00:0a"), defaults,
       LinkUsability::kUsable},
      {"custom pattern",
       makeLink(12, "eth-mgmt", "02:00:00:00:00:0b"),
       {"mgmt$"},
       LinkUsability::kExcluded},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const InterfaceFilter filter(c.patterns);
      CHECK(filter.classify(c.link).usability == c.want);
    }
  }
}

TEST_CASE("InterfaceFilter rejects an invalid pattern") {
  CHECK_THROWS_AS(InterfaceFilter({"("}), std::invalid_argument);
}

TEST_CASE("chooseInterfaces") {
  const std::vector<Link> links = {
      makeLink(2, "eth0", "02:00:00:00:00:01", {"198.51.100.10/24", "fe80::1/64"}),
      makeLink(3, "eth1", "02:00:00:00:00:02", {"198.51.100.11/24"}),
      makeLink(4, "eth2", "02:00:00:00:00:03", {"203.0.113.5/24", "2001:db8::5/64"}),
      [] {
        auto l = makeLink(5, "eth3", "02:00:00:00:00:04", {"192.0.2.1/24"});
        l.up = false;
        return l;
      }(),
      makeLink(6, "veth9", "02:00:00:00:00:05", {"198.51.100.12/24"}),
  };
  const InterfaceFilter filter;  // MetalLB defaults: veth9 excluded
  struct Case {
    const char* name;
    const char* ip;
    std::vector<std::string> restriction;
    std::vector<int> want;
    InterfaceRule rule;
    std::vector<RejectedInterface> rejected;
    bool subnet_aware = true;
  };
  const std::vector<Case> cases = {
      {"subnet match on two NICs", "198.51.100.200", {}, {2, 3}, InterfaceRule::kSubnet, {}},
      {"subnet match on one NIC", "203.0.113.9", {}, {4}, InterfaceRule::kSubnet, {}},
      {"IPv6 subnet match ignores link-local",
       "2001:db8::200",
       {},
       {4},
       InterfaceRule::kSubnet,
       {}},
      {"no subnet anywhere: all usable",
       "192.0.2.50",
       {},
       {2, 3, 4},
       InterfaceRule::kAllUsable,
       {}},
      {"IPv6 off-subnet: all usable",
       "2001:db8:1::1",
       {},
       {2, 3, 4},
       InterfaceRule::kAllUsable,
       {}},
      {"restriction narrows the subnet rule",
       "198.51.100.200",
       {"eth1"},
       {3},
       InterfaceRule::kSubnet,
       {}},
      {"restriction without subnet",
       "198.51.100.200",
       {"eth2"},
       {4},
       InterfaceRule::kAllUsable,
       {}},
      {"restricted to a down and a missing interface",
       "198.51.100.200",
       {"eth3", "bond0"},
       {},
       InterfaceRule::kNone,
       {{"eth3", "down"}, {"bond0", "does not exist"}}},
      {"subnet-awareness off: all usable (MetalLB)",
       "198.51.100.200",
       {},
       {2, 3, 4},
       InterfaceRule::kAllUsable,
       {},
       false},
      {"restricted to an excluded interface",
       "198.51.100.200",
       {"veth9"},
       {},
       InterfaceRule::kNone,
       {{"veth9", "excluded (^veth.*)"}}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto got = chooseInterfaces(net::parseIp(c.ip).value(), links, filter, c.restriction,
                                        c.subnet_aware);
      CHECK(got.ifindexes == c.want);
      CHECK(got.rule == c.rule);
      CHECK(got.restricted == !c.restriction.empty());
      CHECK(got.rejected == c.rejected);
    }
  }
}

}  // namespace
}  // namespace l1net::speaker
