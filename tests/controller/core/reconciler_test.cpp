#include "l1net/controller/reconciler.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "l1net/controller/service_request.hpp"
#include "l1net/testing/doctest.hpp"

#include "builders.hpp"

namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& v) {
    std::string out = "[";
    for (const auto& s : v) {
      out += (out.size() > 1 ? ", " : "") + s;
    }
    return String((out + "]").c_str());
  }
};
}  // namespace doctest

namespace ctl = l1net::controller;
namespace m = l1net::manifest;
using l1net::testing::ns;
using l1net::testing::pool;
using l1net::testing::svc;

namespace {

struct Want {
  std::string key;
  std::vector<std::string> ips;
  std::string pool;
  std::optional<std::string> error;
  // "Reason" checks only the reason; "Reason: message" checks both. nullopt: not checked.
  std::optional<std::vector<std::string>> events;
};

struct Case {
  const char* name;
  std::vector<m::IpAddressPool> pools;
  std::vector<m::Service> services;
  std::vector<m::Service> previous;
  std::vector<Want> want;
  std::optional<std::string> lb_class;
  std::vector<m::Namespace> namespaces;
};

const std::vector<std::string> kNoEvents{};

m::IpAddressPool lanPool() { return pool("lan", {"198.51.100.10-198.51.100.30"}); }
m::IpAddressPool otherPool() { return pool("other", {"203.0.113.0/28"}); }

void checkEvents(const ctl::ServiceDecision& d, const std::vector<std::string>& want) {
  std::vector<std::string> got;
  for (const auto& e : d.events) {
    got.push_back(e.reason + ": " + e.message);
  }
  INFO("events: " << doctest::toString(got));
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i].find(": ") == std::string::npos) {
      CHECK(d.events[i].reason == want[i]);
    } else {
      CHECK(got[i] == want[i]);
    }
  }
}

void runCases(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      ctl::ReconcileInput in;
      in.pools = c.pools;
      in.services = c.services;
      in.previous = c.previous;
      in.lb_class = c.lb_class;
      in.namespaces = c.namespaces;
      const auto result = ctl::reconcile(in);
      for (const auto& w : c.want) {
        INFO("service " << w.key);
        const auto* d = result.find(w.key);
        REQUIRE(d != nullptr);
        CHECK(d->ips == w.ips);
        CHECK(d->pool == w.pool);
        if (w.error) {
          REQUIRE(d->error.has_value());
          CHECK(*d->error == *w.error);
        } else {
          CHECK_MESSAGE(!d->error.has_value(), d->error.value_or(""));
        }
        if (w.events) {
          checkEvents(*d, *w.events);
        }
        // Status and annotation are what the decision says.
        std::vector<std::string> status;
        for (const auto& i : result.serviceOf(*d).ingress) {
          status.push_back(i.ip);
        }
        CHECK(status == d->ips);
        const auto& ann = result.serviceOf(*d).meta.annotations;
        const auto it = ann.find("metallb.io/ip-allocated-from-pool");
        CHECK((it == ann.end() ? std::string() : it->second) == d->pool);
      }
    }
  }
}

}  // namespace

TEST_CASE("rule 1: requested IPs") {
  runCases({
      {.name = "spec.loadBalancerIP",
       .pools = {lanPool()},
       .services = {svc("web").lbIp("198.51.100.20")},
       .want = {{"default/web",
                 {"198.51.100.20"},
                 "lan",
                 {},
                 {{"IPAllocated: Assigned IP [\"198.51.100.20\"]"}}}}},
      {.name = "annotation",
       .pools = {lanPool()},
       .services = {svc("web").ips("198.51.100.21")},
       .want = {{"default/web", {"198.51.100.21"}, "lan", {}, {{"IPAllocated"}}}}},
      {.name = "annotation with spaces",
       .pools = {lanPool()},
       .services = {svc("web").ips(" 198.51.100.21 ")},
       .want = {{"default/web", {"198.51.100.21"}, "lan"}}},
      {.name = "deprecated annotation works and warns",
       .pools = {lanPool()},
       .services = {svc("web").ann("metallb.universe.tf/loadBalancerIPs", "198.51.100.22")},
       .want = {{"default/web",
                 {"198.51.100.22"},
                 "lan",
                 {},
                 {{"IPAllocated",
                   "deprecatedAnnotation: Service uses deprecated annotation "
                   "metallb.universe.tf/loadBalancerIPs"}}}}},
      {.name = "both set is an error",
       .pools = {lanPool()},
       .services = {svc("web").lbIp("198.51.100.20").ips("198.51.100.21")},
       .want = {{"default/web",
                 {},
                 "",
                 "Failed to allocate IP for \"default/web\": service can not have both "
                 "metallb.io/loadBalancerIPs and svc.Spec.LoadBalancerIP",
                 {{"AllocationFailed"}}}}},
      {.name = "family must match the service",
       .pools = {lanPool(), pool("v6", {"2001:db8:1::/64"})},
       .services = {svc("web")
                        .families({l1net::net::Family::kV4}, m::IpFamilyPolicy::kSingleStack)
                        .lbIp("2001:db8:1::5")},
       .want = {{"default/web",
                 {},
                 "",
                 "Failed to allocate IP for \"default/web\": requested loadBalancer IP(s) "
                 "[\"2001:db8:1::5\"] does not match the ipFamily of the service"}}},
      {.name = "two IPs of one family",
       .pools = {lanPool()},
       .services = {svc("web").ips("198.51.100.20,198.51.100.21").requireDual()},
       .want = {{"default/web",
                 {},
                 "",
                 "Failed to allocate IP for \"default/web\": IPFamilyForAddresses: same address "
                 "family [\"198.51.100.20\" \"198.51.100.21\"]"}}},
      {.name = "three IPs",
       .pools = {lanPool()},
       .services = {svc("web").ips("198.51.100.20,198.51.100.21,2001:db8:1::1")},
       .want = {{"default/web",
                 {},
                 "",
                 "Failed to allocate IP for \"default/web\": IPFamilyForAddresses: invalid ips "
                 "length 3 [\"198.51.100.20\" \"198.51.100.21\" \"2001:db8:1::1\"]"}}},
      {.name = "one IP per family",
       .pools = {pool("dual", {"198.51.100.10-198.51.100.30", "2001:db8:1::/64"})},
       .services = {svc("web").ips("198.51.100.25,2001:db8:1::25").requireDual()},
       .want = {{"default/web", {"198.51.100.25", "2001:db8:1::25"}, "dual"}}},
      {.name = "not an IP",
       .pools = {lanPool()},
       .services = {svc("web").ips("bogus")},
       .want = {{"default/web",
                 {},
                 "",
                 "Failed to allocate IP for \"default/web\": invalid metallb.io/loadBalancerIPs: "
                 "\"bogus\""}}},
      {.name = "outside every pool",
       .pools = {lanPool()},
       .services = {svc("web").lbIp("203.0.113.9")},
       .want = {{"default/web",
                 {},
                 "",
                 "Failed to allocate IP for \"default/web\": [\"203.0.113.9\"] is not allowed "
                 "in config"}}},
      {.name = "invalid request on a service holding an IP keeps it",
       .pools = {lanPool()},
       .services = {svc("web").ips("bogus").status({"198.51.100.10"}, "lan")},
       .want = {{"default/web",
                 {"198.51.100.10"},
                 "lan",
                 "invalid requested loadbalancer IPs: invalid metallb.io/loadBalancerIPs: "
                 "\"bogus\"",
                 {{"LoadBalancerFailed"}}}}},
      {.name = "changed request moves the IP",
       .pools = {lanPool()},
       .services = {svc("web").lbIp("198.51.100.15").status({"198.51.100.10"}, "lan")},
       .want = {{"default/web", {"198.51.100.15"}, "lan", {}, {{"IPAllocated"}}}}},
  });
}

TEST_CASE("rule 2: address-pool annotation") {
  runCases({
      {.name = "named pool",
       .pools = {lanPool(), otherPool()},
       .services = {svc("web").pool("other")},
       .want = {{"default/web", {"203.0.113.0"}, "other"}}},
      {.name = "deprecated pool annotation",
       .pools = {lanPool(), otherPool()},
       .services = {svc("web").ann("metallb.universe.tf/address-pool", "other")},
       .want = {{"default/web", {"203.0.113.0"}, "other"}}},
      {.name = "unknown pool",
       .pools = {lanPool()},
       .services = {svc("web").pool("nope")},
       .want = {{"default/web",
                 {},
                 "",
                 "Failed to allocate IP for \"default/web\": unknown pool \"nope\"",
                 {{"AllocationFailed"}}}}},
      {.name = "requested IP conflicts with the pool",
       .pools = {lanPool(), otherPool()},
       .services = {svc("web").pool("other").lbIp("198.51.100.12")},
       .want = {{"default/web",
                 {},
                 "",
                 "Failed to allocate IP for \"default/web\": requested loadBalancer IP(s) "
                 "[\"198.51.100.12\"] is not compatible with requested address pool other"}}},
      {.name = "requested IP inside the pool",
       .pools = {lanPool(), otherPool()},
       .services = {svc("web").pool("other").lbIp("203.0.113.7")},
       .want = {{"default/web", {"203.0.113.7"}, "other"}}},
      {.name = "changing the pool reallocates",
       .pools = {lanPool(), otherPool()},
       .services = {svc("web").pool("other").status({"198.51.100.10"}, "lan")},
       .want = {{"default/web",
                 {"203.0.113.0"},
                 "other",
                 {},
                 {{"IPAllocated: Assigned IP [\"203.0.113.0\"]"}}}}},
      {.name = "named pool exhausted",
       .pools = {lanPool(), pool("tiny", {"203.0.113.5/32"})},
       .services = {svc("a").pool("tiny"), svc("b").pool("tiny")},
       .want = {{"default/a", {"203.0.113.5"}, "tiny"},
                {"default/b",
                 {},
                 "",
                 "Failed to allocate IP for \"default/b\": no available IPs in pool tiny for "
                 "ipv4 IPFamily"}}},
  });
}

TEST_CASE("rule 3: first free in address order, avoidBuggyIPs, autoAssign") {
  runCases({
      {.name = "first free in order; requested IPs are served first",
       .pools = {lanPool()},
       .services = {svc("a"), svc("b"), svc("c").lbIp("198.51.100.11")},
       .want = {{"default/a", {"198.51.100.10"}, "lan"},
                {"default/b", {"198.51.100.12"}, "lan"},
                {"default/c", {"198.51.100.11"}, "lan"}}},
      {.name = "two requests for one IP: first in name order wins",
       .pools = {lanPool()},
       .services = {svc("a").lbIp("198.51.100.11"), svc("b").lbIp("198.51.100.11")},
       .want = {{"default/a", {"198.51.100.11"}, "lan"},
                {"default/b",
                 {},
                 "",
                 "Failed to allocate IP for \"default/b\": can't change sharing key for "
                 "\"default/b\", address also in use by default/a"}}},
      {.name = ".0 handed out without avoidBuggyIPs",
       .pools = {pool("net", {"198.51.100.0/24"})},
       .services = {svc("a")},
       .want = {{"default/a", {"198.51.100.0"}, "net"}}},
      {.name = "avoidBuggyIPs skips .0",
       .pools = {pool("net", {"198.51.100.0/24"}).avoidBuggy()},
       .services = {svc("a")},
       .want = {{"default/a", {"198.51.100.1"}, "net"}}},
      {.name = "avoidBuggyIPs skips .255 and the next .0",
       .pools = {pool("net", {"198.51.100.253-198.51.101.2"}).avoidBuggy()},
       .services = {svc("a"), svc("b"), svc("c")},
       .want = {{"default/a", {"198.51.100.253"}, "net"},
                {"default/b", {"198.51.100.254"}, "net"},
                {"default/c", {"198.51.101.1"}, "net"}}},
      {.name = "avoidBuggyIPs refuses an explicit .255",
       .pools = {pool("net", {"198.51.100.0/24"}).avoidBuggy()},
       .services = {svc("a").lbIp("198.51.100.255")},
       .want = {{"default/a",
                 {},
                 "",
                 "Failed to allocate IP for \"default/a\": [\"198.51.100.255\"] is not allowed "
                 "in config"}}},
      {.name = "autoAssign false is skipped",
       .pools = {pool("a-manual", {"203.0.113.0/28"}).noAuto(), lanPool()},
       .services = {svc("web")},
       .want = {{"default/web", {"198.51.100.10"}, "lan"}}},
      {.name = "autoAssign false only",
       .pools = {pool("manual", {"203.0.113.0/28"}).noAuto()},
       .services = {svc("web")},
       .want = {{"default/web",
                 {},
                 "",
                 "Failed to allocate IP for \"default/web\": no available IPs"}}},
      {.name = "autoAssign false when named",
       .pools = {pool("manual", {"203.0.113.0/28"}).noAuto(), lanPool()},
       .services = {svc("web").pool("manual")},
       .want = {{"default/web", {"203.0.113.0"}, "manual"}}},
      {.name = "autoAssign false by requested IP",
       .pools = {pool("manual", {"203.0.113.0/28"}).noAuto(), lanPool()},
       .services = {svc("web").lbIp("203.0.113.3")},
       .want = {{"default/web", {"203.0.113.3"}, "manual"}}},
      {.name = "whole range then exhausted",
       .pools = {pool("two", {"203.0.113.1-203.0.113.2"})},
       .services = {svc("a"), svc("b"), svc("c")},
       .want =
           {{"default/a", {"203.0.113.1"}, "two"},
            {"default/b", {"203.0.113.2"}, "two"},
            {"default/c", {}, "", "Failed to allocate IP for \"default/c\": no available IPs"}}},
  });
}

TEST_CASE("rule 4: pool choice") {
  const std::vector<m::Namespace> namespaces = {ns("team-a", {{"team", "a"}}), ns("team-b")};
  runCases({
      {.name = "plain pools in name order (MetalLB: Go map order)",
       .pools = {pool("b-pool", {"203.0.113.0/28"}), pool("a-pool", {"198.51.100.0/28"})},
       .services = {svc("web")},
       .want = {{"default/web", {"198.51.100.0"}, "a-pool"}}},
      {.name = "namespace-pinned pool first",
       .pools = {pool("a-plain", {"198.51.100.0/28"}),
                 pool("z-team", {"203.0.113.0/28"}).namespaces({"team-a"})},
       .services = {svc("team-a/web"), svc("team-b/web")},
       .want = {{"team-a/web", {"203.0.113.0"}, "z-team"},
                {"team-b/web", {"198.51.100.0"}, "a-plain"}}},
      {.name = "namespace selector",
       .pools = {pool("a-plain", {"198.51.100.0/28"}),
                 pool("z-team", {"203.0.113.0/28"}).namespaceSelector("team", "a")},
       .services = {svc("team-a/web"), svc("team-b/web")},
       .want = {{"team-a/web", {"203.0.113.0"}, "z-team"},
                {"team-b/web", {"198.51.100.0"}, "a-plain"}},
       .namespaces = namespaces},
      {.name = "service selector",
       .pools = {pool("a-plain", {"198.51.100.0/28"}),
                 pool("z-gold", {"203.0.113.0/28"}).serviceSelector("tier", "gold")},
       .services = {svc("gold").label("tier", "gold"), svc("plain")},
       .want = {{"default/gold", {"203.0.113.0"}, "z-gold"},
                {"default/plain", {"198.51.100.0"}, "a-plain"}}},
      {.name = "lower priority number wins",
       .pools = {pool("p2", {"198.51.100.0/28"}).namespaces({"team-a"}).priority(2),
                 pool("p1", {"203.0.113.0/28"}).namespaces({"team-a"}).priority(1)},
       .services = {svc("team-a/web")},
       .want = {{"team-a/web", {"203.0.113.0"}, "p1"}}},
      {.name = "priority 0 is lowest",
       .pools = {pool("a-zero", {"198.51.100.0/28"}).namespaces({"team-a"}),
                 pool("b-five", {"203.0.113.0/28"}).namespaces({"team-a"}).priority(5)},
       .services = {svc("team-a/web")},
       .want = {{"team-a/web", {"203.0.113.0"}, "b-five"}}},
      {.name = "pinned pool full falls back to plain pools",
       .pools = {pool("pinned", {"203.0.113.1/32"}).namespaces({"team-a"}),
                 pool("plain", {"198.51.100.0/28"})},
       .services = {svc("team-a/a"), svc("team-a/b")},
       .want = {{"team-a/a", {"203.0.113.1"}, "pinned"}, {"team-a/b", {"198.51.100.0"}, "plain"}}},
      {.name = "serviceAllocation without targets is used only when named (MetalLB's code)",
       .pools = {pool("a-prio", {"203.0.113.0/28"}).priority(1), lanPool()},
       .services = {svc("auto"), svc("named").pool("a-prio")},
       .want = {{"default/auto", {"198.51.100.10"}, "lan"},
                {"default/named", {"203.0.113.0"}, "a-prio"}}},
      {.name = "pinned pool refuses another namespace by name",
       .pools = {pool("pinned", {"203.0.113.0/28"}).namespaces({"team-a"}), lanPool()},
       .services = {svc("team-b/web").pool("pinned")},
       .want = {{"team-b/web",
                 {},
                 "",
                 "Failed to allocate IP for \"team-b/web\": pool pinned not compatible for ip "
                 "assignment"}}},
  });
}

TEST_CASE("rule 5: sharing") {
  runCases({
      {.name = "same key, other ports: shared",
       .pools = {lanPool()},
       .services = {svc("a").share("k").ports({{"TCP", 80}}),
                    svc("b").share("k").ports({{"TCP", 443}})},
       .want = {{"default/a", {"198.51.100.10"}, "lan"}, {"default/b", {"198.51.100.10"}, "lan"}}},
      {.name = "same port, other protocol: shared",
       .pools = {lanPool()},
       .services = {svc("a").share("k").ports({{"TCP", 53}}),
                    svc("b").share("k").ports({{"UDP", 53}})},
       .want = {{"default/a", {"198.51.100.10"}, "lan"}, {"default/b", {"198.51.100.10"}, "lan"}}},
      {.name = "same key, overlapping port: next IP",
       .pools = {lanPool()},
       .services = {svc("a").share("k"), svc("b").share("k")},
       .want = {{"default/a", {"198.51.100.10"}, "lan"}, {"default/b", {"198.51.100.11"}, "lan"}}},
      {.name = "different keys",
       .pools = {lanPool()},
       .services = {svc("a").share("k1").ports({{"TCP", 80}}),
                    svc("b").share("k2").ports({{"TCP", 443}})},
       .want = {{"default/a", {"198.51.100.10"}, "lan"}, {"default/b", {"198.51.100.11"}, "lan"}}},
      {.name = "no key never shares",
       .pools = {lanPool()},
       .services = {svc("a").share("k").ports({{"TCP", 80}}), svc("b").ports({{"TCP", 443}})},
       .want = {{"default/a", {"198.51.100.10"}, "lan"}, {"default/b", {"198.51.100.11"}, "lan"}}},
      {.name = "ETP=Local with the same selector shares",
       .pools = {lanPool()},
       .services = {svc("a").share("k").local("app1").ports({{"TCP", 80}}),
                    svc("b").share("k").local("app1").ports({{"TCP", 443}})},
       .want = {{"default/a", {"198.51.100.10"}, "lan"}, {"default/b", {"198.51.100.10"}, "lan"}}},
      {.name = "ETP=Local with other selectors does not",
       .pools = {lanPool()},
       .services = {svc("a").share("k").local("app1").ports({{"TCP", 80}}),
                    svc("b").share("k").local("app2").ports({{"TCP", 443}})},
       .want = {{"default/a", {"198.51.100.10"}, "lan"}, {"default/b", {"198.51.100.11"}, "lan"}}},
      {.name = "requested shared IP with a port clash",
       .pools = {lanPool()},
       .services = {svc("a").share("k").lbIp("198.51.100.20"),
                    svc("b").share("k").lbIp("198.51.100.20")},
       .want = {{"default/a", {"198.51.100.20"}, "lan"},
                {"default/b",
                 {},
                 "",
                 "Failed to allocate IP for \"default/b\": port TCP/80 is already in use on "
                 "\"198.51.100.20\""}}},
      {.name = "requested IP held by an exclusive user",
       .pools = {lanPool()},
       .services = {svc("a").lbIp("198.51.100.20"),
                    svc("b").share("k").lbIp("198.51.100.20").ports({{"TCP", 443}})},
       .want = {{"default/a", {"198.51.100.20"}, "lan"},
                {"default/b",
                 {},
                 "",
                 "Failed to allocate IP for \"default/b\": can't change sharing key for "
                 "\"default/b\", address also in use by default/a"}}},
      {.name = "sole user changes its key in place",
       .pools = {lanPool()},
       .services = {svc("a").share("new").status({"198.51.100.20"}, "lan")},
       .want = {{"default/a", {"198.51.100.20"}, "lan", {}, kNoEvents}}},
      {.name = "a sharer cannot change its key",
       .pools = {lanPool()},
       .services = {svc("a").share("old").ports({{"TCP", 80}}).status({"198.51.100.20"}, "lan"),
                    svc("b").share("new").ports({{"TCP", 443}}).status({"198.51.100.20"}, "lan")},
       .want = {{"default/a", {"198.51.100.20"}, "lan"},
                {"default/b",
                 {"198.51.100.10"},
                 "lan",
                 {},
                 {{"ClearAssignment: current IP for \"default/b\" not allowed by config, will "
                   "attempt for new IP assignment: can't change sharing key for \"default/b\", "
                   "address also in use by default/a",
                   "IPAllocated: Assigned IP [\"198.51.100.10\"]"}}}}},
  });
}

TEST_CASE("rule 6: dual stack") {
  const auto dual = [] { return pool("dual", {"198.51.100.10-198.51.100.30", "2001:db8:1::/64"}); };
  runCases({
      {.name = "RequireDualStack from a dual pool",
       .pools = {dual()},
       .services = {svc("web").requireDual()},
       .want = {{"default/web",
                 {"198.51.100.10", "2001:db8:1::"},
                 "dual",
                 {},
                 {{"IPAllocated: Assigned IP [\"198.51.100.10\" \"2001:db8:1::\"]"}}}}},
      {.name = "RequireDualStack needs one pool with both families",
       .pools = {lanPool(), pool("v6", {"2001:db8:1::/64"})},
       .services = {svc("web").requireDual()},
       .want = {{"default/web",
                 {},
                 "",
                 "Failed to allocate IP for \"default/web\": no available IPs"}}},
      {.name = "RequireDualStack from clusterIPs",
       .pools = {dual()},
       .services = {[] {
         m::Service s = svc("web");
         s.cluster_ips = {"2001:db8:ffff::1", "192.0.2.1"};
         s.ip_family_policy = m::IpFamilyPolicy::kRequireDualStack;
         return s;
       }()},
       .want = {{"default/web", {"198.51.100.10", "2001:db8:1::"}, "dual"}}},
      {.name = "PreferDualStack takes what it can",
       .pools = {lanPool()},
       .services = {svc("web").preferDual()},
       .want = {{"default/web", {"198.51.100.10"}, "lan"}}},
      {.name = "PreferDualStack prefers the primary family's pool",
       .pools = {pool("a-v4", {"198.51.100.0/28"}), pool("b-v6", {"2001:db8:1::/64"})},
       .services = {svc("web").families({l1net::net::Family::kV6, l1net::net::Family::kV4},
                                        m::IpFamilyPolicy::kPreferDualStack)},
       .want = {{"default/web", {"2001:db8:1::"}, "b-v6"}}},
      {.name = "PreferDualStack adds the missing family later from the same pool",
       .pools = {dual()},
       .services = {svc("web").preferDual().status({"198.51.100.20"}, "dual")},
       .want = {{"default/web",
                 {"198.51.100.20", "2001:db8:1::"},
                 "dual",
                 {},
                 {{"IPAllocated: Assigned additional IP \"2001:db8:1::\""}}}}},
      {.name = "PreferDualStack with nothing to add",
       .pools = {lanPool()},
       .services = {svc("web").preferDual().status({"198.51.100.20"}, "lan")},
       .want = {{"default/web",
                 {"198.51.100.20"},
                 "lan",
                 {},
                 {{"AdditionalAssignFailed: cannot assign additional IP in PreferDualStack: no "
                   "available IPs in pool lan for ipv6 IPFamily"}}}}},
      {.name = "IPv6 single stack from a /64",
       .pools = {pool("v6", {"2001:db8:1::/64"})},
       .services = {svc("a").v6(), svc("b").v6()},
       .want = {{"default/a", {"2001:db8:1::"}, "v6"}, {"default/b", {"2001:db8:1::1"}, "v6"}}},
      {.name = "IPv6 requested without ipFamilies",
       .pools = {pool("v6", {"2001:db8:1::/64"})},
       .services = {svc("a").lbIp("2001:db8:1::abcd")},
       .want = {{"default/a", {"2001:db8:1::abcd"}, "v6"}}},
      {.name = "single-stack status of the wrong family is replaced",
       .pools = {dual()},
       .services = {svc("a").v6().status({"198.51.100.20"}, "dual")},
       .want = {{"default/a", {"2001:db8:1::"}, "dual"}}},
  });
}

TEST_CASE("rule 7: loadBalancerClass") {
  const std::vector<m::Service> services = {svc("plain"), svc("ours").cls("l1net"),
                                            svc("theirs").cls("other")};
  for (const std::optional<std::string>& lb_class :
       {std::optional<std::string>{}, std::optional<std::string>{"l1net"}}) {
    SUBCASE(lb_class.value_or("no --lb-class").c_str()) {
      ctl::ReconcileInput in;
      in.pools = {lanPool()};
      in.services = services;
      in.lb_class = lb_class;
      const auto r = ctl::reconcile(in);
      const auto disposition = [&](const char* key) { return r.find(key)->disposition; };
      const auto managed = ctl::ServiceDisposition::kManaged;
      CHECK((disposition("default/plain") == managed) == !lb_class);
      CHECK((disposition("default/ours") == managed) == lb_class.has_value());
      CHECK(disposition("default/theirs") == ctl::ServiceDisposition::kOtherClass);
      CHECK(r.find("default/theirs")->ips.empty());
      CHECK(r.find("default/theirs")->events.empty());
      CHECK(r.pools.front().inUse() == 1);
    }
  }
}

TEST_CASE("rule 8: pool changes and processing order") {
  runCases({
      {.name = "IP outside every pool is cleared",
       .pools = {lanPool()},
       .services = {svc("web").status({"203.0.113.5"}, "gone")},
       .want = {{"default/web",
                 {"198.51.100.10"},
                 "lan",
                 {},
                 {{"ClearAssignment: current IP for \"default/web\" not allowed by config, will "
                   "attempt for new IP assignment: [\"203.0.113.5\"] is not allowed in config",
                   "IPAllocated: Assigned IP [\"198.51.100.10\"]"}}}}},
      {.name = "renamed pool keeps the IP",
       .pools = {pool("renamed", {"198.51.100.10-198.51.100.30"})},
       .services = {svc("web").status({"198.51.100.17"}, "lan")},
       .want = {{"default/web", {"198.51.100.17"}, "renamed", {}, kNoEvents}}},
      {.name = "shrunk pool clears only what left it",
       .pools = {pool("lan", {"198.51.100.10-198.51.100.20"})},
       .services = {svc("in").status({"198.51.100.12"}, "lan"),
                    svc("out").status({"198.51.100.25"}, "lan")},
       .want =
           {{"default/in", {"198.51.100.12"}, "lan", {}, kNoEvents},
            {"default/out", {"198.51.100.10"}, "lan", {}, {{"ClearAssignment", "IPAllocated"}}}}},
      {.name = "services holding IPs go first",
       .pools = {lanPool()},
       .services = {svc("a-new"), svc("z-old").status({"198.51.100.10"}, "lan")},
       .want = {{"default/a-new", {"198.51.100.11"}, "lan"},
                {"default/z-old", {"198.51.100.10"}, "lan", {}, kNoEvents}}},
      {.name = "state file status is used for services in the manifests",
       .pools = {lanPool()},
       .services = {svc("a-new"), svc("z-old")},
       .previous = {svc("z-old").status({"198.51.100.10"}, "lan")},
       .want = {{"default/a-new", {"198.51.100.11"}, "lan"},
                {"default/z-old", {"198.51.100.10"}, "lan", {}, kNoEvents}}},
      {.name = "avoidBuggyIPs turned on clears a .0",
       .pools = {pool("net", {"198.51.100.0/24"}).avoidBuggy()},
       .services = {svc("web").status({"198.51.100.0"}, "net")},
       .want =
           {{"default/web", {"198.51.100.1"}, "net", {}, {{"ClearAssignment", "IPAllocated"}}}}},
      {.name = "no pools at all",
       .pools = {},
       .services = {svc("web").status({"198.51.100.10"}, "lan")},
       .want = {{"default/web", {}, "", "no IPAddressPool configured"}}},
  });
}

TEST_CASE("rule 9: non-LoadBalancer and deleted services free their IPs") {
  runCases({
      {.name = "type changed to ClusterIP",
       .pools = {lanPool()},
       .services = {svc("web").type(m::ServiceType::kClusterIP).status({"198.51.100.10"}, "lan"),
                    svc("next")},
       .want = {{"default/web", {}, ""}, {"default/next", {"198.51.100.10"}, "lan"}}},
      {.name = "deleted service's IP is reused",
       .pools = {lanPool()},
       .services = {svc("next")},
       .previous = {svc("gone").status({"198.51.100.10"}, "lan")},
       .want = {{"default/next", {"198.51.100.10"}, "lan"}}},
  });

  ctl::ReconcileInput in;
  in.pools = {lanPool()};
  in.services = {svc("web").type(m::ServiceType::kNodePort).status({"198.51.100.10"}, "lan")};
  in.previous = {svc("gone").status({"198.51.100.11"}, "lan")};
  const auto r = ctl::reconcile(in);
  CHECK(r.find("default/web")->disposition == ctl::ServiceDisposition::kNotLoadBalancer);
  CHECK(r.find("default/web")->changed);
  CHECK(r.released == std::vector<std::string>{"default/gone"});
  CHECK(r.pools.front().inUse() == 0);
}

TEST_CASE(
    "the result's objects: one per key in key order, first definition wins; state moves out") {
  ctl::ReconcileInput in;
  in.pools = {lanPool()};
  in.services = {svc("c").label("v", "c"), svc("a").label("v", "first"),
                 svc("b").type(m::ServiceType::kClusterIP), svc("a").label("v", "second")};
  auto r = ctl::reconcile(in);
  REQUIRE(r.services.size() == 3);
  REQUIRE(r.objects.size() == 3);
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < r.services.size(); ++i) {
    keys.push_back(r.services[i].key);
    CHECK(ctl::serviceKey(r.objects[i].meta) == r.services[i].key);
  }
  CHECK(keys == std::vector<std::string>{"default/a", "default/b", "default/c"});
  CHECK(r.serviceOf(*r.find("default/a")).meta.labels.at("v") == "first");
  CHECK(r.find("default/a")->ips == std::vector<std::string>{"198.51.100.10"});
  CHECK(r.find("default/c")->ips == std::vector<std::string>{"198.51.100.11"});
  const auto copied = ctl::stateServices(r);
  const auto moved = ctl::stateServices(std::move(r));
  REQUIRE(moved.size() == 2);  // b is not a LoadBalancer
  CHECK(moved == copied);
  CHECK(moved[0].meta.name == "a");
  CHECK(moved[1].meta.name == "c");
  CHECK(moved[1].ingress.at(0).ip == "198.51.100.11");
}

TEST_CASE("rule 10: status, annotation, changed flag and event types") {
  ctl::ReconcileInput in;
  in.pools = {lanPool()};
  in.services = {svc("web"), svc("bad").pool("nope")};
  const auto first = ctl::reconcile(in);
  const auto* web = first.find("default/web");
  REQUIRE(web != nullptr);
  CHECK(web->changed);
  REQUIRE(first.serviceOf(*web).ingress.size() == 1);
  CHECK(first.serviceOf(*web).ingress[0].ip == "198.51.100.10");
  CHECK(first.serviceOf(*web).meta.annotations.at("metallb.io/ip-allocated-from-pool") == "lan");
  REQUIRE(web->events.size() == 1);
  CHECK(web->events[0].type == ctl::EventType::kNormal);
  const auto* bad = first.find("default/bad");
  REQUIRE(bad->events.size() == 1);
  CHECK(bad->events[0].type == ctl::EventType::kWarning);
  CHECK(bad->events[0].reason == "AllocationFailed");
  CHECK_FALSE(bad->changed);

  // Converged services are stable: feeding the result back changes nothing and says nothing.
  ctl::ReconcileInput again = in;
  for (const auto& d : first.services) {
    again.previous.push_back(first.serviceOf(d));
  }
  const auto second = ctl::reconcile(again);
  CHECK_FALSE(second.find("default/web")->changed);
  CHECK(second.find("default/web")->events.empty());
  CHECK(second.find("default/web")->ips == web->ips);
}

TEST_CASE("formatResultJson") {
  ctl::ReconcileInput in;
  in.pools = {lanPool(), pool("other", {"203.0.113.0/28"})};
  in.services = {svc("web"), svc("kube-system/dns").pool("nope"),
                 svc("plain").type(m::ServiceType::kClusterIP)};
  const auto json = ctl::formatResultJson(ctl::reconcile(in));
  CHECK(
      json ==
      "{\"services\":["
      "{\"namespace\":\"default\",\"name\":\"web\",\"ips\":[\"198.51.100.10\"],\"pool\":\"lan\","
      "\"error\":null},"
      "{\"namespace\":\"kube-system\",\"name\":\"dns\",\"ips\":[],\"pool\":null,"
      "\"error\":\"Failed to allocate IP for \\\"kube-system/dns\\\": unknown pool \\\"nope\\\"\"}"
      "],\"pools\":["
      "{\"name\":\"lan\",\"total\":\"21\",\"inUse\":1},"
      "{\"name\":\"other\",\"total\":\"16\",\"inUse\":0}]}");
}

TEST_CASE("mergePrevious: spec from the manifest, status from the state") {
  const m::Service manifest_svc = svc("web").lbIp("198.51.100.20").ann("team", "a");
  const m::Service state_svc =
      svc("web").lbIp("198.51.100.99").status({"198.51.100.20"}, "lan").ann("team", "old");
  const auto merged = ctl::mergePrevious({manifest_svc}, {state_svc});
  REQUIRE(merged.size() == 1);
  CHECK(merged[0].load_balancer_ip == "198.51.100.20");
  CHECK(merged[0].meta.annotations.at("team") == "a");
  CHECK(merged[0].meta.annotations.at("metallb.io/ip-allocated-from-pool") == "lan");
  REQUIRE(merged[0].ingress.size() == 1);
  CHECK(merged[0].ingress[0].ip == "198.51.100.20");
}

TEST_CASE("formatResultJson: pool totals are exact decimal strings, ::/0 included (issue 8 #14)") {
  struct Case {
    const char* name;
    const char* cidr;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"/28", "203.0.113.0/28", "\"total\":\"16\""},
      {"/64", "2001:db8::/64", "\"total\":\"18446744073709551616\""},
      {"::/0 saturates at 2^128-1", "::/0",
       "\"total\":\"340282366920938463463374607431768211455\""},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      ctl::ReconcileInput in;
      in.pools = {pool("p", {c.cidr})};
      const auto json = ctl::formatResultJson(ctl::reconcile(in));
      CHECK_MESSAGE(json.find(c.want) != std::string::npos, json);
    }
  }
}
